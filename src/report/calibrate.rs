//! Outputs of `simulate calibrate`: calibrated.ron, parameters.csv, fit.csv, calibration.md,
//! manifest.json (and the fit chart).

use std::fmt::Write as _;
use std::path::Path;

use serde_json::json;

use super::charts::{self, ScatterChart, ScatterPoint};
use super::{csv_error, csv_writer, finish, ReportError};
use crate::calibrate::gdp_persistence::GdpPersistence;
use crate::calibrate::{Fit, Group, Quantity, Scope};
use crate::data::{short_zh, Dataset};
use crate::model::params::{spec_index, SPECS};
use crate::scenario::Scenario;

/// What the calibration report needs besides the fit.
pub struct CalibrationReport<'a> {
    pub data: &'a Dataset,
    pub scenario: &'a Scenario,
    pub fit: &'a Fit,
    /// The pre-2014 pseudo-forecast measurement of δ and β_c, with the scenario's values as the
    /// reference (`calibrate::gdp_persistence::fit`).
    pub gdp_persistence: &'a GdpPersistence,
    /// The input scenario as `extends:` should name it from the output folder.
    pub extends: String,
}

/// Writes the files and charts into `dir`: everything but `report.html` and `manifest.json`
/// (`report::outputs::write_calibration` adds those); returns the file names.
pub fn write_data(report: &CalibrationReport<'_>, dir: &Path) -> Result<Vec<String>, ReportError> {
    let mut written = Vec::new();
    let mut put = |name: &str, text: String| -> Result<(), ReportError> {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| ReportError::Io { path, source })?;
        written.push(name.to_string());
        Ok(())
    };
    put("calibrated.ron", calibrated_ron(report))?;
    put("calibration.md", markdown(report))?;
    write_parameters(report, &dir.join("parameters.csv"))?;
    written.push("parameters.csv".into());
    write_fit(report, &dir.join("fit.csv"))?;
    written.push("fit.csv".into());
    for (quantity, stem) in [
        (FitQuantity::Population, "fit_population"),
        (FitQuantity::Gdp, "fit_gdp"),
    ] {
        charts::draw_scatter(&fit_chart(report, quantity), dir, stem)?;
        written.extend([format!("{stem}.svg"), format!("{stem}.png")]);
    }
    Ok(written)
}

/// A fitted value as written: exactly (shortest round-trip form), snapped onto a search bound
/// it sits within 10⁻⁹ of the range of.
pub(crate) fn written_value(fit: &Fit, index: usize) -> f64 {
    let (lo, hi) = fit.ranges[index];
    let value = fit.values[index];
    let tiny = 1e-9 * (hi - lo);
    if (value - lo).abs() < tiny {
        lo
    } else if (hi - value).abs() < tiny {
        hi
    } else {
        value
    }
}

pub(crate) fn standard_error_text(fit: &Fit, index: usize) -> String {
    fit.standard_errors[index].map_or_else(|| "n/a".to_string(), |se| format!("{se:.3}"))
}

/// A scenario that extends the input with the fitted values.
pub fn calibrated_ron(report: &CalibrationReport<'_>) -> String {
    let fit = report.fit;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "// Written by `simulate calibrate`: the parameters of `{}` fitted to the unit data of {}–2014",
        report.scenario.name,
        report.scenario.start_year + 1
    );
    let _ = writeln!(
        text,
        "// (docs/CALIBRATION.md). Loss {:.6} → {:.6} in {} model runs. Standard errors (±) are",
        fit.loss_start, fit.loss, fit.evaluations
    );
    let _ = writeln!(
        text,
        "// approximate (Gauss–Newton, independent errors assumed): read them as lower bounds."
    );
    for (name, reason) in &fit.dropped {
        let _ = writeln!(text, "// Not fitted: {name} {reason}.");
    }
    let _ = writeln!(text, "(");
    let _ = writeln!(text, "    name: \"{}_calibrated\",", report.scenario.name);
    let _ = writeln!(
        text,
        "    description: \"{} with {} fitted to {}–2014 by simulate calibrate.\",",
        report.scenario.name,
        fit.names.join(", "),
        report.scenario.start_year + 1
    );
    let _ = writeln!(text, "    extends: {:?},", report.extends);
    let _ = writeln!(text, "    parameters: (");
    for (i, name) in fit.names.iter().enumerate() {
        let (lo, hi) = fit.ranges[i];
        let bound = if fit.at_bound(i) {
            "; at a bound of the search range"
        } else {
            ""
        };
        let _ = writeln!(
            text,
            "        {name}: {:?}, // ± {} (searched {lo}–{hi}; was {}{bound})",
            written_value(fit, i),
            standard_error_text(fit, i),
            fit.start[i]
        );
    }
    let _ = writeln!(text, "    ),");
    let _ = writeln!(text, ")");
    text
}

