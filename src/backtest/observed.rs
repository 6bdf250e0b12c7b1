//! The file of observations a run is backtested against.
//!
//! A CSV file whose header names at least `unit_id`, `year`, `variable` and `value` (in any
//! order; other columns are ignored, except an optional `status` that is carried through to
//! the outputs and an optional `basis`, `year_end` (the default), `annual_average` or
//! `census`, that says what moment of its year a population stands for). `variable` is
//! `population` (persons) or `gdp` (yuan at 2014 prices). [`keep_statuses`] scores only the
//! rows of some statuses (`simulate backtest --status`).
//! Validation reports *all* problems at once, each with file, line, column, the value, the rule
//! and the fix, in the format of the input data's problems ([`DataProblem`]).
//!
//! This is the one CSV parsed outside `data`: observations are not model inputs — the engine
//! never sees them — and their rules depend on the run (its units and years).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::data::{self, DataProblem, Unit};

use super::{Basis, Variable};

/// Columns every observed file needs.
pub const REQUIRED_COLUMNS: [&str; 4] = ["unit_id", "year", "variable", "value"];

/// One validated observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Line of the file (for messages).
    pub line: u64,
    /// Index into the dataset's units.
    pub unit: usize,
    pub year: i32,
    pub variable: Variable,
    /// Persons or yuan at 2014 prices; finite and > 0.
    pub value: f64,
    /// The `status` column as written (empty without one).
    pub status: String,
    /// The `basis` column (year-end without one).
    pub basis: Basis,
}

/// A validated file with what the manifest records of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedFile {
    /// The path as given, as messages show it (control characters escaped).
    pub path: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    pub observations: Vec<Observation>,
    /// Set when only the rows of some statuses are scored ([`keep_statuses`]).
    pub selection: Option<StatusSelection>,
}

/// Which rows of an observed file are scored when only some statuses are kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusSelection {
    /// The statuses kept, in the order given.
    pub statuses: Vec<String>,
    /// How many observations the file holds in the run's years, before the selection.
    pub observations_in_file: usize,
}

impl StatusSelection {
    /// "status observed or derived: 22 of 44 observations".
    pub fn describe(&self, kept: usize) -> String {
        format!(
            "status {}: {kept} of {} observations",
            self.statuses.join(" or "),
            self.observations_in_file
        )
    }
}

/// Keeps only the observations whose `status` is one of `statuses`, so that a backtest can be
/// scored on published values alone (e.g. `observed,derived` in `data/observed_2014.csv`,
/// leaving out values that are themselves estimates). A status that matches no row is an
/// error naming the file's statuses, so that a typo cannot quietly score nothing.
pub fn keep_statuses(
    mut file: ObservedFile,
    statuses: &[String],
) -> Result<ObservedFile, ObservedErrors> {
    let mut present: BTreeMap<&str, usize> = BTreeMap::new();
    for observation in &file.observations {
        *present.entry(observation.status.as_str()).or_default() += 1;
    }
    present.remove("");
    if present.is_empty() {
        return Err(ObservedErrors(vec![problem(
            &file.path,
            0,
            "",
            "--status keeps rows by their `status`, and no row of the file has one; add a `status` column or leave out --status".to_string(),
        )]));
    }
    let listing = present
        .iter()
        .map(|(status, rows)| format!("`{status}` ({rows})"))
        .collect::<Vec<_>>()
        .join(", ");
    let unmatched: Vec<DataProblem> = statuses
        .iter()
        .filter(|wanted| !present.contains_key(wanted.as_str()))
        .map(|wanted| {
            problem(
                &file.path,
                1,
                "status",
                format!(
                    "--status `{wanted}` matches no row{}; the file's statuses (rows): {listing}",
                    data::suggestion(wanted, present.keys().copied())
                ),
            )
        })
        .collect();
    if !unmatched.is_empty() {
        return Err(ObservedErrors(unmatched));
    }
    let observations_in_file = file.observations.len();
    file.observations.retain(|o| statuses.contains(&o.status));
    file.selection = Some(StatusSelection {
        statuses: statuses.to_vec(),
        observations_in_file,
    });
    Ok(file)
}

