//! Accuracy metrics of forecasts against observations. Pure: slices in, numbers out; no IO.
//!
//! Conventions (see docs/BACKTEST.md): the signed percentage error of a forecast `p` of an
//! observation `o` is `100·(p − o)/o` (positive = the forecast is too high); the log error is
//! `ln p − ln o`; growth is a value divided by the same unit's start-year value. A metric that
//! is undefined for the data at hand (no observations, fewer than two for a correlation, all
//! ranks tied) is `None`, never a panic and never a made-up number.

/// Signed percentage error `100·(predicted − observed)/observed`.
pub fn pct_error(predicted: f64, observed: f64) -> f64 {
    100.0 * (predicted - observed) / observed
}

/// Log error `ln predicted − ln observed` (symmetric: a factor 2 too high is +0.693, too low −0.693).
pub fn log_error(predicted: f64, observed: f64) -> f64 {
    predicted.ln() - observed.ln()
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Median (the mean of the two middle values for an even count); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 0 {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    })
}

/// Relative difference below which two values count as tied when ranking: ratios such as
/// `start · f / start` differ from `f` in the last bits, and that noise must not invent an order.
pub const TIE_TOLERANCE: f64 = 1e-12;

fn tied(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= TIE_TOLERANCE * a.abs().max(b.abs())
}

/// Ranks from 1 to n; tied values (equal to within [`TIE_TOLERANCE`], relative to the smallest
/// of the group) share the average of the ranks they span.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
    let mut out = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && tied(values[order[end]], values[order[start]]) {
            end += 1;
        }
        // Positions start..end (0-based) hold ranks start+1 ..= end; their mean:
        let rank = (start + 1 + end) as f64 / 2.0;
        for &index in &order[start..end] {
            out[index] = rank;
        }
        start = end;
    }
    out
}

/// Pearson correlation; `None` for fewer than two pairs, unequal lengths, non-finite values
/// or a constant series.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let (mx, my) = (mean(x)?, mean(y)?);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// Spearman rank correlation: the Pearson correlation of the ranks (average ranks for ties).
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    pearson(&ranks(x), &ranks(y))
}

/// −1, 0 or +1: the direction of a growth factor (value / start value) relative to 1.
fn direction(growth: f64) -> i8 {
    if growth > 1.0 {
        1
    } else if growth < 1.0 {
        -1
    } else {
        0
    }
}

/// Share (0–1) of pairs whose growth factors point the same way (both up, both down, or both
/// exactly unchanged); `None` when empty.
pub fn sign_agreement(predicted_growth: &[f64], observed_growth: &[f64]) -> Option<f64> {
    let n = predicted_growth.len().min(observed_growth.len());
    if n == 0 {
        return None;
    }
    let agree = predicted_growth
        .iter()
        .zip(observed_growth)
        .filter(|(p, o)| direction(**p) == direction(**o))
        .count();
    Some(agree as f64 / n as f64)
}

/// The accuracy of one forecast of one variable over a set of observations.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Observations used (those with positive, finite forecast, observation and start value).
    pub n: usize,
    /// Mean absolute percentage error, %.
    pub mape_pct: Option<f64>,
    /// Median absolute percentage error, %.
    pub median_ape_pct: Option<f64>,
    /// Mean signed percentage error, % (positive: forecasts too high on average).
    pub bias_pct: Option<f64>,
    /// Root mean square of the log errors.
    pub rmse_log: Option<f64>,
    /// Spearman correlation of predicted and observed growth since the start year, relative to
    /// a reference growth of the same years ([`summarise`]).
    pub spearman_growth: Option<f64>,
    /// Share (0–1) of observations whose predicted growth has the observed sign.
    pub sign_agreement: Option<f64>,
    /// Error of the sum over the observations, %: 100·(Σ predicted − Σ observed)/Σ observed.
    pub total_error_pct: Option<f64>,
}

