//! Fitting free parameters to the years before the 2014 base.
//!
//! The observations are the dataset's own 2010–2014 unit data (never anything later); each
//! evaluation is an ordinary `engine::prepare_with` + `engine::simulate` of the scenario with
//! the trial parameters (amenities and the fixed costs f, f0 are re-calibrated inside the engine
//! every time). The loss is a sum of mean squared log errors over three groups (unit
//! population, unit GDP, provincial totals); Nelder–Mead (argmin) searches a logistic transform
//! of each parameter's documented sweep range, so bounds hold by construction; unstable or
//! failing sets get a large finite loss and are counted. Standard errors are approximate
//! (Gauss–Newton, see [`Fit::standard_errors`]).

pub mod gdp_persistence;

use std::cell::Cell;

use argmin::core::{CostFunction, Executor, State};
use argmin::solver::neldermead::NelderMead;

use crate::data::{Dataset, Province};
use crate::engine::base::{nominal_gdp, DATA_BASE_YEAR};
use crate::engine::{self, DataDerived, RunOptions, Silent, Trajectory};
use crate::model::params::{spec_index, SPECS};
use crate::model::Params;
use crate::scenario::Scenario;

/// The parameters fitted when none are named: ε, β, λ, γ, the stay years that pin f and f0, and
/// the decay of unit trends.
pub const DEFAULT_PARAMETERS: [&str; 6] = [
    "epsilon",
    "beta_per_hour",
    "lambda",
    "gamma",
    "migrant_stay_years",
    "trend_decay",
];

/// Loss of a parameter set the engine refuses (unstable, bad wedge, failed calibration): far
/// above any real loss, finite so that the simplex can move away from it.
const REFUSED_LOSS: f64 = 1e3;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalibrateError {
    #[error("unknown parameter `{name}`{suggestion}; the parameters are listed in docs/MODEL.md")]
    UnknownParameter { name: String, suggestion: String },
    #[error("parameter `{0}` is named twice")]
    DuplicateParameter(String),
    #[error("the scenario starts in {start}: the fit uses the years after the start up to {DATA_BASE_YEAR}, so there is nothing to fit; start in 2010 (see scenarios/hindcast_2010.ron)")]
    NothingToFit { start: i32 },
    #[error("end year {end} is before {DATA_BASE_YEAR}: calibration fits the observations of {}–{DATA_BASE_YEAR}, so end_year must be at least {DATA_BASE_YEAR}; set `end_year: {DATA_BASE_YEAR}` or later (the fit runs to {DATA_BASE_YEAR} whatever the end year)", start + 1)]
    EndsBeforeFit { start: i32, end: i32 },
    #[error("the scenario itself cannot run: {0}")]
    BaseRun(String),
    #[error("none of the parameters {0} changes the fit for this scenario, so none can be fitted")]
    NoEffect(String),
    #[error("the optimiser failed: {0}")]
    Optimiser(String),
}

/// What an observation measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Quantity {
    /// Year-end residents, persons.
    Population,
    /// Annual-average residents (the Sichuan series), persons; compared with the mean of the
    /// model's year-ends t−1 and t.
    PopulationAnnualAverage,
    /// GDP, yuan at 2014 prices (nominal values re-priced with the derived deflator).
    Gdp,
}

impl Quantity {
    pub fn id(self) -> &'static str {
        match self {
            Quantity::Population => "population",
            Quantity::PopulationAnnualAverage => "population_annual_average",
            Quantity::Gdp => "gdp",
        }
    }
}

/// A unit or the plan units of a province.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Unit(usize),
    Province(Province),
}

/// The loss groups: each contributes its mean squared log error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    UnitPopulation,
    UnitGdp,
    ProvincialTotals,
}

impl Group {
    pub const ALL: [Group; 3] = [
        Group::UnitPopulation,
        Group::UnitGdp,
        Group::ProvincialTotals,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Group::UnitPopulation => "unit_population",
            Group::UnitGdp => "unit_gdp",
            Group::ProvincialTotals => "provincial_totals",
        }
    }
}

/// One observed value the fit aims at.
#[derive(Debug, Clone, PartialEq)]
pub struct FitObservation {
    pub scope: Scope,
    pub year: i32,
    pub quantity: Quantity,
    pub value: f64,
}

