//! The scenario file as written: the serde types (unknown fields refused, every field but
//! `name` optional), and one file of an `extends` chain as read.

use std::path::PathBuf;

use serde::Deserialize;

use super::problem::Problem;
use crate::model::SPECS;

macro_rules! parameters_file {
    ($($name:ident),* $(,)?) => {
        /// `parameters: (...)` as written; every field optional (defaults from the model table).
        #[derive(Debug, Clone, Default, Deserialize, PartialEq)]
        #[serde(deny_unknown_fields)]
        pub struct ParametersFile {
            $( #[serde(default)] pub $name: Option<f64>, )*
        }

        impl ParametersFile {
            /// The values the user set, as (name, value).
            pub fn given(&self) -> Vec<(&'static str, f64)> {
                let mut out = Vec::new();
                $( if let Some(value) = self.$name { out.push((stringify!($name), value)); } )*
                out
            }

            /// Every field name, in order (kept equal to the model's table by a test).
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),*];
        }
    };
}

parameters_file!(
    gamma,
    tau0_minutes,
    chi,
    kappa,
    epsilon,
    beta_per_hour,
    lambda,
    border_penalty,
    hukou_wedge_core,
    hukou_wedge,
    hukou_wedge_county,
    hukou_wedge_rest_of_china,
    rho,
    trend_decay,
    trend_cap,
    income_convergence,
    catch_up_pull,
    migrant_stay_years,
    census_momentum,
    income_shrinkage,
    differential_decay,
    estimate_weight,
    census_base_weight,
    detour_factor,
    road_speed_kmh,
    terminal_hours,
    local_speed_kmh,
    land_per_person_m2,
    urban_max_sichuan,
    urban_max_chongqing,
    urban_rate_sichuan,
    urban_rate_chongqing,
);

/// A scenario file as written.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: String,
    /// Parent scenario (path relative to this file): everything not set here is inherited.
    #[serde(default)]
    pub extends: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub start_year: Option<i32>,
    #[serde(default)]
    pub end_year: Option<i32>,
    #[serde(default)]
    pub seed: Option<u64>,
    /// A directory with the same CSV files as `data/` (relative to the scenario file).
    #[serde(default)]
    pub data: Option<String>,
    #[serde(default)]
    pub parameters: ParametersFile,
    /// Appended after the parent's macro paths (later entries win).
    #[serde(default)]
    pub macro_paths: Vec<MacroPathFile>,
    /// Replaces the parent's policies when given.
    #[serde(default)]
    pub policies: Option<Vec<PolicyFile>>,
    /// Appended to the (inherited) policies.
    #[serde(default)]
    pub add_policies: Vec<PolicyFile>,
    /// Names (`name:`) of inherited policies to drop.
    #[serde(default)]
    pub remove_policies: Vec<String>,
}

/// Which macro driver a path sets.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum Indicator {
    /// Real GDP growth, percent per year.
    RealGdpGrowth,
    /// Natural population growth, per mille per year.
    NaturalGrowth,
}

/// `(region: "sichuan", indicator: RealGdpGrowth, from_year: 2021, to_year: 2030, value: 6.0)`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MacroPathFile {
    pub region: String,
    pub indicator: Indicator,
    pub from_year: i32,
    pub to_year: i32,
    pub value: f64,
}

/// A dated policy lever as written. Units are ids or groups (`@chongqing_core`, `@all`, ...).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub enum PolicyFile {
    /// Travel time between every unit of `from` and every unit of `to` (both directions).
    TravelTime {
        #[serde(default)]
        name: Option<String>,
        year: i32,
        from: Vec<String>,
        to: Vec<String>,
        #[serde(default)]
        hours: Option<f64>,
        #[serde(default)]
        factor: Option<f64>,
    },
    /// Travel times between every pair of units along a corridor multiplied by `factor`.
    Corridor {
        #[serde(default)]
        name: Option<String>,
        year: i32,
        units: Vec<String>,
        factor: f64,
    },
    /// Hukou wedge of the listed units (all units when `units` is absent): set or change.
    HukouWedge {
        #[serde(default)]
        name: Option<String>,
        year: i32,
        #[serde(default)]
        units: Option<Vec<String>>,
        #[serde(default)]
        value: Option<f64>,
        #[serde(default)]
        change: Option<f64>,
    },
    /// Extra growth of income per head, percentage points per year, over [from_year, to_year].
    ProductivityShift {
        #[serde(default)]
        name: Option<String>,
        units: Vec<String>,
        percentage_points: f64,
        from_year: i32,
        to_year: i32,
    },
    /// Amenity change Δa (utility units) from `from_year` (to `to_year` if given).
    AmenityShift {
        #[serde(default)]
        name: Option<String>,
        units: Vec<String>,
        delta: f64,
        from_year: i32,
        #[serde(default)]
        to_year: Option<i32>,
    },
    /// Urban construction land cap of one unit, km² (becomes an urban population cap).
    LandCap {
        #[serde(default)]
        name: Option<String>,
        year: i32,
        unit: String,
        km2: f64,
    },
    /// Sichuan–Chongqing border penalty: set or change.
    BorderPenalty {
        #[serde(default)]
        name: Option<String>,
        year: i32,
        #[serde(default)]
        value: Option<f64>,
        #[serde(default)]
        change: Option<f64>,
    },
}

/// One parsed file of an `extends` chain.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub display: String,
    pub text: String,
    /// Folder of the file: relative paths in it (`extends`, `data`) start here.
    pub dir: PathBuf,
    /// The file as parsed without its unknown fields, if it has any.
    pub raw: ScenarioFile,
    /// One problem per unknown field: reported with the semantic checks, in one pass.
    pub unknown_fields: Vec<Problem>,
}

/// Parameters named in [`ParametersFile`] and the model's table must agree.
pub fn parameter_names_match_model() -> bool {
    ParametersFile::NAMES.len() == SPECS.len()
        && ParametersFile::NAMES
            .iter()
            .zip(SPECS)
            .all(|(name, spec)| *name == spec.name)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parameter_schema_matches_the_model_table() {
        assert!(parameter_names_match_model());
    }
}
