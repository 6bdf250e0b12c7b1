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
use crate::data::{escape_controls, escaped_path, Dataset};
use crate::engine::{self, RunOptions, Silent};
use crate::model::params::{spec_index, SPECS};
use crate::scenario::locate::Index;
use crate::scenario::{self, Problem, Scenario, ScenarioErrors};
use crate::targets;

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
    /// GDP per head of a unit or group in a year (sum of GDP / sum of population), yuan per
    /// person at 2014 prices.
    GdpPerHead { unit: String, year: i32 },
    /// Urban population of a unit or group in a year, persons.
    UrbanPopulation { unit: String, year: i32 },
    /// Net migration into a unit or group during a year (arrivals − departures; moves between
    /// the group's own units cancel), persons.
    NetMigration { unit: String, year: i32 },
    /// 1 when a regional-centre target (`target_id` of data/plan_targets.csv) is met at the
    /// central estimate, else 0: its mean over a Monte Carlo sweep is P(met).
    TargetMet { target: String },
}

/// `(name: "成渝中线", year: Discrete(levels: [2026, 2028]))` or `(name: "户籍-*", strength:
/// Uniform(lo: 0.25, hi: 1.0))`: one lever factor, a lever of the base scenario (by its
/// `name:`; a trailing `*` takes every lever whose name starts with what comes before it,
/// moved together) with exactly one of its start year or its strength varied.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LeverFile {
    pub name: String,
    #[serde(default)]
    pub year: Option<DistributionFile>,
    #[serde(default)]
    pub strength: Option<DistributionFile>,
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
    /// May be empty (or absent) when `levers` is not.
    #[serde(default)]
    pub parameters: Vec<ParameterFile>,
    #[serde(default)]
    pub levers: Vec<LeverFile>,
    pub outputs: Vec<OutputFile>,
}

/// One varied factor (a parameter or a lever), resolved: a column of the design.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// How files name it: the parameter's name (`epsilon`), or `lever <name> year` /
    /// `lever <name> strength` (`<name>` as written in the sweep file, `*` included).
    pub name: String,
    pub kind: FactorKind,
    pub distribution: Distribution,
}

/// What a factor's value sets.
#[derive(Debug, Clone, PartialEq)]
pub enum FactorKind {
    /// A model parameter (its index in `SPECS`).
    Parameter(usize),
    /// The start year of the base's levers at these positions of `base.policies`, rounded to a
    /// whole year: the value is the new start year of the earliest of them (`first`, its
    /// year as written); every one moves by the same number of years.
    LeverYear { policies: Vec<usize>, first: i32 },
    /// The strength of the base's levers at these positions of `base.policies`
    /// ([`NamedPolicy::strength`](crate::scenario::NamedPolicy::strength)).
    LeverStrength { policies: Vec<usize> },
}

/// One output, resolved to unit indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub label: String,
    pub quantity: Quantity,
    pub units: Vec<usize>,
    pub year: i32,
}

/// What an output measures (see [`OutputFile`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quantity {
    Population,
    Gdp,
    GdpPerHead,
    UrbanPopulation,
    NetMigration,
    /// Met (1) or not (0) at the central estimate: the regional-centre target at this
    /// position of `targets::score`.
    TargetMet(usize),
}

impl Quantity {
    /// The label's first part: `population_chengdu_2030`, `target_met_<id>`.
    fn prefix(self) -> &'static str {
        match self {
            Quantity::Population => "population",
            Quantity::Gdp => "gdp",
            Quantity::GdpPerHead => "gdp_per_head",
            Quantity::UrbanPopulation => "urban_population",
            Quantity::NetMigration => "net_migration",
            Quantity::TargetMet(_) => "target_met",
        }
    }
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
            file: escaped_path(&self.source),
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
/// Most grid levels of a Morris design. The step is half the range whatever the levels
/// (`sampling::MorrisDesign`), so levels only refine where trajectories start, and each
/// trajectory visits two per factor: 4 to 8 is usual; far more is a typo (`levels: 400`).
pub const MAX_MORRIS_LEVELS: usize = 100;

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

impl DistributionFile {
    /// The distribution it writes (not yet checked).
    pub fn resolve(self) -> Distribution {
        match self {
            DistributionFile::Uniform { lo, hi } => Distribution::Uniform { lo, hi },
            DistributionFile::LogUniform { lo, hi } => Distribution::LogUniform { lo, hi },
            DistributionFile::Normal {
                mean,
                sd,
                lower,
                upper,
            } => Distribution::Normal {
                mean,
                sd,
                lower,
                upper,
            },
            DistributionFile::Triangular { lo, mode, hi } => {
                Distribution::Triangular { lo, mode, hi }
            }
            DistributionFile::Discrete { levels } => Distribution::Discrete(levels),
        }
    }
}

