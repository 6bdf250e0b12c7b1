//! Estimators: from the outputs of a design's rows to sensitivity indices and summaries.
//!
//! Each estimator takes the design it reads (for the row order) and one output per row, in
//! row order. Outputs must be finite: a failed engine run is the runner's to report, not
//! something to average over.
//!
//! - [`sobol_indices`]: first-order (Saltelli 2010) and total (Jansen 1999) Sobol′ indices,
//!   with bootstrap percentile intervals;
//! - [`morris_effects`]: μ, μ* and σ of the elementary effects;
//! - [`tornado`]: low and high output per factor, largest swing first;
//! - [`summarize`], [`quantile_type7`] and [`event_probability`]: Monte Carlo summaries and
//!   the probability of an event with a Wilson interval.

use rand::Rng;
use rayon::prelude::*;

use super::sampling::{
    sample_rng, standard_normal_quantile, stream_seed, MorrisDesign, OatDesign, SaltelliDesign,
    Stream,
};
use super::SweepError;

/// A point estimate with a confidence interval `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The estimate from the full sample.
    pub value: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
}

/// How to bootstrap confidence intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bootstrap {
    /// Number of resamples (at least 10; 1,000 is usual).
    pub resamples: usize,
    /// Confidence level of the percentile interval, in (0, 1), e.g. 0.95.
    pub confidence: f64,
    /// Seed of the resampling (its bootstrap stream; resample `b` has its own generator).
    pub seed: u64,
}

impl Bootstrap {
    /// 1,000 resamples and 95 % percentile intervals.
    pub fn with_seed(seed: u64) -> Self {
        Self {
            resamples: 1000,
            confidence: 0.95,
            seed,
        }
    }
}

/// Sobol′ indices of every factor, in factor order.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolIndices {
    /// First-order indices S1: the share of output variance due to each factor alone.
    pub first_order: Vec<Estimate>,
    /// Total indices ST: the share due to each factor including all its interactions.
    pub total: Vec<Estimate>,
    /// Mean of the output over the rows of A and B.
    pub output_mean: f64,
    /// Variance of the output over the rows of A and B (denominator 2N).
    pub output_variance: f64,
}

/// First-order and total Sobol′ indices from the outputs of a [`SaltelliDesign`].
///
/// With `f_A`, `f_B` and `f_ABi` the outputs of rows A_j, B_j and A_B^(i)_j, and `V` the
/// variance of the `2N` outputs of A and B:
///
/// - S1_i = (1/N) Σ_j f_B (f_ABi − f_A) / V (Saltelli et al. 2010, table 2 (b));
/// - ST_i = (1/2N) Σ_j (f_A − f_ABi)² / V (Jansen 1999; Saltelli et al. 2010, table 2 (f)).
///
/// Outputs are centred on their mean first, which leaves both estimators' expectations alone
/// but stops a large output mean from inflating the variance of S1.
///
/// Intervals: percentile bootstrap over the `N` base samples (each resample draws `N` base
/// indices with replacement and keeps the `d + 2` rows of each together). A resample whose
/// variance is zero yields no value and is left out of the percentiles. Resamples run in
/// parallel, each from its own generator (resample `b` of the bootstrap stream of the seed), so
/// the intervals do not depend on the number of threads.
pub fn sobol_indices(
    design: &SaltelliDesign,
    outputs: &[f64],
    bootstrap: Bootstrap,
) -> Result<SobolIndices, SweepError> {
    if design.n < 2 {
        return Err(SweepError::TooFew {
            what: "the Saltelli base sample size",
            min: 2,
            got: design.n,
        });
    }
    check_design_shape(
        "rows of the Saltelli design, n·(d + 2)",
        design.n * design.rows_per_base_sample(),
        design.rows.len(),
    )?;
    check_outputs(design.rows.len(), outputs)?;
    check_bootstrap(&bootstrap)?;
    let (n, d) = (design.n, design.d);
    let stride = design.rows_per_base_sample();

    let a_and_b = || (0..n).flat_map(|j| [outputs[design.index_a(j)], outputs[design.index_b(j)]]);
    let first_value = outputs[design.index_a(0)];
    if a_and_b().all(|y| y == first_value) {
        return Err(SweepError::ZeroOutputVariance);
    }
    let output_mean = a_and_b().sum::<f64>() / (2 * n) as f64;
    let centred: Vec<f64> = outputs.iter().map(|y| y - output_mean).collect();

    let full = SobolReplicate::estimate(&centred, d, stride, 0..n);
    let bootstrap_stream = stream_seed(bootstrap.seed, Stream::Bootstrap);
    let replicates: Vec<SobolReplicate> = (0..bootstrap.resamples)
        .into_par_iter()
        .map(|resample| {
            let mut rng = sample_rng(bootstrap_stream, resample as u64);
            let base_samples: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
            SobolReplicate::estimate(&centred, d, stride, base_samples.into_iter())
        })
        .collect();

    let with_interval = |value: f64, pick: &dyn Fn(&SobolReplicate) -> f64| {
        let (low, high) =
            percentile_interval(replicates.iter().map(pick).collect(), bootstrap.confidence);
        Estimate { value, low, high }
    };
    Ok(SobolIndices {
        first_order: (0..d)
            .map(|i| with_interval(full.first_order[i], &|r| r.first_order[i]))
            .collect(),
        total: (0..d)
            .map(|i| with_interval(full.total[i], &|r| r.total[i]))
            .collect(),
        output_mean,
        output_variance: full.variance,
    })
}

