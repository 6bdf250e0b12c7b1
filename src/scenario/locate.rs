//! Finding places in the scenario source, so that problems found after parsing still carry
//! `line:column`. serde drops positions; these helpers recover them from the text by looking for
//! the key (`epsilon:`) or value (`"chengduu"`) that a problem is about, skipping comments.

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

/// The text around `line:column`, for syntax errors.
pub fn snippet(text: &str, line: usize, column: usize) -> String {
    let Some(source_line) = text.lines().nth(line.saturating_sub(1)) else {
        return String::new();
    };
    let chars: Vec<char> = source_line.chars().collect();
    let start = column.saturating_sub(12).min(chars.len());
    let end = (column + 12).min(chars.len());
    chars[start..end]
        .iter()
        .collect::<String>()
        .trim()
        .to_string()
}

/// Byte ranges of `//` line comments and `/* */` block comments (outside strings).
fn comment_mask(text: &str) -> Vec<bool> {
    let bytes = text.as_bytes();
    let mut mask = vec![false; bytes.len()];
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        if in_string {
            if bytes[i] == b'\\' {
                i += 2;
                continue;
            }
            if bytes[i] == b'"' {
                in_string = false;
            }
            i += 1;
        } else if bytes[i] == b'"' {
            in_string = true;
            i += 1;
        } else if bytes[i..].starts_with(b"//") {
            while i < bytes.len() && bytes[i] != b'\n' {
                mask[i] = true;
                i += 1;
            }
        } else if bytes[i..].starts_with(b"/*") {
            while i < bytes.len() && !bytes[i..].starts_with(b"*/") {
                mask[i] = true;
                i += 1;
            }
            for _ in 0..2 {
                if i < bytes.len() {
                    mask[i] = true;
                    i += 1;
                }
            }
        } else {
            i += 1;
        }
    }
    mask
}

/// First occurrence of `needle` at or after `from`, outside comments.
pub fn next_occurrence(text: &str, from: usize, needle: &str) -> Option<usize> {
    let mask = comment_mask(text);
    let mut start = from.min(text.len());
    while let Some(found) = text[start..].find(needle) {
        let at = start + found;
        if !mask[at] {
            return Some(at);
        }
        start = at + needle.len();
    }
    None
}

/// First `key:` (a whole identifier followed by a colon) at or after `from`, outside comments.
pub fn key(text: &str, from: usize, key: &str) -> Option<usize> {
    let mask = comment_mask(text);
    let bytes = text.as_bytes();
    let mut start = from.min(text.len());
    while let Some(found) = text[start..].find(key) {
        let at = start + found;
        start = at + key.len();
        if mask[at] {
            continue;
        }
        let before_ok =
            at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        let rest = text[at + key.len()..].trim_start();
        if before_ok && rest.starts_with(':') {
            return Some(at);
        }
    }
    None
}

/// Start of the next policy variant (`Name(`) at or after `from`, outside comments and strings.
pub fn next_variant(text: &str, from: usize) -> Option<usize> {
    const VARIANTS: [&str; 7] = [
        "TravelTime",
        "Corridor",
        "HukouWedge",
        "ProductivityShift",
        "AmenityShift",
        "LandCap",
        "BorderPenalty",
    ];
    VARIANTS
        .iter()
        .filter_map(|variant| {
            let mut start = from;
            loop {
                let at = next_occurrence(text, start, variant)?;
                let rest = text[at + variant.len()..].trim_start();
                if rest.starts_with('(') {
                    return Some(at);
                }
                start = at + variant.len();
            }
        })
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_skip_comments_and_longer_identifiers() {
        let text = "(\n // epsilon: 1\n hukou_wedge_core: 0.3,\n hukou_wedge: 0.2,\n)";
        let at = key(text, 0, "hukou_wedge").unwrap();
        assert_eq!(line_column(text, at), (4, 2));
        assert!(key(text, 0, "epsilon").is_none());
    }

    #[test]
    fn variants_are_found_in_order() {
        let text = "[ LandCap(x: 1), // HukouWedge(\n HukouWedge(y: 2) ]";
        let first = next_variant(text, 0).unwrap();
        assert_eq!(&text[first..first + 7], "LandCap");
        let second = next_variant(text, first + 1).unwrap();
        assert_eq!(line_column(text, second), (2, 2));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "(name: \"成渝\", x: 1)";
        let at = text.find("x:").unwrap();
        assert_eq!(line_column(text, at), (1, 14));
    }
}
