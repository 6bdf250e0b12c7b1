//! Scenarios: the only module that knows RON.
//!
//! Two stages (as in ripgrep and linfa): [`ScenarioFile`] is what the user wrote (serde, unknown
//! fields refused); [`validate`] resolves unit ids and groups, checks every value and year, and
//! returns a typed [`Scenario`] — or *every* problem found, each with `file:line:column`.
//! Syntax errors stop the parser, so they come one at a time; everything after parsing is
//! collected.

pub mod locate;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::data::{self, Dataset};
use crate::model::{ParamError, Params, SPECS};

/// The year of the base data (`baseline_2014.csv`), the default start year.
pub const BASE_YEAR: i32 = 2014;
/// The 2010 census year: the start year of a hindcast.
pub const CENSUS_YEAR: i32 = 2010;
/// The years a run may start in: the base data or the census.
pub const START_YEARS: [i32; 2] = [CENSUS_YEAR, BASE_YEAR];
pub const LAST_YEAR: i32 = 2050;

/// Largest scenario file read (a 100,000-lever scenario is about 10 MB).
pub const MAX_SCENARIO_BYTES: u64 = 64 << 20;
/// Most levers one scenario file may list (`policies`, `add_policies` and `remove_policies`
/// together).
pub const MAX_LEVERS: usize = 100_000;
/// Longest name of a scenario, sweep or results folder built from it, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// The one rule for every name that becomes a folder (scenarios, sweeps, compare folders):
/// 1 to [`MAX_NAME_CHARS`] ASCII letters, digits, `_`, `-` or `.`, not starting with `.` (so
/// neither `.` nor `..`, nor a hidden folder), hence no separators and no control characters.
/// `Err` holds the rule broken, for a message that goes on with the fix.
pub fn check_name(name: &str) -> Result<(), String> {
    let shown: String = name
        .chars()
        .take(40)
        .collect::<String>()
        .escape_debug()
        .to_string();
    let shown = if name.chars().count() > 40 {
        format!("{shown}…")
    } else {
        shown
    };
    let length = name.chars().count();
    if name.is_empty() {
        Err("the name is empty".to_string())
    } else if length > MAX_NAME_CHARS {
        Err(format!(
            "`{shown}` has {length} characters, more than the limit of {MAX_NAME_CHARS}"
        ))
    } else if let Some(bad) = name
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
    {
        Err(format!(
            "`{shown}` contains {}, which is not an ASCII letter, digit, `_`, `-` or `.`",
            match bad {
                '/' | '\\' => format!("the path separator `{bad}`"),
                c if c.is_control() => format!("the control character {:?}", c),
                c => format!("`{c}`"),
            }
        ))
    } else if name.starts_with('.') {
        Err(format!(
            "`{shown}` starts with `.` (`.` and `..` are not folders of their own)"
        ))
    } else {
        Ok(())
    }
}

/// Why a text file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the file is larger than the limit of {} MB; nothing was read past it", limit >> 20)]
    TooLarge { limit: u64 },
    #[error(
        "the file is not UTF-8 text (byte {byte:#04x} at byte offset {offset}); save it as UTF-8"
    )]
    NotUtf8 {
        line: usize,
        column: usize,
        byte: u8,
        offset: usize,
    },
}

impl ReadError {
    /// Where the problem is (line, column), for non-UTF-8 bytes.
    pub fn position(&self) -> (usize, usize) {
        match self {
            ReadError::NotUtf8 { line, column, .. } => (*line, *column),
            _ => (0, 0),
        }
    }
}

/// Reads a UTF-8 text file of at most `limit` bytes (never more: `/dev/zero` stops at the limit),
/// without a leading byte-order mark.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(ReadError::Io(std::io::Error::other(
            "it is a folder, not a file",
        )));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    let start = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    match String::from_utf8(bytes.split_off(start)) {
        Ok(text) => Ok(text),
        Err(err) => {
            let offset = err.utf8_error().valid_up_to();
            let bytes = err.into_bytes();
            let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
            let line = valid.matches('\n').count() + 1;
            let column = valid[valid.rfind('\n').map_or(0, |i| i + 1)..]
                .chars()
                .count()
                + 1;
            Err(ReadError::NotUtf8 {
                line,
                column,
                byte: bytes[offset],
                offset: offset + start,
            })
        }
    }
}

macro_rules! parameters_file {
    ($($name:ident),* $(,)?) => {
        /// `parameters: (...)` as written; every field optional (defaults from the model table).
        #[derive(Debug, Clone, Default, Deserialize, PartialEq)]
        #[serde(deny_unknown_fields)]
        pub struct ParametersFile {
            $( #[serde(default)] pub $name: Option<f64>, )*
        }

        impl ParametersFile {
            /// The values the user set, as (name, value).
            pub fn given(&self) -> Vec<(&'static str, f64)> {
                let mut out = Vec::new();
                $( if let Some(value) = self.$name { out.push((stringify!($name), value)); } )*
                out
            }

            /// Every field name, in order (kept equal to the model's table by a test).
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),*];
        }
    };
}

parameters_file!(
    gamma,
    tau0_minutes,
    chi,
    kappa,
    epsilon,
    beta_per_hour,
    lambda,
    border_penalty,
    hukou_wedge_core,
    hukou_wedge,
    hukou_wedge_county,
    hukou_wedge_rest_of_china,
    rho,
    trend_decay,
    trend_cap,
    income_convergence,
    catch_up_pull,
    migrant_stay_years,
    census_momentum,
    estimate_weight,
    census_base_weight,
    detour_factor,
    road_speed_kmh,
    terminal_hours,
    local_speed_kmh,
    land_per_person_m2,
    urban_max_sichuan,
    urban_max_chongqing,
    urban_rate_sichuan,
    urban_rate_chongqing,
);

/// A scenario file as written.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: String,
    /// Parent scenario (path relative to this file): everything not set here is inherited.
    #[serde(default)]
    pub extends: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub start_year: Option<i32>,
    #[serde(default)]
    pub end_year: Option<i32>,
    #[serde(default)]
    pub seed: Option<u64>,
    /// A directory with the same CSV files as `data/` (relative to the scenario file).
    #[serde(default)]
    pub data: Option<String>,
    #[serde(default)]
    pub parameters: ParametersFile,
    /// Appended after the parent's macro paths (later entries win).
    #[serde(default)]
    pub macro_paths: Vec<MacroPathFile>,
    /// Replaces the parent's policies when given.
    #[serde(default)]
    pub policies: Option<Vec<PolicyFile>>,
    /// Appended to the (inherited) policies.
    #[serde(default)]
    pub add_policies: Vec<PolicyFile>,
    /// Names (`name:`) of inherited policies to drop.
    #[serde(default)]
    pub remove_policies: Vec<String>,
}

/// Which macro driver a path sets.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum Indicator {
    /// Real GDP growth, percent per year.
    RealGdpGrowth,
    /// Natural population growth, per mille per year.
    NaturalGrowth,
}

/// `(region: "sichuan", indicator: RealGdpGrowth, from_year: 2021, to_year: 2030, value: 6.0)`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MacroPathFile {
    pub region: String,
    pub indicator: Indicator,
    pub from_year: i32,
    pub to_year: i32,
    pub value: f64,
}

