//! The targets scorecard (pure): the plan's 14 regional-centre targets against the projection,
//! each with a low / central / high estimate and a verdict; and, apart from it, the 2014
//! base-year checks, which are facts the plan states about its base year, not targets.
//!
//! How each target is projected (docs/TARGETS.md):
//! - `central_urban_population` (专栏1, 中心城区城市人口): share × the unit's projected urban
//!   population (urban share × population) in the target year. The share of the unit's urban
//!   population living in its central city is estimated from published central-city figures
//!   when the data are loaded (`data::central_urban`), with a low / central / high range.
//! - `urban_construction_land` (专栏1): central-urban population × land per person. The central
//!   value is the scenario's `land_per_person_m2` (100 m² by default, the national ceiling);
//!   the range is the observed 82–108 m² of Wanzhou and Mianyang (widened to hold the central
//!   value). Low uses low × low, high uses high × high.
//!
//! Verdicts: a population target is `met` when even the low estimate reaches it, `missed` when
//! even the high estimate falls short, otherwise `uncertain`. Land targets are ceilings: `met`
//! when the high estimate stays within, `missed` when the low estimate exceeds it.

use std::fmt;

use crate::data::central_urban::Range;
use crate::data::Dataset;
use crate::engine::Trajectory;

/// The indicators of the regional-centre targets, in plan_targets.csv's words.
pub const CENTRE_INDICATORS: [&str; 2] = ["central_urban_population", "urban_construction_land"];

/// Scorecard verdict of one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Reached even at the unfavourable end of the range.
    Met,
    /// Not reached even at the favourable end of the range.
    Missed,
    /// The range straddles the target.
    Uncertain,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Missed => "missed",
            Verdict::Uncertain => "uncertain",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One scorecard row: a regional-centre target.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRow {
    pub target_id: String,
    pub unit_id: String,
    pub indicator: String,
    pub year: i32,
    pub target: f64,
    /// `None` when the run does not reach the target year or the centre has no share estimate.
    pub projected: Option<Range>,
    pub verdict: Option<Verdict>,
    /// Share of the unit's urban population in the central city, and what it rests on.
    pub share: Option<Range>,
    pub share_basis: String,
    /// Land per central-urban resident, m² (land rows only).
    pub land_m2_per_person: Option<Range>,
    /// Unit of `target` and `projected` (persons, km2).
    pub measure: String,
}

impl TargetRow {
    /// Whether the target is a ceiling (land) rather than a floor (population).
    pub fn is_ceiling(&self) -> bool {
        is_ceiling(&self.indicator)
    }

    /// Central estimate minus target.
    pub fn gap(&self) -> Option<f64> {
        self.projected.map(|p| p.central - self.target)
    }

    pub fn gap_pct(&self) -> Option<f64> {
        self.gap().map(|g| 100.0 * g / self.target)
    }

    /// Met on the central estimate alone (what sweeps count: P(met) over the parameter
    /// uncertainty, at the central share).
    pub fn met_at_central(&self) -> Option<bool> {
        self.projected.map(|p| {
            if self.is_ceiling() {
                p.central <= self.target
            } else {
                p.central >= self.target
            }
        })
    }
}

/// How many targets of one kind are met, missed and uncertain (rows not modelled are left out).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub met: usize,
    pub missed: usize,
    pub uncertain: usize,
}

impl Counts {
    /// The targets judged: met, missed or uncertain.
    pub fn judged(&self) -> usize {
        self.met + self.missed + self.uncertain
    }

    /// The counts of ceilings in words: "4 within, 0 over, 3 uncertain of 7". A ceiling kept
    /// is not called met: it is kept mostly because the population falls short.
    pub fn of_ceilings(&self) -> String {
        format!(
            "{} within, {} over, {} uncertain of {}",
            self.met,
            self.missed,
            self.uncertain,
            self.judged()
        )
    }
}

impl fmt::Display for Counts {
    /// "1 met, 4 missed, 2 uncertain of 7".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} met, {} missed, {} uncertain of {}",
            self.met,
            self.missed,
            self.uncertain,
            self.judged()
        )
    }
}

/// The verdicts counted apart for the two kinds of target. A land target is a ceiling on the
/// land the centre's projected population needs, so a centre that misses its population target
/// meets its land ceiling: one count over both would read as "on track" where it is not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Central-urban population targets (floors).
    pub population: Counts,
    /// Urban construction land targets (ceilings).
    pub land: Counts,
}

