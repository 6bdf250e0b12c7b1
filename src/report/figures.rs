//! What the charts show, prepared from a run (pure), then handed to [`super::charts`].

use std::path::Path;

use super::charts::{
    self, Band, BarChart, ErrorBar, LineChart, MapChart, MapFlow, MapUnit, Panel, Series, Status,
    TargetBar, TargetMarker,
};
use super::{unit_intervals, RunReport, TargetRow, UnitIntervals, Verdict, PLAN_GDP_2014};
use crate::data::PlanRole;
use crate::engine::Trajectory;

/// The units a chart follows: "Chongqing core" is the nine central districts summed.
struct Followed {
    label: String,
    members: Vec<usize>,
}

fn followed(report: &RunReport<'_>, with_cores: bool) -> Vec<Followed> {
    let data = report.data;
    let mut out = Vec::new();
    if with_cores {
        if let Some(chengdu) = data.unit_index("chengdu") {
            out.push(Followed {
                label: data.units[chengdu].label(),
                members: vec![chengdu],
            });
        }
        out.push(Followed {
            label: "重庆主城九区 Chongqing core".to_string(),
            members: (0..data.units.len())
                .filter(|&i| data.units[i].is_chongqing_core())
                .collect(),
        });
    }
    for (i, unit) in data.units.iter().enumerate() {
        if unit.plan_role == PlanRole::RegionalCentre {
            out.push(Followed {
                label: unit.label(),
                members: vec![i],
            });
        }
    }
    out
}

fn series_of(t: &Trajectory, values: &crate::engine::Series, group: &Followed) -> Series {
    Series {
        label: group.label.clone(),
        years: t.years.clone(),
        values: (0..t.years.len())
            .map(|i| group.members.iter().map(|&u| values[i][u]).sum())
            .collect(),
        dashed: false,
        band: None,
        error_bars: Vec::new(),
    }
}

/// Legend text of the bands of the per-unit panels.
const BAND_LABEL: &str =
    "80% 预测区间 prediction interval (单个单元 single units only, not 重庆主城九区)";

/// The 80 % prediction interval of a followed group by year (`pick`: population or GDP),
/// from [`unit_intervals`], the numbers `trajectories.csv` writes. Single units only: the
/// interval of a sum of units depends on how their errors are correlated, which
/// `backtest::intervals` does not model, so a sum (the Chongqing core) gets no band rather
/// than an invented one.
fn band_of(
    report: &RunReport<'_>,
    group: &Followed,
    pick: fn(&UnitIntervals) -> [(f64, f64); 2],
) -> Option<Band> {
    let [unit] = group.members[..] else {
        return None;
    };
    let (low, high) = (0..report.trajectory.years.len())
        .map(|i| pick(&unit_intervals(report, i, unit))[0])
        .unzip();
    Some(Band { low, high })
}

/// A followed group's series of `values` with its 80 % band (`pick`).
fn banded_series(
    report: &RunReport<'_>,
    values: &crate::engine::Series,
    group: &Followed,
    pick: fn(&UnitIntervals) -> [(f64, f64); 2],
) -> Series {
    Series {
        band: band_of(report, group, pick),
        ..series_of(report.trajectory, values, group)
    }
}

fn subtitle(report: &RunReport<'_>) -> String {
    format!(
        "情景 scenario: {} · simulate {} · 成渝城市群发展规划 (发改规划〔2016〕910号)",
        report.scenario.name,
        env!("CARGO_PKG_VERSION")
    )
}

/// Central-urban population targets (专栏1) as markers on the matching urban-population series.
fn population_targets(report: &RunReport<'_>) -> Vec<TargetMarker> {
    report
        .data
        .targets
        .iter()
        .filter(|t| t.indicator == "central_urban_population")
        .filter_map(|t| {
            let unit = t.unit?;
            Some(TargetMarker {
                label: format!("{} 中心城区目标 target", report.data.units[unit].label()),
                year: t.year,
                value: t.value,
                series_label: Some(report.data.units[unit].label()),
            })
        })
        .collect()
}