/// The Sobol′ estimates from one set of base samples (the full sample or a resample).
struct SobolReplicate {
    first_order: Vec<f64>,
    total: Vec<f64>,
    variance: f64,
}

impl SobolReplicate {
    /// Estimates from the base samples `base_samples` (indices `j`, repeats allowed) of
    /// centred outputs laid out as in [`SaltelliDesign`].
    fn estimate(
        centred: &[f64],
        d: usize,
        stride: usize,
        base_samples: impl Iterator<Item = usize>,
    ) -> Self {
        let mut count = 0_usize;
        let (mut sum, mut sum_of_squares) = (0.0, 0.0);
        let mut first_order_sums = vec![0.0; d];
        let mut total_sums = vec![0.0; d];
        for j in base_samples {
            let rows = &centred[j * stride..(j + 1) * stride];
            let (f_a, f_b) = (rows[0], rows[d + 1]);
            count += 1;
            sum += f_a + f_b;
            sum_of_squares += f_a * f_a + f_b * f_b;
            for (factor, f_ab) in rows[1..=d].iter().enumerate() {
                first_order_sums[factor] += f_b * (f_ab - f_a);
                total_sums[factor] += (f_a - f_ab) * (f_a - f_ab);
            }
        }
        let n = count as f64;
        let mean = sum / (2.0 * n);
        // The outputs are centred, so the mean is near zero and this difference keeps its digits.
        let variance = sum_of_squares / (2.0 * n) - mean * mean;
        let share = |sum: f64, divisor: f64| {
            if variance > 0.0 {
                sum / divisor / variance
            } else {
                f64::NAN
            }
        };
        Self {
            first_order: first_order_sums.iter().map(|s| share(*s, n)).collect(),
            total: total_sums.iter().map(|s| share(*s, 2.0 * n)).collect(),
            variance,
        }
    }
}

/// Morris statistics of one factor's elementary effects, in output units per unit of the
/// unit-cube coordinate (so for a factor that enters as `c·x` with `x` uniform on
/// `[lo, hi]`, μ = c·(hi − lo): the output change across the factor's whole range).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ElementaryEffects {
    /// Mean effect μ; effects of opposite signs cancel in it.
    pub mu: f64,
    /// Mean absolute effect μ* (Campolongo et al. 2007): the factor's overall importance.
    pub mu_star: f64,
    /// Standard deviation σ of the effects (denominator r − 1): non-linearity or interactions.
    pub sigma: f64,
}

