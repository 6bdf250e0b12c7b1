//! Outputs of `simulate backtest`: `backtest.csv` (one row per observation),
//! `backtest_summary.csv` (metrics per variable and forecast), `backtest_groups.csv` (the same
//! per kind of unit), `manifest.json` (the run's manifest plus the observed file), per observed
//! variable a bar chart of every forecast's MAPE over all units and per kind (`skill_<variable>`),
//! a predicted-vs-observed scatter (`scatter_<variable>`) and a map of the model's errors
//! (`error_map_<variable>`), and the terminal table. Chart contents are built by pure
//! functions; docs/BACKTEST.md defines every column.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::json;

use super::charts::{self, IndexBars, IndexSeries, MapChart, MapUnit, ScatterChart, ScatterPoint};
use super::{csv_error, csv_writer, f1, finish, ReportError, RunReport};
use crate::backtest::cross_validation::Fold;
use crate::backtest::{Backtest, Forecast, ObservedFile, Row, SummaryRow, Variable};

/// Everything a backtest report is made from.
pub struct BacktestReport<'a> {
    pub run: RunReport<'a>,
    pub observed: &'a ObservedFile,
    pub backtest: &'a Backtest,
    /// Leave-one-province-out folds of `census_momentum` (backtest::cross_validation).
    pub cross_validation: &'a [Fold],
}

/// A finite number with `decimals` decimals; empty for NaN, ±∞ or None.
fn num(x: Option<f64>, decimals: usize) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => String::new(),
    }
}

/// A finite number with `decimals` decimals; "—" for NaN, ±∞ or None (the terminal and the
/// page; files leave the field empty, [`num`]).
pub(crate) fn show(x: Option<f64>, decimals: usize) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "—".to_string(),
    }
}

/// Decimals of percentages (errors of a tenth of a percent are common) and of log errors.
const PCT_DECIMALS: usize = 3;
const LOG_DECIMALS: usize = 5;

/// Writes the tables and charts into `dir` (which must exist): everything but `report.html`
/// and `manifest.json` (`report::outputs::write_backtest` adds those). Returns the names
/// written.
pub fn write_data(report: &BacktestReport<'_>, dir: &Path) -> Result<Vec<String>, ReportError> {
    let mut written = Vec::new();
    write_rows(report, &dir.join("backtest.csv"))?;
    written.push("backtest.csv".to_string());
    write_summary(report.backtest, &dir.join("backtest_summary.csv"))?;
    written.push("backtest_summary.csv".to_string());
    write_groups(report.backtest, &dir.join("backtest_groups.csv"))?;
    written.push("backtest_groups.csv".to_string());
    write_cross_validation(report.cross_validation, &dir.join("cross_validation.csv"))?;
    written.push("cross_validation.csv".to_string());
    for variable in report.backtest.variables() {
        let stem = format!("skill_{}", variable.id());
        charts::draw_index_bars(&skill_chart(report, variable), dir, &stem)?;
        written.push(format!("{stem}.svg"));
        written.push(format!("{stem}.png"));
        let stem = format!("scatter_{}", variable.id());
        charts::draw_scatter(&scatter_chart(report, variable), dir, &stem)?;
        written.push(format!("{stem}.svg"));
        written.push(format!("{stem}.png"));
        let stem = format!("error_map_{}", variable.id());
        charts::draw_map(&error_map(report, variable), dir, &stem)?;
        written.push(format!("{stem}.svg"));
        written.push(format!("{stem}.png"));
    }
    Ok(written)
}

/// One metric of a summary row (`None` where it does not apply).
type Metric = fn(&SummaryRow) -> Option<f64>;