fn write_parameters(report: &CalibrationReport<'_>, path: &Path) -> Result<(), ReportError> {
    let fit = report.fit;
    let err = csv_error(path);
    let mut writer = csv_writer(path)?;
    writer
        .write_record([
            "parameter",
            "symbol",
            "unit",
            "status",
            "start",
            "fitted",
            "standard_error",
            "search_lo",
            "search_hi",
            "at_bound",
        ])
        .map_err(&err)?;
    for (i, name) in fit.names.iter().enumerate() {
        let spec = &SPECS[spec_index(name).expect("fitted names are known")];
        writer
            .write_record([
                name.to_string(),
                spec.symbol.to_string(),
                spec.unit.to_string(),
                "fitted".to_string(),
                fit.start[i].to_string(),
                written_value(fit, i).to_string(),
                fit.standard_errors[i].map_or(String::new(), |se| se.to_string()),
                fit.ranges[i].0.to_string(),
                fit.ranges[i].1.to_string(),
                fit.at_bound(i).to_string(),
            ])
            .map_err(&err)?;
    }
    for (name, reason) in &fit.dropped {
        let spec = &SPECS[spec_index(name).expect("dropped names are known")];
        let value = report.scenario.params.get(name).unwrap_or(f64::NAN);
        writer
            .write_record([
                name.to_string(),
                spec.symbol.to_string(),
                spec.unit.to_string(),
                format!("not fitted: {reason}"),
                value.to_string(),
                value.to_string(),
                String::new(),
                spec.sweep.0.to_string(),
                spec.sweep.1.to_string(),
                String::new(),
            ])
            .map_err(&err)?;
    }
    finish(writer, path)
}

/// The id and Chinese name of an observation's unit or province.
pub fn scope_labels(data: &Dataset, scope: Scope) -> (String, String) {
    match scope {
        Scope::Unit(u) => (data.units[u].id.clone(), data.units[u].name_zh.clone()),
        Scope::Province(p) => (
            format!("{}_plan_units", p.id()),
            format!("{}规划范围", p.name_zh()),
        ),
    }
}

fn write_fit(report: &CalibrationReport<'_>, path: &Path) -> Result<(), ReportError> {
    let fit = report.fit;
    let err = csv_error(path);
    let mut writer = csv_writer(path)?;
    writer
        .write_record([
            "scope",
            "name_zh",
            "year",
            "quantity",
            "group",
            "observed",
            "start_run",
            "fitted_run",
            "log_error_start",
            "log_error_fitted",
        ])
        .map_err(&err)?;
    let log_error =
        |p: Option<f64>, o: f64| p.map_or(String::new(), |p| (p.ln() - o.ln()).to_string());
    for ((o, start), fitted) in fit
        .observations
        .iter()
        .zip(&fit.predicted_start)
        .zip(&fit.predicted)
    {
        let (id, name) = scope_labels(report.data, o.scope);
        writer
            .write_record([
                id,
                name,
                o.year.to_string(),
                o.quantity.id().to_string(),
                o.group().id().to_string(),
                format!("{:.1}", o.value),
                start.map_or(String::new(), |v| format!("{v:.1}")),
                fitted.map_or(String::new(), |v| format!("{v:.1}")),
                log_error(*start, o.value),
                log_error(*fitted, o.value),
            ])
            .map_err(&err)?;
    }
    finish(writer, path)
}