/// μ, μ* and σ for every factor, in factor order, from the outputs of a [`MorrisDesign`].
///
/// Each step of each trajectory gives one elementary effect of the factor it moves:
/// (output after − output before) / Δ, with Δ the signed move in unit-cube coordinates.
pub fn morris_effects(
    design: &MorrisDesign,
    outputs: &[f64],
) -> Result<Vec<ElementaryEffects>, SweepError> {
    check_design_shape(
        "rows of the Morris design, r·(d + 1)",
        design.trajectories * (design.d + 1),
        design.rows.len(),
    )?;
    check_design_shape(
        "steps of the Morris design, r·d",
        design.trajectories * design.d,
        design.steps.len(),
    )?;
    check_outputs(design.rows.len(), outputs)?;
    let mut effects = vec![Vec::with_capacity(design.trajectories); design.d];
    for trajectory in 0..design.trajectories {
        for k in 0..design.d {
            let step = design.step(trajectory, k);
            let before = outputs[design.row_index(trajectory, k)];
            let after = outputs[design.row_index(trajectory, k + 1)];
            effects[step.factor].push((after - before) / step.delta);
        }
    }
    Ok(effects
        .iter()
        .map(|factor_effects| {
            let r = factor_effects.len() as f64;
            let mu = factor_effects.iter().sum::<f64>() / r;
            let mu_star = factor_effects.iter().map(|e| e.abs()).sum::<f64>() / r;
            let squared_deviations: f64 = factor_effects.iter().map(|e| (e - mu).powi(2)).sum();
            ElementaryEffects {
                mu,
                mu_star,
                sigma: (squared_deviations / (r - 1.0)).sqrt(),
            }
        })
        .collect())
}

/// One bar of a tornado chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TornadoBar {
    /// The factor (index into the design's factors).
    pub factor: usize,
    /// Output with the factor at its low value, the others at base.
    pub low_output: f64,
    /// Output with the factor at its high value, the others at base.
    pub high_output: f64,
    /// |high_output − low_output|.
    pub swing: f64,
}

/// A tornado chart: the base output and one bar per factor, largest swing first.
#[derive(Debug, Clone, PartialEq)]
pub struct Tornado {
    /// Output at the base point.
    pub base_output: f64,
    /// Bars sorted by swing, descending; equal swings keep factor order.
    pub bars: Vec<TornadoBar>,
}

/// The tornado chart of an [`OatDesign`]'s outputs.
pub fn tornado(design: &OatDesign, outputs: &[f64]) -> Result<Tornado, SweepError> {
    check_design_shape(
        "rows of the one-at-a-time design, 1 + 2d",
        1 + 2 * design.d,
        design.rows.len(),
    )?;
    check_outputs(design.rows.len(), outputs)?;
    let mut bars: Vec<TornadoBar> = (0..design.d)
        .map(|factor| {
            let low_output = outputs[design.index_low(factor)];
            let high_output = outputs[design.index_high(factor)];
            TornadoBar {
                factor,
                low_output,
                high_output,
                swing: (high_output - low_output).abs(),
            }
        })
        .collect();
    // Stable sort: ties stay in factor order, so the chart is reproducible.
    bars.sort_by(|a, b| b.swing.total_cmp(&a.swing));
    Ok(Tornado {
        base_output: outputs[design.index_base()],
        bars,
    })
}

/// Summary of a Monte Carlo sample of one output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutputSummary {
    /// Number of values.
    pub count: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (denominator n − 1); NaN for a single value.
    pub std_dev: f64,
    /// Smallest value.
    pub min: f64,
    /// 5th percentile (type 7, see [`quantile_type7`]).
    pub p5: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Largest value.
    pub max: f64,
}

