//! Label placement around circles (map units, scatter points): greedy search of spots
//! around each disc that collide with no other label or disc, with leader lines when a
//! label has to sit away from its circle.

use plotters::prelude::*;

use super::canvas::{rect_dist, Align, Canvas, Font, Rect, Res};
use super::colour::solid;
use super::text::split_bilingual;
use super::ChartError;

/// Candidate directions around a circle, in 15° steps: right, left, up, down first.
pub(super) const ANGLE_ORDER: [u8; 24] = [
    0, 12, 6, 18, 3, 9, 21, 15, 1, 11, 23, 13, 2, 10, 22, 14, 4, 8, 20, 16, 5, 7, 19, 17,
];

/// Leader line from the edge of the circle at `c` (radius `r`) to the nearest point of `bx`.
pub(super) fn leader_line(c: (f64, f64), r: f64, bx: &Rect) -> ((f64, f64), (f64, f64)) {
    let near = (c.0.clamp(bx.x0, bx.x1), c.1.clamp(bx.y0, bx.y1));
    let (lx, ly) = (near.0 - c.0, near.1 - c.1);
    let l = lx.hypot(ly).max(1e-9);
    ((c.0 + lx / l * r, c.1 + ly / l * r), near)
}

/// Whether segment a–b passes within `r` of `c`.
pub(super) fn seg_hits_disc(a: (f64, f64), b: (f64, f64), c: (f64, f64), r: f64) -> bool {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((c.0 - a.0) * dx + (c.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (px, py) = (a.0 + t * dx, a.1 + t * dy);
    (px - c.0).hypot(py - c.1) < r
}

/// Whether segment a–b crosses rectangle `r` (sampled; segments here are short).
pub(super) fn seg_hits_rect(a: (f64, f64), b: (f64, f64), r: &Rect) -> bool {
    (0..=16).any(|i| {
        let t = f64::from(i) / 16.0;
        let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
        x > r.x0 && x < r.x1 && y > r.y0 && y < r.y1
    })
}

/// A placed map label: text box and optional leader line (circle edge → box).
pub(super) struct PlacedLabel {
    pub(super) unit: usize,
    pub(super) lines: Vec<String>,
    pub(super) bx: Rect,
    pub(super) leader: Option<((f64, f64), (f64, f64))>,
}

/// A circle in one map view: unit index, centre and radius (logical px).
#[derive(Clone, Copy)]
pub(super) struct Disc {
    pub(super) unit: usize,
    pub(super) at: (f64, f64),
    pub(super) r: f64,
}

/// Greedy label placement for the discs in `to_label` (in that order).
///
/// Candidates ring each circle at growing distances; a label must stay inside `bounds`,
/// must not overlap an earlier label, its own circle or the middle of any other circle,
/// and should not sit closer to another circle than to its own (it would be misread).
/// Among the candidates the cheapest (nearest, fewest circles touched) wins; units with
/// no acceptable spot stay unlabelled.
pub(super) fn place_labels<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    labels: &[String],
    to_label: &[Disc],
    obstacles: &[Disc],
    bounds: Rect,
    font: Font,
) -> Result<Vec<PlacedLabel>, ChartError> {
    let mut placed: Vec<(Disc, PlacedLabel)> = Vec::new();
    let mut missing: Vec<Disc> = Vec::new();
    for d in to_label {
        if labels[d.unit].trim().is_empty() {
            continue;
        }
        match best_spot(c, &labels[d.unit], d, obstacles, bounds, font, &placed)? {
            Some(p) => placed.push((*d, p)),
            None => missing.push(*d),
        }
    }
    // Repair pass: for a unit left without a label, try moving one nearby label
    // elsewhere to make room (nearest first); keep the change only if both fit.
    for d in missing {
        let mut near: Vec<(f64, usize)> = placed
            .iter()
            .enumerate()
            .map(|(j, (_, p))| (rect_dist(&p.bx, d.at), j))
            .filter(|&(dist, _)| dist < 160.0)
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (_, j) in near.into_iter().take(10) {
            let moved = placed.remove(j);
            if let Some(p) = best_spot(c, &labels[d.unit], &d, obstacles, bounds, font, &placed)? {
                placed.push((d, p));
                let md = moved.0;
                if let Some(q) =
                    best_spot(c, &labels[md.unit], &md, obstacles, bounds, font, &placed)?
                {
                    placed.push((md, q));
                    break;
                }
                placed.pop();
            }
            placed.insert(j, moved);
        }
    }
    Ok(placed.into_iter().map(|(_, p)| p).collect())
}

/// The cheapest acceptable label position for disc `d`, given labels already placed.
#[allow(clippy::too_many_arguments)]
/// The forms a label may take, tried in order: one line; a bilingual label ("万州 Wanzhou")
/// then Chinese over English, which is narrower and fits between crowded circles, and last
/// the Chinese name alone, so that a crowded unit keeps a name rather than none.
pub(super) fn label_forms(text: &str) -> Vec<Vec<String>> {
    let mut forms: Vec<Vec<String>> = vec![vec![text.to_string()]];
    if let Some((a, b)) = split_bilingual(text) {
        let chinese = a.chars().all(|ch| ch >= '\u{2E80}');
        forms.push(vec![a.clone(), b]);
        if chinese {
            forms.push(vec![a]);
        }
    }
    forms
}

pub(super) fn best_spot<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    text: &str,
    d: &Disc,
    obstacles: &[Disc],
    bounds: Rect,
    font: Font,
    placed: &[(Disc, PlacedLabel)],
) -> Result<Option<PlacedLabel>, ChartError> {
    let forms = label_forms(text);
    let ((cx, cy), r) = (d.at, d.r);
    for form in forms {
        let mut tw = 0.0f64;
        for l in &form {
            tw = tw.max(c.text_width(l, font)?);
        }
        let th = font.size * (1.05 + 1.2 * (form.len() as f64 - 1.0));
        let mut best: Option<(f64, Rect, f64)> = None;
        for (di, dist) in [3.0, 12.0, 22.0, 34.0, 48.0, 64.0].into_iter().enumerate() {
            for (k, &step) in ANGLE_ORDER.iter().enumerate() {
                let a = f64::from(step) * std::f64::consts::PI / 12.0;
                let (ux, uy) = (a.cos(), -a.sin());
                let bcx = cx + ux * (r + dist + tw / 2.0 + 3.0);
                let bcy = cy + uy * (r + dist + th / 2.0 + 2.0);
                let bx = Rect {
                    x0: bcx - tw / 2.0 - 3.0,
                    y0: bcy - th / 2.0 - 2.0,
                    x1: bcx + tw / 2.0 + 3.0,
                    y1: bcy + th / 2.0 + 2.0,
                };
                if !bx.inside(&bounds)
                    || bx.hits_disc((cx, cy), r)
                    || placed.iter().any(|(_, o)| {
                        o.bx.intersects(&bx)
                            || o.leader.is_some_and(|l| seg_hits_rect(l.0, l.1, &bx))
                    })
                {
                    continue;
                }
                let own = rect_dist(&bx, (cx, cy)) - r;
                let mut cost = dist + if k < 2 { 0.0 } else { 3.0 + k as f64 * 0.1 };
                let leader = leader_line((cx, cy), r, &bx);
                let mut reject = dist > 10.0
                    && placed
                        .iter()
                        .any(|(_, o)| seg_hits_rect(leader.0, leader.1, &o.bx));
                for o in obstacles {
                    if reject {
                        break;
                    }
                    if o.unit == d.unit {
                        continue;
                    }
                    // Never hide the middle of a circle, never sit nearer to another
                    // circle than to one's own, never run a leader line across a circle.
                    if bx.hits_disc(o.at, (o.r * 0.5).max(3.5))
                        || rect_dist(&bx, o.at) - o.r < own - 2.0
                        || (dist > 10.0 && seg_hits_disc(leader.0, leader.1, o.at, o.r))
                    {
                        reject = true;
                    } else if bx.hits_disc(o.at, o.r + 1.0) {
                        cost += 40.0;
                    }
                }
                let better = match &best {
                    Some(b) => cost < b.0,
                    None => true,
                };
                if !reject && better {
                    best = Some((cost, bx, dist));
                }
            }
            // Stop widening the search once a clean nearby spot exists.
            if best.as_ref().is_some_and(|b| b.0 < 20.0 + 20.0 * di as f64) {
                break;
            }
        }
        if let Some((_, bx, dist)) = best {
            return Ok(Some(PlacedLabel {
                unit: d.unit,
                lines: form,
                bx,
                leader: (dist > 10.0).then(|| leader_line((cx, cy), r, &bx)),
            }));
        }
    }
    Ok(None)
}

