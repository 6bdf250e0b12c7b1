//! Outputs of a run: tidy CSV, the manifest, charts and the terminal summary.
//!
//! Table contents are built by pure functions; writing is a thin layer on top. Every number is
//! formatted with a fixed number of decimals so that outputs are byte-identical across runs.

pub mod backtest;
pub mod calibrate;
pub mod charts;
pub mod compare;

pub mod figures;
pub mod html;
pub mod outputs;
pub mod sweep;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::data::{self, Dataset, Province};
use crate::engine::{Prepared, Trajectory};
use crate::scenario::Scenario;

use crate::targets;
pub use crate::targets::{TargetRow, Verdict};

/// Id of the rest-of-China node in migration files.
pub const REST_OF_CHINA_ID: &str = "rest_of_china";

/// The plan's 2014 control totals (前言).
pub const PLAN_POPULATION_2014: f64 = 90_940_000.0;
pub const PLAN_GDP_2014: f64 = 3.76e12;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error(transparent)]
    Chart(#[from] charts::ChartError),
    #[error("sensitivity estimates: {0}")]
    Sweep(String),
}

/// Everything a report is made from.
pub struct RunReport<'a> {
    pub data: &'a Dataset,
    pub scenario: &'a Scenario,
    pub prepared: &'a Prepared,
    pub trajectory: &'a Trajectory,
    /// The run's parameter uncertainty (`sweep::spread`), widening the intervals of
    /// `trajectories.csv`; `None`: backtest errors only.
    pub parameter_spread: Option<&'a crate::sweep::spread::ParameterSpread>,
}

/// Years whose migration matrix is written: the start year, 2020 and 2030 (when in the run).
pub fn migration_years(scenario: &Scenario) -> Vec<i32> {
    let mut years = vec![scenario.start_year];
    for year in [2020, 2030] {
        if year > scenario.start_year && year <= scenario.end_year {
            years.push(year);
        }
    }
    years
}

/// A group of units for totals.
pub struct Region {
    pub id: &'static str,
    pub members: Vec<usize>,
}

/// The region totals reported: the plan area, each province, and the Chongqing core.
pub fn regions(data: &Dataset) -> Vec<Region> {
    let select = |keep: &dyn Fn(&data::Unit) -> bool| -> Vec<usize> {
        (0..data.units.len())
            .filter(|&i| keep(&data.units[i]))
            .collect()
    };
    vec![
        Region {
            id: "plan_area",
            members: select(&|_| true),
        },
        Region {
            id: "sichuan",
            members: select(&|u| u.province == Province::Sichuan),
        },
        Region {
            id: "chongqing",
            members: select(&|u| u.province == Province::Chongqing),
        },
        Region {
            id: "chongqing_core",
            members: select(&|u| u.is_chongqing_core()),
        },
    ]
}

/// Writes a run's tables and charts into `dir` (which must exist). Returns the names written;
/// [`outputs::write_run`] adds the page and the manifest.
pub fn write_data(report: &RunReport<'_>, dir: &Path) -> Result<Vec<String>, ReportError> {
    let mut written = Vec::new();
    write_trajectories(report, &dir.join("trajectories.csv"))?;
    written.push("trajectories.csv".to_string());
    write_totals(report, &dir.join("totals.csv"))?;
    written.push("totals.csv".to_string());
    for year in migration_years(report.scenario) {
        let name = format!("migration_{year}.csv");
        write_migration(report, year, &dir.join(&name))?;
        written.push(name);
    }
    write_targets(report, &dir.join("targets.csv"))?;
    written.push("targets.csv".to_string());
    write_base_year_checks(report, &dir.join("base_year_checks.csv"))?;
    written.push("base_year_checks.csv".to_string());
    for stem in figures::draw_all(report, dir)? {
        written.push(format!("{stem}.svg"));
        written.push(format!("{stem}.png"));
    }
    Ok(written)
}

