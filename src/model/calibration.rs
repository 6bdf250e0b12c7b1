//! Base-year calibration of the migration core (MODEL.md, "Calibration (base year)").
//!
//! Unknowns: the amenities a_1..a_N (a_0 = 0: only differences matter), the fixed cost f of a
//! move between plan units and f0 of a move to or from the rest of China. Targets: each unit's
//! observed net migration (persons/yr), the gross move rate between plan units and the gross
//! out-move rate to the rest of China (both as shares of the region's population).
//!
//! Method: a joint iteration. Each round takes one Newton step per amenity on its own equation
//! (the exact diagonal derivative ∂net_j/∂a_j = Σ_{i≠j} M_ij(1−π_ij) + S_j(1−π_jj)), and moves f
//! and f0 by the log ratio of modelled to target rates (gross rates scale like exp(−f)). It
//! converges to 1e-10 in a few dozen rounds for the shipped data.

use nalgebra::{DMatrix, DVector};

use super::migration::{self, MoveCosts};

/// What the migration core must reproduce in the base year.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    /// Net migration of each unit (N entries, persons/yr; positive = net arrivals).
    pub net_migration: Vec<f64>,
    /// Gross moves between plan units ÷ the units' population, per year.
    pub internal_move_rate: f64,
    /// Gross moves from plan units to the rest of China ÷ the units' population, per year.
    pub rest_of_china_out_rate: f64,
}

/// The calibrated quantities and how well they fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibrated {
    pub amenity: DVector<f64>,
    pub fixed_cost: f64,
    pub fixed_cost_rest_of_china: f64,
    pub rounds: usize,
    /// Largest |modelled − target| net migration ÷ population over the units.
    pub max_rate_residual: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalibrationError {
    #[error("base-year calibration did not converge in {rounds} rounds (largest net-migration residual {residual:.2e} of population); the targets may be unreachable under these parameters")]
    NotConverged { rounds: usize, residual: f64 },
    #[error("base-year calibration produced a non-finite value (round {round}); the parameters make moves impossible or certain")]
    NotFinite { round: usize },
}

const MAX_ROUNDS: usize = 500;
const TOLERANCE: f64 = 1e-10;
/// Starting fixed costs of a cold start: anything finite works; these are near the answer for
/// 1–2 %/yr rates.
const COLD_FIXED_COST: f64 = 6.0;
const COLD_FIXED_COST_ROC: f64 = 8.0;

/// Where the iteration starts: a previous solution, e.g. that of a sweep's base parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Guess {
    /// a_0..a_N (a_0 is ignored: it stays 0).
    pub amenity: DVector<f64>,
    pub fixed_cost: f64,
    pub fixed_cost_rest_of_china: f64,
}

/// Solves for amenities and fixed costs. `utility_without_amenity` is ε·ln ω̃_j + λ·ln P_j of
/// the base state (N+1); `costs` gives everything but f and f0 (which are ignored there).
pub fn calibrate(
    costs: &MoveCosts<'_>,
    utility_without_amenity: &DVector<f64>,
    population: &DVector<f64>,
    targets: &Targets,
) -> Result<Calibrated, CalibrationError> {
    let unit_kernel = migration::deterrence_kernel(&MoveCosts {
        fixed_cost: 0.0,
        fixed_cost_rest_of_china: 0.0,
        ..*costs
    });
    calibrate_from(
        &unit_kernel,
        utility_without_amenity,
        population,
        targets,
        None,
    )
}

