//! The agglomeration core: market access raises productivity; density and land caps raise the
//! cost of living (MODEL.md, "Production" and "Real income, congestion, land").

use nalgebra::{DMatrix, DVector};

/// A_ij = exp(−60·T_ij/τ0): the weight of unit j's population in unit i's market access.
pub fn access_kernel(travel_hours: &DMatrix<f64>, tau0_minutes: f64) -> DMatrix<f64> {
    travel_hours.map(|hours| (-60.0 * hours / tau0_minutes).exp())
}

/// [`access_kernel`] for `travel_hours` given the kernel of `previous_travel`: entries whose
/// travel time is the same are copied, the others computed as there, so the result equals
/// [`access_kernel`] bit for bit (a new link changes a few pairs of a 44×44 matrix).
pub fn access_kernel_patched(
    travel_hours: &DMatrix<f64>,
    tau0_minutes: f64,
    previous_travel: &DMatrix<f64>,
    previous: &DMatrix<f64>,
) -> DMatrix<f64> {
    let mut kernel = previous.clone();
    for ((k, hours), before) in kernel
        .iter_mut()
        .zip(travel_hours.iter())
        .zip(previous_travel.iter())
    {
        if hours != before {
            *k = (-60.0 * hours / tau0_minutes).exp();
        }
    }
    kernel
}

/// MA_i = Σ_j P_j·exp(−60·T_ij/τ0), over units (own unit included). `population` has N+1
/// entries (index 0 = rest of China, which does not count towards market access).
pub fn market_access_into(
    access: &DMatrix<f64>,
    population: &DVector<f64>,
    out: &mut DVector<f64>,
) {
    super::linalg::gemv(out.as_mut_slice(), access, &population.as_slice()[1..]);
}

/// Allocating form of [`market_access_into`].
pub fn market_access(access: &DMatrix<f64>, population: &DVector<f64>) -> DVector<f64> {
    let mut out = DVector::zeros(access.nrows());
    market_access_into(access, population, &mut out);
    out
}

/// y_i(t) = y_i(t−1)·(1 + g_i(t))·(MA_i(t)/MA_i(t−1))^γ.
#[inline]
pub fn next_income_per_head(
    previous: f64,
    growth: f64,
    access_now: f64,
    access_before: f64,
    gamma: f64,
) -> f64 {
    // exp(γ·ln r) rather than r.powf(γ): the same value, about twice as fast.
    previous * (1.0 + growth) * (gamma * (access_now / access_before).ln()).exp()
}

/// Cost-of-living index c = (P/L)^χ: congestion rises with density.
///
/// Land caps do not enter it. A cost in the destination utility also sets the stay option, so
/// it would push a capped unit's residents out (it did before the lever revision of December
/// 2026: MODEL.md 2.3); a cap acts on arrivals instead ([`arrival_factor`]).
pub fn cost_of_living(population: f64, land_km2: f64, chi: f64) -> f64 {
    cost_of_living_from_logs(population.ln(), land_km2.ln(), chi)
}

/// [`cost_of_living`] given ln P and ln L, which the yearly step already has: one `exp`
/// instead of a `powf` in the hot loop.
#[inline]
pub fn cost_of_living_from_logs(log_population: f64, log_land: f64, chi: f64) -> f64 {
    (chi * (log_population - log_land)).exp()
}

/// Land-cap pressure p = max(0, U·P/Pcap − 0.9)/0.1: 0 below 90 % of the cap, 1 at the cap.
#[inline]
pub fn cap_pressure(population: f64, urban_share: f64, population_cap: f64) -> f64 {
    (urban_share * population / population_cap - 0.9).max(0.0) / 0.1
}

/// φ = 1/(1 + κ·p)²: the share of would-be arrivals a capped unit still admits (1 below 90 % of
/// the cap, 1/(1+κ)² = 0.44 at the cap, 1/(1+2κ)² = 0.25 at 110 %, at the default κ = 0.5).
/// The step never lets it fall below what replaces the unit's own leavers
/// (`model::step`), so a cap diverts growth and does not empty the unit.
#[inline]
pub fn arrival_factor(pressure: f64, kappa: f64) -> f64 {
    1.0 / (1.0 + kappa * pressure).powi(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn shorter_travel_raises_market_access_at_both_ends() {
        let before = DMatrix::from_row_slice(2, 2, &[0.3, 2.0, 2.0, 0.3]);
        let after = DMatrix::from_row_slice(2, 2, &[0.3, 0.8, 0.8, 0.3]);
        let population = DVector::from_vec(vec![1e9, 1.5e7, 8e6]);
        let ma_before = market_access(&access_kernel(&before, 40.0), &population);
        let ma_after = market_access(&access_kernel(&after, 40.0), &population);
        assert!(ma_after[0] > ma_before[0] && ma_after[1] > ma_before[1]);
    }

    #[test]
    fn growth_and_access_multiply() {
        assert_relative_eq!(
            next_income_per_head(100.0, 0.05, 2.0, 1.0, 0.05),
            105.0 * 2f64.powf(0.05)
        );
    }

    #[test]
    fn costs_rise_with_density_only() {
        assert_relative_eq!(
            cost_of_living(1e6, 1000.0, 0.05),
            1000f64.powf(0.05),
            max_relative = 1e-14
        );
        assert!(cost_of_living(2e6, 1000.0, 0.05) > cost_of_living(1e6, 1000.0, 0.05));
    }

    #[test]
    fn arrivals_are_damped_only_above_ninety_percent_of_a_cap() {
        assert_eq!(cap_pressure(1.0e6, 0.5, 1e6), 0.0);
        assert_eq!(arrival_factor(cap_pressure(1.0e6, 0.5, 1e6), 0.5), 1.0);
        assert_eq!(cap_pressure(2e6, 0.5, f64::INFINITY), 0.0);
        assert_relative_eq!(cap_pressure(2e6, 0.5, 1e6), 1.0, max_relative = 1e-12);
        assert_relative_eq!(arrival_factor(1.0, 0.5), 1.0 / 2.25);
        assert!(arrival_factor(2.0, 0.5) < arrival_factor(1.0, 0.5));
        assert_eq!(arrival_factor(5.0, 0.0), 1.0);
    }

    #[test]
    fn a_patched_access_kernel_equals_a_rebuilt_one() {
        let before = DMatrix::from_row_slice(2, 2, &[0.3, 2.0, 2.0, 0.3]);
        let after = DMatrix::from_row_slice(2, 2, &[0.3, 0.8, 0.8, 0.3]);
        let patched = access_kernel_patched(&after, 40.0, &before, &access_kernel(&before, 40.0));
        assert_eq!(patched, access_kernel(&after, 40.0));
    }
}
