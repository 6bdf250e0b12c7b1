//! How long a unit's GDP-per-head lead lasts, and how fast poorer units catch up: measured on
//! pseudo-forecasts inside 2010–2014, the years before the 2014 base.
//!
//! A 2014 start grows each unit's GDP per head at its province's rate plus two unit terms
//! (docs/MODEL.md §2.2): its 2010–2014 relative trend g⁰, decaying by δ (`trend_decay`) a year,
//! and a catch-up −β_c·ln(y/ȳ_p) (`income_convergence`). Both can be tested before 2014 by
//! pretending to start earlier: take the trend over a shorter window (2010–2012, 2011–2013,
//! 2010–2013), the income gap at its end, and score the predicted relative growth over the
//! remaining years up to 2014, k years ahead: g⁰·(1−δ)^k − β_c·(1−β_c)^k·gap. The error is the
//! cumulative relative per-head growth after each year, squared and summed over the units; each
//! window's sum is divided by that of the no-signal forecast (relative growth 0) so that the
//! three windows weigh alike. A grid over δ and β_c finds the minimum.
//!
//! Data: nominal GDP (a common provincial deflator cancels in growth relative to the province),
//! Sichuan's annual-average populations, and for Chongqing the geometric path between the 2010
//! census and 2014 that the model's trends use too (flat relative growth for the units without
//! a unit estimate). Every unit with GDP in every year of a window counts; trends are capped at
//! ±`trend_cap` as in the model.

use crate::data::{Dataset, Province};
use crate::engine::setup::trend_population;

/// The pseudo-forecast windows: (first trend year, last trend year = pseudo start, last scored year).
pub const WINDOWS: [(i32, i32, i32); 3] =
    [(2010, 2012, 2014), (2011, 2013, 2014), (2010, 2013, 2014)];

/// Grid of δ: 0, 0.05, …, 1.
const DECAY_STEPS: usize = 20;
/// Grid of β_c: 0, 0.002, …, 0.08.
const CONVERGENCE_STEP: f64 = 0.002;
const CONVERGENCE_STEPS: usize = 40;

/// One unit in one window.
#[derive(Debug, Clone, PartialEq)]
struct Case {
    /// g⁰: the unit's per-head growth minus its province's over the trend window, capped.
    trend: f64,
    /// ln(y_i/ȳ_p) at the pseudo start.
    gap: f64,
    /// The unit's relative per-head growth in each scored year.
    realised: Vec<f64>,
}

/// The result: the best grid point and the loss surface around it.
#[derive(Debug, Clone, PartialEq)]
pub struct GdpPersistence {
    /// Units scored per window, in [`WINDOWS`] order.
    pub units: Vec<usize>,
    /// Best δ (1/yr).
    pub trend_decay: f64,
    /// Best β_c (1/yr).
    pub income_convergence: f64,
    /// Loss at the best point: the sum over windows of SSE ÷ no-signal SSE (3 = no skill).
    pub loss: f64,
    /// Loss at (δ, β_c) = (`reference_decay`, `reference_convergence`) passed to [`fit`].
    pub loss_at_reference: f64,
    /// Best loss for each δ on the grid (β_c free): the profile of δ.
    pub decay_profile: Vec<(f64, f64)>,
}

/// GDP and population of `members` together in `year` (every value present: see [`cases`]).
fn totals(data: &Dataset, members: &[usize], year: i32) -> (f64, f64) {
    members.iter().fold((0.0, 0.0), |(gdp, population), &u| {
        (
            gdp + data.history.gdp[&(u, year)],
            population + trend_population(data, u, year).unwrap_or(f64::NAN),
        )
    })
}

/// Per-head growth of `members` together from `from` to `to` (log, per year).
fn per_head_rate(data: &Dataset, members: &[usize], from: i32, to: i32) -> f64 {
    let (gdp0, pop0) = totals(data, members, from);
    let (gdp1, pop1) = totals(data, members, to);
    ((gdp1 / gdp0).ln() - (pop1 / pop0).ln()) / f64::from(to - from)
}

fn cases(data: &Dataset, (first, start, last): (i32, i32, i32), trend_cap: f64) -> Vec<Case> {
    // Only units with GDP and population in every year of the window take part.
    let complete = |u: usize| {
        (first..=last).all(|year| {
            data.history.gdp.contains_key(&(u, year)) && trend_population(data, u, year).is_some()
        })
    };
    let mut out = Vec::new();
    for province in [Province::Chongqing, Province::Sichuan] {
        let members: Vec<usize> = (0..data.units.len())
            .filter(|&u| data.units[u].province == province && complete(u))
            .collect();
        let province_trend = per_head_rate(data, &members, first, start);
        let province_years: Vec<f64> = (start + 1..=last)
            .map(|year| per_head_rate(data, &members, year - 1, year))
            .collect();
        let (province_gdp, province_population) = totals(data, &members, start);
        for &u in &members {
            let trend = per_head_rate(data, &[u], first, start) - province_trend;
            let realised = (start + 1..=last)
                .zip(&province_years)
                .map(|(year, province)| per_head_rate(data, &[u], year - 1, year) - province)
                .collect();
            let (gdp, population) = totals(data, &[u], start);
            out.push(Case {
                trend: trend.clamp(-trend_cap, trend_cap),
                gap: ((gdp / population) / (province_gdp / province_population)).ln(),
                realised,
            });
        }
    }
    out
}