pub fn population_chart(report: &RunReport<'_>) -> LineChart {
    let t = report.trajectory;
    let resident = followed(report, true)
        .iter()
        .map(|g| banded_series(report, &t.population, g, |i| i.population))
        .collect();
    let rows = super::target_rows(report);
    // Central estimate of each centre's central-urban population: its share (docs/TARGETS.md)
    // × projected urban population, so the 专栏1 markers sit beside a quantity of their kind.
    let central_urban = followed(report, false)
        .iter()
        .filter_map(|g| {
            let share = match g.members[..] {
                [unit] => report.data.central_urban.shares.get(&unit)?.share.central,
                _ => return None,
            };
            let mut series = series_of(t, &t.urban_population, g);
            series.values.iter_mut().for_each(|v| *v *= share);
            // The scorecard's low–high (share range × projected urban population).
            series.error_bars = rows
                .iter()
                .filter(|row| row.indicator == "central_urban_population")
                .filter(|row| report.data.unit_index(&row.unit_id) == Some(g.members[0]))
                .filter_map(|row| {
                    let p = row.projected?;
                    Some(ErrorBar {
                        year: row.year,
                        low: p.low,
                        high: p.high,
                    })
                })
                .collect();
            Some(series)
        })
        .collect();
    LineChart {
        title: "人口 Population: cores and regional centres".into(),
        subtitle: subtitle(report),
        x_label: "年 year".into(),
        panels: vec![
            Panel {
                title: "常住人口 Resident population".into(),
                y_label: "万人 (10⁴ persons), log scale".into(),
                y_divisor: 1e4,
                log_y: true,
                y_from_zero: false,
                log_x: false,
                series: resident,
                targets: Vec::new(),
                band_label: BAND_LABEL.into(),
                error_bar_label: String::new(),
            },
            Panel {
                title: "中心城区人口 (估计) vs 2020 目标 (专栏1) Central-urban population".into(),
                y_label:
                    "万人 (10⁴ persons), log scale — central estimate: share × urban population"
                        .into(),
                y_divisor: 1e4,
                log_y: true,
                y_from_zero: false,
                log_x: false,
                series: central_urban,
                targets: population_targets(report),
                band_label: String::new(),
                error_bar_label:
                    "目标年预测低–高 projected low–high in the target year (占比范围 share range)"
                        .into(),
            },
        ],
    }
}

pub fn gdp_chart(report: &RunReport<'_>) -> LineChart {
    let t = report.trajectory;
    let units = followed(report, true)
        .iter()
        .map(|g| banded_series(report, &t.gdp, g, |i| i.gdp))
        .collect();
    let all = Followed {
        label: "成渝城市群 plan area".into(),
        members: (0..report.data.units.len()).collect(),
    };
    let mut targets = Vec::new();
    if t.year_index(2014).is_some() {
        targets.push(TargetMarker {
            label: "2014 规划基数 plan figure 3.76万亿".into(),
            year: 2014,
            value: PLAN_GDP_2014,
            series_label: Some(all.label.clone()),
        });
    }
    LineChart {
        title: "地区生产总值 GDP (constant 2014 prices)".into(),
        subtitle: subtitle(report),
        x_label: "年 year".into(),
        panels: vec![
            Panel {
                title: "核心与区域中心城市 Cores and regional centres".into(),
                y_label: "亿元 (10⁸ yuan, 2014 prices), log scale".into(),
                y_divisor: 1e8,
                log_y: true,
                y_from_zero: false,
                log_x: false,
                series: units,
                targets: Vec::new(),
                band_label: BAND_LABEL.into(),
                error_bar_label: String::new(),
            },
            Panel {
                title: "成渝城市群合计 Plan area total".into(),
                y_label: "亿元 (10⁸ yuan, 2014 prices)".into(),
                y_divisor: 1e8,
                log_y: false,
                y_from_zero: false,
                log_x: false,
                series: vec![series_of(t, &t.gdp, &all)],
                targets,
                band_label: String::new(),
                error_bar_label: String::new(),
            },
        ],
    }
}

/// The chart status of a scorecard row, `None` if it has no verdict. A met land ceiling is
/// shown as within its ceiling, not as met: it is met mostly because the projected population
/// falls short of its own target, which is no success to colour green.
pub fn status(row: &TargetRow) -> Option<Status> {
    Some(match row.verdict? {
        Verdict::Met if row.is_ceiling() => Status::WithinCeiling,
        Verdict::Met => Status::Met,
        Verdict::Missed => Status::Missed,
        Verdict::Uncertain => Status::Uncertain,
    })
}

pub fn target_chart(report: &RunReport<'_>) -> BarChart {
    let rows = super::target_rows(report);
    let bars = rows
        .iter()
        .filter(|row| row.indicator == "central_urban_population")
        .filter_map(|row| {
            let unit = report.data.unit_index(&row.unit_id)?;
            let projected = row.projected?;
            Some(TargetBar {
                label: report.data.units[unit].label(),
                target: row.target,
                projected: projected.central,
                low: projected.low,
                high: projected.high,
                status: status(row)?,
            })
        })
        .collect();
    BarChart {
        title: "2020 区域中心城市人口目标 Regional-centre population targets (专栏1)".into(),
        subtitle: format!(
            "{} · projected = estimated central-urban share × the unit's projected urban population; I = low–high (docs/TARGETS.md)",
            subtitle(report)
        ),
        y_label: "中心城区人口 万人 (10⁴ persons)".into(),
        y_divisor: 1e4,
        bars,
    }
}