impl FitObservation {
    pub fn group(&self) -> Group {
        match (self.scope, self.quantity) {
            (Scope::Province(_), _) => Group::ProvincialTotals,
            (Scope::Unit(_), Quantity::Gdp) => Group::UnitGdp,
            (Scope::Unit(_), _) => Group::UnitPopulation,
        }
    }
}

/// The unit observations of the years after `start` up to 2014, and the provincial totals of
/// each (year, quantity) that every unit of a province has:
/// - Chongqing populations: the 2013 year-end figures (nine core districts and Wanzhou) and the
///   2014 base year; Sichuan: the annual-average series 2011–2014;
/// - GDP 2011–2014 of every unit where published (the history file; 2014 from the base year
///   where observed), divided by the derived deflator to 2014 prices.
pub fn observations(data: &Dataset, derived: &DataDerived, start: i32) -> Vec<FitObservation> {
    let mut out = Vec::new();
    for year in start + 1..=DATA_BASE_YEAR {
        for (u, unit) in data.units.iter().enumerate() {
            let population = match unit.province {
                Province::Sichuan => data
                    .history
                    .population_annual_average
                    .get(&(u, year))
                    .map(|v| (Quantity::PopulationAnnualAverage, *v)),
                Province::Chongqing if year == DATA_BASE_YEAR => {
                    Some((Quantity::Population, data.base[u].population.value))
                }
                Province::Chongqing => data
                    .history
                    .population
                    .get(&(u, year))
                    .map(|v| (Quantity::Population, *v)),
            };
            if let Some((quantity, value)) = population {
                out.push(FitObservation {
                    scope: Scope::Unit(u),
                    year,
                    quantity,
                    value,
                });
            }
            let published = data.history.gdp.contains_key(&(u, year))
                || (year == DATA_BASE_YEAR && data.base[u].gdp.status == "observed");
            if let (true, Some(nominal)) = (published, nominal_gdp(data, u, year)) {
                out.push(FitObservation {
                    scope: Scope::Unit(u),
                    year,
                    quantity: Quantity::Gdp,
                    value: nominal / derived.prices.deflator[&year],
                });
            }
        }
    }
    let mut totals = Vec::new();
    for province in Province::ALL {
        let members = data.units.iter().filter(|u| u.province == province).count();
        for year in start + 1..=DATA_BASE_YEAR {
            for quantity in [
                Quantity::Population,
                Quantity::PopulationAnnualAverage,
                Quantity::Gdp,
            ] {
                let values: Vec<f64> = out
                    .iter()
                    .filter(|o| {
                        o.year == year
                            && o.quantity == quantity
                            && matches!(o.scope, Scope::Unit(u) if data.units[u].province == province)
                    })
                    .map(|o| o.value)
                    .collect();
                if values.len() == members {
                    totals.push(FitObservation {
                        scope: Scope::Province(province),
                        year,
                        quantity,
                        value: values.iter().sum(),
                    });
                }
            }
        }
    }
    out.extend(totals);
    out
}

/// The run's value of each observation (`None` if the run does not cover its year).
pub fn predictions(
    data: &Dataset,
    trajectory: &Trajectory,
    observations: &[FitObservation],
) -> Vec<Option<f64>> {
    observations
        .iter()
        .map(|o| {
            let units: Vec<usize> = match o.scope {
                Scope::Unit(u) => vec![u],
                Scope::Province(p) => (0..data.units.len())
                    .filter(|&u| data.units[u].province == p)
                    .collect(),
            };
            let at = |year: i32, series: &engine::Series| -> Option<f64> {
                let index = trajectory.year_index(year)?;
                Some(units.iter().map(|&u| series[index][u]).sum())
            };
            match o.quantity {
                Quantity::Population => at(o.year, &trajectory.population),
                Quantity::PopulationAnnualAverage => Some(
                    0.5 * (at(o.year - 1, &trajectory.population)?
                        + at(o.year, &trajectory.population)?),
                ),
                Quantity::Gdp => at(o.year, &trajectory.gdp),
            }
        })
        .collect()
}

