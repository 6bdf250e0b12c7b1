//! Semantic checks: a parsed `extends` chain into a typed [`Scenario`] (years, ranges, unit ids,
//! parameters, inheritance of levers), every problem at its place; the rule for names that
//! become folders.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::ControlFlow;
use std::path::PathBuf;

use super::file::{Indicator, PolicyFile, ScenarioFile, SourceFile};
use super::locate;
use super::problem::{capped_list, sort_by_place, Problem, ScenarioErrors, MAX_LISTED};
use super::{
    apply_cost_levers, Adjust, CostValue, MacroPath, NamedPolicy, Policy, Scenario, TimeChange,
    BASE_YEAR, CENSUS_YEAR, DEFAULT_END_YEAR, DEFAULT_SEED, LAST_YEAR, START_YEARS, WEDGE_MAX,
};
use crate::data::thousands;
use crate::data::{self, Dataset};
use crate::model::migration::default_wedges;
use crate::model::{ParamError, Params};

/// Most levers one scenario file may list (`policies`, `add_policies` and `remove_policies`
/// together).
pub const MAX_LEVERS: usize = 100_000;
/// Longest name of a scenario, sweep or results folder built from it, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// The one rule for every name that becomes a folder (scenarios, sweeps, compare folders):
/// 1 to [`MAX_NAME_CHARS`] ASCII letters, digits, `_`, `-` or `.`, not starting with `.` (so
/// neither `.` nor `..`, nor a hidden folder), hence no separators and no control characters;
/// not starting with `-` (shell commands would take `results/-rf` for an option when it is
/// written without its folder) and not a device name of Windows, where no folder can be called
/// `CON` or `aux.txt` (results are copied between systems). `Err` holds the rule broken, for a
/// message that goes on with the fix ([`NAME_RULE`]).
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
    } else if name.starts_with('-') {
        Err(format!(
            "`{shown}` starts with `-`, so a command given the folder's name (`ls {shown}`) reads it as an option"
        ))
    } else if name.ends_with('.') {
        Err(format!(
            "`{shown}` ends with `.`, which Windows drops from a folder's name (the results would land in another folder there)"
        ))
    } else if is_windows_device_name(name) {
        Err(format!(
            "`{shown}` is a device name on Windows ({}, also with an extension), where no folder can have it",
            WINDOWS_DEVICE_NAMES
        ))
    } else {
        Ok(())
    }
}

/// How [`check_name`] is followed in messages: the rule, for the fix.
pub const NAME_RULE: &str = "ASCII letters, digits, `_`, `-` or `.`, not starting with `.` or `-`, not ending with `.` and not a Windows device name such as CON or NUL";

/// The names Windows keeps for devices, as messages list them.
const WINDOWS_DEVICE_NAMES: &str = "CON, PRN, AUX, NUL, COM0–COM9, LPT0–LPT9";

/// Whether Windows reserves `name` for a device: `CON`, `PRN`, `AUX`, `NUL`, `COM0`–`COM9`
/// and `LPT0`–`LPT9` in any case, alone or before an extension (`aux.txt`, `nul.tar.gz`).
fn is_windows_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).to_ascii_uppercase();
    match stem.as_bytes() {
        b"CON" | b"PRN" | b"AUX" | b"NUL" => true,
        [b'C', b'O', b'M', digit] | [b'L', b'P', b'T', digit] => digit.is_ascii_digit(),
        _ => false,
    }
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

