//! Naive forecasts, the yardsticks a model has to beat. Pure functions of plain slices.
//!
//! * **regional**: every unit grows like the plan area as a whole (in the model run), from its
//!   own start value: `start_i · total(t) / total(start)`;
//! * **trend**: every unit keeps growing at constant yearly rates from its start value:
//!   `start_i · (1 + r_i)^(t − start)`, where for population `r_i` is the unit's natural
//!   growth plus its pre-start net migration rate, and for GDP `(1 + r_pop,i)(1 + g_i) − 1`
//!   with `g_i` the unit's per-head growth;
//! * **census momentum**: every unit continues its 2000→2010 census growth rate from its start
//!   value, `start_i · exp(c_i · years)`, and then each province's units are scaled together so
//!   that they sum to the run's provincial total of that year. It keeps the census decade's
//!   pattern of who gains and who loses, and takes the level from the same provincial totals
//!   the model reaches.

/// Each unit grown at the regional rate: `start_i · total_year / total_start`.
pub fn regional(start: &[f64], total_start: f64, total_year: f64) -> Vec<f64> {
    let factor = total_year / total_start;
    start.iter().map(|s| s * factor).collect()
}

/// `start · (1 + rate)^years`.
pub fn compound(start: f64, rate: f64, years: i32) -> f64 {
    start * (1.0 + rate).powi(years)
}

/// Constant yearly growth rates per unit (fractions) for the trend forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendRates {
    /// `natural_growth_i + net_migration_rate_i`.
    pub population: Vec<f64>,
    /// `(1 + population_i)(1 + per_head_growth_i) − 1`.
    pub gdp: Vec<f64>,
}

/// The trend rates from per-unit natural growth, net migration rate and per-head growth
/// (three slices with one value per unit, paired by position; the shortest sets the count).
pub fn trend_rates(
    natural_growth: &[f64],
    net_migration_rate: &[f64],
    per_head_growth: &[f64],
) -> TrendRates {
    let population: Vec<f64> = natural_growth
        .iter()
        .zip(net_migration_rate)
        .map(|(n, m)| n + m)
        .collect();
    let gdp = population
        .iter()
        .zip(per_head_growth)
        .map(|(p, g)| (1.0 + p) * (1.0 + g) - 1.0)
        .collect();
    TrendRates { population, gdp }
}

/// Each unit's start value grown for `years` years at its own rate.
pub fn trend(start: &[f64], rates: &[f64], years: i32) -> Vec<f64> {
    start
        .iter()
        .zip(rates)
        .map(|(&s, &r)| compound(s, r, years))
        .collect()
}

/// The census-momentum forecast of every unit for one year: `start_i · exp(rate_i · years)`,
/// scaled per province (`province[i]`, an index) so that each province's units sum to their
/// total in `run_year` (the run's values of that year). Slices are paired by position.
pub fn census_momentum(
    start: &[f64],
    run_year: &[f64],
    rate: &[f64],
    province: &[usize],
    years: i32,
) -> Vec<f64> {
    let raw: Vec<f64> = start
        .iter()
        .zip(rate)
        .map(|(s, r)| s * (r * f64::from(years)).exp())
        .collect();
    let provinces = province.iter().max().map_or(0, |p| p + 1);
    let mut target = vec![0.0; provinces];
    let mut sum = vec![0.0; provinces];
    for ((&p, value), raw) in province.iter().zip(run_year).zip(&raw) {
        target[p] += value;
        sum[p] += raw;
    }
    raw.iter()
        .zip(province)
        .map(|(raw, &p)| raw * target[p] / sum[p])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn regional_scales_every_unit_by_the_total() {
        // Total 100 + 300 = 400 grows to 440 (+10 %): each unit +10 %.
        let out = regional(&[100.0, 300.0], 400.0, 440.0);
        assert_relative_eq!(out[0], 110.0);
        assert_relative_eq!(out[1], 330.0);
        assert!(regional(&[], 1.0, 2.0).is_empty());
    }

    #[test]
    fn compound_growth() {
        // 1000 · 1.05² = 1000 · 1.1025 = 1102.5
        assert_relative_eq!(compound(1000.0, 0.05, 2), 1102.5, epsilon = 1e-9);
        // −10 % for three years: 1000 · 0.9³ = 729
        assert_relative_eq!(compound(1000.0, -0.1, 3), 729.0, epsilon = 1e-9);
        assert_relative_eq!(compound(1000.0, 0.3, 0), 1000.0);
    }

    #[test]
    fn trend_rates_and_forecast_by_hand() {
        // Unit A: natural 0.004 + net migration 0.006 = 0.010 population growth;
        //         GDP (1.010)(1.070) − 1 = 1.0807 − 1 = 0.0807.
        // Unit B: natural 0.002 + net migration −0.012 = −0.010;
        //         GDP (0.990)(1.080) − 1 = 1.0692 − 1 = 0.0692.
        let rates = trend_rates(&[0.004, 0.002], &[0.006, -0.012], &[0.07, 0.08]);
        assert_relative_eq!(rates.population[0], 0.010, epsilon = 1e-12);
        assert_relative_eq!(rates.population[1], -0.010, epsilon = 1e-12);
        assert_relative_eq!(rates.gdp[0], 0.0807, epsilon = 1e-12);
        assert_relative_eq!(rates.gdp[1], 0.0692, epsilon = 1e-12);
        // Two years on: A 1,000,000 · 1.01² = 1,020,100; B 500,000 · 0.99² = 490,050.
        let population = trend(&[1_000_000.0, 500_000.0], &rates.population, 2);
        assert_relative_eq!(population[0], 1_020_100.0, epsilon = 1e-6);
        assert_relative_eq!(population[1], 490_050.0, epsilon = 1e-6);
        // GDP of A: 1e10 · 1.0807² = 1e10 · 1.16791249 = 11,679,124,900.
        let gdp = trend(&[1e10], &rates.gdp, 2);
        assert_relative_eq!(gdp[0], 11_679_124_900.0, epsilon = 1e-3);
    }

    #[test]
    fn census_momentum_keeps_the_pattern_and_the_provincial_totals() {
        // Province 0: units of 100 growing at +10 %/yr (continuous) and 100 at 0; province 1
        // one unit. After one year: raw e^0.1·100 = 110.517 and 100, scaled to a total of 220:
        // 220·110.517/210.517 = 115.496…, 220·100/210.517 = 104.504…
        let out = census_momentum(
            &[100.0, 100.0, 50.0],
            &[120.0, 100.0, 70.0],
            &[0.1, 0.0, -0.5],
            &[0, 0, 1],
            1,
        );
        let raw = 100.0 * 0.1f64.exp();
        assert_relative_eq!(out[0], 220.0 * raw / (raw + 100.0), epsilon = 1e-9);
        assert_relative_eq!(out[1], 220.0 * 100.0 / (raw + 100.0), epsilon = 1e-9);
        assert_relative_eq!(out[0] + out[1], 220.0, epsilon = 1e-9);
        // A province of one unit takes its total whatever its rate.
        assert_relative_eq!(out[2], 70.0, epsilon = 1e-12);
    }

    #[test]
    fn mismatched_lengths_use_the_shortest() {
        let rates = trend_rates(&[0.01, 0.02, 0.03], &[0.0], &[0.0, 0.0]);
        assert_eq!(rates.population.len(), 1);
        assert_eq!(rates.gdp.len(), 1);
        assert_eq!(trend(&[1.0, 2.0], &[0.1], 1).len(), 1);
    }
}
