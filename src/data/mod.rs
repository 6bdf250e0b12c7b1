//! Input data: the 44 plan units, the 2000 and 2010 censuses, the 2010–2014 history, the 2014 base year, the
//! provincial/national drivers, the plan's targets and the rest-of-China totals.
//!
//! The CSV files in `data/` are embedded in the binary (so `simulate` runs from any directory); a
//! scenario may point at another directory holding files with the same names and columns. Loading
//! validates everything and reports *all* problems at once, each with file, line and column.
//! This module knows CSV; the model never sees it.

pub mod central_urban;
mod magnitude;
mod measure;
pub mod synthetic;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use magnitude::{HistoryReading, ProvinceReading, Reading, Readings, TargetReading};
use measure::ReadIn;

/// The files a dataset is made of, in load order.
pub const FILE_NAMES: [&str; 10] = [
    "units.csv",
    "census_2010_units.csv",
    "census_2000_units.csv",
    "baseline_2014.csv",
    "history_2010_2014.csv",
    "macro_provinces.csv",
    "plan_targets.csv",
    "rest_of_china.csv",
    "transport_links.csv",
    "central_urban_evidence.csv",
];

const EMBEDDED: [(&str, &str); 10] = [
    ("units.csv", include_str!("../../data/units.csv")),
    (
        "census_2010_units.csv",
        include_str!("../../data/census_2010_units.csv"),
    ),
    (
        "census_2000_units.csv",
        include_str!("../../data/census_2000_units.csv"),
    ),
    (
        "baseline_2014.csv",
        include_str!("../../data/baseline_2014.csv"),
    ),
    (
        "history_2010_2014.csv",
        include_str!("../../data/history_2010_2014.csv"),
    ),
    (
        "macro_provinces.csv",
        include_str!("../../data/macro_provinces.csv"),
    ),
    (
        "plan_targets.csv",
        include_str!("../../data/plan_targets.csv"),
    ),
    (
        "rest_of_china.csv",
        include_str!("../../data/rest_of_china.csv"),
    ),
    (
        "transport_links.csv",
        include_str!("../../data/transport_links.csv"),
    ),
    (
        "central_urban_evidence.csv",
        include_str!("../../data/central_urban_evidence.csv"),
    ),
];

/// The plan area's two provincial-level units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Province {
    Sichuan,
    Chongqing,
}

impl Province {
    pub const ALL: [Province; 2] = [Province::Sichuan, Province::Chongqing];

    pub fn id(self) -> &'static str {
        match self {
            Province::Sichuan => "sichuan",
            Province::Chongqing => "chongqing",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Province::Sichuan => "四川",
            Province::Chongqing => "重庆",
        }
    }

    pub fn parse(text: &str) -> Option<Province> {
        match text {
            "sichuan" => Some(Province::Sichuan),
            "chongqing" => Some(Province::Chongqing),
            _ => None,
        }
    }

    /// Index into per-province arrays (`[sichuan, chongqing]`).
    pub fn index(self) -> usize {
        match self {
            Province::Sichuan => 0,
            Province::Chongqing => 1,
        }
    }
}

/// A unit's role in the plan (专栏1/专栏2 and 双核).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlanRole {
    Core,
    RegionalCentre,
    NodeCity,
}

impl PlanRole {
    fn parse(text: &str) -> Option<PlanRole> {
        match text {
            "core" => Some(PlanRole::Core),
            "regional_centre" => Some(PlanRole::RegionalCentre),
            "node_city" => Some(PlanRole::NodeCity),
            _ => None,
        }
    }
}

/// One of the 44 plan units (units.csv).
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub province: Province,
    /// `district`, `county` or `prefecture_city`.
    pub kind: String,
    pub plan_role: PlanRole,
    pub plan_zones: Vec<String>,
    pub area_km2: f64,
    pub lat: f64,
    pub lon: f64,
}

impl Unit {
    /// "成都 Chengdu": the label used in charts and tables.
    pub fn label(&self) -> String {
        format!("{} {}", short_zh(&self.name_zh), self.name_en)
    }

    /// One of the nine central districts of Chongqing (主城九区, plan zone `chongqing_core`).
    pub fn is_chongqing_core(&self) -> bool {
        self.plan_zones.iter().any(|zone| zone == "chongqing_core")
    }
}

/// Drops the administrative suffix (市/区/县) of a name, keeping one-character stems whole (忠县).
pub fn short_zh(name: &str) -> &str {
    for suffix in ["市", "区", "县"] {
        if let Some(stem) = name.strip_suffix(suffix) {
            if stem.chars().count() >= 2 {
                return stem;
            }
        }
    }
    name
}

/// 2010 census figures of one unit (census_2010_units.csv), persons and ‰.
#[derive(Debug, Clone, PartialEq)]
pub struct Census2010 {
    pub resident_population: f64,
    pub urban_population: f64,
    pub registered_population: f64,
    pub in_migrants_same_county: f64,
    pub in_migrants_other_county_same_province: f64,
    pub in_migrants_other_province: f64,
    pub natural_growth_permille: f64,
}

/// One value of the base year with its provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced {
    pub value: f64,
    /// `observed`, `derived` or `estimated`.
    pub status: String,
    pub method: String,
}

/// The 2014 base year of one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseYear {
    pub population: Sourced,
    /// Yuan at current 2014 prices (= constant 2014 prices).
    pub gdp: Sourced,
}

/// Per-unit history before the base year, keyed by (unit index, year).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Current-price GDP, yuan.
    pub gdp: BTreeMap<(usize, i32), f64>,
    /// Annual-average resident population (Sichuan units).
    pub population_annual_average: BTreeMap<(usize, i32), f64>,
    /// Year-end resident population (Chongqing core districts and Wanzhou, 2013).
    pub population: BTreeMap<(usize, i32), f64>,
    /// Real GDP growth, percent (Sichuan cities, old boundaries).
    pub real_gdp_growth: BTreeMap<(usize, i32), f64>,
    /// Year-end urban share, fraction (Chongqing units).
    pub urban_share: BTreeMap<(usize, i32), f64>,
}

/// Provincial and national drivers (macro_provinces.csv).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Macro {
    /// (region, year) → percent; region is `sichuan`, `chongqing` or `china`.
    pub real_gdp_growth: BTreeMap<(String, i32), f64>,
    /// (region, year) → ‰.
    pub natural_growth: BTreeMap<(String, i32), f64>,
    /// (region, year) → persons.
    pub resident_population: BTreeMap<(String, i32), f64>,
    /// Rows whose status is `recalled_unverified`: shown in outputs as assumptions.
    pub unverified: Vec<String>,
}

/// One row of plan_targets.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub target_id: String,
    /// `None` for region-wide rows (`ALL`).
    pub unit: Option<usize>,
    pub indicator: String,
    pub year: i32,
    pub value: f64,
    pub unit_of_measure: String,
    pub kind: String,
    pub source_zh: String,
    pub note: String,
}

/// National totals from which the rest-of-China node is derived (rest_of_china.csv).
#[derive(Debug, Clone, PartialEq)]
pub struct NationalTotals {
    pub population: f64,
    pub gdp: f64,
    pub area_km2: f64,
}

/// A dated travel-time override between two groups of units (transport_links.csv): a rail link
/// that opened, with its door-to-door time.
#[derive(Debug, Clone, PartialEq)]
pub struct TransportLink {
    pub link_id: String,
    pub name_zh: String,
    pub from: Vec<usize>,
    pub to: Vec<usize>,
    /// First year whose flows and productivity see the link.
    pub from_year: i32,
    pub hours: f64,
}

/// Where a dataset came from.
#[derive(Debug, Clone, PartialEq)]
pub enum DataSource {
    Embedded,
    Directory(PathBuf),
}

impl fmt::Display for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataSource::Embedded => write!(f, "embedded data/ (built into the binary)"),
            DataSource::Directory(dir) => write!(f, "{}", escaped_path(dir)),
        }
    }
}

/// Everything the engine reads, validated. Unit vectors are in units.csv order.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub source: DataSource,
    pub units: Vec<Unit>,
    pub census: Vec<Census2010>,
    /// Resident population of each unit at the 2000 census (2000-11-01), on today's boundaries.
    pub census_2000_population: Vec<f64>,
    pub base: Vec<BaseYear>,
    pub history: History,
    pub macro_drivers: Macro,
    pub targets: Vec<Target>,
    pub national: NationalTotals,
    pub transport_links: Vec<TransportLink>,
    /// Central-city evidence and the central-urban shares derived from it (scorecard only).
    pub central_urban: central_urban::CentralUrban,
    /// SHA-256 of each file's bytes, by file name (for the manifest).
    pub hashes: BTreeMap<String, String>,
}

/// One problem in a data file: where, what value, which rule.
#[derive(Debug, Clone, PartialEq)]
pub struct DataProblem {
    pub file: String,
    pub line: u64,
    pub column: String,
    pub message: String,
}

impl fmt::Display for DataProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A problem is one line: a value quoted from the file may hold a newline (a quoted
        // field over several lines) or another control character, shown escaped.
        let message = escape_controls(&self.message);
        if self.line == 0 {
            // A problem of the whole file (e.g. unreadable): no line to point at.
            write!(f, "{}: {message}", self.file)
        } else if self.column.is_empty() {
            write!(f, "{}:{}: {message}", self.file, self.line)
        } else {
            write!(
                f,
                "{}:{}: column `{}`: {message}",
                self.file,
                self.line,
                escape_controls(&self.column)
            )
        }
    }
}

/// Largest data file read from a `data:` folder.
pub const MAX_DATA_FILE_BYTES: u64 = 64 << 20;

/// What [`read_capped`] found in a data file.
enum Capped {
    Text(String),
    /// Larger than [`MAX_DATA_FILE_BYTES`].
    TooLarge,
    /// A byte that is not UTF-8, at a 1-based line and column (in characters).
    NotUtf8 {
        line: u64,
        column: usize,
        byte: u8,
    },
}

/// The text of `path`, read no further than one byte past [`MAX_DATA_FILE_BYTES`].
fn read_capped(path: &Path) -> std::io::Result<Capped> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_DATA_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_DATA_FILE_BYTES {
        return Ok(Capped::TooLarge);
    }
    Ok(match String::from_utf8(bytes) {
        Ok(text) => Capped::Text(text),
        Err(err) => {
            let offset = err.utf8_error().valid_up_to();
            let bytes = err.into_bytes();
            let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
            let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
            Capped::NotUtf8 {
                line: valid.matches('\n').count() as u64 + 1,
                column: valid[line_start..].chars().count() + 1,
                byte: bytes[offset],
            }
        }
    })
}

/// All problems found while loading a dataset.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct DataErrors(pub Vec<DataProblem>);

impl fmt::Display for DataErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in the input data:", problem_count(self.0.len()))?;
        write_grouped(f, &self.0)
    }
}

/// "1 problem", "3 problems".
pub fn problem_count(n: usize) -> String {
    format!("{n} problem{}", if n == 1 { "" } else { "s" })
}

