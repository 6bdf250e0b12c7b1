//! Macro drivers and the data behind GDP dynamics: provincial and national paths year by year
//! (data, then scenario overrides, then stated rules), unit trends and income gaps.

use crate::data::{Dataset, Province};
use crate::engine::base::{PriceHistory, DATA_BASE_YEAR};
use crate::scenario::{Indicator, Scenario};

/// Population of a unit in `year` (2010..=2014) for trend estimation: Sichuan units use the
/// annual-average series; Chongqing units interpolate geometrically between the 2010 census and
/// the 2014 base year (their only two full-coverage observations).
pub(crate) fn trend_population(data: &Dataset, unit: usize, year: i32) -> Option<f64> {
    match data.units[unit].province {
        Province::Sichuan => data
            .history
            .population_annual_average
            .get(&(unit, year))
            .copied(),
        Province::Chongqing => {
            let p2010 = data.census[unit].resident_population;
            let p2014 = data.base[unit].population.value;
            Some(p2010 * (p2014 / p2010).powf(f64::from(year - 2010) / 4.0))
        }
    }
}

/// ln(y_i / ȳ_p): each unit's GDP per head in the start year relative to its province's units
/// together, from the published start-year values (not the census-consistent base, so that it
/// depends on the data alone).
pub fn income_gap(data: &Dataset, population: &[f64], gdp: &[f64]) -> Vec<f64> {
    let mut province_gdp = [0.0; 2];
    let mut province_population = [0.0; 2];
    for ((unit, p), y) in data.units.iter().zip(population).zip(gdp) {
        province_gdp[unit.province.index()] += y;
        province_population[unit.province.index()] += p;
    }
    data.units
        .iter()
        .zip(population)
        .zip(gdp)
        .map(|((unit, p), y)| {
            let k = unit.province.index();
            ((y / p) / (province_gdp[k] / province_population[k])).ln()
        })
        .collect()
}

/// g_i⁰: each unit's 2010–2014 growth of nominal GDP per head minus that of its province's units
/// together over the same years (a common provincial deflator cancels). Units with under two
/// years of GDP history (Yuzhong) get 0. Qijiang and Dazu start in 2011 (their 2011 mergers are
/// not in the 2010 figures).
pub fn unit_trends(data: &Dataset) -> Vec<f64> {
    let n = data.units.len();
    let first_year = |unit: usize| -> Option<i32> {
        (2010..=2012).find(|&year| {
            data.history.gdp.contains_key(&(unit, year))
                && trend_population(data, unit, year).is_some()
        })
    };
    let gdp = |unit: usize, year: i32| -> f64 {
        if year == DATA_BASE_YEAR {
            data.base[unit].gdp.value
        } else {
            data.history.gdp[&(unit, year)]
        }
    };
    let pop = |unit: usize, year: i32| -> f64 {
        if year == DATA_BASE_YEAR && data.units[unit].province == Province::Chongqing {
            data.base[unit].population.value
        } else {
            trend_population(data, unit, year).expect("first_year checked it")
        }
    };
    let per_head_rate = |members: &[usize], from: i32| -> f64 {
        let (gdp0, gdp1, pop0, pop1) = members.iter().fold((0.0, 0.0, 0.0, 0.0), |acc, &u| {
            (
                acc.0 + gdp(u, from),
                acc.1 + gdp(u, DATA_BASE_YEAR),
                acc.2 + pop(u, from),
                acc.3 + pop(u, DATA_BASE_YEAR),
            )
        });
        ((gdp1 / gdp0).ln() - (pop1 / pop0).ln()) / f64::from(DATA_BASE_YEAR - from)
    };
    (0..n)
        .map(|unit| {
            let Some(from) = first_year(unit) else {
                return 0.0;
            };
            let peers: Vec<usize> = (0..n)
                .filter(|&other| {
                    data.units[other].province == data.units[unit].province
                        && first_year(other).is_some_and(|y| y <= from)
                })
                .collect();
            per_head_rate(&[unit], from) - per_head_rate(&peers, from)
        })
        .collect()
}

