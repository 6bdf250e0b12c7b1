//! Magnitude checks across the data files: a population or GDP copied in 万 or 亿 is ten
//! thousand or a hundred million times too small, whatever its `unit` column says (and
//! census_2000_units.csv and census_2010_units.csv have none). Each figure is compared with
//! another figure of the same unit that it must be close to; the rules are wide enough that the
//! shipped data pass them with a margin of 3.8 or more (each rule says what it measured; a test
//! measures it again), and narrow enough that a slip of 10,000 always fails.
//!
//! Rates (growth in percent, natural growth in ‰, urban shares) are not checked here: a rate in
//! another unit still looks like a plausible rate, so only its `unit` column guards it.

use std::collections::BTreeMap;
use std::path::Path;

use super::central_urban::Role;
use super::measure::plain;
use super::{problem, thousands, total, DataProblem, Province, Unit, UnitIds};

/// How far apart two figures of one quantity may be (either way): populations of one unit in
/// different years and sources, a region's figure and the sum of its units. A 万 slip is a
/// factor of 10,000, far outside.
pub const MAX_FACTOR: f64 = 10.0;

/// GDP per head, yuan, that a unit's GDP of 2010–2014 must lie within (divided by its reference
/// population, see [`check`]). The shipped rows range from 9,395 (Yunyang 2010) to 141,600
/// (Yuzhong 2014): 9.4 times above the floor and 7.1 times below the ceiling. A GDP in 万元 is
/// at most 14 yuan per head, in 千元 at most 142: both fail.
pub const GDP_PER_HEAD: (f64, f64) = (1_000.0, 1_000_000.0);

/// Smallest urban population, as a share of the unit's residents (2010 census). The shipped
/// shares are at least 29 % (Guang'an); one in 万 is at most 0.01 %.
pub const MIN_URBAN_SHARE: f64 = 0.01;

/// Smallest census count of in-migrants that is not 0, as a share of the unit's residents. The
/// shipped shares are at least 0.35 % (Yunyang, from other provinces), 35 times the floor; one
/// in 万 is at most 0.003 %.
pub const MIN_MIGRANT_SHARE: f64 = 1e-4;

/// Land per resident of a central city, m²: a plan's urban construction land over its
/// central-urban population target, an evidence file's built-up area over its central-city
/// population. The shipped figures: 86.7–110 m² (targets) and 81.9–108.3 m² (evidence), 8 times
/// above the floor and 9 times below the ceiling; land in hectares (× 100) or in 万 km²
/// (÷ 10,000) fails.
pub const LAND_M2_PER_PERSON: (f64, f64) = (10.0, 1_000.0);

/// A number read from a data file, and its line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Reading {
    pub line: u64,
    pub value: f64,
}

/// A GDP or population row of history_2010_2014.csv.
#[derive(Clone)]
pub(super) struct HistoryReading {
    pub unit: usize,
    pub year: i32,
    /// `gdp`, `population` or `population_annual_average`.
    pub variable: &'static str,
    pub reading: Reading,
}

/// A `resident_population` or `gdp` row of macro_provinces.csv for a province.
#[derive(Clone)]
pub(super) struct ProvinceReading {
    pub province: Province,
    pub year: i32,
    pub indicator: &'static str,
    pub reading: Reading,
}

/// A row of plan_targets.csv with an indicator whose unit is known.
#[derive(Clone)]
pub(super) struct TargetReading {
    pub target_id: String,
    /// `None` for the region (`ALL`).
    pub unit: Option<usize>,
    pub indicator: &'static str,
    pub year: i32,
    pub reading: Reading,
}

/// A row of central_urban_evidence.csv, its value in the file's unit (万人 or km²).
#[derive(Clone)]
pub(super) struct EvidenceReading {
    pub unit: usize,
    pub year: i32,
    pub role: Role,
    pub variable: String,
    pub reading: Reading,
}

/// The figures the checks compare, each with its line. Parsers add the rows they accepted; a
/// row whose `unit` column is wrong is left out (its problem already says to convert it), and
/// of two rows for one key the first is kept (the second is reported as a duplicate).
#[derive(Clone, Default)]
pub(super) struct Readings {
    /// census_2010_units.csv by (unit, column).
    pub census_2010: BTreeMap<(usize, &'static str), Reading>,
    pub census_2000: BTreeMap<usize, Reading>,
    pub base_population: BTreeMap<usize, Reading>,
    pub base_gdp: BTreeMap<usize, Reading>,
    pub history: Vec<HistoryReading>,
    pub provinces: Vec<ProvinceReading>,
    pub targets: Vec<TargetReading>,
    pub evidence: Vec<EvidenceReading>,
}

/// The files' names as problems show them, in [`super::FILE_NAMES`] order.
pub(super) struct Files<'a> {
    pub names: [&'a str; 10],
}

impl Files<'_> {
    /// The file's name without its folder, as a message names another file: `baseline_2014.csv`.
    fn short(&self, index: usize) -> String {
        let name = self.names[index];
        Path::new(name)
            .file_name()
            .map_or(name.into(), |n| n.to_string_lossy().into_owned())
    }

