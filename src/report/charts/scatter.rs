//! Predicted against observed (or Morris σ against μ*): a log–log scatter with the 45° line
//! (a perfect forecast; σ = μ*),
//! optional ±k % guide lines, one colour per group (e.g. year), and every point labelled
//! where there is room (the map's label placement, leader lines included). A child module of
//! `charts`, so it draws with the same canvas, font handling, axes and label placement.

use std::path::Path;

use plotters::prelude::*;

use super::axes::{decimals_for, divisor, fmt_num, x_tick, y_tick, YAxis};
use super::canvas::{
    draw_header, save, Align, Canvas, Figure, Font, Rect, Res, AXIS_LABEL, HEIGHT, MARGIN, TICK,
    WIDTH,
};
use super::colour::{solid, AXIS, GRID, INK, MUTED, PALETTE};
use super::labels::{draw_labels, place_labels, Disc};
use super::ChartError;

/// One point: an observation (x) and its forecast (y), in base units.
#[derive(Debug, Clone)]
pub struct ScatterPoint {
    /// Text next to the point, e.g. "成都"; empty = no label.
    pub label: String,
    /// Observed value (base units).
    pub x: f64,
    /// Predicted value (base units).
    pub y: f64,
    /// Index into [`ScatterChart::groups`] (its colour and legend entry); out of range = grey.
    pub group: usize,
}

/// A log–log scatter of predicted against observed values.
///
/// Both axes share one range, so the 45° line runs corner to corner and a point's distance
/// from it reads the same on either axis. Points with a non-positive or non-finite
/// coordinate are skipped (and counted in a note). Labels are placed greedily, points
/// farthest from the 45° line first (the ones a reader asks about); those that find no room
/// are named in a note under the plot.
#[derive(Debug, Clone)]
pub struct ScatterChart {
    /// Figure title.
    pub title: String,
    /// Second header line; may be empty.
    pub subtitle: String,
    /// X-axis description including the display unit, e.g. "观测 observed (万人)".
    pub x_label: String,
    /// Y-axis description including the display unit.
    pub y_label: String,
    /// Values are divided by this for display; 0/NaN are treated as 1.
    pub divisor: f64,
    /// Legend text per group (e.g. "2020"), palette colours in order.
    pub groups: Vec<String>,
    pub points: Vec<ScatterPoint>,
    /// Draw dashed guide lines at ±this many percent from the 45° line (None = none).
    pub band_pct: Option<f64>,
    /// Legend text of the 45° line, e.g. "45° 线: 预测 = 观测 perfect forecast".
    pub diagonal_label: String,
    /// Why a point may not be drawn, said after the names of those that are not (e.g. "zero
    /// effect"); empty = "≤ 0 或无效 invalid".
    pub not_drawn_reason: String,
    /// A small table in the side panel under the legend (e.g. accuracy metrics per
    /// forecast): the first row is the header; the first column is left-aligned, the others
    /// right-aligned. Rows may have different lengths. Empty = none.
    pub table: Vec<Vec<String>>,
    /// Lines of text under the table (e.g. definitions).
    pub notes: Vec<String>,
}

/// Draws a scatter chart to `dir/<stem>.svg` and `.png`.
pub fn draw_scatter(chart: &ScatterChart, dir: &Path, stem: &str) -> Result<(), ChartError> {
    save(chart, dir, stem)
}

impl Figure for ScatterChart {
    fn render<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> Result<(), ChartError> {
        render_scatter(c, self)
    }
}

const POINT_R: f64 = 6.0;
const OTHER_GROUP: RGBColor = RGBColor(0x99, 0x99, 0x99);

fn group_colour(group: usize, groups: usize) -> RGBColor {
    if group < groups {
        PALETTE[group % PALETTE.len()]
    } else {
        OTHER_GROUP
    }
}