/// All problems of an observed file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ObservedErrors(pub Vec<DataProblem>);

impl fmt::Display for ObservedErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let capped = self
            .0
            .last()
            .is_some_and(|p| p.line == 0 && p.message.starts_with("… and "));
        if capped {
            write!(
                f,
                "more than {} problems in the observed file; the first {}:",
                self.0.len() - 1,
                self.0.len() - 1
            )?;
        } else {
            write!(
                f,
                "{} in the observed file:",
                crate::data::problem_count(self.0.len())
            )?;
        }
        crate::data::write_grouped(f, &self.0)
    }
}

/// The years a backtest can use: after the run's start year, up to its end year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunYears {
    pub start: i32,
    pub end: i32,
}

/// Largest observed file read (about 4 million rows).
pub const MAX_OBSERVED_BYTES: u64 = 256 << 20;

/// Problems kept in full; the rest are counted.
pub const MAX_PROBLEMS: usize = 100;

/// Problems found so far: the first [`MAX_PROBLEMS`], and how many more.
#[derive(Default)]
struct Problems {
    list: Vec<DataProblem>,
    more: usize,
}

impl Problems {
    /// Adds a problem; past [`MAX_PROBLEMS`] it is only counted (its message is not built).
    fn add(&mut self, problem: impl FnOnce() -> DataProblem) {
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(problem());
        } else {
            self.more += 1;
        }
    }

    fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    fn into_errors(mut self, file: &str) -> ObservedErrors {
        if self.more > 0 {
            self.list.push(problem(
                file,
                0,
                "",
                format!(
                    "… and {} more rows like these (fix the ones above first)",
                    crate::scenario::thousands(self.more)
                ),
            ));
        }
        ObservedErrors(self.list)
    }
}