/// Weighted log residuals: (ln predicted − ln observed) / √(size of its group), so that the
/// loss Σ r² is the sum over groups of their mean squared log error.
pub fn residuals(observations: &[FitObservation], predicted: &[Option<f64>]) -> Option<Vec<f64>> {
    let count = |group: Group| observations.iter().filter(|o| o.group() == group).count();
    let sizes: Vec<usize> = Group::ALL.iter().map(|&g| count(g)).collect();
    observations
        .iter()
        .zip(predicted)
        .map(|(o, p)| {
            let p = (*p)?;
            (p > 0.0 && p.is_finite()).then(|| {
                let size = sizes[Group::ALL.iter().position(|&g| g == o.group()).unwrap_or(0)];
                (p.ln() - o.value.ln()) / (size as f64).sqrt()
            })
        })
        .collect()
}

/// The loss of each group and in total (the sum).
pub fn group_losses(
    observations: &[FitObservation],
    predicted: &[Option<f64>],
) -> Vec<(Group, f64)> {
    let residual = residuals(observations, predicted);
    Group::ALL
        .iter()
        .map(|&group| {
            let loss = match &residual {
                Some(r) => observations
                    .iter()
                    .zip(r)
                    .filter(|(o, _)| o.group() == group)
                    .map(|(_, r)| r * r)
                    .sum(),
                None => f64::NAN,
            };
            (group, loss)
        })
        .collect()
}

/// A fitting problem: the scenario, the parameters to fit and the observations.
pub struct Problem<'a> {
    pub data: &'a Dataset,
    pub derived: &'a DataDerived,
    pub scenario: Scenario,
    pub names: Vec<&'static str>,
    pub observations: Vec<FitObservation>,
    evaluations: Cell<usize>,
    refused: Cell<usize>,
    /// Lowest loss seen so far (infinite before the first).
    best_loss: Cell<f64>,
    /// Told of every evaluation: (evaluations so far, lowest loss so far); the CLI's progress bar.
    observer: Option<&'a dyn Fn(usize, f64)>,
}

