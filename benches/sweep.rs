//! Sweep throughput: runs per second of a 10,000-run Sobol sweep of the 44-unit model (the
//! shipped `sobol.ron` with 2,048 base samples, i.e. 16,384 design rows, of which the first
//! 10,000 are run) on 2 worker threads (`SWEEP_THREADS` to change). Every run sets up and
//! recalibrates the base year for its parameter set, then runs 2014→2030: what
//! `simulate sweep` does per design row, without writing files. The goal set for sweeps
//! is ≥ 20,000 runs/s on 2 threads (README, *Speed and memory*).
//!
//! A second group times the two halves of a run on one thread, over the first 512 rows of the
//! same design: `prepare_warm` (setup and calibration from the base's solution, as sweeps do),
//! `prepare_cold` (the same without the warm start) and `simulate` (the time loop).
//!
//! cargo bench --bench sweep

use std::path::Path;

use criterion::{black_box, criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

use simulate::engine::{self, RunOptions, Silent, Trajectory};
use simulate::model::params::spec_index;
use simulate::scenario::Scenario;
use simulate::sweep::run::{self, Method};
use simulate::sweep::sampling;

const RUNS: usize = 10_000;

fn sweep_benches(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweeps/sobol.ron");
    let mut sweep = run::load(&path).expect("the shipped sweep loads");
    sweep.method = Method::Sobol { base_samples: 2048 };
    let design = run::design_rows(&sweep).expect("the design builds");
    assert!(design.len() >= RUNS);
    let threads = std::env::var("SWEEP_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(2);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("worker threads start");
    let mut group = c.benchmark_group("sweep_sobol");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(std::time::Duration::from_secs(12))
        .throughput(Throughput::Elements(RUNS as u64));
    group.bench_function(format!("runs_10000_threads_{threads}"), |b| {
        b.iter(|| pool.install(|| run::run_rows(&sweep, &design, 0..RUNS)))
    });
    group.finish();

    // The halves of a run, one thread.
    let rows = 512;
    let distributions: Vec<_> = sweep
        .factors
        .iter()
        .map(|f| f.distribution.clone())
        .collect();
    let indices: Vec<usize> = sweep
        .factors
        .iter()
        .map(|f| spec_index(&f.name).expect("a parameter"))
        .collect();
    let scenarios: Vec<Scenario> = (0..rows)
        .map(|i| {
            let values = sampling::to_parameters(design.row(i), &distributions).expect("values");
            Scenario {
                params: sweep
                    .base
                    .params
                    .with_values_at(indices.iter().copied().zip(values))
                    .expect("stable"),
                ..sweep.base.clone()
            }
        })
        .collect();
    let warm = sweep.warm.as_ref().expect("the base sets up");
    let prepared: Vec<_> = scenarios
        .iter()
        .map(|s| engine::prepare_warm(&sweep.data, &sweep.derived, warm, s).expect("prepares"))
        .collect();
    let mut group = c.benchmark_group("sweep_run_halves");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(rows as u64));
    group.bench_function("prepare_warm", |b| {
        b.iter(|| {
            for s in &scenarios {
                black_box(engine::prepare_warm(&sweep.data, &sweep.derived, warm, s).unwrap());
            }
        })
    });
    group.bench_function("prepare_cold", |b| {
        b.iter(|| {
            for s in &scenarios {
                black_box(engine::prepare_with(&sweep.data, &sweep.derived, s).unwrap());
            }
        })
    });
    let mut trajectory = Trajectory::default();
    group.bench_function("simulate", |b| {
        b.iter(|| {
            for p in &prepared {
                engine::simulate_into(p, &RunOptions::default(), &mut Silent, &mut trajectory);
                black_box(&trajectory);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, sweep_benches);
criterion_main!(benches);
