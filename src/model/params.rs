//! Model parameters: one table of specifications (unit, default, sweep range, hard bounds, source)
//! and the validated [`Params`] the equations read.
//!
//! The table is the single place where a parameter is described; `docs/MODEL.md` repeats it for
//! readers and a test checks that every name here appears there.

use std::fmt;

/// How a parameter is described to users, sweeps and the docs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamSpec {
    /// Field name in scenarios (`parameters: (epsilon: 1.5)`) and sweeps.
    pub name: &'static str,
    pub symbol: &'static str,
    pub unit: &'static str,
    pub meaning: &'static str,
    pub default: f64,
    /// The range sweeps draw from (MODEL.md).
    pub sweep: (f64, f64),
    /// Values outside these bounds are rejected: the equations lose their meaning there.
    pub bounds: (f64, f64),
    pub source: &'static str,
}

/// Every tunable parameter, in the order of docs/MODEL.md.
pub const SPECS: &[ParamSpec] = &[
    ParamSpec { name: "gamma", symbol: "γ", unit: "1", meaning: "productivity elasticity to market access", default: 0.05, sweep: (0.02, 0.10), bounds: (0.0, 0.3), source: "Rice, Venables & Patacchini 2006 [V]; Combes, Démurger & Li 2013; 范剑勇 2006" },
    ParamSpec { name: "tau0_minutes", symbol: "τ0", unit: "min", meaning: "market-access time decay", default: 40.0, sweep: (20.0, 90.0), bounds: (5.0, 600.0), source: "Rice et al. 2006: effects fade beyond ~80 min [V→D]" },
    ParamSpec { name: "chi", symbol: "χ", unit: "1", meaning: "congestion (cost-of-living) elasticity to density", default: 0.05, sweep: (0.03, 0.10), bounds: (0.0, 0.5), source: "Combes, Duranton & Gobillon 2019 [V]" },
    ParamSpec { name: "kappa", symbol: "κ", unit: "1", meaning: "land-cap strength on arrivals", default: 0.5, sweep: (0.0, 2.0), bounds: (0.0, 10.0), source: "assumption [A]: at 100 % of a cap, arrivals ÷(1+κ)² (÷2.25 at the default), never below what replaces the unit's leavers" },
    ParamSpec { name: "epsilon", symbol: "ε", unit: "1", meaning: "migration elasticity to real income", default: 1.5, sweep: (1.0, 4.0), bounds: (0.01, 10.0), source: "Tombe & Zhu 2019 (≈1.5) [M]; the 2010 start's fit to 2011–2014 (simulate calibrate) takes it to the bound 1 (2.8 while GDP catch-up pulled migrants), with a standard error wider than the range: not identified" },
    ParamSpec { name: "beta_per_hour", symbol: "β", unit: "1/h", meaning: "travel-time deterrence of moves", default: 0.5, sweep: (0.25, 1.0), bounds: (0.0, 5.0), source: "[D] ≈ distance exponent 1 at ~2 h" },
    ParamSpec { name: "lambda", symbol: "λ", unit: "1", meaning: "destination size exponent", default: 0.5, sweep: (0.0, 0.9), bounds: (0.0, 0.99), source: "Chinese gravity estimates 0.5–0.9 [M]" },
    ParamSpec { name: "border_penalty", symbol: "b", unit: "utility", meaning: "Sichuan–Chongqing border penalty on moves", default: 0.7, sweep: (0.0, 1.5), bounds: (0.0, 10.0), source: "Zhu & Poncet 2003 (strong border effect) [V qualitative]" },
    ParamSpec { name: "hukou_wedge_core", symbol: "τh (core)", unit: "share of income", meaning: "hukou wedge for non-locals in the core cities (Chengdu, Chongqing core)", default: 0.3, sweep: (0.05, 0.45), bounds: (0.0, 0.95), source: "Hao, Sun, Tombe & Zhu 2020 [V]; split [A]" },
    ParamSpec { name: "hukou_wedge", symbol: "τh", unit: "share of income", meaning: "hukou wedge in the other districts and cities", default: 0.2, sweep: (0.05, 0.45), bounds: (0.0, 0.95), source: "Hao, Sun, Tombe & Zhu 2020 [V]" },
    ParamSpec { name: "hukou_wedge_county", symbol: "τh (county)", unit: "share of income", meaning: "hukou wedge in counties (县: Fengdu, Dianjiang, Zhongxian, Yunyang)", default: 0.1, sweep: (0.05, 0.45), bounds: (0.0, 0.95), source: "Hao, Sun, Tombe & Zhu 2020 [V]; split [A]" },
    ParamSpec { name: "hukou_wedge_rest_of_china", symbol: "τh0", unit: "share of income", meaning: "hukou wedge faced by movers to the rest of China", default: 0.2, sweep: (0.05, 0.45), bounds: (0.0, 0.95), source: "as hukou_wedge [A]" },
    ParamSpec { name: "rho", symbol: "ρ", unit: "1/yr", meaning: "expectation smoothing (weight of this year's real income)", default: 0.4, sweep: (0.1, 1.0), bounds: (0.01, 1.0), source: "REMI-type lagged response [V]; value [A]" },
    ParamSpec { name: "trend_decay", symbol: "δ", unit: "1/yr", meaning: "yearly decay of each unit's 2010–2014 relative productivity trend", default: 0.4, sweep: (0.1, 0.7), bounds: (0.0, 1.0), source: "[D] pre-2014 pseudo-forecasts (`calibrate::gdp_persistence`): best 0.45, the default 0.4 (half-life 1.4 yr) within 0.04 % of the best loss, and within 1 % of it over 0.35–0.55; the 2010 start's calibration cannot see it (no unit trends; docs/CALIBRATION.md §6)" },
    ParamSpec { name: "trend_cap", symbol: "ḡ", unit: "1/yr", meaning: "cap on |g_i⁰|: larger 2010–2014 differentials are level shocks (e.g. Dadukou's steelworks relocation, −19.2 %/yr), not trends", default: 0.03, sweep: (0.01, 0.05), bounds: (0.0, 0.2), source: "assumption [A]" },
    ParamSpec { name: "income_convergence", symbol: "β_c", unit: "1/yr", meaning: "catch-up of GDP per head within a province: a unit's per-head growth gains −β_c·ln(y_i/ȳ_p) in its start year, the gap closing at β_c a year (for a 2014 start alongside the unit's decaying 2010–2014 trend)", default: 0.02, sweep: (0.0, 0.05), bounds: (0.0, 0.5), source: "[M] Barro & Sala-i-Martin 1992: ≈ 2 %/yr across regions (not fitted); the pre-2014 pseudo-forecasts of calibrate::gdp_persistence find 0.022 (docs/CALIBRATION.md §6). Kept because the 2010 start's calibration loss over 2011–2014 falls with it (0.01704 → 0.01474 when it was switched on; 0.01764 → 0.01526 at the current defaults) (unit GDP RMS 12.85 → 11.92 %, provincial totals 0.43 → 0.20 %, unit population 2.28 → 2.33 %) and its 2010→2014 GDP ranking turns the right way round (ρ −0.39 → 0.24 when switched on; at α = 0.6 without pull, `catch_up_pull`, −0.38 → 0.03 and loss 0.01753 → 0.01523; docs/CALIBRATION.md §5)" },
    ParamSpec { name: "catch_up_pull", symbol: "w_c", unit: "1", meaning: "share of the GDP catch-up (β_c term) that migrants respond to: 0 = catch-up raises GDP per head but pulls nobody, 1 = it enters migrants' real income like any other income growth", default: 0.0, sweep: (0.0, 1.0), bounds: (0.0, 1.0), source: "[D] chosen (at α = 0.5) because the 2010 start's unit population errors 2011–2014 fell monotonically from w_c = 1 to 0 (MAPE 2010→2014 2.03 / 2.02 / 2.00 %, RMS 2.33 → 2.28 %); at the current α = 0.65 and s = 0.2 they rise slightly (MAPE 1.84 / 1.86 / 1.92 %, RMS 2.05 → 2.08 %), and pulling makes the census decade's losers the fastest-growing destinations (section 2.4)" },
    ParamSpec { name: "migrant_stay_years", symbol: "S", unit: "yr", meaning: "average time the 2010 census migrant stocks have spent at their destination: turns the census stocks into the base-year gross move rates that calibrate f and f0", default: 10.0, sweep: (5.0, 20.0), bounds: (1.0, 50.0), source: "assumption [A]; with it the census gives 0.77 %/yr between units and 1.41 %/yr to the rest of China (MODEL.md: 1–2 %/yr)" },
    ParamSpec { name: "census_momentum", symbol: "α", unit: "1", meaning: "weight of each unit's 2000→2010 census net-migration differential (relative to its province) in the base-year net-migration targets: 0 = every unit at its province's rate, 1 = the census decade's differentials continued", default: 0.65, sweep: (0.0, 1.5), bounds: (0.0, 3.0), source: "[D] the least α at which the model carries more than half of the census decade on every backtest (0.52–0.58 at 0.65; 0.49–0.53 at 0.6), as the held-out report requires (docs/CALIBRATION.md §5); the 2010 start's population errors before 2014 against census-adjusted observations prefer less (1.92 / 1.94 / 2.01 / 2.08 / 2.25 % at α = 0.5 / 0.55 / 0.6 / 0.65 / 0.75, with `income_shrinkage` 0.2), the raw annual estimates 0.4 (1.52 %)" },
    ParamSpec { name: "income_shrinkage", symbol: "s", unit: "1", meaning: "share of each unit's census-decade differential replaced by what its 2010 GDP per head predicts of it (one within-province regression slope for both provinces): 0 = the decade's own differentials, 1 = only their income-predicted part", default: 0.2, sweep: (0.0, 0.5), bounds: (0.0, 1.0), source: "[D] chosen on the 2010 start's population errors before 2014 against census-adjusted observations: at α = 0.65, 2.14 / 2.10 / 2.08 / 2.08 / 2.08 / 2.08 % in 2014 at s = 0 / 0.1 / 0.15 / 0.2 / 0.25 / 0.3 (2011–2014: 1.61 / 1.60 / 1.59 / 1.59 / 1.60 / 1.60 %), flat from 0.15 to 0.3; the same at α = 0.6 (2.06 / 2.03 / 2.01 / 2.01 / 2.01 / 2.02 %); docs/CALIBRATION.md §5" },
    ParamSpec { name: "differential_decay", symbol: "δ_D", unit: "1/yr", meaning: "yearly decay of each unit's net-migration differential (the part of its calibrated pull that sets it apart from its province): the differential in year t is (1 − δ_D)^(t − 2012.5) times the 2010–2014 one; 0 = differentials persist", default: 0.0, sweep: (0.0, 0.18), bounds: (0.0, 1.0), source: "assumption [A]: differentials persist. Half of the census decade's differential persisting into the 2010–2014 window (7 years later), carried forward, would give 0.094; that value is neutral before 2014 and better on the 2017/18 estimates (MAPE 4.74 → 4.13 % from 2014), but fading differentials are a smoothing, the estimates are the series known to smooth, it takes the share of the census decade the model carries below the held-out report's bound, and it makes the 2000s' losers gain by 2030 (docs/CALIBRATION.md §5). The range's top, 0.18, is α = 0.25 over the same 7 years" },
    ParamSpec { name: "estimate_weight", symbol: "w_e", unit: "1", meaning: "weight of the 2010–2014 annual estimates against the census decade in a unit's differential, for units whose 2014 value is a unit-level estimate (not a province-wide scaling); 2014 start only", default: 0.5, sweep: (0.0, 1.0), bounds: (0.0, 1.0), source: "assumption [A]: four years of annual estimates (which undercount fast-growing cities) against ten census years; not identifiable before 2014" },
    ParamSpec { name: "census_base_weight", symbol: "w_b", unit: "1", meaning: "weight of the census-consistent 2014 population (the 2010 census carried to 2014 at the calibration target rates, matched to the provincial totals) against the published 2014 values, geometric; 2014 start only", default: 1.0, sweep: (0.0, 1.0), bounds: (0.0, 1.0), source: "[D] chosen by backtest 2014→2017/18 (4.51 / 4.38 / 4.33 % at w_b = 0 / 0.5 / 1 when chosen); at the current defaults the raw estimates prefer 0 (4.01 / 4.06 / 4.21 %) and the census yardsticks that agree with the held-out report are level between 0.5 and 1 (φ = 0.6: 5.56 / 5.38 / 5.38 %; docs/CALIBRATION.md §5)" },
    ParamSpec { name: "detour_factor", symbol: "c", unit: "1", meaning: "road distance ÷ great-circle distance", default: 1.3, sweep: (1.2, 1.5), bounds: (1.0, 3.0), source: "MODEL.md [A]" },
    ParamSpec { name: "road_speed_kmh", symbol: "v", unit: "km/h", meaning: "expressway door-to-door speed", default: 80.0, sweep: (60.0, 100.0), bounds: (10.0, 300.0), source: "MODEL.md [A]" },
    ParamSpec { name: "terminal_hours", symbol: "t0", unit: "h", meaning: "terminal time added to every trip between units", default: 0.5, sweep: (0.25, 1.0), bounds: (0.0, 5.0), source: "MODEL.md [A]" },
    ParamSpec { name: "local_speed_kmh", symbol: "v_local", unit: "km/h", meaning: "speed inside a unit (own-unit time = 0.5·√(area/π)/v_local)", default: 30.0, sweep: (20.0, 40.0), bounds: (5.0, 200.0), source: "MODEL.md [A]" },
    ParamSpec { name: "land_per_person_m2", symbol: "ℓ", unit: "m²/person", meaning: "urban construction land per urban resident (turns a land cap into a population cap)", default: 100.0, sweep: (80.0, 115.0), bounds: (20.0, 500.0), source: "国家新型城镇化规划(2014–2020): 人均城市建设用地严格控制在100平方米以内 [V]; GB 50137-2011 range 65–115 [V]" },
    ParamSpec { name: "urban_max_sichuan", symbol: "U_max,SC", unit: "share", meaning: "logistic ceiling of the urban share, Sichuan", default: 0.80, sweep: (0.75, 0.85), bounds: (0.3, 1.0), source: "MODEL.md [A/D]" },
    ParamSpec { name: "urban_max_chongqing", symbol: "U_max,CQ", unit: "share", meaning: "logistic ceiling of the urban share, Chongqing", default: 0.82, sweep: (0.77, 0.87), bounds: (0.3, 1.0), source: "MODEL.md [A/D]" },
    ParamSpec { name: "urban_rate_sichuan", symbol: "k_SC", unit: "1/yr", meaning: "logistic urbanisation speed, Sichuan", default: 0.088, sweep: (0.06, 0.12), bounds: (0.0, 1.0), source: "MODEL.md [D]" },
    ParamSpec { name: "urban_rate_chongqing", symbol: "k_CQ", unit: "1/yr", meaning: "logistic urbanisation speed, Chongqing", default: 0.111, sweep: (0.08, 0.14), bounds: (0.0, 1.0), source: "MODEL.md [D]" },
];