/// Writes problems one per line (each on a new line, indented), in order of first appearance,
/// with rows that share a file, column and message grouped into one line: `obs.csv: 88 rows
/// (lines 2, 3, 4, 5, 6, …): column `year`: …`.
pub fn write_grouped(f: &mut fmt::Formatter<'_>, problems: &[DataProblem]) -> fmt::Result {
    // Group index by (file, column, message), in order of first appearance.
    let mut groups: Vec<(&DataProblem, Vec<u64>)> = Vec::new();
    let mut index: std::collections::HashMap<(&str, &str, &str), usize> =
        std::collections::HashMap::new();
    for problem in problems {
        let key = (
            problem.file.as_str(),
            problem.column.as_str(),
            problem.message.as_str(),
        );
        match index.get(&key) {
            Some(&g) if problem.line > 0 => groups[g].1.push(problem.line),
            _ => {
                index.insert(key, groups.len());
                groups.push((problem, vec![problem.line]));
            }
        }
    }
    const SHOWN_LINES: usize = 5;
    for (problem, lines) in groups {
        if lines.len() == 1 {
            write!(f, "\n  {problem}")?;
            continue;
        }
        let mut shown: Vec<String> = lines
            .iter()
            .take(SHOWN_LINES)
            .map(ToString::to_string)
            .collect();
        if lines.len() > SHOWN_LINES {
            shown.push("…".into());
        }
        let column = if problem.column.is_empty() {
            String::new()
        } else {
            format!(" column `{}`:", escape_controls(&problem.column))
        };
        write!(
            f,
            "\n  {}: {} rows (lines {}):{column} {}",
            problem.file,
            thousands(lines.len()),
            shown.join(", "),
            escape_controls(&problem.message)
        )?;
    }
    Ok(())
}

/// `text` as a message shows it: control characters (newline, tab, escape, …) and the
/// bidirectional controls that reorder the text around them are written as escapes (`\n`,
/// `\u{1b}`, `\u{202e}`), so that a name the user chose — a path above all — cannot split a
/// message into lines or make it read as another; everything else (spaces, Chinese, `'`) is
/// kept as it is.
pub fn escape_controls(text: &str) -> String {
    let reorders = |c: char| matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            shown.extend(c.escape_debug());
        } else if reorders(c) {
            shown.extend(c.escape_unicode());
        } else {
            shown.push(c);
        }
    }
    shown
}

/// A path as messages show it: [`escape_controls`] of it (bytes that are not UTF-8 shown as
/// `�`).
pub fn escaped_path(path: &Path) -> String {
    escape_controls(&path.to_string_lossy())
}

/// `1999071` → `1,999,071`: counts in every layer's messages (this is the lowest layer that
/// writes one).
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

impl Dataset {
    /// The data shipped in `data/`, built into the binary.
    pub fn embedded() -> Dataset {
        let files: Vec<(String, String)> = EMBEDDED
            .iter()
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .collect();
        // The shipped files are validated by tests; failing here is a build defect, not user input.
        Dataset::parse(DataSource::Embedded, &files).expect("embedded data/ must be valid")
    }

    /// Reads the ten files of [`FILE_NAMES`] from `dir`; every file is required.
    pub fn from_dir(dir: &Path) -> Result<Dataset, DataErrors> {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        for name in FILE_NAMES {
            let path = dir.join(name);
            let problem = |message: String| DataProblem {
                file: escaped_path(&path),
                line: 0,
                column: String::new(),
                message,
            };
            match read_capped(&path) {
                Ok(Capped::Text(text)) => files.push((name.to_string(), text)),
                Ok(Capped::NotUtf8 { line, column, byte }) => problems.push(DataProblem {
                    line,
                    ..problem(format!(
                        "the file is not UTF-8 text (byte {byte:#04x} in column {column} of the line); save it as UTF-8 (in a spreadsheet: CSV UTF-8)"
                    ))
                }),
                Ok(Capped::TooLarge) => problems.push(problem(format!(
                    "the file is larger than {} MB, the limit for a data file (the shipped files are under 1 MB); check that it is the right file",
                    MAX_DATA_FILE_BYTES >> 20
                ))),
                Err(err) => problems.push(problem(format!(
                    "cannot read the file ({err}); every data directory needs all of: {}",
                    FILE_NAMES.join(", ")
                ))),
            }
        }
        if !problems.is_empty() {
            return Err(DataErrors(problems));
        }
        let files: Vec<(String, String)> = files
            .into_iter()
            .map(|(name, text)| (escaped_path(&dir.join(&name)), text))
            .collect();
        Dataset::parse(DataSource::Directory(dir.to_path_buf()), &files)
    }

    /// Parses and validates the ten files given as (display name, text), in [`FILE_NAMES`] order.
    pub fn parse(source: DataSource, files: &[(String, String)]) -> Result<Dataset, DataErrors> {
        let mut problems = Vec::new();
        let text = |index: usize| -> (&str, &str) { (&files[index].0, &files[index].1) };
        let mut readings = Readings::default();

        // The ids as written, so that a unit dropped for another problem of its row is not
        // reported as unknown by every other file.
        let (units, ids) = parse_units(text(0), &mut problems);
        let census = parse_census(text(1), &ids, &mut readings, &mut problems);
        let census_2000_population = parse_census_2000(text(2), &ids, &mut readings, &mut problems);
        let base = parse_base(text(3), &ids, &mut readings, &mut problems);
        let history = parse_history(text(4), &ids, &mut readings, &mut problems);
        let macro_drivers = parse_macro(text(5), &mut readings, &mut problems);
        let targets = parse_targets(text(6), &ids, &mut readings, &mut problems);
        let national = parse_national(text(7), &mut problems);
        if let (Some((national, lines)), Some(base)) = (&national, &base) {
            if ids.complete && ids.len() == units.len() && base.len() == units.len() {
                check_national_totals(
                    (text(7).0, *lines),
                    national,
                    (text(0).0, &units),
                    (text(3).0, base),
                    &mut problems,
                );
            }
        }
        let transport_links = parse_links(text(8), &units, &ids, &mut problems);
        let evidence = central_urban::parse_evidence(text(9), &ids, &mut readings, &mut problems);
        // Values in another unit than the one read (万 for persons) whose `unit` column is
        // right, or absent: compared with the figures they must be close to.
        let all_units_read = ids.complete && ids.len() == units.len();
        magnitude::check(
            &magnitude::Files {
                names: std::array::from_fn(|index| files[index].0.as_str()),
            },
            &ids,
            all_units_read.then_some(units.as_slice()),
            &readings,
            &mut problems,
        );
        // Each file's problems together, in load order (the magnitude checks come last).
        problems.sort_by_key(|p| files.iter().position(|(name, _)| *name == p.file));

        if !problems.is_empty() {
            return Err(DataErrors(problems));
        }
        let hashes = files
            .iter()
            .zip(FILE_NAMES)
            .map(|((_, text), name)| (name.to_string(), sha256_hex(text.as_bytes())))
            .collect();
        let census = census.expect("checked above");
        let centres: Vec<usize> = targets
            .iter()
            .filter(|t| t.indicator == "central_urban_population")
            .filter_map(|t| t.unit)
            .collect();
        let kinds: Vec<&str> = units.iter().map(|u| u.kind.as_str()).collect();
        let central_urban = central_urban::estimate(evidence, &census, &centres, &kinds);
        Ok(Dataset {
            source,
            units,
            census,
            census_2000_population: census_2000_population.expect("checked above"),
            base: base.expect("checked above"),
            history,
            macro_drivers,
            targets,
            national: national.expect("checked above").0,
            transport_links,
            central_urban,
            hashes,
        })
    }

    /// Resolves a unit id or a group (`@all`, `@sichuan`, `@chongqing`, `@core`,
    /// `@regional_centre`, `@node_city`, or a plan zone such as `@chongqing_core`) to indices.
    pub fn resolve_units(&self, token: &str) -> Result<Vec<usize>, String> {
        resolve_units(&self.units, token)
    }

    pub fn unit_index(&self, id: &str) -> Option<usize> {
        self.units.iter().position(|unit| unit.id == id)
    }

    /// Sum of the 2014 base-year populations.
    pub fn base_population_total(&self) -> f64 {
        self.base.iter().map(|b| b.population.value).sum()
    }

    /// Sum of the 2014 base-year GDP.
    pub fn base_gdp_total(&self) -> f64 {
        self.base.iter().map(|b| b.gdp.value).sum()
    }
}

/// The plan's zones: its 一轴两带、三区 and `chongqing_core` (the nine central districts), the only
/// values the `plan_zones` column of units.csv may hold. A fixed set, so that a misspelt zone is
/// refused instead of quietly starting a group of its own.
pub const PLAN_ZONES: [&str; 7] = [
    "chengde_mianle_belt",
    "chongqing_core",
    "da_wan_cluster",
    "development_axis",
    "nan_sui_guang_cluster",
    "south_sichuan_cluster",
    "yangtze_belt",
];

/// The group names [`Dataset::resolve_units`] accepts, besides plan zones.
pub const UNIT_GROUPS: [&str; 7] = [
    "@all",
    "@sichuan",
    "@chongqing",
    "@core",
    "@regional_centre",
    "@node_city",
    "@county",
];

