//! Legends: entries (line, star, swatch, grid-cell keys) laid out in rows and columns that
//! fit a given width, and drawn.

use plotters::prelude::*;

use super::canvas::{draw_error_bar, draw_star, Align, Canvas, Font, Res, LEGEND, TICK};
use super::colour::{solid, BAND_ALPHA};
use super::status::{cell_fill, draw_status_icon, Status};
use super::ChartError;

/// What a legend entry's key looks like.
pub(super) enum Key {
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
    /// A line on a translucent band (a line chart's shaded interval).
    Band {
        color: RGBColor,
    },
    /// A vertical low–high bar with caps.
    ErrorBar {
        color: RGBColor,
    },
    /// A miniature target-grid cell: met, missed, uncertain or (None) not modelled.
    Cell {
        status: Option<Status>,
    },
}

pub(super) struct Entry {
    pub(super) key: Key,
    pub(super) text: String,
}

pub(super) const KEY_W: f64 = 40.0;
pub(super) const KEY_GAP: f64 = 8.0;
pub(super) const COL_GAP: f64 = 28.0;

/// Positions of legend entries: series keys in an aligned grid (as many equal-width
/// columns as fit), then target keys in a grid of their own, then other keys
/// (swatches) flowing on the rows after them.
pub(super) struct LegendLayout {
    pub(super) font: Font,
    /// (x offset, row) per entry.
    pub(super) pos: Vec<(f64, usize)>,
    pub(super) row_h: f64,
    pub(super) rows: usize,
    /// Width actually used.
    pub(super) width: f64,
}

impl LegendLayout {
    pub(super) fn height(&self) -> f64 {
        self.row_h * self.rows as f64
    }
}

pub(super) fn legend_layout<DB: DrawingBackend>(
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

pub(super) fn draw_key<DB: DrawingBackend>(c: &Canvas<'_, DB>, key: &Key, x: f64, yc: f64) -> Res {
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
        Key::Band { color } => {
            c.fill_rect(
                x + 2.0,
                yc - 9.0,
                x + KEY_W - 2.0,
                yc + 9.0,
                color.mix(BAND_ALPHA),
            )?;
            c.line(&[(x + 2.0, yc), (x + KEY_W - 2.0, yc)], solid(*color), 3.0)
        }
        Key::ErrorBar { color } => draw_error_bar(c, x + KEY_W / 2.0, yc + 9.0, yc - 9.0, *color),
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
pub(super) fn draw_legend<DB: DrawingBackend>(
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
