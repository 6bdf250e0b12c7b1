//! Sensitivity-index bars: Sobol S1/ST, Morris μ*/σ or tornado swings as horizontal grouped
//! bars per parameter, sorted, with optional error bars (`simulate sweep`).

use std::path::Path;

use plotters::prelude::*;

use super::axes::{decimals_for, fmt_num, nice_step, value_decimals, x_tick};
use super::canvas::{
    draw_header, save, Align, Canvas, Figure, Font, Res, AXIS_LABEL, HEIGHT, LEGEND, MARGIN, WIDTH,
};
use super::colour::{solid, AXIS, GRID, INK, MUTED, PALETTE, ZEBRA};
use super::legend::{COL_GAP, KEY_GAP, KEY_W};
use super::text::{ellipsize, wrap_words};
use super::ChartError;

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
/// sorted by the size (absolute value) of the series `sort_by`, largest first (non-finite last,
/// ties in input order). Bars start at zero; negative values go left.
#[derive(Debug, Clone)]
pub struct IndexBars {
    /// Figure title.
    pub title: String,
    /// Second header line; may be empty.
    pub subtitle: String,
    /// Value-axis description including the unit, e.g. "Sobol 指数 index (方差占比 share of variance)".
    pub value_label: String,
    /// Parameter names (group labels), e.g. "δ_D differential_decay"; never cut short (the
    /// font shrinks instead).
    pub parameters: Vec<String>,
    /// What each parameter means, a smaller muted line under its name, wrapped at words (and
    /// shortened at a word where the row has no room); empty = no descriptions.
    pub descriptions: Vec<String>,
    /// Series in legend order; each has one value per parameter.
    pub series: Vec<IndexSeries>,
    /// The series whose values order the groups (by size, largest first), e.g. ST of Sobol
    /// indices; out of range = the first.
    pub sort_by: usize,
    /// One muted line under the legend (e.g. how to read the intervals); may be empty.
    pub note: String,
    /// Draw the groups in the order given (no sorting, no sorting note), for groups with an
    /// order of their own (e.g. all units, then each kind of unit).
    pub keep_order: bool,
    /// Decimals of the value labels; `None` chooses from the values' size.
    pub decimals: Option<usize>,
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

impl Figure for IndexBars {
    fn render<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> Result<(), ChartError> {
        render_index_bars(c, self)
    }
}

/// The series that orders the groups: `sort_by`, or the first if that is out of range.
fn sort_series(chart: &IndexBars) -> Option<&IndexSeries> {
    chart
        .series
        .get(chart.sort_by)
        .or_else(|| chart.series.first())
}

/// Order of the groups of an [`IndexBars`]: by the `sort_by` series' value, largest first;
/// non-finite values last; ties keep the input order. With `keep_order`, the input order.
pub(super) fn index_order(chart: &IndexBars) -> Vec<usize> {
    if chart.keep_order {
        return (0..chart.parameters.len()).collect();
    }
    let key = |i: usize| {
        sort_series(chart)
            .and_then(|s| s.values.get(i))
            .copied()
            .filter(|v| v.is_finite())
            // Signed series (tornado: change from the base) sort by size; indices are ≥ 0.
            .map(f64::abs)
    };
    super::largest_first(chart.parameters.len(), key)
}

/// A finite, non-absurd value, else None.
pub(super) fn sane(v: Option<&f64>) -> Option<f64> {
    v.copied().filter(|v| v.is_finite() && v.abs() <= 1e15)
}

pub(super) fn render_index_bars<DB: DrawingBackend>(c: &Canvas<'_, DB>, chart: &IndexBars) -> Res {
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
    let dec = chart.decimals.unwrap_or(if vhi.max(-vlo) < 1.5 {
        3
    } else {
        value_decimals(vhi.max(-vlo))
    });

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
    if let Some(first) = sort_series(chart).filter(|_| n > 1 && !chart.keep_order) {
        // The label's first word ("μ*" of "μ* 平均绝对效应 mean |effect|") names it.
        let name = first.label.split_whitespace().next().unwrap_or("");
        let signed = first.values.iter().any(|v| *v < 0.0);
        let name = if signed {
            format!("|{name}|")
        } else {
            name.to_string()
        };
        let note = format!("按 {name} 由大到小排序 sorted by {name}, largest first");
        let room = (full_w - legend_w - 40.0).max(50.0);
        let nf = c.fit(&note, note_font, room, 11.0)?;
        let note = ellipsize(c, &note, nf, room)?;
        c.text(&note, MARGIN, yc + 0.3 * nf.size, nf, Align::Left)?;
    }

    let mut plot_top = top + 40.0;
    if !chart.note.trim().is_empty() {
        let nf = c.fit(&chart.note, note_font, full_w, 11.0)?;
        c.text(&chart.note, MARGIN, top + 44.0, nf, Align::Left)?;
        plot_top += 22.0;
    }
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
    let described = chart.descriptions.iter().any(|d| !d.trim().is_empty());
    let mut lab_font = Font::new(
        (row_h * if described { 0.4 } else { 0.45 }).clamp(10.0, 20.0),
        INK,
    );
    let lab_max = full_w * if described { 0.34 } else { 0.3 };
    let mut lab_w = 0.0f64;
    for l in &chart.parameters {
        lab_w = lab_w.max(c.text_width(l, lab_font)?);
    }
    if lab_w > lab_max {
        lab_font = lab_font.sized((lab_font.size * lab_max / lab_w).max(10.0));
    }
    if described {
        // Descriptions take the whole label column; names keep their own width.
        lab_w = lab_max;
    } else {
        lab_w = lab_w.min(lab_max);
    }
    // Description lines under the name: as many as the row holds (at most 2).
    let desc_font = Font::new((lab_font.size * 0.82).max(10.0), MUTED);
    let desc_lines = if described {
        (((row_h * 0.92 - lab_font.size * 1.2) / (desc_font.size * 1.2)).floor() as usize).min(2)
    } else {
        0
    };
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
        let name = &chart.parameters[i];
        let name_font = c.fit(name, lab_font, lab_w, 9.0)?;
        let description = chart.descriptions.get(i).map_or("", |d| d.trim());
        let lines = if desc_lines > 0 && !description.is_empty() {
            wrap_words(description, desc_lines, |t| {
                Ok::<_, ChartError>(c.text_width(t, desc_font)? <= lab_w)
            })?
        } else {
            Vec::new()
        };
        // The name and its description lines, centred on the row together.
        let block = name_font.size * 1.2 + lines.len() as f64 * desc_font.size * 1.2;
        let mut y = plot_top + (r as f64 + 0.5) * row_h - block / 2.0 + name_font.size * 0.95;
        c.text(name, px0 - 10.0, y, name_font, Align::Right)?;
        for line in &lines {
            y += desc_font.size * 1.2;
            let f = c.fit(line, desc_font, lab_w, 8.0)?;
            c.text(line, px0 - 10.0, y, f, Align::Right)?;
        }
    }
    c.line(&[(zx, plot_top), (zx, plot_bottom)], solid(INK), 1.5)?;
    c.line(&[(px0, plot_bottom), (px1, plot_bottom)], solid(AXIS), 1.0)?;
    for &t in &ticks {
        x_tick(c, xv(t), plot_bottom, 5.0, 24.0, &fmt_num(t, tick_dec))?;
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
