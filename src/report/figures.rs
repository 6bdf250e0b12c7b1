//! What the charts show, prepared from a run (pure), then handed to [`super::charts`].

use std::path::Path;

use super::charts::{
    self, BarChart, LineChart, MapChart, MapFlow, MapUnit, Panel, Series, Status, TargetBar,
    TargetMarker,
};
use super::{RunReport, Verdict, PLAN_GDP_2014};
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
        .map(|g| series_of(t, &t.population, g))
        .collect();
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
                log_x: false,
                series: resident,
                targets: Vec::new(),
            },
            Panel {
                title: "中心城区人口 (估计) vs 2020 目标 (专栏1) Central-urban population".into(),
                y_label:
                    "万人 (10⁴ persons), log scale — central estimate: share × urban population"
                        .into(),
                y_divisor: 1e4,
                log_y: true,
                log_x: false,
                series: central_urban,
                targets: population_targets(report),
            },
        ],
    }
}

pub fn gdp_chart(report: &RunReport<'_>) -> LineChart {
    let t = report.trajectory;
    let units = followed(report, true)
        .iter()
        .map(|g| series_of(t, &t.gdp, g))
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
                log_x: false,
                series: units,
                targets: Vec::new(),
            },
            Panel {
                title: "成渝城市群合计 Plan area total".into(),
                y_label: "亿元 (10⁸ yuan, 2014 prices)".into(),
                y_divisor: 1e8,
                log_y: false,
                log_x: false,
                series: vec![series_of(t, &t.gdp, &all)],
                targets,
            },
        ],
    }
}

/// The chart status of a scorecard verdict.
pub fn status(verdict: Verdict) -> Status {
    match verdict {
        Verdict::Met => Status::Met,
        Verdict::Missed => Status::Missed,
        Verdict::Uncertain => Status::Uncertain,
    }
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
                status: status(row.verdict?),
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

/// A unit's map label: Chinese and English for the units of 3 million people or more (their
/// circles leave room beside them), the short Chinese name for the others.
pub fn map_label(unit: &crate::data::Unit, population: f64) -> String {
    let zh = crate::data::short_zh(&unit.name_zh);
    if population >= 3.0e6 {
        format!("{zh} {}", unit.name_en)
    } else {
        zh.to_string()
    }
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
            label: map_label(unit, t.population[last][i]),
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
