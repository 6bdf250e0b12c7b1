//! The page of `simulate backtest`.

use std::path::Path;

use super::{scenario_facts, Cell, Page, Table};
use crate::backtest::{Backtest, Forecast, SummaryRow, Variable};
use crate::report::backtest::{show, BacktestReport};
use crate::report::ReportError;

/// Largest model errors listed per variable.
const WORST_SHOWN: usize = 10;

/// Writes `report.html` for a backtest whose files (`written`) are in `dir`; the
/// `manifest.json` written next is linked too.
pub fn write(
    report: &BacktestReport<'_>,
    dir: &Path,
    written: &[String],
) -> Result<String, ReportError> {
    let run = &report.run;
    let backtest = report.backtest;
    let mut page = Page::new(format!(
        "回测 Backtest of {} against observations",
        run.scenario.name
    ));
    scenario_facts(&mut page, run.scenario, run.data);
    page.fact(
        "观测 Observed",
        format!(
            "{} (SHA-256 {}), {} in {}",
            report.observed.path,
            report
                .observed
                .sha256
                .get(..12)
                .unwrap_or(&report.observed.sha256),
            super::count(backtest.rows.len(), "observation", "observations"),
            backtest
                .years()
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    if let Some(selection) = &report.observed.selection {
        page.fact(
            "评分 Scored",
            format!("only {}", selection.describe(backtest.rows.len())),
        );
    }

    page.heading("结论 The answer: skill against naive forecasts");
    let verdicts: Vec<String> = backtest
        .variables()
        .into_iter()
        .filter_map(|variable| {
            let rows: Vec<_> = backtest
                .summary
                .iter()
                .filter(|r| r.variable == variable)
                .filter_map(|r| r.summary.mape_pct.map(|mape| (r.forecast, mape)))
                .collect();
            let model = rows.iter().find(|(f, _)| *f == Forecast::Model)?.1;
            let best = rows.iter().min_by(|a, b| a.1.total_cmp(&b.1))?;
            Some(if best.0 == Forecast::Model {
                format!(
                    "{}: the model has the lowest MAPE ({model:.2} %)",
                    variable.id()
                )
            } else {
                format!(
                    "{}: {} beats the model (MAPE {:.2} % against {model:.2} %)",
                    variable.id(),
                    best.0.id(),
                    best.1
                )
            })
        })
        .collect();
    if !verdicts.is_empty() {
        page.paragraph(&format!("{}.", verdicts.join("; ")));
    }
    page.paragraph("Lower MAPE, bias nearer zero and higher Spearman (rank correlation of growth beyond the plan area's over the same years, so that units observed in different years are not ranked by horizon) are better; the lowest MAPE of each variable is marked green. % errors are 100·(forecast − observed)/observed; coverage is the share of observations inside the model's 80 % and 95 % intervals. Two more yardsticks: MAPE with each province's observed total imposed on every forecast (how well it spreads people within a province), and, for population, MAPE against the observations with their differences between units since the 2010 census stretched by 1/φ (what a census would have counted, as annual estimates catch only φ ≈ 0.78 of them; docs/BACKTEST.md). \"Census decade carried\" is the slope of a forecast's growth relative to its province on census momentum's: 1 continues the 2000→2010 differentials, 0 grows every unit of a province alike (docs/CALIBRATION.md §5).");
    let mut skill = Table::new(
        "scorecard",
        "预测技能 Skill by variable and forecast (backtest_summary.csv)",
        &[
            "variable",
            "forecast",
            "n",
            "MAPE %",
            "median APE %",
            "bias %",
            "RMSE log",
            "ρ growth",
            "direction right",
            "region total %",
            "cover 80 %",
            "cover 95 %",
            "MAPE % totals imposed",
            "MAPE % census-adj.",
            "census decade carried",
        ],
    );
    for row in &backtest.summary {
        let s = &row.summary;
        let best = backtest
            .summary
            .iter()
            .filter(|other| other.variable == row.variable)
            .filter_map(|other| other.summary.mape_pct)
            .fold(f64::INFINITY, f64::min);
        let mape = show(s.mape_pct, 2);
        skill.rows.push(vec![
            Cell::Text(row.variable.id().to_string()),
            Cell::Text(row.forecast.id().to_string()),
            Cell::Number(s.n.to_string()),
            if s.mape_pct == Some(best) {
                Cell::Met(mape)
            } else {
                Cell::Number(mape)
            },
            Cell::Number(show(s.median_ape_pct, 2)),
            Cell::Number(show(s.bias_pct, 2)),
            Cell::Number(show(s.rmse_log, 4)),
            Cell::Number(show(s.spearman_growth, 3)),
            Cell::Number(show(s.sign_agreement, 3)),
            Cell::Number(show(s.total_error_pct, 2)),
            Cell::Number(show(row.coverage.map(|c| 100.0 * c.0), 0)),
            Cell::Number(show(row.coverage.map(|c| 100.0 * c.1), 0)),
            Cell::Number(show(row.mape_totals_imposed_pct, 2)),
            Cell::Number(show(row.mape_census_adjusted_pct, 2)),
            Cell::Number(show(row.census_persistence, 2)),
        ]);
    }
    page.table(&skill);

    if backtest.groups.len() > 1 {
        page.paragraph("The MAPE of every forecast by kind of unit: the core units of each province (plan role core: in the shipped data Chengdu and the nine Chongqing core districts) and the others. A forecast can win overall and lose on one kind, and the other way round; the lowest MAPE of each row is marked green. ρ, bias and coverage are the model's; a kind with one unit has no ρ. The second table imposes each kind's observed total on every forecast (kinds of two units or more): it scores only how a forecast spreads the kind's total over its units, which is the fair comparison where the level of the observations is uncertain (GDP, docs/DATA.md). All metrics per kind and forecast: backtest_groups.csv.");
        page.table(&kind_table(
            backtest,
            "groups",
            "按单位类型 MAPE % by kind of unit (backtest_groups.csv)",
            |r| r.summary.mape_pct,
            true,
        ));
        page.table(&kind_table(
            backtest,
            "groups-totals",
            "按单位类型 MAPE % by kind of unit, each kind's observed total imposed",
            |r| r.mape_totals_imposed_pct,
            false,
        ));
    }

    page.charts(dir, written)?;

    page.heading("主要表格 Key tables");
    for variable in backtest.variables() {
        let mut rows: Vec<_> = backtest
            .rows
            .iter()
            .filter(|r| r.observation.variable == variable)
            .filter(|r| r.pct_error(Forecast::Model).is_finite())
            .collect();
        rows.sort_by(|a, b| {
            b.pct_error(Forecast::Model)
                .abs()
                .total_cmp(&a.pct_error(Forecast::Model).abs())
        });
        let mut table = Table::new(
            &format!("worst-{}", variable.id()),
            format!(
                "最大误差 The {WORST_SHOWN} largest model errors: {} (backtest.csv)",
                variable.id()
            ),
            &[
                "unit",
                "year",
                "observed",
                "model",
                "model error %",
                "naive regional error %",
            ],
        );
        let (divisor, unit) = match variable {
            Variable::Gdp => (1e8, "亿元"),
            Variable::Population => (1e4, "万人"),
        };
        for row in rows.into_iter().take(WORST_SHOWN) {
            let o = &row.observation;
            table.rows.push(vec![
                Cell::Text(run.data.units[o.unit].label()),
                Cell::Number(o.year.to_string()),
                Cell::Number(format!("{:.1} {unit}", o.value / divisor)),
                Cell::Number(format!(
                    "{:.1} {unit}",
                    row.forecast(Forecast::Model) / divisor
                )),
                Cell::Number(format!("{:+.2}", row.pct_error(Forecast::Model))),
                Cell::Number(format!("{:+.2}", row.pct_error(Forecast::NaiveRegional))),
            ]);
        }
        page.table(&table);
    }

    let mut files = written.to_vec();
    files.push("manifest.json".into());
    page.files(&files);
    page.write(dir)
}

/// A table of `metric` per kind of unit and variable (rows) and forecast (columns), the lowest
/// of each row marked; with `model_details`, the model's ρ, bias and coverage as well, and
/// without them (the totals-imposed table) no kind of a single unit.
fn kind_table(
    backtest: &Backtest,
    id: &str,
    title: &str,
    metric: fn(&SummaryRow) -> Option<f64>,
    model_details: bool,
) -> Table {
    let mut headers = vec![
        "kind of unit",
        "units",
        "variable",
        "model",
        "naive regional",
        "naive trend",
        "census momentum",
    ];
    if model_details {
        headers.extend(["model ρ", "model bias %", "model cover 80 % / 95 %"]);
    }
    let mut table = Table::new(id, title, &headers);
    for variable in backtest.variables() {
        for group in &backtest.groups {
            // A kind of one unit has nothing to spread: its totals-imposed MAPE is 0.
            let units = group.units_of(variable);
            if !model_details && units < 2 {
                continue;
            }
            let rows = group.rows_of(variable);
            let Some(model) = rows.iter().find(|r| r.forecast == Forecast::Model) else {
                continue;
            };
            let best = rows
                .iter()
                .filter_map(|r| metric(r))
                .fold(f64::INFINITY, f64::min);
            let mut cells = vec![
                Cell::Text(group.label.clone()),
                Cell::Number(units.to_string()),
                Cell::Text(variable.id().to_string()),
            ];
            for forecast in Forecast::ALL {
                let value = rows
                    .iter()
                    .find(|r| r.forecast == forecast)
                    .and_then(|r| metric(r));
                let text = show(value, 2);
                cells.push(if value == Some(best) {
                    Cell::Met(text)
                } else {
                    Cell::Number(text)
                });
            }
            if model_details {
                cells.push(Cell::Number(show(model.summary.spearman_growth, 3)));
                cells.push(Cell::Number(show(model.summary.bias_pct, 2)));
                cells.push(Cell::Number(model.coverage.map_or_else(
                    || "—".to_string(),
                    |(in80, in95)| format!("{:.0} / {:.0}", 100.0 * in80, 100.0 * in95),
                )));
            }
            table.rows.push(cells);
        }
    }
    table
}
