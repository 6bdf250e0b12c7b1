//! One year of the model: migration from last year's state, population accounting, productivity
//! through market access, cost of living, and expectations (MODEL.md, all sections together).

use nalgebra::{DMatrix, DVector};

use super::migration::{self, Flows};
use super::production;

/// Coefficients and calibrated quantities that stay fixed during a run (N+1 vectors, 0 = RoC).
#[derive(Debug, Clone, PartialEq)]
pub struct Structure {
    /// Developable land L_i, km².
    pub land_km2: DVector<f64>,
    /// Calibrated amenities a_j (a_0 = 0).
    pub amenity: DVector<f64>,
    pub epsilon: f64,
    pub lambda: f64,
    pub gamma: f64,
    pub chi: f64,
    pub kappa: f64,
    pub rho: f64,
}

/// What the schedule says about one year.
#[derive(Debug, Clone, Copy)]
pub struct StepInputs<'a> {
    /// (N+1)² deterrence kernel with zero diagonal ([`migration::deterrence_kernel`]).
    pub kernel: &'a DMatrix<f64>,
    /// N×N market-access kernel ([`production::access_kernel`]).
    pub access: &'a DMatrix<f64>,
    /// Δa_j, policy amenity shifts.
    pub amenity_shift: &'a DVector<f64>,
    /// Growth of income per head this year: provincial trend + unit trend + policy shift
    /// (index 0: the rest of China's per-head growth).
    pub growth: &'a DVector<f64>,
    /// Natural growth rate n_i this year.
    pub natural_growth: &'a DVector<f64>,
    /// F_i: migrants act on income per head y_i·F_i. Below 1 where part of a unit's growth
    /// does not pull migrants (GDP catch-up, MODEL.md §2.4); 1 in the start year.
    pub migrant_income_factor: &'a DVector<f64>,
    /// Urban share U_i this year (index 0 unused: the rest of China has no cap).
    pub urban_share: &'a DVector<f64>,
    /// Urban population cap Pcap_i from land caps (∞ where none).
    pub population_cap: &'a DVector<f64>,
}

/// Year-end state (N+1 vectors, 0 = RoC; market access over the N units).
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub population: DVector<f64>,
    /// ln P, kept in step with `population` by [`State::initial`] and [`step`] (the utility and
    /// the cost of living both need it; computing it once saves a `ln` per node and year).
    pub log_population: DVector<f64>,
    /// y, yuan per head at constant 2014 prices.
    pub income_per_head: DVector<f64>,
    /// ω̃, smoothed real income that migrants act on.
    pub expected_real_income: DVector<f64>,
    pub market_access: DVector<f64>,
}

/// What a step produced besides the new state: the year's gross flows.
#[derive(Debug, Clone, PartialEq)]
pub struct StepOutput {
    pub flows: Flows,
}

/// Buffers reused from year to year.
#[derive(Debug, Clone)]
pub struct Workspace {
    migration: migration::Workspace,
    utility: DVector<f64>,
    weights: DVector<f64>,
    /// D̂_j = ψ_j·D_j: destination weights for arrivals, lower than D_j where a land cap bites.
    arrival_weights: DVector<f64>,
    market_access: DVector<f64>,
    /// ln L, filled on the first step (land never changes during a run).
    log_land: Option<DVector<f64>>,
    pub output: StepOutput,
}

impl Workspace {
    pub fn new(nodes: usize) -> Workspace {
        Workspace {
            migration: migration::Workspace::new(nodes),
            utility: DVector::zeros(nodes),
            weights: DVector::zeros(nodes),
            arrival_weights: DVector::zeros(nodes),
            market_access: DVector::zeros(nodes - 1),
            log_land: None,
            output: StepOutput {
                flows: Flows::zeros(nodes),
            },
        }
    }
}

/// Real income ω_i = y_i / c_i of node i, given ln P_i and ln L_i. Land caps do not enter it:
/// they act on arrivals ([`migrate`]).
#[inline]
fn real_income(structure: &Structure, state: &State, log_land: f64, i: usize) -> f64 {
    let cost =
        production::cost_of_living_from_logs(state.log_population[i], log_land, structure.chi);
    state.income_per_head[i] / cost
}

