//! Finding places in a RON source, so that problems found after parsing still carry
//! `line:column`. serde drops positions; an [`Index`] recovers them from the text by looking for
//! the key (`epsilon:`) or value (`"chengduu"`) that a problem is about, skipping comments and
//! strings.
//!
//! Everything is linear in the size of the file: [`Index::new`] reads the text once (one pass
//! over comments, strings and identifiers) and every lookup after that is a binary search, so a
//! scenario with 100,000 levers — each looked up a few times — loads in time proportional to its
//! length (`cargo bench --bench load`).

use std::cell::Cell;
use std::collections::HashMap;

/// The policy variants, found as `Name(` outside comments and strings.
const VARIANTS: [&str; 7] = [
    "TravelTime",
    "Corridor",
    "HukouWedge",
    "ProductivityShift",
    "AmenityShift",
    "LandCap",
    "BorderPenalty",
];

/// Positions of keys, string literals and policy variants in one source text.
#[derive(Debug)]
pub struct Index<'a> {
    text: &'a str,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    /// `key:` (an identifier followed by a colon): the identifier's offsets, ascending.
    keys: HashMap<&'a str, Vec<usize>>,
    /// String literals, quotes included (`"chengdu"`): offsets of the opening quote, ascending.
    strings: HashMap<&'a str, Vec<usize>>,
    /// Offsets of policy variants (`LandCap(`), ascending.
    variants: Vec<usize>,
    /// The last position converted by [`Index::line_column`] (offset, line, column): problems
    /// come roughly in file order, so columns are counted from there, not from the line start.
    last: Cell<(usize, usize, usize)>,
}

impl<'a> Index<'a> {
    /// Reads `text` once.
    pub fn new(text: &'a str) -> Index<'a> {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        let mut keys: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut strings: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut variants = Vec::new();
        let next_non_space = |mut j: usize| {
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            bytes.get(j).copied()
        };
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\n' {
                line_starts.push(i + 1);
                i += 1;
            } else if b == b'"' {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\n' {
                        line_starts.push(i + 1);
                    }
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                if let Some(literal) = text.get(start..i) {
                    strings.entry(literal).or_default().push(start);
                }
            } else if bytes[i..].starts_with(b"//") {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            } else if bytes[i..].starts_with(b"/*") {
                i += 2;
                while i < bytes.len() && !bytes[i..].starts_with(b"*/") {
                    if bytes[i] == b'\n' {
                        line_starts.push(i + 1);
                    }
                    i += 1;
                }
                i = (i + 2).min(bytes.len());
            } else if b.is_ascii_alphabetic() || b == b'_' {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &text[start..i];
                match next_non_space(i) {
                    Some(b':') => keys.entry(word).or_default().push(start),
                    Some(b'(') if VARIANTS.contains(&word) => variants.push(start),
                    _ => {}
                }
            } else if b.is_ascii_digit() {
                // A number (`1e5`, `0x1F`): its letters are not identifiers.
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.')
                {
                    i += 1;
                }
            } else {
                i += 1;
            }
        }
        Index {
            text,
            line_starts,
            keys,
            strings,
            variants,
            last: Cell::new((0, 1, 1)),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let line_start = self.line_starts[line - 1];
        let (last_offset, last_line, last_column) = self.last.get();
        let column = if last_line == line && last_offset >= line_start && last_offset <= offset {
            last_column + self.text[last_offset..offset].chars().count()
        } else {
            self.text[line_start..offset].chars().count() + 1
        };
        self.last.set((offset, line, column));
        (line, column)
    }

    /// First `key:` (a whole identifier followed by a colon) at or after `from`, outside
    /// comments and strings.
    pub fn key(&self, from: usize, key: &str) -> Option<usize> {
        first_from(self.keys.get(key)?, from)
    }

    /// First string literal `"value"` (give the quotes) at or after `from`.
    pub fn string(&self, from: usize, quoted: &str) -> Option<usize> {
        first_from(self.strings.get(quoted)?, from)
    }

    /// Start of the next policy variant (`Name(`) at or after `from`.
    pub fn next_variant(&self, from: usize) -> Option<usize> {
        first_from(&self.variants, from)
    }
}

fn first_from(sorted: &[usize], from: usize) -> Option<usize> {
    sorted.get(sorted.partition_point(|&at| at < from)).copied()
}

/// The text around `line:column`, for syntax errors.
pub fn snippet(text: &str, line: usize, column: usize) -> String {
    let Some(source_line) = text.lines().nth(line.saturating_sub(1)) else {
        return String::new();
    };
    let chars: Vec<char> = source_line.chars().collect();
    let word = |c: &char| c.is_alphanumeric() || *c == '_';
    let mut start = column.saturating_sub(12).min(chars.len());
    let mut end = (column + 12).min(chars.len());
    // Whole words: a cut word is taken whole (up to 24 more characters), else left out.
    let (first, last) = (start, end);
    while start > 0
        && start + 24 > first
        && chars.get(start).is_some_and(word)
        && word(&chars[start - 1])
    {
        start -= 1;
    }
    if start > 0 && chars.get(start).is_some_and(word) && word(&chars[start - 1]) {
        while start < chars.len() && word(&chars[start]) {
            start += 1;
        }
    }
    while end < chars.len()
        && end < last + 24
        && end > 0
        && word(&chars[end - 1])
        && word(&chars[end])
    {
        end += 1;
    }
    if end < chars.len() && end > start && word(&chars[end - 1]) && word(&chars[end]) {
        while end > start && word(&chars[end - 1]) {
            end -= 1;
        }
    }
    chars[start..end.max(start)]
        .iter()
        .collect::<String>()
        .trim()
        .to_string()
}

