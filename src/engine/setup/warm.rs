//! What the runs of a sweep share: [`Warm`] keeps the parts of the base scenario's setup that a
//! run may take instead of computing them again, and says for each part when it may.

use std::sync::Arc;

use nalgebra::{DMatrix, DVector};

use crate::data::Dataset;
use crate::model::calibration::{self, Calibrated};
use crate::model::Params;
use crate::scenario::{MacroPath, NamedPolicy, Scenario};

use super::schedule::{urban_vectors, GrowthPaths};
use super::travel::{road_speeds, same_matrix, TravelSchedule};
use super::{build, road_hours, window_shift, DataDerived, Drivers, SetupError};

/// A cost setting's travel times and the market-access kernel built from them.
type SharedAccess = (Arc<DMatrix<f64>>, Arc<DMatrix<f64>>);

/// Parts of setup that the runs of a sweep share, computed once for the sweep's base scenario.
///
/// [`prepare_warm`](super::prepare_warm) takes a part only where the run's inputs to it equal the base's: the macro
/// drivers (same years and macro paths), urban-share paths (same urban parameters), road times
/// (same road parameters) and market-access kernels (same travel times and τ0). Those parts are
/// therefore exactly what the run would compute itself. The base calibration is the starting
/// point of the run's calibration, which stops at the same tolerance as a cold start, so warm
/// and cold results differ only within that tolerance.
#[derive(Debug, Clone)]
pub struct Warm {
    start_year: i32,
    end_year: i32,
    macro_paths: Vec<MacroPath>,
    params: Params,
    drivers: Drivers,
    /// Status-quo urban shares (N+1), one vector per scenario year.
    urban: Vec<Arc<DVector<f64>>>,
    /// The base's growth paths and natural growth, one vector per scenario year.
    growth: GrowthPaths,
    natural: Vec<Arc<DVector<f64>>>,
    road: DMatrix<f64>,
    /// The base's policies, and its travel times where costs can change.
    policies: Vec<NamedPolicy>,
    travel: TravelSchedule,
    /// Travel times and market-access kernel of each of the base's cost settings.
    access: Vec<SharedAccess>,
    /// The base calibration: destination utilities without the amenity (to carry the amenities
    /// over as utilities), amenities and fixed costs.
    utility_without_amenity: DVector<f64>,
    guess: calibration::Guess,
    pub(super) preconditioner: Option<calibration::Preconditioner>,
    /// The base calibration itself, cold-started: a run with the base's parameters, years and
    /// macro paths has the same calibration inputs whatever its levers (calibration sees the
    /// status quo), so it takes this instead of calibrating again.
    calibrated: Calibrated,
    /// The base's [`window_shift`], which depends on the same inputs as its calibration.
    window_shift: [f64; 2],
    /// The base's differential amenity ([`Prepared::differential_amenity`]), likewise.
    differential_amenity: DVector<f64>,
}

impl Warm {
    /// Sets up `scenario` (a sweep's base) and keeps what its variants can share.
    pub fn new(
        data: &Dataset,
        derived: &DataDerived,
        scenario: &Scenario,
    ) -> Result<Warm, SetupError> {
        let shift = window_shift(data, derived, scenario)?;
        let built = build(data, derived, None, scenario, true, shift)?;
        let params = &scenario.params;
        let travel = TravelSchedule::new(data, scenario, &road_hours(derived, params));
        Ok(Warm {
            start_year: scenario.start_year,
            end_year: scenario.end_year,
            macro_paths: scenario.macro_paths.clone(),
            params: *params,
            drivers: Drivers::new(data, derived, scenario),
            urban: urban_vectors(data, scenario),
            growth: GrowthPaths {
                growth: built
                    .prepared
                    .years
                    .iter()
                    .map(|y| Arc::clone(&y.growth))
                    .collect(),
                migrant_income: built
                    .prepared
                    .years
                    .iter()
                    .map(|y| Arc::clone(&y.migrant_income_factor))
                    .collect(),
            },
            natural: built
                .prepared
                .years
                .iter()
                .map(|y| Arc::clone(&y.natural_growth))
                .collect(),
            road: road_hours(derived, params),
            policies: scenario.policies.clone(),
            // Keyed by the very matrices runs will hold, so that lookups compare pointers.
            access: built
                .prepared
                .settings
                .iter()
                .map(|s| {
                    let travel = travel
                        .by_change_year
                        .iter()
                        .find(|t| same_matrix(t, &s.travel_hours))
                        .unwrap_or(&s.travel_hours);
                    (Arc::clone(travel), Arc::clone(&s.access))
                })
                .collect(),
            travel,
            calibrated: built.prepared.calibration.clone(),
            window_shift: shift,
            differential_amenity: built.prepared.differential_amenity.clone(),
            utility_without_amenity: built.utility_without_amenity,
            preconditioner: built.preconditioner,
            guess: calibration::Guess {
                amenity: built.prepared.calibration.amenity.clone(),
                fixed_cost: built.prepared.calibration.fixed_cost,
                fixed_cost_rest_of_china: built.prepared.calibration.fixed_cost_rest_of_china,
            },
        })
    }