fn resolve_units(units: &[Unit], token: &str) -> Result<Vec<usize>, String> {
    let select = |keep: &dyn Fn(&Unit) -> bool| -> Vec<usize> {
        units
            .iter()
            .enumerate()
            .filter(|(_, unit)| keep(unit))
            .map(|(index, _)| index)
            .collect()
    };
    if let Some(group) = token.strip_prefix('@') {
        let found = match group {
            "all" => select(&|_| true),
            "sichuan" => select(&|u| u.province == Province::Sichuan),
            "chongqing" => select(&|u| u.province == Province::Chongqing),
            "core" => select(&|u| u.plan_role == PlanRole::Core),
            "regional_centre" => select(&|u| u.plan_role == PlanRole::RegionalCentre),
            "node_city" => select(&|u| u.plan_role == PlanRole::NodeCity),
            "county" => select(&|u| u.kind == "county"),
            zone => select(&|u| u.plan_zones.iter().any(|z| z == zone)),
        };
        if found.is_empty() {
            let mut known: Vec<String> = UNIT_GROUPS.iter().map(|g| g.to_string()).collect();
            for unit in units {
                for zone in &unit.plan_zones {
                    let name = format!("@{zone}");
                    if !known.contains(&name) {
                        known.push(name);
                    }
                }
            }
            return Err(format!(
                "unknown unit group `{token}`{}; groups are {}",
                suggestion(token, known.iter().map(String::as_str)),
                known.join(", ")
            ));
        }
        return Ok(found);
    }
    match units.iter().position(|unit| unit.id == token) {
        Some(index) => Ok(vec![index]),
        None => Err(format!(
            "unknown unit id `{token}`{}; ids are listed in units.csv of the data, groups start with @ (e.g. @chongqing_core)",
            suggestion(token, units.iter().map(|u| u.id.as_str()))
        )),
    }
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The unit ids of units.csv as written (in file order), against which the other files'
/// `unit_id` columns are checked. A row of units.csv with another problem (an area of 0, an
/// unknown province) still has its id here, so that the other files do not call it unknown.
pub(crate) struct UnitIds {
    index: BTreeMap<String, usize>,
    /// False when units.csv could not be read row by row (a missing column, a malformed row, no
    /// rows at all): its ids may be incomplete, so no id of another file is called unknown.
    complete: bool,
}

impl UnitIds {
    /// Ids read from a units.csv without row-level damage.
    #[cfg(test)]
    pub(crate) fn complete(index: BTreeMap<String, usize>) -> UnitIds {
        UnitIds {
            index,
            complete: true,
        }
    }
}

impl std::ops::Deref for UnitIds {
    type Target = BTreeMap<String, usize>;

    fn deref(&self) -> &Self::Target {
        &self.index
    }
}

// ---------------------------------------------------------------------------------------------
// CSV plumbing: a record with its line number and named-field access that records problems.

struct Table<'a> {
    file: &'a str,
    headers: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

fn read_table<'a>(
    (file, text): (&'a str, &str),
    required: &[&str],
    problems: &mut Vec<DataProblem>,
) -> Option<Table<'a>> {
    // The records before a quote that is never closed are read; the one holding it is
    // reported instead (its field would swallow the rows after it).
    let unclosed = unclosed_quote(text.as_bytes());
    if let Some(quote) = unclosed.as_ref().filter(|q| q.record_start == 0) {
        problems.push(quote.problem(file, &[]));
        return None;
    }
    let whole = &text[..unclosed.as_ref().map_or(text.len(), |q| q.record_start)];
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(whole.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(headers) => headers.iter().map(|h| h.trim().to_string()).collect(),
        Err(err) => {
            problems.push(problem(
                file,
                1,
                "",
                format!("cannot read the header: {err}"),
            ));
            return None;
        }
    };
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|column| !headers.iter().any(|h| h == column))
        .collect();
    if !missing.is_empty() {
        problems.push(problem(
            file,
            1,
            "",
            format!(
                "missing column(s) {}; the header must name: {}",
                missing.join(", "),
                required.join(",")
            ),
        ));
        if let Some(quote) = unclosed {
            problems.push(quote.problem(file, &headers));
        }
        return None;
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record_line(text.as_bytes(), record.position());
                rows.push((line, record));
            }
            Err(err) => {
                let line = record_line(text.as_bytes(), err.position());
                problems.push(problem(file, line, "", format!("malformed CSV row: {err}")));
            }
        }
    }
    if let Some(quote) = unclosed {
        problems.push(quote.problem(file, &headers));
    }
    Some(Table {
        file,
        headers,
        rows,
    })
}

/// The line of the file on which a CSV record starts (0 without a position), for messages.
///
/// The csv crate gives a record the position the reader stood at before reading it: just after
/// the previous record, before the blank lines it skips. Its line is one past the previous
/// record's, so in a file with blank lines it counts records, not lines. This adds the line
/// ends skipped between that position and the record's first byte.
pub fn record_line(text: &[u8], position: Option<&csv::Position>) -> u64 {
    let Some(position) = position else {
        return 0;
    };
    let start = usize::try_from(position.byte()).map_or(text.len(), |b| b.min(text.len()));
    let skipped = text[start..]
        .iter()
        .take_while(|&&byte| byte == b'\n' || byte == b'\r')
        .filter(|&&byte| byte == b'\n')
        .count();
    position.line() + skipped as u64
}

/// A quoted CSV field whose opening `"` is never closed, so that the file ends inside it: the
/// csv reader takes everything after the quote for that one field, rows and all, without an
/// error when the field is in the last column (and with a confusing count of fields when not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnclosedQuote {
    /// Byte at which the record holding the field starts; every record before it is whole.
    pub record_start: usize,
    /// The field's place in its record (0 for the first column).
    pub field: usize,
    /// Line of the opening `"`.
    pub line: u64,
    /// The file's last line that holds anything.
    pub last_line: u64,
}

impl UnclosedQuote {
    /// The problem in `file`, at the quote's line and in its column (named by `headers`, if
    /// the header was read).
    pub fn problem(&self, file: &str, headers: &[String]) -> DataProblem {
        let column = headers.get(self.field).map_or("", String::as_str);
        problem(file, self.line, column, self.message())
    }

    /// What is wrong and the fix.
    fn message(&self) -> String {
        let fix = "close the quote where the field ends (a `\"` inside a quoted field is written `\"\"`), or remove it";
        if self.last_line > self.line {
            format!(
                "a quoted field opens here and its `\"` is never closed: it runs over {} lines to the end of the file (lines {}–{}), taking the rows on them into this one field; {fix}",
                self.last_line - self.line + 1,
                self.line,
                self.last_line
            )
        } else {
            format!("a quoted field opens here and its `\"` is never closed (the file ends inside it); {fix}")
        }
    }
}

/// The quoted field the file ends inside, if any. A field that spans lines and is closed is
/// valid CSV (RFC 4180) and is read as one value; one that is never closed is not. Follows the
/// csv crate's default dialect: `,` between fields, `\r`, `\n` or `\r\n` after a record, a field
/// quoted when it starts with `"`, and `""` for a quote inside it.
pub fn unclosed_quote(text: &[u8]) -> Option<UnclosedQuote> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        /// A `"` inside a quoted field: it closes the field unless another `"` follows.
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    let (mut record_start, mut field, mut opened) = (0, 0, 0);
    for (at, &byte) in text.iter().enumerate() {
        state = match (state, byte) {
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) | (State::QuoteInQuoted, b'"') => State::Quoted,
            (_, b'\r' | b'\n') => {
                record_start = at + 1;
                field = 0;
                State::FieldStart
            }
            (_, b',') => {
                field += 1;
                State::FieldStart
            }
            (State::FieldStart, b'"') => {
                opened = at;
                State::Quoted
            }
            _ => State::Unquoted,
        };
    }
    if state != State::Quoted {
        return None;
    }
    let lines_before = |end: usize| text[..end].iter().filter(|&&b| b == b'\n').count() as u64;
    let content_end = text.len()
        - text
            .iter()
            .rev()
            .take_while(|&&b| b == b'\n' || b == b'\r')
            .count();
    Some(UnclosedQuote {
        record_start,
        field,
        line: lines_before(opened) + 1,
        last_line: lines_before(content_end.max(opened)) + 1,
    })
}

fn problem(file: &str, line: u64, column: &str, message: String) -> DataProblem {
    DataProblem {
        file: file.to_string(),
        line,
        column: column.to_string(),
        message,
    }
}

impl Table<'_> {
    fn get<'r>(&self, record: &'r csv::StringRecord, column: &str) -> &'r str {
        let index = self
            .headers
            .iter()
            .position(|h| h == column)
            .expect("required columns are checked when the table is read");
        record.get(index).unwrap_or("").trim()
    }

    /// A finite number; `positive` also demands > 0.
    fn number(
        &self,
        line: u64,
        record: &csv::StringRecord,
        column: &str,
        rule: NumberRule,
        problems: &mut Vec<DataProblem>,
    ) -> Option<f64> {
        let text = self.get(record, column);
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => {
                let ok = match rule {
                    NumberRule::Positive => value > 0.0,
                    NumberRule::NonNegative => value >= 0.0,
                    NumberRule::Between(lo, hi) => (lo..=hi).contains(&value),
                };
                if ok {
                    Some(value)
                } else {
                    problems.push(problem(
                        self.file,
                        line,
                        column,
                        format!("value {value} breaks the rule: {}", rule.describe()),
                    ));
                    None
                }
            }
            _ => {
                problems.push(problem(
                    self.file,
                    line,
                    column,
                    format!(
                        "`{text}` is not a finite number ({}); write a plain decimal such as 12.5",
                        rule.describe()
                    ),
                ));
                None
            }
        }
    }

    fn year(
        &self,
        line: u64,
        record: &csv::StringRecord,
        column: &str,
        problems: &mut Vec<DataProblem>,
    ) -> Option<i32> {
        let text = self.get(record, column);
        match text.parse::<i32>() {
            Ok(year) if (1949..=2100).contains(&year) => Some(year),
            _ => {
                problems.push(problem(
                    self.file,
                    line,
                    column,
                    format!("`{text}` is not a year between 1949 and 2100"),
                ));
                None
            }
        }
    }

    /// The `status` column, which must be one of `allowed`.
    fn status<'r>(
        &self,
        line: u64,
        record: &'r csv::StringRecord,
        allowed: &[&str],
        problems: &mut Vec<DataProblem>,
    ) -> &'r str {
        let status = self.get(record, "status");
        if !allowed.contains(&status) {
            problems.push(problem(
                self.file,
                line,
                "status",
                format!("unknown status `{status}`; use {}", allowed.join(", ")),
            ));
        }
        status
    }

    /// Whether the row's `unit` cell names `read_in`, the unit the loader reads its `value`
    /// in; when not, a problem with the value (`what`: the row's measure as the file names it)
    /// and the fix.
    fn unit_is(
        &self,
        line: u64,
        record: &csv::StringRecord,
        read_in: ReadIn,
        what: &str,
        value: Option<f64>,
        problems: &mut Vec<DataProblem>,
    ) -> bool {
        let given = self.get(record, "unit");
        if read_in.accepts(given) {
            return true;
        }
        problems.push(problem(
            self.file,
            line,
            "unit",
            read_in.wrong_unit(given, what, value),
        ));
        false
    }

    /// A known unit id, with a suggestion when it is close to one.
    fn unit(
        &self,
        line: u64,
        record: &csv::StringRecord,
        column: &str,
        ids: &UnitIds,
        problems: &mut Vec<DataProblem>,
    ) -> Option<usize> {
        let id = self.get(record, column);
        match ids.get(id) {
            Some(&index) => Some(index),
            // units.csv is reported instead: its ids could not all be read.
            None if !ids.complete => None,
            None => {
                problems.push(problem(
                    self.file,
                    line,
                    column,
                    format!(
                        "unknown unit id `{id}`{}; ids are listed in units.csv",
                        suggestion(id, ids.keys().map(String::as_str))
                    ),
                ));
                None
            }
        }
    }
}

/// Provenance of per-unit values (baseline and history files).
const UNIT_STATUSES: [&str; 3] = ["observed", "derived", "estimated"];
/// Provenance of macro drivers.
const MACRO_STATUSES: [&str; 3] = ["sourced", "derived", "recalled_unverified"];

/// The indicators of plan_targets.csv that are compared with a run, and the unit of each.
const TARGET_MEASURES: [(&str, ReadIn); 5] = [
    ("central_urban_population", measure::PERSONS),
    ("urban_construction_land", measure::SQUARE_KM),
    ("resident_population", measure::PERSONS),
    ("gdp", measure::YUAN_CURRENT),
    ("area", measure::SQUARE_KM),
];

#[derive(Clone, Copy)]
enum NumberRule {
    Positive,
    NonNegative,
    Between(f64, f64),
}

impl NumberRule {
    fn describe(self) -> String {
        match self {
            NumberRule::Positive => "must be a finite number greater than 0".into(),
            NumberRule::NonNegative => "must be a finite number of at least 0".into(),
            NumberRule::Between(lo, hi) => format!("must be between {lo} and {hi}"),
        }
    }
}

