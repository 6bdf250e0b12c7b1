//! Prediction intervals of a projection, from the model's own out-of-sample errors.
//!
//! The error of a unit's projected value grows with the horizon h (years after the start): the
//! log error is taken as normal with mean 0 and standard deviation σ(h) = s·h, as for an error
//! in the unit's growth rate that persists (the hindcast's errors per year are larger at 7–8
//! years than at 4, which a random walk, σ ∝ √h, would not give). `s` is measured per variable
//! on the backtests: the root mean square of (log error / h), pooled for population over the
//! 2010 start against 2014 and 2017/18 and the 2014 start against 2017/18 (132 errors), for GDP
//! over the 2010 start against 2014 (docs/BACKTEST.md gives the numbers and the commands that
//! re-measure them). The callers combine it with the run's parameter spread
//! (`sweep::spread`) and, for population, with the census gap below, as independent parts:
//! σ = √((s·h)² + σ_par² + σ_census²).
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
/// 2014 start: 44 units in 2017/18) with the default parameters (0.01180 at α = 0.6; it was
/// 0.0110 at α = 0.5).
pub const POPULATION_ERROR_PER_YEAR: f64 = 0.0118;
/// s for GDP (2014 prices), per year: 44 log errors of the hindcast in 2014 (no later unit GDP
/// is in the data): 0.0366 at α = 0.6 (0.0360 at α = 0.5; 0.0396 without catch-up).
pub const GDP_ERROR_PER_YEAR: f64 = 0.0366;

/// How far a unit's annual population estimate drifts from a census, per year since the last
/// census (log, root mean square): 0.0356 over 9.67 years, measured on the Sichuan units'
/// pre-census 2010 estimates (`history_2010_2014.csv`) against the 2010 census.
pub const CENSUS_GAP_PER_YEAR: f64 = 0.0037;

/// The census gap σ_census for a population value of `year`: 0 in the census year (2010) and
/// before, [`CENSUS_GAP_PER_YEAR`] per year after it.
pub fn census_gap_sigma(year: i32) -> f64 {
    CENSUS_GAP_PER_YEAR * f64::from((year - CENSUS_YEAR).max(0))
}

/// The standard deviation of the log error at `horizon` years (0 at the start year).
pub fn log_sigma(error_per_year: f64, horizon: i32) -> f64 {
    error_per_year * f64::from(horizon.max(0))
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
    fn intervals_widen_with_the_horizon() {
        // s = 0.01, h = 4: σ = 0.04; 95 %: exp(±1.96·0.04) = exp(±0.0784).
        let sigma = log_sigma(0.01, 4);
        assert_relative_eq!(sigma, 0.04, epsilon = 1e-15);
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
        assert_eq!(
            interval_with_sigma(100.0, log_sigma(0.01, 0), Z95),
            (100.0, 100.0)
        );
        let (low80, high80) = interval_with_sigma(100.0, sigma, Z80);
        assert!(low < low80 && high80 < high);
        assert!((low..=high).contains(&104.0) && !(low..=high).contains(&110.0));
    }
}
