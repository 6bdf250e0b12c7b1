//! Reading scenario files: UTF-8 text within a size limit, `extends` chains (root first), the
//! data a chain asks for, and [`load`], which reads, parses and validates.

use std::path::{Path, PathBuf};

use super::file::{ScenarioFile, SourceFile};
use super::locate;
use super::parse::parse_with_unknown_fields;
use super::problem::{sort_by_place, Problem, ScenarioErrors};
use super::validate::{problems_without_data, problems_without_parent, validate_chain};
use super::Scenario;
use crate::data::{self, Dataset};

/// Largest scenario file read (a 100,000-lever scenario is about 10 MB).
pub const MAX_SCENARIO_BYTES: u64 = 64 << 20;

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
        let display = data::escaped_path(&next);
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
            Err(err) if child.is_some() => {
                let child = child.expect("a parent is read after its child");
                let mut problems = vec![problem_at(child, "extends", "extends", format!("cannot read the parent scenario {display}: {err}; `extends` is relative to the file that names it"))];
                // And what can be checked without the parent.
                problems.extend(problems_without_parent(&chain));
                sort_by_place(&mut problems);
                return Err(ScenarioErrors(problems));
            }
            Err(err) => {
                let problem = Problem {
                    file: display,
                    line: 0,
                    column: 0,
                    field: String::new(),
                    message: format!("cannot read the scenario file: {err}{}; check the path (scenarios live in scenarios/, e.g. scenarios/baseline.ron)", near_file_name(&next)),
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
        Some(found) => format!(
            " (did you mean `{}`?)",
            data::escaped_path(&dir.join(found))
        ),
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
        return Err(ScenarioErrors(vec![problem_at(src, "data", "data", format!("{} is a file, but `data:` names a folder (relative to the scenario file) holding the same CSV files as data/; give that folder, or remove `data:` to use the built-in data", data::escaped_path(&dir)))]));
    }
    if !dir.is_dir() {
        return Err(ScenarioErrors(vec![problem_at(src, "data", "data", format!("data directory {} does not exist; give a folder (relative to the scenario file) holding the same CSV files as data/, or remove `data:` to use the built-in data", data::escaped_path(&dir)))]));
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
    let (dataset, data_dir) = dataset_for(&chain).map_err(|data_errors| {
        // The scenario's own problems too: those in its files in file order, then the data's.
        let files: Vec<&str> = chain.iter().map(|f| f.display.as_str()).collect();
        let (mut problems, in_data): (Vec<Problem>, Vec<Problem>) = data_errors
            .0
            .into_iter()
            .partition(|p| files.contains(&p.file.as_str()));
        problems.extend(problems_without_data(&chain));
        sort_by_place(&mut problems);
        problems.extend(in_data);
        ScenarioErrors(problems)
    })?;
    let mut scenario = validate_chain(&chain, &dataset)?;
    scenario.source = Some(path.to_path_buf());
    scenario.data_dir = data_dir;
    Ok((scenario, dataset))
}
#[cfg(test)]
mod tests {
    use crate::scenario::test_support::{load_files, PARENT};
    use crate::scenario::Scenario;

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
}
