//! From data + scenario to model inputs: base state, yearly schedule, calibration, kernels.
//!
//! Policies are typed, dated modifications of the inputs (A/B Street's "scenario modifiers"):
//! they change travel times, wedges, the border penalty, growth, amenities and caps year by
//! year; the equations in `model` never know a policy exists.

use std::sync::Arc;

use nalgebra::{DMatrix, DVector};

use crate::data::{Dataset, PlanRole, Province};
use crate::model::calibration::{self, Calibrated, Targets};
use crate::model::geography::{self, RoadSpeeds};
use crate::model::migration::{self, MoveCosts};
use crate::model::production;
use crate::model::urban::UrbanCurve;
use crate::model::{Params, State, StepInputs, Structure};
use crate::scenario::{Indicator, MacroPath, NamedPolicy, Policy, Scenario, TimeChange};

pub use super::base::DATA_BASE_YEAR;
use super::base::{self, BaseYearValues, PriceHistory, CENSUS_YEAR};

/// The year of the 5th national census (2000-11-01), ten years before [`CENSUS_YEAR`].
pub const CENSUS_2000_YEAR: i32 = 2000;

/// Travel times, hukou wedges and border penalty in force in some years, with their kernels.
#[derive(Debug, Clone)]
pub struct CostSetting {
    /// Shared (not copied) between the runs of a sweep where they are the same.
    pub travel_hours: Arc<DMatrix<f64>>,
    pub hukou_wedge: Vec<f64>,
    pub border_penalty: f64,
    pub kernel: DMatrix<f64>,
    /// Shared (not copied) between the runs of a sweep where they are the same.
    pub access: Arc<DMatrix<f64>>,
}

/// The inputs of one year besides the cost setting (N+1 vectors, 0 = rest of China). The vectors
/// are shared, not copied, where they are the same as the previous year's (amenity shifts,
/// caps) or as the sweep base's (see [`Warm`]).
#[derive(Debug, Clone)]
pub struct YearInputs {
    pub year: i32,
    pub setting: usize,
    pub amenity_shift: Arc<DVector<f64>>,
    pub growth: Arc<DVector<f64>>,
    pub natural_growth: Arc<DVector<f64>>,
    /// F_i(t), the share of income per head that migrants act on ([`StepInputs`]).
    pub migrant_income_factor: Arc<DVector<f64>>,
    pub urban_share: Arc<DVector<f64>>,
    pub population_cap: Arc<DVector<f64>>,
}

/// A base's yearly growth vectors and migrant income factors, shared with runs that have the
/// same inputs to them.
#[derive(Clone, Copy)]
struct GrowthPaths<'a> {
    growth: &'a [Arc<DVector<f64>>],
    migrant_income: &'a [Arc<DVector<f64>>],
}

/// Everything a run needs, computed once: runs of a `Prepared` only do the time loop.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub structure: Structure,
    pub initial: State,
    pub settings: Vec<CostSetting>,
    pub years: Vec<YearInputs>,
    pub calibration: Calibrated,
    /// Each unit's 2010–2014 per-head growth relative to its province (per year), as measured.
    pub measured_unit_trend: Vec<f64>,
    /// The trend used (g_i⁰): measured, clipped to ±`trend_cap`; zero for a 2010 start, when
    /// the 2010–2014 trend is not known yet.
    pub unit_trend: Vec<f64>,
    /// Each unit's net migration rate before the start year (per year), the calibration target:
    /// for a 2014 start the observed 2010–2014 rate; for a 2010 start the census pattern shifted
    /// to each province's observed level ([`hindcast_net_migration_rate`]).
    pub observed_net_migration_rate: Vec<f64>,
    /// Per province (`Province::index`), what the base-year calibration adds to those rates so
    /// that a 2010 start's mean over 2011–2014, not its first year, meets them
    /// ([`window_shift`]); zero for a 2014 start.
    pub window_shift: [f64; 2],
}