/// The kind of a lever as written (`TravelTime`), the first part of its default label.
fn policy_kind(policy: &PolicyFile) -> &'static str {
    match policy {
        PolicyFile::TravelTime { .. } => "TravelTime",
        PolicyFile::Corridor { .. } => "Corridor",
        PolicyFile::HukouWedge { .. } => "HukouWedge",
        PolicyFile::ProductivityShift { .. } => "ProductivityShift",
        PolicyFile::AmenityShift { .. } => "AmenityShift",
        PolicyFile::LandCap { .. } => "LandCap",
        PolicyFile::BorderPenalty { .. } => "BorderPenalty",
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

/// A problem at the top-level `field` of the file of `chain` that sets it (the one nearest the
/// leaf; the leaf if none does): how a command with rules of its own (`calibrate`) points at the
/// place to change.
pub fn problem_at_field(chain: &[SourceFile], field: &str, message: String) -> Problem {
    let files = ChainIndex::new(chain);
    let src = chain
        .iter()
        .rev()
        .find(|src| files.of(src).key(0, field).is_some())
        .or(chain.last())
        .expect("a chain holds at least one file");
    let mut problems = Vec::new();
    files.problem_at_top(src, field, message, &mut problems);
    problems.pop().expect("one problem")
}

/// Semantic checks of an `extends` chain (root first): years, ranges, unit ids, parameter bounds
/// and stability, inheritance of policies. Every problem, each in the file where it was written.
pub fn validate_chain(chain: &[SourceFile], dataset: &Dataset) -> Result<Scenario, ScenarioErrors> {
    validate_chain_with(chain, Some(dataset))
}

/// The problems of a chain whose data could not be loaded: every check that does not need the
/// data (unit ids and groups, and the wedges of the units, are not checked).
pub fn problems_without_data(chain: &[SourceFile]) -> Vec<Problem> {
    match validate_chain_with(chain, None) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.0,
    }
}

/// [`validate_chain`]; without a dataset, never `Ok` (see [`problems_without_data`]).
fn validate_chain_with(
    chain: &[SourceFile],
    dataset: Option<&Dataset>,
) -> Result<Scenario, ScenarioErrors> {
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
        sort_by_place(&mut problems);
        ScenarioErrors(problems)
    };
    let mut problems: Vec<Problem> = Vec::new();
    let files = ChainIndex::new(chain);

    let name = leaf.raw.name.trim().to_string();
    // Too many levers stop here (checking them would take long); a bad name is one more problem.
    check_lever_counts(&files, &mut problems);
    if !problems.is_empty() {
        return Err(in_file_order(problems));
    }
    check_folder_name(&files, leaf, &name, &mut problems);

    let (start_year, end_year) = check_years(&files, &mut problems);
    let before_parameters = problems.len();
    let params = merge_parameters(&files, &mut problems);
    let parameters_valid = problems.len() == before_parameters;
    let mut macro_paths = Vec::new();
    let mut levers = InheritedLevers {
        files: &files,
        dataset,
        start_year,
        end_year,
        policies: Vec::new(),
        names: HashMap::new(),
        cost_lever_dropped: false,
    };
    for src in chain {
        let mut out = files.collector(src);
        let paths = check_macro_paths(&files, &mut out, src, start_year, end_year);
        macro_paths.extend(paths);
        levers.apply(&mut out, src);
        problems.append(&mut out.problems);
    }
    // With a wrong parameter or a dropped wedge or border lever, the values in force are not
    // known: these are checked when those problems are fixed.
    if let Some(dataset) = dataset.filter(|_| parameters_valid && !levers.cost_lever_dropped) {
        check_cost_levers(&files, dataset, &params, &levers.policies, &mut problems);
    }

    if !problems.is_empty() || !unknown_fields.is_empty() || dataset.is_none() {
        // File order reads best: the parameter checks run in schema order, not line order.
        return Err(in_file_order(problems));
    }
    let (sources, source_hash) = source_hashes(chain);
    Ok(Scenario {
        name,
        description: nearest(chain, |f| f.description.clone()).map_or_else(String::new, |(d, _)| d),
        start_year,
        end_year,
        seed: nearest(chain, |f| f.seed).map_or(DEFAULT_SEED, |(seed, _)| seed),
        params,
        macro_paths,
        policies: levers.policies.into_iter().map(|p| p.named).collect(),
        source: None,
        source_hash,
        sources,
        data_dir: nearest(chain, |f| f.data.clone()).map(|(dir, i)| chain[i].dir.join(dir)),
    })
}

/// The files of an `extends` chain (root first), each with an index of its text to place problems.
struct ChainIndex<'a> {
    chain: &'a [SourceFile],
    indexes: Vec<locate::Index<'a>>,
}

impl<'a> ChainIndex<'a> {
    /// Indexes the text of every file of `chain`.
    fn new(chain: &'a [SourceFile]) -> Self {
        let indexes = chain
            .iter()
            .map(|src| locate::Index::new(&src.text))
            .collect();
        ChainIndex { chain, indexes }
    }

