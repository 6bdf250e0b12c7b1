//! Sweep outputs: samples.csv (streamed by the caller, a chunk of rows at a time), indices.csv,
//! target_probabilities.csv, bands.csv, manifest.json,
//! and charts (SVG + PNG): `indices_<output>` (Sobol S1/ST with bootstrap intervals, Morris
//! μ*/σ), `tornado_<output>` (one-at-a-time swings) and `fan` (Monte Carlo population bands).

use std::fmt::Write as _;
use std::path::Path;

use serde_json::json;

use super::charts::{
    self, FanChart, FanPanel, IndexBars, IndexSeries, LineChart, Panel, ScatterChart, ScatterPoint,
    Series, TargetMarker,
};
use super::compare::field;
use super::ReportError;
use crate::data::PlanRole;
use crate::sweep::bands::BandMethod;
use crate::sweep::estimators;
use crate::sweep::run::{self, Design, Method, Quantity, RunResult, Summary, Sweep};
use crate::sweep::sampling::SaltelliDesign;

fn write(
    dir: &Path,
    name: &str,
    text: String,
    written: &mut Vec<String>,
) -> Result<(), ReportError> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|source| ReportError::Io { path, source })?;
    written.push(name.to_string());
    Ok(())
}

/// The header of `samples.csv`: one row per run with its parameter values, outputs and status.
pub fn samples_header(sweep: &Sweep) -> String {
    let mut out = String::from("sample");
    for factor in &sweep.factors {
        let _ = write!(out, ",{}", field(&factor.name));
    }
    for output in &sweep.outputs {
        let _ = write!(out, ",{}", output.label);
    }
    out.push_str(",status\n");
    out
}

/// Appends the `samples.csv` rows of `results`, the first being sample `first` (the file is
/// written a chunk at a time, never held whole).
pub fn append_samples(sweep: &Sweep, first: usize, results: &[RunResult], out: &mut String) {
    for (i, result) in results.iter().enumerate() {
        let _ = write!(out, "{}", first + i);
        for k in 0..sweep.factors.len() {
            match result.parameters.get(k) {
                Some(v) => {
                    let _ = write!(out, ",{v:.9}");
                }
                None => out.push(','),
            }
        }
        match &result.outputs {
            Ok(values) => {
                for value in values {
                    let _ = write!(out, ",{value:.1}");
                }
                out.push_str(",ok\n");
            }
            Err(reason) => {
                for _ in &sweep.outputs {
                    out.push(',');
                }
                let _ = writeln!(out, ",\"rejected: {}\"", reason.replace('"', "'"));
            }
        }
    }
}

/// `samples.csv` of `results` in one string (small sweeps and tests).
pub fn samples_csv(sweep: &Sweep, results: &[RunResult]) -> String {
    let mut out = samples_header(sweep);
    append_samples(sweep, 0, results, &mut out);
    out
}

