//! The one time loop. [`run`] = [`setup::prepare`] (data + scenario → base state, schedule,
//! calibration, kernels) followed by [`simulate`] (the yearly loop). Sweeps and comparisons call
//! these; nothing else loops over years.
//!
//! Observers watch the loop (progress bars live in `cli`); the trajectory is the return value.

pub mod base;
pub mod setup;

use std::collections::BTreeMap;

use nalgebra::DMatrix;

use crate::data::Dataset;
use crate::model::step::{self, Workspace};
use crate::model::State;
use crate::scenario::Scenario;

pub use setup::{
    census_decade_growth, prepare, prepare_warm, prepare_with, DataDerived, Prepared, SetupError,
    Warm,
};

/// Watches a run. Every method has a no-op default.
pub trait Observer {
    /// Called once before the loop with the number of years that will be produced.
    fn on_start(&mut self, _years: usize) {}
    /// Called after each year's state is computed (the start year included).
    fn on_year(&mut self, _year: i32, _state: &State) {}
    fn on_finish(&mut self) {}
}

/// An observer that does nothing.
pub struct Silent;

impl Observer for Silent {}

/// What to keep besides the per-unit series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOptions {
    /// Years whose full origin × destination matrix is kept.
    pub flow_matrix_years: Vec<i32>,
}

/// One value per year and unit: `values[year_index][unit]`.
pub type Series = Vec<Vec<f64>>;

/// The result of a run. Unit order is the dataset's; year index 0 is the start year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trajectory {
    pub years: Vec<i32>,
    /// Year-end resident population, persons.
    pub population: Series,
    /// GDP, yuan at constant 2014 prices.
    pub gdp: Series,
    /// Urban population, persons (urban share × population).
    pub urban_population: Series,
    /// Net migration during the year (arrivals − departures), persons. For the start year: the
    /// calibrated base-year flows, equal by construction to the calibration targets (for a 2010
    /// start plus its window shift, `Prepared::window_shift`).
    pub net_migration: Series,
    /// The part of `net_migration` exchanged with the rest of China (arrivals from it minus
    /// departures to it), persons; the rest is net moves from other plan units.
    pub net_migration_rest_of_china: Series,
    /// Gross departures during the year, persons.
    pub outflow: Series,
    /// Rest-of-China population, persons.
    pub rest_of_china_population: Vec<f64>,
    /// Origin × destination moves (index 0 = rest of China) for the requested years.
    pub flow_matrices: BTreeMap<i32, DMatrix<f64>>,
}

impl Trajectory {
    pub fn year_index(&self, year: i32) -> Option<usize> {
        self.years.iter().position(|&y| y == year)
    }

    /// The first year in which a population or GDP is not a finite number: a run the
    /// numerics could not carry (e.g. extreme parameter draws in a sweep). `None` when sound.
    pub fn first_non_finite_year(&self) -> Option<i32> {
        self.years.iter().enumerate().find_map(|(i, &year)| {
            let bad = |series: &Series| {
                series
                    .get(i)
                    .is_some_and(|row| row.iter().any(|v| !v.is_finite()))
            };
            (bad(&self.population) || bad(&self.gdp)).then_some(year)
        })
    }

    /// Sum over units of a series in one year.
    pub fn total(series: &Series, year_index: usize) -> f64 {
        series[year_index].iter().sum()
    }
}

/// Errors of a run: only setup can fail; the loop itself cannot on validated input.
pub type EngineError = SetupError;

/// Prepare and simulate.
pub fn run(
    data: &Dataset,
    scenario: &Scenario,
    options: &RunOptions,
    observer: &mut dyn Observer,
) -> Result<Trajectory, EngineError> {
    let prepared = prepare(data, scenario)?;
    Ok(simulate(&prepared, options, observer))
}