    /// The index of `src`, a file of the chain.
    fn of(&self, src: &SourceFile) -> &locate::Index<'a> {
        &self.indexes[self.position(src)]
    }

    /// The position of `src` in the chain.
    fn position(&self, src: &SourceFile) -> usize {
        self.chain
            .iter()
            .position(|s| std::ptr::eq(s, src))
            .expect("a file of the chain")
    }

    /// Byte offset of the top-level field `key` in `src` (the start of the file if absent).
    fn top(&self, src: &SourceFile, key: &str) -> usize {
        self.of(src).key(0, key).unwrap_or(0)
    }

    /// One problem at the top-level field `field` of `src`, appended to `problems`.
    fn problem_at_top(
        &self,
        src: &SourceFile,
        field: &str,
        message: String,
        problems: &mut Vec<Problem>,
    ) {
        let mut out = self.collector(src);
        out.at(self.top(src, field), field, message);
        problems.append(&mut out.problems);
    }

    /// A collector of the problems written in `src`.
    fn collector<'s>(&'s self, src: &'s SourceFile) -> Collector<'s> {
        Collector {
            file: src.display.as_str(),
            index: self.of(src),
            problems: Vec::new(),
        }
    }
}

/// The scenario's name (the leaf's), which names the results folder, against [`check_name`].
fn check_folder_name(
    files: &ChainIndex<'_>,
    leaf: &SourceFile,
    name: &str,
    problems: &mut Vec<Problem>,
) {
    if let Err(rule) = check_name(name) {
        files.problem_at_top(leaf, "name", name_rule(&rule), problems);
    }
}

/// What can be checked in the files of a chain whose parent cannot be read (`files`, leaf
/// first): the leaf's name, unknown fields, each parameter's bounds, a start year without data
/// and an end year past [`LAST_YEAR`]. The rest depends on what the parent sets.
pub(super) fn problems_without_parent(files: &[SourceFile]) -> Vec<Problem> {
    let index = ChainIndex::new(files);
    let mut problems: Vec<Problem> = files
        .iter()
        .flat_map(|f| f.unknown_fields.iter().cloned())
        .collect();
    if let Some(leaf) = files.first() {
        check_folder_name(&index, leaf, leaf.raw.name.trim(), &mut problems);
    }
    for src in files {
        if let Some(year) = src.raw.start_year.filter(|y| !START_YEARS.contains(y)) {
            index.problem_at_top(src, "start_year", format!("start year {year} has no base data: use {BASE_YEAR} (the base year) or {CENSUS_YEAR} (a hindcast from the 2010 census)"), &mut problems);
        }
        if let Some(year) = src.raw.end_year.filter(|y| *y > LAST_YEAR) {
            index.problem_at_top(
                src,
                "end_year",
                format!("end year {year} must be at most {LAST_YEAR}"),
                &mut problems,
            );
        }
        let given = src.raw.parameters.given();
        if let Err(errors) = Params::from_values(given.iter().copied()) {
            let params_at = index.top(src, "parameters");
            for error in errors {
                if let ParamError::NotFinite { name, .. } | ParamError::OutOfBounds { name, .. } =
                    &error
                {
                    let offset = index.of(src).key(params_at, name).unwrap_or(params_at);
                    let mut out = index.collector(src);
                    out.at(offset, format!("parameters.{name}"), error.to_string());
                    problems.append(&mut out.problems);
                }
            }
        }
    }
    problems
}

/// The message for a scenario name that breaks [`check_name`]'s `rule`.
fn name_rule(rule: &str) -> String {
    format!("{rule}: the name names the results folder, so use 1 to {MAX_NAME_CHARS} {NAME_RULE} (e.g. \"baseline\")")
}

/// At most [`MAX_LEVERS`] levers in each file of the chain.
fn check_lever_counts(files: &ChainIndex<'_>, problems: &mut Vec<Problem>) {
    for src in files.chain {
        let levers = src.raw.policies.as_ref().map_or(0, Vec::len)
            + src.raw.add_policies.len()
            + src.raw.remove_policies.len();
        if levers > MAX_LEVERS {
            files.problem_at_top(
                src,
                "policies",
                format!("{levers} levers (policies, add_policies and remove_policies together) are more than the limit of {MAX_LEVERS} per file; split them over files that `extends` each other"),
                problems,
            );
        }
    }
}