/// " (did you mean `chengdu`?)" when a candidate is close, else "".
pub fn suggestion<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    nearest(word, candidates).map_or(String::new(), |candidate| {
        format!(" (did you mean `{candidate}`?)")
    })
}

/// The candidate closest to `word` (Damerau–Levenshtein), if it is close enough to be the word
/// meant: within 3 edits, or a third of the word's length for long words.
pub fn nearest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    // A name is also close when it is close to a candidate's first `_`-separated part
    // (`betta` → `beta_per_hour`).
    let distance = |candidate: &str| {
        let whole = strsim::damerau_levenshtein(word, candidate);
        match candidate.split_once('_') {
            Some((head, _)) if !word.contains('_') && !word.is_empty() => {
                whole.min(strsim::damerau_levenshtein(word, head))
            }
            _ => whole,
        }
    };
    candidates
        .map(|candidate| (distance(candidate), candidate))
        .min()
        .filter(|(distance, _)| *distance <= 3.max(word.len() / 3))
        .map(|(_, candidate)| candidate)
}

/// Checks that every unit appears exactly once in a per-unit table.
fn check_complete<T>(
    file: &str,
    values: Vec<Option<T>>,
    seen_lines: &[Vec<u64>],
    ids: &UnitIds,
    problems: &mut Vec<DataProblem>,
    what: &str,
) -> Option<Vec<T>> {
    let mut ok = true;
    let mut by_index: Vec<&str> = vec![""; ids.len()];
    for (id, &index) in ids.iter() {
        by_index[index] = id;
    }
    for (index, lines) in seen_lines.iter().enumerate() {
        if lines.is_empty() {
            problems.push(problem(
                file,
                0,
                "unit_id",
                format!(
                    "unit `{}` has no {what} row; every unit of units.csv needs one",
                    by_index[index]
                ),
            ));
            ok = false;
        } else if lines.len() > 1 {
            problems.push(problem(
                file,
                lines[1],
                "unit_id",
                format!(
                    "unit `{}` has {what} rows on lines {:?}; keep exactly one",
                    by_index[index], lines
                ),
            ));
            ok = false;
        }
    }
    if !ok || values.iter().any(Option::is_none) {
        return None;
    }
    Some(values.into_iter().map(|v| v.expect("checked")).collect())
}

/// The first line of each key of a file whose keys must be unique (unit ids, target ids, link
/// ids, national quantities).
struct UniqueKeys {
    /// What a key is, in messages: "unit id", "target id".
    what: &'static str,
    /// The rule and its fix, in messages.
    rule: &'static str,
    first_line: BTreeMap<String, u64>,
}

/// The fix of a duplicate id, in [`UniqueKeys`] messages.
const UNIQUE_ID_RULE: &str =
    "ids must be unique: delete one of the two rows, or give this one an id of its own";

impl UniqueKeys {
    fn new(what: &'static str, rule: &'static str) -> UniqueKeys {
        UniqueKeys {
            what,
            rule,
            first_line: BTreeMap::new(),
        }
    }

    /// Records `key` of the row on `line`; a key seen before is a problem that names both lines
    /// (`false`: the caller skips the row, so the first row stands and nothing is counted twice).
    fn first(
        &mut self,
        table: &Table<'_>,
        line: u64,
        column: &str,
        key: &str,
        problems: &mut Vec<DataProblem>,
    ) -> bool {
        if let Some(previous) = self.first_line.get(key) {
            problems.push(problem(
                table.file,
                line,
                column,
                format!(
                    "duplicate {} `{key}` (first on line {previous}); {}",
                    self.what, self.rule
                ),
            ));
            return false;
        }
        self.first_line.insert(key.to_string(), line);
        true
    }
}

// ---------------------------------------------------------------------------------------------
// The ten files (central_urban_evidence.csv: `central_urban`).

/// The units that are valid, and the ids of every row as written.
fn parse_units(file: (&str, &str), problems: &mut Vec<DataProblem>) -> (Vec<Unit>, UnitIds) {
    let required = [
        "unit_id",
        "name_zh",
        "name_en",
        "province",
        "kind",
        "plan_role",
        "plan_zones",
        "area_km2",
        "lat",
        "lon",
    ];
    let before = problems.len();
    let mut ids = UnitIds {
        index: BTreeMap::new(),
        complete: false,
    };
    let Some(table) = read_table(file, &required, problems) else {
        note_unchecked_ids(file.0, problems);
        return (Vec::new(), ids);
    };
    // A malformed row hides its id (and a quote left open, the rows after it).
    ids.complete = problems.len() == before && !table.rows.is_empty();
    let mut units = Vec::new();
    let mut unique = UniqueKeys::new("unit id", UNIQUE_ID_RULE);
    for (line, record) in &table.rows {
        let line = *line;
        let id = table.get(record, "unit_id").to_string();
        let id_ok = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !id_ok {
            problems.push(problem(
                table.file,
                line,
                "unit_id",
                format!("`{id}` is not a valid id: use lower-case ASCII letters, digits and _"),
            ));
        }
        if !unique.first(&table, line, "unit_id", &id, problems) {
            continue;
        }
        if !id.is_empty() {
            let index = ids.index.len();
            ids.index.insert(id.clone(), index);
        }
        let province_text = table.get(record, "province");
        let province = Province::parse(province_text);
        if province.is_none() {
            problems.push(problem(
                table.file,
                line,
                "province",
                format!("unknown province `{province_text}`; use `sichuan` or `chongqing`"),
            ));
        }
        let role_text = table.get(record, "plan_role");
        let plan_role = PlanRole::parse(role_text);
        if plan_role.is_none() {
            problems.push(problem(
                table.file,
                line,
                "plan_role",
                format!("unknown plan role `{role_text}`; use core, regional_centre or node_city"),
            ));
        }
        let area = table.number(line, record, "area_km2", NumberRule::Positive, problems);
        let lat = table.number(
            line,
            record,
            "lat",
            NumberRule::Between(-90.0, 90.0),
            problems,
        );
        let lon = table.number(
            line,
            record,
            "lon",
            NumberRule::Between(-180.0, 180.0),
            problems,
        );
        let plan_zones: Vec<String> = table
            .get(record, "plan_zones")
            .split(';')
            .map(str::trim)
            .filter(|zone| !zone.is_empty())
            .map(String::from)
            .collect();
        for zone in &plan_zones {
            if !PLAN_ZONES.contains(&zone.as_str()) {
                problems.push(problem(
                    table.file,
                    line,
                    "plan_zones",
                    format!(
                        "unknown plan zone `{zone}`{}; the plan's zones are {} (several separated by `;`, or none)",
                        suggestion(zone, PLAN_ZONES.iter().copied()),
                        PLAN_ZONES.join(", ")
                    ),
                ));
            }
        }
        if let (Some(province), Some(plan_role), Some(area_km2), Some(lat), Some(lon)) =
            (province, plan_role, area, lat, lon)
        {
            units.push(Unit {
                id,
                name_zh: table.get(record, "name_zh").to_string(),
                name_en: table.get(record, "name_en").to_string(),
                province,
                kind: table.get(record, "kind").to_string(),
                plan_role,
                plan_zones,
                area_km2,
                lat,
                lon,
            });
        }
    }
    if units.len() != 44 && problems.is_empty() {
        problems.push(problem(
            table.file,
            0,
            "",
            format!(
                "found {} units; the plan area has 44 (29 Chongqing districts/counties, 15 Sichuan cities)",
                units.len()
            ),
        ));
    }
    if !ids.complete {
        note_unchecked_ids(table.file, problems);
    }
    (units, ids)
}

/// Says that the other files' unit ids were not checked, because units.csv could not be read
/// row by row: without it, every id they name would be reported as unknown.
fn note_unchecked_ids(file: &str, problems: &mut Vec<DataProblem>) {
    problems.push(problem(
        file,
        0,
        "",
        "the unit ids of the other data files are not checked until this file's rows can be read; fix the problems above first".into(),
    ));
}

fn parse_census(
    file: (&str, &str),
    ids: &UnitIds,
    readings: &mut Readings,
    problems: &mut Vec<DataProblem>,
) -> Option<Vec<Census2010>> {
    let required = [
        "unit_id",
        "resident_population",
        "urban_population",
        "registered_population",
        "in_migrants_same_county",
        "in_migrants_other_county_same_province",
        "in_migrants_other_province",
        "natural_growth_permille",
    ];
    let table = read_table(file, &required, problems)?;
    let mut values: Vec<Option<Census2010>> = vec![None; ids.len()];
    let mut seen = vec![Vec::new(); ids.len()];
    for (line, record) in &table.rows {
        let line = *line;
        let unit = table.unit(line, record, "unit_id", ids, problems);
        let mut num = |column: &str, rule| table.number(line, record, column, rule, problems);
        let resident = num("resident_population", NumberRule::Positive);
        let urban = num("urban_population", NumberRule::NonNegative);
        let registered = num("registered_population", NumberRule::Positive);
        let same_county = num("in_migrants_same_county", NumberRule::NonNegative);
        let other_county = num(
            "in_migrants_other_county_same_province",
            NumberRule::NonNegative,
        );
        let other_province = num("in_migrants_other_province", NumberRule::NonNegative);
        let natural = num("natural_growth_permille", NumberRule::Between(-50.0, 50.0));
        if let (Some(resident), Some(urban)) = (resident, urban) {
            if urban > resident {
                problems.push(problem(
                    table.file,
                    line,
                    "urban_population",
                    format!("urban population {urban} exceeds the resident population {resident}"),
                ));
            }
        }
        if let Some(unit) = unit {
            seen[unit].push(line);
            for (column, value) in [
                ("resident_population", resident),
                ("urban_population", urban),
                ("registered_population", registered),
                ("in_migrants_same_county", same_county),
                ("in_migrants_other_county_same_province", other_county),
                ("in_migrants_other_province", other_province),
            ] {
                if let Some(value) = value {
                    readings
                        .census_2010
                        .entry((unit, column))
                        .or_insert(Reading { line, value });
                }
            }
            if let (
                Some(resident_population),
                Some(urban_population),
                Some(registered_population),
                Some(in_migrants_same_county),
                Some(in_migrants_other_county_same_province),
                Some(in_migrants_other_province),
                Some(natural_growth_permille),
            ) = (
                resident,
                urban,
                registered,
                same_county,
                other_county,
                other_province,
                natural,
            ) {
                values[unit] = Some(Census2010 {
                    resident_population,
                    urban_population,
                    registered_population,
                    in_migrants_same_county,
                    in_migrants_other_county_same_province,
                    in_migrants_other_province,
                    natural_growth_permille,
                });
            }
        }
    }
    check_complete(table.file, values, &seen, ids, problems, "census")
}