    /// `census_2010_units.csv:3`.
    fn place(&self, index: usize, line: u64) -> String {
        format!("{}:{line}", self.short(index))
    }
}

// The files' places in [`super::FILE_NAMES`].
const UNITS: usize = 0;
const CENSUS_2010: usize = 1;
const CENSUS_2000: usize = 2;
const BASE: usize = 3;
const HISTORY: usize = 4;
const MACRO: usize = 5;
const TARGETS: usize = 6;
const EVIDENCE: usize = 9;

/// A figure a value is compared with: its value, what it is ("its 2010 census population") and
/// where it was read.
struct Reference {
    value: f64,
    what: String,
    place: String,
    /// Read from census_2010_units.csv (the other counts of its row are compared with it).
    census_2010: bool,
}

impl Reference {
    fn shown(&self) -> String {
        format!("{}, {} ({})", self.what, total(self.value), self.place)
    }
}

/// Whether two figures of one quantity agree within [`MAX_FACTOR`].
fn agree(a: f64, b: f64) -> bool {
    let ratio = a / b;
    (1.0 / MAX_FACTOR..=MAX_FACTOR).contains(&ratio)
}

/// `value / reference` in words: "1/9,977 of", "12.3 times".
fn ratio_words(value: f64, reference: f64) -> String {
    let ratio = value / reference;
    if ratio < 1.0 {
        format!("1/{} of", figure(1.0 / ratio))
    } else {
        format!("{} times", figure(ratio))
    }
}

/// A derived number in a message: whole with separators from 100 on, three significant
/// digits down to 0.01, two down to 10⁻⁶ (`0.00067`), e-notation below (`5.7e-9`).
fn figure(value: f64) -> String {
    if !value.is_finite() {
        value.to_string()
    } else if value.abs() >= 1e15 {
        format!("{value:.2e}")
    } else if value.abs() >= 100.0 {
        thousands(value.abs().round() as usize)
    } else if value.abs() >= 0.01 {
        let decimals = (2 - value.abs().log10().floor() as i32).max(0) as usize;
        let text = format!("{value:.decimals$}");
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        }
    } else if value.abs() >= 1e-6 {
        // Two significant digits: 0.00067.
        let decimals = (1 - value.abs().log10().floor() as i32) as usize;
        format!("{value:.decimals$}")
    } else {
        format!("{value:.1e}")
    }
}

/// Units a value may have slipped into, each with its factor to the unit read.
type Slips = &'static [(f64, &'static str)];

/// The units each measure usually slips into, with their factor to the unit read.
const SLIPS_PERSONS: [(f64, &str); 2] = [(1e4, "万人"), (1e8, "亿人")];
const SLIPS_YUAN: [(f64, &str); 3] = [(1e4, "万元"), (1e8, "亿元"), (1e12, "万亿元")];
const SLIPS_KM2: [(f64, &str); 2] = [(1e4, "万 km²"), (0.01, "hectares")];
const SLIPS_WAN_PERSONS: [(f64, &str); 1] = [(1e-4, "persons")];

/// The fix of a value out of scale: the unit in which it would meet its rule, if one of
/// `slips` makes it (at most one can: each rule's window is narrower than the steps between
/// them), and the unit to give it in.
fn fix(value: f64, fits: impl Fn(f64) -> bool, slips: &[(f64, &str)], unit: &str) -> String {
    match slips.iter().find(|(factor, _)| fits(value * factor)) {
        Some(&(factor, label)) => {
            let operation = if factor >= 1.0 {
                format!("× {}", figure(factor))
            } else {
                format!("÷ {}", figure(1.0 / factor))
            };
            format!(
                "it looks like a value in {label} ({operation} = {}): give it in {unit}",
                plain(value * factor)
            )
        }
        None => format!("give it in {unit}, or correct the typo"),
    }
}

/// Runs every check on `readings`. `units` are the parsed units when all of units.csv was read
/// (the checks of region totals need every unit's province and area), else `None`.
pub(super) fn check(
    files: &Files<'_>,
    ids: &UnitIds,
    units: Option<&[Unit]>,
    readings: &Readings,
    problems: &mut Vec<DataProblem>,
) {
    let first = problems.len();
    let mut id = vec![""; ids.len()];
    for (name, &index) in ids.iter() {
        id[index] = name;
    }
    let references: Vec<Option<Reference>> = (0..ids.len())
        .map(|unit| populations(files, id[unit], unit, readings, problems))
        .collect();
    let urban = census_counts(files, &id, &references, readings, problems);
    gdp_per_head(files, &id, &references, readings, problems);
    if let Some(units) = units {
        regions(files, units, readings, problems);
    }
    targets(files, &id, &urban, readings, problems);
    evidence(files, &id, &urban, readings, problems);
    problems[first..].sort_by_key(|p| {
        let file = files.names.iter().position(|name| *name == p.file);
        (file, p.line)
    });
}

