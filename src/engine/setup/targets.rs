//! The base-year migration targets and the census-consistent 2014 base: observed, census-decade,
//! blended and hindcast net migration rates, the census migrant stocks and natural-growth offsets.

use crate::data::{Dataset, Province};
use crate::engine::base::{CENSUS_YEAR, DATA_BASE_YEAR};

/// The year of the 5th national census (2000-11-01), ten years before [`CENSUS_YEAR`].
pub const CENSUS_2000_YEAR: i32 = 2000;

/// Observed 2010–2014 net migration rate per unit: ln(P2014/P2010)/4 − n̄, where n̄ is the
/// natural growth the model itself applies to the unit over 2011–2014 (provincial path + the
/// unit's census offset), so that a run without shocks continues the observed growth.
/// `population_2014` is the year-end 2014 value of each unit (the 2014 base of
/// [`crate::engine::base::base_year_values`]); the census (2010-11-01) is taken as year-end
/// 2010, like the model's states.
pub fn observed_net_migration_rate(
    data: &Dataset,
    population_2014: &[f64],
    natural_growth: &[f64],
) -> Vec<f64> {
    data.census
        .iter()
        .zip(population_2014)
        .zip(natural_growth)
        .map(|((census, base), natural)| (base / census.resident_population).ln() / 4.0 - natural)
        .collect()
}

/// Each unit's 2000→2010 net migration rate relative to its province (per year), from the two
/// censuses (both dated 1 November, ten years apart):
///
/// d_i = [ln(P_i,2010 / P_i,2000) / 10 − n_i] − mean over the province's units,
///
/// with n_i the unit's natural-growth offset from its province (2010 census rates), and the mean
/// weighted by 2010 residents. It is the most reliable migration signal of the data: annual
/// estimates between censuses undercount the growth of fast-growing cities.
pub fn census_decade_differential(data: &Dataset, natural_offset: &[f64]) -> Vec<f64> {
    let rate: Vec<f64> = census_decade_growth(data)
        .iter()
        .zip(natural_offset)
        .map(|(growth, offset)| growth - offset)
        .collect();
    let weights: Vec<f64> = data.census.iter().map(|c| c.resident_population).collect();
    demean_by_province(data, &rate, &weights)
}

/// Each unit's yearly growth between the 2000 and 2010 censuses, ln(P₂₀₁₀/P₂₀₀₀)/10 (both are
/// dated 1 November, ten years apart).
pub fn census_decade_growth(data: &Dataset) -> Vec<f64> {
    let years = f64::from(CENSUS_YEAR - CENSUS_2000_YEAR);
    data.census
        .iter()
        .zip(&data.census_2000_population)
        .map(|(c2010, &p2000)| (c2010.resident_population / p2000).ln() / years)
        .collect()
}

/// What income per head says about the census decade: the within-province regression of each
/// unit's decade differential ([`census_decade_differential`]) on its log 2010 GDP per head,
/// one slope for both provinces, weighted by 2010 residents.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomePrediction {
    /// Net migration differential per year per unit of log GDP per head (0.028 on the shipped
    /// data; fitted on each province alone, 0.029 in Sichuan and 0.028 in Chongqing).
    pub slope: f64,
    /// Each unit's fitted differential, slope × (ln y_i − the province's weighted mean).
    pub differential: Vec<f64>,
}

/// Fits [`IncomePrediction`]. `log_income` is ln of each unit's 2010 GDP per head; the census
/// differentials are already relative to their province's mean, so only the incomes are centred.
pub fn income_predicted_differential(
    data: &Dataset,
    census_differential: &[f64],
    log_income: &[f64],
) -> IncomePrediction {
    let weights: Vec<f64> = data.census.iter().map(|c| c.resident_population).collect();
    let centred = demean_by_province(data, log_income, &weights);
    let (mut covariance, mut variance) = (0.0, 0.0);
    for ((x, d), w) in centred.iter().zip(census_differential).zip(&weights) {
        covariance += w * x * d;
        variance += w * x * x;
    }
    let slope = if variance > 0.0 {
        covariance / variance
    } else {
        0.0
    };
    IncomePrediction {
        slope,
        differential: centred.iter().map(|x| slope * x).collect(),
    }
}

