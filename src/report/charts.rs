//! Charts: pure data in, SVG + PNG files out. No model knowledge here.
//!
//! Eight kinds of figure are drawn, each written twice into a directory as
//! `<stem>.svg` and `<stem>.png` (1600×900 px):
//!
//! * [`draw_line_chart`]: one or two panels of yearly series with plan-target markers;
//!   with three or more series and short labels (e.g. one series per scenario), the
//!   lines are also labelled at their right-hand ends;
//! * [`draw_target_chart`]: grouped bars, target vs projected, met/missed marked;
//! * [`draw_map`]: proportional circles at lon/lat coloured by growth (or, with
//!   [`MapChart::colour_label`], by any signed percentage such as the difference from a
//!   reference scenario), with flow arrows;
//! * [`draw_difference_bars`]: signed values per label and scenario as horizontal bars
//!   around a zero line, sorted, in up to three columns for many labels;
//! * [`draw_target_grid`]: targets × scenarios, each cell met / missed / not modelled;
//! * [`draw_fan_chart`]: up to 3×3 panels of 5–95 % and 25–75 % quantile bands with the
//!   median and target stars (Monte Carlo sweeps), one legend above the grid;
//! * [`draw_index_bars`]: sensitivity indices (Sobol S1/ST, Morris μ*/σ, tornado swings) as
//!   horizontal grouped bars per parameter, sorted, with optional error bars.
//! * [`draw_scatter`] (module `scatter`): predicted against observed on log–log axes with
//!   the 45° line and every point labelled where there is room (backtests).
//!
//! Text is set in an embedded subset of Noto Sans CJK SC (SIL OFL, see
//! `assets/fonts/README.md`), registered with plotters under [`FONT_FAMILY`], so the
//! PNGs render Chinese labels on machines with no fonts installed. SVG files carry
//! text as `<text>` elements whose `font-family` is the same CSS fallback list, so a
//! viewer uses Noto / Source Han / PingFang / YaHei, whichever it has.
//!
//! All layout is done here in pixel space rather than with plotters' `ChartBuilder`,
//! because we need exact control over legends, label collisions, log axes and text
//! placement. One drawing routine serves both backends (generic over
//! `DrawingBackend`), with two backend-specific corrections in `Canvas::text`: the
//! backends put text baselines at different heights, and plotters' ab_glyph renderer
//! drops each glyph's side bearing, so PNG text is placed glyph by glyph from the
//! font's own metrics (which also lets missing super/subscripts such as ⁸ be drawn as
//! small raised digits). The PNG is rendered at 2× and box-filtered down, which
//! anti-aliases lines and circles (plotters' bitmap rasteriser does not).
//!
//! Colours: series use Tableau 10 (a label keeps its colour across the panels of a
//! figure; the scenarios of a difference chart take colours 1, 2, … in order, colour 0
//! being the reference's, so they match a line chart listing the reference first and
//! then the same scenarios); bars and grid cells use
//! Okabe–Ito green/vermillion plus check/cross icons and words; the map uses a
//! blue–grey–red diverging scale, symmetric unless one side reaches three or more times
//! as far as the other (then each side has its own range, and the legend says so).
//!
//! Output is deterministic: no timestamps, no hash-map iteration, inputs are walked in
//! the order given (sorting, where done, is stable with index tie-breaks).

mod scatter;

pub use scatter::{draw_scatter, ScatterChart, ScatterPoint};

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
pub(crate) static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-subset.otf");

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
    /// Lines, drawn in order. Colours follow the order in which labels first appear
    /// across the figure's panels, so the same label has the same colour everywhere.
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

/// Verdict of a target as charts show it (decided by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Met,
    Missed,
    /// The projection's range straddles the target.
    Uncertain,
}