/// A dated policy lever as written. Units are ids or groups (`@chongqing_core`, `@all`, ...).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub enum PolicyFile {
    /// Travel time between every unit of `from` and every unit of `to` (both directions).
    TravelTime {
        #[serde(default)]
        name: Option<String>,
        year: i32,
        from: Vec<String>,
        to: Vec<String>,
        #[serde(default)]
        hours: Option<f64>,
        #[serde(default)]
        factor: Option<f64>,
    },
    /// Travel times between every pair of units along a corridor multiplied by `factor`.
    Corridor {
        #[serde(default)]
        name: Option<String>,
        year: i32,
        units: Vec<String>,
        factor: f64,
    },
    /// Hukou wedge of the listed units (all units when `units` is absent): set or change.
    HukouWedge {
        #[serde(default)]
        name: Option<String>,
        year: i32,
        #[serde(default)]
        units: Option<Vec<String>>,
        #[serde(default)]
        value: Option<f64>,
        #[serde(default)]
        change: Option<f64>,
    },
    /// Extra growth of income per head, percentage points per year, over [from_year, to_year].
    ProductivityShift {
        #[serde(default)]
        name: Option<String>,
        units: Vec<String>,
        percentage_points: f64,
        from_year: i32,
        to_year: i32,
    },
    /// Amenity change Δa (utility units) from `from_year` (to `to_year` if given).
    AmenityShift {
        #[serde(default)]
        name: Option<String>,
        units: Vec<String>,
        delta: f64,
        from_year: i32,
        #[serde(default)]
        to_year: Option<i32>,
    },
    /// Urban construction land cap of one unit, km² (becomes an urban population cap).
    LandCap {
        #[serde(default)]
        name: Option<String>,
        year: i32,
        unit: String,
        km2: f64,
    },
    /// Sichuan–Chongqing border penalty: set or change.
    BorderPenalty {
        #[serde(default)]
        name: Option<String>,
        year: i32,
        #[serde(default)]
        value: Option<f64>,
        #[serde(default)]
        change: Option<f64>,
    },
}

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
            end_year: 2030,
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

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// Path of the offending field, e.g. `policies[2].units[0]`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: ", self.file)?,
            (line, 0) => write!(f, "{}:{line}: ", self.file)?,
            (line, column) => write!(f, "{}:{line}:{column}: ", self.file)?,
        }
        if !self.field.is_empty() {
            write!(f, "`{}`: ", self.field)?;
        }
        write!(f, "{}", self.message)
    }
}

/// How many problems of a file are printed; the rest are counted.
pub const MAX_SHOWN: usize = 50;

/// How many items a message lists before it says how many more there are.
pub const MAX_LISTED: usize = 20;

/// `a, b, c` — at most [`MAX_LISTED`] of them, then `… and 1,234 more`; `none` if empty.
pub fn capped_list(items: &[&str]) -> String {
    if items.is_empty() {
        return "none".to_string();
    }
    let mut text = items[..items.len().min(MAX_LISTED)].join(", ");
    if items.len() > MAX_LISTED {
        text.push_str(&format!(
            " … and {} more",
            thousands(items.len() - MAX_LISTED)
        ));
    }
    text
}

/// `1999071` → `1,999,071`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut text = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

/// The `name:` a lever was given, if any.
fn explicit_name(policy: &PolicyFile) -> Option<&str> {
    match policy {
        PolicyFile::TravelTime { name, .. }
        | PolicyFile::Corridor { name, .. }
        | PolicyFile::HukouWedge { name, .. }
        | PolicyFile::ProductivityShift { name, .. }
        | PolicyFile::AmenityShift { name, .. }
        | PolicyFile::LandCap { name, .. }
        | PolicyFile::BorderPenalty { name, .. } => name.as_deref(),
    }
}

/// Every problem found in a scenario (and, if it names one, its data directory).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ScenarioErrors(pub Vec<Problem>);

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "{n} problem{} found:", if n == 1 { "" } else { "s" })?;
        for problem in self.0.iter().take(MAX_SHOWN) {
            write!(f, "\n  {problem}")?;
        }
        if n > MAX_SHOWN {
            write!(
                f,
                "\n  … and {} more problems (fix these first, then run again)",
                thousands(n - MAX_SHOWN)
            )?;
        }
        Ok(())
    }
}

/// One parsed file of an `extends` chain.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub display: String,
    pub text: String,
    /// Folder of the file: relative paths in it (`extends`, `data`) start here.
    pub dir: PathBuf,
    /// The file as parsed without its unknown fields, if it has any.
    pub raw: ScenarioFile,
    /// One problem per unknown field: reported with the semantic checks, in one pass.
    pub unknown_fields: Vec<Problem>,
}

/// The longest `extends` chain accepted.
const MAX_CHAIN: usize = 16;

fn problem_at(src: &SourceFile, key: &str, field: &str, message: String) -> Problem {
    let index = locate::Index::new(&src.text);
    let at = index.key(0, key).unwrap_or(0);
    let (line, column) = index.line_column(at);
    Problem {
        file: src.display.clone(),
        line,
        column,
        field: field.to_string(),
        message,
    }
}

/// Reads and parses a scenario and its parents, root first.
pub fn read_chain(path: &Path) -> Result<Vec<SourceFile>, ScenarioErrors> {
    let mut chain: Vec<SourceFile> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut next = path.to_path_buf();
    loop {
        let display = next.display().to_string();
        let child = chain.last();
        let text = match read_text(&next, MAX_SCENARIO_BYTES) {
            Ok(text) => text,
            Err(err @ ReadError::NotUtf8 { .. }) => {
                let (line, column) = err.position();
                return Err(ScenarioErrors(vec![Problem {
                    file: display,
                    line,
                    column,
                    field: String::new(),
                    message: err.to_string(),
                }]));
            }
            Err(err) => {
                let problem = match child {
                    Some(child) => problem_at(child, "extends", "extends", format!("cannot read the parent scenario {display}: {err}; `extends` is relative to the file that names it")),
                    None => Problem {
                        file: display,
                        line: 0,
                        column: 0,
                        field: String::new(),
                        message: format!("cannot read the scenario file: {err}{}; check the path (scenarios live in scenarios/, e.g. scenarios/baseline.ron)", near_file_name(&next)),
                    },
                };
                return Err(ScenarioErrors(vec![problem]));
            }
        };
        let canonical = std::fs::canonicalize(&next).unwrap_or_else(|_| next.clone());
        if let Some(child) = child {
            if seen.contains(&canonical) {
                let mut names: Vec<String> = chain.iter().map(|f| f.display.clone()).collect();
                names.push(display);
                return Err(ScenarioErrors(vec![problem_at(
                    child,
                    "extends",
                    "extends",
                    format!(
                        "`extends` forms a cycle: {}; a scenario cannot inherit from itself",
                        names.join(" → ")
                    ),
                )]));
            }
            if chain.len() >= MAX_CHAIN {
                return Err(ScenarioErrors(vec![problem_at(
                    child,
                    "extends",
                    "extends",
                    format!("`extends` chain longer than {MAX_CHAIN} files"),
                )]));
            }
        }
        seen.push(canonical);
        let (raw, unknown_fields) = parse_with_unknown_fields::<ScenarioFile>(&display, &text)?;
        let dir = next.parent().map(Path::to_path_buf).unwrap_or_default();
        let parent = raw.extends.clone();
        chain.push(SourceFile {
            display,
            text,
            dir: dir.clone(),
            raw,
            unknown_fields,
        });
        match parent {
            Some(parent) => next = dir.join(parent),
            None => break,
        }
    }
    chain.reverse();
    Ok(chain)
}

