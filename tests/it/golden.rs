//! Golden summaries of the shipped scenarios. A change in the numbers is a change in behaviour:
//! review it, then regenerate with `UPDATE_GOLDEN=1 cargo test --test it golden`.

use simulate::engine::{self, RunOptions, Silent};
use simulate::report::{self, RunReport};
use simulate::scenario;

use super::cli::root;

fn check_golden(scenario_file: &str, golden: &str) {
    let (scenario, data) =
        scenario::load(&root().join(scenario_file)).expect("shipped scenario loads");
    let prepared = engine::prepare(&data, &scenario).expect("shipped scenario prepares");
    let options = RunOptions {
        flow_matrix_years: report::migration_years(&scenario),
    };
    let trajectory = engine::simulate(&prepared, &options, &mut Silent);
    let summary = report::summary(&RunReport {
        data: &data,
        scenario: &scenario,
        prepared: &prepared,
        trajectory: &trajectory,
    });
    let path = root().join("tests/golden").join(golden);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &summary).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run UPDATE_GOLDEN=1 cargo test --test it golden",
            path.display()
        )
    });
    assert!(
        summary == expected,
        "the summary of {scenario_file} changed; review and run UPDATE_GOLDEN=1 cargo test --test it golden\n--- expected\n{expected}\n--- got\n{summary}"
    );
}

#[test]
fn baseline_summary_matches_the_golden_file() {
    check_golden("scenarios/baseline.ron", "baseline_summary.txt");
}

#[test]
fn the_readme_shows_the_current_baseline_summary() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let golden = std::fs::read_to_string(root().join("tests/golden/baseline_summary.txt")).unwrap();
    assert!(
        readme.contains(golden.trim_end()),
        "README.md's sample output is stale: paste tests/golden/baseline_summary.txt into it"
    );
}
