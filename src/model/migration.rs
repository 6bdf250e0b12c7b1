//! The migration core: an (N+1)×(N+1) origin-constrained logit with a stay option and the
//! rest-of-China node (MODEL.md, "Migration").
//!
//! Separable form: exp(U_j − κ_ij) = K_ij·D_j with the deterrence kernel K_ij = exp(−κ_ij)
//! (static while travel times, the border penalty, hukou wedges and fixed costs stay put) and the
//! destination vector D_j = exp(U_j − max U). The stay option has κ_ii = 0, i.e. K_ii = 1; we
//! keep K with a zero diagonal and add the stay term explicitly, so outflows are computed from
//! off-diagonal sums instead of as a small difference of large numbers. A step is then two
//! matrix–vector products: den = K·D + D and inflow = D ∘ (Kᵀ·(P / den)).

use nalgebra::{DMatrix, DVector};

/// Each node's hukou wedge where no lever sets it (index 0 the rest of China, then the units in
/// data order), by kind of unit: core, county, other. The engine starts each year's wedges from
/// it; scenario validation checks the levers' changes against it.
pub fn default_wedges(units: &[crate::data::Unit], params: &super::Params) -> Vec<f64> {
    std::iter::once(params.hukou_wedge_rest_of_china())
        .chain(units.iter().map(|unit| {
            if unit.plan_role == crate::data::PlanRole::Core {
                params.hukou_wedge_core()
            } else if unit.kind == "county" {
                params.hukou_wedge_county()
            } else {
                params.hukou_wedge()
            }
        }))
        .collect()
}

/// Everything that sets the cost of a move, for one year.
#[derive(Debug, Clone, Copy)]
pub struct MoveCosts<'a> {
    /// N×N travel times between units, h.
    pub travel_hours: &'a DMatrix<f64>,
    /// N×N, 1 where two units lie in different provinces.
    pub border: &'a DMatrix<f64>,
    /// Sichuan–Chongqing border penalty b.
    pub border_penalty: f64,
    /// N+1 hukou wedges τh_j of the destinations (index 0 = rest of China).
    pub hukou_wedge: &'a [f64],
    /// Travel-time deterrence β, 1/h.
    pub beta_per_hour: f64,
    /// Migration elasticity ε (the hukou wedge enters as −ε·ln(1 − τh_j)).
    pub epsilon: f64,
    /// Fixed cost of a move between two plan units, f.
    pub fixed_cost: f64,
    /// Fixed cost of a move to or from the rest of China, f0.
    pub fixed_cost_rest_of_china: f64,
}

/// The deterrence kernel K_ij = exp(−κ_ij) for i ≠ j, with a zero diagonal (staying is added
/// separately with weight 1). Moves to and from the rest of China carry f0 and no travel time.
pub fn deterrence_kernel(costs: &MoveCosts<'_>) -> DMatrix<f64> {
    let n = costs.travel_hours.nrows();
    let wedge_factor = wedge_factors(costs);
    let roc = (-costs.fixed_cost_rest_of_china).exp();
    let mut kernel = DMatrix::zeros(n + 1, n + 1);
    for j in 1..=n {
        kernel[(0, j)] = roc * wedge_factor[j];
        kernel[(j, 0)] = roc * wedge_factor[0];
    }
    let (travel, border) = (costs.travel_hours, costs.border);
    for j in 1..=n {
        for i in 1..j {
            // exp(−κ_ij) is symmetric when travel times and the border are (the usual case):
            // one exp serves both directions, with the same argument and so the same value.
            let there = deterrence(costs, i, j);
            let symmetric = travel[(i - 1, j - 1)] == travel[(j - 1, i - 1)]
                && border[(i - 1, j - 1)] == border[(j - 1, i - 1)];
            let back = if symmetric {
                there
            } else {
                deterrence(costs, j, i)
            };
            kernel[(i, j)] = there * wedge_factor[j];
            kernel[(j, i)] = back * wedge_factor[i];
        }
    }
    kernel
}

/// (1 − τh_j)^ε for every destination.
fn wedge_factors(costs: &MoveCosts<'_>) -> Vec<f64> {
    // Wedges take a handful of distinct values (core, other, county, rest of China): one powf
    // per value, not per node (the same value either way).
    let mut seen: Vec<(f64, f64)> = Vec::with_capacity(8);
    costs
        .hukou_wedge
        .iter()
        .map(|&tau| match seen.iter().find(|(t, _)| *t == tau) {
            Some(&(_, factor)) => factor,
            None => {
                let factor = (1.0 - tau).powf(costs.epsilon);
                seen.push((tau, factor));
                factor
            }
        })
        .collect()
}