/// " (did you mean `scenarios/baseline.ron`?)" when a file of that folder is close to the
/// missing path's name; empty otherwise.
fn near_file_name(missing: &Path) -> String {
    let (Some(name), Some(dir)) = (
        missing.file_name().and_then(|n| n.to_str()),
        missing.parent(),
    ) else {
        return String::new();
    };
    let folder = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(folder) else {
        return String::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".ron"))
        .collect();
    names.sort();
    let hint = data::suggestion(name, names.iter().map(String::as_str));
    match hint
        .strip_prefix(" (did you mean `")
        .and_then(|h| h.strip_suffix("`?)"))
    {
        Some(found) => format!(" (did you mean `{}`?)", dir.join(found).display()),
        None => String::new(),
    }
}

/// The data a chain asks for: the `data:` of the file nearest the leaf that sets it.
fn dataset_for(chain: &[SourceFile]) -> Result<(Dataset, Option<PathBuf>), ScenarioErrors> {
    let Some(src) = chain.iter().rev().find(|f| f.raw.data.is_some()) else {
        return Ok((Dataset::embedded(), None));
    };
    let dir = src.dir.join(src.raw.data.as_deref().unwrap_or_default());
    if dir.exists() && !dir.is_dir() {
        return Err(ScenarioErrors(vec![problem_at(src, "data", "data", format!("{} is a file, but `data:` names a folder (relative to the scenario file) holding the same CSV files as data/; give that folder, or remove `data:` to use the built-in data", dir.display()))]));
    }
    if !dir.is_dir() {
        return Err(ScenarioErrors(vec![problem_at(src, "data", "data", format!("data directory {} does not exist; give a folder (relative to the scenario file) holding the same CSV files as data/, or remove `data:` to use the built-in data", dir.display()))]));
    }
    let dataset = Dataset::from_dir(&dir).map_err(|errors| {
        ScenarioErrors(
            errors
                .0
                .into_iter()
                .map(|p| Problem {
                    file: p.file,
                    line: p.line as usize,
                    column: 0,
                    field: p.column,
                    message: p.message,
                })
                .collect(),
        )
    })?;
    Ok((dataset, Some(dir)))
}

/// Reads, parses and validates a scenario file (and its parents), and loads its data.
pub fn load(path: &Path) -> Result<(Scenario, Dataset), ScenarioErrors> {
    let chain = read_chain(path)?;
    let (dataset, data_dir) = dataset_for(&chain)?;
    let mut scenario = validate_chain(&chain, &dataset)?;
    scenario.source = Some(path.to_path_buf());
    scenario.data_dir = data_dir;
    Ok((scenario, dataset))
}

/// RON syntax and schema. Implicit `Some` lets users write `hours: 0.8` for optional fields.
pub fn parse(file: &str, text: &str) -> Result<ScenarioFile, ScenarioErrors> {
    parse_reporting_every_unknown_field(file, text)
}

/// Parses `text` as `T` and reports every unknown field, not only the first (see
/// [`parse_with_unknown_fields`]); any unknown field is an error.
pub fn parse_reporting_every_unknown_field<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<T, ScenarioErrors> {
    match parse_with_unknown_fields(file, text)? {
        (value, unknown) if unknown.is_empty() => Ok(value),
        (_, unknown) => Err(ScenarioErrors(unknown)),
    }
}

/// Parses `text` as `T`, collecting every unknown field: ron stops at the first one, so each
/// unknown `key: value` entry is blanked out (with spaces, keeping every line and column of the
/// rest) and the text parsed again. Returns the value of the text without those entries and a
/// problem for each, so that the semantic checks can still run and report in the same pass;
/// fails with every problem so far when another kind of problem stops the parse. At most
/// [`MAX_SHOWN`] rounds.
pub fn parse_with_unknown_fields<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<(T, Vec<Problem>), ScenarioErrors> {
    let options =
        ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    use ron::error::Error;
    /// An unknown entry blanked out: where it was, what it said, the field it may mean.
    struct Blanked {
        start: usize,
        key_end: usize,
        original: String,
        meant: Option<&'static str>,
        read_as_meant: bool,
    }
    let mut unknown = Vec::new();
    let mut blanked: Vec<Blanked> = Vec::new();
    // The text before the last "read as the meant field" repair, to undo it if it misfires.
    let mut before_rename: Option<(String, usize)> = None;
    let mut repaired = text.to_string();
    loop {
        let err = match options.from_str::<T>(&repaired) {
            Ok(value) => return Ok((value, unknown)),
            Err(err) => err,
        };
        let problem = syntax_problem(file, &repaired, &err);
        match &err.code {
            Error::NoSuchStructField {
                expected, found, ..
            } if unknown.len() < MAX_SHOWN => {
                if let Some((start, key_end, end)) =
                    locate::entry_span(&repaired, problem.line, problem.column)
                {
                    blanked.push(Blanked {
                        start,
                        key_end,
                        original: repaired[start..end].to_string(),
                        meant: data::nearest(found, expected.iter().copied()),
                        read_as_meant: false,
                    });
                    repaired = locate::blank(&repaired, start, end);
                    unknown.push(problem);
                    continue;
                }
            }
            // A required field is missing because its misspelt entry was blanked (`yeer:` for
            // `year:`): read that entry as the field meant, so that the rest of the file is
            // still checked in this pass. The key is padded to its old width (never widened),
            // keeping every position of the text.
            Error::MissingStructField { field, .. } => {
                if let Some(b) = blanked.iter_mut().rev().find(|b| {
                    !b.read_as_meant
                        && b.meant == Some(*field)
                        && field.len() <= b.key_end - b.start
                }) {
                    let width = b.key_end - b.start;
                    let entry = format!("{field:<width$}{}", &b.original[width..]);
                    before_rename = Some((repaired.clone(), unknown.len()));
                    repaired.replace_range(b.start..b.start + b.original.len(), &entry);
                    b.read_as_meant = true;
                    continue;
                }
            }
            // The repair misfired (the entry belonged to a struct that had the field): undo it
            // and report what ron first said.
            Error::DuplicateStructField { .. } => {
                if let Some((text_before, count)) = before_rename.take() {
                    let again = options
                        .from_str::<T>(&text_before)
                        .err()
                        .map(|err| syntax_problem(file, &text_before, &err));
                    unknown.truncate(count);
                    unknown.extend(again);
                    return Err(ScenarioErrors(unknown));
                }
            }
            _ => {}
        }
        unknown.push(problem);
        return Err(ScenarioErrors(unknown));
    }
}