/// The human-readable report (also printed by the CLI).
pub fn markdown(report: &CalibrationReport<'_>) -> String {
    let fit = report.fit;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# Calibration of `{}` to {}–2014\n",
        report.scenario.name,
        report.scenario.start_year + 1
    );
    let _ = writeln!(
        text,
        "{} observations; Nelder–Mead: {} iterations, {} model runs ({} refused).\n",
        fit.observations.len(),
        fit.iterations,
        fit.evaluations,
        fit.refused
    );
    let _ = writeln!(
        text,
        "| loss (mean squared log error) | n | start | fitted |"
    );
    let _ = writeln!(text, "|---|---:|---:|---:|");
    for (&(group, start), &(_, fitted)) in fit.group_losses_start.iter().zip(&fit.group_losses) {
        let n = fit.observations_in(group);
        let _ = writeln!(
            text,
            "| {} | {n} | {start:.6} (RMS {:.2} %) | {fitted:.6} (RMS {:.2} %) |",
            group_label(group),
            100.0 * (start).sqrt(),
            100.0 * (fitted).sqrt()
        );
    }
    let _ = writeln!(
        text,
        "| **total** | {} | {:.6} | {:.6} |\n",
        fit.observations.len(),
        fit.loss_start,
        fit.loss
    );
    let _ = writeln!(
        text,
        "| parameter | start | fitted | ± s.e. (approx.) | searched | note |"
    );
    let _ = writeln!(text, "|---|---:|---:|---:|---|---|");
    for (i, name) in fit.names.iter().enumerate() {
        let spec = &SPECS[spec_index(name).expect("known")];
        let _ = writeln!(
            text,
            "| {name} ({}) | {} | {:.4} | {} | {}–{} | {} |",
            spec.symbol,
            fit.start[i],
            written_value(fit, i),
            standard_error_text(fit, i),
            fit.ranges[i].0,
            fit.ranges[i].1,
            if fit.at_bound(i) { "at a bound" } else { "" }
        );
    }
    for (name, reason) in &fit.dropped {
        let _ = writeln!(text, "| {name} | — | — | — | — | not fitted: {reason} |");
    }
    let _ = writeln!(
        text,
        "\nRMS = root of the mean squared log error (≈ a typical % error). Standard errors come from the Gauss–Newton approximation with independent errors; a unit's errors are correlated across years, so they understate the uncertainty."
    );
    let gdp = report.gdp_persistence;
    let _ = writeln!(
        text,
        "\n## GDP trend decay δ and catch-up β_c, measured on pseudo-forecasts before 2014\n\nTrends over 2010–12, 2011–13 and 2010–13 ({} units), scored on the years left to 2014; loss = SSE ÷ the no-signal SSE, summed over the three windows (3 = no skill; docs/CALIBRATION.md §6).\n",
        gdp.units.iter().map(ToString::to_string).collect::<Vec<_>>().join("/")
    );
    let (header, values) = gdp_profile_row(gdp);
    let _ = writeln!(text, "| δ (β_c at its best) | {} |", header.join(" | "));
    let _ = writeln!(text, "|---|{}", "---:|".repeat(header.len()));
    let _ = writeln!(text, "| loss | {} |", values.join(" | "));
    let _ = writeln!(text, "\n{}", gdp_best_sentence(report));
    text
}

/// "Best: δ = …, β_c = … (loss …); this scenario's δ = …, β_c = …: loss …."
pub(crate) fn gdp_best_sentence(report: &CalibrationReport<'_>) -> String {
    let (gdp, params) = (report.gdp_persistence, &report.scenario.params);
    format!(
        "Best: δ = {:.2}, β_c = {:.3} (loss {:.3}); this scenario's δ = {}, β_c = {}: loss {:.3}.",
        gdp.trend_decay,
        gdp.income_convergence,
        gdp.loss,
        params.trend_decay(),
        params.income_convergence(),
        gdp.loss_at_reference
    )
}

/// The δ profile at every second grid point (0, 0.1, …, 1): headers and losses, as text.
pub(crate) fn gdp_profile_row(gdp: &GdpPersistence) -> (Vec<String>, Vec<String>) {
    gdp.decay_profile
        .iter()
        .step_by(2)
        .map(|&(decay, loss)| (format!("{decay:.1}"), format!("{loss:.3}")))
        .unzip()
}

pub(crate) fn group_label(group: Group) -> &'static str {
    match group {
        Group::UnitPopulation => "unit population",
        Group::UnitGdp => "unit GDP (2014 prices)",
        Group::ProvincialTotals => "provincial totals of plan units",
    }
}

/// `manifest.json`: the scenario and data with their hashes, the fit (losses, parameters with
/// start, fitted value and standard error) and the hashes of `outputs`.
pub fn write_manifest(
    report: &CalibrationReport<'_>,
    dir: &Path,
    outputs: &[String],
) -> Result<(), ReportError> {
    let fit = report.fit;
    let output_hashes = super::output_hashes(dir, outputs)?;
    let manifest = json!({
        "engine": { "name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION") },
        "command": "calibrate",
        "scenario": {
            "name": report.scenario.name,
            "file": report.scenario.source.as_ref().map(|p| p.display().to_string()),
            "sha256": report.scenario.source_hash,
            "extends_chain": report.scenario.sources.iter()
                .map(|(file, sha256)| json!({ "file": file, "sha256": sha256 }))
                .collect::<Vec<_>>(),
            "start_year": report.scenario.start_year,
        },
        "data": { "source": report.data.source.to_string(), "sha256": report.data.hashes },
        "fit": {
            "method": "Nelder–Mead (argmin 0.10) on a logistic transform of each parameter's sweep range",
            "observations": fit.observations.len(),
            "loss_start": fit.loss_start,
            "loss": fit.loss,
            "groups": fit.group_losses.iter().map(|(g, l)| json!({ "group": g.id(), "loss": l })).collect::<Vec<_>>(),
            "iterations": fit.iterations,
            "model_runs": fit.evaluations,
            "refused_runs": fit.refused,
            "parameters": fit.names.iter().enumerate().map(|(i, name)| json!({
                "name": name,
                "start": fit.start[i],
                "fitted": written_value(fit, i),
                "standard_error": fit.standard_errors[i],
                "search_range": [fit.ranges[i].0, fit.ranges[i].1],
                "at_bound": fit.at_bound(i),
            })).collect::<Vec<_>>(),
            "not_fitted": fit.dropped.iter().map(|(n, r)| json!({ "name": n, "reason": r })).collect::<Vec<_>>(),
        },
        "outputs": output_hashes,
    });
    let path = dir.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest).expect("JSON of plain values") + "\n";
    std::fs::write(&path, text).map_err(|source| ReportError::Io { path, source })
}

