//! The target bar chart: for each plan target a grey target bar next to the projection,
//! coloured and marked met / missed / uncertain, or within a ceiling (colour, icon and word,
//! never colour alone).

use std::path::Path;

use plotters::prelude::*;

use super::axes::{divisor, fmt_compact, YAxis};
use super::canvas::{
    draw_header, save, Align, Canvas, Figure, Font, Res, AXIS_LABEL, HEIGHT, MARGIN, TICK, WIDTH,
};
use super::colour::{solid, AXIS, BAR_TARGET, GRID, INK, MUTED};
use super::legend::{draw_legend, legend_layout, Entry, Key};
use super::status::{
    draw_status_icon, status_colour, status_word, Status, BAR_MET, BAR_MISSED, BAR_UNCERTAIN,
    BAR_WITHIN_CEILING,
};
use super::text::split_bilingual;
use super::ChartError;

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

impl Figure for BarChart {
    fn render<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> Result<(), ChartError> {
        render_bar_chart(c, self)
    }
}

pub(super) fn render_bar_chart<DB: DrawingBackend>(c: &Canvas<'_, DB>, chart: &BarChart) -> Res {
    let top = draw_header(c, &chart.title, &chart.subtitle)?;
    let (w, h) = (f64::from(WIDTH), f64::from(HEIGHT));
    let div = divisor(chart.y_divisor);

    // Legend row under the header, right-aligned.
    let mut entries = vec![
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
    // Ceilings kept only where a bar is one, so a chart of population targets keeps its legend.
    if chart.bars.iter().any(|b| b.status == Status::WithinCeiling) {
        entries.push(Entry {
            key: Key::Swatch {
                color: BAR_WITHIN_CEILING,
            },
            text: "预测 projected — 未超上限 within ceiling".to_string(),
        });
    }
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
        // Status badge above the taller bar: icon + word + ratio ("missed 61% of target": the
        // projection as a share of the target, not the gap); in narrow groups the
        // ratio (or word) alone, and if even that does not fit, icon over text.
        let ratio = (vt.is_finite() && vp.is_finite() && vt > 0.0)
            .then(|| format!("{:.0}% of target", 100.0 * vp / vt));
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