/// A RON syntax or schema error as a problem at its place (scenario and sweep files).
pub fn syntax_problem(file: &str, text: &str, err: &ron::error::SpannedError) -> Problem {
    use ron::error::Error;
    let (line, mut column) = (err.position.line, err.position.col);
    // ron points just past an unknown name; point at the name itself.
    if let Error::NoSuchStructField { found, .. } | Error::NoSuchEnumVariant { found, .. } =
        &err.code
    {
        let width = found.chars().count();
        let source_line: Vec<char> = text
            .lines()
            .nth(line.saturating_sub(1))
            .unwrap_or("")
            .chars()
            .collect();
        if column > width {
            let start = column - 1 - width;
            if source_line
                .get(start..column - 1)
                .is_some_and(|s| s.iter().collect::<String>() == *found)
            {
                column = start + 1;
            }
        }
    }
    let message = match &err.code {
        Error::NoSuchStructField {
            expected,
            found,
            outer,
        } => {
            let in_what = user_facing(outer.as_deref());
            format!(
                "unknown field `{found}` in {in_what}{}; allowed fields: {}",
                data::suggestion(found, expected.iter().copied()),
                expected.join(", ")
            )
        }
        Error::NoSuchEnumVariant {
            expected,
            found,
            outer,
        } => format!(
            "unknown {} `{found}`{}; use one of: {}",
            if outer.as_deref() == Some("PolicyFile") {
                "policy type"
            } else {
                "variant"
            },
            data::suggestion(found, expected.iter().copied()),
            expected.join(", ")
        ),
        Error::MissingStructField { field, outer } => format!(
            "missing field `{field}` in {}; add `{field}: ...`",
            user_facing(outer.as_deref())
        ),
        Error::DuplicateStructField { field, .. } => {
            format!("field `{field}` is given twice; keep one")
        }
        other if negative_where_unsigned(text, line, column).is_some() => {
            let (key, value) = negative_where_unsigned(text, line, column).unwrap_or_default();
            format!("`{key}` must be a whole number ≥ 0 (at most 18446744073709551615), got `{value}`; drop the minus sign ({other})")
        }
        other => {
            let near = locate::snippet(text, line, column);
            let other = other.to_string().replace("`ScenarioFile`", "the scenario");
            if near.is_empty() {
                format!("RON syntax error: {other}; see scenarios/baseline.ron for the format")
            } else {
                format!("RON syntax error: {other} (near `{near}`); see scenarios/baseline.ron for the format")
            }
        }
    };
    Problem {
        file: file.to_string(),
        line,
        column,
        field: String::new(),
        message,
    }
}

/// `(key, value)` when the syntax error at `line:column` is a negative number given to a field
/// that takes only whole numbers ≥ 0 (a seed, a count).
fn negative_where_unsigned(text: &str, line: usize, column: usize) -> Option<(String, String)> {
    let source_line = text.lines().nth(line.checked_sub(1)?)?;
    let chars: Vec<char> = source_line.chars().collect();
    let at = column.checked_sub(1)?;
    if chars.get(at) != Some(&'-') || !chars.get(at + 1)?.is_ascii_digit() {
        return None;
    }
    let value: String = chars[at..]
        .iter()
        .take_while(|c| *c == &'-' || c.is_ascii_alphanumeric() || *c == &'.')
        .collect();
    let before: String = chars[..at].iter().collect();
    let before = before.trim_end().strip_suffix(':')?.trim_end();
    let key: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    (!key.is_empty()).then_some((key, value))
}

/// Names of our serde types as a user would call them.
fn user_facing(type_name: Option<&str>) -> String {
    match type_name {
        None | Some("ScenarioFile") => "the scenario".to_string(),
        Some("ParametersFile") => "`parameters`".to_string(),
        Some("MacroPathFile") => "a macro path".to_string(),
        Some("SweepFile") => "the sweep".to_string(),
        Some("ParameterFile") => "a sweep parameter".to_string(),
        Some("OutputFile") => "an output".to_string(),
        Some("Method") => "the method".to_string(),
        Some("DistributionFile") => "a distribution".to_string(),
        Some("LeverFile") => "a sweep lever".to_string(),
        // Fields of enum variants come with the variant's name: sweep outputs, methods and
        // distributions share the mechanism with the scenario's policies.
        Some(
            output @ ("Population" | "Gdp" | "GdpPerHead" | "UrbanPopulation" | "NetMigration"
            | "TargetMet"),
        ) => format!("output `{output}`"),
        Some(method @ ("Morris" | "Sobol" | "MonteCarlo" | "OneAtATime")) => {
            format!("method `{method}`")
        }
        Some(distribution @ ("Uniform" | "LogUniform" | "Normal" | "Triangular" | "Discrete")) => {
            format!("distribution `{distribution}`")
        }
        Some(policy) => format!("policy `{policy}`"),
    }
}

/// Collects problems with positions found in the source text.
struct Collector<'a> {
    file: &'a str,
    index: &'a locate::Index<'a>,
    problems: Vec<Problem>,
}

impl Collector<'_> {
    /// A problem at `offset` (a byte offset into the source).
    fn at(&mut self, offset: usize, field: impl Into<String>, message: impl Into<String>) {
        let (line, column) = self.index.line_column(offset);
        self.problems.push(Problem {
            file: self.file.to_string(),
            line,
            column,
            field: field.into(),
            message: message.into(),
        });
    }
}

/// Semantic checks of a single file (no `extends`): see [`validate_chain`].
pub fn validate(
    file: &str,
    text: &str,
    scenario: ScenarioFile,
    dataset: &Dataset,
) -> Result<Scenario, ScenarioErrors> {
    let chain = [SourceFile {
        display: file.to_string(),
        text: text.to_string(),
        dir: PathBuf::new(),
        raw: scenario,
        unknown_fields: Vec::new(),
    }];
    validate_chain(&chain, dataset)
}

fn collector<'a>(src: &'a SourceFile, index: &'a locate::Index<'a>) -> Collector<'a> {
    Collector {
        file: src.display.as_str(),
        index,
        problems: Vec::new(),
    }
}

/// The value of the file nearest the leaf that sets it, with that file's index.
fn nearest<T>(
    chain: &[SourceFile],
    get: impl Fn(&ScenarioFile) -> Option<T>,
) -> Option<(T, usize)> {
    chain
        .iter()
        .enumerate()
        .rev()
        .find_map(|(index, src)| get(&src.raw).map(|value| (value, index)))
}