/// census_2000_units.csv: one row per unit with its 2000 census resident count (`pop_census`) on
/// today's boundaries; the other columns (components, method, source) are provenance.
fn parse_census_2000(
    file: (&str, &str),
    ids: &UnitIds,
    readings: &mut Readings,
    problems: &mut Vec<DataProblem>,
) -> Option<Vec<f64>> {
    let required = ["unit_id", "year", "pop_census", "method", "source"];
    let table = read_table(file, &required, problems)?;
    let mut values: Vec<Option<f64>> = vec![None; ids.len()];
    let mut seen = vec![Vec::new(); ids.len()];
    for (line, record) in &table.rows {
        let line = *line;
        let unit = table.unit(line, record, "unit_id", ids, problems);
        let year = table.year(line, record, "year", problems);
        if year.is_some_and(|year| year != 2000) {
            problems.push(problem(
                table.file,
                line,
                "year",
                "the 2000 census file holds year 2000 only".into(),
            ));
        }
        let population = table.number(line, record, "pop_census", NumberRule::Positive, problems);
        if let Some(unit) = unit {
            seen[unit].push(line);
            values[unit] = population;
            if let Some(value) = population {
                readings
                    .census_2000
                    .entry(unit)
                    .or_insert(Reading { line, value });
            }
        }
    }
    check_complete(table.file, values, &seen, ids, problems, "2000 census")
}

fn parse_base(
    file: (&str, &str),
    ids: &UnitIds,
    readings: &mut Readings,
    problems: &mut Vec<DataProblem>,
) -> Option<Vec<BaseYear>> {
    let required = [
        "unit_id",
        "variable",
        "year",
        "value",
        "unit",
        "status",
        "method_or_source",
    ];
    let table = read_table(file, &required, problems)?;
    let mut population: Vec<Option<Sourced>> = vec![None; ids.len()];
    let mut gdp: Vec<Option<Sourced>> = vec![None; ids.len()];
    let mut seen_population = vec![Vec::new(); ids.len()];
    let mut seen_gdp = vec![Vec::new(); ids.len()];
    for (line, record) in &table.rows {
        let line = *line;
        let unit = table.unit(line, record, "unit_id", ids, problems);
        let year = table.year(line, record, "year", problems);
        if year.is_some_and(|year| year != 2014) {
            problems.push(problem(
                table.file,
                line,
                "year",
                "the base-year file holds 2014 values only".into(),
            ));
        }
        let value = table.number(line, record, "value", NumberRule::Positive, problems);
        let status = table.status(line, record, &UNIT_STATUSES, problems);
        let sourced = value.map(|value| Sourced {
            value,
            status: status.to_string(),
            method: table.get(record, "method_or_source").to_string(),
        });
        let variable = table.get(record, "variable");
        let read_in = match variable {
            "population" => Some(measure::PERSONS),
            "gdp" => Some(measure::YUAN_2014),
            _ => None,
        };
        let unit_right = read_in
            .is_some_and(|read_in| table.unit_is(line, record, read_in, variable, value, problems));
        let read = |readings: &mut BTreeMap<usize, Reading>, unit: usize| {
            if let (true, Some(value)) = (unit_right, value) {
                readings.entry(unit).or_insert(Reading { line, value });
            }
        };
        match (variable, unit) {
            ("population", Some(unit)) => {
                seen_population[unit].push(line);
                population[unit] = sourced;
                read(&mut readings.base_population, unit);
            }
            ("gdp", Some(unit)) => {
                seen_gdp[unit].push(line);
                gdp[unit] = sourced;
                read(&mut readings.base_gdp, unit);
            }
            ("population" | "gdp", None) => {}
            (other, _) => problems.push(problem(
                table.file,
                line,
                "variable",
                format!("unknown variable `{other}`; use population or gdp"),
            )),
        }
    }
    let population = check_complete(
        table.file,
        population,
        &seen_population,
        ids,
        problems,
        "population",
    );
    let gdp = check_complete(table.file, gdp, &seen_gdp, ids, problems, "gdp");
    let (population, gdp) = (population?, gdp?);
    Some(
        population
            .into_iter()
            .zip(gdp)
            .map(|(population, gdp)| BaseYear { population, gdp })
            .collect(),
    )
}

fn parse_history(
    file: (&str, &str),
    ids: &UnitIds,
    readings: &mut Readings,
    problems: &mut Vec<DataProblem>,
) -> History {
    let required = ["unit_id", "year", "variable", "value", "unit", "status"];
    let mut history = History::default();
    let Some(table) = read_table(file, &required, problems) else {
        return history;
    };
    for (line, record) in &table.rows {
        let line = *line;
        let unit = table.unit(line, record, "unit_id", ids, problems);
        let year = table.year(line, record, "year", problems);
        let variable = table.get(record, "variable");
        // `compared`: the variable's name where its rows are compared with other files'
        // figures (populations and GDP; rates are not).
        let (map, rule, read_in, compared) = match variable {
            "gdp" => (
                &mut history.gdp,
                NumberRule::Positive,
                measure::YUAN_CURRENT_PRICES,
                Some("gdp"),
            ),
            "population" => (
                &mut history.population,
                NumberRule::Positive,
                measure::PERSONS,
                Some("population"),
            ),
            "population_annual_average" => (
                &mut history.population_annual_average,
                NumberRule::Positive,
                measure::PERSONS,
                Some("population_annual_average"),
            ),
            "real_gdp_growth" => (
                &mut history.real_gdp_growth,
                NumberRule::Between(-50.0, 100.0),
                measure::PERCENT,
                None,
            ),
            "urban_share" => (
                &mut history.urban_share,
                NumberRule::Between(0.0, 1.0),
                measure::FRACTION,
                None,
            ),
            other => {
                problems.push(problem(
                    table.file,
                    line,
                    "variable",
                    format!("unknown variable `{other}`; use gdp, population, population_annual_average, real_gdp_growth or urban_share"),
                ));
                continue;
            }
        };
        let value = table.number(line, record, "value", rule, problems);
        let unit_right = table.unit_is(line, record, read_in, variable, value, problems);
        if let (Some(unit), Some(year), Some(value)) = (unit, year, value) {
            if year > 2014 {
                problems.push(problem(
                    table.file,
                    line,
                    "year",
                    format!("year {year} is after the 2014 base year; the model is judged out of sample, so history stops in 2014"),
                ));
            } else if map.insert((unit, year), value).is_some() {
                problems.push(problem(
                    table.file,
                    line,
                    "year",
                    format!("second `{variable}` value for this unit and year"),
                ));
            } else if let (true, Some(variable)) = (unit_right, compared) {
                readings.history.push(HistoryReading {
                    unit,
                    year,
                    variable,
                    reading: Reading { line, value },
                });
            }
        }
        table.status(line, record, &UNIT_STATUSES, problems);
    }
    history
}

fn parse_macro(
    file: (&str, &str),
    readings: &mut Readings,
    problems: &mut Vec<DataProblem>,
) -> Macro {
    let required = [
        "province",
        "year",
        "indicator",
        "value",
        "unit",
        "status",
        "source",
    ];
    let mut drivers = Macro::default();
    let Some(table) = read_table(file, &required, problems) else {
        return drivers;
    };
    for (line, record) in &table.rows {
        let line = *line;
        let region = table.get(record, "province").to_string();
        if !["sichuan", "chongqing", "china"].contains(&region.as_str()) {
            problems.push(problem(
                table.file,
                line,
                "province",
                format!("unknown region `{region}`; use sichuan, chongqing or china"),
            ));
            continue;
        }
        let year = table.year(line, record, "year", problems);
        let indicator = table.get(record, "indicator");
        let (map, rule, read_in, compared) = match indicator {
            "real_gdp_growth" => (
                Some(&mut drivers.real_gdp_growth),
                NumberRule::Between(-50.0, 100.0),
                measure::PERCENT,
                None,
            ),
            "natural_growth" => (
                Some(&mut drivers.natural_growth),
                NumberRule::Between(-50.0, 50.0),
                measure::PERMILLE,
                None,
            ),
            "resident_population" => (
                Some(&mut drivers.resident_population),
                NumberRule::Positive,
                measure::PERSONS,
                Some("resident_population"),
            ),
            // Read for completeness (validated), not used by the model.
            "gdp_deflator_index" => (None, NumberRule::Positive, measure::INDEX_2014, None),
            "gdp" => (
                None,
                NumberRule::Positive,
                measure::YUAN_CURRENT,
                Some("gdp"),
            ),
            other => {
                problems.push(problem(
                    table.file,
                    line,
                    "indicator",
                    format!("unknown indicator `{other}`; use real_gdp_growth, natural_growth, resident_population, gdp or gdp_deflator_index"),
                ));
                continue;
            }
        };
        let value = table.number(line, record, "value", rule, problems);
        let status = table.status(line, record, &MACRO_STATUSES, problems);
        let unit_right = table.unit_is(line, record, read_in, indicator, value, problems);
        if let (true, Some(indicator), Some(province), Some(year), Some(value)) =
            (unit_right, compared, Province::parse(&region), year, value)
        {
            readings.provinces.push(ProvinceReading {
                province,
                year,
                indicator,
                reading: Reading { line, value },
            });
        }
        if let (Some(map), Some(year), Some(value)) = (map, year, value) {
            if status == "recalled_unverified" {
                drivers
                    .unverified
                    .push(format!("{region} {indicator} {year} = {value}"));
            }
            if map.insert((region.clone(), year), value).is_some() {
                problems.push(problem(
                    table.file,
                    line,
                    "year",
                    format!("second `{indicator}` value for {region} in {year}"),
                ));
            }
        }
    }
    for region in ["sichuan", "chongqing", "china"] {
        if !drivers.real_gdp_growth.keys().any(|(r, _)| r == region) {
            problems.push(problem(
                table.file,
                0,
                "indicator",
                format!("no real_gdp_growth rows for `{region}`; the model needs at least one"),
            ));
        }
    }
    for region in ["sichuan", "chongqing"] {
        if !drivers.natural_growth.keys().any(|(r, _)| r == region) {
            problems.push(problem(
                table.file,
                0,
                "indicator",
                format!("no natural_growth rows for `{region}`; the model needs at least one"),
            ));
        }
        for year in [2010, 2014] {
            if !drivers
                .resident_population
                .contains_key(&(region.to_string(), year))
            {
                problems.push(problem(
                    table.file,
                    0,
                    "indicator",
                    format!("no resident_population row for `{region}` in {year}; the per-head trend needs 2010 and 2014"),
                ));
            }
        }
    }
    drivers
}

