//! The base data of each supported start year, and the price and growth history before 2014
//! that a 2010 start (hindcast) needs. Everything here is arithmetic on the dataset; the
//! estimates are named and explained where they are made (and in docs/CALIBRATION.md).

use std::collections::BTreeMap;

use crate::data::{Dataset, Province};

pub use crate::scenario::{BASE_YEAR as DATA_BASE_YEAR, CENSUS_YEAR, START_YEARS};

/// Nominal GDP of a unit in 2010–2014 where the data have it (current yuan).
pub fn nominal_gdp(data: &Dataset, unit: usize, year: i32) -> Option<f64> {
    data.history
        .gdp
        .get(&(unit, year))
        .copied()
        .or_else(|| (year == DATA_BASE_YEAR).then(|| data.base[unit].gdp.value))
}

/// Prices and real growth 2010–2014 derived from the history file.
///
/// Only the Sichuan cities have real growth rates. Sichuan's real growth in year t is the
/// growth of its cities weighted by their nominal GDP of t−1; its implicit deflator is the
/// cities' nominal growth over that real growth. Chongqing has nominal GDP only: its real growth
/// is its units' nominal growth deflated by the Sichuan deflator (an assumption: one price
/// trend for both provinces).
#[derive(Debug, Clone, PartialEq)]
pub struct PriceHistory {
    /// GDP deflator, 2014 = 1, for 2010..=2014.
    pub deflator: BTreeMap<i32, f64>,
    /// Real GDP growth of each province's plan units (fraction), 2011..=2014, by province index.
    pub real_growth: [BTreeMap<i32, f64>; 2],
}

impl PriceHistory {
    pub fn new(data: &Dataset) -> PriceHistory {
        let units_of = |province: Province| -> Vec<usize> {
            (0..data.units.len())
                .filter(|&u| data.units[u].province == province)
                .collect()
        };
        let sichuan = units_of(Province::Sichuan);
        let chongqing = units_of(Province::Chongqing);
        let mut deflator_growth = BTreeMap::new();
        let mut real_growth = [BTreeMap::new(), BTreeMap::new()];
        for year in CENSUS_YEAR + 1..=DATA_BASE_YEAR {
            let (mut before, mut real, mut now) = (0.0, 0.0, 0.0);
            for &u in &sichuan {
                let (Some(g0), Some(g1), Some(r)) = (
                    nominal_gdp(data, u, year - 1),
                    nominal_gdp(data, u, year),
                    data.history.real_gdp_growth.get(&(u, year)),
                ) else {
                    continue;
                };
                before += g0;
                real += g0 * (1.0 + r / 100.0);
                now += g1;
            }
            let prices = if before > 0.0 { now / real } else { 1.0 };
            deflator_growth.insert(year, prices);
            real_growth[Province::Sichuan.index()].insert(
                year,
                if before > 0.0 {
                    real / before - 1.0
                } else {
                    0.0
                },
            );
            let (mut before, mut now) = (0.0, 0.0);
            for &u in &chongqing {
                if let (Some(g0), Some(g1)) =
                    (nominal_gdp(data, u, year - 1), nominal_gdp(data, u, year))
                {
                    before += g0;
                    now += g1;
                }
            }
            real_growth[Province::Chongqing.index()].insert(
                year,
                if before > 0.0 {
                    now / before / prices - 1.0
                } else {
                    0.0
                },
            );
        }
        let mut deflator = BTreeMap::from([(DATA_BASE_YEAR, 1.0)]);
        let mut level = 1.0;
        for year in (CENSUS_YEAR..DATA_BASE_YEAR).rev() {
            level /= deflator_growth[&(year + 1)];
            deflator.insert(year, level);
        }
        PriceHistory {
            deflator,
            real_growth,
        }
    }
}

/// How a base-year GDP value was obtained.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseGdp {
    /// Current yuan of the base year.
    pub nominal: f64,
    /// Empty when observed; the method when estimated.
    pub estimate: String,
}