/// `backtest.csv`: one row per observation, in file order.
pub fn write_rows(report: &BacktestReport<'_>, path: &Path) -> Result<(), ReportError> {
    let mut writer = csv_writer(path)?;
    let err = csv_error(path);
    let mut header = vec![
        "unit_id".to_string(),
        "name_zh".into(),
        "year".into(),
        "variable".into(),
        "unit".into(),
        "status".into(),
        "basis".into(),
        "observed".into(),
        "observed_census_adjusted".into(),
        "start_value".into(),
    ];
    header.extend(Forecast::ALL.iter().map(|f| f.id().to_string()));
    header.extend(
        Forecast::ALL
            .iter()
            .map(|f| format!("{}_error_pct", f.id())),
    );
    header.extend(
        Forecast::ALL
            .iter()
            .map(|f| format!("{}_log_error", f.id())),
    );
    writer.write_record(&header).map_err(&err)?;
    for row in &report.backtest.rows {
        let o = &row.observation;
        let unit = &report.run.data.units[o.unit];
        let mut record = vec![
            unit.id.clone(),
            unit.name_zh.clone(),
            o.year.to_string(),
            o.variable.id().to_string(),
            o.variable.measure().to_string(),
            o.status.clone(),
            // GDP is a total over its year: the basis is a population's.
            match o.variable {
                Variable::Population => o.basis.id().to_string(),
                Variable::Gdp => String::new(),
            },
            f1(o.value),
            num(Some(row.census_adjusted), 1),
            f1(row.start_value),
        ];
        record.extend(Forecast::ALL.iter().map(|&f| num(Some(row.forecast(f)), 1)));
        record.extend(
            Forecast::ALL
                .iter()
                .map(|&f| num(Some(row.pct_error(f)), PCT_DECIMALS)),
        );
        record.extend(
            Forecast::ALL
                .iter()
                .map(|&f| num(Some(row.log_error(f)), LOG_DECIMALS)),
        );
        writer.write_record(&record).map_err(&err)?;
    }
    finish(writer, path)
}

/// The columns of `backtest_summary.csv` (and, after `group` and `units`, of
/// `backtest_groups.csv`).
const SUMMARY_COLUMNS: [&str; 15] = [
    "variable",
    "forecast",
    "n",
    "mape_pct",
    "median_ape_pct",
    "bias_pct",
    "rmse_log",
    "spearman_growth",
    "sign_agreement",
    "total_error_pct",
    "coverage_80",
    "coverage_95",
    "mape_provincial_totals_imposed_pct",
    "mape_census_adjusted_pct",
    "census_persistence",
];

/// One summary row as the fields of [`SUMMARY_COLUMNS`].
fn summary_record(row: &SummaryRow) -> Vec<String> {
    let s = &row.summary;
    vec![
        row.variable.id().to_string(),
        row.forecast.id().to_string(),
        s.n.to_string(),
        num(s.mape_pct, PCT_DECIMALS),
        num(s.median_ape_pct, PCT_DECIMALS),
        num(s.bias_pct, PCT_DECIMALS),
        num(s.rmse_log, LOG_DECIMALS),
        num(s.spearman_growth, 4),
        num(s.sign_agreement, 4),
        num(s.total_error_pct, PCT_DECIMALS),
        num(row.coverage.map(|c| c.0), 4),
        num(row.coverage.map(|c| c.1), 4),
        num(row.mape_totals_imposed_pct, PCT_DECIMALS),
        num(row.mape_census_adjusted_pct, PCT_DECIMALS),
        num(row.census_persistence, 4),
    ]
}

/// `backtest_summary.csv`: per variable and forecast, the metrics over all observations.
pub fn write_summary(backtest: &Backtest, path: &Path) -> Result<(), ReportError> {
    let mut writer = csv_writer(path)?;
    let err = csv_error(path);
    writer.write_record(SUMMARY_COLUMNS).map_err(&err)?;
    for row in &backtest.summary {
        writer.write_record(summary_record(row)).map_err(&err)?;
    }
    finish(writer, path)
}

