//! The embedded font (a subset of Noto Sans CJK SC): registration with plotters, glyph
//! coverage ([`missing_glyphs`]), the metrics the PNG text placement needs, and the
//! super/subscripts the subset lacks, drawn as small raised or lowered characters.

use std::sync::OnceLock;

use plotters::style::FontStyle;

use super::ChartError;

/// Family name under which the embedded font is registered with
/// `plotters::style::register_font`.
///
/// It is deliberately a CSS fallback list: plotters copies the family string verbatim
/// into the SVG `font-family` attribute, so browsers pick any installed CJK face,
/// while for PNG rendering the string is only a lookup key. Use this constant (not
/// `"sans-serif"`) in any plotters `TextStyle` that must render Chinese; the font is
/// additionally registered as `"sans-serif"` so plotters' defaults never fail.
pub const FONT_FAMILY: &str =
    "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif";

/// The embedded font: a subset of Noto Sans CJK SC Regular (see assets/fonts/README.md).
pub(super) static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/NotoSansSC-subset.otf");

/// Glyphs of `text` that the embedded font lacks (for tests: every unit name must render).
///
/// Control characters are ignored (they are never drawn), and so are the superscript
/// and subscript digits and signs the font lacks (⁰⁵–⁹⁺⁻₀–₉…), which are drawn as
/// small raised/lowered ordinary glyphs. Each missing character is reported once, in
/// order of first appearance.
pub fn missing_glyphs(text: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::new();
    for ch in text.chars() {
        if ch.is_control() || out.contains(&ch) {
            continue;
        }
        if !cmap_has(FONT_BYTES, ch) && synthesized(ch).is_none() {
            out.push(ch);
        }
    }
    out
}

/// Registers the embedded font once per process. plotters keeps fonts in a global
/// table, so later calls are free; the result is cached so a broken font reports the
/// same error every time instead of panicking.
pub(super) fn ensure_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            for name in [FONT_FAMILY, "sans-serif"] {
                plotters::style::register_font(name, FontStyle::Normal, FONT_BYTES)
                    .map_err(|_| format!("embedded font rejected by ab_glyph ({name})"))?;
            }
            Ok(())
        })
        .clone()
        .map_err(ChartError::Font)
}

pub(super) fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub(super) fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Whether the font's Unicode `cmap` maps `ch` to a real glyph (not .notdef).
///
/// A minimal reader of cmap formats 4 and 12, so that this module needs no font crate
/// besides what plotters uses internally; ab_glyph looks glyphs up the same way.
pub(super) fn cmap_has(font: &[u8], ch: char) -> bool {
    cmap_glyph(font, ch as u32).is_some_and(|g| g != 0)
}

pub(super) fn cmap_glyph(font: &[u8], cp: u32) -> Option<u32> {
    let cmap = find_table(font, b"cmap")?;
    let n_sub = be_u16(font, cmap + 2)? as usize;
    let mut best = None;
    for i in 0..n_sub {
        let rec = cmap + 4 + 8 * i;
        let (platform, encoding) = (be_u16(font, rec)?, be_u16(font, rec + 2)?);
        let unicode = platform == 0 || (platform == 3 && (encoding == 1 || encoding == 10));
        if !unicode {
            continue;
        }
        let sub = cmap + be_u32(font, rec + 4)? as usize;
        let g = match be_u16(font, sub)? {
            4 => cmap4(font, sub, cp),
            12 => cmap12(font, sub, cp),
            _ => None,
        };
        if let Some(g) = g {
            if g != 0 {
                return Some(g);
            }
            best = Some(0);
        }
    }
    best
}