impl Prepared {
    pub fn inputs(&self, index: usize) -> StepInputs<'_> {
        let year = &self.years[index];
        let setting = &self.settings[year.setting];
        StepInputs {
            kernel: &setting.kernel,
            access: &setting.access,
            amenity_shift: &year.amenity_shift,
            growth: &year.growth,
            natural_growth: &year.natural_growth,
            migrant_income_factor: &year.migrant_income_factor,
            urban_share: &year.urban_share,
            population_cap: &year.population_cap,
        }
    }

    pub fn units(&self) -> usize {
        self.initial.population.len() - 1
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Calibration(#[from] calibration::CalibrationError),
    #[error("policy `{label}` makes the hukou wedge of `{unit}` {value:.3} in {year}; wedges must stay within [0, 0.95]")]
    WedgeOutOfRange {
        label: String,
        unit: String,
        value: f64,
        year: i32,
    },
    #[error("policy `{label}` makes the border penalty {value:.3} in {year}; it must stay at or above 0")]
    BorderOutOfRange {
        label: String,
        value: f64,
        year: i32,
    },
    #[error("a 2010 start's status-quo run to 2014 gave no finite net migration (drift {drift:?} a year), so its window shift cannot be found; these parameter values carry the model off before 2014 (docs/CALIBRATION.md §1)")]
    WindowShift { drift: [f64; 2] },
}

/// What setup derives from the data alone, whatever the scenario: computed once when many runs
/// share a dataset (sweeps), instead of once per run.
#[derive(Debug, Clone, PartialEq)]
pub struct DataDerived {
    /// Great-circle distances between units, km.
    pub distances_km: DMatrix<f64>,
    /// Each unit's measured 2010–2014 relative per-head trend (before the cap).
    pub measured_unit_trend: Vec<f64>,
    /// Each unit's natural-growth offset from its province.
    pub natural_offset: Vec<f64>,
    /// The 2010 census migrant stocks.
    pub census_stocks: CensusMigrantStocks,
    /// Each unit's 2000→2010 census net migration rate relative to its province (per year).
    pub census_decade_differential: Vec<f64>,
    /// Whether a unit's 2014 population carries a signal of its own (false where it is the 2010
    /// census times a factor shared with other units of the province).
    pub base_has_unit_signal: Vec<bool>,
    /// φ: the share of the true (census) differential growth that annual estimates capture
    /// ([`estimate_capture`]).
    pub estimate_capture: f64,
    /// Unit areas, km².
    pub area_km2: Vec<f64>,
    /// N×N, 1 where two units lie in different provinces.
    pub border: DMatrix<f64>,
    /// Prices and provincial real growth 2010–2014 derived from the history file.
    pub prices: PriceHistory,
    /// The base-year values of each start year in [`base::START_YEARS`], in that order.
    pub base_values: Vec<BaseYearValues>,
}

impl DataDerived {
    pub fn new(data: &Dataset) -> DataDerived {
        let province: Vec<Province> = data.units.iter().map(|u| u.province).collect();
        let natural_offset = natural_growth_offsets(data);
        let n = province.len();
        let prices = PriceHistory::new(data);
        DataDerived {
            distances_km: geography::distances_km(
                &data.units.iter().map(|u| u.lat).collect::<Vec<_>>(),
                &data.units.iter().map(|u| u.lon).collect::<Vec<_>>(),
            ),
            measured_unit_trend: unit_trends(data),
            census_decade_differential: census_decade_differential(data, &natural_offset),
            natural_offset,
            census_stocks: census_migrant_stocks(data),
            base_has_unit_signal: base_has_unit_signal(data),
            estimate_capture: estimate_capture(data),
            area_km2: data.units.iter().map(|u| u.area_km2).collect(),
            border: DMatrix::from_fn(n, n, |i, j| f64::from(u8::from(province[i] != province[j]))),
            base_values: base::START_YEARS
                .iter()
                .map(|&year| base::base_year_values(data, &prices, year))
                .collect(),
            prices,
        }
    }

    fn base(&self, year: i32) -> &BaseYearValues {
        self.base_values
            .iter()
            .find(|b| b.year == year)
            .unwrap_or_else(|| {
                panic!("start year {year} passed scenario validation but has no base data")
            })
    }
}

/// Provincial and national drivers of one year, before parameters and policies act.
#[derive(Debug, Clone, Copy, PartialEq)]
struct YearDrivers {
    /// The rest of China's per-head growth and natural growth.
    roc_growth: f64,
    roc_natural: f64,
    /// Per province (`Province::index`): per-head growth and natural growth.
    per_head: [f64; 2],
    natural: [f64; 2],
}

/// What the macro paths (data, then scenario overrides) give, year by year: it depends on the
/// scenario's years and macro paths, never on a parameter.
#[derive(Debug, Clone, PartialEq)]
struct Drivers {
    /// One entry per scenario year.
    years: Vec<YearDrivers>,
    /// Each unit's observed 2010–2014 net migration rate (per year), the calibration target of
    /// a 2014 start.
    observed_net_migration_rate: Vec<f64>,
    /// Each province's mean natural growth 2011–2014 (for a 2010 start's targets).
    natural_2011_2014_by_province: [f64; 2],
    /// Factors that take the rest of China's 2014 population and income per head back to the
    /// start year with its own natural and per-head growth (1 for a 2014 start).
    rest_of_china_back_to_start: (f64, f64),
}

impl Drivers {
    fn new(data: &Dataset, derived: &DataDerived, scenario: &Scenario) -> Drivers {
        let macros = MacroPaths::new(data, &derived.prices, scenario);
        // Provincial paths are looked up once per province and year, not once per unit.
        let natural_2011_2014_by_province = Province::ALL.map(|p| {
            (2011..=DATA_BASE_YEAR)
                .map(|year| macros.natural(p.id(), year))
                .sum::<f64>()
                / 4.0
        });
        let natural_2011_2014: Vec<f64> = data
            .units
            .iter()
            .zip(&derived.natural_offset)
            .map(|(unit, offset)| natural_2011_2014_by_province[unit.province.index()] + offset)
            .collect();
        let years = scenario
            .years()
            .map(|year| {
                let roc_natural = macros.rest_of_china_natural(year);
                YearDrivers {
                    roc_growth: (1.0 + macros.real_growth("china", year)) / (1.0 + roc_natural)
                        - 1.0,
                    roc_natural,
                    per_head: Province::ALL.map(|p| {
                        (1.0 + macros.real_growth(p.id(), year))
                            / (1.0 + macros.province_population_growth[p.index()])
                            - 1.0
                    }),
                    natural: Province::ALL.map(|p| macros.natural(p.id(), year)),
                }
            })
            .collect();
        let mut rest_of_china_back_to_start = (1.0, 1.0);
        for year in scenario.start_year + 1..=DATA_BASE_YEAR {
            let natural = macros.rest_of_china_natural(year);
            rest_of_china_back_to_start.0 /= 1.0 + natural;
            rest_of_china_back_to_start.1 /=
                (1.0 + macros.real_growth("china", year)) / (1.0 + natural);
        }
        Drivers {
            years,
            observed_net_migration_rate: observed_net_migration_rate(data, &natural_2011_2014),
            natural_2011_2014_by_province,
            rest_of_china_back_to_start,
        }
    }
}

/// A cost setting's travel times and the market-access kernel built from them.
type SharedAccess = (Arc<DMatrix<f64>>, Arc<DMatrix<f64>>);

/// Parts of setup that the runs of a sweep share, computed once for the sweep's base scenario.
///
/// [`prepare_warm`] takes a part only where the run's inputs to it equal the base's: the macro
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
    /// The base's per-head growth, the income factor migrants act on, and natural growth, one
    /// vector per scenario year.
    growth: Vec<Arc<DVector<f64>>>,
    migrant_income: Vec<Arc<DVector<f64>>>,
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
    preconditioner: Option<calibration::Preconditioner>,
    /// The base calibration itself, cold-started: a run with the base's parameters, years and
    /// macro paths has the same calibration inputs whatever its levers (calibration sees the
    /// status quo), so it takes this instead of calibrating again.
    calibrated: Calibrated,
    /// The base's [`window_shift`], which depends on the same inputs as its calibration.
    window_shift: [f64; 2],
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
            utility_without_amenity: built.utility_without_amenity,
            preconditioner: built.preconditioner,
            guess: calibration::Guess {
                amenity: built.prepared.calibration.amenity.clone(),
                fixed_cost: built.prepared.calibration.fixed_cost,
                fixed_cost_rest_of_china: built.prepared.calibration.fixed_cost_rest_of_china,
            },
        })
    }

    fn same_years(&self, scenario: &Scenario) -> bool {
        self.start_year == scenario.start_year && self.end_year == scenario.end_year
    }

    /// The base calibration, for a run whose calibration inputs are the base's: the same
    /// parameters, years and macro paths (levers never reach the calibration).
    fn calibration_for(&self, scenario: &Scenario) -> Option<&Calibrated> {
        self.has_calibration_inputs_of(scenario)
            .then_some(&self.calibrated)
    }

    /// The base's window shift, under the same condition as [`Warm::calibration_for`].
    fn window_shift_for(&self, scenario: &Scenario) -> Option<[f64; 2]> {
        self.has_calibration_inputs_of(scenario)
            .then_some(self.window_shift)
    }

    fn has_calibration_inputs_of(&self, scenario: &Scenario) -> bool {
        self.params == scenario.params && self.drivers_for(scenario).is_some()
    }

    fn drivers_for(&self, scenario: &Scenario) -> Option<&Drivers> {
        (self.same_years(scenario) && self.macro_paths == scenario.macro_paths)
            .then_some(&self.drivers)
    }

    fn urban_for(&self, scenario: &Scenario) -> Option<&[Arc<DVector<f64>>]> {
        let (a, b) = (&self.params, &scenario.params);
        let same =
            (0..2).all(|p| a.urban_max(p) == b.urban_max(p) && a.urban_rate(p) == b.urban_rate(p));
        (same && self.same_years(scenario)).then_some(&self.urban[..])
    }

    fn road_for(&self, params: &Params) -> Option<&DMatrix<f64>> {
        (road_speeds(&self.params) == road_speeds(params)).then_some(&self.road)
    }

    /// Growth and the income factor migrants act on depend on the drivers, the trend and
    /// catch-up parameters and productivity levers.
    fn growth_for(&self, scenario: &Scenario) -> Option<GrowthPaths<'_>> {
        let (a, b) = (&self.params, &scenario.params);
        (self.drivers_for(scenario).is_some()
            && a.trend_decay() == b.trend_decay()
            && a.trend_cap() == b.trend_cap()
            && a.income_convergence() == b.income_convergence()
            && a.catch_up_pull() == b.catch_up_pull()
            && self.policies == scenario.policies)
            .then_some(GrowthPaths {
                growth: &self.growth,
                migrant_income: &self.migrant_income,
            })
    }

    /// Natural growth depends on the drivers alone.
    fn natural_for(&self, scenario: &Scenario) -> Option<&[Arc<DVector<f64>>]> {
        self.drivers_for(scenario).map(|_| &self.natural[..])
    }

    fn travel_for(&self, scenario: &Scenario) -> Option<&TravelSchedule> {
        (self.same_years(scenario)
            && road_speeds(&self.params) == road_speeds(&scenario.params)
            && self.policies == scenario.policies)
            .then_some(&self.travel)
    }

    fn access_for(&self, travel: &DMatrix<f64>, params: &Params) -> Option<&Arc<DMatrix<f64>>> {
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
    fn guess_for(&self, utility_without_amenity: &DVector<f64>) -> calibration::Guess {
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

/// Builds the base state, schedule and kernels, and calibrates the migration core.
pub fn prepare(data: &Dataset, scenario: &Scenario) -> Result<Prepared, SetupError> {
    prepare_with(data, &DataDerived::new(data), scenario)
}

/// [`prepare`] with the data-only part computed beforehand (`derived` must come from `data`).
pub fn prepare_with(
    data: &Dataset,
    derived: &DataDerived,
    scenario: &Scenario,
) -> Result<Prepared, SetupError> {
    let shift = window_shift(data, derived, scenario)?;
    build(data, derived, None, scenario, false, shift).map(|built| built.prepared)
}

/// [`prepare_with`] reusing what `warm` holds for this scenario (see [`Warm`]); `warm` and
/// `derived` must come from `data`.
pub fn prepare_warm(
    data: &Dataset,
    derived: &DataDerived,
    warm: &Warm,
    scenario: &Scenario,
) -> Result<Prepared, SetupError> {
    let shift = match warm.window_shift_for(scenario) {
        Some(shift) => shift,
        None => window_shift(data, derived, scenario)?,
    };
    build(data, derived, Some(warm), scenario, false, shift).map(|built| built.prepared)
}

/// Rounds of [`window_shift`]: the first removes the drift, the second what the first shift
/// itself changed in it (left over after two: 5·10⁻⁶ a year, against drifts of 1.4·10⁻³
/// (Sichuan) and 2.4·10⁻³ (Chongqing) with the defaults; unit test).
const WINDOW_ROUNDS: usize = 2;

/// For a 2010 start, per province, the shift of the base-year calibration targets that makes
/// the run's mean net migration rate over 2011–2014 equal to the targets (zero for other
/// starts).
///
/// The targets are 2010–2014 means, but the calibration meets them in the start year, and the
/// model's net inflow then rises with the provinces' growth premium over the rest of China: a
/// 2010 start calibrated to the mean overshot the provincial totals it is conditioned on by
/// 2014 (docs/CALIBRATION.md §1). The shift is found on the status quo (no levers, which never
/// reach the calibration) run to 2014: each round measures [`window_drift`] under the current
/// shift and sets the shift to minus it.
pub fn window_shift(
    data: &Dataset,
    derived: &DataDerived,
    scenario: &Scenario,
) -> Result<[f64; 2], SetupError> {
    if scenario.start_year != CENSUS_YEAR {
        return Ok([0.0; 2]);
    }
    let status_quo = Scenario {
        end_year: DATA_BASE_YEAR,
        policies: Vec::new(),
        ..scenario.clone()
    };
    let mut shift = [0.0; 2];
    for _ in 0..WINDOW_ROUNDS {
        let built = build(data, derived, None, &status_quo, false, shift)?;
        let trajectory = super::simulate(
            &built.prepared,
            &super::RunOptions::default(),
            &mut super::Silent,
        );
        // The window's mean is the start year's rate (target + shift) plus the drift; it meets
        // the target when shift = −drift, and the drift depends a little on the shift.
        let drift = window_drift(data, &trajectory);
        if drift.iter().any(|d| !d.is_finite()) {
            return Err(SetupError::WindowShift { drift });
        }
        for (shift, drift) in shift.iter_mut().zip(drift) {
            *shift = -drift;
        }
    }
    Ok(shift)
}

/// Per province: the mean net migration rate of its units over the years after the start
/// (each year's net migration over the population at its beginning) minus the start year's,
/// which the calibration set.
pub fn window_drift(data: &Dataset, trajectory: &super::Trajectory) -> [f64; 2] {
    let rate = |province: Province, year: usize| {
        let (mut net, mut population) = (0.0, 0.0);
        for (i, unit) in data.units.iter().enumerate() {
            if unit.province == province {
                net += trajectory.net_migration[year][i];
                population += trajectory.population[year.saturating_sub(1)][i];
            }
        }
        net / population
    };
    let later = 1..trajectory.years.len();
    let mut drift = [0.0; 2];
    for province in Province::ALL {
        let mean = later.clone().map(|t| rate(province, t)).sum::<f64>() / later.len() as f64;
        drift[province.index()] = mean - rate(province, 0);
    }
    drift
}

/// A prepared run and what [`Warm`] keeps of it.
struct Built {
    prepared: Prepared,
    utility_without_amenity: DVector<f64>,
    /// Only when asked for (by [`Warm::new`]).
    preconditioner: Option<calibration::Preconditioner>,
}

fn road_speeds(params: &Params) -> RoadSpeeds {
    RoadSpeeds {
        detour_factor: params.detour_factor(),
        road_speed_kmh: params.road_speed_kmh(),
        terminal_hours: params.terminal_hours(),
        local_speed_kmh: params.local_speed_kmh(),
    }
}

fn road_hours(derived: &DataDerived, params: &Params) -> DMatrix<f64> {
    geography::travel_hours(
        &derived.distances_km,
        &derived.area_km2,
        road_speeds(params),
    )
}

/// Status-quo urban shares (N+1, index 0 unused), one vector per scenario year.
fn urban_vectors(data: &Dataset, scenario: &Scenario) -> Vec<Arc<DVector<f64>>> {
    let curves = urban_curves(data, &scenario.params, scenario.start_year);
    scenario
        .years()
        .map(|year| Arc::new(urban_vector(&curves, year)))
        .collect()
}

fn build(
    data: &Dataset,
    derived: &DataDerived,
    warm: Option<&Warm>,
    scenario: &Scenario,
    keep_preconditioner: bool,
    window_shift: [f64; 2],
) -> Result<Built, SetupError> {
    let params = &scenario.params;
    let n = data.units.len();
    let nodes = n + 1;

    // Parts the warm start holds when their inputs are the same; computed otherwise.
    let own_drivers;
    let drivers = match warm.and_then(|w| w.drivers_for(scenario)) {
        Some(drivers) => drivers,
        None => {
            own_drivers = Drivers::new(data, derived, scenario);
            &own_drivers
        }
    };

    // Base state: the 44 units from the start year's data, the rest of China as national −
    // units in 2014; for an earlier start, its 2014 values taken back with its own natural and
    // per-head growth paths (it has no data of its own before 2014).
    let base_values = derived.base(scenario.start_year);
    let start = scenario.start_year;

    // The net migration rates the amenities are calibrated to (section 3 of docs/MODEL.md).
    let observed_rate = if start == CENSUS_YEAR {
        hindcast_net_migration_rate(
            data,
            &derived.census_decade_differential,
            params.census_momentum(),
            &drivers.natural_2011_2014_by_province,
        )
    } else {
        blended_net_migration_rate(
            data,
            &drivers.observed_net_migration_rate,
            &derived.census_decade_differential,
            &derived.base_has_unit_signal,
            derived.estimate_capture,
            params.census_momentum(),
            params.estimate_weight(),
        )
    };
    let base_population = if start == DATA_BASE_YEAR && params.census_base_weight() > 0.0 {
        census_consistent_base(
            data,
            &base_values.population,
            &drivers.observed_net_migration_rate,
            &observed_rate,
            params.census_base_weight(),
        )
    } else {
        base_values.population.clone()
    };
    let mut population = DVector::zeros(nodes);
    let mut income = DVector::zeros(nodes);
    let mut land = DVector::zeros(nodes);
    for i in 0..n {
        population[i + 1] = base_population[i];
        income[i + 1] = base_values.gdp[i] / base_population[i];
        land[i + 1] = data.units[i].area_km2;
    }
    population[0] = (data.national.population - data.base_population_total())
        * drivers.rest_of_china_back_to_start.0;
    income[0] = (data.national.gdp - data.base_gdp_total())
        / (data.national.population - data.base_population_total())
        * drivers.rest_of_china_back_to_start.1;
    land[0] = data.national.area_km2 - data.units.iter().map(|u| u.area_km2).sum::<f64>();
    let own_urban;
    let urban = match warm.and_then(|w| w.urban_for(scenario)) {
        Some(urban) => urban,
        None => {
            own_urban = urban_vectors(data, scenario);
            &own_urban[..]
        }
    };
    let own_road;
    let road = match warm.and_then(|w| w.road_for(params)) {
        Some(road) => road,
        None => {
            own_road = road_hours(derived, params);
            &own_road
        }
    };

    let natural_offset = &derived.natural_offset;
    let border = &derived.border;
    let default_wedge: Vec<f64> = std::iter::once(params.hukou_wedge_rest_of_china())
        .chain(data.units.iter().map(|unit| {
            if unit.plan_role == PlanRole::Core {
                params.hukou_wedge_core()
            } else if unit.kind == "county" {
                params.hukou_wedge_county()
            } else {
                params.hukou_wedge()
            }
        }))
        .collect();

    let own_travel;
    let travel = match warm.and_then(|w| w.travel_for(scenario)) {
        Some(travel) => travel,
        None => {
            own_travel = TravelSchedule::new(data, scenario, road);
            &own_travel
        }
    };
    let (raw_settings, setting_of_year) = cost_settings(data, scenario, travel, &default_wedge)?;

    // Market-access kernels: the warm start's for the same travel times and τ0, else patched
    // from the previous setting (entries whose travel time is unchanged are copied), else built.
    let tau0 = params.tau0_minutes();
    let mut access: Vec<Arc<DMatrix<f64>>> = Vec::with_capacity(raw_settings.len());
    for (s, costs) in raw_settings.iter().enumerate() {
        let kernel = match warm.and_then(|w| w.access_for(&costs.travel, params)) {
            Some(kernel) => Arc::clone(kernel),
            None if s > 0 => Arc::new(production::access_kernel_patched(
                &costs.travel,
                tau0,
                &raw_settings[s - 1].travel,
                &access[s - 1],
            )),
            None => Arc::new(production::access_kernel(&costs.travel, tau0)),
        };
        access.push(kernel);
    }

    // Base-year real income under the status quo (no policies, no caps).
    let mut structure = Structure {
        land_km2: land,
        amenity: DVector::zeros(nodes),
        epsilon: params.epsilon(),
        lambda: params.lambda(),
        gamma: params.gamma(),
        chi: params.chi(),
        kappa: params.kappa(),
        rho: params.rho(),
    };
    let urban_start = &urban[0];
    let no_caps = DVector::from_element(nodes, f64::INFINITY);
    let zeros = DVector::zeros(nodes);
    let (wedge, border_penalty) = wedges_in(data, scenario, &default_wedge, start, false)?;
    let start_costs = Costs {
        travel: Arc::clone(&travel.start_without_levers),
        wedge,
        border_penalty,
    };
    let own_access_start;
    let access_start: &Arc<DMatrix<f64>> = match raw_settings
        .iter()
        .position(|c| same_matrix(&c.travel, &start_costs.travel))
    {
        Some(s) => &access[s],
        None => match warm.and_then(|w| w.access_for(&start_costs.travel, params)) {
            Some(kernel) => kernel,
            None => {
                own_access_start = Arc::new(production::access_kernel(&start_costs.travel, tau0));
                &own_access_start
            }
        },
    };
    // K(0, 0) of the base-year costs: the calibration scales it by f and f0.
    let start_kernel = migration::deterrence_kernel(&start_costs.move_costs(border, params));
    let ones = DVector::from_element(nodes, 1.0);
    let base_inputs = StepInputs {
        // The base state does not move anyone: the kernel is not read.
        kernel: &start_kernel,
        access: access_start,
        amenity_shift: &zeros,
        growth: &zeros,
        natural_growth: &zeros,
        migrant_income_factor: &ones,
        urban_share: urban_start,
        population_cap: &no_caps,
    };
    let base_state = State::initial(&structure, population.clone(), income.clone(), &base_inputs);

    // Calibrate amenities and fixed costs to the net migration before the start.
    let census_rates = derived.census_stocks;
    let targets = Targets {
        net_migration: (0..n)
            .map(|i| {
                (observed_rate[i] + window_shift[data.units[i].province.index()])
                    * population[i + 1]
            })
            .collect(),
        internal_move_rate: census_rates.internal / params.migrant_stay_years(),
        rest_of_china_out_rate: census_rates.rest_of_china / params.migrant_stay_years(),
    };
    let utility_without_amenity = DVector::from_fn(nodes, |j, _| {
        params.epsilon() * base_state.expected_real_income[j].ln()
            + params.lambda() * population[j].ln()
    });
    let calibrated = match warm.and_then(|w| w.calibration_for(scenario)) {
        // Inputs equal to the base's: its cold-started solution is what this run would find.
        Some(calibrated) => calibrated.clone(),
        None => {
            let guess = warm.map(|w| w.guess_for(&utility_without_amenity));
            calibration::calibrate_from(
                &start_kernel,
                &utility_without_amenity,
                &population,
                &targets,
                guess.as_ref(),
                warm.and_then(|w| w.preconditioner.as_ref()),
            )?
        }
    };
    let preconditioner = if keep_preconditioner {
        calibration::Preconditioner::at(
            &start_kernel,
            &utility_without_amenity,
            &population,
            &targets,
            &calibrated,
        )
    } else {
        None
    };
    structure.amenity = calibrated.amenity.clone();

    // Deterrence kernels K(f, f0) = K(0, 0) scaled: the base-year one when the costs are the
    // same, patched from the previous setting when only travel times changed, else built.
    let unit_pair_factor = (-calibrated.fixed_cost).exp();
    let mut start_kernel = Some(start_kernel);
    let mut kernels: Vec<DMatrix<f64>> = Vec::with_capacity(raw_settings.len());
    for (s, costs) in raw_settings.iter().enumerate() {
        let previous = s.checked_sub(1).map(|p| &raw_settings[p]);
        let kernel = match previous {
            Some(previous) if previous.same_but_travel(costs) => {
                migration::deterrence_kernel_patched(
                    &costs.move_costs(border, params),
                    &previous.travel,
                    &kernels[s - 1],
                    unit_pair_factor,
                )
            }
            _ => {
                let mut kernel = match start_kernel.take_if(|_| costs.same(&start_costs)) {
                    Some(kernel) => kernel,
                    None => migration::deterrence_kernel(&costs.move_costs(border, params)),
                };
                calibration::scale_kernel_in_place(
                    &mut kernel,
                    calibrated.fixed_cost,
                    calibrated.fixed_cost_rest_of_china,
                );
                kernel
            }
        };
        kernels.push(kernel);
    }
    // The start state sees the start year's inputs (a cap or policy dated at the start year);
    // without either it is the base state.
    let start_is_base = same_matrix(&access[setting_of_year[0]], access_start);
    let settings: Vec<CostSetting> = raw_settings
        .into_iter()
        .zip(kernels)
        .zip(access)
        .map(|((costs, kernel), access)| CostSetting {
            kernel,
            access,
            travel_hours: costs.travel,
            hukou_wedge: costs.wedge,
            border_penalty: costs.border_penalty,
        })
        .collect();

    // Yearly vectors.
    let measured_unit_trend = derived.measured_unit_trend.clone();
    let cap = params.trend_cap();
    let unit_trend: Vec<f64> = measured_unit_trend
        .iter()
        .map(|t| {
            if start < DATA_BASE_YEAR {
                0.0
            } else {
                t.clamp(-cap, cap)
            }
        })
        .collect();
    let province_index: Vec<usize> = data.units.iter().map(|u| u.province.index()).collect();
    let income_gap = income_gap(data, &base_values.population, &base_values.gdp);
    let mut years: Vec<YearInputs> = Vec::with_capacity(drivers.years.len());
    let shared_growth = warm.and_then(|w| w.growth_for(scenario));
    let shared_natural = warm.and_then(|w| w.natural_for(scenario));
    let (mut amenity_shift, mut caps) = (DVector::zeros(nodes), DVector::zeros(nodes));
    let mut migrant_income = DVector::from_element(nodes, 1.0);
    for (index, year) in scenario.years().enumerate() {
        let macro_year = &drivers.years[index];
        let (growth, migrant_income_factor) = match shared_growth {
            Some(shared) => (
                Arc::clone(&shared.growth[index]),
                Arc::clone(&shared.migrant_income[index]),
            ),
            None => {
                let mut growth = DVector::zeros(nodes);
                growth[0] = macro_year.roc_growth;
                let decay = (1.0 - params.trend_decay()).powi((year - DATA_BASE_YEAR).max(0));
                // Catch-up: −β_c·gap, the gap closing at β_c a year, from the start year on and
                // alongside a 2014 start's decaying unit trends: the pre-2014 pseudo-forecasts
                // find the two terms independent (calibrate::gdp_persistence).
                let beta = params.income_convergence();
                let catch_up = beta * (1.0 - beta).powi(year - start);
                for i in 0..n {
                    growth[i + 1] = macro_year.per_head[province_index[i]] + unit_trend[i] * decay
                        - catch_up * income_gap[i];
                }
                for named in scenario.policies.iter().filter(|p| p.is_active()) {
                    if let Policy::ProductivityShift {
                        units,
                        growth: shift,
                        from_year,
                        to_year,
                    } = &named.policy
                    {
                        if (*from_year..=*to_year).contains(&year) {
                            // Strength m: m × the shift (× 1 exactly as written).
                            let shift = shift * named.strength;
                            for &unit in units {
                                growth[unit + 1] += shift;
                            }
                        }
                    }
                }
                // Migrants act on income grown without the share 1 − w_c of catch-up they do
                // not respond to: per-head catch-up of poorer units came with people leaving,
                // and the base-year targets already hold the migration that went with it
                // (docs/CALIBRATION.md §5). The start year is the base state: F = 1.
                if index > 0 {
                    let unseen = 1.0 - params.catch_up_pull();
                    for i in 0..n {
                        let catch_up_growth = -catch_up * income_gap[i];
                        migrant_income[i + 1] *= (1.0 + growth[i + 1] - unseen * catch_up_growth)
                            / (1.0 + growth[i + 1]);
                    }
                }
                (Arc::new(growth), Arc::new(migrant_income.clone()))
            }
        };
        let natural = match shared_natural {
            Some(shared) => Arc::clone(&shared[index]),
            None => {
                let mut natural = DVector::zeros(nodes);
                natural[0] = macro_year.roc_natural;
                for i in 0..n {
                    natural[i + 1] = macro_year.natural[province_index[i]] + natural_offset[i];
                }
                Arc::new(natural)
            }
        };
        amenity_shift.fill(0.0);
        caps.fill(f64::INFINITY);
        for named in scenario.policies.iter().filter(|p| p.is_active()) {
            match &named.policy {
                Policy::AmenityShift {
                    units,
                    delta,
                    from_year,
                    to_year,
                } if (*from_year..=*to_year).contains(&year) => {
                    // Strength m: m × Δa.
                    let delta = delta * named.strength;
                    for &unit in units {
                        amenity_shift[unit + 1] += delta;
                    }
                }
                Policy::LandCap {
                    year: from,
                    unit,
                    km2,
                } if *from <= year => {
                    // Strength m scales the cap's tightness: km²/m (m = 1 as written, m = 2
                    // half the land, m → 0 no cap; m = 0 is off).
                    let km2 = km2 / named.strength;
                    caps[unit + 1] = km2 * 1e6 / params.land_per_person_m2();
                }
                _ => {}
            }
        }
        // The previous year's vector when the same, else a new one.
        let share = |previous: Option<&Arc<DVector<f64>>>, now: &DVector<f64>| match previous {
            Some(previous) if previous.as_slice() == now.as_slice() => Arc::clone(previous),
            _ => Arc::new(now.clone()),
        };
        let last = years.last();
        years.push(YearInputs {
            year,
            setting: setting_of_year[index],
            amenity_shift: share(last.map(|y| &y.amenity_shift), &amenity_shift),
            growth,
            natural_growth: natural,
            migrant_income_factor,
            urban_share: Arc::clone(&urban[index]),
            population_cap: share(last.map(|y| &y.population_cap), &caps),
        });
    }

    let mut prepared = Prepared {
        initial: base_state,
        structure,
        settings,
        years,
        calibration: calibrated,
        measured_unit_trend,
        unit_trend,
        observed_net_migration_rate: observed_rate,
        window_shift,
    };
    if !(start_is_base
        && prepared.years[0]
            .population_cap
            .iter()
            .all(|c| c.is_infinite()))
    {
        let start_inputs = prepared.inputs(0);
        prepared.initial = State::initial(&prepared.structure, population, income, &start_inputs);
    }
    Ok(Built {
        prepared,
        utility_without_amenity,
        preconditioner,
    })
}

/// Travel times, hukou wedges and border penalty in force in some years.
#[derive(Debug)]
struct Costs {
    travel: Arc<DMatrix<f64>>,
    wedge: Vec<f64>,
    border_penalty: f64,
}

impl Costs {
    fn same(&self, other: &Costs) -> bool {
        self.same_but_travel(other) && same_matrix(&self.travel, &other.travel)
    }

    /// The costs of a move with f = f0 = 0 (the calibration's K(0, 0)).
    fn move_costs<'a>(&'a self, border: &'a DMatrix<f64>, params: &Params) -> MoveCosts<'a> {
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

    fn same_but_travel(&self, other: &Costs) -> bool {
        self.wedge == other.wedge && self.border_penalty == other.border_penalty
    }
}

/// Equal entries: the same (shared) matrix, or equal as slices (much faster than matrix
/// equality).
fn same_matrix(a: &DMatrix<f64>, b: &DMatrix<f64>) -> bool {
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
struct TravelSchedule {
    by_change_year: Vec<Arc<DMatrix<f64>>>,
    start_without_levers: Arc<DMatrix<f64>>,
}

impl TravelSchedule {
    fn new(data: &Dataset, scenario: &Scenario, road: &DMatrix<f64>) -> TravelSchedule {
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
fn cost_settings(
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
fn wedges_in(
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
    for named in scenario.policies.iter().filter(|p| p.is_active()) {
        match &named.policy {
            Policy::HukouWedge {
                year: from,
                units,
                adjust,
            } if *from <= year => {
                for &unit in units {
                    let value = adjust.apply_scaled(wedge[unit + 1], named.strength);
                    if !(0.0..=0.95).contains(&value) {
                        return Err(SetupError::WedgeOutOfRange {
                            label: named.label.clone(),
                            unit: data.units[unit].id.clone(),
                            value,
                            year,
                        });
                    }
                    wedge[unit + 1] = value;
                }
            }
            Policy::BorderPenalty { year: from, adjust } if *from <= year => {
                border_penalty = adjust.apply_scaled(border_penalty, named.strength);
                if border_penalty < 0.0 {
                    return Err(SetupError::BorderOutOfRange {
                        label: named.label.clone(),
                        value: border_penalty,
                        year,
                    });
                }
            }
            _ => {}
        }
    }
    Ok((wedge, border_penalty))
}

/// Observed 2010–2014 net migration rate per unit: ln(P2014/P2010)/4 − n̄, where n̄ is the
/// natural growth the model itself applies to the unit over 2011–2014 (provincial path + the
/// unit's census offset), so that a run without shocks continues the observed growth.
/// Four years is a simplification: the census date is 2010-11-01 and the 2014 values are
/// year-end (Chongqing) or annual averages (Sichuan).
pub fn observed_net_migration_rate(data: &Dataset, natural_growth: &[f64]) -> Vec<f64> {
    data.census
        .iter()
        .zip(&data.base)
        .zip(natural_growth)
        .map(|((census, base), natural)| {
            (base.population.value / census.resident_population).ln() / 4.0 - natural
        })
        .collect()
}

/// Each unit's 2000→2010 net migration rate relative to its province (per year), from the two
/// censuses (both dated 1 November, ten years apart):
///
/// d_i = [ln(P_i,2010 / P_i,2000) / 10 − n_i] − mean over the province's units,
///
/// with n_i the unit's natural-growth offset from its province (2010 census rates), and the mean
/// weighted by 2010 residents. It is the most reliable migration signal of the data: annual
/// estimates between censuses undercount the growth of fast-growing cities.
pub fn census_decade_differential(data: &Dataset, natural_offset: &[f64]) -> Vec<f64> {
    let rate: Vec<f64> = census_decade_growth(data)
        .iter()
        .zip(natural_offset)
        .map(|(growth, offset)| growth - offset)
        .collect();
    let weights: Vec<f64> = data.census.iter().map(|c| c.resident_population).collect();
    demean_by_province(data, &rate, &weights)
}

/// Each unit's yearly growth between the 2000 and 2010 censuses, ln(P₂₀₁₀/P₂₀₀₀)/10 (both are
/// dated 1 November, ten years apart).
pub fn census_decade_growth(data: &Dataset) -> Vec<f64> {
    let years = f64::from(CENSUS_YEAR - CENSUS_2000_YEAR);
    data.census
        .iter()
        .zip(&data.census_2000_population)
        .map(|(c2010, &p2000)| (c2010.resident_population / p2000).ln() / years)
        .collect()
}

/// `values` minus their `weights`-weighted mean over each province's units.
fn demean_by_province(data: &Dataset, values: &[f64], weights: &[f64]) -> Vec<f64> {
    let mut sum = [0.0; 2];
    let mut weight = [0.0; 2];
    for ((unit, value), w) in data.units.iter().zip(values).zip(weights) {
        sum[unit.province.index()] += value * w;
        weight[unit.province.index()] += w;
    }
    data.units
        .iter()
        .zip(values)
        .map(|(unit, value)| {
            let p = unit.province.index();
            value - sum[p] / weight[p]
        })
        .collect()
}

/// Whether each unit's 2014 population says something about the unit itself: false where its
/// 2014/2010 ratio is shared (to 10⁻⁵) by at least two other units of the same province — the
/// mark of a province-wide scaling of the census (17 Chongqing units in the shipped data, scaled
/// by 1.0087 to the municipal total), which carries no unit-level migration signal.
pub fn base_has_unit_signal(data: &Dataset) -> Vec<bool> {
    let ratio: Vec<f64> = data
        .base
        .iter()
        .zip(&data.census)
        .map(|(base, census)| base.population.value / census.resident_population)
        .collect();
    (0..data.units.len())
        .map(|i| {
            let twins = (0..data.units.len())
                .filter(|&j| {
                    j != i
                        && data.units[j].province == data.units[i].province
                        && (ratio[j] - ratio[i]).abs() < 1e-5
                })
                .count();
            twins < 2
        })
        .collect()
}

/// φ, the share of true differential growth that annual population estimates capture, measured
/// where the data allow it: the Sichuan units' annual-average estimates of 2010, made before the
/// 2010 census was known, against the two censuses. The slope of ln(estimate₂₀₁₀ / census₂₀₀₀)
/// on ln(census₂₀₁₀ / census₂₀₀₀), both relative to the province's mean (weighted by 2010
/// residents), is φ (0.78 on the shipped data, correlation 0.98: the estimates undercounted
/// Chengdu by 3.4 % and overcounted Guang'an and Ziyang by 7.5–7.9 %). 1 (no correction) when
/// fewer than three units have such an estimate; kept within [0.3, 1].
pub fn estimate_capture(data: &Dataset) -> f64 {
    let units: Vec<usize> = (0..data.units.len())
        .filter(|&i| {
            data.history
                .population_annual_average
                .contains_key(&(i, CENSUS_YEAR))
        })
        .collect();
    if units.len() < 3 {
        return 1.0;
    }
    let mut mean_x = [0.0; 2];
    let mut mean_y = [0.0; 2];
    let mut weight = [0.0; 2];
    let point = |i: usize| {
        let c2000 = data.census_2000_population[i];
        let c2010 = data.census[i].resident_population;
        let estimate = data.history.population_annual_average[&(i, CENSUS_YEAR)];
        ((c2010 / c2000).ln(), (estimate / c2000).ln(), c2010)
    };
    for &i in &units {
        let (x, y, w) = point(i);
        let p = data.units[i].province.index();
        mean_x[p] += w * x;
        mean_y[p] += w * y;
        weight[p] += w;
    }
    let (mut covariance, mut variance) = (0.0, 0.0);
    for &i in &units {
        let (x, y, w) = point(i);
        let p = data.units[i].province.index();
        let (dx, dy) = (x - mean_x[p] / weight[p], y - mean_y[p] / weight[p]);
        covariance += w * dx * dy;
        variance += w * dx * dx;
    }
    if variance <= 0.0 {
        return 1.0;
    }
    (covariance / variance).clamp(0.3, 1.0)
}

/// The net migration rates a 2014 start is calibrated to: each province's observed 2010–2014
/// level (the population-weighted mean of its units' observed rates) plus a unit differential
/// that blends the census decade (weight `momentum`) with the unit's own 2010–2014 differential
/// (weight `estimate_weight`, only where the 2014 value carries a unit signal), the latter
/// divided by φ (`capture`, [`estimate_capture`]) because annual estimates catch only that share
/// of the true differential:
///
/// d_i = w·(m_i − m̄_p)/φ + (1 − w)·α·d_i^census   (unit signal)
/// d_i = α·d_i^census                               (province-wide scaling)
///
/// re-centred so that each province keeps its observed level.
pub fn blended_net_migration_rate(
    data: &Dataset,
    observed: &[f64],
    census_differential: &[f64],
    has_unit_signal: &[bool],
    capture: f64,
    momentum: f64,
    estimate_weight: f64,
) -> Vec<f64> {
    let weights: Vec<f64> = data.base.iter().map(|b| b.population.value).collect();
    let observed_differential = demean_by_province(data, observed, &weights);
    let level: Vec<f64> = observed
        .iter()
        .zip(&observed_differential)
        .map(|(m, d)| m - d)
        .collect();
    let blended: Vec<f64> = (0..observed.len())
        .map(|i| {
            let census = momentum * census_differential[i];
            if has_unit_signal[i] {
                estimate_weight * observed_differential[i] / capture
                    + (1.0 - estimate_weight) * census
            } else {
                census
            }
        })
        .collect();
    demean_by_province(data, &blended, &weights)
        .iter()
        .zip(&level)
        .map(|(d, l)| l + d)
        .collect()
}

/// A census-consistent 2014 population: the published values moved to where the calibration
/// targets say they would be, P_i · exp(4·(target_i − observed_i)) — the 2010 census carried to
/// 2014 at the target rates instead of the estimates' — scaled so that each province's units keep
/// their published total, then blended geometrically with the published values:
/// published^(1 − b) · consistent^b, again scaled to the provincial totals.
pub fn census_consistent_base(
    data: &Dataset,
    published: &[f64],
    observed_rate: &[f64],
    target_rate: &[f64],
    weight: f64,
) -> Vec<f64> {
    let to_totals = |values: Vec<f64>| -> Vec<f64> {
        let mut total = [0.0; 2];
        let mut goal = [0.0; 2];
        for ((unit, value), p) in data.units.iter().zip(&values).zip(published) {
            total[unit.province.index()] += value;
            goal[unit.province.index()] += p;
        }
        data.units
            .iter()
            .zip(values)
            .map(|(unit, value)| value * goal[unit.province.index()] / total[unit.province.index()])
            .collect()
    };
    let consistent = to_totals(
        published
            .iter()
            .zip(observed_rate)
            .zip(target_rate)
            .map(|((p, observed), target)| {
                p * (f64::from(DATA_BASE_YEAR - CENSUS_YEAR) * (target - observed)).exp()
            })
            .collect(),
    );
    to_totals(
        published
            .iter()
            .zip(&consistent)
            .map(|(p, c)| p.powf(1.0 - weight) * c.powf(weight))
            .collect(),
    )
}

/// The net migration rates a 2010 start is calibrated to: the census decade's differentials
/// (weight `momentum`) around each province's observed 2010–2014 level.
///
/// The 2000→2010 decade holds out-migration that reversed around 2010, so its level is not a
/// forecast; the hindcast is conditional on the provinces' observed totals (like their observed
/// GDP growth): each province's level is ln(P₂₀₁₄/P₂₀₁₀)/4 − its mean natural growth 2011–2014
/// (`natural_by_province`). Which units gain and lose within a province is the test.
pub fn hindcast_net_migration_rate(
    data: &Dataset,
    census_differential: &[f64],
    momentum: f64,
    natural_by_province: &[f64],
) -> Vec<f64> {
    let level: Vec<f64> = Province::ALL
        .iter()
        .map(|p| {
            let totals = &data.macro_drivers.resident_population;
            let key = |year: i32| (p.id().to_string(), year);
            (totals[&key(DATA_BASE_YEAR)] / totals[&key(CENSUS_YEAR)]).ln()
                / f64::from(DATA_BASE_YEAR - CENSUS_YEAR)
                - natural_by_province[p.index()]
        })
        .collect();
    data.units
        .iter()
        .zip(census_differential)
        .map(|(unit, d)| level[unit.province.index()] + momentum * d)
        .collect()
}

/// Migrant stocks of the 2010 census as shares of the resident population of the 44 units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CensusMigrantStocks {
    /// Residents registered in another county of the same province (inter-county movers; in
    /// Sichuan this includes moves between counties of one city, in Chongqing moves from
    /// districts outside the plan).
    pub internal: f64,
    /// People registered in the units but living elsewhere, net, plus residents registered in
    /// another province: registered − resident + in-migrants from other provinces.
    pub rest_of_china: f64,
}

/// Reads the census migration columns: base-year gross move rates are these stocks divided by
/// `migrant_stay_years`.
pub fn census_migrant_stocks(data: &Dataset) -> CensusMigrantStocks {
    let sum = |f: &dyn Fn(&crate::data::Census2010) -> f64| data.census.iter().map(f).sum::<f64>();
    let resident = sum(&|c| c.resident_population);
    CensusMigrantStocks {
        internal: sum(&|c| c.in_migrants_other_county_same_province) / resident,
        rest_of_china: (sum(&|c| c.registered_population) - resident
            + sum(&|c| c.in_migrants_other_province))
            / resident,
    }
}

/// Unit natural growth offset: the unit's 2010 census rate minus the population-weighted mean of
/// its province's units (fraction per year).
pub fn natural_growth_offsets(data: &Dataset) -> Vec<f64> {
    let mut weighted = [0.0; 2];
    let mut weight = [0.0; 2];
    for (unit, census) in data.units.iter().zip(&data.census) {
        let p = unit.province.index();
        weighted[p] += census.natural_growth_permille * census.resident_population;
        weight[p] += census.resident_population;
    }
    data.units
        .iter()
        .zip(&data.census)
        .map(|(unit, census)| {
            let p = unit.province.index();
            (census.natural_growth_permille - weighted[p] / weight[p]) / 1000.0
        })
        .collect()
}

/// Population of a unit in `year` (2010..=2014) for trend estimation: Sichuan units use the
/// annual-average series; Chongqing units interpolate geometrically between the 2010 census and
/// the 2014 base year (their only two full-coverage observations).
pub(crate) fn trend_population(data: &Dataset, unit: usize, year: i32) -> Option<f64> {
    match data.units[unit].province {
        Province::Sichuan => data
            .history
            .population_annual_average
            .get(&(unit, year))
            .copied(),
        Province::Chongqing => {
            let p2010 = data.census[unit].resident_population;
            let p2014 = data.base[unit].population.value;
            Some(p2010 * (p2014 / p2010).powf(f64::from(year - 2010) / 4.0))
        }
    }
}

/// ln(y_i / ȳ_p): each unit's GDP per head in the start year relative to its province's units
/// together, from the published start-year values (not the census-consistent base, so that it
/// depends on the data alone).
pub fn income_gap(data: &Dataset, population: &[f64], gdp: &[f64]) -> Vec<f64> {
    let mut province_gdp = [0.0; 2];
    let mut province_population = [0.0; 2];
    for ((unit, p), y) in data.units.iter().zip(population).zip(gdp) {
        province_gdp[unit.province.index()] += y;
        province_population[unit.province.index()] += p;
    }
    data.units
        .iter()
        .zip(population)
        .zip(gdp)
        .map(|((unit, p), y)| {
            let k = unit.province.index();
            ((y / p) / (province_gdp[k] / province_population[k])).ln()
        })
        .collect()
}

/// g_i⁰: each unit's 2010–2014 growth of nominal GDP per head minus that of its province's units
/// together over the same years (a common provincial deflator cancels). Units with under two
/// years of GDP history (Yuzhong) get 0. Qijiang and Dazu start in 2011 (their 2011 mergers are
/// not in the 2010 figures).
pub fn unit_trends(data: &Dataset) -> Vec<f64> {
    let n = data.units.len();
    let first_year = |unit: usize| -> Option<i32> {
        (2010..=2012).find(|&year| {
            data.history.gdp.contains_key(&(unit, year))
                && trend_population(data, unit, year).is_some()
        })
    };
    let gdp = |unit: usize, year: i32| -> f64 {
        if year == DATA_BASE_YEAR {
            data.base[unit].gdp.value
        } else {
            data.history.gdp[&(unit, year)]
        }
    };
    let pop = |unit: usize, year: i32| -> f64 {
        if year == DATA_BASE_YEAR && data.units[unit].province == Province::Chongqing {
            data.base[unit].population.value
        } else {
            trend_population(data, unit, year).expect("first_year checked it")
        }
    };
    let per_head_rate = |members: &[usize], from: i32| -> f64 {
        let (gdp0, gdp1, pop0, pop1) = members.iter().fold((0.0, 0.0, 0.0, 0.0), |acc, &u| {
            (
                acc.0 + gdp(u, from),
                acc.1 + gdp(u, DATA_BASE_YEAR),
                acc.2 + pop(u, from),
                acc.3 + pop(u, DATA_BASE_YEAR),
            )
        });
        ((gdp1 / gdp0).ln() - (pop1 / pop0).ln()) / f64::from(DATA_BASE_YEAR - from)
    };
    (0..n)
        .map(|unit| {
            let Some(from) = first_year(unit) else {
                return 0.0;
            };
            let peers: Vec<usize> = (0..n)
                .filter(|&other| {
                    data.units[other].province == data.units[unit].province
                        && first_year(other).is_some_and(|y| y <= from)
                })
                .collect();
            per_head_rate(&[unit], from) - per_head_rate(&peers, from)
        })
        .collect()
}

/// Logistic urban-share curves, anchored on each unit's latest observed share up to the start
/// year: the Chongqing district panel where present, else the 2010 census.
fn urban_curves(data: &Dataset, params: &Params, start: i32) -> Vec<UrbanCurve> {
    data.units
        .iter()
        .enumerate()
        .map(|(i, unit)| {
            let p = unit.province.index();
            let observed = (CENSUS_YEAR..=start)
                .rev()
                .find_map(|year| data.history.urban_share.get(&(i, year)).map(|s| (*s, year)));
            let (share, year) = observed.unwrap_or((
                data.census[i].urban_population / data.census[i].resident_population,
                2010,
            ));
            UrbanCurve::anchored(
                share,
                f64::from(year),
                params.urban_max(p),
                params.urban_rate(p),
            )
        })
        .collect()
}

fn urban_vector(curves: &[UrbanCurve], year: i32) -> DVector<f64> {
    DVector::from_fn(curves.len() + 1, |i, _| {
        if i == 0 {
            0.0
        } else {
            curves[i - 1].share(f64::from(year))
        }
    })
}

/// Provincial and national drivers by year: scenario paths first, then data, then stated rules.
struct MacroPaths<'a> {
    data: &'a Dataset,
    prices: &'a PriceHistory,
    scenario: &'a Scenario,
    /// Average 2010–2014 resident-population growth per province (for per-head trends).
    province_population_growth: [f64; 2],
    /// Weights of the provinces' natural growth in the rest of China's (2014 populations).
    province_weight: [f64; 2],
}

impl<'a> MacroPaths<'a> {
    fn new(data: &'a Dataset, prices: &'a PriceHistory, scenario: &'a Scenario) -> Self {
        let pop = |region: &str, year: i32| {
            data.macro_drivers.resident_population[&(region.to_string(), year)]
        };
        let growth = |region: &str| (pop(region, 2014) / pop(region, 2010)).powf(0.25) - 1.0;
        let total = pop("sichuan", 2014) + pop("chongqing", 2014);
        MacroPaths {
            data,
            prices,
            scenario,
            province_population_growth: [growth("sichuan"), growth("chongqing")],
            province_weight: [pop("sichuan", 2014) / total, pop("chongqing", 2014) / total],
        }
    }

    fn scenario_value(&self, region: &str, indicator: Indicator, year: i32) -> Option<f64> {
        self.scenario
            .macro_paths
            .iter()
            .rev()
            .find(|path| {
                path.region == region
                    && path.indicator == indicator
                    && (path.from_year..=path.to_year).contains(&year)
            })
            .map(|path| path.value)
    }

    /// Real GDP growth (fraction). Before 2014, a province without an observed rate takes the
    /// rate derived from its units' history ([`PriceHistory`]). After the data: China holds its
    /// last observed rate (and its first one before: 2011–2013 are not in the data); a province
    /// runs at China's rate plus its mean premium over its last five observed years.
    fn real_growth(&self, region: &str, year: i32) -> f64 {
        if let Some(value) = self.scenario_value(region, Indicator::RealGdpGrowth, year) {
            return value / 100.0;
        }
        let series = &self.data.macro_drivers.real_gdp_growth;
        let observed = |region: &str, year: i32| series.get(&(region.to_string(), year)).copied();
        if let Some(value) = observed(region, year) {
            return value / 100.0;
        }
        let china = |year: i32| -> f64 {
            if let Some(value) = self.scenario_value("china", Indicator::RealGdpGrowth, year) {
                return value;
            }
            held(series, "china", year)
        };
        if region == "china" {
            return china(year) / 100.0;
        }
        if let Some(derived) =
            Province::parse(region).and_then(|p| self.prices.real_growth[p.index()].get(&year))
        {
            return *derived;
        }
        let mut common: Vec<(i32, f64)> = series
            .iter()
            .filter(|((r, y), _)| r == region && observed("china", *y).is_some())
            .map(|((_, y), v)| (*y, v - observed("china", *y).unwrap_or(0.0)))
            .collect();
        common.sort_by_key(|(y, _)| *y);
        let last_five = &common[common.len().saturating_sub(5)..];
        let premium = last_five.iter().map(|(_, v)| v).sum::<f64>() / last_five.len().max(1) as f64;
        (china(year) + premium) / 100.0
    }

    /// Natural growth (fraction): scenario, else linear between observed years, held outside.
    fn natural(&self, region: &str, year: i32) -> f64 {
        if let Some(value) = self.scenario_value(region, Indicator::NaturalGrowth, year) {
            return value / 1000.0;
        }
        let series: Vec<(i32, f64)> = self
            .data
            .macro_drivers
            .natural_growth
            .iter()
            .filter(|((r, _), _)| r == region)
            .map(|((_, y), v)| (*y, *v))
            .collect();
        interpolate(&series, year) / 1000.0
    }

    /// The rest of China's natural growth: the two provinces' paths weighted by 2014 population
    /// (an assumption: national natural growth is not in the data).
    fn rest_of_china_natural(&self, year: i32) -> f64 {
        if let Some(value) = self.scenario_value("china", Indicator::NaturalGrowth, year) {
            return value / 1000.0;
        }
        self.province_weight[0] * self.natural("sichuan", year)
            + self.province_weight[1] * self.natural("chongqing", year)
    }
}

/// The value of `region` in `year`, else its last observed value before, else its first.
fn held(series: &std::collections::BTreeMap<(String, i32), f64>, region: &str, year: i32) -> f64 {
    let points: Vec<(i32, f64)> = series
        .iter()
        .filter(|((r, _), _)| r == region)
        .map(|((_, y), v)| (*y, *v))
        .collect();
    points
        .iter()
        .rev()
        .find(|(y, _)| *y <= year)
        .or(points.first())
        .map_or(0.0, |(_, v)| *v)
}

/// Linear interpolation in a year-sorted series, constant beyond its ends.
fn interpolate(series: &[(i32, f64)], year: i32) -> f64 {
    match series {
        [] => 0.0,
        [(_, only)] => *only,
        _ => {
            if year <= series[0].0 {
                return series[0].1;
            }
            for pair in series.windows(2) {
                let ((y0, v0), (y1, v1)) = (pair[0], pair[1]);
                if year <= y1 {
                    let t = f64::from(year - y0) / f64::from(y1 - y0);
                    return v0 + t * (v1 - v0);
                }
            }
            series[series.len() - 1].1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn interpolation_is_linear_inside_and_flat_outside() {
        let series = [(2010, 2.0), (2014, 4.0), (2022, -4.0)];
        assert_relative_eq!(interpolate(&series, 2012), 3.0);
        assert_relative_eq!(interpolate(&series, 2018), 0.0);
        assert_relative_eq!(interpolate(&series, 2005), 2.0);
        assert_relative_eq!(interpolate(&series, 2030), -4.0);
    }

    #[test]
    fn macro_rules_follow_the_data_then_the_stated_assumptions() {
        let data = Dataset::embedded();
        let scenario = Scenario::default_for_tests();
        let prices = PriceHistory::new(&data);
        let macros = MacroPaths::new(&data, &prices, &scenario);
        assert_relative_eq!(macros.real_growth("chongqing", 2016), 0.107);
        // China after 2023 holds 5.2 %.
        assert_relative_eq!(macros.real_growth("china", 2028), 0.052);
        // Sichuan's premium over 2016–2020: mean(7.7,8.1,8.0,7.5,3.8) − mean(6.8,6.9,6.7,6.0,2.2) = 1.30
        assert_relative_eq!(
            macros.real_growth("sichuan", 2028),
            0.052 + 0.013,
            epsilon = 1e-12
        );
        assert_relative_eq!(
            macros.natural("sichuan", 2012),
            (2.98 + (3.2 - 2.98) / 3.0) / 1000.0,
            epsilon = 1e-12
        );
    }

    /// Catch-up: a unit richer than its province grows slower per head, a poorer one faster, by
    /// β_c·(1 − β_c)^h times its log gap (shown on a 2010 start, which has no unit trends; a 2014
    /// start adds the same term beside its decaying trends).
    /// The test scenario from `start` with one parameter changed, prepared.
    fn prepared_with(data: &Dataset, start: i32, name: &str, value: f64) -> Prepared {
        let mut scenario = Scenario {
            start_year: start,
            ..Scenario::default_for_tests()
        };
        scenario.params = scenario
            .params
            .with_values_at([(crate::model::params::spec_index(name).unwrap(), value)])
            .unwrap();
        prepare(data, &scenario).unwrap()
    }

    #[test]
    fn poorer_units_catch_up_at_the_convergence_rate() {
        let data = Dataset::embedded();
        let derived = DataDerived::new(&data);
        for start in [CENSUS_YEAR, DATA_BASE_YEAR] {
            let base = &derived.base(start);
            let gap = income_gap(&data, &base.population, &base.gdp);
            let with = |beta: f64| prepared_with(&data, start, "income_convergence", beta);
            let (off, on) = (with(0.0), with(0.02));
            let yuzhong = data.unit_index("yuzhong").unwrap();
            let yunyang = data.unit_index("yunyang").unwrap();
            assert!(gap[yuzhong] > 0.5 && gap[yunyang] < -0.3, "{gap:?}");
            // h years after the start: 0.02 · 0.98^h · gap, from the first projected year on
            // (a 2014 start no longer phases it in as its unit trends decay).
            for h in [1, 2] {
                for unit in [yuzhong, yunyang] {
                    let change = on.years[h].growth[unit + 1] - off.years[h].growth[unit + 1];
                    let expected = -0.02 * 0.98f64.powi(h as i32) * gap[unit];
                    assert!(
                        (change - expected).abs() < 1e-12,
                        "start {start}, h {h}: {change} vs {expected}"
                    );
                }
            }
        }
    }

    #[test]
    fn migrants_act_on_income_without_the_catch_up_they_do_not_respond_to() {
        let data = Dataset::embedded();
        let yunyang = data.unit_index("yunyang").unwrap() + 1;
        let with = |pull: f64| prepared_with(&data, DATA_BASE_YEAR, "catch_up_pull", pull);
        let (none, half, all) = (with(0.0), with(0.5), with(1.0));
        let no_catch_up = prepared_with(&data, DATA_BASE_YEAR, "income_convergence", 0.0);
        // The start year is the base state; from then on, income grown at the full rate times
        // F grows at the rate without catch-up when migrants see none of it.
        assert_eq!(none.years[0].migrant_income_factor[yunyang], 1.0);
        let (mut full, mut seen) = (1.0, 1.0);
        for h in 1..none.years.len() {
            full *= 1.0 + none.years[h].growth[yunyang];
            seen *= 1.0 + no_catch_up.years[h].growth[yunyang];
            let factor = none.years[h].migrant_income_factor[yunyang];
            assert!((full * factor / seen - 1.0).abs() < 1e-12, "h {h}");
            // Yunyang is poor: catch-up raises its growth, so migrants see less of it; at
            // w_c = 1 they see all of it, halfway in between at 0.5. GDP per head is the same.
            assert!(factor < half.years[h].migrant_income_factor[yunyang]);
            assert_eq!(all.years[h].migrant_income_factor[yunyang], 1.0);
            assert_eq!(none.years[h].growth, all.years[h].growth);
        }
    }

    #[test]
    fn unit_trends_are_relative_to_the_province() {
        let data = Dataset::embedded();
        let trends = unit_trends(&data);
        assert_eq!(trends[data.unit_index("yuzhong").unwrap()], 0.0);
        assert!(
            trends.iter().all(|t| t.is_finite() && t.abs() < 0.25),
            "{trends:?}"
        );
        // Dadukou's 2011 steelworks relocation shows as a −20 %/yr "trend": the cap exists for it.
        assert!(trends[data.unit_index("dadukou").unwrap()] < -0.15);
        // Population-and-GDP weighted, relative trends roughly cancel within a province.
        let mean_sichuan: f64 = data
            .units
            .iter()
            .zip(&trends)
            .filter(|(u, _)| u.province == Province::Sichuan)
            .map(|(_, t)| t)
            .sum::<f64>()
            / 15.0;
        assert!(mean_sichuan.abs() < 0.03, "{mean_sichuan}");
    }

    #[test]
    fn census_stocks_give_the_documented_rates() {
        let stocks = census_migrant_stocks(&Dataset::embedded());
        // 6,924,950 / 90,465,844 and (101,373,056 − 90,465,844 + 1,872,653) / 90,465,844
        assert_relative_eq!(stocks.internal, 0.07655, epsilon = 1e-4);
        assert_relative_eq!(stocks.rest_of_china, 0.14127, epsilon = 1e-4);
    }

    #[test]
    fn a_corridor_scales_each_pair_once() {
        let data = Dataset::embedded();
        let (chengdu, ziyang) = (
            data.unit_index("chengdu").unwrap(),
            data.unit_index("ziyang").unwrap(),
        );
        let scenario = Scenario {
            policies: vec![crate::scenario::NamedPolicy {
                strength: 1.0,
                label: "corridor".into(),
                policy: Policy::TravelTime {
                    year: 2020,
                    from: vec![chengdu, ziyang],
                    to: vec![chengdu, ziyang],
                    time: TimeChange::Factor(0.8),
                },
            }],
            ..Scenario::default_for_tests()
        };
        let prepared = prepare(&data, &scenario).unwrap();
        let before = &prepared.settings[prepared.years[5].setting].travel_hours;
        let after = &prepared.settings[prepared.years[6].setting].travel_hours;
        assert_relative_eq!(after[(chengdu, ziyang)], 0.8 * before[(chengdu, ziyang)]);
        assert_relative_eq!(after[(ziyang, chengdu)], 0.8 * before[(ziyang, chengdu)]);
        assert_eq!(after[(chengdu, chengdu)], before[(chengdu, chengdu)]);
    }

    #[test]
    fn a_2010_start_uses_only_what_was_known_in_2010_and_the_provincial_totals() {
        let data = Dataset::embedded();
        let scenario = Scenario {
            start_year: CENSUS_YEAR,
            ..Scenario::default_for_tests()
        };
        let prepared = prepare(&data, &scenario).unwrap();
        assert_eq!(prepared.years[0].year, 2010);
        assert!(prepared.unit_trend.iter().all(|t| *t == 0.0));
        assert_eq!(
            prepared.initial.population[1],
            data.census[0].resident_population
        );
        assert!(prepared.calibration.max_rate_residual < 1e-9);
        // Within each province the targets keep α times the census decade's differentials
        // (2000→2010 growth net of natural growth); their weighted mean is the province's
        // observed 2010–2014 net migration rate.
        let alpha = scenario.params.census_momentum();
        let offsets = natural_growth_offsets(&data);
        let decade = |i: usize| {
            (data.census[i].resident_population / data.census_2000_population[i]).ln() / 10.0
                - offsets[i]
        };
        let (a, b) = (
            data.unit_index("chengdu").unwrap(),
            data.unit_index("mianyang").unwrap(),
        );
        assert_relative_eq!(
            prepared.observed_net_migration_rate[a] - prepared.observed_net_migration_rate[b],
            alpha * (decade(a) - decade(b)),
            epsilon = 1e-12
        );
        let prices = PriceHistory::new(&data);
        let macros = MacroPaths::new(&data, &prices, &scenario);
        let natural: f64 = (2011..=2014)
            .map(|y| macros.natural("chongqing", y))
            .sum::<f64>()
            / 4.0;
        let totals = &data.macro_drivers.resident_population;
        let observed = (totals[&("chongqing".to_string(), 2014)]
            / totals[&("chongqing".to_string(), 2010)])
            .ln()
            / 4.0
            - natural;
        let (weighted, people) = (0..data.units.len())
            .filter(|&i| data.units[i].province == Province::Chongqing)
            .fold((0.0, 0.0), |(w, n), i| {
                let p = data.census[i].resident_population;
                (w + prepared.observed_net_migration_rate[i] * p, n + p)
            });
        assert_relative_eq!(weighted / people, observed, epsilon = 1e-12);
        // The rest of China is taken back from 2014: smaller and poorer in 2010.
        let base_2014 = prepare(&data, &Scenario::default_for_tests()).unwrap();
        assert!(prepared.initial.population[0] < base_2014.initial.population[0]);
        assert!(prepared.initial.income_per_head[0] < base_2014.initial.income_per_head[0]);
    }

    #[test]
    fn annual_estimates_capture_about_four_fifths_of_the_census_differentials() {
        let data = Dataset::embedded();
        let capture = estimate_capture(&data);
        assert!((0.77..0.79).contains(&capture), "{capture}");
        // Without 2010 estimates there is nothing to measure: no correction.
        let mut without = data.clone();
        without.history.population_annual_average.clear();
        assert_eq!(estimate_capture(&without), 1.0);
    }

    #[test]
    fn a_2014_start_blends_the_census_decade_with_the_estimates_where_they_carry_a_signal() {
        let data = Dataset::embedded();
        let signal = base_has_unit_signal(&data);
        // 17 Chongqing units are the 2010 census × 1.0087 (the municipal total): no signal.
        assert_eq!(signal.iter().filter(|s| !**s).count(), 17);
        assert!(!signal[data.unit_index("fuling").unwrap()]);
        assert!(signal[data.unit_index("yubei").unwrap()]);
        assert!(signal[data.unit_index("chengdu").unwrap()]);
        let natural = vec![0.0; data.units.len()];
        let observed = observed_net_migration_rate(&data, &natural);
        let decade = census_decade_differential(&data, &natural_growth_offsets(&data));
        // With α = 0 and no weight on the estimates, every unit sits at its province's level.
        let flat = blended_net_migration_rate(&data, &observed, &decade, &signal, 0.8, 0.0, 0.0);
        let (fuling, qijiang) = (
            data.unit_index("fuling").unwrap(),
            data.unit_index("qijiang").unwrap(),
        );
        assert_relative_eq!(flat[fuling], flat[qijiang], epsilon = 1e-15);
        // Two scaled units differ by α times their census differentials, whatever w_e.
        let blended = blended_net_migration_rate(&data, &observed, &decade, &signal, 0.8, 0.7, 0.4);
        assert_relative_eq!(
            blended[fuling] - blended[qijiang],
            0.7 * (decade[fuling] - decade[qijiang]),
            epsilon = 1e-12
        );
        // Each province keeps its observed level (base-population weights).
        for province in Province::ALL {
            let mean = |rates: &[f64]| {
                let (w, n) = (0..data.units.len())
                    .filter(|&i| data.units[i].province == province)
                    .fold((0.0, 0.0), |(w, n), i| {
                        let p = data.base[i].population.value;
                        (w + rates[i] * p, n + p)
                    });
                w / n
            };
            assert_relative_eq!(mean(&blended), mean(&observed), epsilon = 1e-12);
        }
    }

    /// A 2010 start meets its targets on average over 2011–2014, where the provincial totals
    /// it is conditioned on were observed; without the shift its net inflow rises through the
    /// window and overshoots them. A 2014 start has no shift.
    #[test]
    fn a_2010_start_meets_its_targets_over_the_window() {
        use crate::engine::{simulate, RunOptions, Silent};
        let data = Dataset::embedded();
        let derived = DataDerived::new(&data);
        let hindcast = Scenario {
            start_year: CENSUS_YEAR,
            end_year: DATA_BASE_YEAR,
            ..Scenario::default_for_tests()
        };
        let unshifted = build(&data, &derived, None, &hindcast, false, [0.0; 2]).unwrap();
        let drift = window_drift(
            &data,
            &simulate(&unshifted.prepared, &RunOptions::default(), &mut Silent),
        );
        assert!(
            drift.iter().all(|&d| d > 5e-4),
            "the inflow rises: {drift:?}"
        );

        let prepared = prepare(&data, &hindcast).unwrap();
        let shift = prepared.window_shift;
        assert!(shift.iter().all(|&s| s < 0.0), "{shift:?}");
        let trajectory = simulate(&prepared, &RunOptions::default(), &mut Silent);
        // The window's mean rate − the targets' = drift + shift: what is left after the rounds.
        for (d, s) in window_drift(&data, &trajectory).iter().zip(shift) {
            assert!((d + s).abs() < 1e-5, "left over {:e}", d + s);
        }
        // The calibrated start year is the targets plus the shift.
        let flows =
            crate::model::step::flows(&prepared.structure, &prepared.initial, &prepared.inputs(0));
        let net = flows.net();
        for (i, unit) in data.units.iter().enumerate() {
            let modelled = net[i + 1] / prepared.initial.population[i + 1];
            let target = prepared.observed_net_migration_rate[i] + shift[unit.province.index()];
            assert_relative_eq!(modelled, target, epsilon = 1e-8);
        }

        let baseline = prepare(&data, &Scenario::default_for_tests()).unwrap();
        assert_eq!(baseline.window_shift, [0.0; 2]);
    }

    #[test]
    fn the_base_year_is_calibrated_to_observed_net_migration() {
        let data = Dataset::embedded();
        let prepared = prepare(&data, &Scenario::default_for_tests()).unwrap();
        assert!(prepared.calibration.max_rate_residual < 1e-9);
        let flows =
            crate::model::step::flows(&prepared.structure, &prepared.initial, &prepared.inputs(0));
        let net = flows.net();
        for (i, rate) in prepared.observed_net_migration_rate.iter().enumerate() {
            let modelled = net[i + 1] / prepared.initial.population[i + 1];
            assert_relative_eq!(modelled, rate, epsilon = 1e-8);
        }
    }

    /// Largest relative difference of the populations of two runs, every unit and year.
    fn max_relative_difference(a: &Prepared, b: &Prepared) -> f64 {
        use crate::engine::{simulate, RunOptions, Silent};
        let (ta, tb) = (
            simulate(a, &RunOptions::default(), &mut Silent),
            simulate(b, &RunOptions::default(), &mut Silent),
        );
        ta.population
            .iter()
            .flatten()
            .zip(tb.population.iter().flatten())
            .map(|(x, y)| ((x - y) / x).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn a_warm_start_changes_results_only_within_the_calibration_tolerance() {
        let data = Dataset::embedded();
        let derived = DataDerived::new(&data);
        let base = Scenario::default_for_tests();
        let warm = Warm::new(&data, &derived, &base).unwrap();
        // The base itself: the very same run, its calibration taken as it is.
        let cold = prepare_with(&data, &derived, &base).unwrap();
        let hot = prepare_warm(&data, &derived, &warm, &base).unwrap();
        assert_eq!(hot.calibration, cold.calibration);
        assert_eq!(hot.structure, cold.structure);
        assert_eq!(max_relative_difference(&cold, &hot), 0.0);
        // Variants that touch each shared part: the shared parts are used only where equal, so
        // everything but the calibration (and the kernels it scales) is bit-identical to a cold
        // setup, and trajectories agree to well within the calibration's own accuracy.
        let with = |pairs: &[(&str, f64)]| Scenario {
            params: Params::from_values(
                base.params
                    .iter()
                    .map(|(n, v)| (n, pairs.iter().find(|p| p.0 == n).map_or(v, |p| p.1))),
            )
            .unwrap(),
            ..base.clone()
        };
        let chengdu = data.unit_index("chengdu").unwrap();
        let variants = vec![
            with(&[
                ("epsilon", 3.1),
                ("beta_per_hour", 0.8),
                ("migrant_stay_years", 6.0),
            ]),
            with(&[("tau0_minutes", 60.0)]),
            with(&[("road_speed_kmh", 95.0)]),
            with(&[("urban_rate_sichuan", 0.1), ("hukou_wedge", 0.3)]),
            Scenario {
                policies: vec![crate::scenario::NamedPolicy {
                    label: "rail".into(),
                    strength: 1.0,
                    policy: Policy::TravelTime {
                        year: 2020,
                        from: vec![chengdu],
                        to: vec![data.unit_index("yibin").unwrap()],
                        time: TimeChange::Hours(1.0),
                    },
                }],
                ..base.clone()
            },
            Scenario {
                macro_paths: vec![MacroPath {
                    region: "china".into(),
                    indicator: Indicator::RealGdpGrowth,
                    from_year: 2024,
                    to_year: 2030,
                    value: 3.0,
                }],
                ..base.clone()
            },
        ];
        for scenario in &variants {
            let cold = prepare_with(&data, &derived, scenario).unwrap();
            let hot = prepare_warm(&data, &derived, &warm, scenario).unwrap();
            if scenario.params == base.params && scenario.macro_paths == base.macro_paths {
                // Levers only: the calibration inputs are the base's, so is the calibration,
                // and the run is the cold one bit for bit.
                assert_eq!(hot.calibration, cold.calibration);
                assert_eq!(max_relative_difference(&cold, &hot), 0.0);
            } else {
                assert!(hot.calibration.rounds < cold.calibration.rounds);
            }
            for (a, b) in cold.settings.iter().zip(&hot.settings) {
                assert_eq!(a.travel_hours, b.travel_hours);
                assert_eq!(a.access, b.access);
                assert_eq!(
                    (&a.hukou_wedge, a.border_penalty),
                    (&b.hukou_wedge, b.border_penalty)
                );
            }
            for (a, b) in cold.years.iter().zip(&hot.years) {
                assert_eq!(
                    (a.setting, &a.growth, &a.natural_growth, &a.urban_share),
                    (b.setting, &b.growth, &b.natural_growth, &b.urban_share)
                );
            }
            let difference = max_relative_difference(&cold, &hot);
            assert!(difference < 1e-8, "{difference:e}");
        }
    }

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

    #[test]
    fn a_cold_start_far_from_the_solution_does_not_overflow() {
        // ε near 6: the first diagonal Newton steps exceed 20 and, unbounded, overflowed.
        let data = Dataset::embedded();
        let scenario = Scenario {
            params: Params::from_values([
                ("epsilon", 5.912532628),
                ("lambda", 0.841736576),
                ("hukou_wedge", 0.089277232),
                ("gamma", 0.076095486),
            ])
            .unwrap(),
            ..Scenario::default_for_tests()
        };
        let prepared = prepare(&data, &scenario).unwrap();
        assert!(prepared.calibration.max_rate_residual < 1e-10);
    }
}