/// The start and end year nearest the leaf (else the defaults), checked against the data.
fn check_years(files: &ChainIndex<'_>, problems: &mut Vec<Problem>) -> (i32, i32) {
    let chain = files.chain;
    let start = nearest(chain, |f| f.start_year);
    let end = nearest(chain, |f| f.end_year);
    let start_year = start.map_or(BASE_YEAR, |(year, _)| year);
    let end_year = end.map_or(DEFAULT_END_YEAR, |(year, _)| year);
    // A problem belongs to the file that set the year, else to the leaf.
    let mut report = |set_in: Option<(i32, usize)>, field: &str, message: String| {
        let src = &chain[set_in.map_or(chain.len() - 1, |(_, i)| i)];
        files.problem_at_top(src, field, message, problems);
    };
    if !START_YEARS.contains(&start_year) {
        report(
            start,
            "start_year",
            format!("start year {start_year} has no base data: use {BASE_YEAR} (the base year) or {CENSUS_YEAR} (a hindcast from the 2010 census)"),
        );
    }
    if end_year <= start_year || end_year > LAST_YEAR {
        report(
            end,
            "end_year",
            format!("end year {end_year} must be after the start year {start_year} and at most {LAST_YEAR}"),
        );
    }
    (start_year, end_year)
}

/// The chain's parameters (nearest file wins), or the defaults if any is wrong.
fn merge_parameters(files: &ChainIndex<'_>, problems: &mut Vec<Problem>) -> Params {
    let chain = files.chain;
    // Parameters: merged over the chain (nearest file wins), then bounds and stability at once.
    let mut given: BTreeMap<&'static str, (f64, usize)> = BTreeMap::new();
    for (index, src) in chain.iter().enumerate() {
        for (name, value) in src.raw.parameters.given() {
            given.insert(name, (value, index));
        }
    }
    match Params::from_values(given.iter().map(|(name, (value, _))| (*name, *value))) {
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
                let params_at = files.top(src, "parameters");
                let offset = key
                    .and_then(|key| files.of(src).key(params_at, key))
                    .unwrap_or(params_at);
                let mut out = files.collector(src);
                out.at(offset, field, error.to_string());
                problems.append(&mut out.problems);
            }
            Params::default()
        }
    }
}

/// The macro paths of `src`, each checked: known region, years in the horizon, value in range.
fn check_macro_paths(
    files: &ChainIndex<'_>,
    out: &mut Collector<'_>,
    src: &SourceFile,
    start_year: i32,
    end_year: i32,
) -> Vec<MacroPath> {
    let in_horizon = |year: i32| (start_year..=end_year).contains(&year);
    let mut macro_paths = Vec::new();
    // Macro paths: appended.
    let mut cursor = files.top(src, "macro_paths");
    for (index, path) in src.raw.macro_paths.iter().enumerate() {
        let at = files.of(src).key(cursor, "region").unwrap_or(cursor);
        cursor = at + 1;
        let field = format!("macro_paths[{index}]");
        if !["sichuan", "chongqing", "china"].contains(&path.region.as_str()) {
            out.at(
                at,
                format!("{field}.region"),
                format!(
                    "unknown region `{}`{}; use sichuan, chongqing or china",
                    path.region,
                    data::suggestion(&path.region, ["sichuan", "chongqing", "china"].into_iter())
                ),
            );
        }
        if path.from_year > path.to_year || !in_horizon(path.from_year) || !in_horizon(path.to_year)
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
    macro_paths
}

/// A valid lever and where it was written.
struct PlacedLever {
    named: NamedPolicy,
    /// The file of the chain that holds it.
    file: usize,
    /// Byte offset of the lever in that file.
    at: usize,
    /// Its path, e.g. `policies[2]`.
    field: String,
}

/// The levers in force after each file of the chain, checked against the data and the horizon.
struct InheritedLevers<'a> {
    files: &'a ChainIndex<'a>,
    dataset: Option<&'a Dataset>,
    start_year: i32,
    end_year: i32,
    policies: Vec<PlacedLever>,
    /// Explicit lever names in `policies`, and where each was first given.
    names: HashMap<String, String>,
    /// Whether a hukou wedge or border penalty lever had a problem (and was left out).
    cost_lever_dropped: bool,
}

