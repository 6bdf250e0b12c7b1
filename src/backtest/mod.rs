//! Backtests: a run against observations it was not calibrated to.
//!
//! [`observed`] reads and validates a file of observations (unit, year, variable, value);
//! [`evaluate`] puts each observation next to four forecasts of it — the model run, and the
//! three [`naive`] yardsticks (every unit at the regional rate; every unit on its own pre-start
//! trend; every unit continuing its 2000→2010 census growth, scaled to the run's provincial
//! totals) — and [`metrics`] scores them (MAPE, bias, log RMSE, rank correlation of growth…).
//! Everything here is pure except [`observed::load`], which reads the file; writing the
//! results is `report::backtest`, the command is `simulate backtest` in `cli`.
//! docs/BACKTEST.md defines every metric and column.

pub mod cross_validation;
pub mod intervals;
pub mod metrics;
pub mod naive;
pub mod observed;

use std::collections::{BTreeMap, BTreeSet};

use crate::data::{Dataset, PlanRole, Province};
use crate::engine::{Prepared, Trajectory};
use crate::sweep::spread::ParameterSpread;

pub use metrics::Summary;
pub use observed::{Observation, ObservedErrors, ObservedFile};

/// A variable that can be observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Variable {
    /// Year-end resident population, persons.
    Population,
    /// GDP, yuan at 2014 prices.
    Gdp,
}

impl Variable {
    pub const ALL: [Variable; 2] = [Variable::Population, Variable::Gdp];

    /// The id used in files: `population` or `gdp`.
    pub fn id(self) -> &'static str {
        match self {
            Variable::Population => "population",
            Variable::Gdp => "gdp",
        }
    }

    pub fn parse(text: &str) -> Option<Variable> {
        Variable::ALL.into_iter().find(|v| v.id() == text)
    }

    /// The unit of measure of values in files.
    pub fn measure(self) -> &'static str {
        match self {
            Variable::Population => "persons",
            Variable::Gdp => "yuan at 2014 prices",
        }
    }
}

/// What moment of its year an observed population stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Basis {
    /// The year-end resident population, the model's state convention (and any GDP value: GDP
    /// is already a flow over the year).
    #[default]
    YearEnd,
    /// The mean resident population over the year (Sichuan's 2011–2014 series, GDP ÷ GDP per
    /// head): compared with the mean of each forecast's year-end values of the year before and
    /// the year, as `simulate calibrate` compares it.
    AnnualAverage,
    /// A census count (population only; China's censuses count on 1 November): compared with
    /// the year-end forecasts, two months later, a gap of about a sixth of a year's growth. A
    /// census needs no census adjustment: its census-adjusted value is itself.
    Census,
}

impl Basis {
    pub const ALL: [Basis; 3] = [Basis::YearEnd, Basis::AnnualAverage, Basis::Census];

    /// The id used in files: `year_end`, `annual_average` or `census`.
    pub fn id(self) -> &'static str {
        match self {
            Basis::YearEnd => "year_end",
            Basis::AnnualAverage => "annual_average",
            Basis::Census => "census",
        }
    }

    /// An empty field is `year_end`.
    pub fn parse(text: &str) -> Option<Basis> {
        if text.is_empty() {
            return Some(Basis::YearEnd);
        }
        Basis::ALL.into_iter().find(|b| b.id() == text)
    }
}

/// A forecast compared with the observations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Forecast {
    /// The scenario run.
    Model,
    /// Each unit at the plan area's growth rate in the run.
    NaiveRegional,
    /// Each unit on its own pre-start trend.
    NaiveTrend,
    /// Each unit continuing its 2000→2010 census growth rate, scaled to the run's provincial
    /// totals (census momentum).
    CensusMomentum,
}

impl Forecast {
    pub const ALL: [Forecast; 4] = [
        Forecast::Model,
        Forecast::NaiveRegional,
        Forecast::NaiveTrend,
        Forecast::CensusMomentum,
    ];