/// The 2010 GDP of every unit (current 2010 yuan). Three units lack one:
/// - Qijiang and Dazu: their 2011 mergers (Wansheng, Shuangqiao) are not in the 2010 figures, so
///   2010 = 2011 ÷ the median 2010→2011 nominal growth of the other Chongqing units;
/// - Yuzhong: only 2013 is published, so 2010 = 2013 ÷ the median 2010→2013 nominal growth of
///   the other eight core districts (the method of its 2014 estimate in the baseline file).
pub fn gdp_2010(data: &Dataset) -> Vec<BaseGdp> {
    let n = data.units.len();
    let median_growth = |members: &[usize], from: i32, to: i32| -> f64 {
        let mut ratios: Vec<f64> = members
            .iter()
            .filter_map(|&u| Some(nominal_gdp(data, u, to)? / nominal_gdp(data, u, from)?))
            .collect();
        ratios.sort_by(f64::total_cmp);
        match ratios.len() {
            0 => 1.0,
            len if len % 2 == 1 => ratios[len / 2],
            len => 0.5 * (ratios[len / 2 - 1] + ratios[len / 2]),
        }
    };
    (0..n)
        .map(|unit| {
            if let Some(nominal) = nominal_gdp(data, unit, CENSUS_YEAR) {
                return BaseGdp {
                    nominal,
                    estimate: String::new(),
                };
            }
            let peers: Vec<usize> = (0..n)
                .filter(|&u| u != unit && data.units[u].province == data.units[unit].province)
                .filter(|&u| {
                    !data.units[unit].is_chongqing_core() || data.units[u].is_chongqing_core()
                })
                .collect();
            let from = (CENSUS_YEAR + 1..=DATA_BASE_YEAR)
                .find(|&year| nominal_gdp(data, unit, year).is_some())
                .unwrap_or(DATA_BASE_YEAR);
            let growth = median_growth(&peers, CENSUS_YEAR, from);
            let group = if data.units[unit].is_chongqing_core() {
                "core districts"
            } else {
                "units of its province"
            };
            BaseGdp {
                nominal: nominal_gdp(data, unit, from).unwrap_or(data.base[unit].gdp.value)
                    / growth,
                estimate: format!(
                    "estimated: {from} GDP ÷ {growth:.4}, the median {CENSUS_YEAR}→{from} nominal growth of the other {} {group} with both years",
                    peers
                        .iter()
                        .filter(|&&u| nominal_gdp(data, u, CENSUS_YEAR).is_some()
                            && nominal_gdp(data, u, from).is_some())
                        .count()
                ),
            }
        })
        .collect()
}

/// The base-year values of the 44 units for a start year.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseYearValues {
    pub year: i32,
    /// Residents, persons.
    pub population: Vec<f64>,
    /// GDP, yuan at 2014 prices.
    pub gdp: Vec<f64>,
}

/// How close (relative) a unit's 2014 population must be to its 2014 annual average in the
/// history file to be taken as that annual average (the two files round differently).
const SAME_VALUE_TOLERANCE: f64 = 1e-4;

/// Each unit's 2014 population as a year-end value, the model's state convention. Where the
/// baseline value is the unit's annual average (the Sichuan units: GDP ÷ GDP per head, the same
/// number as the history file's 2014 annual average), it stands for mid-2014: it is carried half
/// a year forward at the unit's own 2013→2014 annual-average growth, P · (A₂₀₁₄/A₂₀₁₃)^½ (the
/// annual average is the mean of two year-ends when growth is steady). Year-end values are kept.
pub fn year_end_base_population(data: &Dataset) -> Vec<f64> {
    let average = |unit: usize, year: i32| {
        data.history
            .population_annual_average
            .get(&(unit, year))
            .copied()
    };
    data.base
        .iter()
        .enumerate()
        .map(|(unit, base)| {
            let published = base.population.value;
            match (
                average(unit, DATA_BASE_YEAR - 1),
                average(unit, DATA_BASE_YEAR),
            ) {
                (Some(before), Some(average))
                    if (published / average - 1.0).abs() < SAME_VALUE_TOLERANCE =>
                {
                    published * (average / before).sqrt()
                }
                _ => published,
            }
        })
        .collect()
}