/// Semantic checks of an `extends` chain (root first): years, ranges, unit ids, parameter bounds
/// and stability, inheritance of policies. Every problem, each in the file where it was written.
pub fn validate_chain(chain: &[SourceFile], dataset: &Dataset) -> Result<Scenario, ScenarioErrors> {
    let leaf = chain
        .last()
        .expect("a chain holds at least the scenario itself");
    // Unknown fields are reported with the semantic problems, in one report in file order.
    let unknown_fields: Vec<Problem> = chain
        .iter()
        .flat_map(|src| src.unknown_fields.iter().cloned())
        .collect();
    let in_file_order = |mut problems: Vec<Problem>| {
        problems.extend(unknown_fields.iter().cloned());
        problems.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        ScenarioErrors(problems)
    };
    let mut problems: Vec<Problem> = Vec::new();

    let indexes: Vec<locate::Index<'_>> = chain
        .iter()
        .map(|src| locate::Index::new(&src.text))
        .collect();
    let index_of = |src: &SourceFile| {
        let position = chain
            .iter()
            .position(|s| std::ptr::eq(s, src))
            .expect("a file of the chain");
        &indexes[position]
    };
    let top = |src: &SourceFile, key: &str| index_of(src).key(0, key).unwrap_or(0);

    let name = leaf.raw.name.trim().to_string();
    if let Err(rule) = check_name(&name) {
        let mut out = collector(leaf, index_of(leaf));
        out.at(
            top(leaf, "name"),
            "name",
            format!("{rule}: the name names the results folder, so use 1 to {MAX_NAME_CHARS} ASCII letters, digits, `_`, `-` or `.`, not starting with `.` (e.g. \"baseline\")"),
        );
        problems.append(&mut out.problems);
    }
    for src in chain {
        let levers = src.raw.policies.as_ref().map_or(0, Vec::len)
            + src.raw.add_policies.len()
            + src.raw.remove_policies.len();
        if levers > MAX_LEVERS {
            let mut out = collector(src, index_of(src));
            out.at(
                top(src, "policies"),
                "policies",
                format!("{levers} levers (policies, add_policies and remove_policies together) are more than the limit of {MAX_LEVERS} per file; split them over files that `extends` each other"),
            );
            problems.append(&mut out.problems);
        }
    }
    if !problems.is_empty() {
        return Err(in_file_order(problems));
    }

    let start = nearest(chain, |f| f.start_year);
    let end = nearest(chain, |f| f.end_year);
    let start_year = start.map_or(BASE_YEAR, |(year, _)| year);
    let end_year = end.map_or(2030, |(year, _)| year);
    if !START_YEARS.contains(&start_year) {
        let src = &chain[start.map_or(chain.len() - 1, |(_, i)| i)];
        let mut out = collector(src, index_of(src));
        out.at(
            top(src, "start_year"),
            "start_year",
            format!("start year {start_year} has no base data: use {BASE_YEAR} (the base year) or {CENSUS_YEAR} (a hindcast from the 2010 census)"),
        );
        problems.append(&mut out.problems);
    }
    if end_year <= start_year || end_year > LAST_YEAR {
        let src = &chain[end.map_or(chain.len() - 1, |(_, i)| i)];
        let mut out = collector(src, index_of(src));
        out.at(
            top(src, "end_year"),
            "end_year",
            format!("end year {end_year} must be after the start year {start_year} and at most {LAST_YEAR}"),
        );
        problems.append(&mut out.problems);
    }
    let in_horizon = |year: i32| (start_year..=end_year).contains(&year);

    // Parameters: merged over the chain (nearest file wins), then bounds and stability at once.
    let mut given: BTreeMap<&'static str, (f64, usize)> = BTreeMap::new();
    for (index, src) in chain.iter().enumerate() {
        for (name, value) in src.raw.parameters.given() {
            given.insert(name, (value, index));
        }
    }
    let params = match Params::from_values(given.iter().map(|(name, (value, _))| (*name, *value))) {
        Ok(params) => params,
        Err(errors) => {
            for error in errors {
                let (file_index, key, field) = match &error {
                    ParamError::NotFinite { name, .. } | ParamError::OutOfBounds { name, .. } => (
                        given.get(name).map_or(chain.len() - 1, |(_, i)| *i),
                        Some(*name),
                        format!("parameters.{name}"),
                    ),
                    ParamError::Unknown { name, .. } => {
                        (chain.len() - 1, None, format!("parameters.{name}"))
                    }
                    ParamError::Unstable { .. } => (
                        nearest(chain, |f| (!f.parameters.given().is_empty()).then_some(()))
                            .map_or(chain.len() - 1, |(_, i)| i),
                        None,
                        "parameters".to_string(),
                    ),
                };
                let src = &chain[file_index];
                let params_at = top(src, "parameters");
                let offset = key
                    .and_then(|key| index_of(src).key(params_at, key))
                    .unwrap_or(params_at);
                let mut out = collector(src, index_of(src));
                out.at(offset, field, error.to_string());
                problems.append(&mut out.problems);
            }
            Params::default()
        }
    };

    let mut macro_paths = Vec::new();
    let mut policies: Vec<NamedPolicy> = Vec::new();
    // Explicit lever names in `policies`, and where each was first given.
    let mut names: HashMap<String, String> = HashMap::new();
    for src in chain {
        let mut out = collector(src, index_of(src));
        // Macro paths: appended.
        let mut cursor = top(src, "macro_paths");
        for (index, path) in src.raw.macro_paths.iter().enumerate() {
            let at = index_of(src).key(cursor, "region").unwrap_or(cursor);
            cursor = at + 1;
            let field = format!("macro_paths[{index}]");
            if !["sichuan", "chongqing", "china"].contains(&path.region.as_str()) {
                out.at(
                    at,
                    format!("{field}.region"),
                    format!(
                        "unknown region `{}`{}; use sichuan, chongqing or china",
                        path.region,
                        data::suggestion(
                            &path.region,
                            ["sichuan", "chongqing", "china"].into_iter()
                        )
                    ),
                );
            }
            if path.from_year > path.to_year
                || !in_horizon(path.from_year)
                || !in_horizon(path.to_year)
            {
                out.at(at, format!("{field}.from_year"), format!("years {}–{} must be an ordered range inside the horizon {start_year}–{end_year}", path.from_year, path.to_year));
            }
            let (lo, hi, unit) = match path.indicator {
                Indicator::RealGdpGrowth => (-20.0, 30.0, "percent"),
                Indicator::NaturalGrowth => (-30.0, 30.0, "per mille"),
            };
            if !path.value.is_finite() || path.value < lo || path.value > hi {
                out.at(
                    at,
                    format!("{field}.value"),
                    format!("value {} is outside [{lo}, {hi}] {unit}", path.value),
                );
            }
            macro_paths.push(MacroPath {
                region: path.region.clone(),
                indicator: path.indicator,
                from_year: path.from_year,
                to_year: path.to_year,
                value: path.value,
            });
        }

        // Policies: `policies` replaces, `remove_policies` drops by name, `add_policies` appends.
        let check_list = |out: &mut Collector<'_>,
                          names: &mut HashMap<String, String>,
                          key: &str,
                          list: &[PolicyFile],
                          first_index: usize| {
            let mut checked = Vec::new();
            let mut cursor = top(src, key);
            for (index, policy) in list.iter().enumerate() {
                let at = index_of(src).next_variant(cursor).unwrap_or(cursor);
                cursor = at + 1;
                let field = format!("{key}[{index}]");
                if let Some(name) = explicit_name(policy) {
                    if let Some(first) = names.get(name) {
                        let quoted = format!("\"{}\"", name.escape_debug());
                        let offset = index_of(src).string(at, &quoted).unwrap_or(at);
                        out.at(offset, format!("{field}.name"), format!("the name `{name}` is already used by {first}; levers are removed and reported by name, so each name must be unique: rename one (or `remove_policies` the inherited one first)"));
                    } else {
                        names.insert(name.to_string(), format!("`{field}` in {}", src.display));
                    }
                }
                let mut checker = PolicyChecker {
                    out,
                    dataset,
                    index: index_of(src),
                    at,
                    field: &field,
                    start_year,
                    end_year,
                };
                if let Some(named) = checker.check(policy.clone(), first_index + index) {
                    checked.push(named);
                }
            }
            checked
        };
        if let Some(list) = &src.raw.policies {
            names.clear();
            policies = check_list(&mut out, &mut names, "policies", list, 0);
        }
        // Linear in the lists' lengths: names are unique, so a set says what to drop.
        let labels: HashSet<&str> = policies.iter().map(|p| p.label.as_str()).collect();
        let mut missing = 0;
        let at = top(src, "remove_policies");
        for name in &src.raw.remove_policies {
            if labels.contains(name.as_str()) {
                continue;
            }
            missing += 1;
            if missing > MAX_LISTED {
                continue;
            }
            let known: Vec<&str> = policies.iter().map(|p| p.label.as_str()).collect();
            let quoted = format!("\"{}\"", name.escape_debug());
            let offset = index_of(src).string(at, &quoted).unwrap_or(at);
            out.at(
                offset,
                "remove_policies",
                format!(
                    "no inherited policy is named `{name}`{}; inherited policies: {}",
                    data::suggestion(name, known.iter().copied()),
                    capped_list(&known)
                ),
            );
        }
        if missing > MAX_LISTED {
            out.at(
                at,
                "remove_policies",
                format!(
                    "… and {} more names that no inherited policy has",
                    thousands(missing - MAX_LISTED)
                ),
            );
        }
        let removed: HashSet<&str> = src.raw.remove_policies.iter().map(String::as_str).collect();
        if !removed.is_empty() {
            policies.retain(|p| !removed.contains(p.label.as_str()));
            names.retain(|name, _| !removed.contains(name.as_str()));
        }
        let first = policies.len();
        let added = check_list(
            &mut out,
            &mut names,
            "add_policies",
            &src.raw.add_policies,
            first,
        );
        policies.extend(added);
        problems.append(&mut out.problems);
    }

    if !problems.is_empty() || !unknown_fields.is_empty() {
        // File order reads best: the parameter checks run in schema order, not line order.
        return Err(in_file_order(problems));
    }
    let sources: Vec<(String, String)> = chain
        .iter()
        .map(|src| (src.display.clone(), data::sha256_hex(src.text.as_bytes())))
        .collect();
    let joined: String = sources.iter().map(|(_, hash)| hash.as_str()).collect();
    Ok(Scenario {
        name,
        description: nearest(chain, |f| f.description.clone()).map_or_else(String::new, |(d, _)| d),
        start_year,
        end_year,
        seed: nearest(chain, |f| f.seed).map_or(DEFAULT_SEED, |(seed, _)| seed),
        params,
        macro_paths,
        policies,
        source: None,
        source_hash: if sources.len() == 1 {
            sources[0].1.clone()
        } else {
            data::sha256_hex(joined.as_bytes())
        },
        sources,
        data_dir: nearest(chain, |f| f.data.clone()).map(|(dir, i)| chain[i].dir.join(dir)),
    })
}