fn parse_targets(
    file: (&str, &str),
    ids: &UnitIds,
    readings: &mut Readings,
    problems: &mut Vec<DataProblem>,
) -> Vec<Target> {
    let required = [
        "target_id",
        "unit_id",
        "indicator",
        "year",
        "value",
        "unit",
        "kind",
        "source_zh",
        "note",
    ];
    let Some(table) = read_table(file, &required, problems) else {
        return Vec::new();
    };
    let mut targets = Vec::new();
    let mut unique = UniqueKeys::new("target id", UNIQUE_ID_RULE);
    for (line, record) in &table.rows {
        let line = *line;
        let target_id = table.get(record, "target_id");
        if !unique.first(&table, line, "target_id", target_id, problems) {
            continue;
        }
        let unit_text = table.get(record, "unit_id");
        let unit = if unit_text == "ALL" {
            Some(None)
        } else {
            table.unit(line, record, "unit_id", ids, problems).map(Some)
        };
        let year = table.year(line, record, "year", problems);
        let value = table.number(line, record, "value", NumberRule::Positive, problems);
        let indicator = table.get(record, "indicator");
        // The indicators the scorecard compares with a run; others (towns per area) are shown
        // as they are, in the unit the row gives.
        let known = TARGET_MEASURES
            .iter()
            .find(|(name, _)| *name == indicator)
            .copied();
        let unit_right = known.is_some_and(|(name, read_in)| {
            table.unit_is(line, record, read_in, name, value, problems)
        });
        if let (true, Some((indicator, _)), Some(unit), Some(year), Some(value)) =
            (unit_right, known, unit, year, value)
        {
            readings.targets.push(TargetReading {
                target_id: target_id.to_string(),
                unit,
                indicator,
                year,
                reading: Reading { line, value },
            });
        }
        if let (Some(unit), Some(year), Some(value)) = (unit, year, value) {
            targets.push(Target {
                target_id: target_id.to_string(),
                unit,
                indicator: indicator.to_string(),
                year,
                value,
                unit_of_measure: table.get(record, "unit").to_string(),
                kind: table.get(record, "kind").to_string(),
                source_zh: table.get(record, "source_zh").to_string(),
                note: table.get(record, "note").to_string(),
            });
        }
    }
    targets
}

/// The national totals and the line of each (population, GDP, area).
fn parse_national(
    file: (&str, &str),
    problems: &mut Vec<DataProblem>,
) -> Option<(NationalTotals, [u64; 3])> {
    let required = ["quantity", "value", "unit", "status", "method_or_source"];
    let table = read_table(file, &required, problems)?;
    let mut found: BTreeMap<String, (f64, u64)> = BTreeMap::new();
    let mut unique = UniqueKeys::new(
        "quantity",
        "each national total has one row: delete the row that is wrong",
    );
    for (line, record) in &table.rows {
        let quantity = table.get(record, "quantity").to_string();
        if !unique.first(&table, *line, "quantity", &quantity, problems) {
            continue;
        }
        let value = table.number(*line, record, "value", NumberRule::Positive, problems);
        let read_in = match quantity.as_str() {
            "national_population" => Some(measure::PERSONS),
            "national_gdp" => Some(measure::YUAN_2014),
            "national_area" => Some(measure::SQUARE_KM),
            _ => None,
        };
        if let Some(read_in) = read_in {
            table.unit_is(*line, record, read_in, &quantity, value, problems);
        }
        if let Some(value) = value {
            found.insert(quantity, (value, *line));
        }
    }
    let mut get = |name: &str| {
        let value = found.get(name).copied();
        if value.is_none() {
            problems.push(problem(
                table.file,
                0,
                "quantity",
                format!("missing row `{name}` (national_population, national_gdp and national_area are required)"),
            ));
        }
        value
    };
    let (population, gdp, area) = (
        get("national_population"),
        get("national_gdp"),
        get("national_area"),
    );
    let ((population, population_line), (gdp, gdp_line), (area_km2, area_line)) =
        (population?, gdp?, area?);
    Some((
        NationalTotals {
            population,
            gdp,
            area_km2,
        },
        [population_line, gdp_line, area_line],
    ))
}

/// A total of persons, yuan or km² with thousands separators (as written when not whole).
fn total(value: f64) -> String {
    if value.fract() == 0.0 && (0.0..1e18).contains(&value) {
        thousands(value as usize)
    } else {
        value.to_string()
    }
}

/// The rest-of-China node is each national total minus the 44 units' sum (its population,
/// GDP and land), so each national total must exceed that sum.
fn check_national_totals(
    (file, lines): (&str, [u64; 3]),
    national: &NationalTotals,
    (units_file, units): (&str, &[Unit]),
    (base_file, base): (&str, &[BaseYear]),
    problems: &mut Vec<DataProblem>,
) {
    let base_name = Path::new(base_file)
        .file_name()
        .map_or(base_file.into(), |n| n.to_string_lossy());
    let units_name = Path::new(units_file)
        .file_name()
        .map_or(units_file.into(), |n| n.to_string_lossy());
    let population: f64 = base.iter().map(|b| b.population.value).sum();
    let gdp: f64 = base.iter().map(|b| b.gdp.value).sum();
    let area: f64 = units.iter().map(|u| u.area_km2).sum();
    let n = units.len();
    let checks = [
        (
            "national_population",
            national.population,
            population,
            format!("the {n} units' 2014 population in {base_name}"),
            "persons",
        ),
        (
            "national_gdp",
            national.gdp,
            gdp,
            format!("the {n} units' 2014 GDP in {base_name}"),
            "yuan",
        ),
        (
            "national_area",
            national.area_km2,
            area,
            format!("the {n} units' area in {units_name}"),
            "km²",
        ),
    ];
    for ((quantity, value, sum, what, unit), line) in checks.into_iter().zip(lines) {
        if value <= sum {
            problems.push(problem(
                file,
                line,
                "value",
                format!(
                    "{quantity} {} is not more than {what} ({} {unit}); the rest-of-China node is the national total minus the units, so it must be larger: give the total of all China in {unit}, not a share or a regional figure",
                    total(value),
                    total(sum.round())
                ),
            ));
        }
    }
}

