//! central_urban_evidence.csv: what is known about the seven regional centres' central cities,
//! and the estimates derived from it when the data are loaded.
//!
//! The plan's 专栏1 targets are about each centre's 中心城区 (central urban area), a part of the
//! unit's urban population that no statistical series in our data measures. The evidence file
//! holds the few published quantities close to it (2014–2018, all ≤ 2019); this module turns
//! them into a **share** of the unit's urban population with a low / central / high range, so
//! that a run can score a target as share × its own projected urban population. The rules and a
//! worked table are in docs/TARGETS.md; the tests below re-derive the numbers by hand.
//!
//! Roles of the rows:
//! - `unit_urban`: the unit's whole urban resident population in a year (a denominator, and,
//!   with the 2010 census, an observed growth rate of urban population).
//! - `central_point`: a published population of the central city (城区 / 主城区).
//! - `land_point`: the built-up area belonging to a `central_point` (same unit and year).
//! - `central_upper_bound`: a quantity that contains the central city (市辖区 totals, 市辖区
//!   城镇常住人口, or a "not above 100万" statement): it caps the share.

use std::collections::BTreeMap;

use super::magnitude::{EvidenceReading, Reading, Readings};
use super::measure::{self, ReadIn};
use super::{problem, read_table, Census2010, DataProblem, NumberRule};

/// Evidence later than this year is refused: 2020 on is the held-out test of the model.
pub const LAST_EVIDENCE_YEAR: i32 = 2019;
/// The 2010 census counted residents at 2010-11-01; its date as a fractional year.
pub const CENSUS_2010_TIME: f64 = 2010.0 + 304.0 / 365.0;
/// Relative half-width added to a share measured from a `central_point`, because the city's
/// 城区 / 主城区 boundary is not the plan's 中心城区 boundary. A judgement (docs/TARGETS.md),
/// not a measured quantity.
pub const DEFINITION_MARGIN: f64 = 0.10;

/// How a row of the evidence file is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    UnitUrban,
    CentralPoint,
    LandPoint,
    CentralUpperBound,
}

impl Role {
    const ALL: [(&'static str, Role, ReadIn); 4] = [
        ("unit_urban", Role::UnitUrban, measure::TEN_THOUSAND_PERSONS),
        (
            "central_point",
            Role::CentralPoint,
            measure::TEN_THOUSAND_PERSONS,
        ),
        ("land_point", Role::LandPoint, measure::SQUARE_KM),
        (
            "central_upper_bound",
            Role::CentralUpperBound,
            measure::TEN_THOUSAND_PERSONS,
        ),
    ];

    fn parse(text: &str) -> Option<(Role, ReadIn)> {
        Role::ALL
            .iter()
            .find(|(name, _, _)| *name == text)
            .map(|&(_, role, unit)| (role, unit))
    }
}

/// One row of central_urban_evidence.csv; populations in persons, areas in km².
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub unit: usize,
    /// Year-end of this year.
    pub year: i32,
    pub variable: String,
    pub value: f64,
    pub role: Role,
}

/// A quantity with a stated range; `low ≤ central ≤ high`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub low: f64,
    pub central: f64,
    pub high: f64,
}

impl Range {
    pub fn exact(value: f64) -> Range {
        Range {
            low: value,
            central: value,
            high: value,
        }
    }

    /// Each bound multiplied by `factor` (≥ 0).
    pub fn scaled(self, factor: f64) -> Range {
        Range {
            low: self.low * factor,
            central: self.central * factor,
            high: self.high * factor,
        }
    }
}

/// What a centre's share rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareBasis {
    /// The unit's own 城区 / 主城区 population.
    Direct,
    /// No own point value: the envelope of the units that have one.
    Pooled,
}

/// A centre's central-urban population as a share of its unit's urban population.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareEstimate {
    pub share: Range,
    pub basis: ShareBasis,
    /// The evidence year of the binding upper bound, if one lowered the range.
    pub capped_by: Option<i32>,
}