/// 2014: the baseline file, populations as year-end values ([`year_end_base_population`]).
/// 2010: census residents (2010-11-01, taken as year-end) and 2010 GDP re-priced to 2014 with
/// the derived deflator.
pub fn base_year_values(data: &Dataset, prices: &PriceHistory, year: i32) -> BaseYearValues {
    if year == CENSUS_YEAR {
        let reprice = 1.0 / prices.deflator[&CENSUS_YEAR];
        BaseYearValues {
            year,
            population: data.census.iter().map(|c| c.resident_population).collect(),
            gdp: gdp_2010(data).iter().map(|g| g.nominal * reprice).collect(),
        }
    } else {
        BaseYearValues {
            year,
            population: year_end_base_population(data),
            gdp: data.base.iter().map(|b| b.gdp.value).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn price_history_is_plausible_and_anchored_in_2014() {
        let data = Dataset::embedded();
        let prices = PriceHistory::new(&data);
        assert_eq!(prices.deflator[&2014], 1.0);
        // Prices rose 2010→2014: the 2010 level is below 2014's, by a few percent a year.
        let d2010 = prices.deflator[&2010];
        assert!((0.80..0.97).contains(&d2010), "{d2010}");
        for province in 0..2 {
            for year in 2011..=2014 {
                let g = prices.real_growth[province][&year];
                assert!((0.05..0.20).contains(&g), "{province} {year} {g}");
            }
        }
    }

    #[test]
    fn sichuan_real_growth_is_the_weighted_city_growth() {
        let data = Dataset::embedded();
        let prices = PriceHistory::new(&data);
        // By hand over the cities with data in 2010 and 2011.
        let (mut before, mut real) = (0.0, 0.0);
        for (u, unit) in data.units.iter().enumerate() {
            if unit.province != Province::Sichuan {
                continue;
            }
            if let (Some(g0), Some(r)) = (
                data.history.gdp.get(&(u, 2010)),
                data.history.real_gdp_growth.get(&(u, 2011)),
            ) {
                before += g0;
                real += g0 * (1.0 + r / 100.0);
            }
        }
        assert_relative_eq!(
            prices.real_growth[Province::Sichuan.index()][&2011],
            real / before - 1.0,
            epsilon = 1e-12
        );
    }

    #[test]
    fn the_three_missing_2010_gdp_values_are_estimated_and_say_how() {
        let data = Dataset::embedded();
        let gdp = gdp_2010(&data);
        let estimated: Vec<&str> = data
            .units
            .iter()
            .zip(&gdp)
            .filter(|(_, g)| !g.estimate.is_empty())
            .map(|(u, _)| u.id.as_str())
            .collect();
        let mut sorted = estimated.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ["dazu", "qijiang", "yuzhong"]);
        let yuzhong = data.unit_index("yuzhong").unwrap();
        assert!(gdp[yuzhong].estimate.contains("2013 GDP"));
        assert!(gdp[yuzhong].estimate.contains("8 core districts"));
        // Below its 2013 value, above half of it.
        let y2013 = data.history.gdp[&(yuzhong, 2013)];
        assert!(gdp[yuzhong].nominal < y2013 && gdp[yuzhong].nominal > 0.5 * y2013);
        let qijiang = data.unit_index("qijiang").unwrap();
        assert!(gdp[qijiang].estimate.contains("2011 GDP"));
    }

    #[test]
    fn a_2014_base_is_the_baseline_file() {
        let data = Dataset::embedded();
        let base = base_year_values(&data, &PriceHistory::new(&data), 2014);
        assert_eq!(base.population, year_end_base_population(&data));
        let base_2010 = base_year_values(&data, &PriceHistory::new(&data), 2010);
        assert_eq!(base_2010.population[0], data.census[0].resident_population);
        // 2010 GDP at 2014 prices is below 2014 GDP in total and for nearly every unit
        // (Dadukou's steelworks left in 2011).
        let grew = base_2010
            .gdp
            .iter()
            .zip(&base.gdp)
            .filter(|(a, b)| a < b)
            .count();
        assert!(grew >= 42, "{grew}");
        assert!(base_2010.gdp.iter().sum::<f64>() < 0.8 * base.gdp.iter().sum::<f64>());
    }

    #[test]
    fn annual_averages_are_carried_half_a_year_to_year_end_and_year_end_values_are_kept() {
        let data = Dataset::embedded();
        let year_end = year_end_base_population(&data);
        let chengdu = data.unit_index("chengdu").unwrap();
        let average = |year| data.history.population_annual_average[&(chengdu, year)];
        assert_relative_eq!(
            year_end[chengdu],
            data.base[chengdu].population.value * (average(2014) / average(2013)).sqrt()
        );
        // 14 Sichuan values are annual averages; Luzhou's (a published year-end figure, 0.05 %
        // off its annual average) and every Chongqing value are year-end already.
        let moved: Vec<&str> = (0..data.units.len())
            .filter(|&i| year_end[i] != data.base[i].population.value)
            .map(|i| data.units[i].id.as_str())
            .collect();
        assert_eq!(moved.len(), 14, "{moved:?}");
        assert!(!moved.contains(&"luzhou"));
        assert!(moved
            .iter()
            .all(|id| data.units[data.unit_index(id).unwrap()].province == Province::Sichuan));
        // Half a year of Sichuan's growth at the window's end: a few per mille, not more.
        let total = |values: &mut dyn Iterator<Item = f64>| values.sum::<f64>();
        let sichuan: Vec<usize> = (0..data.units.len())
            .filter(|&i| data.units[i].province == Province::Sichuan)
            .collect();
        let ratio = total(&mut sichuan.iter().map(|&i| year_end[i]))
            / total(&mut sichuan.iter().map(|&i| data.base[i].population.value));
        assert!(ratio > 1.0005 && ratio < 1.005, "{ratio}");
    }
}