fn parse_links(
    file: (&str, &str),
    units: &[Unit],
    ids: &UnitIds,
    problems: &mut Vec<DataProblem>,
) -> Vec<TransportLink> {
    // With a unit of units.csv dropped for a problem of its row (reported there), a token may
    // fail to resolve only because of it.
    let units_clean = ids.complete && ids.len() == units.len();
    let required = [
        "link_id",
        "name_zh",
        "from_units",
        "to_units",
        "from_year",
        "hours",
        "status",
        "source",
    ];
    let Some(table) = read_table(file, &required, problems) else {
        return Vec::new();
    };
    let mut links = Vec::new();
    let mut unique = UniqueKeys::new("link id", UNIQUE_ID_RULE);
    for (line, record) in &table.rows {
        let line = *line;
        let link_id = table.get(record, "link_id");
        if !unique.first(&table, line, "link_id", link_id, problems) {
            continue;
        }
        let mut side = |column: &str| -> Option<Vec<usize>> {
            let mut all = Vec::new();
            for token in table.get(record, column).split(';').map(str::trim) {
                match resolve_units(units, token) {
                    Ok(found) => all.extend(found),
                    Err(message) => {
                        if units_clean {
                            problems.push(problem(table.file, line, column, message));
                        }
                        return None;
                    }
                }
            }
            Some(all)
        };
        let from = side("from_units");
        let to = side("to_units");
        let from_year = table.year(line, record, "from_year", problems);
        let hours = table.number(
            line,
            record,
            "hours",
            NumberRule::Between(0.01, 48.0),
            problems,
        );
        if let (Some(from), Some(to), Some(from_year), Some(hours)) = (from, to, from_year, hours) {
            links.push(TransportLink {
                link_id: link_id.to_string(),
                name_zh: table.get(record, "name_zh").to_string(),
                from,
                to,
                from_year,
                hours,
            });
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits_by_three() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1999071), "1,999,071");
    }

    #[test]
    fn problem_counts_read_as_english() {
        assert_eq!(problem_count(1), "1 problem");
        assert_eq!(problem_count(3), "3 problems");
    }

    /// A data folder whose file is far too large is refused by name, without reading it whole.
    #[test]
    fn an_oversized_data_file_is_refused_with_its_name() {
        let tmp = tempfile::tempdir().unwrap();
        for (name, text) in EMBEDDED {
            std::fs::write(tmp.path().join(name), text).unwrap();
        }
        // A sparse file: 1 byte past the limit takes no disk space.
        let huge = std::fs::File::create(tmp.path().join("units.csv")).unwrap();
        huge.set_len(MAX_DATA_FILE_BYTES + 1).unwrap();
        let err = Dataset::from_dir(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("units.csv"), "{err}");
        assert!(
            err.contains("larger than 64 MB, the limit for a data file"),
            "{err}"
        );
    }

    fn embedded_files() -> Vec<(String, String)> {
        EMBEDDED
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn embedded_data_is_valid_and_complete() {
        let data = Dataset::embedded();
        assert_eq!(data.units.len(), 44);
        let chongqing = data
            .units
            .iter()
            .filter(|u| u.province == Province::Chongqing)
            .count();
        assert_eq!(chongqing, 29);
        assert_eq!(
            data.units.iter().filter(|u| u.is_chongqing_core()).count(),
            9
        );
        // The README of data/ gives these totals: 9,201万 people and 38,944亿 yuan.
        assert!((data.base_population_total() / 1e4 - 9201.0).abs() < 1.0);
        assert!((data.base_gdp_total() / 1e8 - 38944.0).abs() < 1.0);
        assert_eq!(data.targets.len(), 18);
        assert_eq!(data.hashes.len(), 10);
        assert_eq!(data.transport_links.len(), 2);
        assert_eq!(data.transport_links[1].to.len(), 9);
    }

    #[test]
    fn short_names_drop_suffixes_but_keep_one_character_stems() {
        assert_eq!(short_zh("成都市"), "成都");
        assert_eq!(short_zh("渝中区"), "渝中");
        assert_eq!(short_zh("忠县"), "忠县");
        assert_eq!(short_zh("云阳县"), "云阳");
    }

    #[test]
    fn a_non_numeric_cell_and_a_missing_unit_are_both_reported() {
        let mut files = embedded_files();
        files[1].1 = files[1].1.replace("yuzhong,630090", "yuzhong,abc");
        files[3].1 = files[3]
            .1
            .lines()
            .filter(|line| !line.starts_with("yaan,"))
            .collect::<Vec<_>>()
            .join("\n");
        let errors = Dataset::parse(DataSource::Embedded, &files).unwrap_err();
        let text = errors.to_string();
        assert!(text.contains("census_2010_units.csv:2: column `resident_population`: `abc` is not a finite number"), "{text}");
        assert!(text.contains("unit `yaan` has no population row"), "{text}");
        assert!(text.contains("unit `yaan` has no gdp row"), "{text}");
    }

    #[test]
    fn unknown_unit_ids_suggest_the_closest_one() {
        let mut files = embedded_files();
        files[1].1 = files[1].1.replace("chengdu,", "chengduu,");
        let text = Dataset::parse(DataSource::Embedded, &files)
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("unknown unit id `chengduu` (did you mean `chengdu`?)"),
            "{text}"
        );
    }

    #[test]
    fn unknown_province_and_duplicate_id_are_errors() {
        let mut files = embedded_files();
        files[0].1 = files[0].1.replace(
            ",sichuan,prefecture_city,core",
            ",shaanxi,prefecture_city,core",
        );
        files[0].1.push_str(
            "yuzhong,渝中区,Yuzhong,chongqing,district,core,chongqing_core,,23.2,29.56,106.56\n",
        );
        let text = Dataset::parse(DataSource::Embedded, &files)
            .unwrap_err()
            .to_string();
        assert!(text.contains("unknown province `shaanxi`"), "{text}");
        assert!(
            text.contains("duplicate unit id `yuzhong` (first on line 2)"),
            "{text}"
        );
    }

    /// A misspelt plan zone would quietly start a group of its own and take the unit out of
    /// its real group; the plan's zones are a fixed set.
    #[test]
    fn an_unknown_plan_zone_is_refused_with_the_valid_zones() {
        let mut files = embedded_files();
        files[0].1 = files[0].1.replace(
            "\nyuzhong,渝中区,Yuzhong,chongqing,district,core,chongqing_core,",
            "\nyuzhong,渝中区,Yuzhong,chongqing,district,core,chongqing_cor,",
        );
        let text = Dataset::parse(DataSource::Embedded, &files)
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("units.csv:2: column `plan_zones`: unknown plan zone `chongqing_cor` (did you mean `chongqing_core`?); the plan's zones are chengde_mianle_belt, chongqing_core, da_wan_cluster, development_axis, nan_sui_guang_cluster, south_sichuan_cluster, yangtze_belt"),
            "{text}"
        );
        // Every zone of the shipped units is one of the plan's.
        for unit in Dataset::embedded().units {
            for zone in &unit.plan_zones {
                assert!(PLAN_ZONES.contains(&zone.as_str()), "{zone}");
            }
        }
    }

    /// A second row for a national total, a target or a transport link would silently replace
    /// the first or be counted twice; both lines are named.
    #[test]
    fn duplicate_targets_links_and_national_totals_are_refused_naming_both_lines() {
        let mut files = embedded_files();
        let row = |text: &str, line: usize| text.lines().nth(line - 1).unwrap().to_string();
        let target = row(&files[6].1, 2);
        files[6].1.push_str(&format!("{target}\n"));
        let targets_line = files[6].1.lines().count();
        files[7]
            .1
            .push_str("national_population,2367518797,persons,derived,duplicate\n");
        let national_line = files[7].1.lines().count();
        let link = row(&files[8].1, 3);
        files[8].1.push_str(&format!("{link}\n"));
        let link_line = files[8].1.lines().count();
        let text = Dataset::parse(DataSource::Embedded, &files)
            .unwrap_err()
            .to_string();
        for fragment in [
            format!("plan_targets.csv:{targets_line}: column `target_id`: duplicate target id `wanzhou_central_pop_2020` (first on line 2); ids must be unique"),
            format!("rest_of_china.csv:{national_line}: column `quantity`: duplicate quantity `national_population` (first on line 2); each national total has one row"),
            format!("transport_links.csv:{link_line}: column `link_id`: duplicate link id `chengyu_hsr` (first on line 3)"),
        ] {
            assert!(text.contains(&fragment), "missing {fragment:?} in\n{text}");
        }
        assert!(text.starts_with("3 problems"), "{text}");
    }

    /// The rest-of-China node is each national total minus the units' sum: totals at or below
    /// that sum are refused at their row (the calibration used to blame the parameters).
    #[test]
    fn national_totals_must_exceed_the_units_sums() {
        let mut files = embedded_files();
        let text = files[7].1.clone();
        let mut edited = String::new();
        for line in text.lines() {
            let mut fields: Vec<&str> = line.splitn(3, ',').collect();
            match fields[0] {
                "national_population" => fields[1] = "5",
                "national_gdp" => fields[1] = "1e9",
                "national_area" => fields[1] = "1000",
                _ => {}
            }
            edited.push_str(&fields.join(","));
            edited.push('\n');
        }
        files[7].1 = edited;
        let text = Dataset::parse(DataSource::Embedded, &files)
            .unwrap_err()
            .to_string();
        assert!(text.starts_with("3 problems"), "{text}");
        for fragment in [
            "rest_of_china.csv:2: column `value`: national_population 5 is not more than the 44 units' 2014 population in baseline_2014.csv (",
            "rest_of_china.csv:3: column `value`: national_gdp 1,000,000,000 is not more than the 44 units' 2014 GDP in baseline_2014.csv (",
            "rest_of_china.csv:4: column `value`: national_area 1,000 is not more than the 44 units' area in units.csv (",
            "give the total of all China in km², not a share or a regional figure",
        ] {
            assert!(text.contains(fragment), "missing {fragment:?} in\n{text}");
        }
    }

    #[test]
    fn groups_resolve_and_unknown_groups_are_explained() {
        let data = Dataset::embedded();
        assert_eq!(data.resolve_units("@chongqing_core").unwrap().len(), 9);
        assert_eq!(data.resolve_units("@regional_centre").unwrap().len(), 7);
        assert_eq!(data.resolve_units("@all").unwrap().len(), 44);
        assert_eq!(data.resolve_units("@county").unwrap().len(), 4);
        assert_eq!(data.resolve_units("luzhou").unwrap(), vec![31]);
        let err = data.resolve_units("@chongqing_kore").unwrap_err();
        assert!(err.contains("did you mean `@chongqing_core`?"), "{err}");
    }

    #[test]
    fn the_2000_census_is_read_and_checked() {
        let data = Dataset::embedded();
        // Chengdu (with Jianyang) 12,521,057 residents on 2000-11-01.
        assert_eq!(
            data.census_2000_population[data.unit_index("chengdu").unwrap()],
            12_521_057.0
        );
        let mut files = embedded_files();
        files[2].1 = files[2].1.replace(",2000,1648870,", ",2001,-5,");
        let text = Dataset::parse(DataSource::Embedded, &files)
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("census_2000_units.csv:3: column `year`"),
            "{text}"
        );
        assert!(
            text.contains("census_2000_units.csv:3: column `pop_census`"),
            "{text}"
        );
    }

    /// Blank lines are skipped by the reader but counted in messages: a problem names the line
    /// an editor shows, whatever the line ends.
    /// Where a file ends inside a quoted field, as the csv reader reads it: `""` is a quote
    /// inside a field, a `"` inside an unquoted field is a plain character, and a quoted field
    /// that is closed may span lines.
    #[test]
    fn an_unclosed_quote_is_found_where_it_opens() {
        for closed in [
            &b"a,b\n1,\"x\ny\"\n2,3\n"[..],
            b"a,b\n1,\"say \"\"hi\"\"\"\n",
            b"a,b\n1,x\"y\n",
            b"a,b\r\n1,\"x\r\ny\"\r\n",
            b"",
        ] {
            assert_eq!(
                unclosed_quote(closed),
                None,
                "{:?}",
                String::from_utf8_lossy(closed)
            );
        }
        assert_eq!(
            unclosed_quote(b"a,b\n1,2\n3,\"x\n4,5\n6,7\n"),
            Some(UnclosedQuote {
                record_start: 8,
                field: 1,
                line: 3,
                last_line: 5
            })
        );
        let quote = unclosed_quote(b"a,b\n1,\"x\"\"\n").unwrap();
        assert_eq!((quote.line, quote.last_line, quote.field), (2, 2, 1));
        assert!(quote.message().contains("the file ends inside it"));
        assert_eq!(unclosed_quote(b"\"a,b\n1,2").unwrap().record_start, 0);
    }

    /// A note over several lines (valid CSV) is read whole, and the rows after it keep their
    /// lines; a quote that is never closed is refused where it opens, instead of taking every
    /// later row into one field (silently, when it is in the last column).
    #[test]
    fn data_fields_may_span_lines_but_a_quote_must_be_closed() {
        let mut files = embedded_files();
        let targets = Dataset::parse(DataSource::Embedded, &files)
            .unwrap()
            .targets;
        let text = files[6].1.clone();
        let mut lines: Vec<&str> = text.lines().collect();
        let first = format!(
            "{},\"first line\nsecond line\"",
            lines[2].trim_end_matches(',')
        );
        assert!(lines[2].ends_with(','), "{}", lines[2]);
        lines[2] = &first;
        files[6].1 = lines.join("\n") + "\n";
        let data = Dataset::parse(DataSource::Embedded, &files).unwrap();
        assert_eq!(data.targets.len(), targets.len());
        assert_eq!(data.targets[1].note, "first line\nsecond line");

        let mut lines: Vec<&str> = text.lines().collect();
        let opened = format!("{}\"unclosed", lines[4]);
        assert!(lines[4].ends_with(','), "{}", lines[4]);
        lines[4] = &opened;
        let last = lines.len();
        files[6].1 = lines.join("\n") + "\n";
        let err = Dataset::parse(DataSource::Embedded, &files)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("plan_targets.csv:5: column `note`: a quoted field opens here and its `\"` is never closed: it runs over {} lines to the end of the file (lines 5–{last})", last - 4)),
            "{err}"
        );
    }

    /// Paths in messages: ordinary ones (spaces, Chinese, quotes) as they are; a control
    /// character or a bidirectional control escaped, so that no line break or reordering
    /// reaches the terminal.
    #[test]
    fn paths_in_messages_show_control_characters_escaped() {
        for plain in [
            "scenarios/baseline.ron",
            "我的 场景/方案 (2).ron",
            "O'Brien \"x\".csv",
            "C:\\data\\run",
        ] {
            assert_eq!(escaped_path(Path::new(plain)), plain);
        }
        assert_eq!(
            escaped_path(Path::new("a\nerror: forged\tb\u{1b}[31m\r\u{7f}")),
            "a\\nerror: forged\\tb\\u{1b}[31m\\r\\u{7f}"
        );
        assert_eq!(escape_controls("abc\u{202e}fdp.exe"), "abc\\u{202e}fdp.exe");
        // A value quoted from a file: a problem stays one line.
        let problem = DataProblem {
            file: "units.csv".to_string(),
            line: 4,
            column: "name\nx".to_string(),
            message: "`a\nerror: b` is not a number".to_string(),
        };
        assert_eq!(
            problem.to_string(),
            "units.csv:4: column `name\\nx`: `a\\nerror: b` is not a number"
        );
    }

    #[test]
    fn line_numbers_count_blank_lines() {
        for (newline, label) in [("\n", "LF"), ("\r\n", "CRLF")] {
            let mut files = embedded_files();
            let text = files[1].1.replace("\nyuzhong,630090,", "\nyuzhong,abc,");
            let mut lines: Vec<&str> = text.lines().collect();
            // Header, three blank lines, then yuzhong on line 5 and the next unit on line 7.
            lines.splice(1..1, ["", "", ""]);
            lines.insert(5, "");
            files[1].1 = lines.join(newline) + newline;
            let second = lines[6].split(',').next().unwrap().to_string();
            files[1].1 = files[1]
                .1
                .replacen(&format!("{second},"), &format!("{second},-1"), 1);
            let text = Dataset::parse(DataSource::Embedded, &files)
                .unwrap_err()
                .to_string();
            assert!(
                text.contains("census_2010_units.csv:5: column `resident_population`: `abc`"),
                "{label}: {text}"
            );
            assert!(
                text.contains("census_2010_units.csv:7: column `resident_population`: value -1"),
                "{label}: {text}"
            );
        }
        let bytes = b"a,b\n\n\r\n\nx,y\n";
        let mut reader = csv::Reader::from_reader(&bytes[..]);
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(record_line(bytes, record.position()), 5);
        assert_eq!(record_line(bytes, None), 0);
    }

    /// One bad cell in units.csv drops its unit; the other files still know its id, so they
    /// do not report it as unknown. A units.csv that cannot be read row by row is reported
    /// alone, not with an unknown-id problem for every row of the other files.
    #[test]
    fn a_problem_in_units_csv_does_not_make_its_ids_unknown_elsewhere() {
        let mut files = embedded_files();
        files[0].1 = files[0].1.replace(",23.2,29.56,", ",0,29.56,");
        let text = Dataset::parse(DataSource::Embedded, &files)
            .unwrap_err()
            .to_string();
        assert!(text.starts_with("1 problem"), "{text}");
        assert!(text.contains("units.csv:2: column `area_km2`"), "{text}");
        assert!(!text.contains("unknown unit id"), "{text}");

        for broken in [
            files[0].1.replacen("\nyuzhong,", "\n\"yuzhong,", 1),
            files[0].1.lines().next().unwrap().to_string() + "\n",
        ] {
            let mut files = embedded_files();
            files[0].1 = broken;
            let text = Dataset::parse(DataSource::Embedded, &files)
                .unwrap_err()
                .to_string();
            assert!(!text.contains("unknown unit id"), "{text}");
            assert!(
                text.contains("units.csv: the unit ids of the other data files are not checked"),
                "{text}"
            );
            assert!(text.lines().count() <= 4, "{text}");
        }
    }

    /// A data file in another encoding (Latin-1, GBK) is named as such, with the line, and no
    /// advice about missing files.
    #[test]
    fn a_data_file_that_is_not_utf8_is_named_with_its_line() {
        let tmp = tempfile::tempdir().unwrap();
        for (name, text) in EMBEDDED {
            std::fs::write(tmp.path().join(name), text).unwrap();
        }
        let mut units = EMBEDDED[0].1.as_bytes().to_vec();
        let at = EMBEDDED[0].1.find("渝中区").unwrap();
        units.splice(at..at + "渝中区".len(), [0xe9]);
        std::fs::write(tmp.path().join("units.csv"), units).unwrap();
        let err = Dataset::from_dir(tmp.path()).unwrap_err().to_string();
        assert!(
            err.contains("units.csv:2: the file is not UTF-8 text (byte 0xe9 in column 9 of the line); save it as UTF-8"),
            "{err}"
        );
        assert!(!err.contains("needs all of"), "{err}");
    }

    /// `files` with `from` replaced by `to` (once) in the file at `index`.
    fn edited(
        mut files: Vec<(String, String)>,
        index: usize,
        from: &str,
        to: &str,
    ) -> Vec<(String, String)> {
        assert_eq!(files[index].1.matches(from).count(), 1, "{from}");
        files[index].1 = files[index].1.replacen(from, to, 1);
        files
    }

    fn problems_of(files: &[(String, String)]) -> Vec<String> {
        Dataset::parse(DataSource::Embedded, files)
            .unwrap_err()
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// A population written in 万 with its unit said to be 万 is refused once, by its unit,
    /// with the value converted; it is not compared with the census as well (it was run, and
    /// the calibration blamed the parameters).
    #[test]
    fn a_population_in_wan_is_refused_by_its_unit_with_the_value_converted() {
        let files = edited(
            embedded_files(),
            3,
            "\nwanzhou,population,2014,1600000,persons,",
            "\nwanzhou,population,2014,160.37,万人,",
        );
        assert_eq!(
            problems_of(&files),
            ["baseline_2014.csv:4: column `unit`: `万人` is not the unit of `population` values, which the loader reads in persons: convert the value and write `persons` here (160.37万人 → 1603700 persons)"]
        );
    }

    /// Every file's unit column is read against the unit its rows are read in; a synonym is
    /// refused too (`pct`), with the value kept.
    #[test]
    fn every_unit_column_is_checked() {
        let mut files = embedded_files();
        for (index, from, to) in [
            (
                5,
                "\nsichuan,2015,real_gdp_growth,7.9,percent,",
                "\nsichuan,2015,real_gdp_growth,7.9,pct,",
            ),
            (
                5,
                "\nsichuan,2014,gdp,2853666000000,yuan_current,",
                "\nsichuan,2014,gdp,28536.66,亿元,",
            ),
            (
                4,
                "\nbanan,2010,gdp,30871800000,yuan (current prices),",
                "\nbanan,2010,gdp,308.718,亿,",
            ),
            (
                6,
                ",urban_construction_land,2020,130,km2,",
                ",urban_construction_land,2020,13000,ha,",
            ),
            (
                7,
                "\nnational_area,9635417,km2,",
                "\nnational_area,9635417,square miles,",
            ),
            (9, ",190.57,万人,", ",1905700,persons,"),
        ] {
            files = edited(files, index, from, to);
        }
        let history_urban = files[4]
            .1
            .lines()
            .position(|line| line.contains(",urban_share,"))
            .unwrap();
        let mut lines: Vec<String> = files[4].1.lines().map(String::from).collect();
        lines[history_urban] = lines[history_urban].replace(",fraction,", ",percent,");
        files[4].1 = lines.join("\n") + "\n";
        let shown = problems_of(&files);
        let urban_value = lines[history_urban].split(',').nth(3).unwrap().to_string();
        for fragment in [
            "history_2010_2014.csv:2: column `unit`: `亿` is not the unit of `gdp` values, which the loader reads in yuan: convert the value and write `yuan (current prices)` here (308.718亿 → 30871800000 yuan (current prices))".into(),
            format!("history_2010_2014.csv:{}: column `unit`: `percent` is not the unit of `urban_share` values, which the loader reads in a fraction (0.45 for 45 %): convert the value and write `fraction` here ({urban_value} percent → ", history_urban + 1),
            "macro_provinces.csv:3: column `unit`: `pct` is not how the data write the unit of `real_gdp_growth` values: write `percent` (percent); the value 7.9 stays as it is".into(),
            "macro_provinces.csv:52: column `unit`: `亿元` is not the unit of `gdp` values, which the loader reads in yuan: convert the value and write `yuan_current` here (28536.66亿元 → 2853666000000 yuan_current)".into(),
            "plan_targets.csv:3: column `unit`: `ha` is not the unit of `urban_construction_land` values, which the loader reads in km²: convert the value and write `km2` here (13000 ha → 130 km2)".into(),
            "rest_of_china.csv:4: column `unit`: `square miles` is not the unit of `national_area` values, which the loader reads in km²: give the value (9635417) in km² and write `km2` here".into(),
            "central_urban_evidence.csv:4: column `unit`: `persons` is not the unit of `unit_urban` values, which the loader reads in 万人 (10,000 persons): convert the value and write `万人` here (1905700 persons → 190.57万人)".into(),
        ] {
            assert!(shown.iter().any(|s| s.starts_with(&fragment)), "missing {fragment:?} in {shown:#?}");
        }
        // The rows with a wrong unit are not also compared with other figures.
        assert_eq!(shown.len(), 7, "{shown:#?}");
    }

    /// A population in 万 under the right unit, or in a file without a unit column, is found by
    /// its size: named with the figure it was compared with, the rule and the value converted.
    #[test]
    fn a_population_in_wan_is_found_by_its_size() {
        let files = edited(
            embedded_files(),
            3,
            "\nwanzhou,population,2014,1600000,persons,",
            "\nwanzhou,population,2014,160,persons,",
        );
        let files = edited(files, 1, "\nqianjiang,445012,", "\nqianjiang,44.5012,");
        let files = edited(files, 1, ",39168,20348,", ",39168,2.0348,");
        assert_eq!(
            problems_of(&files),
            [
                "census_2010_units.csv:4: column `urban_population`: urban population 173997 exceeds the resident population 44.5012",
                "census_2010_units.csv:3: column `in_migrants_other_province`: wanzhou's in_migrants_other_province 2.0348 is 0.00013 % of its resident_population, 1,563,050 (same row); a census count of in-migrants is 0 or at least 0.01 % of the unit's residents: it looks like a value in 万人 (× 10,000 = 20348): give it in persons",
                "census_2010_units.csv:4: column `resident_population`: qianjiang's 2010 census resident_population 44.5012 is 1/10,337 of its 2014 base-year population, 460,000 (baseline_2014.csv:6), which its 2000 census population, 442,385 (census_2000_units.csv:4), agrees with; a unit's populations (the 2000 and 2010 censuses, the 2014 base year, the 2010–2014 history) must agree within a factor of 10: it looks like a value in 万人 (× 10,000 = 445012): give it in persons",
                "baseline_2014.csv:4: column `value`: wanzhou's 2014 population 160 is 1/9,769 of its 2010 census population, 1,563,050 (census_2010_units.csv:3); a unit's populations (the 2000 and 2010 censuses, the 2014 base year, the 2010–2014 history) must agree within a factor of 10: it looks like a value in 万人 (× 10,000 = 1600000): give it in persons",
            ]
        );
    }

    /// A GDP in 亿元 is compared with the unit's population; a history copied in 万元 is refused
    /// row by row, and the base year it disagrees with is not blamed.
    #[test]
    fn gdp_in_yi_or_a_history_in_wan_is_found_by_gdp_per_head() {
        let files = edited(
            embedded_files(),
            3,
            "\nyuzhong,gdp,2014,89240390000,",
            "\nyuzhong,gdp,2014,892.4039,",
        );
        assert_eq!(
            problems_of(&files),
            ["baseline_2014.csv:3: column `value`: yuzhong's 2014 GDP 892.4039 is 0.0014 yuan per head of its 2010 census population, 630,090 (census_2010_units.csv:2); a unit's GDP per head must lie between 1,000 and 1,000,000 yuan: it looks like a value in 亿元 (× 100,000,000 = 89240390000): give it in yuan"]
        );

        let mut files = embedded_files();
        let mut gdp_rows = 0;
        files[4].1 = files[4]
            .1
            .lines()
            .map(|line| {
                let mut fields: Vec<String> = line.splitn(5, ',').map(String::from).collect();
                if fields.get(2).is_some_and(|v| v == "gdp") {
                    let value: f64 = fields[3].parse().unwrap();
                    fields[3] = (value / 1e4).to_string();
                    gdp_rows += 1;
                }
                fields.join(",") + "\n"
            })
            .collect();
        let shown = problems_of(&files);
        assert_eq!(shown.len(), gdp_rows, "{shown:#?}");
        assert!(
            shown.iter().all(|s| s.starts_with("history_2010_2014.csv:")
                && s.contains("it looks like a value in 万元 (× 10,000 = ")),
            "{shown:#?}"
        );
    }

    /// A census count of in-migrants may be 0: it is not a value in another unit.
    #[test]
    fn no_in_migrants_is_not_a_slip() {
        let files = edited(embedded_files(), 1, ",39168,20348,", ",39168,0,");
        assert!(Dataset::parse(DataSource::Embedded, &files).is_ok());
    }

    #[test]
    fn history_after_2014_is_refused() {
        let mut files = embedded_files();
        files[4].1.push_str("chengdu,2016,gdp,1,yuan,observed,x\n");
        let text = Dataset::parse(DataSource::Embedded, &files)
            .unwrap_err()
            .to_string();
        assert!(text.contains("after the 2014 base year"), "{text}");
    }
}
