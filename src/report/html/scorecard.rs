//! The one place where the page reads a [`TargetRow`]: its label, its numbers in the target's
//! own display unit, and its verdict. When the scorecard gains columns, only this file changes.

use super::{Cell, Table};
use crate::data::Dataset;
use crate::report::TargetRow;
use crate::targets::Verdict;

/// "万人" etc.: the display scale and unit of a target's measure.
fn display_unit(measure: &str) -> (f64, &'static str) {
    match measure {
        "persons" => (1e4, "万人"),
        "yuan_current" | "yuan" => (1e8, "亿元"),
        "km2" => (1.0, "km²"),
        _ => (1.0, ""),
    }
}

/// A target value in its display unit: "150.0 万人", "130.0 km²".
pub fn in_display_unit(value: f64, measure: &str) -> String {
    let (scale, unit) = display_unit(measure);
    format!("{:.1} {unit}", value / scale)
}

/// "绵阳 Mianyang 2020 中心城区人口 central-urban pop." (Chinese and English, as in the charts).
pub fn label(row: &TargetRow, data: &Dataset) -> String {
    target_label(&row.unit_id, &row.indicator, row.year, data)
}

/// The label of a target given by its unit id (`ALL` for the plan area), indicator and year.
pub fn target_label(unit_id: &str, indicator: &str, year: i32, data: &Dataset) -> String {
    let unit = data
        .unit_index(unit_id)
        .map_or("成渝城市群 plan area".to_string(), |u| {
            data.units[u].label()
        });
    let what = match indicator {
        "central_urban_population" => "中心城区人口 central-urban pop.",
        "urban_construction_land" => "城市建设用地 urban land (ceiling)",
        "resident_population" => "常住人口 population",
        "gdp" => "地区生产总值 GDP",
        "area" => "面积 area",
        "towns_per_10000km2" => "城镇密度 towns per 10⁴ km²",
        other => other,
    };
    format!("{unit} {year} {what}")
}

/// "met", "missed", "uncertain", "within ceiling" or "not modelled" with the gap of the central
/// estimate in %. A met land ceiling reads "within ceiling" in slate grey, not green: it is met
/// mostly because the population falls short of its target (targets.csv keeps `met`).
pub fn verdict_cell(row: &TargetRow) -> Cell {
    let gap = row.gap_pct().map_or(String::new(), |g| {
        format!(" ({}%)", crate::report::signed_one_decimal(g))
    });
    match row.verdict {
        Some(Verdict::Met) if row.is_ceiling() => {
            Cell::WithinCeiling(format!("within ceiling{gap}"))
        }
        Some(Verdict::Met) => Cell::Met(format!("met{gap}")),
        Some(Verdict::Missed) => Cell::Missed(format!("missed{gap}")),
        Some(Verdict::Uncertain) => Cell::Neutral(format!("uncertain{gap}")),
        None => Cell::Neutral(format!("not modelled{gap}")),
    }
}

/// The scorecard of one run: target, year, target value, projection (central and low–high),
/// gap, verdict.
pub fn table(rows: &[TargetRow], data: &Dataset) -> Table {
    let mut table = Table::new(
        "scorecard",
        "规划目标 Plan targets: central estimate (low–high) against target",
        &[
            "目标 target",
            "id",
            "目标值 target",
            "预测 projected (low–high)",
            "差距 gap %",
            "结论 verdict",
        ],
    );
    for row in rows {
        let (scale, unit) = display_unit(&row.measure);
        let show = |x: f64| format!("{:.1} {unit}", x / scale);
        let projected = row.projected.map_or("—".into(), |p| {
            format!(
                "{} ({:.1}–{:.1})",
                show(p.central),
                p.low / scale,
                p.high / scale
            )
        });
        table.rows.push(vec![
            Cell::Text(label(row, data)),
            Cell::Text(row.target_id.clone()),
            Cell::Number(show(row.target)),
            Cell::Number(projected),
            Cell::Number(
                row.gap_pct()
                    .map_or("—".into(), crate::report::signed_one_decimal),
            ),
            verdict_cell(row),
        ]);
    }
    table
}

/// Whether two scenarios' rows for the same target reach the same verdict.
pub fn same_verdict(a: &TargetRow, b: &TargetRow) -> bool {
    a.verdict == b.verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::central_urban::Range;

    fn row(indicator: &str, verdict: Verdict) -> TargetRow {
        TargetRow {
            target_id: format!("wanzhou_{indicator}"),
            unit_id: "wanzhou".into(),
            indicator: indicator.into(),
            year: 2020,
            target: 100.0,
            projected: Some(Range {
                low: 60.0,
                central: 70.0,
                high: 80.0,
            }),
            verdict: Some(verdict),
            share: None,
            share_basis: String::new(),
            land_m2_per_person: None,
            measure: "km2".into(),
        }
    }

    #[test]
    fn a_kept_land_ceiling_is_not_shown_as_met() {
        assert_eq!(
            verdict_cell(&row("urban_construction_land", Verdict::Met)),
            Cell::WithinCeiling("within ceiling (-30.0%)".into())
        );
        assert_eq!(
            verdict_cell(&row("central_urban_population", Verdict::Met)),
            Cell::Met("met (-30.0%)".into())
        );
        // Missed and uncertain read the same for both kinds.
        for indicator in ["urban_construction_land", "central_urban_population"] {
            assert_eq!(
                verdict_cell(&row(indicator, Verdict::Missed)),
                Cell::Missed("missed (-30.0%)".into())
            );
            assert_eq!(
                verdict_cell(&row(indicator, Verdict::Uncertain)),
                Cell::Neutral("uncertain (-30.0%)".into())
            );
        }
    }
}