/// The yearly loop over a prepared run.
pub fn simulate(
    prepared: &Prepared,
    options: &RunOptions,
    observer: &mut dyn Observer,
) -> Trajectory {
    let mut trajectory = Trajectory::default();
    simulate_into(prepared, options, observer, &mut trajectory);
    trajectory
}

/// [`simulate`] into `trajectory`, reusing its buffers: a caller running many simulations (a
/// sweep thread) allocates its series once instead of once per run. What `trajectory` held
/// before is replaced.
pub fn simulate_into(
    prepared: &Prepared,
    options: &RunOptions,
    observer: &mut dyn Observer,
    trajectory: &mut Trajectory,
) {
    let n = prepared.units();
    let year_count = prepared.years.len();
    trajectory.years.clear();
    trajectory
        .years
        .extend(prepared.years.iter().map(|y| y.year));
    for series in [
        &mut trajectory.population,
        &mut trajectory.gdp,
        &mut trajectory.urban_population,
        &mut trajectory.net_migration,
        &mut trajectory.net_migration_rest_of_china,
        &mut trajectory.outflow,
    ] {
        series.resize_with(year_count, || Vec::with_capacity(n));
        for year in series.iter_mut() {
            year.clear();
        }
    }
    trajectory.rest_of_china_population.clear();
    trajectory.flow_matrices.clear();
    observer.on_start(year_count);

    let mut state = prepared.initial.clone();
    let mut work = Workspace::new(n + 1);
    for index in 0..year_count {
        let inputs = prepared.inputs(index);
        let year = prepared.years[index].year;
        // Flows of year t are decided on the state of t−1; the start year reports the flows of
        // the base state itself (the calibrated base-year flows).
        let matrix = options
            .flow_matrix_years
            .contains(&year)
            .then(|| step::flow_matrix(&prepared.structure, &state, &inputs));
        if index == 0 {
            work.output.flows = step::flows(&prepared.structure, &state, &inputs);
        } else {
            step::step(&prepared.structure, &mut state, &inputs, &mut work);
        }
        if let Some(matrix) = matrix {
            trajectory.flow_matrices.insert(year, matrix);
        }
        record(
            trajectory,
            index,
            &state,
            &work.output.flows,
            inputs.urban_share,
            n,
        );
        observer.on_year(year, &state);
    }
    observer.on_finish();
}

fn record(
    trajectory: &mut Trajectory,
    index: usize,
    state: &State,
    flows: &crate::model::migration::Flows,
    urban_share: &nalgebra::DVector<f64>,
    n: usize,
) {
    let units = 1..=n;
    let people = &state.population.as_slice()[units.clone()];
    let income = &state.income_per_head.as_slice()[units.clone()];
    let (inflow, outflow) = (
        &flows.inflow.as_slice()[units.clone()],
        &flows.outflow.as_slice()[units.clone()],
    );
    let urban_share = &urban_share.as_slice()[units];
    trajectory.population[index].extend_from_slice(people);
    trajectory.gdp[index].extend(people.iter().zip(income).map(|(p, y)| p * y));
    trajectory.urban_population[index].extend(people.iter().zip(urban_share).map(|(p, u)| p * u));
    trajectory.net_migration[index].extend(inflow.iter().zip(outflow).map(|(i, o)| i - o));
    trajectory.net_migration_rest_of_china[index]
        .extend_from_slice(&flows.net_rest_of_china.as_slice()[1..=n]);
    trajectory.outflow[index].extend_from_slice(outflow);
    trajectory
        .rest_of_china_population
        .push(state.population[0]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_finite_value_names_its_first_year() {
        let data = Dataset::embedded();
        let mut trajectory = run(
            &data,
            &Scenario::default_for_tests(),
            &RunOptions::default(),
            &mut Silent,
        )
        .unwrap();
        assert_eq!(trajectory.first_non_finite_year(), None);
        trajectory.gdp[9][3] = f64::NAN;
        trajectory.population[12][0] = f64::INFINITY;
        assert_eq!(trajectory.first_non_finite_year(), Some(2014 + 9));
    }
}