/// The census differential a run's targets use: each unit's own decade differential moved a
/// share `shrinkage` towards what its income predicts, (1 − s)·d_i + s·d̂_i.
pub fn income_shrunk_differential(
    census_differential: &[f64],
    prediction: &IncomePrediction,
    shrinkage: f64,
) -> Vec<f64> {
    census_differential
        .iter()
        .zip(&prediction.differential)
        .map(|(own, predicted)| (1.0 - shrinkage) * own + shrinkage * predicted)
        .collect()
}

/// `values` minus their `weights`-weighted mean over each province's units.
fn demean_by_province(data: &Dataset, values: &[f64], weights: &[f64]) -> Vec<f64> {
    let mut sum = [0.0; 2];
    let mut weight = [0.0; 2];
    for ((unit, value), w) in data.units.iter().zip(values).zip(weights) {
        sum[unit.province.index()] += value * w;
        weight[unit.province.index()] += w;
    }
    data.units
        .iter()
        .zip(values)
        .map(|(unit, value)| {
            let p = unit.province.index();
            value - sum[p] / weight[p]
        })
        .collect()
}

/// Whether each unit's 2014 population says something about the unit itself: false where its
/// 2014/2010 ratio is shared (to 10⁻⁵) by at least two other units of the same province — the
/// mark of a province-wide scaling of the census (16 Chongqing units in the shipped data, scaled
/// by 1.0135 to the municipal total), which carries no unit-level migration signal.
pub fn base_has_unit_signal(data: &Dataset) -> Vec<bool> {
    let ratio: Vec<f64> = data
        .base
        .iter()
        .zip(&data.census)
        .map(|(base, census)| base.population.value / census.resident_population)
        .collect();
    (0..data.units.len())
        .map(|i| {
            let twins = (0..data.units.len())
                .filter(|&j| {
                    j != i
                        && data.units[j].province == data.units[i].province
                        && (ratio[j] - ratio[i]).abs() < 1e-5
                })
                .count();
            twins < 2
        })
        .collect()
}

/// φ, the share of true differential growth that annual population estimates capture, measured
/// where the data allow it: the Sichuan units' annual-average estimates of 2010, made before the
/// 2010 census was known, against the two censuses. The slope of ln(estimate₂₀₁₀ / census₂₀₀₀)
/// on ln(census₂₀₁₀ / census₂₀₀₀), both relative to the province's mean (weighted by 2010
/// residents), is φ (0.78 on the shipped data, correlation 0.98: the estimates undercounted
/// Chengdu by 3.4 % and overcounted Guang'an and Ziyang by 7.5–7.9 %). 1 (no correction) when
/// fewer than three units have such an estimate; kept within [0.3, 1].
pub fn estimate_capture(data: &Dataset) -> f64 {
    let units: Vec<usize> = (0..data.units.len())
        .filter(|&i| {
            data.history
                .population_annual_average
                .contains_key(&(i, CENSUS_YEAR))
        })
        .collect();
    if units.len() < 3 {
        return 1.0;
    }
    let mut mean_x = [0.0; 2];
    let mut mean_y = [0.0; 2];
    let mut weight = [0.0; 2];
    let point = |i: usize| {
        let c2000 = data.census_2000_population[i];
        let c2010 = data.census[i].resident_population;
        let estimate = data.history.population_annual_average[&(i, CENSUS_YEAR)];
        ((c2010 / c2000).ln(), (estimate / c2000).ln(), c2010)
    };
    for &i in &units {
        let (x, y, w) = point(i);
        let p = data.units[i].province.index();
        mean_x[p] += w * x;
        mean_y[p] += w * y;
        weight[p] += w;
    }
    let (mut covariance, mut variance) = (0.0, 0.0);
    for &i in &units {
        let (x, y, w) = point(i);
        let p = data.units[i].province.index();
        let (dx, dy) = (x - mean_x[p] / weight[p], y - mean_y[p] / weight[p]);
        covariance += w * dx * dy;
        variance += w * dx * dx;
    }
    if variance <= 0.0 {
        return 1.0;
    }
    (covariance / variance).clamp(0.3, 1.0)
}