impl InheritedLevers<'_> {
    /// The edits of `src` to the inherited levers, in the order they apply.
    fn apply(&mut self, out: &mut Collector<'_>, src: &SourceFile) {
        // Policies: `policies` replaces, `remove_policies` drops by name, `add_policies` appends.
        if let Some(list) = &src.raw.policies {
            self.names.clear();
            self.policies = self.check_list(out, src, "policies", list, 0);
        }
        self.remove(out, src);
        let first = self.policies.len();
        let added = self.check_list(out, src, "add_policies", &src.raw.add_policies, first);
        self.policies.extend(added);
    }

    /// The valid levers of `src`'s list `key`, labelled from `first_index`; names must be unique.
    fn check_list(
        &mut self,
        out: &mut Collector<'_>,
        src: &SourceFile,
        key: &str,
        list: &[PolicyFile],
        first_index: usize,
    ) -> Vec<PlacedLever> {
        let files = self.files;
        let mut checked = Vec::new();
        let mut cursor = files.top(src, key);
        for (index, policy) in list.iter().enumerate() {
            let at = files.of(src).next_variant(cursor).unwrap_or(cursor);
            cursor = at + 1;
            let field = format!("{key}[{index}]");
            if let Some(name) = explicit_name(policy) {
                if name.trim().is_empty() {
                    let offset = files.of(src).key(at, "name").unwrap_or(at);
                    out.at(offset, format!("{field}.name"), format!("the name {:?} is blank; a lever's name is how remove_policies, sweeps and reports find it, so it needs at least one visible character: write one (e.g. name: \"成渝中线\"), or leave `name:` out to get a label such as `{}#{}`", name, policy_kind(policy), first_index + index));
                } else if let Some(first) = self.names.get(name) {
                    let quoted = format!("\"{}\"", name.escape_debug());
                    let offset = files.of(src).string(at, &quoted).unwrap_or(at);
                    out.at(offset, format!("{field}.name"), format!("the name `{name}` is already used by {first}; levers are removed and reported by name, so each name must be unique: rename one (or `remove_policies` the inherited one first)"));
                } else {
                    self.names
                        .insert(name.to_string(), format!("`{field}` in {}", src.display));
                }
            }
            let mut checker = PolicyChecker {
                out,
                dataset: self.dataset,
                index: files.of(src),
                at,
                field: &field,
                start_year: self.start_year,
                end_year: self.end_year,
            };
            match checker.check(policy.clone(), first_index + index) {
                Some(named) => checked.push(PlacedLever {
                    named,
                    file: files.position(src),
                    at,
                    field,
                }),
                None => {
                    self.cost_lever_dropped |= matches!(
                        policy,
                        PolicyFile::HukouWedge { .. } | PolicyFile::BorderPenalty { .. }
                    )
                }
            }
        }
        checked
    }

    /// Drops the levers `src` names in `remove_policies`; a name none of them has is a problem.
    fn remove(&mut self, out: &mut Collector<'_>, src: &SourceFile) {
        // Linear in the lists' lengths: names are unique, so a set says what to drop.
        let labels: HashSet<&str> = self
            .policies
            .iter()
            .map(|p| p.named.label.as_str())
            .collect();
        let mut missing = 0;
        let at = self.files.top(src, "remove_policies");
        // Each name: the position where it was first written and the offset it was last found
        // at (so that the next copy is searched for after it).
        let mut seen: HashMap<&str, (usize, usize)> = HashMap::new();
        for (position, name) in src.raw.remove_policies.iter().enumerate() {
            let quoted = format!("\"{}\"", name.escape_debug());
            let previous = seen.get(name.as_str()).copied();
            let from = previous.map_or(at, |(_, offset)| offset + 1);
            let offset = self.files.of(src).string(from, &quoted).unwrap_or(from);
            if let Some((first, _)) = previous {
                seen.insert(name.as_str(), (first, offset));
                out.at(
                    offset,
                    format!("remove_policies[{position}]"),
                    format!("`{name}` is listed twice in remove_policies (also at `remove_policies[{first}]`); a lever is removed once, so a second entry is most likely meant for another lever: delete it, or name the lever you meant"),
                );
                continue;
            }
            seen.insert(name.as_str(), (position, offset));
            if labels.contains(name.as_str()) {
                continue;
            }
            missing += 1;
            if missing > MAX_LISTED {
                continue;
            }
            let known: Vec<&str> = self
                .policies
                .iter()
                .map(|p| p.named.label.as_str())
                .collect();
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
            self.policies
                .retain(|p| !removed.contains(p.named.label.as_str()));
            self.names
                .retain(|name, _| !removed.contains(name.as_str()));
        }
    }
}