/// One group of the target chart.
#[derive(Debug, Clone)]
pub struct TargetBar {
    /// Category label, e.g. "万州 Wanzhou".
    pub label: String,
    /// Target value (base units).
    pub target: f64,
    /// Projected value (base units): the central estimate, drawn as the bar.
    pub projected: f64,
    /// Low and high estimates (base units), drawn as an error bar; NaN draws none.
    pub low: f64,
    pub high: f64,
    pub status: Status,
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
    /// Heading of the colour scale; None = "人口增长 population growth (%)" with the ends
    /// marked decline/growth. When set (e.g. "2030 人口差异 population difference vs
    /// baseline (%)" for a map of differences between scenarios), the ends read
    /// lower/higher instead.
    pub colour_label: Option<String>,
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

/// Signed values per label compared across scenarios (e.g. each unit's 2030 population
/// minus the reference scenario's): horizontal bars, one group per label and one bar per
/// scenario, labels on the y axis.
///
/// Groups are sorted by the first scenario's value, largest positive first (non-finite
/// last, ties in input order); many labels (e.g. 44 units) are split into two or three
/// side-by-side columns sharing one value scale, read top to bottom, left column first.
#[derive(Debug, Clone)]
pub struct DifferenceBars {
    /// Figure title.
    pub title: String,
    /// Second header line; may be empty.
    pub subtitle: String,
    /// Value-axis description including the display unit, e.g.
    /// "Δ 2030 population, 万人 (vs baseline)".
    pub value_label: String,
    /// Values are divided by this for display; 0/NaN are treated as 1.
    pub divisor: f64,
    /// Scenario names, one bar (and colour) each, in legend order; the reference they
    /// are compared with is not among them. Scenario `k` takes palette colour `k + 1`
    /// (colour 0, blue, is left to the reference), so the colours match a [`LineChart`]
    /// whose series are the reference followed by these scenarios in the same order.
    pub scenarios: Vec<String>,
    /// Group labels, e.g. "成都 Chengdu".
    pub labels: Vec<String>,
    /// `values[scenario][label]` in base units; non-finite values (and absurd ones,
    /// beyond ±10¹⁵ after the divisor) are shown as "n/a". Must be `scenarios.len()` rows
    /// of `labels.len()` values.
    pub values: Vec<Vec<f64>>,
}

/// Draws a difference bar chart to `dir/<stem>.svg` and `.png`.
///
/// Errors with [`ChartError::InvalidInput`] if `values` is not `scenarios × labels`.
pub fn draw_difference_bars(
    chart: &DifferenceBars,
    dir: &Path,
    stem: &str,
) -> Result<(), ChartError> {
    if chart.values.len() != chart.scenarios.len() {
        return Err(ChartError::InvalidInput(format!(
            "difference bars: {} value rows for {} scenarios",
            chart.values.len(),
            chart.scenarios.len()
        )));
    }
    for (s, row) in chart.values.iter().enumerate() {
        if row.len() != chart.labels.len() {
            return Err(ChartError::InvalidInput(format!(
                "difference bars: scenario {s} has {} values for {} labels",
                row.len(),
                chart.labels.len()
            )));
        }
    }
    save(chart, dir, stem)
}

/// Targets met or missed per scenario: a table with one row per target and one column
/// per scenario; each cell is coloured met / missed / not modelled (with a check or
/// cross icon, so colour is not the only cue) and carries a short text. A last row
/// counts the targets met per scenario.
#[derive(Debug, Clone)]
pub struct TargetGrid {
    /// Figure title.
    pub title: String,
    /// Second header line; may be empty.
    pub subtitle: String,
    /// Column headings (scenario names).
    pub scenarios: Vec<String>,
    /// Row labels, e.g. "万州 Wanzhou 2020 中心城区人口".
    pub targets: Vec<String>,
    /// `cells[target][scenario]`: `Some((status, text))`, the text being e.g. the projected
    /// value or the gap ("+12.4%"; a leading "-" is drawn as a true minus "−"), or None =
    /// not modelled. Must be `targets.len()` rows of `scenarios.len()` cells.
    pub cells: Vec<Vec<Option<(Status, String)>>>,
}

/// Draws a targets × scenarios grid to `dir/<stem>.svg` and `.png`.
///
/// Errors with [`ChartError::InvalidInput`] if `cells` is not `targets × scenarios`.
pub fn draw_target_grid(chart: &TargetGrid, dir: &Path, stem: &str) -> Result<(), ChartError> {
    if chart.cells.len() != chart.targets.len() {
        return Err(ChartError::InvalidInput(format!(
            "target grid: {} cell rows for {} targets",
            chart.cells.len(),
            chart.targets.len()
        )));
    }
    for (t, row) in chart.cells.iter().enumerate() {
        if row.len() != chart.scenarios.len() {
            return Err(ChartError::InvalidInput(format!(
                "target grid: target {t} has {} cells for {} scenarios",
                row.len(),
                chart.scenarios.len()
            )));
        }
    }
    save(chart, dir, stem)
}

/// Most panels a [`FanChart`] draws (a 3×3 grid).
pub const FAN_MAX_PANELS: usize = 9;

/// One panel of a [`FanChart`]: quantiles of one quantity per year (e.g. a unit's
/// population over many Monte Carlo runs), in base units.
///
/// The five quantile vectors are paired with `years` by position and must have its
/// length; a year with any non-finite quantile is skipped and breaks the bands.
#[derive(Debug, Clone)]
pub struct FanPanel {
    /// Panel heading, e.g. "成都 Chengdu".
    pub title: String,
    /// Years of the quantiles (need not be sorted).
    pub years: Vec<i32>,
    /// 5th percentile per year.
    pub p5: Vec<f64>,
    /// 25th percentile per year.
    pub p25: Vec<f64>,
    /// Median per year.
    pub p50: Vec<f64>,
    /// 75th percentile per year.
    pub p75: Vec<f64>,
    /// 95th percentile per year.
    pub p95: Vec<f64>,
    /// Markers drawn as stars (their `series_label` is ignored: one colour for all);
    /// markers with equal labels share one legend entry.
    pub targets: Vec<TargetMarker>,
}

/// Uncertainty fan charts: per panel a shaded 5–95 % band, a darker 25–75 % band and
/// the median line, plus target stars; up to [`FAN_MAX_PANELS`] panels in a grid of up
/// to 3×3, each with its own y scale. One legend above the grid (never over the data).
#[derive(Debug, Clone)]
pub struct FanChart {
    /// Figure title.
    pub title: String,
    /// Second header line; may be empty.
    pub subtitle: String,
    /// X-axis description, e.g. "年 year" (once, under the grid).
    pub x_label: String,
    /// Y-axis description including the display unit, e.g. "常住人口 population (万人)"
    /// (once, left of the grid).
    pub y_label: String,
    /// Values (and targets) are divided by this for display; 0/NaN are treated as 1.
    pub y_divisor: f64,
    /// Panels, read left to right, top to bottom.
    pub panels: Vec<FanPanel>,
}

/// Draws a fan chart to `dir/<stem>.svg` and `.png`.
///
/// Errors with [`ChartError::InvalidInput`] if there are more than [`FAN_MAX_PANELS`]
/// panels or a quantile vector's length differs from its panel's `years`.
pub fn draw_fan_chart(chart: &FanChart, dir: &Path, stem: &str) -> Result<(), ChartError> {
    if chart.panels.len() > FAN_MAX_PANELS {
        return Err(ChartError::InvalidInput(format!(
            "fan chart: {} panels, at most {FAN_MAX_PANELS}",
            chart.panels.len()
        )));
    }
    for (i, p) in chart.panels.iter().enumerate() {
        for (name, q) in [
            ("p5", &p.p5),
            ("p25", &p.p25),
            ("p50", &p.p50),
            ("p75", &p.p75),
            ("p95", &p.p95),
        ] {
            if q.len() != p.years.len() {
                return Err(ChartError::InvalidInput(format!(
                    "fan chart: panel {i} has {} {name} values for {} years",
                    q.len(),
                    p.years.len()
                )));
            }
        }
    }
    save(chart, dir, stem)
}

/// One statistic of an [`IndexBars`] chart, one value per parameter (e.g. Sobol "S1").
#[derive(Debug, Clone)]
pub struct IndexSeries {
    /// Legend text, e.g. "S1", "ST", "μ*".
    pub label: String,
    /// One value per parameter; non-finite values are shown as "n/a".
    pub values: Vec<f64>,
    /// Lower ends of intervals (error bars), one per parameter; drawn only with `high`.
    pub low: Option<Vec<f64>>,
    /// Upper ends of intervals, one per parameter.
    pub high: Option<Vec<f64>>,
}

/// Sensitivity indices as horizontal grouped bars: one group per parameter, one bar
/// (and colour) per series, error bars where a series has `low` and `high`. Groups are
/// sorted by the first series' value, largest first (non-finite last, ties in input
/// order). Bars start at zero; negative values go left.
#[derive(Debug, Clone)]
pub struct IndexBars {
    /// Figure title.
    pub title: String,
    /// Second header line; may be empty.
    pub subtitle: String,
    /// Value-axis description including the unit, e.g. "Sobol 指数 index (方差占比 share of variance)".
    pub value_label: String,
    /// Parameter names (group labels).
    pub parameters: Vec<String>,
    /// Series in legend order; each has one value per parameter.
    pub series: Vec<IndexSeries>,
}

/// Draws an index bar chart to `dir/<stem>.svg` and `.png`.
///
/// Errors with [`ChartError::InvalidInput`] if a series' `values`, `low` or `high` do
/// not have one entry per parameter.
pub fn draw_index_bars(chart: &IndexBars, dir: &Path, stem: &str) -> Result<(), ChartError> {
    let n = chart.parameters.len();
    for s in &chart.series {
        let lens = [
            Some(s.values.len()),
            s.low.as_ref().map(Vec::len),
            s.high.as_ref().map(Vec::len),
        ];
        if lens.iter().flatten().any(|&l| l != n) {
            return Err(ChartError::InvalidInput(format!(
                "index bars: series {:?} does not have one value (and interval) per parameter ({n})",
                s.label
            )));
        }
    }
    save(chart, dir, stem)
}

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

impl Figure for DifferenceBars {
    fn render<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> Result<(), ChartError> {
        render_difference_bars(c, self)
    }
}

impl Figure for TargetGrid {
    fn render<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> Result<(), ChartError> {
        render_target_grid(c, self)
    }
}

impl Figure for FanChart {
    fn render<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> Result<(), ChartError> {
        render_fan_chart(c, self)
    }
}

impl Figure for IndexBars {
    fn render<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> Result<(), ChartError> {
        render_index_bars(c, self)
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
    let n = (f * f) as u32;
    let stride = w * f * 3;
    let mut out = vec![0u8; w * h * 3];
    // Plain index loops over a row of sums: this runs in unoptimised test builds too,
    // where iterator adapters would cost seconds per image.
    let mut acc = vec![0u32; stride];
    let mut o = 0;
    for y in 0..h {
        acc.fill(0);
        let mut src = y * f * stride;
        for _ in 0..f {
            let row = &big[src..src + stride];
            let mut i = 0;
            while i < stride {
                acc[i] += u32::from(row[i]);
                i += 1;
            }
            src += stride;
        }
        let mut i = 0;
        while i < stride {
            let mut sum = [0u32; 3];
            for _ in 0..f {
                sum[0] += acc[i];
                sum[1] += acc[i + 1];
                sum[2] += acc[i + 2];
                i += 3;
            }
            out[o] = ((sum[0] + n / 2) / n) as u8;
            out[o + 1] = ((sum[1] + n / 2) / n) as u8;
            out[o + 2] = ((sum[2] + n / 2) / n) as u8;
            o += 3;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Canvas: logical-pixel drawing helpers over a plotters area
// ---------------------------------------------------------------------------------------

type Res = Result<(), ChartError>;

/// A glyph of a laid-out run (device px).
struct Glyph {
    /// Character drawn (the base character for a synthesized super/subscript).
    ch: char,
    /// Pen position from the start of the run.
    pen: f64,
    /// Left side bearing, already scaled.
    lsb: f64,
    /// Size relative to the run's font.
    scale: f64,
    /// Baseline shift upwards.
    rise: f64,
}

/// Size of synthesized super/subscripts relative to the text (the font's own ⁴ is 0.6).
const SCRIPT_SCALE: f64 = 0.6;

/// Super/subscripts the font lacks (Noto Sans CJK has only ¹²³⁴), drawn as a small
/// raised or lowered base character: (base, rise in em). E.g. "10⁸" in an axis label.
fn synthesized(ch: char) -> Option<(char, f64)> {
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

/// Drawing surface in logical pixels (1600×900); `s` scales to device pixels.
struct Canvas<'a, DB: DrawingBackend> {
    area: &'a DrawingArea<DB, Shift>,
    /// Device pixels per logical pixel.
    s: f64,
    /// SVG backend (text baseline placement differs, see [`Canvas::text`]).
    svg: bool,
}

/// A device coordinate, saturated like [`Canvas::d`] (plotters adds glyph offsets to it).
fn dev(v: f64) -> i32 {
    v.clamp(-1.0e6, 1.0e6) as i32
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

    /// Glyph layout of `text` in device pixels and its total advance. None only if the
    /// embedded font's metrics are unreadable.
    fn layout(&self, text: &str, font: Font) -> Option<(Vec<Glyph>, f64)> {
        let m = Metrics::get()?;
        let k = font.size * self.s / m.height;
        let em = 1000.0 * k;
        let mut pen = 0.0;
        let mut out = Vec::with_capacity(text.len());
        for ch in text.chars() {
            if let Some((base, rise)) = synthesized(ch) {
                // Small raised/lowered copy of the base glyph, spaced like the font's own ⁴.
                let (adv, lsb) = m.glyph(base);
                out.push(Glyph {
                    ch: base,
                    pen: pen + 0.04 * em,
                    lsb: lsb * k * SCRIPT_SCALE,
                    scale: SCRIPT_SCALE,
                    rise: rise * em,
                });
                pen += adv * k * SCRIPT_SCALE + 0.1 * em;
                continue;
            }
            let (adv, lsb) = m.glyph(ch);
            out.push(Glyph {
                ch,
                pen,
                lsb: lsb * k,
                scale: 1.0,
                rise: 0.0,
            });
            pen += adv * k;
        }
        Some((out, pen))
    }

    /// Draws `text` with its baseline at `y` (logical px), aligned at `x`.
    fn text(&self, text: &str, x: f64, y: f64, font: Font, align: Align) -> Res {
        if text.is_empty() {
            return Ok(());
        }
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
            let top = y - self.baseline_shift() * font.size;
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
        let baseline = y * self.s;
        // Faux bold: the subset has only the Regular weight; overprint one device pixel right.
        let passes: &[f64] = if font.bold { &[0.0, 1.0] } else { &[0.0] };
        for &dx in passes {
            for g in &glyphs {
                if g.ch.is_whitespace() {
                    continue;
                }
                let style = self.style(font.sized(font.size * g.scale));
                let size = font.size * g.scale * self.s;
                let gx = (start + g.pen).round() + g.lsb.floor() + dx;
                let gy = (baseline - g.rise - self.baseline_shift() * size).round();
                self.area
                    .draw_text(g.ch.encode_utf8(&mut [0u8; 4]), &style, (dev(gx), dev(gy)))
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
        let layout = if self.svg {
            None
        } else {
            self.layout(text, font)
        };
        let Some((glyphs, total)) = layout else {
            let style = self
                .style(font)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Center, VPos::Top));
            let left = x - self.baseline_shift() * font.size;
            return self
                .area
                .draw_text(text, &style, self.pt((left, y)))
                .map_err(draw_err);
        };
        // Rotate270 maps the run's x axis to device −y (glyph i starts `pen` above the
        // bottom) and its y axis to device +x (the baseline is a vertical line at `x`).
        let bottom = y * self.s + total / 2.0;
        let baseline = x * self.s;
        for g in &glyphs {
            if g.ch.is_whitespace() {
                continue;
            }
            let style = self
                .style(font.sized(font.size * g.scale))
                .transform(FontTransform::Rotate270);
            let size = font.size * g.scale * self.s;
            let gx = (baseline - g.rise - self.baseline_shift() * size).round();
            let gy = (bottom - g.pen).round() - g.lsb.floor();
            self.area
                .draw_text(g.ch.encode_utf8(&mut [0u8; 4]), &style, (dev(gx), dev(gy)))
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
    let zero =
        int.chars().all(|c| c == '0') && frac.as_deref().unwrap_or("").chars().all(|c| c == '0');
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
    /// data whose minimum is under half the maximum (so levels compare honestly), or
    /// always with `force_zero` (bars), in which case the caller adds any headroom.
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
        } else if !force_zero {
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
        let candidates: Vec<f64> = (dlo - 1..=dhi + 1)
            .flat_map(|d| mults.iter().map(move |m| m * 10f64.powi(d)))
            .collect();
        let mut ticks: Vec<f64> = candidates
            .iter()
            .copied()
            .filter(|&v| v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9))
            .collect();
        if ticks.len() < 3 {
            let step = nice_step(hi - lo, 5.0);
            let first = (lo / step).ceil() * step;
            ticks = (0..12)
                .map(|i| first + i as f64 * step)
                .filter(|&v| v > 0.0 && v <= hi)
                .collect();
        } else {
            // Extend the range to the next tick when it is close, so both ends are labelled.
            if let Some(&below) = candidates.iter().rev().find(|&&v| v < lo) {
                if lo / below < 1.35 {
                    lo = below;
                    ticks.insert(0, below);
                }
            }
            if let Some(&above) = candidates.iter().find(|&&v| v > hi) {
                if above / hi < 1.35 {
                    hi = above;
                    ticks.push(above);
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
    Line {
        color: RGBColor,
        dashed: bool,
    },
    Star {
        color: RGBColor,
    },
    Swatch {
        color: RGBColor,
    },
    /// A miniature target-grid cell: met, missed, uncertain or (None) not modelled.
    Cell {
        status: Option<Status>,
    },
}

struct Entry {
    key: Key,
    text: String,
}

const KEY_W: f64 = 40.0;
const KEY_GAP: f64 = 8.0;
const COL_GAP: f64 = 28.0;

/// Positions of legend entries: series keys in an aligned grid (as many equal-width
/// columns as fit), then target keys in a grid of their own, then other keys
/// (swatches) flowing on the rows after them.
struct LegendLayout {
    font: Font,
    /// (x offset, row) per entry.
    pos: Vec<(f64, usize)>,
    row_h: f64,
    rows: usize,
    /// Width actually used.
    width: f64,
}

impl LegendLayout {
    fn height(&self) -> f64 {
        self.row_h * self.rows as f64
    }
}

fn legend_layout<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    entries: &[Entry],
    width: f64,
) -> Result<LegendLayout, ChartError> {
    let mut font = LEGEND;
    loop {
        let widths = entries
            .iter()
            .map(|e| Ok(KEY_W + KEY_GAP + c.text_width(&e.text, font)?))
            .collect::<Result<Vec<f64>, ChartError>>()?;
        let mut pos = vec![(0.0, 0usize); entries.len()];
        let mut used = 0.0f64;
        let mut rows = 0;
        let is_grid = |e: &Entry| matches!(e.key, Key::Line { .. } | Key::Star { .. });
        for star in [false, true] {
            let grid: Vec<usize> = (0..entries.len())
                .filter(|&i| {
                    is_grid(&entries[i]) && matches!(entries[i].key, Key::Star { .. }) == star
                })
                .collect();
            let col_w = grid.iter().map(|&i| widths[i]).fold(0.0, f64::max);
            let ncols = (((width + COL_GAP) / (col_w + COL_GAP)).floor() as usize)
                .clamp(1, grid.len().max(1));
            for (k, &i) in grid.iter().enumerate() {
                let x = (k % ncols) as f64 * (col_w + COL_GAP);
                pos[i] = (x, rows + k / ncols);
                used = used.max(x + widths[i]);
            }
            rows += grid.len().div_ceil(ncols);
        }
        let (mut x, mut row, mut any) = (0.0, rows, false);
        for i in (0..entries.len()).filter(|&i| !is_grid(&entries[i])) {
            if x > 0.0 && x + widths[i] > width {
                row += 1;
                x = 0.0;
            }
            pos[i] = (x, row);
            used = used.max(x + widths[i]);
            x += widths[i] + COL_GAP;
            any = true;
        }
        if any {
            rows = row + 1;
        }
        // Shrink the font if the legend would need many rows (it takes plot height).
        if rows > 6 && font.size > 15.0 {
            font = font.sized(font.size - 2.0);
            continue;
        }
        return Ok(LegendLayout {
            font,
            pos,
            row_h: font.size * 1.35,
            rows,
            width: used,
        });
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
        Key::Cell { status } => {
            c.fill_rect(
                x + 2.0,
                yc - 11.0,
                x + KEY_W - 2.0,
                yc + 11.0,
                solid(cell_fill(*status)),
            )?;
            match status {
                Some(m) => draw_status_icon(c, (x + KEY_W / 2.0, yc), 8.0, *m),
                None => c.text("—", x + KEY_W / 2.0, yc + 6.0, TICK, Align::Center),
            }
        }
    }
}

/// Draws a legend laid out by [`legend_layout`] with its top-left at (x, y).
fn draw_legend<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    entries: &[Entry],
    layout: &LegendLayout,
    x: f64,
    y: f64,
) -> Res {
    for (e, &(ex, row)) in entries.iter().zip(&layout.pos) {
        let ex = x + ex;
        let yc = y + layout.row_h * (row as f64 + 0.5);
        draw_key(c, &e.key, ex, yc)?;
        c.text(
            &e.text,
            ex + KEY_W + KEY_GAP,
            yc + 0.3 * layout.font.size,
            layout.font,
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
    let colours = series_colours(&chart.panels);
    let mut legend_h = 0.0f64;
    for (panel, cols) in chart.panels.iter().zip(&colours) {
        let entries = panel_entries(panel, cols);
        if !entries.is_empty() {
            legend_h = legend_h.max(legend_layout(c, &entries, pw)?.height() + 10.0);
        }
    }
    let title_h = if chart.panels.iter().any(|p| !p.title.trim().is_empty()) {
        40.0
    } else {
        0.0
    };
    for (i, (panel, cols)) in chart.panels.iter().zip(colours).enumerate() {
        let area = Rect {
            x0: MARGIN + i as f64 * (pw + gap),
            y0: top + 6.0,
            x1: MARGIN + i as f64 * (pw + gap) + pw,
            y1: h - 14.0,
        };
        let frame = PanelFrame {
            area,
            title_h,
            legend_h,
            colours: cols,
        };
        draw_panel(c, panel, &chart.x_label, &frame)?;
    }
    Ok(())
}

/// A run of consecutive drawable points of one series.
type Segment = Vec<(f64, f64)>;

/// Colour of a target marker: that of the series it names, else dark grey.
fn target_colour(p: &Panel, colours: &[RGBColor], series_label: &Option<String>) -> RGBColor {
    series_label
        .as_ref()
        .and_then(|l| p.series.iter().position(|s| &s.label == l))
        .map_or(TARGET_GREY, |i| colours[i])
}

/// Series colours for every panel: a label keeps its colour across panels (Chengdu is
/// the same blue left and right); new labels take the next palette colour.
fn series_colours(panels: &[Panel]) -> Vec<Vec<RGBColor>> {
    let mut known: Vec<(&str, usize)> = Vec::new();
    let mut next = 0usize;
    panels
        .iter()
        .map(|p| {
            let mut used: Vec<usize> = Vec::new();
            p.series
                .iter()
                .map(|s| {
                    let k = match known.iter().find(|(l, _)| *l == s.label.as_str()) {
                        Some(&(_, k)) if !used.contains(&k) => k,
                        _ => {
                            let k = next;
                            next += 1;
                            known.push((s.label.as_str(), k));
                            k
                        }
                    };
                    used.push(k);
                    PALETTE[k % PALETTE.len()]
                })
                .collect()
        })
        .collect()
}

/// Legend entries of a panel: every series, then one entry per distinct target label
/// (coloured like its markers when they agree, grey when they differ).
fn panel_entries(p: &Panel, colours: &[RGBColor]) -> Vec<Entry> {
    let colour_of = |label: &Option<String>| target_colour(p, colours, label);
    let mut entries: Vec<Entry> = p
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| Entry {
            key: Key::Line {
                color: colours[i],
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

    entries
}

/// Where a panel goes, with the title and legend heights shared by all panels so that
/// side-by-side plots line up.
struct PanelFrame {
    area: Rect,
    title_h: f64,
    legend_h: f64,
    /// Colour of each series, in order.
    colours: Vec<RGBColor>,
}

/// Where a panel's end labels go.
struct EndFrame {
    /// The x axis span (years).
    x_span: f64,
    plot_right: f64,
    plot_top: f64,
    plot_bottom: f64,
    font: Font,
}

/// Labels each series that reaches the panel's last year at the right of the plot, at the
/// height of its last point, pushed apart where lines end close together; a short
/// leader in the series colour ties each label to its line.
fn draw_end_labels<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    p: &Panel,
    segs: &[Vec<Segment>],
    colours: &[RGBColor],
    f: &EndFrame,
    mx: &dyn Fn(f64) -> f64,
    my: &dyn Fn(f64) -> f64,
) -> Res {
    let last_x = |sg: &Vec<Segment>| sg.last().and_then(|s| s.last()).map(|&(x, _)| x);
    let x_last = segs
        .iter()
        .filter_map(last_x)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut ends: Vec<(f64, usize, (f64, f64))> = Vec::new();
    for (i, sg) in segs.iter().enumerate() {
        let Some(&(x, v)) = sg.last().and_then(|s| s.last()) else {
            continue;
        };
        if x_last - x <= 0.05 * f.x_span {
            let at = (mx(x), my(v));
            ends.push((at.1, i, at));
        }
    }
    ends.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    // Spread: push down to keep a line's height between labels, then back up from the
    // bottom if the last one went past it.
    let gap = f.font.size * 1.12;
    let mut ys: Vec<f64> = ends.iter().map(|e| e.0).collect();
    for k in 1..ys.len() {
        ys[k] = ys[k].max(ys[k - 1] + gap);
    }
    if let Some(last) = ys.last_mut() {
        *last = last.min(f.plot_bottom);
    }
    for k in (0..ys.len().saturating_sub(1)).rev() {
        ys[k] = ys[k].min(ys[k + 1] - gap);
    }
    for (k, y) in ys.iter_mut().enumerate() {
        *y = y.max(f.plot_top + gap * k as f64);
    }
    for ((_, i, (px, py)), &ly) in ends.iter().zip(&ys) {
        let col = solid(colours[*i]);
        c.line(
            &[
                (px + 5.0, *py),
                (f.plot_right + 4.0, ly),
                (f.plot_right + 10.0, ly),
            ],
            col,
            2.0,
        )?;
        c.text(
            &p.series[*i].label,
            f.plot_right + 13.0,
            ly + 0.33 * f.font.size,
            f.font,
            Align::Left,
        )?;
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    p: &Panel,
    x_label: &str,
    frame: &PanelFrame,
) -> Res {
    let area = frame.area;
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
                if let Some(sg) = segs.last_mut() {
                    sg.push((f64::from(yr), v));
                }
                xs.push(f64::from(yr));
                ys.push(v);
            } else if segs.last().is_some_and(|sg| !sg.is_empty()) {
                segs.push(Vec::new());
            }
        }
        segs.retain(|sg| !sg.is_empty());
        seg_by_series.push(segs);
    }
    let colour_of = |label: &Option<String>| target_colour(p, &frame.colours, label);
    let mut stars: Vec<((f64, f64), RGBColor)> = Vec::new();
    for t in &p.targets {
        let v = t.value / div;
        if ok(v) {
            stars.push(((f64::from(t.year), v), colour_of(&t.series_label)));
            xs.push(f64::from(t.year));
            ys.push(v);
        }
    }

    // Vertical budget: title, plot, x ticks + x label, legend.
    if !p.title.trim().is_empty() {
        let f = c.fit(&p.title, PANEL_TITLE, area.x1 - area.x0, 16.0)?;
        c.text(&p.title, area.x0, area.y0 + 26.0, f, Align::Left)?;
    }
    let entries = panel_entries(p, &frame.colours);
    let layout = legend_layout(c, &entries, area.x1 - area.x0)?;
    let legend_h = frame.legend_h;
    let plot_top = area.y0 + frame.title_h + 12.0;
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
    let target_ticks = ((plot_bottom - plot_top) / 90.0).clamp(3.0, 7.0);
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
    // Direct labels at the right-hand ends of the lines when a panel has several series
    // (e.g. one per scenario) whose labels are short enough to spare the width.
    let end_font = Font::new(15.0, INK);
    let drawn = seg_by_series.iter().filter(|sg| !sg.is_empty()).count();
    let mut end_w = 0.0f64;
    for (s, segs) in p.series.iter().zip(&seg_by_series) {
        if !segs.is_empty() {
            end_w = end_w.max(c.text_width(&s.label, end_font)?);
        }
    }
    let end_labels = drawn >= 3 && end_w <= 0.2 * (area.x1 - area.x0);
    let plot_right = area.x1 - if end_labels { end_w + 24.0 } else { 14.0 };

    // X axis: years, padded so markers at the ends are not cut by the frame.
    let (xmin, xmax) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let (xlo, xhi, years) = year_axis(c, plot_right - plot_left, xmin, xmax, 1.7)?;
    let mx = |x: f64| plot_left + (x - xlo) / (xhi - xlo) * (plot_right - plot_left);

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
        let col = solid(frame.colours[i]);
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
    if end_labels {
        draw_end_labels(
            c,
            p,
            &seg_by_series,
            &frame.colours,
            &EndFrame {
                x_span: (xhi - xlo).max(1.0),
                plot_right,
                plot_top,
                plot_bottom,
                font: end_font,
            },
            &mx,
            &|v| ax.map(v),
        )?;
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
/// deficiencies, and every bar also carries a check/cross icon and a word.
const BAR_MET: RGBColor = RGBColor(0x00, 0x9E, 0x73);
const BAR_MISSED: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// Okabe–Ito blue: the range straddles the target.
const BAR_UNCERTAIN: RGBColor = RGBColor(0x00, 0x72, 0xB2);

fn status_colour(status: Status) -> RGBColor {
    match status {
        Status::Met => BAR_MET,
        Status::Missed => BAR_MISSED,
        Status::Uncertain => BAR_UNCERTAIN,
    }
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Met => "达成 met",
        Status::Missed => "未达 missed",
        Status::Uncertain => "不确定 uncertain",
    }
}

/// Check mark (met), cross (missed) or a level bar (uncertain) drawn as strokes, centred at
/// `c`, half-size `r`.
fn draw_status_icon<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    at: (f64, f64),
    r: f64,
    status: Status,
) -> Res {
    c.circle(at, r, Some(solid(status_colour(status))), None)?;
    let (x, y) = at;
    if status == Status::Uncertain {
        let k = 0.5 * r;
        c.line(&[(x - k, y), (x + k, y)], solid(WHITE), r * 0.3)
    } else if status == Status::Met {
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

/// The x range (padded so markers at the ends are not cut by the frame) and the year ticks of a
/// time axis `width` pixels wide: the smallest of 1, 2, 5, 10, … years whose labels stay at
/// least `min_gap` label widths apart.
fn year_axis<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    width: f64,
    xmin: f64,
    xmax: f64,
    min_gap: f64,
) -> Result<(f64, f64, Vec<i64>), ChartError> {
    let (xlo, xhi) = if xmax - xmin < 1.0 {
        (xmin - 0.7, xmax + 0.7)
    } else {
        let pad = ((xmax - xmin) * 0.03).max(0.4);
        (xmin - pad, xmax + pad)
    };
    let year_w = c.text_width("2030", TICK)?;
    let px_per_year = width / (xhi - xlo);
    let step = [1i64, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
        .into_iter()
        .find(|&k| k as f64 * px_per_year >= year_w * min_gap)
        .unwrap_or(1000);
    let first = (xlo.ceil() as i64).div_euclid(step) * step;
    let years = (0..)
        .map(|i| first + i * step)
        .take_while(|&yv| (yv as f64) <= xhi)
        .filter(|&yv| (yv as f64) >= xlo)
        .take(200)
        .collect();
    Ok((xlo, xhi, years))
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
        Entry {
            key: Key::Swatch {
                color: BAR_UNCERTAIN,
            },
            text: "不确定 uncertain (I = low–high)".to_string(),
        },
    ];
    let layout = legend_layout(c, &entries, w - 2.0 * MARGIN)?;
    draw_legend(c, &entries, &layout, w - MARGIN - layout.width, top)?;
    let plot_top = top + layout.height() + 34.0;

    let vals: Vec<f64> = chart
        .bars
        .iter()
        .flat_map(|b| [b.target / div, b.projected / div, b.high / div])
        .filter(|v| v.is_finite())
        .collect();
    let (vmin, vmax) = vals
        .iter()
        .fold((0.0f64, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
    // Headroom above the tallest bar for its value label and the status badge.
    let mut ax = YAxis::linear(vmin, vmax * 1.14, true, 6.0);

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
        let status = status_colour(b.status);
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
            if k == 1 && b.low.is_finite() && b.high.is_finite() {
                // Error bar of the projection's low–high range; its value label goes above it.
                let (lo, hi) = (
                    ax.map((b.low / div).clamp(ax.lo, ax.hi)),
                    ax.map((b.high / div).clamp(ax.lo, ax.hi)),
                );
                let xm = (x0 + x1) / 2.0;
                let cap = bar_w * 0.22;
                c.line(&[(xm, lo), (xm, hi)], solid(INK), 2.2)?;
                c.line(&[(xm - cap, lo), (xm + cap, lo)], solid(INK), 2.2)?;
                c.line(&[(xm - cap, hi), (xm + cap, hi)], solid(INK), 2.2)?;
                let label_y = hi.min(py) - 7.0;
                c.text(&fmt_compact(v), xm, label_y, vf, Align::Center)?;
                top_y = top_y.min(hi.min(py).min(base));
                continue;
            }
            c.text(&fmt_compact(v), (x0 + x1) / 2.0, label_y, vf, Align::Center)?;
            top_y = top_y.min(py.min(base));
        }
        // Status badge above the taller bar: icon + word + ratio; in narrow groups the
        // ratio (or word) alone, and if even that does not fit, icon over text.
        let ratio = (vt.is_finite() && vp.is_finite() && vt > 0.0)
            .then(|| format!("{:.0}%", 100.0 * vp / vt));
        let word = status_word(b.status);
        let full = match &ratio {
            Some(r) => format!("{word} {r}"),
            None => word.to_string(),
        };
        let short = ratio.clone().unwrap_or_else(|| word.to_string());
        let icon_r = 10.0;
        let by = top_y - value_font.size - 22.0;
        let room = group_w - 2.0 * icon_r - 12.0;
        let base_font = Font::new(18.0, status);
        let mut inline = None;
        for (text, min) in [(&full, 14.0), (&short, 13.0)] {
            let f = c.fit(text, base_font, room, min)?;
            if c.text_width(text, f)? <= room {
                inline = Some((text.clone(), f));
                break;
            }
        }
        if let Some((text, f)) = inline {
            let total = 2.0 * icon_r + 5.0 + c.text_width(&text, f)?;
            let bx = gx - total / 2.0;
            draw_status_icon(c, (bx + icon_r, by), icon_r, b.status)?;
            c.text(
                &text,
                bx + 2.0 * icon_r + 5.0,
                by + 0.33 * f.size,
                f,
                Align::Left,
            )?;
        } else {
            let f = c.fit(&short, base_font, group_w - 4.0, 9.0)?;
            draw_status_icon(c, (gx, by - f.size - 2.0), icon_r * 0.8, b.status)?;
            c.text(&short, gx, by + 0.33 * f.size, f, Align::Center)?;
        }

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

/// "1000万人" style population text (persons → 万 when ≥ 10,000).
fn fmt_persons(v: f64) -> String {
    // No thousands separators: Chinese groups by 万, and "1,000万" reads oddly.
    let s = if v.abs() >= 1e4 {
        let w = v / 1e4;
        format!("{}万人", fmt_num(w, decimals_for(w, 1).min(1)))
    } else {
        format!("{}人", fmt_num(v, 0))
    };
    s.replace(',', "")
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

/// Candidate directions around a circle, in 15° steps: right, left, up, down first.
const ANGLE_ORDER: [u8; 24] = [
    0, 12, 6, 18, 3, 9, 21, 15, 1, 11, 23, 13, 2, 10, 22, 14, 4, 8, 20, 16, 5, 7, 19, 17,
];

/// Leader line from the edge of the circle at `c` (radius `r`) to the nearest point of `bx`.
fn leader_line(c: (f64, f64), r: f64, bx: &Rect) -> ((f64, f64), (f64, f64)) {
    let near = (c.0.clamp(bx.x0, bx.x1), c.1.clamp(bx.y0, bx.y1));
    let (lx, ly) = (near.0 - c.0, near.1 - c.1);
    let l = lx.hypot(ly).max(1e-9);
    ((c.0 + lx / l * r, c.1 + ly / l * r), near)
}

/// Whether segment a–b passes within `r` of `c`.
fn seg_hits_disc(a: (f64, f64), b: (f64, f64), c: (f64, f64), r: f64) -> bool {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((c.0 - a.0) * dx + (c.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (px, py) = (a.0 + t * dx, a.1 + t * dy);
    (px - c.0).hypot(py - c.1) < r
}

/// Whether segment a–b crosses rectangle `r` (sampled; segments here are short).
fn seg_hits_rect(a: (f64, f64), b: (f64, f64), r: &Rect) -> bool {
    (0..=16).any(|i| {
        let t = f64::from(i) / 16.0;
        let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
        x > r.x0 && x < r.x1 && y > r.y0 && y < r.y1
    })
}

/// A placed map label: text box and optional leader line (circle edge → box).
struct PlacedLabel {
    unit: usize,
    lines: Vec<String>,
    bx: Rect,
    leader: Option<((f64, f64), (f64, f64))>,
}

/// A circle in one map view: unit index, centre and radius (logical px).
#[derive(Clone, Copy)]
struct Disc {
    unit: usize,
    at: (f64, f64),
    r: f64,
}

/// Greedy label placement for the discs in `to_label` (in that order).
///
/// Candidates ring each circle at growing distances; a label must stay inside `bounds`,
/// must not overlap an earlier label, its own circle or the middle of any other circle,
/// and should not sit closer to another circle than to its own (it would be misread).
/// Among the candidates the cheapest (nearest, fewest circles touched) wins; units with
/// no acceptable spot stay unlabelled.
fn place_labels<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    labels: &[String],
    to_label: &[Disc],
    obstacles: &[Disc],
    bounds: Rect,
    font: Font,
) -> Result<Vec<PlacedLabel>, ChartError> {
    let mut placed: Vec<(Disc, PlacedLabel)> = Vec::new();
    let mut missing: Vec<Disc> = Vec::new();
    for d in to_label {
        if labels[d.unit].trim().is_empty() {
            continue;
        }
        match best_spot(c, &labels[d.unit], d, obstacles, bounds, font, &placed)? {
            Some(p) => placed.push((*d, p)),
            None => missing.push(*d),
        }
    }
    // Repair pass: for a unit left without a label, try moving one nearby label
    // elsewhere to make room (nearest first); keep the change only if both fit.
    for d in missing {
        let mut near: Vec<(f64, usize)> = placed
            .iter()
            .enumerate()
            .map(|(j, (_, p))| (rect_dist(&p.bx, d.at), j))
            .filter(|&(dist, _)| dist < 160.0)
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (_, j) in near.into_iter().take(10) {
            let moved = placed.remove(j);
            if let Some(p) = best_spot(c, &labels[d.unit], &d, obstacles, bounds, font, &placed)? {
                placed.push((d, p));
                let md = moved.0;
                if let Some(q) =
                    best_spot(c, &labels[md.unit], &md, obstacles, bounds, font, &placed)?
                {
                    placed.push((md, q));
                    break;
                }
                placed.pop();
            }
            placed.insert(j, moved);
        }
    }
    Ok(placed.into_iter().map(|(_, p)| p).collect())
}

/// The cheapest acceptable label position for disc `d`, given labels already placed.
#[allow(clippy::too_many_arguments)]
fn best_spot<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    text: &str,
    d: &Disc,
    obstacles: &[Disc],
    bounds: Rect,
    font: Font,
    placed: &[(Disc, PlacedLabel)],
) -> Result<Option<PlacedLabel>, ChartError> {
    // One line first; a bilingual label may fall back to Chinese over English,
    // which is narrower and fits between crowded circles.
    let mut forms: Vec<Vec<String>> = vec![vec![text.to_string()]];
    if let Some((a, b)) = split_bilingual(text) {
        forms.push(vec![a, b]);
    }
    let ((cx, cy), r) = (d.at, d.r);
    for form in forms {
        let mut tw = 0.0f64;
        for l in &form {
            tw = tw.max(c.text_width(l, font)?);
        }
        let th = font.size * (1.05 + 1.2 * (form.len() as f64 - 1.0));
        let mut best: Option<(f64, Rect, f64)> = None;
        for (di, dist) in [3.0, 12.0, 22.0, 34.0, 48.0, 64.0].into_iter().enumerate() {
            for (k, &step) in ANGLE_ORDER.iter().enumerate() {
                let a = f64::from(step) * std::f64::consts::PI / 12.0;
                let (ux, uy) = (a.cos(), -a.sin());
                let bcx = cx + ux * (r + dist + tw / 2.0 + 3.0);
                let bcy = cy + uy * (r + dist + th / 2.0 + 2.0);
                let bx = Rect {
                    x0: bcx - tw / 2.0 - 3.0,
                    y0: bcy - th / 2.0 - 2.0,
                    x1: bcx + tw / 2.0 + 3.0,
                    y1: bcy + th / 2.0 + 2.0,
                };
                if !bx.inside(&bounds)
                    || bx.hits_disc((cx, cy), r)
                    || placed.iter().any(|(_, o)| {
                        o.bx.intersects(&bx)
                            || o.leader.is_some_and(|l| seg_hits_rect(l.0, l.1, &bx))
                    })
                {
                    continue;
                }
                let own = rect_dist(&bx, (cx, cy)) - r;
                let mut cost = dist + if k < 2 { 0.0 } else { 3.0 + k as f64 * 0.1 };
                let leader = leader_line((cx, cy), r, &bx);
                let mut reject = dist > 10.0
                    && placed
                        .iter()
                        .any(|(_, o)| seg_hits_rect(leader.0, leader.1, &o.bx));
                for o in obstacles {
                    if reject {
                        break;
                    }
                    if o.unit == d.unit {
                        continue;
                    }
                    // Never hide the middle of a circle, never sit nearer to another
                    // circle than to one's own, never run a leader line across a circle.
                    if bx.hits_disc(o.at, (o.r * 0.5).max(3.5))
                        || rect_dist(&bx, o.at) - o.r < own - 2.0
                        || (dist > 10.0 && seg_hits_disc(leader.0, leader.1, o.at, o.r))
                    {
                        reject = true;
                    } else if bx.hits_disc(o.at, o.r + 1.0) {
                        cost += 40.0;
                    }
                }
                let better = match &best {
                    Some(b) => cost < b.0,
                    None => true,
                };
                if !reject && better {
                    best = Some((cost, bx, dist));
                }
            }
            // Stop widening the search once a clean nearby spot exists.
            if best.as_ref().is_some_and(|b| b.0 < 20.0 + 20.0 * di as f64) {
                break;
            }
        }
        if let Some((_, bx, dist)) = best {
            return Ok(Some(PlacedLabel {
                unit: d.unit,
                lines: form,
                bx,
                leader: (dist > 10.0).then(|| leader_line((cx, cy), r, &bx)),
            }));
        }
    }
    Ok(None)
}

fn draw_labels<DB: DrawingBackend>(c: &Canvas<'_, DB>, labels: &[PlacedLabel], font: Font) -> Res {
    for l in labels {
        if let Some((a, b)) = l.leader {
            c.line(&[a, b], solid(RGBColor(0x66, 0x66, 0x66)), 1.0)?;
        }
    }
    for l in labels {
        c.fill_rect(l.bx.x0, l.bx.y0, l.bx.x1, l.bx.y1, WHITE.mix(0.82))?;
        for (k, line) in l.lines.iter().enumerate() {
            let base = l.bx.y0 + 2.0 + font.size * (0.81 + 1.2 * k as f64);
            c.text(line, l.bx.x0 + 3.0, base, font, Align::Left)?;
        }
    }
    Ok(())
}

/// Draws circles largest first so small units stay visible on top.
fn draw_discs<DB: DrawingBackend>(c: &Canvas<'_, DB>, discs: &[Disc], fills: &[RGBColor]) -> Res {
    for d in discs {
        c.circle(
            d.at,
            d.r,
            Some(fills[d.unit].mix(0.88)),
            Some((solid(RGBColor(0x33, 0x33, 0x33)), 1.2)),
        )?;
    }
    Ok(())
}

/// The largest group (≥ 4) of circles that overlap each other in a chain: too dense to
/// label in place, so it gets a magnified inset. Returns unit indices, or empty.
fn dense_cluster(discs: &[Disc]) -> Vec<usize> {
    let n = discs.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for a in 0..n {
        for b in a + 1..n {
            let (da, db) = (&discs[a], &discs[b]);
            let d = (da.at.0 - db.at.0).hypot(da.at.1 - db.at.1);
            if d < 0.9 * (da.r + db.r) + 4.0 {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                if ra != rb {
                    parent[ra.max(rb)] = ra.min(rb);
                }
            }
        }
    }
    let mut best: Vec<usize> = Vec::new();
    for r in 0..n {
        let members: Vec<usize> = (0..n).filter(|&i| root(&mut parent, i) == r).collect();
        if members.len() >= 4 && members.len() > best.len() {
            best = members;
        }
    }
    best.into_iter().map(|i| discs[i].unit).collect()
}

/// One side (decline or growth) of the map's colour scale, in percent.
#[derive(Clone, Copy, Debug, PartialEq)]
struct ScaleSide {
    /// Magnitude at the end of the colour bar (a multiple of `step`).
    max: f64,
    /// Tick spacing.
    step: f64,
    /// Number of ticks from 0 to the end.
    ticks: i64,
    /// Some value lies beyond `max`: its colour saturates and the end label says ≤ / ≥.
    saturated: bool,
}

impl ScaleSide {
    /// A side ending on a tick at or above `robust` (at least 0.5 %), as tight as two to
    /// four ticks allow: e.g. 2.2 → 3 in steps of 1, 4.2 → 5 in steps of 2.5; saturated
    /// if `extreme` lies beyond.
    fn new(robust: f64, extreme: f64) -> ScaleSide {
        let b = if robust.is_finite() {
            robust.max(0.5)
        } else {
            0.5
        };
        // The 1-2-2.5-5 step giving the tightest end with two to four ticks (the larger
        // step on a tie, so fewer labels need dropping for lack of room).
        let mag = 10f64.powf(b.log10().floor());
        let (mut step, mut max) = (nice_step(b, 3.0), f64::INFINITY);
        for m in [10.0, 5.0, 2.5, 2.0, 1.0, 0.5, 0.25, 0.2, 0.1] {
            let st = m * mag;
            let end = (b / st - 1e-9).ceil() * st;
            let n = (end / st).round();
            if (2.0..=4.0).contains(&n) && end < max * (1.0 - 1e-9) {
                (step, max) = (st, end);
            }
        }
        if !max.is_finite() {
            max = (b / step - 1e-9).ceil() * step;
        }
        ScaleSide {
            max,
            step,
            ticks: (max / step).round() as i64,
            saturated: extreme > max * (1.0 + 1e-9),
        }
    }
}

/// The 90th percentile of `a` (its maximum for fewer than ten values) and the maximum.
fn robust_max(mut a: Vec<f64>) -> (f64, f64) {
    a.sort_by(f64::total_cmp);
    let max = a.last().copied().unwrap_or(0.0);
    let robust = if a.len() >= 10 {
        a[(a.len() * 9).div_ceil(10) - 1]
    } else {
        max
    };
    (robust, max)
}

/// The map's colour scale as (decline side, growth side).
///
/// Each side's range comes from the 90th percentile of its magnitudes, so that one
/// outlier does not wash out every other colour (beyond it colours saturate). The scale
/// is symmetric around 0 % unless one side reaches three or more times as far as the
/// other: then each side keeps its own range, so that small losses next to large gains
/// (typical of differences between scenarios) do not all look grey.
fn map_colour_scale(growth: &[f64]) -> (ScaleSide, ScaleSide) {
    let finite: Vec<f64> = growth.iter().copied().filter(|g| g.is_finite()).collect();
    let neg: Vec<f64> = finite.iter().filter(|&&g| g < 0.0).map(|g| -g).collect();
    let pos: Vec<f64> = finite.iter().copied().filter(|&g| g > 0.0).collect();
    let (neg_robust, neg_max) = robust_max(neg.clone());
    let (pos_robust, pos_max) = robust_max(pos.clone());
    if !neg.is_empty() && !pos.is_empty() {
        let (n, p) = (
            ScaleSide::new(neg_robust, neg_max),
            ScaleSide::new(pos_robust, pos_max),
        );
        if n.max.max(p.max) >= 3.0 * n.max.min(p.max) {
            return (n, p);
        }
    }
    let (all_robust, _) = robust_max(finite.iter().map(|g| g.abs()).collect());
    (
        ScaleSide::new(all_robust, neg_max),
        ScaleSide::new(all_robust, pos_max),
    )
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
    let step_lon = nice_step(lon_b - lon_a, (plot.x1 - plot.x0) / 130.0).max(0.1);
    let step_lat = nice_step(lat_b - lat_a, (plot.y1 - plot.y0) / 130.0).max(0.1);
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
    let growth: Vec<f64> = units.iter().map(|(_, u)| u.growth_pct).collect();
    let (neg, pos) = map_colour_scale(&growth);
    let fills: Vec<RGBColor> = chart
        .units
        .iter()
        .map(|u| {
            if u.growth_pct.is_finite() {
                diverging(if u.growth_pct < 0.0 {
                    u.growth_pct / neg.max
                } else {
                    u.growth_pct / pos.max
                })
            } else {
                RGBColor(0xF2, 0xF2, 0xF2)
            }
        })
        .collect();
    let labels: Vec<String> = chart.units.iter().map(|u| u.label.clone()).collect();

    // Main-map discs, largest first (drawing order and labelling priority).
    let mut discs: Vec<Disc> = units
        .iter()
        .map(|&(i, u)| Disc {
            unit: i,
            at: proj.xy(u.lon, u.lat),
            r: radius(u.population),
        })
        .collect();
    discs.sort_by(|a, b| b.r.total_cmp(&a.r).then(a.unit.cmp(&b.unit)));
    draw_discs(c, &discs, &fills)?;

    // Flows: biggest first so thin arrows are drawn over thick ones.
    let at_of = |i: usize| discs.iter().find(|d| d.unit == i).copied();
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
        .filter(|(_, f)| at_of(f.from).is_some() && at_of(f.to).is_some())
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
        if let (Some(da), Some(db)) = (at_of(a), at_of(b)) {
            if let Some(poly) = arrow_polygon(da.at, da.r, db.at, db.r, flow_w(f.persons)) {
                c.polygon(&poly, FLOW_COLOR.mix(0.72))?;
            }
        }
    }

    // A dense cluster (e.g. a city's core districts) is labelled in a magnified inset.
    let lx = plot.x1 + 40.0;
    let lw = w - MARGIN - lx;
    let inset = Rect {
        x0: lx,
        y0: plot.y0 + 292.0,
        x1: w - MARGIN,
        y1: plot.y1,
    };
    let mut cluster = dense_cluster(&discs);
    let mut region = None;
    if !cluster.is_empty() {
        let members = discs.iter().filter(|d| cluster.contains(&d.unit));
        let mut reg = Rect {
            x0: f64::INFINITY,
            y0: f64::INFINITY,
            x1: f64::NEG_INFINITY,
            y1: f64::NEG_INFINITY,
        };
        for d in members {
            reg.x0 = reg.x0.min(d.at.0 - d.r - 3.0);
            reg.y0 = reg.y0.min(d.at.1 - d.r - 3.0);
            reg.x1 = reg.x1.max(d.at.0 + d.r + 3.0);
            reg.y1 = reg.y1.max(d.at.1 + d.r + 3.0);
        }
        // Everything whose centre falls in the region belongs to the inset.
        cluster = discs
            .iter()
            .filter(|d| {
                d.at.0 >= reg.x0 && d.at.0 <= reg.x1 && d.at.1 >= reg.y0 && d.at.1 <= reg.y1
            })
            .map(|d| d.unit)
            .collect();
        region = Some(reg);
    }
    let label_font = Font::new(16.0, INK);
    let main_to_label: Vec<Disc> = discs
        .iter()
        .filter(|d| !cluster.contains(&d.unit))
        .copied()
        .collect();
    let mut main_bounds = plot;
    main_bounds.x0 += 2.0;
    main_bounds.x1 -= 2.0;
    let main_labels = place_labels(c, &labels, &main_to_label, &discs, main_bounds, label_font)?;
    // A unit next to the inset region that found no room for its label joins the inset.
    if let Some(reg) = region.as_mut() {
        for d in &main_to_label {
            let near = rect_dist(reg, d.at) - d.r < 45.0;
            if near && !main_labels.iter().any(|l| l.unit == d.unit) {
                reg.x0 = reg.x0.min(d.at.0 - d.r - 3.0);
                reg.y0 = reg.y0.min(d.at.1 - d.r - 3.0);
                reg.x1 = reg.x1.max(d.at.0 + d.r + 3.0);
                reg.y1 = reg.y1.max(d.at.1 + d.r + 3.0);
            }
        }
        cluster = discs
            .iter()
            .filter(|d| {
                d.at.0 >= reg.x0 && d.at.0 <= reg.x1 && d.at.1 >= reg.y0 && d.at.1 <= reg.y1
            })
            .map(|d| d.unit)
            .collect();
    }
    if let Some(reg) = region {
        c.dashed(
            &[
                (reg.x0, reg.y0),
                (reg.x1, reg.y0),
                (reg.x1, reg.y1),
                (reg.x0, reg.y1),
                (reg.x0, reg.y0),
            ],
            solid(INK),
            1.4,
            6.0,
            4.0,
        )?;
    }
    draw_labels(c, &main_labels, label_font)?;
    let mut labelled: Vec<usize> = main_labels.iter().map(|l| l.unit).collect();

    if let Some(reg) = region {
        let title_font = Font::new(18.0, INK);
        let box_top = inset.y0 + 14.0;
        let inner = Rect {
            x0: inset.x0,
            y0: box_top,
            x1: inset.x1,
            y1: inset.y1,
        };
        let members: Vec<Disc> = discs
            .iter()
            .filter(|d| cluster.contains(&d.unit))
            .copied()
            .collect();
        let (rw, rh) = ((reg.x1 - reg.x0).max(1.0), (reg.y1 - reg.y0).max(1.0));
        // Leave room for labels left/right of the circles.
        let mag = ((inner.x1 - inner.x0 - 120.0) / rw)
            .min((inner.y1 - inner.y0 - 30.0) / rh)
            .clamp(1.5, 6.0);
        let mag = (mag * 2.0).floor() / 2.0;
        let (rcx, rcy) = ((reg.x0 + reg.x1) / 2.0, (reg.y0 + reg.y1) / 2.0);
        let (icx, icy) = ((inner.x0 + inner.x1) / 2.0, (inner.y0 + inner.y1) / 2.0);
        let to_inset = |p: (f64, f64)| (icx + (p.0 - rcx) * mag, icy + (p.1 - rcy) * mag);
        let inset_discs: Vec<Disc> = members
            .iter()
            .map(|d| Disc {
                at: to_inset(d.at),
                ..*d
            })
            .filter(|d| {
                d.at.0 - d.r >= inner.x0
                    && d.at.0 + d.r <= inner.x1
                    && d.at.1 - d.r >= inner.y0
                    && d.at.1 + d.r <= inner.y1
            })
            .collect();
        c.fill_rect(
            inner.x0,
            inner.y0,
            inner.x1,
            inner.y1,
            solid(RGBColor(0xFB, 0xFB, 0xF8)),
        )?;
        c.text(
            &format!(
                "虚线框放大 dashed box enlarged ×{}",
                fmt_num(mag, decimals_for(mag, 1))
            ),
            inset.x0,
            inset.y0 + 4.0,
            c.fit("虚线框放大 dashed box enlarged ×6", title_font, lw, 12.0)?,
            Align::Left,
        )?;
        draw_discs(c, &inset_discs, &fills)?;
        let mut inner_b = inner;
        inner_b.x0 += 2.0;
        inner_b.x1 -= 2.0;
        inner_b.y0 += 2.0;
        inner_b.y1 -= 2.0;
        let inset_labels = place_labels(
            c,
            &labels,
            &inset_discs,
            &inset_discs,
            inner_b,
            label_font.sized(15.0),
        )?;
        draw_labels(c, &inset_labels, label_font.sized(15.0))?;
        c.dashed(
            &[
                (inner.x0, inner.y0),
                (inner.x1, inner.y0),
                (inner.x1, inner.y1),
                (inner.x0, inner.y1),
                (inner.x0, inner.y0),
            ],
            solid(INK),
            1.4,
            6.0,
            4.0,
        )?;
        labelled.extend(inset_labels.iter().map(|l| l.unit));
    }

    // Right-hand legends: colour bar on top, then sizes and flows side by side.
    let head = Font::new(19.0, INK);
    let mut y = plot.y0 + 18.0;
    let colour_head = chart
        .colour_label
        .as_deref()
        .unwrap_or("人口增长 population growth (%)");
    c.text(
        colour_head,
        lx,
        y,
        c.fit(colour_head, head, lw, 12.0)?,
        Align::Left,
    )?;
    y += 14.0;
    let bar_h = 20.0;
    let nseg = 80;
    for k in 0..nseg {
        let t0 = k as f64 / nseg as f64;
        let t1 = (k + 1) as f64 / nseg as f64;
        let col = diverging(-1.0 + (t0 + t1));
        c.fill_rect(lx + t0 * lw, y, lx + t1 * lw + 0.6, y + bar_h, solid(col))?;
    }
    c.stroke_rect(lx, y, lx + lw, y + bar_h, solid(AXIS), 1.0)?;
    let bar_tick = Font::new(17.0, MUTED);
    // Tick labels by priority (ends, zero, then inwards); one that would collide with
    // an already drawn label is left out, so narrow bars never get overprinted text.
    let mut order: Vec<i64> = vec![-neg.ticks, pos.ticks, 0];
    for k in (1..neg.ticks.max(pos.ticks)).rev() {
        if k < neg.ticks {
            order.push(-k);
        }
        if k < pos.ticks {
            order.push(k);
        }
    }
    let mut taken: Vec<(f64, f64)> = Vec::new();
    for k in order {
        let side = if k < 0 { neg } else { pos };
        let v = side.step * k as f64;
        let x = lx + lw / 2.0 * (1.0 + v / side.max);
        c.line(&[(x, y + bar_h), (x, y + bar_h + 5.0)], solid(AXIS), 1.0)?;
        let num = fmt_num(v, decimals_for(v, 2));
        let sign = if v > 0.0 { "+" } else { "" };
        let s = match k {
            k if k == pos.ticks && pos.saturated => format!("≥{sign}{num}%"),
            k if k == -neg.ticks && neg.saturated => format!("≤{num}%"),
            _ => format!("{sign}{num}%"),
        };
        let tw = c.text_width(&s, bar_tick)?;
        let (al, x0) = if k == -neg.ticks {
            (Align::Left, x)
        } else if k == pos.ticks {
            (Align::Right, x - tw)
        } else {
            (Align::Center, x - tw / 2.0)
        };
        if taken
            .iter()
            .any(|&(a, b)| x0 < b + 8.0 && a < x0 + tw + 8.0)
        {
            continue;
        }
        taken.push((x0, x0 + tw));
        c.text(&s, x, y + bar_h + 23.0, bar_tick, al)?;
    }
    let small = Font::new(15.0, MUTED);
    let (low_end, high_end) = if chart.colour_label.is_some() {
        ("← 较低 lower", "较高 higher →")
    } else {
        ("← 减少 decline", "增长 growth →")
    };
    c.text(low_end, lx, y + bar_h + 45.0, small, Align::Left)?;
    c.text(high_end, lx + lw, y + bar_h + 45.0, small, Align::Right)?;
    if neg.max != pos.max {
        let note = "两侧比例不同 each side has its own scale";
        let nf = c.fit(note, small, lw, 11.0)?;
        c.text(note, lx + lw / 2.0, y + bar_h + 64.0, nf, Align::Center)?;
        y += 14.0;
    }
    y += bar_h + 88.0;

    // Size legend (left half): nested circles, bottoms aligned.
    let half = lw / 2.0 - 8.0;
    let sub_head = Font::new(17.0, INK);
    c.text(
        "常住人口 population",
        lx,
        y,
        c.fit("常住人口 population", sub_head, half, 11.0)?,
        Align::Left,
    )?;
    let candidates = [1e5, 5e5, 1e6, 2e6, 5e6, 1e7, 2e7, 5e7, 1e8, 2e8, 5e8, 1e9];
    let mut sizes: Vec<f64> = if (1.2e7..=3e7).contains(&pop_max) {
        vec![1e6, 5e6, 1e7]
    } else {
        let fit: Vec<f64> = candidates
            .iter()
            .copied()
            .filter(|&v| v <= pop_max * 1.05)
            .collect();
        fit[fit.len().saturating_sub(3)..].to_vec()
    };
    if sizes.is_empty() {
        sizes.push(1e6);
    }
    let r_big = sizes.iter().map(|&s| radius(s)).fold(0.0, f64::max);
    let base_y = y + 16.0 + 2.0 * r_big.max(20.0);
    let ccx = lx + r_big + 4.0;
    for &s in sizes.iter().rev() {
        let r = radius(s);
        c.circle(
            (ccx, base_y - r),
            r,
            Some(solid(WHITE)),
            Some((solid(MUTED), 1.2)),
        )?;
    }
    for &s in sizes.iter().rev() {
        let r = radius(s);
        let ty = base_y - 2.0 * r;
        c.line(&[(ccx, ty), (ccx + r_big + 12.0, ty)], solid(AXIS), 1.0)?;
        c.text(
            &fmt_persons(s),
            ccx + r_big + 16.0,
            ty + 5.0,
            bar_tick,
            Align::Left,
        )?;
    }

    // Flow legend (right half).
    if !flows.is_empty() {
        let fx = lx + lw / 2.0 + 8.0;
        c.text(
            "净迁移 net migration",
            fx,
            y,
            c.fit("净迁移 net migration", sub_head, half, 11.0)?,
            Align::Left,
        )?;
        let top_v = nice_ceil(flow_max * 0.999);
        let top_v = if top_v > flow_max * 1.0001 {
            top_v / 2.0
        } else {
            top_v
        };
        let mut fy = y + 18.0;
        let big = top_v.max(flow_max / 2.0);
        // The small reference arrow only when it still means at least one person.
        let refs: Vec<f64> = [big, big / 5.0]
            .into_iter()
            .filter(|&v| v >= 1.0 || v == big)
            .collect();
        for v in refs {
            let wv = flow_w(v);
            let yy = fy + 4.0 + wv.max(10.0) / 2.0;
            if let Some(poly) = arrow_polygon((fx - 3.0, yy), 0.0, (fx + 95.0, yy), 0.0, wv) {
                c.polygon(&poly, FLOW_COLOR.mix(0.72))?;
            }
            c.text(
                &fmt_persons(v),
                fx + 104.0,
                yy + 0.33 * bar_tick.size,
                bar_tick,
                Align::Left,
            )?;
            fy += wv.max(10.0) + 26.0;
        }
    }

    // Notes under the map, left-aligned, only when something is not shown.
    let mut notes: Vec<String> = Vec::new();
    if units.len() < chart.units.len() {
        notes.push(format!(
            "{} 个单元无坐标 without coordinates",
            chart.units.len() - units.len()
        ));
    }
    let unlabelled: Vec<usize> = units
        .iter()
        .map(|&(i, _)| i)
        .filter(|i| !labelled.contains(i) && !chart.units[*i].label.trim().is_empty())
        .collect();
    if !unlabelled.is_empty() {
        // Name them, so a reader is not left guessing which circle is which.
        let mut names: Vec<&str> = unlabelled
            .iter()
            .take(6)
            .map(|&i| chart.units[i].label.as_str())
            .collect();
        if unlabelled.len() > 6 {
            names.push("…");
        }
        notes.push(format!(
            "未标注 unlabelled (拥挤 crowded): {}",
            names.join(", ")
        ));
    }
    if units.is_empty() {
        notes.push("无数据 no data".to_string());
    }
    for (k, n) in notes.iter().enumerate() {
        c.text(
            n,
            plot.x0,
            plot.y1 + 50.0 + 20.0 * k as f64,
            small,
            Align::Left,
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Scenario comparison: difference bars and target grid
// ---------------------------------------------------------------------------------------

/// `c` mixed with white: `a` = 1 gives `c`, 0 gives white (backgrounds under dark text).
fn tint(c: RGBColor, a: f64) -> RGBColor {
    let mix = |v: u8| (255.0 - (255.0 - f64::from(v)) * a).round() as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

/// Background of every other row, so the eye can follow a row from its label.
const ZEBRA: RGBColor = RGBColor(0xF3, 0xF3, 0xF3);

/// Formats with a leading "+" on positive values that do not round to zero; an exact
/// zero is "0".
fn fmt_signed(v: f64, dec: usize) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let s = fmt_num(v, dec);
    if v > 0.0 && s.chars().any(|ch| ch.is_ascii_digit() && ch != '0') {
        format!("+{s}")
    } else {
        s
    }
}

/// Decimals for value labels, chosen once per chart from the largest magnitude.
fn value_decimals(max_abs: f64) -> usize {
    if max_abs >= 100.0 {
        0
    } else if max_abs >= 1.0 {
        1
    } else if max_abs >= 0.1 {
        2
    } else {
        3
    }
}

/// `text` cut short with "…" so that it fits `max_w` (unchanged if it fits already).
fn ellipsize<DB: DrawingBackend>(
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

/// Order of the groups of a [`DifferenceBars`]: by the first scenario's value, largest
/// first; non-finite values last; ties keep the input order.
fn difference_order(chart: &DifferenceBars) -> Vec<usize> {
    // `+ 0.0` turns −0 into 0 so that the two compare equal.
    let key = |i: usize| {
        chart
            .values
            .first()
            .and_then(|row| row.get(i))
            .copied()
            .filter(|v| v.is_finite())
            .map(|v| v + 0.0)
    };
    let mut order: Vec<usize> = (0..chart.labels.len()).collect();
    order.sort_by(|&a, &b| {
        match (key(a), key(b)) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then(a.cmp(&b))
    });
    order
}

/// Magnitude beyond which difference bars are drawn cut (with a `//` mark and their value
/// at the end), when a few values dwarf all others: the third-largest magnitude (or the
/// 98th percentile, if higher) plus 15 % and rounded up, if the largest is over three
/// times that.
fn difference_clip(values: &[f64]) -> Option<f64> {
    let mut a: Vec<f64> = values
        .iter()
        .filter(|v| v.is_finite())
        .map(|v| v.abs())
        .collect();
    if a.len() < 8 {
        return None;
    }
    a.sort_by(|x, y| y.total_cmp(x));
    let q = a[(a.len() / 50).max(2)];
    if !(q > 0.0 && a[0] > 3.0 * q) {
        return None;
    }
    // Rounded up to a readable number: 64.98 → 70.
    let cut = q * 1.15;
    let step = nice_step(cut, 10.0);
    Some((cut / step).ceil() * step)
}

/// Height of a label's row below which difference bars go into another column (at most
/// three): enough for the label, and for a bar of ≥ 4 px per scenario.
fn difference_min_row(scenarios: usize) -> f64 {
    (8.0 + 5.0 * scenarios as f64).max(24.0)
}

fn render_difference_bars<DB: DrawingBackend>(c: &Canvas<'_, DB>, chart: &DifferenceBars) -> Res {
    let top = draw_header(c, &chart.title, &chart.subtitle)?;
    let (w, h) = (f64::from(WIDTH), f64::from(HEIGHT));
    let full_w = w - 2.0 * MARGIN;
    let div = divisor(chart.divisor);
    let (ns, n) = (chart.scenarios.len(), chart.labels.len());
    // Colour 0 belongs to the (absent) reference; see `DifferenceBars::scenarios`.
    let colour = |s: usize| PALETTE[(s + 1) % PALETTE.len()];
    // Absurd magnitudes count as missing (the scale must stay finite).
    let value = |s: usize, i: usize| {
        chart
            .values
            .get(s)
            .and_then(|row| row.get(i))
            .map(|v| v / div)
            .filter(|v| v.abs() <= 1e15)
            .unwrap_or(f64::NAN)
    };
    let all: Vec<f64> = (0..ns)
        .flat_map(|s| (0..n).map(move |i| (s, i)))
        .map(|(s, i)| value(s, i))
        .collect();
    let missing = all.iter().filter(|v| !v.is_finite()).count();

    // Value domain: always includes zero; cut at `clip` when outliers would flatten the rest.
    let clip = difference_clip(&all);
    let (mut vlo, mut vhi) = all
        .iter()
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
    if let Some(cl) = clip {
        vlo = vlo.max(-cl);
        vhi = vhi.min(cl);
    }
    if vhi - vlo <= 0.0 {
        vhi = 1.0;
    }
    let dec = value_decimals(vhi.max(-vlo));
    let is_cut = |v: f64| clip.is_some_and(|cl| v.is_finite() && v.abs() > cl);

    // Header row: scenario legend on the right, notes on the left (or below the legend).
    let entries: Vec<Entry> = chart
        .scenarios
        .iter()
        .enumerate()
        .map(|(s, name)| Entry {
            key: Key::Swatch { color: colour(s) },
            text: name.clone(),
        })
        .collect();
    let layout = legend_layout(c, &entries, full_w)?;
    let note_row = 26.0;
    let hints_h = 34.0;
    let plot_bottom = h - 74.0;

    // Columns: as few as give each label a row of `difference_min_row` (legend assumed
    // to need its own note row, so the estimate errs towards more columns).
    let est_avail = (plot_bottom - (top + layout.height() + note_row + hints_h)).max(10.0);
    let ncols = ((n as f64 * difference_min_row(ns) / est_avail).ceil() as usize).clamp(1, 3);
    let per_col = n.div_ceil(ncols).max(1);

    let note_font = Font::new(17.0, MUTED);
    let mut notes: Vec<String> = Vec::new();
    if let Some(first) = chart.scenarios.first().filter(|_| n > 1) {
        notes.push(if ncols > 1 {
            format!("按 {first} 由大到小排序，先左栏后右栏 sorted by {first}, largest first; columns read left to right")
        } else {
            format!("按 {first} 由大到小排序 sorted by {first}, largest first")
        });
    }
    if let Some(cl) = clip {
        notes.push(format!(
            "// 条形在 ±{} 处截断，数值见末端 bars cut at ±{}, value at the end",
            fmt_num(cl, decimals_for(cl, dec)),
            fmt_num(cl, decimals_for(cl, dec))
        ));
    }
    let col_gap = 48.0;
    let col_w = (full_w - col_gap * (ncols - 1) as f64) / ncols as f64;

    // Rows.
    let legend_w = if entries.is_empty() {
        0.0
    } else {
        layout.width
    };
    // The note about missing values depends on the bar thickness, which depends on
    // this decision: probe with its longer wording.
    let missing_note = |show: bool| {
        if show {
            "n/a = 无数值 no value".to_string()
        } else {
            format!("{missing} 个值缺失 values missing")
        }
    };
    let mut probe = notes.clone();
    if missing > 0 {
        let (a, b) = (missing_note(false), missing_note(true));
        let wider = c.text_width(&a, note_font)? >= c.text_width(&b, note_font)?;
        probe.push(if wider { a } else { b });
    }
    let same_row = layout.rows <= 1
        && c.text_width(&probe.join(" · "), note_font)? + 40.0 + legend_w <= full_w;
    let plot_top = top + layout.height() + if same_row { 0.0 } else { note_row } + hints_h;
    let avail = (plot_bottom - plot_top).max(10.0);
    let row_h = avail / per_col as f64;

    // Group labels: one font for all, shrunk if the rows are low or the labels long.
    let mut lab_font = Font::new((row_h * 0.6).clamp(9.0, 18.0), INK);
    let lab_max = col_w * 0.34;
    let widest = |f: Font| -> Result<f64, ChartError> {
        let mut m = 0.0f64;
        for l in &chart.labels {
            m = m.max(c.text_width(l, f)?);
        }
        Ok(m)
    };
    let mut lab_w = widest(lab_font)?;
    if lab_w > lab_max {
        lab_font = lab_font.sized((lab_font.size * lab_max / lab_w).max(9.0));
        lab_w = widest(lab_font)?;
    }
    let lab_w = lab_w.min(lab_max);
    let plot_w = (col_w - lab_w - 16.0).max(20.0);

    // Bars: one band per group, split among the scenarios.
    let band = (row_h * if ns == 1 { 0.62 } else { 0.84 }).min(24.0 * ns as f64);
    let bt = band / ns.max(1) as f64;
    let bar_gap = if bt >= 6.0 { 1.0 } else { 0.0 };

    // Value labels beyond the bar tips when bars are thick enough (cut bars always get
    // one); room is reserved on each side so that they never leave the plot.
    let vfont = Font::new((bt * 1.05).clamp(10.0, 15.0), MUTED);
    let cut_font = Font::new(vfont.size.max(12.0), INK);
    let label_of = |v: f64| {
        if v.is_finite() {
            fmt_signed(v, dec)
        } else {
            "n/a".to_string()
        }
    };
    let pads = |show: bool| -> Result<(f64, f64), ChartError> {
        let (mut wneg, mut wpos) = (0.0f64, 0.0f64);
        for &v in &all {
            let f = if is_cut(v) {
                cut_font
            } else if show {
                vfont
            } else {
                continue;
            };
            let tw = c.text_width(&label_of(v), f)? + 6.0;
            if v < 0.0 {
                wneg = wneg.max(tw);
            } else {
                wpos = wpos.max(tw);
            }
        }
        Ok((wneg.max(8.0), wpos.max(8.0)))
    };
    let mut show = bt >= 10.0;
    let (mut pad_l, mut pad_r) = pads(show)?;
    if show && pad_l + pad_r > 0.45 * plot_w {
        show = false;
        (pad_l, pad_r) = pads(false)?;
    }
    if missing > 0 {
        notes.push(missing_note(show));
    }
    let k = ((plot_w - pad_l - pad_r).max(10.0) / (vhi - vlo)).max(1e-12);
    let zero_rel = pad_l - vlo * k;
    let (dlo, dhi) = (-zero_rel / k, (plot_w - zero_rel) / k);
    let step = nice_step(vhi - vlo, (plot_w / 120.0).clamp(2.0, 8.0));
    let tick_dec = decimals_for(step, 4);
    let ticks: Vec<f64> = {
        let (a, b) = ((dlo / step).ceil() as i64, (dhi / step).floor() as i64);
        (a..=b.min(a + 60)).map(|i| i as f64 * step).collect()
    };

    // Header row.
    draw_legend(c, &entries, &layout, w - MARGIN - layout.width, top)?;
    let note = notes.join(" · ");
    let (note_y, note_room) = if same_row {
        (
            top + layout.row_h * 0.5 + 0.3 * note_font.size,
            full_w - legend_w - 40.0,
        )
    } else {
        (top + layout.height() + 18.0, full_w)
    };
    let nf = c.fit(&note, note_font, note_room.max(50.0), 11.0)?;
    let note = ellipsize(c, &note, nf, note_room.max(50.0))?;
    c.text(&note, MARGIN, note_y, nf, Align::Left)?;

    if n == 0 || ns == 0 {
        return c.text(
            "无数据 no data",
            w / 2.0,
            (plot_top + plot_bottom) / 2.0,
            AXIS_LABEL,
            Align::Center,
        );
    }

    let order = difference_order(chart);
    let hint = Font::new(15.0, MUTED);
    for col in 0..ncols {
        let items = &order[(col * per_col).min(n)..((col + 1) * per_col).min(n)];
        if items.is_empty() {
            continue;
        }
        let cx0 = MARGIN + col as f64 * (col_w + col_gap);
        let px0 = cx0 + lab_w + 12.0;
        let px1 = px0 + plot_w;
        let zx = px0 + zero_rel;
        let xv = |v: f64| zx + v * k;

        for r in (1..items.len()).step_by(2) {
            let y0 = plot_top + r as f64 * row_h;
            c.fill_rect(cx0, y0, px1, y0 + row_h, solid(ZEBRA))?;
        }
        for &t in &ticks {
            let x = xv(t);
            c.line(&[(x, plot_top), (x, plot_bottom)], solid(GRID), 1.0)?;
        }
        for (r, &i) in items.iter().enumerate() {
            let y0 = plot_top + r as f64 * row_h + (row_h - band) / 2.0;
            for s in 0..ns {
                let v = value(s, i);
                let (b0, b1) = (y0 + s as f64 * bt, y0 + (s + 1) as f64 * bt - bar_gap);
                let ym = (b0 + b1) / 2.0;
                if !v.is_finite() {
                    if show {
                        c.text("n/a", zx + 5.0, ym + 0.33 * vfont.size, vfont, Align::Left)?;
                    }
                    continue;
                }
                let cut = is_cut(v);
                let shown = if cut { v.clamp(vlo, vhi) } else { v };
                let mut x = xv(shown);
                // A tiny non-zero difference still shows as a sliver.
                if v != 0.0 && (x - zx).abs() < 1.0 {
                    x = zx + v.signum();
                }
                c.fill_rect(zx.min(x), b0, zx.max(x), b1, solid(colour(s)))?;
                if cut {
                    // "//" break near the end of the bar.
                    let xm = x - v.signum() * 14.0;
                    let d = ((b1 - b0) * 0.35).clamp(1.5, 5.0);
                    for dx in [-2.5, 2.5] {
                        let xc = xm + dx;
                        c.line(&[(xc - d, b1 + 1.0), (xc + d, b0 - 1.0)], solid(WHITE), 2.0)?;
                    }
                }
                let f = if cut { cut_font } else { vfont };
                if show || cut {
                    let t = fmt_signed(v, dec);
                    let yb = ym + 0.33 * f.size;
                    if v >= 0.0 {
                        c.text(&t, x + 5.0, yb, f, Align::Left)?;
                    } else {
                        c.text(&t, x - 5.0, yb, f, Align::Right)?;
                    }
                }
            }
            let label_y = plot_top + (r as f64 + 0.5) * row_h + 0.33 * lab_font.size;
            let l = ellipsize(c, &chart.labels[i], lab_font, lab_w)?;
            c.text(&l, px0 - 8.0, label_y, lab_font, Align::Right)?;
        }
        // Zero line over the bars; the axis at the same height in every column.
        c.line(&[(zx, plot_top), (zx, plot_bottom)], solid(INK), 1.5)?;
        c.line(&[(px0, plot_bottom), (px1, plot_bottom)], solid(AXIS), 1.0)?;
        for &t in &ticks {
            let x = xv(t);
            c.line(
                &[(x, plot_bottom), (x, plot_bottom + 5.0)],
                solid(AXIS),
                1.0,
            )?;
            c.text(
                &fmt_signed(t, tick_dec),
                x,
                plot_bottom + 24.0,
                TICK,
                Align::Center,
            )?;
        }
        // Axis description centred under the plot, or, if longer, as near to that as
        // the column allows (it may extend under the labels, never into the next column).
        let xf = c.fit(&chart.value_label, AXIS_LABEL, col_w - 8.0, 12.0)?;
        let half = c.text_width(&chart.value_label, xf)? / 2.0;
        let (lo, hi) = (cx0 + 4.0 + half, cx0 + col_w - 4.0 - half);
        let xc = if lo <= hi {
            ((px0 + px1) / 2.0).clamp(lo, hi)
        } else {
            cx0 + col_w / 2.0
        };
        c.text(
            &chart.value_label,
            xc,
            plot_bottom + 54.0,
            xf,
            Align::Center,
        )?;
        // Which side is which, above the plot where there is room.
        let (less, more) = ("← 较少 less", "较多 more →");
        if zx - 8.0 - c.text_width(less, hint)? >= px0 - 4.0 {
            c.text(less, zx - 8.0, plot_top - 10.0, hint, Align::Right)?;
        }
        if zx + 8.0 + c.text_width(more, hint)? <= px1 + 4.0 {
            c.text(more, zx + 8.0, plot_top - 10.0, hint, Align::Left)?;
        }
    }
    Ok(())
}

/// Background of a target-grid cell: light tints of the bar chart's status colours,
/// light grey when not modelled.
fn cell_fill(status: Option<Status>) -> RGBColor {
    match status {
        Some(status) => tint(status_colour(status), 0.24),
        None => RGBColor(0xEC, 0xEC, 0xEC),
    }
}

/// `text` with a hyphen-minus that starts a number ("-24.5%", "(-3") set as a true minus
/// sign, like every number this module formats itself.
fn true_minus(text: &str) -> String {
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
fn split_middle(text: &str) -> Option<(String, String)> {
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

fn render_target_grid<DB: DrawingBackend>(c: &Canvas<'_, DB>, chart: &TargetGrid) -> Res {
    let top = draw_header(c, &chart.title, &chart.subtitle)?;
    let (w, h) = (f64::from(WIDTH), f64::from(HEIGHT));
    let full_w = w - 2.0 * MARGIN;
    let entries = [
        Entry {
            key: Key::Cell {
                status: Some(Status::Met),
            },
            text: "达成 met".to_string(),
        },
        Entry {
            key: Key::Cell {
                status: Some(Status::Missed),
            },
            text: "未达 missed".to_string(),
        },
        Entry {
            key: Key::Cell {
                status: Some(Status::Uncertain),
            },
            text: "不确定 uncertain".to_string(),
        },
        Entry {
            key: Key::Cell { status: None },
            text: "未建模 not modelled".to_string(),
        },
    ];
    let layout = legend_layout(c, &entries, full_w)?;
    let table_top = top + layout.height() + 8.0;
    let (nt, ns) = (chart.targets.len(), chart.scenarios.len());
    if nt == 0 || ns == 0 {
        draw_legend(c, &entries, &layout, w - MARGIN - layout.width, top)?;
        return c.text(
            "无数据 no data",
            w / 2.0,
            (table_top + h) / 2.0,
            AXIS_LABEL,
            Align::Center,
        );
    }
    let cell = |t: usize, s: usize| {
        chart
            .cells
            .get(t)
            .and_then(|row| row.get(s))
            .cloned()
            .flatten()
    };

    // Geometry: label column as wide as the longest label (within limits), scenario
    // columns sharing the rest up to a comfortable width.
    let head_h = 52.0;
    let foot_h = 44.0;
    let rh = ((h - 16.0 - table_top - head_h - foot_h) / nt as f64).min(46.0);
    let body = Font::new((rh * 0.48).clamp(8.0, 18.0), INK);
    let bold = Font::new(18.0, INK).bold();
    let foot_label = "达成数 targets met";
    let mut lab_w = c.text_width(foot_label, bold)?;
    for t in &chart.targets {
        lab_w = lab_w.max(c.text_width(t, body)?);
    }
    let lab_w = (lab_w + 20.0).clamp(140.0, 0.45 * full_w);
    let cw = ((full_w - lab_w) / ns as f64).min(260.0);
    let x_of = |s: usize| MARGIN + lab_w + s as f64 * cw;
    let table_right = x_of(ns);
    let body_top = table_top + head_h;
    let body_bottom = body_top + nt as f64 * rh;

    // Legend right-aligned with the table (not the page), so it sits next to the cells.
    let legend_x = (table_right - layout.width).max(MARGIN);
    draw_legend(c, &entries, &layout, legend_x, top)?;

    // Column headings, bottom-aligned; a bilingual name that would need a small font
    // goes on two lines.
    c.text(
        "目标 target",
        MARGIN + 6.0,
        body_top - 12.0,
        Font::new(17.0, MUTED),
        Align::Left,
    )?;
    for (s, name) in chart.scenarios.iter().enumerate() {
        let (x0, x1) = (x_of(s), x_of(s + 1));
        let room = cw - 10.0;
        let f = c.fit(name, bold, room, 10.0)?;
        match (f.size < 15.0).then(|| split_bilingual(name)).flatten() {
            Some((a, b)) => {
                for (k, part) in [a, b].iter().enumerate() {
                    let pf = c.fit(part, bold.sized(16.0), room, 10.0)?;
                    let part = ellipsize(c, part, pf, room)?;
                    let y = body_top - 32.0 + 20.0 * k as f64;
                    c.text(&part, (x0 + x1) / 2.0, y, pf, Align::Center)?;
                }
            }
            None => {
                let t = ellipsize(c, name, f, room)?;
                c.text(&t, (x0 + x1) / 2.0, body_top - 12.0, f, Align::Center)?;
            }
        }
    }
    c.line(
        &[(MARGIN, body_top - 2.0), (table_right, body_top - 2.0)],
        solid(AXIS),
        1.0,
    )?;

    // Cell text: one size for the whole grid, the largest at which every text fits on
    // one line but not under 85 % of the body size; a text that still does not fit goes
    // on two lines (split at the space nearest its middle) when the row is high enough,
    // and is shrunk, or as a last resort shortened with "…".
    let icon_r = (rh * 0.26).clamp(3.5, 10.0);
    let room = (cw - 4.0 - 2.0 * icon_r - 7.0 - 5.0 - 5.0).max(4.0);
    let mut cell_font = body;
    for t in 0..nt {
        for s in 0..ns {
            if let Some((_, text)) = cell(t, s) {
                let f = c.fit(&text, body, room, body.size * 0.85)?;
                if f.size < cell_font.size {
                    cell_font = f;
                }
            }
        }
    }
    let two_line_ok = rh >= 2.25 * cell_font.size.min(16.0);
    // (lines, font, width) of each cell's text.
    type CellText = (Vec<String>, Font, f64);
    let mut texts: Vec<Vec<Option<CellText>>> = Vec::with_capacity(nt);
    for t in 0..nt {
        let mut row = Vec::with_capacity(ns);
        for s in 0..ns {
            let Some((_, text)) = cell(t, s) else {
                row.push(None);
                continue;
            };
            let text = true_minus(&text);
            let one = c.text_width(&text, cell_font)? <= room;
            let (lines, f) = match (one, two_line_ok, split_middle(&text)) {
                (true, _, _) => (vec![text.clone()], cell_font),
                (false, true, Some((a, b))) => {
                    let f2 = cell_font.sized(cell_font.size.min(rh / 2.25));
                    let mut f = f2;
                    for part in [&a, &b] {
                        let pf = c.fit(part, f2, room, 9.0)?;
                        if pf.size < f.size {
                            f = pf;
                        }
                    }
                    (vec![a, b], f)
                }
                _ => (vec![text.clone()], c.fit(&text, cell_font, room, 9.0)?),
            };
            let mut width = 0.0f64;
            let mut shown = Vec::with_capacity(lines.len());
            for l in &lines {
                let l = ellipsize(c, l, f, room)?;
                width = width.max(c.text_width(&l, f)?);
                shown.push(l);
            }
            row.push(Some((shown, f, width)));
        }
        texts.push(row);
    }
    // Icon and text as one group, centred on the column's widest text, so that icons
    // line up down a column and texts start at the same x.
    let col_text_w: Vec<f64> = (0..ns)
        .map(|s| {
            texts
                .iter()
                .filter_map(|row| row[s].as_ref().map(|x| x.2))
                .fold(0.0, f64::max)
        })
        .collect();

    for (t, label) in chart.targets.iter().enumerate() {
        let (y0, y1) = (body_top + t as f64 * rh, body_top + (t + 1) as f64 * rh);
        let yc = (y0 + y1) / 2.0;
        if t % 2 == 1 {
            c.fill_rect(MARGIN, y0, MARGIN + lab_w, y1, solid(ZEBRA))?;
        }
        let lf = c.fit(label, body, lab_w - 14.0, 9.0)?;
        let l = ellipsize(c, label, lf, lab_w - 14.0)?;
        c.text(&l, MARGIN + 6.0, yc + 0.33 * lf.size, lf, Align::Left)?;
        for s in 0..ns {
            let (x0, x1) = (x_of(s) + 2.0, x_of(s + 1) - 2.0);
            let state = cell(t, s).map(|(m, _)| m);
            c.fill_rect(x0, y0 + 1.5, x1, y1 - 1.5, solid(cell_fill(state)))?;
            let (Some(met), Some((lines, f, _))) = (state, &texts[t][s]) else {
                c.text(
                    "—",
                    (x0 + x1) / 2.0,
                    yc + 0.33 * body.size,
                    body.bold(),
                    Align::Center,
                )?;
                continue;
            };
            let group = 2.0 * icon_r + 5.0 + col_text_w[s];
            let gx = ((x0 + x1) / 2.0 - group / 2.0).max(x0 + 7.0);
            draw_status_icon(c, (gx + icon_r, yc), icon_r, met)?;
            let tx = gx + 2.0 * icon_r + 5.0;
            let n_lines = lines.len() as f64;
            for (k, l) in lines.iter().enumerate() {
                let dy = (k as f64 - (n_lines - 1.0) / 2.0) * 1.12 * f.size;
                c.text(l, tx, yc + dy + 0.33 * f.size, *f, Align::Left)?;
            }
        }
    }

    // Totals: targets met out of those modelled, per scenario.
    c.line(
        &[
            (MARGIN, body_bottom + 3.0),
            (table_right, body_bottom + 3.0),
        ],
        solid(INK),
        1.2,
    )?;
    let fy = body_bottom + 3.0 + foot_h / 2.0 + 0.33 * bold.size;
    c.text(
        foot_label,
        MARGIN + 6.0,
        fy,
        c.fit(foot_label, bold, lab_w - 14.0, 10.0)?,
        Align::Left,
    )?;
    for s in 0..ns {
        let states: Vec<Status> = (0..nt).filter_map(|t| cell(t, s).map(|(m, _)| m)).collect();
        let met = states.iter().filter(|&&m| m == Status::Met).count();
        let text = if states.is_empty() {
            "—".to_string()
        } else {
            format!("{met} / {}", states.len())
        };
        let f = c.fit(&text, bold, cw - 8.0, 10.0)?;
        c.text(&text, (x_of(s) + x_of(s + 1)) / 2.0, fy, f, Align::Center)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------
// Sweep figures: fan charts and sensitivity-index bars
// ---------------------------------------------------------------------------------------

/// Fan colour (Tableau blue) and its band tints; targets in Tableau orange.
const FAN_COLOUR: RGBColor = PALETTE[0];
const FAN_OUTER: f64 = 0.22;
const FAN_INNER: f64 = 0.5;
const FAN_TARGET: RGBColor = PALETTE[1];

/// (columns, rows) of the fan-chart grid for `n` panels.
fn fan_grid(n: usize) -> (usize, usize) {
    match n {
        0 | 1 => (1, 1),
        2 => (2, 1),
        3 => (3, 1),
        4 => (2, 2),
        5 | 6 => (3, 2),
        _ => (3, 3),
    }
}

/// A run of consecutive drawable years of a fan panel: (year, [p5, p25, p50, p75, p95]).
type FanSegment = Vec<(f64, [f64; 5])>;

/// The drawable years of a panel (values divided by `div`), sorted by year and split
/// where a year has a non-finite (or absurd) quantile.
fn fan_segments(p: &FanPanel, div: f64) -> Vec<FanSegment> {
    let mut rows: Vec<(i32, [f64; 5])> = (0..p.years.len())
        .map(|i| {
            let q = |v: &Vec<f64>| v.get(i).map_or(f64::NAN, |x| x / div);
            (
                p.years[i],
                [q(&p.p5), q(&p.p25), q(&p.p50), q(&p.p75), q(&p.p95)],
            )
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    let mut segs: Vec<FanSegment> = vec![Vec::new()];
    for (year, q) in rows {
        if q.iter().all(|v| v.is_finite() && v.abs() <= 1e15) {
            if let Some(sg) = segs.last_mut() {
                sg.push((f64::from(year), q));
            }
        } else if segs.last().is_some_and(|sg| !sg.is_empty()) {
            segs.push(Vec::new());
        }
    }
    segs.retain(|sg| !sg.is_empty());
    segs
}

/// Legend entries of a fan chart: the bands, the median, then one per target label.
fn fan_entries(chart: &FanChart) -> Vec<(Option<RGBColor>, String)> {
    // (None = median line key, Some(swatch colour)); stars are added below.
    let mut out: Vec<(Option<RGBColor>, String)> = vec![
        (
            Some(tint(FAN_COLOUR, FAN_OUTER)),
            "5–95% 分位区间 percentile band".to_string(),
        ),
        (
            Some(tint(FAN_COLOUR, FAN_INNER)),
            "25–75% 分位区间 band".to_string(),
        ),
        (None, "中位数 median".to_string()),
    ];
    let mut seen: Vec<&str> = Vec::new();
    for t in chart.panels.iter().flat_map(|p| &p.targets) {
        if !seen.contains(&t.label.as_str()) {
            seen.push(t.label.as_str());
            out.push((Some(FAN_TARGET), t.label.clone()));
        }
    }
    out
}

/// Note after the legend of a fan chart with several panels.
const FAN_SCALE_NOTE: &str = "各图纵轴刻度不同 each panel has its own y scale";

fn render_fan_chart<DB: DrawingBackend>(c: &Canvas<'_, DB>, chart: &FanChart) -> Res {
    let top = draw_header(c, &chart.title, &chart.subtitle)?;
    let (w, h) = (f64::from(WIDTH), f64::from(HEIGHT));
    let full_w = w - 2.0 * MARGIN;
    let div = divisor(chart.y_divisor);

    // Legend: one flowing row (or more) under the header, outside every plot.
    let entries = fan_entries(chart);
    let n_bands = 3;
    let mut font = LEGEND;
    let mut placed: Vec<(f64, usize)> = Vec::new();
    let mut rows = 1;
    let mut note_at = (0.0, 0usize);
    for _ in 0..4 {
        placed.clear();
        let (mut x, mut row) = (0.0, 0usize);
        for e in &entries {
            let ew = KEY_W + KEY_GAP + c.text_width(&e.1, font)?;
            if x > 0.0 && x + ew > full_w {
                row += 1;
                x = 0.0;
            }
            placed.push((x, row));
            x += ew + COL_GAP;
        }
        if chart.panels.len() > 1 {
            let nw = c.text_width(FAN_SCALE_NOTE, font.sized(font.size - 2.0))?;
            if x > 0.0 && x + nw > full_w {
                row += 1;
                x = 0.0;
            }
            note_at = (x, row);
        }
        rows = row + 1;
        if rows <= 2 || font.size <= 15.0 {
            break;
        }
        font = font.sized(font.size - 2.0);
    }
    let row_h = font.size * 1.35;
    for (k, (e, &(ex, row))) in entries.iter().zip(&placed).enumerate() {
        let x = MARGIN + ex;
        let yc = top + row_h * (row as f64 + 0.5);
        match e.0 {
            None => c.line(
                &[(x + 2.0, yc), (x + KEY_W - 2.0, yc)],
                solid(FAN_COLOUR),
                3.0,
            )?,
            Some(col) if k >= n_bands => draw_star(c, (x + KEY_W / 2.0, yc), 9.0, col)?,
            Some(col) => c.fill_rect(x + 2.0, yc - 9.0, x + KEY_W - 2.0, yc + 9.0, solid(col))?,
        }
        c.text(
            &e.1,
            x + KEY_W + KEY_GAP,
            yc + 0.3 * font.size,
            font,
            Align::Left,
        )?;
    }

    if chart.panels.len() > 1 {
        let nf = Font::new(font.size - 2.0, MUTED);
        let yc = top + row_h * (note_at.1 as f64 + 0.5);
        c.text(
            FAN_SCALE_NOTE,
            MARGIN + note_at.0,
            yc + 0.3 * nf.size,
            nf,
            Align::Left,
        )?;
    }
    let grid_top = top + row_h * rows as f64 + 8.0;
    let x_label_h = if chart.x_label.trim().is_empty() {
        8.0
    } else {
        34.0
    };
    let grid_bottom = h - x_label_h - 6.0;
    let y_label_w = if chart.y_label.trim().is_empty() {
        0.0
    } else {
        30.0
    };
    let grid_left = MARGIN + y_label_w;
    let grid_right = w - MARGIN;
    if !chart.y_label.trim().is_empty() {
        let f = c.fit(&chart.y_label, AXIS_LABEL, grid_bottom - grid_top, 14.0)?;
        c.text_up(
            &chart.y_label,
            MARGIN + f.size * 0.8,
            (grid_top + grid_bottom) / 2.0,
            f,
        )?;
    }
    if !chart.x_label.trim().is_empty() {
        let f = c.fit(&chart.x_label, AXIS_LABEL, grid_right - grid_left, 14.0)?;
        c.text(
            &chart.x_label,
            (grid_left + grid_right) / 2.0,
            h - 14.0,
            f,
            Align::Center,
        )?;
    }
    if chart.panels.is_empty() {
        return c.text(
            "无数据 no data",
            w / 2.0,
            (grid_top + grid_bottom) / 2.0,
            AXIS_LABEL,
            Align::Center,
        );
    }
    let (ncols, nrows) = fan_grid(chart.panels.len());
    let (gx, gy) = (34.0, 12.0);
    let cw = (grid_right - grid_left + gx) / ncols as f64 - gx;
    let ch = (grid_bottom - grid_top + gy) / nrows as f64 - gy;
    for (i, p) in chart.panels.iter().enumerate() {
        let (col, row) = (i % ncols, i / ncols);
        let area = Rect {
            x0: grid_left + col as f64 * (cw + gx),
            y0: grid_top + row as f64 * (ch + gy),
            x1: grid_left + col as f64 * (cw + gx) + cw,
            y1: grid_top + row as f64 * (ch + gy) + ch,
        };
        draw_fan_panel(c, p, area, div)?;
    }
    Ok(())
}

fn draw_fan_panel<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    p: &FanPanel,
    area: Rect,
    div: f64,
) -> Res {
    let title_font = c.fit(
        &p.title,
        Font::new(21.0, INK).bold(),
        area.x1 - area.x0,
        13.0,
    )?;
    c.text(&p.title, area.x0, area.y0 + 21.0, title_font, Align::Left)?;
    let plot_top = area.y0 + 32.0;
    let plot_bottom = (area.y1 - 28.0).max(plot_top + 30.0);

    let segs = fan_segments(p, div);
    let stars: Vec<(f64, f64, &TargetMarker)> = p
        .targets
        .iter()
        .map(|t| (f64::from(t.year), t.value / div, t))
        .filter(|(_, v, _)| v.is_finite() && v.abs() <= 1e15)
        .collect();
    let mut xs: Vec<f64> = Vec::new();
    let mut ys: Vec<f64> = Vec::new();
    for &(x, q) in segs.iter().flatten() {
        xs.push(x);
        ys.extend_from_slice(&q);
    }
    for &(x, v, _) in &stars {
        xs.push(x);
        ys.push(v);
    }
    if xs.is_empty() {
        c.stroke_rect(
            area.x0 + 40.0,
            plot_top,
            area.x1 - 6.0,
            plot_bottom,
            solid(AXIS),
            1.0,
        )?;
        return c.text(
            "无有效数据 no valid data",
            (area.x0 + area.x1) / 2.0,
            (plot_top + plot_bottom) / 2.0,
            TICK,
            Align::Center,
        );
    }
    let fold = |v: &[f64]| {
        v.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            })
    };
    let (ymin, ymax) = fold(&ys);
    let mut ax = YAxis::linear(
        ymin,
        ymax,
        false,
        ((plot_bottom - plot_top) / 45.0).clamp(2.0, 6.0),
    );
    ax.p_lo = plot_bottom;
    ax.p_hi = plot_top;
    let labels: Vec<String> = ax.ticks.iter().map(|&t| ax.label(t)).collect();
    let mut tick_w = 0.0f64;
    for l in &labels {
        tick_w = tick_w.max(c.text_width(l, TICK)?);
    }
    let plot_left = area.x0 + tick_w + 10.0;
    let plot_right = area.x1 - 6.0;
    let (xmin, xmax) = fold(&xs);
    let (xlo, xhi, years) = year_axis(c, plot_right - plot_left, xmin, xmax, 1.6)?;
    let mx = |x: f64| plot_left + (x - xlo) / (xhi - xlo) * (plot_right - plot_left);

    for &t in &ax.ticks {
        let py = ax.map(t);
        c.line(&[(plot_left, py), (plot_right, py)], solid(GRID), 1.0)?;
    }
    for &yv in &years {
        let px = mx(yv as f64);
        c.line(&[(px, plot_top), (px, plot_bottom)], solid(GRID), 1.0)?;
    }

    // Bands (outer, then inner), then the median on top.
    for (lo, hi, a) in [(0usize, 4usize, FAN_OUTER), (1, 3, FAN_INNER)] {
        let col = solid(tint(FAN_COLOUR, a));
        for sg in &segs {
            if sg.len() == 1 {
                let (x, q) = sg[0];
                c.line(&[(mx(x), ax.map(q[lo])), (mx(x), ax.map(q[hi]))], col, 8.0)?;
                continue;
            }
            let mut poly: Vec<(f64, f64)> =
                sg.iter().map(|&(x, q)| (mx(x), ax.map(q[hi]))).collect();
            poly.extend(sg.iter().rev().map(|&(x, q)| (mx(x), ax.map(q[lo]))));
            c.polygon(&poly, col)?;
        }
    }
    for sg in &segs {
        let pts: Vec<(f64, f64)> = sg.iter().map(|&(x, q)| (mx(x), ax.map(q[2]))).collect();
        c.line(&pts, solid(FAN_COLOUR), 2.5)?;
        if pts.len() == 1 {
            c.circle(pts[0], 3.5, Some(solid(FAN_COLOUR)), None)?;
        }
    }
    c.stroke_rect(
        plot_left,
        plot_top,
        plot_right,
        plot_bottom,
        solid(AXIS),
        1.0,
    )?;

    // Target stars, each with its value (in display units) beside it.
    let vfont = Font::new(14.0, INK);
    for &(x, v, _) in &stars {
        let (px, py) = (mx(x), ax.map(v));
        draw_star(c, (px, py), 9.0, FAN_TARGET)?;
        let t = fmt_compact(v);
        let tw = c.text_width(&t, vfont)?;
        let (tx, align) = if px + 13.0 + tw <= plot_right - 2.0 {
            (px + 13.0, Align::Left)
        } else {
            (px - 13.0, Align::Right)
        };
        let ty = (py + 0.33 * vfont.size).clamp(plot_top + vfont.size, plot_bottom - 3.0);
        // A white outline keeps the number legible over the bands.
        let halo = Font::new(vfont.size, WHITE);
        for (dx, dy) in [(-1.5, 0.0), (1.5, 0.0), (0.0, -1.5), (0.0, 1.5)] {
            c.text(&t, tx + dx, ty + dy, halo, align)?;
        }
        c.text(&t, tx, ty, vfont, align)?;
    }

    for (t, l) in ax.ticks.iter().zip(&labels) {
        let py = ax.map(*t);
        c.line(&[(plot_left - 4.0, py), (plot_left, py)], solid(AXIS), 1.0)?;
        c.text(
            l,
            plot_left - 7.0,
            py + 0.33 * TICK.size,
            TICK,
            Align::Right,
        )?;
    }
    for &yv in &years {
        let px = mx(yv as f64);
        c.line(
            &[(px, plot_bottom), (px, plot_bottom + 4.0)],
            solid(AXIS),
            1.0,
        )?;
        c.text(&yv.to_string(), px, plot_bottom + 22.0, TICK, Align::Center)?;
    }
    Ok(())
}

/// Order of the groups of an [`IndexBars`]: by the first series' value, largest first;
/// non-finite values last; ties keep the input order.
fn index_order(chart: &IndexBars) -> Vec<usize> {
    let key = |i: usize| {
        chart
            .series
            .first()
            .and_then(|s| s.values.get(i))
            .copied()
            .filter(|v| v.is_finite())
    };
    let mut order: Vec<usize> = (0..chart.parameters.len()).collect();
    order.sort_by(|&a, &b| match (key(a), key(b)) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    order
}

/// A finite, non-absurd value, else None.
fn sane(v: Option<&f64>) -> Option<f64> {
    v.copied().filter(|v| v.is_finite() && v.abs() <= 1e15)
}

fn render_index_bars<DB: DrawingBackend>(c: &Canvas<'_, DB>, chart: &IndexBars) -> Res {
    let top = draw_header(c, &chart.title, &chart.subtitle)?;
    let (w, h) = (f64::from(WIDTH), f64::from(HEIGHT));
    let full_w = w - 2.0 * MARGIN;
    let (ns, n) = (chart.series.len(), chart.parameters.len());
    let value = |s: usize, i: usize| sane(chart.series.get(s).and_then(|x| x.values.get(i)));
    let interval = |s: usize, i: usize| {
        let x = chart.series.get(s)?;
        let lo = sane(x.low.as_ref()?.get(i))?;
        let hi = sane(x.high.as_ref()?.get(i))?;
        Some((lo.min(hi), lo.max(hi)))
    };
    let any_interval = (0..ns).any(|s| (0..n).any(|i| interval(s, i).is_some()));

    // Domain: always includes zero and every value and interval end.
    let (mut vlo, mut vhi) = (0.0f64, 0.0f64);
    for s in 0..ns {
        for i in 0..n {
            for v in value(s, i)
                .into_iter()
                .chain(interval(s, i).into_iter().flat_map(|(a, b)| [a, b]))
            {
                vlo = vlo.min(v);
                vhi = vhi.max(v);
            }
        }
    }
    if vhi - vlo <= 0.0 {
        vhi = 1.0;
    }
    // Indices on a 0–1 scale need three decimals to tell 0.004 from 0.
    let dec = if vhi.max(-vlo) < 1.5 {
        3
    } else {
        value_decimals(vhi.max(-vlo))
    };

    // Legend (right) and sorting note (left) in one row under the header.
    let mut entries: Vec<(Option<RGBColor>, String)> = chart
        .series
        .iter()
        .enumerate()
        .map(|(s, x)| (Some(PALETTE[s % PALETTE.len()]), x.label.clone()))
        .collect();
    if any_interval {
        entries.push((None, "区间 interval".to_string()));
    }
    let mut legend_w = 0.0;
    let mut widths = Vec::with_capacity(entries.len());
    for e in &entries {
        let ew = KEY_W + KEY_GAP + c.text_width(&e.1, LEGEND)?;
        widths.push(ew);
        legend_w += ew + COL_GAP;
    }
    let legend_w = (legend_w - COL_GAP).max(0.0);
    let yc = top + 14.0;
    let mut x = w - MARGIN - legend_w;
    for (e, ew) in entries.iter().zip(&widths) {
        match e.0 {
            Some(col) => c.fill_rect(x + 6.0, yc - 9.0, x + KEY_W - 6.0, yc + 9.0, solid(col))?,
            None => {
                c.line(&[(x + 4.0, yc), (x + KEY_W - 4.0, yc)], solid(INK), 2.0)?;
                for xe in [x + 4.0, x + KEY_W - 4.0] {
                    c.line(&[(xe, yc - 7.0), (xe, yc + 7.0)], solid(INK), 2.0)?;
                }
            }
        }
        c.text(
            &e.1,
            x + KEY_W + KEY_GAP,
            yc + 0.3 * LEGEND.size,
            LEGEND,
            Align::Left,
        )?;
        x += ew + COL_GAP;
    }
    let note_font = Font::new(17.0, MUTED);
    if let Some(first) = chart.series.first().filter(|_| n > 1) {
        // The label's first word ("μ*" of "μ* 平均绝对效应 mean |effect|") names it.
        let name = first.label.split_whitespace().next().unwrap_or("");
        let note = format!("按 {name} 由大到小排序 sorted by {name}, largest first");
        let room = (full_w - legend_w - 40.0).max(50.0);
        let nf = c.fit(&note, note_font, room, 11.0)?;
        let note = ellipsize(c, &note, nf, room)?;
        c.text(&note, MARGIN, yc + 0.3 * nf.size, nf, Align::Left)?;
    }

    let plot_top = top + 40.0;
    let plot_bottom = h - 74.0;
    if n == 0 || ns == 0 {
        return c.text(
            "无数据 no data",
            w / 2.0,
            (plot_top + plot_bottom) / 2.0,
            AXIS_LABEL,
            Align::Center,
        );
    }
    let row_h = (plot_bottom - plot_top) / n as f64;
    let mut lab_font = Font::new((row_h * 0.45).clamp(10.0, 20.0), INK);
    let lab_max = full_w * 0.3;
    let mut lab_w = 0.0f64;
    for l in &chart.parameters {
        lab_w = lab_w.max(c.text_width(l, lab_font)?);
    }
    if lab_w > lab_max {
        lab_font = lab_font.sized((lab_font.size * lab_max / lab_w).max(10.0));
        lab_w = lab_max;
    }
    let px0 = MARGIN + lab_w + 14.0;
    let px1 = w - MARGIN;
    let plot_w = px1 - px0;

    let band = (row_h * if ns == 1 { 0.6 } else { 0.8 }).min(30.0 * ns as f64);
    let bt = band / ns as f64;
    let bar_gap = if bt >= 6.0 { 1.5 } else { 0.0 };
    let vfont = Font::new((bt * 0.9).clamp(10.0, 16.0), MUTED);
    let show = bt >= 9.0;
    let label_of = |v: Option<f64>| v.map_or("n/a".to_string(), |v| fmt_num(v, dec));
    // Room for the value labels beyond the bar tips (or interval ends).
    let (mut pad_l, mut pad_r) = (8.0f64, 8.0f64);
    if show {
        for s in 0..ns {
            for i in 0..n {
                let v = value(s, i);
                let tw = c.text_width(&label_of(v), vfont)? + 8.0;
                if v.is_some_and(|v| v < 0.0) {
                    pad_l = pad_l.max(tw);
                } else {
                    pad_r = pad_r.max(tw);
                }
            }
        }
    }
    let k = ((plot_w - pad_l - pad_r).max(10.0) / (vhi - vlo)).max(1e-12);
    let zx = px0 + pad_l - vlo * k;
    let xv = |v: f64| zx + v * k;
    let (dlo, dhi) = ((px0 - zx) / k, (px1 - zx) / k);
    let step = nice_step(vhi - vlo, (plot_w / 130.0).clamp(2.0, 10.0));
    let tick_dec = decimals_for(step, 6);
    let ticks: Vec<f64> = {
        let (a, b) = ((dlo / step).ceil() as i64, (dhi / step).floor() as i64);
        (a..=b.min(a + 60)).map(|i| i as f64 * step).collect()
    };

    let order = index_order(chart);
    for r in (1..n).step_by(2) {
        let y0 = plot_top + r as f64 * row_h;
        c.fill_rect(MARGIN, y0, px1, y0 + row_h, solid(ZEBRA))?;
    }
    for &t in &ticks {
        let x = xv(t);
        c.line(&[(x, plot_top), (x, plot_bottom)], solid(GRID), 1.0)?;
    }
    for (r, &i) in order.iter().enumerate() {
        let y0 = plot_top + r as f64 * row_h + (row_h - band) / 2.0;
        for s in 0..ns {
            let (b0, b1) = (y0 + s as f64 * bt, y0 + (s + 1) as f64 * bt - bar_gap);
            let ym = (b0 + b1) / 2.0;
            let v = value(s, i);
            if let Some(v) = v {
                let mut x = xv(v);
                if v != 0.0 && (x - zx).abs() < 1.0 {
                    x = zx + v.signum();
                }
                c.fill_rect(
                    zx.min(x),
                    b0,
                    zx.max(x),
                    b1,
                    solid(PALETTE[s % PALETTE.len()]),
                )?;
            }
            let iv = interval(s, i);
            if let Some((lo, hi)) = iv {
                let cap = ((b1 - b0) * 0.3).clamp(2.0, 7.0);
                c.line(&[(xv(lo), ym), (xv(hi), ym)], solid(INK), 1.6)?;
                for xe in [xv(lo), xv(hi)] {
                    c.line(&[(xe, ym - cap), (xe, ym + cap)], solid(INK), 1.6)?;
                }
            }
            if show {
                let t = label_of(v);
                let yb = ym + 0.33 * vfont.size;
                let vv = v.unwrap_or(0.0);
                if vv < 0.0 {
                    let left = iv.map_or(vv, |(lo, _)| lo.min(vv));
                    c.text(&t, xv(left) - 5.0, yb, vfont, Align::Right)?;
                } else {
                    let right = iv.map_or(vv, |(_, hi)| hi.max(vv));
                    c.text(&t, xv(right) + 5.0, yb, vfont, Align::Left)?;
                }
            }
        }
        let label_y = plot_top + (r as f64 + 0.5) * row_h + 0.33 * lab_font.size;
        let l = ellipsize(c, &chart.parameters[i], lab_font, lab_w)?;
        c.text(&l, px0 - 10.0, label_y, lab_font, Align::Right)?;
    }
    c.line(&[(zx, plot_top), (zx, plot_bottom)], solid(INK), 1.5)?;
    c.line(&[(px0, plot_bottom), (px1, plot_bottom)], solid(AXIS), 1.0)?;
    for &t in &ticks {
        let x = xv(t);
        c.line(
            &[(x, plot_bottom), (x, plot_bottom + 5.0)],
            solid(AXIS),
            1.0,
        )?;
        c.text(
            &fmt_num(t, tick_dec),
            x,
            plot_bottom + 24.0,
            TICK,
            Align::Center,
        )?;
    }
    let xf = c.fit(&chart.value_label, AXIS_LABEL, plot_w, 12.0)?;
    c.text(
        &chart.value_label,
        (px0 + px1) / 2.0,
        plot_bottom + 54.0,
        xf,
        Align::Center,
    )
}

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

    /// U+9F98 (dá, "dragons flying"), outside GB2312 and so outside the subset, and an
    /// emoji. Written as escapes: make_subset.sh adds every character of src/*.rs.
    const RARE: char = '\u{9F98}';
    const EMOJI: char = '\u{1F600}';

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
                    low: 1.5e6,
                    high: 1.8e6,
                    status: Status::Uncertain,
                },
                TargetBar {
                    label: "黔江 Qianjiang".into(),
                    target: 4.5e5,
                    projected: 3.9e5,
                    low: 3.5e5,
                    high: 4.2e5,
                    status: Status::Missed,
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
            colour_label: None,
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
    fn every_character_of_this_module_renders() {
        // Labels written here (legends, notes, axis names) must be in the subset;
        // RARE and EMOJI are deliberately absent (see `rare_glyphs_are_reported`).
        let missing: Vec<char> = missing_glyphs(include_str!("charts.rs"))
            .into_iter()
            .filter(|c| ![RARE, EMOJI].contains(c))
            .collect();
        assert!(missing.is_empty(), "not in the font subset: {missing:?}");
    }

    #[test]
    fn font_metrics_match_the_svg_em() {
        // make_subset.sh sets hhea ascender − descender to 1240 units (1.24 em), which
        // makes PNG text the same size as SVG text (plotters writes size / 1.24).
        let m = Metrics::get().expect("font metrics");
        assert_eq!(m.height, 1240.0);
        assert_eq!(m.glyph('中').0, 1000.0);
    }

    #[test]
    fn rare_glyphs_are_reported() {
        assert_eq!(missing_glyphs(&RARE.to_string()), vec![RARE]);
        let mixed = format!("a{RARE}b{RARE}{EMOJI}");
        assert_eq!(missing_glyphs(&mixed), vec![RARE, EMOJI]);
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
                low: f64::NAN,
                high: f64::NAN,
                status: Status::Missed,
            }],
            vec![TargetBar {
                label: "负 negative".into(),
                target: -10.0,
                projected: 0.0,
                low: -20.0,
                high: 5.0,
                status: Status::Met,
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
                colour_label: (k % 2 == 1).then(|| "差异 difference (%)".to_string()),
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
        assert_eq!(fmt_persons(1e7), "1000万人");
        assert_eq!(fmt_persons(5000.0), "5000人");
        assert_eq!(fmt_persons(15_000.0), "1.5万人");
        assert_eq!(decimals_for(2.5, 6), 1);
        let ax = YAxis::linear(45.0, 1700.0, false, 6.0);
        assert_eq!(ax.lo, 0.0);
        assert!(ax.hi >= 1700.0);
        let lg = YAxis::log(40.0, 1600.0);
        assert!(lg.ticks.contains(&100.0) && lg.ticks.contains(&1000.0));
    }

    const SCENARIOS: [&str; 8] = [
        "baseline",
        "plan",
        "dual_core",
        "polycentric",
        "hukou_open",
        "high_speed_rail",
        "low_growth",
        "eco_strict",
    ];

    /// Deterministic pseudo-differences in persons, about −50万 … +80万.
    fn pseudo_delta(s: usize, i: usize) -> f64 {
        let k = ((i * 37 + s * 11 + i * s * 5) % 29) as f64;
        (k - 9.0) * 2.8e4 + if i % 7 == 0 { 3.0e5 } else { 0.0 }
    }

    fn sample_difference(ns: usize) -> DifferenceBars {
        DifferenceBars {
            title: "2030 常住人口差异 Population 2030, difference from baseline".into(),
            subtitle: "test".into(),
            value_label: "Δ 2030 population, 万人 (vs baseline)".into(),
            divisor: 1e4,
            scenarios: SCENARIOS[1..=ns].iter().map(|s| s.to_string()).collect(),
            labels: UNIT_NAMES.iter().map(|n| format!("{n} Unit")).collect(),
            values: (0..ns)
                .map(|s| (0..UNIT_NAMES.len()).map(|i| pseudo_delta(s, i)).collect())
                .collect(),
        }
    }

    fn sample_grid(ns: usize) -> TargetGrid {
        let mut targets = Vec::new();
        for c in [
            "万州 Wanzhou",
            "黔江 Qianjiang",
            "绵阳 Mianyang",
            "南充 Nanchong",
        ] {
            targets.push(format!("{c} 2020 中心城区人口"));
            targets.push(format!("{c} 2020 城市建设用地"));
        }
        targets.push("区域 2014 常住人口 region population".into());
        targets.push("区域 2014 城镇密度 town density".into());
        let cells = (0..targets.len())
            .map(|t| {
                (0..ns)
                    .map(|s| {
                        (t + 1 < targets.len()).then(|| {
                            let gap = ((t * 13 + s * 7) % 40) as f64 - 20.0;
                            (
                                if gap >= 5.0 {
                                    Status::Met
                                } else if gap < -5.0 {
                                    Status::Missed
                                } else {
                                    Status::Uncertain
                                },
                                format!("{:.1}万 ({}%)", 150.0 + gap, fmt_signed(gap, 1)),
                            )
                        })
                    })
                    .collect()
            })
            .collect();
        TargetGrid {
            title: "规划目标达成 Plan targets met, by scenario".into(),
            subtitle: String::new(),
            scenarios: SCENARIOS[..ns].iter().map(|s| s.to_string()).collect(),
            targets,
            cells,
        }
    }

    #[test]
    fn difference_bars_write_svg_and_png() {
        let d = tmp("diff");
        draw_difference_bars(&sample_difference(2), &d, "diff").unwrap();
        assert_written(&d, "diff");
        draw_difference_bars(&sample_difference(7), &d, "diff7").unwrap();
        assert_written(&d, "diff7");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn target_grid_writes_svg_and_png() {
        let d = tmp("grid");
        draw_target_grid(&sample_grid(8), &d, "grid").unwrap();
        assert_written(&d, "grid");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn line_chart_with_eight_scenarios() {
        // One series per scenario in both panels: same colours left and right, and
        // short labels, so the lines are labelled at their ends.
        let mut chart = sample_line();
        for (k, panel) in chart.panels.iter_mut().enumerate() {
            panel.targets.clear();
            panel.series = SCENARIOS
                .iter()
                .enumerate()
                .map(|(s, name)| Series {
                    label: name.to_string(),
                    years: years(),
                    values: grow(9.2e7 / (k + 1) as f64, 0.002 * s as f64 - 0.004),
                    dashed: s == 0,
                })
                .collect();
        }
        let colours = series_colours(&chart.panels);
        assert_eq!(colours[0], colours[1]);
        assert_eq!(colours[0].len(), 8);
        for (i, a) in colours[0].iter().enumerate() {
            assert!(!colours[0][..i].contains(a), "colour {i} repeats");
        }
        let d = tmp("line8");
        draw_line_chart(&chart, &d, "line8").unwrap();
        assert_written(&d, "line8");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn difference_order_and_cut() {
        let chart = DifferenceBars {
            title: String::new(),
            subtitle: String::new(),
            value_label: String::new(),
            divisor: 1.0,
            scenarios: vec!["a".into(), "b".into()],
            labels: (0..6).map(|i| i.to_string()).collect(),
            values: vec![
                vec![-1.0, f64::NAN, 5.0, 0.0, -0.0, 5.0],
                vec![9.0, 9.0, 9.0, 9.0, 9.0, 9.0],
            ],
        };
        // Largest first, ties (5, 5 and 0, −0) in input order, NaN last.
        assert_eq!(difference_order(&chart), vec![2, 5, 3, 4, 0, 1]);
        let none = DifferenceBars {
            scenarios: vec![],
            values: vec![],
            ..chart.clone()
        };
        assert_eq!(difference_order(&none), vec![0, 1, 2, 3, 4, 5]);

        // No cut for ordinary spreads, a cut for a lone outlier, rounded up.
        let ordinary: Vec<f64> = (0..44).map(|i| f64::from(i) - 20.0).collect();
        assert_eq!(difference_clip(&ordinary), None);
        let mut outlier = ordinary.clone();
        outlier.push(-531.0);
        let cut = difference_clip(&outlier).expect("cut");
        assert!((23.0 * 1.15..100.0).contains(&cut), "{cut}");
        assert_eq!(difference_clip(&[1.0, 1000.0, f64::NAN]), None);
    }

    #[test]
    fn map_colour_scale_reads_small_differences() {
        // −3 … +5 %: one symmetric scale, ending on a tick beyond the bulk of the data.
        let g: Vec<f64> = (0..44).map(|i| -3.0 + 8.0 * f64::from(i) / 43.0).collect();
        let (neg, pos) = map_colour_scale(&g);
        assert_eq!(
            neg,
            ScaleSide {
                saturated: neg.saturated,
                ..pos
            }
        );
        assert!(pos.max >= 4.0 && pos.max <= 5.0, "{pos:?}");
        assert!(!neg.saturated);
        // Small losses beside large gains: each side gets its own range.
        let g: Vec<f64> = (0..44)
            .map(|i| {
                if i < 10 {
                    1.5 * f64::from(i)
                } else {
                    -2.4 * f64::from(i) / 43.0
                }
            })
            .collect();
        let (neg, pos) = map_colour_scale(&g);
        assert!(neg.max <= 3.0 && pos.max >= 10.0, "{neg:?} {pos:?}");
        // Tiny or missing values: at least ±0.5 %, never zero or NaN.
        for g in [vec![], vec![f64::NAN], vec![0.0, 0.01, -0.02]] {
            let (neg, pos) = map_colour_scale(&g);
            assert!(neg.max >= 0.5 && pos.max >= 0.5 && neg.ticks >= 1 && pos.ticks >= 1);
        }
    }

    #[test]
    fn comparison_inputs_are_checked_and_odd_data_do_not_panic() {
        let d = tmp("compare-odd");
        let bad_rows = DifferenceBars {
            values: vec![vec![1.0; 44]],
            ..sample_difference(2)
        };
        let bad_len = DifferenceBars {
            values: vec![vec![1.0; 44], vec![1.0; 43]],
            ..sample_difference(2)
        };
        for chart in [bad_rows, bad_len] {
            assert!(matches!(
                draw_difference_bars(&chart, &d, "bad"),
                Err(ChartError::InvalidInput(_))
            ));
        }
        let bad_grid = TargetGrid {
            cells: vec![],
            ..sample_grid(2)
        };
        let mut ragged = sample_grid(2);
        ragged.cells[3].pop();
        for chart in [bad_grid, ragged] {
            assert!(matches!(
                draw_target_grid(&chart, &d, "bad"),
                Err(ChartError::InvalidInput(_))
            ));
        }

        let long = "很长的标签 a very long label that cannot possibly fit anywhere ".repeat(4);
        let odd =
            |scenarios: Vec<String>, labels: Vec<String>, values: Vec<Vec<f64>>| DifferenceBars {
                title: String::new(),
                subtitle: String::new(),
                value_label: String::new(),
                divisor: f64::NAN,
                scenarios,
                labels,
                values,
            };
        let twelve: Vec<String> = (0..12).map(|k| format!("s{k}")).collect();
        let bars = [
            odd(vec![], vec![], vec![]),
            odd(vec!["a".into()], vec![], vec![vec![]]),
            odd(vec![], vec!["x".into()], vec![]),
            odd(vec![long.clone()], vec![long.clone()], vec![vec![0.0]]),
            odd(
                vec!["a".into(), "b".into()],
                vec!["x".into(), String::new(), "z".into()],
                vec![
                    vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY],
                    vec![1e300, -1e300, 0.0],
                ],
            ),
            odd(
                twelve.clone(),
                (0..100).map(|i| format!("标签 label {i}")).collect(),
                (0..12)
                    .map(|s| (0..100).map(|i| f64::from(i * s) - 300.0).collect())
                    .collect(),
            ),
            odd(
                vec!["a".into()],
                (0..20).map(|i| i.to_string()).collect(),
                vec![(0..20).map(|i| 1e-9 * f64::from(i)).collect()],
            ),
        ];
        for (k, chart) in bars.iter().enumerate() {
            draw_difference_bars(chart, &d, &format!("diff{k}")).unwrap();
        }
        let grid = |scenarios: Vec<String>, targets: Vec<String>, cells| TargetGrid {
            title: String::new(),
            subtitle: String::new(),
            scenarios,
            targets,
            cells,
        };
        let grids = [
            grid(vec![], vec![], vec![]),
            grid(vec!["a".into()], vec![], vec![]),
            grid(vec![], vec!["t".into()], vec![vec![]]),
            grid(
                vec![long.clone()],
                vec![long.clone()],
                vec![vec![Some((Status::Met, long.clone()))]],
            ),
            grid(
                twelve.clone(),
                (0..60).map(|i| format!("目标 target {i}")).collect(),
                (0..60)
                    .map(|t| {
                        (0..12)
                            .map(|s| match (t + s) % 3 {
                                0 => None,
                                1 => Some((Status::Met, String::new())),
                                _ => Some((Status::Missed, "−12.5% (123.4万人)".to_string())),
                            })
                            .collect()
                    })
                    .collect(),
            ),
        ];
        for (k, chart) in grids.iter().enumerate() {
            draw_target_grid(chart, &d, &format!("grid{k}")).unwrap();
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn comparison_output_is_deterministic() {
        let (a, b) = (tmp("cdet-a"), tmp("cdet-b"));
        for dir in [&a, &b] {
            draw_difference_bars(&sample_difference(2), dir, "d").unwrap();
            draw_target_grid(&sample_grid(3), dir, "g").unwrap();
        }
        for f in ["d.svg", "d.png", "g.svg", "g.png"] {
            let fa = std::fs::read(a.join(f)).unwrap();
            let fb = std::fs::read(b.join(f)).unwrap();
            assert!(fa == fb, "{f} differs between identical runs");
        }
        let _ = std::fs::remove_dir_all(&a);
        let _ = std::fs::remove_dir_all(&b);
    }

    #[test]
    fn comparison_helpers() {
        assert_eq!(fmt_signed(12.34, 1), "+12.3");
        assert_eq!(fmt_signed(-0.04, 1), "0.0");
        assert_eq!(fmt_signed(0.0, 0), "0");
        assert_eq!(fmt_signed(-3.0, 0), "−3");
        assert_eq!(value_decimals(80.0), 1);
        assert_eq!(value_decimals(531.0), 0);
        assert_eq!(
            split_middle("339.8万 (+126.5%)"),
            Some(("339.8万".into(), "(+126.5%)".into()))
        );
        assert_eq!(split_middle("nospace"), None);
        assert_eq!(true_minus("-24.5% (x-1, -3)"), "−24.5% (x-1, −3)");
        assert_eq!(true_minus("2020-2030 -"), "2020-2030 -");
        assert_eq!(tint(RGBColor(0, 0, 0), 0.0), RGBColor(255, 255, 255));
        assert_eq!(tint(BAR_MET, 1.0), BAR_MET);
    }

    fn sample_fan(n: usize) -> FanChart {
        let names = [
            ("成都 Chengdu", 15_402_974.0, 0.014),
            ("万州 Wanzhou", 1_589_485.0, 0.006),
            ("黔江 Qianjiang", 448_881.0, 0.005),
            ("绵阳 Mianyang", 4_332_332.0, 0.008),
            ("南充 Nanchong", 6_300_000.0, -0.002),
            ("乐山 Leshan", 3_200_000.0, 0.001),
            ("泸州 Luzhou", 4_250_000.0, 0.004),
            ("宜宾 Yibin", 4_470_000.0, 0.003),
            ("自贡 Zigong", 2_740_000.0, -0.001),
            ("达州 Dazhou", 5_480_000.0, 0.0),
        ];
        let panels = (0..n)
            .map(|k| {
                let (name, p0, r) = names[k % names.len()];
                let mid = grow(p0, r);
                let spread = |f: f64| -> Vec<f64> {
                    mid.iter()
                        .enumerate()
                        .map(|(i, v)| v * (1.0 + f * i as f64 / 16.0))
                        .collect()
                };
                FanPanel {
                    title: name.to_string(),
                    years: years(),
                    p5: spread(-0.12),
                    p25: spread(-0.05),
                    p50: mid.clone(),
                    p75: spread(0.05),
                    p95: spread(0.12),
                    targets: vec![TargetMarker {
                        label: "2020 中心城区人口目标 central-urban target".into(),
                        year: 2020,
                        value: p0 * 0.4,
                        series_label: None,
                    }],
                }
            })
            .collect();
        FanChart {
            title: "人口不确定性 Population uncertainty".into(),
            subtitle: "蒙特卡洛 Monte Carlo, 1,000 runs".into(),
            x_label: "年 year".into(),
            y_label: "常住人口 population (万人)".into(),
            y_divisor: 1e4,
            panels,
        }
    }

    #[test]
    fn fan_chart_writes_svg_and_png() {
        let d = tmp("fan");
        for n in [1, 4, 8, 9] {
            let stem = format!("fan{n}");
            draw_fan_chart(&sample_fan(n), &d, &stem).unwrap();
            assert_written(&d, &stem);
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn fan_chart_odd_data() {
        let d = tmp("fan-odd");
        let mut chart = sample_fan(4);
        // NaN years break the bands; an all-NaN panel says so; no panels at all is drawn.
        chart.panels[0].p50[3] = f64::NAN;
        chart.panels[1].p95[0] = f64::INFINITY;
        let p2 = &mut chart.panels[2];
        for q in [&mut p2.p5, &mut p2.p95] {
            q.iter_mut().for_each(|v| *v = f64::NAN);
        }
        chart.panels[2].targets.clear();
        chart.panels[3].targets[0].value = f64::NAN;
        chart.y_divisor = f64::NAN;
        draw_fan_chart(&chart, &d, "odd").unwrap();
        assert_written(&d, "odd");
        let empty = FanChart {
            panels: Vec::new(),
            ..sample_fan(0)
        };
        draw_fan_chart(&empty, &d, "empty").unwrap();
        let mut single = sample_fan(1);
        let p = &mut single.panels[0];
        for q in [&mut p.p5, &mut p.p25, &mut p.p50, &mut p.p75, &mut p.p95] {
            q.truncate(1);
        }
        p.years.truncate(1);
        draw_fan_chart(&single, &d, "single").unwrap();
        // Bad shapes are errors, not panics.
        assert!(matches!(
            draw_fan_chart(&sample_fan(10), &d, "ten"),
            Err(ChartError::InvalidInput(_))
        ));
        let mut short = sample_fan(2);
        short.panels[1].p25.pop();
        assert!(matches!(
            draw_fan_chart(&short, &d, "short"),
            Err(ChartError::InvalidInput(_))
        ));
        let _ = std::fs::remove_dir_all(&d);
    }

    fn sample_index() -> IndexBars {
        let parameters: Vec<String> = [
            "epsilon",
            "beta_per_hour",
            "lambda",
            "gamma",
            "chi",
            "trend_decay",
            "migrant_stay_years",
            "hukou_wedge",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let s1 = vec![0.05, 0.41, 0.002, -0.01, 0.18, 0.0, 0.22, 0.07];
        let st = vec![0.08, 0.45, 0.01, 0.004, 0.2, 0.001, 0.3, 0.1];
        let conf = |v: &Vec<f64>, f: f64| -> (Vec<f64>, Vec<f64>) {
            (
                v.iter().map(|x| x - f).collect(),
                v.iter().map(|x| x + f).collect(),
            )
        };
        let (l1, h1) = conf(&s1, 0.03);
        let (lt, ht) = conf(&st, 0.02);
        IndexBars {
            title: "Sobol 指数 indices: population_chengdu_2030".into(),
            subtitle: "S1 一阶 first order · ST 总效应 total".into(),
            value_label: "方差占比 share of output variance".into(),
            parameters,
            series: vec![
                IndexSeries {
                    label: "S1".into(),
                    values: s1,
                    low: Some(l1),
                    high: Some(h1),
                },
                IndexSeries {
                    label: "ST".into(),
                    values: st,
                    low: Some(lt),
                    high: Some(ht),
                },
            ],
        }
    }

    #[test]
    fn index_bars_write_svg_and_png() {
        let d = tmp("index");
        let chart = sample_index();
        assert_eq!(index_order(&chart), vec![1, 6, 4, 7, 0, 2, 5, 3]);
        draw_index_bars(&chart, &d, "sobol").unwrap();
        assert_written(&d, "sobol");
        // Morris-style: two series without intervals, large values; one series alone.
        let mut morris = sample_index();
        for s in &mut morris.series {
            s.values.iter_mut().for_each(|v| *v = v.abs() * 3.2e6);
            s.low = None;
            s.high = None;
        }
        morris.series[1].label = "σ".into();
        morris.series[0].label = "μ*".into();
        draw_index_bars(&morris, &d, "morris").unwrap();
        morris.series.truncate(1);
        draw_index_bars(&morris, &d, "tornado").unwrap();
        assert_written(&d, "tornado");
        for t in [
            "μ*",
            "σ",
            "区间 interval",
            "按 μ* 由大到小排序 sorted by μ*, largest first",
        ] {
            assert!(missing_glyphs(t).is_empty(), "{t}");
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn index_bars_odd_data() {
        let d = tmp("index-odd");
        let mut chart = sample_index();
        chart.series[0].values[2] = f64::NAN;
        chart.series[1].values[0] = f64::INFINITY;
        if let Some(h) = chart.series[0].high.as_mut() {
            h[4] = f64::NAN;
        }
        draw_index_bars(&chart, &d, "nan").unwrap();
        assert_written(&d, "nan");
        // NaN sorts last.
        assert_eq!(index_order(&chart).last(), Some(&2));
        let empty = IndexBars {
            parameters: Vec::new(),
            series: Vec::new(),
            ..sample_index()
        };
        draw_index_bars(&empty, &d, "empty").unwrap();
        let mut zeros = sample_index();
        zeros
            .series
            .iter_mut()
            .for_each(|s| s.values.iter_mut().for_each(|v| *v = 0.0));
        zeros.series.iter_mut().for_each(|s| {
            s.low = None;
            s.high = None;
        });
        draw_index_bars(&zeros, &d, "zeros").unwrap();
        let mut bad = sample_index();
        bad.series[1].low = Some(vec![0.0]);
        assert!(matches!(
            draw_index_bars(&bad, &d, "bad"),
            Err(ChartError::InvalidInput(_))
        ));
        let _ = std::fs::remove_dir_all(&d);
    }
}
