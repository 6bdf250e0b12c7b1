//! The page of `simulate sweep` (and `sweep merge`).

use std::collections::BTreeMap;
use std::path::Path;

use super::{count, data_summary, lever_summary, scorecard, Cell, Page, Table};
use crate::report::sweep::{probability_name, TargetProbability};
use crate::report::ReportError;
use crate::sweep::run::{Method, Summary, Sweep};

/// Writes `report.html` for a sweep whose files (`written`, plus the `samples.csv` the CLI
/// streams and the `manifest.json` written next) are in `dir`.
pub fn write(
    sweep: &Sweep,
    summary: &Summary,
    indices: &[BTreeMap<&'static str, String>],
    probabilities: &[TargetProbability],
    dir: &Path,
    written: &[String],
) -> Result<String, ReportError> {
    let method = match sweep.method {
        Method::Morris { .. } => "Morris screening",
        Method::Sobol { .. } => "Sobol indices (Saltelli)",
        Method::MonteCarlo { .. } => "Monte Carlo (Latin hypercube)",
        Method::OneAtATime => "one at a time",
    };
    let mut page = Page::new(format!("扫描 Sweep {} — {method}", sweep.name));
    page.fact("扫描 Sweep", sweep.name.clone());
    page.fact(
        "方法 Method",
        format!("{}; seed {}", method_text(&sweep.method), sweep.seed),
    );
    page.fact(
        "文件 File",
        format!(
            "{} (SHA-256 {})",
            sweep.source.display(),
            sweep.source_hash.get(..12).unwrap_or(&sweep.source_hash)
        ),
    );
    let base = &sweep.base;
    let mut base_text = base.name.clone();
    if !base.description.is_empty() {
        base_text.push_str(&format!(" — {}", base.description));
    }
    // A description usually ends a sentence of its own; do not end it twice.
    if !base_text.ends_with(['.', '。', '!', '?']) {
        base_text.push('.');
    }
    base_text.push_str(&format!(
        " {}–{}; levers: {}",
        base.start_year,
        base.end_year,
        lever_summary(base, &sweep.data)
    ));
    page.fact("基准情景 Base scenario", base_text);
    page.fact(
        "因素 Varied factors (parameters and levers)",
        sweep
            .factors
            .iter()
            .map(|f| format!("{} ~ {}", f.name, f.distribution))
            .collect::<Vec<_>>()
            .join("; "),
    );
    page.fact(
        "输出 Outputs",
        sweep
            .outputs
            .iter()
            .map(|o| o.label.clone())
            .collect::<Vec<_>>()
            .join(", "),
    );
    page.fact(
        "运行 Runs",
        format!(
            "{} runs, {} accepted, {} rejected by the stability guard or non-finite",
            summary.runs,
            summary.accepted,
            summary.rejected.len()
        ),
    );
    page.fact(
        "引擎 Engine",
        format!("simulate {}", env!("CARGO_PKG_VERSION")),
    );
    page.fact("数据 Data", data_summary(&sweep.data));

    if matches!(sweep.method, Method::MonteCarlo { .. }) {
        page.heading("结论 The answer: for each target, P(central estimate meets target) — for a land ceiling, P(central estimate within ceiling)");
        page.paragraph(&format!("{} Intervals are Wilson 95 %. The sampled factors are the sweep's parameters and, if it has any, its levers (their start year or strength). A run's central estimate of a central-urban population is a share of its urban population (docs/TARGETS.md), and its land that population times the land per person. 0 % or 100 % means no run crossed the target under these factors, not that the outcome is certain, so the probabilities are not coloured as verdicts.", crate::report::sweep::P_MET_NOTE));
        page.table(&probability_table(probabilities, false, sweep));
        let ceilings = probability_table(probabilities, true, sweep);
        if !ceilings.rows.is_empty() {
            page.table(&ceilings);
        }
        page.charts(dir, written)?;
        page.heading("主要表格 Key tables");
        page.table(&quantile_table(indices, sweep));
    } else {
        page.heading("结论 The answer: which parameters and levers matter");
        page.paragraph(&ranking_sentence(indices, sweep));
        page.table(&indices_table(indices, sweep));
        page.charts(dir, written)?;
    }

    let mut files = vec!["samples.csv".to_string()];
    files.extend(written.iter().cloned());
    files.push("manifest.json".into());
    page.files(&files);
    page.write(dir)
}

/// A sweep's method for people, e.g. "Morris elementary effects: 20 trajectories, 4 levels".
fn method_text(method: &Method) -> String {
    match *method {
        Method::Morris {
            trajectories,
            levels,
        } => format!(
            "Morris elementary effects: {}, {}",
            count(trajectories, "trajectory", "trajectories"),
            count(levels, "level", "levels")
        ),
        Method::Sobol { base_samples } => format!(
            "Sobol indices (Saltelli): {}",
            count(base_samples, "base sample", "base samples")
        ),
        Method::MonteCarlo { samples } => format!(
            "Monte Carlo on a Latin hypercube: {}",
            count(samples, "sample", "samples")
        ),
        Method::OneAtATime => {
            "one at a time: each factor at its 5th and 95th percentile, the others at their medians"
                .to_string()
        }
    }
}

/// The probabilities of the population targets (the page's answer table, `scorecard`) or, with
/// `ceilings`, of the land ceilings, each under the name of its probability.
fn probability_table(rows: &[TargetProbability], ceilings: bool, sweep: &Sweep) -> Table {
    let (id, caption, counted) = if ceilings {
        (
            "ceilings",
            "P(中心估计未超用地上限) P(central estimate within ceiling): urban-land ceilings, across the runs",
            "runs within ceiling",
        )
    } else {
        (
            "scorecard",
            "P(中心估计达标) P(central estimate meets target): central-urban population targets, across the runs",
            "runs meeting target",
        )
    };
    let mut table = Table::new(
        id,
        caption,
        &[
            "目标 target",
            "id",
            "目标值 target",
            "runs",
            counted,
            probability_name(ceilings),
            "95 % interval",
        ],
    );
    for row in rows.iter().filter(|r| r.is_ceiling() == ceilings) {
        table.rows.push(vec![
            Cell::Text(scorecard::target_label(
                &row.unit_id,
                &row.indicator,
                row.year,
                &sweep.data,
            )),
            Cell::Text(row.target_id.clone()),
            Cell::Number(scorecard::in_display_unit(row.target, &row.measure)),
            Cell::Number(row.runs.to_string()),
            Cell::Number(row.met.to_string()),
            // A share of runs, not a verdict: no met / missed colours.
            Cell::Number(format!("{:.1} %", 100.0 * row.probability)),
            Cell::Number(format!("{:.1}–{:.1} %", 100.0 * row.low, 100.0 * row.high)),
        ]);
    }
    table
}

/// The Monte Carlo rows of `indices.csv` (mean and quantiles of each output) in 万人 or 亿元.
fn quantile_table(rows: &[BTreeMap<&'static str, String>], sweep: &Sweep) -> Table {
    let columns = ["mean", "p5", "p50", "p95"];
    let mut table = Table::new(
        "quantiles",
        "输出分布 Output distribution over the runs (indices.csv)",
        &["output", "unit", "mean", "p5", "p50 (median)", "p95"],
    );
    for row in rows {
        let label = row.get("output").cloned().unwrap_or_default();
        let (divisor, unit, decimals) = scale_of(sweep, &label);
        let unit = match unit {
            "亿元" => "亿元 (2014 prices)".to_string(),
            "元" => "元/人 (2014 prices)".to_string(),
            // A target's indicator: its mean is the probability, of staying within a ceiling.
            "" => {
                let ceiling = sweep
                    .outputs
                    .iter()
                    .find(|o| o.label == label)
                    .is_some_and(|o| crate::report::sweep::asks_about_ceiling(sweep, o));
                format!("{} = mean", probability_name(ceiling))
            }
            other => other.to_string(),
        };
        let mut cells = vec![Cell::Text(label), Cell::Text(unit)];
        for column in columns {
            let value: f64 = row
                .get(column)
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN);
            cells.push(Cell::Number(format!("{:.decimals$}", value / divisor)));
        }
        table.rows.push(cells);
    }
    table
}

/// Divisor, unit and decimals of the output labelled `label` (万人 when unknown).
fn scale_of(sweep: &Sweep, label: &str) -> (f64, &'static str, usize) {
    sweep
        .outputs
        .iter()
        .find(|o| o.label == label)
        .map_or((1e4, "万人", 1), crate::report::sweep::output_scale)
}

/// The rows of `indices.csv` as a table, columns in the CSV's order.
fn indices_table(rows: &[BTreeMap<&'static str, String>], sweep: &Sweep) -> Table {
    let columns: Vec<&str> = rows.first().map_or(Vec::new(), |first| {
        first
            .keys()
            .copied()
            .filter(|k| *k != "parameter" && *k != "output")
            .collect()
    });
    // Sobol indices are shares of variance; Morris effects and swings are in the output's
    // unit, shown in 万人 or 亿元 like the charts.
    let shares = columns.iter().all(|c| c.starts_with('S'));
    let mut header = vec!["parameter", "output"];
    if !shares {
        header.push("unit");
    }
    header.extend(&columns);
    let mut table = Table::new(
        "scorecard",
        "敏感性指数 Sensitivity indices (indices.csv; click a heading to sort)",
        &header,
    );
    for row in rows {
        let output = row.get("output").cloned().unwrap_or_default();
        let (divisor, unit, _) = scale_of(sweep, &output);
        let mut cells = vec![
            Cell::Text(row.get("parameter").cloned().unwrap_or_default()),
            Cell::Text(output),
        ];
        if !shares {
            cells.push(Cell::Text(unit.to_string()));
        }
        for column in &columns {
            let text = row.get(column).cloned().unwrap_or_default();
            cells.push(Cell::Number(if shares {
                text
            } else {
                text.parse::<f64>()
                    .map_or(text, |v| format!("{:.2}", v / divisor))
            }));
        }
        table.rows.push(cells);
    }
    table
}

/// "For X, the largest index is p (ST 0.62)": per output, the parameter with the largest total
/// index (Sobol), μ* (Morris) or swing (one at a time).
fn ranking_sentence(rows: &[BTreeMap<&'static str, String>], sweep: &Sweep) -> String {
    let key = ["ST", "mu_star", "swing"]
        .into_iter()
        .find(|k| rows.first().is_some_and(|r| r.contains_key(k)));
    let Some(key) = key else {
        return "No indices were estimated.".into();
    };
    let mut best: Vec<(String, String, f64)> = Vec::new();
    for row in rows {
        let output = row.get("output").cloned().unwrap_or_default();
        let value: f64 = row
            .get(key)
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN);
        let parameter = row.get("parameter").cloned().unwrap_or_default();
        match best.iter_mut().find(|(o, _, _)| *o == output) {
            Some(entry) if value.abs() > entry.2.abs() => *entry = (output, parameter, value),
            Some(_) => {}
            None => best.push((output, parameter, value)),
        }
    }
    let parts: Vec<String> = best
        .iter()
        .map(|(output, parameter, value)| {
            let shown = if key == "ST" {
                format!("ST {value:.2}")
            } else {
                // μ* and swings are in the output's own unit: persons or yuan.
                let (divisor, unit, _) = scale_of(sweep, output);
                let name = if key == "swing" { "swing" } else { "μ*" };
                format!("{name} {:.1} {unit}", value / divisor)
            };
            format!("{output}: {parameter} ({shown})")
        })
        .collect();
    let note = match key {
        "ST" => "ST is the share of the output's variance the parameter explains, interactions included; S1_conf and ST_conf are 95 % bootstrap half-widths.",
        "mu_star" => "μ* is the mean absolute elementary effect over the parameter's range; σ large against μ* means interactions or non-linearity.",
        _ => "A swing is the change in the output when the parameter moves from its 5th to its 95th percentile, the others at their medians.",
    };
    format!(
        "The factor (parameter or lever) that moves each output most — {}. {note}",
        parts.join(" · ")
    )
}

#[cfg(test)]
mod tests {
    use super::method_text;
    use crate::sweep::run::Method;

    #[test]
    fn methods_are_written_for_people() {
        assert_eq!(
            method_text(&Method::Morris {
                trajectories: 20,
                levels: 4
            }),
            "Morris elementary effects: 20 trajectories, 4 levels"
        );
        assert_eq!(
            method_text(&Method::Sobol { base_samples: 512 }),
            "Sobol indices (Saltelli): 512 base samples"
        );
        assert_eq!(
            method_text(&Method::MonteCarlo { samples: 1000 }),
            "Monte Carlo on a Latin hypercube: 1,000 samples"
        );
        assert!(method_text(&Method::OneAtATime).starts_with("one at a time"));
    }
}