impl State {
    /// The base-year state: expectations start at the base-year real income.
    pub fn initial(
        structure: &Structure,
        population: DVector<f64>,
        income_per_head: DVector<f64>,
        inputs: &StepInputs<'_>,
    ) -> State {
        let market_access = production::market_access(inputs.access, &population);
        let nodes = population.len();
        let mut state = State {
            log_population: population.map(f64::ln),
            population,
            income_per_head,
            expected_real_income: DVector::zeros(nodes),
            market_access,
        };
        for i in 0..nodes {
            state.expected_real_income[i] =
                real_income(structure, &state, structure.land_km2[i].ln(), i);
        }
        state
    }
}

/// D_j = exp(U_j − max U) for the current state: the destination vector of the separable logit.
pub fn destination_weights(
    structure: &Structure,
    state: &State,
    amenity_shift: &DVector<f64>,
) -> DVector<f64> {
    let amenity = &structure.amenity + amenity_shift;
    let utility = migration::utility(
        structure.epsilon,
        structure.lambda,
        &state.expected_real_income,
        &state.log_population,
        &amenity,
    );
    migration::destination_weights(&utility)
}

/// The flows a state produces under a year's inputs (used for the start-year report and tests).
pub fn flows(structure: &Structure, state: &State, inputs: &StepInputs<'_>) -> Flows {
    let mut work = Workspace::new(state.population.len());
    migrate(structure, state, inputs, &mut work);
    work.output.flows
}

/// The full origin × destination matrix of the moves a state produces under a year's inputs
/// (land caps included), for outputs.
pub fn flow_matrix(structure: &Structure, state: &State, inputs: &StepInputs<'_>) -> DMatrix<f64> {
    let mut work = Workspace::new(state.population.len());
    migrate(structure, state, inputs, &mut work);
    migration::flow_matrix_with_arrival_weights(
        inputs.kernel,
        &work.weights,
        &work.arrival_weights,
        &state.population,
    )
}

/// The year's gross flows into `work.output.flows`, decided on `state` (last year's).
///
/// Land caps act on arrivals only. Without caps this is one logit pass. Where a cap bites, a
/// first pass gives the free flows (in⁰, out⁰); the capped unit j then admits a share
/// ψ_j = max(1/(1 + κ·p_j)², min(1, out⁰_j/in⁰_j)) of its would-be arrivals (p_j the cap
/// pressure on last year's population and this year's urban share): never fewer than replace its
/// own leavers, so the cap removes the unit's net gain at most and a unit that loses people
/// anyway is not damped. A second pass with those arrival weights gives the flows. In it every
/// origin's moving options shrink, so out_j ≤ out⁰_j for every node and in_j ≥ ψ_j·in⁰_j:
/// net_j ≥ min(0, net⁰_j) for a capped unit and net_i ≥ net⁰_i for every other node (the
/// diverted movers stay home or go elsewhere). People are conserved in both passes.
fn migrate(structure: &Structure, state: &State, inputs: &StepInputs<'_>, work: &mut Workspace) {
    let nodes = state.population.len();
    for j in 0..nodes {
        work.utility[j] = structure.epsilon * state.expected_real_income[j].ln()
            + structure.lambda * state.log_population[j]
            + structure.amenity[j]
            + inputs.amenity_shift[j];
    }
    let max = work.utility.max();
    for j in 0..nodes {
        work.weights[j] = (work.utility[j] - max).exp();
    }
    migration::flows_into(
        inputs.kernel,
        &work.weights,
        &state.population,
        &mut work.migration,
        &mut work.output.flows,
    );
    work.arrival_weights.copy_from(&work.weights);
    let mut damped = false;
    for j in 1..nodes {
        let cap = inputs.population_cap[j];
        if cap == f64::INFINITY {
            continue;
        }
        let pressure = production::cap_pressure(state.population[j], inputs.urban_share[j], cap);
        if pressure == 0.0 {
            continue;
        }
        let free = &work.output.flows;
        let replacement = if free.inflow[j] > free.outflow[j] {
            free.outflow[j] / free.inflow[j]
        } else {
            1.0
        };
        let factor = production::arrival_factor(pressure, structure.kappa).max(replacement);
        if factor < 1.0 {
            work.arrival_weights[j] = work.weights[j] * factor;
            damped = true;
        }
    }
    if damped {
        migration::flows_with_arrival_weights_into(
            inputs.kernel,
            &work.weights,
            &work.arrival_weights,
            &state.population,
            &mut work.migration,
            &mut work.output.flows,
        );
    }
}