/// The net migration rates a 2014 start is calibrated to: each province's observed 2010–2014
/// level (the population-weighted mean of its units' observed rates) plus a unit differential
/// that blends the census decade (weight `momentum`) with the unit's own 2010–2014 differential
/// (weight `estimate_weight`, only where the 2014 value carries a unit signal), the latter
/// divided by φ (`capture`, [`estimate_capture`]) because annual estimates catch only that share
/// of the true differential:
///
/// d_i = w·(m_i − m̄_p)/φ + (1 − w)·α·d_i^census   (unit signal)
/// d_i = α·d_i^census                               (province-wide scaling)
///
/// re-centred so that each province keeps its observed level.
pub fn blended_net_migration_rate(
    data: &Dataset,
    observed: &[f64],
    census_differential: &[f64],
    has_unit_signal: &[bool],
    capture: f64,
    momentum: f64,
    estimate_weight: f64,
) -> Vec<f64> {
    let weights: Vec<f64> = data.base.iter().map(|b| b.population.value).collect();
    let observed_differential = demean_by_province(data, observed, &weights);
    let level: Vec<f64> = observed
        .iter()
        .zip(&observed_differential)
        .map(|(m, d)| m - d)
        .collect();
    let blended: Vec<f64> = (0..observed.len())
        .map(|i| {
            let census = momentum * census_differential[i];
            if has_unit_signal[i] {
                estimate_weight * observed_differential[i] / capture
                    + (1.0 - estimate_weight) * census
            } else {
                census
            }
        })
        .collect();
    demean_by_province(data, &blended, &weights)
        .iter()
        .zip(&level)
        .map(|(d, l)| l + d)
        .collect()
}

/// A census-consistent 2014 population: the published values moved to where the calibration
/// targets say they would be, P_i · exp(4·(target_i − observed_i)) — the 2010 census carried to
/// 2014 at the target rates instead of the estimates' — scaled so that each province's units keep
/// their published total, then blended geometrically with the published values:
/// published^(1 − b) · consistent^b, again scaled to the provincial totals.
pub fn census_consistent_base(
    data: &Dataset,
    published: &[f64],
    observed_rate: &[f64],
    target_rate: &[f64],
    weight: f64,
) -> Vec<f64> {
    let to_totals = |values: Vec<f64>| -> Vec<f64> {
        let mut total = [0.0; 2];
        let mut goal = [0.0; 2];
        for ((unit, value), p) in data.units.iter().zip(&values).zip(published) {
            total[unit.province.index()] += value;
            goal[unit.province.index()] += p;
        }
        data.units
            .iter()
            .zip(values)
            .map(|(unit, value)| value * goal[unit.province.index()] / total[unit.province.index()])
            .collect()
    };
    let consistent = to_totals(
        published
            .iter()
            .zip(observed_rate)
            .zip(target_rate)
            .map(|((p, observed), target)| {
                p * (f64::from(DATA_BASE_YEAR - CENSUS_YEAR) * (target - observed)).exp()
            })
            .collect(),
    );
    to_totals(
        published
            .iter()
            .zip(&consistent)
            .map(|(p, c)| p.powf(1.0 - weight) * c.powf(weight))
            .collect(),
    )
}

/// The net migration rates a 2010 start is calibrated to: the census decade's differentials
/// (weight `momentum`) around each province's observed 2010–2014 level.
///
/// The 2000→2010 decade holds out-migration that reversed around 2010, so its level is not a
/// forecast; the hindcast is conditional on the provinces' observed totals (like their observed
/// GDP growth): each province's level is ln(P₂₀₁₄/P₂₀₁₀)/4 − its mean natural growth 2011–2014
/// (`natural_by_province`). Which units gain and lose within a province is the test.
pub fn hindcast_net_migration_rate(
    data: &Dataset,
    census_differential: &[f64],
    momentum: f64,
    natural_by_province: &[f64],
) -> Vec<f64> {
    let level: Vec<f64> = Province::ALL
        .iter()
        .map(|p| {
            let totals = &data.macro_drivers.resident_population;
            let key = |year: i32| (p.id().to_string(), year);
            (totals[&key(DATA_BASE_YEAR)] / totals[&key(CENSUS_YEAR)]).ln()
                / f64::from(DATA_BASE_YEAR - CENSUS_YEAR)
                - natural_by_province[p.index()]
        })
        .collect();
    data.units
        .iter()
        .zip(census_differential)
        .map(|(unit, d)| level[unit.province.index()] + momentum * d)
        .collect()
}