fn render_scatter<DB: DrawingBackend>(c: &Canvas<'_, DB>, chart: &ScatterChart) -> Res {
    let top = draw_header(c, &chart.title, &chart.subtitle)?;
    let (w, h) = (f64::from(WIDTH), f64::from(HEIGHT));
    let div = divisor(chart.divisor);
    let usable: Vec<(usize, f64, f64)> = chart
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| (i, p.x / div, p.y / div))
        .filter(|&(_, x, y)| x.is_finite() && y.is_finite() && x > 0.0 && y > 0.0)
        .collect();

    // A square plot on the left (equal scales), legend and notes on the right.
    let plot_top = top + 16.0;
    let plot_bottom = h - 96.0;
    let side = plot_bottom - plot_top;
    let ylab_x = MARGIN + AXIS_LABEL.size * 0.75;
    let small = Font::new(16.0, MUTED);

    if usable.is_empty() {
        let frame = Rect {
            x0: 150.0,
            y0: plot_top,
            x1: 150.0 + side,
            y1: plot_bottom,
        };
        let centre = (150.0 + side / 2.0, (plot_top + plot_bottom) / 2.0);
        return c.no_valid_data(frame, centre, AXIS_LABEL);
    }

    let (lo, hi) = usable
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &(_, x, y)| {
            (a.min(x).min(y), b.max(x).max(y))
        });
    let mut ay = YAxis::log(lo, hi);
    let labels: Vec<String> = ay.ticks.iter().map(|&t| ay.label(t)).collect();
    let mut tick_w = 0.0f64;
    for l in &labels {
        tick_w = tick_w.max(c.text_width(l, TICK)?);
    }
    let plot_left = ylab_x + AXIS_LABEL.size * 0.35 + 10.0 + tick_w + 8.0;
    let plot_right = plot_left + side;
    ay.p_lo = plot_bottom;
    ay.p_hi = plot_top;
    let mut ax = YAxis::log(lo, hi);
    ax.p_lo = plot_left;
    ax.p_hi = plot_right;
    let plot = Rect {
        x0: plot_left,
        y0: plot_top,
        x1: plot_right,
        y1: plot_bottom,
    };

    // Grid, frame, ticks.
    for (&t, l) in ay.ticks.iter().zip(&labels) {
        let (px, py) = (ax.map(t), ay.map(t));
        c.line(&[(plot.x0, py), (plot.x1, py)], solid(GRID), 1.0)?;
        c.line(&[(px, plot.y0), (px, plot.y1)], solid(GRID), 1.0)?;
        y_tick(c, plot.x0, py, 5.0, 9.0, l)?;
        x_tick(c, px, plot.y1, 5.0, 27.0, l)?;
    }
    c.stroke_rect(plot.x0, plot.y0, plot.x1, plot.y1, solid(AXIS), 1.0)?;
    let xf = c.fit(&chart.x_label, AXIS_LABEL, side, 13.0)?;
    c.text(
        &chart.x_label,
        (plot.x0 + plot.x1) / 2.0,
        plot.y1 + 58.0,
        xf,
        Align::Center,
    )?;
    let yf = c.fit(&chart.y_label, AXIS_LABEL, side, 13.0)?;
    c.text_up(&chart.y_label, ylab_x, (plot.y0 + plot.y1) / 2.0, yf)?;

    // The 45° line and the guide lines y = (1 ± k)·x, clipped to the square.
    let (vlo, vhi) = (ay.lo, ay.hi);
    let ray = |factor: f64| -> [(f64, f64); 2] {
        let x0 = vlo.max(vlo / factor);
        let x1 = vhi.min(vhi / factor);
        [
            (ax.map(x0), ay.map(x0 * factor)),
            (ax.map(x1), ay.map(x1 * factor)),
        ]
    };
    let band = chart
        .band_pct
        .filter(|b| b.is_finite() && *b > 0.0 && *b < 100.0);
    if let Some(b) = band {
        for factor in [1.0 + b / 100.0, 1.0 - b / 100.0] {
            c.dashed(&ray(factor), solid(MUTED), 1.3, 7.0, 5.0)?;
        }
    }
    c.line(&ray(1.0), solid(INK), 1.6)?;

    // Points, farthest from the 45° line first in labelling priority; drawn in input order.
    let discs: Vec<Disc> = usable
        .iter()
        .map(|&(i, x, y)| Disc {
            unit: i,
            at: (ax.map(x), ay.map(y)),
            r: POINT_R,
        })
        .collect();
    for (d, &(i, _, _)) in discs.iter().zip(&usable) {
        let col = group_colour(chart.points[i].group, chart.groups.len());
        c.circle(
            d.at,
            d.r,
            Some(col.mix(0.9)),
            Some((solid(RGBColor(0x33, 0x33, 0x33)), 1.0)),
        )?;
    }
    let mut order: Vec<(f64, Disc)> = usable
        .iter()
        .zip(&discs)
        .map(|(&(_, x, y), d)| ((y / x).ln().abs(), *d))
        .collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.unit.cmp(&b.1.unit)));
    let to_label: Vec<Disc> = order.into_iter().map(|(_, d)| d).collect();
    let texts: Vec<String> = chart.points.iter().map(|p| p.label.clone()).collect();
    let label_font = Font::new(15.0, INK);
    let mut bounds = plot;
    bounds.x0 += 2.0;
    bounds.x1 -= 2.0;
    bounds.y0 += 2.0;
    bounds.y1 -= 2.0;
    let placed = place_labels(c, &texts, &to_label, &discs, bounds, label_font)?;
    draw_labels(c, &placed, label_font)?;

    // Side panel: legend, then notes.
    let lx = plot.x1 + 48.0;
    let lw = w - MARGIN - lx;
    let legend = Font::new(19.0, INK);
    let mut y = plot.y0 + 20.0;
    let key_line = |text: &str, y: f64, draw: &dyn Fn(f64, f64) -> Res| -> Res {
        draw(lx, y - 6.0)?;
        let f = c.fit(text, legend, lw - 52.0, 12.0)?;
        c.text(text, lx + 52.0, y, f, Align::Left)
    };
    let present: Vec<usize> = (0..chart.groups.len())
        .filter(|&g| usable.iter().any(|&(i, _, _)| chart.points[i].group == g))
        .collect();
    for &g in &present {
        let col = group_colour(g, chart.groups.len());
        key_line(&chart.groups[g], y, &|x, yc| {
            c.circle(
                (x + 22.0, yc),
                POINT_R,
                Some(col.mix(0.9)),
                Some((solid(RGBColor(0x33, 0x33, 0x33)), 1.0)),
            )
        })?;
        y += 30.0;
    }
    key_line(&chart.diagonal_label, y, &|x, yc| {
        c.line(&[(x + 2.0, yc), (x + 42.0, yc)], solid(INK), 1.6)
    })?;
    y += 30.0;
    if let Some(b) = band {
        let text = format!("±{}% 误差 error", fmt_num(b, decimals_for(b, 1)));
        key_line(&text, y, &|x, yc| {
            c.dashed(
                &[(x + 2.0, yc), (x + 42.0, yc)],
                solid(MUTED),
                1.3,
                7.0,
                5.0,
            )
        })?;
        y += 30.0;
    }
    y += 22.0;
    y = draw_table(c, &chart.table, lx, y, lw)?;
    let note_font = Font::new(16.0, MUTED);
    for note in &chart.notes {
        let f = c.fit(note, note_font, lw, 11.0)?;
        c.text(note, lx, y, f, Align::Left)?;
        y += 24.0;
    }

    // At the bottom of the side panel: what is not shown, every unlabelled point named
    // (wrapped over as many lines as the panel has room for).
    let mut lines: Vec<String> = Vec::new();
    if let Some(line) = not_drawn_line(chart) {
        lines.push(line);
    }
    let unlabelled: Vec<&str> = to_label
        .iter()
        .filter(|d| !chart.points[d.unit].label.trim().is_empty())
        .filter(|d| !placed.iter().any(|p| p.unit == d.unit))
        .map(|d| chart.points[d.unit].label.as_str())
        .collect();
    if !unlabelled.is_empty() {
        lines.push("未标注 unlabelled (拥挤 crowded):".to_string());
        let mut current = String::new();
        for name in unlabelled {
            let candidate = if current.is_empty() {
                name.to_string()
            } else {
                format!("{current}, {name}")
            };
            if !current.is_empty() && c.text_width(&candidate, small)? > lw {
                lines.push(std::mem::take(&mut current) + ",");
                current = name.to_string();
            } else {
                current = candidate;
            }
        }
        lines.push(current);
    }
    let line_h = 21.0;
    let room = (((plot.y1 - y) / line_h).floor() as usize).max(1);
    if lines.len() > room {
        lines.truncate(room);
        if let Some(last) = lines.last_mut() {
            last.push_str(" …");
        }
    }
    for (k, line) in lines.iter().enumerate() {
        let f = c.fit(line, small, lw, 11.0)?;
        let baseline = plot.y1 - line_h * (lines.len() - 1 - k) as f64;
        c.text(line, lx, baseline, f, Align::Left)?;
    }
    Ok(())
}