/// The parameter values a trial vector means: the scenario's parameters with `names` replaced.
fn params_with(base: &Params, names: &[&'static str], values: &[f64]) -> Result<Params, String> {
    let overrides = base
        .iter()
        .filter(|(name, _)| !names.contains(name))
        .chain(names.iter().copied().zip(values.iter().copied()));
    Params::from_values(overrides).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

impl<'a> Problem<'a> {
    /// Checks the names and the start year; the run is cut at 2014 (nothing later is observed).
    pub fn new(
        data: &'a Dataset,
        derived: &'a DataDerived,
        scenario: &Scenario,
        names: &[String],
    ) -> Result<Problem<'a>, CalibrateError> {
        let mut resolved: Vec<&'static str> = Vec::new();
        for name in names {
            let Some(index) = spec_index(name) else {
                return Err(CalibrateError::UnknownParameter {
                    name: name.clone(),
                    suggestion: crate::data::suggestion(name, SPECS.iter().map(|s| s.name)),
                });
            };
            if resolved.contains(&SPECS[index].name) {
                return Err(CalibrateError::DuplicateParameter(name.clone()));
            }
            resolved.push(SPECS[index].name);
        }
        if scenario.start_year >= DATA_BASE_YEAR {
            return Err(CalibrateError::NothingToFit {
                start: scenario.start_year,
            });
        }
        if scenario.end_year < DATA_BASE_YEAR {
            return Err(CalibrateError::EndsBeforeFit {
                start: scenario.start_year,
                end: scenario.end_year,
            });
        }
        let mut scenario = scenario.clone();
        scenario.end_year = DATA_BASE_YEAR;
        let observations = observations(data, derived, scenario.start_year);
        Ok(Problem {
            data,
            derived,
            scenario,
            names: resolved,
            observations,
            evaluations: Cell::new(0),
            refused: Cell::new(0),
            best_loss: Cell::new(f64::INFINITY),
            observer: None,
        })
    }

    /// Replaces the observations (identifiability tests fit data the model generated).
    pub fn with_observations(mut self, observations: Vec<FitObservation>) -> Self {
        self.observations = observations;
        self
    }

    /// Tells `observer` of every evaluation: (evaluations so far, lowest loss so far).
    pub fn with_observer(mut self, observer: &'a dyn Fn(usize, f64)) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Counts `runs` evaluations, one of which had `loss` (if it was computed).
    fn count(&self, runs: usize, loss: Option<f64>) {
        self.evaluations.set(self.evaluations.get() + runs);
        if let Some(loss) = loss.filter(|l| *l < self.best_loss.get()) {
            self.best_loss.set(loss);
        }
        if let Some(observer) = self.observer {
            observer(self.evaluations.get(), self.best_loss.get());
        }
    }

    /// The run for a trial vector.
    pub fn run(&self, values: &[f64]) -> Result<Trajectory, String> {
        let params = params_with(&self.scenario.params, &self.names, values)?;
        let scenario = Scenario {
            params,
            ..self.scenario.clone()
        };
        let prepared = engine::prepare_with(self.data, self.derived, &scenario)
            .map_err(|err| err.to_string())?;
        Ok(engine::simulate(
            &prepared,
            &RunOptions::default(),
            &mut Silent,
        ))
    }

    /// The residuals of a trial vector, `Err` if the engine refuses it.
    pub fn residuals(&self, values: &[f64]) -> Result<Vec<f64>, String> {
        let trajectory = self.run(values)?;
        let predicted = predictions(self.data, &trajectory, &self.observations);
        residuals(&self.observations, &predicted)
            .ok_or_else(|| "a prediction is missing or not positive".to_string())
    }

    /// The loss of a trial vector (counted; refused sets get `REFUSED_LOSS`).
    pub fn loss(&self, values: &[f64]) -> f64 {
        let loss = match self.residuals(values) {
            Ok(r) => r.iter().map(|r| r * r).sum(),
            Err(_) => {
                self.refused.set(self.refused.get() + 1);
                REFUSED_LOSS
            }
        };
        self.count(1, Some(loss));
        loss
    }

    pub fn evaluations(&self) -> usize {
        self.evaluations.get()
    }

    fn range(&self, index: usize) -> (f64, f64) {
        SPECS[spec_index(self.names[index]).expect("resolved in new")].sweep
    }

    /// Unbounded search coordinate → parameter value inside the sweep range.
    fn to_value(&self, index: usize, z: f64) -> f64 {
        let (lo, hi) = self.range(index);
        lo + (hi - lo) / (1.0 + (-z).exp())
    }

    fn to_search(&self, index: usize, value: f64) -> f64 {
        let (lo, hi) = self.range(index);
        // Not closer to a bound than 10⁻⁵ of the range: the transform is flat beyond.
        let share = ((value - lo) / (hi - lo)).clamp(1e-5, 1.0 - 1e-5);
        (share / (1.0 - share)).ln()
    }

    fn values(&self, search: &[f64]) -> Vec<f64> {
        search
            .iter()
            .enumerate()
            .map(|(i, z)| self.to_value(i, *z))
            .collect()
    }
}

impl CostFunction for &Problem<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, search: &Self::Param) -> Result<f64, argmin::core::Error> {
        Ok(self.loss(&self.values(search)))
    }
}

/// Optimiser settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub max_iterations: u64,
    /// Stop when the standard deviation of the simplex's losses falls below this.
    pub loss_tolerance: f64,
    /// Initial simplex step: a share of each parameter's range, towards its middle.
    pub initial_step: f64,
    /// Searches per starting point: each restarts from the previous best with a fresh simplex.
    pub max_restarts: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_iterations: 600,
            loss_tolerance: 1e-12,
            initial_step: 0.15,
            max_restarts: 6,
        }
    }
}

/// The result of a fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// Fitted parameters, in the order asked for (without dropped ones).
    pub names: Vec<&'static str>,
    pub start: Vec<f64>,
    pub values: Vec<f64>,
    /// The sweep range each was searched in.
    pub ranges: Vec<(f64, f64)>,
    /// Approximate standard errors (`None` where the information matrix is singular).
    pub standard_errors: Vec<Option<f64>>,
    /// Parameters left out because they do not change the fit, with the reason.
    pub dropped: Vec<(&'static str, String)>,
    pub loss_start: f64,
    pub loss: f64,
    pub group_losses_start: Vec<(Group, f64)>,
    pub group_losses: Vec<(Group, f64)>,
    pub iterations: u64,
    /// Model runs in total (search, screening and standard errors).
    pub evaluations: usize,
    /// Runs the engine refused (unstable or failing sets).
    pub refused: usize,
    pub observations: Vec<FitObservation>,
    pub predicted_start: Vec<Option<f64>>,
    pub predicted: Vec<Option<f64>>,
}

impl Fit {
    /// Observations of one loss group.
    pub fn observations_in(&self, group: Group) -> usize {
        self.observations
            .iter()
            .filter(|o| o.group() == group)
            .count()
    }

