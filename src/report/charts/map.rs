//! The map: proportional circles at lon/lat coloured by growth (or any signed percentage),
//! with flow arrows, placed labels, a size and a colour legend.

use std::path::Path;

use plotters::prelude::*;

use super::axes::{decimals_for, fmt_num, fmt_persons, nice_ceil, nice_step};
use super::canvas::{
    draw_header, rect_dist, save, Align, Canvas, Figure, Font, Rect, Res, AXIS_LABEL, HEIGHT,
    MARGIN, TICK, WIDTH,
};
use super::colour::{diverging, solid, AXIS, GRID, INK, MUTED};
use super::labels::{dense_cluster, draw_discs, draw_labels, place_labels, units_in, Disc};
use super::ChartError;

/// One place on the map.
#[derive(Debug, Clone)]
pub struct MapUnit {
    /// Label, e.g. "成都 Chengdu".
    pub label: String,
    /// Longitude, degrees east.
    pub lon: f64,
    /// Latitude, degrees north.
    pub lat: f64,
    /// Persons; circle area is proportional to it.
    pub population: f64,
    /// Growth in percent; sets the fill colour (diverging blue–grey–red scale).
    pub growth_pct: f64,
}

/// A net flow between two units, drawn as an arrow whose width ∝ `persons`.
#[derive(Debug, Clone)]
pub struct MapFlow {
    /// Index into [`MapChart::units`] of the origin.
    pub from: usize,
    /// Index into [`MapChart::units`] of the destination.
    pub to: usize,
    /// Net persons moving; negative values reverse the arrow, zero/NaN flows are skipped.
    pub persons: f64,
}

/// Proportional-symbol map.
#[derive(Debug, Clone)]
pub struct MapChart {
    /// Figure title.
    pub title: String,
    /// Second header line (e.g. the period the growth refers to); may be empty.
    pub subtitle: String,
    /// Places; units with non-finite coordinates are skipped.
    pub units: Vec<MapUnit>,
    /// Net flows; an out-of-range index is an error.
    pub flows: Vec<MapFlow>,
    /// Heading of the colour scale; None = "人口增长 population growth (%)" with the ends
    /// marked decline/growth. When set (e.g. "2030 人口差异 population difference vs
    /// baseline (%)" for a map of differences between scenarios), the ends read
    /// lower/higher instead.
    pub colour_label: Option<String>,
}

/// Draws a proportional-circle map to `dir/<stem>.svg` and `.png`.
pub fn draw_map(chart: &MapChart, dir: &Path, stem: &str) -> Result<(), ChartError> {
    for (i, f) in chart.flows.iter().enumerate() {
        if f.from >= chart.units.len() || f.to >= chart.units.len() {
            return Err(ChartError::InvalidInput(format!(
                "flow {i} refers to unit {} → {}, but there are {} units",
                f.from,
                f.to,
                chart.units.len()
            )));
        }
    }
    save(chart, dir, stem)
}

impl Figure for MapChart {
    fn render<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> Result<(), ChartError> {
        render_map(c, self)
    }
}

/// Largest circle radius (logical px), for the most populous unit.
pub(super) const MAP_R_MAX: f64 = 46.0;
/// Widest flow arrow shaft (logical px), for the largest flow.
pub(super) const FLOW_W_MAX: f64 = 14.0;
pub(super) const FLOW_COLOR: RGBColor = RGBColor(0x5E, 0x3C, 0x99);

/// Equirectangular projection scaled by cos(mid-latitude) so shapes keep their aspect.
pub(super) struct Projection {
    pub(super) lon0: f64,
    pub(super) lat0: f64,
    /// Pixels per degree of latitude.
    pub(super) k: f64,
    pub(super) cos: f64,
    pub(super) cx: f64,
    pub(super) cy: f64,
}

