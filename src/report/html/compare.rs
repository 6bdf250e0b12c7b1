//! The page of `simulate compare`.

use std::collections::BTreeMap;
use std::path::Path;

use super::{data_summary, lever_summary, scorecard, Cell, Page, Table};
use crate::report::compare::{headline, resolved_inputs, Comparison};
use crate::report::{target_rows, ReportError};

/// Writes `report.html` for a comparison whose files (`written`) are already in `dir`.
pub fn write(
    comparison: &Comparison<'_>,
    dir: &Path,
    written: &[String],
) -> Result<String, ReportError> {
    let runs = &comparison.runs;
    let reference = &runs[0];
    let names: Vec<&str> = runs.iter().map(|r| r.scenario.name.as_str()).collect();
    let mut page = Page::new(format!(
        "比较 Comparison: {} (参照 reference: {})",
        names.join(", "),
        reference.scenario.name
    ));
    for run in runs {
        let mut text = run.scenario.description.clone();
        if !text.is_empty() {
            text.push_str(" — ");
        }
        text.push_str(&format!(
            "{}–{}; levers: {}",
            run.scenario.start_year,
            run.scenario.end_year,
            lever_summary(run.scenario, run.data)
        ));
        page.fact(&format!("情景 {}", run.scenario.name), text);
    }
    page.fact(
        "引擎 Engine",
        format!("simulate {}", env!("CARGO_PKG_VERSION")),
    );
    page.fact("数据 Data", data_summary(reference.data));

    let per_run: Vec<_> = runs.iter().map(target_rows).collect();
    page.heading("结论 The answer: which scenario meets which target");
    let counts: Vec<String> = runs
        .iter()
        .zip(&per_run)
        .map(|(run, rows)| {
            let tally = crate::targets::tally(rows);
            format!(
                "{}: population targets met {} of {}, within land ceiling {} of {}",
                run.scenario.name,
                tally.population.met,
                tally.population.judged(),
                tally.land.met,
                tally.land.judged()
            )
        })
        .collect();
    let changed: Vec<String> = (0..per_run[0].len())
        .filter(|&k| {
            per_run
                .iter()
                .any(|rows| !scorecard::same_verdict(&rows[k], &per_run[0][k]))
        })
        .map(|k| scorecard::label(&per_run[0][k], reference.data))
        .collect();
    let changed = if changed.is_empty() {
        "No scenario changes any verdict of the reference.".to_string()
    } else {
        format!(
            "Verdicts that differ from the reference: {}.",
            changed.join("; ")
        )
    };
    page.paragraph(&format!(
        "Targets in 2020 — {}. {changed} Central-urban population is an estimated share of the unit's urban population with a low–high range (docs/TARGETS.md); a target is met or missed only when the whole range is on one side of it; land targets are ceilings on the land the projected population needs, so a centre short of its population target is within its land ceiling. In the table green is a population target met, vermillion a target missed, uncoloured uncertain, and slate grey \"within ceiling\" a land ceiling kept: not a success, as it is kept mostly because the population falls short (its verdict in targets_comparison.csv stays met).",
        counts.join(" · ")
    ));
    let mut header = vec!["目标 target".to_string()];
    header.extend(names.iter().map(|n| n.to_string()));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut grid = Table::new(
        "scorecard",
        "规划目标达成情况 Plan targets met by scenario (gap % vs target)",
        &header,
    );
    for (k, row) in per_run[0].iter().enumerate() {
        let mut cells = vec![Cell::Text(scorecard::label(row, reference.data))];
        cells.extend(per_run.iter().map(|rows| scorecard::verdict_cell(&rows[k])));
        grid.rows.push(cells);
    }
    page.table(&grid);

    page.charts_read_by(dir, written, chart_reading)?;

    page.heading("主要表格 Key tables");
    let mut headlines = Table::new(
        "headlines",
        "总量 Headline numbers by year",
        &[
            "year",
            "scenario",
            "人口 population 万人",
            "diff %",
            "GDP 亿元",
            "diff %",
            "成都 Chengdu share %",
            "重庆主城 CQ core share %",
            "2020 population targets met",
        ],
    );
    for &year in &comparison.years {
        let Some(base) = headline(reference, year) else {
            continue;
        };
        for run in runs {
            let Some(h) = headline(run, year) else {
                continue;
            };
            headlines.rows.push(vec![
                Cell::Number(year.to_string()),
                Cell::Text(run.scenario.name.clone()),
                Cell::Number(format!("{:.1}", h.population / 1e4)),
                Cell::Number(format!(
                    "{:+.2}",
                    100.0 * (h.population / base.population - 1.0)
                )),
                Cell::Number(format!("{:.0}", h.gdp / 1e8)),
                Cell::Number(format!("{:+.2}", 100.0 * (h.gdp / base.gdp - 1.0))),
                Cell::Number(format!("{:.2}", 100.0 * h.chengdu_share)),
                Cell::Number(format!("{:.2}", 100.0 * h.chongqing_core_share)),
                Cell::Number(h.centres_met_2020.map_or("—".into(), |(met, uncertain)| {
                    format!("{met}/7 ({uncertain} uncertain)")
                })),
            ]);
        }
    }
    page.table(&headlines);

    let reference_inputs: BTreeMap<String, String> =
        resolved_inputs(reference.scenario, reference.data)
            .into_iter()
            .collect();
    let mut inputs = Table::new(
        "inputs",
        "输入差异 Inputs that differ from the reference (inputs_diff.csv)",
        &["scenario", "item", "reference", "value"],
    );
    for run in runs.iter().skip(1) {
        let mine: BTreeMap<String, String> = resolved_inputs(run.scenario, run.data)
            .into_iter()
            .collect();
        let items: std::collections::BTreeSet<&String> =
            reference_inputs.keys().chain(mine.keys()).collect();
        for item in items {
            let (a, b) = (reference_inputs.get(item), mine.get(item));
            if a != b {
                inputs.rows.push(vec![
                    Cell::Text(run.scenario.name.clone()),
                    Cell::Text(item.clone()),
                    Cell::Text(a.cloned().unwrap_or_else(|| "— (absent)".into())),
                    Cell::Text(b.cloned().unwrap_or_else(|| "— (absent)".into())),
                ]);
            }
        }
    }
    page.table(&inputs);

    page.files(written);
    page.write(dir)
}

/// How to read the comparison's charts: its `targets` chart is the targets × scenarios grid,
/// not the bar chart a run writes under the same name.
fn chart_reading(stem: &str) -> &'static str {
    if stem == "targets" {
        "Each row is a target, each column a scenario, each cell the gap of the central estimate from the target: green met (the whole low–high range reaches the target), vermillion missed, blue uncertain (the range straddles it), slate grey within ceiling (the land the projected population needs stays under a land ceiling — mostly because that population falls short of its own target, so not a success). The last row counts population targets met and land ceilings kept, apart."
    } else {
        super::how_to_read(stem)
    }
}