/// exp(−κ_ij) without the wedge, between two units i, j ≥ 1.
#[inline]
fn deterrence(costs: &MoveCosts<'_>, i: usize, j: usize) -> f64 {
    let cost = costs.beta_per_hour * costs.travel_hours[(i - 1, j - 1)]
        + costs.border_penalty * costs.border[(i - 1, j - 1)]
        + costs.fixed_cost;
    (-cost).exp()
}

/// K_ij between two units i, j ≥ 1.
#[inline]
fn unit_pair_entry(costs: &MoveCosts<'_>, i: usize, j: usize, wedge_factor: f64) -> f64 {
    deterrence(costs, i, j) * wedge_factor
}

/// The kernel of `costs` with pairs of units scaled by `unit_pair_factor` (as
/// `calibration::scale_kernel` scales K(0, 0) by exp(−f)), given `previous`, the kernel so built
/// and scaled for costs that differ from these at most in travel times (`previous_travel`): pairs
/// whose travel time is the same are copied, the others computed as [`deterrence_kernel`] does
/// and scaled, so the result equals a full rebuild and scaling bit for bit.
pub fn deterrence_kernel_patched(
    costs: &MoveCosts<'_>,
    previous_travel: &DMatrix<f64>,
    previous: &DMatrix<f64>,
    unit_pair_factor: f64,
) -> DMatrix<f64> {
    let n = costs.travel_hours.nrows();
    let mut kernel = previous.clone();
    let mut wedge_factor: Option<Vec<f64>> = None;
    let columns = costs
        .travel_hours
        .as_slice()
        .chunks_exact(n)
        .zip(previous_travel.as_slice().chunks_exact(n));
    for (j, (now, before)) in columns.enumerate() {
        if now == before {
            continue;
        }
        for (i, (hours, was)) in now.iter().zip(before).enumerate() {
            if hours != was && i != j {
                let factors = wedge_factor.get_or_insert_with(|| wedge_factors(costs));
                kernel[(i + 1, j + 1)] =
                    unit_pair_entry(costs, i + 1, j + 1, factors[j + 1]) * unit_pair_factor;
            }
        }
    }
    kernel
}

/// Destination utility U_j = ε·ln ω̃_j + λ·ln P_j + a_j (+ Δa_j folded into `amenity`).
pub fn utility(
    epsilon: f64,
    lambda: f64,
    expected_real_income: &DVector<f64>,
    log_population: &DVector<f64>,
    amenity: &DVector<f64>,
) -> DVector<f64> {
    DVector::from_fn(log_population.len(), |j, _| {
        epsilon * expected_real_income[j].ln() + lambda * log_population[j] + amenity[j]
    })
}

/// D_j = exp(U_j − max U): the shift cancels in every choice probability and keeps exp finite.
pub fn destination_weights(utility: &DVector<f64>) -> DVector<f64> {
    let max = utility.max();
    utility.map(|u| (u - max).exp())
}

/// Gross flows of one year for every node (persons).
#[derive(Debug, Clone, PartialEq)]
pub struct Flows {
    /// Arrivals from every other node.
    pub inflow: DVector<f64>,
    /// Departures to every other node.
    pub outflow: DVector<f64>,
    /// Residents who stay, P_i·π_ii. Population accounting adds this rather than subtracting
    /// `outflow` from P: when nearly everyone leaves, P − outflow cancels catastrophically and
    /// could round to zero or below, while P·π_ii stays positive.
    pub stay: DVector<f64>,
    /// Each node's net exchange with the rest of China (arrivals from node 0 minus departures to
    /// it), persons; entry 0 is minus the sum over the units. The part of `inflow − outflow`
    /// that comes from or goes to outside the region, for the compare decomposition.
    pub net_rest_of_china: DVector<f64>,
}

impl Flows {
    /// All-zero flows for `nodes` nodes (a buffer to fill).
    pub fn zeros(nodes: usize) -> Flows {
        Flows {
            inflow: DVector::zeros(nodes),
            outflow: DVector::zeros(nodes),
            stay: DVector::zeros(nodes),
            net_rest_of_china: DVector::zeros(nodes),
        }
    }