    /// The id used in files: `model`, `naive_regional`, `naive_trend`, `census_momentum`.
    pub fn id(self) -> &'static str {
        match self {
            Forecast::Model => "model",
            Forecast::NaiveRegional => "naive_regional",
            Forecast::NaiveTrend => "naive_trend",
            Forecast::CensusMomentum => "census_momentum",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One observation with its start value and the three forecasts of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub observation: Observation,
    /// The observed unit's province ([`crate::data::Province::index`]).
    pub province: usize,
    /// The unit's value of the same variable in the run's start year.
    pub start_value: f64,
    /// Indexed by [`Forecast`] order: model, naive regional, naive trend, census momentum.
    pub forecasts: [f64; 4],
    /// Log standard deviation of the model's interval for this observation (backtest error at
    /// its horizon combined with the parameter spread, [`intervals`]).
    pub interval_sigma: f64,
    /// The observation as a census would have counted it ([`metrics::census_adjusted`]:
    /// its within-province growth since the 2010 census divided by φ,
    /// `engine::estimate_capture`); population only, NaN for GDP.
    pub census_adjusted: f64,
}

impl Row {
    pub fn forecast(&self, forecast: Forecast) -> f64 {
        self.forecasts[forecast.index()]
    }

    /// Signed percentage error of a forecast (see [`metrics::pct_error`]).
    pub fn pct_error(&self, forecast: Forecast) -> f64 {
        metrics::pct_error(self.forecast(forecast), self.observation.value)
    }

    /// Log error of a forecast (see [`metrics::log_error`]).
    pub fn log_error(&self, forecast: Forecast) -> f64 {
        metrics::log_error(self.forecast(forecast), self.observation.value)
    }
}

/// One line of the summary: a variable, a forecast and its metrics over all observations.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub variable: Variable,
    pub forecast: Forecast,
    pub summary: Summary,
    /// Share (0–1) of observations inside the model's 80 % and 95 % intervals
    /// ([`intervals`]); the model's row only.
    pub coverage: Option<(f64, f64)>,
    /// MAPE, %, with the observed totals of each province and year imposed on the forecast
    /// ([`metrics::mape_with_group_totals`]): how well it spreads people within a province.
    pub mape_totals_imposed_pct: Option<f64>,
    /// MAPE, %, against the census-adjusted observations ([`Row::census_adjusted`]);
    /// population only.
    pub mape_census_adjusted_pct: Option<f64>,
    /// Share of the census decade's differentials the forecast carries: the slope of its
    /// within-province log growth on census momentum's ([`metrics::persistence`]); population
    /// only.
    pub census_persistence: Option<f64>,
}

/// The result of a backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct Backtest {
    /// One per observation, in file order.
    pub rows: Vec<Row>,
    /// Per observed variable (population first) and forecast (model first).
    pub summary: Vec<SummaryRow>,
    /// The same metrics per kind of unit that has observations ([`UnitGroup::ALL`] order).
    pub groups: Vec<GroupSummary>,
}

/// A kind of unit whose skill is reported on its own: a province's core (Chengdu; the nine
/// Chongqing core districts, plan role `core` in units.csv) or its other units. Where a forecast
/// is good and where it fails differ by kind (a core district that gains in every decade, a
/// county whose 2014 value is a scaled census), and the totals over all 44 units hide that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnitGroup {
    pub province: Province,
    pub core: bool,
}

impl UnitGroup {
    pub const ALL: [UnitGroup; 4] = [
        UnitGroup {
            province: Province::Chongqing,
            core: true,
        },
        UnitGroup {
            province: Province::Chongqing,
            core: false,
        },
        UnitGroup {
            province: Province::Sichuan,
            core: true,
        },
        UnitGroup {
            province: Province::Sichuan,
            core: false,
        },
    ];

    /// The unit's group.
    pub fn of(data: &Dataset, unit: usize) -> UnitGroup {
        let unit = &data.units[unit];
        UnitGroup {
            province: unit.province,
            core: unit.plan_role == PlanRole::Core,
        }
    }

    /// The id used in files: `chongqing_core`, `chongqing_other`, `sichuan_core`, `sichuan_other`.
    pub fn id(self) -> String {
        format!(
            "{}_{}",
            self.province.id(),
            if self.core { "core" } else { "other" }
        )
    }

    /// A reader's name: "Chongqing core units", "other Sichuan units"…, or the unit's own
    /// English name when the group is one unit (`units`: the group's units with observations).
    pub fn label(self, data: &Dataset, units: &[usize]) -> String {
        if let [unit] = units {
            return data.units[*unit].name_en.clone();
        }
        let province = match self.province {
            Province::Sichuan => "Sichuan",
            Province::Chongqing => "Chongqing",
        };
        if self.core {
            format!("{province} core units")
        } else {
            format!("other {province} units")
        }
    }
}