/// Reads and validates `path` against the run's units and years.
pub fn load(path: &Path, units: &[Unit], years: RunYears) -> Result<ObservedFile, ObservedErrors> {
    use std::io::Read;
    let name = data::escaped_path(path);
    let unreadable = |message: String| ObservedErrors(vec![problem(&name, 0, "", message)]);
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| {
            if file.metadata()?.is_dir() {
                return Err(std::io::Error::other("it is a folder, not a file"));
            }
            file.take(MAX_OBSERVED_BYTES + 1).read_to_end(&mut bytes)
        })
        .map_err(|err| {
            unreadable(format!(
                "cannot read the observed file ({err}); check the path given to --observed"
            ))
        })?;
    if bytes.len() as u64 > MAX_OBSERVED_BYTES {
        return Err(unreadable(format!(
            "the observed file is larger than the limit of {} MB; nothing was read past it. Split it, or keep only the units and years to compare",
            MAX_OBSERVED_BYTES >> 20
        )));
    }
    let observations = parse(&name, &bytes, units, years)?;
    Ok(ObservedFile {
        path: name,
        sha256: data::sha256_hex(&bytes),
        observations,
        selection: None,
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

/// Validates the bytes of an observed file (named `file` in messages).
pub fn parse(
    file: &str,
    bytes: &[u8],
    units: &[Unit],
    years: RunYears,
) -> Result<Vec<Observation>, ObservedErrors> {
    let mut problems = Problems::default();
    // The rows before a quote that is never closed are read; the one holding it is reported
    // instead (its field would swallow the rows after it).
    let unclosed = data::unclosed_quote(bytes);
    if let Some(quote) = unclosed.as_ref().filter(|q| q.record_start == 0) {
        return Err(ObservedErrors(vec![quote.problem(file, &[])]));
    }
    let whole = &bytes[..unclosed.as_ref().map_or(bytes.len(), |q| q.record_start)];
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(whole);
    let headers: Vec<String> = match reader.headers() {
        Ok(headers) => headers
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').trim().to_string())
            .collect(),
        Err(err) => {
            return Err(ObservedErrors(vec![problem(
                file,
                1,
                "",
                format!("cannot read the header ({err}); the file must be UTF-8 CSV whose first line names the columns {}", REQUIRED_COLUMNS.join(",")),
            )]));
        }
    };
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .iter()
        .copied()
        .filter(|column| !headers.iter().any(|h| h == column))
        .collect();
    if !missing.is_empty() {
        let found = if headers.iter().all(String::is_empty) {
            "an empty header".to_string()
        } else {
            format!("`{}`", headers.join(","))
        };
        problems.add(|| problem(
            file,
            1,
            "",
            format!(
                "missing required column(s) {}; found {found}. Name the columns {} on the first line (any order; other columns are ignored)",
                missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "),
                REQUIRED_COLUMNS.join(",")
            ),
        ));
    }
    for column in REQUIRED_COLUMNS.iter().chain(&["status", "basis"]) {
        if headers.iter().filter(|h| h == column).count() > 1 {
            problems.add(|| {
                problem(
                    file,
                    1,
                    column,
                    format!(
                        "the header names `{column}` more than once; keep one column of that name"
                    ),
                )
            });
        }
    }
    if !problems.is_empty() {
        if let Some(quote) = &unclosed {
            problems.add(|| quote.problem(file, &headers));
        }
        return Err(problems.into_errors(file));
    }
    let index = |column: &str| headers.iter().position(|h| h == column);
    let (unit_col, year_col, variable_col, value_col) = (
        index("unit_id").expect("checked above"),
        index("year").expect("checked above"),
        index("variable").expect("checked above"),
        index("value").expect("checked above"),
    );
    let status_col = index("status");
    let basis_col = index("basis");
    let read_columns: Vec<usize> = [unit_col, year_col, variable_col, value_col]
        .into_iter()
        .chain(status_col)
        .chain(basis_col)
        .collect();
    let ids: BTreeMap<&str, usize> = units
        .iter()
        .enumerate()
        .map(|(i, unit)| (unit.id.as_str(), i))
        .collect();

    let mut observations = Vec::new();
    let mut first_line: BTreeMap<(usize, i32, Variable), u64> = BTreeMap::new();
    let mut rows = 0;
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                let line = data::record_line(bytes, err.position());
                problems.add(|| problem(
                    file,
                    line,
                    "",
                    format!("malformed CSV row ({err}); every row needs one field per header column, in UTF-8"),
                ));
                continue;
            }
        };
        rows += 1;
        let line = data::record_line(bytes, record.position());
        // A quoted field may span lines (RFC 4180), e.g. a note in a column the backtest
        // ignores; the columns it reads hold one value each, on one line.
        let spans_lines = |col: usize| record.get(col).is_some_and(|f| f.contains(['\n', '\r']));
        if let Some(col) = read_columns.iter().copied().find(|&col| spans_lines(col)) {
            let newlines = |f: &str| f.matches('\n').count() as u64;
            let first = line + record.iter().take(col).map(newlines).sum::<u64>();
            let last = first + record.get(col).map_or(0, newlines);
            let name = headers.get(col).map_or("", String::as_str);
            problems.add(|| problem(
                file,
                first,
                name,
                format!(
                    "a quoted field runs over lines {first}–{last}, but `{name}` holds one value on one line; put the value on one line (only the columns the backtest ignores may hold text over several lines)"
                ),
            ));
            continue;
        }
        let field = |col: usize| record.get(col).unwrap_or("").trim();

        let id = field(unit_col);
        let unit = ids.get(id).copied();
        if unit.is_none() {
            problems.add(|| {
                problem(
                    file,
                    line,
                    "unit_id",
                    format!(
                        "unknown unit id `{id}`{}; use one of the {} ids of units.csv",
                        data::suggestion(id, units.iter().map(|u| u.id.as_str())),
                        units.len()
                    ),
                )
            });
        }

        let year_text = field(year_col);
        let year = match year_text.parse::<i32>() {
            Ok(year) if year == years.start => {
                problems.add(|| problem(
                    file,
                    line,
                    "year",
                    format!(
                        "{year} is the run's start year: the run starts from its base state of that year (for a 2014 start the census-consistent base, not the published values), which scores the base, not a projection. Backtest years must be after {} and at most {}; drop the row, or run a scenario that starts earlier",
                        years.start, years.end
                    ),
                ));
                None
            }
            Ok(year) if year < years.start || year > years.end => {
                problems.add(|| problem(
                    file,
                    line,
                    "year",
                    format!(
                        "year {year} is outside the run ({}–{}); backtest years must be after {} and at most {}. Drop the row, or run a scenario that covers {year}",
                        years.start, years.end, years.start, years.end
                    ),
                ));
                None
            }
            Ok(year) => Some(year),
            Err(_) => {
                problems.add(|| problem(
                    file,
                    line,
                    "year",
                    format!(
                        "`{year_text}` is not a year; write a whole number after {} and at most {}, e.g. {}",
                        years.start,
                        years.end,
                        years.end.min(years.start + 6)
                    ),
                ));
                None
            }
        };

        let variable_text = field(variable_col);
        let variable = Variable::parse(variable_text);
        if variable.is_none() {
            problems.add(|| problem(
                file,
                line,
                "variable",
                format!(
                    "unknown variable `{variable_text}`{}; use `population` (persons) or `gdp` (yuan at 2014 prices)",
                    data::suggestion(variable_text, Variable::ALL.iter().map(|v| v.id()))
                ),
            ));
        }

        let value_text = field(value_col);
        let measure = variable.map_or(
            "persons for population, yuan at 2014 prices for gdp",
            Variable::measure,
        );
        let value = match value_text.parse::<f64>() {
            Ok(value) if value.is_finite() && value > 0.0 => Some(value),
            Ok(value) if value.is_finite() => {
                problems.add(|| problem(
                    file,
                    line,
                    "value",
                    format!("value {value_text} breaks the rule: an observed value must be greater than 0 ({measure}); correct it or drop the row"),
                ));
                None
            }
            _ => {
                problems.add(|| problem(
                    file,
                    line,
                    "value",
                    format!("`{value_text}` is not a finite number; write a plain decimal in {measure}, without thousands separators or units (e.g. 15300000)"),
                ));
                None
            }
        };

        let basis_text = basis_col.map_or("", field);
        let basis = match (Basis::parse(basis_text), variable) {
            (Some(basis @ (Basis::AnnualAverage | Basis::Census)), Some(Variable::Gdp)) => {
                problems.add(|| problem(
                    file,
                    line,
                    "basis",
                    format!("`{}` is for population only: GDP is already a total over its year; leave `basis` empty or write `year_end`", basis.id()),
                ));
                None
            }
            (Some(basis), _) => Some(basis),
            (None, _) => {
                problems.add(|| problem(
                    file,
                    line,
                    "basis",
                    format!(
                        "unknown basis `{basis_text}`{}; use `year_end` (the population at the end of the year, the default when empty), `annual_average` (the mean over the year) or `census` (a census count)",
                        data::suggestion(basis_text, Basis::ALL.iter().map(|b| b.id()))
                    ),
                ));
                None
            }
        };

        let (Some(unit), Some(year), Some(variable), Some(value), Some(basis)) =
            (unit, year, variable, value, basis)
        else {
            continue;
        };
        if let Some(previous) = first_line.get(&(unit, year, variable)) {
            problems.add(|| problem(
                file,
                line,
                "unit_id",
                format!(
                    "duplicate observation of {} of `{id}` in {year} (first on line {previous}); keep one row per unit, year and variable",
                    variable.id()
                ),
            ));
            continue;
        }
        first_line.insert((unit, year, variable), line);
        observations.push(Observation {
            line,
            unit,
            year,
            variable,
            value,
            status: status_col.map_or("", field).to_string(),
            basis,
        });
    }
    if let Some(quote) = &unclosed {
        problems.add(|| quote.problem(file, &headers));
    }
    if rows == 0 && problems.is_empty() {
        problems.add(|| problem(
            file,
            2,
            "",
            format!(
                "the file holds no observations; add one row per unit, year and variable under the header ({})",
                headers.join(",")
            ),
        ));
    }
    if problems.is_empty() {
        Ok(observations)
    } else {
        Err(problems.into_errors(file))
    }
}