/// Provincial and national drivers by year: scenario paths first, then data, then stated rules.
pub(super) struct MacroPaths<'a> {
    data: &'a Dataset,
    prices: &'a PriceHistory,
    scenario: &'a Scenario,
    /// Average 2010–2014 resident-population growth per province (for per-head trends).
    pub(super) province_population_growth: [f64; 2],
    /// Weights of the provinces' natural growth in the rest of China's (2014 populations).
    province_weight: [f64; 2],
}

impl<'a> MacroPaths<'a> {
    pub(super) fn new(data: &'a Dataset, prices: &'a PriceHistory, scenario: &'a Scenario) -> Self {
        let pop = |region: &str, year: i32| {
            data.macro_drivers.resident_population[&(region.to_string(), year)]
        };
        let growth = |region: &str| (pop(region, 2014) / pop(region, 2010)).powf(0.25) - 1.0;
        let total = pop("sichuan", 2014) + pop("chongqing", 2014);
        MacroPaths {
            data,
            prices,
            scenario,
            province_population_growth: [growth("sichuan"), growth("chongqing")],
            province_weight: [pop("sichuan", 2014) / total, pop("chongqing", 2014) / total],
        }
    }

    fn scenario_value(&self, region: &str, indicator: Indicator, year: i32) -> Option<f64> {
        self.scenario
            .macro_paths
            .iter()
            .rev()
            .find(|path| {
                path.region == region
                    && path.indicator == indicator
                    && (path.from_year..=path.to_year).contains(&year)
            })
            .map(|path| path.value)
    }

    /// Real GDP growth (fraction). Before 2014, a province without an observed rate takes the
    /// rate derived from its units' history ([`PriceHistory`]). After the data: China holds its
    /// last observed rate (and its first one before: 2011–2013 are not in the data); a province
    /// runs at China's rate plus its mean premium over its last five observed years.
    pub(super) fn real_growth(&self, region: &str, year: i32) -> f64 {
        if let Some(value) = self.scenario_value(region, Indicator::RealGdpGrowth, year) {
            return value / 100.0;
        }
        let series = &self.data.macro_drivers.real_gdp_growth;
        let observed = |region: &str, year: i32| series.get(&(region.to_string(), year)).copied();
        if let Some(value) = observed(region, year) {
            return value / 100.0;
        }
        let china = |year: i32| -> f64 {
            if let Some(value) = self.scenario_value("china", Indicator::RealGdpGrowth, year) {
                return value;
            }
            held(series, "china", year)
        };
        if region == "china" {
            return china(year) / 100.0;
        }
        if let Some(derived) =
            Province::parse(region).and_then(|p| self.prices.real_growth[p.index()].get(&year))
        {
            return *derived;
        }
        let mut common: Vec<(i32, f64)> = series
            .iter()
            .filter(|((r, y), _)| r == region && observed("china", *y).is_some())
            .map(|((_, y), v)| (*y, v - observed("china", *y).unwrap_or(0.0)))
            .collect();
        common.sort_by_key(|(y, _)| *y);
        let last_five = &common[common.len().saturating_sub(5)..];
        let premium = last_five.iter().map(|(_, v)| v).sum::<f64>() / last_five.len().max(1) as f64;
        (china(year) + premium) / 100.0
    }

    /// Natural growth (fraction): scenario, else linear between observed years, held outside.
    pub(super) fn natural(&self, region: &str, year: i32) -> f64 {
        if let Some(value) = self.scenario_value(region, Indicator::NaturalGrowth, year) {
            return value / 1000.0;
        }
        let series: Vec<(i32, f64)> = self
            .data
            .macro_drivers
            .natural_growth
            .iter()
            .filter(|((r, _), _)| r == region)
            .map(|((_, y), v)| (*y, *v))
            .collect();
        interpolate(&series, year) / 1000.0
    }

