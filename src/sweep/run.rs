//! Sweep files and the sweep runner: many runs of the same `engine::prepare` + `engine::simulate`
//! (never a second loop), in parallel, one seed-independent design row per run.
//!
//! A run keeps only its outputs of interest (and, for Monte Carlo, each unit's population per
//! year for the bands and each target's verdict), never whole trajectories; a [`Summary`]
//! gathers what the outputs need from runs chunk by chunk, so a sweep's memory does not grow
//! with its runs' trajectories.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Deserialize;

use super::bands::Bands;
use super::estimators::{self, Bootstrap};
use super::sampling::{self, Distribution, MorrisDesign, OatDesign, SaltelliDesign, Scrambling};
use super::SweepError;
use crate::data::Dataset;
use crate::engine::{self, RunOptions, Silent};
use crate::model::params::{spec_index, SPECS};
use crate::report::targets;
use crate::scenario::{self, Scenario, ScenarioErrors};

/// How the parameter space is explored.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub enum Method {
    /// Morris elementary effects: `trajectories` × (d + 1) runs on a `levels`-level grid.
    Morris { trajectories: usize, levels: usize },
    /// Sobol indices with Saltelli's scheme: `base_samples` (a power of two) × (d + 2) runs.
    Sobol { base_samples: usize },
    /// Monte Carlo on a Latin hypercube: uncertainty bands and P(target met).
    MonteCarlo { samples: usize },
    /// One at a time: each parameter to the 5th and 95th percentile of its distribution.
    OneAtATime,
}

/// A quantity of interest of each run.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub enum OutputFile {
    /// Resident population of a unit or group (`@all` = the plan area) in a year, persons.
    Population { unit: String, year: i32 },
    /// GDP of a unit or group in a year, yuan at 2014 prices.
    Gdp { unit: String, year: i32 },
}

/// `(name: "epsilon", distribution: Uniform(lo: 1.0, hi: 4.0))`; without a distribution, the
/// parameter is uniform over its documented sweep range.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ParameterFile {
    pub name: String,
    #[serde(default)]
    pub distribution: Option<DistributionFile>,
}

/// Distributions as written.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub enum DistributionFile {
    Uniform {
        lo: f64,
        hi: f64,
    },
    LogUniform {
        lo: f64,
        hi: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
        #[serde(default)]
        lower: Option<f64>,
        #[serde(default)]
        upper: Option<f64>,
    },
    Triangular {
        lo: f64,
        mode: f64,
        hi: f64,
    },
    Discrete {
        levels: Vec<f64>,
    },
}

/// A sweep file as written.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    pub name: String,
    /// The scenario every run starts from (relative to the sweep file).
    pub base: String,
    pub method: Method,
    #[serde(default)]
    pub seed: Option<u64>,
    pub parameters: Vec<ParameterFile>,
    pub outputs: Vec<OutputFile>,
}

/// One varied parameter, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    pub name: &'static str,
    pub distribution: Distribution,
}

/// One output, resolved to unit indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub label: String,
    pub gdp: bool,
    pub units: Vec<usize>,
    pub year: i32,
}

/// A validated sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub name: String,
    pub method: Method,
    pub seed: u64,
    pub factors: Vec<Factor>,
    pub outputs: Vec<Output>,
    pub base: Scenario,
    pub data: Dataset,
    /// The data-only part of setup, shared by every run.
    pub derived: engine::DataDerived,
    /// What runs share of the base scenario's setup, and its calibration as their starting
    /// point (`None` if the base scenario cannot be set up).
    pub warm: Option<engine::Warm>,
    pub source_hash: String,
    /// The sweep file, as given.
    pub source: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum SweepFileError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error(transparent)]
    Base(#[from] ScenarioErrors),
}

fn invalid(file: &Path, message: String) -> SweepFileError {
    SweepFileError::Invalid {
        file: file.display().to_string(),
        message,
    }
}