/// Count, mean, standard deviation and the quantiles 0, 5, 25, 50, 75, 95 and 100 % of
/// `values` (any order, all finite, at least one).
pub fn summarize(values: &[f64]) -> Result<OutputSummary, SweepError> {
    if values.is_empty() {
        return Err(SweepError::TooFew {
            what: "values to summarize",
            min: 1,
            got: 0,
        });
    }
    check_outputs(values.len(), values)?;
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let count = values.len();
    let mean = values.iter().sum::<f64>() / count as f64;
    // Two passes: subtracting the mean before squaring keeps the digits that a
    // sum-of-squares formula would cancel away.
    let squared_deviations: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    let quantile = |p: f64| interpolate_type7(&sorted, p);
    Ok(OutputSummary {
        count,
        mean,
        std_dev: (squared_deviations / (count as f64 - 1.0)).sqrt(),
        min: sorted[0],
        p5: quantile(0.05),
        p25: quantile(0.25),
        p50: quantile(0.5),
        p75: quantile(0.75),
        p95: quantile(0.95),
        max: sorted[count - 1],
    })
}

/// The `probability` quantile of ascending `sorted` values, by Hyndman and Fan's (1996)
/// type 7 (the default of R and NumPy): with `h = (n − 1)·p`, interpolate linearly between
/// the values at positions `⌊h⌋` and `⌊h⌋ + 1` (zero-based).
pub fn quantile_type7(sorted: &[f64], probability: f64) -> Result<f64, SweepError> {
    if sorted.is_empty() {
        return Err(SweepError::TooFew {
            what: "values for a quantile",
            min: 1,
            got: 0,
        });
    }
    if !(0.0..=1.0).contains(&probability) {
        return Err(SweepError::OutOfRange {
            what: "a quantile's probability",
            range: "[0, 1]",
            value: probability,
        });
    }
    Ok(interpolate_type7(sorted, probability))
}

/// Type 7 quantile of a non-empty sorted slice, `probability` in [0, 1].
fn interpolate_type7(sorted: &[f64], probability: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * probability;
    let below = h.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    sorted[below] + (h - below as f64) * (sorted[above] - sorted[below])
}

/// The probability of an event (a target met, a threshold crossed), estimated from a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventProbability {
    /// Samples in which the event happened.
    pub events: usize,
    /// Samples in all.
    pub trials: usize,
    /// events / trials.
    pub estimate: f64,
    /// Lower end of the Wilson interval.
    pub low: f64,
    /// Upper end of the Wilson interval.
    pub high: f64,
}

/// The event probability `events / trials` with its Wilson score interval (Wilson 1927) at
/// level `confidence` (e.g. 0.95).
///
/// Wilson's interval, unlike the normal approximation p̂ ± z·√(p̂(1 − p̂)/n), stays inside
/// [0, 1] and does not collapse to a point when no sample (or every sample) meets the event:
/// 0 of n gives [0, z²/(n + z²)] and n of n gives [n/(n + z²), 1].
pub fn event_probability(
    events: usize,
    trials: usize,
    confidence: f64,
) -> Result<EventProbability, SweepError> {
    if trials == 0 {
        return Err(SweepError::TooFew {
            what: "trials",
            min: 1,
            got: 0,
        });
    }
    if events > trials {
        return Err(SweepError::MoreEventsThanTrials { events, trials });
    }
    check_confidence(confidence)?;
    let z = standard_normal_quantile(0.5 + confidence / 2.0);
    let n = trials as f64;
    let estimate = events as f64 / n;
    let z_squared = z * z;
    let shrink = 1.0 + z_squared / n;
    let centre = (estimate + z_squared / (2.0 * n)) / shrink;
    let half_width =
        z / shrink * (estimate * (1.0 - estimate) / n + z_squared / (4.0 * n * n)).sqrt();
    // At the edges the exact ends are 0 and 1; rounding would leave crumbs like 3e-17.
    let low = if events == 0 {
        0.0
    } else {
        (centre - half_width).max(0.0)
    };
    let high = if events == trials {
        1.0
    } else {
        (centre + half_width).min(1.0)
    };
    Ok(EventProbability {
        events,
        trials,
        estimate,
        low,
        high,
    })
}