/// How far an observation may lie from the run's own value of the same unit, year and
/// variable: a factor of 10 either way. Real errors of a projection are a few percent; a
/// larger gap is a value in another unit (万 or 亿 instead of persons or yuan) or a typo.
pub const MAX_FACTOR: f64 = 10.0;

/// Refuses every observation more than [`MAX_FACTOR`] away from the run's year-end value of
/// the same unit, year and variable (all such rows at once, capped like the file's other
/// problems). `observations` come from [`parse`] against the same run.
pub fn check_magnitudes(
    file: &ObservedFile,
    units: &[Unit],
    trajectory: &crate::engine::Trajectory,
) -> Result<(), ObservedErrors> {
    let mut problems = Problems::default();
    for observation in &file.observations {
        let series = match observation.variable {
            Variable::Population => &trajectory.population,
            Variable::Gdp => &trajectory.gdp,
        };
        let Some(run) = trajectory
            .year_index(observation.year)
            .and_then(|t| series.get(t))
            .and_then(|values| values.get(observation.unit))
            .copied()
            .filter(|run| run.is_finite() && *run > 0.0)
        else {
            continue;
        };
        let ratio = observation.value / run;
        if (1.0 / MAX_FACTOR..=MAX_FACTOR).contains(&ratio) {
            continue;
        }
        problems.add(|| {
            let (how, times) = if ratio < 1.0 {
                ("smaller", 1.0 / ratio)
            } else {
                ("larger", ratio)
            };
            // The fix with this row's own value.
            let value = observation.value;
            let cause = match (observation.variable, ratio < 1.0) {
                (Variable::Population, true) => format!(
                    "Likely cause: the value is in 万 (10,000 persons) instead of persons; multiply by 10,000 ({value}万 → {:.0})",
                    value * 1e4
                ),
                (Variable::Gdp, true) => format!(
                    "Likely cause: the value is in 亿 (100 million yuan) or 万 instead of yuan; multiply by 100,000,000 ({value}亿 → {:.0}) or by 10,000",
                    value * 1e8
                ),
                (Variable::Population, false) => {
                    "Likely cause: extra digits or another unit; write persons".to_string()
                }
                (Variable::Gdp, false) => {
                    "Likely cause: extra digits or another unit; write yuan at 2014 prices"
                        .to_string()
                }
            };
            problem(
                &file.path,
                observation.line,
                "value",
                format!(
                    "{} {} of `{}` in {} is {} times {how} than the run's {}; an observation must lie within a factor of {MAX_FACTOR} of the run's value. {cause}",
                    observation.variable.id(),
                    number(observation.value),
                    units.get(observation.unit).map_or("?", |u| u.id.as_str()),
                    observation.year,
                    number(times),
                    number(run),
                ),
            )
        });
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.into_errors(&file.path))
    }
}