/// Writes the tables and charts of a sweep into `dir`: `indices.csv` (of `indices`), for Monte
/// Carlo `target_probabilities.csv` (of `probabilities`), `bands.csv` and the fan chart, then
/// the index and convergence charts — every sweep file but `samples.csv`, `report.html` and
/// `manifest.json` (see `report::outputs::write_sweep`). Returns the names written.
pub fn write_data(
    sweep: &Sweep,
    design: &Design,
    summary: &Summary,
    indices: &[std::collections::BTreeMap<&'static str, String>],
    probabilities: &[TargetProbability],
    dir: &Path,
) -> Result<Vec<String>, ReportError> {
    let mut written = Vec::new();
    let mut text = String::new();
    if let Some(first) = indices.first() {
        // `unit` says what the numbers after it are in: without it a reader cannot tell a
        // Morris μ* in persons from one in yuan.
        let header: Vec<&str> = ["parameter", "output", "unit"]
            .into_iter()
            .chain(
                first
                    .keys()
                    .copied()
                    .filter(|k| *k != "parameter" && *k != "output"),
            )
            .collect();
        let _ = writeln!(text, "{}", header.join(","));
        for row in indices {
            let output = row.get("output").map_or("", String::as_str);
            let cells: Vec<String> = header
                .iter()
                .map(|&k| match k {
                    "unit" => field(index_unit(sweep, output)),
                    k => field(row.get(k).map_or("", String::as_str)),
                })
                .collect();
            let _ = writeln!(text, "{}", cells.join(","));
        }
    }
    write(dir, "indices.csv", text, &mut written)?;
    if let (Method::MonteCarlo { .. }, Some(bands)) = (&sweep.method, &summary.bands) {
        // A run counts as meeting a target when its *central* estimate does
        // (targets::TargetRow::met_at_central): the probability is over the sampled parameters
        // at the central share, not over the share's own range. `measure` is targets.csv's: a
        // target of 130 is km² on a land row and would otherwise read as persons.
        let mut text = String::from(
            "target_id,unit_id,indicator,year,target,measure,runs,met_at_central,probability,low,high\n",
        );
        for row in probabilities {
            let _ = writeln!(
                text,
                "{},{},{},{},{},{},{},{},{:.4},{:.4},{:.4}",
                row.target_id,
                row.unit_id,
                row.indicator,
                row.year,
                row.target,
                row.measure,
                row.runs,
                row.met,
                row.probability,
                row.low,
                row.high
            );
        }
        write(dir, "target_probabilities.csv", text, &mut written)?;
        let years = run::years(sweep);
        let units = sweep.data.units.len();
        let cells = bands
            .quantiles()
            .map_err(|err| ReportError::Sweep(err.to_string()))?;
        let bands_by_year: Vec<Vec<[f64; 5]>> =
            cells.chunks_exact(units).map(<[_]>::to_vec).collect();
        let mut text = String::from("year,unit_id,variable,p5,p25,p50,p75,p95\n");
        for (t, year) in years.iter().enumerate() {
            for (u, unit) in sweep.data.units.iter().enumerate() {
                let b = bands_by_year[t][u];
                let _ = writeln!(
                    text,
                    "{year},{},population,{:.1},{:.1},{:.1},{:.1},{:.1}",
                    unit.id, b[0], b[1], b[2], b[3], b[4]
                );
            }
        }
        write(dir, "bands.csv", text, &mut written)?;
        let chart = fan_chart(
            sweep,
            &years,
            &bands_by_year,
            summary.accepted,
            summary.runs,
        );
        draw(dir, "fan", &mut written, |d, stem| {
            charts::draw_fan_chart(&chart, d, stem)
        })?;
    }
    index_charts(sweep, indices, dir, &mut written)?;
    if let Design::Sobol(saltelli) = design {
        convergence(sweep, saltelli, summary, dir, &mut written)?;
    }
    Ok(written)
}

/// `manifest.json`: the sweep and base scenario with their hashes, the factors and outputs,
/// the runs and rejected samples, the data hashes and, for Monte Carlo bands, how their
/// quantiles were computed.
pub fn write_manifest(sweep: &Sweep, summary: &Summary, dir: &Path) -> Result<(), ReportError> {
    let rejected = &summary.rejected;
    let band_method = match (&sweep.method, &summary.bands) {
        (Method::MonteCarlo { .. }, Some(bands)) => Some(bands.method()),
        _ => None,
    };
    let manifest = json!({
        "engine": { "name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION") },
        "sweep": { "name": sweep.name, "sha256": sweep.source_hash, "seed": sweep.seed, "method": format!("{:?}", sweep.method) },
        "base_scenario": { "name": sweep.base.name, "sha256": sweep.base.source_hash },
        "factors": sweep.factors.iter().map(|f| factor_json(sweep, f)).collect::<Vec<_>>(),
        "outputs": sweep.outputs.iter().map(|o| o.label.clone()).collect::<Vec<_>>(),
        "runs": summary.runs,
        "rejected": rejected.iter().map(|(i, reason)| json!({ "sample": i, "reason": reason })).collect::<Vec<_>>(),
        "data_sha256": sweep.data.hashes,
    });
    let mut manifest = manifest;
    if let Some(method) = band_method {
        manifest["bands"] = match method {
            BandMethod::Exact => json!({ "method": "exact sample quantiles (type 7)" }),
            BandMethod::Histogram { max_relative_error } => json!({
                "method": "log-spaced histograms (type 7 on bin midpoints)",
                "max_relative_error": max_relative_error,
            }),
        };
    }
    let text =
        serde_json::to_string_pretty(&manifest).expect("JSON values always serialise") + "\n";
    let path = dir.join("manifest.json");
    std::fs::write(&path, text).map_err(|source| ReportError::Io { path, source })
}

/// A factor in manifest.json: its name and distribution and, for a lever factor, what it
/// varies and the base scenario's levers it moves (a `*` name moves several).
fn factor_json(sweep: &Sweep, factor: &run::Factor) -> serde_json::Value {
    let mut value = json!({ "name": factor.name, "distribution": factor.distribution.to_string() });
    let (varies, policies) = match &factor.kind {
        run::FactorKind::Parameter(_) => return value,
        run::FactorKind::LeverYear { policies, .. } => ("start year", policies),
        run::FactorKind::LeverStrength { policies } => ("strength", policies),
    };
    value["varies"] = json!(varies);
    value["levers"] = json!(policies
        .iter()
        .map(|&p| sweep.base.policies[p].label.clone())
        .collect::<Vec<_>>());
    value
}

/// One row of `target_probabilities.csv`: the share of accepted runs meeting a target (for a
/// land ceiling, staying within it).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetProbability {
    pub target_id: String,
    /// Unit id, or `ALL` for region-wide targets.
    pub unit_id: String,
    pub indicator: String,
    pub year: i32,
    pub target: f64,
    /// Unit of `target`, as in targets.csv (persons, km2).
    pub measure: String,
    /// Runs that gave a verdict, and those that met the target (or stayed within the ceiling).
    pub runs: usize,
    pub met: usize,
    /// Estimate and Wilson 95 % interval.
    pub probability: f64,
    pub low: f64,
    pub high: f64,
}