/// The metrics of one [`UnitGroup`]'s observations.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSummary {
    pub group: UnitGroup,
    /// [`UnitGroup::label`].
    pub label: String,
    /// How many distinct units of the group have observations of each variable that has any.
    pub units_by_variable: BTreeMap<Variable, usize>,
    /// As [`Backtest::summary`], over the group's observations only.
    pub summary: Vec<SummaryRow>,
}

impl GroupSummary {
    /// How many distinct units of the group have observations of `variable`.
    pub fn units_of(&self, variable: Variable) -> usize {
        self.units_by_variable.get(&variable).copied().unwrap_or(0)
    }

    /// The group's summary rows of `variable` (model first; none if it has no observations).
    pub fn rows_of(&self, variable: Variable) -> Vec<&SummaryRow> {
        self.summary
            .iter()
            .filter(|r| r.variable == variable)
            .collect()
    }
}

/// Per [`UnitGroup`] with observations, the metrics of [`summarise_rows`] over its rows.
pub fn summarise_groups(data: &Dataset, rows: &[Row]) -> Vec<GroupSummary> {
    UnitGroup::ALL
        .into_iter()
        .filter_map(|group| {
            let selected: Vec<&Row> = rows
                .iter()
                .filter(|r| UnitGroup::of(data, r.observation.unit) == group)
                .collect();
            if selected.is_empty() {
                return None;
            }
            let mut per_variable: BTreeMap<Variable, BTreeSet<usize>> = BTreeMap::new();
            for row in &selected {
                per_variable
                    .entry(row.observation.variable)
                    .or_default()
                    .insert(row.observation.unit);
            }
            let units: BTreeSet<usize> = per_variable.values().flatten().copied().collect();
            Some(GroupSummary {
                group,
                label: group.label(data, &units.into_iter().collect::<Vec<_>>()),
                units_by_variable: per_variable
                    .into_iter()
                    .map(|(variable, units)| (variable, units.len()))
                    .collect(),
                summary: summarise_rows(&selected),
            })
        })
        .collect()
}

impl Backtest {
    /// The variables that have observations, in [`Variable::ALL`] order.
    pub fn variables(&self) -> Vec<Variable> {
        Variable::ALL
            .into_iter()
            .filter(|v| self.rows.iter().any(|r| r.observation.variable == *v))
            .collect()
    }

    /// The observed years, ascending, without repeats.
    pub fn years(&self) -> Vec<i32> {
        let mut years: Vec<i32> = self.rows.iter().map(|r| r.observation.year).collect();
        years.sort_unstable();
        years.dedup();
        years
    }
}

/// The constant rates of the trend forecast from a prepared run: natural growth and per-head
/// growth of the first projected year, and the pre-start net migration rate the engine
/// calibrated to (index 0 of the engine's N+1 vectors is the rest of China: unit i is i+1).
pub fn trend_rates(prepared: &Prepared) -> naive::TrendRates {
    let n = prepared.units();
    let unit_values = |v: Option<&nalgebra::DVector<f64>>| -> Vec<f64> {
        (0..n)
            .map(|i| v.and_then(|v| v.get(i + 1)).copied().unwrap_or(0.0))
            .collect()
    };
    // A run of one year has no projected year; it can have no backtest observation either.
    let first = prepared.years.get(1);
    naive::trend_rates(
        &unit_values(first.map(|y| &*y.natural_growth)),
        &prepared.observed_net_migration_rate,
        &unit_values(first.map(|y| &*y.growth)),
    )
}