impl ShareEstimate {
    /// `direct`, `pooled`, or either with `; capped by <year> upper bound`.
    pub fn describe(&self) -> String {
        let basis = match self.basis {
            ShareBasis::Direct => "direct",
            ShareBasis::Pooled => "pooled",
        };
        match self.capped_by {
            Some(year) => format!("{basis}; capped by {year} upper bound"),
            None => basis.to_string(),
        }
    }
}

/// The evidence and what is derived from it at load time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CentralUrban {
    pub evidence: Vec<Evidence>,
    /// Annual growth rate (continuous, per year) of urban population, 2010 census → latest
    /// `unit_urban` row: min / median / max over the units that have one.
    pub urban_growth: Option<Range>,
    /// Share of the unit's urban population, per unit with a central-urban target.
    pub shares: BTreeMap<usize, ShareEstimate>,
    /// Built-up land per central-city resident, m² (min, max over the `land_point` rows).
    pub land_m2_per_person: Option<(f64, f64)>,
}

impl CentralUrban {
    /// Land per person with `central` (the scenario's `land_per_person_m2`) as the central value,
    /// the observed min–max as the range, widened to contain `central`.
    pub fn land_per_person(&self, central: f64) -> Range {
        let (low, high) = self.land_m2_per_person.unwrap_or((central, central));
        Range {
            low: low.min(central),
            central,
            high: high.max(central),
        }
    }
}

pub(super) fn parse_evidence(
    file: (&str, &str),
    ids: &super::UnitIds,
    readings: &mut Readings,
    problems: &mut Vec<DataProblem>,
) -> Vec<Evidence> {
    let required = [
        "unit_id", "city_zh", "year", "variable", "value", "unit", "role", "source", "method",
    ];
    let Some(table) = read_table(file, &required, problems) else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for (line, record) in &table.rows {
        let line = *line;
        let unit = table.unit(line, record, "unit_id", ids, problems);
        let year = table.year(line, record, "year", problems);
        let value = table.number(line, record, "value", NumberRule::Positive, problems);
        let role_text = table.get(record, "role");
        let mut unit_right = false;
        let role = match Role::parse(role_text) {
            Some((role, read_in)) => {
                unit_right = table.unit_is(line, record, read_in, role_text, value, problems);
                Some(role)
            }
            None => {
                let names: Vec<&str> = Role::ALL.iter().map(|(name, _, _)| *name).collect();
                problems.push(problem(
                    table.file,
                    line,
                    "role",
                    format!("unknown role `{role_text}`; use {}", names.join(", ")),
                ));
                None
            }
        };
        for column in ["source", "method"] {
            if table.get(record, column).is_empty() {
                problems.push(problem(
                    table.file,
                    line,
                    column,
                    "empty; every number says where it comes from and how it was read".into(),
                ));
            }
        }
        if let Some(year) = year {
            if !(2010..=LAST_EVIDENCE_YEAR).contains(&year) {
                problems.push(problem(
                    table.file,
                    line,
                    "year",
                    format!("year {year} is outside 2010–{LAST_EVIDENCE_YEAR}; values from 2020 on are the held-out test and may not inform the scorecard"),
                ));
                continue;
            }
        }
        if let (Some(unit), Some(year), Some(value), Some(role)) = (unit, year, value, role) {
            if unit_right {
                readings.evidence.push(EvidenceReading {
                    unit,
                    year,
                    role,
                    variable: table.get(record, "variable").to_string(),
                    reading: Reading { line, value },
                });
            }
            let value = if role == Role::LandPoint {
                value
            } else {
                value * 1e4
            };
            rows.push(Evidence {
                unit,
                year,
                variable: table.get(record, "variable").to_string(),
                value,
                role,
            });
            lines.push(line);
        }
    }
    for (row, &line) in rows.iter().zip(&lines) {
        let same = |role: Role| {
            rows.iter()
                .filter(|r| r.role == role && r.unit == row.unit && r.year == row.year)
                .count()
        };
        if row.role == Role::LandPoint && same(Role::CentralPoint) != 1 {
            problems.push(problem(
                table.file,
                line,
                "role",
                "a `land_point` needs exactly one `central_point` of the same unit and year (the population living on that land)".into(),
            ));
        }
        if matches!(row.role, Role::UnitUrban | Role::CentralPoint) && same(row.role) > 1 {
            problems.push(problem(
                table.file,
                line,
                "year",
                "second row of this role for the same unit and year; keep one".into(),
            ));
        }
    }
    if table.rows.len() == rows.len() {
        for (role, what) in [
            (
                Role::UnitUrban,
                "`unit_urban` row (the growth of urban population)",
            ),
            (
                Role::CentralPoint,
                "`central_point` row (a measured central-city population)",
            ),
        ] {
            if !rows.iter().any(|r| r.role == role) {
                problems.push(problem(
                    table.file,
                    0,
                    "role",
                    format!("needs at least one {what} to estimate central-urban shares"),
                ));
            }
        }
    }
    rows
}