/// `backtest_groups.csv`: the columns of `backtest_summary.csv` per kind of unit (`group`:
/// `chongqing_core`, `chongqing_other`, `sichuan_core`, `sichuan_other`; `units`: how many of
/// its units have observations of the row's variable).
pub fn write_groups(backtest: &Backtest, path: &Path) -> Result<(), ReportError> {
    let mut writer = csv_writer(path)?;
    let err = csv_error(path);
    writer
        .write_record(["group", "units"].into_iter().chain(SUMMARY_COLUMNS))
        .map_err(&err)?;
    for group in &backtest.groups {
        for row in &group.summary {
            let record = [group.group.id(), group.units_of(row.variable).to_string()]
                .into_iter()
                .chain(summary_record(row));
            writer.write_record(record).map_err(&err)?;
        }
    }
    finish(writer, path)
}

/// `cross_validation.csv`: per fold (held-out province) the α fitted on the other province's
/// units, its fit, and the held-out units' population metrics per forecast.
pub fn write_cross_validation(folds: &[Fold], path: &Path) -> Result<(), ReportError> {
    let mut writer = csv_writer(path)?;
    let err = csv_error(path);
    writer
        .write_record([
            "held_out_province",
            "fitted_census_momentum",
            "fit_mape_pct",
            "forecast",
            "n",
            "mape_pct",
            "median_ape_pct",
            "bias_pct",
            "spearman_growth",
            "sign_agreement",
            "total_error_pct",
        ])
        .map_err(&err)?;
    for fold in folds {
        for row in &fold.scores {
            let s = &row.summary;
            writer
                .write_record([
                    fold.held_out.id().to_string(),
                    format!("{}", fold.fitted),
                    num(Some(fold.fit_mape_pct), PCT_DECIMALS),
                    row.forecast.id().to_string(),
                    s.n.to_string(),
                    num(s.mape_pct, PCT_DECIMALS),
                    num(s.median_ape_pct, PCT_DECIMALS),
                    num(s.bias_pct, PCT_DECIMALS),
                    num(s.spearman_growth, 4),
                    num(s.sign_agreement, 4),
                    num(s.total_error_pct, PCT_DECIMALS),
                ])
                .map_err(&err)?;
        }
    }
    finish(writer, path)
}

/// `manifest.json`: the manifest of a run (scenario, data, parameters, calibration, output
/// hashes) with a `backtest` section naming the observed file and its hash.
pub fn write_manifest(
    report: &BacktestReport<'_>,
    dir: &Path,
    outputs: &[String],
) -> Result<(), ReportError> {
    super::write_manifest(&report.run, dir, outputs)?;
    let path = dir.join("manifest.json");
    let io = |source| ReportError::Io {
        path: path.clone(),
        source,
    };
    let text = std::fs::read_to_string(&path).map_err(io)?;
    let mut manifest: serde_json::Value =
        serde_json::from_str(&text).expect("the manifest was just written as JSON");
    let backtest = report.backtest;
    manifest["backtest"] = json!({
        "observed_file": report.observed.path,
        "observed_sha256": report.observed.sha256,
        "statuses_kept": report.observed.selection.as_ref().map(|s| &s.statuses),
        "observations_in_file": report
            .observed
            .selection
            .as_ref()
            .map_or(report.observed.observations.len(), |s| s.observations_in_file),
        "observations": backtest.rows.len(),
        "years": backtest.years(),
        "variables": backtest.variables().iter().map(|v| v.id()).collect::<Vec<_>>(),
        "forecasts": {
            "model": "the scenario run",
            "naive_regional": "each unit grows at the plan area's rate in the run, from its start value",
            "naive_trend": "each unit continues its pre-start trend at constant rates: population at natural growth + pre-start net migration rate, GDP at (1 + that rate)(1 + per-head growth of the first projected year) − 1",
            "census_momentum": "each unit continues its 2000→2010 census growth rate from its start value, scaled per province to the run's provincial total of the year",
        },
        "definitions": "docs/BACKTEST.md",
        "units_of_measure": {
            "population": "persons",
            "gdp": "yuan at 2014 prices",
            "error_pct": "100·(forecast − observed)/observed",
            "log_error": "ln forecast − ln observed",
        },
    });
    let text =
        serde_json::to_string_pretty(&manifest).expect("JSON values always serialise") + "\n";
    std::fs::write(&path, text).map_err(io)
}