struct PolicyChecker<'a, 'b> {
    out: &'a mut Collector<'b>,
    dataset: &'a Dataset,
    index: &'a locate::Index<'a>,
    /// Byte offset where this policy starts.
    at: usize,
    field: &'a str,
    start_year: i32,
    end_year: i32,
}

impl PolicyChecker<'_, '_> {
    fn place(&self, key: &str) -> usize {
        self.index.key(self.at, key).unwrap_or(self.at)
    }

    fn problem(&mut self, key: &str, message: String) {
        let offset = self.place(key);
        let field = format!("{}.{key}", self.field);
        self.out.at(offset, field, message);
    }

    /// A problem with the policy as a whole, placed at the first of `keys` present (else at the
    /// policy's start).
    fn whole(&mut self, keys: &[&str], message: String) {
        let offset = keys
            .iter()
            .filter_map(|key| self.index.key(self.at, key))
            .filter(|&offset| self.within_policy(offset))
            .min()
            .unwrap_or(self.at);
        let field = self.field.to_string();
        self.out.at(offset, field, message);
    }

    /// Whether `offset` lies before the next policy starts.
    fn within_policy(&self, offset: usize) -> bool {
        self.index
            .next_variant(self.at + 1)
            .is_none_or(|next| offset < next)
    }

    /// Levers act on projected years only: the start year is the observed base state, and the
    /// calibration reproduces its flows.
    fn year(&mut self, key: &str, year: i32) {
        let first = self.start_year + 1;
        if !(first..=self.end_year).contains(&year) {
            self.problem(key, format!("year {year} is outside the projected years {first}–{} (the start year {} is the observed base); move it inside or change start_year/end_year", self.end_year, self.start_year));
        }
    }

    fn units(&mut self, key: &str, tokens: &[String]) -> Vec<usize> {
        if tokens.is_empty() {
            self.problem(key, "the list of units is empty; name at least one unit id or group (e.g. \"chengdu\", \"@chongqing_core\")".into());
        }
        let mut found = Vec::new();
        for (position, token) in tokens.iter().enumerate() {
            match self.dataset.resolve_units(token) {
                Ok(indices) => {
                    for index in indices {
                        if !found.contains(&index) {
                            found.push(index);
                        }
                    }
                }
                Err(message) => {
                    let quoted = format!("\"{token}\"");
                    let offset = self
                        .index
                        .string(self.place(key), &quoted)
                        .unwrap_or_else(|| self.place(key));
                    let field = format!("{}.{key}[{position}]", self.field);
                    self.out.at(offset, field, message);
                }
            }
        }
        found
    }

    fn range(&mut self, key: &str, value: f64, lo: f64, hi: f64, what: &str) {
        if !value.is_finite() || value < lo || value > hi {
            self.problem(key, format!("{value} is outside [{lo}, {hi}] ({what})"));
        }
    }

    fn adjust(
        &mut self,
        value: Option<f64>,
        change: Option<f64>,
        lo: f64,
        hi: f64,
        what: &str,
    ) -> Adjust {
        match (value, change) {
            (Some(value), None) => {
                self.range("value", value, lo, hi, what);
                Adjust::Set(value)
            }
            (None, Some(change)) => {
                self.range("change", change, -(hi - lo), hi - lo, what);
                Adjust::Change(change)
            }
            _ => {
                self.whole(
                    &["value", "change"],
                    "give exactly one of `value:` (set) or `change:` (add)".into(),
                );
                Adjust::Change(0.0)
            }
        }
    }

