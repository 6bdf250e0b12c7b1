//! Scenarios: the only module that knows RON.
//!
//! Two stages (as in ripgrep and linfa): [`ScenarioFile`] is what the user wrote (serde, unknown
//! fields refused); [`validate`] resolves unit ids and groups, checks every value and year, and
//! returns a typed [`Scenario`] — or *every* problem found, each with `file:line:column`.
//! Syntax errors stop the parser, so they come one at a time; everything after parsing is
//! collected.
//!
//! The files, by concern: `file` (the types as written), `read` (files, `extends` chains,
//! [`load`]), `parse` (RON and its syntax problems), `validate` (checks into a typed
//! [`Scenario`]), `problem` (problems and how they are reported), `locate` (positions in the
//! text); this file holds the typed scenario and its levers.

mod file;
pub mod locate;
mod parse;
mod problem;
mod read;
mod validate;

use std::path::PathBuf;

use crate::model::Params;

pub use crate::data::thousands;
pub use file::{
    parameter_names_match_model, Indicator, MacroPathFile, ParametersFile, PolicyFile,
    ScenarioFile, SourceFile,
};
pub use parse::{
    parse, parse_reporting_every_unknown_field, parse_with_unknown_fields, syntax_problem,
};
pub use problem::{capped_list, sort_by_place, Problem, ScenarioErrors, MAX_LISTED, MAX_SHOWN};
pub use read::{load, read_chain, read_text, ReadError, MAX_SCENARIO_BYTES};
pub use validate::{
    check_name, problem_at_field, validate, validate_chain, MAX_LEVERS, MAX_NAME_CHARS, NAME_RULE,
};

/// The year of the base data (`baseline_2014.csv`), the default start year.
pub const BASE_YEAR: i32 = 2014;
/// The 2010 census year: the start year of a hindcast.
pub const CENSUS_YEAR: i32 = 2010;
/// The years a run may start in: the base data or the census.
pub const START_YEARS: [i32; 2] = [CENSUS_YEAR, BASE_YEAR];
/// The end year of a scenario that names none: the plan's long-range horizon (前言: 遠期展望到2030年).
pub const DEFAULT_END_YEAR: i32 = 2030;
/// The latest end year a scenario may have; beyond their data the macro drivers are held
/// constant (`engine/setup/drivers.rs`), so later years would project that assumption alone.
pub const LAST_YEAR: i32 = 2050;

/// Set a value or change it by an amount.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Adjust {
    Set(f64),
    Change(f64),
}

impl Adjust {
    pub fn apply(self, current: f64) -> f64 {
        match self {
            Adjust::Set(value) => value,
            Adjust::Change(delta) => current + delta,
        }
    }

    /// [`apply`](Adjust::apply) with the change from `current` scaled by `strength` (a sweep's
    /// lever strength): `Change(δ)` moves by m·δ, `Set(v)` to current + m·(v − current). At
    /// m = 1 exactly what `apply` gives, at m = 0 `current`.
    pub fn apply_scaled(self, current: f64, strength: f64) -> f64 {
        if strength == 1.0 {
            return self.apply(current);
        }
        match self {
            Adjust::Set(value) => current + strength * (value - current),
            Adjust::Change(delta) => current + strength * delta,
        }
    }
}

/// A validated, dated policy lever (units as indices into the dataset's units).
#[derive(Debug, Clone, PartialEq)]
pub enum Policy {
    TravelTime {
        year: i32,
        from: Vec<usize>,
        to: Vec<usize>,
        /// `Set(hours)` or `Change`-free multiplication as `Scale(factor)`.
        time: TimeChange,
    },
    HukouWedge {
        year: i32,
        units: Vec<usize>,
        adjust: Adjust,
    },
    ProductivityShift {
        units: Vec<usize>,
        /// Per year, as a fraction (0.005 = 0.5 percentage points).
        growth: f64,
        from_year: i32,
        to_year: i32,
    },
    AmenityShift {
        units: Vec<usize>,
        delta: f64,
        from_year: i32,
        to_year: i32,
    },
    LandCap {
        year: i32,
        unit: usize,
        km2: f64,
    },
    BorderPenalty {
        year: i32,
        adjust: Adjust,
    },
}

/// How a travel-time lever changes the affected pairs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeChange {
    Hours(f64),
    Factor(f64),
}

/// A named lever: the label (from `name:` or generated), what it does and how strongly.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedPolicy {
    pub label: String,
    pub policy: Policy,
    /// Multiplier m of the lever's change from the status quo: 1 as written (every scenario
    /// file), 0 off, 0.5 half as strong. Only sweeps (`levers:` with `strength:`) set another
    /// value; `engine::setup` applies it where it applies the lever (docs/SCENARIOS.md,
    /// *Sweeping levers*).
    pub strength: f64,
}

