//! The page of a single run (`simulate <SCENARIO.ron>`).

use std::path::Path;

use super::{count, is_are, scenario_facts, scorecard, Cell, Page, Table};
use crate::report::{regions, series_row, target_rows, ReportError, RunReport};
use crate::targets::Tally;

/// Writes `report.html` for a run whose other files (`written`, charts included) are already in
/// `dir`; `manifest.json`, written after it, is linked too. Returns the file name.
pub fn write(
    report: &RunReport<'_>,
    dir: &Path,
    written: &[String],
) -> Result<String, ReportError> {
    let scenario = report.scenario;
    let mut page = Page::new(format!(
        "情景 Scenario {} — {}–{}",
        scenario.name, scenario.start_year, scenario.end_year
    ));
    scenario_facts(&mut page, scenario, report.data);

    let rows = target_rows(report);
    let tally = crate::targets::tally(&rows);
    page.heading("结论 The answer: plan targets");
    page.paragraph(&format!(
        "{} The plan's central-urban population (中心城区) is estimated as a share of the unit's projected urban population, with a low–high range from the published central-city figures (docs/TARGETS.md); a target is met or missed only when the whole range is on one side of it, otherwise uncertain. Land targets are ceilings on the land that population would need at 82–108 m² per person, so a centre short of its population target is within its land ceiling: the two counts are kept apart, and in the table a ceiling kept reads \"within ceiling\" in slate grey, not green (targets.csv's verdict calls it met). Green is a population target met, vermillion a target missed, uncoloured uncertain. The plan's 2014 facts (population, GDP, area) are base-year checks in base_year_checks.csv, not targets.",
        counts_in_words(&tally)
    ));
    page.table(&scorecard::table(&rows, report.data));

    page.charts(dir, written)?;

    page.heading("主要表格 Key tables");
    page.table(&totals_table(report));
    page.table(&units_table(report));
    if !super::levers(scenario, report.data).is_empty() {
        page.table(&super::levers_table(&[scenario], report.data));
    }

    let mut files = written.to_vec();
    files.push("manifest.json".into());
    page.files(&files);
    page.write(dir)
}

/// "Of the 7 central-urban population targets of 专栏1 (2020), 1 is met, 4 are missed and 2 are
/// uncertain; of the 7 urban-land ceilings, the projection stays within 4, goes over 0 and is
/// uncertain for 3."
fn counts_in_words(tally: &Tally) -> String {
    let (population, land) = (tally.population, tally.land);
    format!(
        "Of the {} of 专栏1 (2020), {} {} met, {} {} missed and {} {} uncertain; of the {}, the projection stays within {}, goes over {} and is uncertain for {}.",
        count(
            population.judged(),
            "central-urban population target",
            "central-urban population targets"
        ),
        population.met,
        is_are(population.met),
        population.missed,
        is_are(population.missed),
        population.uncertain,
        is_are(population.uncertain),
        count(land.judged(), "urban-land ceiling", "urban-land ceilings"),
        land.met,
        land.missed,
        land.uncertain,
    )
}

/// Region totals in the start year, 2020 and the end year: the rows of `totals.csv`.
fn totals_table(report: &RunReport<'_>) -> Table {
    let mut table = Table::new(
        "totals",
        "区域合计 Region totals (totals.csv)",
        &[
            "region",
            "year",
            "常住人口 population 万人",
            "GDP 亿元 (2014 prices)",
            "人均 GDP/head 元",
            // A flow: moves in minus moves out during the year, not a stock of people.
            "净迁入 net migration 万人/年",
        ],
    );
    let t = report.trajectory;
    let mut years = vec![report.scenario.start_year, 2020, report.scenario.end_year];
    years.dedup();
    for region in regions(report.data) {
        for &year in &years {
            let Some(index) = t.year_index(year) else {
                continue;
            };
            let row = series_row(report, index, region.id, &region.members);
            let number = |cell: &str, divisor: f64, decimals: usize| -> Cell {
                let value: f64 = cell.parse().unwrap_or(f64::NAN);
                Cell::Number(format!("{:.decimals$}", value / divisor))
            };
            table.rows.push(vec![
                Cell::Text(region_label(region.id).to_string()),
                Cell::Number(row[1].clone()),
                number(&row[3], 1e4, 1),
                number(&row[4], 1e8, 0),
                number(&row[5], 1.0, 0),
                number(&row[7], 1e4, 1),
            ]);
        }
    }
    table
}

fn region_label(id: &str) -> &str {
    match id {
        "plan_area" => "成渝城市群 plan area",
        "sichuan" => "四川 Sichuan units",
        "chongqing" => "重庆 Chongqing units",
        "chongqing_core" => "重庆主城九区 Chongqing core",
        other => other,
    }
}

/// Every unit from the start to the end year (the first and last rows of `trajectories.csv`).
fn units_table(report: &RunReport<'_>) -> Table {
    let t = report.trajectory;
    let (first, last) = (0, t.years.len() - 1);
    let (y0, y1) = (t.years[first], t.years[last]);
    let headers = [
        "单元 unit".to_string(),
        format!("人口 population {y0} 万人"),
        format!("人口 population {y1} 万人"),
        "增长 growth %".to_string(),
        format!("GDP {y1} 亿元"),
        format!("城镇人口 urban {y1} 万人"),
        format!("净迁入 net migration {y1} 万人/年"),
    ];
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut table = Table::new(
        "units",
        format!("各单元 Units, {y0} and {y1} (trajectories.csv; click a heading to sort)"),
        &header_refs,
    );
    for (u, unit) in report.data.units.iter().enumerate() {
        let p0 = t.population[first][u];
        let p1 = t.population[last][u];
        table.rows.push(vec![
            Cell::Text(unit.label()),
            Cell::Number(format!("{:.1}", p0 / 1e4)),
            Cell::Number(format!("{:.1}", p1 / 1e4)),
            Cell::Number(format!("{:+.1}", 100.0 * (p1 / p0 - 1.0))),
            Cell::Number(format!("{:.0}", t.gdp[last][u] / 1e8)),
            Cell::Number(format!("{:.1}", t.urban_population[last][u] / 1e4)),
            Cell::Number(format!("{:+.1}", t.net_migration[last][u] / 1e4)),
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::{counts_in_words, Tally};
    use crate::targets::Counts;

    #[test]
    fn counts_of_one_read_as_one() {
        let tally = Tally {
            population: Counts {
                met: 1,
                missed: 4,
                uncertain: 2,
            },
            land: Counts {
                met: 4,
                missed: 0,
                uncertain: 3,
            },
        };
        assert_eq!(
            counts_in_words(&tally),
            "Of the 7 central-urban population targets of 专栏1 (2020), 1 is met, 4 are missed and 2 are uncertain; of the 7 urban-land ceilings, the projection stays within 4, goes over 0 and is uncertain for 3."
        );
        let one = Counts {
            met: 0,
            missed: 0,
            uncertain: 1,
        };
        let words = counts_in_words(&Tally {
            population: one,
            land: one,
        });
        assert!(
            words.starts_with("Of the 1 central-urban population target of 专栏1 (2020), 0 are met, 0 are missed and 1 is uncertain; of the 1 urban-land ceiling, "),
            "{words}"
        );
    }
}