// ---------------------------------------------------------------------------------------------
// Charts

fn variable_zh(variable: Variable) -> &'static str {
    match variable {
        Variable::Population => "常住人口 population",
        Variable::Gdp => "GDP",
    }
}

/// (divisor, display unit) of a variable's values in charts.
fn display(variable: Variable) -> (f64, &'static str) {
    match variable {
        Variable::Population => (1e4, "万人"),
        Variable::Gdp => (1e8, "亿元, 2014年价格 2014 prices"),
    }
}

fn forecast_zh(forecast: Forecast) -> &'static str {
    match forecast {
        Forecast::Model => "模型 model",
        Forecast::NaiveRegional => "区域同速 naive regional",
        Forecast::NaiveTrend => "延续趋势 naive trend",
        Forecast::CensusMomentum => "普查惯性 census momentum",
    }
}

fn rows_of(backtest: &Backtest, variable: Variable) -> Vec<&Row> {
    backtest
        .rows
        .iter()
        .filter(|r| r.observation.variable == variable)
        .collect()
}

fn years_text(years: &[i32]) -> String {
    match (years.first(), years.last()) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a}–{b}"),
        _ => "—".to_string(),
    }
}

fn subtitle(report: &BacktestReport<'_>) -> String {
    let mut file = Path::new(&report.observed.path)
        .file_name()
        .map_or(report.observed.path.clone(), |n| {
            n.to_string_lossy().into_owned()
        });
    if let Some(selection) = &report.observed.selection {
        file = format!("{file} [{}]", selection.statuses.join(", "));
    }
    format!(
        "情景 scenario: {} (起始 start {}) · 观测 observed: {} · simulate {}",
        report.run.scenario.name,
        report.run.scenario.start_year,
        file,
        env!("CARGO_PKG_VERSION")
    )
}

/// Each forecast's MAPE of one variable over all units, then per kind of unit: the skill
/// table and the table by kind in one picture. Population shows the errors as observed; GDP
/// shows them with the observed totals imposed (each province's over all units, each kind's
/// within a kind), because the level of the GDP observations is uncertain (docs/DATA.md) and
/// would otherwise decide the ranking. A kind of one unit has nothing to spread, so GDP leaves
/// it out.
pub fn skill_chart(report: &BacktestReport<'_>, variable: Variable) -> IndexBars {
    let backtest = report.backtest;
    let totals_imposed = variable == Variable::Gdp;
    let metric = |rows: &[&SummaryRow], forecast: Forecast| {
        rows.iter()
            .find(|r| r.forecast == forecast)
            .and_then(|r| {
                if totals_imposed {
                    r.mape_totals_imposed_pct
                } else {
                    r.summary.mape_pct
                }
            })
            .unwrap_or(f64::NAN)
    };
    let overall: Vec<&SummaryRow> = backtest
        .summary
        .iter()
        .filter(|r| r.variable == variable)
        .collect();
    // The kinds partition the units.
    let n_units: usize = backtest.groups.iter().map(|g| g.units_of(variable)).sum();
    let mut parameters = vec![format!("全部 all units ({n_units})")];
    let mut groups: Vec<Vec<&SummaryRow>> = vec![overall];
    let kinds: Vec<_> = backtest
        .groups
        .iter()
        .filter(|g| g.units_of(variable) > usize::from(totals_imposed))
        .collect();
    // A kind is worth a bar only beside another: with one kind, it is "all units" again.
    if kinds.len() > 1 {
        for group in kinds {
            parameters.push(format!(
                "{} ({})",
                kind_label(group, report.run.data),
                group.units_of(variable)
            ));
            groups.push(group.rows_of(variable));
        }
    }
    let series = Forecast::ALL
        .iter()
        .map(|&forecast| IndexSeries {
            label: forecast_zh(forecast).to_string(),
            values: groups.iter().map(|rows| metric(rows, forecast)).collect(),
            low: None,
            high: None,
        })
        .collect();
    let years = backtest.years();
    let (what, axis) = if totals_imposed {
        (
            "MAPE with observed totals imposed, by kind of unit",
            "平均绝对百分比误差 MAPE, %, 观测总量强加 observed totals imposed (越短越好 shorter is better)",
        )
    } else {
        (
            "MAPE by kind of unit",
            "平均绝对百分比误差 MAPE, % (越短越好 shorter is better)",
        )
    };
    IndexBars {
        title: format!(
            "预测技能 Skill: {}, {} — {what}",
            variable_zh(variable),
            years_text(&years)
        ),
        subtitle: subtitle(report),
        value_label: axis.to_string(),
        parameters,
        descriptions: Vec::new(),
        series,
        sort_by: 0,
        note: String::new(),
        keep_order: true,
        // As the tables: one decimal would show the model's 2.11 % and the trend's 2.14 % alike.
        decimals: Some(2),
    }
}