/// Derives growth, shares (for `target_units`) and land per person from validated evidence.
/// `kind[u]` is unit u's kind (units.csv): a centre without its own evidence pools the direct
/// shares of centres of its own kind (a district's urban population is mostly its city; a
/// prefecture city's holds its counties' towns too), or of all centres when none of its kind has
/// one.
pub fn estimate(
    evidence: Vec<Evidence>,
    census: &[Census2010],
    target_units: &[usize],
    kind: &[&str],
) -> CentralUrban {
    let urban_growth = urban_growth(&evidence, census);
    let mut shares = BTreeMap::new();
    if let Some(growth) = urban_growth {
        let direct: BTreeMap<usize, Range> = target_units
            .iter()
            .filter_map(|&u| direct_share(&evidence, census, growth, u).map(|s| (u, s)))
            .collect();
        let pooled_for = |unit: usize| {
            let same_kind = direct
                .iter()
                .filter(|(&u, _)| kind.get(u) == kind.get(unit))
                .map(|(_, &share)| share);
            pooled_share(same_kind).or_else(|| pooled_share(direct.values().copied()))
        };
        for &unit in target_units {
            let (uncapped, basis) = match direct.get(&unit) {
                Some(&share) => (share, ShareBasis::Direct),
                None => match pooled_for(unit) {
                    Some(share) => (share, ShareBasis::Pooled),
                    None => continue,
                },
            };
            let (share, capped_by) = cap_share(uncapped, &evidence, census, growth, unit);
            shares.insert(
                unit,
                ShareEstimate {
                    share,
                    basis,
                    capped_by,
                },
            );
        }
    }
    let land: Vec<f64> = evidence
        .iter()
        .filter(|r| r.role == Role::LandPoint)
        .filter_map(|land| {
            evidence
                .iter()
                .find(|p| {
                    p.role == Role::CentralPoint && p.unit == land.unit && p.year == land.year
                })
                .map(|p| land.value * 1e6 / p.value)
        })
        .collect();
    let land_m2_per_person = (!land.is_empty()).then(|| {
        land.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            })
    });
    CentralUrban {
        evidence,
        urban_growth,
        shares,
        land_m2_per_person,
    }
}

/// The latest `unit_urban` row of `unit` up to `year`, or the 2010 census: (time, persons).
fn urban_anchor(
    evidence: &[Evidence],
    census: &[Census2010],
    unit: usize,
    year: i32,
) -> (f64, f64) {
    evidence
        .iter()
        .filter(|r| r.role == Role::UnitUrban && r.unit == unit && r.year <= year)
        .max_by_key(|r| r.year)
        .map_or((CENSUS_2010_TIME, census[unit].urban_population), |r| {
            (f64::from(r.year) + 1.0, r.value)
        })
}