    pub(super) fn same_years(&self, scenario: &Scenario) -> bool {
        self.start_year == scenario.start_year && self.end_year == scenario.end_year
    }

    /// The base calibration, for a run whose calibration inputs are the base's: the same
    /// parameters, years and macro paths (levers never reach the calibration).
    pub(super) fn calibration_for(&self, scenario: &Scenario) -> Option<&Calibrated> {
        self.has_calibration_inputs_of(scenario)
            .then_some(&self.calibrated)
    }

    /// The base's window shift, under the same condition as [`Warm::calibration_for`].
    pub(super) fn window_shift_for(&self, scenario: &Scenario) -> Option<[f64; 2]> {
        self.has_calibration_inputs_of(scenario)
            .then_some(self.window_shift)
    }

    /// The base's differential amenity, under the same condition as [`Warm::calibration_for`].
    pub(super) fn differential_amenity_for(&self, scenario: &Scenario) -> Option<&DVector<f64>> {
        self.has_calibration_inputs_of(scenario)
            .then_some(&self.differential_amenity)
    }

    pub(super) fn has_calibration_inputs_of(&self, scenario: &Scenario) -> bool {
        self.params == scenario.params && self.drivers_for(scenario).is_some()
    }

    pub(super) fn drivers_for(&self, scenario: &Scenario) -> Option<&Drivers> {
        (self.same_years(scenario) && self.macro_paths == scenario.macro_paths)
            .then_some(&self.drivers)
    }

    pub(super) fn urban_for(&self, scenario: &Scenario) -> Option<&[Arc<DVector<f64>>]> {
        let (a, b) = (&self.params, &scenario.params);
        let same =
            (0..2).all(|p| a.urban_max(p) == b.urban_max(p) && a.urban_rate(p) == b.urban_rate(p));
        (same && self.same_years(scenario)).then_some(&self.urban[..])
    }

    pub(super) fn road_for(&self, params: &Params) -> Option<&DMatrix<f64>> {
        (road_speeds(&self.params) == road_speeds(params)).then_some(&self.road)
    }

    /// Growth and the income factor migrants act on depend on the drivers, the trend and
    /// catch-up parameters and productivity levers.
    pub(super) fn growth_for(&self, scenario: &Scenario) -> Option<&GrowthPaths> {
        let (a, b) = (&self.params, &scenario.params);
        (self.drivers_for(scenario).is_some()
            && a.trend_decay() == b.trend_decay()
            && a.trend_cap() == b.trend_cap()
            && a.income_convergence() == b.income_convergence()
            && a.catch_up_pull() == b.catch_up_pull()
            && self.policies == scenario.policies)
            .then_some(&self.growth)
    }

    /// Natural growth depends on the drivers alone.
    pub(super) fn natural_for(&self, scenario: &Scenario) -> Option<&[Arc<DVector<f64>>]> {
        self.drivers_for(scenario).map(|_| &self.natural[..])
    }

    pub(super) fn travel_for(&self, scenario: &Scenario) -> Option<&TravelSchedule> {
        (self.same_years(scenario)
            && road_speeds(&self.params) == road_speeds(&scenario.params)
            && self.policies == scenario.policies)
            .then_some(&self.travel)
    }

    pub(super) fn access_for(
        &self,
        travel: &DMatrix<f64>,
        params: &Params,
    ) -> Option<&Arc<DMatrix<f64>>> {
        if self.params.tau0_minutes() != params.tau0_minutes() {
            return None;
        }
        self.access
            .iter()
            .find(|(t, _)| same_matrix(t, travel))
            .map(|(_, access)| access)
    }

    /// The base solution as a starting point for `utility_without_amenity`: the base's
    /// destination utilities U_j − U_0 are kept, so a run whose parameters move ε·ln ω̃ or λ·ln P
    /// starts with amenities that offset the move.
    pub(super) fn guess_for(&self, utility_without_amenity: &DVector<f64>) -> calibration::Guess {
        let (old, new) = (&self.utility_without_amenity, utility_without_amenity);
        let amenity = DVector::from_fn(new.len(), |j, _| {
            if j == 0 {
                0.0
            } else {
                // (a shift of exactly 0 when nothing moved, so the base reproduces itself)
                self.guess.amenity[j] + ((old[j] - old[0]) - (new[j] - new[0]))
            }
        });
        calibration::Guess {
            amenity,
            ..self.guess.clone()
        }
    }
}