impl Projection {
    pub(super) fn fit(units: &[(usize, &MapUnit)], plot: Rect) -> Projection {
        let (mut lo_lon, mut hi_lon, mut lo_lat, mut hi_lat) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for (_, u) in units {
            lo_lon = lo_lon.min(u.lon);
            hi_lon = hi_lon.max(u.lon);
            lo_lat = lo_lat.min(u.lat);
            hi_lat = hi_lat.max(u.lat);
        }
        if units.is_empty() {
            (lo_lon, hi_lon, lo_lat, hi_lat) = (103.0, 109.0, 28.5, 32.0);
        }
        let lat0 = ((lo_lat + hi_lat) / 2.0).clamp(-80.0, 80.0);
        let cos = lat0.to_radians().cos();
        // Room for the biggest circles and labels at the edges of the data.
        let span_x = ((hi_lon - lo_lon) * cos).max(0.5);
        let span_y = (hi_lat - lo_lat).max(0.5);
        let margin_px = 70.0;
        let k = ((plot.x1 - plot.x0 - 2.0 * margin_px) / span_x)
            .min((plot.y1 - plot.y0 - 2.0 * margin_px) / span_y)
            .max(1e-6);
        Projection {
            lon0: (lo_lon + hi_lon) / 2.0,
            lat0,
            k,
            cos,
            cx: (plot.x0 + plot.x1) / 2.0,
            cy: (plot.y0 + plot.y1) / 2.0,
        }
    }
    pub(super) fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            self.cx + (lon - self.lon0) * self.cos * self.k,
            self.cy - (lat - self.lat0) * self.k,
        )
    }
    pub(super) fn lon_at(&self, x: f64) -> f64 {
        self.lon0 + (x - self.cx) / (self.cos * self.k)
    }
    pub(super) fn lat_at(&self, y: f64) -> f64 {
        self.lat0 - (y - self.cy) / self.k
    }
}

/// Point on the quadratic Bézier p0–c–p1 at t.
pub(super) fn bezier(p0: (f64, f64), c: (f64, f64), p1: (f64, f64), t: f64) -> (f64, f64) {
    let u = 1.0 - t;
    (
        u * u * p0.0 + 2.0 * u * t * c.0 + t * t * p1.0,
        u * u * p0.1 + 2.0 * u * t * c.1 + t * t * p1.1,
    )
}

/// Polygon outline of a curved arrow from circle edge to circle edge, shaft width `w`.
/// None when the circles are too close for a visible arrow.
pub(super) fn arrow_polygon(
    from: (f64, f64),
    r_from: f64,
    to: (f64, f64),
    r_to: f64,
    w: f64,
) -> Option<Vec<(f64, f64)>> {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let d = dx.hypot(dy);
    if !(d.is_finite() && d > 1.0) {
        return None;
    }
    // Bend to the right of the direction of travel, so A→B and B→A never coincide.
    let n = (-dy / d, dx / d);
    let ctrl = (
        (from.0 + to.0) / 2.0 + n.0 * 0.16 * d,
        (from.1 + to.1) / 2.0 + n.1 * 0.16 * d,
    );
    const N: usize = 64;
    let pts: Vec<(f64, f64)> = (0..=N)
        .map(|i| bezier(from, ctrl, to, i as f64 / N as f64))
        .collect();
    let mut acc = vec![0.0];
    for win in pts.windows(2) {
        let l = acc.last().copied().unwrap_or(0.0);
        acc.push(l + (win[1].0 - win[0].0).hypot(win[1].1 - win[0].1));
    }
    let total = acc[N];
    let head_len = 9.0 + 1.6 * w;
    let head_half = 5.0 + 1.05 * w;
    let s0 = r_from + 3.0;
    let s_tip = total - r_to - 3.0;
    let s_neck = s_tip - head_len;
    if s_neck - s0 < 4.0 {
        return None;
    }
    let at = |s: f64| -> ((f64, f64), (f64, f64)) {
        let i = acc.iter().position(|&a| a >= s).unwrap_or(N).clamp(1, N);
        let seg = (acc[i] - acc[i - 1]).max(1e-9);
        let f = ((s - acc[i - 1]) / seg).clamp(0.0, 1.0);
        let (a, b) = (pts[i - 1], pts[i]);
        let p = (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f);
        let (tx, ty) = (b.0 - a.0, b.1 - a.1);
        let tl = tx.hypot(ty).max(1e-9);
        (p, (tx / tl, ty / tl))
    };
    let steps = 24;
    let mut left = Vec::with_capacity(steps + 1);
    let mut right = Vec::with_capacity(steps + 1);
    for i in 0..=steps {
        let s = s0 + (s_neck - s0) * i as f64 / steps as f64;
        let (p, t) = at(s);
        let nn = (-t.1, t.0);
        left.push((p.0 + nn.0 * w / 2.0, p.1 + nn.1 * w / 2.0));
        right.push((p.0 - nn.0 * w / 2.0, p.1 - nn.1 * w / 2.0));
    }
    let (neck, t) = at(s_neck);
    let nn = (-t.1, t.0);
    let (tip, _) = at(s_tip);
    // Aim the head along the chord neck→tip so it points at the destination.
    let mut poly = left;
    poly.push((neck.0 + nn.0 * head_half, neck.1 + nn.1 * head_half));
    poly.push(tip);
    poly.push((neck.0 - nn.0 * head_half, neck.1 - nn.1 * head_half));
    poly.extend(right.into_iter().rev());
    Some(poly)
}

