//! Travel times and move costs: road times, transport links and cost levers in force each year,
//! the hukou wedges and border penalty, and the distinct cost settings of a scenario's years.

use std::ops::ControlFlow;
use std::sync::Arc;

use nalgebra::DMatrix;

use crate::data::Dataset;
use crate::model::geography::RoadSpeeds;
use crate::model::migration::MoveCosts;
use crate::model::Params;
use crate::scenario::{apply_cost_levers, CostValue, NamedPolicy, Policy, Scenario, TimeChange};

use super::error::SetupError;

pub(super) fn road_speeds(params: &Params) -> RoadSpeeds {
    RoadSpeeds {
        detour_factor: params.detour_factor(),
        road_speed_kmh: params.road_speed_kmh(),
        terminal_hours: params.terminal_hours(),
        local_speed_kmh: params.local_speed_kmh(),
    }
}

/// Travel times, hukou wedges and border penalty in force in some years.
#[derive(Debug)]
pub(super) struct Costs {
    pub(super) travel: Arc<DMatrix<f64>>,
    pub(super) wedge: Vec<f64>,
    pub(super) border_penalty: f64,
}

impl Costs {
    pub(super) fn same(&self, other: &Costs) -> bool {
        self.same_but_travel(other) && same_matrix(&self.travel, &other.travel)
    }

    /// The costs of a move with f = f0 = 0 (the calibration's K(0, 0)).
    pub(super) fn move_costs<'a>(
        &'a self,
        border: &'a DMatrix<f64>,
        params: &Params,
    ) -> MoveCosts<'a> {
        MoveCosts {
            travel_hours: &self.travel,
            border,
            border_penalty: self.border_penalty,
            hukou_wedge: &self.wedge,
            beta_per_hour: params.beta_per_hour(),
            epsilon: params.epsilon(),
            fixed_cost: 0.0,
            fixed_cost_rest_of_china: 0.0,
        }
    }

    pub(super) fn same_but_travel(&self, other: &Costs) -> bool {
        self.wedge == other.wedge && self.border_penalty == other.border_penalty
    }
}

/// Equal entries: the same (shared) matrix, or equal as slices (much faster than matrix
/// equality).
pub(super) fn same_matrix(a: &DMatrix<f64>, b: &DMatrix<f64>) -> bool {
    std::ptr::eq(a, b) || (a.shape() == b.shape() && a.as_slice() == b.as_slice())
}

/// Whether costs can change in `year`: the start year, and years when a transport link opens or a
/// cost lever starts. In other years costs are those of the year before.
fn costs_change_in(data: &Dataset, scenario: &Scenario, year: i32) -> bool {
    year == scenario.start_year
        || data.transport_links.iter().any(|l| l.from_year == year)
        || scenario
            .policies
            .iter()
            .filter(|p| p.is_active())
            .any(|named| match named.policy {
                Policy::TravelTime { year: from, .. }
                | Policy::HukouWedge { year: from, .. }
                | Policy::BorderPenalty { year: from, .. } => from == year,
                _ => false,
            })
}

/// Travel times of the years when costs can change (one matrix shared while unchanged), and of
/// the start year without levers (the calibration's).
#[derive(Debug, Clone)]
pub(super) struct TravelSchedule {
    pub(super) by_change_year: Vec<Arc<DMatrix<f64>>>,
    pub(super) start_without_levers: Arc<DMatrix<f64>>,
}

impl TravelSchedule {
    pub(super) fn new(data: &Dataset, scenario: &Scenario, road: &DMatrix<f64>) -> TravelSchedule {
        let mut by_change_year: Vec<Arc<DMatrix<f64>>> = Vec::new();
        for year in scenario.years() {
            if costs_change_in(data, scenario, year) {
                let travel = travel_in(data, scenario, road, year, true);
                let shared = match by_change_year.last() {
                    Some(last) if same_matrix(last, &travel) => Arc::clone(last),
                    _ => Arc::new(travel),
                };
                by_change_year.push(shared);
            }
        }
        let start = travel_in(data, scenario, road, scenario.start_year, false);
        let start_without_levers = match by_change_year.first() {
            Some(first) if same_matrix(first, &start) => Arc::clone(first),
            _ => Arc::new(start),
        };
        TravelSchedule {
            by_change_year,
            start_without_levers,
        }
    }
}

/// The distinct cost settings of the scenario's years and the setting of each year. Costs change
/// only in the start year and in years when a transport link opens or a cost lever starts, so
/// only those years are computed; the others keep the setting before them.
pub(super) fn cost_settings(
    data: &Dataset,
    scenario: &Scenario,
    travel: &TravelSchedule,
    default_wedge: &[f64],
) -> Result<(Vec<Costs>, Vec<usize>), SetupError> {
    let mut settings: Vec<Costs> = Vec::new();
    let mut setting_of_year = Vec::new();
    let mut change = 0;
    for year in scenario.years() {
        if costs_change_in(data, scenario, year) {
            let (wedge, border_penalty) = wedges_in(data, scenario, default_wedge, year, true)?;
            let setting = Costs {
                travel: Arc::clone(&travel.by_change_year[change]),
                wedge,
                border_penalty,
            };
            change += 1;
            if !settings.last().is_some_and(|last| last.same(&setting)) {
                settings.push(setting);
            }
        }
        setting_of_year.push(settings.len() - 1);
    }
    Ok((settings, setting_of_year))
}