/// Checks one unit's populations against each other and returns the one the others are
/// compared with: the 2010 census, unless it disagrees with both the 2000 census and the 2014
/// base year while those agree (then it is the one reported, and the base year is the
/// reference).
///
/// Measured on the shipped data: 2010 census ÷ 2000 census 0.74 (Tongnan) to 1.60 (Yubei);
/// 2014 base year ÷ 2010 census 0.97–1.14; history populations ÷ 2010 census 0.97–1.13. The
/// closest to the factor of 10 is Yubei's census decade, 6.3 times inside it.
fn populations(
    files: &Files<'_>,
    id: &str,
    unit: usize,
    readings: &Readings,
    problems: &mut Vec<DataProblem>,
) -> Option<Reference> {
    let census_2010 = readings
        .census_2010
        .get(&(unit, "resident_population"))
        .copied();
    let census_2000 = readings.census_2000.get(&unit).copied();
    let base = readings.base_population.get(&unit).copied();
    let census_2010_is_off = match (census_2010, census_2000, base) {
        (Some(c10), Some(c00), Some(b14)) => {
            !agree(c10.value, c00.value)
                && !agree(c10.value, b14.value)
                && agree(c00.value, b14.value)
        }
        _ => false,
    };
    let as_reference = |file: usize, reading: Reading, what: &str| Reference {
        value: reading.value,
        what: format!("its {what}"),
        place: files.place(file, reading.line),
        census_2010: file == CENSUS_2010,
    };
    let reference = match (census_2010, base, census_2000) {
        (Some(c10), _, _) if !census_2010_is_off => {
            as_reference(CENSUS_2010, c10, "2010 census population")
        }
        (_, Some(b14), _) => as_reference(BASE, b14, "2014 base-year population"),
        (_, _, Some(c00)) => as_reference(CENSUS_2000, c00, "2000 census population"),
        _ => return None,
    };
    let report = |file: usize, column: &str, subject: String, reading: Reading, also: &str| {
        problem(
            files.names[file],
            reading.line,
            column,
            format!(
                "{id}'s {subject} {} is {} {}{also}; a unit's populations (the 2000 and 2010 censuses, the 2014 base year, the 2010–2014 history) must agree within a factor of 10: {}",
                reading.value,
                ratio_words(reading.value, reference.value),
                reference.shown(),
                fix(
                    reading.value,
                    |v| agree(v, reference.value),
                    &SLIPS_PERSONS,
                    "persons"
                )
            ),
        )
    };
    if let (true, Some(c10), Some(c00)) = (census_2010_is_off, census_2010, census_2000) {
        let also = format!(
            ", which its 2000 census population, {} ({}), agrees with",
            total(c00.value),
            files.place(CENSUS_2000, c00.line)
        );
        problems.push(report(
            CENSUS_2010,
            "resident_population",
            "2010 census resident_population".into(),
            c10,
            &also,
        ));
    }
    if let Some(c00) = census_2000.filter(|c| !agree(c.value, reference.value)) {
        problems.push(report(
            CENSUS_2000,
            "pop_census",
            "2000 census population".into(),
            c00,
            "",
        ));
    }
    if let Some(b14) = base.filter(|b| !agree(b.value, reference.value)) {
        problems.push(report(BASE, "value", "2014 population".into(), b14, ""));
    }
    for row in &readings.history {
        if row.unit == unit && row.variable != "gdp" && !agree(row.reading.value, reference.value) {
            problems.push(report(
                HISTORY,
                "value",
                format!("{} {}", row.year, row.variable),
                row.reading,
                "",
            ));
        }
    }
    Some(reference)
}

/// The other counts of the 2010 census against the same row's residents, when those are the
/// unit's reference population: urban residents at least [`MIN_URBAN_SHARE`] of them,
/// registered (户籍) residents within a factor of 10 (shipped: 0.74 Jiangbei to 1.48 Tongnan),
/// in-migrants 0 or at least [`MIN_MIGRANT_SHARE`]. Returns the urban populations that pass,
/// by unit: the figures the targets and the evidence are compared with.
fn census_counts(
    files: &Files<'_>,
    id: &[&str],
    references: &[Option<Reference>],
    readings: &Readings,
    problems: &mut Vec<DataProblem>,
) -> BTreeMap<usize, Reading> {
    let mut urban = BTreeMap::new();
    for (&(unit, column), reading) in &readings.census_2010 {
        let Some(resident) = references[unit].as_ref().filter(|r| r.census_2010) else {
            continue;
        };
        // Shares of the residents that the count must lie within, and whether 0 is allowed.
        let (low, high, zero, rule) = match column {
            "urban_population" => (
                MIN_URBAN_SHARE,
                1.0,
                false,
                format!(
                    "a unit's urban residents are at least {} % of its residents",
                    figure(MIN_URBAN_SHARE * 100.0)
                ),
            ),
            "registered_population" => (
                1.0 / MAX_FACTOR,
                MAX_FACTOR,
                false,
                "a unit's registered (户籍) population is within a factor of 10 of its residents"
                    .to_string(),
            ),
            "in_migrants_same_county"
            | "in_migrants_other_county_same_province"
            | "in_migrants_other_province" => (
                MIN_MIGRANT_SHARE,
                1.0,
                true,
                format!(
                    "a census count of in-migrants is 0 or at least {} % of the unit's residents",
                    figure(MIN_MIGRANT_SHARE * 100.0)
                ),
            ),
            _ => continue,
        };
        let fits = |count: f64| {
            (zero && count == 0.0)
                || (low * resident.value..=high * resident.value).contains(&count)
        };
        if fits(reading.value) {
            if column == "urban_population" {
                urban.insert(unit, *reading);
            }
            continue;
        }
        problems.push(problem(
            files.names[CENSUS_2010],
            reading.line,
            column,
            format!(
                "{}'s {column} {} is {} % of its resident_population, {} (same row); {rule}: {}",
                id[unit],
                reading.value,
                figure(reading.value / resident.value * 100.0),
                total(resident.value),
                fix(reading.value, fits, &SLIPS_PERSONS, "persons")
            ),
        ));
    }
    urban
}

