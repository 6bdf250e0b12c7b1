//! Charts: pure data in, SVG + PNG files out. No model knowledge here.
//!
//! Eight kinds of figure are drawn, each written twice into a directory as
//! `<stem>.svg` and `<stem>.png` (1600×900 px):
//!
//! * [`draw_line_chart`]: one or two panels of yearly series with plan-target markers;
//!   with three or more series and short labels (e.g. one series per scenario), the
//!   lines are also labelled at their right-hand ends; a series may carry a translucent
//!   band in its colour (a prediction interval) and low–high bars at single years;
//! * [`draw_target_chart`]: grouped bars, target vs projected, met / missed / uncertain /
//!   within a ceiling marked;
//! * [`draw_map`]: proportional circles at lon/lat coloured by growth (or, with
//!   [`MapChart::colour_label`], by any signed percentage such as the difference from a
//!   reference scenario), with flow arrows;
//! * [`draw_difference_bars`]: signed values per label and scenario as horizontal bars
//!   around a zero line, sorted, in up to three columns for many labels;
//! * [`draw_target_grid`]: targets × scenarios, each cell met / missed / uncertain / within a
//!   ceiling / not modelled;
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
//! blue–grey–red diverging scale, symmetric around 0 % (equal colour, equal size), or
//! sequential from grey when every value shares one sign.
//!
//! Output is deterministic: no timestamps, no hash-map iteration, inputs are walked in
//! the order given (sorting, where done, is stable with index tie-breaks).
//!
//! Layout of the module: one file per kind of figure (`line`, `bars`, `map`, `difference`,
//! `grid`, `fan`, `indices`, `scatter`), each holding its public chart struct, its `draw_*`
//! function and its layout, over shared parts: `canvas` (the drawing surface, text styles,
//! saving SVG + PNG), `font` (the embedded font), `text` (label text helpers), `axes`
//! (ticks and number formatting), `legend`, `labels` (label placement around circles),
//! `colour` and `status` (met / missed / uncertain colours, icons and words).

mod axes;
mod bars;
mod canvas;
mod colour;
mod difference;
mod fan;
mod font;
mod grid;
mod indices;
mod labels;
mod legend;
mod line;
mod map;
mod scatter;
mod status;
#[cfg(test)]
mod tests;
mod text;

pub use bars::{draw_target_chart, BarChart, TargetBar};
pub use difference::{draw_difference_bars, DifferenceBars};
pub use fan::{draw_fan_chart, FanChart, FanPanel, FAN_MAX_PANELS};
pub(crate) use font::FONT_BYTES;
pub use font::{missing_glyphs, FONT_FAMILY};
pub use grid::{draw_target_grid, TargetGrid};
pub use indices::{draw_index_bars, IndexBars, IndexSeries};
pub use line::{draw_line_chart, Band, ErrorBar, LineChart, Panel, Series, TargetMarker};
pub use map::{draw_map, MapChart, MapFlow, MapUnit};
pub use scatter::{draw_scatter, ScatterChart, ScatterPoint};
pub use status::Status;

use std::path::PathBuf;

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

/// Indices `0..count` ordered by `key`, largest first; items without a key (non-finite values)
/// last; ties keep the input order (the sort is stable). Used by the sorted bar charts.
fn largest_first(count: usize, key: impl Fn(usize) -> Option<f64>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by(|&a, &b| match (key(a), key(b)) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    order
}
