//! Prediction intervals of a projection, from the model's own out-of-sample errors.
//!
//! The error of a unit's projected value grows with the horizon h (years after the start); the
//! log error is taken as normal with mean 0 and a standard deviation σ(h) that grows as the
//! data say it does:
//! - population, σ(h) = s·h, as for an error in the unit's growth rate that persists: the
//!   hindcast's errors per year are larger at 7–8 years than at 4, which a random walk
//!   (σ ∝ √h) would not give. `s` is the root mean square of (log error / h), pooled over the
//!   2010 start against 2014 and 2017/18 and the 2014 start against 2017/18 (132 errors).
//! - GDP, σ(h) = s·√h, a random walk: in the 2010–2014 GDP series the units' shares of their
//!   province's GDP drift from a start year by a root mean square that grows as h^0.55 (from
//!   2010: 7.2 % after one year, 15.1 % after four; from 2011 the same exponent), which is what
//!   year-to-year shocks that do not persist give, not persistent growth gaps (h¹). `s` is the
//!   model's root mean square log error at h = 4 (2010 start against 2014, 44 units) divided by
//!   √4. Beyond the four years the data cover this is an extrapolation.
//!
//! docs/BACKTEST.md gives the numbers and the commands that re-measure them. The callers
//! combine the error with the run's parameter spread (`sweep::spread`) and, for population,
//! with the census gap below, as independent parts: σ = √(σ_err(h)² + σ_par² + σ_census²).
//!
//! The census gap: `s` is measured against annual estimates, but a population count that
//! settles the question is a census, and estimates drift from the census the longer ago the
//! last one was. Sichuan's 15 units' annual-average 2010 estimates, made before the 2010 census
//! was published, differ from it by 3.56 % (root mean square of the log difference, 2.23 %
//! common to the province and 2.78 % between units) after 9.67 years (2000-11-01 census to
//! mid-2010): 0.37 % a year since the last census. Added, the intervals are intervals for a
//! census count.
//!
//! The interval of level L is value·exp(±z_L·σ(h)), with z the standard normal quantile
//! (z₀.₉₀ = 1.2816 for 80 %, z₀.₉₇₅ = 1.9600 for 95 %).

use crate::scenario::CENSUS_YEAR;

/// Standard normal quantiles for two-sided 80 % and 95 % intervals.
pub const Z80: f64 = 1.281_551_565_544_600_4;
pub const Z95: f64 = 1.959_963_984_540_054;

/// s for population, per year: 132 log errors (2010 start: 44 units in 2014 and in 2017/18;
/// 2014 start: 44 units in 2017/18) with the default parameters and data (0.01075; earlier
/// versions: 0.01099 before ten Chongqing units' 2014 values came from the district panel and
/// α = 0.65, 0.01180 before `income_shrinkage`, 0.0110 at α = 0.5).
pub const POPULATION_ERROR_PER_YEAR: f64 = 0.0108;
/// s for GDP (2014 prices), per √year: the root mean square of the hindcast's 44 log errors in
/// 2014 (0.1473; no later unit GDP is in the data) over √4 (0.0733 before the changes above).
/// As a rate per year it was 0.0366.
pub const GDP_ERROR_PER_SQRT_YEAR: f64 = 0.0736;

/// How far a unit's annual population estimate drifts from a census, per year since the last
/// census (log, root mean square): 0.0356 over 9.67 years, measured on the Sichuan units'
/// pre-census 2010 estimates (`history_2010_2014.csv`) against the 2010 census.
pub const CENSUS_GAP_PER_YEAR: f64 = 0.0037;

/// The census gap σ_census for a population value of `year`: 0 in the census year (2010) and
/// before, [`CENSUS_GAP_PER_YEAR`] per year after it.
pub fn census_gap_sigma(year: i32) -> f64 {
    CENSUS_GAP_PER_YEAR * f64::from((year - CENSUS_YEAR).max(0))
}

/// The standard deviation of a population value's log error at `horizon` years (0 at the start
/// year): s·h.
pub fn population_error_sigma(horizon: i32) -> f64 {
    POPULATION_ERROR_PER_YEAR * f64::from(horizon.max(0))
}

/// The standard deviation of a GDP value's log error at `horizon` years (0 at the start year):
/// s·√h.
pub fn gdp_error_sigma(horizon: i32) -> f64 {
    GDP_ERROR_PER_SQRT_YEAR * f64::from(horizon.max(0)).sqrt()
}