impl TargetProbability {
    /// Whether the target is a land ceiling, whose probability is of staying within it.
    pub fn is_ceiling(&self) -> bool {
        crate::targets::is_ceiling(&self.indicator)
    }
}

/// What the probability of a population target is called, on the terminal and the page.
pub const P_MEETS_TARGET: &str = "P(central estimate meets target)";

/// What the probability of a land ceiling is called: a ceiling kept is not "met", as it is kept
/// mostly because the centre's population falls short (docs/TARGETS.md, Verdicts).
pub const P_WITHIN_CEILING: &str = "P(central estimate within ceiling)";

/// [`P_WITHIN_CEILING`] for a ceiling, else [`P_MEETS_TARGET`].
pub fn probability_name(ceiling: bool) -> &'static str {
    if ceiling {
        P_WITHIN_CEILING
    } else {
        P_MEETS_TARGET
    }
}

/// The regional-centre target a `TargetMet` output asks about (`None` for other outputs).
fn asked_target<'a>(sweep: &'a Sweep, output: &run::Output) -> Option<&'a crate::data::Target> {
    let Quantity::TargetMet(position) = output.quantity else {
        return None;
    };
    sweep
        .data
        .targets
        .iter()
        .filter(|t| crate::targets::is_centre_target(t))
        .nth(position)
}

/// Whether `output` is a `TargetMet` of a land ceiling: its 1 means "within", not "met".
pub fn asks_about_ceiling(sweep: &Sweep, output: &run::Output) -> bool {
    asked_target(sweep, output).is_some_and(|t| crate::targets::is_ceiling(&t.indicator))
}

/// The numbers a planner reads first after a Monte Carlo sweep, for the terminal: each
/// output's median and 90 % range, and each target's probability of being met (at the central
/// estimate) with its Wilson 95 % interval. A sweep that names targets among its outputs
/// (`TargetMet`) asked about those: the other targets are then only pointed to in
/// target_probabilities.csv. Empty for the other methods (their indices are in indices.csv
/// and report.html).
pub fn headline(sweep: &Sweep, design: &Design, summary: &Summary) -> Result<String, ReportError> {
    if !matches!(sweep.method, Method::MonteCarlo { .. }) {
        return Ok(String::new());
    }
    let indices =
        run::indices(sweep, design, summary).map_err(|err| ReportError::Sweep(err.to_string()))?;
    let mut out = String::new();
    let asks_for_targets = sweep
        .outputs
        .iter()
        .any(|o| matches!(o.quantity, Quantity::TargetMet(_)));
    let asks_for_quantities = sweep
        .outputs
        .iter()
        .any(|o| !matches!(o.quantity, Quantity::TargetMet(_)));
    // The header says what the rows are: a target's row is a probability with its Wilson
    // interval, not a median with percentiles.
    let rows_are = match (asks_for_targets, asks_for_quantities) {
        (true, true) => "for a target the probability (Wilson 95 % interval), for the others the median (5th–95th percentile)",
        (true, false) => "probability (Wilson 95 % interval)",
        (false, _) => "median (5th–95th percentile)",
    };
    let _ = writeln!(
        out,
        "\nOutputs over {} accepted runs: {rows_are}",
        summary.accepted
    );
    // Monte Carlo: one row per output, in order.
    let width = sweep
        .outputs
        .iter()
        .map(|o| o.label.chars().count())
        .max()
        .unwrap_or(0)
        .max(32);
    for (row, output) in indices.iter().zip(&sweep.outputs) {
        let number = |key: &str| row.get(key).and_then(|v| v.parse::<f64>().ok());
        let label = &output.label;
        if let Quantity::TargetMet(_) = output.quantity {
            // In percent with one decimal: 0 of 1,000 runs has a Wilson upper bound of 0.4 %,
            // which two decimals of a share printed as 0.00.
            let (Some(p), Some(low), Some(high)) = (
                number("mean"),
                number("wilson_lower"),
                number("wilson_upper"),
            ) else {
                continue;
            };
            let _ = writeln!(
                out,
                "  {label:<width$} {} {:.1} % ({:.1}–{:.1} %, Wilson 95 %)",
                probability_name(asks_about_ceiling(sweep, output)),
                100.0 * p,
                100.0 * low,
                100.0 * high
            );
            continue;
        }
        let (Some(p5), Some(p50), Some(p95)) = (number("p5"), number("p50"), number("p95")) else {
            continue;
        };
        let (scale, unit, decimals) = output_scale(output);
        let _ = writeln!(
            out,
            "  {label:<width$} {:>10.decimals$}{unit} ({:.decimals$}–{:.decimals$})",
            p50 / scale,
            p5 / scale,
            p95 / scale
        );
    }
    let probabilities = target_probabilities(sweep, summary)?;
    if asks_for_targets && !probabilities.is_empty() {
        let _ = writeln!(
            out,
            "{P_MEETS_TARGET}, or within ceiling for land, of all {} targets: target_probabilities.csv",
            probabilities.len()
        );
    } else {
        // Population targets and land ceilings apart, each under the name of its probability.
        for (ceiling, kind) in [(false, "population targets"), (true, "land ceilings")] {
            let rows: Vec<&TargetProbability> = probabilities
                .iter()
                .filter(|p| p.is_ceiling() == ceiling)
                .collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "{} of the {kind}, with Wilson 95 % interval (target_probabilities.csv):",
                probability_name(ceiling)
            );
            for p in rows {
                let _ = writeln!(
                    out,
                    "  {:<32} {:>5.1} % ({:.1}–{:.1} %)",
                    p.target_id,
                    100.0 * p.probability,
                    100.0 * p.low,
                    100.0 * p.high
                );
            }
        }
    }
    if !probabilities.is_empty() {
        let _ = writeln!(out, "{P_MET_NOTE}");
    }
    Ok(out.trim_end().to_string())
}