    fn check(&mut self, policy: PolicyFile, index: usize) -> Option<NamedPolicy> {
        let before = self.out.problems.len();
        let (name, kind, policy) = match policy {
            PolicyFile::TravelTime {
                name,
                year,
                from,
                to,
                hours,
                factor,
            } => {
                self.year("year", year);
                let from = self.units("from", &from);
                let to = self.units("to", &to);
                let time = match (hours, factor) {
                    (Some(hours), None) => {
                        self.range("hours", hours, 0.05, 48.0, "door-to-door hours");
                        TimeChange::Hours(hours)
                    }
                    (None, Some(factor)) => {
                        self.range("factor", factor, 0.05, 10.0, "multiplier of travel time");
                        TimeChange::Factor(factor)
                    }
                    _ => {
                        self.whole(
                            &["hours", "factor"],
                            "give exactly one of `hours:` (new door-to-door time) or `factor:` (multiplier)".into(),
                        );
                        TimeChange::Factor(1.0)
                    }
                };
                (
                    name,
                    "TravelTime",
                    Policy::TravelTime {
                        year,
                        from,
                        to,
                        time,
                    },
                )
            }
            PolicyFile::Corridor {
                name,
                year,
                units,
                factor,
            } => {
                self.year("year", year);
                let units = self.units("units", &units);
                self.range("factor", factor, 0.05, 10.0, "multiplier of travel time");
                if units.len() < 2 {
                    self.problem("units", "a corridor needs at least two units".into());
                }
                let time = TimeChange::Factor(factor);
                (
                    name,
                    "Corridor",
                    Policy::TravelTime {
                        year,
                        from: units.clone(),
                        to: units,
                        time,
                    },
                )
            }
            PolicyFile::HukouWedge {
                name,
                year,
                units,
                value,
                change,
            } => {
                self.year("year", year);
                let units = match units {
                    Some(tokens) => self.units("units", &tokens),
                    None => (0..self.dataset.units.len()).collect(),
                };
                let adjust = self.adjust(
                    value,
                    change,
                    0.0,
                    0.95,
                    "share of income lost by non-locals",
                );
                (
                    name,
                    "HukouWedge",
                    Policy::HukouWedge {
                        year,
                        units,
                        adjust,
                    },
                )
            }
            PolicyFile::ProductivityShift {
                name,
                units,
                percentage_points,
                from_year,
                to_year,
            } => {
                self.year("from_year", from_year);
                self.year("to_year", to_year);
                if from_year > to_year {
                    self.problem(
                        "to_year",
                        format!("to_year {to_year} is before from_year {from_year}"),
                    );
                }
                let units = self.units("units", &units);
                self.range(
                    "percentage_points",
                    percentage_points,
                    -20.0,
                    20.0,
                    "percentage points of growth per year",
                );
                (
                    name,
                    "ProductivityShift",
                    Policy::ProductivityShift {
                        units,
                        growth: percentage_points / 100.0,
                        from_year,
                        to_year,
                    },
                )
            }
            PolicyFile::AmenityShift {
                name,
                units,
                delta,
                from_year,
                to_year,
            } => {
                self.year("from_year", from_year);
                let to_year = to_year.unwrap_or(self.end_year);
                self.year("to_year", to_year);
                if from_year > to_year {
                    self.problem(
                        "to_year",
                        format!("to_year {to_year} is before from_year {from_year}"),
                    );
                }
                let units = self.units("units", &units);
                self.range("delta", delta, -10.0, 10.0, "utility units");
                (
                    name,
                    "AmenityShift",
                    Policy::AmenityShift {
                        units,
                        delta,
                        from_year,
                        to_year,
                    },
                )
            }
            PolicyFile::LandCap {
                name,
                year,
                unit,
                km2,
            } => {
                self.year("year", year);
                let units = self.units("unit", std::slice::from_ref(&unit));
                if units.len() > 1 {
                    self.problem("unit", format!("`{unit}` names {} units; a land cap applies to one unit (write one LandCap per unit)", units.len()));
                }
                self.range("km2", km2, 0.1, 20000.0, "km² of urban construction land");
                (
                    name,
                    "LandCap",
                    Policy::LandCap {
                        year,
                        unit: units.first().copied().unwrap_or(0),
                        km2,
                    },
                )
            }
            PolicyFile::BorderPenalty {
                name,
                year,
                value,
                change,
            } => {
                self.year("year", year);
                let adjust = self.adjust(value, change, 0.0, 10.0, "utility units");
                (
                    name,
                    "BorderPenalty",
                    Policy::BorderPenalty { year, adjust },
                )
            }
        };
        if self.out.problems.len() > before {
            return None;
        }
        let label = name.unwrap_or_else(|| format!("{kind}#{index}"));
        Some(NamedPolicy::new(label, policy))
    }
}