/// (low, high) = value·exp(∓z·σ) for a log standard deviation σ.
pub fn interval_with_sigma(value: f64, sigma: f64, z: f64) -> (f64, f64) {
    let half_width = z * sigma;
    (value * (-half_width).exp(), value * half_width.exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn the_census_gap_grows_from_the_census_year() {
        assert_eq!(census_gap_sigma(2010), 0.0);
        assert_eq!(census_gap_sigma(2000), 0.0);
        assert_relative_eq!(census_gap_sigma(2020), 0.037, epsilon = 1e-15);
        assert!(census_gap_sigma(2014) < census_gap_sigma(2015));
    }

    #[test]
    fn population_errors_grow_with_the_horizon_and_gdp_errors_with_its_root() {
        assert_eq!(population_error_sigma(0), 0.0);
        assert_eq!(gdp_error_sigma(-1), 0.0);
        assert_relative_eq!(population_error_sigma(4), 4.0 * POPULATION_ERROR_PER_YEAR);
        assert_relative_eq!(gdp_error_sigma(4), 2.0 * GDP_ERROR_PER_SQRT_YEAR);
        assert_relative_eq!(gdp_error_sigma(16), 2.0 * gdp_error_sigma(4));
        // At the backtest's horizon the GDP scale is the hindcast's error (0.1473 measured; the
        // scale is rounded to 0.0736).
        assert_relative_eq!(gdp_error_sigma(4), 0.1472, epsilon = 1e-12);
    }

    /// Root mean square, over units, of the drift of each unit's share of its province's GDP
    /// from `start`, after 1..=`last − start` years (units with GDP in every year).
    fn gdp_share_drift(data: &crate::data::Dataset, start: i32, last: i32) -> Vec<f64> {
        let gdp = &data.history.gdp;
        let units: Vec<usize> = (0..data.units.len())
            .filter(|&u| (start..=last).all(|y| gdp.contains_key(&(u, y))))
            .collect();
        let share = |u: usize, y: i32| {
            let province = data.units[u].province;
            let total: f64 = units
                .iter()
                .filter(|&&v| data.units[v].province == province)
                .map(|&v| gdp[&(v, y)])
                .sum();
            gdp[&(u, y)] / total
        };
        (start + 1..=last)
            .map(|y| {
                let squares: f64 = units
                    .iter()
                    .map(|&u| (share(u, y) / share(u, start)).ln().powi(2))
                    .sum();
                (squares / units.len() as f64).sqrt()
            })
            .collect()
    }

    /// Least-squares slope of ln(rms) on ln(h), h = 1, 2, ...
    fn growth_exponent(rms: &[f64]) -> f64 {
        let points: Vec<(f64, f64)> = rms
            .iter()
            .enumerate()
            .map(|(i, r)| (((i + 1) as f64).ln(), r.ln()))
            .collect();
        let n = points.len() as f64;
        let (mean_x, mean_y) = points
            .iter()
            .fold((0.0, 0.0), |(x, y), p| (x + p.0 / n, y + p.1 / n));
        let covariance: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
        let variance: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
        covariance / variance
    }

    #[test]
    fn gdp_shares_drift_like_a_random_walk_in_the_data() {
        // The evidence for σ ∝ √h for GDP: from 2010 and from 2011 the units' shares of their
        // province's GDP drift with an exponent near 0.5 (0.55 and 0.54), far from the 1 of
        // persistent growth gaps.
        let data = crate::data::Dataset::embedded();
        let from_2010 = gdp_share_drift(&data, 2010, 2014);
        assert_relative_eq!(from_2010[0], 0.0720, epsilon = 5e-4);
        assert_relative_eq!(from_2010[3], 0.1509, epsilon = 5e-4);
        for start in [2010, 2011] {
            let exponent = growth_exponent(&gdp_share_drift(&data, start, 2014));
            assert!((0.45..0.65).contains(&exponent), "{start}: {exponent}");
        }
    }

    #[test]
    fn intervals_widen_with_the_sigma() {
        // σ = 0.04; 95 %: exp(±1.96·0.04) = exp(±0.0784).
        let sigma = 0.04;
        let (low, high) = interval_with_sigma(100.0, sigma, Z95);
        assert_relative_eq!(
            low,
            100.0 * (-0.078_398_559_381_602_16f64).exp(),
            epsilon = 1e-9
        );
        assert_relative_eq!(
            high,
            100.0 * 0.078_398_559_381_602_16f64.exp(),
            epsilon = 1e-9
        );
        // The start year has no width; 80 % lies inside 95 %.
        assert_eq!(interval_with_sigma(100.0, 0.0, Z95), (100.0, 100.0));
        let (low80, high80) = interval_with_sigma(100.0, sigma, Z80);
        assert!(low < low80 && high80 < high);
        assert!((low..=high).contains(&104.0) && !(low..=high).contains(&110.0));
    }
}
