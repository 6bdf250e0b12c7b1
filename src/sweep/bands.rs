//! Monte Carlo population bands (p5, p25, p50, p75, p95 of every unit in every year) in bounded
//! memory, fed one accepted run at a time.
//!
//! Up to [`EXACT_RUNS`] runs the values are kept and the bands are the exact sample quantiles
//! (type 7, as [`estimators::summarize`]). Beyond that, each (year, unit) cell keeps a histogram
//! instead, and the bands come from it:
//!
//! - Bins are fixed by the bits of the value, not by the data: a positive `f64` falls in bin
//!   `bits >> 39` (its exponent and the top 13 bits of its mantissa), so within each power of
//!   two the bins are 2⁻¹³ of it wide. A cell whose values span more than [`MAX_BINS`] such bins
//!   merges neighbours in aligned pairs (level 1, 2, …) until they fit, so a cell never takes
//!   more than 64 KiB (49 MiB for 44 units × 17 years), whatever the spread.
//! - A quantile is computed as type 7 with each order statistic replaced by the midpoint of its
//!   bin, then kept within the cell's exact minimum and maximum: the reported value is within a
//!   relative 2^(level − 14) (6.1·10⁻⁵ at level 0) of the exact one, i.e. ±61 persons per
//!   million, and exact where the cell never varies. The largest level used is reported
//!   ([`Bands::method`]).
//! - Counts only add up, so the histograms (and the bands) do not depend on the order in which
//!   runs arrive, on the thread count or on how a sweep was sharded; the level a cell ends at
//!   depends only on its smallest and largest value.

use super::estimators;
use super::SweepError;

/// Runs kept exactly before the cells switch to histograms (24.5 MiB for 44 units × 17 years).
pub const EXACT_RUNS: usize = 4096;

/// Largest number of bins a cell's histogram holds before it halves its resolution.
pub const MAX_BINS: usize = 16_384;

/// Bits of a value below its bin (52 mantissa bits − 13 kept).
const SHIFT: u32 = 39;

/// The quantiles in a band, in order.
pub const PROBABILITIES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// How the bands were computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BandMethod {
    /// Exact sample quantiles.
    Exact,
    /// From histograms; every value within `max_relative_error` of the exact quantile.
    Histogram { max_relative_error: f64 },
}

/// The accumulator: one cell per (year, unit), year-major.
#[derive(Debug, Clone)]
pub struct Bands {
    cells: usize,
    runs: usize,
    /// Run after run (`cells` values each) while `runs ≤ EXACT_RUNS`.
    exact: Vec<f64>,
    /// One per cell once there are more runs.
    histograms: Vec<Histogram>,
}

impl Bands {
    pub fn new(cells: usize) -> Bands {
        Bands {
            cells,
            runs: 0,
            exact: Vec::new(),
            histograms: Vec::new(),
        }
    }

    /// Accepted runs so far.
    pub fn runs(&self) -> usize {
        self.runs
    }

    /// Adds one run's values (one per cell, year-major).
    pub fn add(&mut self, values: &[f64]) {
        assert_eq!(values.len(), self.cells, "one value per (year, unit)");
        self.runs += 1;
        if self.histograms.is_empty() {
            self.exact.extend_from_slice(values);
            if self.runs > EXACT_RUNS {
                self.histograms = vec![Histogram::default(); self.cells];
                for run in self.exact.chunks_exact(self.cells) {
                    for (histogram, &value) in self.histograms.iter_mut().zip(run) {
                        histogram.add(value);
                    }
                }
                self.exact = Vec::new();
            }
        } else {
            for (histogram, &value) in self.histograms.iter_mut().zip(values) {
                histogram.add(value);
            }
        }
    }

    pub fn method(&self) -> BandMethod {
        if self.histograms.is_empty() {
            BandMethod::Exact
        } else {
            let level = self.histograms.iter().map(|h| h.level).max().unwrap_or(0);
            BandMethod::Histogram {
                max_relative_error: 2f64.powi(level as i32 - 14),
            }
        }
    }

    /// p5, p25, p50, p75, p95 of every cell (year-major), over at least one run.
    pub fn quantiles(&self) -> Result<Vec<[f64; 5]>, SweepError> {
        if self.runs == 0 {
            return Err(SweepError::TooFew {
                what: "accepted runs for bands",
                min: 1,
                got: 0,
            });
        }
        if !self.histograms.is_empty() {
            return Ok(self
                .histograms
                .iter()
                .map(|h| PROBABILITIES.map(|p| h.quantile(p)))
                .collect());
        }
        let mut column = Vec::with_capacity(self.runs);
        (0..self.cells)
            .map(|cell| {
                column.clear();
                column.extend(self.exact.iter().skip(cell).step_by(self.cells));
                let s = estimators::summarize(&column)?;
                Ok([s.p5, s.p25, s.p50, s.p75, s.p95])
            })
            .collect()
    }
}