/// Validated parameter values. Built only through [`Params::from_values`] (or `default`), so the
/// equations never see a value outside its bounds or an unstable set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    values: [f64; SPECS.len()],
}

/// A parameter value that breaks a rule.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    #[error("unknown parameter `{name}`{suggestion}")]
    Unknown { name: String, suggestion: String },
    #[error("parameter `{name}` = {value} is not a finite number")]
    NotFinite { name: &'static str, value: f64 },
    #[error("parameter `{name}` = {value} is outside its valid range [{lo}, {hi}]{}; the documented sweep range is [{sweep_lo}, {sweep_hi}]", in_unit(.unit))]
    OutOfBounds {
        name: &'static str,
        value: f64,
        lo: f64,
        hi: f64,
        unit: &'static str,
        sweep_lo: f64,
        sweep_hi: f64,
    },
    #[error("unstable parameter set: λ + ε·(γ − χ) = {lambda} + {epsilon}·({gamma} − {chi}) = {feedback:.3} ≥ 1, so a unit's size would feed on itself without bound (MODEL.md, Properties 3); lower λ or ε, or raise χ above γ")]
    Unstable {
        lambda: f64,
        epsilon: f64,
        gamma: f64,
        chi: f64,
        feedback: f64,
    },
}

/// " (km/h)" after a range; nothing for a dimensionless parameter (unit "1").
fn in_unit(unit: &str) -> String {
    if unit == "1" || unit.is_empty() {
        String::new()
    } else {
        format!(" ({unit})")
    }
}