/// P(target met), or within a land ceiling, for every target some run could judge (Monte Carlo
/// sweeps; empty otherwise).
pub fn target_probabilities(
    sweep: &Sweep,
    summary: &Summary,
) -> Result<Vec<TargetProbability>, ReportError> {
    if !matches!(sweep.method, Method::MonteCarlo { .. }) || summary.bands.is_none() {
        return Ok(Vec::new());
    }
    let mut rows = Vec::new();
    // The regional-centre targets in scorecard order (the order of `summary.targets`).
    let centre_targets = sweep
        .data
        .targets
        .iter()
        .filter(|t| crate::targets::is_centre_target(t));
    for (target, &(events, verdicts)) in centre_targets.zip(&summary.targets) {
        if verdicts == 0 {
            continue;
        }
        let p = estimators::event_probability(events, verdicts, 0.95)
            .map_err(|err| ReportError::Sweep(err.to_string()))?;
        rows.push(TargetProbability {
            target_id: target.target_id.clone(),
            unit_id: target
                .unit
                .map_or("ALL".to_string(), |u| sweep.data.units[u].id.clone()),
            indicator: target.indicator.clone(),
            year: target.year,
            target: target.value,
            measure: target.unit_of_measure.clone(),
            runs: verdicts,
            met: events,
            probability: p.estimate,
            low: p.low,
            high: p.high,
        });
    }
    Ok(rows)
}

/// Sobol convergence: the indices re-estimated on the first N base samples for N = 4, 8, …
/// up to the full design (the first 2^k points of a Sobol′ sequence are a balanced design of
/// their own), written to `convergence.csv` and drawn per output as `convergence_<output>`.
fn convergence(
    sweep: &Sweep,
    design: &SaltelliDesign,
    summary: &Summary,
    dir: &Path,
    written: &mut Vec<String>,
) -> Result<(), ReportError> {
    let per_sample = design.rows_per_base_sample();
    let sizes: Vec<usize> = (2..)
        .map(|k| 1usize << k)
        .take_while(|&n| n <= design.n)
        .collect();
    let mut text = String::from("parameter,output,base_samples,runs,S1,ST\n");
    for (k, output) in sweep.outputs.iter().enumerate() {
        let mut total: Vec<Vec<f64>> = vec![Vec::new(); sweep.factors.len()];
        for &n in &sizes {
            let subset = SaltelliDesign {
                n,
                d: design.d,
                rows: design.rows[..n * per_sample].to_vec(),
            };
            let values = &summary.outputs[k][..n * per_sample];
            let indices = run::sobol_or_zero(&subset, values, sweep.seed)
                .map_err(|err| ReportError::Sweep(err.to_string()))?;
            for (i, factor) in sweep.factors.iter().enumerate() {
                let _ = writeln!(
                    text,
                    "{},{},{n},{},{:.6},{:.6}",
                    field(&factor.name),
                    output.label,
                    n * per_sample,
                    indices.first_order[i].value,
                    indices.total[i].value
                );
                total[i].push(indices.total[i].value);
            }
        }
        let chart = LineChart {
            title: format!(
                "Sobol 总效应指数收敛 convergence of total indices: {}",
                output_title(sweep, output)
            ),
            subtitle: subtitle(sweep, &format!("{} 次运行 runs", summary.runs)),
            x_label: "基础样本数 base samples N (runs = N·(d + 2)), 对数刻度 log scale".into(),
            panels: vec![Panel {
                title: "ST 总效应 total index".into(),
                y_label: "ST".into(),
                y_divisor: 1.0,
                log_y: false,
                y_from_zero: false,
                log_x: true,
                series: sweep
                    .factors
                    .iter()
                    .zip(&total)
                    .map(|(factor, values)| Series {
                        label: parameter_label(&factor.name),
                        years: sizes.iter().map(|&n| n as i32).collect(),
                        values: values.clone(),
                        dashed: false,
                        band: None,
                        error_bars: Vec::new(),
                    })
                    .collect(),
                targets: Vec::new(),
                band_label: String::new(),
                error_bar_label: String::new(),
            }],
        };
        let stem = format!("convergence_{}", file_safe(&output.label));
        draw(dir, &stem, written, |d, stem| {
            charts::draw_line_chart(&chart, d, stem)
        })?;
    }
    write(dir, "convergence.csv", text, written)
}