/// All metrics of `predicted` against `observed`, with `start` the start-year values and
/// `reference` what each observation's growth is ranked relative to (four slices paired by
/// position; extra elements of a longer slice are ignored). Growth and its direction are
/// value ÷ start; the rank correlation is of value ÷ reference, so that observations of
/// different years (or of year-end and annual-average values) are ranked on their growth beyond
/// a common one rather than on their horizons; with `reference` = `start` it is the plain rank
/// correlation of growth. Tuples with a non-finite or non-positive member are left out (and not
/// counted in `n`).
pub fn summarise(predicted: &[f64], observed: &[f64], start: &[f64], reference: &[f64]) -> Summary {
    let usable = |v: f64| v.is_finite() && v > 0.0;
    let tuples: Vec<(f64, f64, f64, f64)> = predicted
        .iter()
        .zip(observed)
        .zip(start)
        .zip(reference)
        .map(|(((&p, &o), &s), &r)| (p, o, s, r))
        .filter(|&(p, o, s, r)| usable(p) && usable(o) && usable(s) && usable(r))
        .collect();
    let errors: Vec<f64> = tuples.iter().map(|&(p, o, _, _)| pct_error(p, o)).collect();
    let absolute: Vec<f64> = errors.iter().map(|e| e.abs()).collect();
    let squared_logs: Vec<f64> = tuples
        .iter()
        .map(|&(p, o, _, _)| log_error(p, o).powi(2))
        .collect();
    let predicted_growth: Vec<f64> = tuples.iter().map(|&(p, _, s, _)| p / s).collect();
    let observed_growth: Vec<f64> = tuples.iter().map(|&(_, o, s, _)| o / s).collect();
    let predicted_relative: Vec<f64> = tuples.iter().map(|&(p, _, _, r)| p / r).collect();
    let observed_relative: Vec<f64> = tuples.iter().map(|&(_, o, _, r)| o / r).collect();
    Summary {
        n: tuples.len(),
        mape_pct: mean(&absolute),
        median_ape_pct: median(&absolute),
        bias_pct: mean(&errors),
        rmse_log: mean(&squared_logs).map(f64::sqrt),
        spearman_growth: spearman(&predicted_relative, &observed_relative),
        sign_agreement: sign_agreement(&predicted_growth, &observed_growth),
        total_error_pct: (!tuples.is_empty()).then(|| {
            let predicted: f64 = tuples.iter().map(|t| t.0).sum();
            let observed: f64 = tuples.iter().map(|t| t.1).sum();
            pct_error(predicted, observed)
        }),
    }
}

/// MAPE, %, after each forecast is scaled so that within every group its sum equals the observed
/// sum: what is left of the error once the group totals are right (e.g. with the observed
/// provincial totals imposed, it scores only how a forecast spreads people within a province).
/// Pairs with a non-finite or non-positive member are left out; `None` when none is left.
pub fn mape_with_group_totals<G: Ord + Copy>(
    predicted: &[f64],
    observed: &[f64],
    groups: &[G],
) -> Option<f64> {
    use std::collections::BTreeMap;
    let usable = |v: f64| v.is_finite() && v > 0.0;
    let pairs: Vec<(f64, f64, G)> = predicted
        .iter()
        .zip(observed)
        .zip(groups)
        .map(|((&p, &o), &g)| (p, o, g))
        .filter(|&(p, o, _)| usable(p) && usable(o))
        .collect();
    let mut sums: BTreeMap<G, (f64, f64)> = BTreeMap::new();
    for &(p, o, g) in &pairs {
        let sum = sums.entry(g).or_insert((0.0, 0.0));
        sum.0 += p;
        sum.1 += o;
    }
    let absolute: Vec<f64> = pairs
        .iter()
        .map(|&(p, o, g)| {
            let (predicted_sum, observed_sum) = sums[&g];
            pct_error(p * observed_sum / predicted_sum, o).abs()
        })
        .collect();
    mean(&absolute)
}

/// Observations with their differential growth since the last census divided by `capture`
/// (φ, the share of true differential growth that annual estimates catch): within every group
/// (a province in one year), `census_i·exp(ḡ + (ln(observed_i/census_i) − ḡ)/φ)` with ḡ the
/// group's growth since the census, then scaled so that the group keeps its observed sum. What
/// a census would have counted, if the estimates smooth differences between units as they did
/// in the 2000s. The common factor exp(ḡ(1 − 1/φ)) cancels in the scaling, so each value is the
/// group's observed sum shared in proportion to `census_i·(observed_i/census_i)^(1/φ)`.
/// One value per observation, paired with `census` and `groups` by position; NaN where a
/// member is missing, non-finite or non-positive (such values do not count in their group).
pub fn census_adjusted<G: Ord + Copy>(
    observed: &[f64],
    census: &[f64],
    groups: &[G],
    capture: f64,
) -> Vec<f64> {
    use std::collections::BTreeMap;
    let usable = |v: f64| v.is_finite() && v > 0.0;
    // (group, observed, weight) of every usable observation, by position.
    let members: Vec<Option<(G, f64, f64)>> = (0..observed.len())
        .map(|i| {
            let (o, c, g) = (observed[i], *census.get(i)?, *groups.get(i)?);
            (usable(o) && usable(c)).then(|| (g, o, c * (o / c).powf(1.0 / capture)))
        })
        .collect();
    let mut sums: BTreeMap<G, (f64, f64)> = BTreeMap::new();
    for &(g, o, w) in members.iter().flatten() {
        let sum = sums.entry(g).or_insert((0.0, 0.0));
        sum.0 += o;
        sum.1 += w;
    }
    members
        .iter()
        .map(|m| m.map_or(f64::NAN, |(g, _, w)| w * sums[&g].0 / sums[&g].1))
        .collect()
}