/// Reads and validates a sweep file and its base scenario; every problem at once.
pub fn load(path: &Path) -> Result<Sweep, SweepFileError> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| invalid(path, format!("cannot read the sweep file: {err}")))?;
    let file: SweepFile = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(&text)
        .map_err(|err| {
            invalid(
                path,
                format!("{}:{}: {}", err.position.line, err.position.col, err.code),
            )
        })?;
    let base_path: PathBuf = path.parent().unwrap_or(Path::new(".")).join(&file.base);
    let (base, data) = scenario::load(&base_path)?;
    let mut problems = Vec::new();
    let mut factors: Vec<Factor> = Vec::new();
    for parameter in &file.parameters {
        let Some(index) = spec_index(&parameter.name) else {
            problems.push(format!(
                "parameters: unknown parameter `{}`{}",
                parameter.name,
                crate::data::suggestion(&parameter.name, SPECS.iter().map(|s| s.name))
            ));
            continue;
        };
        let spec = &SPECS[index];
        if factors.iter().any(|f| f.name == spec.name) {
            problems.push(format!("parameters: `{}` is listed twice", spec.name));
        }
        let distribution = match parameter.distribution.clone() {
            None => Distribution::Uniform {
                lo: spec.sweep.0,
                hi: spec.sweep.1,
            },
            Some(DistributionFile::Uniform { lo, hi }) => Distribution::Uniform { lo, hi },
            Some(DistributionFile::LogUniform { lo, hi }) => Distribution::LogUniform { lo, hi },
            Some(DistributionFile::Normal {
                mean,
                sd,
                lower,
                upper,
            }) => Distribution::Normal {
                mean,
                sd,
                lower,
                upper,
            },
            Some(DistributionFile::Triangular { lo, mode, hi }) => {
                Distribution::Triangular { lo, mode, hi }
            }
            Some(DistributionFile::Discrete { levels }) => Distribution::Discrete(levels),
        };
        if let Err(err) = distribution.check() {
            problems.push(format!("parameters: `{}`: {err}", spec.name));
        }
        factors.push(Factor {
            name: spec.name,
            distribution,
        });
    }
    if factors.is_empty() {
        problems.push("parameters: list at least one parameter to vary".into());
    }
    let mut outputs = Vec::new();
    for output in &file.outputs {
        let (unit, year, gdp) = match output {
            OutputFile::Population { unit, year } => (unit, *year, false),
            OutputFile::Gdp { unit, year } => (unit, *year, true),
        };
        if year < base.start_year || year > base.end_year {
            problems.push(format!(
                "outputs: year {year} is outside the base scenario's {}–{}",
                base.start_year, base.end_year
            ));
        }
        match data.resolve_units(unit) {
            Ok(units) => outputs.push(Output {
                label: format!(
                    "{}_{}_{year}",
                    if gdp { "gdp" } else { "population" },
                    unit.trim_start_matches('@')
                ),
                gdp,
                units,
                year,
            }),
            Err(message) => problems.push(format!("outputs: {message}")),
        }
    }
    if outputs.is_empty() {
        problems.push(
            "outputs: list at least one output, e.g. Population(unit: \"chengdu\", year: 2030)"
                .into(),
        );
    }
    match &file.method {
        Method::Morris { trajectories, levels } if *trajectories < 2 || *levels < 2 || levels % 2 == 1 => {
            problems.push("method: Morris needs at least 2 trajectories and an even number of levels (≥ 2)".into())
        }
        Method::Sobol { base_samples } if !base_samples.is_power_of_two() || *base_samples < 4 => {
            problems.push(format!("method: Sobol base_samples {base_samples} must be a power of two ≥ 4 (e.g. 256, 512, 1024)"))
        }
        Method::MonteCarlo { samples } if *samples < 2 => problems.push("method: MonteCarlo needs at least 2 samples".into()),
        _ => {}
    }
    if !problems.is_empty() {
        return Err(invalid(
            path,
            format!(
                "{} problem(s):\n  {}",
                problems.len(),
                problems.join("\n  ")
            ),
        ));
    }
    let derived = engine::DataDerived::new(&data);
    // A base scenario that cannot be set up gets no warm start: its runs then fail (or not)
    // on their own parameters, as without one.
    let warm = engine::Warm::new(&data, &derived, &base).ok();
    Ok(Sweep {
        name: file.name,
        method: file.method,
        seed: file.seed.unwrap_or(base.seed),
        factors,
        outputs,
        base,
        derived,
        warm,
        data,
        source_hash: crate::data::sha256_hex(text.as_bytes()),
        source: path.to_path_buf(),
    })
}