pub(super) fn cmap4(font: &[u8], sub: usize, cp: u32) -> Option<u32> {
    if cp > 0xFFFF {
        return None;
    }
    let seg_x2 = be_u16(font, sub + 6)? as usize;
    let ends = sub + 14;
    let starts = ends + seg_x2 + 2;
    let deltas = starts + seg_x2;
    let offsets = deltas + seg_x2;
    let n_seg = seg_x2 / 2;
    // Segments are sorted by end code: binary search for the first end ≥ cp.
    let (mut lo, mut hi) = (0usize, n_seg);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if u32::from(be_u16(font, ends + 2 * mid)?) < cp {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if lo == n_seg {
        return Some(0);
    }
    let seg = 2 * lo;
    let start = u32::from(be_u16(font, starts + seg)?);
    if cp < start {
        return Some(0);
    }
    let delta = u32::from(be_u16(font, deltas + seg)?);
    let range_off = be_u16(font, offsets + seg)? as usize;
    if range_off == 0 {
        return Some((cp + delta) & 0xFFFF);
    }
    let at = offsets + seg + range_off + 2 * (cp - start) as usize;
    let g = u32::from(be_u16(font, at)?);
    Some(if g == 0 { 0 } else { (g + delta) & 0xFFFF })
}

pub(super) fn cmap12(font: &[u8], sub: usize, cp: u32) -> Option<u32> {
    let groups = be_u32(font, sub + 12)? as usize;
    for i in 0..groups {
        let g = sub + 16 + 12 * i;
        let (start, end) = (be_u32(font, g)?, be_u32(font, g + 4)?);
        if (start..=end).contains(&cp) {
            return Some(be_u32(font, g + 8)? + (cp - start));
        }
    }
    Some(0)
}

/// Horizontal metrics of the embedded font, read once from its `hhea`/`hmtx` tables.
///
/// Needed because plotters' ab_glyph rasteriser draws each glyph with its ink box at
/// the pen position, i.e. it drops the left side bearing (a narrow glyph such as 目 or
/// 1 then sits too far left and leaves a gap after it). For PNG output we therefore
/// place glyphs one by one, shifting each by its side bearing; widths for layout come
/// from the same table so both backends lay out identically.
pub(super) struct Metrics {
    /// ascender − descender (font units): ab_glyph scales this to the requested size.
    pub(super) height: f64,
    pub(super) hmtx: usize,
    pub(super) n_long: usize,
    pub(super) n_glyphs: usize,
}

pub(super) fn find_table(font: &[u8], tag: &[u8; 4]) -> Option<usize> {
    let num_tables = be_u16(font, 4)? as usize;
    (0..num_tables)
        .find_map(|i| {
            let rec = 12 + 16 * i;
            (font.get(rec..rec + 4)? == tag).then(|| be_u32(font, rec + 8))?
        })
        .map(|o| o as usize)
}

impl Metrics {
    pub(super) fn get() -> Option<&'static Metrics> {
        static METRICS: OnceLock<Option<Metrics>> = OnceLock::new();
        METRICS
            .get_or_init(|| {
                let hhea = find_table(FONT_BYTES, b"hhea")?;
                let maxp = find_table(FONT_BYTES, b"maxp")?;
                let asc = f64::from(be_u16(FONT_BYTES, hhea + 4)? as i16);
                let desc = f64::from(be_u16(FONT_BYTES, hhea + 6)? as i16);
                Some(Metrics {
                    height: (asc - desc).max(1.0),
                    hmtx: find_table(FONT_BYTES, b"hmtx")?,
                    n_long: (be_u16(FONT_BYTES, hhea + 34)? as usize).max(1),
                    n_glyphs: be_u16(FONT_BYTES, maxp + 4)? as usize,
                })
            })
            .as_ref()
    }

    /// (advance, left side bearing) of `ch` in font units; .notdef's for missing glyphs.
    pub(super) fn glyph(&self, ch: char) -> (f64, f64) {
        let gid =
            (cmap_glyph(FONT_BYTES, ch as u32).unwrap_or(0) as usize).min(self.n_glyphs.max(1) - 1);
        let long = gid.min(self.n_long - 1);
        let adv = be_u16(FONT_BYTES, self.hmtx + 4 * long).unwrap_or(0);
        let lsb = if gid < self.n_long {
            be_u16(FONT_BYTES, self.hmtx + 4 * gid + 2)
        } else {
            be_u16(
                FONT_BYTES,
                self.hmtx + 4 * self.n_long + 2 * (gid - self.n_long),
            )
        }
        .unwrap_or(0) as i16;
        (f64::from(adv), f64::from(lsb))
    }
}

/// A glyph of a laid-out run (device px).
pub(super) struct Glyph {
    /// Character drawn (the base character for a synthesized super/subscript).
    pub(super) ch: char,
    /// Pen position from the start of the run.
    pub(super) pen: f64,
    /// Left side bearing, already scaled.
    pub(super) lsb: f64,
    /// Size relative to the run's font.
    pub(super) scale: f64,
    /// Baseline shift upwards.
    pub(super) rise: f64,
}

/// Size of synthesized super/subscripts relative to the text (the font's own ⁴ is 0.6).
pub(super) const SCRIPT_SCALE: f64 = 0.6;

/// Super/subscripts the font lacks (Noto Sans CJK has only ¹²³⁴), drawn as a small
/// raised or lowered base character: (base, rise in em). E.g. "10⁸" in an axis label.
pub(super) fn synthesized(ch: char) -> Option<(char, f64)> {
    if cmap_has(FONT_BYTES, ch) {
        return None;
    }
    let base = match ch {
        '⁰' | '₀' => '0',
        '¹' | '₁' => '1',
        '²' | '₂' => '2',
        '³' | '₃' => '3',
        '⁴' | '₄' => '4',
        '⁵' | '₅' => '5',
        '⁶' | '₆' => '6',
        '⁷' | '₇' => '7',
        '⁸' | '₈' => '8',
        '⁹' | '₉' => '9',
        '⁺' | '₊' => '+',
        '⁻' | '₋' => '−',
        '⁼' | '₌' => '=',
        '⁽' | '₍' => '(',
        '⁾' | '₎' => ')',
        'ⁿ' => 'n',
        'ⁱ' => 'i',
        _ => return None,
    };
    let rise = if ('\u{2080}'..='\u{208E}').contains(&ch) {
        -0.12
    } else {
        0.44
    };
    Some((base, rise))
}
