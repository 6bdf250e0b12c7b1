//! Engine speed: one 2014→2030 run for the 44 plan units and for synthetic regions of 200 and
//! 1,000 units. `simulate` is the time loop alone (what a sweep repeats when only policies
//! change); `prepare` is setup plus base-year calibration; `run` is both.
//!
//! cargo bench --bench engine

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};

use simulate::data::{synthetic::synthetic, Dataset};
use simulate::engine::{self, RunOptions, Silent};
use simulate::scenario::Scenario;

fn engine_benches(c: &mut Criterion) {
    let scenario = Scenario::default_for_tests();
    let options = RunOptions::default();
    for n in [44usize, 200, 1000] {
        let data = if n == 44 {
            Dataset::embedded()
        } else {
            synthetic(n)
        };
        let prepared = engine::prepare(&data, &scenario).expect("benchmark scenario prepares");
        let mut group = c.benchmark_group(format!("units_{n}"));
        if n >= 200 {
            group.sample_size(10);
        }
        group.bench_function(BenchmarkId::new("simulate", n), |b| {
            b.iter(|| engine::simulate(black_box(&prepared), &options, &mut Silent))
        });
        group.bench_function(BenchmarkId::new("prepare", n), |b| {
            b.iter(|| engine::prepare(black_box(&data), &scenario).expect("prepares"))
        });
        group.bench_function(BenchmarkId::new("run", n), |b| {
            b.iter(|| {
                engine::run(black_box(&data), &scenario, &options, &mut Silent).expect("runs")
            })
        });
        group.finish();
    }
}

criterion_group!(benches, engine_benches);
criterion_main!(benches);