/// `text` with the `key: value` entry whose key starts at `line:column` (1-based, in
/// characters) replaced by spaces — its trailing comma too — so that the rest keeps every line
/// and column. The value ends at the first `,` or closing bracket outside brackets, strings,
/// characters and comments. `None` when no `key:` starts there.
pub fn blank_entry(text: &str, line: usize, column: usize) -> Option<String> {
    let (start, _, end) = entry_span(text, line, column)?;
    Some(blank(text, start, end))
}

/// `text` with the bytes `start..end` replaced by spaces (newlines kept), so that every line
/// and column of the rest stays where it was.
pub fn blank(text: &str, start: usize, end: usize) -> String {
    let blanked: String = text[start..end]
        .chars()
        .map(|c| if c == '\n' { '\n' } else { ' ' })
        .collect();
    format!("{}{blanked}{}", &text[..start], &text[end..])
}

/// Byte offsets (start, end of the key, end) of the `key: value` entry whose key starts at
/// `line:column` (1-based, in characters), its trailing comma included; see [`blank_entry`].
pub fn entry_span(text: &str, line: usize, column: usize) -> Option<(usize, usize, usize)> {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum();
    let start = line_start
        + text[line_start..]
            .char_indices()
            .nth(column.checked_sub(1)?)
            .map(|(offset, _)| offset)?;
    let bytes = text.as_bytes();
    let mut i = start;
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
        i += 1;
    }
    if i == start {
        return None;
    }
    let key_end = i;
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    if bytes.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    let mut depth = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'\'' if bytes.get(i + 2) == Some(&b'\'') || bytes.get(i + 1) == Some(&b'\\') => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'\'' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth == 0 => break,
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => {
                i += 1;
                break;
            }
            _ => {}
        }
        i += 1;
    }
    Some((start, key_end, i.min(bytes.len())))
}

/// 1-based line and column (in characters) of the byte `offset` of `text`.
pub fn line_column_of(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// Byte offset of `line:column` (1-based, in characters).
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum();
    Some(
        line_start
            + text[line_start..]
                .char_indices()
                .nth(column.checked_sub(1)?)
                .map(|(offset, _)| offset)?,
    )
}

/// The `(` and `)` of `bytes` from `from` on that are RON, not inside a string or a comment:
/// (offset, byte).
fn parens(bytes: &[u8], from: usize) -> impl Iterator<Item = (usize, u8)> + '_ {
    let mut i = from;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let at = i;
            i += 1;
            match bytes[at] {
                b'"' => {
                    while i < bytes.len() && bytes[i] != b'"' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                b'/' if bytes.get(at + 1) == Some(&b'/') => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if bytes.get(at + 1) == Some(&b'*') => {
                    i += 1;
                    while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                        i += 1;
                    }
                    i += 2;
                }
                paren @ (b'(' | b')') => return Some((at, paren)),
                _ => {}
            }
        }
        None
    })
}

/// Byte offset of the `)` that closes the `(` at `open`.
fn closing_paren(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (at, paren) in parens(bytes, open) {
        if paren == b'(' {
            depth += 1;
        } else {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(at);
            }
        }
    }
    None
}

/// The list item `Variant( … )` whose name starts at `line:column` (1-based, in characters),
/// as byte offsets (start, end) up to and including its trailing comma; `None` unless it is an
/// item of a `[ … ]` list.
pub fn list_item_starting_at(text: &str, line: usize, column: usize) -> Option<(usize, usize)> {
    let start = offset_of(text, line, column)?;
    let bytes = text.as_bytes();
    let mut open = start;
    while open < bytes.len() && (bytes[open].is_ascii_alphanumeric() || bytes[open] == b'_') {
        open += 1;
    }
    while open < bytes.len() && bytes[open].is_ascii_whitespace() {
        open += 1;
    }
    if open == start || bytes.get(open) != Some(&b'(') {
        return None;
    }
    let close = closing_paren(bytes, open)?;
    list_item_span(text, start, close)
}

/// `(start, end)` of the list item from `start` to its `)` at `close`, its trailing comma
/// included, if what comes before `start` opens a list or ends its previous item.
fn list_item_span(text: &str, start: usize, close: usize) -> Option<(usize, usize)> {
    let before = text[..start].trim_end();
    if !(before.ends_with('[') || before.ends_with(',')) {
        return None;
    }
    let bytes = text.as_bytes();
    let mut end = close + 1;
    while end < bytes.len() && bytes[end].is_ascii_whitespace() {
        end += 1;
    }
    Some((
        start,
        if bytes.get(end) == Some(&b',') {
            end + 1
        } else {
            close + 1
        },
    ))
}

