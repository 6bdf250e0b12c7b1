//! Scenario comparison: what differs in the inputs, what differs in the outputs, against the
//! first scenario (the reference). Tables are built by pure functions; writing is a thin layer.

use std::fmt::Write as _;
use std::path::Path;

use super::charts::{
    self, DifferenceBars, LineChart, MapChart, MapUnit, Panel, Series, TargetGrid,
};
use super::figures::status;
use super::{f1, f2, regions, target_rows, ReportError, RunReport, TargetRow, Verdict};
use crate::data::Dataset;
use crate::engine::Trajectory;
use crate::scenario::{Adjust, Policy, Scenario, TimeChange};

/// The reports of every scenario, reference first. All share one dataset's units.
pub struct Comparison<'a> {
    pub runs: Vec<RunReport<'a>>,
    /// Years of the unit tables, bars and the terminal table.
    pub years: Vec<i32>,
}

impl Comparison<'_> {
    fn reference(&self) -> &RunReport<'_> {
        &self.runs[0]
    }

    /// The last requested year that every run covers.
    pub fn focus_year(&self) -> Option<i32> {
        self.years.iter().rev().copied().find(|&year| {
            self.runs
                .iter()
                .all(|r| r.trajectory.year_index(year).is_some())
        })
    }
}

/// Writes the comparison's tables and charts into `dir`: everything but `report.html`
/// (`report::outputs::write_comparison` adds it). Returns the names written.
pub fn write_data(comparison: &Comparison<'_>, dir: &Path) -> Result<Vec<String>, ReportError> {
    let mut written = Vec::new();
    let mut write = |name: &str, text: String| -> Result<(), ReportError> {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| ReportError::Io { path, source })?;
        written.push(name.to_string());
        Ok(())
    };
    write("comparison.csv", comparison_csv(comparison))?;
    write("comparison_totals.csv", totals_csv(comparison))?;
    write("inputs_diff.csv", inputs_diff_csv(comparison))?;
    write("targets_comparison.csv", targets_csv(comparison))?;
    write("comparison_sources.csv", sources_csv(comparison))?;
    for stem in draw_all(comparison, dir)? {
        written.push(format!("{stem}.svg"));
        written.push(format!("{stem}.png"));
    }
    Ok(written)
}

/// Quotes a CSV field when needed (policy descriptions and lever names may hold commas).
pub(super) fn field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn difference(value: f64, reference: f64) -> (String, String) {
    let pct = if reference == 0.0 {
        String::new()
    } else {
        format!("{:.3}", 100.0 * (value / reference - 1.0))
    };
    (f1(value - reference), pct)
}

/// `comparison.csv`: per scenario, requested year and unit, levels and differences from the
/// reference.
pub fn comparison_csv(comparison: &Comparison<'_>) -> String {
    let mut out = format!(
        "scenario,year,unit_id,population,gdp,population_diff,population_diff_pct,gdp_diff,gdp_diff_pct,{}\n",
        super::INTERVAL_HEADER.join(",")
    );
    let reference = comparison.reference().trajectory;
    for run in &comparison.runs {
        let t = run.trajectory;
        for &year in &comparison.years {
            let (Some(i), Some(r)) = (t.year_index(year), reference.year_index(year)) else {
                continue;
            };
            for (u, unit) in run.data.units.iter().enumerate() {
                let (dp, dp_pct) = difference(t.population[i][u], reference.population[r][u]);
                let (dg, dg_pct) = difference(t.gdp[i][u], reference.gdp[r][u]);
                let _ = writeln!(
                    out,
                    "{},{year},{},{},{},{dp},{dp_pct},{dg},{dg_pct},{}",
                    run.scenario.name,
                    unit.id,
                    f1(t.population[i][u]),
                    f1(t.gdp[i][u]),
                    super::interval_cells(run, i, u).join(","),
                );
            }
        }
    }
    out
}