/// A unit's map label, Chinese and English ("万州 Wanzhou"); where circles crowd, the label
/// placement falls back to the two names on two lines, then to the Chinese name alone.
pub fn map_label(unit: &crate::data::Unit) -> String {
    unit.label()
}

/// Units by lon/lat, area ∝ final population, colour = growth since the start year, and the
/// twelve largest net flows between units in the last migration year.
pub fn map_chart(report: &RunReport<'_>) -> MapChart {
    let t = report.trajectory;
    let last = t.years.len() - 1;
    let units = report
        .data
        .units
        .iter()
        .enumerate()
        .map(|(i, unit)| MapUnit {
            label: map_label(unit),
            lon: unit.lon,
            lat: unit.lat,
            population: t.population[last][i],
            growth_pct: 100.0 * (t.population[last][i] / t.population[0][i] - 1.0),
        })
        .collect();
    let mut flows = Vec::new();
    let flow_year = t.flow_matrices.keys().next_back().copied();
    if let Some(matrix) = flow_year.and_then(|y| t.flow_matrices.get(&y)) {
        let n = report.data.units.len();
        for i in 0..n {
            for j in (i + 1)..n {
                let net = matrix[(i + 1, j + 1)] - matrix[(j + 1, i + 1)];
                if net > 0.0 {
                    flows.push(MapFlow {
                        from: i,
                        to: j,
                        persons: net,
                    });
                } else if net < 0.0 {
                    flows.push(MapFlow {
                        from: j,
                        to: i,
                        persons: -net,
                    });
                }
            }
        }
        flows.sort_by(|a, b| {
            b.persons
                .total_cmp(&a.persons)
                .then(a.from.cmp(&b.from))
                .then(a.to.cmp(&b.to))
        });
        flows.truncate(12);
    }
    MapChart {
        title: format!(
            "{} 年人口与 {}–{} 增长 Population {} and growth since {}",
            t.years[last], t.years[0], t.years[last], t.years[last], t.years[0]
        ),
        subtitle: format!(
            "{} · circle area ∝ population · arrows: 12 largest net flows between units in {}",
            subtitle(report),
            flow_year.map_or("—".to_string(), |y| y.to_string())
        ),
        units,
        flows,
        colour_label: None,
    }
}

