//! The targets scorecard: every row of plan_targets.csv against the projection (pure).
//!
//! How each indicator is projected:
//! - `central_urban_population` (专栏1, 中心城区城市人口): the plan means the population of the
//!   central urban area, a part of the unit's urban population. The data hold no central-urban
//!   series, so we compare with the unit's whole urban population (urban share × population).
//!   That is an **upper bound**: `met = true` here means "reachable at most", and a miss is a
//!   clear miss.
//! - `urban_construction_land` (专栏1): the land the projected urban population would occupy at
//!   `land_per_person_m2` (100 m² per person by default); the target is a ceiling, so
//!   `met = projected ≤ target`. Built on the same upper-bound population, this leans towards
//!   "missed".
//! - 2014 control totals (population, GDP, area): the base year against the plan's 前言 figures;
//!   met within 2 % (population) and 5 % (GDP, area) — the tolerances of the engine's own
//!   acceptance test, since our units cover all of Kaizhou and Yunyang where the plan has part.
//! - Anything else (e.g. towns per 10,000 km²) is not modelled: projected and met stay empty.

use crate::data::Dataset;
use crate::engine::Trajectory;

/// One scorecard row.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRow {
    pub target_id: String,
    /// Unit id, or `ALL` for region-wide rows.
    pub unit_id: String,
    pub indicator: String,
    pub year: i32,
    pub target: f64,
    pub projected: Option<f64>,
    pub met: Option<bool>,
    /// Unit of `target` and `projected` (persons, yuan, km2, ...).
    pub measure: String,
}

impl TargetRow {
    pub fn gap(&self) -> Option<f64> {
        self.projected.map(|p| p - self.target)
    }

    pub fn gap_pct(&self) -> Option<f64> {
        self.gap().map(|g| 100.0 * g / self.target)
    }
}

/// Scores every target of the dataset. Targets outside the run's years have no projection.
pub fn score(data: &Dataset, trajectory: &Trajectory, land_per_person_m2: f64) -> Vec<TargetRow> {
    data.targets
        .iter()
        .map(|target| {
            let index = trajectory.year_index(target.year);
            let unit_id = target
                .unit
                .map_or_else(|| "ALL".to_string(), |u| data.units[u].id.clone());
            let (projected, met) = match (target.indicator.as_str(), target.unit, index) {
                ("central_urban_population", Some(unit), Some(t)) => {
                    let urban = trajectory.urban_population[t][unit];
                    (Some(urban), Some(urban >= target.value))
                }
                ("urban_construction_land", Some(unit), Some(t)) => {
                    let land = trajectory.urban_population[t][unit] * land_per_person_m2 / 1e6;
                    (Some(land), Some(land <= target.value))
                }
                ("resident_population", None, Some(t)) => within(
                    Trajectory::total(&trajectory.population, t),
                    target.value,
                    0.02,
                ),
                ("gdp", None, Some(t)) => {
                    within(Trajectory::total(&trajectory.gdp, t), target.value, 0.05)
                }
                ("area", None, _) => within(
                    data.units.iter().map(|u| u.area_km2).sum(),
                    target.value,
                    0.05,
                ),
                _ => (None, None),
            };
            TargetRow {
                target_id: target.target_id.clone(),
                unit_id,
                indicator: target.indicator.clone(),
                year: target.year,
                target: target.value,
                projected,
                met,
                measure: target.unit_of_measure.clone(),
            }
        })
        .collect()
}

fn within(projected: f64, target: f64, tolerance: f64) -> (Option<f64>, Option<bool>) {
    (
        Some(projected),
        Some(((projected - target) / target).abs() <= tolerance),
    )
}