/// Travel times, wedges and border penalty in force in `year`: road times, data links opened by
/// then, and (if `with_policies`) the scenario's levers dated up to `year`, in file order.
#[cfg(test)]
fn costs_in(
    data: &Dataset,
    scenario: &Scenario,
    road: &DMatrix<f64>,
    default_wedge: &[f64],
    year: i32,
    with_policies: bool,
) -> Result<(DMatrix<f64>, Vec<f64>, f64), SetupError> {
    let (wedge, border_penalty) = wedges_in(data, scenario, default_wedge, year, with_policies)?;
    Ok((
        travel_in(data, scenario, road, year, with_policies),
        wedge,
        border_penalty,
    ))
}

/// Travel times in force in `year`: road times, data links opened by then, and (if
/// `with_policies`) the scenario's travel levers dated up to `year`, in file order.
fn travel_in(
    data: &Dataset,
    scenario: &Scenario,
    road: &DMatrix<f64>,
    year: i32,
    with_policies: bool,
) -> DMatrix<f64> {
    let mut travel = road.clone();
    for link in data.transport_links.iter().filter(|l| l.from_year <= year) {
        for &i in &link.from {
            for &j in &link.to {
                if i != j {
                    travel[(i, j)] = travel[(i, j)].min(link.hours);
                    travel[(j, i)] = travel[(j, i)].min(link.hours);
                }
            }
        }
    }
    if !with_policies {
        return travel;
    }
    for named in scenario.policies.iter().filter(|p| p.is_active()) {
        let m = named.strength;
        if let Policy::TravelTime {
            year: from,
            from: a,
            to: b,
            time,
        } = &named.policy
        {
            if *from > year {
                continue;
            }
            // Each unordered pair once: a corridor lists the same units on both sides.
            let mut pairs = std::collections::BTreeSet::new();
            for &i in a {
                for &j in b {
                    if i != j {
                        pairs.insert((i.min(j), i.max(j)));
                    }
                }
            }
            for (i, j) in pairs {
                // Strength m interpolates geometrically from the time in force (m = 0) to
                // the lever's (m = 1): factor f → f^m, hours h → current·(h/current)^m.
                let current = travel[(i, j)];
                let new = match time {
                    TimeChange::Hours(hours) if m == 1.0 => *hours,
                    TimeChange::Hours(hours) => current * (hours / current).powf(m),
                    TimeChange::Factor(factor) if m == 1.0 => current * factor,
                    TimeChange::Factor(factor) => current * factor.powf(m),
                };
                travel[(i, j)] = new;
                travel[(j, i)] = new;
            }
        }
    }
    travel
}

/// Hukou wedges and the border penalty in force in `year`: parameters, then (if
/// `with_policies`) the scenario's levers dated up to `year`, in file order.
pub(super) fn wedges_in(
    data: &Dataset,
    scenario: &Scenario,
    default_wedge: &[f64],
    year: i32,
    with_policies: bool,
) -> Result<(Vec<f64>, f64), SetupError> {
    let mut wedge = default_wedge.to_vec();
    let mut border_penalty = scenario.params.border_penalty();
    if !with_policies {
        return Ok((wedge, border_penalty));
    }
    let active: Vec<&NamedPolicy> = scenario.policies.iter().filter(|p| p.is_active()).collect();
    let walk = apply_cost_levers(
        active.iter().map(|named| (&named.policy, named.strength)),
        year,
        &mut wedge,
        &mut border_penalty,
        |step| {
            if step.in_range() {
                return ControlFlow::Continue(());
            }
            let label = active[step.lever].label.clone();
            ControlFlow::Break(match step.sets {
                CostValue::Wedge(unit) => SetupError::WedgeOutOfRange {
                    label,
                    unit: data.units[unit].id.clone(),
                    value: step.value,
                    year,
                },
                CostValue::Border => SetupError::BorderOutOfRange {
                    label,
                    value: step.value,
                    year,
                },
            })
        },
    );
    if let ControlFlow::Break(err) = walk {
        return Err(err);
    }
    Ok((wedge, border_penalty))
}

#[cfg(test)]
mod tests {
    use super::super::{road_hours, DataDerived};
    use super::*;

    #[test]
    fn costs_are_computed_only_in_years_when_they_can_change() {
        // Every year computed anew must give the settings found by looking at change years only.
        let data = Dataset::embedded();
        let scenario = crate::scenario::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/plan.ron"
        )))
        .unwrap()
        .0;
        let derived = DataDerived::new(&data);
        let road = road_hours(&derived, &scenario.params);
        let wedge = vec![0.2; data.units.len() + 1];
        let schedule = TravelSchedule::new(&data, &scenario, &road);
        let (settings, of_year) = cost_settings(&data, &scenario, &schedule, &wedge).unwrap();
        for (index, year) in scenario.years().enumerate() {
            let (travel, wedge_now, border) =
                costs_in(&data, &scenario, &road, &wedge, year, true).unwrap();
            let setting = &settings[of_year[index]];
            assert_eq!(*setting.travel, travel, "{year}");
            assert_eq!(
                (&setting.wedge, setting.border_penalty),
                (&wedge_now, border)
            );
        }
        assert!(settings.len() > 2, "plan.ron has dated cost levers");
    }
}