/// A kind of unit as the charts name it, Chinese and English like "全部 all units": "重庆主城
/// Chongqing core units", "重庆其他 other Chongqing units", "成都 Chengdu", "四川其他 other
/// Sichuan units"; a kind of one unit by that unit's own names ([`UnitGroup::label`] gives
/// its English name). The CSV files keep the English label.
///
/// [`UnitGroup::label`]: crate::backtest::UnitGroup::label
pub fn kind_label(group: &crate::backtest::GroupSummary, data: &crate::data::Dataset) -> String {
    if let Some(unit) = data.units.iter().find(|u| u.name_en == group.label) {
        return unit.label();
    }
    let zh = match (group.group.province, group.group.core) {
        (crate::data::Province::Chongqing, true) => "重庆主城",
        (crate::data::Province::Chongqing, false) => "重庆其他",
        (crate::data::Province::Sichuan, true) => "四川核心",
        (crate::data::Province::Sichuan, false) => "四川其他",
    };
    format!("{zh} {}", group.label)
}

/// Predicted (model) against observed values of one variable, one colour per year.
pub fn scatter_chart(report: &BacktestReport<'_>, variable: Variable) -> ScatterChart {
    let rows = rows_of(report.backtest, variable);
    let mut years: Vec<i32> = rows.iter().map(|r| r.observation.year).collect();
    years.sort_unstable();
    years.dedup();
    let (divisor, unit) = display(variable);
    let points = rows
        .iter()
        .map(|r| ScatterPoint {
            label: report.run.data.units[r.observation.unit].label(),
            x: r.observation.value,
            y: r.forecast(Forecast::Model),
            group: years
                .iter()
                .position(|&y| y == r.observation.year)
                .unwrap_or(0),
        })
        .collect();
    let mut table = vec![vec![
        format!("n = {}", rows.len()),
        "MAPE".to_string(),
        "偏差 bias".to_string(),
        "ρ 增长 growth".to_string(),
    ]];
    for row in report
        .backtest
        .summary
        .iter()
        .filter(|s| s.variable == variable)
    {
        let s = &row.summary;
        table.push(vec![
            forecast_zh(row.forecast).to_string(),
            chart_number(s.mape_pct, "%", false),
            chart_number(s.bias_pct, "%", true),
            chart_number(s.spearman_growth, "", false),
        ]);
    }
    let notes = vec![
        "MAPE: 平均绝对百分比误差 mean absolute % error".to_string(),
        "偏差 bias: 平均 mean (预测−观测)/观测 (predicted−observed)/observed".to_string(),
        "ρ: 相对全区增长的秩相关 rank correlation of growth beyond the plan area's".to_string(),
        "区域同速: 各单元按全区增速 every unit at the regional rate".to_string(),
        "延续趋势: 各单元延续起始前趋势 every unit on its pre-start trend".to_string(),
        "普查惯性: 各单元延续2000→2010普查增长 each unit's 2000→2010 census growth".to_string(),
    ];
    ScatterChart {
        title: format!(
            "模型预测与观测 Model vs observed: {}, {}",
            variable_zh(variable),
            years_text(&years)
        ),
        subtitle: subtitle(report),
        x_label: format!("观测 observed ({unit})"),
        y_label: format!("模型预测 model forecast ({unit})"),
        divisor,
        groups: years.iter().map(|y| y.to_string()).collect(),
        points,
        band_pct: Some(10.0),
        diagonal_label: "45° 线: 预测 = 观测 perfect forecast".into(),
        not_drawn_reason: String::new(),
        table,
        notes,
    }
}

