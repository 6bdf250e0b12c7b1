//! RON parsing: every unknown field reported in one pass (not only ron's first), and ron's
//! errors as problems at their place, for scenario and sweep files.

use super::file::ScenarioFile;
use super::locate;
use super::problem::{Problem, ScenarioErrors, MAX_SHOWN};
use crate::data;

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
/// problem for each, so that the semantic checks can still run and report in the same pass.
/// A value of the wrong type is blanked and reported the same way, and so is a list item (a
/// lever, a macro path) that lacks a required field, but then the parse fails with every
/// problem of the text (the checks would see a field at its default, or miss a lever); so it
/// does when another kind of problem stops the parse. At most [`MAX_SHOWN`] rounds.
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
    // Keys and offsets of the entries blanked because their value had the wrong type.
    let mut wrongly_typed: Vec<(String, usize)> = Vec::new();
    // Whether a list item (a lever, a macro path) was blanked for a missing field.
    let mut items_left_out = false;
    // The text before the last "read as the meant field" repair, to undo it if it misfires.
    let mut before_rename: Option<(String, usize)> = None;
    let mut repaired = text.to_string();
    loop {
        let err = match options.from_str::<T>(&repaired) {
            // The semantic checks would see a wrongly typed field at its default, not at the
            // value meant: report the problems of the text alone.
            Ok(_) if !wrongly_typed.is_empty() || items_left_out => {
                return Err(ScenarioErrors(unknown))
            }
            Ok(value) => return Ok((value, unknown)),
            Err(err) => err,
        };
        let problem = syntax_problem(file, &repaired, &err);
        let (line, column) = position(&repaired, &err);
        let unknown_variant = matches!(err.code, Error::NoSuchEnumVariant { .. });
        let wrong_value = !problem.field.is_empty()
            || unknown_variant
            || negative_where_unsigned(&repaired, line, column).is_some();
        // A value of the wrong type (`end_year: 2020.5`, `seed: -1`, `indicator: Gdp`): report
        // it, blank its entry and read on, so that every such value and unknown field is
        // reported at once.
        if wrong_value && unknown.len() < MAX_SHOWN {
            if let Some(entry) = entry_at(&repaired, line, column) {
                repaired = locate::blank(&repaired, entry.span.0, entry.span.1);
                wrongly_typed.push((entry.key, entry.span.0));
                unknown.push(problem);
                continue;
            }
            // An unknown lever type in a list (`HukouWege( … )`): the whole item goes.
            if unknown_variant {
                if let Some((start, end)) =
                    locate::list_item_starting_at(&repaired, problem.line, problem.column)
                {
                    repaired = locate::blank(&repaired, start, end);
                    items_left_out = true;
                    unknown.push(problem);
                    continue;
                }
            }
        }
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
                // The list item (a lever, a macro path) the struct closed here is, if any.
                let item = locate::list_item_closing_at(&repaired, line, column);
                let within = |at: usize| item.is_none_or(|(start, end)| (start..end).contains(&at));
                let blanked_for_its_type = wrongly_typed
                    .iter()
                    .any(|(key, at)| key == field && within(*at));
                if let Some(b) = blanked.iter_mut().rev().find(|b| {
                    !blanked_for_its_type
                        && !b.read_as_meant
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
                // A required field is missing, or was blanked for its wrong type (that entry's
                // problem is reported already): when the struct is an item of a list (a lever,
                // a macro path), blank the whole item and read on; the checks of meaning wait.
                if unknown.len() < MAX_SHOWN {
                    if let Some((start, end)) = item {
                        if !blanked_for_its_type {
                            // At the lever's name, where the reader looks, not at its `)`.
                            let (line, column) = locate::line_column_of(&repaired, start);
                            unknown.push(Problem {
                                line,
                                column,
                                ..problem
                            });
                        }
                        repaired = locate::blank(&repaired, start, end);
                        items_left_out = true;
                        continue;
                    }
                }
                if blanked_for_its_type {
                    return Err(ScenarioErrors(unknown));
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

/// Where ron puts `err`, as 1-based line and column in characters: ron counts the column in
/// bytes, so every Chinese character before it on the line (three bytes in UTF-8) would move
/// the place two columns to the right, and the repairs would look for the entry in the wrong
/// place.
fn position(text: &str, err: &ron::error::SpannedError) -> (usize, usize) {
    let (line, byte_column) = (err.position.line, err.position.col);
    let Some(source_line) = text.lines().nth(line.saturating_sub(1)) else {
        return (line, byte_column);
    };
    let mut end = byte_column.saturating_sub(1).min(source_line.len());
    while !source_line.is_char_boundary(end) {
        end -= 1;
    }
    (line, source_line[..end].chars().count() + 1)
}

/// A RON syntax or schema error as a problem at its place (scenario and sweep files).
pub fn syntax_problem(file: &str, text: &str, err: &ron::error::SpannedError) -> Problem {
    use ron::error::Error;
    let (line, mut column) = position(text, err);
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
    if negative_where_unsigned(text, line, column).is_none() {
        if let Some(problem) = type_problem(file, text, err) {
            return problem;
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
            let other = without_type_names(&other.to_string());
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

/// Our serde types, as a user would call them in a message that names a type.
const TYPE_NAMES: [(&str, &str); 11] = [
    ("ScenarioFile", "the scenario"),
    ("ParametersFile", "parameters (…)"),
    ("MacroPathFile", "a macro path (…)"),
    ("PolicyFile", "a policy"),
    ("SweepFile", "the sweep"),
    ("ParameterFile", "a sweep parameter (…)"),
    ("OutputFile", "an output"),
    ("LeverFile", "a sweep lever (…)"),
    ("DistributionFile", "a distribution"),
    ("Method", "the method"),
    ("Indicator", "an indicator"),
];

/// `message` with our Rust type names (`struct `ParametersFile``) in words.
fn without_type_names(message: &str) -> String {
    let mut message = message.to_string();
    for (name, shown) in TYPE_NAMES {
        message = message
            .replace(&format!("struct `{name}`"), shown)
            .replace(&format!("enum `{name}`"), shown)
            .replace(&format!("`{name}`"), shown);
    }
    message
}

/// What a field that takes a whole number expects, by its key (scenario and sweep files).
fn whole_number_of(key: &str) -> String {
    match key {
        "start_year" | "end_year" | "year" | "from_year" | "to_year" => {
            "a year such as 2030".to_string()
        }
        "seed" => format!("a whole number from 0 to {}", u64::MAX),
        _ => "a whole number".to_string(),
    }
}

/// A `key: value` entry of a RON text, found from a position in its value.
struct Entry {
    key: String,
    /// The value as written, shortened to 40 characters, on one line.
    value: String,
    /// 1-based column where the value starts.
    value_column: usize,
    /// Byte offsets of the entry, from its key to past its comma (as [`locate::entry_span`]).
    span: (usize, usize),
}

/// The `key: value` entry the value at `line:column` (1-based) belongs to. The position may be
/// inside the value, just after it (a number too large) or at its first character.
fn entry_at(text: &str, line: usize, column: usize) -> Option<Entry> {
    let source_line = text.lines().nth(line.checked_sub(1)?)?;
    let chars: Vec<char> = source_line.chars().collect();
    let value_char = |c: char| c.is_ascii_alphanumeric() || "_.+-".contains(c);
    let mut at = column.checked_sub(1)?.min(chars.len());
    if !chars
        .get(at)
        .is_some_and(|&c| value_char(c) || "[(\"".contains(c))
    {
        at = at.checked_sub(1)?;
    }
    while at > 0 && value_char(chars[at - 1]) && value_char(chars[at]) {
        at -= 1;
    }
    let value_start = at;
    let mut i = at;
    while i > 0 && chars[i - 1].is_whitespace() {
        i -= 1;
    }
    if i == 0 || chars[i - 1] != ':' {
        return None;
    }
    i -= 1;
    while i > 0 && chars[i - 1].is_whitespace() {
        i -= 1;
    }
    let key_end = i;
    while i > 0 && (chars[i - 1].is_ascii_alphanumeric() || chars[i - 1] == '_') {
        i -= 1;
    }
    if i == key_end {
        return None;
    }
    let key: String = chars[i..key_end].iter().collect();
    let (start, _, end) = locate::entry_span(text, line, i + 1)?;
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let value_offset = line_start
        + source_line
            .char_indices()
            .nth(value_start)
            .map_or(source_line.len(), |(offset, _)| offset);
    let value = text
        .get(value_offset..end.max(value_offset))
        .unwrap_or("")
        .trim_end()
        .trim_end_matches(',')
        .trim_end();
    let mut shown: String = value.chars().take(40).collect();
    if value.chars().count() > 40 {
        shown.push('…');
    }
    Some(Entry {
        key,
        value: shown.replace('\n', " "),
        value_column: value_start + 1,
        span: (start, end),
    })
}

/// A value of the wrong type, which ron reports as a syntax error ("Expected comma" after
/// `2020.5`, "Integer is out of bounds", "Expected opening `(` for struct …"), as a problem at
/// the field: what the field takes and how to write it.
fn type_problem(file: &str, text: &str, err: &ron::error::SpannedError) -> Option<Problem> {
    use ron::error::Error;
    let (line, column) = position(text, err);
    let Entry {
        key,
        value,
        value_column,
        ..
    } = entry_at(text, line, column)?;
    let number_continues = || {
        let chars: Vec<char> = text.lines().nth(line - 1)?.chars().collect();
        let at = column.checked_sub(1)?;
        (matches!(chars.get(at), Some('.' | 'e' | 'E')) && at > 0 && chars[at - 1].is_ascii_digit())
            .then_some(())
    };
    let whole = whole_number_of(&key);
    let format = "see scenarios/baseline.ron for the format";
    let message = match &err.code {
        // ron read the whole part as the integer, then found the rest.
        Error::ExpectedComma if number_continues().is_some() => {
            let example = value
                .split(['.', 'e', 'E'])
                .next()
                .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit() || c == '-'))
                .unwrap_or("2030");
            format!("`{value}` is not a whole number; give {whole} without a fraction, e.g. `{key}: {example}`")
        }
        Error::IntegerOutOfBounds if whole.starts_with("a year") => {
            format!("`{value}` is not a year; give {whole}")
        }
        Error::IntegerOutOfBounds if key == "seed" => {
            format!("`{value}` is too large; give {whole}")
        }
        Error::IntegerOutOfBounds => format!(
            "`{value}` is too large; give a whole number of at most {}",
            u64::MAX
        ),
        Error::ExpectedInteger => format!("expected {whole}, found `{value}`"),
        Error::ExpectedFloat => format!("expected a number, found `{value}`; write e.g. `{key}: 0.5`"),
        Error::ExpectedString | Error::ExpectedStringEnd => format!(
            "expected a string in double quotes, found `{value}`; write e.g. `{key}: \"text\"`"
        ),
        Error::ExpectedArray => {
            format!("expected a list `[ … ]`, found `{value}`; {format}")
        }
        Error::ExpectedBoolean => format!("expected `true` or `false`, found `{value}`"),
        Error::ExpectedNamedStructLike("ParametersFile") => format!(
            "expected a struct `( … )` of parameters, found `{value}`; write e.g. `parameters: (epsilon: 3.0, gamma: 0.04)`"
        ),
        Error::ExpectedNamedStructLike(name) => {
            let shown = TYPE_NAMES
                .iter()
                .find(|(type_name, _)| type_name == name)
                .map_or("a struct", |(_, shown)| shown);
            format!(
                "expected {} written `( … )`, found `{value}`; {format}",
                shown.trim_end_matches(" (…)")
            )
        }
        Error::ExpectedStructLike => {
            format!("expected a struct `( … )`, found `{value}`; {format}")
        }
        _ => return None,
    };
    Some(Problem {
        file: file.to_string(),
        line,
        column: value_column,
        field: key,
        message,
    })
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
#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::test_support::check;
    use crate::scenario::PolicyFile;

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
    fn unknown_policy_types_list_the_known_ones() {
        let text = check("(name: \"x\", policies: [HukouWege(year: 2020, value: 0.1)])")
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("unknown policy type `HukouWege` (did you mean `HukouWedge`?)"),
            "{text}"
        );
    }
}