/// Draws one chart as `<stem>.svg` and `<stem>.png` and records both names.
fn draw(
    dir: &Path,
    stem: &str,
    written: &mut Vec<String>,
    f: impl FnOnce(&Path, &str) -> Result<(), charts::ChartError>,
) -> Result<(), ReportError> {
    f(dir, stem)?;
    written.push(format!("{stem}.svg"));
    written.push(format!("{stem}.png"));
    Ok(())
}

/// `label` as a file-name fragment: ASCII letters, digits, `_` and `-` kept, anything else `_`.
pub fn file_safe(label: &str) -> String {
    let s: String = label
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '_' || ch == '-' {
                ch
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "output".to_string()
    } else {
        s
    }
}

fn subtitle(sweep: &Sweep, runs: &str) -> String {
    format!(
        "扫描 sweep: {} · {runs} · 种子 seed {} · 基准情景 base: {} · simulate {}",
        sweep.name,
        sweep.seed,
        sweep.base.name,
        env!("CARGO_PKG_VERSION")
    )
}

/// The unit of the numbers of an `indices.csv` row about the output labelled `output`: Sobol
/// indices are shares of the output's variance; Morris effects, one-at-a-time outputs and
/// swings and Monte Carlo quantiles are in the output's own unit, unscaled (persons, not 万人).
fn index_unit(sweep: &Sweep, output: &str) -> &'static str {
    if matches!(sweep.method, Method::Sobol { .. }) {
        return "share of variance";
    }
    let Some(output) = sweep.outputs.iter().find(|o| o.label == output) else {
        return "";
    };
    match output.quantity {
        Quantity::Population | Quantity::UrbanPopulation => "persons",
        // Moves in minus moves out during the year.
        Quantity::NetMigration => "persons per year",
        Quantity::Gdp => "yuan (2014 prices)",
        Quantity::GdpPerHead => "yuan per person (2014 prices)",
        // 1 when the target is met at the central estimate: a mean is a share of runs.
        Quantity::TargetMet(_) if asks_about_ceiling(sweep, output) => {
            "indicator (1 within ceiling / 0 over)"
        }
        Quantity::TargetMet(_) => "indicator (1 met / 0 not)",
    }
}

/// Display divisor and unit of an output: 万人 for people, 亿元 for GDP, 元 for GDP per
/// head, a share for a target's indicator.
fn output_unit(sweep: &Sweep, output: &run::Output) -> (f64, &'static str) {
    match output.quantity {
        Quantity::Gdp => (1e8, "亿元 100M yuan, 2014 prices"),
        Quantity::GdpPerHead => (1.0, "元/人 yuan per person, 2014 prices"),
        Quantity::TargetMet(_) if asks_about_ceiling(sweep, output) => (
            1.0,
            "指标 indicator: 1 未超上限 within ceiling, 0 超出 over",
        ),
        Quantity::TargetMet(_) => (1.0, "指标 indicator: 1 达成 met, 0 未达成 missed"),
        Quantity::Population | Quantity::UrbanPopulation | Quantity::NetMigration => {
            (1e4, "万人 10k persons")
        }
    }
}

/// Display divisor, short unit and decimals of an output in tables and on the terminal.
pub fn output_scale(output: &run::Output) -> (f64, &'static str, usize) {
    match output.quantity {
        Quantity::Gdp => (1e8, "亿元", 0),
        Quantity::GdpPerHead => (1.0, "元/人", 0),
        Quantity::TargetMet(_) => (1.0, "", 3),
        Quantity::Population | Quantity::UrbanPopulation => (1e4, "万人", 1),
        // Moves in minus moves out during the year.
        Quantity::NetMigration => (1e4, "万人/年", 1),
    }
}