/// Whether a point can go on the log–log axes (after the display divisor).
fn drawable(p: &ScatterPoint, div: f64) -> bool {
    let (x, y) = (p.x / div, p.y / div);
    x.is_finite() && y.is_finite() && x > 0.0 && y > 0.0
}

/// The note on the points that are not drawn, naming them (those without a label counted), and
/// why; None when every point is drawn.
pub(super) fn not_drawn_line(chart: &ScatterChart) -> Option<String> {
    let div = divisor(chart.divisor);
    let skipped: Vec<&ScatterPoint> = chart.points.iter().filter(|p| !drawable(p, div)).collect();
    if skipped.is_empty() {
        return None;
    }
    let mut names: Vec<String> = skipped
        .iter()
        .map(|p| p.label.trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let unnamed = skipped.len() - names.len();
    if unnamed > 0 {
        names.push(format!("{unnamed} unlabelled"));
    }
    let reason = if chart.not_drawn_reason.trim().is_empty() {
        "≤ 0 或无效 invalid"
    } else {
        chart.not_drawn_reason.trim()
    };
    let n = skipped.len();
    let points = if n == 1 { "point" } else { "points" };
    Some(format!(
        "{n} 个点未绘制 {points} not drawn: {} ({reason})",
        names.join(", ")
    ))
}

/// Draws `rows` (the first is the header, bold, underlined) with the top-left baseline near
/// (x, y), shrinking the font until the table fits `width`; returns the y below the table.
fn draw_table<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    rows: &[Vec<String>],
    x: f64,
    y: f64,
    width: f64,
) -> Result<f64, ChartError> {
    const GAP: f64 = 18.0;
    if rows.is_empty() {
        return Ok(y);
    }
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut font = Font::new(18.0, INK);
    let widths = loop {
        let mut widths = vec![0.0f64; columns];
        for row in rows {
            for (k, cell) in row.iter().enumerate() {
                widths[k] = widths[k].max(c.text_width(cell, font)?);
            }
        }
        let total = widths.iter().sum::<f64>() + GAP * columns.saturating_sub(1) as f64;
        if total <= width || font.size <= 11.0 {
            break widths;
        }
        font = font.sized(font.size - 1.0);
    };
    let row_h = font.size * 1.45;
    let mut baseline = y;
    for (r, row) in rows.iter().enumerate() {
        let f = if r == 0 { font.bold() } else { font };
        let mut right = x;
        for (k, cell) in row.iter().enumerate() {
            if k == 0 {
                c.text(cell, x, baseline, f, Align::Left)?;
                right = x + widths[0];
            } else {
                right += GAP + widths[k];
                c.text(cell, right, baseline, f, Align::Right)?;
            }
        }
        if r == 0 {
            let total = widths.iter().sum::<f64>() + GAP * columns.saturating_sub(1) as f64;
            let rule = baseline + 0.4 * font.size;
            c.line(&[(x, rule), (x + total, rule)], solid(AXIS), 1.0)?;
            baseline += 0.3 * font.size;
        }
        baseline += row_h;
    }
    Ok(baseline + 8.0)
}