/// Every GDP of 2010–2014 (base year and history) per head of the unit's reference population
/// lies within [`GDP_PER_HEAD`]. A GDP is compared with the population rather than with the
/// unit's other GDP years: two years that disagree do not say which one is wrong, and a
/// history copied in 万元 would outvote the base year.
fn gdp_per_head(
    files: &Files<'_>,
    id: &[&str],
    references: &[Option<Reference>],
    readings: &Readings,
    problems: &mut Vec<DataProblem>,
) {
    let base = readings
        .base_gdp
        .iter()
        .map(|(&unit, &reading)| (BASE, unit, 2014, reading));
    let history = readings
        .history
        .iter()
        .filter(|row| row.variable == "gdp")
        .map(|row| (HISTORY, row.unit, row.year, row.reading));
    let (low, high) = GDP_PER_HEAD;
    for (file, unit, year, reading) in base.chain(history) {
        let Some(reference) = references.get(unit).and_then(Option::as_ref) else {
            continue;
        };
        let fits = |gdp: f64| (low..=high).contains(&(gdp / reference.value));
        if fits(reading.value) {
            continue;
        }
        problems.push(problem(
            files.names[file],
            reading.line,
            "value",
            format!(
                "{}'s {year} GDP {} is {} yuan per head of {}; a unit's GDP per head must lie between {} and {} yuan: {}",
                id[unit],
                reading.value,
                figure(reading.value / reference.value),
                reference.shown(),
                thousands(low as usize),
                thousands(high as usize),
                fix(reading.value, fits, &SLIPS_YUAN, "yuan")
            ),
        ));
    }
}

/// A province's population and GDP (macro_provinces.csv) against the sum of its plan units'
/// (2010 census; 2014 base year): within a factor of 10. Shipped: the provinces are 1.18–1.23
/// times their units' population (Sichuan's plan units leave out its west, Chongqing's nine of
/// its districts and counties) and 1.09–1.11 times their GDP.
fn regions(
    files: &Files<'_>,
    units: &[Unit],
    readings: &Readings,
    problems: &mut Vec<DataProblem>,
) {
    for row in &readings.provinces {
        let members: Vec<usize> = (0..units.len())
            .filter(|&u| units[u].province == row.province)
            .collect();
        let (values, what, file): (Vec<Option<f64>>, &str, usize) = match row.indicator {
            "resident_population" => (
                members
                    .iter()
                    .map(|&u| {
                        readings
                            .census_2010
                            .get(&(u, "resident_population"))
                            .map(|r| r.value)
                    })
                    .collect(),
                "2010 census population",
                CENSUS_2010,
            ),
            "gdp" => (
                members
                    .iter()
                    .map(|&u| readings.base_gdp.get(&u).map(|r| r.value))
                    .collect(),
                "2014 GDP",
                BASE,
            ),
            _ => continue,
        };
        let Some(sum) = values.into_iter().sum::<Option<f64>>() else {
            continue;
        };
        if members.is_empty() || agree(row.reading.value, sum) {
            continue;
        }
        let (slips, unit): (Slips, &str) = if row.indicator == "gdp" {
            (&SLIPS_YUAN, "yuan")
        } else {
            (&SLIPS_PERSONS, "persons")
        };
        problems.push(problem(
            files.names[MACRO],
            row.reading.line,
            "value",
            format!(
                "{}'s {} {} {} is {} the {what} of its {} plan units, {} ({}); a province's figure must be within a factor of 10 of its plan units' sum: {}",
                row.province.id(),
                row.year,
                row.indicator,
                row.reading.value,
                ratio_words(row.reading.value, sum),
                members.len(),
                total(sum.round()),
                files.short(file),
                fix(row.reading.value, |v| agree(v, sum), slips, unit)
            ),
        ));
    }
    // The region's control totals of plan_targets.csv against the units' sums: shipped 0.97
    // (GDP), 0.98 (area), 0.99 (population).
    let all = |map: &BTreeMap<usize, Reading>| -> Option<f64> {
        (0..units.len()).map(|u| map.get(&u).map(|r| r.value)).sum()
    };
    for row in readings.targets.iter().filter(|t| t.unit.is_none()) {
        let (sum, what, file, slips, unit): (Option<f64>, &str, usize, Slips, &str) =
            match row.indicator {
                "resident_population" => (
                    all(&readings.base_population),
                    "2014 population",
                    BASE,
                    &SLIPS_PERSONS,
                    "persons",
                ),
                "gdp" => (
                    all(&readings.base_gdp),
                    "2014 GDP",
                    BASE,
                    &SLIPS_YUAN,
                    "yuan",
                ),
                "area" => (
                    Some(units.iter().map(|u| u.area_km2).sum()),
                    "area",
                    UNITS,
                    &SLIPS_KM2,
                    "km²",
                ),
                _ => continue,
            };
        let Some(sum) = sum else { continue };
        if agree(row.reading.value, sum) {
            continue;
        }
        problems.push(problem(
            files.names[TARGETS],
            row.reading.line,
            "value",
            format!(
                "target `{}` ({}) {} is {} the {what} of the {} units, {} ({}); the region's figure must be within a factor of 10 of its units' sum: {}",
                row.target_id,
                row.indicator,
                row.reading.value,
                ratio_words(row.reading.value, sum),
                units.len(),
                total(sum.round()),
                files.short(file),
                fix(row.reading.value, |v| agree(v, sum), slips, unit)
            ),
        ));
    }
}