pub(super) fn draw_labels<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    labels: &[PlacedLabel],
    font: Font,
) -> Res {
    for l in labels {
        if let Some((a, b)) = l.leader {
            c.line(&[a, b], solid(RGBColor(0x66, 0x66, 0x66)), 1.0)?;
        }
    }
    for l in labels {
        c.fill_rect(l.bx.x0, l.bx.y0, l.bx.x1, l.bx.y1, WHITE.mix(0.82))?;
        for (k, line) in l.lines.iter().enumerate() {
            let base = l.bx.y0 + 2.0 + font.size * (0.81 + 1.2 * k as f64);
            c.text(line, l.bx.x0 + 3.0, base, font, Align::Left)?;
        }
    }
    Ok(())
}

/// Draws circles largest first so small units stay visible on top.
pub(super) fn draw_discs<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    discs: &[Disc],
    fills: &[RGBColor],
) -> Res {
    for d in discs {
        c.circle(
            d.at,
            d.r,
            Some(fills[d.unit].mix(0.88)),
            Some((solid(RGBColor(0x33, 0x33, 0x33)), 1.2)),
        )?;
    }
    Ok(())
}

/// Units of the circles whose centre lies in `region`.
pub(super) fn units_in(discs: &[Disc], region: &Rect) -> Vec<usize> {
    discs
        .iter()
        .filter(|d| region.contains(d.at))
        .map(|d| d.unit)
        .collect()
}

/// The largest group (≥ 4) of circles that overlap each other in a chain: too dense to
/// label in place, so it gets a magnified inset. Returns unit indices, or empty.
pub(super) fn dense_cluster(discs: &[Disc]) -> Vec<usize> {
    let n = discs.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for a in 0..n {
        for b in a + 1..n {
            let (da, db) = (&discs[a], &discs[b]);
            let d = (da.at.0 - db.at.0).hypot(da.at.1 - db.at.1);
            if d < 0.9 * (da.r + db.r) + 4.0 {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                if ra != rb {
                    parent[ra.max(rb)] = ra.min(rb);
                }
            }
        }
    }
    let mut best: Vec<usize> = Vec::new();
    for r in 0..n {
        let members: Vec<usize> = (0..n).filter(|&i| root(&mut parent, i) == r).collect();
        if members.len() >= 4 && members.len() > best.len() {
            best = members;
        }
    }
    best.into_iter().map(|i| discs[i].unit).collect()
}