/// The rows of the design on the unit cube.
pub fn design_rows(sweep: &Sweep) -> Result<Design, SweepError> {
    let d = sweep.factors.len();
    Ok(match &sweep.method {
        Method::Morris {
            trajectories,
            levels,
        } => Design::Morris(MorrisDesign::generate(
            d,
            *trajectories,
            *levels,
            sweep.seed,
        )?),
        Method::Sobol { base_samples } => Design::Sobol(SaltelliDesign::generate(
            *base_samples,
            d,
            Scrambling::LinearMatrixAndShift { seed: sweep.seed },
        )?),
        Method::MonteCarlo { samples } => Design::MonteCarlo {
            d,
            values: sampling::latin_hypercube_flat(*samples, d, sweep.seed),
        },
        Method::OneAtATime => Design::Oat(OatDesign::unit_cube(d, 0.05, 0.95)?),
    })
}

/// A generated design.
pub enum Design {
    Morris(MorrisDesign),
    Sobol(SaltelliDesign),
    /// Latin hypercube rows stored flat (`d` values per row), for million-run samples.
    MonteCarlo {
        d: usize,
        values: Vec<f64>,
    },
    Oat(OatDesign),
}

impl Design {
    /// Rows (runs) of the design.
    pub fn len(&self) -> usize {
        match self {
            Design::Morris(d) => d.rows.len(),
            Design::Sobol(d) => d.rows.len(),
            Design::MonteCarlo { d, values } => values.len().checked_div(*d).unwrap_or(0),
            Design::Oat(d) => d.rows.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i`: one probability per factor.
    pub fn row(&self, i: usize) -> &[f64] {
        match self {
            Design::Morris(d) => &d.rows[i],
            Design::Sobol(d) => &d.rows[i],
            Design::MonteCarlo { d, values } => &values[i * d..(i + 1) * d],
            Design::Oat(d) => &d.rows[i],
        }
    }
}

/// What one run kept. Serialisable: sweeps store finished chunks of runs to resume and merge.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
pub struct RunResult {
    pub parameters: Vec<f64>,
    /// `None` when the draw was rejected (unstable set or failed calibration), with the reason.
    pub outputs: Result<Vec<f64>, String>,
    /// Each regional-centre target: met at the central estimate (Monte Carlo only).
    pub met: Vec<Option<bool>>,
    /// Population per year and unit, year after year (Monte Carlo only), for the bands. Not
    /// in the JSON of a chunk: [`store`](super::store) keeps it in a binary file beside it.
    #[serde(skip)]
    pub population: Vec<f64>,
}

/// What the runs of a sweep share: the factors' distributions and parameter indices.
struct Runner<'a> {
    sweep: &'a Sweep,
    distributions: Vec<Distribution>,
    indices: Vec<usize>,
    keep_detail: bool,
}

/// Buffers a worker thread reuses from run to run (its contents never reach a result).
struct Scratch {
    scenario: Scenario,
    trajectory: engine::Trajectory,
}

impl<'a> Runner<'a> {
    fn new(sweep: &'a Sweep) -> Runner<'a> {
        Runner {
            sweep,
            distributions: sweep
                .factors
                .iter()
                .map(|f| f.distribution.clone())
                .collect(),
            indices: sweep
                .factors
                .iter()
                .map(|f| spec_index(f.name).expect("factors are validated parameter names"))
                .collect(),
            keep_detail: matches!(sweep.method, Method::MonteCarlo { .. }),
        }
    }

    fn scratch(&self) -> Scratch {
        Scratch {
            scenario: self.sweep.base.clone(),
            trajectory: engine::Trajectory::default(),
        }
    }

    fn evaluate(&self, row: &[f64], scratch: &mut Scratch) -> RunResult {
        let sweep = self.sweep;
        let values = match sampling::to_parameters(row, &self.distributions) {
            Ok(values) => values,
            Err(err) => {
                return RunResult {
                    parameters: Vec::new(),
                    outputs: Err(err.to_string()),
                    met: Vec::new(),
                    population: Vec::new(),
                }
            }
        };
        let rejected = |reason: String| RunResult {
            parameters: values.clone(),
            outputs: Err(reason),
            met: Vec::new(),
            population: Vec::new(),
        };
        let overrides = self.indices.iter().copied().zip(values.iter().copied());
        scratch.scenario.params = match sweep.base.params.with_values_at(overrides) {
            Ok(params) => params,
            Err(errors) => {
                return rejected(
                    errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            }
        };
        let scenario = &scratch.scenario;
        let prepared = match &sweep.warm {
            Some(warm) => engine::prepare_warm(&sweep.data, &sweep.derived, warm, scenario),
            None => engine::prepare_with(&sweep.data, &sweep.derived, scenario),
        };
        let prepared = match prepared {
            Ok(prepared) => prepared,
            Err(err) => return rejected(err.to_string()),
        };
        let trajectory = &mut scratch.trajectory;
        engine::simulate_into(&prepared, &RunOptions::default(), &mut Silent, trajectory);
        if let Some(year) = trajectory.first_non_finite_year() {
            return rejected(format!(
                "the run became numerically unstable in {year} (a population or GDP is not finite)"
            ));
        }
        let outputs = sweep
            .outputs
            .iter()
            .map(|output| {
                let i = trajectory
                    .year_index(output.year)
                    .expect("validated against the horizon");
                let series = if output.gdp {
                    &trajectory.gdp
                } else {
                    &trajectory.population
                };
                output.units.iter().map(|&u| series[i][u]).sum()
            })
            .collect();
        let (met, population) = if self.keep_detail {
            let rows = targets::score(
                &sweep.data,
                trajectory,
                scenario.params.land_per_person_m2(),
            );
            (
                rows.iter()
                    .map(targets::TargetRow::met_at_central)
                    .collect(),
                trajectory.population.concat(),
            )
        } else {
            (Vec::new(), Vec::new())
        };
        RunResult {
            parameters: values,
            outputs: Ok(outputs),
            met,
            population,
        }
    }
}

/// Runs some rows of the design in parallel; results come back in row order, so they do not
/// depend on the number of threads.
pub fn run_rows(sweep: &Sweep, design: &Design, rows: std::ops::Range<usize>) -> Vec<RunResult> {
    let mut results = run_row_ranges(sweep, design, std::slice::from_ref(&rows));
    results.pop().unwrap_or_default()
}

/// [`run_rows`] for several ranges at once (one parallel pass, so that threads do not wait for
/// each other at the end of every range); one vector of results per range, in order.
pub fn run_row_ranges(
    sweep: &Sweep,
    design: &Design,
    ranges: &[std::ops::Range<usize>],
) -> Vec<Vec<RunResult>> {
    let runner = Runner::new(sweep);
    let rows: Vec<usize> = ranges.iter().flat_map(Clone::clone).collect();
    let mut results = rows
        .into_par_iter()
        .map_init(
            || runner.scratch(),
            |scratch, row| runner.evaluate(design.row(row), scratch),
        )
        .collect::<Vec<_>>()
        .into_iter();
    ranges
        .iter()
        .map(|range| results.by_ref().take(range.len()).collect())
        .collect()
}

/// What the outputs need of a sweep's runs, gathered chunk by chunk in row order: the outputs of
/// interest (a few numbers per run), the rejections, per-target counts and, for Monte Carlo, the
/// population bands in bounded memory ([`Bands`]) — never the runs themselves.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Runs added so far.
    pub runs: usize,
    /// Accepted runs.
    pub accepted: usize,
    /// `outputs[k][run]`: output `k` of every run (NaN where rejected).
    pub outputs: Vec<Vec<f64>>,
    /// (run, reason) of every rejected run.
    pub rejected: Vec<(usize, String)>,
    /// Per regional-centre target (`targets::score` order): (runs whose central estimate meets
    /// it, runs with an estimate), over accepted runs.
    pub targets: Vec<(usize, usize)>,
    /// Population bands of every unit and year (Monte Carlo only).
    pub bands: Option<Bands>,
}

impl Summary {
    pub fn new(sweep: &Sweep) -> Summary {
        let monte_carlo = matches!(sweep.method, Method::MonteCarlo { .. });
        Summary {
            runs: 0,
            accepted: 0,
            outputs: vec![Vec::new(); sweep.outputs.len()],
            rejected: Vec::new(),
            targets: vec![
                (0, 0);
                sweep
                    .data
                    .targets
                    .iter()
                    .filter(|t| targets::is_centre_target(t))
                    .count()
            ],
            bands: monte_carlo
                .then(|| Bands::new(sweep.base.years().count() * sweep.data.units.len())),
        }
    }

    /// Adds the next runs (in row order).
    pub fn add(&mut self, results: &[RunResult]) {
        for result in results {
            match &result.outputs {
                Ok(values) => {
                    for (column, value) in self.outputs.iter_mut().zip(values) {
                        column.push(*value);
                    }
                    self.accepted += 1;
                    for (count, verdict) in self.targets.iter_mut().zip(&result.met) {
                        if let Some(met) = verdict {
                            count.0 += usize::from(*met);
                            count.1 += 1;
                        }
                    }
                    if let Some(bands) = &mut self.bands {
                        bands.add(&result.population);
                    }
                }
                Err(reason) => {
                    for column in &mut self.outputs {
                        column.push(f64::NAN);
                    }
                    self.rejected.push((self.runs, reason.clone()));
                }
            }
            self.runs += 1;
        }
    }
}

/// The base trajectory's years (for bands).
pub fn years(sweep: &Sweep) -> Vec<i32> {
    sweep.base.years().collect()
}

/// Rows of `indices.csv`: parameter, output and the method's statistics.
pub fn indices(
    sweep: &Sweep,
    design: &Design,
    summary: &Summary,
) -> Result<Vec<BTreeMap<&'static str, String>>, SweepError> {
    let mut rows = Vec::new();
    for (k, output) in sweep.outputs.iter().enumerate() {
        let values = &summary.outputs[k];
        match design {
            Design::Sobol(d) => {
                let indices =
                    estimators::sobol_indices(d, values, Bootstrap::with_seed(sweep.seed))?;
                for (i, factor) in sweep.factors.iter().enumerate() {
                    let (s1, st) = (&indices.first_order[i], &indices.total[i]);
                    rows.push(BTreeMap::from([
                        ("parameter", factor.name.to_string()),
                        ("output", output.label.clone()),
                        ("S1", format!("{:.6}", s1.value)),
                        ("S1_conf", format!("{:.6}", (s1.high - s1.low) / 2.0)),
                        ("ST", format!("{:.6}", st.value)),
                        ("ST_conf", format!("{:.6}", (st.high - st.low) / 2.0)),
                    ]));
                }
            }
            Design::Morris(d) => {
                for (factor, effect) in sweep
                    .factors
                    .iter()
                    .zip(estimators::morris_effects(d, values)?)
                {
                    rows.push(BTreeMap::from([
                        ("parameter", factor.name.to_string()),
                        ("output", output.label.clone()),
                        ("mu", format!("{:.6e}", effect.mu)),
                        ("mu_star", format!("{:.6e}", effect.mu_star)),
                        ("sigma", format!("{:.6e}", effect.sigma)),
                    ]));
                }
            }
            Design::Oat(d) => {
                let tornado = estimators::tornado(d, values)?;
                for bar in tornado.bars {
                    rows.push(BTreeMap::from([
                        ("parameter", sweep.factors[bar.factor].name.to_string()),
                        ("output", output.label.clone()),
                        ("low_output", format!("{:.3}", bar.low_output)),
                        ("high_output", format!("{:.3}", bar.high_output)),
                        ("swing", format!("{:.3}", bar.swing)),
                    ]));
                }
            }
            Design::MonteCarlo { .. } => {
                let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
                let summary = estimators::summarize(&finite)?;
                rows.push(BTreeMap::from([
                    ("parameter", "(all)".to_string()),
                    ("output", output.label.clone()),
                    ("mean", format!("{:.3}", summary.mean)),
                    ("p5", format!("{:.3}", summary.p5)),
                    ("p50", format!("{:.3}", summary.p50)),
                    ("p95", format!("{:.3}", summary.p95)),
                ]));
            }
        }
    }
    Ok(rows)
}
