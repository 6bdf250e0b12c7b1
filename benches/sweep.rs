//! Sweep throughput: runs per second of a 10,000-run Sobol sweep of the 44-unit model (the
//! shipped `sobol.ron` with 2,048 base samples, i.e. 16,384 design rows, of which the first
//! 10,000 are run) on 2 worker threads (`SWEEP_THREADS` to change). Every run sets up and
//! recalibrates the base year for its parameter set, then runs 2014→2030: what
//! `simulate sweep` does per design row, without writing files. The goal is
//! ≥ 20,000 runs/s on 2 threads.
//!
//! cargo bench --bench sweep

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

use simulate::sweep::run::{self, Method};

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
}

criterion_group!(benches, sweep_benches);
criterion_main!(benches);