/// Each regional centre's targets: the central-urban population within a factor of 10 of the
/// unit's 2010 census urban population (shipped: 0.67 Nanchong to 2.59 Qianjiang), and the
/// urban construction land per person of the same unit and year's population target within
/// [`LAND_M2_PER_PERSON`].
fn targets(
    files: &Files<'_>,
    id: &[&str],
    urban_population: &BTreeMap<usize, Reading>,
    readings: &Readings,
    problems: &mut Vec<DataProblem>,
) {
    let mut population_ok: BTreeMap<(usize, i32), f64> = BTreeMap::new();
    for row in &readings.targets {
        let (Some(unit), "central_urban_population") = (row.unit, row.indicator) else {
            continue;
        };
        let Some(urban) = urban_population.get(&unit) else {
            continue;
        };
        if agree(row.reading.value, urban.value) {
            population_ok.insert((unit, row.year), row.reading.value);
            continue;
        }
        problems.push(problem(
            files.names[TARGETS],
            row.reading.line,
            "value",
            format!(
                "target `{}` ({}) {} is {} {}'s 2010 census urban population, {} ({}); a central-urban population must be within a factor of 10 of its unit's urban population: {}",
                row.target_id,
                row.indicator,
                row.reading.value,
                ratio_words(row.reading.value, urban.value),
                id[unit],
                total(urban.value),
                files.place(CENSUS_2010, urban.line),
                fix(row.reading.value, |v| agree(v, urban.value), &SLIPS_PERSONS, "persons")
            ),
        ));
    }
    for row in &readings.targets {
        let (Some(unit), "urban_construction_land") = (row.unit, row.indicator) else {
            continue;
        };
        let Some(&persons) = population_ok.get(&(unit, row.year)) else {
            continue;
        };
        land_per_person(
            files.names[TARGETS],
            row.reading,
            format!("target `{}` ({})", row.target_id, row.indicator),
            persons,
            format!(
                "the central-urban population target of {} in {}",
                id[unit], row.year
            ),
            problems,
        );
    }
}

/// The populations of central_urban_evidence.csv (万人) within a factor of 10 of the unit's
/// 2010 census urban population (shipped: 0.67 Yibin to 1.46 Qianjiang), and each
/// `land_point` per person of its `central_point` within [`LAND_M2_PER_PERSON`].
fn evidence(
    files: &Files<'_>,
    id: &[&str],
    urban_population: &BTreeMap<usize, Reading>,
    readings: &Readings,
    problems: &mut Vec<DataProblem>,
) {
    let mut points_ok: BTreeMap<(usize, i32), Vec<f64>> = BTreeMap::new();
    for row in &readings.evidence {
        if row.role == Role::LandPoint {
            continue;
        }
        let Some(urban) = urban_population.get(&row.unit) else {
            continue;
        };
        let persons = |wan: f64| wan * 1e4;
        if agree(persons(row.reading.value), urban.value) {
            if row.role == Role::CentralPoint {
                points_ok
                    .entry((row.unit, row.year))
                    .or_default()
                    .push(persons(row.reading.value));
            }
            continue;
        }
        problems.push(problem(
            files.names[EVIDENCE],
            row.reading.line,
            "value",
            format!(
                "{}'s {} {} {}万人 is {} its 2010 census urban population, {} ({}); a population of this file must be within a factor of 10 of its unit's urban population: {}",
                id[row.unit],
                row.year,
                row.variable,
                row.reading.value,
                ratio_words(persons(row.reading.value), urban.value),
                total(urban.value),
                files.place(CENSUS_2010, urban.line),
                fix(
                    row.reading.value,
                    |wan| agree(persons(wan), urban.value),
                    &SLIPS_WAN_PERSONS,
                    "万人"
                )
            ),
        ));
    }
    for row in readings
        .evidence
        .iter()
        .filter(|r| r.role == Role::LandPoint)
    {
        // With no single central point the land's row is refused by the evidence file's rules.
        let Some([persons]) = points_ok.get(&(row.unit, row.year)).map(Vec::as_slice) else {
            continue;
        };
        land_per_person(
            files.names[EVIDENCE],
            row.reading,
            format!("{}'s {} {}", id[row.unit], row.year, row.variable),
            *persons,
            format!(
                "the central_point population of {} in {}",
                id[row.unit], row.year
            ),
            problems,
        );
    }
}