impl fmt::Display for Tally {
    /// "population targets: 1 met, 4 missed, 2 uncertain of 7 · land ceilings: 4 within,
    /// 0 over, 3 uncertain of 7".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "population targets: {} · land ceilings: {}",
            self.population,
            self.land.of_ceilings()
        )
    }
}

/// Counts the verdicts of `rows`, population targets and land ceilings apart.
pub fn tally(rows: &[TargetRow]) -> Tally {
    let mut tally = Tally::default();
    for row in rows {
        let counts = if row.is_ceiling() {
            &mut tally.land
        } else {
            &mut tally.population
        };
        match row.verdict {
            Some(Verdict::Met) => counts.met += 1,
            Some(Verdict::Missed) => counts.missed += 1,
            Some(Verdict::Uncertain) => counts.uncertain += 1,
            None => {}
        }
    }
    tally
}

/// Whether a target of `indicator` is a ceiling (urban construction land) rather than a floor.
pub fn is_ceiling(indicator: &str) -> bool {
    indicator == "urban_construction_land"
}

/// The verdict of an estimate against a floor (or, with `ceiling`, a ceiling) target.
/// Reaching the target exactly counts as meeting it.
pub fn verdict(estimate: Range, target: f64, ceiling: bool) -> Verdict {
    let (worst, best) = if ceiling {
        (-estimate.high, -estimate.low)
    } else {
        (estimate.low, estimate.high)
    };
    let goal = if ceiling { -target } else { target };
    if worst >= goal {
        Verdict::Met
    } else if best < goal {
        Verdict::Missed
    } else {
        Verdict::Uncertain
    }
}

/// Whether a plan_targets.csv row is a regional-centre target (scored), not a base-year fact.
pub fn is_centre_target(target: &crate::data::Target) -> bool {
    target.unit.is_some() && CENTRE_INDICATORS.contains(&target.indicator.as_str())
}

/// Scores the regional-centre targets of the dataset, in plan_targets.csv order.
pub fn score(data: &Dataset, trajectory: &Trajectory, land_per_person_m2: f64) -> Vec<TargetRow> {
    let land = data.central_urban.land_per_person(land_per_person_m2);
    data.targets
        .iter()
        .filter(|t| is_centre_target(t))
        .map(|target| {
            let unit = target.unit.expect("centre targets name a unit");
            let estimate = data.central_urban.shares.get(&unit);
            let central_urban = match (estimate, trajectory.year_index(target.year)) {
                (Some(e), Some(t)) => Some(e.share.scaled(trajectory.urban_population[t][unit])),
                _ => None,
            };
            let ceiling = is_ceiling(&target.indicator);
            let projected = if ceiling {
                central_urban.map(|c| Range {
                    low: c.low * land.low / 1e6,
                    central: c.central * land.central / 1e6,
                    high: c.high * land.high / 1e6,
                })
            } else {
                central_urban
            };
            TargetRow {
                target_id: target.target_id.clone(),
                unit_id: data.units[unit].id.clone(),
                indicator: target.indicator.clone(),
                year: target.year,
                target: target.value,
                projected,
                verdict: projected.map(|p| verdict(p, target.value, ceiling)),
                share: estimate.map(|e| e.share),
                share_basis: estimate.map_or_else(String::new, |e| e.describe()),
                land_m2_per_person: ceiling.then_some(land),
                measure: target.unit_of_measure.clone(),
            }
        })
        .collect()
}

/// One check of the base year against a figure the plan states (前言, 发展基础).
#[derive(Debug, Clone, PartialEq)]
pub struct BaseYearCheck {
    pub check_id: String,
    pub indicator: String,
    pub year: i32,
    pub plan_value: f64,
    /// `None`: not modelled.
    pub modelled: Option<f64>,
    /// Relative tolerance, percent; `None` when not modelled.
    pub tolerance_pct: Option<f64>,
    pub measure: String,
}

impl BaseYearCheck {
    pub fn gap_pct(&self) -> Option<f64> {
        self.modelled
            .map(|m| 100.0 * (m - self.plan_value) / self.plan_value)
    }

    /// Within tolerance; `None` when not modelled.
    pub fn agrees(&self) -> Option<bool> {
        Some(self.gap_pct()?.abs() <= self.tolerance_pct?)
    }
}