/// [`calibrate`] given the kernel K(0, 0) of the base-year costs (built with f = f0 = 0), from
/// `guess` or, without one, from a cold start. The answer is the same to the tolerance either
/// way; a guess near it saves rounds.
///
/// A round needs only the row and column sums of the flow matrix and, for the diagonal
/// derivative, Σ_i M_ij²/P_i; in the separable form M_ij = s_i·K_ij·D_j (s_i = P_i / den_i) these
/// are three passes over K(0, 0) and its elementwise square, with f and f0 applied as block
/// factors (pairs with the rest of China × exp(−f0), pairs of units × exp(−f)), so the kernel is
/// never rebuilt and the matrix never formed.
pub fn calibrate_from(
    unit_kernel: &DMatrix<f64>,
    utility_without_amenity: &DVector<f64>,
    population: &DVector<f64>,
    targets: &Targets,
    guess: Option<&Guess>,
) -> Result<Calibrated, CalibrationError> {
    let nodes = population.len();
    let unit_population: f64 = population.rows(1, nodes - 1).sum();
    let (mut amenity, mut fixed_cost, mut fixed_cost_roc) = match guess {
        Some(guess) => {
            let mut amenity = guess.amenity.clone();
            amenity[0] = 0.0;
            (amenity, guess.fixed_cost, guess.fixed_cost_rest_of_china)
        }
        None => (DVector::zeros(nodes), COLD_FIXED_COST, COLD_FIXED_COST_ROC),
    };
    let kernel = unit_kernel.as_slice();
    let squared: Vec<f64> = kernel.iter().map(|k| k * k).collect();
    let population = population.as_slice();
    let (mut weights, mut moving, mut scaled, mut scaled_by_den, mut steps) = (
        vec![0.0; nodes],
        vec![0.0; nodes],
        vec![0.0; nodes],
        vec![0.0; nodes],
        vec![0.0; nodes],
    );
    let mut outflow = vec![0.0; nodes];

    for round in 1..=MAX_ROUNDS {
        let (inner, outer) = ((-fixed_cost).exp(), (-fixed_cost_roc).exp());
        // D_j = exp(U_j − max U)
        let mut max = f64::NEG_INFINITY;
        for j in 0..nodes {
            weights[j] = utility_without_amenity[j] + amenity[j];
            max = max.max(weights[j]);
        }
        for w in &mut weights {
            *w = (*w - max).exp();
        }
        // moving_i = Σ_{k≥1} K0_ik·D_k (column-major axpys); column 0 is added with its factor.
        moving.fill(0.0);
        for k in 1..nodes {
            let d = weights[k];
            for (m, &kik) in moving.iter_mut().zip(&kernel[k * nodes..(k + 1) * nodes]) {
                *m += kik * d;
            }
        }
        let (mut internal, mut to_rest) = (0.0, 0.0);
        for i in 0..nodes {
            let (to_units, to_roc) = if i == 0 {
                (0.0, outer * moving[0])
            } else {
                (inner * moving[i], outer * kernel[i] * weights[0])
            };
            let off = to_units + to_roc;
            let denominator = weights[i] + off;
            scaled[i] = population[i] / denominator;
            scaled_by_den[i] = scaled[i] / denominator;
            outflow[i] = scaled[i] * off;
            if i > 0 {
                internal += scaled[i] * to_units;
                to_rest += scaled[i] * to_roc;
            }
        }
        let internal_ratio = (internal / unit_population) / targets.internal_move_rate;
        let out_ratio = (to_rest / unit_population) / targets.rest_of_china_out_rate;

        let mut max_residual: f64 = 0.0;
        for j in 1..nodes {
            let column = j * nodes;
            let (from_units, from_units_squared) = dot_pair(
                &kernel[column + 1..column + nodes],
                &scaled[1..],
                &squared[column + 1..column + nodes],
                &scaled_by_den[1..],
            );
            let d = weights[j];
            let inflow = d * (inner * from_units + outer * kernel[column] * scaled[0]);
            // Σ_{i≠j} M_ij²/P_i = D_j²·Σ_i K_ij²·s_i/den_i
            let inflow_squared = d
                * d
                * (inner * inner * from_units_squared
                    + outer * outer * squared[column] * scaled_by_den[0]);
            let residual = inflow - outflow[j] - targets.net_migration[j - 1];
            max_residual = max_residual.max((residual / population[j]).abs());
            // ∂net_j/∂a_j = S_j(1 − π_jj) + Σ_{i≠j} M_ij(1 − M_ij/P_i), S_j = s_j·D_j
            let stay = scaled[j] * d;
            let derivative = stay * (outflow[j] / population[j]) + inflow - inflow_squared;
            steps[j] = -residual / derivative;
        }
        if !max_residual.is_finite() || !internal_ratio.is_finite() || !out_ratio.is_finite() {
            return Err(CalibrationError::NotFinite { round });
        }
        if max_residual < TOLERANCE
            && internal_ratio.ln().abs() < TOLERANCE
            && out_ratio.ln().abs() < TOLERANCE
        {
            return Ok(Calibrated {
                amenity,
                fixed_cost,
                fixed_cost_rest_of_china: fixed_cost_roc,
                rounds: round,
                max_rate_residual: max_residual,
            });
        }
        for j in 1..nodes {
            amenity[j] += steps[j];
        }
        fixed_cost += internal_ratio.ln();
        fixed_cost_roc += out_ratio.ln();
        if round == MAX_ROUNDS {
            return Err(CalibrationError::NotConverged {
                rounds: round,
                residual: max_residual,
            });
        }
    }
    unreachable!("the loop returns on its last round")
}