    /// True where a fitted value sits within 0.1 % of the range of a bound of its search range.
    pub fn at_bound(&self, index: usize) -> bool {
        let (lo, hi) = self.ranges[index];
        let margin = 1e-3 * (hi - lo);
        self.values[index] - lo < margin || hi - self.values[index] < margin
    }
}

/// Fits the problem's parameters from the scenario's values.
pub fn fit(mut problem: Problem<'_>, settings: &Settings) -> Result<Fit, CalibrateError> {
    let base_values: Vec<f64> = problem
        .names
        .iter()
        .map(|name| problem.scenario.params.get(name).expect("resolved"))
        .collect();
    let start_residuals = problem
        .residuals(&base_values)
        .map_err(CalibrateError::BaseRun)?;
    let loss_start: f64 = start_residuals.iter().map(|r| r * r).sum();
    problem.count(1, Some(loss_start));

    // Screening: a parameter whose ±10 % of range moves leave every residual unchanged cannot
    // be fitted here (e.g. the trend decay in a 2010 start, which has no unit trends).
    let mut keep = Vec::new();
    let mut dropped = Vec::new();
    for (index, name) in problem.names.iter().enumerate() {
        let (lo, hi) = problem.range(index);
        let moved = [-0.1, 0.1].iter().any(|share| {
            let mut trial = base_values.clone();
            trial[index] = (trial[index] + share * (hi - lo)).clamp(lo, hi);
            let moved = problem
                .residuals(&trial)
                .map_or(true, |r| r != start_residuals);
            problem.count(1, None);
            moved
        });
        if moved {
            keep.push(index);
        } else {
            dropped.push((
                *name,
                "changes no fitted value for this scenario".to_string(),
            ));
        }
    }
    if keep.is_empty() {
        return Err(CalibrateError::NoEffect(problem.names.join(", ")));
    }
    problem.names = keep.iter().map(|&i| problem.names[i]).collect();
    let start: Vec<f64> = keep.iter().map(|&i| base_values[i]).collect();

    // Nelder–Mead from the scenario's values and from the middle of the ranges, each restarted
    // from its best point with a fresh simplex until a restart no longer improves the loss (a
    // simplex collapses early near a bound, where the logistic transform flattens the loss).
    let middle: Vec<f64> = (0..start.len())
        .map(|i| {
            let (lo, hi) = problem.range(i);
            0.5 * (lo + hi)
        })
        .collect();
    let mut best: Option<(f64, Vec<f64>)> = None;
    let mut iterations = 0;
    for origin in [start.clone(), middle] {
        let mut point = origin;
        let mut point_loss = f64::INFINITY;
        for _restart in 0..settings.max_restarts {
            let (loss, found, used) = nelder_mead(&problem, &point, settings)?;
            iterations += used;
            let improved = loss < point_loss - 1e-9 * point_loss.abs().min(1.0);
            if loss < point_loss {
                point_loss = loss;
                point = found;
            }
            if !improved {
                break;
            }
        }
        if best.as_ref().is_none_or(|(loss, _)| point_loss < *loss) {
            best = Some((point_loss, point));
        }
    }
    let values = best.map_or_else(|| start.clone(), |(_, values)| values);

    let standard_errors = standard_errors(&problem, &values);
    let trajectory_start = problem.run(&start).map_err(CalibrateError::BaseRun)?;
    let trajectory = problem.run(&values).map_err(CalibrateError::BaseRun)?;
    let predicted_start = predictions(problem.data, &trajectory_start, &problem.observations);
    let predicted = predictions(problem.data, &trajectory, &problem.observations);
    let group_losses_start = group_losses(&problem.observations, &predicted_start);
    let group_losses_fit = group_losses(&problem.observations, &predicted);
    let loss = group_losses_fit.iter().map(|(_, l)| l).sum();
    Ok(Fit {
        ranges: (0..problem.names.len()).map(|i| problem.range(i)).collect(),
        names: problem.names.clone(),
        start,
        values,
        standard_errors,
        dropped,
        loss_start,
        loss,
        group_losses_start,
        group_losses: group_losses_fit,
        iterations,
        // … and the final run for the fitted predictions.
        evaluations: problem.evaluations() + 1,
        refused: problem.refused.get(),
        observations: problem.observations.clone(),
        predicted_start,
        predicted,
    })
}

