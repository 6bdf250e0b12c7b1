//! Base-year calibration of the migration core (MODEL.md, "Calibration (base year)").
//!
//! Unknowns: the amenities a_1..a_N (a_0 = 0: only differences matter), the fixed cost f of a
//! move between plan units and f0 of a move to or from the rest of China. Targets: each unit's
//! observed net migration (persons/yr), the gross move rate between plan units and the gross
//! out-move rate to the rest of China (both as shares of the region's population).
//!
//! Method: a joint iteration. Each round takes one Newton step per amenity on its own equation
//! (the exact diagonal derivative ∂net_j/∂a_j = Σ_{i≠j} M_ij(1−π_ij) + S_j(1−π_jj)), and moves f
//! and f0 by the log ratio of modelled to target rates (gross rates scale like exp(−f)); a step
//! that would move an unknown by more than 4 is scaled down. It converges to 1e-10 in a few
//! dozen rounds for the shipped data.
//!
//! Sweeps calibrate thousands of nearby parameter sets. They start from the solution for the
//! base parameters and precondition the steps with that solution's Jacobian ([`Preconditioner`]),
//! Anderson-accelerated: 9.4 rounds on average instead of 20–30 over the shipped Sobol design, to the
//! same tolerance (so the results agree with a cold start to within it, not bit for bit).

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
    /// Bad data that passed validation (a population far off its unit's other figures) can do
    /// this as well as extreme parameters, so the message blames neither alone.
    #[error("base-year calibration produced a non-finite value (round {round}); the data or the parameters make moves impossible or certain")]
    NotFinite {
        round: usize,
        /// The node (1..=N: the units) where it arose, when one can be told: the first unit whose
        /// amenity, or else (when not every unit's is) whose residual, is not finite.
        node: Option<usize>,
    },
}

const MAX_ROUNDS: usize = 500;
/// Largest move of any unknown in one plain round (utility units: a factor e⁴ ≈ 55 in a
/// destination weight). Far above the steps of the shipped scenarios (at most 0.99, in the
/// first round), it only binds far from the solution, where a full diagonal Newton step can
/// overshoot into overflow: with ε near 6, a cold start's first steps reach 20 and more.
const MAX_STEP: f64 = 4.0;
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
        None,
    )
}

/// [`calibrate`] given the kernel K(0, 0) of the base-year costs (built with f = f0 = 0), from
/// `guess` or, without one, from a cold start (amenities 0, f = 6, f0 = 8), and with an optional
/// [`Preconditioner`] (built from a nearby solution) that turns the diagonal steps into
/// approximate full Newton steps. The answer is the same to the tolerance either way; a good
/// start and a preconditioner save rounds. Should the preconditioned iteration fail, the plain
/// one is run from a cold start, so a preconditioner never makes a solvable problem fail.
pub fn calibrate_from(
    unit_kernel: &DMatrix<f64>,
    utility_without_amenity: &DVector<f64>,
    population: &DVector<f64>,
    targets: &Targets,
    guess: Option<&Guess>,
    preconditioner: Option<&Preconditioner>,
) -> Result<Calibrated, CalibrationError> {
    let start = match guess {
        Some(guess) => unknowns(
            &guess.amenity,
            guess.fixed_cost,
            guess.fixed_cost_rest_of_china,
        ),
        None => cold_start(population.len()),
    };
    let plain = || {
        Problem::new(
            unit_kernel,
            utility_without_amenity,
            population,
            targets,
            Diagonal::Exact,
        )
        .solve(cold_start(population.len()), None, MAX_ROUNDS)
    };
    match preconditioner {
        None => Problem::new(
            unit_kernel,
            utility_without_amenity,
            population,
            targets,
            Diagonal::Exact,
        )
        .solve(start, None, MAX_ROUNDS),
        Some(preconditioner) => Problem::new(
            unit_kernel,
            utility_without_amenity,
            population,
            targets,
            Diagonal::FirstOrder,
        )
        .solve(start, Some(preconditioner), PRECONDITIONED_ROUNDS)
        .or_else(|_| plain()),
    }
}