/// The base-year checks: every plan_targets.csv row that is not a regional-centre target.
/// Tolerances are those of the engine's own acceptance test (2 % population, 5 % GDP and area),
/// since our units cover all of Kaizhou and Yunyang where the plan has part.
pub fn base_year_checks(data: &Dataset, trajectory: &Trajectory) -> Vec<BaseYearCheck> {
    data.targets
        .iter()
        .filter(|t| !is_centre_target(t))
        .map(|target| {
            let index = trajectory.year_index(target.year);
            let (modelled, tolerance) = match (target.indicator.as_str(), index) {
                ("resident_population", Some(t)) => (
                    Some(Trajectory::total(&trajectory.population, t)),
                    Some(2.0),
                ),
                ("gdp", Some(t)) => (Some(Trajectory::total(&trajectory.gdp, t)), Some(5.0)),
                ("area", _) => (Some(data.units.iter().map(|u| u.area_km2).sum()), Some(5.0)),
                _ => (None, None),
            };
            BaseYearCheck {
                check_id: target.target_id.clone(),
                indicator: target.indicator.clone(),
                year: target.year,
                plan_value: target.value,
                modelled,
                tolerance_pct: tolerance,
                measure: target.unit_of_measure.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(low: f64, central: f64, high: f64) -> Range {
        Range { low, central, high }
    }

    #[test]
    fn population_verdicts_at_the_edges() {
        let target = 100.0;
        assert_eq!(
            verdict(range(100.0, 110.0, 120.0), target, false),
            Verdict::Met
        );
        assert_eq!(
            verdict(range(99.9, 110.0, 120.0), target, false),
            Verdict::Uncertain
        );
        assert_eq!(
            verdict(range(80.0, 90.0, 100.0), target, false),
            Verdict::Uncertain
        );
        assert_eq!(
            verdict(range(80.0, 90.0, 99.9), target, false),
            Verdict::Missed
        );
        assert_eq!(verdict(Range::exact(100.0), target, false), Verdict::Met);
    }

    #[test]
    fn the_tally_counts_population_targets_and_land_ceilings_apart() {
        let row = |indicator: &str, verdict: Option<Verdict>| TargetRow {
            target_id: String::new(),
            unit_id: String::new(),
            indicator: indicator.into(),
            year: 2020,
            target: 1.0,
            projected: None,
            verdict,
            share: None,
            share_basis: String::new(),
            land_m2_per_person: None,
            measure: String::new(),
        };
        let (pop, land) = ("central_urban_population", "urban_construction_land");
        let rows = [
            row(pop, Some(Verdict::Missed)),
            row(land, Some(Verdict::Met)),
            row(pop, Some(Verdict::Uncertain)),
            row(land, Some(Verdict::Uncertain)),
            row(pop, Some(Verdict::Met)),
            row(land, None),
        ];
        let tally = tally(&rows);
        assert_eq!(
            tally.population,
            Counts {
                met: 1,
                missed: 1,
                uncertain: 1
            }
        );
        assert_eq!(
            tally.land,
            Counts {
                met: 1,
                missed: 0,
                uncertain: 1
            }
        );
        assert_eq!(
            tally.to_string(),
            "population targets: 1 met, 1 missed, 1 uncertain of 3 · land ceilings: 1 within, 0 over, 1 uncertain of 2"
        );
    }

    #[test]
    fn land_is_a_ceiling() {
        let target = 100.0;
        assert_eq!(
            verdict(range(80.0, 90.0, 100.0), target, true),
            Verdict::Met
        );
        assert_eq!(
            verdict(range(80.0, 90.0, 100.1), target, true),
            Verdict::Uncertain
        );
        assert_eq!(
            verdict(range(100.0, 110.0, 120.0), target, true),
            Verdict::Uncertain
        );
        assert_eq!(
            verdict(range(100.1, 110.0, 120.0), target, true),
            Verdict::Missed
        );
    }

    fn row(indicator: &str, projected: Option<Range>) -> TargetRow {
        TargetRow {
            target_id: "t".into(),
            unit_id: "u".into(),
            indicator: indicator.into(),
            year: 2020,
            target: 100.0,
            projected,
            verdict: None,
            share: None,
            share_basis: String::new(),
            land_m2_per_person: None,
            measure: "persons".into(),
        }
    }

    #[test]
    fn sweeps_count_the_central_estimate() {
        let straddling = Some(range(90.0, 101.0, 120.0));
        assert_eq!(
            row("central_urban_population", straddling).met_at_central(),
            Some(true)
        );
        assert_eq!(
            row("urban_construction_land", straddling).met_at_central(),
            Some(false)
        );
        assert_eq!(row("central_urban_population", None).met_at_central(), None);
        assert_eq!(
            row("urban_construction_land", straddling).gap_pct(),
            Some(1.0)
        );
    }
}
