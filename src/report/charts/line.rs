//! The line chart: one or two panels of yearly series with plan-target markers; with three
//! or more series and short labels the lines are labelled at their right-hand ends. A series
//! may carry a band (e.g. a prediction interval), shaded translucently in its colour under
//! every line, and low–high bars at single years (e.g. a projection's range at a target year).

use std::path::Path;

use plotters::prelude::*;

use super::axes::{divisor, x_tick, y_tick, year_axis, YAxis};
use super::canvas::{
    draw_error_bar, draw_header, draw_star, save, Align, Canvas, Figure, Font, Rect, Res,
    AXIS_LABEL, HEIGHT, MARGIN, PANEL_TITLE, TICK, WIDTH,
};
use super::colour::{solid, AXIS, BAND_ALPHA, GRID, INK, PALETTE, TARGET_GREY};
use super::legend::{draw_legend, legend_layout, Entry, Key};
use super::ChartError;

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
    /// A range around the line (e.g. its 80 % prediction interval), shaded in the series'
    /// colour under every line of the panel; `None`: no band.
    pub band: Option<Band>,
    /// Low–high bars at single years, in the series' colour (e.g. the range of a projection
    /// at a target year); a bar is set beside the panel's target stars of its year where it
    /// would pass under one, and bars that would overlap are set side by side.
    pub error_bars: Vec<ErrorBar>,
}

/// The bounds of a [`Series`]' band by year, in base units like its values and paired with
/// its `years` by position; a year whose bounds are not drawable (non-finite, or
/// non-positive on a log axis) breaks the band.
#[derive(Debug, Clone, Default)]
pub struct Band {
    pub low: Vec<f64>,
    pub high: Vec<f64>,
}

