//! Units of measure: the unit the loader reads each value in, and the problem of a `unit`
//! column that names another.
//!
//! The loader never converts: a population is read as persons, a GDP as yuan, whatever the
//! row's `unit` says. A row whose unit is not the one read is refused (with the value converted
//! for the user when the unit is one we know, 160.37万人 → 1603700 persons), so that a figure
//! copied from a source in 万 or 亿 cannot enter a run ten thousand times too small.

/// A unit of measure the loader reads values in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Persons,
    /// 万人 (10,000 persons): central_urban_evidence.csv's populations.
    TenThousandPersons,
    /// Yuan at the prices of the row's year.
    Yuan,
    Percent,
    Permille,
    Fraction,
    SquareKm,
    /// An index with 2014 = 100.
    Index2014,
}

impl Measure {
    /// The spellings the data files use for this unit; any of them is accepted. Current yuan is
    /// spelt three ways in the shipped files (`yuan (current 2014 prices)` in the base-year
    /// file, `yuan (current prices)` in the history, `yuan_current` in the macro file and the
    /// targets): all mean yuan at the prices of the row's year.
    pub fn spellings(self) -> &'static [&'static str] {
        match self {
            Measure::Persons => &["persons"],
            Measure::TenThousandPersons => &["万人"],
            Measure::Yuan => &[
                "yuan (current 2014 prices)",
                "yuan (current prices)",
                "yuan_current",
            ],
            Measure::Percent => &["percent"],
            Measure::Permille => &["permille"],
            Measure::Fraction => &["fraction"],
            Measure::SquareKm => &["km2"],
            Measure::Index2014 => &["2014=100"],
        }
    }

    /// What a value in this unit is, in messages.
    fn name(self) -> &'static str {
        match self {
            Measure::Persons => "persons",
            Measure::TenThousandPersons => "万人 (10,000 persons)",
            Measure::Yuan => "yuan",
            Measure::Percent => "percent",
            Measure::Permille => "permille (‰)",
            Measure::Fraction => "a fraction (0.45 for 45 %)",
            Measure::SquareKm => "km²",
            Measure::Index2014 => "an index with 2014 = 100",
        }
    }

    /// Other units a value may have been copied in, each with the factor that converts a value
    /// in it to this unit (1: another name of the same unit). Matched ignoring case and the
    /// spaces around the text.
    fn conversions(self) -> &'static [(&'static [&'static str], f64)] {
        match self {
            Measure::Persons => &[
                (&["万人", "万"], 1e4),
                (&["亿人", "亿"], 1e8),
                (
                    &["千人", "thousand persons", "thousands", "1000 persons"],
                    1e3,
                ),
                (&["百万人", "million persons", "millions"], 1e6),
                (&["人", "person", "people"], 1.0),
            ],
            Measure::TenThousandPersons => &[
                (&["persons", "person", "people", "人"], 1e-4),
                (&["万"], 1.0),
            ],
            Measure::Yuan => &[
                (&["万元", "万", "10k yuan", "10,000 yuan"], 1e4),
                (&["亿元", "亿", "100 million yuan"], 1e8),
                (&["万亿元", "万亿", "trillion yuan"], 1e12),
                (&["千元", "thousand yuan"], 1e3),
                (&["百万元", "million yuan"], 1e6),
                (&["billion yuan"], 1e9),
                (&["元", "yuan", "cny", "rmb"], 1.0),
            ],
            Measure::Percent => &[
                (&["fraction", "share"], 100.0),
                (&["permille", "‰"], 0.1),
                (&["%", "pct", "per cent"], 1.0),
            ],
            Measure::Permille => &[
                (&["percent", "%", "pct"], 10.0),
                (&["fraction"], 1000.0),
                (&["‰", "per mille", "per thousand"], 1.0),
            ],
            Measure::Fraction => &[
                (&["percent", "%", "pct"], 0.01),
                (&["permille", "‰"], 0.001),
                (&["share", "ratio"], 1.0),
            ],
            Measure::SquareKm => &[
                (&["万平方公里", "万km2", "万 km2", "万km²"], 1e4),
                (&["ha", "hectare", "hectares", "公顷"], 0.01),
                (&["m2", "m²", "平方米"], 1e-6),
                (
                    &[
                        "km²",
                        "km^2",
                        "平方公里",
                        "sq km",
                        "square km",
                        "square kilometres",
                    ],
                    1.0,
                ),
            ],
            Measure::Index2014 => &[(&["index (2014=100)", "2014 = 100"], 1.0)],
        }
    }

    /// The factor that converts a value in `given` to this unit, if `given` is a unit we know.
    fn factor_from(self, given: &str) -> Option<f64> {
        let given = given.trim().to_lowercase();
        self.conversions()
            .iter()
            .find(|(names, _)| names.iter().any(|name| name.to_lowercase() == given))
            .map(|&(_, factor)| factor)
    }
}

