//! Scenarios: the only module that knows RON.
//!
//! Two stages (as in ripgrep and linfa): [`ScenarioFile`] is what the user wrote (serde, unknown
//! fields refused); [`validate`] resolves unit ids and groups, checks every value and year, and
//! returns a typed [`Scenario`] — or *every* problem found, each with `file:line:column`.
//! Unknown fields, values of the wrong type and list items (levers, macro paths) with an
//! unknown type or a missing field are all collected by the parser (the checks of meaning wait
//! for all but unknown fields to be fixed); a syntax error or a missing `name` stops it;
//! everything after parsing is collected.
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

use std::ops::ControlFlow;
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

/// The largest hukou wedge (share of income lost by non-locals) a unit may have.
pub const WEDGE_MAX: f64 = 0.95;

/// What a hukou-wedge or border-penalty lever sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostValue {
    /// The wedge of a unit (index into the dataset's units).
    Wedge(usize),
    Border,
}

/// One value a hukou-wedge or border-penalty lever sets in a year: the `lever`-th of those
/// given to [`apply_cost_levers`], what it sets, how, and the value before and after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostStep {
    pub lever: usize,
    pub sets: CostValue,
    pub adjust: Adjust,
    pub before: f64,
    pub value: f64,
}

impl CostStep {
    /// Wedges stay within [0, [`WEDGE_MAX`]], the border penalty at or above 0.
    pub fn in_range(&self) -> bool {
        match self.sets {
            CostValue::Wedge(_) => (0.0..=WEDGE_MAX).contains(&self.value),
            CostValue::Border => self.value >= 0.0,
        }
    }
}

/// The hukou wedges and the border penalty in force in `year`: starting from `wedge` (one per
/// node, `wedge[unit + 1]`; 0 is the rest of China) and `border`, every lever dated up to `year`
/// is applied in order, scaled by its strength. A value out of range is not taken (the next
/// lever sees the value before it). `visit` sees every value set, in range or not, and may stop
/// the walk. The one rule shared by validation (which reports each lever's problem at its place)
/// and `engine::setup` (which must also check a sweep's lever strengths at run time).
pub fn apply_cost_levers<'a, B>(
    levers: impl IntoIterator<Item = (&'a Policy, f64)>,
    year: i32,
    wedge: &mut [f64],
    border: &mut f64,
    mut visit: impl FnMut(&CostStep) -> ControlFlow<B>,
) -> ControlFlow<B> {
    for (lever, (policy, strength)) in levers.into_iter().enumerate() {
        match policy {
            Policy::HukouWedge {
                year: from,
                units,
                adjust,
            } if *from <= year => {
                for &unit in units {
                    let before = wedge[unit + 1];
                    let step = CostStep {
                        lever,
                        sets: CostValue::Wedge(unit),
                        adjust: *adjust,
                        before,
                        value: adjust.apply_scaled(before, strength),
                    };
                    visit(&step)?;
                    if step.in_range() {
                        wedge[unit + 1] = step.value;
                    }
                }
            }
            Policy::BorderPenalty { year: from, adjust } if *from <= year => {
                let step = CostStep {
                    lever,
                    sets: CostValue::Border,
                    adjust: *adjust,
                    before: *border,
                    value: adjust.apply_scaled(*border, strength),
                };
                visit(&step)?;
                if step.in_range() {
                    *border = step.value;
                }
            }
            _ => {}
        }
    }
    ControlFlow::Continue(())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Levers apply in order up to the year, scaled by strength; a value out of range is seen
    /// but not taken, so the next lever starts from the value before it; `Break` stops.
    #[test]
    fn cost_levers_apply_in_order_and_skip_values_out_of_range() {
        let levers = [
            Policy::HukouWedge {
                year: 2020,
                units: vec![0, 1],
                adjust: Adjust::Change(0.5),
            },
            Policy::BorderPenalty {
                year: 2020,
                adjust: Adjust::Change(-0.3),
            },
            Policy::HukouWedge {
                year: 2025,
                units: vec![0],
                adjust: Adjust::Set(0.0),
            },
        ];
        let mut wedge = vec![0.3, 0.2, 0.6];
        let mut border = 0.2;
        let mut seen = Vec::new();
        let walk = apply_cost_levers(
            levers.iter().map(|policy| (policy, 1.0)),
            2024,
            &mut wedge,
            &mut border,
            |step| {
                seen.push((step.lever, step.sets, step.in_range()));
                ControlFlow::<()>::Continue(())
            },
        );
        assert_eq!(walk, ControlFlow::Continue(()));
        assert_eq!(
            seen,
            [
                (0, CostValue::Wedge(0), true),
                (0, CostValue::Wedge(1), false),
                (1, CostValue::Border, false),
            ]
        );
        assert_eq!(wedge, [0.3, 0.7, 0.6]);
        assert_eq!(border, 0.2);
        // Half strength: +0.25 and −0.15, both in range; the 2025 lever is not yet in force.
        let (mut wedge, mut border) = (vec![0.3, 0.2, 0.6], 0.2);
        let _ = apply_cost_levers(
            levers.iter().map(|policy| (policy, 0.5)),
            2024,
            &mut wedge,
            &mut border,
            |_| ControlFlow::<()>::Continue(()),
        );
        assert_eq!(wedge, [0.3, 0.45, 0.85]);
        assert!((border - 0.05).abs() < 1e-12);
        let walk = apply_cost_levers(
            levers.iter().map(|policy| (policy, 1.0)),
            2030,
            &mut [0.3, 0.2, 0.6],
            &mut 0.2,
            |step| match step.in_range() {
                true => ControlFlow::Continue(()),
                false => ControlFlow::Break(step.lever),
            },
        );
        assert_eq!(walk, ControlFlow::Break(0));
    }
}