/// Sensitivity charts per output from the rows of `indices.csv` (so the figures show exactly
/// the numbers written there): Sobol and Morris `indices_<output>`, one-at-a-time
/// `tornado_<output>`; nothing for Monte Carlo.
fn index_charts(
    sweep: &Sweep,
    indices: &[std::collections::BTreeMap<&'static str, String>],
    dir: &Path,
    written: &mut Vec<String>,
) -> Result<(), ReportError> {
    let (prefix, method) = match sweep.method {
        Method::Sobol { .. } => ("indices", "Sobol"),
        Method::Morris { .. } => ("indices", "Morris"),
        Method::OneAtATime => ("tornado", "OAT"),
        Method::MonteCarlo { .. } => return Ok(()),
    };
    let mut stems: Vec<String> = Vec::new();
    // `indices` holds one row per factor for each output in turn (an output listed twice
    // has the same label twice, so rows are taken by position, not by label).
    let d = sweep.factors.len();
    for (k, output) in sweep.outputs.iter().enumerate() {
        let rows: Vec<_> = indices
            .iter()
            .skip(k * d)
            .take(d)
            .filter(|r| r.get("output") == Some(&output.label))
            .collect();
        let num = |key: &str| -> Vec<f64> {
            rows.iter()
                .map(|r| {
                    r.get(key)
                        .and_then(|v| v.parse::<f64>().ok())
                        .unwrap_or(f64::NAN)
                })
                .collect()
        };
        let names: Vec<&str> = rows
            .iter()
            .map(|r| r.get("parameter").map_or("", String::as_str))
            .collect();
        let parameters: Vec<String> = names.iter().map(|n| parameter_label(n)).collect();
        let descriptions: Vec<String> = names.iter().map(|n| parameter_meaning(n)).collect();
        let (div, unit) = output_unit(sweep, output);
        let scaled = |key: &str| -> Vec<f64> { num(key).iter().map(|v| v / div).collect() };
        let runs = format!("{} 次运行 runs", sweep_runs(sweep));
        let (title, sub, value_label, series, sort_by, note) = match method {
            "Sobol" => {
                let with_conf = |key: &str, label: &str| {
                    let (v, conf) = (num(key), num(&format!("{key}_conf")));
                    IndexSeries {
                        label: label.to_string(),
                        low: Some(v.iter().zip(&conf).map(|(v, c)| v - c).collect()),
                        high: Some(v.iter().zip(&conf).map(|(v, c)| v + c).collect()),
                        values: v,
                    }
                };
                (
                    format!("Sobol 敏感性指数 sensitivity indices: {}", output_title(sweep, output)),
                    format!("{} · 区间 = 自助法 95% 置信区间 bootstrap 95% intervals", subtitle(sweep, &runs)),
                    "输出方差占比 share of output variance (S1 一阶 first order · ST 总效应 total, incl. interactions)".to_string(),
                    vec![with_conf("S1", "S1 一阶 first order"), with_conf("ST", "ST 总效应 total")],
                    // By the total index: what a parameter explains with its interactions.
                    1,
                    SOBOL_NOISE_NOTE.to_string(),
                )
            }
            "Morris" => (
                format!("Morris 基本效应 elementary effects: {}", output_title(sweep, output)),
                subtitle(sweep, &runs),
                format!("基本效应 elementary effect ({unit}) per full parameter range (μ* 平均绝对效应 mean |effect| · σ 标准差 s.d.: 非线性或交互 non-linearity or interactions)"),
                vec![
                    IndexSeries { label: "μ* 平均绝对效应 mean |effect|".into(), values: scaled("mu_star"), low: None, high: None },
                    IndexSeries { label: "σ 标准差 s.d.".into(), values: scaled("sigma"), low: None, high: None },
                ],
                0,
                String::new(),
            ),
            _ => {
                // Bars start at the base output (every parameter at its median): one bar for the
                // parameter at its 5th percentile, one at its 95th, signed.
                let base = scaled("base_output");
                let from_base = |key: &str| -> Vec<f64> {
                    scaled(key).iter().zip(&base).map(|(v, b)| v - b).collect()
                };
                (
                    format!("龙卷风图 Tornado: {}", output_title(sweep, output)),
                    format!(
                        "{} · 基准 base = {:.1} {unit} (其余参数取中位 all parameters at median)",
                        subtitle(sweep, &runs),
                        base.first().copied().unwrap_or(f64::NAN)
                    ),
                    format!("相对基准的变化 change from the base ({unit}) with the parameter at its 5th (low) or 95th (high) percentile"),
                    vec![
                        IndexSeries { label: "低 low (5th percentile)".into(), values: from_base("low_output"), low: None, high: None },
                        IndexSeries { label: "高 high (95th percentile)".into(), values: from_base("high_output"), low: None, high: None },
                    ],
                    0,
                    String::new(),
                )
            }
        };
        let chart = IndexBars {
            title,
            subtitle: sub,
            value_label,
            parameters,
            descriptions,
            series,
            sort_by,
            note,
            keep_order: false,
            decimals: None,
        };
        let mut stem = format!("{prefix}_{}", file_safe(&output.label));
        let base = stem.clone();
        let mut k = 2;
        while stems.contains(&stem) {
            stem = format!("{base}_{k}");
            k += 1;
        }
        stems.push(stem.clone());
        draw(dir, &stem, written, |d, s| {
            charts::draw_index_bars(&chart, d, s)
        })?;
        if method == "Morris" {
            // The usual Morris picture beside the bars: σ against μ*, one point per parameter.
            let names: Vec<&str> = rows
                .iter()
                .map(|r| r.get("parameter").map_or("", String::as_str))
                .collect();
            let chart = morris_scatter(
                sweep,
                output,
                &names,
                (&num("mu_star"), &num("sigma")),
                (div, unit),
            );
            let mstem = stem.replacen("indices", "morris", 1);
            draw(dir, &mstem, written, |d, s| {
                charts::draw_scatter(&chart, d, s)
            })?;
        }
    }
    Ok(())
}

/// How to read Sobol estimates near zero (a line on every Sobol index chart).
pub const SOBOL_NOISE_NOTE: &str = "负的 S1 或 S1 > ST（在 ± 区间内）是估计噪声 a negative S1, or S1 above ST within the ± interval, is estimator noise (S1 ≥ 0 and S1 ≤ ST in theory)";

/// A parameter as a reader knows it: its symbol and its name as a sweep file spells it, e.g.
/// "ε epsilon". Unknown names (levers) are returned as is.
fn parameter_label(name: &str) -> String {
    crate::model::params::SPECS
        .iter()
        .find(|p| p.name == name)
        .map_or(name.to_string(), |p| format!("{} {name}", p.symbol))
}

/// What a parameter means, from the parameter table, without the explanations in parentheses
/// or after a colon or semicolon, e.g. "migration elasticity to real income"; empty for
/// unknown names (levers).
fn parameter_meaning(name: &str) -> String {
    let Some(p) = crate::model::params::SPECS.iter().find(|p| p.name == name) else {
        return String::new();
    };
    let mut meaning = String::new();
    let mut depth = 0usize;
    for ch in p.meaning.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ':' | ';' if depth == 0 => break,
            _ if depth == 0 => meaning.push(ch),
            _ => {}
        }
    }
    meaning.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An output as a reader knows it, e.g. "2030 常住人口 population: 成都 Chengdu" or