/// Smallest and largest value a (checked) distribution can draw; an untruncated normal
/// reaches ±∞.
fn support(distribution: &Distribution) -> (f64, f64) {
    match distribution {
        Distribution::Normal { lower, upper, .. } => (
            lower.unwrap_or(f64::NEG_INFINITY),
            upper.unwrap_or(f64::INFINITY),
        ),
        other => (other.quantile(0.0), other.quantile(1.0)),
    }
}

/// The lever factors of a sweep file, in file order, checked against the base scenario's
/// levers (when it loaded): known names, exactly one of `year:` and `strength:`, each lever
/// varied at most once per aspect, years inside the horizon, strengths at or above 0.
fn lever_factors(
    levers: &[LeverFile],
    base: Option<&Scenario>,
    index: &Index<'_>,
    levers_at: usize,
    problem: &mut impl FnMut(usize, &str, String),
) -> Vec<Factor> {
    let mut factors: Vec<Factor> = Vec::new();
    // (policy, is year) → the factor that varies it.
    let mut taken: BTreeMap<(usize, bool), String> = BTreeMap::new();
    let mut cursor = levers_at;
    for (position, lever) in levers.iter().enumerate() {
        let quoted = format!("\"{}\"", lever.name.escape_debug());
        let at = index.string(cursor, &quoted).unwrap_or(cursor);
        cursor = at + 1;
        let field = format!("levers[{position}]");
        let (is_year, file) = match (&lever.year, &lever.strength) {
            (Some(year), None) => (true, year.clone()),
            (None, Some(strength)) => (false, strength.clone()),
            (Some(_), Some(_)) => {
                problem(at, &field, format!("`{}`: give exactly one of `year:` (its start year) or `strength:` (a multiplier of its effect); to vary both, list the lever twice", lever.name));
                continue;
            }
            (None, None) => {
                problem(at, &field, format!("`{}`: say what to vary, `year:` (its start year, e.g. year: Uniform(lo: 2026, hi: 2032)) or `strength:` (a multiplier of its effect, e.g. strength: Uniform(lo: 0.25, hi: 1.0))", lever.name));
                continue;
            }
        };
        let aspect = if is_year { "year" } else { "strength" };
        let dist_at = index.key(at, aspect).unwrap_or(at);
        let dist_field = format!("{field}.{aspect}");
        let distribution = file.resolve();
        let checked = distribution.check();
        if let Err(err) = &checked {
            problem(dist_at, &dist_field, format!("`{}`: {err}", lever.name));
        }
        let Some(base) = base else {
            continue;
        };
        let labels = || base.policies.iter().map(|p| p.label.as_str());
        let name = lever.name.as_str();
        let policies: Vec<usize> = match name.strip_suffix('*') {
            Some(prefix) => labels()
                .enumerate()
                .filter(|(_, label)| label.starts_with(prefix))
                .map(|(i, _)| i)
                .collect(),
            None => labels()
                .position(|label| label == name)
                .into_iter()
                .collect(),
        };
        if policies.is_empty() {
            // Candidates: every name, and `<head>-*` for names with a `-`.
            let mut candidates: Vec<String> = labels().map(str::to_string).collect();
            for label in labels() {
                if let Some((head, _)) = label.split_once('-') {
                    let pattern = format!("{head}-*");
                    if !candidates.contains(&pattern) {
                        candidates.push(pattern);
                    }
                }
            }
            let known = labels().collect::<Vec<_>>();
            problem(
                at,
                &format!("{field}.name"),
                format!(
                    "the base scenario `{}` has no lever {} `{}`{}; its levers: {}",
                    base.name,
                    if lever.name.ends_with('*') {
                        "whose name starts with"
                    } else {
                        "named"
                    },
                    lever.name.trim_end_matches('*'),
                    crate::data::suggestion(&lever.name, candidates.iter().map(String::as_str)),
                    if known.is_empty() {
                        "none (add levers to the scenario, or vary parameters)".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            );
            continue;
        }
        let label = format!("lever {name} {aspect}");
        let mut clash = false;
        for &p in &policies {
            if let Some(other) = taken.get(&(p, is_year)) {
                problem(
                    at,
                    &field,
                    format!(
                        "`{}`'s {aspect} is already varied by `{other}`; vary each lever's {aspect} once",
                        base.policies[p].label
                    ),
                );
                clash = true;
                break;
            }
        }
        if clash {
            continue;
        }
        for &p in &policies {
            taken.insert((p, is_year), label.clone());
        }
        if checked.is_err() {
            continue;
        }
        let (lo, hi) = support(&distribution);
        let kind = if is_year {
            let years: Vec<i32> = policies
                .iter()
                .map(|&p| base.policies[p].policy.start_year())
                .collect();
            let first = years.iter().copied().min().unwrap_or(base.start_year);
            let spread = years.iter().copied().max().unwrap_or(first) - first;
            // Scenario levers start after the start year (as validation requires); values round to
            // whole years.
            let earliest = f64::from(base.start_year + 1);
            let latest = f64::from(base.end_year - spread);
            if !(lo.round() >= earliest && hi.round() <= latest) {
                let reached = if lo.round() < earliest { lo } else { hi };
                let others = if spread > 0 {
                    format!(
                        " (its levers start up to {spread} years after the earliest, which moves to the drawn year)"
                    )
                } else {
                    String::new()
                };
                problem(
                    dist_at,
                    &dist_field,
                    format!(
                        "`{name}`: the start year reaches {reached}, outside the base scenario's projected years {}–{}{others}; keep the years inside {}–{}",
                        base.start_year + 1,
                        base.end_year,
                        earliest,
                        latest
                    ),
                );
                continue;
            }
            FactorKind::LeverYear { policies, first }
        } else {
            if !(lo >= 0.0 && hi.is_finite()) {
                problem(
                    dist_at,
                    &dist_field,
                    format!(
                        "`{name}`: the strength reaches {}, but it is a multiplier of the lever's effect (0 = off, 1 = as written): keep it finite and at or above 0",
                        if lo < 0.0 { lo } else { hi }
                    ),
                );
                continue;
            }
            FactorKind::LeverStrength { policies }
        };
        factors.push(Factor {
            name: label,
            kind,
            distribution,
        });
    }
    factors
}

/// A `TargetMet` output: the target must be a regional-centre target of the data whose year
/// the base scenario projects and whose centre has a central-urban share estimate, so that
/// every accepted run gives it a verdict (docs/TARGETS.md).
fn target_output(id: &str, base: &Scenario, data: &Dataset) -> Result<Output, String> {
    let centre: Vec<&crate::data::Target> = data
        .targets
        .iter()
        .filter(|t| targets::is_centre_target(t))
        .collect();
    let Some(position) = centre.iter().position(|t| t.target_id == id) else {
        return Err(format!(
            "unknown target `{id}`{}; the regional-centre targets of data/plan_targets.csv: {}",
            crate::data::suggestion(id, centre.iter().map(|t| t.target_id.as_str())),
            centre
                .iter()
                .map(|t| t.target_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    let target = centre[position];
    let unit = target.unit.expect("centre targets name a unit");
    if target.year < base.start_year || target.year > base.end_year {
        return Err(format!(
            "target `{id}` is for {}, outside the base scenario's years {}–{}",
            target.year, base.start_year, base.end_year
        ));
    }
    if !data.central_urban.shares.contains_key(&unit) {
        return Err(format!(
            "target `{id}`: `{}` has no central-urban share estimate (docs/TARGETS.md), so no run can say whether it is met",
            data.units[unit].id
        ));
    }
    Ok(Output {
        label: format!("target_met_{id}"),
        quantity: Quantity::TargetMet(position),
        units: vec![unit],
        year: target.year,
    })
}

/// The problem with `output` if an earlier output (`outputs`, written at `positions` of the
/// file) is the same: same quantity, unit (or group, as written) and year, or same target.
fn repeated_output(outputs: &[Output], positions: &[usize], output: &Output) -> Option<String> {
    let first = outputs.iter().position(|o| o.label == output.label)?;
    Some(format!(
        "`{}` is listed twice (also at `outputs[{}]`); each output is one column of samples.csv and one row per factor of indices.csv, so a copy only repeats them: delete this entry, or change it to the output you meant",
        output.label, positions[first]
    ))
}

/// Reads and validates a sweep file and its base scenario; every problem at once, each with
/// `file:line:column`.
pub fn load(path: &Path) -> Result<Sweep, SweepFileError> {
    let display = escaped_path(path);
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
    // Unknown fields are blanked out and reported with the semantic problems, in one pass.
    let (file, unknown_fields): (SweepFile, _) =
        scenario::parse_with_unknown_fields(&display, &text).map_err(SweepFileError::from)?;
    let index = Index::new(&text);
    let mut problems: Vec<Problem> = unknown_fields;
    let mut problem = |offset: usize, field: &str, message: String| {
        problems.push(sweep_problem(&index, &display, offset, field, message));
    };
    let top = |key: &str| index.key(0, key).unwrap_or(0);
    if let Err(rule) = scenario::check_name(file.name.trim()) {
        problem(top("name"), "name", format!("{rule}: the sweep's name names its results folder (results/sweep-<name>), so use 1 to {} {} (e.g. \"sobol\")", scenario::MAX_NAME_CHARS, scenario::NAME_RULE));
    }
    // The base scenario's problems are its own: reported after the sweep file's, all at once.
    let sweep_dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base_path: PathBuf = sweep_dir.join(&file.base);
    // A base that cannot be opened is a mistake in the sweep file's `base`: reported there,
    // with how the path is resolved.
    let unreadable = match std::fs::metadata(&base_path) {
        Err(err) => Some(err.to_string()),
        Ok(meta) if meta.is_dir() => Some("it is a folder, not a file".to_string()),
        Ok(_) => None,
    };
    let loaded = match unreadable {
        Some(why) => {
            problem(
                top("base"),
                "base",
                format!(
                    "cannot read the base scenario `{}` ({}: {why}); `base` is relative to the sweep file's folder {}, e.g. \"../baseline.ron\" for a sweep file in scenarios/sweeps/",
                    escape_controls(&file.base),
                    escaped_path(&base_path),
                    if sweep_dir == Path::new(".") {
                        "(here the current folder)".to_string()
                    } else {
                        escaped_path(sweep_dir)
                    }
                ),
            );
            Err(ScenarioErrors(Vec::new()))
        }
        None => scenario::load(&base_path),
    };
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
            Some(file) => file.resolve(),
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
            let (lo, hi) = support(&distribution);
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
            name: spec.name.to_string(),
            kind: FactorKind::Parameter(spec_at),
            distribution,
        });
    }
    let levers_at = top("levers");
    let base_scenario = loaded.as_ref().ok().map(|(base, _)| base);
    factors.extend(lever_factors(
        &file.levers,
        base_scenario,
        &index,
        levers_at,
        &mut problem,
    ));
    if file.parameters.is_empty() && file.levers.is_empty() {
        problem(
            parameters_at,
            "parameters",
            "list at least one parameter or lever to vary, e.g. parameters: [(name: \"epsilon\")] or levers: [(name: \"成渝中线\", year: Uniform(lo: 2026, hi: 2032))]".into(),
        );
    }
    let mut outputs = Vec::new();
    // The position in the file of each entry of `outputs`.
    let mut positions: Vec<usize> = Vec::new();
    let outputs_at = top("outputs");
    let mut cursor = outputs_at;
    for (position, output) in file.outputs.iter().enumerate() {
        let field = format!("outputs[{position}]");
        let (unit, year, quantity) = match output {
            OutputFile::Population { unit, year } => (unit, *year, Quantity::Population),
            OutputFile::Gdp { unit, year } => (unit, *year, Quantity::Gdp),
            OutputFile::GdpPerHead { unit, year } => (unit, *year, Quantity::GdpPerHead),
            OutputFile::UrbanPopulation { unit, year } => (unit, *year, Quantity::UrbanPopulation),
            OutputFile::NetMigration { unit, year } => (unit, *year, Quantity::NetMigration),
            OutputFile::TargetMet { target } => {
                let at = index.key(cursor, "target").unwrap_or(cursor);
                cursor = at + 1;
                let Ok((base, data)) = &loaded else {
                    continue;
                };
                match target_output(target, base, data) {
                    Ok(output) => match repeated_output(&outputs, &positions, &output) {
                        Some(message) => problem(at, &field, message),
                        None => {
                            outputs.push(output);
                            positions.push(position);
                        }
                    },
                    Err(message) => problem(at, &format!("{field}.target"), message),
                }
                continue;
            }
        };
        let at = index.key(cursor, "unit").unwrap_or(cursor);
        cursor = at + 1;
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
            Ok(units) => {
                let output = Output {
                    label: format!(
                        "{}_{}_{year}",
                        quantity.prefix(),
                        unit.trim_start_matches('@')
                    ),
                    quantity,
                    units,
                    year,
                };
                match repeated_output(&outputs, &positions, &output) {
                    Some(message) => problem(at, &field, message),
                    None => {
                        outputs.push(output);
                        positions.push(position);
                    }
                }
            }
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
            problem(method_at, "method", format!("Morris(trajectories: {trajectories}, levels: {levels}) needs at least 2 trajectories and an even number of levels (≥ 2)"))
        }
        Method::Morris { trajectories, levels } if *levels > MAX_MORRIS_LEVELS => {
            problem(method_at, "method", format!("Morris(trajectories: {trajectories}, levels: {levels}): at most {MAX_MORRIS_LEVELS} levels; every step moves a factor by half its range whatever the number of levels, so the levels only set the grid the trajectories start on, and {trajectories} trajectories visit at most {} of them per factor (two each): more levels add nothing (4 to 8 is usual, Morris 1991); use an even number of levels from 4 to {MAX_MORRIS_LEVELS}, e.g. levels: 4", (2 * trajectories).min(*levels)))
        }
        Method::Sobol { base_samples } if !base_samples.is_power_of_two() || *base_samples < 4 => {
            problem(method_at, "method", format!("Sobol base_samples {base_samples} must be a power of two ≥ 4 (e.g. 256, 512, 1024)"))
        }
        Method::MonteCarlo { samples } if *samples < 2 => problem(method_at, "method", format!("MonteCarlo(samples: {samples}) needs at least 2 samples (e.g. samples: 1000)")),
        method => {
            let d = file.parameters.len() + file.levers.len();
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
                        "{} runs of {d} factors need about {} of memory for the design and outputs (estimate), more than the limit of {}; ask for at most {} runs",
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
    // Unknown fields come from the parse pass, the rest in the order of the checks (`method`
    // last): put in the order of the file, as a scenario's are; the base's own follow.
    scenario::sort_by_place(&mut problems);
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
    /// The value of every factor, parameters then levers (a lever's year as drawn, before
    /// rounding).
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

/// What the runs of a sweep share: the factors' distributions.
struct Runner<'a> {
    sweep: &'a Sweep,
    distributions: Vec<Distribution>,
    /// Whether some factor is a lever (runs then set their levers from the base's).
    levers: bool,
    /// Whether runs score the targets: Monte Carlo, or a `TargetMet` output.
    scores: bool,
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
            levers: sweep
                .factors
                .iter()
                .any(|f| !matches!(f.kind, FactorKind::Parameter(_))),
            scores: matches!(sweep.method, Method::MonteCarlo { .. })
                || sweep
                    .outputs
                    .iter()
                    .any(|o| matches!(o.quantity, Quantity::TargetMet(_))),
            keep_detail: matches!(sweep.method, Method::MonteCarlo { .. }),
        }
    }

    fn scratch(&self) -> Scratch {
        Scratch {
            scenario: self.sweep.base.clone(),
            trajectory: engine::Trajectory::default(),
        }
    }

    /// Sets `scenario` (a copy of the base) to the run of factor values `values`: parameters
    /// overridden, levers moved and scaled. `Err` with the reason when the parameters are
    /// refused (an unstable set).
    fn set_scenario(&self, values: &[f64], scenario: &mut Scenario) -> Result<(), String> {
        let sweep = self.sweep;
        if self.levers {
            // The base's levers, then this row's years and strengths. The run's `policies`
            // differ from the base's wherever a lever moved, so `engine::prepare_warm` shares
            // no policy-dependent part with the base for it.
            let policies = &mut scenario.policies;
            policies.clone_from(&sweep.base.policies);
            for (factor, &value) in sweep.factors.iter().zip(values) {
                match &factor.kind {
                    FactorKind::Parameter(_) => {}
                    FactorKind::LeverYear {
                        policies: which,
                        first,
                    } => {
                        // Validated: the rounded years lie inside the horizon.
                        let by = value.round() as i32 - first;
                        for &p in which {
                            policies[p].policy.shift_years(by, sweep.base.end_year);
                        }
                    }
                    FactorKind::LeverStrength { policies: which } => {
                        for &p in which {
                            policies[p].strength = value;
                        }
                    }
                }
            }
        }
        let overrides =
            sweep
                .factors
                .iter()
                .zip(values)
                .filter_map(|(factor, &value)| match factor.kind {
                    FactorKind::Parameter(spec) => Some((spec, value)),
                    _ => None,
                });
        scenario.params = sweep
            .base
            .params
            .with_values_at(overrides)
            .map_err(|errors| {
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            })?;
        Ok(())
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
        if let Err(reason) = self.set_scenario(&values, &mut scratch.scenario) {
            return rejected(reason);
        }
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
        let verdicts: Vec<Option<bool>> = if self.scores {
            targets::score(
                &sweep.data,
                trajectory,
                scenario.params.land_per_person_m2(),
            )
            .iter()
            .map(targets::TargetRow::met_at_central)
            .collect()
        } else {
            Vec::new()
        };
        let outputs = sweep
            .outputs
            .iter()
            .map(|output| {
                let i = trajectory
                    .year_index(output.year)
                    .expect("validated against the horizon");
                let sum = |series: &engine::Series| -> f64 {
                    output.units.iter().map(|&u| series[i][u]).sum()
                };
                match output.quantity {
                    Quantity::Population => sum(&trajectory.population),
                    Quantity::Gdp => sum(&trajectory.gdp),
                    Quantity::GdpPerHead => sum(&trajectory.gdp) / sum(&trajectory.population),
                    Quantity::UrbanPopulation => sum(&trajectory.urban_population),
                    Quantity::NetMigration => sum(&trajectory.net_migration),
                    // Validated: the target's year is projected and its centre has a share
                    // estimate, so a verdict exists; NaN would mark one that does not.
                    Quantity::TargetMet(k) => match verdicts.get(k).copied().flatten() {
                        Some(met) => f64::from(u8::from(met)),
                        None => f64::NAN,
                    },
                }
            })
            .collect();
        let (met, population) = if self.keep_detail {
            (verdicts, trajectory.population.concat())
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

/// Sobol′ indices of one output; an output that does not vary over the design (a target met
/// in every run, or in none) gets S1 = ST = 0 for every factor: no factor moves it.
pub fn sobol_or_zero(
    design: &SaltelliDesign,
    values: &[f64],
    seed: u64,
) -> Result<estimators::SobolIndices, SweepError> {
    match estimators::sobol_indices(design, values, Bootstrap::with_seed(seed)) {
        Err(SweepError::ZeroOutputVariance) => {
            let zero = estimators::Estimate {
                value: 0.0,
                low: 0.0,
                high: 0.0,
            };
            Ok(estimators::SobolIndices {
                first_order: vec![zero; design.d],
                total: vec![zero; design.d],
                output_mean: values.first().copied().unwrap_or(f64::NAN),
                output_variance: 0.0,
            })
        }
        other => other,
    }
}

/// Rows of `indices.csv`: parameter (any factor, levers included), output and the method's
/// statistics.
pub fn indices(
    sweep: &Sweep,
    design: &Design,
    summary: &Summary,
) -> Result<Vec<BTreeMap<&'static str, String>>, SweepError> {
    let mut rows = Vec::new();
    let indicators = sweep
        .outputs
        .iter()
        .any(|o| matches!(o.quantity, Quantity::TargetMet(_)));
    for (k, output) in sweep.outputs.iter().enumerate() {
        let values = &summary.outputs[k];
        match design {
            Design::Sobol(d) => {
                let indices = sobol_or_zero(d, values, sweep.seed)?;
                for (i, factor) in sweep.factors.iter().enumerate() {
                    let (s1, st) = (&indices.first_order[i], &indices.total[i]);
                    rows.push(BTreeMap::from([
                        ("parameter", factor.name.clone()),
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
                        ("parameter", factor.name.clone()),
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
                        ("parameter", sweep.factors[bar.factor].name.clone()),
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
                let mut row = BTreeMap::from([
                    ("parameter", "(all)".to_string()),
                    ("output", output.label.clone()),
                    ("mean", format!("{:.3}", summary.mean)),
                    ("p5", format!("{:.3}", summary.p5)),
                    ("p50", format!("{:.3}", summary.p50)),
                    ("p95", format!("{:.3}", summary.p95)),
                ]);
                // A target's indicator: its mean is P(met), with a Wilson 95 % interval (the
                // columns exist only when some output is an indicator, empty for the others).
                if indicators {
                    let (lower, upper) = match output.quantity {
                        Quantity::TargetMet(_) => {
                            let met = finite.iter().filter(|&&v| v > 0.5).count();
                            let p = estimators::event_probability(met, finite.len(), 0.95)?;
                            (format!("{:.4}", p.low), format!("{:.4}", p.high))
                        }
                        _ => (String::new(), String::new()),
                    };
                    row.insert("wilson_lower", lower);
                    row.insert("wilson_upper", upper);
                }
                rows.push(row);
            }
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Trajectory;

    /// A sweep over scenarios/plan.ron with these `levers` and `outputs`, from a file in a
    /// temporary folder (kept alive by the returned guard).
    fn plan_sweep(levers: &str, outputs: &str) -> (tempfile::TempDir, Sweep) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("levers.ron");
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/plan.ron");
        std::fs::write(
            &path,
            format!(
                "(name: \"levers\", base: {:?}, method: MonteCarlo(samples: 2),\n levers: [{levers}],\n outputs: [{outputs}])",
                base.display().to_string()
            ),
        )
        .unwrap();
        let sweep = load(&path).unwrap_or_else(|err| panic!("{err}"));
        (dir, sweep)
    }

    /// The trajectory the sweep runs for these factor values (warm, as sweeps run).
    fn run_values(sweep: &Sweep, values: &[f64]) -> Trajectory {
        let runner = Runner::new(sweep);
        let mut scenario = sweep.base.clone();
        runner.set_scenario(values, &mut scenario).unwrap();
        let warm = sweep.warm.as_ref().unwrap();
        let prepared = engine::prepare_warm(&sweep.data, &sweep.derived, warm, &scenario).unwrap();
        engine::simulate(&prepared, &RunOptions::default(), &mut Silent)
    }

    /// A single run of `scenario`, cold.
    fn single(sweep: &Sweep, scenario: &Scenario) -> Trajectory {
        engine::run(&sweep.data, scenario, &RunOptions::default(), &mut Silent).unwrap()
    }

    #[test]
    fn strength_one_is_the_base_and_strength_zero_the_base_without_the_levers_bit_for_bit() {
        let (_dir, sweep) = plan_sweep(
            r#"(name: "户籍-*", strength: Uniform(lo: 0.0, hi: 1.0))"#,
            r#"Population(unit: "luzhou", year: 2030)"#,
        );
        assert_eq!(sweep.factors.len(), 1);
        assert_eq!(sweep.factors[0].name, "lever 户籍-* strength");
        let FactorKind::LeverStrength { policies } = &sweep.factors[0].kind else {
            panic!("{:?}", sweep.factors[0].kind);
        };
        assert_eq!(policies.len(), 4, "户籍-核心, -区域中心, -节点城市, -县");
        assert!(run_values(&sweep, &[1.0]) == single(&sweep, &sweep.base));
        let mut without = sweep.base.clone();
        without.policies.retain(|p| !p.label.starts_with("户籍-"));
        let off = run_values(&sweep, &[0.0]);
        assert!(off == single(&sweep, &without));
        assert!(off != single(&sweep, &sweep.base));
    }

    #[test]
    fn strength_scales_each_kind_of_lever_from_the_status_quo() {
        let (_dir, sweep) = plan_sweep(
            r#"(name: "户籍-区域中心", strength: Uniform(lo: 0.0, hi: 1.0)),
               (name: "成渝中线", strength: Uniform(lo: 0.0, hi: 1.0)),
               (name: "区域中心-产业", strength: Uniform(lo: 0.0, hi: 1.0)),
               (name: "专栏1用地-万州", strength: Uniform(lo: 0.0, hi: 2.0))"#,
            r#"Population(unit: "luzhou", year: 2030)"#,
        );
        let data = &sweep.data;
        let (luzhou, chengdu, yuzhong, wanzhou) = (
            data.unit_index("luzhou").unwrap(),
            data.unit_index("chengdu").unwrap(),
            data.unit_index("yuzhong").unwrap(),
            data.unit_index("wanzhou").unwrap(),
        );
        let prepare = |m: f64| {
            let runner = Runner::new(&sweep);
            let mut scenario = sweep.base.clone();
            runner.set_scenario(&[m; 4], &mut scenario).unwrap();
            engine::prepare(data, &scenario).unwrap()
        };
        let (off, half, full, double) = (prepare(0.0), prepare(0.5), prepare(1.0), prepare(2.0));
        let last = |p: &engine::Prepared| p.settings[p.years.last().unwrap().setting].clone();
        // HukouWedge value 0.18: the wedge moves half-way from the status quo.
        let wedge = |p: &engine::Prepared| last(p).hukou_wedge[luzhou + 1];
        approx::assert_relative_eq!(wedge(&full), 0.18);
        approx::assert_relative_eq!(
            wedge(&half),
            wedge(&off) + 0.5 * (0.18 - wedge(&off)),
            max_relative = 1e-12
        );
        // TravelTime hours 0.83: geometric, current·(0.83/current)^m.
        let hours = |p: &engine::Prepared| last(p).travel_hours[(chengdu, yuzhong)];
        approx::assert_relative_eq!(hours(&full), 0.83);
        approx::assert_relative_eq!(
            hours(&half),
            (hours(&off) * 0.83).sqrt(),
            max_relative = 1e-12
        );
        // ProductivityShift 0.5 pp in 2020: m × the shift.
        let y2020 = (2020 - sweep.base.start_year) as usize;
        let growth = |p: &engine::Prepared| p.years[y2020].growth[luzhou + 1];
        approx::assert_relative_eq!(
            growth(&half) - growth(&off),
            0.5 * 0.005,
            max_relative = 1e-9
        );
        // LandCap 130 km²: km²/m, so twice the strength halves the land.
        let cap = |p: &engine::Prepared| p.years.last().unwrap().population_cap[wanzhou + 1];
        assert!(cap(&off).is_infinite());
        approx::assert_relative_eq!(cap(&double), cap(&full) / 2.0, max_relative = 1e-12);
    }

    #[test]
    fn a_year_factor_moves_the_lever_and_its_effect() {
        let (_dir, sweep) = plan_sweep(
            r#"(name: "成渝中线", year: Uniform(lo: 2026, hi: 2030))"#,
            r#"Population(unit: "chengdu", year: 2030)"#,
        );
        let mut without = sweep.base.clone();
        without.policies.retain(|p| p.label != "成渝中线");
        let without = single(&sweep, &without);
        let chengdu = sweep.data.unit_index("chengdu").unwrap();
        for (drawn, opens) in [(2026.2, 2026), (2028.0, 2028), (2029.6, 2030)] {
            let run = run_values(&sweep, &[drawn]);
            let i = run.year_index(opens).unwrap();
            assert!(
                run.population[..i] == without.population[..i],
                "{drawn}: moved before {opens}"
            );
            assert!(
                run.population[i][chengdu] != without.population[i][chengdu],
                "{drawn}: no effect in {opens}"
            );
        }
        // At its own year, the base.
        assert!(run_values(&sweep, &[2028.0]) == single(&sweep, &sweep.base));
    }

    #[test]
    fn outputs_are_sums_ratios_and_indicators_of_the_run() {
        let (_dir, sweep) = plan_sweep(
            r#"(name: "成渝中线", year: Discrete(levels: [2028]))"#,
            r#"GdpPerHead(unit: "@chongqing_core", year: 2025), UrbanPopulation(unit: "luzhou", year: 2020),
               NetMigration(unit: "@all", year: 2030), TargetMet(target: "leshan_central_pop_2020"),
               TargetMet(target: "luzhou_central_pop_2020")"#,
        );
        let labels: Vec<&str> = sweep.outputs.iter().map(|o| o.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "gdp_per_head_chongqing_core_2025",
                "urban_population_luzhou_2020",
                "net_migration_all_2030",
                "target_met_leshan_central_pop_2020",
                "target_met_luzhou_central_pop_2020"
            ]
        );
        let runner = Runner::new(&sweep);
        let mut scratch = runner.scratch();
        let result = runner.evaluate(&[0.5], &mut scratch);
        let values = result.outputs.unwrap();
        let base = single(&sweep, &sweep.base);
        let data = &sweep.data;
        let core = data.resolve_units("@chongqing_core").unwrap();
        let t = |year: i32| base.year_index(year).unwrap();
        let gdp: f64 = core.iter().map(|&u| base.gdp[t(2025)][u]).sum();
        let people: f64 = core.iter().map(|&u| base.population[t(2025)][u]).sum();
        assert_eq!(values[0], gdp / people);
        let luzhou = data.unit_index("luzhou").unwrap();
        assert_eq!(values[1], base.urban_population[t(2020)][luzhou]);
        // Net migration into the plan area: moves between its units cancel, what is left is
        // the exchange with the rest of China.
        let rest: f64 = base.net_migration_rest_of_china[t(2030)].iter().sum();
        approx::assert_relative_eq!(values[2], rest, max_relative = 1e-9);
        let rows = targets::score(data, &base, sweep.base.params.land_per_person_m2());
        let met = |id: &str| {
            let row = rows.iter().find(|r| r.target_id == id).unwrap();
            f64::from(u8::from(row.met_at_central().unwrap()))
        };
        assert_eq!(values[3], met("leshan_central_pop_2020"));
        assert_eq!(values[4], met("luzhou_central_pop_2020"));
    }

    /// Problems are printed in the order of the file, whichever check found them: the
    /// unknown field (found while parsing) after the parameter name before it on its line, the
    /// method (checked last) first.
    #[test]
    fn problems_are_in_the_order_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("order.ron");
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/plan.ron");
        std::fs::write(
            &path,
            format!(
                "(name: \"order\", base: {:?},\n method: MonteCarlo(samples: 1),\n parameters: [(name: \"epsilom\", distributon: Uniform(lo: 1.0, hi: 2.0))],\n outputs: [Population(unit: \"luzhuo\", year: 2020)])",
                base.display().to_string()
            ),
        )
        .unwrap();
        let Err(SweepFileError::Problems(errors)) = load(&path) else {
            panic!("the sweep file was accepted");
        };
        let places: Vec<(usize, usize, &str)> = errors
            .0
            .iter()
            .map(|p| (p.line, p.column, p.field.as_str()))
            .collect();
        assert_eq!(
            places,
            [
                (2, 2, "method"),
                (3, 22, "parameters[0].name"),
                (3, 33, ""),
                (4, 23, "outputs[0].unit"),
            ],
            "{errors}"
        );
    }
}