    pub fn net(&self) -> DVector<f64> {
        &self.inflow - &self.outflow
    }
}

/// Scratch vectors reused across years so the hot loop does not allocate.
#[derive(Debug, Clone)]
pub struct Workspace {
    off_diagonal_choice: DVector<f64>,
    scaled_population: DVector<f64>,
    arrivals: DVector<f64>,
}

impl Workspace {
    pub fn new(nodes: usize) -> Workspace {
        Workspace {
            off_diagonal_choice: DVector::zeros(nodes),
            scaled_population: DVector::zeros(nodes),
            arrivals: DVector::zeros(nodes),
        }
    }
}

/// Gross in- and outflows: π_ij = K_ij·D_j / (D_i + Σ_k K_ik·D_k), M_ij = π_ij·P_i.
pub fn flows_into(
    kernel: &DMatrix<f64>,
    weights: &DVector<f64>,
    population: &DVector<f64>,
    work: &mut Workspace,
    out: &mut Flows,
) {
    flows_with_arrival_weights_into(kernel, weights, weights, population, work, out);
}

/// [`flows_into`] with separate weights for staying (D_i) and for arriving (D̂_j = ψ_j·D_j):
/// π_ij = K_ij·D̂_j / (D_i + Σ_k K_ik·D̂_k), π_ii = D_i / (same). Scaling D̂_j is scaling column j
/// of K for every origin but j itself, so a land cap (ψ_j < 1) makes j harder to move into
/// without touching its own residents' choice between staying and leaving; everyone else's
/// moving options shrink, so the diverted movers stay home or go elsewhere. People are conserved
/// for any D̂ (Σ_i out_i = Σ_i Σ_k K_ik·D̂_k·P_i/den_i = Σ_k in_k).
pub fn flows_with_arrival_weights_into(
    kernel: &DMatrix<f64>,
    stay_weights: &DVector<f64>,
    arrival_weights: &DVector<f64>,
    population: &DVector<f64>,
    work: &mut Workspace,
    out: &mut Flows,
) {
    // off_i = Σ_k K_ik D̂_k (moving options of origin i)
    super::linalg::gemv(
        work.off_diagonal_choice.as_mut_slice(),
        kernel,
        arrival_weights.as_slice(),
    );
    for i in 0..population.len() {
        let denominator = stay_weights[i] + work.off_diagonal_choice[i];
        work.scaled_population[i] = population[i] / denominator;
        out.outflow[i] = population[i] * (work.off_diagonal_choice[i] / denominator);
        out.stay[i] = population[i] * (stay_weights[i] / denominator);
    }
    // arrivals_j = Σ_i K_ij P_i / den_i
    super::linalg::gemv_tr(
        work.arrivals.as_mut_slice(),
        kernel,
        work.scaled_population.as_slice(),
    );
    for j in 0..population.len() {
        out.inflow[j] = arrival_weights[j] * work.arrivals[j];
    }
    // The rest-of-China part of in_j and out_j: M_0j − M_j0 = s_0·K_0j·D̂_j − s_j·K_j0·D̂_0,
    // s_i = P_i/den_i. Two reads of K per unit: negligible next to the two products above.
    let from_rest = work.scaled_population[0];
    let mut total = 0.0;
    for j in 1..population.len() {
        let net = from_rest * kernel[(0, j)] * arrival_weights[j]
            - work.scaled_population[j] * kernel[(j, 0)] * arrival_weights[0];
        out.net_rest_of_china[j] = net;
        total += net;
    }
    out.net_rest_of_china[0] = -total;
}

/// Convenience wrapper of [`flows_into`] that allocates.
pub fn flows(kernel: &DMatrix<f64>, weights: &DVector<f64>, population: &DVector<f64>) -> Flows {
    let n = population.len();
    let mut out = Flows::zeros(n);
    flows_into(
        kernel,
        weights,
        population,
        &mut Workspace::new(n),
        &mut out,
    );
    out
}

/// The full origin × destination matrix of moves M_ij (persons, zero diagonal). Used for outputs
/// only; the time loop needs just the row and column sums from [`flows_into`].
pub fn flow_matrix(
    kernel: &DMatrix<f64>,
    weights: &DVector<f64>,
    population: &DVector<f64>,
) -> DMatrix<f64> {
    flow_matrix_with_arrival_weights(kernel, weights, weights, population)
}

