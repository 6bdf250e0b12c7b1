//! Parameter uncertainty of one scenario: how far each unit's projected population and GDP
//! move when the behavioural parameters are drawn across their documented sweep ranges.
//!
//! A small Latin-hypercube sample ([`DRAWS`] points, seeded by the scenario's seed) over the
//! parameters of [`UNCERTAIN`], each uniform over its sweep range (docs/MODEL.md); every draw is
//! an ordinary run (`engine::prepare_with` + `engine::simulate`, recalibrated), so each
//! starts from its calibrated base state and differs in the projection. Draws the engine
//! refuses (stability guard, failed calibration) or that stop being finite are skipped and
//! counted. The result is the standard deviation of the log values per year and unit, which
//! `report` combines with the backtest error (`backtest::intervals`) into the intervals of
//! `trajectories.csv`.

use crate::data::Dataset;
use crate::engine::{self, DataDerived, RunOptions, Silent};
use crate::model::params::{spec_index, SPECS};
use crate::scenario::Scenario;

use super::sampling::latin_hypercube;

/// The parameters drawn: the migration and agglomeration responses, the weights of the
/// population specification and the GDP dynamics (trend decay, income convergence and how much
/// of the catch-up pulls migrants). Geography, urban curves and the land-use conversion are
/// held, and so is `differential_decay`, whose default (0) is the edge of its range
/// (docs/BACKTEST.md, σ_par).
pub const UNCERTAIN: [&str; 15] = [
    "epsilon",
    "beta_per_hour",
    "lambda",
    "gamma",
    "chi",
    "rho",
    "tau0_minutes",
    "border_penalty",
    "migrant_stay_years",
    "census_momentum",
    "income_shrinkage",
    "estimate_weight",
    "trend_decay",
    "income_convergence",
    "catch_up_pull",
];

/// Latin-hypercube points per run: enough for a standard deviation to about ±9 % (1/√(2·63)).
pub const DRAWS: usize = 64;

/// Standard deviations of ln population and ln GDP, `[year index][unit]`, over the draws.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParameterSpread {
    pub population: Vec<Vec<f64>>,
    pub gdp: Vec<Vec<f64>>,
    /// Draws that ran, and draws skipped (refused or not finite).
    pub used: usize,
    pub skipped: usize,
}

/// The spread of `scenario` over [`DRAWS`] draws of [`UNCERTAIN`].
pub fn parameter_spread(data: &Dataset, scenario: &Scenario) -> ParameterSpread {
    let indices: Vec<usize> = UNCERTAIN
        .iter()
        .map(|name| spec_index(name).expect("UNCERTAIN names parameters"))
        .collect();
    let derived = DataDerived::new(data);
    let design = latin_hypercube(DRAWS, indices.len(), scenario.seed);
    // Running sums of ln values and their squares, per year and unit.
    let mut population = Moments::default();
    let mut gdp = Moments::default();
    let mut skipped = 0;
    for point in &design {
        let values = indices.iter().zip(point).map(|(&index, &u)| {
            let (low, high) = SPECS[index].sweep;
            (index, low + u * (high - low))
        });
        let Ok(params) = scenario.params.with_values_at(values) else {
            skipped += 1;
            continue;
        };
        let draw = Scenario {
            params,
            ..scenario.clone()
        };
        let Ok(prepared) = engine::prepare_with(data, &derived, &draw) else {
            skipped += 1;
            continue;
        };
        let trajectory = engine::simulate(&prepared, &RunOptions::default(), &mut Silent);
        let finite =
            |series: &engine::Series| series.iter().flatten().all(|v| v.is_finite() && *v > 0.0);
        if !finite(&trajectory.population) || !finite(&trajectory.gdp) {
            skipped += 1;
            continue;
        }
        population.add(&trajectory.population);
        gdp.add(&trajectory.gdp);
    }
    ParameterSpread {
        used: population.count,
        skipped,
        population: population.standard_deviations(),
        gdp: gdp.standard_deviations(),
    }
}

/// Running mean and sum of squared deviations of ln x per year and unit (Welford's update, which
/// keeps identical draws at exactly zero spread).
#[derive(Debug, Default)]
struct Moments {
    count: usize,
    mean: Vec<Vec<f64>>,
    squares: Vec<Vec<f64>>,
}

impl Moments {
    fn add(&mut self, series: &engine::Series) {
        if self.count == 0 {
            self.mean = series.iter().map(|row| vec![0.0; row.len()]).collect();
            self.squares = self.mean.clone();
        }
        self.count += 1;
        let n = self.count as f64;
        for ((mean, squares), row) in self.mean.iter_mut().zip(&mut self.squares).zip(series) {
            for ((m, q), v) in mean.iter_mut().zip(squares.iter_mut()).zip(row) {
                let log = v.ln();
                let delta = log - *m;
                *m += delta / n;
                *q += delta * (log - *m);
            }
        }
    }

    /// Sample standard deviations (n − 1); all zero with fewer than two draws.
    fn standard_deviations(&self) -> Vec<Vec<f64>> {
        let n = self.count as f64;
        self.squares
            .iter()
            .map(|squares| {
                squares
                    .iter()
                    .map(|q| {
                        if self.count < 2 {
                            0.0
                        } else {
                            (q / (n - 1.0)).max(0.0).sqrt()
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spread_grows_with_the_horizon_from_the_census_start() {
        let data = Dataset::embedded();
        let scenario = Scenario {
            start_year: 2010,
            ..Scenario::default_for_tests()
        };
        let spread = parameter_spread(&data, &scenario);
        assert_eq!(spread.used + spread.skipped, DRAWS);
        assert!(spread.used >= DRAWS / 2, "{} draws skipped", spread.skipped);
        let chengdu = data.unit_index("chengdu").unwrap();
        // A 2010 start begins at the census in every draw. (A 2014 start does not: its
        // census-consistent base depends on census_momentum and estimate_weight.)
        assert!(spread.population[0][chengdu] < 1e-12);
        let last = spread.population.len() - 1;
        assert!(spread.population[last][chengdu] > spread.population[6][chengdu]);
        assert!(spread.population[6][chengdu] > 0.0);
        // Deterministic: the same scenario (and seed) gives the same spread.
        assert_eq!(parameter_spread(&data, &scenario), spread);
    }

    #[test]
    fn standard_deviations_by_hand() {
        // ln values 0, ln 2·… : x = 1, e, e² → ln = 0, 1, 2; mean 1, sample variance 1.
        let mut moments = Moments::default();
        for x in [1.0, std::f64::consts::E, std::f64::consts::E.powi(2)] {
            moments.add(&vec![vec![x]]);
        }
        let sd = moments.standard_deviations();
        assert!((sd[0][0] - 1.0).abs() < 1e-12, "{sd:?}");
    }
}
