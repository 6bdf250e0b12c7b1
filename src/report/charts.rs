//! Charts: pure data in, SVG + PNG files out. No model knowledge here.
//!
//! Three kinds of figure are drawn, each written twice into a directory as
//! `<stem>.svg` and `<stem>.png` (1600×900 px):
//!
//! * [`draw_line_chart`]: one or two panels of yearly series with plan-target markers;
//! * [`draw_target_chart`]: grouped bars, target vs projected, met/missed marked;
//! * [`draw_map`]: proportional circles at lon/lat coloured by growth, with flow arrows.
//!
//! Text is set in an embedded subset of Noto Sans CJK SC (SIL OFL, see
//! `assets/fonts/README.md`), registered with plotters under [`FONT_FAMILY`], so the
//! PNGs render Chinese labels on machines with no fonts installed. SVG files carry
//! text as `<text>` elements whose `font-family` is the same CSS fallback list, so a
//! viewer uses Noto / Source Han / PingFang / YaHei, whichever it has.
//!
//! All layout is done here in pixel space rather than with plotters' `ChartBuilder`,
//! because we need exact control over legends, label collisions, log axes and text
//! placement, and because the two backends place text baselines differently (we
//! correct for that in [`Canvas::text`]). The PNG is rendered at 2× and box-filtered
//! down, which anti-aliases lines and circles (plotters' bitmap rasteriser does not).
//!
//! Output is deterministic: no timestamps, no hash-map iteration, inputs are walked in
//! the order given (sorting, where done, is stable with index tie-breaks).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, FontTransform, RGBAColor};

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
static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-subset.otf");

/// Output size in pixels (PNG and SVG viewBox).
const WIDTH: u32 = 1600;
const HEIGHT: u32 = 900;
/// PNG supersampling factor: drawn at 2× and averaged down for anti-aliasing.
const SUPERSAMPLE: u32 = 2;

/// Errors from drawing or writing a chart.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The embedded font could not be parsed or registered.
    #[error("font registration failed: {0}")]
    Font(String),
    /// A plotters drawing operation failed (the backend's message).
    #[error("drawing failed: {0}")]
    Draw(String),
    /// Encoding or saving the PNG failed.
    #[error("writing PNG {path}: {message}")]
    Png {
        /// The file being written.
        path: PathBuf,
        /// The encoder's message.
        message: String,
    },
    /// Creating the output directory or writing a file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The chart description cannot be drawn (e.g. a flow index out of range, a bad stem).
    #[error("invalid chart input: {0}")]
    InvalidInput(String),
}

/// One line in a panel: values by year (persons, yuan… divided by the panel's `y_divisor`).
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text, e.g. "成都 Chengdu".
    pub label: String,
    /// Years; paired with `values` by position (extra elements of the longer one are ignored).
    pub years: Vec<i32>,
    /// Values in base units; non-finite values (and non-positive ones on a log axis) are
    /// skipped and break the line.
    pub values: Vec<f64>,
    /// Draw dashed (e.g. for a projection or an alternative scenario).
    pub dashed: bool,
}

/// A plan target drawn as a star at (year, value).
#[derive(Debug, Clone)]
pub struct TargetMarker {
    /// Legend text, e.g. "2020 目标 target (专栏1)"; markers with equal labels share one entry.
    pub label: String,
    /// Target year.
    pub year: i32,
    /// Target value in base units (divided by the panel's `y_divisor` like the series).
    pub value: f64,
    /// Colour the marker like the series with this label (in the same panel); dark grey otherwise.
    pub series_label: Option<String>,
}

/// One plot area of a [`LineChart`].
#[derive(Debug, Clone)]
pub struct Panel {
    /// Panel heading (may be empty).
    pub title: String,
    /// Y-axis description including the display unit, e.g. "常住人口 population (万人)".
    pub y_label: String,
    /// Values are divided by this for display (1e4 → 万, 1e8 → 亿); 0/NaN are treated as 1.
    pub y_divisor: f64,
    /// Logarithmic y axis.
    pub log_y: bool,
    /// Lines, drawn in order (colours follow this order).
    pub series: Vec<Series>,
    /// Target markers.
    pub targets: Vec<TargetMarker>,
}

/// A figure of one or more panels side by side sharing a title.
#[derive(Debug, Clone)]
pub struct LineChart {
    /// Figure title.
    pub title: String,
    /// Second header line (scenario, source…); may be empty.
    pub subtitle: String,
    /// X-axis description, e.g. "年份 year".
    pub x_label: String,
    /// Panels (1 or 2 intended; more are drawn side by side, narrower).
    pub panels: Vec<Panel>,
}

/// Draws a line chart to `dir/<stem>.svg` and `dir/<stem>.png` (creating `dir`).
pub fn draw_line_chart(chart: &LineChart, dir: &Path, stem: &str) -> Result<(), ChartError> {
    save(chart, dir, stem)
}

/// One group of the target chart.
#[derive(Debug, Clone)]
pub struct TargetBar {
    /// Category label, e.g. "万州 Wanzhou".
    pub label: String,
    /// Target value (base units).
    pub target: f64,
    /// Projected value (base units).
    pub projected: f64,
    /// Whether the target counts as met (decided by the caller).
    pub met: bool,
}

/// Grouped bar chart: target vs projected per label.
#[derive(Debug, Clone)]
pub struct BarChart {
    /// Figure title.
    pub title: String,
    /// Second header line; may be empty.
    pub subtitle: String,
    /// Y-axis description including the display unit.
    pub y_label: String,
    /// Values are divided by this for display; 0/NaN are treated as 1.
    pub y_divisor: f64,
    /// Groups, drawn left to right in this order.
    pub bars: Vec<TargetBar>,
}

/// Draws a target-vs-projection bar chart to `dir/<stem>.svg` and `.png`.
pub fn draw_target_chart(chart: &BarChart, dir: &Path, stem: &str) -> Result<(), ChartError> {
    save(chart, dir, stem)
}

/// One place on the map.
#[derive(Debug, Clone)]
pub struct MapUnit {
    /// Label, e.g. "成都 Chengdu".
    pub label: String,
    /// Longitude, degrees east.
    pub lon: f64,
    /// Latitude, degrees north.
    pub lat: f64,
    /// Persons; circle area is proportional to it.
    pub population: f64,
    /// Growth in percent; sets the fill colour (diverging blue–grey–red scale).
    pub growth_pct: f64,
}

/// A net flow between two units, drawn as an arrow whose width ∝ `persons`.
#[derive(Debug, Clone)]
pub struct MapFlow {
    /// Index into [`MapChart::units`] of the origin.
    pub from: usize,
    /// Index into [`MapChart::units`] of the destination.
    pub to: usize,
    /// Net persons moving; negative values reverse the arrow, zero/NaN flows are skipped.
    pub persons: f64,
}

/// Proportional-symbol map.
#[derive(Debug, Clone)]
pub struct MapChart {
    /// Figure title.
    pub title: String,
    /// Second header line (e.g. the period the growth refers to); may be empty.
    pub subtitle: String,
    /// Places; units with non-finite coordinates are skipped.
    pub units: Vec<MapUnit>,
    /// Net flows; an out-of-range index is an error.
    pub flows: Vec<MapFlow>,
}

/// Draws a proportional-circle map to `dir/<stem>.svg` and `.png`.
pub fn draw_map(chart: &MapChart, dir: &Path, stem: &str) -> Result<(), ChartError> {
    for (i, f) in chart.flows.iter().enumerate() {
        if f.from >= chart.units.len() || f.to >= chart.units.len() {
            return Err(ChartError::InvalidInput(format!(
                "flow {i} refers to unit {} → {}, but there are {} units",
                f.from,
                f.to,
                chart.units.len()
            )));
        }
    }
    save(chart, dir, stem)
}