/// One Nelder–Mead search from `from` (parameter values): the simplex steps from `from` towards
/// the middle of each range by `initial_step` of the range, in the logistic search coordinates.
/// Returns the best loss, its parameter values and the iterations used.
fn nelder_mead(
    problem: &Problem<'_>,
    from: &[f64],
    settings: &Settings,
) -> Result<(f64, Vec<f64>, u64), CalibrateError> {
    let origin: Vec<f64> = from
        .iter()
        .enumerate()
        .map(|(i, v)| problem.to_search(i, *v))
        .collect();
    let simplex: Vec<Vec<f64>> = std::iter::once(origin.clone())
        .chain((0..from.len()).map(|i| {
            let (lo, hi) = problem.range(i);
            let towards_middle = if from[i] > 0.5 * (lo + hi) { -1.0 } else { 1.0 };
            let mut vertex = origin.clone();
            vertex[i] = problem.to_search(
                i,
                from[i] + towards_middle * settings.initial_step * (hi - lo),
            );
            vertex
        }))
        .collect();
    let solver = NelderMead::new(simplex)
        .with_sd_tolerance(settings.loss_tolerance)
        .map_err(|e| CalibrateError::Optimiser(e.to_string()))?;
    let result = Executor::new(problem, solver)
        .configure(|state| state.max_iters(settings.max_iterations))
        .run()
        .map_err(|e| CalibrateError::Optimiser(e.to_string()))?;
    let state = result.state();
    let best = state.get_best_param().cloned().unwrap_or(origin);
    Ok((
        state.get_best_cost(),
        problem.values(&best),
        state.get_iter(),
    ))
}