/// Puts every observation next to the model run and the naive forecasts, and scores them.
///
/// Observations must come from [`observed::parse`] against the same run (units in the
/// dataset's order, years after the start year and in the run); any other is skipped.
pub fn evaluate(
    data: &Dataset,
    prepared: &Prepared,
    trajectory: &Trajectory,
    observations: &[Observation],
    spread: Option<&ParameterSpread>,
) -> Backtest {
    let rates = trend_rates(prepared);
    let census_rates = crate::engine::census_decade_growth(data);
    let province: Vec<usize> = data.units.iter().map(|u| u.province.index()).collect();
    let start_year = trajectory.years.first().copied().unwrap_or_default();
    let series = |variable: Variable| match variable {
        Variable::Population => &trajectory.population,
        Variable::Gdp => &trajectory.gdp,
    };
    let mut rows = Vec::with_capacity(observations.len());
    for observation in observations {
        let values = series(observation.variable);
        let Some(t) = trajectory
            .year_index(observation.year)
            .filter(|&t| t > 0 && t < values.len())
        else {
            continue;
        };
        let unit = observation.unit;
        let Some(&start_value) = values[0].get(unit) else {
            continue;
        };
        let unit_rate = match observation.variable {
            Variable::Population => &rates.population,
            Variable::Gdp => &rates.gdp,
        }
        .get(unit)
        .copied()
        .unwrap_or(f64::NAN);
        // The four forecasts of the unit's year-end value at year index `at`.
        let forecasts_at = |at: usize| -> [f64; 4] {
            let horizon = trajectory.years[at] - start_year;
            let model = values[at].get(unit).copied().unwrap_or(f64::NAN);
            let regional = naive::regional(
                &[start_value],
                Trajectory::total(values, 0),
                Trajectory::total(values, at),
            )[0];
            let trend = naive::compound(start_value, unit_rate, horizon);
            let momentum =
                naive::census_momentum(&values[0], &values[at], &census_rates, &province, horizon)
                    .get(unit)
                    .copied()
                    .unwrap_or(f64::NAN);
            [model, regional, trend, momentum]
        };
        let forecasts = match observation.basis {
            Basis::YearEnd | Basis::Census => forecasts_at(t),
            Basis::AnnualAverage => {
                let (end, before) = (forecasts_at(t), forecasts_at(t - 1));
                std::array::from_fn(|k| 0.5 * (end[k] + before[k]))
            }
        };
        let horizon = observation.year - start_year;
        let (error_sigma, census_gap, parameters) = match observation.variable {
            Variable::Population => (
                intervals::population_error_sigma(horizon),
                intervals::census_gap_sigma(observation.year),
                spread.map(|s| &s.population),
            ),
            Variable::Gdp => (
                intervals::gdp_error_sigma(horizon),
                0.0,
                spread.map(|s| &s.gdp),
            ),
        };
        let parameter_sigma = parameters
            .and_then(|p| p.get(t))
            .and_then(|row| row.get(unit))
            .copied()
            .unwrap_or(0.0);
        rows.push(Row {
            observation: observation.clone(),
            province: data.units[unit].province.index(),
            start_value,
            forecasts,
            interval_sigma: error_sigma.hypot(census_gap).hypot(parameter_sigma),
            census_adjusted: f64::NAN,
        });
    }
    // Census-adjusted population observations, per province and year.
    let (census, groups): (Vec<f64>, Vec<(usize, i32)>) = rows
        .iter()
        .map(|r| match (r.observation.variable, r.observation.basis) {
            // A census count is not adjusted, and does not share its group's adjustment.
            (Variable::Population, Basis::Census) | (Variable::Gdp, _) => {
                (f64::NAN, (r.province, r.observation.year))
            }
            (Variable::Population, _) => (
                data.census[r.observation.unit].resident_population,
                (r.province, r.observation.year),
            ),
        })
        .unzip();
    let observed: Vec<f64> = rows.iter().map(|r| r.observation.value).collect();
    let capture = crate::engine::setup::estimate_capture(data);
    let adjusted = metrics::census_adjusted(&observed, &census, &groups, capture);
    for (row, value) in rows.iter_mut().zip(adjusted) {
        row.census_adjusted = if row.observation.basis == Basis::Census {
            row.observation.value
        } else {
            value
        };
    }
    let summary = summarise_rows(&rows.iter().collect::<Vec<_>>());
    let groups = summarise_groups(data, &rows);
    Backtest {
        rows,
        summary,
        groups,
    }
}