/// A vertical low–high bar at one year, in base units.
#[derive(Debug, Clone)]
pub struct ErrorBar {
    pub year: i32,
    pub low: f64,
    pub high: f64,
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
    /// Start a linear y axis at zero even where the data's minimum is over half its maximum
    /// (by default such an axis fits the data), e.g. so that panels side by side show equal
    /// relative gaps alike. Ignored with `log_y`.
    pub y_from_zero: bool,
    /// Logarithmic x axis, for x values that are counts rather than years (e.g. sample
    /// sizes 4, 8, …, 512): ticks at the x values present; points with x ≤ 0 are skipped.
    pub log_x: bool,
    /// Lines, drawn in order. Colours follow the order in which labels first appear
    /// across the figure's panels, so the same label has the same colour everywhere.
    pub series: Vec<Series>,
    /// Target markers.
    pub targets: Vec<TargetMarker>,
    /// Legend text for the series' bands (one entry, shown when a series has a band and the
    /// text is not empty), e.g. "80% 预测区间 80 % interval".
    pub band_label: String,
    /// Legend text for the series' error bars (one entry, shown when a series has one and
    /// the text is not empty).
    pub error_bar_label: String,
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

impl Figure for LineChart {
    fn render<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> Result<(), ChartError> {
        render_line_chart(c, self)
    }
}

pub(super) fn render_line_chart<DB: DrawingBackend>(c: &Canvas<'_, DB>, chart: &LineChart) -> Res {
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
        let entries = panel_entries(panel, cols, uses_end_labels(c, panel, pw)?);
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

/// A logarithmic x axis over positive `xs` (min `xmin`, max `xmax`): padded by 3 % of
/// the log range on each side, ticks at the distinct x values present (at most 12).
pub(super) fn log_x_axis(xs: &[f64], xmin: f64, xmax: f64) -> (f64, f64, Vec<i64>) {
    let pad = ((xmax / xmin).ln() * 0.03).max(0.05).exp();
    let mut ticks: Vec<i64> = xs.iter().map(|&x| x.round() as i64).collect();
    ticks.sort_unstable();
    ticks.dedup();
    let thin = ticks.len().div_ceil(12).max(1);
    let ticks = ticks.into_iter().step_by(thin).collect();
    (xmin / pad, xmax * pad, ticks)
}

/// A run of consecutive drawable points of one series.
pub(super) type Segment = Vec<(f64, f64)>;

/// Colour of a target marker: that of the series it names, else dark grey.
pub(super) fn target_colour(
    p: &Panel,
    colours: &[RGBColor],
    series_label: &Option<String>,
) -> RGBColor {
    series_label
        .as_ref()
        .and_then(|l| p.series.iter().position(|s| &s.label == l))
        .map_or(TARGET_GREY, |i| colours[i])
}

/// Series colours for every panel: a label keeps its colour across panels (Chengdu is
/// the same blue left and right); new labels take the next palette colour.
pub(super) fn series_colours(panels: &[Panel]) -> Vec<Vec<RGBColor>> {
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

/// Font of the labels at the right-hand ends of the lines.
const END_FONT: Font = Font::new(15.0, INK);

/// Whether a panel labels its lines at their right-hand ends: three or more drawable
/// series whose labels fit in 28 % of the panel's width `panel_w`. The legend then lists
/// no series (the labels already name the lines).
pub(super) fn uses_end_labels<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    p: &Panel,
    panel_w: f64,
) -> Result<bool, ChartError> {
    let div = divisor(p.y_divisor);
    let ok = |v: f64| v.is_finite() && (!p.log_y || v > 0.0);
    let (mut drawn, mut end_w) = (0, 0.0f64);
    for s in &p.series {
        if s.years
            .iter()
            .zip(&s.values)
            .any(|(&x, &v)| ok(v / div) && (!p.log_x || x > 0))
        {
            drawn += 1;
            end_w = end_w.max(c.text_width(&s.label, END_FONT)?);
        }
    }
    Ok(drawn >= 3 && end_w <= 0.28 * panel_w)
}

/// Legend entries of a panel: every series (none when the lines are labelled at their
/// ends), one for the bands and one for the error bars (when any series has them and the
/// panel names them; in the colour of the series when only one has them, grey otherwise),
/// then one entry per distinct target label (coloured like its markers when they
/// agree, grey when they differ) — or, with end labels and every target tied to a line,
/// a single entry saying that a star takes its line's colour.
pub(super) fn panel_entries(p: &Panel, colours: &[RGBColor], end_labels: bool) -> Vec<Entry> {
    let colour_of = |label: &Option<String>| target_colour(p, colours, label);
    let mut entries: Vec<Entry> = p
        .series
        .iter()
        .enumerate()
        .filter(|_| !end_labels)
        .map(|(i, s)| Entry {
            key: Key::Line {
                color: colours[i],
                dashed: s.dashed,
            },
            text: s.label.clone(),
        })
        .collect();
    // The colour of the only series with a band (or error bars), grey when several have one.
    let key_colour = |has: fn(&Series) -> bool| {
        let mut with = p.series.iter().zip(colours).filter(|(s, _)| has(s));
        match (with.next(), with.next()) {
            (Some((_, &c)), None) => c,
            _ => TARGET_GREY,
        }
    };
    let has_band: fn(&Series) -> bool = |s| s.band.is_some();
    let has_bars: fn(&Series) -> bool = |s| !s.error_bars.is_empty();
    if !p.band_label.trim().is_empty() && p.series.iter().any(has_band) {
        entries.push(Entry {
            key: Key::Band {
                color: key_colour(has_band),
            },
            text: p.band_label.clone(),
        });
    }
    if !p.error_bar_label.trim().is_empty() && p.series.iter().any(has_bars) {
        entries.push(Entry {
            key: Key::ErrorBar {
                color: key_colour(has_bars),
            },
            text: p.error_bar_label.clone(),
        });
    }
    let all_tied = p
        .targets
        .iter()
        .all(|t| colour_of(&t.series_label) != TARGET_GREY);
    if end_labels && all_tied && p.targets.len() > 1 {
        entries.push(Entry {
            key: Key::Star { color: TARGET_GREY },
            text: "目标 target（星色同线 star in its line's colour; close targets of one year step left）".to_string(),
        });
        return entries;
    }
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
pub(super) struct PanelFrame {
    pub(super) area: Rect,
    pub(super) title_h: f64,
    pub(super) legend_h: f64,
    /// Colour of each series, in order.
    pub(super) colours: Vec<RGBColor>,
}

/// Where a panel's end labels go.
pub(super) struct EndFrame {
    /// The x axis span (years).
    pub(super) x_span: f64,
    pub(super) plot_right: f64,
    pub(super) plot_top: f64,
    pub(super) plot_bottom: f64,
    pub(super) font: Font,
}

/// Labels each series that reaches the panel's last year at the right of the plot, at the
/// height of its last point, pushed apart where lines end close together; a short
/// leader in the series colour ties each label to its line.
pub(super) fn draw_end_labels<DB: DrawingBackend>(
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

/// A run of consecutive drawable years of a band: (year, low, high), values divided by the
/// panel's divisor.
pub(super) type BandSegment = Vec<(f64, f64, f64)>;

/// The drawable runs of a series' band (empty without one): years sorted, a year with a
/// bound that is not finite (or not positive on a log y axis), or a year ≤ 0 on a log x
/// axis, breaks it.
pub(super) fn band_segments(s: &Series, div: f64, log_y: bool, log_x: bool) -> Vec<BandSegment> {
    let Some(band) = &s.band else {
        return Vec::new();
    };
    let ok = |v: f64| v.is_finite() && (!log_y || v > 0.0);
    let mut rows: Vec<(i32, f64, f64)> = s
        .years
        .iter()
        .zip(band.low.iter().zip(&band.high))
        .map(|(&y, (&low, &high))| (y, low / div, high / div))
        .collect();
    rows.sort_by_key(|r| r.0);
    let mut segs: Vec<BandSegment> = vec![Vec::new()];
    for (year, low, high) in rows {
        if ok(low) && ok(high) && (!log_x || year > 0) {
            if let Some(sg) = segs.last_mut() {
                sg.push((f64::from(year), low.min(high), low.max(high)));
            }
        } else if segs.last().is_some_and(|sg| !sg.is_empty()) {
            segs.push(Vec::new());
        }
    }
    segs.retain(|sg| !sg.is_empty());
    segs
}

/// Pixel x of each error bar given as (x, top, bottom) in px, beside the target stars
/// (centre, radius) it would pass under: a bar goes at its x when no star at that x reaches
/// its height, else just clear of the largest such star, to the right (to the left when that
/// would pass `plot_right`); bars that would then overlap (within a few px, in x and height)
/// are set side by side, each taking the first free lane one step further out.
pub(super) fn place_bars(
    bars: &[(f64, f64, f64)],
    stars: &[((f64, f64), f64)],
    plot_right: f64,
) -> Vec<f64> {
    const STEP: f64 = 8.0;
    const MARGIN_PX: f64 = 4.0;
    let mut placed: Vec<f64> = Vec::with_capacity(bars.len());
    for (k, &(x, top, bottom)) in bars.iter().enumerate() {
        // Halo 2.5 px, cap half-width 5 px, 2.5 px of air.
        let clear = stars
            .iter()
            .filter(|&&((sx, sy), r)| {
                (sx - x).abs() < 0.5 && sy + r + 2.5 > top && sy - r - 2.5 < bottom
            })
            .map(|&(_, r)| r + 10.0)
            .fold(0.0, f64::max);
        let side = if x + clear + 3.0 * STEP > plot_right {
            -1.0
        } else {
            1.0
        };
        let at = |lane: usize| x + side * (clear + STEP * lane as f64);
        let free = |pos: f64| {
            !bars[..k]
                .iter()
                .zip(&placed)
                .any(|(&(_, top2, bottom2), &pos2)| {
                    (pos2 - pos).abs() < STEP - 0.5
                        && top < bottom2 + MARGIN_PX
                        && top2 < bottom + MARGIN_PX
                })
        };
        let lane = (0..bars.len()).find(|&l| free(at(l))).unwrap_or(bars.len());
        placed.push(at(lane));
    }
    placed
}

pub(super) fn draw_panel<DB: DrawingBackend>(
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
            if ok(v) && (!p.log_x || yr > 0) {
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
    // Bands and error bars widen the y range so that nothing is drawn outside the frame.
    let bands: Vec<Vec<BandSegment>> = p
        .series
        .iter()
        .map(|s| band_segments(s, div, p.log_y, p.log_x))
        .collect();
    for (x, low, high) in bands.iter().flatten().flatten() {
        xs.push(*x);
        ys.extend([*low, *high]);
    }
    // (series, year, low, high) of every drawable error bar.
    let mut bars: Vec<(usize, f64, f64, f64)> = Vec::new();
    for (i, s) in p.series.iter().enumerate() {
        for b in &s.error_bars {
            let (low, high) = (b.low / div, b.high / div);
            if ok(low) && ok(high) && (!p.log_x || b.year > 0) {
                bars.push((i, f64::from(b.year), low.min(high), low.max(high)));
                xs.push(f64::from(b.year));
                ys.extend([low, high]);
            }
        }
    }
    let colour_of = |label: &Option<String>| target_colour(p, &frame.colours, label);
    let mut stars: Vec<((f64, f64), RGBColor)> = Vec::new();
    for t in &p.targets {
        let v = t.value / div;
        if ok(v) && (!p.log_x || t.year > 0) {
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
    let end_labels = uses_end_labels(c, p, area.x1 - area.x0)?;
    let entries = panel_entries(p, &frame.colours, end_labels);
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
        let frame = Rect {
            x0: area.x0 + 60.0,
            y0: plot_top,
            x1: area.x1 - 10.0,
            y1: plot_bottom,
        };
        let centre = ((area.x0 + area.x1) / 2.0, (plot_top + plot_bottom) / 2.0);
        c.no_valid_data(frame, centre, AXIS_LABEL)?;
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
        let ymin = if p.y_from_zero { ymin.min(0.0) } else { ymin };
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
    let end_font = END_FONT;
    let mut end_w = 0.0f64;
    for (s, segs) in p.series.iter().zip(&seg_by_series) {
        if !segs.is_empty() {
            end_w = end_w.max(c.text_width(&s.label, end_font)?);
        }
    }
    let plot_right = area.x1 - if end_labels { end_w + 24.0 } else { 14.0 };

    // X axis: years, padded so markers at the ends are not cut by the frame.
    let (xmin, xmax) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let (xlo, xhi, years) = if p.log_x {
        log_x_axis(&xs, xmin, xmax)
    } else {
        year_axis(c, plot_right - plot_left, xmin, xmax, 1.7)?
    };
    let mx = |x: f64| {
        let t = if p.log_x {
            (x.ln() - xlo.ln()) / (xhi.ln() - xlo.ln())
        } else {
            (x - xlo) / (xhi - xlo)
        };
        plot_left + t * (plot_right - plot_left)
    };

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

    // Bands under every line, then series (input order; later series on top), error bars,
    // then target stars on top of everything.
    for (i, segs) in bands.iter().enumerate() {
        let col = frame.colours[i].mix(BAND_ALPHA);
        for seg in segs {
            if let [(x, low, high)] = seg[..] {
                c.line(&[(mx(x), ax.map(low)), (mx(x), ax.map(high))], col, 8.0)?;
                continue;
            }
            let mut poly: Vec<(f64, f64)> = seg
                .iter()
                .map(|&(x, _, high)| (mx(x), ax.map(high)))
                .collect();
            poly.extend(seg.iter().rev().map(|&(x, low, _)| (mx(x), ax.map(low))));
            c.polygon(&poly, col)?;
        }
    }
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
    // Stars stay at their value; the first at its year. Stars that would overlap (targets
    // within a star's height in the same year, e.g. three cities aiming at 150万 and one at
    // 140万) step left, one star width each, in their own colours: the error bars go to the
    // right of the year, so both stay readable.
    const STAR_RADIUS: f64 = 11.0;
    let mut at_year: Vec<(f64, f64)> = Vec::with_capacity(stars.len());
    let mut star_px: Vec<((f64, f64), f64)> = Vec::with_capacity(stars.len());
    for &((x, v), _) in &stars {
        let (px, py) = (mx(x), ax.map(v));
        let clash = at_year
            .iter()
            .filter(|&&(qx, qy)| (qy - py).abs() < 2.0 * STAR_RADIUS && (qx - px).abs() < 8.0)
            .count();
        at_year.push((px, py));
        let step = 2.0 * STAR_RADIUS + 2.0;
        star_px.push(((px - step * clash as f64, py), STAR_RADIUS));
    }
    // Error bars beside the stars of their year (under them they would be hidden).
    let bar_px: Vec<(f64, f64, f64)> = bars
        .iter()
        .map(|&(_, x, low, high)| (mx(x), ax.map(high), ax.map(low)))
        .collect();
    let bar_x = place_bars(&bar_px, &star_px, plot_right);
    for ((&(i, ..), &(_, top, bottom)), x) in bars.iter().zip(&bar_px).zip(bar_x) {
        draw_error_bar(c, x, bottom, top, frame.colours[i])?;
    }
    let mut order: Vec<usize> = (0..stars.len()).collect();
    order.sort_by(|&a, &b| star_px[b].1.total_cmp(&star_px[a].1).then(a.cmp(&b)));
    for i in order {
        draw_star(c, star_px[i].0, star_px[i].1, stars[i].1)?;
    }

    // Tick labels and axis descriptions.
    for (t, l) in ax.ticks.iter().zip(&labels) {
        y_tick(c, plot_left, ax.map(*t), 5.0, 9.0, l)?;
    }
    for &yv in &years {
        x_tick(c, mx(yv as f64), plot_bottom, 5.0, 27.0, &yv.to_string())?;
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