/// Byte offsets (start, end) of the list item whose closing `)` is at `line:column` (1-based,
/// in characters): `Variant( … )` or `( … )`, up to and including its trailing comma. `None`
/// unless the struct closed there is an item of a `[ … ]` list (the scenario itself, or
/// `parameters: ( … )`, is not).
pub fn list_item_closing_at(text: &str, line: usize, column: usize) -> Option<(usize, usize)> {
    let close = offset_of(text, line, column)?;
    let bytes = text.as_bytes();
    if bytes.get(close) != Some(&b')') {
        return None;
    }
    // The matching `(`: the last one from the start still open at this `)`, which must itself
    // be RON (not inside a string or a comment).
    let mut open_parens = Vec::new();
    let mut found = false;
    for (at, paren) in parens(bytes, 0) {
        if at == close {
            found = true;
            break;
        }
        if paren == b'(' {
            open_parens.push(at);
        } else {
            open_parens.pop();
        }
    }
    if !found {
        return None;
    }
    let mut start = open_parens.pop()?;
    while start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
        start -= 1;
    }
    list_item_span(text, start, close)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// List items are found from their closing `)` or their name, past strings and comments
    /// holding parentheses; a struct that is not a list item (the scenario, `parameters`) is
    /// not one.
    #[test]
    fn list_items_are_found_whole_and_only_in_lists() {
        let text = "(p: (a: 1), l: [X(s: \")(\", /* ) */ y: (1)), Y(z: 2)])";
        let item = |(start, end): (usize, usize)| &text[start..end];
        let first_close = text.find("))").unwrap() + 1;
        assert_eq!(
            list_item_closing_at(text, 1, first_close + 1).map(item),
            Some("X(s: \")(\", /* ) */ y: (1)),")
        );
        let second = text.find("Y(").unwrap();
        assert_eq!(
            list_item_starting_at(text, 1, second + 1).map(item),
            Some("Y(z: 2)")
        );
        assert_eq!(
            list_item_starting_at(text, 1, text.find("X(").unwrap() + 1).map(item),
            Some("X(s: \")(\", /* ) */ y: (1)),")
        );
        // `parameters`-like struct value and the whole file are not list items.
        assert_eq!(
            list_item_closing_at(text, 1, text.find("1)").unwrap() + 2),
            None
        );
        assert_eq!(list_item_closing_at(text, 1, text.len()), None);
        // Not at a `)` or a name: nothing.
        assert_eq!(list_item_closing_at(text, 1, 2), None);
        assert_eq!(list_item_starting_at(text, 1, 1), None);
    }

    #[test]
    fn keys_skip_comments_strings_and_longer_identifiers() {
        let text =
            "(\n // epsilon: 1\n s: \"gamma: 2\", hukou_wedge_core: 0.3,\n hukou_wedge: 0.2,\n)";
        let index = Index::new(text);
        let at = index.key(0, "hukou_wedge").unwrap();
        assert_eq!(index.line_column(at), (4, 2));
        assert!(index.key(0, "epsilon").is_none());
        assert!(index.key(0, "gamma").is_none());
        assert!(index.key(at + 1, "hukou_wedge").is_none());
    }

    #[test]
    fn variants_are_found_in_order() {
        let text = "[ LandCap(x: 1), // HukouWedge(\n HukouWedge(y: 2) ]";
        let index = Index::new(text);
        let first = index.next_variant(0).unwrap();
        assert_eq!(&text[first..first + 7], "LandCap");
        let second = index.next_variant(first + 1).unwrap();
        assert_eq!(index.line_column(second), (2, 2));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "(name: \"成渝\", x: 1, y: 2)";
        let index = Index::new(text);
        let x = index.key(0, "x").unwrap();
        assert_eq!(index.line_column(x), (1, 14));
        let y = index.key(0, "y").unwrap();
        assert_eq!(index.line_column(y), (1, 20));
        // Out of order, and on another line: counted again from the line start.
        assert_eq!(index.line_column(x), (1, 14));
        assert_eq!(index.string(0, "\"成渝\""), Some(7));
    }

    /// The text around an error keeps whole words: `end_year`, not `_year`.
    #[test]
    fn snippets_are_cut_at_word_boundaries() {
        assert_eq!(snippet("    end_year: 2020.5,", 1, 19), "end_year: 2020.5,");
        assert_eq!(
            snippet("(name: \"t4\", parameters: [1, 2])", 1, 26),
            "parameters: [1, 2])"
        );
        assert_eq!(
            snippet(
                "(gamma: 0.1, description_of_the_run_in_words: 1, chi_and_more: 2)",
                1,
                30
            ),
            "description_of_the_run_in_words"
        );
    }

    #[test]
    fn line_starts_inside_strings_and_block_comments_count() {
        let text = "(a: \"x\ny\", /* 1\n2 */ b: 1)";
        let index = Index::new(text);
        assert_eq!(index.line_column(index.key(0, "b").unwrap()), (3, 6));
    }
}