fn csv_writer(path: &Path) -> Result<csv::Writer<std::fs::File>, ReportError> {
    csv::Writer::from_path(path).map_err(|source| ReportError::Csv {
        path: path.to_path_buf(),
        source,
    })
}

fn finish(mut writer: csv::Writer<std::fs::File>, path: &Path) -> Result<(), ReportError> {
    writer.flush().map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn csv_error(path: &Path) -> impl Fn(csv::Error) -> ReportError + '_ {
    move |source| ReportError::Csv {
        path: path.to_path_buf(),
        source,
    }
}

/// Persons and yuan are written with one decimal, per-head values with two.
pub(crate) fn f1(x: f64) -> String {
    format!("{x:.1}")
}
pub(crate) fn f2(x: f64) -> String {
    format!("{x:.2}")
}

const SERIES_HEADER: [&str; 6] = [
    "population",
    "gdp",
    "gdp_per_capita",
    "urban_population",
    "net_migration",
    "net_migration_rest_of_china",
];

/// One row of `trajectories.csv` or `totals.csv`: the sums over `members` in one year.
fn series_row(
    report: &RunReport<'_>,
    year_index: usize,
    id: &str,
    members: &[usize],
) -> [String; 9] {
    let t = report.trajectory;
    let sum = |series: &crate::engine::Series| -> f64 {
        members.iter().map(|&u| series[year_index][u]).sum()
    };
    let population = sum(&t.population);
    let gdp = sum(&t.gdp);
    [
        report.scenario.name.clone(),
        t.years[year_index].to_string(),
        id.to_string(),
        f1(population),
        f1(gdp),
        f2(gdp / population),
        f1(sum(&t.urban_population)),
        f1(sum(&t.net_migration)),
        f1(sum(&t.net_migration_rest_of_china)),
    ]
}

/// The interval columns of `trajectories.csv` (backtest::intervals): 80 % and 95 % bounds of
/// population and GDP.
pub(crate) const INTERVAL_HEADER: [&str; 8] = [
    "population_lo80",
    "population_hi80",
    "population_lo95",
    "population_hi95",
    "gdp_lo80",
    "gdp_hi80",
    "gdp_lo95",
    "gdp_hi95",
];

/// The prediction intervals of one unit in one year, as (low, high) pairs at 80 % and 95 %:
/// what `trajectories.csv` writes (via [`interval_cells`]) and the charts shade (`figures`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct UnitIntervals {
    /// Persons: [(lo80, hi80), (lo95, hi95)].
    pub population: [(f64, f64); 2],
    /// Yuan at 2014 prices: [(lo80, hi80), (lo95, hi95)].
    pub gdp: [(f64, f64); 2],
}

/// A unit's intervals in year `year_index`: the backtest error at this horizon combined with
/// the parameter spread and, for population, the census gap,
/// σ = √(σ_err(h)² + σ_par² + σ_census²), σ_err = s·h for population and s·√h for GDP
/// (`backtest::intervals`).
pub(crate) fn unit_intervals(
    report: &RunReport<'_>,
    year_index: usize,
    unit: usize,
) -> UnitIntervals {
    use crate::backtest::intervals::{
        census_gap_sigma, gdp_error_sigma, interval_with_sigma, population_error_sigma, Z80, Z95,
    };
    let t = report.trajectory;
    let horizon = t.years[year_index] - t.years[0];
    let spread = |series: fn(&crate::sweep::spread::ParameterSpread) -> &Vec<Vec<f64>>| {
        report
            .parameter_spread
            .and_then(|s| series(s).get(year_index))
            .and_then(|row| row.get(unit))
            .copied()
            .unwrap_or(0.0)
    };
    let bounds = |value: f64, error: f64, parameters: f64| {
        let sigma = error.hypot(parameters);
        [Z80, Z95].map(|z| interval_with_sigma(value, sigma, z))
    };
    UnitIntervals {
        population: bounds(
            t.population[year_index][unit],
            population_error_sigma(horizon).hypot(census_gap_sigma(t.years[year_index])),
            spread(|s| &s.population),
        ),
        gdp: bounds(
            t.gdp[year_index][unit],
            gdp_error_sigma(horizon),
            spread(|s| &s.gdp),
        ),
    }
}