impl NamedPolicy {
    /// A lever as written (strength 1).
    pub fn new(label: String, policy: Policy) -> NamedPolicy {
        NamedPolicy {
            label,
            policy,
            strength: 1.0,
        }
    }

    /// Whether the lever acts at all (strength 0 switches it off: the run is the scenario
    /// without it, bit for bit).
    pub fn is_active(&self) -> bool {
        self.strength != 0.0
    }
}

impl Policy {
    /// The first year the lever acts (`year`, or `from_year`).
    pub fn start_year(&self) -> i32 {
        match self {
            Policy::TravelTime { year, .. }
            | Policy::HukouWedge { year, .. }
            | Policy::LandCap { year, .. }
            | Policy::BorderPenalty { year, .. } => *year,
            Policy::ProductivityShift { from_year, .. }
            | Policy::AmenityShift { from_year, .. } => *from_year,
        }
    }

    /// Moves the lever `by` years: `year`, or `from_year` and `to_year` together. A `to_year`
    /// at or after `end_year` (a lever that runs to the end of the horizon) stays at
    /// `end_year`: it keeps running to the end.
    pub fn shift_years(&mut self, by: i32, end_year: i32) {
        match self {
            Policy::TravelTime { year, .. }
            | Policy::HukouWedge { year, .. }
            | Policy::LandCap { year, .. }
            | Policy::BorderPenalty { year, .. } => *year += by,
            Policy::ProductivityShift {
                from_year, to_year, ..
            }
            | Policy::AmenityShift {
                from_year, to_year, ..
            } => {
                *from_year += by;
                *to_year = if *to_year >= end_year {
                    end_year
                } else {
                    (*to_year + by).min(end_year)
                };
            }
        }
    }
}

/// A validated macro path: years [from, to] of one region's indicator take `value`.
#[derive(Debug, Clone, PartialEq)]
pub struct MacroPath {
    pub region: String,
    pub indicator: Indicator,
    pub from_year: i32,
    pub to_year: i32,
    pub value: f64,
}

/// A scenario ready to run: every id resolved, every value checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub start_year: i32,
    pub end_year: i32,
    pub seed: u64,
    pub params: Params,
    pub macro_paths: Vec<MacroPath>,
    pub policies: Vec<NamedPolicy>,
    /// The scenario file, if it came from one.
    pub source: Option<PathBuf>,
    /// SHA-256 over the hashes of every file of the `extends` chain (root first).
    pub source_hash: String,
    /// Every file of the `extends` chain, root first, with its SHA-256.
    pub sources: Vec<(String, String)>,
    /// The data directory the scenario asked for (None = embedded data).
    pub data_dir: Option<PathBuf>,
}

/// Default seed: the date the plan was approved (2016-04-12). Only sweeps draw random numbers.
pub const DEFAULT_SEED: u64 = 20_160_412;

impl Scenario {
    /// The reference scenario: defaults everywhere, no policy, embedded data.
    pub fn default_for_tests() -> Scenario {
        Scenario {
            name: "default".into(),
            description: String::new(),
            start_year: BASE_YEAR,
            end_year: DEFAULT_END_YEAR,
            seed: DEFAULT_SEED,
            params: Params::default(),
            macro_paths: Vec::new(),
            policies: Vec::new(),
            source: None,
            source_hash: String::new(),
            sources: Vec::new(),
            data_dir: None,
        }
    }

    pub fn years(&self) -> impl Iterator<Item = i32> {
        self.start_year..=self.end_year
    }
}

/// Helpers shared by the unit tests of the files of this module.
#[cfg(test)]
mod test_support {
    use super::*;
    use crate::data::Dataset;

    pub(super) fn check(source: &str) -> Result<Scenario, ScenarioErrors> {
        let data = Dataset::embedded();
        let file = parse("test.ron", source)?;
        validate("test.ron", source, file, &data)
    }

    /// Writes files into a temporary folder and loads `leaf`.
    pub(super) fn load_files(
        files: &[(&str, &str)],
        leaf: &str,
    ) -> Result<Scenario, ScenarioErrors> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        load(&dir.path().join(leaf)).map(|(scenario, _)| scenario)
    }

    pub(super) const PARENT: &str = r#"(
        name: "parent",
        end_year: 2028,
        parameters: (epsilon: 3.0, gamma: 0.04),
        policies: [
            HukouWedge(name: "open", year: 2020, value: 0.1),
            LandCap(name: "cap", year: 2020, unit: "luzhou", km2: 200),
        ],
    )"#;
}
