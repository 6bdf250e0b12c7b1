//! Sweeps, the pure part: designs on the unit cube and the estimators that read their outputs.
//!
//! A sweep runs the engine once per row of a design and then asks which parameters moved the
//! outputs. Nothing here touches the engine, files or the terminal; the runner that will call
//! these functions ([`run`]) owns all of that. The two halves:
//!
//! - [`sampling`]: parameter [`Distribution`](sampling::Distribution)s with an inverse CDF, a
//!   (scrambled) Sobol′ sequence, Latin hypercube and plain Monte Carlo samples, and the
//!   structured designs of the sensitivity methods: Saltelli (Sobol′ indices), Morris
//!   (elementary effects) and one-at-a-time (tornado).
//! - [`estimators`]: Sobol′ first-order and total indices with bootstrap intervals, Morris
//!   μ, μ* and σ, tornado bars sorted by swing, and Monte Carlo summaries (quantiles, mean, the
//!   probability of an event with a Wilson interval).
//!
//! Every design lives on the unit cube: a row holds one probability `u ∈ (0, 1)` per factor,
//! and [`sampling::to_parameters`] maps it through each factor's quantile function. That is
//! what lets any design drive any mix of distributions, and it keeps the designs free of
//! units. The one exception is [`sampling::OatDesign::new`], whose rows are whatever
//! coordinates the caller passes.
//!
//! Randomness comes only from ChaCha8 generators seeded from a `u64`. Whenever work may be
//! spread over threads (Monte Carlo rows, Morris trajectories, bootstrap resamples), item `i`
//! draws from its own generator, so results do not depend on the number of threads or on the
//! order in which items are computed. The runner seeds engine run `i` with
//! [`sampling::sample_seed`]`(seed, i)`; the designs and the bootstrap draw from separate
//! streams of the same seed, so one sweep seed can be passed everywhere without two uses
//! sharing random numbers.

pub mod bands;
pub mod estimators;
pub mod run;
pub mod sampling;
mod sobol_directions;
pub mod spread;
pub mod store;

/// Everything that can go wrong when building a design or estimating from its outputs.
///
/// Distribution errors do not name the factor: the caller knows which factor it was checking
/// and adds that context.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SweepError {
    /// A distribution parameter is NaN or infinite.
    #[error("distribution parameter `{parameter}` must be a finite number, got {value}")]
    NotFinite {
        /// The parameter's field name (`lo`, `sd`, …).
        parameter: &'static str,
        /// The offending value.
        value: f64,
    },
    /// The range of a uniform, log-uniform, triangular or truncated normal is empty.
    #[error("the lower bound must be below the upper bound, got {lo} and {hi}; a parameter that cannot vary should be fixed, not swept")]
    EmptyRange {
        /// Lower bound as given.
        lo: f64,
        /// Upper bound as given.
        hi: f64,
    },
    /// A log-uniform bound is zero or negative.
    #[error("log-uniform bounds must be positive, got lo = {lo}")]
    NonPositiveLogBound {
        /// Lower bound as given.
        lo: f64,
    },
    /// A normal's standard deviation is zero or negative.
    #[error("normal standard deviation must be positive, got sd = {sd}")]
    NonPositiveSd {
        /// Standard deviation as given.
        sd: f64,
    },
    /// The truncation bounds of a normal keep almost none of its probability.
    #[error("truncation bounds keep only {mass:.3e} of the probability of a normal with mean {mean} and sd {sd}; move the bounds towards the mean or the mean into the bounds")]
    NegligibleMass {
        /// Mean as given.
        mean: f64,
        /// Standard deviation as given.
        sd: f64,
        /// Probability between the bounds.
        mass: f64,
    },
    /// A triangular mode lies outside its bounds.
    #[error("triangular mode {mode} lies outside [{lo}, {hi}]")]
    ModeOutside {
        /// Lower bound.
        lo: f64,
        /// Mode.
        mode: f64,
        /// Upper bound.
        hi: f64,
    },
    /// A discrete distribution has no levels.
    #[error("a discrete distribution needs at least one level")]
    NoLevels,
    /// Discrete levels are not in ascending order.
    #[error("discrete levels must be in ascending order so that the quantile function is monotone, but level {index} ({value}) is below the one before it ({previous})")]
    UnsortedLevels {
        /// Zero-based position of the first level that breaks the order.
        index: usize,
        /// The level before it.
        previous: f64,
        /// The level itself.
        value: f64,
    },
    /// A count (sample size, factors, trajectories, resamples, …) is too small.
    #[error("{what} must be at least {min}, got {got}")]
    TooFew {
        /// What was counted.
        what: &'static str,
        /// Smallest accepted value.
        min: usize,
        /// Value given.
        got: usize,
    },
    /// A Saltelli base sample size is not a power of two.
    #[error("the Saltelli base sample size must be a power of two, because Sobol′ points are balanced only in blocks of 2^m; got {n}, nearest are {below} and {above}")]
    NotPowerOfTwo {
        /// Size given.
        n: usize,
        /// Nearest power of two below.
        below: usize,
        /// Nearest power of two above.
        above: usize,
    },
    /// A Morris grid has an odd number of levels.
    #[error(
        "a Morris grid needs an even number of levels (the jump is half of them), got {levels}"
    )]
    OddLevels {
        /// Levels given.
        levels: usize,
    },
    /// More Sobol′ dimensions were asked for than the direction-number table holds.
    #[error("the Sobol′ sequence supports at most {max} dimensions, {requested} requested (a Saltelli design needs two per factor)")]
    TooManyDimensions {
        /// Dimensions asked for.
        requested: usize,
        /// Dimensions available.
        max: usize,
    },
    /// Two inputs that must have matching lengths do not.
    #[error("{what}: expected {expected} values, got {got}")]
    LengthMismatch {
        /// What was being matched.
        what: &'static str,
        /// Length required.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// An input value is NaN or infinite where a finite number is needed.
    #[error("{what} {index} is not finite ({value})")]
    NonFiniteValue {
        /// What the value is (an output, a design coordinate, …).
        what: &'static str,
        /// Zero-based position.
        index: usize,
        /// The value.
        value: f64,
    },
    /// The output is the same for every row, so there is no variance to attribute.
    #[error("the output does not vary across the design, so there is no variance to attribute to the factors")]
    ZeroOutputVariance,
    /// A probability or confidence level lies outside its valid range.
    #[error("{what} must lie in {range}, got {value}")]
    OutOfRange {
        /// What the value is.
        what: &'static str,
        /// The valid range, in words.
        range: &'static str,
        /// The value.
        value: f64,
    },
    /// An event count exceeds the number of trials.
    #[error("{events} events out of {trials} trials is impossible")]
    MoreEventsThanTrials {
        /// Events counted.
        events: usize,
        /// Trials run.
        trials: usize,
    },
}