/// A design's fields are public, so one built by hand may not hang together; catching that
/// here turns what would be an index panic into an error.
fn check_design_shape(what: &'static str, expected: usize, got: usize) -> Result<(), SweepError> {
    if expected == got {
        Ok(())
    } else {
        Err(SweepError::LengthMismatch {
            what,
            expected,
            got,
        })
    }
}

/// One finite output per design row.
fn check_outputs(rows: usize, outputs: &[f64]) -> Result<(), SweepError> {
    if outputs.len() != rows {
        return Err(SweepError::LengthMismatch {
            what: "outputs, one per design row",
            expected: rows,
            got: outputs.len(),
        });
    }
    match outputs.iter().enumerate().find(|(_, y)| !y.is_finite()) {
        Some((index, value)) => Err(SweepError::NonFiniteValue {
            what: "output",
            index,
            value: *value,
        }),
        None => Ok(()),
    }
}

fn check_confidence(confidence: f64) -> Result<(), SweepError> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(SweepError::OutOfRange {
            what: "the confidence level",
            range: "(0, 1)",
            value: confidence,
        })
    }
}

fn check_bootstrap(bootstrap: &Bootstrap) -> Result<(), SweepError> {
    /// Fewer resamples than this cannot place a 2.5 % percentile anywhere meaningful.
    const MIN_RESAMPLES: usize = 10;
    if bootstrap.resamples < MIN_RESAMPLES {
        return Err(SweepError::TooFew {
            what: "bootstrap resamples",
            min: MIN_RESAMPLES,
            got: bootstrap.resamples,
        });
    }
    check_confidence(bootstrap.confidence)
}

