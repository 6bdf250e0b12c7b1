//! Golden summaries of the shipped scenarios. A change in the numbers is a change in behaviour:
//! review it, then regenerate with `UPDATE_GOLDEN=1 cargo test --test it golden`.

use simulate::engine::{self, RunOptions, Silent};
use simulate::report::{self, RunReport};
use simulate::scenario;

use super::cli::{assert_success, root};

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
        parameter_spread: None,
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

/// A backtest the README reports ("How good is it?"): its summary is golden, and every
/// MAPE / median APE / bias triple and every model coverage pair of it appears in the README.
fn check_readme_backtest(scenario: &str, observed: &str, golden: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("backtest");
    let out = super::cli::simulate(
        &[
            "backtest",
            root().join(scenario).to_str().unwrap(),
            "--observed",
            root().join(observed).to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--quiet",
        ],
        tmp.path(),
    );
    assert_success(&out);
    // The summary over all units and the one per kind of unit, each against its golden file.
    let compare = |file: &str, golden: String| -> String {
        let got = std::fs::read_to_string(out_dir.join(file)).unwrap();
        let path = root().join("tests/golden").join(golden);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &got).unwrap();
        } else {
            let expected = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                got == expected,
                "{file} of the backtest of {scenario} against {observed} changed; review, update README \"How good is it?\" and run UPDATE_GOLDEN=1 cargo test --test it golden\n--- expected\n{expected}\n--- got\n{got}"
            );
        }
        got
    };
    let summary = compare("backtest_summary.csv", golden.to_string());
    let groups = compare(
        "backtest_groups.csv",
        golden.replace("backtest_summary", "backtest_groups"),
    );
    // Bold marks the lowest MAPE of a row; the cells are compared without it.
    let readme = std::fs::read_to_string(root().join("README.md"))
        .unwrap()
        .replace("**", "");
    // The README's table by kind of unit: population MAPE of the four forecasts per kind.
    let mut by_group: Vec<(String, Vec<String>)> = Vec::new();
    for line in groups.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        if fields[2] != "population" {
            continue;
        }
        let mape = format!("{:.2}", fields[5].parse::<f64>().unwrap());
        match by_group.last_mut() {
            Some((group, cells)) if *group == fields[0] => cells.push(mape),
            _ => by_group.push((fields[0].to_string(), vec![fields[1].to_string(), mape])),
        }
    }
    for (group, cells) in by_group {
        let row = format!("| {} |", cells.join(" | "));
        assert!(
            readme.contains(&row),
            "README.md's table by kind of unit for {scenario} against {observed} lacks `{row}` ({group})"
        );
    }
    for line in summary.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let number = |i: usize| fields[i].parse::<f64>().unwrap();
        let cell = format!(
            "| {:.2} | {:.2} | {:+.2} |",
            number(3),
            number(4),
            number(5)
        )
        .replace('-', "−");
        assert!(
            readme.contains(&cell),
            "README.md's table for {scenario} against {observed} lacks `{cell}` ({line})"
        );
        if fields[1] == "model" {
            let coverage = format!(
                "| {:.0} % / {:.0} % |",
                100.0 * number(10),
                100.0 * number(11)
            );
            assert!(
                readme.contains(&coverage),
                "README.md's table for {scenario} against {observed} lacks `{coverage}` ({line})"
            );
        }
    }
}

#[test]
fn the_readme_shows_the_current_hindcast_backtest() {
    check_readme_backtest(
        "scenarios/hindcast_2010.ron",
        "data/observed_2014.csv",
        "hindcast_backtest_summary.csv",
    );
}

#[test]
fn the_readme_shows_the_current_out_of_sample_backtests() {
    check_readme_backtest(
        "scenarios/hindcast_2010.ron",
        "data/observed_2017_2018.csv",
        "hindcast_2017_2018_backtest_summary.csv",
    );
    check_readme_backtest(
        "scenarios/baseline.ron",
        "data/observed_2017_2018.csv",
        "baseline_2017_2018_backtest_summary.csv",
    );
}