/// Sum of squared errors of the cumulative relative growth, k = 1… years ahead.
fn squared_error(cases: &[Case], decay: f64, convergence: f64) -> f64 {
    cases
        .iter()
        .map(|case| {
            let (mut realised, mut predicted, mut sum) = (0.0, 0.0, 0.0);
            for (k, growth) in (1..).zip(&case.realised) {
                realised += growth;
                predicted += case.trend * (1.0 - decay).powi(k)
                    - convergence * (1.0 - convergence).powi(k) * case.gap;
                sum += (realised - predicted) * (realised - predicted);
            }
            sum
        })
        .sum()
}

/// Fits δ and β_c on the grid; `trend_cap` as the model's ḡ. The reference point (e.g. the
/// defaults) is scored too.
pub fn fit(data: &Dataset, trend_cap: f64, reference: (f64, f64)) -> GdpPersistence {
    let windows: Vec<Vec<Case>> = WINDOWS.iter().map(|&w| cases(data, w, trend_cap)).collect();
    // The no-signal forecast: every unit grows like its province (relative growth 0).
    let no_signal: Vec<f64> = windows
        .iter()
        .map(|cases| {
            let zero: Vec<Case> = cases
                .iter()
                .map(|c| Case {
                    trend: 0.0,
                    gap: 0.0,
                    realised: c.realised.clone(),
                })
                .collect();
            squared_error(&zero, 0.0, 0.0)
        })
        .collect();
    let loss = |decay: f64, convergence: f64| -> f64 {
        windows
            .iter()
            .zip(&no_signal)
            .map(|(cases, base)| squared_error(cases, decay, convergence) / base)
            .sum()
    };
    let mut best = (f64::INFINITY, 0.0, 0.0);
    let mut decay_profile = Vec::with_capacity(DECAY_STEPS + 1);
    for d in 0..=DECAY_STEPS {
        let decay = d as f64 / DECAY_STEPS as f64;
        let mut best_here = f64::INFINITY;
        for c in 0..=CONVERGENCE_STEPS {
            let convergence = c as f64 * CONVERGENCE_STEP;
            let value = loss(decay, convergence);
            best_here = best_here.min(value);
            if value < best.0 {
                best = (value, decay, convergence);
            }
        }
        decay_profile.push((decay, best_here));
    }
    GdpPersistence {
        units: windows.iter().map(Vec::len).collect(),
        trend_decay: best.1,
        income_convergence: best.2,
        loss: best.0,
        loss_at_reference: loss(reference.0, reference.1),
        decay_profile,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers docs/CALIBRATION.md §6 quotes.
    #[test]
    fn pre_2014_pseudo_forecasts_put_the_trend_half_life_near_a_year_and_catch_up_near_two_percent()
    {
        let data = Dataset::embedded();
        let result = fit(&data, 0.03, (0.2, 0.02));
        assert_eq!(result.units, vec![41, 43, 41]);
        assert!((result.trend_decay - 0.45).abs() < 1e-9, "{result:?}");
        assert!(
            (result.income_convergence - 0.022).abs() < 1e-9,
            "{result:?}"
        );
        // Both unit terms carry signal: the fit beats the no-signal forecast (3 = no skill).
        assert!(result.loss < 2.2, "{result:?}");
        assert!(result.loss < result.loss_at_reference);
        // A flat optimum: δ from 0.35 to 0.55 within 1 % of the best, and the default 0.4
        // within 0.1 %.
        for &(decay, value) in &result.decay_profile {
            if (0.35..=0.55).contains(&decay) {
                assert!(value < result.loss * 1.01, "δ {decay}: {value}");
            }
            if (decay - 0.4).abs() < 1e-9 {
                assert!(value < result.loss * 1.001, "δ {decay}: {value}");
            }
        }
    }

    #[test]
    fn a_persistent_trend_is_recovered_from_synthetic_cases() {
        // Relative growth that halves each year from a 2 %/yr trend, no catch-up.
        let cases: Vec<Case> = [0.02, -0.02, 0.01, -0.01]
            .iter()
            .map(|&trend| Case {
                trend,
                gap: 0.0,
                realised: vec![trend * 0.5, trend * 0.25],
            })
            .collect();
        assert!(squared_error(&cases, 0.5, 0.0) < 1e-20);
        assert!(squared_error(&cases, 0.2, 0.0) > 1e-6);
    }
}
