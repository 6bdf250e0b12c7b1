//! From data + scenario to model inputs: base state, yearly schedule, calibration, kernels.
//!
//! Policies are typed, dated modifications of the inputs (A/B Street's "scenario modifiers"):
//! they change travel times, wedges, the border penalty, growth, amenities and caps year by
//! year; the equations in `model` never know a policy exists.

use std::borrow::Cow;
use std::sync::Arc;

use nalgebra::{DMatrix, DVector};

use crate::data::{Dataset, Province};
use crate::model::calibration::{self, Calibrated, Targets};
use crate::model::geography;
use crate::model::migration;
use crate::model::production;
use crate::model::{Params, State, StepInputs, Structure};
use crate::scenario::Scenario;

pub use super::base::DATA_BASE_YEAR;
use super::base::{self, BaseYearValues, PriceHistory, CENSUS_YEAR};

mod drivers;
mod error;
mod schedule;
mod targets;
mod travel;
mod warm;

pub(crate) use drivers::trend_population;
use drivers::MacroPaths;
pub use drivers::{income_gap, unit_trends};
pub use error::SetupError;
use schedule::{growth_paths, natural_paths, urban_vectors, year_inputs};
pub use targets::{
    base_has_unit_signal, blended_net_migration_rate, census_consistent_base,
    census_decade_differential, census_decade_growth, census_migrant_stocks, estimate_capture,
    hindcast_net_migration_rate, income_predicted_differential, income_shrunk_differential,
    natural_growth_offsets, observed_net_migration_rate, CensusMigrantStocks, IncomePrediction,
    CENSUS_2000_YEAR,
};
use travel::{cost_settings, road_speeds, same_matrix, wedges_in, Costs, TravelSchedule};
pub use warm::Warm;

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
    /// The part of each node's calibrated amenity that sets its net migration apart from its
    /// province's (N+1, zero for the rest of China, and for all when `differential_decay` is 0):
    /// the amenities minus those calibrated to every unit at its province's mean target rate.
    /// The yearly inputs take (1 − (1 − δ_D)^(t − 2012.5)) of it off ([`differential_factor`]).
    pub differential_amenity: DVector<f64>,
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
    /// What 2010 GDP per head predicts of those differentials ([`income_predicted_differential`]).
    pub income_prediction: IncomePrediction,
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
        let base_values: Vec<BaseYearValues> = base::START_YEARS
            .iter()
            .map(|&year| base::base_year_values(data, &prices, year))
            .collect();
        let census_decade_differential = census_decade_differential(data, &natural_offset);
        // 2010 GDP per head of the 2010 base (re-priced by one deflator, which the regression's
        // centring on each province removes).
        let base_2010 = base_values
            .iter()
            .find(|b| b.year == CENSUS_YEAR)
            .expect("2010 is a start year");
        let log_income_2010: Vec<f64> = base_2010
            .gdp
            .iter()
            .zip(&base_2010.population)
            .map(|(gdp, population)| (gdp / population).ln())
            .collect();
        let income_prediction =
            income_predicted_differential(data, &census_decade_differential, &log_income_2010);
        DataDerived {
            distances_km: geography::distances_km(
                &data.units.iter().map(|u| u.lat).collect::<Vec<_>>(),
                &data.units.iter().map(|u| u.lon).collect::<Vec<_>>(),
            ),
            measured_unit_trend: unit_trends(data),
            census_decade_differential,
            income_prediction,
            natural_offset,
            census_stocks: census_migrant_stocks(data),
            base_has_unit_signal: base_has_unit_signal(data),
            estimate_capture: estimate_capture(data),
            area_km2: data.units.iter().map(|u| u.area_km2).collect(),
            border: DMatrix::from_fn(n, n, |i, j| f64::from(u8::from(province[i] != province[j]))),
            base_values,
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
            observed_net_migration_rate: observed_net_migration_rate(
                data,
                &derived.base(DATA_BASE_YEAR).population,
                &natural_2011_2014,
            ),
            natural_2011_2014_by_province,
            rest_of_china_back_to_start,
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
/// itself changed in it (left over after two: 4.5·10⁻⁶ (Sichuan) and 7.5·10⁻⁶ (Chongqing) a
/// year, against drifts of 1.45·10⁻³ and 2.45·10⁻³ with the defaults; unit test).
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

fn road_hours(derived: &DataDerived, params: &Params) -> DMatrix<f64> {
    geography::travel_hours(
        &derived.distances_km,
        &derived.area_km2,
        road_speeds(params),
    )
}

/// Sets up one run step by step, taking from `warm` the parts it holds for this scenario.
fn build(
    data: &Dataset,
    derived: &DataDerived,
    warm: Option<&Warm>,
    scenario: &Scenario,
    keep_preconditioner: bool,
    window_shift: [f64; 2],
) -> Result<Built, SetupError> {
    let params = &scenario.params;
    let start = scenario.start_year;
    let nodes = data.units.len() + 1;

    // Parts the warm start holds when their inputs are the same; computed otherwise.
    let drivers = warm.and_then(|w| w.drivers_for(scenario)).map_or_else(
        || Cow::Owned(Drivers::new(data, derived, scenario)),
        Cow::Borrowed,
    );

    let base_values = derived.base(start);
    let observed_rate = target_net_migration_rate(data, derived, params, &drivers, start);
    let (population, income, land) =
        base_nodes(data, params, base_values, &drivers, &observed_rate, start);
    let urban = warm
        .and_then(|w| w.urban_for(scenario))
        .map_or_else(|| Cow::Owned(urban_vectors(data, scenario)), Cow::Borrowed);
    let road = warm
        .and_then(|w| w.road_for(params))
        .map_or_else(|| Cow::Owned(road_hours(derived, params)), Cow::Borrowed);

    let natural_offset = &derived.natural_offset;
    let border = &derived.border;
    let default_wedge = migration::default_wedges(&data.units, params);

    let travel = warm.and_then(|w| w.travel_for(scenario)).map_or_else(
        || Cow::Owned(TravelSchedule::new(data, scenario, &road)),
        Cow::Borrowed,
    );
    let (raw_settings, setting_of_year) = cost_settings(data, scenario, &travel, &default_wedge)?;

    let access = access_kernels(warm, params, &raw_settings);

    let mut structure = structure_without_amenity(params, land);
    let start_costs = start_costs(data, scenario, &travel, &default_wedge)?;
    let access_start = start_access(warm, params, &raw_settings, &access, &start_costs.travel);
    // K(0, 0) of the base-year costs: the calibration scales it by f and f0.
    let start_kernel = migration::deterrence_kernel(&start_costs.move_costs(border, params));
    let base_state = base_state(
        &structure,
        &population,
        &income,
        &start_kernel,
        &access_start,
        &urban[0],
    );

    // Calibrate amenities and fixed costs to the net migration before the start.
    let targets = calibration_targets(
        data,
        derived,
        params,
        &observed_rate,
        window_shift,
        &population,
    );
    let utility_without_amenity = DVector::from_fn(nodes, |j, _| {
        params.epsilon() * base_state.expected_real_income[j].ln()
            + params.lambda() * population[j].ln()
    });
    let calibrated = calibrate(
        warm,
        scenario,
        &start_kernel,
        &utility_without_amenity,
        &population,
        &targets,
    )
    .map_err(|err| calibration_error(data, err))?;
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
    // Only fading differentials need the amenities taken apart (MODEL.md §3).
    let differential_amenity = if params.differential_decay() > 0.0 {
        let level_targets = calibration_targets(
            data,
            derived,
            params,
            &province_mean_rates(data, &observed_rate, &population),
            window_shift,
            &population,
        );
        differential_amenity(
            warm,
            scenario,
            &start_kernel,
            &utility_without_amenity,
            &population,
            &level_targets,
            &calibrated,
        )
        .map_err(|err| calibration_error(data, err))?
    } else {
        DVector::zeros(nodes)
    };

    let kernels = deterrence_kernels(
        params,
        border,
        &raw_settings,
        &calibrated,
        start_kernel,
        &start_costs,
    );
    // The start state sees the start year's inputs (a cap or policy dated at the start year);
    // without either it is the base state.
    let start_is_base = same_matrix(&access[setting_of_year[0]], &access_start);
    let settings = with_kernels(raw_settings, kernels, access);

    // Yearly vectors.
    let measured_unit_trend = derived.measured_unit_trend.clone();
    let unit_trend = unit_trend_used(&measured_unit_trend, params, start);
    let income_gap = income_gap(data, &base_values.population, &base_values.gdp);
    let growth = warm.and_then(|w| w.growth_for(scenario)).map_or_else(
        || {
            Cow::Owned(growth_paths(
                data,
                scenario,
                &drivers,
                &unit_trend,
                &income_gap,
            ))
        },
        Cow::Borrowed,
    );
    let natural = warm.and_then(|w| w.natural_for(scenario)).map_or_else(
        || Cow::Owned(natural_paths(data, &drivers, natural_offset)),
        Cow::Borrowed,
    );
    let years = year_inputs(
        scenario,
        nodes,
        &setting_of_year,
        &growth,
        &natural,
        &urban,
        &differential_amenity,
    );

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
        differential_amenity,
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

/// The net migration rates the amenities are calibrated to (section 3 of docs/MODEL.md).
fn target_net_migration_rate(
    data: &Dataset,
    derived: &DataDerived,
    params: &Params,
    drivers: &Drivers,
    start: i32,
) -> Vec<f64> {
    let census_differential = income_shrunk_differential(
        &derived.census_decade_differential,
        &derived.income_prediction,
        params.income_shrinkage(),
    );
    if start == CENSUS_YEAR {
        hindcast_net_migration_rate(
            data,
            &census_differential,
            params.census_momentum(),
            &drivers.natural_2011_2014_by_province,
        )
    } else {
        blended_net_migration_rate(
            data,
            &drivers.observed_net_migration_rate,
            &census_differential,
            &derived.base_has_unit_signal,
            derived.estimate_capture,
            params.census_momentum(),
            params.estimate_weight(),
        )
    }
}

/// Population, income per head and land of the base state, per node (0 = rest of China).
fn base_nodes(
    data: &Dataset,
    params: &Params,
    base_values: &BaseYearValues,
    drivers: &Drivers,
    observed_rate: &[f64],
    start: i32,
) -> (DVector<f64>, DVector<f64>, DVector<f64>) {
    // Base state: the 44 units from the start year's data, the rest of China as national −
    // units in 2014; for an earlier start, its 2014 values taken back with its own natural and
    // per-head growth paths (it has no data of its own before 2014).
    let n = data.units.len();
    let nodes = n + 1;
    let base_population = if start == DATA_BASE_YEAR && params.census_base_weight() > 0.0 {
        census_consistent_base(
            data,
            &base_values.population,
            &drivers.observed_net_migration_rate,
            observed_rate,
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
    (population, income, land)
}

/// The model's structure before the calibration gives it amenities (zero until then).
fn structure_without_amenity(params: &Params, land: DVector<f64>) -> Structure {
    let nodes = land.len();
    Structure {
        land_km2: land,
        amenity: DVector::zeros(nodes),
        epsilon: params.epsilon(),
        lambda: params.lambda(),
        gamma: params.gamma(),
        chi: params.chi(),
        kappa: params.kappa(),
        rho: params.rho(),
    }
}

/// The base-year state, whose real incomes the amenity calibration starts from.
fn base_state(
    structure: &Structure,
    population: &DVector<f64>,
    income: &DVector<f64>,
    start_kernel: &DMatrix<f64>,
    access: &DMatrix<f64>,
    urban_start: &DVector<f64>,
) -> State {
    // Base-year real income under the status quo (no policies, no caps).
    let nodes = population.len();
    let no_caps = DVector::from_element(nodes, f64::INFINITY);
    let zeros = DVector::zeros(nodes);
    let ones = DVector::from_element(nodes, 1.0);
    let base_inputs = StepInputs {
        // The base state does not move anyone: the kernel is not read.
        kernel: start_kernel,
        access,
        amenity_shift: &zeros,
        growth: &zeros,
        natural_growth: &zeros,
        migrant_income_factor: &ones,
        urban_share: urban_start,
        population_cap: &no_caps,
    };
    State::initial(structure, population.clone(), income.clone(), &base_inputs)
}

/// What the calibration meets: each unit's net migration before the start, census move rates.
fn calibration_targets(
    data: &Dataset,
    derived: &DataDerived,
    params: &Params,
    observed_rate: &[f64],
    window_shift: [f64; 2],
    population: &DVector<f64>,
) -> Targets {
    let census_rates = derived.census_stocks;
    Targets {
        net_migration: (0..data.units.len())
            .map(|i| {
                (observed_rate[i] + window_shift[data.units[i].province.index()])
                    * population[i + 1]
            })
            .collect(),
        internal_move_rate: census_rates.internal / params.migrant_stay_years(),
        rest_of_china_out_rate: census_rates.rest_of_china / params.migrant_stay_years(),
    }
}

/// Amenities and fixed costs: the warm start's when its inputs are this run's, else solved.
fn calibrate(
    warm: Option<&Warm>,
    scenario: &Scenario,
    start_kernel: &DMatrix<f64>,
    utility_without_amenity: &DVector<f64>,
    population: &DVector<f64>,
    targets: &Targets,
) -> Result<Calibrated, calibration::CalibrationError> {
    Ok(match warm.and_then(|w| w.calibration_for(scenario)) {
        // Inputs equal to the base's: its cold-started solution is what this run would find.
        Some(calibrated) => calibrated.clone(),
        None => {
            let guess = warm.map(|w| w.guess_for(utility_without_amenity));
            calibration::calibrate_from(
                start_kernel,
                utility_without_amenity,
                population,
                targets,
                guess.as_ref(),
                warm.and_then(|w| w.preconditioner.as_ref()),
            )?
        }
    })
}

/// A calibration failure with the unit named by its id, where it arose at one.
fn calibration_error(data: &Dataset, err: calibration::CalibrationError) -> SetupError {
    match err {
        calibration::CalibrationError::NotFinite { round, node } => {
            SetupError::CalibrationNotFinite {
                round,
                unit: node
                    .and_then(|node| data.units.get(node - 1))
                    .map(|unit| unit.id.clone()),
            }
        }
        other => SetupError::Calibration(other),
    }
}

/// The base year's costs without levers, which the calibration sees (the status quo).
fn start_costs(
    data: &Dataset,
    scenario: &Scenario,
    travel: &TravelSchedule,
    default_wedge: &[f64],
) -> Result<Costs, SetupError> {
    let (wedge, border_penalty) =
        wedges_in(data, scenario, default_wedge, scenario.start_year, false)?;
    Ok(Costs {
        travel: Arc::clone(&travel.start_without_levers),
        wedge,
        border_penalty,
    })
}

/// The market-access kernel of each cost setting, built as few times as possible.
fn access_kernels(
    warm: Option<&Warm>,
    params: &Params,
    raw_settings: &[Costs],
) -> Vec<Arc<DMatrix<f64>>> {
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
    access
}

/// The base-year travel times' market-access kernel: a setting's or the warm start's, else built.
fn start_access(
    warm: Option<&Warm>,
    params: &Params,
    raw_settings: &[Costs],
    access: &[Arc<DMatrix<f64>>],
    start_travel: &DMatrix<f64>,
) -> Arc<DMatrix<f64>> {
    match raw_settings
        .iter()
        .position(|c| same_matrix(&c.travel, start_travel))
    {
        Some(s) => Arc::clone(&access[s]),
        None => match warm.and_then(|w| w.access_for(start_travel, params)) {
            Some(kernel) => Arc::clone(kernel),
            None => Arc::new(production::access_kernel(
                start_travel,
                params.tau0_minutes(),
            )),
        },
    }
}

/// The calibrated deterrence kernel of each cost setting, built as few times as possible.
fn deterrence_kernels(
    params: &Params,
    border: &DMatrix<f64>,
    raw_settings: &[Costs],
    calibrated: &Calibrated,
    start_kernel: DMatrix<f64>,
    start_costs: &Costs,
) -> Vec<DMatrix<f64>> {
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
                let mut kernel = match start_kernel.take_if(|_| costs.same(start_costs)) {
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
    kernels
}

/// The cost settings with their deterrence and market-access kernels, one of each per setting.
fn with_kernels(
    raw_settings: Vec<Costs>,
    kernels: Vec<DMatrix<f64>>,
    access: Vec<Arc<DMatrix<f64>>>,
) -> Vec<CostSetting> {
    raw_settings
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
        .collect()
}

/// The unit trend used (g_i⁰): the measured one clipped to ±`trend_cap`, zero for a 2010 start.
fn unit_trend_used(measured_unit_trend: &[f64], params: &Params, start: i32) -> Vec<f64> {
    let cap = params.trend_cap();
    measured_unit_trend
        .iter()
        .map(|t| {
            if start < DATA_BASE_YEAR {
                0.0
            } else {
                t.clamp(-cap, cap)
            }
        })
        .collect()
}

/// The middle of the 2010–2014 window whose mean net migration the calibration targets are:
/// the year in which a unit's differential is the calibrated one.
pub const DIFFERENTIAL_CENTRE_YEAR: f64 = 2012.5;

/// The share of the differential amenity taken off in `year`: 1 − (1 − δ_D)^(year − 2012.5),
/// negative (added) before the window's centre.
pub fn differential_factor(decay: f64, year: i32) -> f64 {
    1.0 - (1.0 - decay).powf(f64::from(year) - DIFFERENTIAL_CENTRE_YEAR)
}

/// For each unit, its province's mean of `rates` weighted by the units' `population` (N+1,
/// index 0 the rest of China): the target rates without the units' differentials.
fn province_mean_rates(data: &Dataset, rates: &[f64], population: &DVector<f64>) -> Vec<f64> {
    let (mut sum, mut weight) = ([0.0; 2], [0.0; 2]);
    for (i, unit) in data.units.iter().enumerate() {
        sum[unit.province.index()] += rates[i] * population[i + 1];
        weight[unit.province.index()] += population[i + 1];
    }
    data.units
        .iter()
        .map(|unit| sum[unit.province.index()] / weight[unit.province.index()])
        .collect()
}

/// The part of the calibrated amenities that sets each unit's net migration apart from its
/// province's: `calibrated` minus the amenities calibrated to `level_targets`, every unit at its
/// province's mean rate (same kernel, utilities and gross rates). The warm start's when its
/// calibration is this run's.
fn differential_amenity(
    warm: Option<&Warm>,
    scenario: &Scenario,
    start_kernel: &DMatrix<f64>,
    utility_without_amenity: &DVector<f64>,
    population: &DVector<f64>,
    level_targets: &Targets,
    calibrated: &Calibrated,
) -> Result<DVector<f64>, calibration::CalibrationError> {
    if let Some(shared) = warm.and_then(|w| w.differential_amenity_for(scenario)) {
        return Ok(shared.clone());
    }
    // The full solution is the nearest known point: only the units' differentials move.
    let guess = calibration::Guess {
        amenity: calibrated.amenity.clone(),
        fixed_cost: calibrated.fixed_cost,
        fixed_cost_rest_of_china: calibrated.fixed_cost_rest_of_china,
    };
    let level = calibration::calibrate_from(
        start_kernel,
        utility_without_amenity,
        population,
        level_targets,
        Some(&guess),
        warm.and_then(|w| w.preconditioner.as_ref()),
    )?;
    Ok(&calibrated.amenity - &level.amenity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Indicator, MacroPath, Policy, TimeChange};
    use approx::assert_relative_eq;

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

    /// Fading differentials (MODEL.md §3): off at δ_D = 0 (no amenity taken apart, no shift);
    /// at δ_D > 0 each year's amenity shift is −(1 − (1 − δ_D)^(t − 2012.5)) times the
    /// differential amenity, which is zero for the rest of China, positive for the unit with the
    /// highest target rate in its province and negative for the lowest.
    #[test]
    fn fading_differentials_take_a_growing_share_of_the_differential_amenity_off() {
        let data = Dataset::embedded();
        let persisting = prepared_with(&data, DATA_BASE_YEAR, "differential_decay", 0.0);
        assert!(persisting.differential_amenity.iter().all(|&a| a == 0.0));
        assert!(persisting
            .years
            .iter()
            .all(|y| y.amenity_shift.iter().all(|&a| a == 0.0)));

        let decay = 0.1;
        let fading = prepared_with(&data, DATA_BASE_YEAR, "differential_decay", decay);
        let differential = &fading.differential_amenity;
        assert_eq!(differential[0], 0.0);
        assert_relative_eq!(differential_factor(decay, 2014), 1.0 - 0.9f64.powf(1.5));
        assert!(differential_factor(decay, 2011) < 0.0);
        for year in &fading.years {
            let factor = differential_factor(decay, year.year);
            for j in 0..differential.len() {
                assert_relative_eq!(
                    year.amenity_shift[j],
                    -factor * differential[j],
                    epsilon = 1e-12
                );
            }
        }
        // Same amenities as without fading: only their use over time differs.
        assert_eq!(fading.calibration.amenity, persisting.calibration.amenity);
        let rate = &fading.observed_net_migration_rate;
        let top = (0..data.units.len())
            .filter(|&i| data.units[i].province == Province::Chongqing)
            .max_by(|&a, &b| rate[a].total_cmp(&rate[b]))
            .unwrap();
        let bottom = (0..data.units.len())
            .filter(|&i| data.units[i].province == Province::Chongqing)
            .min_by(|&a, &b| rate[a].total_cmp(&rate[b]))
            .unwrap();
        assert!(differential[top + 1] > 0.0 && differential[bottom + 1] < 0.0);
    }

    /// Catch-up: a unit richer than its province grows slower per head, a poorer one faster, by
    /// β_c·(1 − β_c)^h times its log gap (shown on a 2010 start, which has no unit trends; a 2014
    /// start adds the same term beside its decaying trends).
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
        // (2000→2010 growth net of natural growth), moved the share s towards what 2010 GDP per
        // head predicts of them; their weighted mean is the province's observed 2010–2014 net
        // migration rate.
        let alpha = scenario.params.census_momentum();
        let shrinkage = scenario.params.income_shrinkage();
        let predicted = DataDerived::new(&data).income_prediction.differential;
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
            alpha
                * ((1.0 - shrinkage) * (decade(a) - decade(b))
                    + shrinkage * (predicted[a] - predicted[b])),
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

    /// A population in 万 where persons are read (here past the loader, which refuses it) makes
    /// the unit's net-migration target impossible: the calibration's message names the unit
    /// and does not blame the parameters alone.
    #[test]
    fn a_non_finite_calibration_names_its_unit_and_the_data() {
        let mut data = Dataset::embedded();
        let wanzhou = data.unit_index("wanzhou").unwrap();
        data.base[wanzhou].population.value = 160.37;
        let err =
            prepare(&data, &Scenario::default_for_tests()).expect_err("the calibration fails");
        assert!(
            matches!(&err, SetupError::CalibrationNotFinite { unit: Some(id), .. } if id == "wanzhou"),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("in the net migration of `wanzhou`; the data or the parameters make moves impossible or certain: check the data's populations and GDP (their size and unit) before the parameters"),
            "{message}"
        );
    }
}