/// "… : 全区 plan area", with the sweep file's label for groups of units.
fn output_title(sweep: &Sweep, output: &run::Output) -> String {
    let quantity = match output.quantity {
        Quantity::Population => "常住人口 population",
        Quantity::Gdp => "地区生产总值 GDP",
        Quantity::GdpPerHead => "人均地区生产总值 GDP per head",
        Quantity::UrbanPopulation => "城镇人口 urban population",
        Quantity::NetMigration => "净迁入 net migration",
        Quantity::TargetMet(_) => {
            // "目标达成 target met: 乐山 Leshan 2020 中心城区人口 central-urban pop. ≥ 100 万";
            // a land ceiling's 1 is "within", not "met".
            let Some(target) = asked_target(sweep, output) else {
                return format!("目标达成 target met: {}", output.label);
            };
            let unit_id = target
                .unit
                .map_or("ALL".to_string(), |u| sweep.data.units[u].id.clone());
            let label = super::html::scorecard::target_label(
                &unit_id,
                &target.indicator,
                target.year,
                &sweep.data,
            );
            return if crate::targets::is_ceiling(&target.indicator) {
                format!("未超上限 within ceiling: {label} ≤ {} km²", target.value)
            } else {
                format!("目标达成 target met: {label} ≥ {} 万", target.value / 1e4)
            };
        }
    };
    let units = &sweep.data.units;
    let place = match output.units.as_slice() {
        [u] => units[*u].label(),
        us if us.len() == units.len() => "全区 plan area".to_string(),
        us => format!("{} 个单元 units ({})", us.len(), output.label),
    };
    format!("{} {quantity}: {place}", output.year)
}

/// The Morris μ*–σ plane of one output: parameters far right matter most; above the
/// 45° line (σ > μ*) their effect depends on where the others are (non-linear or
/// interacting). Points are labelled with the parameters' symbols, listed in a side table.
fn morris_scatter(
    sweep: &Sweep,
    output: &run::Output,
    names: &[&str],
    (mu, sigma): (&[f64], &[f64]),
    (div, unit): (f64, &str),
) -> ScatterChart {
    let symbol = |name: &str| {
        crate::model::params::SPECS
            .iter()
            .find(|p| p.name == name)
            .map_or(name.to_string(), |p| p.symbol.to_string())
    };
    // A point the log axes cannot show (μ* or σ of 0) is named in full in the note that lists it.
    let points: Vec<ScatterPoint> = names
        .iter()
        .zip(mu.iter().zip(sigma))
        .map(|(name, (&x, &y))| ScatterPoint {
            label: if x > 0.0 && y > 0.0 {
                symbol(name)
            } else {
                parameter_label(name)
            },
            x,
            y,
            group: 0,
        })
        .collect();
    let fmt = |v: f64| {
        let v = v / div;
        if !v.is_finite() {
            "n/a".to_string()
        } else if v.abs() >= 10.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    };
    let mut order: Vec<usize> = (0..names.len().min(mu.len()).min(sigma.len())).collect();
    order.sort_by(|&a, &b| mu[b].total_cmp(&mu[a]).then(a.cmp(&b)));
    let mut table = vec![vec![String::new(), "μ*".to_string(), "σ".to_string()]];
    table.extend(
        order
            .iter()
            .map(|&i| vec![parameter_label(names[i]), fmt(mu[i]), fmt(sigma[i])]),
    );
    ScatterChart {
        title: format!("Morris μ*–σ 图 plane: {}", output_title(sweep, output)),
        subtitle: subtitle(sweep, &format!("{} 次运行 runs", sweep_runs(sweep))),
        x_label: format!("μ* 平均绝对效应 mean |effect| ({unit})"),
        y_label: format!("σ 标准差 s.d. ({unit})"),
        divisor: div,
        groups: vec!["参数 parameter".to_string()],
        points,
        band_pct: None,
        diagonal_label: "σ = μ*: 线上方非线性或交互 above: non-linear or interacting".to_string(),
        not_drawn_reason:
            "μ* 或 σ 为 0 is 0: 无效应或效应恒定 no or constant effect, not on log axes".to_string(),
        table,
        notes: vec!["越靠右影响越大 further right: more influential".to_string()],
    }
}

