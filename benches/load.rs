//! Loading a scenario file is linear in its size: parse + validate of a 100,000-lever file,
//! valid and with a problem in every lever (each located by line and column).
//!
//! cargo bench --bench load

use criterion::{black_box, criterion_group, criterion_main, Criterion};

use simulate::data::Dataset;
use simulate::scenario;

fn levers(n: usize, unit: &str) -> String {
    let mut text =
        String::from("(\n    name: \"many\",\n    // one lever per line\n    policies: [\n");
    for i in 0..n {
        text.push_str(&format!(
            "        LandCap(name: \"cap{i}\", year: 2020, unit: \"{unit}\", km2: 900.0),\n"
        ));
    }
    text.push_str("    ],\n)\n");
    text
}

fn load_benches(c: &mut Criterion) {
    let data = Dataset::embedded();
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    for (label, unit) in [
        ("100000_levers", "chengdu"),
        ("100000_bad_levers", "chengduu"),
    ] {
        let text = levers(scenario::MAX_LEVERS, unit);
        group.bench_function(label, |b| {
            b.iter(|| {
                let file = scenario::parse("many.ron", black_box(&text)).expect("parses");
                black_box(scenario::validate("many.ron", &text, file, &data).is_ok())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, load_benches);
criterion_main!(benches);