/// (Σ a_i·b_i, Σ c_i·d_i) with four partial sums each, which the compiler keeps in vector
/// registers (a single running sum would force one addition after another).
#[inline]
fn dot_pair(a: &[f64], b: &[f64], c: &[f64], d: &[f64]) -> (f64, f64) {
    let (mut x, mut y) = ([0.0; 4], [0.0; 4]);
    let chunks = a.len() / 4;
    for k in 0..chunks {
        for l in 0..4 {
            let i = 4 * k + l;
            x[l] += a[i] * b[i];
            y[l] += c[i] * d[i];
        }
    }
    for i in 4 * chunks..a.len() {
        x[0] += a[i] * b[i];
        y[0] += c[i] * d[i];
    }
    ((x[0] + x[1]) + (x[2] + x[3]), (y[0] + y[1]) + (y[2] + y[3]))
}

/// K(f, f0) from the kernel built with f = f0 = 0: pairs with the rest of China (row or column 0)
/// are scaled by exp(−f0), pairs of units by exp(−f).
pub fn scale_kernel(
    unit_kernel: &DMatrix<f64>,
    fixed_cost: f64,
    fixed_cost_roc: f64,
    out: &mut DMatrix<f64>,
) {
    let (inner, outer) = ((-fixed_cost).exp(), (-fixed_cost_roc).exp());
    let n = unit_kernel.nrows();
    for j in 0..n {
        for i in 0..n {
            let factor = if i == 0 || j == 0 { outer } else { inner };
            out[(i, j)] = unit_kernel[(i, j)] * factor;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn calibration_reproduces_its_targets() {
        let travel = DMatrix::from_row_slice(3, 3, &[0.4, 1.2, 2.6, 1.2, 0.3, 1.9, 2.6, 1.9, 0.5]);
        let border = DMatrix::from_row_slice(3, 3, &[0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
        let costs = MoveCosts {
            travel_hours: &travel,
            border: &border,
            border_penalty: 0.7,
            hukou_wedge: &[0.2, 0.3, 0.2, 0.1],
            beta_per_hour: 0.5,
            epsilon: 2.0,
            fixed_cost: 0.0,
            fixed_cost_rest_of_china: 0.0,
        };
        let population = DVector::from_vec(vec![1.2e9, 1.5e7, 3.0e6, 2.0e6]);
        let utility = DVector::from_vec(vec![30.0, 31.0, 29.0, 28.5]);
        let targets = Targets {
            net_migration: vec![1.5e7 * 0.01, -3.0e6 * 0.004, -2.0e6 * 0.012],
            internal_move_rate: 0.015,
            rest_of_china_out_rate: 0.014,
        };
        let calibrated = calibrate(&costs, &utility, &population, &targets).unwrap();
        assert!(calibrated.rounds < 200, "{}", calibrated.rounds);
        let mut kernel = DMatrix::zeros(4, 4);
        let unit_kernel = migration::deterrence_kernel(&costs);
        scale_kernel(
            &unit_kernel,
            calibrated.fixed_cost,
            calibrated.fixed_cost_rest_of_china,
            &mut kernel,
        );
        let weights = migration::destination_weights(&(utility + &calibrated.amenity));
        let flows = migration::flows(&kernel, &weights, &population);
        let net = flows.net();
        for (j, target) in targets.net_migration.iter().enumerate() {
            assert_relative_eq!(net[j + 1], *target, max_relative = 1e-6, epsilon = 1e-3);
        }
        assert_eq!(calibrated.amenity[0], 0.0);
    }
}
