//! Calibration speed: `simulate calibrate` of the 2010 hindcast with the default parameter set
//! (ε, β, λ, γ, stay years; the trend decay is screened out), Nelder–Mead with restarts from
//! two starting points. The goal set for calibration: under a minute on 2 cores.
//!
//! cargo bench --bench calibrate

use criterion::{criterion_group, criterion_main, Criterion};

use simulate::calibrate::{self, Problem, Settings, DEFAULT_PARAMETERS};
use simulate::data::Dataset;
use simulate::engine::DataDerived;
use simulate::scenario::{Scenario, CENSUS_YEAR};

fn calibrate_benches(c: &mut Criterion) {
    let data = Dataset::embedded();
    let derived = DataDerived::new(&data);
    let scenario = Scenario {
        start_year: CENSUS_YEAR,
        ..Scenario::default_for_tests()
    };
    let names: Vec<String> = DEFAULT_PARAMETERS.iter().map(|s| s.to_string()).collect();
    let mut group = c.benchmark_group("calibrate");
    group.sample_size(10);
    group.bench_function("hindcast_2010_default_parameters", |b| {
        b.iter(|| {
            let problem = Problem::new(&data, &derived, &scenario, &names).expect("valid");
            calibrate::fit(problem, &Settings::default()).expect("fits")
        })
    });
    group.finish();
}

criterion_group!(benches, calibrate_benches);
criterion_main!(benches);