/// Runs of the design (for subtitles).
fn sweep_runs(sweep: &Sweep) -> usize {
    let d = sweep.factors.len();
    match sweep.method {
        Method::Morris { trajectories, .. } => trajectories * (d + 1),
        Method::Sobol { base_samples } => base_samples * (d + 2),
        Method::MonteCarlo { samples } => samples,
        Method::OneAtATime => 1 + 2 * d,
    }
}

/// What a sweep's P(target met) is, said once beside the numbers (terminal and report.html).
pub const P_MET_NOTE: &str = "P = share of runs whose central estimate meets the target, or for a land ceiling stays within it (kept mostly because the population falls short: not a success); only the sweep's factors are sampled: the central-urban share's own range (docs/TARGETS.md), data and macro uncertainty are not.";

/// What the fan's bands are: the spread of runs over the sampled parameters, much narrower
/// than a run's own prediction intervals (which add the out-of-sample errors by horizon).
pub const FAN_NOTE: &str = "带 bands: 5–95 % and 25–75 % of runs over the sampled parameters only — not the forecast interval (see a run's trajectories.csv / population chart bands)";

/// Population fan charts for Chengdu and the regional centres (P(target met) is in
/// target_probabilities.csv). The Chongqing core is left out: it is nine units, and quantiles of
/// a sum are not the sum of the units' quantiles.
fn fan_chart(
    sweep: &Sweep,
    years: &[i32],
    bands: &[Vec<[f64; 5]>],
    accepted: usize,
    runs: usize,
) -> FanChart {
    let units = &sweep.data.units;
    let chosen: Vec<usize> = (0..units.len())
        .filter(|&u| units[u].id == "chengdu")
        .chain((0..units.len()).filter(|&u| units[u].plan_role == PlanRole::RegionalCentre))
        .take(charts::FAN_MAX_PANELS)
        .collect();
    let panels = chosen
        .iter()
        .map(|&u| {
            let q = |k: usize| -> Vec<f64> { bands.iter().map(|row| row[u][k]).collect() };
            // No target markers: the 专栏1 targets are about central-urban population, a share
            // of urban population (targets.csv, target_probabilities.csv); beside resident
            // population they would read as met when they are not. (With markers, the page's
            // reading of the fan, report::html::how_to_read, would have to say what they are.)
            let targets: Vec<TargetMarker> = Vec::new();
            FanPanel {
                title: units[u].label(),
                years: years.to_vec(),
                p5: q(0),
                p25: q(1),
                p50: q(2),
                p75: q(3),
                p95: q(4),
                targets,
            }
        })
        .collect();
    FanChart {
        title: "常住人口：仅参数不确定性 Resident population, parameter uncertainty only: 成都与区域中心城市 Chengdu and regional centres".into(),
        subtitle: subtitle(sweep, &format!("蒙特卡洛 Monte Carlo {accepted}/{runs} 次运行被接受 runs accepted")),
        note: FAN_NOTE.into(),
        x_label: "年 year".into(),
        y_label: "常住人口 resident population (万人)".into(),
        y_divisor: 1e4,
        panels,
    }
}

#[cfg(test)]
mod tests {
    use super::{parameter_label, parameter_meaning};

    #[test]
    fn parameters_are_named_for_people() {
        // The symbol and the name a sweep file uses: δ_D and δ can be told apart.
        assert_eq!(parameter_label("epsilon"), "ε epsilon");
        assert_eq!(
            parameter_label("differential_decay"),
            "δ_D differential_decay"
        );
        assert_eq!(parameter_label("trend_decay"), "δ trend_decay");
        assert_eq!(
            parameter_label("hukou_wedge_county"),
            "τh (county) hukou_wedge_county"
        );
        assert_eq!(parameter_label("no_such"), "no_such");
        // Meanings without the explanations in parentheses and after a colon, never cut.
        assert_eq!(
            parameter_meaning("epsilon"),
            "migration elasticity to real income"
        );
        assert_eq!(parameter_meaning("chi"), "congestion elasticity to density");
        assert_eq!(
            parameter_meaning("differential_decay"),
            "yearly decay of each unit's net-migration differential"
        );
        assert_eq!(
            parameter_meaning("trend_decay"),
            "yearly decay of each unit's 2010–2014 relative productivity trend"
        );
        assert_eq!(parameter_meaning("no_such"), "");
    }
}