/// The two charts of the fit: population (both kinds) and GDP.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FitQuantity {
    Population,
    Gdp,
}

/// Observed against fitted for the units (provincial totals are in fit.csv), one colour per
/// year, labelled in the last year only so that each unit is named once.
pub fn fit_chart(report: &CalibrationReport<'_>, quantity: FitQuantity) -> ScatterChart {
    let fit = report.fit;
    let wanted = |q: Quantity| match quantity {
        FitQuantity::Population => q != Quantity::Gdp,
        FitQuantity::Gdp => q == Quantity::Gdp,
    };
    let rows: Vec<(usize, f64, f64, i32)> = fit
        .observations
        .iter()
        .zip(&fit.predicted)
        .filter_map(|(o, p)| match (o.scope, p) {
            (Scope::Unit(u), Some(p)) if wanted(o.quantity) => Some((u, o.value, *p, o.year)),
            _ => None,
        })
        .collect();
    let mut years: Vec<i32> = rows.iter().map(|r| r.3).collect();
    years.sort_unstable();
    years.dedup();
    let last = years.last().copied().unwrap_or_default();
    let points = rows
        .iter()
        .map(|&(u, observed, fitted, year)| ScatterPoint {
            label: if year == last {
                short_zh(&report.data.units[u].name_zh).to_string()
            } else {
                String::new()
            },
            x: observed,
            y: fitted,
            group: years.iter().position(|&y| y == year).unwrap_or(0),
        })
        .collect();
    let group = match quantity {
        FitQuantity::Population => Group::UnitPopulation,
        FitQuantity::Gdp => Group::UnitGdp,
    };
    let loss_of = |losses: &[(Group, f64)]| {
        losses
            .iter()
            .find(|(g, _)| *g == group)
            .map_or(f64::NAN, |(_, l)| *l)
    };
    let table = vec![
        vec![
            format!("n = {}", rows.len()),
            "均方对数误差 MSLE".to_string(),
            "RMS".to_string(),
        ],
        vec![
            "起点 start".to_string(),
            format!("{:.5}", loss_of(&fit.group_losses_start)),
            format!("{:.1}%", 100.0 * loss_of(&fit.group_losses_start).sqrt()),
        ],
        vec![
            "拟合 fitted".to_string(),
            format!("{:.5}", loss_of(&fit.group_losses)),
            format!("{:.1}%", 100.0 * loss_of(&fit.group_losses).sqrt()),
        ],
    ];
    let (title, unit, divisor) = match quantity {
        FitQuantity::Population => ("常住人口 population", "万人", 1e4),
        FitQuantity::Gdp => ("地区生产总值 GDP (2014 prices)", "亿元", 1e8),
    };
    let fitted: Vec<String> = fit
        .names
        .iter()
        .zip(&fit.values)
        .map(|(name, value)| {
            let symbol = spec_index(name).map_or(*name, |i| SPECS[i].symbol);
            format!("{symbol} = {value:.3}")
        })
        .collect();
    ScatterChart {
        title: format!(
            "校准拟合 Calibration fit, {title}, {}–{last}",
            years.first().copied().unwrap_or_default()
        ),
        subtitle: format!(
            "{} — 拟合参数 fitted: {}",
            report.scenario.name,
            fitted.join(", ")
        ),
        x_label: format!("观测 observed ({unit})"),
        y_label: format!("拟合 fitted run ({unit})"),
        divisor,
        groups: years.iter().map(ToString::to_string).collect(),
        points,
        band_pct: Some(10.0),
        diagonal_label: "45° 线: 预测 = 观测 perfect forecast".into(),
        not_drawn_reason: String::new(),
        table,
        notes: vec![
            "MSLE: 对数误差平方均值 mean squared log error".to_string(),
            "RMS ≈ 典型误差 typical % error".to_string(),
            "标注: 最后一年 labels: last year".to_string(),
        ],
    }
}