/// "13.8%", "+11.9%", "0.52" (true minus sign; "—" when undefined) for a chart table.
fn chart_number(x: Option<f64>, suffix: &str, sign: bool) -> String {
    match x {
        Some(v) if v.is_finite() => {
            let decimals = if suffix.is_empty() { 2 } else { 1 };
            let text = if sign {
                format!("{v:+.decimals$}{suffix}")
            } else {
                format!("{v:.decimals$}{suffix}")
            };
            // "−0.00" reads as a sign where there is none.
            if text
                .trim_start_matches(['-', '+'])
                .chars()
                .all(|ch| matches!(ch, '0' | '.' | '%'))
            {
                text.trim_start_matches(['-', '+']).to_string()
            } else {
                text.replace('-', "−")
            }
        }
        _ => "—".to_string(),
    }
}

/// The model's % error per unit on the map (the latest observed year of each unit).
pub fn error_map(report: &BacktestReport<'_>, variable: Variable) -> MapChart {
    let data = report.run.data;
    let t = report.run.trajectory;
    let rows = rows_of(report.backtest, variable);
    let mut latest: Vec<Option<&Row>> = vec![None; data.units.len()];
    for row in &rows {
        let slot = &mut latest[row.observation.unit];
        if slot.is_none_or(|r| r.observation.year < row.observation.year) {
            *slot = Some(row);
        }
    }
    let mut years: Vec<i32> = latest
        .iter()
        .flatten()
        .map(|r| r.observation.year)
        .collect();
    years.sort_unstable();
    years.dedup();
    let observed_population = |unit: usize, year: i32| {
        report
            .backtest
            .rows
            .iter()
            .find(|r| {
                r.observation.unit == unit
                    && r.observation.year == year
                    && r.observation.variable == Variable::Population
            })
            .map(|r| r.observation.value)
    };
    let units = latest
        .iter()
        .enumerate()
        .filter_map(|(i, row)| {
            let row = (*row)?;
            let year = row.observation.year;
            let population = observed_population(i, year).or_else(|| {
                t.year_index(year)
                    .and_then(|k| t.population.get(k))
                    .and_then(|p| p.get(i))
                    .copied()
            })?;
            let unit = &data.units[i];
            Some(MapUnit {
                label: unit.label(),
                lon: unit.lon,
                lat: unit.lat,
                population,
                growth_pct: row.pct_error(Forecast::Model),
            })
        })
        .collect();
    let which = if years.len() > 1 {
        " · 每个单元取最近观测年份 each unit's latest observed year"
    } else {
        ""
    };
    MapChart {
        title: format!(
            "模型误差 Model error: {}, {}",
            variable_zh(variable),
            years_text(&years)
        ),
        subtitle: format!(
            "{} · 误差 error = (模型−观测)/观测 (model−observed)/observed · 圆面积 ∝ 常住人口 area ∝ population{which}",
            subtitle(report)
        ),
        units,
        flows: Vec::new(),
        colour_label: Some("模型误差 model error (%), 红 = 偏高 red = too high".to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// Terminal

/// The terminal table: one line per variable and forecast.
pub fn summary(report: &BacktestReport<'_>) -> String {
    let backtest = report.backtest;
    let mut units: Vec<usize> = backtest.rows.iter().map(|r| r.observation.unit).collect();
    units.sort_unstable();
    units.dedup();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Backtest of `{}` ({}–{}) against {}: {} observations of {} units in {}",
        report.run.scenario.name,
        report.run.scenario.start_year,
        report.run.scenario.end_year,
        report.observed.path,
        backtest.rows.len(),
        units.len(),
        backtest
            .years()
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(selection) = &report.observed.selection {
        let _ = writeln!(
            out,
            "Scored: only {}",
            selection.describe(backtest.rows.len())
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<11} {:<15} {:>4} {:>8} {:>13} {:>8} {:>9} {:>9} {:>16} {:>15}",
        "variable",
        "forecast",
        "n",
        "MAPE %",
        "median APE %",
        "bias %",
        "RMSE log",
        "ρ growth",
        "direction right",
        "region total %"
    );
    for row in &backtest.summary {
        let s = &row.summary;
        let _ = writeln!(
            out,
            "{:<11} {:<15} {:>4} {:>8} {:>13} {:>8} {:>9} {:>9} {:>16} {:>15}",
            row.variable.id(),
            row.forecast.id(),
            s.n,
            show(s.mape_pct, 2),
            show(s.median_ape_pct, 2),
            show(s.bias_pct, 2),
            show(s.rmse_log, 4),
            show(s.spearman_growth, 3),
            show(s.sign_agreement, 3),
            show(s.total_error_pct, 2),
        );
    }
    // The other yardsticks, one line per variable: intervals, totals imposed, census-adjusted.
    let _ = writeln!(out);
    for variable in backtest.variables() {
        let rows: Vec<_> = backtest
            .summary
            .iter()
            .filter(|r| r.variable == variable)
            .collect();
        let listed = |value: Metric| {
            rows.iter()
                .map(|r| format!("{} {}", r.forecast.id(), show(value(r), 2)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some((in80, in95)) = rows.iter().find_map(|r| r.coverage) {
            let _ = writeln!(
                out,
                "{}: model intervals cover {:.0} % (80 %) and {:.0} % (95 %) of the observations",
                variable.id(),
                100.0 * in80,
                100.0 * in95
            );
        }
        let _ = writeln!(
            out,
            "{}: MAPE % with the observed provincial totals imposed: {}",
            variable.id(),
            listed(|r| r.mape_totals_imposed_pct)
        );
        // Population-only metrics: a line when the variable has them.
        let population_only: [(&str, Metric); 2] = [
            (
                "MAPE % against census-adjusted observations (differences since the 2010 census ÷ φ)",
                |r| r.mape_census_adjusted_pct,
            ),
            (
                "share of the census decade carried (slope of within-province growth on census momentum's)",
                |r| r.census_persistence,
            ),
        ];
        for (label, metric) in population_only {
            if rows.iter().any(|r| metric(r).is_some()) {
                let _ = writeln!(out, "{}: {label}: {}", variable.id(), listed(metric));
            }
        }
    }
    if backtest.groups.len() > 1 {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "MAPE % by kind of unit (backtest_groups.csv); \"total imposed\": each kind's observed total imposed on every forecast, which scores only how a forecast spreads it over the kind's units:"
        );
        for variable in backtest.variables() {
            for group in &backtest.groups {
                let rows = group.rows_of(variable);
                if rows.is_empty() {
                    continue;
                }
                let units = group.units_of(variable);
                let _ = writeln!(
                    out,
                    "  {}, {} ({} unit{}): {}",
                    variable.id(),
                    group.label,
                    units,
                    if units == 1 { "" } else { "s" },
                    rows.iter()
                        .map(|r| format!("{} {}", r.forecast.id(), show(r.summary.mape_pct, 2)))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                // A kind of one unit matches its own total exactly: nothing to show.
                if units > 1 && rows.iter().any(|r| r.mape_totals_imposed_pct.is_some()) {
                    let _ = writeln!(
                        out,
                        "    total imposed: {}",
                        rows.iter()
                            .map(|r| format!(
                                "{} {}",
                                r.forecast.id(),
                                show(r.mape_totals_imposed_pct, 2)
                            ))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
            }
        }
    }
    if !report.cross_validation.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Leave-one-province-out cross-validation of census_momentum (population; cross_validation.csv):"
        );
        for fold in report.cross_validation {
            let mape = |forecast: Forecast| {
                fold.scores
                    .iter()
                    .find(|r| r.forecast == forecast)
                    .and_then(|r| r.summary.mape_pct)
                    .map_or_else(|| "—".to_string(), |m| format!("{m:.2}"))
            };
            let _ = writeln!(
                out,
                "  {} held out: α = {} fitted on the other province (MAPE {:.2} %); on {}: the model at that α {} %, regional {} %, trend {} %, census momentum {} %",
                fold.held_out.id(),
                fold.fitted,
                fold.fit_mape_pct,
                fold.held_out.id(),
                mape(Forecast::Model),
                mape(Forecast::NaiveRegional),
                mape(Forecast::NaiveTrend),
                mape(Forecast::CensusMomentum),
            );
        }
    }
    let _ = writeln!(out);
    let _ = write!(
        out,
        "% errors: 100·(forecast − observed)/observed; growth: value / start-year value; Spearman ranks growth beyond the plan area's over the same years (docs/BACKTEST.md)"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_unit_are_named_in_both_languages() {
        use crate::backtest::{GroupSummary, UnitGroup};
        use crate::data::{Dataset, Province};
        let data = Dataset::embedded();
        let kind = |province, core, label: &str| GroupSummary {
            group: UnitGroup { province, core },
            label: label.to_string(),
            units_by_variable: Default::default(),
            summary: Vec::new(),
        };
        let named = |g: GroupSummary| kind_label(&g, &data);
        assert_eq!(
            named(kind(Province::Chongqing, true, "Chongqing core units")),
            "重庆主城 Chongqing core units"
        );
        assert_eq!(
            named(kind(Province::Chongqing, false, "other Chongqing units")),
            "重庆其他 other Chongqing units"
        );
        assert_eq!(
            named(kind(Province::Sichuan, false, "other Sichuan units")),
            "四川其他 other Sichuan units"
        );
        // A kind of one unit is named by the unit.
        assert_eq!(
            named(kind(Province::Sichuan, true, "Chengdu")),
            "成都 Chengdu"
        );
    }

    #[test]
    fn numbers_in_files_and_charts() {
        assert_eq!(num(Some(1.23456), 3), "1.235");
        assert_eq!(num(Some(f64::NAN), 3), "");
        assert_eq!(num(Some(f64::INFINITY), 3), "");
        assert_eq!(num(None, 3), "");
        assert_eq!(chart_number(Some(13.82), "%", false), "13.8%");
        assert_eq!(chart_number(Some(-0.52), "%", true), "−0.5%");
        assert_eq!(chart_number(Some(11.93), "%", true), "+11.9%");
        // A value that rounds to zero carries no sign.
        assert_eq!(chart_number(Some(-0.0028), "", false), "0.00");
        assert_eq!(chart_number(Some(-0.01), "%", true), "0.0%");
        assert_eq!(chart_number(None, "", false), "—");
        assert_eq!(years_text(&[2016, 2020]), "2016–2020");
        assert_eq!(years_text(&[2020]), "2020");
        assert_eq!(years_text(&[]), "—");
    }

    #[test]
    fn every_character_of_this_module_renders() {
        assert_eq!(
            charts::missing_glyphs(include_str!("backtest.rs")),
            Vec::<char>::new()
        );
    }
}