    /// The rest of China's natural growth: the two provinces' paths weighted by 2014 population
    /// (an assumption: national natural growth is not in the data).
    pub(super) fn rest_of_china_natural(&self, year: i32) -> f64 {
        if let Some(value) = self.scenario_value("china", Indicator::NaturalGrowth, year) {
            return value / 1000.0;
        }
        self.province_weight[0] * self.natural("sichuan", year)
            + self.province_weight[1] * self.natural("chongqing", year)
    }
}

/// The value of `region` in `year`, else its last observed value before, else its first.
fn held(series: &std::collections::BTreeMap<(String, i32), f64>, region: &str, year: i32) -> f64 {
    let points: Vec<(i32, f64)> = series
        .iter()
        .filter(|((r, _), _)| r == region)
        .map(|((_, y), v)| (*y, *v))
        .collect();
    points
        .iter()
        .rev()
        .find(|(y, _)| *y <= year)
        .or(points.first())
        .map_or(0.0, |(_, v)| *v)
}

/// Linear interpolation in a year-sorted series, constant beyond its ends.
fn interpolate(series: &[(i32, f64)], year: i32) -> f64 {
    match series {
        [] => 0.0,
        [(_, only)] => *only,
        _ => {
            if year <= series[0].0 {
                return series[0].1;
            }
            for pair in series.windows(2) {
                let ((y0, v0), (y1, v1)) = (pair[0], pair[1]);
                if year <= y1 {
                    let t = f64::from(year - y0) / f64::from(y1 - y0);
                    return v0 + t * (v1 - v0);
                }
            }
            series[series.len() - 1].1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn interpolation_is_linear_inside_and_flat_outside() {
        let series = [(2010, 2.0), (2014, 4.0), (2022, -4.0)];
        assert_relative_eq!(interpolate(&series, 2012), 3.0);
        assert_relative_eq!(interpolate(&series, 2018), 0.0);
        assert_relative_eq!(interpolate(&series, 2005), 2.0);
        assert_relative_eq!(interpolate(&series, 2030), -4.0);
    }

    #[test]
    fn macro_rules_follow_the_data_then_the_stated_assumptions() {
        let data = Dataset::embedded();
        let scenario = Scenario::default_for_tests();
        let prices = PriceHistory::new(&data);
        let macros = MacroPaths::new(&data, &prices, &scenario);
        assert_relative_eq!(macros.real_growth("chongqing", 2016), 0.107);
        // China after 2023 holds 5.2 %.
        assert_relative_eq!(macros.real_growth("china", 2028), 0.052);
        // Sichuan's premium over 2016–2020: mean(7.7,8.1,8.0,7.5,3.8) − mean(6.8,6.9,6.7,6.0,2.2) = 1.30
        assert_relative_eq!(
            macros.real_growth("sichuan", 2028),
            0.052 + 0.013,
            epsilon = 1e-12
        );
        assert_relative_eq!(
            macros.natural("sichuan", 2012),
            (2.98 + (3.2 - 2.98) / 3.0) / 1000.0,
            epsilon = 1e-12
        );
    }

    #[test]
    fn unit_trends_are_relative_to_the_province() {
        let data = Dataset::embedded();
        let trends = unit_trends(&data);
        assert_eq!(trends[data.unit_index("yuzhong").unwrap()], 0.0);
        assert!(
            trends.iter().all(|t| t.is_finite() && t.abs() < 0.25),
            "{trends:?}"
        );
        // Dadukou's 2011 steelworks relocation shows as a −20 %/yr "trend": the cap exists for it.
        assert!(trends[data.unit_index("dadukou").unwrap()] < -0.15);
        // Population-and-GDP weighted, relative trends roughly cancel within a province.
        let mean_sichuan: f64 = data
            .units
            .iter()
            .zip(&trends)
            .filter(|(u, _)| u.province == Province::Sichuan)
            .map(|(_, t)| t)
            .sum::<f64>()
            / 15.0;
        assert!(mean_sichuan.abs() < 0.03, "{mean_sichuan}");
    }
}