/// The interval columns of one unit's row, in [`INTERVAL_HEADER`] order: [`unit_intervals`]
/// with one decimal.
pub(crate) fn interval_cells(
    report: &RunReport<'_>,
    year_index: usize,
    unit: usize,
) -> Vec<String> {
    let intervals = unit_intervals(report, year_index, unit);
    intervals
        .population
        .iter()
        .chain(&intervals.gdp)
        .flat_map(|&(low, high)| [f1(low), f1(high)])
        .collect()
}

/// Writes `header` then one row per year and group of units; with `per_unit`, each group is one
/// unit, named (Chinese, English, province) after its id, and its row ends with the intervals.
fn write_series(
    report: &RunReport<'_>,
    path: &Path,
    id_column: &str,
    groups: &[(String, Vec<usize>)],
    per_unit: bool,
) -> Result<(), ReportError> {
    let mut writer = csv_writer(path)?;
    let err = csv_error(path);
    let names = ["name_zh", "name_en", "province"];
    let header = ["scenario", "year", id_column]
        .into_iter()
        .chain(names.into_iter().filter(|_| per_unit))
        .chain(SERIES_HEADER)
        .chain(INTERVAL_HEADER.into_iter().filter(|_| per_unit));
    writer.write_record(header).map_err(&err)?;
    for index in 0..report.trajectory.years.len() {
        for (id, members) in groups {
            let mut row = series_row(report, index, id, members).to_vec();
            if per_unit {
                let unit = &report.data.units[members[0]];
                let names = [
                    unit.name_zh.clone(),
                    unit.name_en.clone(),
                    unit.province.id().to_string(),
                ];
                row.splice(3..3, names);
                row.extend(interval_cells(report, index, members[0]));
            }
            writer.write_record(&row).map_err(&err)?;
        }
    }
    finish(writer, path)
}

/// `trajectories.csv`: one row per unit and year.
pub fn write_trajectories(report: &RunReport<'_>, path: &Path) -> Result<(), ReportError> {
    let units: Vec<(String, Vec<usize>)> = report
        .data
        .units
        .iter()
        .enumerate()
        .map(|(i, unit)| (unit.id.clone(), vec![i]))
        .collect();
    write_series(report, path, "unit_id", &units, true)
}

/// `totals.csv`: the plan area, each province and the Chongqing core, per year.
pub fn write_totals(report: &RunReport<'_>, path: &Path) -> Result<(), ReportError> {
    let groups: Vec<(String, Vec<usize>)> = regions(report.data)
        .into_iter()
        .map(|region| (region.id.to_string(), region.members))
        .collect();
    write_series(report, path, "region", &groups, false)
}

/// `migration_<year>.csv`: origin, destination, persons moving during that year.
pub fn write_migration(report: &RunReport<'_>, year: i32, path: &Path) -> Result<(), ReportError> {
    let mut writer = csv_writer(path)?;
    let err = csv_error(path);
    writer
        .write_record(["scenario", "year", "origin", "destination", "persons"])
        .map_err(&err)?;
    if let Some(matrix) = report.trajectory.flow_matrices.get(&year) {
        let id = |node: usize| -> &str {
            if node == 0 {
                REST_OF_CHINA_ID
            } else {
                &report.data.units[node - 1].id
            }
        };
        for origin in 0..matrix.nrows() {
            for destination in 0..matrix.ncols() {
                if origin != destination {
                    writer
                        .write_record([
                            report.scenario.name.as_str(),
                            &year.to_string(),
                            id(origin),
                            id(destination),
                            &f1(matrix[(origin, destination)]),
                        ])
                        .map_err(&err)?;
                }
            }
        }
    }
    finish(writer, path)
}