/// `comparison_totals.csv`: every year, region totals per scenario and differences.
pub fn totals_csv(comparison: &Comparison<'_>) -> String {
    let mut out = String::from("scenario,year,region,population,gdp,gdp_per_capita,population_diff,population_diff_pct,gdp_diff,gdp_diff_pct\n");
    let reference = comparison.reference().trajectory;
    let groups = regions(comparison.reference().data);
    for run in &comparison.runs {
        let t = run.trajectory;
        for (i, &year) in t.years.iter().enumerate() {
            let Some(r) = reference.year_index(year) else {
                continue;
            };
            for region in &groups {
                let sum = |tr: &Trajectory,
                           series: fn(&Trajectory) -> &crate::engine::Series,
                           k: usize|
                 -> f64 {
                    region.members.iter().map(|&u| series(tr)[k][u]).sum()
                };
                let population = sum(t, |t| &t.population, i);
                let gdp = sum(t, |t| &t.gdp, i);
                let (dp, dp_pct) = difference(population, sum(reference, |t| &t.population, r));
                let (dg, dg_pct) = difference(gdp, sum(reference, |t| &t.gdp, r));
                let _ = writeln!(
                    out,
                    "{},{year},{},{},{},{},{dp},{dp_pct},{dg},{dg_pct}",
                    run.scenario.name,
                    region.id,
                    f1(population),
                    f1(gdp),
                    f2(gdp / population),
                );
            }
        }
    }
    out
}

/// Where one unit's (or the region's) population difference from the reference comes from,
/// cumulated from the common start year to some year, persons. `difference` = `at_start` +
/// `rest_of_china` + `other_units` + `natural_growth` (an accounting identity of the runs).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sources {
    /// P(t) − P_ref(t).
    pub difference: f64,
    /// The difference in the common start year (0 when both runs start from the same data).
    pub at_start: f64,
    /// More (or less) cumulative net migration from the rest of China.
    pub rest_of_china: f64,
    /// More (or less) cumulative net moves from the other plan units (sums to 0 over the region).
    pub other_units: f64,
    /// More (or less) cumulative natural growth (births minus deaths, on a different population).
    pub natural_growth: f64,
}

impl Sources {
    fn add(&mut self, other: &Sources) {
        self.difference += other.difference;
        self.at_start += other.at_start;
        self.rest_of_china += other.rest_of_china;
        self.other_units += other.other_units;
        self.natural_growth += other.natural_growth;
    }
}

/// The sources of `run`'s population difference from `reference`, per year from the later of
/// the two start years to the earlier end year, per unit. A run's yearly change splits exactly
/// into net migration with the rest of China (`net_migration_rest_of_china`), net moves from
/// other units (the rest of `net_migration`) and natural growth (what remains of the change:
/// P(t) − P(t−1) − net(t)); the difference of cumulated components is the difference of
/// population changes.
pub fn sources(run: &Trajectory, reference: &Trajectory) -> Vec<(i32, Vec<Sources>)> {
    let (Some(&first_run), Some(&first_ref)) = (run.years.first(), reference.years.first()) else {
        return Vec::new();
    };
    let start = first_run.max(first_ref);
    let units = run.population.first().map_or(0, Vec::len);
    let (Some(i0), Some(r0)) = (run.year_index(start), reference.year_index(start)) else {
        return Vec::new();
    };
    let mut cumulative: Vec<Sources> = (0..units)
        .map(|u| {
            let gap = run.population[i0][u] - reference.population[r0][u];
            Sources {
                difference: gap,
                at_start: gap,
                ..Sources::default()
            }
        })
        .collect();
    let mut out = vec![(start, cumulative.clone())];
    // (rest of China, other units, natural growth) of one run's year k for unit u.
    let components = |t: &Trajectory, k: usize, u: usize| -> (f64, f64, f64) {
        let net = t.net_migration[k][u];
        let rest = t.net_migration_rest_of_china[k][u];
        let natural = t.population[k][u] - t.population[k - 1][u] - net;
        (rest, net - rest, natural)
    };
    for year in start + 1.. {
        let (Some(i), Some(r)) = (run.year_index(year), reference.year_index(year)) else {
            break;
        };
        for (u, c) in cumulative.iter_mut().enumerate() {
            let (rest, moves, natural) = components(run, i, u);
            let (rest_ref, moves_ref, natural_ref) = components(reference, r, u);
            c.rest_of_china += rest - rest_ref;
            c.other_units += moves - moves_ref;
            c.natural_growth += natural - natural_ref;
            c.difference = run.population[i][u] - reference.population[r][u];
        }
        out.push((year, cumulative.clone()));
    }
    out
}