/// Rounds after which a preconditioned iteration is abandoned for the plain one (it normally
/// needs a handful).
const PRECONDITIONED_ROUNDS: usize = 60;

/// The unknowns as one vector: a_1..a_N, f, f0.
fn unknowns(amenity: &DVector<f64>, fixed_cost: f64, fixed_cost_roc: f64) -> Vec<f64> {
    let mut x = amenity.as_slice()[1..].to_vec();
    x.push(fixed_cost);
    x.push(fixed_cost_roc);
    x
}

fn cold_start(nodes: usize) -> Vec<f64> {
    unknowns(&DVector::zeros(nodes), COLD_FIXED_COST, COLD_FIXED_COST_ROC)
}

/// An approximate inverse Jacobian of the calibration equations, taken at a solution and
/// rescaled to each round: with r the residuals (net migration − target per unit, log ratios
/// of the two gross rates) and R the diagonal the plain iteration divides by (∂net_j/∂a_j, and
/// −1 for the log ratios), the plain step is g = −R⁻¹r, and J ≈ R·R*⁻¹·J* (rows scaled as the
/// diagonal moved since the solution *) gives the Newton step −J⁻¹r ≈ J*⁻¹R*·g. `matrix` holds
/// J*⁻¹R*, so a preconditioned round costs one (N+2)² product more than a plain one.
#[derive(Debug, Clone, PartialEq)]
pub struct Preconditioner {
    matrix: DMatrix<f64>,
}

impl Preconditioner {
    /// The preconditioner at `solution` (a calibration of the same kind of problem), from central
    /// differences of the residuals; `None` if the Jacobian is singular there.
    pub fn at(
        unit_kernel: &DMatrix<f64>,
        utility_without_amenity: &DVector<f64>,
        population: &DVector<f64>,
        targets: &Targets,
        solution: &Calibrated,
    ) -> Option<Preconditioner> {
        let mut problem = Problem::new(
            unit_kernel,
            utility_without_amenity,
            population,
            targets,
            Diagonal::FirstOrder,
        );
        let x = unknowns(
            &solution.amenity,
            solution.fixed_cost,
            solution.fixed_cost_rest_of_china,
        );
        let m = x.len();
        let (mut step, mut residual, mut diagonal) = (vec![0.0; m], vec![0.0; m], vec![0.0; m]);
        problem.evaluate(&x, &mut step, &mut residual, &mut diagonal);
        let scale = DMatrix::from_diagonal(&DVector::from_column_slice(&diagonal));
        // Central differences: the residuals are smooth, and h = 1e-6 (utility units) leaves
        // errors near 1e-10 relative, far below what a preconditioner needs.
        let h = 1e-6;
        let mut jacobian = DMatrix::zeros(m, m);
        let (mut plus, mut minus) = (vec![0.0; m], vec![0.0; m]);
        let mut shifted = x.clone();
        for l in 0..m {
            shifted[l] = x[l] + h;
            problem.evaluate(&shifted, &mut step, &mut plus, &mut diagonal);
            shifted[l] = x[l] - h;
            problem.evaluate(&shifted, &mut step, &mut minus, &mut diagonal);
            shifted[l] = x[l];
            for k in 0..m {
                jacobian[(k, l)] = (plus[k] - minus[k]) / (2.0 * h);
            }
        }
        let matrix = jacobian.lu().solve(&scale)?;
        matrix
            .iter()
            .all(|v| v.is_finite())
            .then_some(Preconditioner { matrix })
    }
}

/// How a round computes the diagonal derivative ∂net_j/∂a_j.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Diagonal {
    /// Exactly, for the plain iteration, whose steps it sets.
    Exact,
    /// Without its second-order term −Σ_i M_ij²/P_i (about a move probability, 10⁻³, of the
    /// rest): a preconditioned iteration only rescales with it (see [`Preconditioner`], which is
    /// built the same way), and skipping the term saves a pass over K(0, 0) per round.
    FirstOrder,
}