/// Where a `change:` lever first takes a wedge or the border penalty out of range.
struct OutOfRange {
    /// The first value out of range: what (`the hukou wedge of `chengdu``), the value, the
    /// value before the lever, the year.
    what: String,
    value: f64,
    before: f64,
    year: i32,
    /// The units (or the border, as `usize::MAX`) it takes out of range.
    units: BTreeSet<usize>,
}

/// Hukou wedge and border penalty levers applied as `engine::setup` applies them (in each year
/// when one starts, every lever in force, in file order, on the parameters' values) must keep
/// the wedges within [0, 0.95] and the border penalty at or above 0. A `value:` is checked on
/// its own; a `change:` only here, where the value it changes is known. One problem per lever,
/// at its `change:`, with the changes that would keep every value it changes in range.
fn check_cost_levers(
    files: &ChainIndex<'_>,
    dataset: &Dataset,
    params: &Params,
    levers: &[PlacedLever],
    problems: &mut Vec<Problem>,
) {
    let years: BTreeSet<i32> = levers
        .iter()
        .filter_map(|lever| match lever.named.policy {
            Policy::HukouWedge { year, .. } | Policy::BorderPenalty { year, .. } => Some(year),
            _ => None,
        })
        .collect();
    if years.is_empty() {
        return;
    }
    let base = default_wedges(&dataset.units, params);
    let mut found: BTreeMap<usize, OutOfRange> = BTreeMap::new();
    // The changes that keep every value a lever changes in range: [max −before, min max − before].
    let mut allowed: HashMap<usize, (f64, f64)> = HashMap::new();
    for &year in &years {
        let mut wedge = base.clone();
        let mut border = params.border_penalty();
        // Every lever as written (strength 1); an out-of-range value is reported once: later
        // levers see the value as if this one had not changed it.
        let _ = apply_cost_levers(
            levers.iter().map(|lever| (&lever.named.policy, 1.0)),
            year,
            &mut wedge,
            &mut border,
            |step| {
                if let Adjust::Change(_) = step.adjust {
                    // The changes that keep every value a lever changes in range.
                    let range = allowed.entry(step.lever).or_insert((f64::MIN, f64::MAX));
                    range.0 = range.0.max(-step.before);
                    if let CostValue::Wedge(_) = step.sets {
                        range.1 = range.1.min(WEDGE_MAX - step.before);
                    }
                }
                if !step.in_range() {
                    let (what, unit) = match step.sets {
                        CostValue::Wedge(unit) => (
                            format!("the hukou wedge of `{}`", dataset.units[unit].id),
                            unit,
                        ),
                        CostValue::Border => ("the border penalty".to_string(), usize::MAX),
                    };
                    found
                        .entry(step.lever)
                        .or_insert_with(|| OutOfRange {
                            what,
                            value: step.value,
                            before: step.before,
                            year,
                            units: BTreeSet::new(),
                        })
                        .units
                        .insert(unit);
                }
                ControlFlow::<()>::Continue(())
            },
        );
    }
    for (i, out) in found {
        let lever = &levers[i];
        let src = &files.chain[lever.file];
        let index = files.of(src);
        let Adjust::Change(change) = (match &lever.named.policy {
            Policy::HukouWedge { adjust, .. } | Policy::BorderPenalty { adjust, .. } => *adjust,
            _ => continue,
        }) else {
            continue;
        };
        let (lo, hi) = allowed.get(&i).copied().unwrap_or((0.0, 0.0));
        // `+ 0.0` prints −0 as 0.
        let (lo, hi) = (lo + 0.0, hi + 0.0);
        let more = match out.units.len() {
            0 | 1 => String::new(),
            2 => ", and the wedge of 1 more unit out of range".to_string(),
            n => format!(", and the wedges of {} more units out of range", n - 1),
        };
        let message = if out.units.contains(&usize::MAX) {
            format!(
                "the change {change} makes {} {:.3} in {} ({:.3} before it); the border penalty must stay at or above 0: use a change of at least {lo:.3}, or set the penalty with `value:`",
                out.what, out.value, out.year, out.before
            )
        } else {
            let fix = if lo <= hi {
                format!("use a change within [{lo:.3}, {hi:.3}], or set the wedge with `value:`")
            } else {
                "no one change keeps all its units in range: set the wedges with `value:`, or give the units levers of their own".to_string()
            };
            format!(
                "the change {change} makes {} {:.3} in {} ({:.3} before it){more}; wedges must stay within [0, {WEDGE_MAX}]: {fix}",
                out.what, out.value, out.year, out.before
            )
        };
        let mut collector = files.collector(src);
        let offset = index.key(lever.at, "change").unwrap_or(lever.at);
        collector.at(offset, format!("{}.change", lever.field), message);
        problems.append(&mut collector.problems);
    }
}

