//! Problems with their place (`file:line:column`), the report of all of them, and how lists
//! and counts in messages are capped.

use std::fmt;

use crate::data::{escape_controls, thousands};

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
        // A problem is one line: text quoted from the file (a lever's name, a unit id) may
        // hold a newline or other control character, shown escaped.
        if !self.field.is_empty() {
            write!(f, "`{}`: ", escape_controls(&self.field))?;
        }
        write!(f, "{}", escape_controls(&self.message))
    }
}

/// Puts problems in the order a reader meets them: by file, then line and column. The sort is
/// stable, so problems at the same place keep the order in which they were found.
pub fn sort_by_place(problems: &mut [Problem]) {
    problems.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_list_names_at_most_twenty_then_counts_the_rest() {
        assert_eq!(capped_list(&[]), "none");
        assert_eq!(capped_list(&["a", "b"]), "a, b");
        let names: Vec<String> = (0..1025).map(|i| format!("u{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let text = capped_list(&refs);
        assert!(text.starts_with("u0, u1, "), "{text}");
        assert!(text.contains("u19 … and 1,005 more"), "{text}");
        assert!(!text.contains("u20"), "{text}");
    }

    /// Text quoted from a file (a lever named "a\nerror: b") cannot make a problem two lines.
    #[test]
    fn a_problem_is_one_line_whatever_the_file_says() {
        let problem = Problem {
            file: "s.ron".to_string(),
            line: 3,
            column: 5,
            field: "remove_policies[0]".to_string(),
            message: "no lever named \"a\nerror: b\u{1b}[0m\" to remove".to_string(),
        };
        assert_eq!(
            problem.to_string(),
            "s.ron:3:5: `remove_policies[0]`: no lever named \"a\\nerror: b\\u{1b}[0m\" to remove"
        );
        let all = ScenarioErrors(vec![problem.clone(), problem]).to_string();
        assert_eq!(all.lines().count(), 3, "{all}");
    }
}
