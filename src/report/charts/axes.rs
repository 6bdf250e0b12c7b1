//! Axes and numbers: the y axis (linear or log, nice ticks, compact labels), the year axis,
//! and the number formatting every chart shares (decimals, thousands, signs, persons).

use plotters::prelude::*;

use super::canvas::{Align, Canvas, TICK};
use super::colour::{solid, AXIS};
use super::ChartError;

pub(super) fn divisor(d: f64) -> f64 {
    if d.is_finite() && d != 0.0 {
        d
    } else {
        1.0
    }
}

/// Smallest number of decimals that shows `v` exactly (to 1e-9 relative), at most `max`.
pub(super) fn decimals_for(v: f64, max: usize) -> usize {
    let v = v.abs();
    (0..=max)
        .find(|&d| {
            let scaled = v * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() <= 1e-6 * scaled.max(1.0)
        })
        .unwrap_or(max)
}

/// Formats with `dec` decimals, thousands separators and a true minus sign.
pub(super) fn fmt_num(v: f64, dec: usize) -> String {
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
pub(super) fn fmt_compact(v: f64) -> String {
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
pub(super) fn nice_step(span: f64, target: f64) -> f64 {
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
pub(super) fn nice_ceil(v: f64) -> f64 {
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
pub(super) struct YAxis {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) log: bool,
    /// Pixel y of `lo` (bottom) and `hi` (top).
    pub(super) p_lo: f64,
    pub(super) p_hi: f64,
    pub(super) ticks: Vec<f64>,
    /// Decimals for linear tick labels (log labels choose per value).
    pub(super) dec: usize,
}

impl YAxis {
    /// Linear axis covering `[min, max]` with nice bounds; starts at 0 for non-negative
    /// data whose minimum is under half the maximum (so levels compare honestly), or
    /// always with `force_zero` (bars), in which case the caller adds any headroom.
    pub(super) fn linear(min: f64, max: f64, force_zero: bool, target_ticks: f64) -> YAxis {
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
    pub(super) fn log(min: f64, max: f64) -> YAxis {
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

    pub(super) fn map(&self, v: f64) -> f64 {
        let t = if self.log {
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        self.p_lo + t * (self.p_hi - self.p_lo)
    }

    pub(super) fn label(&self, v: f64) -> String {
        if self.log {
            fmt_num(v, decimals_for(v, 4))
        } else {
            fmt_num(v, self.dec)
        }
    }
}

/// The x range (padded so markers at the ends are not cut by the frame) and the year ticks of a
/// time axis `width` pixels wide: the smallest of 1, 2, 5, 10, … years whose labels stay at
/// least `min_gap` label widths apart.
pub(super) fn year_axis<DB: DrawingBackend>(
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

/// A tick of a y axis at height `py`: a mark `length` px to the left of the axis at `x`, and
/// its label right-aligned `gap` px left of the axis.
pub(super) fn y_tick<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    x: f64,
    py: f64,
    length: f64,
    gap: f64,
    label: &str,
) -> Result<(), ChartError> {
    c.line(&[(x - length, py), (x, py)], solid(AXIS), 1.0)?;
    c.text(label, x - gap, py + 0.33 * TICK.size, TICK, Align::Right)
}

/// A tick of an x axis at `px`: a mark `length` px below the axis at `y`, and its label
/// centred with its baseline `gap` px below the axis.
pub(super) fn x_tick<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    px: f64,
    y: f64,
    length: f64,
    gap: f64,
    label: &str,
) -> Result<(), ChartError> {
    c.line(&[(px, y), (px, y + length)], solid(AXIS), 1.0)?;
    c.text(label, px, y + gap, TICK, Align::Center)
}

/// "1000万人" style population text (persons → 万 when ≥ 10,000).
pub(super) fn fmt_persons(v: f64) -> String {
    // No thousands separators: Chinese groups by 万, and "1,000万" reads oddly.
    let s = if v.abs() >= 1e4 {
        let w = v / 1e4;
        format!("{}万人", fmt_num(w, decimals_for(w, 1).min(1)))
    } else {
        format!("{}人", fmt_num(v, 0))
    };
    s.replace(',', "")
}

/// Formats with a leading "+" on positive values that do not round to zero; an exact
/// zero is "0".
pub(super) fn fmt_signed(v: f64, dec: usize) -> String {
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
pub(super) fn value_decimals(max_abs: f64) -> usize {
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