/// The scorecard rows of a run.
pub fn target_rows(report: &RunReport<'_>) -> Vec<TargetRow> {
    targets::score(
        report.data,
        report.trajectory,
        report.scenario.params.land_per_person_m2(),
    )
}

/// The base-year checks of a run.
pub fn base_year_rows(report: &RunReport<'_>) -> Vec<targets::BaseYearCheck> {
    targets::base_year_checks(report.data, report.trajectory)
}

fn opt(x: Option<f64>, decimals: usize) -> String {
    x.map_or(String::new(), |v| format!("{v:.decimals$}"))
}

/// Header of `targets.csv` (and, with `scenario`, of compare's `targets_comparison.csv`).
pub const TARGET_COLUMNS: [&str; 17] = [
    "target_id",
    "unit_id",
    "indicator",
    "year",
    "target",
    "measure",
    "low",
    "central",
    "high",
    "gap_pct",
    "verdict",
    "share_low",
    "share_central",
    "share_high",
    "share_basis",
    "m2_per_person_low",
    "m2_per_person_high",
];

/// The cells of one scorecard row, in [`TARGET_COLUMNS`] order.
pub fn target_cells(row: &TargetRow) -> Vec<String> {
    let range = |r: Option<data::central_urban::Range>, decimals: usize| {
        [
            opt(r.map(|r| r.low), decimals),
            opt(r.map(|r| r.central), decimals),
            opt(r.map(|r| r.high), decimals),
        ]
    };
    let [low, central, high] = range(row.projected, 1);
    let [share_low, share_central, share_high] = range(row.share, 4);
    let [m2_low, _, m2_high] = range(row.land_m2_per_person, 1);
    vec![
        row.target_id.clone(),
        row.unit_id.clone(),
        row.indicator.clone(),
        row.year.to_string(),
        format!("{}", row.target),
        row.measure.clone(),
        low,
        central,
        high,
        opt(row.gap_pct(), 2),
        row.verdict.map_or(String::new(), |v| v.to_string()),
        share_low,
        share_central,
        share_high,
        row.share_basis.clone(),
        m2_low,
        m2_high,
    ]
}

/// `targets.csv`: the 14 regional-centre targets with low / central / high and a verdict.
pub fn write_targets(report: &RunReport<'_>, path: &Path) -> Result<(), ReportError> {
    let mut writer = csv_writer(path)?;
    let err = csv_error(path);
    writer.write_record(TARGET_COLUMNS).map_err(&err)?;
    for row in target_rows(report) {
        writer.write_record(target_cells(&row)).map_err(&err)?;
    }
    finish(writer, path)
}

/// `base_year_checks.csv`: the 2014 figures the plan states, against the base year. Not
/// targets: they never count among the targets met.
pub fn write_base_year_checks(report: &RunReport<'_>, path: &Path) -> Result<(), ReportError> {
    let mut writer = csv_writer(path)?;
    let err = csv_error(path);
    writer
        .write_record([
            "check_id",
            "indicator",
            "year",
            "plan_value",
            "modelled",
            "gap_pct",
            "tolerance_pct",
            "status",
            "measure",
        ])
        .map_err(&err)?;
    for check in base_year_rows(report) {
        writer
            .write_record([
                check.check_id.clone(),
                check.indicator.clone(),
                check.year.to_string(),
                format!("{}", check.plan_value),
                opt(check.modelled, 1),
                opt(check.gap_pct(), 2),
                opt(check.tolerance_pct, 0),
                match check.agrees() {
                    Some(true) => "agrees",
                    Some(false) => "differs",
                    None => "not_modelled",
                }
                .to_string(),
                check.measure.clone(),
            ])
            .map_err(&err)?;
    }
    finish(writer, path)
}

/// SHA-256 of each written output, by file name (for manifests).
pub fn output_hashes(
    dir: &Path,
    outputs: &[String],
) -> Result<serde_json::Map<String, serde_json::Value>, ReportError> {
    let mut hashes = serde_json::Map::new();
    for name in outputs {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).map_err(|source| ReportError::Io {
            path: path.clone(),
            source,
        })?;
        hashes.insert(name.clone(), json!(data::sha256_hex(&bytes)));
    }
    Ok(hashes)
}