impl Default for Params {
    fn default() -> Self {
        let mut values = [0.0; SPECS.len()];
        for (value, spec) in values.iter_mut().zip(SPECS) {
            *value = spec.default;
        }
        Params { values }
    }
}

/// Index of a parameter by name, evaluated at compile time (a misspelt name fails the build).
const fn const_index(name: &str) -> usize {
    let name = name.as_bytes();
    let mut i = 0;
    while i < SPECS.len() {
        let spec = SPECS[i].name.as_bytes();
        if spec.len() == name.len() {
            let mut k = 0;
            while k < name.len() && spec[k] == name[k] {
                k += 1;
            }
            if k == name.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("accessor names match SPECS")
}

/// Index of a parameter by name.
pub fn spec_index(name: &str) -> Option<usize> {
    SPECS.iter().position(|spec| spec.name == name)
}

impl Params {
    /// Defaults overridden by `(name, value)` pairs; reports every problem, then checks stability.
    pub fn from_values<'a>(
        overrides: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<Params, Vec<ParamError>> {
        let mut params = Params::default();
        let mut errors = Vec::new();
        for (name, value) in overrides {
            match spec_index(name) {
                Some(index) => params.set_checked(index, value, &mut errors),
                None => errors.push(ParamError::Unknown {
                    name: name.to_string(),
                    suggestion: crate::data::suggestion(name, SPECS.iter().map(|s| s.name)),
                }),
            }
        }
        params.finish(errors)
    }

    /// These values with `(index into SPECS, value)` overrides, checked as [`Params::from_values`]
    /// checks them (sweeps resolve their factors' indices once, not per run).
    pub fn with_values_at(
        &self,
        overrides: impl IntoIterator<Item = (usize, f64)>,
    ) -> Result<Params, Vec<ParamError>> {
        let mut params = *self;
        let mut errors = Vec::new();
        for (index, value) in overrides {
            params.set_checked(index, value, &mut errors);
        }
        params.finish(errors)
    }

    fn set_checked(&mut self, index: usize, value: f64, errors: &mut Vec<ParamError>) {
        let spec = &SPECS[index];
        if !value.is_finite() {
            errors.push(ParamError::NotFinite {
                name: spec.name,
                value,
            });
        } else if value < spec.bounds.0 || value > spec.bounds.1 {
            errors.push(ParamError::OutOfBounds {
                name: spec.name,
                value,
                lo: spec.bounds.0,
                hi: spec.bounds.1,
                unit: spec.unit,
                sweep_lo: spec.sweep.0,
                sweep_hi: spec.sweep.1,
            });
        } else {
            self.values[index] = value;
        }
    }

    /// Checks stability once every value is in bounds.
    fn finish(self, mut errors: Vec<ParamError>) -> Result<Params, Vec<ParamError>> {
        if errors.is_empty() {
            if let Err(err) = self.check_stability() {
                errors.push(err);
            }
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }

    /// λ + ε·(γ − χ) < 1 (MODEL.md, Properties 3).
    pub fn check_stability(&self) -> Result<(), ParamError> {
        let feedback = self.size_feedback();
        if feedback >= 1.0 {
            return Err(ParamError::Unstable {
                lambda: self.lambda(),
                epsilon: self.epsilon(),
                gamma: self.gamma(),
                chi: self.chi(),
                feedback,
            });
        }
        Ok(())
    }

    /// How strongly a unit's utility responds to its own size: λ + ε·(γ − χ).
    pub fn size_feedback(&self) -> f64 {
        self.lambda() + self.epsilon() * (self.gamma() - self.chi())
    }

    /// Value by name (for sweeps and the manifest).
    pub fn get(&self, name: &str) -> Option<f64> {
        spec_index(name).map(|index| self.values[index])
    }

    /// `(name, value)` for every parameter, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        SPECS
            .iter()
            .zip(self.values)
            .map(|(spec, v)| (spec.name, v))
    }

    /// The value at a table position found at compile time ([`const_index`]): accessors are
    /// read in the setup of every sweep run, where a search by name per read shows up.
    #[inline]
    fn at(&self, index: usize) -> f64 {
        self.values[index]
    }

    pub fn gamma(&self) -> f64 {
        self.at(const { const_index("gamma") })
    }
    pub fn tau0_minutes(&self) -> f64 {
        self.at(const { const_index("tau0_minutes") })
    }
    pub fn chi(&self) -> f64 {
        self.at(const { const_index("chi") })
    }
    pub fn kappa(&self) -> f64 {
        self.at(const { const_index("kappa") })
    }
    pub fn epsilon(&self) -> f64 {
        self.at(const { const_index("epsilon") })
    }
    pub fn beta_per_hour(&self) -> f64 {
        self.at(const { const_index("beta_per_hour") })
    }
    pub fn lambda(&self) -> f64 {
        self.at(const { const_index("lambda") })
    }
    pub fn border_penalty(&self) -> f64 {
        self.at(const { const_index("border_penalty") })
    }
    pub fn hukou_wedge_core(&self) -> f64 {
        self.at(const { const_index("hukou_wedge_core") })
    }
    pub fn hukou_wedge(&self) -> f64 {
        self.at(const { const_index("hukou_wedge") })
    }
    pub fn hukou_wedge_county(&self) -> f64 {
        self.at(const { const_index("hukou_wedge_county") })
    }
    pub fn hukou_wedge_rest_of_china(&self) -> f64 {
        self.at(const { const_index("hukou_wedge_rest_of_china") })
    }
    pub fn rho(&self) -> f64 {
        self.at(const { const_index("rho") })
    }
    pub fn trend_decay(&self) -> f64 {
        self.at(const { const_index("trend_decay") })
    }
    pub fn trend_cap(&self) -> f64 {
        self.at(const { const_index("trend_cap") })
    }
    pub fn income_convergence(&self) -> f64 {
        self.at(const { const_index("income_convergence") })
    }
    pub fn catch_up_pull(&self) -> f64 {
        self.at(const { const_index("catch_up_pull") })
    }
    pub fn migrant_stay_years(&self) -> f64 {
        self.at(const { const_index("migrant_stay_years") })
    }
    pub fn census_momentum(&self) -> f64 {
        self.at(const { const_index("census_momentum") })
    }
    pub fn income_shrinkage(&self) -> f64 {
        self.at(const { const_index("income_shrinkage") })
    }
    pub fn differential_decay(&self) -> f64 {
        self.at(const { const_index("differential_decay") })
    }
    pub fn estimate_weight(&self) -> f64 {
        self.at(const { const_index("estimate_weight") })
    }
    pub fn census_base_weight(&self) -> f64 {
        self.at(const { const_index("census_base_weight") })
    }
    pub fn detour_factor(&self) -> f64 {
        self.at(const { const_index("detour_factor") })
    }
    pub fn road_speed_kmh(&self) -> f64 {
        self.at(const { const_index("road_speed_kmh") })
    }
    pub fn terminal_hours(&self) -> f64 {
        self.at(const { const_index("terminal_hours") })
    }
    pub fn local_speed_kmh(&self) -> f64 {
        self.at(const { const_index("local_speed_kmh") })
    }
    pub fn land_per_person_m2(&self) -> f64 {
        self.at(const { const_index("land_per_person_m2") })
    }
    pub fn urban_max(&self, province_index: usize) -> f64 {
        [
            self.at(const { const_index("urban_max_sichuan") }),
            self.at(const { const_index("urban_max_chongqing") }),
        ][province_index]
    }
    pub fn urban_rate(&self, province_index: usize) -> f64 {
        [
            self.at(const { const_index("urban_rate_sichuan") }),
            self.at(const { const_index("urban_rate_chongqing") }),
        ][province_index]
    }
}

impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, value) in self.iter() {
            writeln!(f, "{name} = {value}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_is_in_the_table_of_docs_model_md() {
        let model_md = include_str!("../../docs/MODEL.md");
        for spec in SPECS {
            assert!(
                model_md.contains(&format!("| `{}` |", spec.name)),
                "docs/MODEL.md has no table row for `{}`",
                spec.name
            );
        }
    }

    #[test]
    fn defaults_lie_inside_their_sweep_ranges_and_bounds() {
        for spec in SPECS {
            assert!(
                spec.sweep.0 <= spec.default && spec.default <= spec.sweep.1,
                "{}",
                spec.name
            );
            assert!(
                spec.bounds.0 <= spec.sweep.0 && spec.sweep.1 <= spec.bounds.1,
                "{}",
                spec.name
            );
        }
        assert!(Params::default().check_stability().is_ok());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errors =
            Params::from_values([("epsilon", -1.0), ("gamma", f64::NAN), ("epsilonn", 1.0)])
                .unwrap_err();
        assert_eq!(errors.len(), 3);
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(text[0].contains("`epsilon` = -1 is outside its valid range"));
        assert!(text[1].contains("not a finite number"));
        assert!(text[2].contains("did you mean `epsilon`?"));
        // A dimensionless parameter's range has no unit "(1)" after it.
        let errors = Params::from_values([("gamma", -1.0)]).unwrap_err();
        let text = errors[0].to_string();
        assert!(
            text.contains("valid range [0, 0.3]; the documented"),
            "{text}"
        );
    }

    #[test]
    fn stability_guard_rejects_self_feeding_size() {
        // λ + ε(γ − χ) = 0.9 + 4·(0.1 − 0.03) = 1.18 ≥ 1
        let err = Params::from_values([
            ("lambda", 0.9),
            ("epsilon", 4.0),
            ("gamma", 0.1),
            ("chi", 0.03),
        ])
        .unwrap_err();
        assert!(matches!(err[0], ParamError::Unstable { .. }));
        assert!(err[0].to_string().contains("1.180 ≥ 1"));
        // Just below the line is accepted.
        assert!(Params::from_values([
            ("lambda", 0.6),
            ("epsilon", 4.0),
            ("gamma", 0.1),
            ("chi", 0.03)
        ])
        .is_ok());
    }
}
