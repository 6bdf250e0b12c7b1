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
use crate::scenario::locate::Index;
use crate::scenario::{self, Problem, Scenario, ScenarioErrors};

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
    /// Line and column of `method:` in the sweep file.
    pub method_at: (usize, usize),
}

impl Sweep {
    /// Whether stored runs have the shape this sweep's runs have (parameters, outputs, target
    /// verdicts and, for Monte Carlo, one population per unit and year): a damaged or foreign
    /// chunk does not, and is recomputed rather than trusted.
    pub fn fits(&self, results: &[RunResult]) -> bool {
        let monte_carlo = matches!(self.method, Method::MonteCarlo { .. });
        let cells = self.base.years().count() * self.data.units.len();
        let centre_targets = self
            .data
            .targets
            .iter()
            .filter(|t| targets::is_centre_target(t))
            .count();
        results.iter().all(|r| {
            r.parameters.len() == self.factors.len()
                && match &r.outputs {
                    Ok(values) => {
                        values.len() == self.outputs.len()
                            && (!monte_carlo
                                || (r.population.len() == cells && r.met.len() == centre_targets))
                    }
                    Err(_) => true,
                }
        })
    }

    /// Refuses a process that would compute more than [`MAX_RUNS_PER_SHARD`] runs (its part of
    /// the design when the sweep is run as one of `shards`), with the time it would take.
    pub fn check_runs_per_process(&self, shards: usize) -> Result<(), ScenarioErrors> {
        let runs = planned_runs(&self.method, self.factors.len()).unwrap_or(u64::MAX);
        let mine = runs.div_ceil(shards.max(1) as u64);
        if mine <= MAX_RUNS_PER_SHARD {
            return Ok(());
        }
        let needed = runs.div_ceil(MAX_RUNS_PER_SHARD);
        Err(ScenarioErrors(vec![Problem {
            file: self.source.display().to_string(),
            line: self.method_at.0,
            column: self.method_at.1,
            field: "method".into(),
            message: format!(
                "{} runs in one process{} would take about {} at ≈ {} runs/s (two cores; estimate), more than the limit of {} runs per process: split the sweep with --shard K/{needed} (or more shards) and `simulate sweep merge` them, or ask for fewer runs",
                scenario::thousands(mine as usize),
                if shards > 1 { format!(" (one of {shards} shards)") } else { String::new() },
                human_duration(mine as f64 / RUNS_PER_SECOND),
                scenario::thousands(RUNS_PER_SECOND as usize),
                scenario::thousands(MAX_RUNS_PER_SHARD as usize),
            ),
        }]))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SweepFileError {
    /// Problems of the sweep file (and of its base scenario), each with its place.
    #[error(transparent)]
    Problems(#[from] ScenarioErrors),
}

/// Largest sweep file read.
pub const MAX_SWEEP_BYTES: u64 = 1 << 20;
/// Most runs one process (a whole sweep, or one `--shard`) may compute: at the ≈ 20,000 runs/s
/// of two cores (README, *Speed and memory*) about 8 minutes; split larger sweeps into shards.
pub const MAX_RUNS_PER_SHARD: u64 = 10_000_000;
/// Runs per second assumed for time estimates (two cores, README).
pub const RUNS_PER_SECOND: f64 = 20_000.0;
/// Most memory the design and the kept outputs of a sweep may need (estimated before anything
/// is allocated).
pub const MAX_SWEEP_MEMORY: u64 = 2 << 30;

/// Runs of a sweep's design with `d` parameters (`None` if beyond `u64`).
pub fn planned_runs(method: &Method, d: usize) -> Option<u64> {
    let d = d as u64;
    match method {
        Method::Morris { trajectories, .. } => (*trajectories as u64).checked_mul(d + 1),
        Method::Sobol { base_samples } => (*base_samples as u64).checked_mul(d + 2),
        Method::MonteCarlo { samples } => Some(*samples as u64),
        Method::OneAtATime => Some(2 * d + 1),
    }
}

/// Bytes the design and the kept outputs of `runs` runs need, estimated (`None` if beyond `u64`):
/// the rows (8 bytes a parameter, plus a vector header for structured designs) and 8 bytes per
/// output per run.
pub fn planned_memory(method: &Method, d: usize, outputs: usize, runs: u64) -> Option<u64> {
    let row = 8 * d as u64
        + if matches!(method, Method::MonteCarlo { .. }) {
            0
        } else {
            24
        };
    runs.checked_mul(row + 8 * outputs as u64 + 8)
}

/// `1.5 GB`, `12 MB`, `3 kB`.
pub fn human_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e11 {
        format!("{} GB", crate::scenario::thousands((b / 1e9) as usize))
    } else if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.0} MB", b / 1e6)
    } else {
        format!("{:.0} kB", b / 1e3)
    }
}