/// `manifest.json`: what produced these files, so that anyone can reproduce them.
pub fn write_manifest(
    report: &RunReport<'_>,
    dir: &Path,
    outputs: &[String],
) -> Result<(), ReportError> {
    let scenario = report.scenario;
    let prepared = report.prepared;
    let output_hashes = output_hashes(dir, outputs)?;
    let parameters: serde_json::Map<String, serde_json::Value> = scenario
        .params
        .iter()
        .map(|(name, value)| (name.to_string(), json!(value)))
        .collect();
    let trends: serde_json::Map<String, serde_json::Value> = report
        .data
        .units
        .iter()
        .enumerate()
        .map(|(i, unit)| {
            (
                unit.id.clone(),
                json!({
                    "measured_relative_trend": prepared.measured_unit_trend[i],
                    "used_relative_trend": prepared.unit_trend[i],
                    "pre_start_net_migration_rate": prepared.observed_net_migration_rate[i],
                    "amenity": prepared.structure.amenity[i + 1],
                    // The part that fades at `differential_decay` (0 when it is off).
                    "differential_amenity": prepared.differential_amenity[i + 1],
                }),
            )
        })
        .collect();
    // A 2010 start says how its base year was built (docs/CALIBRATION.md).
    let hindcast_base = (scenario.start_year == crate::scenario::CENSUS_YEAR).then(|| {
        let prices = crate::engine::base::PriceHistory::new(report.data);
        let estimates: Vec<serde_json::Value> = report
            .data
            .units
            .iter()
            .zip(crate::engine::base::gdp_2010(report.data))
            .filter(|(_, gdp)| !gdp.estimate.is_empty())
            .map(|(unit, gdp)| {
                json!({ "unit": unit.id, "gdp_2010_current_yuan": gdp.nominal, "method": gdp.estimate })
            })
            .collect();
        json!({
            "population": "2010 census residents (2010-11-01, taken as year-end 2010)",
            "gdp": "2010 GDP (history file) × deflator 2014 / deflator 2010",
            "gdp_estimates": estimates,
            "deflator_2014_is_1": prices.deflator.iter().map(|(y, v)| (y.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
            "derived_real_growth_used_where_macro_file_has_none": {
                "sichuan": prices.real_growth[0].iter().map(|(y, v)| (y.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
                "chongqing": prices.real_growth[1].iter().map(|(y, v)| (y.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
            },
            "net_migration_targets": "each province's observed 2010–2014 level plus census_momentum × the unit's 2000→2010 census differential",
            "calibration_window_shift_per_year": {
                "sichuan": prepared.window_shift[crate::data::Province::Sichuan.index()],
                "chongqing": prepared.window_shift[crate::data::Province::Chongqing.index()],
                "why": "added to the targets in the base-year calibration so that the run's mean net migration over 2011–2014, not its first year's, meets them (docs/CALIBRATION.md §1)",
            },
            "unit_trends": "none (measured on 2010–2014)",
        })
    });
    let mut manifest = json!({
        "engine": { "name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION") },
        "scenario": {
            "name": scenario.name,
            "description": scenario.description,
            "file": scenario.source.as_ref().map(|p| p.display().to_string()),
            "sha256": scenario.source_hash,
            "extends_chain": scenario
                .sources
                .iter()
                .map(|(file, sha256)| json!({ "file": file, "sha256": sha256 }))
                .collect::<Vec<_>>(),
            "seed": scenario.seed,
            "start_year": scenario.start_year,
            "end_year": scenario.end_year,
            "policies": scenario
                .policies
                .iter()
                .map(|p| json!({ "name": p.label, "lever": compare::describe(&p.policy, report.data) }))
                .collect::<Vec<_>>(),
            "macro_paths": scenario
                .macro_paths
                .iter()
                .map(|m| json!({
                    "region": m.region,
                    "indicator": format!("{:?}", m.indicator),
                    "from_year": m.from_year,
                    "to_year": m.to_year,
                    "value": m.value,
                }))
                .collect::<Vec<_>>(),
        },
        "data": {
            "source": report.data.source.to_string(),
            "sha256": report.data.hashes,
            "recalled_unverified_drivers": report.data.macro_drivers.unverified,
        },
        "parameters": parameters,
        "calibration": {
            "fixed_cost_between_units": prepared.calibration.fixed_cost,
            "fixed_cost_rest_of_china": prepared.calibration.fixed_cost_rest_of_china,
            "rounds": prepared.calibration.rounds,
            "max_net_migration_rate_residual": prepared.calibration.max_rate_residual,
            "units": trends,
        },
        "outputs": output_hashes,
        "units_of_measure": {
            "population": "persons (year-end resident population)",
            "gdp": "yuan at constant 2014 prices",
            "gdp_per_capita": "yuan per person at constant 2014 prices",
            "urban_population": "persons",
            "net_migration": "persons moving in during the year minus persons moving out (start year: calibrated base-year flows)",
            "net_migration_rest_of_china": "the part of net_migration exchanged with the rest of China, persons (the rest is net moves from other plan units)",
            "persons": "persons moving from origin to destination during the year",
        },
    });
    if let Some(base) = hindcast_base {
        manifest["hindcast_base"] = base;
    }
    let path = dir.join("manifest.json");
    let text =
        serde_json::to_string_pretty(&manifest).expect("JSON values always serialise") + "\n";
    std::fs::write(&path, text).map_err(|source| ReportError::Io { path, source })
}

/// Display divisor and suffix of a measure (persons in 万, yuan in 亿).
fn scale_of(measure: &str) -> (f64, &'static str) {
    match measure {
        "persons" => (1e4, "万"),
        "yuan_current" => (1e8, "亿"),
        "km2" => (1.0, " km²"),
        "towns per 10000 km2" => (1.0, "/10⁴km²"),
        _ => (1.0, ""),
    }
}

/// 万 (10⁴) with one decimal, for people-facing tables.
pub fn wan(x: f64) -> String {
    format!("{:.1}", x / 1e4)
}

/// 亿 (10⁸) with zero decimals.
pub fn yi(x: f64) -> String {
    format!("{:.0}", x / 1e8)
}

/// The short terminal summary: totals in 2014/2020/2030 and the targets table.
pub fn summary(report: &RunReport<'_>) -> String {
    let t = report.trajectory;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Scenario `{}` — {}–{}, 44 units",
        report.scenario.name, report.scenario.start_year, report.scenario.end_year
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<8} {:>14} {:>14} {:>16} {:>21}",
        "year", "population 万", "GDP 亿元", "GDP/head 元", "net migration 万/yr"
    );
    // A hindcast shows 2014 too: the plan's row below compares that year.
    let mut years = vec![report.scenario.start_year];
    if report.scenario.start_year < 2014 {
        years.push(2014);
    }
    years.extend([2020, 2030]);
    for year in years {
        if let Some(i) = t.year_index(year) {
            let population = Trajectory::total(&t.population, i);
            let gdp = Trajectory::total(&t.gdp, i);
            let _ = writeln!(
                out,
                "{:<8} {:>14} {:>14} {:>16.0} {:>21}",
                year,
                wan(population),
                yi(gdp),
                gdp / population,
                wan(Trajectory::total(&t.net_migration, i)),
            );
        }
    }
    if let Some(i) = t.year_index(2014) {
        let population = Trajectory::total(&t.population, i);
        let gdp = Trajectory::total(&t.gdp, i);
        let _ = writeln!(
            out,
            "{:<8} {:>14} {:>14}   the plan's 2014 figures (前言); our 2014 against them: population {:+.1}%, GDP {:+.1}% (our units include all of Kaizhou and Yunyang)",
            "plan",
            wan(PLAN_POPULATION_2014),
            yi(PLAN_GDP_2014),
            100.0 * (population / PLAN_POPULATION_2014 - 1.0),
            100.0 * (gdp / PLAN_GDP_2014 - 1.0),
        );
    }
    let _ = writeln!(
        out,
        "  GDP at constant 2014 prices; net migration: moves into the plan's units minus moves out, in the year."
    );
    let _ = writeln!(out);
    let rows = target_rows(report);
    let tally = targets::tally(&rows);
    let _ = writeln!(
        out,
        "Regional-centre targets (专栏1): central estimate (low–high)\n{tally}"
    );
    let _ = writeln!(
        out,
        "{:<28} {:>6} {:>11}   {:<26} {:>8}  verdict",
        "target", "year", "target", "projected (low–high)", "gap %"
    );
    for row in &rows {
        let (scale, unit) = scale_of(&row.measure);
        let show = |x: f64| format!("{:.1}", x / scale);
        let _ = writeln!(
            out,
            "{:<28} {:>6} {:>11}   {:<26} {:>8}  {}",
            row.target_id,
            row.year,
            format!("{}{unit}", show(row.target)),
            row.projected.map_or("—".into(), |p| format!(
                "{}{unit} ({}–{})",
                show(p.central),
                show(p.low),
                show(p.high)
            )),
            row.gap_pct().map_or("—".into(), signed_one_decimal),
            match row.verdict {
                Some(Verdict::Met) if row.is_ceiling() => "within ceiling",
                Some(verdict) => verdict.as_str(),
                None => "not projected",
            }
        );
    }
    let _ = writeln!(
        out,
        "  met / missed / within: the whole low–high range is on one side of the target. Land targets are ceilings on the\n  land the projected population needs: a centre short of its population target is within its land ceiling (targets.csv: met)."
    );
    let _ = writeln!(
        out,
        "  central-urban population = share of the unit's urban population (docs/TARGETS.md) × projected urban population."
    );
    let land = report
        .data
        .central_urban
        .land_per_person(report.scenario.params.land_per_person_m2());
    let trim_number = |x: f64| {
        if x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            format!("{x:.1}")
        }
    };
    let _ = writeln!(
        out,
        "  land = central-urban population × {} m² per person (range {}–{} m²){}.",
        trim_number(land.central),
        trim_number(land.low),
        trim_number(land.high),
        if land.central == 100.0 {
            ", so the central km² equal the central 万 and both rows of a centre share a gap"
        } else {
            ""
        }
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Base-year checks (2014 facts of the plan, not targets)"
    );
    for check in base_year_rows(report) {
        let (scale, unit) = scale_of(&check.measure);
        let _ = writeln!(
            out,
            "{:<28} {:>6} {:>11} {:>14} {:>8}  {}",
            check.check_id,
            check.year,
            format!("{:.1}{unit}", check.plan_value / scale),
            check
                .modelled
                .map_or("—".into(), |m| format!("{:.1}{unit}", m / scale)),
            check.gap_pct().map_or("—".into(), signed_one_decimal),
            match (check.agrees(), check.tolerance_pct) {
                (Some(true), Some(tol)) => format!("agrees (±{tol:.0}%)"),
                (Some(false), Some(tol)) => format!("differs (±{tol:.0}%)"),
                _ => "not modelled".to_string(),
            }
        );
    }
    out
}

/// `{:+.1}` that never prints "−0.0": a gap that rounds to zero is "+0.0".
pub(crate) fn signed_one_decimal(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    format!("{:+.1}", if rounded == 0.0 { 0.0 } else { value })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_gap_that_rounds_to_zero_has_no_minus_sign() {
        assert_eq!(super::signed_one_decimal(-0.04), "+0.0");
        assert_eq!(super::signed_one_decimal(-0.0), "+0.0");
        assert_eq!(super::signed_one_decimal(-0.06), "-0.1");
        assert_eq!(super::signed_one_decimal(12.34), "+12.3");
    }
}