/// Percentile interval of bootstrap replicates at level `confidence`, from the type 7
/// quantiles at (1 − confidence)/2 and (1 + confidence)/2. Non-finite replicates are dropped;
/// with none left the interval is NaN.
fn percentile_interval(mut replicates: Vec<f64>, confidence: f64) -> (f64, f64) {
    replicates.retain(|value| value.is_finite());
    if replicates.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    replicates.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    (
        interpolate_type7(&replicates, tail),
        interpolate_type7(&replicates, 1.0 - tail),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::sampling::{to_parameters, Distribution, Scrambling};
    use approx::assert_relative_eq;
    use std::f64::consts::PI;

    /// Analytic value must lie in the bootstrap interval, widened by `slack` on each side.
    fn assert_covers(estimate: &Estimate, analytic: f64, slack: f64, label: &str) {
        assert!(
            estimate.low - slack <= analytic && analytic <= estimate.high + slack,
            "{label}: analytic {analytic:.4} outside [{:.4}, {:.4}] (estimate {:.4})",
            estimate.low,
            estimate.high,
            estimate.value
        );
    }

    fn run_saltelli(
        n: usize,
        distributions: &[Distribution],
        seed: u64,
        model: impl Fn(&[f64]) -> f64,
    ) -> SobolIndices {
        let design = SaltelliDesign::generate(
            n,
            distributions.len(),
            Scrambling::LinearMatrixAndShift { seed },
        )
        .expect("design");
        let outputs: Vec<f64> = design
            .rows
            .iter()
            .map(|row| model(&to_parameters(row, distributions).expect("row")))
            .collect();
        sobol_indices(&design, &outputs, Bootstrap::with_seed(seed)).expect("indices")
    }

    #[test]
    fn sobol_indices_of_the_ishigami_function() {
        let (a, b) = (7.0, 0.1);
        let ishigami =
            |x: &[f64]| x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin();
        let factor = Distribution::Uniform { lo: -PI, hi: PI };
        let indices = run_saltelli(1 << 12, &vec![factor; 3], 2016, ishigami);

        // Analytic partial variances (Ishigami and Homma 1990; Sobol′ and Levitan 1999).
        let v1 = 0.5 * (1.0 + b * PI.powi(4) / 5.0).powi(2);
        let v2 = a * a / 8.0;
        let v13 = 8.0 * b * b * PI.powi(8) / 225.0;
        let variance = v1 + v2 + v13;
        let first_order = [v1 / variance, v2 / variance, 0.0];
        let total = [(v1 + v13) / variance, v2 / variance, v13 / variance];
        assert_relative_eq!(first_order[0], 0.3139, epsilon = 1e-4);
        assert_relative_eq!(total[2], 0.2437, epsilon = 1e-4);
        assert_relative_eq!(indices.output_variance, variance, max_relative = 0.02);

        for i in 0..3 {
            assert_covers(&indices.first_order[i], first_order[i], 0.0, "S1");
            assert_covers(&indices.total[i], total[i], 0.0, "ST");
            assert!((indices.first_order[i].value - first_order[i]).abs() < 0.03);
            assert!((indices.total[i].value - total[i]).abs() < 0.03);
        }
    }

    #[test]
    fn sobol_indices_of_the_g_function() {
        let a = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0];
        let g = |x: &[f64]| {
            x.iter()
                .zip(&a)
                .map(|(x, a)| ((4.0 * x - 2.0).abs() + a) / (1.0 + a))
                .product::<f64>()
        };
        let factor = Distribution::Uniform { lo: 0.0, hi: 1.0 };
        let indices = run_saltelli(1 << 12, &vec![factor; a.len()], 7, g);

        // V_i = 1/(3(1 + a_i)²); V = Π(1 + V_i) − 1; ST_i = V_i Π_{j≠i}(1 + V_j) / V.
        let partial: Vec<f64> = a.iter().map(|a| 1.0 / (3.0 * (1.0 + a).powi(2))).collect();
        let product: f64 = partial.iter().map(|v| 1.0 + v).product();
        let variance = product - 1.0;
        for (i, v) in partial.iter().enumerate() {
            let first_order = v / variance;
            let total = v * product / (1.0 + v) / variance;
            // The four a = 99 factors have ST ≈ 1e-4 with intervals a few 1e-6 wide; across 40
            // seeds the analytic value fell outside by at most 1.1e-6, hence the 1e-5 slack.
            assert_covers(&indices.first_order[i], first_order, 1e-5, "S1");
            assert_covers(&indices.total[i], total, 1e-5, "ST");
            assert!((indices.first_order[i].value - first_order).abs() < 0.02);
            assert!((indices.total[i].value - total).abs() < 0.02);
        }
    }

    #[test]
    fn sobol_intervals_do_not_depend_on_thread_count() {
        let design = SaltelliDesign::generate(256, 3, Scrambling::LinearMatrixAndShift { seed: 1 })
            .expect("design");
        let outputs: Vec<f64> = design
            .rows
            .iter()
            .map(|x| x[0] + 2.0 * x[1] * x[2])
            .collect();
        let in_pool = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool")
                .install(|| sobol_indices(&design, &outputs, Bootstrap::with_seed(5)))
                .expect("indices")
        };
        let one = in_pool(1);
        assert_eq!(one, in_pool(2));
        assert_eq!(one, in_pool(4));
        assert_ne!(
            one,
            sobol_indices(&design, &outputs, Bootstrap::with_seed(6)).expect("indices")
        );
    }

    #[test]
    fn sobol_indices_reject_bad_outputs() {
        let design = SaltelliDesign::generate(8, 2, Scrambling::Unscrambled).expect("design");
        let bootstrap = Bootstrap::with_seed(0);
        assert!(matches!(
            sobol_indices(&design, &[1.0; 5], bootstrap),
            Err(SweepError::LengthMismatch { expected: 32, .. })
        ));
        let mut outputs: Vec<f64> = (0..32).map(f64::from).collect();
        outputs[9] = f64::NAN;
        assert!(matches!(
            sobol_indices(&design, &outputs, bootstrap),
            Err(SweepError::NonFiniteValue { index: 9, .. })
        ));
        assert_eq!(
            sobol_indices(&design, &[3.0; 32], bootstrap),
            Err(SweepError::ZeroOutputVariance)
        );
        let mut truncated = design.clone();
        truncated.rows.pop();
        assert!(matches!(
            sobol_indices(&truncated, &[1.0; 31], bootstrap),
            Err(SweepError::LengthMismatch {
                expected: 32,
                got: 31,
                ..
            })
        ));
        let too_few = Bootstrap {
            resamples: 2,
            ..bootstrap
        };
        let outputs: Vec<f64> = (0..32).map(f64::from).collect();
        assert!(matches!(
            sobol_indices(&design, &outputs, too_few),
            Err(SweepError::TooFew { .. })
        ));
    }

    #[test]
    fn morris_effects_of_a_linear_model() {
        let coefficients = [3.0, -2.0, 0.5, 0.0];
        let distributions = [
            Distribution::Uniform { lo: 0.0, hi: 1.0 },
            Distribution::Uniform { lo: 10.0, hi: 20.0 },
            Distribution::Uniform { lo: -4.0, hi: 4.0 },
            Distribution::Uniform { lo: 0.0, hi: 5.0 },
        ];
        let design = MorrisDesign::generate(4, 10, 4, 3).expect("design");
        let outputs: Vec<f64> = design
            .rows
            .iter()
            .map(|row| {
                let x = to_parameters(row, &distributions).expect("row");
                x.iter().zip(&coefficients).map(|(x, c)| c * x).sum()
            })
            .collect();
        let effects = morris_effects(&design, &outputs).expect("effects");
        for ((effect, c), distribution) in effects.iter().zip(coefficients).zip(&distributions) {
            let Distribution::Uniform { lo, hi } = distribution else {
                unreachable!()
            };
            let range = hi - lo;
            assert_relative_eq!(effect.mu_star, c.abs() * range, epsilon = 1e-9);
            assert_relative_eq!(effect.mu, c * range, epsilon = 1e-9);
            assert!(effect.sigma < 1e-9, "σ = {}", effect.sigma);
        }
    }

    #[test]
    fn morris_sigma_detects_interaction() {
        // y = x0·x1: the effect of x0 depends on x1, so σ > 0, and μ* ≥ |μ| always.
        let design = MorrisDesign::generate(3, 20, 4, 8).expect("design");
        let outputs: Vec<f64> = design.rows.iter().map(|x| x[0] * x[1]).collect();
        let effects = morris_effects(&design, &outputs).expect("effects");
        assert!(effects[0].sigma > 0.05 && effects[1].sigma > 0.05);
        assert_eq!(effects[2].mu_star, 0.0);
        assert!(effects.iter().all(|e| e.mu_star >= e.mu.abs()));
        assert!(matches!(
            morris_effects(&design, &outputs[1..]),
            Err(SweepError::LengthMismatch { .. })
        ));
    }

    #[test]
    fn tornado_sorts_bars_by_swing() {
        let design =
            OatDesign::new(&[1.0, 1.0, 1.0], &[0.0, 0.0, 0.0], &[2.0, 2.0, 2.0]).expect("design");
        // y = x0 − 5·x1 + 2·x2
        let outputs: Vec<f64> = design
            .rows
            .iter()
            .map(|x| x[0] - 5.0 * x[1] + 2.0 * x[2])
            .collect();
        let chart = tornado(&design, &outputs).expect("tornado");
        assert_eq!(chart.base_output, -2.0);
        let order: Vec<usize> = chart.bars.iter().map(|bar| bar.factor).collect();
        assert_eq!(order, vec![1, 2, 0]);
        assert_eq!(
            chart.bars[0],
            TornadoBar {
                factor: 1,
                low_output: 3.0,
                high_output: -7.0,
                swing: 10.0
            }
        );
    }

    #[test]
    fn summary_uses_type_7_quantiles() {
        // R: quantile(1:10, c(.05, .25, .5, .75, .95)) = 1.45 3.25 5.50 7.75 9.55
        let values: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        let summary = summarize(&values).expect("summary");
        assert_eq!(summary.count, 10);
        assert_relative_eq!(summary.mean, 5.5);
        assert_relative_eq!(
            summary.std_dev,
            (55.0_f64 / 6.0).sqrt(),
            max_relative = 1e-15
        );
        assert_relative_eq!(summary.p5, 1.45, max_relative = 1e-15);
        assert_relative_eq!(summary.p25, 3.25);
        assert_relative_eq!(summary.p50, 5.5);
        assert_relative_eq!(summary.p75, 7.75);
        assert_relative_eq!(summary.p95, 9.55, max_relative = 1e-15);
        assert_eq!((summary.min, summary.max), (1.0, 10.0));

        let single = summarize(&[4.0]).expect("one value");
        assert_eq!((single.p5, single.p95, single.mean), (4.0, 4.0, 4.0));
        assert!(single.std_dev.is_nan());
        assert!(summarize(&[]).is_err());
        assert!(matches!(
            summarize(&[1.0, f64::INFINITY]),
            Err(SweepError::NonFiniteValue { index: 1, .. })
        ));
        assert_eq!(quantile_type7(&[1.0, 2.0], 1.0), Ok(2.0));
        assert!(quantile_type7(&[1.0, 2.0], 1.5).is_err());
    }

    #[test]
    fn wilson_interval_matches_reference_values_and_edges() {
        // Reference: Wilson's formula evaluated independently in double precision.
        let half = event_probability(5, 10, 0.95).expect("5 of 10");
        assert_eq!(half.estimate, 0.5);
        assert_relative_eq!(half.low, 0.236_593_090_512_564_05, max_relative = 1e-12);
        assert_relative_eq!(half.high, 0.763_406_909_487_436, max_relative = 1e-12);
        let rare = event_probability(1, 20, 0.95).expect("1 of 20");
        assert_relative_eq!(rare.low, 0.008_881_448_800_795_375, max_relative = 1e-12);
        assert_relative_eq!(rare.high, 0.236_131_193_446_742, max_relative = 1e-12);
        let ninety = event_probability(3, 40, 0.90).expect("3 of 40");
        assert_relative_eq!(ninety.low, 0.030_370_252_611_739_007, max_relative = 1e-12);
        assert_relative_eq!(ninety.high, 0.173_480_178_736_900_33, max_relative = 1e-12);

        // 0 of n: [0, z²/(n + z²)]; n of n: [n/(n + z²), 1].
        let z_squared = 1.959_963_984_540_054_f64.powi(2);
        let none = event_probability(0, 10, 0.95).expect("0 of 10");
        assert_eq!((none.estimate, none.low), (0.0, 0.0));
        assert_relative_eq!(
            none.high,
            z_squared / (10.0 + z_squared),
            max_relative = 1e-12
        );
        let all = event_probability(10, 10, 0.95).expect("10 of 10");
        assert_eq!((all.estimate, all.high), (1.0, 1.0));
        assert_relative_eq!(all.low, 10.0 / (10.0 + z_squared), max_relative = 1e-12);
        let one_trial = event_probability(0, 1, 0.95).expect("0 of 1");
        assert!(one_trial.high < 1.0 && one_trial.low == 0.0);

        assert!(matches!(
            event_probability(0, 0, 0.95),
            Err(SweepError::TooFew { .. })
        ));
        assert!(matches!(
            event_probability(11, 10, 0.95),
            Err(SweepError::MoreEventsThanTrials { .. })
        ));
        assert!(matches!(
            event_probability(1, 10, 1.0),
            Err(SweepError::OutOfRange { .. })
        ));
    }
}