/// Approximate standard errors from the Gauss–Newton information matrix of the weighted
/// least-squares loss: Cov ≈ s² (JᵀJ)⁻¹ with J the Jacobian of the weighted residuals (central
/// differences, step 1 % of each range) and s² = loss / (m − k). They assume independent
/// errors; residuals of one unit across years are correlated, so read them as lower bounds on
/// the uncertainty.
fn standard_errors(problem: &Problem<'_>, values: &[f64]) -> Vec<Option<f64>> {
    let k = values.len();
    let Ok(base) = problem.residuals(values) else {
        return vec![None; k];
    };
    let m = base.len();
    let mut columns = Vec::with_capacity(k);
    for index in 0..k {
        let (lo, hi) = problem.range(index);
        let step = 0.01 * (hi - lo);
        let mut up = values.to_vec();
        let mut down = values.to_vec();
        up[index] = (values[index] + step).min(hi);
        down[index] = (values[index] - step).max(lo);
        let width = up[index] - down[index];
        let pair = (problem.residuals(&up), problem.residuals(&down));
        problem.count(2, None);
        match pair {
            (Ok(a), Ok(b)) if width > 0.0 => columns.push(
                a.iter()
                    .zip(&b)
                    .map(|(a, b)| (a - b) / width)
                    .collect::<Vec<f64>>(),
            ),
            _ => return vec![None; k],
        }
    }
    let jacobian = nalgebra::DMatrix::from_fn(m, k, |row, col| columns[col][row]);
    let information = jacobian.transpose() * &jacobian;
    // Weighted least squares with the group weights as relative precisions: s² = Σ r² / (m − k).
    let loss: f64 = base.iter().map(|r| r * r).sum();
    let sigma2 = loss / (m as f64 - k as f64).max(1.0);
    match information.try_inverse() {
        Some(inverse) => (0..k)
            .map(|i| {
                let variance = sigma2 * inverse[(i, i)];
                (variance.is_finite() && variance >= 0.0).then(|| variance.sqrt())
            })
            .collect(),
        None => vec![None; k],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::CENSUS_YEAR;

    fn hindcast() -> Scenario {
        Scenario {
            start_year: CENSUS_YEAR,
            end_year: 2014,
            ..Scenario::default_for_tests()
        }
    }

    #[test]
    fn observations_cover_2011_to_2014_and_nothing_later() {
        let data = Dataset::embedded();
        let derived = DataDerived::new(&data);
        let obs = observations(&data, &derived, 2010);
        assert!(obs.iter().all(|o| (2011..=2014).contains(&o.year)));
        let count = |g: Group| obs.iter().filter(|o| o.group() == g).count();
        // Sichuan: 15 annual averages × 4 years; Chongqing: 10 in 2013, 29 in 2014.
        assert_eq!(count(Group::UnitPopulation), 60 + 10 + 29);
        // GDP: 43 units in 2011, 2012; 44 in 2013; 43 observed in 2014 (Yuzhong estimated).
        assert_eq!(count(Group::UnitGdp), 43 + 43 + 44 + 43);
        // Sichuan: population and GDP every year; Chongqing: population 2014, GDP 2013.
        assert_eq!(count(Group::ProvincialTotals), 4 + 4 + 1 + 1);
        assert!(obs.iter().all(|o| o.value > 0.0 && o.value.is_finite()));
    }

    #[test]
    fn a_scenario_starting_in_2014_has_nothing_to_fit() {
        let data = Dataset::embedded();
        let derived = DataDerived::new(&data);
        let err = Problem::new(&data, &derived, &Scenario::default_for_tests(), &[])
            .err()
            .unwrap();
        assert!(err.to_string().contains("start in 2010"), "{err}");
        let short = Scenario {
            end_year: 2012,
            ..hindcast()
        };
        let err = Problem::new(&data, &derived, &short, &[]).err().unwrap();
        assert_eq!(
            err,
            CalibrateError::EndsBeforeFit {
                start: 2010,
                end: 2012
            }
        );
        assert!(
            err.to_string().starts_with("end year 2012 is before 2014: calibration fits the observations of 2011–2014, so end_year must be at least 2014"),
            "{err}"
        );
        let err = Problem::new(&data, &derived, &hindcast(), &["epsilom".into()])
            .err()
            .unwrap();
        assert!(err.to_string().contains("did you mean `epsilon`"), "{err}");
    }

    /// Data made by the model itself with ε = 2.5, β = 0.4 are recovered from the defaults
    /// (ε = 1.5, β = 0.5).
    #[test]
    fn known_parameters_are_recovered_from_model_generated_data() {
        let data = Dataset::embedded();
        let derived = DataDerived::new(&data);
        let names = ["epsilon".to_string(), "beta_per_hour".to_string()];
        let truth = Problem::new(&data, &derived, &hindcast(), &names).unwrap();
        let trajectory = truth.run(&[2.5, 0.4]).unwrap();
        let synthetic: Vec<FitObservation> = truth
            .observations
            .iter()
            .zip(predictions(&data, &trajectory, &truth.observations))
            .map(|(o, p)| FitObservation {
                value: p.unwrap(),
                ..o.clone()
            })
            .collect();
        let problem = Problem::new(&data, &derived, &hindcast(), &names)
            .unwrap()
            .with_observations(synthetic);
        let fit = fit(problem, &Settings::default()).unwrap();
        assert!(
            fit.loss < 1e-5 * fit.loss_start,
            "loss {} from {}",
            fit.loss,
            fit.loss_start
        );
        assert!((fit.values[0] - 2.5).abs() < 0.025, "ε {}", fit.values[0]);
        assert!((fit.values[1] - 0.4).abs() < 0.004, "β {}", fit.values[1]);
    }

    /// The observer hears of every model run the fit counts, in order, with the lowest loss so
    /// far, which never rises and ends at the fitted loss.
    #[test]
    fn the_observer_sees_every_evaluation_and_the_best_loss() {
        let data = Dataset::embedded();
        let derived = DataDerived::new(&data);
        let seen = std::cell::RefCell::new(Vec::new());
        let observer = |evaluations: usize, best: f64| seen.borrow_mut().push((evaluations, best));
        let settings = Settings {
            max_iterations: 5,
            ..Settings::default()
        };
        let problem = Problem::new(&data, &derived, &hindcast(), &["lambda".to_string()])
            .unwrap()
            .with_observer(&observer);
        let fit = fit(problem, &settings).unwrap();
        let seen = seen.into_inner();
        assert!(seen.len() > 5, "{} notifications", seen.len());
        assert_eq!(seen[0], (1, fit.loss_start));
        assert!(seen.windows(2).all(|w| w[1].0 > w[0].0 && w[1].1 <= w[0].1));
        // The fit counts one more run (its fitted predictions) after the last notification.
        assert_eq!(seen.last().unwrap().0 + 1, fit.evaluations);
        assert!(seen.last().unwrap().1 <= fit.loss_start);
    }
}
