//! The embedded font (a subset of Noto Sans CJK SC): registration with plotters, glyph
//! coverage ([`missing_glyphs`]), the metrics the PNG text placement needs, and the
//! super/subscripts the subset lacks, drawn as small raised or lowered characters.

use std::sync::OnceLock;

use plotters::style::FontStyle;
use ttf_parser::{Face, GlyphId};

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
pub(crate) static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/NotoSansSC-subset.otf");

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
        if !cmap_has(ch) && synthesized(ch).is_none() {
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

/// The embedded font parsed once by `ttf-parser` (the parser ab_glyph, and so plotters,
/// render with), for glyph lookup and metrics. None only if the font is broken.
fn face() -> Option<&'static Face<'static>> {
    static FACE: OnceLock<Option<Face<'static>>> = OnceLock::new();
    FACE.get_or_init(|| Face::parse(FONT_BYTES, 0).ok())
        .as_ref()
}

/// The glyph the font's Unicode `cmap` maps `ch` to (None: not in the font, i.e. .notdef).
fn glyph_id(ch: char) -> Option<GlyphId> {
    face()?.glyph_index(ch).filter(|g| g.0 != 0)
}

/// Whether the font has a real glyph (not .notdef) for `ch`.
pub(super) fn cmap_has(ch: char) -> bool {
    glyph_id(ch).is_some()
}

/// Horizontal metrics of the embedded font.
///
/// Needed because plotters' ab_glyph rasteriser draws each glyph with its ink box at
/// the pen position, i.e. it drops the left side bearing (a narrow glyph such as 目 or
/// 1 then sits too far left and leaves a gap after it). For PNG output we therefore
/// place glyphs one by one, shifting each by its side bearing; widths for layout come
/// from the same table so both backends lay out identically.
pub(super) struct Metrics {
    /// ascender − descender (font units): ab_glyph scales this to the requested size.
    pub(super) height: f64,
    face: &'static Face<'static>,
}

impl Metrics {
    pub(super) fn get() -> Option<&'static Metrics> {
        static METRICS: OnceLock<Option<Metrics>> = OnceLock::new();
        METRICS
            .get_or_init(|| {
                let face = face()?;
                let height = f64::from(face.ascender()) - f64::from(face.descender());
                Some(Metrics {
                    height: height.max(1.0),
                    face,
                })
            })
            .as_ref()
    }

    /// (advance, left side bearing) of `ch` in font units; .notdef's for missing glyphs.
    pub(super) fn glyph(&self, ch: char) -> (f64, f64) {
        let gid = glyph_id(ch).unwrap_or(GlyphId(0));
        let adv = self.face.glyph_hor_advance(gid).unwrap_or(0);
        let lsb = self.face.glyph_hor_side_bearing(gid).unwrap_or(0);
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
    if cmap_has(ch) {
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