/// Growth of urban population from the census to each unit's latest `unit_urban` row:
/// min / median / max.
fn urban_growth(evidence: &[Evidence], census: &[Census2010]) -> Option<Range> {
    let mut units: Vec<usize> = evidence
        .iter()
        .filter(|r| r.role == Role::UnitUrban)
        .map(|r| r.unit)
        .collect();
    units.sort_unstable();
    units.dedup();
    let mut rates: Vec<f64> = units
        .iter()
        .map(|&u| {
            let (time, value) = urban_anchor(evidence, census, u, LAST_EVIDENCE_YEAR);
            (value / census[u].urban_population).ln() / (time - CENSUS_2010_TIME)
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    let n = rates.len();
    (n > 0).then(|| Range {
        low: rates[0],
        central: if n % 2 == 1 {
            rates[n / 2]
        } else {
            0.5 * (rates[n / 2 - 1] + rates[n / 2])
        },
        high: rates[n - 1],
    })
}

/// The unit's urban population at the end of `year`: observed if a `unit_urban` row has that
/// year, else grown from the latest earlier anchor at the low / central / high growth rate.
pub fn urban_population_at(
    evidence: &[Evidence],
    census: &[Census2010],
    growth: Range,
    unit: usize,
    year: i32,
) -> Range {
    let (time, value) = urban_anchor(evidence, census, unit, year);
    let years = f64::from(year) + 1.0 - time;
    Range {
        low: value * (growth.low * years).exp(),
        central: value * (growth.central * years).exp(),
        high: value * (growth.high * years).exp(),
    }
}

/// Share from the unit's own `central_point` rows (central = mean, range = envelope), widened by
/// [`DEFINITION_MARGIN`].
fn direct_share(
    evidence: &[Evidence],
    census: &[Census2010],
    growth: Range,
    unit: usize,
) -> Option<Range> {
    let shares: Vec<Range> = evidence
        .iter()
        .filter(|r| r.role == Role::CentralPoint && r.unit == unit)
        .map(|point| {
            let urban = urban_population_at(evidence, census, growth, unit, point.year);
            Range {
                low: point.value / urban.high * (1.0 - DEFINITION_MARGIN),
                central: point.value / urban.central,
                high: point.value / urban.low * (1.0 + DEFINITION_MARGIN),
            }
        })
        .collect();
    pooled_share(shares.into_iter())
}

/// Envelope of several ranges (min low, max high) with the mean of their centrals.
fn pooled_share(shares: impl Iterator<Item = Range>) -> Option<Range> {
    let shares: Vec<Range> = shares.collect();
    (!shares.is_empty()).then(|| Range {
        low: shares.iter().map(|s| s.low).fold(f64::INFINITY, f64::min),
        central: shares.iter().map(|s| s.central).sum::<f64>() / shares.len() as f64,
        high: shares
            .iter()
            .map(|s| s.high)
            .fold(f64::NEG_INFINITY, f64::max),
    })
}

/// Lowers `high` to the tightest `central_upper_bound` of the unit (bound ÷ the *lowest*
/// urban population of that year, so the cap is never tighter than the evidence allows) and to 1;
/// keeps `low ≤ central ≤ high` (a central above the cap moves to the middle of the range).
fn cap_share(
    share: Range,
    evidence: &[Evidence],
    census: &[Census2010],
    growth: Range,
    unit: usize,
) -> (Range, Option<i32>) {
    let mut capped = share;
    let mut capped_by = None;
    if capped.high > 1.0 {
        capped.high = 1.0;
    }
    for bound in evidence
        .iter()
        .filter(|r| r.role == Role::CentralUpperBound && r.unit == unit)
    {
        let cap = bound.value / urban_population_at(evidence, census, growth, unit, bound.year).low;
        if cap < capped.high {
            capped.high = cap;
            capped_by = Some(bound.year);
        }
    }
    capped.low = capped.low.min(capped.high);
    if capped.central > capped.high {
        capped.central = 0.5 * (capped.low + capped.high);
    }
    (capped, capped_by)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn census(urban: f64) -> Census2010 {
        Census2010 {
            resident_population: 2.0 * urban,
            urban_population: urban,
            registered_population: 2.0 * urban,
            in_migrants_same_county: 0.0,
            in_migrants_other_county_same_province: 0.0,
            in_migrants_other_province: 0.0,
            natural_growth_permille: 0.0,
        }
    }

    fn row(unit: usize, year: i32, value: f64, role: Role) -> Evidence {
        Evidence {
            unit,
            year,
            variable: "test".into(),
            value,
            role,
        }
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9 * b.abs().max(1.0), "{a} vs {b}");
    }

    /// Unit 0 doubles its urban population over exactly one e-folding period; unit 1 grows at
    /// half that rate. Unit 2 has a central point; unit 3 only an upper bound.
    fn toy() -> (Vec<Evidence>, Vec<Census2010>) {
        let t = 2017.0 + 1.0 - CENSUS_2010_TIME;
        let census = vec![census(100.0), census(100.0), census(200.0), census(50.0)];
        let evidence = vec![
            row(0, 2017, 100.0 * (0.04 * t).exp(), Role::UnitUrban),
            row(1, 2017, 100.0 * (0.02 * t).exp(), Role::UnitUrban),
            row(0, 2017, 80.0 * (0.04 * t).exp(), Role::CentralPoint),
            row(
                0,
                2017,
                80.0 * (0.04 * t).exp() * 100.0 / 1e6,
                Role::LandPoint,
            ),
            row(2, 2017, 120.0, Role::CentralPoint),
            row(2, 2017, 120.0 * 80.0 / 1e6, Role::LandPoint),
            row(3, 2018, 30.0, Role::CentralUpperBound),
        ];
        (evidence, census)
    }

    #[test]
    fn growth_is_min_median_max_of_the_observed_units() {
        let (evidence, census) = toy();
        let g = urban_growth(&evidence, &census).unwrap();
        close(g.low, 0.02);
        close(g.high, 0.04);
        // Two units: the median is their mean.
        close(g.central, 0.03);
    }

    #[test]
    fn a_same_year_denominator_is_exact_and_others_are_grown_from_the_census() {
        let (evidence, census) = toy();
        let g = urban_growth(&evidence, &census).unwrap();
        let observed = urban_population_at(&evidence, &census, g, 0, 2017);
        close(observed.low, observed.high);
        let t = 2018.0 - CENSUS_2010_TIME;
        let grown = urban_population_at(&evidence, &census, g, 2, 2017);
        close(grown.low, 200.0 * (0.02 * t).exp());
        close(grown.central, 200.0 * (0.03 * t).exp());
        close(grown.high, 200.0 * (0.04 * t).exp());
    }

    #[test]
    fn shares_by_hand() {
        let (evidence, census) = toy();
        let t = 2018.0 - CENSUS_2010_TIME;
        let est = estimate(evidence, &census, &[0, 2, 3], &["a"; 4]);
        // Unit 0: 80 % of an observed denominator, ± the definition margin.
        let s0 = &est.shares[&0];
        assert_eq!(s0.basis, ShareBasis::Direct);
        close(s0.share.central, 0.8);
        close(s0.share.low, 0.8 * 0.9);
        close(s0.share.high, 0.8 * 1.1);
        // Unit 2: 120 over 200 grown at 4 % (low share), 3 % (central), 2 % (high share).
        let s2 = &est.shares[&2];
        close(s2.share.low, 120.0 / (200.0 * (0.04 * t).exp()) * 0.9);
        close(s2.share.central, 120.0 / (200.0 * (0.03 * t).exp()));
        close(s2.share.high, 120.0 / (200.0 * (0.02 * t).exp()) * 1.1);
        // Unit 3: pooled envelope of units 0 and 2, then capped by 30 / (50 grown at the low
        // rate to the end of 2018); the central falls above the cap and moves to mid-range.
        let s3 = &est.shares[&3];
        assert_eq!(s3.basis, ShareBasis::Pooled);
        assert_eq!(s3.capped_by, Some(2018));
        let cap = 30.0 / (50.0 * (0.02 * (t + 1.0)).exp());
        close(s3.share.high, cap);
        close(s3.share.low, s2.share.low);
        close(s3.share.central, 0.5 * (s2.share.low + cap));
        assert_eq!(s3.describe(), "pooled; capped by 2018 upper bound");
        // Land: 100 and 80 m² per person.
        assert_eq!(est.land_m2_per_person, Some((80.0, 100.0)));
    }

    #[test]
    fn a_centre_pools_the_shares_of_its_own_kind() {
        let (evidence, census) = toy();
        // Unit 3 is of unit 2's kind only: its pooled range is unit 2's (before the cap).
        let est = estimate(evidence.clone(), &census, &[0, 2, 3], &["d", "x", "p", "p"]);
        let (s2, s3) = (&est.shares[&2], &est.shares[&3]);
        assert_eq!(s3.basis, ShareBasis::Pooled);
        close(s3.share.low, s2.share.low);
        assert!(s3.share.high <= s2.share.high + 1e-12);
        // A kind without direct evidence falls back to all centres.
        let est = estimate(evidence, &census, &[0, 2, 3], &["d", "x", "p", "q"]);
        let all = estimate(toy().0, &census, &[0, 2, 3], &["a"; 4]);
        assert_eq!(est.shares[&3], all.shares[&3]);
    }

    #[test]
    fn land_range_contains_the_chosen_central_value() {
        let est = CentralUrban {
            land_m2_per_person: Some((82.0, 108.0)),
            ..CentralUrban::default()
        };
        assert_eq!(
            est.land_per_person(100.0),
            Range {
                low: 82.0,
                central: 100.0,
                high: 108.0
            }
        );
        assert_eq!(
            est.land_per_person(120.0),
            Range {
                low: 82.0,
                central: 120.0,
                high: 120.0
            }
        );
    }

    #[test]
    fn bad_rows_are_all_reported_with_line_and_column() {
        let ids =
            super::super::UnitIds::complete([("wanzhou".to_string(), 0)].into_iter().collect());
        let header = "unit_id,city_zh,year,variable,value,unit,role,source,method\n";
        let text = format!(
            "{header}\
             wanzhou,万州区,2017,chengqu_pop,85,万人,central_point,a page,quoted\n\
             wanzhou,万州区,2020,chengqu_pop,90,万人,central_point,a page,quoted\n\
             wanzhou,万州区,2016,builtup_area,60,km2,land_point,a page,quoted\n\
             wanzhou,万州区,2017,x,1,万人,central_pointt,a page,quoted\n\
             wanzhou,万州区,2017,x,1,km2,unit_urban,,quoted\n"
        );
        let mut problems = Vec::new();
        parse_evidence(
            ("e.csv", &text),
            &ids,
            &mut Default::default(),
            &mut problems,
        );
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let expect = [
            "e.csv:3: column `year`: year 2020 is outside 2010–2019",
            "e.csv:5: column `role`: unknown role `central_pointt`",
            "e.csv:6: column `unit`: `km2` is not the unit of `unit_urban` values, which the loader reads in 万人 (10,000 persons): give the value (1) in 万人 (10,000 persons) and write `万人` here",
            "e.csv:6: column `source`: empty",
            "e.csv:4: column `role`: a `land_point` needs exactly one `central_point`",
        ];
        for e in expect {
            assert!(shown.iter().any(|s| s.starts_with(e)), "{e}\n{shown:#?}");
        }
        assert_eq!(shown.len(), expect.len(), "{shown:#?}");
    }

    #[test]
    fn a_share_never_exceeds_one_and_keeps_its_order() {
        let (share, capped) = cap_share(
            Range {
                low: 0.9,
                central: 1.05,
                high: 1.2,
            },
            &[],
            &[],
            Range::exact(0.0),
            0,
        );
        assert_eq!(capped, None);
        assert_eq!(
            share,
            Range {
                low: 0.9,
                central: 0.95,
                high: 1.0
            }
        );
    }
}

#[cfg(test)]
mod embedded {
    use crate::data::Dataset;

    /// The shipped evidence, re-derived by hand (docs/TARGETS.md has the same table).
    #[test]
    fn wanzhou_and_mianyang_shares_by_hand() {
        let data = Dataset::embedded();
        let cu = &data.central_urban;
        let unit = |id: &str| data.unit_index(id).unwrap();
        // Wanzhou 2017: 城区 85万 over the district's 107.338万 urban residents (same year).
        let wanzhou = &cu.shares[&unit("wanzhou")];
        let s = 85.0 / 107.338;
        assert!((wanzhou.share.central - s).abs() < 1e-12);
        assert!((wanzhou.share.low - 0.9 * s).abs() < 1e-12);
        assert!((wanzhou.share.high - 1.1 * s).abs() < 1e-12);
        // Land: 149.5 km² / 138.1万 and 69.62 km² / 85万.
        let (low, high) = cu.land_m2_per_person.unwrap();
        assert!((low - 69.62e6 / 85e4).abs() < 1e-9);
        assert!((high - 149.5e6 / 138.1e4).abs() < 1e-9);
        // Growth of urban population, census 2010-11-01 → year-end: Wanzhou 2017 (slowest),
        // Qianjiang 2017 (median), Luzhou 2014 (fastest).
        let years = |year: f64| year + 1.0 - super::CENSUS_2010_TIME;
        let wanzhou_rate = (107.338e4 / 859_662.0_f64).ln() / years(2017.0);
        let qianjiang_rate = (25.4496e4 / 173_997.0_f64).ln() / years(2017.0);
        let luzhou_rate = (190.57e4 / 1_487_444.0_f64).ln() / years(2014.0);
        let growth = cu.urban_growth.unwrap();
        assert!((growth.low - wanzhou_rate).abs() < 1e-12);
        assert!((growth.central - qianjiang_rate).abs() < 1e-12);
        assert!((growth.high - luzhou_rate).abs() < 1e-12);
        // Mianyang 2017: 主城区 138.1万 over its census urban population grown to the end of 2017.
        let mianyang = &cu.shares[&unit("mianyang")];
        let grown = |rate: f64| 1_741_364.0 * (rate * years(2017.0)).exp();
        assert!((mianyang.share.central - 138.1e4 / grown(qianjiang_rate)).abs() < 1e-12);
        assert!((mianyang.share.low - 0.9 * 138.1e4 / grown(luzhou_rate)).abs() < 1e-12);
        assert!((mianyang.share.high - 1.1 * 138.1e4 / grown(wanzhou_rate)).abs() < 1e-12);
        // Leshan: pooled, capped by "市辖区城镇常住人口 not above 100万 at end-2018".
        let leshan = &cu.shares[&unit("leshan")];
        let leshan_urban_2018 = 1_277_315.0 * (wanzhou_rate * years(2018.0)).exp();
        assert!((leshan.share.high - 100e4 / leshan_urban_2018).abs() < 1e-12);
        assert_eq!(leshan.describe(), "pooled; capped by 2018 upper bound");
        for share in cu.shares.values() {
            assert!(
                share.share.low <= share.share.central && share.share.central <= share.share.high
            );
        }
        assert_eq!(cu.shares.len(), 7);
    }
}