/// One calibration problem and the scratch space of its rounds.
struct Problem<'a> {
    kernel: &'a [f64],
    /// K(0, 0) squared elementwise, for the exact diagonal.
    squared: Option<Vec<f64>>,
    utility_without_amenity: &'a [f64],
    population: &'a [f64],
    targets: &'a Targets,
    unit_population: f64,
    weights: Vec<f64>,
    moving: Vec<f64>,
    scaled: Vec<f64>,
    scaled_by_den: Vec<f64>,
    outflow: Vec<f64>,
}

/// How far a round is from the targets.
struct Fit {
    /// Largest |modelled − target| net migration ÷ population over the units.
    max_residual: f64,
    internal_log_ratio: f64,
    out_log_ratio: f64,
}

impl Fit {
    fn finite(&self) -> bool {
        self.max_residual.is_finite()
            && self.internal_log_ratio.is_finite()
            && self.out_log_ratio.is_finite()
    }

    fn converged(&self) -> bool {
        self.max_residual < TOLERANCE
            && self.internal_log_ratio.abs() < TOLERANCE
            && self.out_log_ratio.abs() < TOLERANCE
    }
}

impl<'a> Problem<'a> {
    fn new(
        unit_kernel: &'a DMatrix<f64>,
        utility_without_amenity: &'a DVector<f64>,
        population: &'a DVector<f64>,
        targets: &'a Targets,
        diagonal: Diagonal,
    ) -> Problem<'a> {
        let nodes = population.len();
        let kernel = unit_kernel.as_slice();
        Problem {
            kernel,
            squared: (diagonal == Diagonal::Exact).then(|| kernel.iter().map(|k| k * k).collect()),
            utility_without_amenity: utility_without_amenity.as_slice(),
            population: population.as_slice(),
            targets,
            unit_population: population.rows(1, nodes - 1).sum(),
            weights: vec![0.0; nodes],
            moving: vec![0.0; nodes],
            scaled: vec![0.0; nodes],
            scaled_by_den: vec![0.0; nodes],
            outflow: vec![0.0; nodes],
        }
    }

    /// Rounds from `x` until the tolerance is met: plain diagonal steps, or preconditioned ones.
    fn solve(
        &mut self,
        mut x: Vec<f64>,
        preconditioner: Option<&Preconditioner>,
        max_rounds: usize,
    ) -> Result<Calibrated, CalibrationError> {
        let nodes = self.population.len();
        let m = x.len();
        let (mut step, mut residual, mut diagonal) = (vec![0.0; m], vec![0.0; m], vec![0.0; m]);
        let mut newton = vec![0.0; m];
        let mut accelerator = preconditioner.map(|_| Anderson::new(m));
        for round in 1..=max_rounds {
            let fit = self.evaluate(&x, &mut step, &mut residual, &mut diagonal);
            if !fit.finite() {
                // Read after the fact, to name the unit: the iteration itself is unchanged.
                return Err(CalibrationError::NotFinite {
                    round,
                    node: failed_node(&x[..nodes - 1], &residual[..nodes - 1]),
                });
            }
            if fit.converged() {
                let mut amenity = DVector::zeros(nodes);
                amenity.as_mut_slice()[1..].copy_from_slice(&x[..nodes - 1]);
                return Ok(Calibrated {
                    amenity,
                    fixed_cost: x[nodes - 1],
                    fixed_cost_rest_of_china: x[nodes],
                    rounds: round,
                    max_rate_residual: fit.max_residual,
                });
            }
            match (preconditioner, accelerator.as_mut()) {
                (Some(p), Some(accelerator)) => {
                    super::linalg::gemv(&mut newton, &p.matrix, &step);
                    accelerator.advance(&mut x, &newton);
                }
                _ => {
                    // A plain step never moves an unknown by more than MAX_STEP: scaled down
                    // as a whole when it would (the direction is kept).
                    let largest = step.iter().fold(0.0f64, |a, g| a.max(g.abs()));
                    if largest > MAX_STEP {
                        let scale = MAX_STEP / largest;
                        for (x, g) in x.iter_mut().zip(&step) {
                            *x += g * scale;
                        }
                    } else {
                        for (x, g) in x.iter_mut().zip(&step) {
                            *x += g;
                        }
                    }
                }
            }
            if round == max_rounds {
                return Err(CalibrationError::NotConverged {
                    rounds: round,
                    residual: fit.max_residual,
                });
            }
        }
        unreachable!("the loop returns on its last round")
    }

    /// Evaluates the equations at `x` (a_1..a_N, f, f0): the plain step g (one Newton step per
    /// amenity on its own equation; f and f0 moved by the log ratio of modelled to target
    /// rates), the residuals r and the diagonal R with g = −R⁻¹r.
    ///
    /// A round needs only the row and column sums of the flow matrix and, for the diagonal
    /// derivative, Σ_i M_ij²/P_i; in the separable form M_ij = s_i·K_ij·D_j (s_i = P_i / den_i)
    /// these are three passes over K(0, 0) and its elementwise square, with f and f0 applied as
    /// block factors (pairs with the rest of China × exp(−f0), pairs of units × exp(−f)), so the
    /// kernel is never rebuilt and the matrix never formed.
    fn evaluate(
        &mut self,
        x: &[f64],
        step: &mut [f64],
        residual: &mut [f64],
        diagonal: &mut [f64],
    ) -> Fit {
        let nodes = self.population.len();
        let (kernel, squared, population) = (self.kernel, self.squared.as_deref(), self.population);
        let (fixed_cost, fixed_cost_roc) = (x[nodes - 1], x[nodes]);
        let (inner, outer) = ((-fixed_cost).exp(), (-fixed_cost_roc).exp());
        // D_j = exp(U_j − max U), a_0 = 0
        let weights = &mut self.weights;
        let mut max = f64::NEG_INFINITY;
        for j in 0..nodes {
            let amenity = if j == 0 { 0.0 } else { x[j - 1] };
            weights[j] = self.utility_without_amenity[j] + amenity;
            max = max.max(weights[j]);
        }
        for w in weights.iter_mut() {
            *w = (*w - max).exp();
        }
        // moving_i = Σ_{k≥1} K0_ik·D_k (column-major axpys); column 0 is added with its factor.
        let moving = &mut self.moving;
        super::linalg::gemv_columns(moving, &kernel[nodes..], &weights[1..]);
        let (scaled, scaled_by_den, outflow) =
            (&mut self.scaled, &mut self.scaled_by_den, &mut self.outflow);
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
        let internal_ratio = (internal / self.unit_population) / self.targets.internal_move_rate;
        let out_ratio = (to_rest / self.unit_population) / self.targets.rest_of_china_out_rate;

        let mut max_residual: f64 = 0.0;
        for j in 1..nodes {
            let column = j * nodes;
            let d = weights[j];
            let (inflow, inflow_squared) = match squared {
                Some(squared) => {
                    let (from_units, from_units_squared) = dot_pair(
                        &kernel[column + 1..column + nodes],
                        &scaled[1..],
                        &squared[column + 1..column + nodes],
                        &scaled_by_den[1..],
                    );
                    // Σ_{i≠j} M_ij²/P_i = D_j²·Σ_i K_ij²·s_i/den_i
                    (
                        d * (inner * from_units + outer * kernel[column] * scaled[0]),
                        d * d
                            * (inner * inner * from_units_squared
                                + outer * outer * squared[column] * scaled_by_den[0]),
                    )
                }
                None => {
                    let from_units = dot(&kernel[column + 1..column + nodes], &scaled[1..]);
                    (
                        d * (inner * from_units + outer * kernel[column] * scaled[0]),
                        0.0,
                    )
                }
            };
            let r = inflow - outflow[j] - self.targets.net_migration[j - 1];
            max_residual = max_residual.max((r / population[j]).abs());
            // ∂net_j/∂a_j = S_j(1 − π_jj) + Σ_{i≠j} M_ij(1 − M_ij/P_i), S_j = s_j·D_j
            let stay = scaled[j] * d;
            let derivative = stay * (outflow[j] / population[j]) + inflow - inflow_squared;
            residual[j - 1] = r;
            diagonal[j - 1] = derivative;
            step[j - 1] = -r / derivative;
        }
        let (internal_log_ratio, out_log_ratio) = (internal_ratio.ln(), out_ratio.ln());
        for (k, log_ratio) in [(nodes - 1, internal_log_ratio), (nodes, out_log_ratio)] {
            residual[k] = log_ratio;
            diagonal[k] = -1.0;
            step[k] = log_ratio;
        }
        Fit {
            max_residual,
            internal_log_ratio,
            out_log_ratio,
        }
    }
}

