//! The target grid: plan targets × scenarios, each cell met / missed / uncertain / within a
//! ceiling / not modelled with icon and short text, and a last row counting the targets met
//! (and the ceilings kept).

use std::path::Path;

use plotters::prelude::*;

use super::canvas::{
    draw_header, save, Align, Canvas, Figure, Font, Res, AXIS_LABEL, HEIGHT, MARGIN, WIDTH,
};
use super::colour::{solid, AXIS, INK, MUTED, ZEBRA};
use super::legend::{draw_legend, legend_layout, Entry, Key};
use super::status::{cell_fill, draw_status_icon, Status};
use super::text::{ellipsize, split_bilingual, split_middle, true_minus};
use super::ChartError;

/// Targets met or missed per scenario: a table with one row per target and one column
/// per scenario; each cell is coloured met / missed / uncertain / within a ceiling / not
/// modelled (with an icon, so colour is not the only cue) and carries a short text. A last
/// row counts the targets met (and ceilings kept) per scenario.
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
    /// The last row's counts: each group's label and the target rows it counts, e.g.
    /// `("人口达成 population met", [0, 2, …])`; the row then reads "1/7 · 4/7", each count
    /// being the group's cells met or within their ceiling. Empty: one count over all targets.
    pub foot_groups: Vec<(String, Vec<usize>)>,
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

impl Figure for TargetGrid {
    fn render<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> Result<(), ChartError> {
        render_target_grid(c, self)
    }
}

pub(super) fn render_target_grid<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    chart: &TargetGrid,
) -> Res {
    let top = draw_header(c, &chart.title, &chart.subtitle)?;
    let (w, h) = (f64::from(WIDTH), f64::from(HEIGHT));
    let full_w = w - 2.0 * MARGIN;
    let mut entries = vec![
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
    ];
    // "Within ceiling" and "not modelled" only where a cell is.
    if chart
        .cells
        .iter()
        .flatten()
        .any(|cell| matches!(cell, Some((Status::WithinCeiling, _))))
    {
        entries.push(Entry {
            key: Key::Cell {
                status: Some(Status::WithinCeiling),
            },
            text: "未超上限 within ceiling".to_string(),
        });
    }
    if chart.cells.iter().flatten().any(Option::is_none) {
        entries.push(Entry {
            key: Key::Cell { status: None },
            text: "未建模 not modelled".to_string(),
        });
    }
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
    let foot_label = if chart.foot_groups.is_empty() {
        "达成数 targets met".to_string()
    } else {
        let groups: Vec<&str> = chart.foot_groups.iter().map(|(l, _)| l.as_str()).collect();
        groups.join(" · ")
    };
    let foot_label = foot_label.as_str();
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

    // Totals: targets met (or ceilings kept) out of those modelled, per scenario.
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
    let all_rows: Vec<(String, Vec<usize>)> = vec![(String::new(), (0..nt).collect())];
    let groups = if chart.foot_groups.is_empty() {
        &all_rows
    } else {
        &chart.foot_groups
    };
    for s in 0..ns {
        let counts: Vec<String> = groups
            .iter()
            .map(|(_, rows)| {
                let states: Vec<Status> = rows
                    .iter()
                    .filter_map(|&t| cell(t, s).map(|(m, _)| m))
                    .collect();
                let met = states
                    .iter()
                    .filter(|&&m| matches!(m, Status::Met | Status::WithinCeiling))
                    .count();
                if states.is_empty() {
                    "—".to_string()
                } else if groups.len() == 1 {
                    format!("{met} / {}", states.len())
                } else {
                    format!("{met}/{}", states.len())
                }
            })
            .collect();
        let text = counts.join(" · ");
        let f = c.fit(&text, bold, cw - 8.0, 10.0)?;
        c.text(&text, (x_of(s) + x_of(s + 1)) / 2.0, fy, f, Align::Center)?;
    }
    Ok(())
}