/// `8 minutes`, `3.5 hours`, `12 days`.
pub fn human_duration(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if seconds < 7200.0 {
        format!("{:.0} minutes", seconds / 60.0)
    } else if seconds < 172_800.0 {
        format!("{:.1} hours", seconds / 3600.0)
    } else if seconds < 3.2e9 {
        format!("{:.0} days", seconds / 86_400.0)
    } else {
        format!("{:.0e} years", seconds / 3.15e7)
    }
}

fn sweep_problem(
    index: &Index<'_>,
    file: &str,
    offset: usize,
    field: &str,
    message: String,
) -> Problem {
    let (line, column) = index.line_column(offset);
    Problem {
        file: file.to_string(),
        line,
        column,
        field: field.to_string(),
        message,
    }
}

/// Reads and validates a sweep file and its base scenario; every problem at once, each with
/// `file:line:column`.
pub fn load(path: &Path) -> Result<Sweep, SweepFileError> {
    let display = path.display().to_string();
    let whole_file = |message: String, (line, column): (usize, usize)| {
        SweepFileError::from(ScenarioErrors(vec![Problem {
            file: display.clone(),
            line,
            column,
            field: String::new(),
            message,
        }]))
    };
    let text = scenario::read_text(path, MAX_SWEEP_BYTES).map_err(|err| match err {
        scenario::ReadError::Io(io) => whole_file(
            format!("cannot read the sweep file: {io}; check the path (e.g. scenarios/sweeps/morris.ron)"),
            (0, 0),
        ),
        other => {
            let position = other.position();
            whole_file(other.to_string(), position)
        }
    })?;
    let file: SweepFile = scenario::parse_reporting_every_unknown_field(&display, &text)
        .map_err(SweepFileError::from)?;
    let index = Index::new(&text);
    let mut problems: Vec<Problem> = Vec::new();
    let mut problem = |offset: usize, field: &str, message: String| {
        problems.push(sweep_problem(&index, &display, offset, field, message));
    };
    let top = |key: &str| index.key(0, key).unwrap_or(0);
    if let Err(rule) = scenario::check_name(file.name.trim()) {
        problem(top("name"), "name", format!("{rule}: the sweep's name names its results folder (results/sweep-<name>), so use 1 to {} ASCII letters, digits, `_`, `-` or `.`, not starting with `.` (e.g. \"sobol\")", scenario::MAX_NAME_CHARS));
    }
    // The base scenario's problems are its own: reported after the sweep file's, all at once.
    let base_path: PathBuf = path.parent().unwrap_or(Path::new(".")).join(&file.base);
    let loaded = scenario::load(&base_path);
    let mut factors: Vec<Factor> = Vec::new();
    let parameters_at = top("parameters");
    let mut cursor = parameters_at;
    for (position, parameter) in file.parameters.iter().enumerate() {
        let quoted = format!("\"{}\"", parameter.name.escape_debug());
        let at = index.string(cursor, &quoted).unwrap_or(cursor);
        cursor = at + 1;
        let field = format!("parameters[{position}]");
        let Some(spec_at) = spec_index(&parameter.name) else {
            problem(
                at,
                &format!("{field}.name"),
                format!(
                    "unknown parameter `{}`{}; the parameters are listed in docs/MODEL.md",
                    parameter.name,
                    crate::data::suggestion(&parameter.name, SPECS.iter().map(|s| s.name))
                ),
            );
            continue;
        };
        let spec = &SPECS[spec_at];
        if factors.iter().any(|f| f.name == spec.name) {
            problem(
                at,
                &field,
                format!("`{}` is listed twice; list each parameter once", spec.name),
            );
            continue;
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
        let dist_at = index.key(at, "distribution").unwrap_or(at);
        if let Err(err) = distribution.check() {
            problem(
                dist_at,
                &format!("{field}.distribution"),
                format!("`{}`: {err}", spec.name),
            );
        } else {
            // Every value a draw can take must be one the model accepts: otherwise draws are
            // rejected (or worse, the run is meaningless) only after the sweep has started.
            let (lo, hi) = match &distribution {
                Distribution::Normal { lower, upper, .. } => (
                    lower.unwrap_or(f64::NEG_INFINITY),
                    upper.unwrap_or(f64::INFINITY),
                ),
                other => (other.quantile(0.0), other.quantile(1.0)),
            };
            let (min, max) = spec.bounds;
            if lo < min || hi > max {
                let fix = if matches!(distribution, Distribution::Normal { .. }) {
                    format!("give the Normal `lower:` and `upper:` inside [{min}, {max}]")
                } else {
                    format!("keep its values inside [{min}, {max}]")
                };
                problem(
                    dist_at,
                    &format!("{field}.distribution"),
                    format!(
                        "`{}`: the distribution reaches {}, outside the parameter's valid range [{min}, {max}] (docs/MODEL.md), where runs would be rejected or meaningless; {fix}",
                        spec.name,
                        if lo < min { lo } else { hi },
                    ),
                );
            }
        }
        factors.push(Factor {
            name: spec.name,
            distribution,
        });
    }
    if file.parameters.is_empty() {
        problem(
            parameters_at,
            "parameters",
            "list at least one parameter to vary, e.g. (name: \"epsilon\")".into(),
        );
    }
    let mut outputs = Vec::new();
    let outputs_at = top("outputs");
    let mut cursor = outputs_at;
    for (position, output) in file.outputs.iter().enumerate() {
        let at = index.key(cursor, "unit").unwrap_or(cursor);
        cursor = at + 1;
        let field = format!("outputs[{position}]");
        let (unit, year, gdp) = match output {
            OutputFile::Population { unit, year } => (unit, *year, false),
            OutputFile::Gdp { unit, year } => (unit, *year, true),
        };
        let Ok((base, data)) = &loaded else {
            continue;
        };
        if year < base.start_year || year > base.end_year {
            problem(
                index.key(at, "year").unwrap_or(at),
                &format!("{field}.year"),
                format!(
                    "year {year} is outside the base scenario's {}–{}; choose a year inside it",
                    base.start_year, base.end_year
                ),
            );
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
            Err(message) => problem(at, &format!("{field}.unit"), message),
        }
    }
    if file.outputs.is_empty() {
        problem(
            outputs_at,
            "outputs",
            "list at least one output, e.g. Population(unit: \"chengdu\", year: 2030)".into(),
        );
    }
    let method_at = top("method");
    match &file.method {
        Method::Morris { trajectories, levels } if *trajectories < 2 || *levels < 2 || levels % 2 == 1 => {
            problem(method_at, "method", "Morris needs at least 2 trajectories and an even number of levels (≥ 2)".into())
        }
        Method::Sobol { base_samples } if !base_samples.is_power_of_two() || *base_samples < 4 => {
            problem(method_at, "method", format!("Sobol base_samples {base_samples} must be a power of two ≥ 4 (e.g. 256, 512, 1024)"))
        }
        Method::MonteCarlo { samples } if *samples < 2 => problem(method_at, "method", "MonteCarlo needs at least 2 samples".into()),
        method => {
            let d = file.parameters.len();
            let runs = planned_runs(method, d);
            let memory = runs.and_then(|runs| planned_memory(method, d, file.outputs.len(), runs));
            match (runs, memory) {
                (Some(runs), Some(memory)) if memory <= MAX_SWEEP_MEMORY => {
                    if runs > MAX_RUNS_PER_SHARD.saturating_mul(1 << 20) {
                        problem(method_at, "method", format!("{runs} runs are more than any number of shards can run; ask for fewer"));
                    }
                }
                (Some(runs), Some(memory)) => problem(
                    method_at,
                    "method",
                    format!(
                        "{} runs of {d} parameters need about {} of memory for the design and outputs (estimate), more than the limit of {}; ask for at most {} runs",
                        scenario::thousands(runs as usize),
                        human_bytes(memory),
                        human_bytes(MAX_SWEEP_MEMORY),
                        scenario::thousands((MAX_SWEEP_MEMORY / (memory / runs.max(1)).max(1)) as usize),
                    ),
                ),
                _ => problem(
                    method_at,
                    "method",
                    format!("the design would have more than 18,446,744,073,709,551,615 runs (it does not fit in 64 bits); ask for at most {} runs", scenario::thousands(MAX_RUNS_PER_SHARD as usize)),
                ),
            }
        }
    }
    let (base, data) = match loaded {
        Ok(pair) => pair,
        Err(mut base_errors) => {
            problems.append(&mut base_errors.0);
            return Err(ScenarioErrors(problems).into());
        }
    };
    if !problems.is_empty() {
        return Err(ScenarioErrors(problems).into());
    }
    let derived = engine::DataDerived::new(&data);
    // A base scenario that cannot be set up gets no warm start: its runs then fail (or not)
    // on their own parameters, as without one.
    let warm = engine::Warm::new(&data, &derived, &base).ok();
    Ok(Sweep {
        name: file.name.trim().to_string(),
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
        method_at: index.line_column(method_at),
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
                        ("base_output", format!("{:.3}", tornado.base_output)),
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