/// The node (1..=N) a failed round points at: the first unit whose amenity is not finite,
/// else the first whose residual is not, when not all are (a non-finite value that spread to
/// every unit does not say where it arose). `amenity` and `residual` are per unit.
fn failed_node(amenity: &[f64], residual: &[f64]) -> Option<usize> {
    let first = |values: &[f64]| values.iter().position(|v| !v.is_finite());
    let spread = residual.iter().all(|r| !r.is_finite());
    first(amenity)
        .or_else(|| first(residual).filter(|_| !spread))
        .map(|unit| unit + 1)
}

/// Steps an [`Anderson`] accelerator combines.
const ANDERSON_DEPTH: usize = 3;

/// Anderson acceleration (type II; Walker & Ni 2011, mixing 1) of a fixed-point iteration
/// x ← x + g(x): the next point combines the last `ANDERSON_DEPTH` steps so as to cancel the
/// linear part of the remaining error (the preconditioned step is only approximately Newton's).
struct Anderson {
    /// Differences of successive points and of successive steps, in a ring of
    /// `ANDERSON_DEPTH` slots; `len` are filled, the newest at `(next + DEPTH − 1) % DEPTH`.
    dx: [Vec<f64>; ANDERSON_DEPTH],
    dg: [Vec<f64>; ANDERSON_DEPTH],
    len: usize,
    next: usize,
    /// The previous point and step.
    last_x: Vec<f64>,
    last_g: Vec<f64>,
    started: bool,
}