/// Advances `state` from year t−1 to year t in place; `work.output` holds the flows of year t.
///
/// Order within the year: moves are decided on last year's state (P, ω̃), then
/// P(t) = P(t−1)·(1 + n(t)) + inflow − outflow; market access is recomputed on P(t) with this
/// year's travel times; y(t) = y(t−1)·(1 + g(t))·(MA(t)/MA(t−1))^γ; costs and real income follow,
/// and expectations move a share ρ towards this year's real income.
pub fn step(
    structure: &Structure,
    state: &mut State,
    inputs: &StepInputs<'_>,
    work: &mut Workspace,
) {
    let nodes = state.population.len();
    // Migration decided on last year's state.
    migrate(structure, state, inputs, work);

    // Population accounting: people are conserved; natural change on top.
    // P(t) = P·(1 + n) + in − out, written as P·n + stay + in (stay = P − out) so that it stays
    // positive even when nearly everyone leaves.
    let flows = &work.output.flows;
    for i in 0..nodes {
        state.population[i] =
            state.population[i] * inputs.natural_growth[i] + flows.stay[i] + flows.inflow[i];
        state.log_population[i] = state.population[i].ln();
    }

    // Productivity: trend growth times the market-access gain.
    production::market_access_into(inputs.access, &state.population, &mut work.market_access);
    state.income_per_head[0] *= 1.0 + inputs.growth[0];
    for i in 1..nodes {
        state.income_per_head[i] = production::next_income_per_head(
            state.income_per_head[i],
            inputs.growth[i],
            work.market_access[i - 1],
            state.market_access[i - 1],
            structure.gamma,
        );
    }
    state.market_access.copy_from(&work.market_access);

    // Real income and expectations.
    let log_land = work
        .log_land
        .get_or_insert_with(|| structure.land_km2.map(f64::ln));
    for i in 0..nodes {
        let omega = real_income(structure, state, log_land[i], i) * inputs.migrant_income_factor[i];
        state.expected_real_income[i] =
            structure.rho * omega + (1.0 - structure.rho) * state.expected_real_income[i];
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::migration::{deterrence_kernel, MoveCosts};
    use approx::assert_relative_eq;

    /// A three-unit region plus RoC with hand-set numbers, for property tests of the step.
    pub(crate) struct Toy {
        pub structure: Structure,
        pub kernel: DMatrix<f64>,
        pub access: DMatrix<f64>,
        pub zeros: DVector<f64>,
        pub growth: DVector<f64>,
        pub urban: DVector<f64>,
        pub caps: DVector<f64>,
        pub ones: DVector<f64>,
        pub population: DVector<f64>,
        pub income: DVector<f64>,
    }

    impl Toy {
        pub(crate) fn new(roc_open: bool) -> Toy {
            let travel =
                DMatrix::from_row_slice(3, 3, &[0.4, 1.2, 2.6, 1.2, 0.3, 1.9, 2.6, 1.9, 0.5]);
            let border =
                DMatrix::from_row_slice(3, 3, &[0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
            let mut kernel = deterrence_kernel(&MoveCosts {
                travel_hours: &travel,
                border: &border,
                border_penalty: 0.7,
                hukou_wedge: &[0.2, 0.3, 0.2, 0.1],
                beta_per_hour: 0.5,
                epsilon: 2.0,
                fixed_cost: 4.0,
                fixed_cost_rest_of_china: 8.0,
            });
            if !roc_open {
                for k in 0..4 {
                    kernel[(0, k)] = 0.0;
                    kernel[(k, 0)] = 0.0;
                }
            }
            Toy {
                structure: Structure {
                    land_km2: DVector::from_vec(vec![9e6, 14000.0, 3000.0, 6000.0]),
                    amenity: DVector::from_vec(vec![0.0, -2.0, -1.0, -1.5]),
                    epsilon: 2.0,
                    lambda: 0.5,
                    gamma: 0.05,
                    chi: 0.05,
                    kappa: 0.5,
                    rho: 0.4,
                },
                kernel,
                access: production::access_kernel(&travel, 40.0),
                zeros: DVector::zeros(4),
                growth: DVector::from_vec(vec![0.06, 0.07, 0.08, 0.05]),
                urban: DVector::from_vec(vec![0.0, 0.7, 0.5, 0.4]),
                caps: DVector::from_element(4, f64::INFINITY),
                ones: DVector::from_element(4, 1.0),
                population: DVector::from_vec(vec![1.2e9, 1.5e7, 3.0e6, 2.0e6]),
                income: DVector::from_vec(vec![50000.0, 68000.0, 40000.0, 30000.0]),
            }
        }

        pub(crate) fn inputs<'a>(&'a self, natural: &'a DVector<f64>) -> StepInputs<'a> {
            StepInputs {
                kernel: &self.kernel,
                access: &self.access,
                amenity_shift: &self.zeros,
                growth: &self.growth,
                natural_growth: natural,
                migrant_income_factor: &self.ones,
                urban_share: &self.urban,
                population_cap: &self.caps,
            }
        }
    }

    #[test]
    fn a_closed_region_without_natural_change_keeps_its_population() {
        let toy = Toy::new(false);
        let inputs = toy.inputs(&toy.zeros);
        let mut state = State::initial(
            &toy.structure,
            toy.population.clone(),
            toy.income.clone(),
            &inputs,
        );
        let units_total: f64 = toy.population.rows(1, 3).sum();
        let mut work = Workspace::new(4);
        for _ in 0..16 {
            step(&toy.structure, &mut state, &inputs, &mut work);
            assert_relative_eq!(
                state.population.rows(1, 3).sum(),
                units_total,
                max_relative = 1e-12
            );
            assert!(work.output.flows.outflow.sum() > 0.0, "people do move");
        }
    }

    #[test]
    fn an_open_region_conserves_people_with_the_rest_of_china() {
        let toy = Toy::new(true);
        let inputs = toy.inputs(&toy.zeros);
        let mut state = State::initial(
            &toy.structure,
            toy.population.clone(),
            toy.income.clone(),
            &inputs,
        );
        let total = toy.population.sum();
        let mut work = Workspace::new(4);
        for _ in 0..16 {
            step(&toy.structure, &mut state, &inputs, &mut work);
            assert_relative_eq!(state.population.sum(), total, max_relative = 1e-12);
            assert!(state.population.iter().all(|&p| p > 0.0));
            assert!(state.income_per_head.iter().all(|&y| y > 0.0));
        }
    }

    #[test]
    fn a_land_cap_diverts_net_gains_without_pushing_residents_out() {
        let mut toy = Toy::new(true);
        toy.structure.amenity[1] = 0.0; // unit 1 gains people without its cap
        let natural = DVector::zeros(4);
        let free = toy.inputs(&natural);
        let mut capped_caps = toy.caps.clone();
        capped_caps[1] = 0.7 * 1.5e7 * 0.8; // the urban population is already 1.25 times the cap
        let mut capped = toy.inputs(&natural);
        capped.population_cap = &capped_caps;
        let run = |inputs: &StepInputs<'_>, check: bool| {
            let mut state = State::initial(
                &toy.structure,
                toy.population.clone(),
                toy.income.clone(),
                inputs,
            );
            let mut work = Workspace::new(4);
            for _ in 0..10 {
                if check {
                    // Same state, with and without the cap: the capped unit's net migration is
                    // at least min(0, its free net); every other node gains at least as much.
                    let without = flows(&toy.structure, &state, &free).net();
                    let with = flows(&toy.structure, &state, inputs).net();
                    let tolerance = 1e-9 * state.population[1];
                    assert!(with[1] >= without[1].min(0.0) - tolerance);
                    assert!(without[1] > 0.0 && with[1] < without[1], "the cap bites");
                    for i in [0, 2, 3] {
                        assert!(with[i] >= without[i] - 1e-9 * state.population[i]);
                    }
                }
                let before = state.population[1];
                step(&toy.structure, &mut state, inputs, &mut work);
                if check {
                    assert!(work.output.flows.net()[1] >= -1e-9 * before);
                }
            }
            state.population
        };
        let (p_free, p_capped) = (run(&free, false), run(&capped, true));
        assert!(p_capped[1] < p_free[1]);
        assert!(p_capped[1] >= toy.population[1] * (1.0 - 1e-9));
        assert_relative_eq!(p_capped.sum(), p_free.sum(), max_relative = 1e-12);
    }
}
