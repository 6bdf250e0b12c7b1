//! Text helpers for labels: splitting "中文 English" labels into two lines, ellipsizing to a
//! width, true minus signs.

use plotters::prelude::*;

use super::canvas::{Canvas, Font};
use super::ChartError;

/// Splits "万州 Wanzhou" into ("万州", "Wanzhou") at the first space after leading
/// non-ASCII text, for two-line category labels.
pub(super) fn split_bilingual(label: &str) -> Option<(String, String)> {
    let idx = label.find(' ')?;
    let (a, b) = label.split_at(idx);
    let b = b.trim();
    if a.is_empty() || b.is_empty() {
        return None;
    }
    Some((a.to_string(), b.to_string()))
}

/// `text` cut short with "…" so that it fits `max_w` (unchanged if it fits already).
pub(super) fn ellipsize<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    text: &str,
    font: Font,
    max_w: f64,
) -> Result<String, ChartError> {
    if c.text_width(text, font)? <= max_w {
        return Ok(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    for n in (1..chars.len()).rev() {
        let s: String = chars[..n].iter().collect();
        let s = format!("{}…", s.trim_end());
        if c.text_width(&s, font)? <= max_w {
            return Ok(s);
        }
    }
    Ok("…".to_string())
}

/// `text` broken at spaces into at most `max_lines` lines that each `fits` (a single word
/// longer than a line stays whole). Words that do not fit in `max_lines` are dropped: the last
/// line then ends with " …" after a whole word, never inside one. Empty text gives no lines.
pub(super) fn wrap_words<E>(
    text: &str,
    max_lines: usize,
    mut fits: impl FnMut(&str) -> Result<bool, E>,
) -> Result<Vec<String>, E> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut lines: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() && lines.len() < max_lines {
        let mut line = words[i].to_string();
        i += 1;
        while i < words.len() {
            let candidate = format!("{line} {}", words[i]);
            if !fits(&candidate)? {
                break;
            }
            line = candidate;
            i += 1;
        }
        lines.push(line);
    }
    if i < words.len() {
        if let Some(last) = lines.last_mut() {
            let mut kept: Vec<&str> = last.split(' ').collect();
            loop {
                let candidate = format!("{} …", kept.join(" "));
                if kept.len() <= 1 || fits(&candidate)? {
                    *last = candidate;
                    break;
                }
                kept.pop();
            }
        }
    }
    Ok(lines)
}

/// `text` with a hyphen-minus that starts a number ("-24.5%", "(-3") set as a true minus
/// sign, like every number this module formats itself.
pub(super) fn true_minus(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, &ch)| {
            let starts = i == 0 || matches!(chars[i - 1], ' ' | '(' | '[' | '（' | '/');
            let digit = chars
                .get(i + 1)
                .is_some_and(|d| d.is_ascii_digit() || *d == '.');
            if ch == '-' && starts && digit {
                '−'
            } else {
                ch
            }
        })
        .collect()
}

/// Splits `text` at the space nearest its middle (None without an inner space).
pub(super) fn split_middle(text: &str) -> Option<(String, String)> {
    let t = text.trim();
    let mid = t.len() / 2;
    let at = t
        .char_indices()
        .filter(|&(_, ch)| ch == ' ')
        .map(|(i, _)| i)
        .min_by_key(|&i| (i.abs_diff(mid), i))?;
    let (a, b) = (t[..at].trim(), t[at..].trim());
    (!a.is_empty() && !b.is_empty()).then(|| (a.to_string(), b.to_string()))
}