impl Anderson {
    fn new(m: usize) -> Anderson {
        Anderson {
            dx: std::array::from_fn(|_| vec![0.0; m]),
            dg: std::array::from_fn(|_| vec![0.0; m]),
            len: 0,
            next: 0,
            last_x: vec![0.0; m],
            last_g: vec![0.0; m],
            started: false,
        }
    }

    /// Moves `x` on, given the step `g` at `x`.
    fn advance(&mut self, x: &mut [f64], g: &[f64]) {
        if self.started {
            let slot = self.next;
            for i in 0..x.len() {
                self.dx[slot][i] = x[i] - self.last_x[i];
                self.dg[slot][i] = g[i] - self.last_g[i];
            }
            self.next = (slot + 1) % ANDERSON_DEPTH;
            self.len = (self.len + 1).min(ANDERSON_DEPTH);
        }
        self.started = true;
        self.last_x.copy_from_slice(x);
        self.last_g.copy_from_slice(g);
        // γ = argmin ‖g − ΔG·γ‖ by the normal equations (m ≤ depth unknowns), lightly damped;
        // slots are used oldest first so the arithmetic does not depend on where the ring is.
        let m = self.len;
        let slot = |p: usize| (self.next + ANDERSON_DEPTH - m + p) % ANDERSON_DEPTH;
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let mut system = [[0.0; ANDERSON_DEPTH + 1]; ANDERSON_DEPTH];
        for (p, row) in system.iter_mut().enumerate().take(m) {
            for (q, entry) in row.iter_mut().enumerate().take(m) {
                *entry = dot(&self.dg[slot(p)], &self.dg[slot(q)]);
            }
            row[ANDERSON_DEPTH] = dot(&self.dg[slot(p)], g);
        }
        let largest = (0..m).map(|p| system[p][p]).fold(0.0, f64::max);
        for (p, row) in system.iter_mut().enumerate().take(m) {
            row[p] += 1e-12 * largest;
        }
        let gamma = match solve_small(&mut system, m) {
            Some(gamma) => gamma,
            None => {
                // Degenerate history: start it afresh with a plain step.
                self.len = 0;
                [0.0; ANDERSON_DEPTH]
            }
        };
        for (i, x) in x.iter_mut().enumerate() {
            *x += g[i];
            for (p, gamma) in gamma.iter().enumerate().take(self.len) {
                let s = slot(p);
                *x -= gamma * (self.dx[s][i] + self.dg[s][i]);
            }
        }
    }
}

