//! Synthetic regions of any size, for benchmarks and scaling tests: the 44 real units repeated
//! with their census and base-year values, placed on a spiral over the plan area's extent.
//! No history (so no unit trends), no targets, no transport links.

use super::{DataSource, Dataset, NationalTotals, Unit};

/// A dataset with `n` units built from the embedded one. Deterministic.
pub fn synthetic(n: usize) -> Dataset {
    let real = Dataset::embedded();
    let m = real.units.len();
    let golden_angle = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    let units: Vec<Unit> = (0..n)
        .map(|k| {
            let template = &real.units[k % m];
            let radius = (k as f64 / n as f64).sqrt();
            let angle = k as f64 * golden_angle;
            Unit {
                id: format!("u{k:04}"),
                name_zh: template.name_zh.clone(),
                name_en: format!("{} #{k}", template.name_en),
                lat: 30.0 + 1.6 * radius * angle.sin(),
                lon: 106.0 + 3.0 * radius * angle.cos(),
                ..template.clone()
            }
        })
        .collect();
    let census = (0..n).map(|k| real.census[k % m].clone()).collect();
    let census_2000_population = (0..n).map(|k| real.census_2000_population[k % m]).collect();
    let base: Vec<_> = (0..n).map(|k| real.base[k % m].clone()).collect();
    let scale = n as f64 / m as f64;
    Dataset {
        source: DataSource::Embedded,
        units,
        census,
        census_2000_population,
        base,
        history: Default::default(),
        macro_drivers: real.macro_drivers.clone(),
        targets: Vec::new(),
        central_urban: super::central_urban::CentralUrban::default(),
        national: NationalTotals {
            population: real.national.population * scale,
            gdp: real.national.gdp * scale,
            area_km2: real.national.area_km2 * scale,
        },
        transport_links: Vec::new(),
        hashes: real.hashes.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_regions_have_the_requested_size_and_run() {
        let data = synthetic(100);
        assert_eq!(data.units.len(), 100);
        assert!(data.national.population > data.base_population_total());
        let scenario = crate::scenario::Scenario::default_for_tests();
        let prepared = crate::engine::prepare(&data, &scenario).unwrap();
        assert_eq!(prepared.units(), 100);
    }
}