/// Each file's SHA-256, and the scenario's: the file's own if single, else of the hashes joined.
fn source_hashes(chain: &[SourceFile]) -> (Vec<(String, String)>, String) {
    let sources: Vec<(String, String)> = chain
        .iter()
        .map(|src| (src.display.clone(), data::sha256_hex(src.text.as_bytes())))
        .collect();
    let joined: String = sources.iter().map(|(_, hash)| hash.as_str()).collect();
    let source_hash = if sources.len() == 1 {
        sources[0].1.clone()
    } else {
        data::sha256_hex(joined.as_bytes())
    };
    (sources, source_hash)
}

struct PolicyChecker<'a, 'b> {
    out: &'a mut Collector<'b>,
    /// None when the data could not be loaded: units are then not resolved.
    dataset: Option<&'a Dataset>,
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

    /// `from_year` and `to_year` of a lever that acts over years: each projected, in order.
    fn year_range(&mut self, from_year: i32, to_year: i32) {
        self.year("from_year", from_year);
        self.year("to_year", to_year);
        if from_year > to_year {
            self.problem(
                "to_year",
                format!("to_year {to_year} is before from_year {from_year}"),
            );
        }
    }

    /// Levers act on projected years only: the start year is the calibrated base state, and the
    /// calibration reproduces its flows.
    fn year(&mut self, key: &str, year: i32) {
        let first = self.start_year + 1;
        if !(first..=self.end_year).contains(&year) {
            self.problem(key, format!("year {year} is outside the projected years {first}–{} (the start year {} is the calibrated base state); move it inside or change start_year/end_year", self.end_year, self.start_year));
        }
    }