/// Solves the first m rows of an augmented system (right-hand side in the last column) by
/// Gaussian elimination with partial pivoting; `None` if singular or not finite.
fn solve_small(
    a: &mut [[f64; ANDERSON_DEPTH + 1]; ANDERSON_DEPTH],
    m: usize,
) -> Option<[f64; ANDERSON_DEPTH]> {
    const RHS: usize = ANDERSON_DEPTH;
    for c in 0..m {
        let pivot = (c..m).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[pivot][c] == 0.0 || !a[pivot][c].is_finite() {
            return None;
        }
        a.swap(c, pivot);
        let pivot_row = a[c];
        for row in a.iter_mut().take(m).skip(c + 1) {
            let factor = row[c] / pivot_row[c];
            for k in c..m {
                row[k] -= factor * pivot_row[k];
            }
            row[RHS] -= factor * pivot_row[RHS];
        }
    }
    let mut x = [0.0; ANDERSON_DEPTH];
    for r in (0..m).rev() {
        let tail: f64 = (r + 1..m).map(|k| a[r][k] * x[k]).sum();
        x[r] = (a[r][RHS] - tail) / a[r][r];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Σ a_i·b_i with the partial sums of [`dot_pair`] (the same value as its first result).
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len();
    let b = &b[..n];
    let mut x = [0.0; 4];
    for (qa, qb) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
        for l in 0..4 {
            x[l] += qa[l] * qb[l];
        }
    }
    for i in n - n % 4..n {
        x[0] += a[i] * b[i];
    }
    (x[0] + x[1]) + (x[2] + x[3])
}