/// [`flow_matrix`] with separate stay and arrival weights, as in
/// [`flows_with_arrival_weights_into`].
pub fn flow_matrix_with_arrival_weights(
    kernel: &DMatrix<f64>,
    stay_weights: &DVector<f64>,
    arrival_weights: &DVector<f64>,
    population: &DVector<f64>,
) -> DMatrix<f64> {
    let n = population.len();
    let scaled: Vec<f64> = (0..n)
        .map(|i| {
            let off: f64 = (0..n).map(|k| kernel[(i, k)] * arrival_weights[k]).sum();
            population[i] / (stay_weights[i] + off)
        })
        .collect();
    DMatrix::from_fn(n, n, |i, j| scaled[i] * kernel[(i, j)] * arrival_weights[j])
}

/// Choice probabilities of one origin over all destinations (stay included); sums to 1.
pub fn choice_probabilities(
    kernel: &DMatrix<f64>,
    weights: &DVector<f64>,
    origin: usize,
) -> Vec<f64> {
    let n = weights.len();
    let denominator: f64 = weights[origin]
        + (0..n)
            .map(|k| kernel[(origin, k)] * weights[k])
            .sum::<f64>();
    (0..n)
        .map(|j| {
            let numerator = if j == origin {
                weights[origin]
            } else {
                kernel[(origin, j)] * weights[j]
            };
            numerator / denominator
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    /// Flows with arrivals weighted by `arrival` instead of `weights`.
    fn damped_flows(
        kernel: &DMatrix<f64>,
        weights: &DVector<f64>,
        arrival: &DVector<f64>,
        population: &DVector<f64>,
    ) -> Flows {
        let mut out = Flows::zeros(population.len());
        let mut work = Workspace::new(population.len());
        flows_with_arrival_weights_into(kernel, weights, arrival, population, &mut work, &mut out);
        out
    }

    fn small_system() -> (DMatrix<f64>, DVector<f64>, DVector<f64>) {
        let travel = DMatrix::from_row_slice(3, 3, &[0.3, 1.0, 2.5, 1.0, 0.2, 1.8, 2.5, 1.8, 0.4]);
        let border = DMatrix::from_row_slice(3, 3, &[0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
        let wedge = [0.2, 0.3, 0.2, 0.1];
        let kernel = deterrence_kernel(&MoveCosts {
            travel_hours: &travel,
            border: &border,
            border_penalty: 0.7,
            hukou_wedge: &wedge,
            beta_per_hour: 0.5,
            epsilon: 2.0,
            fixed_cost: 4.0,
            fixed_cost_rest_of_china: 6.0,
        });
        let population = DVector::from_vec(vec![1.2e9, 1.5e7, 4.0e6, 8.0e5]);
        let utility = DVector::from_vec(vec![22.0, 23.5, 21.9, 22.7]);
        (kernel, destination_weights(&utility), population)
    }

    #[test]
    fn rows_are_probabilities() {
        let (kernel, weights, _) = small_system();
        for origin in 0..4 {
            let p = choice_probabilities(&kernel, &weights, origin);
            assert!(p.iter().all(|&x| (0.0..=1.0).contains(&x)));
            assert_relative_eq!(p.iter().sum::<f64>(), 1.0, epsilon = 1e-14);
        }
    }

    #[test]
    fn flows_conserve_people_and_match_the_full_matrix() {
        let (kernel, weights, population) = small_system();
        let f = flows(&kernel, &weights, &population);
        let m = flow_matrix(&kernel, &weights, &population);
        for i in 0..4 {
            assert_relative_eq!(f.outflow[i], m.row(i).sum(), max_relative = 1e-12);
            assert_relative_eq!(f.inflow[i], m.column(i).sum(), max_relative = 1e-12);
            assert!(f.outflow[i] <= population[i]);
        }
        assert!(f.net().sum().abs() <= 1e-12 * f.inflow.sum());
    }

    #[test]
    fn the_rest_of_china_exchange_is_the_first_row_and_column_of_the_matrix() {
        let (kernel, weights, population) = small_system();
        let mut arrival = weights.clone();
        arrival[2] *= 0.3;
        let f = damped_flows(&kernel, &weights, &arrival, &population);
        let m = flow_matrix_with_arrival_weights(&kernel, &weights, &arrival, &population);
        for j in 1..4 {
            assert_relative_eq!(
                f.net_rest_of_china[j],
                m[(0, j)] - m[(j, 0)],
                max_relative = 1e-12
            );
            assert_relative_eq!(f.inflow[j], m.column(j).sum(), max_relative = 1e-12);
        }
        assert_relative_eq!(f.net_rest_of_china[0], f.net()[0], max_relative = 1e-12);
    }

    #[test]
    fn damped_arrivals_divert_movers_without_touching_the_unit_s_own_residents() {
        let (kernel, weights, population) = small_system();
        let free = flows(&kernel, &weights, &population);
        let mut arrival = weights.clone();
        arrival[1] *= 0.25;
        let damped = damped_flows(&kernel, &weights, &arrival, &population);
        // The capped unit's own residents choose as before; fewer people arrive.
        assert_eq!(damped.outflow[1], free.outflow[1]);
        assert_eq!(damped.stay[1], free.stay[1]);
        assert!(damped.inflow[1] < free.inflow[1]);
        assert!(damped.inflow[1] > 0.25 * free.inflow[1]);
        // Everyone else ends up with at least the free net gain: the movers are diverted.
        let (net_free, net_damped) = (free.net(), damped.net());
        for i in [0, 2, 3] {
            assert!(net_damped[i] >= net_free[i] - 1e-9 * population[i]);
            assert!(damped.outflow[i] <= free.outflow[i]);
        }
        assert!(net_damped.sum().abs() <= 1e-12 * damped.inflow.sum());
    }

    #[test]
    fn a_lower_hukou_wedge_raises_inflow() {
        let travel = DMatrix::from_element(2, 2, 1.0);
        let border = DMatrix::zeros(2, 2);
        let population = DVector::from_vec(vec![1e9, 1e6, 2e6]);
        let weights = destination_weights(&DVector::from_vec(vec![0.0, 0.5, 0.2]));
        let inflow_to_1 = |wedge: f64| {
            let k = deterrence_kernel(&MoveCosts {
                travel_hours: &travel,
                border: &border,
                border_penalty: 0.0,
                hukou_wedge: &[0.2, wedge, 0.2],
                beta_per_hour: 0.5,
                epsilon: 2.0,
                fixed_cost: 3.0,
                fixed_cost_rest_of_china: 8.0,
            });
            flows(&k, &weights, &population).inflow[1]
        };
        assert!(inflow_to_1(0.1) > inflow_to_1(0.3));
    }

    #[test]
    fn a_patched_kernel_equals_a_rebuilt_one_bit_for_bit() {
        let before = DMatrix::from_row_slice(3, 3, &[0.3, 1.0, 2.5, 1.0, 0.2, 1.8, 2.5, 1.8, 0.4]);
        let mut after = before.clone();
        after[(0, 2)] = 1.1;
        after[(2, 0)] = 1.1;
        after[(1, 2)] = 0.7; // one direction only: an asymmetric pair
        let border = DMatrix::from_row_slice(3, 3, &[0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
        let wedge = [0.2, 0.3, 0.2, 0.1];
        let costs = |travel| MoveCosts {
            travel_hours: travel,
            border: &border,
            border_penalty: 0.7,
            hukou_wedge: &wedge,
            beta_per_hour: 0.5,
            epsilon: 2.0,
            fixed_cost: 0.0,
            fixed_cost_rest_of_china: 0.0,
        };
        let factor = (-4.2f64).exp();
        let scaled = |travel| {
            let mut k = deterrence_kernel(&costs(travel));
            crate::model::calibration::scale_kernel_in_place(&mut k, 4.2, 6.3);
            k
        };
        let patched = deterrence_kernel_patched(&costs(&after), &before, &scaled(&before), factor);
        assert_eq!(patched, scaled(&after));
        assert_ne!(patched, scaled(&before));
        // The symmetric shortcut gives what the entry formula gives.
        let full = deterrence_kernel(&costs(&after));
        for i in 1..4 {
            for j in 1..4 {
                if i != j {
                    assert_eq!(
                        full[(i, j)],
                        unit_pair_entry(&costs(&after), i, j, (1.0 - wedge[j]).powf(2.0))
                    );
                }
            }
        }
    }
}