#[cfg(test)]
mod tests {
    use super::super::missing_glyphs;
    use super::*;
    use std::path::PathBuf;

    fn tmp(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("simulate-scatter-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn sample() -> ScatterChart {
        let names = [
            "成都", "绵阳", "万州", "黔江", "渝中", "德阳", "乐山", "宜宾",
        ];
        let points = names
            .iter()
            .enumerate()
            .flat_map(|(i, name)| {
                let observed = 4e5 * (1.0 + i as f64).powf(1.6);
                [0usize, 1].map(|g| ScatterPoint {
                    label: name.to_string(),
                    x: observed * (1.0 + 0.05 * g as f64),
                    y: observed * (1.0 + 0.04 * (i as f64 - 3.5) + 0.02 * g as f64),
                    group: g,
                })
            })
            .collect();
        ScatterChart {
            title: "预测与观测 Predicted vs observed".into(),
            subtitle: "test".into(),
            x_label: "观测 observed (万人)".into(),
            y_label: "预测 predicted (万人)".into(),
            divisor: 1e4,
            groups: vec!["2016".into(), "2020".into()],
            points,
            band_pct: Some(10.0),
            diagonal_label: "45° 线: 预测 = 观测 perfect forecast".into(),
            not_drawn_reason: String::new(),
            table: vec![
                vec!["".into(), "MAPE".into(), "偏差 bias".into()],
                vec!["模型 model".into(), "3.1%".into(), "+1.0%".into()],
                vec!["区域同速 naive regional".into(), "12.5%".into()],
            ],
            notes: vec!["偏差 bias = 平均 mean (预测−观测)/观测".into()],
        }
    }

    #[test]
    fn scatter_writes_svg_and_png_deterministically() {
        let (a, b) = (tmp("a"), tmp("b"));
        draw_scatter(&sample(), &a, "scatter").unwrap();
        draw_scatter(&sample(), &b, "scatter").unwrap();
        for ext in ["svg", "png"] {
            let name = format!("scatter.{ext}");
            let x = std::fs::read(a.join(&name)).unwrap();
            assert!(!x.is_empty());
            assert_eq!(x, std::fs::read(b.join(&name)).unwrap(), "{name}");
        }
        let _ = std::fs::remove_dir_all(&a);
        let _ = std::fs::remove_dir_all(&b);
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let d = tmp("odd");
        let mut chart = sample();
        chart.points.clear();
        draw_scatter(&chart, &d, "empty").unwrap();
        let mut chart = sample();
        chart.points[0].x = 0.0;
        chart.points[1].y = f64::NAN;
        chart.points[2].y = -3.0;
        chart.points[3].group = 99;
        chart.band_pct = Some(f64::INFINITY);
        chart.divisor = 0.0;
        draw_scatter(&chart, &d, "odd").unwrap();
        // One point; all points equal; a huge spread.
        let mut chart = sample();
        chart.points.truncate(1);
        draw_scatter(&chart, &d, "one").unwrap();
        let mut chart = sample();
        for p in &mut chart.points {
            (p.x, p.y) = (1e6, 1e6);
        }
        draw_scatter(&chart, &d, "equal").unwrap();
        let mut chart = sample();
        chart.points[0].y = 1e-3;
        chart.points[1].x = 1e15;
        draw_scatter(&chart, &d, "spread").unwrap();
        assert!(d.join("spread.png").exists());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn points_not_drawn_are_named_with_the_reason() {
        let mut chart = sample();
        assert_eq!(not_drawn_line(&chart), None);
        chart.points[0].x = 0.0;
        chart.points[3].y = f64::NAN;
        chart.points[5].label = String::new();
        chart.points[5].y = -1.0;
        assert_eq!(
            not_drawn_line(&chart).unwrap(),
            "3 个点未绘制 points not drawn: 成都, 绵阳, 1 unlabelled (≤ 0 或无效 invalid)"
        );
        let mut chart = sample();
        chart.points.truncate(2);
        chart.points[1].label = "κ kappa".into();
        chart.points[1].x = 0.0;
        chart.not_drawn_reason = "μ* = 0 no effect".into();
        assert_eq!(
            not_drawn_line(&chart).unwrap(),
            "1 个点未绘制 point not drawn: κ kappa (μ* = 0 no effect)"
        );
    }

    #[test]
    fn every_character_of_this_module_renders() {
        assert_eq!(
            missing_glyphs(include_str!("scatter.rs")),
            Vec::<char>::new()
        );
    }
}