    fn units(&mut self, key: &str, tokens: &[String]) -> Vec<usize> {
        if tokens.is_empty() {
            self.problem(key, "the list of units is empty; name at least one unit id or group (e.g. \"chengdu\", \"@chongqing_core\")".into());
        }
        // A token written twice is a mistake (a copy-paste, or a unit meant to be another); a
        // unit reached both directly and through a group (`"yuzhong"`, `"@chongqing_core"`) is
        // deduplicated silently below: groups overlap by design.
        // Each token: the position where it was first written and the offset it was last found
        // at (so that the next copy is searched for after it).
        let mut seen: HashMap<&str, (usize, usize)> = HashMap::new();
        let mut repeated = vec![false; tokens.len()];
        for (position, token) in tokens.iter().enumerate() {
            let quoted = format!("\"{token}\"");
            let previous = seen.get(token.as_str()).copied();
            let from = previous.map_or(self.place(key), |(_, at)| at + 1);
            let offset = self.index.string(from, &quoted).unwrap_or(from);
            let first = match previous {
                Some((first, _)) => {
                    repeated[position] = true;
                    let field = format!("{}.{key}[{position}]", self.field);
                    self.out.at(offset, field, format!("`{token}` is listed twice in `{key}` (also at `{key}[{first}]`); each unit or group may appear once in a lever's list: delete this entry, or name the unit you meant"));
                    first
                }
                None => position,
            };
            seen.insert(token.as_str(), (first, offset));
        }
        let mut found = Vec::new();
        let Some(dataset) = self.dataset else {
            return found;
        };
        for (position, token) in tokens.iter().enumerate() {
            if repeated[position] {
                continue;
            }
            match dataset.resolve_units(token) {
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
                    // `LandCap`'s `unit` is one id, not a list: no index.
                    let field = if key == "unit" {
                        format!("{}.{key}", self.field)
                    } else {
                        format!("{}.{key}[{position}]", self.field)
                    };
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
                let from_tokens = from;
                let from = self.units("from", &from_tokens);
                let to = self.units("to", &to);
                // The engine changes the time of each pair of different units; one unit on
                // both sides leaves no pair, so the lever would change nothing.
                if let ([a], [b]) = (from.as_slice(), to.as_slice()) {
                    if a == b {
                        self.problem("to", format!("`to` names the same unit as `from` (`{}`); a travel time links two different units, so this lever would change nothing: name the other end of the link in `to` (e.g. to: [\"@chongqing_core\"]), or use a Corridor for every pair of several units", from_tokens.join("`, `")));
                    }
                }
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
                if units.len() < 2 && self.dataset.is_some() {
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
                    None => (0..self.dataset.map_or(0, |d| d.units.len())).collect(),
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
                self.year_range(from_year, to_year);
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
                let to_year = to_year.unwrap_or(self.end_year);
                self.year_range(from_year, to_year);
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
#[cfg(test)]
mod tests {
    use crate::model::Params;
    use crate::scenario::test_support::{check, load_files, PARENT};
    use crate::scenario::{NamedPolicy, Policy, DEFAULT_SEED};

    /// Names that become folders: not option-like, and usable on Windows too.
    #[test]
    fn folder_names_do_not_start_with_a_dash_nor_name_a_windows_device() {
        for name in ["-rf", "-", "--out"] {
            let rule = super::check_name(name).unwrap_err();
            assert!(rule.contains("starts with `-`"), "{name}: {rule}");
        }
        for name in [
            "CON",
            "con",
            "Aux",
            "NUL",
            "prn",
            "aux.txt",
            "nul.tar.gz",
            "COM1",
            "com0",
            "LPT9",
            "lpt3.csv",
        ] {
            let rule = super::check_name(name).unwrap_err();
            assert!(
                rule.contains("is a device name on Windows"),
                "{name}: {rule}"
            );
        }
        let rule = super::check_name("run.").unwrap_err();
        assert!(
            rule.contains("ends with `.`, which Windows drops"),
            "{rule}"
        );
        for name in [
            "run.v2",
            "console",
            "com10",
            "com",
            "lpt",
            "auxiliary",
            "nul_run",
            "con-1",
            "a-",
            "x.con",
            "baseline",
        ] {
            assert_eq!(super::check_name(name), Ok(()), "{name}");
        }
        let err = check(r#"(name: "aux")"#).unwrap_err().to_string();
        assert!(
            err.contains("test.ron:1:2: `name`: `aux` is a device name on Windows"),
            "{err}"
        );
        assert!(
            err.contains(
                "not starting with `.` or `-`, not ending with `.` and not a Windows device name"
            ),
            "{err}"
        );
    }

    #[test]
    fn a_minimal_scenario_takes_every_default() {
        let scenario = check(r#"(name: "x")"#).unwrap();
        assert_eq!((scenario.start_year, scenario.end_year), (2014, 2030));
        assert_eq!(scenario.params, Params::default());
        assert_eq!(scenario.seed, DEFAULT_SEED);
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

    /// Wedge and border changes are applied to the parameters' values as the engine does, in
    /// file order over the chain; each lever that leaves the range is reported in its file.
    #[test]
    fn wedge_and_border_changes_are_checked_against_the_values_in_force() {
        let parent = "(name: \"p\",\n policies: [HukouWedge(name: \"a\", year: 2020, units: [\"@core\"], change: 0.5)])";
        let child = "(name: \"c\", extends: \"p.ron\", parameters: (hukou_wedge_core: 0.5),\n add_policies: [BorderPenalty(year: 2025, change: -0.5), HukouWedge(year: 2022, units: [\"chengdu\"], value: 0.9), BorderPenalty(year: 2026, change: -0.5)])";
        let err = load_files(&[("p.ron", parent), ("c.ron", child)], "c.ron").unwrap_err();
        let text = err.to_string();
        assert_eq!(err.0.len(), 2, "{text}");
        assert!(text.contains("p.ron:2:65: `policies[0].change`: the change 0.5 makes the hukou wedge of `yuzhong` 1.000 in 2020 (0.500 before it), and the wedges of 9 more units out of range; wedges must stay within [0, 0.95]: use a change within [-0.500, 0.450]"), "{text}");
        assert!(text.contains("c.ron:2:"), "{text}");
        assert!(text.contains("`add_policies[2].change`: the change -0.5 makes the border penalty -0.300 in 2026 (0.200 before it)"), "{text}");
        // Within range with the default core wedge 0.3.
        let ok = "(name: \"p\", policies: [HukouWedge(year: 2020, units: [\"@core\"], change: 0.5), HukouWedge(year: 2021, units: [\"chengdu\"], change: 0.1)])";
        assert!(check(ok).is_ok());
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
