//! Colours: the Tableau 10 series palette, ink and grid greys, the grey of target bars, the
//! map's diverging scale and tints (the verdict colours are in `status`).

use plotters::prelude::*;
use plotters::style::RGBAColor;

/// Tableau 10 (colour-blind-aware categorical palette); the yellow is darkened so a
/// 3 px line stays visible on white.
pub(super) const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4E, 0x79, 0xA7),
    RGBColor(0xF2, 0x8E, 0x2B),
    RGBColor(0xE1, 0x57, 0x59),
    RGBColor(0x76, 0xB7, 0xB2),
    RGBColor(0x59, 0xA1, 0x4F),
    RGBColor(0xC9, 0xA2, 0x27),
    RGBColor(0xB0, 0x7A, 0xA1),
    RGBColor(0xFF, 0x9D, 0xA7),
    RGBColor(0x9C, 0x75, 0x5F),
    RGBColor(0x79, 0x70, 0x6E),
];

pub(super) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(super) const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
pub(super) const AXIS: RGBColor = RGBColor(0x88, 0x88, 0x88);
pub(super) const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);
pub(super) const TARGET_GREY: RGBColor = RGBColor(0x44, 0x44, 0x44);

pub(super) fn solid(c: RGBColor) -> RGBAColor {
    c.to_rgba()
}

/// Opacity of a line chart's bands (prediction intervals) in their series' colour: faint
/// enough that where the bands of several series overlap every line stays readable on top.
pub(super) const BAND_ALPHA: f64 = 0.14;

pub(super) const BAR_TARGET: RGBColor = RGBColor(0xBF, 0xBF, 0xBF);
/// Diverging colour for a growth value scaled to [-1, 1]: blue (decline) – grey (≈0) –
/// red (growth); stops from ColorBrewer RdBu with a neutral grey centre.
pub(super) fn diverging(t: f64) -> RGBColor {
    const STOPS: [(f64, (f64, f64, f64)); 5] = [
        (-1.0, (33.0, 102.0, 172.0)),
        (-0.5, (103.0, 169.0, 207.0)),
        (0.0, (200.0, 200.0, 200.0)),
        (0.5, (239.0, 138.0, 98.0)),
        (1.0, (178.0, 24.0, 43.0)),
    ];
    let t = if t.is_finite() {
        t.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let k = STOPS.iter().position(|s| t <= s.0).unwrap_or(4).max(1);
    let (t0, a) = STOPS[k - 1];
    let (t1, b) = STOPS[k];
    let f = ((t - t0) / (t1 - t0)).clamp(0.0, 1.0);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// `c` mixed with white: `a` = 1 gives `c`, 0 gives white (backgrounds under dark text).
pub(super) fn tint(c: RGBColor, a: f64) -> RGBColor {
    let mix = |v: u8| (255.0 - (255.0 - f64::from(v)) * a).round() as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

/// Background of every other row, so the eye can follow a row from its label.
pub(super) const ZEBRA: RGBColor = RGBColor(0xF3, 0xF3, 0xF3);
