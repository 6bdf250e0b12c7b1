//! Urban share as a logistic curve in time (MODEL.md, "Population accounting").

/// U(t) = U_max / (1 + exp(−k·(t − t_mid))), anchored on one observed share. A unit already at or
/// above the ceiling (Yuzhong is 100% urban) keeps its observed share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UrbanCurve {
    Logistic {
        ceiling: f64,
        rate: f64,
        midpoint: f64,
    },
    Constant(f64),
}

impl UrbanCurve {
    /// The curve through `share` in `year` with the given ceiling and speed.
    pub fn anchored(share: f64, year: f64, ceiling: f64, rate: f64) -> UrbanCurve {
        if share >= ceiling || rate <= 0.0 || share <= 0.0 {
            return UrbanCurve::Constant(share);
        }
        // share = ceiling / (1 + exp(−k(year − mid)))  ⇒  mid = year + ln(ceiling/share − 1)/k
        let midpoint = year + (ceiling / share - 1.0).ln() / rate;
        UrbanCurve::Logistic {
            ceiling,
            rate,
            midpoint,
        }
    }

    pub fn share(&self, year: f64) -> f64 {
        match *self {
            UrbanCurve::Logistic {
                ceiling,
                rate,
                midpoint,
            } => ceiling / (1.0 + (-rate * (year - midpoint)).exp()),
            UrbanCurve::Constant(share) => share,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn the_curve_passes_through_its_anchor_and_rises_towards_the_ceiling() {
        let curve = UrbanCurve::anchored(0.45, 2014.0, 0.8, 0.088);
        assert_relative_eq!(curve.share(2014.0), 0.45, epsilon = 1e-12);
        assert!(curve.share(2020.0) > 0.45 && curve.share(2030.0) < 0.8);
        assert!(curve.share(2030.0) > curve.share(2020.0));
    }

    #[test]
    fn shares_above_the_ceiling_stay_put() {
        assert_eq!(
            UrbanCurve::anchored(1.0, 2010.0, 0.82, 0.1).share(2030.0),
            1.0
        );
    }
}