/// The region's sources: the sum over units (moves between plan units cancel).
pub fn region_sources(by_unit: &[Sources]) -> Sources {
    let mut total = Sources::default();
    for s in by_unit {
        total.add(s);
    }
    total
}

/// People moved between plan units by the scenario: the sum of the positive cumulative
/// differences in net moves from other units (what some units gain from the others).
pub fn moved_between_units(by_unit: &[Sources]) -> f64 {
    by_unit.iter().map(|s| s.other_units.max(0.0)).sum()
}

/// `comparison_sources.csv`: every scenario but the reference, every year from the common start,
/// every unit and the plan area: the population difference from the reference and its sources.
pub fn sources_csv(comparison: &Comparison<'_>) -> String {
    let mut out = String::from("scenario,year,unit_id,population_diff,from_rest_of_china,from_other_units,natural_growth,difference_at_start\n");
    let reference = comparison.reference();
    for run in comparison.runs.iter().skip(1) {
        for (year, by_unit) in sources(run.trajectory, reference.trajectory) {
            let rows = run
                .data
                .units
                .iter()
                .map(|unit| unit.id.as_str())
                .zip(by_unit.iter().copied())
                .chain(std::iter::once(("plan_area", region_sources(&by_unit))));
            for (id, s) in rows {
                let _ = writeln!(
                    out,
                    "{},{year},{id},{},{},{},{},{}",
                    run.scenario.name,
                    f1(s.difference),
                    f1(s.rest_of_china),
                    f1(s.other_units),
                    f1(s.natural_growth),
                    f1(s.at_start),
                );
            }
        }
    }
    out
}