/// Migrant stocks of the 2010 census as shares of the resident population of the 44 units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CensusMigrantStocks {
    /// Residents registered in another county of the same province (inter-county movers; in
    /// Sichuan this includes moves between counties of one city, in Chongqing moves from
    /// districts outside the plan).
    pub internal: f64,
    /// People registered in the units but living elsewhere, net, plus residents registered in
    /// another province: registered − resident + in-migrants from other provinces.
    pub rest_of_china: f64,
}

/// Reads the census migration columns: base-year gross move rates are these stocks divided by
/// `migrant_stay_years`.
pub fn census_migrant_stocks(data: &Dataset) -> CensusMigrantStocks {
    let sum = |f: &dyn Fn(&crate::data::Census2010) -> f64| data.census.iter().map(f).sum::<f64>();
    let resident = sum(&|c| c.resident_population);
    CensusMigrantStocks {
        internal: sum(&|c| c.in_migrants_other_county_same_province) / resident,
        rest_of_china: (sum(&|c| c.registered_population) - resident
            + sum(&|c| c.in_migrants_other_province))
            / resident,
    }
}

/// Unit natural growth offset: the unit's 2010 census rate minus the population-weighted mean of
/// its province's units (fraction per year).
pub fn natural_growth_offsets(data: &Dataset) -> Vec<f64> {
    let mut weighted = [0.0; 2];
    let mut weight = [0.0; 2];
    for (unit, census) in data.units.iter().zip(&data.census) {
        let p = unit.province.index();
        weighted[p] += census.natural_growth_permille * census.resident_population;
        weight[p] += census.resident_population;
    }
    data.units
        .iter()
        .zip(&data.census)
        .map(|(unit, census)| {
            let p = unit.province.index();
            (census.natural_growth_permille - weighted[p] / weight[p]) / 1000.0
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn census_stocks_give_the_documented_rates() {
        let stocks = census_migrant_stocks(&Dataset::embedded());
        // 6,924,950 / 90,465,844 and (101,373,056 − 90,465,844 + 1,872,653) / 90,465,844
        assert_relative_eq!(stocks.internal, 0.07655, epsilon = 1e-4);
        assert_relative_eq!(stocks.rest_of_china, 0.14127, epsilon = 1e-4);
    }

    #[test]
    fn annual_estimates_capture_about_four_fifths_of_the_census_differentials() {
        let data = Dataset::embedded();
        let capture = estimate_capture(&data);
        assert!((0.77..0.79).contains(&capture), "{capture}");
        // Without 2010 estimates there is nothing to measure: no correction.
        let mut without = data.clone();
        without.history.population_annual_average.clear();
        assert_eq!(estimate_capture(&without), 1.0);
    }

    #[test]
    fn a_2014_start_blends_the_census_decade_with_the_estimates_where_they_carry_a_signal() {
        let data = Dataset::embedded();
        let signal = base_has_unit_signal(&data);
        // 16 Chongqing units are the 2010 census × 1.0135 (the municipal total): no signal.
        assert_eq!(signal.iter().filter(|s| !**s).count(), 16);
        assert!(!signal[data.unit_index("fuling").unwrap()]);
        assert!(signal[data.unit_index("yubei").unwrap()]);
        assert!(signal[data.unit_index("chengdu").unwrap()]);
        let natural = vec![0.0; data.units.len()];
        let year_end = crate::engine::base::year_end_base_population(&data);
        let observed = observed_net_migration_rate(&data, &year_end, &natural);
        let decade = census_decade_differential(&data, &natural_growth_offsets(&data));
        // With α = 0 and no weight on the estimates, every unit sits at its province's level.
        let flat = blended_net_migration_rate(&data, &observed, &decade, &signal, 0.8, 0.0, 0.0);
        let (fuling, qijiang) = (
            data.unit_index("fuling").unwrap(),
            data.unit_index("qijiang").unwrap(),
        );
        assert_relative_eq!(flat[fuling], flat[qijiang], epsilon = 1e-15);
        // Two scaled units differ by α times their census differentials, whatever w_e.
        let blended = blended_net_migration_rate(&data, &observed, &decade, &signal, 0.8, 0.7, 0.4);
        assert_relative_eq!(
            blended[fuling] - blended[qijiang],
            0.7 * (decade[fuling] - decade[qijiang]),
            epsilon = 1e-12
        );
        // Each province keeps its observed level (base-population weights).
        for province in Province::ALL {
            let mean = |rates: &[f64]| {
                let (w, n) = (0..data.units.len())
                    .filter(|&i| data.units[i].province == province)
                    .fold((0.0, 0.0), |(w, n), i| {
                        let p = data.base[i].population.value;
                        (w + rates[i] * p, n + p)
                    });
                w / n
            };
            assert_relative_eq!(mean(&blended), mean(&observed), epsilon = 1e-12);
        }
    }

    /// Regress within one province only: the other's units get no weight.
    fn slope_in(data: &Dataset, province: Province, decade: &[f64], log_income: &[f64]) -> f64 {
        let mut only = data.clone();
        for (census, unit) in only.census.iter_mut().zip(&data.units) {
            if unit.province != province {
                census.resident_population = 1e-300;
            }
        }
        income_predicted_differential(&only, decade, log_income).slope
    }

    #[test]
    fn the_census_decade_rises_with_income_per_head_alike_in_both_provinces() {
        let data = Dataset::embedded();
        let decade = census_decade_differential(&data, &natural_growth_offsets(&data));
        let log_income: Vec<f64> = crate::engine::base::gdp_2010(&data)
            .iter()
            .zip(&data.census)
            .map(|(gdp, census)| (gdp.nominal / census.resident_population).ln())
            .collect();
        let prediction = income_predicted_differential(&data, &decade, &log_income);
        // About +2 %/yr of net migration per doubling of GDP per head (0.028 × ln 2), and the
        // same slope in each province alone.
        assert!(
            (0.026..0.030).contains(&prediction.slope),
            "{}",
            prediction.slope
        );
        for province in Province::ALL {
            let alone = slope_in(&data, province, &decade, &log_income);
            assert!((0.026..0.031).contains(&alone), "{province:?}: {alone}");
        }
        // It explains more than half of the decade's variance (weighted by 2010 residents).
        let weights: Vec<f64> = data.census.iter().map(|c| c.resident_population).collect();
        let sum_squares = |values: &dyn Fn(usize) -> f64| -> f64 {
            (0..decade.len())
                .map(|i| weights[i] * values(i).powi(2))
                .sum()
        };
        let explained = 1.0
            - sum_squares(&|i| decade[i] - prediction.differential[i])
                / sum_squares(&|i| decade[i]);
        assert!(explained > 0.5, "{explained}");
        // The richest unit per head (Yuzhong's central business district) gets the largest pull.
        let yuzhong = data.unit_index("yuzhong").unwrap();
        let largest = (0..decade.len())
            .max_by(|&a, &b| prediction.differential[a].total_cmp(&prediction.differential[b]))
            .unwrap();
        assert_eq!(largest, yuzhong);

        // Shrinkage moves each differential linearly between its own value and the prediction.
        let own = income_shrunk_differential(&decade, &prediction, 0.0);
        let predicted = income_shrunk_differential(&decade, &prediction, 1.0);
        let fifth = income_shrunk_differential(&decade, &prediction, 0.2);
        for i in 0..decade.len() {
            assert_eq!(own[i], decade[i]);
            assert_relative_eq!(predicted[i], prediction.differential[i], epsilon = 1e-15);
            assert_relative_eq!(
                fifth[i],
                0.8 * decade[i] + 0.2 * predicted[i],
                epsilon = 1e-15
            );
        }
    }
}
