//! Leave-one-province-out cross-validation of the one fitted weight of the population
//! specification, `census_momentum` (α): how well does an α chosen on one province's units do
//! on the other province's units, which played no part in choosing it?
//!
//! For every α of [`GRID`] the scenario is run (`engine::prepare` + `engine::simulate`, as any
//! run) and every observation put next to the forecasts ([`super::evaluate`]). For each
//! province in turn, α is chosen by the population MAPE of the *other* province's units; the
//! held-out province is then scored at that α against every forecast. Targets are re-centred
//! within each province (docs/MODEL.md section 3), so α fitted on one province acts on the
//! other's pattern only through the census decade, which is the transfer being tested.

use crate::data::{Dataset, Province};
use crate::engine::{self, RunOptions, SetupError, Silent};
use crate::model::params::spec_index;
use crate::scenario::Scenario;

use super::{
    evaluate, metrics, summarise_rows, Backtest, Forecast, Observation, SummaryRow, Variable,
};

/// The α values tried: 0 to 1.5 in steps of 0.125 (the sweep range of the parameter).
pub const GRID: [f64; 13] = [
    0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0, 1.125, 1.25, 1.375, 1.5,
];

/// One fold: the held-out province, the α chosen without it, and its scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Fold {
    pub held_out: Province,
    /// α with the lowest population MAPE over the other province's units (ties: the smaller).
    pub fitted: f64,
    /// That MAPE, %.
    pub fit_mape_pct: f64,
    /// The held-out units' population metrics at the fitted α, per forecast (model first).
    pub scores: Vec<SummaryRow>,
}

/// The two folds (Sichuan held out, then Chongqing), or none when the observations hold no
/// population values of units of both provinces.
pub fn leave_one_province_out(
    data: &Dataset,
    scenario: &Scenario,
    observations: &[Observation],
) -> Result<Vec<Fold>, SetupError> {
    let index = spec_index("census_momentum").expect("census_momentum is a parameter");
    let province_of = |row: &super::Row| data.units[row.observation.unit].province;
    let mut runs: Vec<(f64, Backtest)> = Vec::with_capacity(GRID.len());
    for alpha in GRID {
        let Ok(params) = scenario.params.with_values_at([(index, alpha)]) else {
            continue; // outside the stability guard with this scenario's other values
        };
        let trial = Scenario {
            params,
            ..scenario.clone()
        };
        let prepared = engine::prepare(data, &trial)?;
        let trajectory = engine::simulate(&prepared, &RunOptions::default(), &mut Silent);
        runs.push((
            alpha,
            evaluate(data, &prepared, &trajectory, observations, None),
        ));
    }
    let population_mape = |backtest: &Backtest, keep: &dyn Fn(Province) -> bool| -> Option<f64> {
        let rows: Vec<&super::Row> = backtest
            .rows
            .iter()
            .filter(|r| r.observation.variable == Variable::Population && keep(province_of(r)))
            .collect();
        let predicted: Vec<f64> = rows.iter().map(|r| r.forecast(Forecast::Model)).collect();
        let observed: Vec<f64> = rows.iter().map(|r| r.observation.value).collect();
        let start: Vec<f64> = rows.iter().map(|r| r.start_value).collect();
        metrics::summarise(&predicted, &observed, &start, &start).mape_pct
    };
    let mut folds = Vec::new();
    for held_out in Province::ALL {
        let mut best: Option<(f64, f64, &Backtest)> = None;
        for (alpha, backtest) in &runs {
            let Some(mape) = population_mape(backtest, &|p| p != held_out) else {
                continue;
            };
            if best.is_none_or(|(_, m, _)| mape < m) {
                best = Some((*alpha, mape, backtest));
            }
        }
        let Some((fitted, fit_mape_pct, backtest)) = best else {
            continue;
        };
        let held: Vec<&super::Row> = backtest
            .rows
            .iter()
            .filter(|r| r.observation.variable == Variable::Population)
            .filter(|r| province_of(r) == held_out)
            .collect();
        if held.is_empty() {
            continue;
        }
        folds.push(Fold {
            held_out,
            fitted,
            fit_mape_pct,
            scores: summarise_rows(&held),
        });
    }
    Ok(folds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::Observation;

    #[test]
    fn each_fold_is_fitted_without_its_province_and_scored_on_it() {
        let data = Dataset::embedded();
        let scenario = Scenario {
            start_year: 2010,
            ..Scenario::default_for_tests()
        };
        // Observations made by the model itself at α = 0.75: both folds must find 0.75 (the
        // other province's units are matched exactly there) and score the held-out units
        // without error.
        let index = spec_index("census_momentum").unwrap();
        let truth = Scenario {
            params: scenario.params.with_values_at([(index, 0.75)]).unwrap(),
            ..scenario.clone()
        };
        let prepared = engine::prepare(&data, &truth).unwrap();
        let trajectory = engine::simulate(&prepared, &RunOptions::default(), &mut Silent);
        let t = trajectory.year_index(2014).unwrap();
        let observations: Vec<Observation> = (0..data.units.len())
            .map(|unit| Observation {
                line: unit as u64 + 2,
                unit,
                year: 2014,
                variable: Variable::Population,
                value: trajectory.population[t][unit],
                status: String::new(),
                basis: Default::default(),
            })
            .collect();
        let folds = leave_one_province_out(&data, &scenario, &observations).unwrap();
        assert_eq!(folds.len(), 2);
        for fold in &folds {
            assert_eq!(fold.fitted, 0.75, "{fold:?}");
            assert!(fold.fit_mape_pct < 1e-6, "{fold:?}");
            let model = &fold.scores[0];
            assert_eq!(model.forecast, Forecast::Model);
            let held = data
                .units
                .iter()
                .filter(|u| u.province == fold.held_out)
                .count();
            assert_eq!(model.summary.n, held);
            assert!(model.summary.mape_pct.unwrap() < 1e-6);
        }
    }
}