/// A policy in words, with unit ids: `"TravelTime from 2028: [chengdu] ↔ [yuzhong …] = 0.83 h"`.
pub fn describe(policy: &Policy, data: &Dataset) -> String {
    let ids = |units: &[usize]| -> String {
        if units.len() == data.units.len() {
            return "all units".to_string();
        }
        units
            .iter()
            .map(|&u| data.units[u].id.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let adjust = |adjust: &Adjust| match adjust {
        Adjust::Set(value) => format!("= {value}"),
        Adjust::Change(delta) => format!("{delta:+}"),
    };
    match policy {
        Policy::TravelTime {
            year,
            from,
            to,
            time,
        } => {
            let change = match time {
                TimeChange::Hours(hours) => format!("= {hours} h"),
                TimeChange::Factor(factor) => format!("× {factor}"),
            };
            format!(
                "TravelTime from {year}: [{}] ↔ [{}] {change}",
                ids(from),
                ids(to)
            )
        }
        Policy::HukouWedge {
            year,
            units,
            adjust: a,
        } => {
            format!("HukouWedge from {year}: [{}] {}", ids(units), adjust(a))
        }
        Policy::ProductivityShift {
            units,
            growth,
            from_year,
            to_year,
        } => format!(
            "ProductivityShift {from_year}–{to_year}: [{}] {:+} pp/yr",
            ids(units),
            growth * 100.0
        ),
        Policy::AmenityShift {
            units,
            delta,
            from_year,
            to_year,
        } => {
            format!(
                "AmenityShift {from_year}–{to_year}: [{}] {delta:+}",
                ids(units)
            )
        }
        Policy::LandCap { year, unit, km2 } => {
            format!("LandCap from {year}: {} {km2} km²", data.units[*unit].id)
        }
        Policy::BorderPenalty { year, adjust: a } => {
            format!("BorderPenalty from {year}: {}", adjust(a))
        }
    }
}

/// The resolved inputs of a scenario as (item, value) pairs: years, parameters, macro paths and
/// policies (each policy by its name, described in words).
pub fn resolved_inputs(scenario: &Scenario, data: &Dataset) -> Vec<(String, String)> {
    let mut items = vec![
        ("start_year".to_string(), scenario.start_year.to_string()),
        ("end_year".to_string(), scenario.end_year.to_string()),
        ("seed".to_string(), scenario.seed.to_string()),
        (
            "data".to_string(),
            scenario
                .data_dir
                .as_ref()
                .map_or("embedded".to_string(), |d| d.display().to_string()),
        ),
    ];
    for (name, value) in scenario.params.iter() {
        items.push((format!("parameters.{name}"), value.to_string()));
    }
    for path in &scenario.macro_paths {
        items.push((
            format!(
                "macro_paths.{}.{:?}.{}-{}",
                path.region, path.indicator, path.from_year, path.to_year
            ),
            path.value.to_string(),
        ));
    }
    for policy in &scenario.policies {
        items.push((
            format!("policies.{}", policy.label),
            describe(&policy.policy, data),
        ));
    }
    items
}

/// `inputs_diff.csv`: every resolved input that differs from the reference (absent = "").
pub fn inputs_diff_csv(comparison: &Comparison<'_>) -> String {
    let mut out = String::from("scenario,item,reference,value\n");
    let reference: std::collections::BTreeMap<String, String> =
        resolved_inputs(comparison.reference().scenario, comparison.reference().data)
            .into_iter()
            .collect();
    for run in comparison.runs.iter().skip(1) {
        let mine: std::collections::BTreeMap<String, String> =
            resolved_inputs(run.scenario, run.data)
                .into_iter()
                .collect();
        let keys: std::collections::BTreeSet<&String> =
            reference.keys().chain(mine.keys()).collect();
        for key in keys {
            let (a, b) = (reference.get(key), mine.get(key));
            if a != b {
                let _ = writeln!(
                    out,
                    "{},{},{},{}",
                    run.scenario.name,
                    field(key),
                    field(a.map_or("(absent)", String::as_str)),
                    field(b.map_or("(absent)", String::as_str)),
                );
            }
        }
    }
    out
}

/// `targets_comparison.csv`: every regional-centre target × scenario, long form; the columns
/// of `targets.csv` with `scenario` after `measure`.
pub fn targets_csv(comparison: &Comparison<'_>) -> String {
    let mut header: Vec<&str> = super::TARGET_COLUMNS.to_vec();
    header.insert(6, "scenario");
    let mut out = header.join(",") + "\n";
    let per_run: Vec<_> = comparison.runs.iter().map(target_rows).collect();
    for k in 0..per_run[0].len() {
        for (run, rows) in comparison.runs.iter().zip(&per_run) {
            let mut cells = super::target_cells(&rows[k]);
            cells.insert(6, run.scenario.name.clone());
            out.push_str(&cells.join(","));
            out.push('\n');
        }
    }
    out
}

/// Headline numbers of one run in one year.
pub struct Headline {
    pub population: f64,
    pub gdp: f64,
    pub chengdu_share: f64,
    pub chongqing_core_share: f64,
    /// Regional-centre central-urban population targets of 2020 (of 7) met and uncertain, if
    /// 2020 is run.
    pub centres_met_2020: Option<(usize, usize)>,
}

pub fn headline(run: &RunReport<'_>, year: i32) -> Option<Headline> {
    let t = run.trajectory;
    let i = t.year_index(year)?;
    let population = Trajectory::total(&t.population, i);
    let share =
        |members: &[usize]| members.iter().map(|&u| t.population[i][u]).sum::<f64>() / population;
    let chengdu: Vec<usize> = run.data.unit_index("chengdu").into_iter().collect();
    let core: Vec<usize> = (0..run.data.units.len())
        .filter(|&u| run.data.units[u].is_chongqing_core())
        .collect();
    Some(Headline {
        population,
        gdp: Trajectory::total(&t.gdp, i),
        chengdu_share: share(&chengdu),
        chongqing_core_share: share(&core),
        centres_met_2020: centres_met_2020(run),
    })
}

/// The 2020 central-urban population targets of the seven centres met and uncertain, if every
/// one is judged.
fn centres_met_2020(run: &RunReport<'_>) -> Option<(usize, usize)> {
    let rows = target_rows(run);
    let centres: Vec<_> = rows
        .iter()
        .filter(|r| r.indicator == "central_urban_population" && r.year == 2020)
        .collect();
    let count = |v: Verdict| centres.iter().filter(|r| r.verdict == Some(v)).count();
    centres
        .iter()
        .all(|r| r.verdict.is_some())
        .then(|| (count(Verdict::Met), count(Verdict::Uncertain)))
}

/// The terminal table: headline numbers per scenario in each requested year.
pub fn summary(comparison: &Comparison<'_>) -> String {
    let mut out = String::new();
    let names: Vec<&str> = comparison
        .runs
        .iter()
        .map(|r| r.scenario.name.as_str())
        .collect();
    let _ = writeln!(
        out,
        "Comparison of {} (reference: {})",
        names.join(", "),
        names[0]
    );
    for &year in &comparison.years {
        let Some(reference) = headline(comparison.reference(), year) else {
            continue;
        };
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{year:<6} {:<18} {:>12} {:>9} {:>12} {:>9} {:>15} {:>15}",
            "scenario",
            "pop 万",
            "diff %",
            "GDP 亿元",
            "diff %",
            "Chengdu share %",
            "CQ core share %"
        );
        for run in &comparison.runs {
            let Some(h) = headline(run, year) else {
                continue;
            };
            let _ = writeln!(
                out,
                "{:<6} {:<18} {:>12.1} {:>+9.2} {:>12.0} {:>+9.2} {:>15.2} {:>15.2}",
                "",
                run.scenario.name,
                h.population / 1e4,
                100.0 * (h.population / reference.population - 1.0),
                h.gdp / 1e8,
                100.0 * (h.gdp / reference.gdp - 1.0),
                100.0 * h.chengdu_share,
                100.0 * h.chongqing_core_share,
            );
        }
        let _ = writeln!(
            out,
            "{:<6} where the difference comes from (cumulative to {year}, 10^4 persons):",
            ""
        );
        for run in comparison.runs.iter().skip(1) {
            let all = sources(run.trajectory, comparison.reference().trajectory);
            let Some((_, by_unit)) = all.iter().find(|(y, _)| *y == year) else {
                continue;
            };
            let _ = writeln!(
                out,
                "{:<6} {}",
                "",
                source_line(&run.scenario.name, by_unit)
            );
        }
    }
    // The 2020 targets in the run terminal's words: population targets and land ceilings
    // counted apart, a ceiling kept as "within", not "met".
    let tallies: Vec<String> = comparison
        .runs
        .iter()
        .filter_map(|run| {
            let rows: Vec<TargetRow> = target_rows(run)
                .into_iter()
                .filter(|r| r.year == 2020)
                .collect();
            let tally = crate::targets::tally(&rows);
            (tally.population.judged() + tally.land.judged() > 0)
                .then(|| format!("{:<6} {:<18} {tally}", "", run.scenario.name))
        })
        .collect();
    if !tallies.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "2020 regional-centre targets (专栏1), per scenario:");
        for line in tallies {
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = writeln!(
        out,
        "GDP at constant 2014 prices; shares: % of the plan area's population; 万 = 10^4 persons, 亿元 = 10^8 yuan"
    );
    out
}

/// "plan  +875.3 = +700.1 from the rest of China + 175.2 natural growth; 150.3 moved between
/// plan units" (10⁴ persons).
fn source_line(name: &str, by_unit: &[Sources]) -> String {
    let total = region_sources(by_unit);
    let start = if total.at_start.abs() >= 50.0 {
        format!(" {:+.1} at the start,", total.at_start / 1e4)
    } else {
        String::new()
    };
    format!(
        "{name:<18} {:>+9.1} ={start} {:+.1} from the rest of China, {:+.1} natural growth; {:.1} moved between plan units",
        total.difference / 1e4,
        total.rest_of_china / 1e4,
        total.natural_growth / 1e4,
        moved_between_units(by_unit) / 1e4,
    )
}

// ---------------------------------------------------------------------------------------------
// Charts

fn subtitle(comparison: &Comparison<'_>) -> String {
    format!(
        "参照 reference: {} · simulate {} · 成渝城市群发展规划 (发改规划〔2016〕910号)",
        comparison.reference().scenario.name,
        env!("CARGO_PKG_VERSION")
    )
}

/// Plan-area population and GDP over time, one line per scenario.
pub fn totals_chart(comparison: &Comparison<'_>) -> LineChart {
    let series = |values: fn(&Trajectory) -> &crate::engine::Series| -> Vec<Series> {
        comparison
            .runs
            .iter()
            .map(|run| {
                let t = run.trajectory;
                Series {
                    label: run.scenario.name.clone(),
                    years: t.years.clone(),
                    values: (0..t.years.len())
                        .map(|i| Trajectory::total(values(t), i))
                        .collect(),
                    dashed: false,
                    band: None,
                    error_bars: Vec::new(),
                }
            })
            .collect()
    };
    LineChart {
        title: "成渝城市群合计 Plan-area totals by scenario".into(),
        subtitle: format!(
            "{} · 两图纵轴均从零开始 both y axes start at zero (a gap is a share of the level in either)",
            subtitle(comparison)
        ),
        x_label: "年 year".into(),
        // Both axes start at zero. By the automatic rule the GDP axis did (its 2014 value is a
        // third of its 2030 one) and the population axis did not (it grows 7 %), so a 3 %
        // population effect looked larger than a 7 % GDP effect. From zero, both panels end
        // near their top and a gap reads as the same share of the level in either; the exact
        // numbers are in the terminal table and comparison_totals.csv.
        panels: vec![
            Panel {
                title: "常住人口 Resident population".into(),
                y_label: "万人 (10⁴ persons)".into(),
                y_divisor: 1e4,
                log_y: false,
                y_from_zero: true,
                log_x: false,
                series: series(|t| &t.population),
                targets: Vec::new(),
                band_label: String::new(),
                error_bar_label: String::new(),
            },
            Panel {
                title: "地区生产总值 GDP".into(),
                y_label: "亿元 (10⁸ yuan, 2014 prices)".into(),
                y_divisor: 1e8,
                log_y: false,
                y_from_zero: true,
                log_x: false,
                series: series(|t| &t.gdp),
                targets: Vec::new(),
                band_label: String::new(),
                error_bar_label: String::new(),
            },
        ],
    }
}

/// Differences from the reference by unit in the focus year (one bar per other scenario).
pub fn difference_chart(comparison: &Comparison<'_>, gdp: bool, year: i32) -> DifferenceBars {
    let reference = comparison.reference();
    let r = reference.trajectory.year_index(year).unwrap_or(0);
    let pick =
        |t: &Trajectory, i: usize, u: usize| if gdp { t.gdp[i][u] } else { t.population[i][u] };
    let others: Vec<&RunReport<'_>> = comparison.runs.iter().skip(1).collect();
    DifferenceBars {
        title: if gdp {
            format!("{year} 地区生产总值差异 GDP difference by unit")
        } else {
            format!("{year} 常住人口差异 Population difference by unit")
        },
        subtitle: subtitle(comparison),
        value_label: if gdp {
            format!(
                "Δ {year} GDP vs {}, 亿元 (10⁸ yuan, 2014 prices)",
                reference.scenario.name
            )
        } else {
            format!(
                "Δ {year} population vs {}, 万人 (10⁴ persons)",
                reference.scenario.name
            )
        },
        divisor: if gdp { 1e8 } else { 1e4 },
        scenarios: others.iter().map(|run| run.scenario.name.clone()).collect(),
        labels: reference.data.units.iter().map(|u| u.label()).collect(),
        values: others
            .iter()
            .map(|run| {
                let t = run.trajectory;
                let i = t.year_index(year).unwrap_or(0);
                (0..reference.data.units.len())
                    .map(|u| pick(t, i, u) - pick(reference.trajectory, r, u))
                    .collect()
            })
            .collect(),
    }
}

/// Targets × scenarios: met, missed, uncertain, within a ceiling or not modelled, with the gap.
pub fn target_grid(comparison: &Comparison<'_>) -> TargetGrid {
    let per_run: Vec<_> = comparison.runs.iter().map(target_rows).collect();
    let data = comparison.reference().data;
    let targets = per_run[0]
        .iter()
        .map(|row| super::html::scorecard::label(row, data))
        .collect();
    let cells = (0..per_run[0].len())
        .map(|k| {
            per_run
                .iter()
                .map(|rows| {
                    let row = &rows[k];
                    match (status(row), row.gap_pct()) {
                        (Some(shown), Some(gap)) => {
                            Some((shown, format!("{}%", super::signed_one_decimal(gap))))
                        }
                        _ => None,
                    }
                })
                .collect()
        })
        .collect();
    TargetGrid {
        title: "规划目标达成情况 Plan targets met by scenario".into(),
        subtitle: format!(
            "{} · gap % of the central estimate; uncertain = its low–high range straddles the target (docs/TARGETS.md)",
            subtitle(comparison)
        ),
        scenarios: comparison.runs.iter().map(|r| r.scenario.name.clone()).collect(),
        targets,
        cells,
        foot_groups: target_groups(&per_run[0]),
    }
}

/// The grid's counts: population targets met and land ceilings kept, apart (`targets::Tally`).
fn target_groups(rows: &[TargetRow]) -> Vec<(String, Vec<usize>)> {
    let of = |ceiling: bool| {
        (0..rows.len())
            .filter(|&k| rows[k].is_ceiling() == ceiling)
            .collect()
    };
    vec![
        ("人口达成 population met".to_string(), of(false)),
        ("未超用地上限 within land ceiling".to_string(), of(true)),
    ]
}

/// Map of the focus-year population difference of one scenario from the reference.
pub fn difference_map(comparison: &Comparison<'_>, run: &RunReport<'_>, year: i32) -> MapChart {
    let reference = comparison.reference();
    let (t, rt) = (run.trajectory, reference.trajectory);
    let (i, r) = (
        t.year_index(year).unwrap_or(0),
        rt.year_index(year).unwrap_or(0),
    );
    MapChart {
        title: format!(
            "{year} 人口差异 Population difference: {} vs {}",
            run.scenario.name, reference.scenario.name
        ),
        subtitle: format!("{} · circle area ∝ {year} population", subtitle(comparison)),
        units: run
            .data
            .units
            .iter()
            .enumerate()
            .map(|(u, unit)| MapUnit {
                label: super::figures::map_label(unit),
                lon: unit.lon,
                lat: unit.lat,
                population: t.population[i][u],
                growth_pct: 100.0 * (t.population[i][u] / rt.population[r][u] - 1.0),
            })
            .collect(),
        flows: Vec::new(),
        colour_label: Some(format!(
            "{year} 人口差异 population difference vs {} (%)",
            reference.scenario.name
        )),
    }
}

/// Draws every comparison chart; returns the stems.
pub fn draw_all(comparison: &Comparison<'_>, dir: &Path) -> Result<Vec<String>, ReportError> {
    let mut stems = vec!["totals".to_string()];
    charts::draw_line_chart(&totals_chart(comparison), dir, "totals")?;
    if let (Some(year), true) = (comparison.focus_year(), comparison.runs.len() > 1) {
        charts::draw_difference_bars(
            &difference_chart(comparison, false, year),
            dir,
            "population_difference",
        )?;
        charts::draw_difference_bars(
            &difference_chart(comparison, true, year),
            dir,
            "gdp_difference",
        )?;
        stems.push("population_difference".into());
        stems.push("gdp_difference".into());
        for run in comparison.runs.iter().skip(1) {
            let stem = format!("map_{}", run.scenario.name);
            charts::draw_map(&difference_map(comparison, run, year), dir, &stem)?;
            stems.push(stem);
        }
    }
    charts::draw_target_grid(&target_grid(comparison), dir, "targets")?;
    stems.push("targets".into());
    Ok(stems)
}

/// Years offered by default: 2020 and 2030, limited to the runs' horizon.
pub fn default_years() -> Vec<i32> {
    vec![2020, 2030]
}

/// Checks requested years against the scenarios' horizons.
pub fn check_years(years: &[i32], scenarios: &[&Scenario]) -> Result<(), String> {
    for &year in years {
        for scenario in scenarios {
            if year < scenario.start_year || year > scenario.end_year {
                return Err(format!(
                    "--years: {year} is outside scenario `{}` ({}–{}); choose years its run covers",
                    scenario.name, scenario.start_year, scenario.end_year
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-unit run: population, net migration and its rest-of-China part per year.
    fn run(population: &[[f64; 2]], net: &[[f64; 2]], rest: &[[f64; 2]]) -> Trajectory {
        Trajectory {
            years: (2014..).take(population.len()).collect(),
            population: population.iter().map(|r| r.to_vec()).collect(),
            net_migration: net.iter().map(|r| r.to_vec()).collect(),
            net_migration_rest_of_china: rest.iter().map(|r| r.to_vec()).collect(),
            ..Trajectory::default()
        }
    }

    #[test]
    fn sources_add_up_to_the_difference_and_moves_between_units_cancel() {
        let reference = run(
            &[[100.0, 50.0], [103.0, 51.0], [106.0, 52.0]],
            &[[0.0, 0.0], [2.0, 0.5], [2.0, 0.5]],
            &[[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]],
        );
        // Unit 0 draws 3 more from unit 1 and 4 more from the rest of China in 2015, and its
        // natural growth is one person higher.
        let scenario = run(
            &[[100.0, 50.0], [111.0, 48.0], [114.0, 49.0]],
            &[[0.0, 0.0], [9.0, -2.5], [2.0, 0.5]],
            &[[0.0, 0.0], [5.0, 1.0], [1.0, 1.0]],
        );
        let all = sources(&scenario, &reference);
        assert_eq!(all.len(), 3);
        let (year, by_unit) = &all[2];
        assert_eq!(*year, 2016);
        for s in by_unit {
            let sum = s.at_start + s.rest_of_china + s.other_units + s.natural_growth;
            assert!((sum - s.difference).abs() < 1e-9);
        }
        assert_eq!(by_unit[0].rest_of_china, 4.0);
        assert_eq!(by_unit[0].other_units, 3.0);
        assert_eq!(by_unit[0].natural_growth, 1.0);
        assert_eq!(by_unit[1].other_units, -3.0);
        let region = region_sources(by_unit);
        assert_eq!(region.other_units, 0.0);
        assert_eq!(region.difference, 5.0);
        assert_eq!(moved_between_units(by_unit), 3.0);
    }
}
