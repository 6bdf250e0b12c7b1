//! Difference bars: signed values per label (e.g. unit) and scenario as horizontal bars
//! around a zero line, sorted, in up to three columns for many labels (`simulate compare`).

use std::path::Path;

use plotters::prelude::*;

use super::axes::{decimals_for, divisor, fmt_num, fmt_signed, nice_step, value_decimals, x_tick};
use super::canvas::{
    draw_header, save, Align, Canvas, Figure, Font, Res, AXIS_LABEL, HEIGHT, MARGIN, WIDTH,
};
use super::colour::{solid, AXIS, GRID, INK, MUTED, PALETTE, ZEBRA};
use super::legend::{draw_legend, legend_layout, Entry, Key};
use super::text::ellipsize;
use super::ChartError;

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
    /// (colour 0, blue, is left to the reference), so the colours match a [`LineChart`](super::line::LineChart)
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

impl Figure for DifferenceBars {
    fn render<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> Result<(), ChartError> {
        render_difference_bars(c, self)
    }
}

/// Order of the groups of a [`DifferenceBars`]: by the first scenario's value, largest
/// first; non-finite values last; ties keep the input order.
pub(super) fn difference_order(chart: &DifferenceBars) -> Vec<usize> {
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
    super::largest_first(chart.labels.len(), key)
}

/// Magnitude beyond which difference bars are drawn cut (with a `//` mark and their value
/// at the end), when a few values dwarf all others: the third-largest magnitude (or the
/// 98th percentile, if higher) plus 15 % and rounded up, if the largest is over three
/// times that.
pub(super) fn difference_clip(values: &[f64]) -> Option<f64> {
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
pub(super) fn difference_min_row(scenarios: usize) -> f64 {
    (8.0 + 5.0 * scenarios as f64).max(24.0)
}

pub(super) fn render_difference_bars<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    chart: &DifferenceBars,
) -> Res {
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

    // A scenario whose every bar is shorter than a pixel at this scale would look like
    // "no data" or be missed: say so, first (the other notes may be shortened).
    let invisible: Vec<String> = (0..ns)
        .filter_map(|s| {
            let m = (0..n)
                .map(|i| value(s, i))
                .filter(|v| v.is_finite())
                .fold(None, |m: Option<f64>, v| {
                    Some(m.unwrap_or(0.0).max(v.abs()))
                })?;
            (m * k < 1.0).then(|| {
                let d = if m > 0.0 {
                    (1.0 - m.log10().floor()).clamp(0.0, 6.0) as usize
                } else {
                    0
                };
                let m = fmt_num(m, d);
                format!(
                    "{}: |Δ| ≤ {m}，条形太短看不见 bars too short to see",
                    chart.scenarios[s]
                )
            })
        })
        .collect();
    notes.splice(0..0, invisible);

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
            x_tick(c, xv(t), plot_bottom, 5.0, 24.0, &fmt_signed(t, tick_dec))?;
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