/// (Σ a_i·b_i, Σ c_i·d_i) with four partial sums each, which the compiler keeps in vector
/// registers (a single running sum would force one addition after another).
#[inline]
fn dot_pair(a: &[f64], b: &[f64], c: &[f64], d: &[f64]) -> (f64, f64) {
    let n = a.len();
    let (b, c, d) = (&b[..n], &c[..n], &d[..n]);
    let (mut x, mut y) = ([0.0; 4], [0.0; 4]);
    let quads = a
        .chunks_exact(4)
        .zip(b.chunks_exact(4))
        .zip(c.chunks_exact(4).zip(d.chunks_exact(4)));
    for ((qa, qb), (qc, qd)) in quads {
        for l in 0..4 {
            x[l] += qa[l] * qb[l];
            y[l] += qc[l] * qd[l];
        }
    }
    for i in n - n % 4..n {
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

/// [`scale_kernel`] in place: K(0, 0) becomes K(f, f0).
pub fn scale_kernel_in_place(kernel: &mut DMatrix<f64>, fixed_cost: f64, fixed_cost_roc: f64) {
    let (inner, outer) = ((-fixed_cost).exp(), (-fixed_cost_roc).exp());
    let n = kernel.nrows();
    for (j, column) in kernel.as_mut_slice().chunks_exact_mut(n).enumerate() {
        let (first, rest) = column.split_first_mut().expect("a square kernel with rows");
        *first *= outer;
        let factor = if j == 0 { outer } else { inner };
        for k in rest {
            *k *= factor;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    /// A failed round names the unit whose amenity broke first, or whose residual did when the
    /// others are still finite; a failure everywhere names none.
    #[test]
    fn a_failed_round_points_at_a_unit_only_when_it_can_tell() {
        let nan = f64::NAN;
        assert_eq!(failed_node(&[0.1, nan, 0.3], &[nan, nan, nan]), Some(2));
        assert_eq!(
            failed_node(&[0.1, 0.2, 0.3], &[1.0, 2.0, f64::INFINITY]),
            Some(3)
        );
        assert_eq!(failed_node(&[0.1, 0.2, 0.3], &[nan, nan, nan]), None);
        assert_eq!(failed_node(&[0.1, 0.2, 0.3], &[1.0, 2.0, 3.0]), None);
    }

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

    #[test]
    fn a_warm_preconditioned_start_finds_the_same_solution_in_fewer_rounds() {
        let travel = DMatrix::from_row_slice(3, 3, &[0.4, 1.2, 2.6, 1.2, 0.3, 1.9, 2.6, 1.9, 0.5]);
        let border = DMatrix::from_row_slice(3, 3, &[0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
        let costs = |beta| MoveCosts {
            travel_hours: &travel,
            border: &border,
            border_penalty: 0.7,
            hukou_wedge: &[0.2, 0.3, 0.2, 0.1],
            beta_per_hour: beta,
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
        let base_kernel = migration::deterrence_kernel(&costs(0.5));
        let base = calibrate(&costs(0.5), &utility, &population, &targets).unwrap();
        let preconditioner =
            Preconditioner::at(&base_kernel, &utility, &population, &targets, &base).unwrap();
        let guess = Guess {
            amenity: base.amenity.clone(),
            fixed_cost: base.fixed_cost,
            fixed_cost_rest_of_china: base.fixed_cost_rest_of_china,
        };
        // At the base itself the guess is the answer: one round, the same numbers.
        let again = calibrate_from(
            &base_kernel,
            &utility,
            &population,
            &targets,
            Some(&guess),
            Some(&preconditioner),
        )
        .unwrap();
        assert_eq!((again.rounds, &again.amenity), (1, &base.amenity));
        // Elsewhere: the cold solution to within the tolerance, in fewer rounds.
        let kernel = migration::deterrence_kernel(&costs(0.8));
        let cold = calibrate_from(&kernel, &utility, &population, &targets, None, None).unwrap();
        let warm = calibrate_from(
            &kernel,
            &utility,
            &population,
            &targets,
            Some(&guess),
            Some(&preconditioner),
        )
        .unwrap();
        assert!(
            warm.rounds < cold.rounds,
            "{} vs {}",
            warm.rounds,
            cold.rounds
        );
        assert!(warm.max_rate_residual < TOLERANCE);
        for j in 1..4 {
            assert_relative_eq!(warm.amenity[j], cold.amenity[j], epsilon = 1e-8);
        }
        assert_relative_eq!(warm.fixed_cost, cold.fixed_cost, epsilon = 1e-8);
        // A wild guess still converges (falling back to the plain iteration if need be).
        let wild = Guess {
            amenity: DVector::from_element(4, 40.0),
            fixed_cost: -30.0,
            fixed_cost_rest_of_china: 60.0,
        };
        let rescued = calibrate_from(
            &kernel,
            &utility,
            &population,
            &targets,
            Some(&wild),
            Some(&preconditioner),
        )
        .unwrap();
        assert_relative_eq!(rescued.fixed_cost, cold.fixed_cost, epsilon = 1e-8);
    }
}
