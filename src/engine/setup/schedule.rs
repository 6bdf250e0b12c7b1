//! The yearly schedule of a run: each scenario year's inputs (growth of income per head and the
//! share of it migrants act on, natural growth, urban shares, the policies' amenity shifts and
//! land caps), built once by `prepare` so that the time loop only reads them.

use std::sync::Arc;

use nalgebra::DVector;

use crate::data::Dataset;
use crate::model::urban::UrbanCurve;
use crate::model::Params;
use crate::scenario::{Policy, Scenario};

use super::base::CENSUS_YEAR;
use super::{differential_factor, Drivers, YearInputs, DATA_BASE_YEAR};

/// Growth of income per head and the factor F of it that migrants act on, one vector each per
/// scenario year ([`growth_paths`]); a sweep's `Warm` shares its base's with runs that have the
/// same inputs to them.
#[derive(Debug, Clone)]
pub(super) struct GrowthPaths {
    pub(super) growth: Vec<Arc<DVector<f64>>>,
    pub(super) migrant_income: Vec<Arc<DVector<f64>>>,
}

/// Status-quo urban shares (N+1, index 0 unused), one vector per scenario year.
pub(super) fn urban_vectors(data: &Dataset, scenario: &Scenario) -> Vec<Arc<DVector<f64>>> {
    let curves = urban_curves(data, &scenario.params, scenario.start_year);
    scenario
        .years()
        .map(|year| Arc::new(urban_vector(&curves, year)))
        .collect()
}

/// Each scenario year's inputs: cost setting, paths, and the policies' amenity shifts and caps.
pub(super) fn year_inputs(
    scenario: &Scenario,
    nodes: usize,
    setting_of_year: &[usize],
    growth: &GrowthPaths,
    natural: &[Arc<DVector<f64>>],
    urban: &[Arc<DVector<f64>>],
    differential_amenity: &DVector<f64>,
) -> Vec<YearInputs> {
    let params = &scenario.params;
    let decay = params.differential_decay();
    let mut years: Vec<YearInputs> = Vec::with_capacity(setting_of_year.len());
    let (mut amenity_shift, mut caps) = (DVector::zeros(nodes), DVector::zeros(nodes));
    for (index, year) in scenario.years().enumerate() {
        // The units' differentials fade (MODEL.md §3): a share of the differential amenity off,
        // or on before the window's centre, which a 2010 start's early years lie before.
        if decay > 0.0 {
            amenity_shift.copy_from(differential_amenity);
            amenity_shift *= -differential_factor(decay, year);
        } else {
            amenity_shift.fill(0.0);
        }
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
            growth: Arc::clone(&growth.growth[index]),
            natural_growth: Arc::clone(&natural[index]),
            migrant_income_factor: Arc::clone(&growth.migrant_income[index]),
            urban_share: Arc::clone(&urban[index]),
            population_cap: share(last.map(|y| &y.population_cap), &caps),
        });
    }
    years
}

/// Growth of income per head per scenario year (MODEL.md §2.2: provincial path, decaying unit
/// trend, catch-up, ProductivityShift levers) and the factor F of it that migrants act on
/// (§2.4).
pub(super) fn growth_paths(
    data: &Dataset,
    scenario: &Scenario,
    drivers: &Drivers,
    unit_trend: &[f64],
    income_gap: &[f64],
) -> GrowthPaths {
    let params = &scenario.params;
    let (start, n) = (scenario.start_year, data.units.len());
    let province_index: Vec<usize> = data.units.iter().map(|u| u.province.index()).collect();
    let mut paths = GrowthPaths {
        growth: Vec::with_capacity(drivers.years.len()),
        migrant_income: Vec::with_capacity(drivers.years.len()),
    };
    let mut migrant_income = DVector::from_element(n + 1, 1.0);
    for (index, year) in scenario.years().enumerate() {
        let macro_year = &drivers.years[index];
        let mut growth = DVector::zeros(n + 1);
        growth[0] = macro_year.roc_growth;
        let decay = (1.0 - params.trend_decay()).powi((year - DATA_BASE_YEAR).max(0));
        // Catch-up: −β_c·gap, the gap closing at β_c a year, from the start year on and
        // alongside a 2014 start's decaying unit trends: the pre-2014 pseudo-forecasts find the
        // two terms independent (calibrate::gdp_persistence).
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
        // Migrants act on income grown without the share 1 − w_c of catch-up they do not
        // respond to: per-head catch-up of poorer units came with people leaving, and the
        // base-year targets already hold the migration that went with it
        // (docs/CALIBRATION.md §5). The start year is the base state: F = 1.
        if index > 0 {
            let unseen = 1.0 - params.catch_up_pull();
            for i in 0..n {
                let catch_up_growth = -catch_up * income_gap[i];
                migrant_income[i + 1] *=
                    (1.0 + growth[i + 1] - unseen * catch_up_growth) / (1.0 + growth[i + 1]);
            }
        }
        paths.growth.push(Arc::new(growth));
        paths.migrant_income.push(Arc::new(migrant_income.clone()));
    }
    paths
}

/// Natural growth per scenario year: the province's path plus each unit's constant census
/// offset (MODEL.md §2.6); the rest of China's own path.
pub(super) fn natural_paths(
    data: &Dataset,
    drivers: &Drivers,
    natural_offset: &[f64],
) -> Vec<Arc<DVector<f64>>> {
    drivers
        .years
        .iter()
        .map(|macro_year| {
            let mut natural = DVector::zeros(data.units.len() + 1);
            natural[0] = macro_year.roc_natural;
            for (i, unit) in data.units.iter().enumerate() {
                natural[i + 1] = macro_year.natural[unit.province.index()] + natural_offset[i];
            }
            Arc::new(natural)
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
