//! The fan chart: up to 3×3 panels of 5–95 % and 25–75 % quantile bands with the median
//! and target stars (Monte Carlo sweeps), one legend above the grid.

use std::path::Path;

use plotters::prelude::*;

use super::axes::{divisor, fmt_compact, x_tick, y_tick, year_axis, YAxis};
use super::canvas::{
    draw_header, draw_star, save, Align, Canvas, Figure, Font, Rect, Res, AXIS_LABEL, HEIGHT,
    LEGEND, MARGIN, TICK, WIDTH,
};
use super::colour::{solid, tint, AXIS, GRID, INK, MUTED, PALETTE};
use super::legend::{COL_GAP, KEY_GAP, KEY_W};
use super::line::TargetMarker;
use super::ChartError;

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
    /// What the bands are (and are not), one muted line under the legend, e.g. "parameter
    /// uncertainty only"; may be empty.
    pub note: String,
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

impl Figure for FanChart {
    fn render<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> Result<(), ChartError> {
        render_fan_chart(c, self)
    }
}

/// Fan colour (Tableau blue) and its band tints; targets in Tableau orange.
pub(super) const FAN_COLOUR: RGBColor = PALETTE[0];
pub(super) const FAN_OUTER: f64 = 0.22;
pub(super) const FAN_INNER: f64 = 0.5;
pub(super) const FAN_TARGET: RGBColor = PALETTE[1];

/// (columns, rows) of the fan-chart grid for `n` panels.
pub(super) fn fan_grid(n: usize) -> (usize, usize) {
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
pub(super) type FanSegment = Vec<(f64, [f64; 5])>;

/// The drawable years of a panel (values divided by `div`), sorted by year and split
/// where a year has a non-finite (or absurd) quantile.
pub(super) fn fan_segments(p: &FanPanel, div: f64) -> Vec<FanSegment> {
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
pub(super) fn fan_entries(chart: &FanChart) -> Vec<(Option<RGBColor>, String)> {
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
pub(super) const FAN_SCALE_NOTE: &str = "各图纵轴刻度不同 each panel has its own y scale";

pub(super) fn render_fan_chart<DB: DrawingBackend>(c: &Canvas<'_, DB>, chart: &FanChart) -> Res {
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
    let mut grid_top = top + row_h * rows as f64 + 8.0;
    if !chart.note.trim().is_empty() {
        let nf = c.fit(&chart.note, Font::new(17.0, INK), full_w, 11.0)?;
        c.text(&chart.note, MARGIN, grid_top + nf.size, nf, Align::Left)?;
        grid_top += nf.size * 1.5;
    }
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

pub(super) fn draw_fan_panel<DB: DrawingBackend>(
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
        let frame = Rect {
            x0: area.x0 + 40.0,
            y0: plot_top,
            x1: area.x1 - 6.0,
            y1: plot_bottom,
        };
        let centre = ((area.x0 + area.x1) / 2.0, (plot_top + plot_bottom) / 2.0);
        return c.no_valid_data(frame, centre, TICK);
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
        y_tick(c, plot_left, ax.map(*t), 4.0, 7.0, l)?;
    }
    for &yv in &years {
        x_tick(c, mx(yv as f64), plot_bottom, 4.0, 22.0, &yv.to_string())?;
    }
    Ok(())
}