/// One side (decline or growth) of the map's colour scale, in percent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct ScaleSide {
    /// Magnitude at the end of the colour bar (a multiple of `step`).
    pub(super) max: f64,
    /// Tick spacing.
    pub(super) step: f64,
    /// Number of ticks from 0 to the end.
    pub(super) ticks: i64,
    /// Some value lies beyond `max`: its colour saturates and the end label says ≤ / ≥.
    pub(super) saturated: bool,
}

impl ScaleSide {
    /// A side ending on a tick at or above `robust` (at least 0.5 %), as tight as two to
    /// four ticks allow: e.g. 2.2 → 3 in steps of 1, 4.2 → 5 in steps of 2.5; saturated
    /// if `extreme` lies beyond.
    pub(super) fn new(robust: f64, extreme: f64) -> ScaleSide {
        let b = if robust.is_finite() {
            robust.max(0.5)
        } else {
            0.5
        };
        // The 1-2-2.5-5 step giving the tightest end with two to four ticks (the larger
        // step on a tie, so fewer labels need dropping for lack of room).
        let mag = 10f64.powf(b.log10().floor());
        let (mut step, mut max) = (nice_step(b, 3.0), f64::INFINITY);
        for m in [10.0, 5.0, 2.5, 2.0, 1.0, 0.5, 0.25, 0.2, 0.1] {
            let st = m * mag;
            let end = (b / st - 1e-9).ceil() * st;
            let n = (end / st).round();
            if (2.0..=4.0).contains(&n) && end < max * (1.0 - 1e-9) {
                (step, max) = (st, end);
            }
        }
        if !max.is_finite() {
            max = (b / step - 1e-9).ceil() * step;
        }
        ScaleSide {
            max,
            step,
            ticks: (max / step).round() as i64,
            saturated: extreme > max * (1.0 + 1e-9),
        }
    }
}

/// The 90th percentile of `a` (its maximum for fewer than ten values) and the maximum.
pub(super) fn robust_max(mut a: Vec<f64>) -> (f64, f64) {
    a.sort_by(f64::total_cmp);
    let max = a.last().copied().unwrap_or(0.0);
    let robust = if a.len() >= 10 {
        a[(a.len() * 9).div_ceil(10) - 1]
    } else {
        max
    };
    (robust, max)
}

/// The map's colour scale as (decline side, growth side); a side is None when no value
/// has its sign.
///
/// With values of both signs the scale is symmetric around 0 %: one range, from the 90th
/// percentile of all magnitudes (so one outlier does not wash out every other colour;
/// beyond it colours saturate), so that equal colour strength means equal size whichever
/// the sign (−2 % never looks as strong as +30 %). When every value shares one sign the
/// scale is sequential: grey at 0 % to the colour of that sign, and the colour bar shows
/// only that side. With no non-zero value, a symmetric ±0.5 % scale.
pub(super) fn map_colour_scale(growth: &[f64]) -> (Option<ScaleSide>, Option<ScaleSide>) {
    let finite: Vec<f64> = growth.iter().copied().filter(|g| g.is_finite()).collect();
    let neg_max = finite.iter().fold(0.0f64, |m, &g| m.max(-g));
    let pos_max = finite.iter().fold(0.0f64, |m, &g| m.max(g));
    let (all_robust, _) = robust_max(finite.iter().map(|g| g.abs()).collect());
    let side = |present: bool, extreme: f64| present.then(|| ScaleSide::new(all_robust, extreme));
    match (neg_max > 0.0, pos_max > 0.0) {
        (false, false) => (side(true, 0.0), side(true, 0.0)),
        (n, p) => (side(n, neg_max), side(p, pos_max)),
    }
}

