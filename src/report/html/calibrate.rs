//! The page of `simulate calibrate`.

use std::path::Path;

use super::{scenario_facts, Cell, Page, Table};
use crate::model::params::{spec_index, SPECS};
use crate::report::calibrate::{
    group_label, standard_error_text, written_value, CalibrationReport,
};
use crate::report::ReportError;

/// Writes `report.html` for a calibration whose files (`written`) are in `dir`; the
/// `manifest.json` written next is linked too.
pub fn write(
    report: &CalibrationReport<'_>,
    dir: &Path,
    written: &[String],
) -> Result<String, ReportError> {
    let fit = report.fit;
    let mut page = Page::new(format!(
        "校准 Calibration of {} to {}–2014",
        report.scenario.name,
        report.scenario.start_year + 1
    ));
    scenario_facts(&mut page, report.scenario, report.data);
    page.fact(
        "拟合 Search",
        format!(
            "Nelder–Mead over {}: {}, {} ({} refused), {}",
            super::count(fit.names.len(), "parameter", "parameters"),
            super::count(
                usize::try_from(fit.iterations).unwrap_or(usize::MAX),
                "iteration",
                "iterations"
            ),
            super::count(fit.evaluations, "model run", "model runs"),
            fit.refused,
            super::count(fit.observations.len(), "observation", "observations")
        ),
    );

    page.heading("结论 The answer: fitted parameters and loss");
    page.paragraph(&format!(
        "The loss (mean squared log error over the groups) fell from {:.6} to {:.6}. Standard errors are approximate (Gauss–Newton); a value at a search bound is a warning that the data push beyond the range. Run the fitted scenario with calibrated.ron.",
        fit.loss_start, fit.loss
    ));
    let mut parameters = Table::new(
        "scorecard",
        "拟合参数 Fitted parameters (parameters.csv)",
        &[
            "parameter",
            "symbol",
            "start",
            "fitted",
            "± s.e. (approx.)",
            "searched",
            "note",
        ],
    );
    for (i, name) in fit.names.iter().enumerate() {
        let symbol = spec_index(name).map_or("", |k| SPECS[k].symbol);
        let at_bound = fit.at_bound(i);
        parameters.rows.push(vec![
            Cell::Text(name.to_string()),
            Cell::Text(symbol.to_string()),
            Cell::Number(format!("{}", fit.start[i])),
            Cell::Number(format!("{:.4}", written_value(fit, i))),
            Cell::Number(standard_error_text(fit, i)),
            Cell::Number(format!("{}–{}", fit.ranges[i].0, fit.ranges[i].1)),
            if at_bound {
                Cell::Missed("at a bound".into())
            } else {
                Cell::Text(String::new())
            },
        ]);
    }
    for (name, reason) in &fit.dropped {
        parameters.rows.push(vec![
            Cell::Text(name.to_string()),
            Cell::Text(String::new()),
            Cell::Number("—".into()),
            Cell::Number("—".into()),
            Cell::Number("—".into()),
            Cell::Number("—".into()),
            Cell::Neutral(format!("not fitted: {reason}")),
        ]);
    }
    page.table(&parameters);

    let mut losses = Table::new(
        "loss",
        "损失 Loss by group (mean squared log error; RMS in %)",
        &["group", "n", "start", "fitted"],
    );
    for (&(group, start), &(_, fitted)) in fit.group_losses_start.iter().zip(&fit.group_losses) {
        let n = fit.observations_in(group);
        losses.rows.push(vec![
            Cell::Text(group_label(group).to_string()),
            Cell::Number(n.to_string()),
            Cell::Number(format!("{start:.6} (RMS {:.2} %)", 100.0 * start.sqrt())),
            verdict_on(
                fitted <= start,
                format!("{fitted:.6} (RMS {:.2} %)", 100.0 * fitted.sqrt()),
            ),
        ]);
    }
    losses.rows.push(vec![
        Cell::Text("total".into()),
        Cell::Number(fit.observations.len().to_string()),
        Cell::Number(format!("{:.6}", fit.loss_start)),
        Cell::Number(format!("{:.6}", fit.loss)),
    ]);
    page.table(&losses);

    let (header, values) = super::super::calibrate::gdp_profile_row(report.gdp_persistence);
    let columns: Vec<String> = std::iter::once("δ (β_c at its best)".to_string())
        .chain(header)
        .collect();
    let column_refs: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut persistence = Table::new(
        "gdp-persistence",
        "GDP 趋势衰减与追赶 GDP trend decay δ and catch-up β_c, measured on pseudo-forecasts before 2014",
        &column_refs,
    );
    persistence.rows.push(
        std::iter::once(Cell::Text("loss (3 = no skill)".into()))
            .chain(values.into_iter().map(Cell::Number))
            .collect(),
    );
    page.paragraph(&format!(
        "A 2010 start has no unit trends, so δ cannot be fitted above. It is measured instead by starting earlier: trends over 2010–12, 2011–13 and 2010–13 scored on the years left to 2014 (docs/CALIBRATION.md §6). {}",
        super::super::calibrate::gdp_best_sentence(report)
    ));
    page.table(&persistence);

    page.charts(dir, written)?;

    let mut files = written.to_vec();
    files.push("manifest.json".into());
    page.files(&files);
    page.write(dir)
}

/// A fitted loss: plain when it improved on the start, flagged when it got worse.
fn verdict_on(improved: bool, text: String) -> Cell {
    if improved {
        Cell::Number(text)
    } else {
        Cell::Missed(text)
    }
}