/// A value in a message: whole numbers with thousands separators, huge ones in e-notation,
/// others with three significant decimals.
fn number(value: f64) -> String {
    if !value.is_finite() {
        format!("{value}")
    } else if value >= 1e15 {
        let text = format!("{value:.2e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, ""));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        format!("{mantissa}e{exponent}")
    } else if value >= 100.0 {
        crate::data::thousands(value.round() as usize)
    } else {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;

    const RUN: RunYears = RunYears {
        start: 2014,
        end: 2030,
    };

    fn check(text: &str) -> Result<Vec<Observation>, String> {
        let data = Dataset::embedded();
        parse("obs.csv", text.as_bytes(), &data.units, RUN).map_err(|e| e.to_string())
    }

    fn file(text: &str) -> ObservedFile {
        ObservedFile {
            path: "obs.csv".into(),
            sha256: String::new(),
            observations: check(text).unwrap(),
            selection: None,
        }
    }

    #[test]
    fn keep_statuses_keeps_the_rows_of_the_statuses_given_and_counts_the_rest() {
        let text = "unit_id,year,variable,value,status\n\
                    chengdu,2016,population,1,observed\n\
                    wanzhou,2016,population,1,estimated\n\
                    yuzhong,2016,population,1,derived\n\
                    yibin,2016,population,1,\n";
        let kept = keep_statuses(file(text), &["derived".into(), "observed".into()]).unwrap();
        let lines: Vec<u64> = kept.observations.iter().map(|o| o.line).collect();
        assert_eq!(lines, [2, 4]);
        let selection = kept.selection.unwrap();
        assert_eq!(selection.observations_in_file, 4);
        assert_eq!(
            selection.describe(2),
            "status derived or observed: 2 of 4 observations"
        );
        let err = keep_statuses(file(text), &["observd".into(), "guess".into()])
            .unwrap_err()
            .to_string();
        for fragment in [
            "2 problems in the observed file",
            "obs.csv:1: column `status`: --status `observd` matches no row (did you mean `observed`?); the file's statuses (rows): `derived` (1), `estimated` (1), `observed` (1)",
            "--status `guess` matches no row;",
        ] {
            assert!(err.contains(fragment), "missing {fragment:?} in\n{err}");
        }
        let without = keep_statuses(
            file("unit_id,year,variable,value\nchengdu,2016,population,1\n"),
            &["observed".into()],
        )
        .unwrap_err()
        .to_string();
        assert!(without.contains("no row of the file has one"), "{without}");
    }

    #[test]
    fn a_valid_file_in_any_column_order_with_extra_columns() {
        let obs = check(
            "value,note,variable,status,year,unit_id\n\
             15000000,x,population,observed,2016,chengdu\n\
             1.2e12,,gdp,,2020, chengdu \n",
        )
        .unwrap();
        assert_eq!(obs.len(), 2);
        let data = Dataset::embedded();
        assert_eq!(obs[0].unit, data.unit_index("chengdu").unwrap());
        assert_eq!(obs[0].year, 2016);
        assert_eq!(obs[0].variable, Variable::Population);
        assert_eq!(obs[0].status, "observed");
        assert_eq!(obs[0].line, 2);
        assert_eq!(obs[1].variable, Variable::Gdp);
        assert_eq!(obs[1].value, 1.2e12);
        assert_eq!(obs[1].line, 3);
        // A byte-order mark (Excel) does not hide the first column.
        assert!(check("\u{feff}unit_id,year,variable,value\nchengdu,2020,gdp,1\n").is_ok());
    }

    #[test]
    fn the_basis_says_what_moment_of_the_year_a_population_stands_for() {
        let obs = check(
            "unit_id,year,variable,value,basis\n\
             chengdu,2016,population,15000000,annual_average\n\
             chengdu,2017,population,15000000,year_end\n\
             chengdu,2018,population,15000000,\n\
             chengdu,2018,gdp,1.2e12,year_end\n\
             chengdu,2020,population,20000000,census\n",
        )
        .unwrap();
        assert_eq!(
            obs.iter().map(|o| o.basis).collect::<Vec<_>>(),
            [
                Basis::AnnualAverage,
                Basis::YearEnd,
                Basis::YearEnd,
                Basis::YearEnd,
                Basis::Census
            ]
        );
        // Without the column every value is year-end.
        let plain = check("unit_id,year,variable,value\nchengdu,2016,population,1\n").unwrap();
        assert_eq!(plain[0].basis, Basis::YearEnd);
        let err = check(
            "unit_id,year,variable,value,basis\n\
             chengdu,2016,population,1,annual_averge\n\
             chengdu,2016,gdp,1,annual_average\n\
             chengdu,2017,gdp,1,census\n",
        )
        .unwrap_err();
        for fragment in [
            "3 problems in the observed file",
            "obs.csv:2: column `basis`: unknown basis `annual_averge` (did you mean `annual_average`?)",
            "obs.csv:3: column `basis`: `annual_average` is for population only",
            "obs.csv:4: column `basis`: `census` is for population only",
        ] {
            assert!(err.contains(fragment), "missing {fragment:?} in\n{err}");
        }
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = check(
            "unit_id,year,variable,value\n\
             chengdou,2016,population,1\n\
             chengdu,2014,population,1\n\
             chengdu,2031,population,1\n\
             chengdu,20x6,population,1\n\
             chengdu,2016,Population,1\n\
             chengdu,2016,population,-5\n\
             chengdu,2016,population,abc\n\
             chengdu,2020,gdp,7\n\
             chengdu,2020,gdp,8\n\
             chengdu,2020\n",
        )
        .unwrap_err();
        for fragment in [
            "9 problems in the observed file",
            "obs.csv:2: column `unit_id`: unknown unit id `chengdou` (did you mean `chengdu`?)",
            "obs.csv:3: column `year`: 2014 is the run's start year",
            "obs.csv:4: column `year`: year 2031 is outside the run (2014–2030)",
            "obs.csv:5: column `year`: `20x6` is not a year",
            "obs.csv:6: column `variable`: unknown variable `Population` (did you mean `population`?)",
            "obs.csv:7: column `value`: value -5 breaks the rule: an observed value must be greater than 0 (persons)",
            "obs.csv:8: column `value`: `abc` is not a finite number",
            "obs.csv:10: column `unit_id`: duplicate observation of gdp of `chengdu` in 2020 (first on line 9)",
            "obs.csv:11: malformed CSV row",
        ] {
            assert!(err.contains(fragment), "missing {fragment:?} in\n{err}");
        }
    }

    /// One mistake repeated on many rows is one line, with the count and the first lines;
    /// different mistakes stay apart, in order of first appearance.
    #[test]
    fn identical_problems_of_many_rows_are_grouped() {
        let mut text = String::from("unit_id,year,variable,value\n");
        for unit in [
            "chengdu", "zigong", "luzhou", "deyang", "mianyang", "suining", "neijiang",
        ] {
            text.push_str(&format!("{unit},2014,population,1\n"));
        }
        text.push_str("chengdou,2016,population,1\n");
        let err = check(&text).unwrap_err();
        assert!(err.contains("8 problems in the observed file"), "{err}");
        assert!(
            err.contains("obs.csv: 7 rows (lines 2, 3, 4, 5, 6, …): column `year`: 2014 is the run's start year"),
            "{err}"
        );
        assert_eq!(err.matches("the run's start year").count(), 1, "{err}");
        assert!(
            err.contains("obs.csv:9: column `unit_id`: unknown unit id `chengdou`"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 3, "{err}");
    }

    /// Blank lines between rows are counted: a problem names the line an editor shows.
    #[test]
    fn line_numbers_count_blank_lines() {
        let err = check(
            "unit_id,year,variable,value\n\n\n\nchengdou,2020,population,16000000\r\n\r\nchengdu,2020,gdp\n",
        )
        .unwrap_err();
        assert!(
            err.contains("obs.csv:5: column `unit_id`: unknown unit id `chengdou`"),
            "{err}"
        );
        assert!(err.contains("obs.csv:7: malformed CSV row"), "{err}");
        let obs = check("unit_id,year,variable,value\n\nchengdu,2020,gdp,1\n").unwrap();
        assert_eq!(obs[0].line, 3);
    }

    /// Values in 万 or wildly off are refused against the run's own values, every row at
    /// once; values within a factor of 10 pass.
    #[test]
    fn observations_far_from_the_run_are_refused_with_the_likely_cause() {
        use crate::engine::{self, RunOptions};
        use crate::scenario::Scenario;
        let data = Dataset::embedded();
        let scenario = Scenario {
            end_year: 2018,
            ..Scenario::default_for_tests()
        };
        let prepared = engine::prepare(&data, &scenario).unwrap();
        let trajectory = engine::simulate(&prepared, &RunOptions::default(), &mut engine::Silent);
        let t = trajectory.year_index(2017).unwrap();
        let chengdu = data.unit_index("chengdu").unwrap();
        let run = trajectory.population[t][chengdu];
        let text = format!(
            "unit_id,year,variable,value\n\
             chengdu,2017,population,{}\n\
             chengdu,2017,gdp,1e300\n\
             yibin,2017,gdp,1000\n\
             luzhou,2017,population,{}\n",
            (run / 1e4 * 100.0).round() / 100.0,
            trajectory.population[t][data.unit_index("luzhou").unwrap()] * 2.0,
        );
        let file = file(&text);
        let err = check_magnitudes(&file, &data.units, &trajectory)
            .unwrap_err()
            .to_string();
        for fragment in [
            "3 problems in the observed file",
            &format!("obs.csv:2: column `value`: population {} of `chengdu` in 2017 is", number((run / 1e4 * 100.0).round() / 100.0)),
            &format!("times smaller than the run's {}; an observation must lie within a factor of 10 of the run's value. Likely cause: the value is in 万 (10,000 persons) instead of persons", number(run)),
            "obs.csv:3: column `value`: gdp 1e300 of `chengdu` in 2017 is 7.66e287 times larger",
            "Likely cause: extra digits or another unit; write yuan at 2014 prices",
            "obs.csv:4: column `value`: gdp 1,000 of `yibin` in 2017",
            "in 亿 (100 million yuan)",
        ] {
            assert!(err.contains(fragment), "missing {fragment:?} in\n{err}");
        }
        assert!(!err.contains("luzhou"), "{err}");
    }

    #[test]
    fn missing_columns_are_named() {
        let err = check("unit_id,yr,variable\nchengdu,2016,population\n").unwrap_err();
        assert!(
            err.contains("obs.csv:1: missing required column(s) `year`, `value`"),
            "{err}"
        );
        assert!(err.contains("found `unit_id,yr,variable`"), "{err}");
        let err = check("").unwrap_err();
        assert!(
            err.contains("missing required column(s) `unit_id`, `year`, `variable`, `value`"),
            "{err}"
        );
        let err = check("unit_id,year,variable,value,value\n").unwrap_err();
        assert!(
            err.contains("column `value`: the header names `value` more than once"),
            "{err}"
        );
    }

    /// A quoted field over several lines is valid CSV: accepted in a column the backtest
    /// ignores, with the rows after it on their own lines; refused, truthfully, in a column it
    /// reads; a quote that is never closed is reported where it opens.
    #[test]
    fn quoted_fields_may_span_lines_in_ignored_columns_and_must_be_closed() {
        let text = "unit_id,year,variable,value,note\n\
                    chengdu,2016,population,16000000,\"revised,\nsee \"\"bulletin\"\"\"\n\
                    \n\
                    wanzhou,2016,population,1600000,\n";
        let rows = check(text).unwrap();
        let lines: Vec<u64> = rows.iter().map(|o| o.line).collect();
        assert_eq!(lines, [2, 5], "the physical lines of the rows");

        let err = check(
            "unit_id,year,variable,value,note\n\
             chengdu,2016,population,\"16000000\n\",x\n\
             wanzhou,2016,population,x,\n",
        )
        .unwrap_err();
        assert!(
            err.contains("obs.csv:2: column `value`: a quoted field runs over lines 2–3, but `value` holds one value on one line"),
            "{err}"
        );
        assert!(err.contains("obs.csv:4: column `value`: `x`"), "{err}");

        let err = check(
            "unit_id,year,variable,value,note\n\
             chengdu,2016,population,x,\n\
             wanzhou,2016,population,1,\"open\n\
             yibin,2016,population,1,\n\
             luzhou,2016,population,1,\n",
        )
        .unwrap_err();
        assert!(err.contains("obs.csv:2: column `value`: `x`"), "{err}");
        assert!(
            err.contains("obs.csv:3: column `note`: a quoted field opens here and its `\"` is never closed: it runs over 3 lines to the end of the file (lines 3–5)"),
            "{err}"
        );
        assert!(
            !err.contains("yibin") && !err.contains("obs.csv:4"),
            "{err}"
        );
    }

    #[test]
    fn an_empty_table_is_a_problem() {
        let err = check("unit_id,year,variable,value\n").unwrap_err();
        assert!(err.contains("holds no observations"), "{err}");
    }

    #[test]
    fn odd_bytes_do_not_panic() {
        let data = Dataset::embedded();
        for bytes in [
            &b"\xff\xfe\x00"[..],
            b"unit_id,year,variable,value\n\xff,2016,gdp,1\n",
            b"\"unterminated",
            b"unit_id,year,variable,value\nchengdu,99999999999,gdp,1e999\n",
            b",,,\n,,,\n",
        ] {
            assert!(parse("odd.csv", bytes, &data.units, RUN).is_err());
        }
    }

    #[test]
    fn an_unreadable_file_is_a_problem_not_a_panic() {
        let data = Dataset::embedded();
        let err = load(Path::new("/nonexistent/observed.csv"), &data.units, RUN).unwrap_err();
        assert!(err.to_string().contains("cannot read the observed file"));
    }
}