/// How much of a reference forecast's differential growth a forecast carries: the slope,
/// through the origin, of the forecast's log growth from the start on the reference's, each
/// taken relative to its group (a province in one year) as the start-weighted mean of the
/// group's log growth. 1 for the reference itself, 0 for a forecast that grows every member of a
/// group alike. With census momentum as the reference it is the share of the 2000→2010 census
/// differentials a forecast carries (docs/CALIBRATION.md §5). Members with a non-finite or
/// non-positive value are left out; `None` when the reference has no spread within any group.
pub fn persistence<G: Ord + Copy>(
    predicted: &[f64],
    reference: &[f64],
    start: &[f64],
    groups: &[G],
) -> Option<f64> {
    use std::collections::BTreeMap;
    let usable = |v: f64| v.is_finite() && v > 0.0;
    // (group, weight, forecast growth, reference growth) of every usable member.
    let members: Vec<(G, f64, f64, f64)> = (0..predicted.len())
        .filter_map(|i| {
            let (p, r, s, g) = (
                predicted[i],
                *reference.get(i)?,
                *start.get(i)?,
                *groups.get(i)?,
            );
            (usable(p) && usable(r) && usable(s)).then(|| (g, s, (p / s).ln(), (r / s).ln()))
        })
        .collect();
    let mut means: BTreeMap<G, (f64, f64, f64)> = BTreeMap::new();
    for &(g, w, x, y) in &members {
        let sums = means.entry(g).or_insert((0.0, 0.0, 0.0));
        *sums = (sums.0 + w, sums.1 + w * x, sums.2 + w * y);
    }
    let (mut cross, mut spread) = (0.0, 0.0);
    for &(g, _, x, y) in &members {
        let (w, wx, wy) = means[&g];
        let (forecast, reference) = (x - wx / w, y - wy / w);
        cross += forecast * reference;
        spread += reference * reference;
    }
    // Log growths that differ by less than 1e-12 are the same growth (rounding in the group
    // means): below that the reference has no spread, and a slope that small is none.
    (spread > 1e-24).then(|| {
        let slope = cross / spread;
        if slope.abs() < 1e-9 {
            0.0
        } else {
            slope
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn census_adjustment_stretches_differentials_and_keeps_group_sums() {
        // Two units that grew 10 % and 0 % since the census; φ = 0.5 doubles the gap in log
        // growth around the group's, and the group keeps its observed sum.
        let observed = [110.0, 100.0, 50.0];
        let census = [100.0, 100.0, 40.0];
        let adjusted = census_adjusted(&observed, &census, &[0, 0, 1], 0.5);
        assert_relative_eq!(adjusted[0] + adjusted[1], 210.0, epsilon = 1e-9);
        let gap = (adjusted[0] / census[0]).ln() - (adjusted[1] / census[1]).ln();
        assert_relative_eq!(gap, 2.0 * (1.1f64).ln(), epsilon = 1e-9);
        // A group of one keeps its value; φ = 1 changes nothing.
        assert_relative_eq!(adjusted[2], 50.0, epsilon = 1e-9);
        let same = census_adjusted(&observed, &census, &[0, 0, 1], 1.0);
        for (a, o) in same.iter().zip(&observed) {
            assert_relative_eq!(a, o, epsilon = 1e-9);
        }
        // Unusable members stay NaN and do not count in their group.
        let holes = census_adjusted(&[110.0, f64::NAN], &[100.0, 100.0], &[0, 0], 0.5);
        assert_relative_eq!(holes[0], 110.0, epsilon = 1e-9);
        assert!(holes[1].is_nan());
    }

    #[test]
    fn persistence_is_the_slope_of_differential_growth_on_the_reference() {
        // One group of two equal units: the reference grows them by ±10 % (log ±0.0953 around
        // the group), the forecast by +5 % and −5 %: about half of the differential.
        let start = [100.0, 100.0];
        let reference = [110.0, 1.0 / 1.1 * 100.0];
        let half = [105.0, 100.0 / 1.05];
        assert_relative_eq!(
            persistence(&half, &reference, &start, &[0, 0]).unwrap(),
            (1.05f64).ln() / (1.1f64).ln(),
            epsilon = 1e-12
        );
        // The reference carries all of itself; growing both alike carries none, whatever the
        // common rate; a second group's level does not leak into the first.
        assert_relative_eq!(
            persistence(&reference, &reference, &start, &[0, 0]).unwrap(),
            1.0
        );
        assert_relative_eq!(
            persistence(&[120.0, 120.0], &reference, &start, &[0, 0]).unwrap(),
            0.0
        );
        let two = persistence(
            &[105.0, 100.0 / 1.05, 300.0],
            &[110.0, 100.0 / 1.1, 50.0],
            &[100.0, 100.0, 100.0],
            &[0, 0, 1],
        );
        assert_relative_eq!(
            two.unwrap(),
            (1.05f64).ln() / (1.1f64).ln(),
            epsilon = 1e-12
        );
        // No spread in the reference: no slope.
        assert_eq!(persistence(&half, &[120.0, 120.0], &start, &[0, 0]), None);
    }

    #[test]
    fn percentage_and_log_errors() {
        // 110 against 100: 100·(110 − 100)/100 = +10 %; 90 against 100: −10 %.
        assert_relative_eq!(pct_error(110.0, 100.0), 10.0);
        assert_relative_eq!(pct_error(90.0, 100.0), -10.0);
        // ln 200 − ln 100 = ln 2 = 0.693147…; the reverse is −ln 2.
        assert_relative_eq!(
            log_error(200.0, 100.0),
            std::f64::consts::LN_2,
            epsilon = 1e-12
        );
        assert_relative_eq!(
            log_error(100.0, 200.0),
            -std::f64::consts::LN_2,
            epsilon = 1e-12
        );
    }

    #[test]
    fn group_totals_are_imposed_before_the_errors_are_taken() {
        // Group a: forecasts 90 and 110 (sum 200) against 100 and 300 (sum 400): scaled ×2 to
        // 180 and 220, errors +80 % and −26.67 %. Group b: 50 against 40, scaled to 40: 0 %.
        let mape = mape_with_group_totals(
            &[90.0, 110.0, 50.0],
            &[100.0, 300.0, 40.0],
            &['a', 'a', 'b'],
        )
        .unwrap();
        assert_relative_eq!(mape, (80.0 + 80.0 / 3.0 + 0.0) / 3.0, epsilon = 1e-12);
        // A forecast right up to a factor per group scores 0, whatever the factor.
        let exact = mape_with_group_totals(&[2.0, 4.0, 9.0], &[1.0, 2.0, 3.0], &[0, 0, 1]);
        assert_relative_eq!(exact.unwrap(), 0.0, epsilon = 1e-12);
        assert_eq!(mape_with_group_totals::<u8>(&[], &[], &[]), None);
        // Unusable pairs are left out, not scored.
        let kept = mape_with_group_totals(&[f64::NAN, 2.0], &[1.0, 1.0], &[0, 0]);
        assert_relative_eq!(kept.unwrap(), 0.0, epsilon = 1e-12);
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_relative_eq!(median(&[3.0, 1.0, 2.0]).unwrap(), 2.0);
        // sorted 1, 2, 4, 10: (2 + 4)/2 = 3
        assert_relative_eq!(median(&[10.0, 1.0, 4.0, 2.0]).unwrap(), 3.0);
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn ranks_average_ties() {
        // 10 20 20 30 → 1, (2+3)/2, (2+3)/2, 4
        assert_eq!(ranks(&[10.0, 20.0, 20.0, 30.0]), vec![1.0, 2.5, 2.5, 4.0]);
        // 5 5 5 → all (1+2+3)/3 = 2
        assert_eq!(ranks(&[5.0, 5.0, 5.0]), vec![2.0, 2.0, 2.0]);
        // unsorted input keeps its order: 3 1 2 → 3, 1, 2
        assert_eq!(ranks(&[3.0, 1.0, 2.0]), vec![3.0, 1.0, 2.0]);
        assert!(ranks(&[]).is_empty());
        // Rounding noise is a tie: 13·1.2345/13 ≠ 1.2345 in floating point, yet it is one value.
        let noisy = 13.0 * 1.2345 / 13.0;
        assert_ne!(noisy, 1.2345);
        assert_eq!(ranks(&[noisy, 1.2345, 2.0]), vec![1.5, 1.5, 3.0]);
        assert_eq!(spearman(&[noisy, 1.2345, 1.2345], &[1.0, 2.0, 3.0]), None);
        // … but a real difference of one part in a billion is not.
        assert_eq!(ranks(&[1.0 + 1e-9, 1.0]), vec![2.0, 1.0]);
    }

    #[test]
    fn spearman_without_ties() {
        // Same order: ρ = 1; reversed order: ρ = −1 (values need not be linear).
        assert_relative_eq!(
            spearman(&[1.0, 2.0, 3.0, 4.0], &[1.0, 10.0, 100.0, 1000.0]).unwrap(),
            1.0
        );
        assert_relative_eq!(
            spearman(&[1.0, 2.0, 3.0, 4.0], &[4.0, 3.0, 2.0, 1.0]).unwrap(),
            -1.0
        );
        // x ranks 1 2 3 4 5, y = (2, 1, 4, 3, 5) ranks 2 1 4 3 5; d = −1, 1, −1, 1, 0;
        // Σd² = 4; ρ = 1 − 6·4/(5·(25 − 1)) = 1 − 24/120 = 0.8.
        assert_relative_eq!(
            spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &[2.0, 1.0, 4.0, 3.0, 5.0]).unwrap(),
            0.8,
            epsilon = 1e-12
        );
    }

    #[test]
    fn spearman_with_ties_uses_average_ranks() {
        // x = (1, 2, 2, 3) → ranks (1, 2.5, 2.5, 4), mean 2.5, deviations (−1.5, 0, 0, 1.5)
        // y = (1, 3, 2, 4) → ranks (1, 3, 2, 4),     mean 2.5, deviations (−1.5, 0.5, −0.5, 1.5)
        // Σdx·dy = 2.25 + 0 + 0 + 2.25 = 4.5; Σdx² = 4.5; Σdy² = 2.25+0.25+0.25+2.25 = 5
        // ρ = 4.5 / √(4.5·5) = 4.5/√22.5 = 0.948683…
        assert_relative_eq!(
            spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 4.0]).unwrap(),
            4.5 / 22.5f64.sqrt(),
            epsilon = 1e-12
        );
    }

    #[test]
    fn spearman_degenerate_cases_are_none() {
        assert_eq!(spearman(&[], &[]), None);
        assert_eq!(spearman(&[1.0], &[2.0]), None, "n < 2");
        assert_eq!(
            spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]),
            None,
            "all tied"
        );
        assert_eq!(spearman(&[1.0, 2.0], &[1.0]), None, "unequal lengths");
        assert_eq!(spearman(&[1.0, f64::NAN], &[1.0, 2.0]), None);
    }

    #[test]
    fn sign_agreement_counts_directions() {
        // growth 1.1/1.2 agree (up), 0.9/1.05 disagree, 0.95/0.97 agree (down), 1.0/1.0 agree
        // (unchanged): 3 of 4 = 0.75.
        assert_relative_eq!(
            sign_agreement(&[1.1, 0.9, 0.95, 1.0], &[1.2, 1.05, 0.97, 1.0]).unwrap(),
            0.75
        );
        assert_eq!(sign_agreement(&[], &[]), None);
    }

    #[test]
    fn summary_by_hand() {
        // Three observations, start values 100 each:
        //   predicted 110, observed 100 → error +10 %, log ln 1.1  = 0.0953102
        //   predicted  90, observed 120 → error −25 %, log ln 0.75 = −0.2876821
        //   predicted 130, observed 125 → error  +4 %, log ln 1.04 = 0.0392207
        // MAPE = (10 + 25 + 4)/3 = 13; median APE = 10; bias = (10 − 25 + 4)/3 = −11/3
        // RMSE log = √((0.0953102² + 0.2876821² + 0.0392207²)/3)
        //          = √((0.0090840 + 0.0827610 + 0.0015383)/3) = √0.0311278 = 0.1764310
        // growth predicted (1.1, 0.9, 1.3) ranks (2, 1, 3); observed (1.0, 1.2, 1.25) ranks
        // (1, 2, 3): d = (1, −1, 0), Σd² = 2, ρ = 1 − 6·2/(3·8) = 0.5
        // signs: up/unchanged (disagree), down/up (disagree), up/up (agree): 1/3
        let s = summarise(
            &[110.0, 90.0, 130.0],
            &[100.0, 120.0, 125.0],
            &[100.0; 3],
            &[100.0; 3],
        );
        assert_eq!(s.n, 3);
        assert_relative_eq!(s.mape_pct.unwrap(), 13.0, epsilon = 1e-12);
        assert_relative_eq!(s.median_ape_pct.unwrap(), 10.0, epsilon = 1e-12);
        assert_relative_eq!(s.bias_pct.unwrap(), -11.0 / 3.0, epsilon = 1e-12);
        let rmse =
            ((1.1f64.ln().powi(2) + 0.75f64.ln().powi(2) + 1.04f64.ln().powi(2)) / 3.0).sqrt();
        assert_relative_eq!(s.rmse_log.unwrap(), rmse, epsilon = 1e-12);
        assert_relative_eq!(s.rmse_log.unwrap(), 0.176431, epsilon = 1e-6);
        assert_relative_eq!(s.spearman_growth.unwrap(), 0.5, epsilon = 1e-12);
        assert_relative_eq!(s.sign_agreement.unwrap(), 1.0 / 3.0, epsilon = 1e-12);
    }

    #[test]
    fn summary_of_degenerate_inputs() {
        let empty = summarise(&[], &[], &[], &[]);
        assert_eq!(empty.n, 0);
        assert_eq!(empty.mape_pct, None);
        assert_eq!(empty.median_ape_pct, None);
        assert_eq!(empty.bias_pct, None);
        assert_eq!(empty.rmse_log, None);
        assert_eq!(empty.spearman_growth, None);
        assert_eq!(empty.sign_agreement, None);
        // One observation: point metrics exist, the correlation does not.
        let one = summarise(&[105.0], &[100.0], &[90.0], &[90.0]);
        assert_eq!(one.n, 1);
        assert_relative_eq!(one.mape_pct.unwrap(), 5.0, epsilon = 1e-12);
        assert_eq!(one.spearman_growth, None);
        assert_relative_eq!(one.sign_agreement.unwrap(), 1.0);
        // Unusable triples (zero, negative, NaN, infinite) are skipped, not fatal.
        let odd = summarise(
            &[0.0, -1.0, f64::NAN, f64::INFINITY, 100.0],
            &[100.0, 100.0, 100.0, 100.0, 100.0],
            &[100.0, 100.0, 100.0, 100.0, 0.0],
            &[100.0; 5],
        );
        assert_eq!(odd.n, 0);
        assert_eq!(odd.mape_pct, None);
    }

    #[test]
    fn growth_is_ranked_beyond_the_reference_so_horizons_do_not_rank_units() {
        // Two units observed after 3 years, two after 4; everything grows 2 % a year, and the
        // second of each pair 1 % more in total. A forecast of 2 % a year for all (the reference
        // itself) knows nothing of the order; ranked on plain growth, the longer horizon alone
        // would give it ρ = 0.89.
        let start = [100.0; 4];
        let common = [
            1.02f64.powi(3),
            1.02f64.powi(3),
            1.02f64.powi(4),
            1.02f64.powi(4),
        ]
        .map(|g| 100.0 * g);
        let observed = [common[0], common[1] * 1.01, common[2], common[3] * 1.01];
        let uniform = summarise(&common, &observed, &start, &common);
        assert_eq!(uniform.spearman_growth, None);
        let plain = summarise(&common, &observed, &start, &start);
        assert_relative_eq!(
            plain.spearman_growth.unwrap(),
            0.894_427_190_999_915_9,
            epsilon = 1e-12
        );
        // A forecast that has the order within each horizon is right on every pair.
        let ordered = [common[0], common[1] * 1.005, common[2], common[3] * 1.005];
        let right = summarise(&ordered, &observed, &start, &common);
        assert_relative_eq!(right.spearman_growth.unwrap(), 1.0, epsilon = 1e-12);
        // Growth and its direction stay growth since the start.
        assert_eq!(right.sign_agreement, Some(1.0));
    }
}