/// The unit a column is read in, and how its file writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadIn {
    pub measure: Measure,
    /// The spelling the messages ask for: the one the shipped file uses.
    pub written: &'static str,
}

pub const PERSONS: ReadIn = ReadIn {
    measure: Measure::Persons,
    written: "persons",
};
pub const TEN_THOUSAND_PERSONS: ReadIn = ReadIn {
    measure: Measure::TenThousandPersons,
    written: "万人",
};
/// The base year's GDP and the national GDP.
pub const YUAN_2014: ReadIn = ReadIn {
    measure: Measure::Yuan,
    written: "yuan (current 2014 prices)",
};
/// GDP of the history years.
pub const YUAN_CURRENT_PRICES: ReadIn = ReadIn {
    measure: Measure::Yuan,
    written: "yuan (current prices)",
};
/// GDP in the macro file and the targets.
pub const YUAN_CURRENT: ReadIn = ReadIn {
    measure: Measure::Yuan,
    written: "yuan_current",
};
pub const PERCENT: ReadIn = ReadIn {
    measure: Measure::Percent,
    written: "percent",
};
pub const PERMILLE: ReadIn = ReadIn {
    measure: Measure::Permille,
    written: "permille",
};
pub const FRACTION: ReadIn = ReadIn {
    measure: Measure::Fraction,
    written: "fraction",
};
pub const SQUARE_KM: ReadIn = ReadIn {
    measure: Measure::SquareKm,
    written: "km2",
};
pub const INDEX_2014: ReadIn = ReadIn {
    measure: Measure::Index2014,
    written: "2014=100",
};

impl ReadIn {
    /// Whether `given` (a `unit` cell, trimmed) names this unit.
    pub fn accepts(self, given: &str) -> bool {
        self.measure.spellings().contains(&given)
    }

    /// The problem of a row whose `unit` cell is `given` where this unit is read: the value
    /// (when it is a number), the unit it is read in and the fix. `what` is the row's measure
    /// as the file names it (`population`, `central_point`).
    pub fn wrong_unit(self, given: &str, what: &str, value: Option<f64>) -> String {
        let written = self.written;
        let name = self.measure.name();
        if given.is_empty() {
            let check = value.map_or(String::new(), |v| {
                format!(" after checking that the value {v} is in {name}")
            });
            return format!(
                "empty; the loader reads `{what}` values in {name}: write `{written}` here{check}"
            );
        }
        match (self.measure.factor_from(given), value) {
            (Some(factor), Some(value)) if factor != 1.0 => format!(
                "`{given}` is not the unit of `{what}` values, which the loader reads in {name}: convert the value and write `{written}` here ({} → {})",
                with_unit(&value.to_string(), given),
                with_unit(&plain(value * factor), written)
            ),
            (Some(1.0), _) => format!(
                "`{given}` is not how the data write the unit of `{what}` values: write `{written}` ({name}){}",
                value.map_or(String::new(), |v| format!("; the value {v} stays as it is"))
            ),
            (_, Some(value)) => format!(
                "`{given}` is not the unit of `{what}` values, which the loader reads in {name}: give the value ({value}) in {name} and write `{written}` here"
            ),
            (_, None) => format!(
                "`{given}` is not the unit of `{what}` values, which the loader reads in {name}: give the value in {name} and write `{written}` here"
            ),
        }
    }
}

