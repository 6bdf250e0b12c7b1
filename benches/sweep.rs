//! Sweep throughput: runs per second of the shipped Sobol sweep (every run recalibrates the base
//! year for its parameter set), on the threads rayon is given (RAYON_NUM_THREADS, default: all
//! cores). The goal is ≥ 20,000 runs/s on 2 threads.
//!
//! cargo bench --bench sweep

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use simulate::sweep::run;

fn sweep_benches(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweeps/sobol.ron");
    let sweep = run::load(&path).expect("the shipped sweep loads");
    let design = run::design_rows(&sweep).expect("the design builds");
    let rows = 256;
    let mut group = c.benchmark_group("sweep_sobol");
    group.sample_size(10);
    group.throughput(Throughput::Elements(rows as u64));
    group.bench_function("runs", |b| {
        b.iter(|| run::run_rows(&sweep, &design, 0..rows))
    });
    group.finish();
}

criterion_group!(benches, sweep_benches);
criterion_main!(benches);