/// Per variable (population first) and forecast (model first), the metrics over `rows`, with
/// the model's interval coverage; `start_year` is the run's.
pub fn summarise_rows(rows: &[&Row]) -> Vec<SummaryRow> {
    let mut summary = Vec::new();
    for variable in Variable::ALL {
        let selected: Vec<&Row> = rows
            .iter()
            .copied()
            .filter(|r| r.observation.variable == variable)
            .collect();
        if selected.is_empty() {
            continue;
        }
        let observed: Vec<f64> = selected.iter().map(|r| r.observation.value).collect();
        let census_adjusted: Vec<f64> = selected.iter().map(|r| r.census_adjusted).collect();
        let start: Vec<f64> = selected.iter().map(|r| r.start_value).collect();
        // Growth is ranked relative to the plan area's over the same years (the regional
        // forecast), so that units observed in different years are not ranked by horizon.
        let reference: Vec<f64> = selected
            .iter()
            .map(|r| r.forecast(Forecast::NaiveRegional))
            .collect();
        let momentum: Vec<f64> = selected
            .iter()
            .map(|r| r.forecast(Forecast::CensusMomentum))
            .collect();
        let province_years: Vec<(usize, i32)> = selected
            .iter()
            .map(|r| (r.province, r.observation.year))
            .collect();
        // Persistence compares growth within a province and year, and within one basis: an
        // annual average has half a year less growth than a year-end value.
        let growth_groups: Vec<(usize, i32, Basis)> = selected
            .iter()
            .map(|r| (r.province, r.observation.year, r.observation.basis))
            .collect();
        let share_covered = |z: f64| {
            let inside = selected
                .iter()
                .filter(|r| {
                    let (low, high) = intervals::interval_with_sigma(
                        r.forecast(Forecast::Model),
                        r.interval_sigma,
                        z,
                    );
                    (low..=high).contains(&r.observation.value)
                })
                .count();
            inside as f64 / selected.len() as f64
        };
        for forecast in Forecast::ALL {
            let predicted: Vec<f64> = selected.iter().map(|r| r.forecast(forecast)).collect();
            summary.push(SummaryRow {
                variable,
                forecast,
                summary: metrics::summarise(&predicted, &observed, &start, &reference),
                coverage: (forecast == Forecast::Model)
                    .then(|| (share_covered(intervals::Z80), share_covered(intervals::Z95))),
                mape_totals_imposed_pct: metrics::mape_with_group_totals(
                    &predicted,
                    &observed,
                    &province_years,
                ),
                mape_census_adjusted_pct: (variable == Variable::Population)
                    .then(|| {
                        metrics::summarise(&predicted, &census_adjusted, &start, &reference)
                            .mape_pct
                    })
                    .flatten(),
                census_persistence: (variable == Variable::Population)
                    .then(|| metrics::persistence(&predicted, &momentum, &start, &growth_groups))
                    .flatten(),
            });
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;
    use crate::engine::{self, RunOptions, Silent};
    use crate::scenario::Scenario;
    use approx::assert_relative_eq;

    fn run() -> (Dataset, Prepared, Trajectory) {
        let data = Dataset::embedded();
        let scenario = Scenario::default_for_tests();
        let prepared = engine::prepare(&data, &scenario).unwrap();
        let trajectory = engine::simulate(&prepared, &RunOptions::default(), &mut Silent);
        (data, prepared, trajectory)
    }

    fn observation(unit: usize, year: i32, variable: Variable, value: f64) -> Observation {
        Observation {
            line: 2,
            unit,
            year,
            variable,
            value,
            status: String::new(),
            basis: Basis::YearEnd,
        }
    }

    #[test]
    fn the_kinds_of_unit_partition_the_observations_and_are_scored_on_their_own_rows() {
        let (data, prepared, trajectory) = run();
        let observations: Vec<Observation> = (0..data.units.len())
            .map(|unit| {
                let value = trajectory.population[3][unit] * (1.0 + 0.01 * (unit % 7) as f64);
                observation(unit, 2017, Variable::Population, value)
            })
            .collect();
        let backtest = evaluate(&data, &prepared, &trajectory, &observations, None);
        let groups: Vec<(String, usize)> = backtest
            .groups
            .iter()
            .map(|g| (g.group.id(), g.units_of(Variable::Population)))
            .collect();
        assert_eq!(
            groups,
            [
                ("chongqing_core".to_string(), 9),
                ("chongqing_other".to_string(), 20),
                ("sichuan_core".to_string(), 1),
                ("sichuan_other".to_string(), 14),
            ]
        );
        // With GDP observed for two core districts only, the kind counts its units per variable.
        let mut with_gdp = observations.clone();
        for id in ["yuzhong", "yubei"] {
            let unit = data.unit_index(id).unwrap();
            with_gdp.push(observation(unit, 2017, Variable::Gdp, 1.0e11));
        }
        let mixed = evaluate(&data, &prepared, &trajectory, &with_gdp, None);
        let core = &mixed.groups[0];
        assert_eq!(core.units_of(Variable::Population), 9);
        assert_eq!(core.units_of(Variable::Gdp), 2);
        assert_eq!(mixed.groups[1].units_of(Variable::Gdp), 0);
        let labels: Vec<&str> = backtest.groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Chongqing core units",
                "other Chongqing units",
                "Chengdu",
                "other Sichuan units"
            ]
        );
        for group in &backtest.groups {
            let rows: Vec<&Row> = backtest
                .rows
                .iter()
                .filter(|r| UnitGroup::of(&data, r.observation.unit) == group.group)
                .collect();
            let model = &group.summary[0];
            assert_eq!(model.forecast, Forecast::Model);
            assert_eq!(model.summary.n, rows.len());
            let mape = rows
                .iter()
                .map(|r| r.pct_error(Forecast::Model).abs())
                .sum::<f64>()
                / rows.len() as f64;
            assert_relative_eq!(model.summary.mape_pct.unwrap(), mape, max_relative = 1e-12);
        }
    }

    #[test]
    fn an_annual_average_is_compared_with_the_mean_of_two_year_ends() {
        let (data, prepared, trajectory) = run();
        let chengdu = data.unit_index("chengdu").unwrap();
        let year_end = observation(chengdu, 2020, Variable::Population, 2.0e7);
        let average = Observation {
            basis: Basis::AnnualAverage,
            ..year_end.clone()
        };
        let before = observation(chengdu, 2019, Variable::Population, 2.0e7);
        let backtest = evaluate(
            &data,
            &prepared,
            &trajectory,
            &[year_end, average, before],
            None,
        );
        let [end, mean, previous] = [0, 1, 2].map(|k| &backtest.rows[k]);
        for forecast in Forecast::ALL {
            assert_relative_eq!(
                mean.forecast(forecast),
                0.5 * (end.forecast(forecast) + previous.forecast(forecast)),
                max_relative = 1e-12
            );
        }
        let t = trajectory.year_index(2020).unwrap();
        assert_relative_eq!(
            mean.forecast(Forecast::Model),
            0.5 * (trajectory.population[t][chengdu] + trajectory.population[t - 1][chengdu]),
            max_relative = 1e-12
        );
    }

    #[test]
    fn a_census_count_is_its_own_census_adjusted_value_and_leaves_the_others_alone() {
        let (data, prepared, trajectory) = run();
        let t = trajectory.year_index(2020).unwrap();
        let sichuan: Vec<usize> = ["chengdu", "mianyang", "nanchong", "yibin"]
            .iter()
            .map(|id| data.unit_index(id).unwrap())
            .collect();
        let estimates: Vec<Observation> = sichuan
            .iter()
            .enumerate()
            .map(|(k, &unit)| {
                let value = trajectory.population[t][unit] * (1.0 + 0.02 * k as f64);
                observation(unit, 2020, Variable::Population, value)
            })
            .collect();
        let alone = evaluate(&data, &prepared, &trajectory, &estimates, None);
        // The same estimates beside a census count of another Sichuan unit in the same year.
        let leshan = data.unit_index("leshan").unwrap();
        let census = Observation {
            basis: Basis::Census,
            ..observation(leshan, 2020, Variable::Population, 3.3e6)
        };
        let mut mixed_observations = estimates.clone();
        mixed_observations.push(census);
        let mixed = evaluate(&data, &prepared, &trajectory, &mixed_observations, None);
        let counted = &mixed.rows[sichuan.len()];
        assert_eq!(counted.census_adjusted, 3.3e6);
        assert_eq!(
            counted.forecast(Forecast::Model),
            trajectory.population[t][leshan]
        );
        for (a, b) in alone.rows.iter().zip(&mixed.rows) {
            assert_eq!(a.census_adjusted, b.census_adjusted);
            assert!(a.census_adjusted.is_finite());
        }
        // Estimates are stretched (φ < 1), so at least one of them moves; the census does not.
        assert!(alone
            .rows
            .iter()
            .any(|r| (r.census_adjusted / r.observation.value - 1.0).abs() > 1e-6));
    }

    #[test]
    fn forecasts_follow_their_definitions_on_a_real_run() {
        let (data, prepared, trajectory) = run();
        let chengdu = data.unit_index("chengdu").unwrap();
        let t = trajectory.year_index(2020).unwrap();
        let observations = [
            observation(chengdu, 2020, Variable::Population, 2.0e7),
            observation(chengdu, 2020, Variable::Gdp, 1.5e12),
        ];
        let backtest = evaluate(&data, &prepared, &trajectory, &observations, None);
        assert_eq!(backtest.rows.len(), 2);
        let population = &backtest.rows[0];
        let start = trajectory.population[0][chengdu];
        assert_relative_eq!(population.start_value, start);
        assert_relative_eq!(
            population.forecast(Forecast::Model),
            trajectory.population[t][chengdu]
        );
        let regional = start * Trajectory::total(&trajectory.population, t)
            / Trajectory::total(&trajectory.population, 0);
        assert_relative_eq!(
            population.forecast(Forecast::NaiveRegional),
            regional,
            max_relative = 1e-12
        );
        let rate = prepared.years[1].natural_growth[chengdu + 1]
            + prepared.observed_net_migration_rate[chengdu];
        assert_relative_eq!(
            population.forecast(Forecast::NaiveTrend),
            start * (1.0 + rate).powi(6),
            max_relative = 1e-12
        );
        let gdp = &backtest.rows[1];
        let gdp_rate = (1.0 + rate) * (1.0 + prepared.years[1].growth[chengdu + 1]) - 1.0;
        assert_relative_eq!(
            gdp.forecast(Forecast::NaiveTrend),
            trajectory.gdp[0][chengdu] * (1.0 + gdp_rate).powi(6),
            max_relative = 1e-12
        );
        // % error against the observation: 100·(model − 2e7)/2e7.
        assert_relative_eq!(
            population.pct_error(Forecast::Model),
            100.0 * (trajectory.population[t][chengdu] - 2.0e7) / 2.0e7,
            max_relative = 1e-12
        );
        // Census momentum: Chengdu's 2000→2010 growth continued for 6 years, then every
        // Sichuan unit scaled so that they sum to the run's Sichuan total in 2020.
        let rates = crate::engine::census_decade_growth(&data);
        let sichuan: Vec<usize> = (0..data.units.len())
            .filter(|&i| data.units[i].province == crate::data::Province::Sichuan)
            .collect();
        let raw = |i: usize| trajectory.population[0][i] * (6.0 * rates[i]).exp();
        let scale = sichuan
            .iter()
            .map(|&i| trajectory.population[t][i])
            .sum::<f64>()
            / sichuan.iter().map(|&i| raw(i)).sum::<f64>();
        assert_relative_eq!(
            population.forecast(Forecast::CensusMomentum),
            raw(chengdu) * scale,
            max_relative = 1e-12
        );
        // Two variables × four forecasts.
        assert_eq!(backtest.summary.len(), 8);
        assert_eq!(
            backtest.variables(),
            vec![Variable::Population, Variable::Gdp]
        );
        assert_eq!(backtest.years(), vec![2020]);
        assert!(backtest.summary.iter().all(|s| s.summary.n == 1));
    }

    #[test]
    fn the_regional_forecast_has_no_rank_correlation_within_one_year() {
        // Every unit grows by the same factor: growth ranks are all tied (despite rounding in
        // start · f / start), so the correlation is undefined, not a number made of noise.
        let (data, prepared, trajectory) = run();
        let t = trajectory.year_index(2020).unwrap();
        let observations: Vec<Observation> = (0..data.units.len())
            .map(|i| {
                let value = trajectory.gdp[t][i] * (1.0 + 0.01 * (i % 7) as f64);
                observation(i, 2020, Variable::Gdp, value)
            })
            .collect();
        let backtest = evaluate(&data, &prepared, &trajectory, &observations, None);
        let of = |f: Forecast| {
            &backtest
                .summary
                .iter()
                .find(|s| s.forecast == f)
                .unwrap()
                .summary
        };
        assert_eq!(of(Forecast::NaiveRegional).n, 44);
        assert_eq!(of(Forecast::NaiveRegional).spearman_growth, None);
        assert!(of(Forecast::Model).spearman_growth.is_some());
    }

    #[test]
    fn observations_outside_the_run_are_skipped_not_fatal() {
        let (data, prepared, trajectory) = run();
        let observations = [
            observation(0, 2014, Variable::Population, 1.0),
            observation(0, 2031, Variable::Population, 1.0),
            observation(999, 2020, Variable::Gdp, 1.0),
        ];
        let backtest = evaluate(&data, &prepared, &trajectory, &observations, None);
        assert!(backtest.rows.is_empty());
        assert!(backtest.summary.is_empty());
    }
}