/// Draws every chart into `dir`; returns the file stems.
pub fn draw_all(
    report: &RunReport<'_>,
    dir: &Path,
) -> Result<Vec<&'static str>, charts::ChartError> {
    charts::draw_line_chart(&population_chart(report), dir, "population")?;
    charts::draw_line_chart(&gdp_chart(report), dir, "gdp")?;
    charts::draw_target_chart(&target_chart(report), dir, "targets")?;
    charts::draw_map(&map_chart(report), dir, "map")?;
    Ok(vec!["population", "gdp", "targets", "map"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{self, RunOptions, Silent};
    use crate::report::f1;
    use crate::sweep::spread::ParameterSpread;

    /// The shipped baseline, run, with a made-up parameter spread (growing with the year
    /// index and different by unit) so that the intervals use every part of σ.
    fn with_baseline_report(check: impl FnOnce(&RunReport<'_>)) {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/baseline.ron");
        let (scenario, data) = crate::scenario::load(Path::new(path)).unwrap();
        let prepared = engine::prepare(&data, &scenario).unwrap();
        let options = RunOptions {
            flow_matrix_years: Vec::new(),
        };
        let trajectory = engine::simulate(&prepared, &options, &mut Silent);
        let spread_of = |k: f64| -> Vec<Vec<f64>> {
            (0..trajectory.years.len())
                .map(|i| {
                    (0..data.units.len())
                        .map(|u| k * i as f64 * (1.0 + u as f64 / 44.0))
                        .collect()
                })
                .collect()
        };
        let spread = ParameterSpread {
            population: spread_of(0.002),
            gdp: spread_of(0.005),
            used: 1,
            skipped: 0,
        };
        check(&RunReport {
            data: &data,
            scenario: &scenario,
            prepared: &prepared,
            trajectory: &trajectory,
            parameter_spread: Some(&spread),
        });
    }

    #[test]
    fn a_met_land_ceiling_is_drawn_as_within_it_and_a_met_population_target_as_met() {
        with_baseline_report(|report| {
            let rows = crate::report::target_rows(report);
            let shown = |ceiling: bool, verdict: Verdict| {
                rows.iter()
                    .find(|r| r.is_ceiling() == ceiling && r.verdict == Some(verdict))
                    .and_then(status)
            };
            // The baseline has both (docs/TARGETS.md): Nanchong's population target is met,
            // and Wanzhou's, Qianjiang's, Luzhou's and Yibin's land ceilings are.
            assert_eq!(shown(false, Verdict::Met), Some(Status::Met));
            assert_eq!(shown(true, Verdict::Met), Some(Status::WithinCeiling));
            assert_eq!(shown(true, Verdict::Uncertain), Some(Status::Uncertain));
        });
    }

    #[test]
    fn single_units_have_bands_around_their_line_and_sums_none() {
        with_baseline_report(|report| {
            for chart in [population_chart(report), gdp_chart(report)] {
                let panel = &chart.panels[0];
                assert_eq!(panel.band_label, BAND_LABEL);
                assert!(panel.series.len() >= 9, "{}", chart.title);
                for s in &panel.series {
                    let is_sum = s.label.contains("Chongqing core");
                    let Some(band) = &s.band else {
                        assert!(is_sum, "{} has no band", s.label);
                        continue;
                    };
                    assert!(!is_sum, "the Chongqing core is a sum: no band");
                    assert_eq!(band.low.len(), s.years.len());
                    assert_eq!(band.high.len(), s.years.len());
                    for (i, &v) in s.values.iter().enumerate() {
                        let (low, high) = (band.low[i], band.high[i]);
                        assert!(low <= v && v <= high, "{} {}", s.label, s.years[i]);
                        if i > 0 {
                            assert!(low < v && v < high, "{} {}", s.label, s.years[i]);
                        }
                    }
                }
                // The other panel (central-urban estimates, the plan-area total) has none.
                assert!(chart.panels[1].series.iter().all(|s| s.band.is_none()));
            }
        });
    }

    #[test]
    fn csv_interval_cells_are_the_band_values() {
        with_baseline_report(|report| {
            let population = population_chart(report);
            let gdp = gdp_chart(report);
            let mut checked = 0;
            for (p, g) in population.panels[0]
                .series
                .iter()
                .zip(&gdp.panels[0].series)
            {
                let (Some(pb), Some(gb)) = (&p.band, &g.band) else {
                    continue;
                };
                let unit = report
                    .data
                    .units
                    .iter()
                    .position(|u| u.label() == p.label)
                    .expect("a banded series is one unit");
                for i in 0..report.trajectory.years.len() {
                    let cells = crate::report::interval_cells(report, i, unit);
                    let columns = crate::report::INTERVAL_HEADER;
                    let cell =
                        |name: &str| &cells[columns.iter().position(|&c| c == name).unwrap()];
                    assert_eq!(&f1(pb.low[i]), cell("population_lo80"));
                    assert_eq!(&f1(pb.high[i]), cell("population_hi80"));
                    assert_eq!(&f1(gb.low[i]), cell("gdp_lo80"));
                    assert_eq!(&f1(gb.high[i]), cell("gdp_hi80"));
                    checked += 1;
                }
            }
            assert_eq!(checked, 8 * report.trajectory.years.len());
        });
    }

    #[test]
    fn error_bars_are_the_scorecard_ranges() {
        with_baseline_report(|report| {
            let chart = population_chart(report);
            let panel = &chart.panels[1];
            assert!(!panel.error_bar_label.is_empty());
            let rows: Vec<_> = crate::report::target_rows(report)
                .into_iter()
                .filter(|r| r.indicator == "central_urban_population")
                .collect();
            assert_eq!(rows.len(), 7);
            for row in rows {
                let unit = report.data.unit_index(&row.unit_id).unwrap();
                let label = report.data.units[unit].label();
                let s = panel.series.iter().find(|s| s.label == label).unwrap();
                let p = row.projected.unwrap();
                let [bar] = &s.error_bars[..] else {
                    panic!("{label}: one bar expected");
                };
                assert_eq!((bar.year, bar.low, bar.high), (row.year, p.low, p.high));
                // The bar is around the line's value in that year.
                let i = report.trajectory.year_index(row.year).unwrap();
                assert!((s.values[i] - p.central).abs() < 1e-6 * p.central);
            }
        });
    }

    #[test]
    fn chart_labels_render() {
        assert!(charts::missing_glyphs(include_str!("figures.rs")).is_empty());
    }
}
