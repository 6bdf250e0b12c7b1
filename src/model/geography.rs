//! Travel times between units from coordinates (MODEL.md, "Travel time default").

use nalgebra::DMatrix;

const EARTH_RADIUS_KM: f64 = 6371.0;

/// Great-circle (haversine) distance in km between two points given in degrees.
pub fn great_circle_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let dphi = phi2 - phi1;
    let dlambda = (lon2 - lon1).to_radians();
    let h = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// How door-to-door road times are built from distances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoadSpeeds {
    /// Road distance ÷ great-circle distance.
    pub detour_factor: f64,
    /// Expressway speed, km/h.
    pub road_speed_kmh: f64,
    /// Added to every trip between units, h.
    pub terminal_hours: f64,
    /// Speed inside a unit, km/h.
    pub local_speed_kmh: f64,
}

/// N×N great-circle distances (km) between the points.
pub fn distances_km(lat: &[f64], lon: &[f64]) -> DMatrix<f64> {
    let n = lat.len();
    DMatrix::from_fn(n, n, |i, j| great_circle_km(lat[i], lon[i], lat[j], lon[j]))
}

/// N×N generalised travel times (h) from great-circle distances: T_ij = d_ij·c/v + t0 between
/// units, and the own-unit time T_ii = 0.5·√(area_i/π)/v_local (half the radius of a disc of the
/// unit's area).
pub fn travel_hours(
    distances_km: &DMatrix<f64>,
    area_km2: &[f64],
    speeds: RoadSpeeds,
) -> DMatrix<f64> {
    let n = area_km2.len();
    DMatrix::from_fn(n, n, |i, j| {
        if i == j {
            0.5 * (area_km2[i] / std::f64::consts::PI).sqrt() / speeds.local_speed_kmh
        } else {
            distances_km[(i, j)] * speeds.detour_factor / speeds.road_speed_kmh
                + speeds.terminal_hours
        }
    })
}

/// [`travel_hours`] straight from coordinates.
pub fn road_travel_hours(
    lat: &[f64],
    lon: &[f64],
    area_km2: &[f64],
    speeds: RoadSpeeds,
) -> DMatrix<f64> {
    travel_hours(&distances_km(lat, lon), area_km2, speeds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        assert_relative_eq!(
            great_circle_km(30.0, 104.0, 31.0, 104.0),
            111.19,
            epsilon = 0.01
        );
        assert_eq!(great_circle_km(30.0, 104.0, 30.0, 104.0), 0.0);
    }

    #[test]
    fn travel_times_are_symmetric_and_follow_the_formula() {
        let speeds = RoadSpeeds {
            detour_factor: 1.3,
            road_speed_kmh: 80.0,
            terminal_hours: 0.5,
            local_speed_kmh: 30.0,
        };
        // Chengdu and Yuzhong (Chongqing): ≈ 268 km apart.
        let t = road_travel_hours(&[30.66, 29.56], &[104.06, 106.56], &[14335.0, 23.2], speeds);
        assert_relative_eq!(t[(0, 1)], t[(1, 0)]);
        let d = great_circle_km(30.66, 104.06, 29.56, 106.56);
        assert!((260.0..275.0).contains(&d), "{d}");
        assert_relative_eq!(t[(0, 1)], d * 1.3 / 80.0 + 0.5);
        assert_relative_eq!(
            t[(0, 0)],
            0.5 * (14335.0 / std::f64::consts::PI).sqrt() / 30.0
        );
    }
}