/// `land` (km²) per person of `persons` within [`LAND_M2_PER_PERSON`].
fn land_per_person(
    file: &str,
    land: Reading,
    subject: String,
    persons: f64,
    persons_what: String,
    problems: &mut Vec<DataProblem>,
) {
    let (low, high) = LAND_M2_PER_PERSON;
    let per_person = |km2: f64| km2 * 1e6 / persons;
    let fits = |km2: f64| (low..=high).contains(&per_person(km2));
    if fits(land.value) {
        return;
    }
    problems.push(problem(
        file,
        land.line,
        "value",
        format!(
            "{subject} {} km² is {} m² per person of {persons_what}, {}; land per central-city resident must lie between {} and {} m²: {}",
            land.value,
            figure(per_person(land.value)),
            total(persons),
            figure(low),
            thousands(high as usize),
            fix(land.value, fits, &SLIPS_KM2, "km²")
        ),
    ));
}

#[cfg(test)]
mod tests {
    use super::super::{
        central_urban, parse_base, parse_census, parse_census_2000, parse_history, parse_macro,
        parse_targets, parse_units, EMBEDDED, FILE_NAMES,
    };
    use super::*;

    /// The shipped files' units, ids and readings.
    fn embedded() -> (Vec<Unit>, UnitIds, Readings) {
        let text = |index: usize| (EMBEDDED[index].0, EMBEDDED[index].1);
        let mut problems = Vec::new();
        let mut readings = Readings::default();
        let (units, ids) = parse_units(text(0), &mut problems);
        parse_census(text(1), &ids, &mut readings, &mut problems);
        parse_census_2000(text(2), &ids, &mut readings, &mut problems);
        parse_base(text(3), &ids, &mut readings, &mut problems);
        parse_history(text(4), &ids, &mut readings, &mut problems);
        parse_macro(text(5), &mut readings, &mut problems);
        parse_targets(text(6), &ids, &mut readings, &mut problems);
        central_urban::parse_evidence(text(9), &ids, &mut readings, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        (units, ids, readings)
    }

    /// The problems of `readings`, as shown.
    fn problems_of(units: &[Unit], ids: &UnitIds, readings: &Readings) -> Vec<DataProblem> {
        let mut problems = Vec::new();
        check(
            &Files { names: FILE_NAMES },
            ids,
            Some(units),
            readings,
            &mut problems,
        );
        problems
    }

    fn shown(problems: &[DataProblem]) -> Vec<String> {
        problems.iter().map(ToString::to_string).collect()
    }

    /// Every value the checks read, as (file, line, column, the slips it must not survive).
    fn every_value(readings: &Readings) -> Vec<(usize, u64, &'static str, Vec<f64>)> {
        let persons = vec![1e-4, 1e-8];
        let yuan = vec![1e-4, 1e-8, 1e-12];
        // Land in hectares, or in 万 km².
        let land = vec![100.0, 1e-4];
        let mut all = Vec::new();
        for (&(_, column), r) in &readings.census_2010 {
            all.push((CENSUS_2010, r.line, column, persons.clone()));
        }
        for r in readings.census_2000.values() {
            all.push((CENSUS_2000, r.line, "pop_census", persons.clone()));
        }
        for r in readings.base_population.values() {
            all.push((BASE, r.line, "value", persons.clone()));
        }
        for r in readings.base_gdp.values() {
            all.push((BASE, r.line, "value", yuan.clone()));
        }
        for row in &readings.history {
            let slips = if row.variable == "gdp" {
                &yuan
            } else {
                &persons
            };
            all.push((HISTORY, row.reading.line, "value", slips.clone()));
        }
        for row in &readings.provinces {
            let slips = if row.indicator == "gdp" {
                &yuan
            } else {
                &persons
            };
            all.push((MACRO, row.reading.line, "value", slips.clone()));
        }
        for row in &readings.targets {
            let slips = match row.indicator {
                "gdp" => yuan.clone(),
                "urban_construction_land" => land.clone(),
                "area" => vec![1e-4, 100.0],
                _ => persons.clone(),
            };
            all.push((TARGETS, row.reading.line, "value", slips));
        }
        for row in &readings.evidence {
            let slips = match row.role {
                Role::LandPoint => land.clone(),
                // A count of persons in a 万人 row.
                _ => vec![1e4],
            };
            all.push((EVIDENCE, row.reading.line, "value", slips));
        }
        all
    }

    /// `readings` with the value of `file` at `line` (and `column`, for the census) times
    /// `factor`.
    fn scaled(readings: &Readings, file: usize, line: u64, column: &str, factor: f64) -> Readings {
        let mut readings = readings.clone();
        let mut scale = |reading: &mut Reading| {
            if reading.line == line {
                reading.value *= factor;
            }
        };
        match file {
            CENSUS_2010 => {
                for (&(_, c), r) in readings.census_2010.iter_mut() {
                    if c == column {
                        scale(r);
                    }
                }
            }
            CENSUS_2000 => readings.census_2000.values_mut().for_each(scale),
            BASE => {
                readings.base_population.values_mut().for_each(&mut scale);
                readings.base_gdp.values_mut().for_each(scale);
            }
            HISTORY => readings
                .history
                .iter_mut()
                .for_each(|r| scale(&mut r.reading)),
            MACRO => readings
                .provinces
                .iter_mut()
                .for_each(|r| scale(&mut r.reading)),
            TARGETS => readings
                .targets
                .iter_mut()
                .for_each(|r| scale(&mut r.reading)),
            EVIDENCE => readings
                .evidence
                .iter_mut()
                .for_each(|r| scale(&mut r.reading)),
            _ => unreachable!(),
        }
        readings
    }

    /// The smallest and largest of `values`, checked against the ones a comment states
    /// (within 0.5 %), and at least `margin` times inside (`low`, `high`).
    fn measured(what: &str, values: &[f64], stated: (f64, f64), window: (f64, f64), margin: f64) {
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let close = |a: f64, b: f64| (a / b - 1.0).abs() < 0.005;
        assert!(
            close(min, stated.0) && close(max, stated.1),
            "{what}: measured {min}–{max}, the comment says {stated:?}"
        );
        assert!(
            min >= window.0 * margin && max <= window.1 / margin,
            "{what}: {min}–{max} is not {margin} times inside {window:?}"
        );
    }

    /// The ranges the rules' comments state, measured again on the shipped data, each at least
    /// 3.8 times inside its rule.
    #[test]
    fn the_shipped_data_meet_every_rule_with_the_stated_margin() {
        let (units, _, readings) = embedded();
        let census = |unit: usize, column: &str| readings.census_2010[&(unit, column)].value;
        let resident = |unit: usize| census(unit, "resident_population");
        let n = units.len();
        let factor = (1.0 / MAX_FACTOR, MAX_FACTOR);
        let margin = 3.8;
        let per_unit = |f: &dyn Fn(usize) -> f64| (0..n).map(f).collect::<Vec<_>>();
        measured(
            "2010 census / 2000 census",
            &per_unit(&|u| resident(u) / readings.census_2000[&u].value),
            (0.7442, 1.595),
            factor,
            margin,
        );
        measured(
            "2014 base year / 2010 census",
            &per_unit(&|u| readings.base_population[&u].value / resident(u)),
            (0.9711, 1.138),
            factor,
            margin,
        );
        let history = |variable: &str| -> Vec<&HistoryReading> {
            readings
                .history
                .iter()
                .filter(|r| (r.variable == "gdp") == (variable == "gdp"))
                .collect()
        };
        measured(
            "history populations / 2010 census",
            &history("population")
                .iter()
                .map(|r| r.reading.value / resident(r.unit))
                .collect::<Vec<_>>(),
            (0.9665, 1.125),
            factor,
            margin,
        );
        let mut per_head: Vec<f64> = history("gdp")
            .iter()
            .map(|r| r.reading.value / resident(r.unit))
            .collect();
        per_head.extend(per_unit(&|u| readings.base_gdp[&u].value / resident(u)));
        measured(
            "GDP per head",
            &per_head,
            (9_395.0, 141_600.0),
            GDP_PER_HEAD,
            margin,
        );
        measured(
            "urban share",
            &per_unit(&|u| census(u, "urban_population") / resident(u)),
            (0.2907, 1.0),
            (MIN_URBAN_SHARE, 1.0),
            1.0,
        );
        assert!(per_unit(&|u| census(u, "urban_population") / resident(u))
            .iter()
            .all(|&share| share >= 29.0 * MIN_URBAN_SHARE));
        measured(
            "registered / resident",
            &per_unit(&|u| census(u, "registered_population") / resident(u)),
            (0.7433, 1.477),
            factor,
            margin,
        );
        let mut migrants = Vec::new();
        for column in [
            "in_migrants_same_county",
            "in_migrants_other_county_same_province",
            "in_migrants_other_province",
        ] {
            migrants.extend(per_unit(&|u| census(u, column) / resident(u)));
        }
        measured(
            "in-migrants / resident",
            &migrants,
            (0.003483, 0.2933),
            (MIN_MIGRANT_SHARE, 1.0),
            1.0,
        );
        assert!(migrants
            .iter()
            .all(|&share| share >= 34.0 * MIN_MIGRANT_SHARE));
        let province_sum = |province: Province, value: &dyn Fn(usize) -> f64| -> f64 {
            (0..n)
                .filter(|&u| units[u].province == province)
                .map(value)
                .sum()
        };
        let ratios = |indicator: &str, value: &dyn Fn(usize) -> f64| -> Vec<f64> {
            readings
                .provinces
                .iter()
                .filter(|r| r.indicator == indicator)
                .map(|r| r.reading.value / province_sum(r.province, value))
                .collect()
        };
        measured(
            "province population / its units' 2010 census",
            &ratios("resident_population", &resident),
            (1.176, 1.234),
            factor,
            margin,
        );
        measured(
            "province GDP / its units' 2014 GDP",
            &ratios("gdp", &|u| readings.base_gdp[&u].value),
            (1.0925, 1.1122),
            factor,
            margin,
        );
        let target = |indicator: &str| -> Vec<&TargetReading> {
            readings
                .targets
                .iter()
                .filter(|t| t.indicator == indicator)
                .collect()
        };
        let region: Vec<f64> = [
            (
                "resident_population",
                per_unit(&|u| readings.base_population[&u].value),
            ),
            ("gdp", per_unit(&|u| readings.base_gdp[&u].value)),
            ("area", units.iter().map(|u| u.area_km2).collect()),
        ]
        .iter()
        .map(|(indicator, values)| target(indicator)[0].reading.value / values.iter().sum::<f64>())
        .collect();
        measured(
            "region totals / units' sums",
            &region,
            (0.9655, 0.9884),
            factor,
            margin,
        );
        let central = target("central_urban_population");
        measured(
            "central-urban target / 2010 urban",
            &central
                .iter()
                .map(|t| t.reading.value / census(t.unit.unwrap(), "urban_population"))
                .collect::<Vec<_>>(),
            (0.6653, 2.586),
            factor,
            margin,
        );
        measured(
            "target land per person, m²",
            &target("urban_construction_land")
                .iter()
                .map(|land| {
                    let persons = central.iter().find(|c| c.unit == land.unit).unwrap();
                    land.reading.value * 1e6 / persons.reading.value
                })
                .collect::<Vec<_>>(),
            (86.67, 110.0),
            LAND_M2_PER_PERSON,
            margin,
        );
        let evidence = |role: Role| readings.evidence.iter().filter(move |e| e.role == role);
        measured(
            "evidence populations / 2010 urban",
            &readings
                .evidence
                .iter()
                .filter(|e| e.role != Role::LandPoint)
                .map(|e| e.reading.value * 1e4 / census(e.unit, "urban_population"))
                .collect::<Vec<_>>(),
            (0.6664, 1.4626),
            factor,
            margin,
        );
        measured(
            "evidence land per person, m²",
            &evidence(Role::LandPoint)
                .map(|land| {
                    let point = evidence(Role::CentralPoint)
                        .find(|p| p.unit == land.unit && p.year == land.year)
                        .unwrap();
                    land.reading.value * 1e6 / (point.reading.value * 1e4)
                })
                .collect::<Vec<_>>(),
            (81.91, 108.25),
            LAND_M2_PER_PERSON,
            margin,
        );
    }

    /// Any single value of the shipped data in 万 or 亿 (of persons or yuan; 万亿 of yuan; a
    /// count of persons where 万人 are read; land in hectares or 万 km²) is refused at its own
    /// line and column, and nowhere else.
    #[test]
    fn every_slip_of_one_value_is_refused_at_its_place() {
        let (units, ids, readings) = embedded();
        assert!(problems_of(&units, &ids, &readings).is_empty());
        let values = every_value(&readings);
        // Every number the checks read: 44 × 6 census counts, 44 + 44 + 44 (2000 census,
        // base population and GDP), 299 history rows, 6 provincial rows, 17 targets, 14 rows of
        // evidence.
        assert_eq!(values.len(), 264 + 132 + 299 + 6 + 17 + 14);
        for (file, line, column, slips) in values {
            for factor in slips {
                let problems =
                    problems_of(&units, &ids, &scaled(&readings, file, line, column, factor));
                let at = |p: &DataProblem| {
                    p.file == FILE_NAMES[file] && p.line == line && p.column == column
                };
                assert!(
                    problems.len() == 1 && at(&problems[0]),
                    "{}:{line} `{column}` × {factor}: {:#?}",
                    FILE_NAMES[file],
                    shown(&problems)
                );
            }
        }
    }
}