/// Glyphs of `text` that the embedded font lacks (for tests: every unit name must render).
///
/// Control characters are ignored (they are never drawn). Each missing character is
/// reported once, in order of first appearance.
pub fn missing_glyphs(text: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::new();
    for ch in text.chars() {
        if ch.is_control() || out.contains(&ch) {
            continue;
        }
        if !cmap_has(FONT_BYTES, ch) {
            out.push(ch);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Font handling
// ---------------------------------------------------------------------------------------

/// Registers the embedded font once per process. plotters keeps fonts in a global
/// table, so later calls are free; the result is cached so a broken font reports the
/// same error every time instead of panicking.
fn ensure_font() -> Result<(), ChartError> {
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

fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Whether the font's Unicode `cmap` maps `ch` to a real glyph (not .notdef).
///
/// A minimal reader of cmap formats 4 and 12, so that this module needs no font crate
/// besides what plotters uses internally; ab_glyph looks glyphs up the same way.
fn cmap_has(font: &[u8], ch: char) -> bool {
    cmap_glyph(font, ch as u32).is_some_and(|g| g != 0)
}

fn cmap_glyph(font: &[u8], cp: u32) -> Option<u32> {
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

fn cmap4(font: &[u8], sub: usize, cp: u32) -> Option<u32> {
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

fn cmap12(font: &[u8], sub: usize, cp: u32) -> Option<u32> {
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
struct Metrics {
    /// ascender − descender (font units): ab_glyph scales this to the requested size.
    height: f64,
    hmtx: usize,
    n_long: usize,
    n_glyphs: usize,
}

fn find_table(font: &[u8], tag: &[u8; 4]) -> Option<usize> {
    let num_tables = be_u16(font, 4)? as usize;
    (0..num_tables)
        .find_map(|i| {
            let rec = 12 + 16 * i;
            (font.get(rec..rec + 4)? == tag).then(|| be_u32(font, rec + 8))?
        })
        .map(|o| o as usize)
}

impl Metrics {
    fn get() -> Option<&'static Metrics> {
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
    fn glyph(&self, ch: char) -> (f64, f64) {
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

// ---------------------------------------------------------------------------------------
// Output: one drawing routine, two backends
// ---------------------------------------------------------------------------------------

/// A figure that can draw itself on any plotters backend.
trait Figure {
    fn render<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> Result<(), ChartError>;
}

impl Figure for LineChart {
    fn render<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> Result<(), ChartError> {
        render_line_chart(c, self)
    }
}

impl Figure for BarChart {
    fn render<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> Result<(), ChartError> {
        render_bar_chart(c, self)
    }
}

impl Figure for MapChart {
    fn render<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> Result<(), ChartError> {
        render_map(c, self)
    }
}

fn draw_err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> ChartError {
    ChartError::Draw(e.to_string())
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ChartError + '_ {
    move |source| ChartError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Renders `fig` to SVG (at 1×) and PNG (at 2×, averaged down), then writes both.
/// Both are rendered in memory first so that a drawing error leaves no partial file.
fn save<F: Figure>(fig: &F, dir: &Path, stem: &str) -> Result<(), ChartError> {
    if stem.is_empty() || stem.contains(['/', '\\']) || stem == "." || stem == ".." {
        return Err(ChartError::InvalidInput(format!(
            "stem {stem:?} must be a plain file name"
        )));
    }
    ensure_font()?;
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        fig.render(&Canvas {
            area: &root,
            s: 1.0,
            svg: true,
        })?;
        root.present().map_err(draw_err)?;
    }

    let (bw, bh) = (WIDTH * SUPERSAMPLE, HEIGHT * SUPERSAMPLE);
    let mut big = vec![0u8; (bw * bh * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut big, (bw, bh)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        fig.render(&Canvas {
            area: &root,
            s: f64::from(SUPERSAMPLE),
            svg: false,
        })?;
        root.present().map_err(draw_err)?;
    }
    let small = downsample(&big, WIDTH, HEIGHT, SUPERSAMPLE);

    let svg_path = dir.join(format!("{stem}.svg"));
    std::fs::write(&svg_path, svg.as_bytes()).map_err(io_err(&svg_path))?;

    let png_path = dir.join(format!("{stem}.png"));
    let png_err = |e: &dyn std::fmt::Display| ChartError::Png {
        path: png_path.clone(),
        message: e.to_string(),
    };
    let mut png = BitMapBackend::new(&png_path, (WIDTH, HEIGHT));
    png.blit_bitmap((0, 0), (WIDTH, HEIGHT), &small)
        .map_err(|e| png_err(&e))?;
    png.present().map_err(|e| png_err(&e))?;
    Ok(())
}

/// Box-filters an RGB image of size (w·f)×(h·f) down to w×h.
fn downsample(big: &[u8], w: u32, h: u32, f: u32) -> Vec<u8> {
    let (w, h, f) = (w as usize, h as usize, f as usize);
    let bw = w * f;
    let n = (f * f) as u32;
    let mut out = vec![0u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            for ch in 0..3 {
                let mut sum = 0u32;
                for dy in 0..f {
                    let row = (y * f + dy) * bw;
                    for dx in 0..f {
                        sum += u32::from(big[(row + x * f + dx) * 3 + ch]);
                    }
                }
                out[(y * w + x) * 3 + ch] = ((sum + n / 2) / n) as u8;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Canvas: logical-pixel drawing helpers over a plotters area
// ---------------------------------------------------------------------------------------

type Res = Result<(), ChartError>;

/// Drawing surface in logical pixels (1600×900); `s` scales to device pixels.
struct Canvas<'a, DB: DrawingBackend> {
    area: &'a DrawingArea<DB, Shift>,
    /// Device pixels per logical pixel.
    s: f64,
    /// SVG backend (text baseline placement differs, see [`Canvas::text`]).
    svg: bool,
}

/// Horizontal alignment of a text run.
#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Center,
    Right,
}

/// Text appearance.
#[derive(Clone, Copy)]
struct Font {
    size: f64,
    color: RGBColor,
    bold: bool,
}

impl Font {
    const fn new(size: f64, color: RGBColor) -> Self {
        Font {
            size,
            color,
            bold: false,
        }
    }
    const fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
    const fn sized(mut self, size: f64) -> Self {
        self.size = size;
        self
    }
}

impl<DB: DrawingBackend> Canvas<'_, DB> {
    fn d(&self, v: f64) -> i32 {
        let v = (v * self.s).round();
        // Saturate rather than wrap on absurd coordinates (NaN maps to 0).
        v.clamp(-1.0e6, 1.0e6) as i32
    }

    fn pt(&self, (x, y): (f64, f64)) -> (i32, i32) {
        (self.d(x), self.d(y))
    }

    fn width_px(&self, w: f64) -> u32 {
        (w * self.s).round().max(1.0) as u32
    }

    fn line(&self, pts: &[(f64, f64)], color: RGBAColor, width: f64) -> Res {
        if pts.len() < 2 {
            return Ok(());
        }
        let v: Vec<_> = pts.iter().map(|&p| self.pt(p)).collect();
        let style = ShapeStyle::from(color).stroke_width(self.width_px(width));
        self.area
            .draw(&PathElement::new(v, style))
            .map_err(draw_err)
    }

    fn dashed(&self, pts: &[(f64, f64)], color: RGBAColor, width: f64, dash: f64, gap: f64) -> Res {
        if pts.len() < 2 {
            return Ok(());
        }
        let v: Vec<_> = pts.iter().map(|&p| self.pt(p)).collect();
        let style = ShapeStyle::from(color).stroke_width(self.width_px(width));
        self.area
            .draw(&DashedPathElement::new(
                v,
                self.d(dash).max(1),
                self.d(gap).max(1),
                style,
            ))
            .map_err(draw_err)
    }

    fn polygon(&self, pts: &[(f64, f64)], color: RGBAColor) -> Res {
        if pts.len() < 3 {
            return Ok(());
        }
        let v: Vec<_> = pts.iter().map(|&p| self.pt(p)).collect();
        self.area
            .draw(&Polygon::new(v, ShapeStyle::from(color).filled()))
            .map_err(draw_err)
    }

    fn fill_rect(&self, x0: f64, y0: f64, x1: f64, y1: f64, color: RGBAColor) -> Res {
        self.area
            .draw(&Rectangle::new(
                [self.pt((x0, y0)), self.pt((x1, y1))],
                ShapeStyle::from(color).filled(),
            ))
            .map_err(draw_err)
    }

    fn stroke_rect(&self, x0: f64, y0: f64, x1: f64, y1: f64, color: RGBAColor, w: f64) -> Res {
        self.line(
            &[(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)],
            color,
            w,
        )
    }

    fn circle(
        &self,
        c: (f64, f64),
        r: f64,
        fill: Option<RGBAColor>,
        stroke: Option<(RGBAColor, f64)>,
    ) -> Res {
        let r_dev = self.d(r).max(1);
        if let Some(f) = fill {
            self.area
                .draw(&Circle::new(
                    self.pt(c),
                    r_dev,
                    ShapeStyle::from(f).filled(),
                ))
                .map_err(draw_err)?;
        }
        if let Some((col, w)) = stroke {
            self.area
                .draw(&Circle::new(
                    self.pt(c),
                    r_dev,
                    ShapeStyle::from(col).stroke_width(self.width_px(w)),
                ))
                .map_err(draw_err)?;
        }
        Ok(())
    }

    fn style(&self, font: Font) -> TextStyle<'static> {
        let style = if font.bold && self.svg {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        };
        TextStyle {
            font: (FONT_FAMILY, font.size * self.s, style).into_font(),
            color: font.color.to_backend_color(),
            pos: Pos::new(HPos::Left, VPos::Top),
        }
    }

    /// How far below the anchor of a `VPos::Top` text plotters puts the baseline, as a
    /// fraction of the font size: the SVG backend writes `dy="0.76em"` with
    /// `font-size = size/1.24`; the ab_glyph rasteriser puts the baseline at `size/2`.
    fn baseline_shift(&self) -> f64 {
        if self.svg {
            0.76 / 1.24
        } else {
            0.5
        }
    }

    /// Glyph layout of `text` in device pixels: (char, pen offset, side bearing) and the
    /// total advance. None only if the embedded font's metrics are unreadable.
    fn layout(&self, text: &str, font: Font) -> Option<(Vec<(char, f64, f64)>, f64)> {
        let m = Metrics::get()?;
        let k = font.size * self.s / m.height;
        let mut pen = 0.0;
        let mut out = Vec::with_capacity(text.len());
        for ch in text.chars() {
            let (adv, lsb) = m.glyph(ch);
            out.push((ch, pen, lsb * k));
            pen += adv * k;
        }
        Some((out, pen))
    }

    /// Draws `text` with its baseline at `y` (logical px), aligned at `x`.
    fn text(&self, text: &str, x: f64, y: f64, font: Font, align: Align) -> Res {
        if text.is_empty() {
            return Ok(());
        }
        let top = y - self.baseline_shift() * font.size;
        let layout = if self.svg {
            None
        } else {
            self.layout(text, font)
        };
        let Some((glyphs, total)) = layout else {
            // SVG: one <text> element; the viewer's font does the layout.
            let h = match align {
                Align::Left => HPos::Left,
                Align::Center => HPos::Center,
                Align::Right => HPos::Right,
            };
            let style = self.style(font).pos(Pos::new(h, VPos::Top));
            return self
                .area
                .draw_text(text, &style, self.pt((x, top)))
                .map_err(draw_err);
        };
        // PNG: glyph by glyph, each shifted by its side bearing (see [`Metrics`]).
        let start = x * self.s
            - match align {
                Align::Left => 0.0,
                Align::Center => total / 2.0,
                Align::Right => total,
            };
        let style = self.style(font);
        let y_dev = self.d(top);
        // Faux bold: the subset has only the Regular weight; overprint one device pixel right.
        let passes: &[f64] = if font.bold { &[0.0, 1.0] } else { &[0.0] };
        for &dx in passes {
            for &(ch, pen, lsb) in &glyphs {
                if ch.is_whitespace() {
                    continue;
                }
                let gx = (start + pen).round() + lsb.floor() + dx;
                self.area
                    .draw_text(ch.encode_utf8(&mut [0u8; 4]), &style, (gx as i32, y_dev))
                    .map_err(draw_err)?;
            }
        }
        Ok(())
    }

    /// Draws `text` rotated to read bottom-to-top, centred on `y`, baseline at `x`.
    fn text_up(&self, text: &str, x: f64, y: f64, font: Font) -> Res {
        if text.is_empty() {
            return Ok(());
        }
        let left = x - self.baseline_shift() * font.size;
        let style = self.style(font).transform(FontTransform::Rotate270);
        let layout = if self.svg {
            None
        } else {
            self.layout(text, font)
        };
        let Some((glyphs, total)) = layout else {
            let style = style.pos(Pos::new(HPos::Center, VPos::Top));
            return self
                .area
                .draw_text(text, &style, self.pt((left, y)))
                .map_err(draw_err);
        };
        // Rotate270 maps the run's x axis to device −y: glyph i starts `pen` above the bottom.
        let bottom = y * self.s + total / 2.0;
        let x_dev = self.d(left);
        for &(ch, pen, lsb) in &glyphs {
            if ch.is_whitespace() {
                continue;
            }
            let gy = (bottom - pen).round() - lsb.floor();
            self.area
                .draw_text(ch.encode_utf8(&mut [0u8; 4]), &style, (x_dev, gy as i32))
                .map_err(draw_err)?;
        }
        Ok(())
    }

    /// Advance width of `text` in logical pixels.
    fn text_width(&self, text: &str, font: Font) -> Result<f64, ChartError> {
        if text.is_empty() {
            return Ok(0.0);
        }
        if let Some((_, total)) = self.layout(text, font) {
            return Ok(total / self.s);
        }
        let (w, _) = self
            .area
            .estimate_text_size(text, &self.style(font))
            .map_err(draw_err)?;
        Ok(f64::from(w) / self.s)
    }

    /// The largest size ≤ `font.size` (down to `min`) at which `text` fits in `max_w`.
    fn fit(&self, text: &str, font: Font, max_w: f64, min: f64) -> Result<Font, ChartError> {
        let w = self.text_width(text, font)?;
        if w <= max_w || w <= 0.0 {
            return Ok(font);
        }
        Ok(font.sized((font.size * max_w / w).max(min)))
    }
}

// ---------------------------------------------------------------------------------------
// Shared styling, number formatting and axis helpers
// ---------------------------------------------------------------------------------------

/// Tableau 10 (colour-blind-aware categorical palette); the yellow is darkened so a
/// 3 px line stays visible on white.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4E, 0x79, 0xA7),
    RGBColor(0xF2, 0x8E, 0x2B),
    RGBColor(0xE1, 0x57, 0x59),
    RGBColor(0x76, 0xB7, 0xB2),
    RGBColor(0x59, 0xA1, 0x4F),
    RGBColor(0xC9, 0xA2, 0x27),
    RGBColor(0xB0, 0x7A, 0xA1),
    RGBColor(0xFF, 0x9D, 0xA7),
    RGBColor(0x9C, 0x75, 0x5F),
    RGBColor(0x79, 0x70, 0x6E),
];

const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
const AXIS: RGBColor = RGBColor(0x88, 0x88, 0x88);
const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);
const TARGET_GREY: RGBColor = RGBColor(0x44, 0x44, 0x44);

fn solid(c: RGBColor) -> RGBAColor {
    c.to_rgba()
}

const MARGIN: f64 = 28.0;
const TITLE: Font = Font::new(36.0, INK).bold();
const SUBTITLE: Font = Font::new(22.0, MUTED);
const PANEL_TITLE: Font = Font::new(25.0, INK).bold();
const TICK: Font = Font::new(19.0, MUTED);
const AXIS_LABEL: Font = Font::new(21.0, INK);
const LEGEND: Font = Font::new(19.0, INK);

/// Draws the title and subtitle; returns the y where content may start.
fn draw_header<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    title: &str,
    subtitle: &str,
) -> Result<f64, ChartError> {
    let max_w = f64::from(WIDTH) - 2.0 * MARGIN;
    let tf = c.fit(title, TITLE, max_w, 18.0)?;
    c.text(title, MARGIN, 50.0, tf, Align::Left)?;
    if subtitle.trim().is_empty() {
        return Ok(70.0);
    }
    let sf = c.fit(subtitle, SUBTITLE, max_w, 14.0)?;
    c.text(subtitle, MARGIN, 84.0, sf, Align::Left)?;
    Ok(100.0)
}

fn divisor(d: f64) -> f64 {
    if d.is_finite() && d != 0.0 {
        d
    } else {
        1.0
    }
}

/// Smallest number of decimals that shows `v` exactly (to 1e-9 relative), at most `max`.
fn decimals_for(v: f64, max: usize) -> usize {
    let v = v.abs();
    (0..=max)
        .find(|&d| {
            let scaled = v * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() <= 1e-6 * scaled.max(1.0)
        })
        .unwrap_or(max)
}

/// Formats with `dec` decimals, thousands separators and a true minus sign.
fn fmt_num(v: f64, dec: usize) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    let s = format!("{:.*}", dec, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s, None),
    };
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let zero = int.chars().all(|c| c == '0')
        && frac.as_deref().is_none_or(|f| f.chars().all(|c| c == '0'));
    let mut out = String::new();
    if v < 0.0 && !zero {
        out.push('−');
    }
    out.push_str(&grouped);
    if let Some(f) = frac {
        out.push('.');
        out.push_str(&f);
    }
    out
}

/// Compact value with up to `sig` significant figures (for bar labels).
fn fmt_compact(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    let a = v.abs();
    let dec = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else {
        2
    };
    let s = fmt_num(v, dec);
    // Drop trailing zeros of the fraction ("150.0" → "150").
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// "Nice" step (1, 2, 2.5, 5 × 10^k) giving about `target` intervals over `span`.
fn nice_step(span: f64, target: f64) -> f64 {
    let raw = (span / target.max(1.0)).abs();
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 2.5 {
        2.5
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Nice number ≥ v from the 1-2-2.5-5 sequence (for legend scales).
fn nice_ceil(v: f64) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= v * (1.0 - 1e-9) {
            return m * mag;
        }
    }
    10.0 * mag
}

/// A y axis: value range, scale type, pixel extent and tick values.
struct YAxis {
    lo: f64,
    hi: f64,
    log: bool,
    /// Pixel y of `lo` (bottom) and `hi` (top).
    p_lo: f64,
    p_hi: f64,
    ticks: Vec<f64>,
    /// Decimals for linear tick labels (log labels choose per value).
    dec: usize,
}

impl YAxis {
    /// Linear axis covering `[min, max]` with nice bounds; starts at 0 for non-negative
    /// data whose minimum is under half the maximum (so bar heights/levels compare honestly).
    fn linear(min: f64, max: f64, force_zero: bool, target_ticks: f64) -> YAxis {
        let (mut lo, mut hi) = (min.min(max), max.max(min));
        if lo >= 0.0 && (force_zero || lo < 0.5 * hi) {
            lo = 0.0;
        }
        if hi <= 0.0 && (force_zero || hi > 0.5 * lo) {
            hi = 0.0;
        }
        if (hi - lo).abs() < 1e-12 * hi.abs().max(lo.abs()).max(1e-300) {
            let pad = (hi.abs() * 0.1).max(1.0);
            lo -= pad;
            hi += pad;
            if min >= 0.0 && lo < 0.0 {
                lo = 0.0;
            }
        } else {
            let pad = 0.04 * (hi - lo);
            if lo != 0.0 {
                lo -= pad;
            }
            if hi != 0.0 {
                hi += pad;
            }
        }
        let step = nice_step(hi - lo, target_ticks);
        let lo = (lo / step).floor() * step;
        let hi = (hi / step).ceil() * step;
        let n = ((hi - lo) / step).round() as i64;
        let ticks = (0..=n.clamp(0, 100))
            .map(|i| lo + i as f64 * step)
            .collect();
        YAxis {
            lo,
            hi,
            log: false,
            p_lo: 0.0,
            p_hi: 1.0,
            ticks,
            dec: decimals_for(step, 6),
        }
    }

    /// Log axis over positive `[min, max]`: 1-2-5 ticks per decade, powers of ten only
    /// when the span is wide, linear-style ticks when it is under a factor of ~3.
    fn log(min: f64, max: f64) -> YAxis {
        let (min, max) = (min.min(max), max.max(min));
        let (mut lo, mut hi) = (min / 1.15, max * 1.15);
        if hi / lo < 1.5 {
            let mid = (lo * hi).sqrt();
            lo = mid / 1.3;
            hi = mid * 1.3;
        }
        let dlo = lo.log10().floor() as i32;
        let dhi = hi.log10().ceil() as i32;
        let decades = hi.log10() - lo.log10();
        let mults: &[f64] = if decades > 4.0 {
            &[1.0]
        } else if decades > 2.2 {
            &[1.0, 3.0]
        } else {
            &[1.0, 2.0, 5.0]
        };
        let mut ticks = Vec::new();
        for d in dlo..=dhi {
            for m in mults {
                let v = m * 10f64.powi(d);
                if v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9) {
                    ticks.push(v);
                }
            }
        }
        if ticks.len() < 3 {
            let step = nice_step(hi - lo, 5.0);
            let first = (lo / step).ceil() * step;
            ticks = (0..12)
                .map(|i| first + i as f64 * step)
                .filter(|&v| v > 0.0 && v <= hi)
                .collect();
        } else {
            // Extend the range to the outer ticks when they are close, for tidy ends.
            if let Some(&t) = ticks.first() {
                if lo / t < 1.6 {
                    lo = lo.min(t);
                }
            }
            if let Some(&t) = ticks.last() {
                if t / hi < 1.6 {
                    hi = hi.max(t);
                }
            }
        }
        YAxis {
            lo,
            hi,
            log: true,
            p_lo: 0.0,
            p_hi: 1.0,
            ticks,
            dec: 0,
        }
    }

    fn map(&self, v: f64) -> f64 {
        let t = if self.log {
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        self.p_lo + t * (self.p_hi - self.p_lo)
    }

    fn label(&self, v: f64) -> String {
        if self.log {
            fmt_num(v, decimals_for(v, 4))
        } else {
            fmt_num(v, self.dec)
        }
    }
}

/// Five-pointed star centred at `c` with outer radius `r` (logical px).
fn star_points(c: (f64, f64), r: f64) -> Vec<(f64, f64)> {
    (0..10)
        .map(|i| {
            let a = -std::f64::consts::FRAC_PI_2 + i as f64 * std::f64::consts::PI / 5.0;
            let rr = if i % 2 == 0 { r } else { r * 0.42 };
            (c.0 + rr * a.cos(), c.1 + rr * a.sin())
        })
        .collect()
}

fn draw_star<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    at: (f64, f64),
    r: f64,
    color: RGBColor,
) -> Res {
    // A white halo first so the star reads on top of lines of the same colour.
    c.polygon(&star_points(at, r + 2.5), solid(WHITE))?;
    c.polygon(&star_points(at, r + 1.2), solid(INK))?;
    c.polygon(&star_points(at, r - 0.3), solid(color))
}

/// Rectangle in logical px.
#[derive(Clone, Copy, Debug)]
struct Rect {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Rect {
    fn intersects(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
    fn inside(&self, o: &Rect) -> bool {
        self.x0 >= o.x0 && self.x1 <= o.x1 && self.y0 >= o.y0 && self.y1 <= o.y1
    }
    /// Whether the disc at `c` with radius `r` touches this rectangle.
    fn hits_disc(&self, c: (f64, f64), r: f64) -> bool {
        let nx = c.0.clamp(self.x0, self.x1);
        let ny = c.1.clamp(self.y0, self.y1);
        (nx - c.0).powi(2) + (ny - c.1).powi(2) < r * r
    }
}

/// Distance from point `p` to the nearest point of rectangle `r` (0 inside).
fn rect_dist(r: &Rect, p: (f64, f64)) -> f64 {
    let nx = p.0.clamp(r.x0, r.x1);
    let ny = p.1.clamp(r.y0, r.y1);
    (nx - p.0).hypot(ny - p.1)
}

// ---------------------------------------------------------------------------------------
// Legends
// ---------------------------------------------------------------------------------------

/// What a legend entry's key looks like.
enum Key {
    Line { color: RGBColor, dashed: bool },
    Star { color: RGBColor },
    Swatch { color: RGBColor },
}

struct Entry {
    key: Key,
    text: String,
}

const KEY_W: f64 = 40.0;
const KEY_GAP: f64 = 8.0;
const COL_GAP: f64 = 28.0;

/// Row-major legend layout that fits `width`: as many columns as fit, each as wide as
/// its longest entry. Returns (font, column x offsets, row height, rows).
fn legend_layout<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    entries: &[Entry],
    width: f64,
) -> Result<(Font, Vec<f64>, f64, usize), ChartError> {
    let mut font = LEGEND;
    loop {
        let widths = entries
            .iter()
            .map(|e| Ok(KEY_W + KEY_GAP + c.text_width(&e.text, font)?))
            .collect::<Result<Vec<f64>, ChartError>>()?;
        let mut chosen = None;
        for ncol in (1..=entries.len().max(1)).rev() {
            let mut col_w = vec![0.0f64; ncol];
            for (i, w) in widths.iter().enumerate() {
                col_w[i % ncol] = col_w[i % ncol].max(*w);
            }
            let total: f64 = col_w.iter().sum::<f64>() + COL_GAP * (ncol as f64 - 1.0);
            if total <= width || ncol == 1 {
                let mut xs = Vec::with_capacity(ncol);
                let mut x = 0.0;
                for w in &col_w {
                    xs.push(x);
                    x += w + COL_GAP;
                }
                chosen = Some(xs);
                break;
            }
        }
        let xs = chosen.unwrap_or_else(|| vec![0.0]);
        let rows = entries.len().div_ceil(xs.len());
        // Shrink the font if the legend would need many rows (it takes plot height).
        if rows > 6 && font.size > 15.0 {
            font = font.sized(font.size - 2.0);
            continue;
        }
        let row_h = font.size * 1.35;
        return Ok((font, xs, row_h, rows));
    }
}

fn draw_key<DB: DrawingBackend>(c: &Canvas<'_, DB>, key: &Key, x: f64, yc: f64) -> Res {
    match key {
        Key::Line { color, dashed } => {
            let pts = [(x + 2.0, yc), (x + KEY_W - 2.0, yc)];
            if *dashed {
                c.dashed(&pts, solid(*color), 3.0, 8.0, 5.0)?;
            } else {
                c.line(&pts, solid(*color), 3.0)?;
            }
            c.circle((x + KEY_W / 2.0, yc), 3.5, Some(solid(*color)), None)
        }
        Key::Star { color } => draw_star(c, (x + KEY_W / 2.0, yc), 9.0, *color),
        Key::Swatch { color } => {
            c.fill_rect(x + 6.0, yc - 9.0, x + KEY_W - 6.0, yc + 9.0, solid(*color))
        }
    }
}

/// Draws a legend laid out by [`legend_layout`] with its top-left at (x, y).
fn draw_legend<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    entries: &[Entry],
    layout: &(Font, Vec<f64>, f64, usize),
    x: f64,
    y: f64,
) -> Res {
    let (font, xs, row_h, _) = layout;
    for (i, e) in entries.iter().enumerate() {
        let col = i % xs.len();
        let row = i / xs.len();
        let ex = x + xs[col];
        let yc = y + row_h * (row as f64 + 0.5);
        draw_key(c, &e.key, ex, yc)?;
        c.text(
            &e.text,
            ex + KEY_W + KEY_GAP,
            yc + 0.3 * font.size,
            *font,
            Align::Left,
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Line chart
// ---------------------------------------------------------------------------------------

fn render_line_chart<DB: DrawingBackend>(c: &Canvas<'_, DB>, chart: &LineChart) -> Res {
    let top = draw_header(c, &chart.title, &chart.subtitle)?;
    let (w, h) = (f64::from(WIDTH), f64::from(HEIGHT));
    let n = chart.panels.len();
    if n == 0 {
        return c.text(
            "无数据 no data",
            w / 2.0,
            h / 2.0,
            AXIS_LABEL,
            Align::Center,
        );
    }
    let gap = 44.0;
    let pw = (w - 2.0 * MARGIN + gap) / n as f64 - gap;
    for (i, panel) in chart.panels.iter().enumerate() {
        let area = Rect {
            x0: MARGIN + i as f64 * (pw + gap),
            y0: top + 6.0,
            x1: MARGIN + i as f64 * (pw + gap) + pw,
            y1: h - 14.0,
        };
        draw_panel(c, panel, &chart.x_label, area)?;
    }
    Ok(())
}

/// A run of consecutive drawable points of one series.
type Segment = Vec<(f64, f64)>;

fn draw_panel<DB: DrawingBackend>(c: &Canvas<'_, DB>, p: &Panel, x_label: &str, area: Rect) -> Res {
    let div = divisor(p.y_divisor);
    let ok = |v: f64| v.is_finite() && (!p.log_y || v > 0.0);

    // Valid points per series (sorted by year, stable), split into drawable segments at gaps.
    let mut seg_by_series: Vec<Vec<Segment>> = Vec::with_capacity(p.series.len());
    let mut xs: Vec<f64> = Vec::new();
    let mut ys: Vec<f64> = Vec::new();
    for s in &p.series {
        let mut pts: Vec<(i32, f64)> = s
            .years
            .iter()
            .zip(&s.values)
            .map(|(&y, &v)| (y, v / div))
            .collect();
        pts.sort_by_key(|&(y, _)| y);
        let mut segs: Vec<Segment> = vec![Vec::new()];
        for (yr, v) in pts {
            if ok(v) {
                segs.last_mut().map(|sg| sg.push((f64::from(yr), v)));
                xs.push(f64::from(yr));
                ys.push(v);
            } else if segs.last().is_some_and(|sg| !sg.is_empty()) {
                segs.push(Vec::new());
            }
        }
        segs.retain(|sg| !sg.is_empty());
        seg_by_series.push(segs);
    }
    let colour_of = |label: &Option<String>| {
        label
            .as_ref()
            .and_then(|l| p.series.iter().position(|s| &s.label == l))
            .map_or(TARGET_GREY, |i| PALETTE[i % PALETTE.len()])
    };
    let mut stars: Vec<((f64, f64), RGBColor)> = Vec::new();
    for t in &p.targets {
        let v = t.value / div;
        if ok(v) {
            stars.push(((f64::from(t.year), v), colour_of(&t.series_label)));
            xs.push(f64::from(t.year));
            ys.push(v);
        }
    }

    // Legend entries: every series, then one entry per distinct target label.
    let mut entries: Vec<Entry> = p
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| Entry {
            key: Key::Line {
                color: PALETTE[i % PALETTE.len()],
                dashed: s.dashed,
            },
            text: s.label.clone(),
        })
        .collect();
    for (i, t) in p.targets.iter().enumerate() {
        if p.targets[..i].iter().any(|u| u.label == t.label) {
            continue;
        }
        let colours: Vec<RGBColor> = p
            .targets
            .iter()
            .filter(|u| u.label == t.label)
            .map(|u| colour_of(&u.series_label))
            .collect();
        let same = colours.windows(2).all(|w| w[0] == w[1]);
        entries.push(Entry {
            key: Key::Star {
                color: if same { colours[0] } else { TARGET_GREY },
            },
            text: t.label.clone(),
        });
    }

    // Vertical budget: title, plot, x ticks + x label, legend.
    let mut y = area.y0;
    if !p.title.trim().is_empty() {
        let f = c.fit(&p.title, PANEL_TITLE, area.x1 - area.x0, 16.0)?;
        c.text(&p.title, area.x0, y + 26.0, f, Align::Left)?;
        y += 40.0;
    }
    let layout = legend_layout(c, &entries, area.x1 - area.x0)?;
    let legend_h = if entries.is_empty() {
        0.0
    } else {
        layout.2 * layout.3 as f64 + 10.0
    };
    let plot_top = y + 12.0;
    let x_axis_h = if x_label.trim().is_empty() {
        36.0
    } else {
        66.0
    };
    let plot_bottom = (area.y1 - legend_h - x_axis_h).max(plot_top + 60.0);

    if xs.is_empty() {
        c.stroke_rect(
            area.x0 + 60.0,
            plot_top,
            area.x1 - 10.0,
            plot_bottom,
            solid(AXIS),
            1.0,
        )?;
        c.text(
            "无有效数据 no valid data",
            (area.x0 + area.x1) / 2.0,
            (plot_top + plot_bottom) / 2.0,
            AXIS_LABEL,
            Align::Center,
        )?;
        return draw_legend(c, &entries, &layout, area.x0, area.y1 - legend_h + 6.0);
    }

    // Y axis.
    let (ymin, ymax) = ys
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let target_ticks = ((plot_bottom - plot_top) / 70.0).clamp(3.0, 8.0);
    let mut ax = if p.log_y {
        YAxis::log(ymin, ymax)
    } else {
        YAxis::linear(ymin, ymax, false, target_ticks)
    };
    ax.p_lo = plot_bottom;
    ax.p_hi = plot_top;
    let labels: Vec<String> = ax.ticks.iter().map(|&t| ax.label(t)).collect();
    let mut tick_w = 0.0f64;
    for l in &labels {
        tick_w = tick_w.max(c.text_width(l, TICK)?);
    }
    let ylab_font = c.fit(&p.y_label, AXIS_LABEL, plot_bottom - plot_top, 14.0)?;
    let ylab_x = area.x0 + ylab_font.size * 0.75;
    let plot_left = ylab_x + ylab_font.size * 0.35 + 10.0 + tick_w + 8.0;
    let plot_right = area.x1 - 14.0;

    // X axis: years, padded so markers at the ends are not cut by the frame.
    let (xmin, xmax) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let (xlo, xhi) = if xmax - xmin < 1.0 {
        (xmin - 1.0, xmax + 1.0)
    } else {
        let pad = ((xmax - xmin) * 0.03).max(0.4);
        (xmin - pad, xmax + pad)
    };
    let mx = |x: f64| plot_left + (x - xlo) / (xhi - xlo) * (plot_right - plot_left);
    let year_w = c.text_width("2030", TICK)?;
    let px_per_year = (plot_right - plot_left) / (xhi - xlo);
    let step = [1i64, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
        .into_iter()
        .find(|&k| k as f64 * px_per_year >= year_w * 1.7)
        .unwrap_or(1000);
    let first = (xmin as i64).div_euclid(step) * step;
    let years: Vec<i64> = (0..)
        .map(|i| first + i * step)
        .take_while(|&yv| (yv as f64) <= xhi)
        .filter(|&yv| (yv as f64) >= xlo)
        .take(200)
        .collect();

    // Grid and frame.
    for &t in &ax.ticks {
        let py = ax.map(t);
        c.line(&[(plot_left, py), (plot_right, py)], solid(GRID), 1.0)?;
    }
    for &yv in &years {
        let px = mx(yv as f64);
        c.line(&[(px, plot_top), (px, plot_bottom)], solid(GRID), 1.0)?;
    }
    c.stroke_rect(
        plot_left,
        plot_top,
        plot_right,
        plot_bottom,
        solid(AXIS),
        1.0,
    )?;

    // Series (input order; later series on top), then target stars on top of everything.
    for (i, segs) in seg_by_series.iter().enumerate() {
        let col = solid(PALETTE[i % PALETTE.len()]);
        for seg in segs {
            let pts: Vec<(f64, f64)> = seg.iter().map(|&(x, v)| (mx(x), ax.map(v))).collect();
            if p.series[i].dashed {
                c.dashed(&pts, col, 3.0, 10.0, 6.0)?;
            } else {
                c.line(&pts, col, 3.0)?;
            }
            for &pt in &pts {
                c.circle(pt, 3.5, Some(col), None)?;
            }
        }
    }
    // Stars that would sit on top of each other (equal targets in the same year, e.g.
    // three cities aiming at 150万) are spread sideways so each stays visible.
    let mut star_px: Vec<(f64, f64)> = Vec::with_capacity(stars.len());
    for &((x, v), _) in &stars {
        let (px, py) = (mx(x), ax.map(v));
        let clash = star_px
            .iter()
            .filter(|&&(qx, qy)| (qy - py).abs() < 14.0 && (qx - px).abs() < 60.0)
            .count();
        let shift = match clash {
            0 => 0.0,
            k => 19.0 * (k.div_ceil(2) as f64) * if k % 2 == 1 { 1.0 } else { -1.0 },
        };
        star_px.push((px + shift, py));
    }
    for (&pt, &(_, col)) in star_px.iter().zip(&stars) {
        draw_star(c, pt, 11.0, col)?;
    }

    // Tick labels and axis descriptions.
    for (t, l) in ax.ticks.iter().zip(&labels) {
        let py = ax.map(*t);
        c.line(&[(plot_left - 5.0, py), (plot_left, py)], solid(AXIS), 1.0)?;
        c.text(
            l,
            plot_left - 9.0,
            py + 0.33 * TICK.size,
            TICK,
            Align::Right,
        )?;
    }
    for &yv in &years {
        let px = mx(yv as f64);
        c.line(
            &[(px, plot_bottom), (px, plot_bottom + 5.0)],
            solid(AXIS),
            1.0,
        )?;
        c.text(&yv.to_string(), px, plot_bottom + 27.0, TICK, Align::Center)?;
    }
    c.text_up(
        &p.y_label,
        ylab_x,
        (plot_top + plot_bottom) / 2.0,
        ylab_font,
    )?;
    if !x_label.trim().is_empty() {
        let xf = c.fit(x_label, AXIS_LABEL, plot_right - plot_left, 14.0)?;
        c.text(
            x_label,
            (plot_left + plot_right) / 2.0,
            plot_bottom + 58.0,
            xf,
            Align::Center,
        )?;
    }
    draw_legend(c, &entries, &layout, area.x0, area.y1 - legend_h + 6.0)
}

// ---------------------------------------------------------------------------------------
// Target bar chart
// ---------------------------------------------------------------------------------------

const BAR_TARGET: RGBColor = RGBColor(0xBF, 0xBF, 0xBF);
/// Okabe–Ito bluish green / vermillion: distinguishable with the common colour-vision
/// deficiencies, and every bar also carries a ✓/✗ glyph and a word.
const BAR_MET: RGBColor = RGBColor(0x00, 0x9E, 0x73);
const BAR_MISSED: RGBColor = RGBColor(0xD5, 0x5E, 0x00);

/// Check mark (met) or cross (missed) drawn as strokes, centred at `c`, half-size `r`.
fn draw_status_icon<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    at: (f64, f64),
    r: f64,
    met: bool,
) -> Res {
    let col = if met { BAR_MET } else { BAR_MISSED };
    c.circle(at, r, Some(solid(col)), None)?;
    let (x, y) = at;
    if met {
        c.line(
            &[
                (x - 0.5 * r, y + 0.02 * r),
                (x - 0.12 * r, y + 0.42 * r),
                (x + 0.55 * r, y - 0.42 * r),
            ],
            solid(WHITE),
            r * 0.28,
        )
    } else {
        let k = 0.42 * r;
        c.line(&[(x - k, y - k), (x + k, y + k)], solid(WHITE), r * 0.28)?;
        c.line(&[(x - k, y + k), (x + k, y - k)], solid(WHITE), r * 0.28)
    }
}

/// Splits "万州 Wanzhou" into ("万州", "Wanzhou") at the first space after leading
/// non-ASCII text, for two-line category labels.
fn split_bilingual(label: &str) -> Option<(String, String)> {
    let idx = label.find(' ')?;
    let (a, b) = label.split_at(idx);
    let b = b.trim();
    if a.is_empty() || b.is_empty() {
        return None;
    }
    Some((a.to_string(), b.to_string()))
}

fn render_bar_chart<DB: DrawingBackend>(c: &Canvas<'_, DB>, chart: &BarChart) -> Res {
    let top = draw_header(c, &chart.title, &chart.subtitle)?;
    let (w, h) = (f64::from(WIDTH), f64::from(HEIGHT));
    let div = divisor(chart.y_divisor);

    // Legend row under the header, right-aligned.
    let entries = [
        Entry {
            key: Key::Swatch { color: BAR_TARGET },
            text: "规划目标 target".to_string(),
        },
        Entry {
            key: Key::Swatch { color: BAR_MET },
            text: "预测 projected — 达成 met".to_string(),
        },
        Entry {
            key: Key::Swatch { color: BAR_MISSED },
            text: "预测 projected — 未达 missed".to_string(),
        },
    ];
    let layout = legend_layout(c, &entries, w - 2.0 * MARGIN)?;
    let legend_w = layout.1.last().copied().unwrap_or(0.0)
        + KEY_W
        + KEY_GAP
        + c.text_width(&entries[entries.len() - 1].text, layout.0)?;
    draw_legend(c, &entries, &layout, w - MARGIN - legend_w, top)?;
    let plot_top = top + layout.2 * layout.3 as f64 + 34.0;

    let vals: Vec<f64> = chart
        .bars
        .iter()
        .flat_map(|b| [b.target / div, b.projected / div])
        .filter(|v| v.is_finite())
        .collect();
    let (vmin, vmax) = vals
        .iter()
        .fold((0.0f64, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
    // Headroom above the tallest bar for its value label and the status badge.
    let mut ax = YAxis::linear(vmin, vmax * 1.16, true, 6.0);

    // Category labels: one line if they fit the group width, else Chinese over English.
    let n = chart.bars.len().max(1);
    let labels: Vec<String> = ax.ticks.iter().map(|&t| ax.label(t)).collect();
    let mut tick_w = 0.0f64;
    for l in &labels {
        tick_w = tick_w.max(c.text_width(l, TICK)?);
    }
    let ylab_font = AXIS_LABEL;
    let ylab_x = MARGIN + ylab_font.size * 0.75;
    let plot_left = ylab_x + ylab_font.size * 0.35 + 10.0 + tick_w + 8.0;
    let plot_right = w - MARGIN;
    let group_w = (plot_right - plot_left) / n as f64;
    let mut cat_font = Font::new(20.0, INK);
    let mut two_lines = false;
    for b in &chart.bars {
        if c.text_width(&b.label, cat_font)? > group_w * 0.94 {
            two_lines = true;
        }
    }
    if two_lines {
        for b in &chart.bars {
            let parts = split_bilingual(&b.label).unwrap_or((b.label.clone(), String::new()));
            for part in [&parts.0, &parts.1] {
                let f = c.fit(part, cat_font, group_w * 0.94, 12.0)?;
                if f.size < cat_font.size {
                    cat_font = f;
                }
            }
        }
    }
    let cat_h = if two_lines {
        cat_font.size * 2.6
    } else {
        cat_font.size * 1.5
    };
    let plot_bottom = h - 24.0 - cat_h;
    ax.p_lo = plot_bottom;
    ax.p_hi = plot_top;

    for &t in &ax.ticks {
        let py = ax.map(t);
        c.line(&[(plot_left, py), (plot_right, py)], solid(GRID), 1.0)?;
    }
    for (t, l) in ax.ticks.iter().zip(&labels) {
        let py = ax.map(*t);
        c.text(
            l,
            plot_left - 9.0,
            py + 0.33 * TICK.size,
            TICK,
            Align::Right,
        )?;
    }
    c.text_up(
        &chart.y_label,
        ylab_x,
        (plot_top + plot_bottom) / 2.0,
        c.fit(&chart.y_label, ylab_font, plot_bottom - plot_top, 14.0)?,
    )?;

    if chart.bars.is_empty() {
        c.text(
            "无数据 no data",
            (plot_left + plot_right) / 2.0,
            (plot_top + plot_bottom) / 2.0,
            AXIS_LABEL,
            Align::Center,
        )?;
    }

    let bar_w = (group_w * 0.32).min(96.0);
    let value_font = Font::new(17.0, MUTED);
    let base = ax.map(0.0f64.clamp(ax.lo, ax.hi));
    for (i, b) in chart.bars.iter().enumerate() {
        let gx = plot_left + group_w * (i as f64 + 0.5);
        let vt = b.target / div;
        let vp = b.projected / div;
        let status = if b.met { BAR_MET } else { BAR_MISSED };
        let mut top_y = base;
        for (k, (v, col)) in [(vt, BAR_TARGET), (vp, status)].into_iter().enumerate() {
            let x0 = if k == 0 { gx - bar_w - 3.0 } else { gx + 3.0 };
            let x1 = x0 + bar_w;
            if !v.is_finite() {
                c.text(
                    "n/a",
                    (x0 + x1) / 2.0,
                    base - 8.0,
                    value_font,
                    Align::Center,
                )?;
                continue;
            }
            let py = ax.map(v.clamp(ax.lo, ax.hi));
            c.fill_rect(x0, py.min(base), x1, py.max(base), solid(col))?;
            let label_y = if v >= 0.0 {
                py - 7.0
            } else {
                py + value_font.size + 2.0
            };
            let vf = c.fit(&fmt_compact(v), value_font, bar_w + 10.0, 11.0)?;
            c.text(&fmt_compact(v), (x0 + x1) / 2.0, label_y, vf, Align::Center)?;
            top_y = top_y.min(py.min(base));
        }
        // Status badge above the taller bar: icon + word (+ ratio when meaningful).
        let ratio = if vt.is_finite() && vp.is_finite() && vt > 0.0 {
            format!(" {:.0}%", 100.0 * vp / vt)
        } else {
            String::new()
        };
        let word = if b.met { "达成 met" } else { "未达 missed" };
        let text = format!("{word}{ratio}");
        let bf = c.fit(&text, Font::new(18.0, status), group_w - 34.0, 11.0)?;
        let tw = c.text_width(&text, bf)?;
        let icon_r = 10.0;
        let total = 2.0 * icon_r + 5.0 + tw;
        let by = top_y - value_font.size - 22.0;
        let bx = gx - total / 2.0;
        draw_status_icon(c, (bx + icon_r, by), icon_r, b.met)?;
        c.text(
            &text,
            bx + 2.0 * icon_r + 5.0,
            by + 0.33 * bf.size,
            bf,
            Align::Left,
        )?;

        // Category label.
        if two_lines {
            let (a, rest) = split_bilingual(&b.label).unwrap_or((b.label.clone(), String::new()));
            c.text(
                &a,
                gx,
                plot_bottom + cat_font.size * 1.15,
                cat_font,
                Align::Center,
            )?;
            c.text(
                &rest,
                gx,
                plot_bottom + cat_font.size * 2.35,
                cat_font,
                Align::Center,
            )?;
        } else {
            c.text(
                &b.label,
                gx,
                plot_bottom + cat_font.size * 1.25,
                cat_font,
                Align::Center,
            )?;
        }
    }
    c.line(&[(plot_left, base), (plot_right, base)], solid(AXIS), 1.5)?;
    c.line(
        &[(plot_left, plot_top), (plot_left, plot_bottom)],
        solid(AXIS),
        1.0,
    )
}

// ---------------------------------------------------------------------------------------
// Map
// ---------------------------------------------------------------------------------------

/// Diverging colour for a growth value scaled to [-1, 1]: blue (decline) – grey (≈0) –
/// red (growth); stops from ColorBrewer RdBu with a neutral grey centre.
fn diverging(t: f64) -> RGBColor {
    const STOPS: [(f64, (f64, f64, f64)); 5] = [
        (-1.0, (33.0, 102.0, 172.0)),
        (-0.5, (103.0, 169.0, 207.0)),
        (0.0, (200.0, 200.0, 200.0)),
        (0.5, (239.0, 138.0, 98.0)),
        (1.0, (178.0, 24.0, 43.0)),
    ];
    let t = if t.is_finite() {
        t.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let k = STOPS.iter().position(|s| t <= s.0).unwrap_or(4).max(1);
    let (t0, a) = STOPS[k - 1];
    let (t1, b) = STOPS[k];
    let f = ((t - t0) / (t1 - t0)).clamp(0.0, 1.0);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// "1,000万" style population text (persons → 万 when ≥ 10,000).
fn fmt_persons(v: f64) -> String {
    if v.abs() >= 1e4 {
        let w = v / 1e4;
        format!("{}万", fmt_num(w, decimals_for(w, 1).min(1)))
    } else {
        fmt_num(v, 0)
    }
}

/// Largest circle radius (logical px), for the most populous unit.
const MAP_R_MAX: f64 = 46.0;
/// Widest flow arrow shaft (logical px), for the largest flow.
const FLOW_W_MAX: f64 = 14.0;
const FLOW_COLOR: RGBColor = RGBColor(0x5E, 0x3C, 0x99);

/// Equirectangular projection scaled by cos(mid-latitude) so shapes keep their aspect.
struct Projection {
    lon0: f64,
    lat0: f64,
    /// Pixels per degree of latitude.
    k: f64,
    cos: f64,
    cx: f64,
    cy: f64,
}

impl Projection {
    fn fit(units: &[(usize, &MapUnit)], plot: Rect) -> Projection {
        let (mut lo_lon, mut hi_lon, mut lo_lat, mut hi_lat) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for (_, u) in units {
            lo_lon = lo_lon.min(u.lon);
            hi_lon = hi_lon.max(u.lon);
            lo_lat = lo_lat.min(u.lat);
            hi_lat = hi_lat.max(u.lat);
        }
        if units.is_empty() {
            (lo_lon, hi_lon, lo_lat, hi_lat) = (103.0, 109.0, 28.5, 32.0);
        }
        let lat0 = ((lo_lat + hi_lat) / 2.0).clamp(-80.0, 80.0);
        let cos = lat0.to_radians().cos();
        // Room for the biggest circles and labels at the edges of the data.
        let span_x = ((hi_lon - lo_lon) * cos).max(0.5);
        let span_y = (hi_lat - lo_lat).max(0.5);
        let margin_px = 70.0;
        let k = ((plot.x1 - plot.x0 - 2.0 * margin_px) / span_x)
            .min((plot.y1 - plot.y0 - 2.0 * margin_px) / span_y)
            .max(1e-6);
        Projection {
            lon0: (lo_lon + hi_lon) / 2.0,
            lat0,
            k,
            cos,
            cx: (plot.x0 + plot.x1) / 2.0,
            cy: (plot.y0 + plot.y1) / 2.0,
        }
    }
    fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            self.cx + (lon - self.lon0) * self.cos * self.k,
            self.cy - (lat - self.lat0) * self.k,
        )
    }
    fn lon_at(&self, x: f64) -> f64 {
        self.lon0 + (x - self.cx) / (self.cos * self.k)
    }
    fn lat_at(&self, y: f64) -> f64 {
        self.lat0 - (y - self.cy) / self.k
    }
}

/// Point on the quadratic Bézier p0–c–p1 at t.
fn bezier(p0: (f64, f64), c: (f64, f64), p1: (f64, f64), t: f64) -> (f64, f64) {
    let u = 1.0 - t;
    (
        u * u * p0.0 + 2.0 * u * t * c.0 + t * t * p1.0,
        u * u * p0.1 + 2.0 * u * t * c.1 + t * t * p1.1,
    )
}

/// Polygon outline of a curved arrow from circle edge to circle edge, shaft width `w`.
/// None when the circles are too close for a visible arrow.
fn arrow_polygon(
    from: (f64, f64),
    r_from: f64,
    to: (f64, f64),
    r_to: f64,
    w: f64,
) -> Option<Vec<(f64, f64)>> {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let d = dx.hypot(dy);
    if !(d.is_finite() && d > 1.0) {
        return None;
    }
    // Bend to the right of the direction of travel, so A→B and B→A never coincide.
    let n = (-dy / d, dx / d);
    let ctrl = (
        (from.0 + to.0) / 2.0 + n.0 * 0.16 * d,
        (from.1 + to.1) / 2.0 + n.1 * 0.16 * d,
    );
    const N: usize = 64;
    let pts: Vec<(f64, f64)> = (0..=N)
        .map(|i| bezier(from, ctrl, to, i as f64 / N as f64))
        .collect();
    let mut acc = vec![0.0];
    for win in pts.windows(2) {
        let l = acc.last().copied().unwrap_or(0.0);
        acc.push(l + (win[1].0 - win[0].0).hypot(win[1].1 - win[0].1));
    }
    let total = acc[N];
    let head_len = 9.0 + 1.6 * w;
    let head_half = 5.0 + 1.05 * w;
    let s0 = r_from + 3.0;
    let s_tip = total - r_to - 3.0;
    let s_neck = s_tip - head_len;
    if s_neck - s0 < 4.0 {
        return None;
    }
    let at = |s: f64| -> ((f64, f64), (f64, f64)) {
        let i = acc.iter().position(|&a| a >= s).unwrap_or(N).clamp(1, N);
        let seg = (acc[i] - acc[i - 1]).max(1e-9);
        let f = ((s - acc[i - 1]) / seg).clamp(0.0, 1.0);
        let (a, b) = (pts[i - 1], pts[i]);
        let p = (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f);
        let (tx, ty) = (b.0 - a.0, b.1 - a.1);
        let tl = tx.hypot(ty).max(1e-9);
        (p, (tx / tl, ty / tl))
    };
    let steps = 24;
    let mut left = Vec::with_capacity(steps + 1);
    let mut right = Vec::with_capacity(steps + 1);
    for i in 0..=steps {
        let s = s0 + (s_neck - s0) * i as f64 / steps as f64;
        let (p, t) = at(s);
        let nn = (-t.1, t.0);
        left.push((p.0 + nn.0 * w / 2.0, p.1 + nn.1 * w / 2.0));
        right.push((p.0 - nn.0 * w / 2.0, p.1 - nn.1 * w / 2.0));
    }
    let (neck, t) = at(s_neck);
    let nn = (-t.1, t.0);
    let (tip, _) = at(s_tip);
    // Aim the head along the chord neck→tip so it points at the destination.
    let mut poly = left;
    poly.push((neck.0 + nn.0 * head_half, neck.1 + nn.1 * head_half));
    poly.push(tip);
    poly.push((neck.0 - nn.0 * head_half, neck.1 - nn.1 * head_half));
    poly.extend(right.into_iter().rev());
    Some(poly)
}

fn render_map<DB: DrawingBackend>(c: &Canvas<'_, DB>, chart: &MapChart) -> Res {
    let top = draw_header(c, &chart.title, &chart.subtitle)?;
    let (w, h) = (f64::from(WIDTH), f64::from(HEIGHT));
    let plot = Rect {
        x0: 118.0,
        y0: top + 10.0,
        x1: 1170.0,
        y1: h - 78.0,
    };
    let units: Vec<(usize, &MapUnit)> = chart
        .units
        .iter()
        .enumerate()
        .filter(|(_, u)| u.lon.is_finite() && u.lat.is_finite())
        .collect();
    let proj = Projection::fit(&units, plot);

    // Frame, graticule and degree labels.
    c.fill_rect(
        plot.x0,
        plot.y0,
        plot.x1,
        plot.y1,
        solid(RGBColor(0xFB, 0xFB, 0xF8)),
    )?;
    let (lon_a, lon_b) = (proj.lon_at(plot.x0), proj.lon_at(plot.x1));
    let (lat_a, lat_b) = (proj.lat_at(plot.y1), proj.lat_at(plot.y0));
    let step_lon = nice_step(lon_b - lon_a, 6.0).max(0.1);
    let step_lat = nice_step(lat_b - lat_a, 4.0).max(0.1);
    let deg = |v: f64, step: f64| format!("{}°", fmt_num(v, decimals_for(step, 2)));
    let mut lon = (lon_a / step_lon).ceil() * step_lon;
    while lon <= lon_b && lon.is_finite() {
        let (x, _) = proj.xy(lon, proj.lat0);
        c.line(&[(x, plot.y0), (x, plot.y1)], solid(GRID), 1.0)?;
        c.line(&[(x, plot.y1), (x, plot.y1 + 5.0)], solid(AXIS), 1.0)?;
        c.text(&deg(lon, step_lon), x, plot.y1 + 26.0, TICK, Align::Center)?;
        lon += step_lon;
    }
    let mut lat = (lat_a / step_lat).ceil() * step_lat;
    while lat <= lat_b && lat.is_finite() {
        let (_, y) = proj.xy(proj.lon0, lat);
        c.line(&[(plot.x0, y), (plot.x1, y)], solid(GRID), 1.0)?;
        c.line(&[(plot.x0 - 5.0, y), (plot.x0, y)], solid(AXIS), 1.0)?;
        c.text(
            &deg(lat, step_lat),
            plot.x0 - 9.0,
            y + 0.33 * TICK.size,
            TICK,
            Align::Right,
        )?;
        lat += step_lat;
    }
    c.stroke_rect(plot.x0, plot.y0, plot.x1, plot.y1, solid(AXIS), 1.0)?;
    c.text(
        "经度 longitude (°E)",
        (plot.x0 + plot.x1) / 2.0,
        plot.y1 + 60.0,
        AXIS_LABEL,
        Align::Center,
    )?;
    c.text_up(
        "纬度 latitude (°N)",
        MARGIN + 16.0,
        (plot.y0 + plot.y1) / 2.0,
        AXIS_LABEL,
    )?;

    // Scales: circle area ∝ population; colour symmetric around 0 %.
    let pop_max = units
        .iter()
        .map(|(_, u)| u.population)
        .filter(|p| p.is_finite() && *p > 0.0)
        .fold(0.0f64, f64::max);
    let radius = |p: f64| {
        if pop_max > 0.0 && p.is_finite() && p > 0.0 {
            (MAP_R_MAX * (p / pop_max).sqrt()).max(2.5)
        } else {
            2.5
        }
    };
    let g_abs = units
        .iter()
        .map(|(_, u)| u.growth_pct.abs())
        .filter(|g| g.is_finite())
        .fold(0.0f64, f64::max);
    let g_max = nice_ceil(g_abs.max(0.5));

    let pos: Vec<(f64, f64)> = chart.units.iter().map(|u| proj.xy(u.lon, u.lat)).collect();
    let rad: Vec<f64> = chart.units.iter().map(|u| radius(u.population)).collect();

    // Circles: largest first so small units stay visible on top.
    let mut order: Vec<usize> = units.iter().map(|(i, _)| *i).collect();
    order.sort_by(|&a, &b| rad[b].total_cmp(&rad[a]).then(a.cmp(&b)));
    for &i in &order {
        let u = &chart.units[i];
        let fill = if u.growth_pct.is_finite() {
            diverging(u.growth_pct / g_max)
        } else {
            RGBColor(0xF2, 0xF2, 0xF2)
        };
        c.circle(
            pos[i],
            rad[i],
            Some(fill.mix(0.88)),
            Some((solid(RGBColor(0x33, 0x33, 0x33)), 1.2)),
        )?;
    }

    // Flows: biggest first so thin arrows are drawn over thick ones.
    let flow_max = chart
        .flows
        .iter()
        .map(|f| f.persons.abs())
        .filter(|p| p.is_finite())
        .fold(0.0f64, f64::max);
    let mut flows: Vec<(usize, &MapFlow)> = chart
        .flows
        .iter()
        .enumerate()
        .filter(|(_, f)| f.persons.is_finite() && f.persons != 0.0 && f.from != f.to)
        .filter(|(_, f)| {
            let (a, b) = (&chart.units[f.from], &chart.units[f.to]);
            a.lon.is_finite() && a.lat.is_finite() && b.lon.is_finite() && b.lat.is_finite()
        })
        .collect();
    flows.sort_by(|a, b| {
        b.1.persons
            .abs()
            .total_cmp(&a.1.persons.abs())
            .then(a.0.cmp(&b.0))
    });
    let flow_w = |p: f64| (FLOW_W_MAX * p.abs() / flow_max.max(1e-300)).max(1.2);
    for (_, f) in &flows {
        let (a, b) = if f.persons > 0.0 {
            (f.from, f.to)
        } else {
            (f.to, f.from)
        };
        if let Some(poly) = arrow_polygon(pos[a], rad[a], pos[b], rad[b], flow_w(f.persons)) {
            c.polygon(&poly, FLOW_COLOR.mix(0.72))?;
        }
    }

    // Labels: most populous first; greedy placement around the circle, then further
    // out with a leader line; a label never covers another label or a circle centre,
    // and prefers not to touch any circle. Units that cannot be labelled stay unlabelled.
    let label_font = Font::new(16.0, INK);
    let mut placed: Vec<Rect> = Vec::new();
    let mut label_order = order.clone();
    label_order.sort_by(|&a, &b| rad[b].total_cmp(&rad[a]).then(a.cmp(&b)));
    let mut drawn_labels: Vec<(String, Rect, Option<((f64, f64), (f64, f64))>)> = Vec::new();
    for &i in &label_order {
        let u = &chart.units[i];
        if u.label.trim().is_empty() {
            continue;
        }
        let tw = c.text_width(&u.label, label_font)?;
        let th = label_font.size * 1.05;
        let (cx, cy) = pos[i];
        let r = rad[i];
        // Every candidate is scored; hard rules reject, soft ones add cost. Candidates
        // are generated in a fixed order and ties keep the first, so output is stable.
        let mut best: Option<(f64, Rect, f64)> = None;
        for (di, dist) in [3.0, 14.0, 28.0, 45.0, 65.0, 90.0, 120.0]
            .into_iter()
            .enumerate()
        {
            for k in 0..16 {
                // Start at "right", then alternate around the circle (right, left, up, down...).
                let a = [0, 8, 12, 4, 14, 10, 2, 6, 15, 9, 1, 7, 13, 11, 3, 5][k] as f64
                    * std::f64::consts::PI
                    / 8.0;
                let (ux, uy) = (a.cos(), -a.sin());
                let bcx = cx + ux * (r + dist) + ux * (tw / 2.0 + 3.0);
                let bcy = cy + uy * (r + dist) + uy * (th / 2.0 + 2.0);
                let bx = Rect {
                    x0: bcx - tw / 2.0 - 3.0,
                    y0: bcy - th / 2.0 - 2.0,
                    x1: bcx + tw / 2.0 + 3.0,
                    y1: bcy + th / 2.0 + 2.0,
                };
                if !bx.inside(&plot)
                    || placed.iter().any(|o| o.intersects(&bx))
                    || bx.hits_disc((cx, cy), r)
                {
                    continue;
                }
                let mut cost = dist + if k < 2 { 0.0 } else { 4.0 };
                let mut reject = false;
                let own = rect_dist(&bx, (cx, cy)) - r;
                for &(j, _) in &units {
                    if j == i {
                        continue;
                    }
                    if bx.hits_disc(pos[j], (rad[j] * 0.45).max(3.0)) {
                        reject = true;
                        break;
                    }
                    if bx.hits_disc(pos[j], rad[j] + 1.0) {
                        cost += 60.0;
                    }
                    // A label nearer to another circle than to its own is misread.
                    let other = rect_dist(&bx, pos[j]) - rad[j];
                    if other < own - 2.0 {
                        if dist < 10.0 {
                            reject = true;
                            break;
                        }
                        cost += 25.0;
                    }
                }
                if reject {
                    continue;
                }
                if best.as_ref().is_none_or(|b| cost < b.0) {
                    best = Some((cost, bx, dist));
                }
            }
            // Stop widening once a clean nearby spot exists.
            if best.as_ref().is_some_and(|b| b.0 < 30.0 + 20.0 * di as f64) {
                break;
            }
        }
        if let Some((_, bx, dist)) = best {
            let leader = (dist > 10.0).then(|| {
                let near = (cx.clamp(bx.x0, bx.x1), cy.clamp(bx.y0, bx.y1));
                let (lx, ly) = (near.0 - cx, near.1 - cy);
                let l = lx.hypot(ly).max(1e-9);
                ((cx + lx / l * r, cy + ly / l * r), near)
            });
            placed.push(bx);
            drawn_labels.push((u.label.clone(), bx, leader));
        }
    }
    for (_, _, leader) in &drawn_labels {
        if let Some((a, b)) = leader {
            c.line(&[*a, *b], solid(RGBColor(0x77, 0x77, 0x77)), 1.0)?;
        }
    }
    for (text, bx, _) in &drawn_labels {
        c.fill_rect(bx.x0, bx.y0, bx.x1, bx.y1, WHITE.mix(0.82))?;
        c.text(
            text,
            bx.x0 + 3.0,
            bx.y1 - 2.0 - 0.24 * label_font.size,
            label_font,
            Align::Left,
        )?;
    }

    // Right-hand legends.
    let lx = plot.x1 + 40.0;
    let lw = w - MARGIN - lx;
    let head = Font::new(20.0, INK);
    let mut y = plot.y0 + 22.0;

    // Colour bar.
    c.text("人口增长 population growth (%)", lx, y, head, Align::Left)?;
    y += 16.0;
    let bar_h = 22.0;
    let nseg = 80;
    for k in 0..nseg {
        let t0 = k as f64 / nseg as f64;
        let t1 = (k + 1) as f64 / nseg as f64;
        let col = diverging(-1.0 + 2.0 * (t0 + t1) / 2.0);
        c.fill_rect(lx + t0 * lw, y, lx + t1 * lw + 0.6, y + bar_h, solid(col))?;
    }
    c.stroke_rect(lx, y, lx + lw, y + bar_h, solid(AXIS), 1.0)?;
    for k in 0..=4 {
        let v = -g_max + g_max * 0.5 * f64::from(k);
        let x = lx + lw * f64::from(k) / 4.0;
        c.line(&[(x, y + bar_h), (x, y + bar_h + 5.0)], solid(AXIS), 1.0)?;
        let s = if v > 0.0 {
            format!("+{}%", fmt_num(v, decimals_for(v, 2)))
        } else {
            format!("{}%", fmt_num(v, decimals_for(v, 2)))
        };
        let al = match k {
            0 => Align::Left,
            4 => Align::Right,
            _ => Align::Center,
        };
        c.text(&s, x, y + bar_h + 25.0, TICK, al)?;
    }
    c.text(
        "← 减少 decline",
        lx,
        y + bar_h + 50.0,
        Font::new(16.0, MUTED),
        Align::Left,
    )?;
    c.text(
        "增长 growth →",
        lx + lw,
        y + bar_h + 50.0,
        Font::new(16.0, MUTED),
        Align::Right,
    )?;
    y += bar_h + 100.0;

    // Size legend: nested circles, bottoms aligned.
    c.text("常住人口 population (人 persons)", lx, y, head, Align::Left)?;
    let candidates = [1e5, 5e5, 1e6, 2e6, 5e6, 1e7, 2e7, 5e7, 1e8];
    let mut sizes: Vec<f64> = if pop_max >= 1.2e7 {
        vec![1e6, 5e6, 1e7]
    } else {
        candidates
            .iter()
            .copied()
            .filter(|&v| v <= pop_max * 1.05)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .take(3)
            .rev()
            .collect()
    };
    if sizes.is_empty() {
        sizes.push(1e6);
    }
    let r_big = sizes.iter().map(|&s| radius(s)).fold(0.0, f64::max);
    let base_y = y + 20.0 + 2.0 * r_big;
    let ccx = lx + r_big + 6.0;
    for &s in sizes.iter().rev() {
        let r = radius(s);
        c.circle(
            (ccx, base_y - r),
            r,
            Some(WHITE.mix(1.0)),
            Some((solid(MUTED), 1.2)),
        )?;
    }
    for &s in sizes.iter().rev() {
        let r = radius(s);
        let ty = base_y - 2.0 * r;
        c.line(&[(ccx, ty), (ccx + r_big + 22.0, ty)], solid(AXIS), 1.0)?;
        c.text(
            &fmt_persons(s),
            ccx + r_big + 28.0,
            ty + 6.0,
            TICK,
            Align::Left,
        )?;
    }
    y = base_y + 52.0;

    // Flow legend.
    if !flows.is_empty() {
        c.text(
            "净迁移 net migration (人 persons)",
            lx,
            y,
            head,
            Align::Left,
        )?;
        y += 18.0;
        let v_big = nice_ceil(flow_max * 0.999);
        let v_big = if v_big > flow_max * 1.0001 {
            v_big / 2.0
        } else {
            v_big
        };
        let mut vals = vec![v_big.max(flow_max / 2.0)];
        let small = vals[0] / 5.0;
        vals.push(small);
        for v in vals {
            let wv = flow_w(v);
            let yy = y + 10.0 + wv / 2.0;
            if let Some(poly) = arrow_polygon((lx - 3.0, yy), 0.0, (lx + 133.0, yy), 0.0, wv) {
                c.polygon(&poly, FLOW_COLOR.mix(0.72))?;
            }
            c.text(&fmt_persons(v), lx + 150.0, yy + 14.0, TICK, Align::Left)?;
            y += 22.0 + wv.max(10.0) + 10.0;
        }
        y += 18.0;
    }

    // Notes.
    let note = Font::new(15.0, MUTED);
    for line in [
        "圆面积 ∝ 人口; 颜色 = 增长率",
        "circle area ∝ population; colour = growth",
    ] {
        c.text(line, lx, y, note, Align::Left)?;
        y += 22.0;
    }
    if units.len() < chart.units.len() {
        c.text(
            &format!(
                "{} 个单元无坐标 without coordinates",
                chart.units.len() - units.len()
            ),
            lx,
            y,
            note,
            Align::Left,
        )?;
        y += 22.0;
    }
    let unlabelled = units.len() - drawn_labels.len();
    if unlabelled > 0 {
        c.text(
            &format!("{unlabelled} 个单元未标注 unlabelled (拥挤 crowded)"),
            lx,
            y,
            note,
            Align::Left,
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    /// The 44 plan units' `name_zh` (data/units.csv), embedded so the test does not
    /// depend on the data file's location.
    const UNIT_NAMES: [&str; 44] = [
        "渝中区",
        "万州区",
        "黔江区",
        "涪陵区",
        "大渡口区",
        "江北区",
        "沙坪坝区",
        "九龙坡区",
        "南岸区",
        "北碚区",
        "綦江区",
        "大足区",
        "渝北区",
        "巴南区",
        "长寿区",
        "江津区",
        "合川区",
        "永川区",
        "南川区",
        "潼南区",
        "铜梁区",
        "荣昌区",
        "璧山区",
        "梁平区",
        "丰都县",
        "垫江县",
        "忠县",
        "开州区",
        "云阳县",
        "成都市",
        "自贡市",
        "泸州市",
        "德阳市",
        "绵阳市",
        "遂宁市",
        "内江市",
        "乐山市",
        "南充市",
        "眉山市",
        "宜宾市",
        "广安市",
        "达州市",
        "雅安市",
        "资阳市",
    ];

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("simulate-charts-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn assert_written(dir: &Path, stem: &str) {
        let png = std::fs::read(dir.join(format!("{stem}.png"))).expect("png written");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "PNG signature");
        let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).expect("svg written");
        assert!(svg.starts_with("<svg"), "SVG root element");
    }

    fn grow(p0: f64, r: f64) -> Vec<f64> {
        (0..17).map(|i| p0 * (1.0 + r).powi(i)).collect()
    }

    fn years() -> Vec<i32> {
        (2014..=2030).collect()
    }

    fn sample_line() -> LineChart {
        let cities = [
            ("成都 Chengdu", 15_402_974.0, 0.014),
            ("重庆主城九区 Chongqing core", 8_300_000.0, 0.012),
            ("万州 Wanzhou", 1_589_485.0, 0.006),
            ("黔江 Qianjiang", 448_881.0, 0.005),
            ("绵阳 Mianyang", 4_332_332.0, 0.008),
        ];
        let series: Vec<Series> = cities
            .iter()
            .map(|&(l, p, r)| Series {
                label: l.to_string(),
                years: years(),
                values: grow(p, r),
                dashed: false,
            })
            .collect();
        let targets = vec![
            TargetMarker {
                label: "2020 目标 target (专栏1)".into(),
                year: 2020,
                value: 1_500_000.0,
                series_label: Some("万州 Wanzhou".into()),
            },
            TargetMarker {
                label: "2020 目标 target (专栏1)".into(),
                year: 2020,
                value: 450_000.0,
                series_label: Some("黔江 Qianjiang".into()),
            },
        ];
        let mk = |log| Panel {
            title: if log {
                "对数 log scale"
            } else {
                "线性 linear"
            }
            .into(),
            y_label: "常住人口 population (万人)".into(),
            y_divisor: 1e4,
            log_y: log,
            series: series.clone(),
            targets: targets.clone(),
        };
        LineChart {
            title: "常住人口 Resident population".into(),
            subtitle: "test".into(),
            x_label: "年份 year".into(),
            panels: vec![mk(false), mk(true)],
        }
    }

    fn sample_bars() -> BarChart {
        BarChart {
            title: "2020 目标 targets".into(),
            subtitle: String::new(),
            y_label: "中心城区人口 (万人)".into(),
            y_divisor: 1e4,
            bars: vec![
                TargetBar {
                    label: "万州 Wanzhou".into(),
                    target: 1.5e6,
                    projected: 1.62e6,
                    met: true,
                },
                TargetBar {
                    label: "黔江 Qianjiang".into(),
                    target: 4.5e5,
                    projected: 3.9e5,
                    met: false,
                },
            ],
        }
    }

    fn sample_map() -> MapChart {
        MapChart {
            title: "地图 map".into(),
            subtitle: String::new(),
            units: vec![
                MapUnit {
                    label: "成都 Chengdu".into(),
                    lon: 104.06,
                    lat: 30.66,
                    population: 1.54e7,
                    growth_pct: 1.2,
                },
                MapUnit {
                    label: "万州 Wanzhou".into(),
                    lon: 108.41,
                    lat: 30.81,
                    population: 1.59e6,
                    growth_pct: -0.4,
                },
            ],
            flows: vec![MapFlow {
                from: 1,
                to: 0,
                persons: 20_000.0,
            }],
        }
    }

    #[test]
    fn line_chart_writes_svg_and_png() {
        let d = tmp("line");
        draw_line_chart(&sample_line(), &d, "line").unwrap();
        assert_written(&d, "line");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn target_chart_writes_svg_and_png() {
        let d = tmp("bars");
        draw_target_chart(&sample_bars(), &d, "bars").unwrap();
        assert_written(&d, "bars");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn map_writes_svg_and_png() {
        let d = tmp("map");
        draw_map(&sample_map(), &d, "map").unwrap();
        assert_written(&d, "map");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn output_is_deterministic() {
        let (a, b) = (tmp("det-a"), tmp("det-b"));
        draw_map(&sample_map(), &a, "m").unwrap();
        draw_map(&sample_map(), &b, "m").unwrap();
        for ext in ["svg", "png"] {
            let fa = std::fs::read(a.join(format!("m.{ext}"))).unwrap();
            let fb = std::fs::read(b.join(format!("m.{ext}"))).unwrap();
            assert!(fa == fb, "{ext} differs between identical runs");
        }
        let _ = std::fs::remove_dir_all(&a);
        let _ = std::fs::remove_dir_all(&b);
    }

    #[test]
    fn every_unit_name_renders() {
        for name in UNIT_NAMES {
            assert_eq!(missing_glyphs(name), Vec::<char>::new(), "{name}");
        }
        let labels = "成都 Chengdu 重庆主城九区 Chongqing core 常住人口 Resident population \
                      万人 亿元 经度 longitude (°E) 纬度 latitude (°N) 2020 目标 target (专栏1) \
                      ≥≤±×÷≈∝°‰ ²³ 、。，：；（）《》【】〔〕「」！？％～ –—‘’“”…·•→←↑↓ ✓";
        assert_eq!(missing_glyphs(labels), Vec::<char>::new());
    }

    #[test]
    fn rare_glyphs_are_reported() {
        assert_eq!(missing_glyphs("龘"), vec!['龘']);
        assert_eq!(missing_glyphs("a龘b龘😀"), vec!['龘', '😀']);
        assert!(missing_glyphs("\n\t").is_empty());
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let d = tmp("degenerate");
        let weird = Series {
            label: "怪 weird".into(),
            years: vec![2014, 2015, 2016, 2017, 2018],
            values: vec![f64::NAN, 0.0, -5.0, f64::INFINITY, 3.0],
            dashed: true,
        };
        let single = Series {
            label: "单年 single".into(),
            years: vec![2020],
            values: vec![1.0e6],
            dashed: false,
        };
        let empty = Series {
            label: "空 empty".into(),
            years: vec![],
            values: vec![],
            dashed: false,
        };
        let mismatched = Series {
            label: "错位 mismatched".into(),
            years: vec![2014, 2015, 2016],
            values: vec![1.0],
            dashed: false,
        };
        let bad_target = TargetMarker {
            label: "目标 target".into(),
            year: 2020,
            value: f64::NAN,
            series_label: Some("nobody".into()),
        };
        let panel = |log_y, series: Vec<Series>| Panel {
            title: String::new(),
            y_label: String::new(),
            y_divisor: 0.0,
            log_y,
            series,
            targets: vec![bad_target.clone()],
        };
        let charts = [
            LineChart {
                title: String::new(),
                subtitle: String::new(),
                x_label: String::new(),
                panels: vec![],
            },
            LineChart {
                title: "t".into(),
                subtitle: String::new(),
                x_label: String::new(),
                panels: vec![
                    panel(true, vec![weird.clone(), single.clone(), empty.clone()]),
                    panel(false, vec![weird.clone(), mismatched.clone()]),
                ],
            },
            LineChart {
                title: "t".into(),
                subtitle: String::new(),
                x_label: "x".into(),
                panels: vec![
                    panel(true, vec![empty.clone()]),
                    panel(false, vec![single.clone()]),
                ],
            },
            LineChart {
                title: "constant".into(),
                subtitle: String::new(),
                x_label: "x".into(),
                panels: vec![panel(
                    true,
                    vec![Series {
                        label: "c".into(),
                        years: years(),
                        values: vec![5.0; 17],
                        dashed: false,
                    }],
                )],
            },
        ];
        for (k, ch) in charts.iter().enumerate() {
            let _ = draw_line_chart(ch, &d, &format!("line{k}"));
        }
        let bars = [
            vec![],
            vec![TargetBar {
                label: String::new(),
                target: f64::NAN,
                projected: f64::INFINITY,
                met: false,
            }],
            vec![TargetBar {
                label: "负 negative".into(),
                target: -10.0,
                projected: 0.0,
                met: true,
            }],
        ];
        for (k, b) in bars.into_iter().enumerate() {
            let chart = BarChart {
                title: String::new(),
                subtitle: String::new(),
                y_label: String::new(),
                y_divisor: f64::NAN,
                bars: b,
            };
            let _ = draw_target_chart(&chart, &d, &format!("bars{k}"));
        }
        let unit = |lon: f64, lat: f64, pop: f64, g: f64| MapUnit {
            label: "点 p".into(),
            lon,
            lat,
            population: pop,
            growth_pct: g,
        };
        let maps = [
            (vec![], vec![]),
            (vec![unit(104.0, 30.0, 0.0, f64::NAN)], vec![]),
            (
                vec![
                    unit(104.0, 30.0, f64::NAN, 0.0),
                    unit(104.0, 30.0, -1.0, 1e9),
                ],
                vec![
                    MapFlow {
                        from: 0,
                        to: 1,
                        persons: 0.0,
                    },
                    MapFlow {
                        from: 0,
                        to: 0,
                        persons: 5.0,
                    },
                    MapFlow {
                        from: 1,
                        to: 0,
                        persons: f64::NAN,
                    },
                    MapFlow {
                        from: 1,
                        to: 0,
                        persons: -3.0,
                    },
                ],
            ),
            (
                vec![
                    unit(f64::NAN, 30.0, 1e6, 1.0),
                    unit(105.0, f64::INFINITY, 1e6, 1.0),
                ],
                vec![],
            ),
        ];
        for (k, (units, flows)) in maps.into_iter().enumerate() {
            let chart = MapChart {
                title: String::new(),
                subtitle: String::new(),
                units,
                flows,
            };
            let _ = draw_map(&chart, &d, &format!("map{k}"));
        }
        let out_of_range = MapChart {
            flows: vec![MapFlow {
                from: 0,
                to: 7,
                persons: 1.0,
            }],
            ..sample_map()
        };
        assert!(matches!(
            draw_map(&out_of_range, &d, "bad"),
            Err(ChartError::InvalidInput(_))
        ));
        assert!(matches!(
            draw_map(&sample_map(), &d, "../escape"),
            Err(ChartError::InvalidInput(_))
        ));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn number_formatting() {
        assert_eq!(fmt_num(1_234_567.0, 0), "1,234,567");
        assert_eq!(fmt_num(-1500.5, 1), "−1,500.5");
        assert_eq!(fmt_num(-0.0, 0), "0");
        assert_eq!(fmt_compact(150.0), "150");
        assert_eq!(fmt_compact(45.0), "45");
        assert_eq!(fmt_persons(1e7), "1,000万");
        assert_eq!(decimals_for(2.5, 6), 1);
        let ax = YAxis::linear(45.0, 1700.0, false, 6.0);
        assert_eq!(ax.lo, 0.0);
        assert!(ax.hi >= 1700.0);
        let lg = YAxis::log(40.0, 1600.0);
        assert!(lg.ticks.contains(&100.0) && lg.ticks.contains(&1000.0));
    }
}