/// Parameters named in [`ParametersFile`] and the model's table must agree.
pub fn parameter_names_match_model() -> bool {
    ParametersFile::NAMES.len() == SPECS.len()
        && ParametersFile::NAMES
            .iter()
            .zip(SPECS)
            .all(|(name, spec)| *name == spec.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(source: &str) -> Result<Scenario, ScenarioErrors> {
        let data = Dataset::embedded();
        let file = parse("test.ron", source)?;
        validate("test.ron", source, file, &data)
    }

    /// A misspelt required field (`yaer:`) is reported and read as the field it means, so the
    /// rest of the file is still parsed and checked in the same pass.
    #[test]
    fn a_misspelt_required_field_is_read_as_the_field_meant() {
        let source = r#"(
    name: "x",
    descripton: "typo",
    add_policies: [LandCap(name: "cap", yaer: 2021, unit: "wanzhou", km2: 120)],
)"#;
        let (file, unknown) = parse_with_unknown_fields::<ScenarioFile>("t.ron", source).unwrap();
        let messages: Vec<String> = unknown.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages[0].starts_with("t.ron:3:5: unknown field `descripton`"),
            "{messages:?}"
        );
        assert!(
            messages[1].starts_with("t.ron:4:41: unknown field `yaer`"),
            "{messages:?}"
        );
        assert!(messages[1].contains("did you mean `year`?"), "{messages:?}");
        match file.add_policies.as_slice() {
            [PolicyFile::LandCap { year, km2, .. }] => assert_eq!((*year, *km2), (2021, 120.0)),
            other => panic!("{other:?}"),
        }
        // Where the struct already has the field, the misspelling is not read as it: the
        // field missing elsewhere is reported as missing.
        let source = r#"(
    name: "x",
    add_policies: [
        LandCap(name: "a", yaer: 2021, year: 2021, unit: "wanzhou", km2: 120),
        LandCap(name: "b", unit: "wanzhou", km2: 120),
    ],
)"#;
        let errors = parse_with_unknown_fields::<ScenarioFile>("t.ron", source)
            .err()
            .unwrap()
            .0;
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("unknown field `yaer`"), "{messages:?}");
        assert!(messages[1].contains("missing field `year`"), "{messages:?}");
    }

    #[test]
    fn the_parameter_schema_matches_the_model_table() {
        assert!(parameter_names_match_model());
    }

    #[test]
    fn a_minimal_scenario_takes_every_default() {
        let scenario = check(r#"(name: "x")"#).unwrap();
        assert_eq!((scenario.start_year, scenario.end_year), (2014, 2030));
        assert_eq!(scenario.params, Params::default());
        assert_eq!(scenario.seed, DEFAULT_SEED);
    }

    #[test]
    fn integers_are_accepted_for_real_parameters() {
        let scenario = check("(name: \"x\", parameters: (epsilon: 3))").unwrap();
        assert_eq!(scenario.params.epsilon(), 3.0);
    }

    #[test]
    fn unknown_fields_name_the_place_and_the_closest_field() {
        let err = check("(name: \"x\",\n  parameters: (epsilom: 2.0))").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("test.ron:2:"), "{text}");
        assert!(text.contains("unknown field `epsilom`"), "{text}");
        assert!(text.contains("did you mean `epsilon`?"), "{text}");
    }

    #[test]
    fn every_semantic_problem_is_reported_with_its_line() {
        let source = r#"(
    name: "x",
    end_year: 2030,
    parameters: (
        gamma: -0.1,
        rho: 2.0,
    ),
    policies: [
        HukouWedge(year: 2020, units: ["chengduu"], value: 0.1),
        LandCap(year: 2035, unit: "luzhou", km2: 200),
        ProductivityShift(units: ["@regional_centre"], percentage_points: 0.5, from_year: 2025, to_year: 2020),
    ],
)"#;
        let err = check(source).unwrap_err();
        let text = err.to_string();
        assert_eq!(err.0.len(), 5, "{text}");
        assert!(text.contains("test.ron:5:9: `parameters.gamma`"), "{text}");
        assert!(text.contains("test.ron:6:9: `parameters.rho`"), "{text}");
        assert!(text.contains("test.ron:9:40: `policies[0].units[0]`: unknown unit id `chengduu` (did you mean `chengdu`?)"), "{text}");
        assert!(
            text.contains("test.ron:10:17: `policies[1].year`: year 2035 is outside"),
            "{text}"
        );
        assert!(
            text.contains("`policies[2].to_year`: to_year 2020 is before from_year 2025"),
            "{text}"
        );
    }

    #[test]
    fn end_before_start_and_unstable_sets_are_errors() {
        let text = check("(name: \"x\", end_year: 2010)")
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("end year 2010 must be after the start year 2014"),
            "{text}"
        );
        let text =
            check("(name: \"x\", parameters: (lambda: 0.9, epsilon: 4.0, gamma: 0.1, chi: 0.03))")
                .unwrap_err()
                .to_string();
        assert!(text.contains("unstable parameter set"), "{text}");
    }

    #[test]
    fn unknown_policy_types_list_the_known_ones() {
        let text = check("(name: \"x\", policies: [HukouWege(year: 2020, value: 0.1)])")
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("unknown policy type `HukouWege` (did you mean `HukouWedge`?)"),
            "{text}"
        );
    }

    /// Writes files into a temporary folder and loads `leaf`.
    fn load_files(files: &[(&str, &str)], leaf: &str) -> Result<Scenario, ScenarioErrors> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        load(&dir.path().join(leaf)).map(|(scenario, _)| scenario)
    }

    const PARENT: &str = r#"(
        name: "parent",
        end_year: 2028,
        parameters: (epsilon: 3.0, gamma: 0.04),
        policies: [
            HukouWedge(name: "open", year: 2020, value: 0.1),
            LandCap(name: "cap", year: 2020, unit: "luzhou", km2: 200),
        ],
    )"#;

    #[test]
    fn an_extends_only_file_is_its_parent_under_another_name() {
        let parent = load_files(&[("parent.ron", PARENT)], "parent.ron").unwrap();
        let child = load_files(
            &[
                ("parent.ron", PARENT),
                (
                    "sub/child.ron",
                    r#"(name: "child", extends: "../parent.ron")"#,
                ),
            ],
            "sub/child.ron",
        )
        .unwrap();
        assert_eq!(child.name, "child");
        assert_eq!(child.sources.len(), 2);
        let strip = |s: Scenario| Scenario {
            name: String::new(),
            source: None,
            source_hash: String::new(),
            sources: Vec::new(),
            ..s
        };
        assert_eq!(strip(child), strip(parent));
    }

    #[test]
    fn children_override_fields_and_edit_the_policy_list() {
        let child = r#"(
            name: "child",
            extends: "parent.ron",
            parameters: (epsilon: 2.5),
            remove_policies: ["cap"],
            add_policies: [BorderPenalty(name: "border", year: 2022, change: -0.3)],
        )"#;
        let grandchild = r#"(name: "grandchild", extends: "child.ron", end_year: 2030)"#;
        let scenario = load_files(
            &[
                ("parent.ron", PARENT),
                ("child.ron", child),
                ("grandchild.ron", grandchild),
            ],
            "grandchild.ron",
        )
        .unwrap();
        assert_eq!(scenario.end_year, 2030);
        assert_eq!(scenario.params.epsilon(), 2.5);
        assert_eq!(scenario.params.gamma(), 0.04);
        let labels: Vec<&str> = scenario.policies.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["open", "border"]);
        assert_eq!(scenario.sources.len(), 3);
    }

    #[test]
    fn cycles_missing_parents_and_unknown_removals_are_errors() {
        let cycle = load_files(
            &[
                ("a.ron", r#"(name: "a", extends: "b.ron")"#),
                ("b.ron", r#"(name: "b", extends: "a.ron")"#),
            ],
            "a.ron",
        )
        .unwrap_err()
        .to_string();
        assert!(cycle.contains("`extends` forms a cycle"), "{cycle}");
        assert!(cycle.contains("b.ron:1:"), "{cycle}");

        let missing = load_files(
            &[("a.ron", "(name: \"a\",\n extends: \"nope.ron\")")],
            "a.ron",
        )
        .unwrap_err()
        .to_string();
        assert!(
            missing.contains("a.ron:2:2: `extends`: cannot read the parent scenario"),
            "{missing}"
        );

        let removal = load_files(
            &[
                ("parent.ron", PARENT),
                (
                    "c.ron",
                    r#"(name: "c", extends: "parent.ron", remove_policies: ["opn"])"#,
                ),
            ],
            "c.ron",
        )
        .unwrap_err()
        .to_string();
        assert!(
            removal.contains("no inherited policy is named `opn` (did you mean `open`?)"),
            "{removal}"
        );
    }

    #[test]
    fn problems_are_reported_in_the_file_that_holds_them() {
        let child = r#"(name: "child", extends: "parent.ron", parameters: (rho: 7.0))"#;
        let parent =
            r#"(name: "parent", policies: [LandCap(year: 2020, unit: "luzhouu", km2: 200)])"#;
        let text = load_files(&[("parent.ron", parent), ("child.ron", child)], "child.ron")
            .unwrap_err()
            .to_string();
        assert!(text.contains("child.ron:1:"), "{text}");
        assert!(text.contains("`parameters.rho`"), "{text}");
        assert!(text.contains("parent.ron:1:"), "{text}");
        assert!(text.contains("unknown unit id `luzhouu`"), "{text}");
    }

    #[test]
    fn levers_resolve_groups() {
        let scenario = check(
            r#"(name: "x", policies: [TravelTime(name: "成渝中线", year: 2028, from: ["chengdu"], to: ["@chongqing_core"], hours: 0.83)])"#,
        )
        .unwrap();
        let NamedPolicy { label, policy, .. } = &scenario.policies[0];
        assert_eq!(label, "成渝中线");
        match policy {
            Policy::TravelTime { from, to, .. } => assert_eq!((from.len(), to.len()), (1, 9)),
            other => panic!("unexpected {other:?}"),
        }
    }
}
