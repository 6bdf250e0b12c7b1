//! Verdicts of plan targets as charts show them: [`Status`] (met / missed / uncertain, and
//! within a ceiling), its colours, words and check / cross / level / ceiling icons, and the
//! tinted target-grid cell backgrounds. Colour is never the only cue: every verdict also has an
//! icon and a word.

use plotters::prelude::*;

use super::canvas::{Canvas, Res};
use super::colour::{solid, tint};

/// Verdict of a target as charts show it (decided by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Met,
    Missed,
    /// The projection's range straddles the target.
    Uncertain,
    /// A ceiling (urban construction land) that the whole range stays under. Not shown as
    /// met: a centre mostly stays within its land ceiling because its population falls short
    /// of its population target, so green here would read as success where there is none.
    WithinCeiling,
}

/// Okabe–Ito bluish green / vermillion: distinguishable with the common colour-vision
/// deficiencies, and every bar also carries a check/cross icon and a word.
pub(super) const BAR_MET: RGBColor = RGBColor(0x00, 0x9E, 0x73);
pub(super) const BAR_MISSED: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// Okabe–Ito blue: the range straddles the target.
pub(super) const BAR_UNCERTAIN: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Slate grey: a ceiling kept is neither good nor bad news, so it gets no signal colour; grey
/// enough that its grid tint does not pass for the uncertain blue, dark enough for white icons.
pub(super) const BAR_WITHIN_CEILING: RGBColor = RGBColor(0x66, 0x78, 0x8A);

pub(super) fn status_colour(status: Status) -> RGBColor {
    match status {
        Status::Met => BAR_MET,
        Status::Missed => BAR_MISSED,
        Status::Uncertain => BAR_UNCERTAIN,
        Status::WithinCeiling => BAR_WITHIN_CEILING,
    }
}

pub(super) fn status_word(status: Status) -> &'static str {
    match status {
        Status::Met => "达成 met",
        Status::Missed => "未达 missed",
        Status::Uncertain => "不确定 uncertain",
        Status::WithinCeiling => "未超上限 within ceiling",
    }
}

/// Check mark (met), cross (missed), a level bar (uncertain) or a check under a bar (within a
/// ceiling) drawn as strokes, centred at `c`, half-size `r`.
pub(super) fn draw_status_icon<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    at: (f64, f64),
    r: f64,
    status: Status,
) -> Res {
    c.circle(at, r, Some(solid(status_colour(status))), None)?;
    let (x, y) = at;
    if status == Status::Uncertain {
        let k = 0.5 * r;
        c.line(&[(x - k, y), (x + k, y)], solid(WHITE), r * 0.3)
    } else if status == Status::WithinCeiling {
        // The ceiling as a bar on top, a small check below it.
        let k = 0.5 * r;
        c.line(
            &[(x - k, y - 0.45 * r), (x + k, y - 0.45 * r)],
            solid(WHITE),
            r * 0.22,
        )?;
        c.line(
            &[
                (x - 0.38 * r, y + 0.2 * r),
                (x - 0.1 * r, y + 0.5 * r),
                (x + 0.4 * r, y - 0.08 * r),
            ],
            solid(WHITE),
            r * 0.22,
        )
    } else if status == Status::Met {
        c.line(
            &[
                (x - 0.5 * r, y + 0.02 * r),
                (x - 0.12 * r, y + 0.42 * r),
                (x + 0.55 * r, y - 0.42 * r),
            ],
            solid(WHITE),
            r * 0.28,
        )
    } else {
        let k = 0.42 * r;
        c.line(&[(x - k, y - k), (x + k, y + k)], solid(WHITE), r * 0.28)?;
        c.line(&[(x - k, y + k), (x + k, y - k)], solid(WHITE), r * 0.28)
    }
}

/// Background of a target-grid cell: light tints of the bar chart's status colours,
/// light grey when not modelled.
pub(super) fn cell_fill(status: Option<Status>) -> RGBColor {
    match status {
        Some(status) => tint(status_colour(status), 0.24),
        None => RGBColor(0xEC, 0xEC, 0xEC),
    }
}