/// Counts of one cell's values in the bins of its level, over a window of bins.
#[derive(Debug, Clone)]
struct Histogram {
    level: u32,
    /// Bin (at `level`) of `counts[0]`.
    first: u64,
    counts: Vec<u32>,
    total: u64,
    /// The exact extremes: quantiles are kept within them (so a cell that never varies, such
    /// as the base year, reports its value exactly).
    min: f64,
    max: f64,
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram {
            level: 0,
            first: 0,
            counts: Vec::new(),
            total: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl Histogram {
    /// The level-0 bin of a value. Populations are positive and finite; anything else is counted
    /// with the smallest positive number, so that it cannot break the ordering.
    fn bin(value: f64) -> u64 {
        let value = if value > 0.0 && value.is_finite() {
            value
        } else {
            f64::MIN_POSITIVE
        };
        value.to_bits() >> SHIFT
    }

    fn add(&mut self, value: f64) {
        let mut bin = Histogram::bin(value) >> self.level;
        if self.counts.is_empty() {
            self.first = bin;
            self.counts.push(0);
        }
        while bin < self.first || bin >= self.first + self.counts.len() as u64 {
            let (low, high) = (
                bin.min(self.first),
                bin.max(self.first + self.counts.len() as u64 - 1),
            );
            if (high - low + 1) as usize <= MAX_BINS {
                // Widen the window to take the bin.
                if bin < self.first {
                    let grow = (self.first - bin) as usize;
                    self.counts.splice(0..0, std::iter::repeat_n(0, grow));
                    self.first = bin;
                } else {
                    self.counts.resize((bin - self.first + 1) as usize, 0);
                }
            } else {
                self.coarsen();
                bin = Histogram::bin(value) >> self.level;
            }
        }
        self.counts[(bin - self.first) as usize] += 1;
        self.total += 1;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// One level coarser: bins 2k and 2k + 1 become bin k.
    fn coarsen(&mut self) {
        let first = self.first >> 1;
        let last = (self.first + self.counts.len() as u64 - 1) >> 1;
        let mut counts = vec![0u32; (last - first + 1) as usize];
        for (offset, count) in self.counts.iter().enumerate() {
            counts[(((self.first + offset as u64) >> 1) - first) as usize] += count;
        }
        self.level += 1;
        self.first = first;
        self.counts = counts;
    }

    /// The midpoint of a bin (at this level).
    fn midpoint(&self, bin: u64) -> f64 {
        let low = f64::from_bits((bin << self.level) << SHIFT);
        let high = f64::from_bits(((bin + 1) << self.level) << SHIFT);
        low + (high - low) / 2.0
    }

    /// The value at zero-based rank `rank` (as a bin midpoint).
    fn at_rank(&self, rank: u64) -> f64 {
        let mut seen = 0u64;
        for (offset, &count) in self.counts.iter().enumerate() {
            seen += u64::from(count);
            if seen > rank {
                return self.midpoint(self.first + offset as u64);
            }
        }
        self.midpoint(self.first + self.counts.len() as u64 - 1)
    }

    /// Type 7 with order statistics from [`Histogram::at_rank`].
    fn quantile(&self, probability: f64) -> f64 {
        let h = (self.total - 1) as f64 * probability;
        let below = h.floor();
        let (low, high) = (
            self.at_rank(below as u64),
            self.at_rank((below as u64 + 1).min(self.total - 1)),
        );
        (low + (h - below) * (high - low)).clamp(self.min, self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn exact(values: &[f64]) -> [f64; 5] {
        let s = estimators::summarize(values).unwrap();
        [s.p5, s.p25, s.p50, s.p75, s.p95]
    }

    #[test]
    fn up_to_the_limit_bands_are_the_exact_quantiles() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let runs: Vec<[f64; 2]> = (0..500)
            .map(|_| [rng.random_range(1e5..2e5), rng.random_range(3e6..9e6)])
            .collect();
        let mut bands = Bands::new(2);
        for run in &runs {
            bands.add(run);
        }
        assert_eq!(bands.method(), BandMethod::Exact);
        let got = bands.quantiles().unwrap();
        for cell in 0..2 {
            let column: Vec<f64> = runs.iter().map(|r| r[cell]).collect();
            assert_eq!(got[cell], exact(&column));
        }
    }

    #[test]
    fn beyond_it_histograms_stay_within_the_stated_error_in_any_order() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        // A narrow cell, a wide one (three orders of magnitude: coarser levels) and a constant.
        let runs: Vec<[f64; 3]> = (0..EXACT_RUNS + 3000)
            .map(|_| {
                [
                    1.6e7 * (1.0 + 0.03 * rng.random::<f64>()),
                    10f64.powf(rng.random_range(3.0..6.0)),
                    656_683.0,
                ]
            })
            .collect();
        let mut forward = Bands::new(3);
        let mut backward = Bands::new(3);
        for run in &runs {
            forward.add(run);
        }
        for run in runs.iter().rev() {
            backward.add(run);
        }
        let BandMethod::Histogram { max_relative_error } = forward.method() else {
            panic!("expected histograms beyond {EXACT_RUNS} runs");
        };
        assert!(
            max_relative_error > 6.1e-5,
            "the wide cell needs coarser bins"
        );
        let got = forward.quantiles().unwrap();
        assert_eq!(got, backward.quantiles().unwrap());
        for (cell, bands) in got.iter().enumerate() {
            let column: Vec<f64> = runs.iter().map(|r| r[cell]).collect();
            let level = forward.histograms[cell].level;
            let bound = 2f64.powi(level as i32 - 14);
            assert!(forward.histograms[cell].counts.len() <= MAX_BINS);
            for (got, want) in bands.iter().zip(exact(&column)) {
                assert!(
                    ((got - want) / want).abs() <= bound,
                    "cell {cell}: {got} vs {want} (level {level})"
                );
            }
        }
        assert_eq!(forward.histograms[0].level, 0);
        assert_eq!(
            got[2], [656_683.0; 5],
            "a constant cell is reported exactly"
        );
    }
}