/// `160.37` and `万人` → `160.37万人`; `12` and `thousand persons` → `12 thousand persons`.
fn with_unit(number: &str, unit: &str) -> String {
    if unit.starts_with(|c: char| c.is_ascii()) {
        format!("{number} {unit}")
    } else {
        format!("{number}{unit}")
    }
}

/// `value` as it is written in a data file: a plain decimal without separators, with the noise
/// of a float product beyond 12 significant digits dropped (160.37 × 10,000 → `1603700`).
pub fn plain(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return value.to_string();
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (11 - magnitude).clamp(0, 20) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_written_spelling_is_accepted() {
        for read_in in [
            PERSONS,
            TEN_THOUSAND_PERSONS,
            YUAN_2014,
            YUAN_CURRENT_PRICES,
            YUAN_CURRENT,
            PERCENT,
            PERMILLE,
            FRACTION,
            SQUARE_KM,
            INDEX_2014,
        ] {
            assert!(read_in.accepts(read_in.written), "{read_in:?}");
            // A spelling the files use is never also listed as a unit to convert from.
            for spelling in read_in.measure.spellings() {
                assert_eq!(read_in.measure.factor_from(spelling), None, "{spelling}");
            }
        }
        assert!(YUAN_2014.accepts("yuan_current"));
        assert!(!PERSONS.accepts("Persons "));
        assert!(!PERCENT.accepts("pct"));
    }

    #[test]
    fn plain_numbers_drop_float_noise() {
        assert_eq!(plain(160.37 * 1e4), "1603700");
        assert_eq!(plain(7.9 * 0.01), "0.079");
        assert_eq!(plain(892.4039 * 1e8), "89240390000");
        assert_eq!(plain(1905700.0 * 1e-4), "190.57");
        assert_eq!(plain(0.0), "0");
        assert_eq!(plain(-2.5), "-2.5");
    }

    /// The value is converted for the user when the unit is a known one; a synonym keeps its
    /// value; an unknown unit is named with the unit to give.
    #[test]
    fn a_wrong_unit_names_the_value_the_unit_read_and_the_fix() {
        assert_eq!(
            PERSONS.wrong_unit("万人", "population", Some(160.37)),
            "`万人` is not the unit of `population` values, which the loader reads in persons: convert the value and write `persons` here (160.37万人 → 1603700 persons)"
        );
        assert_eq!(
            YUAN_2014.wrong_unit("亿元", "gdp", Some(892.4039)),
            "`亿元` is not the unit of `gdp` values, which the loader reads in yuan: convert the value and write `yuan (current 2014 prices)` here (892.4039亿元 → 89240390000 yuan (current 2014 prices))"
        );
        assert_eq!(
            FRACTION.wrong_unit("percent", "urban_share", Some(45.2)),
            "`percent` is not the unit of `urban_share` values, which the loader reads in a fraction (0.45 for 45 %): convert the value and write `fraction` here (45.2 percent → 0.452 fraction)"
        );
        assert_eq!(
            TEN_THOUSAND_PERSONS.wrong_unit("persons", "unit_urban", Some(1905700.0)),
            "`persons` is not the unit of `unit_urban` values, which the loader reads in 万人 (10,000 persons): convert the value and write `万人` here (1905700 persons → 190.57万人)"
        );
        assert_eq!(
            PERCENT.wrong_unit("PCT", "real_gdp_growth", Some(7.9)),
            "`PCT` is not how the data write the unit of `real_gdp_growth` values: write `percent` (percent); the value 7.9 stays as it is"
        );
        assert_eq!(
            PERSONS.wrong_unit("households", "population", Some(5.0)),
            "`households` is not the unit of `population` values, which the loader reads in persons: give the value (5) in persons and write `persons` here"
        );
        // A value that is not a number is reported by itself; its unit is still named.
        assert_eq!(
            PERSONS.wrong_unit("万人", "population", None),
            "`万人` is not the unit of `population` values, which the loader reads in persons: give the value in persons and write `persons` here"
        );
        assert_eq!(
            SQUARE_KM.wrong_unit("", "area", Some(185000.0)),
            "empty; the loader reads `area` values in km²: write `km2` here after checking that the value 185000 is in km²"
        );
    }
}