pub(super) fn render_map<DB: DrawingBackend>(c: &Canvas<'_, DB>, chart: &MapChart) -> Res {
    let top = draw_header(c, &chart.title, &chart.subtitle)?;
    let (w, h) = (f64::from(WIDTH), f64::from(HEIGHT));
    let plot = Rect {
        x0: 118.0,
        y0: top + 10.0,
        x1: 1170.0,
        y1: h - 78.0,
    };
    let units: Vec<(usize, &MapUnit)> = chart
        .units
        .iter()
        .enumerate()
        .filter(|(_, u)| u.lon.is_finite() && u.lat.is_finite())
        .collect();
    let proj = Projection::fit(&units, plot);

    // Frame, graticule and degree labels.
    c.fill_rect(
        plot.x0,
        plot.y0,
        plot.x1,
        plot.y1,
        solid(RGBColor(0xFB, 0xFB, 0xF8)),
    )?;
    let (lon_a, lon_b) = (proj.lon_at(plot.x0), proj.lon_at(plot.x1));
    let (lat_a, lat_b) = (proj.lat_at(plot.y1), proj.lat_at(plot.y0));
    let step_lon = nice_step(lon_b - lon_a, (plot.x1 - plot.x0) / 130.0).max(0.1);
    let step_lat = nice_step(lat_b - lat_a, (plot.y1 - plot.y0) / 130.0).max(0.1);
    let deg = |v: f64, step: f64| format!("{}°", fmt_num(v, decimals_for(step, 2)));
    let mut lon = (lon_a / step_lon).ceil() * step_lon;
    while lon <= lon_b && lon.is_finite() {
        let (x, _) = proj.xy(lon, proj.lat0);
        c.line(&[(x, plot.y0), (x, plot.y1)], solid(GRID), 1.0)?;
        c.line(&[(x, plot.y1), (x, plot.y1 + 5.0)], solid(AXIS), 1.0)?;
        c.text(&deg(lon, step_lon), x, plot.y1 + 26.0, TICK, Align::Center)?;
        lon += step_lon;
    }
    let mut lat = (lat_a / step_lat).ceil() * step_lat;
    while lat <= lat_b && lat.is_finite() {
        let (_, y) = proj.xy(proj.lon0, lat);
        c.line(&[(plot.x0, y), (plot.x1, y)], solid(GRID), 1.0)?;
        c.line(&[(plot.x0 - 5.0, y), (plot.x0, y)], solid(AXIS), 1.0)?;
        c.text(
            &deg(lat, step_lat),
            plot.x0 - 9.0,
            y + 0.33 * TICK.size,
            TICK,
            Align::Right,
        )?;
        lat += step_lat;
    }
    c.stroke_rect(plot.x0, plot.y0, plot.x1, plot.y1, solid(AXIS), 1.0)?;
    c.text(
        "经度 longitude (°E)",
        (plot.x0 + plot.x1) / 2.0,
        plot.y1 + 60.0,
        AXIS_LABEL,
        Align::Center,
    )?;
    c.text_up(
        "纬度 latitude (°N)",
        MARGIN + 16.0,
        (plot.y0 + plot.y1) / 2.0,
        AXIS_LABEL,
    )?;

    // Scales: circle area ∝ population; colour symmetric around 0 %.
    let pop_max = units
        .iter()
        .map(|(_, u)| u.population)
        .filter(|p| p.is_finite() && *p > 0.0)
        .fold(0.0f64, f64::max);
    let radius = |p: f64| {
        if pop_max > 0.0 && p.is_finite() && p > 0.0 {
            (MAP_R_MAX * (p / pop_max).sqrt()).max(2.5)
        } else {
            2.5
        }
    };
    let growth: Vec<f64> = units.iter().map(|(_, u)| u.growth_pct).collect();
    let (neg, pos) = map_colour_scale(&growth);
    // The colour bar runs from `lo` to `hi` (%): both sides, or 0 and one side.
    let lo = neg.map_or(0.0, |n| -n.max);
    let hi = pos.map_or(0.0, |p| p.max);
    let colour_of = |v: f64| -> RGBColor {
        match (v < 0.0, neg, pos) {
            (true, Some(n), _) => diverging(v / n.max),
            (false, _, Some(p)) => diverging(v / p.max),
            _ => diverging(0.0),
        }
    };
    let fills: Vec<RGBColor> = chart
        .units
        .iter()
        .map(|u| {
            if u.growth_pct.is_finite() {
                colour_of(u.growth_pct)
            } else {
                RGBColor(0xF2, 0xF2, 0xF2)
            }
        })
        .collect();
    let labels: Vec<String> = chart.units.iter().map(|u| u.label.clone()).collect();

    // Main-map discs, largest first (drawing order and labelling priority).
    let mut discs: Vec<Disc> = units
        .iter()
        .map(|&(i, u)| Disc {
            unit: i,
            at: proj.xy(u.lon, u.lat),
            r: radius(u.population),
        })
        .collect();
    discs.sort_by(|a, b| b.r.total_cmp(&a.r).then(a.unit.cmp(&b.unit)));
    draw_discs(c, &discs, &fills)?;

    // Flows: biggest first so thin arrows are drawn over thick ones.
    let at_of = |i: usize| discs.iter().find(|d| d.unit == i).copied();
    let flow_max = chart
        .flows
        .iter()
        .map(|f| f.persons.abs())
        .filter(|p| p.is_finite())
        .fold(0.0f64, f64::max);
    let mut flows: Vec<(usize, &MapFlow)> = chart
        .flows
        .iter()
        .enumerate()
        .filter(|(_, f)| f.persons.is_finite() && f.persons != 0.0 && f.from != f.to)
        .filter(|(_, f)| at_of(f.from).is_some() && at_of(f.to).is_some())
        .collect();
    flows.sort_by(|a, b| {
        b.1.persons
            .abs()
            .total_cmp(&a.1.persons.abs())
            .then(a.0.cmp(&b.0))
    });
    let flow_w = |p: f64| (FLOW_W_MAX * p.abs() / flow_max.max(1e-300)).max(1.2);
    for (_, f) in &flows {
        let (a, b) = if f.persons > 0.0 {
            (f.from, f.to)
        } else {
            (f.to, f.from)
        };
        if let (Some(da), Some(db)) = (at_of(a), at_of(b)) {
            if let Some(poly) = arrow_polygon(da.at, da.r, db.at, db.r, flow_w(f.persons)) {
                c.polygon(&poly, FLOW_COLOR.mix(0.72))?;
            }
        }
    }

    // A dense cluster (e.g. a city's core districts) is labelled in a magnified inset.
    let lx = plot.x1 + 40.0;
    let lw = w - MARGIN - lx;
    let inset = Rect {
        x0: lx,
        y0: plot.y0 + 292.0,
        x1: w - MARGIN,
        y1: plot.y1,
    };
    let mut cluster = dense_cluster(&discs);
    let mut region = None;
    if !cluster.is_empty() {
        let members = discs.iter().filter(|d| cluster.contains(&d.unit));
        let mut reg = Rect {
            x0: f64::INFINITY,
            y0: f64::INFINITY,
            x1: f64::NEG_INFINITY,
            y1: f64::NEG_INFINITY,
        };
        for d in members {
            reg.include_disc(d.at, d.r, 3.0);
        }
        // Everything whose centre falls in the region belongs to the inset.
        cluster = units_in(&discs, &reg);
        region = Some(reg);
    }
    let label_font = Font::new(16.0, INK);
    let main_to_label: Vec<Disc> = discs
        .iter()
        .filter(|d| !cluster.contains(&d.unit))
        .copied()
        .collect();
    let mut main_bounds = plot;
    main_bounds.x0 += 2.0;
    main_bounds.x1 -= 2.0;
    let main_labels = place_labels(c, &labels, &main_to_label, &discs, main_bounds, label_font)?;
    // A unit next to the inset region that found no room for its label joins the inset.
    if let Some(reg) = region.as_mut() {
        for d in &main_to_label {
            let near = rect_dist(reg, d.at) - d.r < 45.0;
            if near && !main_labels.iter().any(|l| l.unit == d.unit) {
                reg.include_disc(d.at, d.r, 3.0);
            }
        }
        cluster = units_in(&discs, reg);
    }
    if let Some(reg) = region {
        c.dashed(
            &[
                (reg.x0, reg.y0),
                (reg.x1, reg.y0),
                (reg.x1, reg.y1),
                (reg.x0, reg.y1),
                (reg.x0, reg.y0),
            ],
            solid(INK),
            1.4,
            6.0,
            4.0,
        )?;
    }
    draw_labels(c, &main_labels, label_font)?;
    let mut labelled: Vec<usize> = main_labels.iter().map(|l| l.unit).collect();

    if let Some(reg) = region {
        let title_font = Font::new(18.0, INK);
        let box_top = inset.y0 + 14.0;
        let inner = Rect {
            x0: inset.x0,
            y0: box_top,
            x1: inset.x1,
            y1: inset.y1,
        };
        let members: Vec<Disc> = discs
            .iter()
            .filter(|d| cluster.contains(&d.unit))
            .copied()
            .collect();
        let (rw, rh) = ((reg.x1 - reg.x0).max(1.0), (reg.y1 - reg.y0).max(1.0));
        // Leave room for labels left/right of the circles.
        let mag = ((inner.x1 - inner.x0 - 120.0) / rw)
            .min((inner.y1 - inner.y0 - 30.0) / rh)
            .clamp(1.5, 6.0);
        let mag = (mag * 2.0).floor() / 2.0;
        let (rcx, rcy) = ((reg.x0 + reg.x1) / 2.0, (reg.y0 + reg.y1) / 2.0);
        let (icx, icy) = ((inner.x0 + inner.x1) / 2.0, (inner.y0 + inner.y1) / 2.0);
        let to_inset = |p: (f64, f64)| (icx + (p.0 - rcx) * mag, icy + (p.1 - rcy) * mag);
        let inset_discs: Vec<Disc> = members
            .iter()
            .map(|d| Disc {
                at: to_inset(d.at),
                ..*d
            })
            .filter(|d| {
                d.at.0 - d.r >= inner.x0
                    && d.at.0 + d.r <= inner.x1
                    && d.at.1 - d.r >= inner.y0
                    && d.at.1 + d.r <= inner.y1
            })
            .collect();
        c.fill_rect(
            inner.x0,
            inner.y0,
            inner.x1,
            inner.y1,
            solid(RGBColor(0xFB, 0xFB, 0xF8)),
        )?;
        c.text(
            &format!(
                "虚线框放大 dashed box enlarged ×{}",
                fmt_num(mag, decimals_for(mag, 1))
            ),
            inset.x0,
            inset.y0 + 4.0,
            c.fit("虚线框放大 dashed box enlarged ×6", title_font, lw, 12.0)?,
            Align::Left,
        )?;
        draw_discs(c, &inset_discs, &fills)?;
        let mut inner_b = inner;
        inner_b.x0 += 2.0;
        inner_b.x1 -= 2.0;
        inner_b.y0 += 2.0;
        inner_b.y1 -= 2.0;
        let inset_labels = place_labels(
            c,
            &labels,
            &inset_discs,
            &inset_discs,
            inner_b,
            label_font.sized(15.0),
        )?;
        draw_labels(c, &inset_labels, label_font.sized(15.0))?;
        c.dashed(
            &[
                (inner.x0, inner.y0),
                (inner.x1, inner.y0),
                (inner.x1, inner.y1),
                (inner.x0, inner.y1),
                (inner.x0, inner.y0),
            ],
            solid(INK),
            1.4,
            6.0,
            4.0,
        )?;
        labelled.extend(inset_labels.iter().map(|l| l.unit));
    }

    // Right-hand legends: colour bar on top, then sizes and flows side by side.
    let head = Font::new(19.0, INK);
    let mut y = plot.y0 + 18.0;
    let colour_head = chart
        .colour_label
        .as_deref()
        .unwrap_or("人口增长 population growth (%)");
    c.text(
        colour_head,
        lx,
        y,
        c.fit(colour_head, head, lw, 12.0)?,
        Align::Left,
    )?;
    y += 14.0;
    let bar_h = 20.0;
    let nseg = 80;
    for k in 0..nseg {
        let t0 = k as f64 / nseg as f64;
        let t1 = (k + 1) as f64 / nseg as f64;
        let col = colour_of(lo + (hi - lo) * (t0 + t1) / 2.0);
        c.fill_rect(lx + t0 * lw, y, lx + t1 * lw + 0.6, y + bar_h, solid(col))?;
    }
    c.stroke_rect(lx, y, lx + lw, y + bar_h, solid(AXIS), 1.0)?;
    let bar_tick = Font::new(17.0, MUTED);
    // Tick labels by priority (ends, zero, then inwards); one that would collide with
    // an already drawn label is left out, so narrow bars never get overprinted text.
    let (neg_ticks, pos_ticks) = (neg.map_or(0, |n| n.ticks), pos.map_or(0, |p| p.ticks));
    let mut order: Vec<i64> = vec![-neg_ticks, pos_ticks, 0];
    for k in (1..neg_ticks.max(pos_ticks)).rev() {
        if k < neg_ticks {
            order.push(-k);
        }
        if k < pos_ticks {
            order.push(k);
        }
    }
    let mut seen = Vec::new();
    order.retain(|k| {
        !seen.contains(k) && {
            seen.push(*k);
            true
        }
    });
    let mut taken: Vec<(f64, f64)> = Vec::new();
    for k in order {
        let Some(side) = (if k < 0 { neg } else { pos }).or(neg) else {
            continue;
        };
        let v = side.step * k as f64;
        let x = lx + lw * (v - lo) / (hi - lo);
        c.line(&[(x, y + bar_h), (x, y + bar_h + 5.0)], solid(AXIS), 1.0)?;
        let num = fmt_num(v, decimals_for(v, 2));
        let sign = if v > 0.0 { "+" } else { "" };
        let s = match k {
            k if k > 0 && k == pos_ticks && side.saturated => format!("≥{sign}{num}%"),
            k if k < 0 && k == -neg_ticks && side.saturated => format!("≤{num}%"),
            _ => format!("{sign}{num}%"),
        };
        let tw = c.text_width(&s, bar_tick)?;
        let (al, x0) = if k == -neg_ticks {
            (Align::Left, x)
        } else if k == pos_ticks {
            (Align::Right, x - tw)
        } else {
            (Align::Center, x - tw / 2.0)
        };
        if taken
            .iter()
            .any(|&(a, b)| x0 < b + 8.0 && a < x0 + tw + 8.0)
        {
            continue;
        }
        taken.push((x0, x0 + tw));
        c.text(&s, x, y + bar_h + 23.0, bar_tick, al)?;
    }
    let small = Font::new(15.0, MUTED);
    let (low_end, high_end) = if chart.colour_label.is_some() {
        ("← 较低 lower", "较高 higher →")
    } else {
        ("← 减少 decline", "增长 growth →")
    };
    if neg.is_some() {
        c.text(low_end, lx, y + bar_h + 45.0, small, Align::Left)?;
    }
    if pos.is_some() {
        c.text(high_end, lx + lw, y + bar_h + 45.0, small, Align::Right)?;
    }
    y += bar_h + 88.0;

    // Size legend (left half): nested circles, bottoms aligned.
    let half = lw / 2.0 - 8.0;
    let sub_head = Font::new(17.0, INK);
    c.text(
        "常住人口 population",
        lx,
        y,
        c.fit("常住人口 population", sub_head, half, 11.0)?,
        Align::Left,
    )?;
    let candidates = [1e5, 5e5, 1e6, 2e6, 5e6, 1e7, 2e7, 5e7, 1e8, 2e8, 5e8, 1e9];
    let mut sizes: Vec<f64> = if (1.2e7..=3e7).contains(&pop_max) {
        vec![1e6, 5e6, 1e7]
    } else {
        let fit: Vec<f64> = candidates
            .iter()
            .copied()
            .filter(|&v| v <= pop_max * 1.05)
            .collect();
        fit[fit.len().saturating_sub(3)..].to_vec()
    };
    if sizes.is_empty() {
        sizes.push(1e6);
    }
    let r_big = sizes.iter().map(|&s| radius(s)).fold(0.0, f64::max);
    let base_y = y + 16.0 + 2.0 * r_big.max(20.0);
    let ccx = lx + r_big + 4.0;
    for &s in sizes.iter().rev() {
        let r = radius(s);
        c.circle(
            (ccx, base_y - r),
            r,
            Some(solid(WHITE)),
            Some((solid(MUTED), 1.2)),
        )?;
    }
    for &s in sizes.iter().rev() {
        let r = radius(s);
        let ty = base_y - 2.0 * r;
        c.line(&[(ccx, ty), (ccx + r_big + 12.0, ty)], solid(AXIS), 1.0)?;
        c.text(
            &fmt_persons(s),
            ccx + r_big + 16.0,
            ty + 5.0,
            bar_tick,
            Align::Left,
        )?;
    }

    // Flow legend (right half).
    if !flows.is_empty() {
        let fx = lx + lw / 2.0 + 8.0;
        c.text(
            "净迁移 net migration",
            fx,
            y,
            c.fit("净迁移 net migration", sub_head, half, 11.0)?,
            Align::Left,
        )?;
        let top_v = nice_ceil(flow_max * 0.999);
        let top_v = if top_v > flow_max * 1.0001 {
            top_v / 2.0
        } else {
            top_v
        };
        // The arrows show one year's net flow (the migration year of the map).
        let per_year = "人/年 persons per year";
        c.text(
            per_year,
            fx,
            y + 20.0,
            c.fit(per_year, small, half, 10.0)?,
            Align::Left,
        )?;
        let mut fy = y + 36.0;
        let big = top_v.max(flow_max / 2.0);
        // The small reference arrow only when it still means at least one person.
        let refs: Vec<f64> = [big, big / 5.0]
            .into_iter()
            .filter(|&v| v >= 1.0 || v == big)
            .collect();
        for v in refs {
            let wv = flow_w(v);
            let yy = fy + 4.0 + wv.max(10.0) / 2.0;
            if let Some(poly) = arrow_polygon((fx - 3.0, yy), 0.0, (fx + 95.0, yy), 0.0, wv) {
                c.polygon(&poly, FLOW_COLOR.mix(0.72))?;
            }
            c.text(
                &fmt_persons(v),
                fx + 104.0,
                yy + 0.33 * bar_tick.size,
                bar_tick,
                Align::Left,
            )?;
            fy += wv.max(10.0) + 26.0;
        }
    }

    // Notes under the map, left-aligned, only when something is not shown.
    let mut notes: Vec<String> = Vec::new();
    if units.len() < chart.units.len() {
        notes.push(format!(
            "{} 个单元无坐标 without coordinates",
            chart.units.len() - units.len()
        ));
    }
    let unlabelled: Vec<usize> = units
        .iter()
        .map(|&(i, _)| i)
        .filter(|i| !labelled.contains(i) && !chart.units[*i].label.trim().is_empty())
        .collect();
    if !unlabelled.is_empty() {
        // Name them, so a reader is not left guessing which circle is which.
        let mut names: Vec<&str> = unlabelled
            .iter()
            .take(6)
            .map(|&i| chart.units[i].label.as_str())
            .collect();
        if unlabelled.len() > 6 {
            names.push("…");
        }
        notes.push(format!(
            "未标注 unlabelled (拥挤 crowded): {}",
            names.join(", ")
        ));
    }
    if units.is_empty() {
        notes.push("无数据 no data".to_string());
    }
    for (k, n) in notes.iter().enumerate() {
        c.text(
            n,
            plot.x0,
            plot.y1 + 50.0 + 20.0 * k as f64,
            small,
            Align::Left,
        )?;
    }
    Ok(())
}
