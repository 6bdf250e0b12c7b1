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

/// Runs `simulate backtest` of `scenario` against `observed` and compares its
/// `backtest_summary.csv` with `tests/golden/<golden>` and its `backtest_groups.csv` with the
/// same name's `backtest_groups` version (both written instead with `UPDATE_GOLDEN`). Returns
/// the two files' text.
fn golden_backtest(
    scenario: &str,
    observed: &str,
    extra_args: &[&str],
    golden: &str,
) -> (String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("backtest");
    let (scenario_path, observed_path) = (root().join(scenario), root().join(observed));
    let mut args = vec![
        "backtest",
        scenario_path.to_str().unwrap(),
        "--observed",
        observed_path.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra_args);
    let out = super::cli::simulate(&args, tmp.path());
    assert_success(&out);
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
    (summary, groups)
}

/// A backtest the README reports ("How good is it?") in its tables: its summaries are golden,
/// and every MAPE / median APE / bias triple, every model coverage pair and every population
/// row of the table by kind of unit appears in the README.
fn check_readme_backtest(scenario: &str, observed: &str, golden: &str) {
    let (summary, groups) = golden_backtest(scenario, observed, &[], golden);
    // Bold marks the lowest MAPE of a row; the cells are compared without it.
    let readme = std::fs::read_to_string(root().join("README.md"))
        .unwrap()
        .replace("**", "");
    // The README's table by kind of unit: population MAPE of the four forecasts per kind.
    let mut by_group: Vec<(String, Vec<Vec<String>>)> = Vec::new();
    for line in groups.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        if fields[2] != "population" {
            continue;
        }
        let mape = two_decimals(fields[5], false);
        match by_group.last_mut() {
            Some((group, cells)) if *group == fields[0] => cells.push(mape),
            _ => by_group.push((
                fields[0].to_string(),
                vec![vec![fields[1].to_string()], mape],
            )),
        }
    }
    for (group, cells) in by_group {
        assert_readme_has_row(
            &readme,
            &cells,
            &format!("{scenario} against {observed}, {group}"),
        );
    }
    for line in summary.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let number = |i: usize| fields[i].parse::<f64>().unwrap();
        let cells = [
            two_decimals(fields[3], false),
            two_decimals(fields[4], false),
            two_decimals(fields[5], true),
        ];
        assert_readme_has_row(
            &readme,
            &cells,
            &format!("{scenario} against {observed}: {line}"),
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

/// The ways a metric the CSV writes with three decimals (`csv_value`) can read with two, as the
/// terminal, the page and the charts round the unrounded metric: 0.065 is 0.06 or 0.07. With
/// `signed`, a sign and the minus sign the README uses (−).
fn two_decimals(csv_value: &str, signed: bool) -> Vec<String> {
    let value: f64 = csv_value.parse().unwrap();
    let mut readings: Vec<String> = [value - 0.000_499_9, value, value + 0.000_499_9]
        .iter()
        .map(|v| {
            if signed {
                format!("{v:+.2}").replace('-', "−")
            } else {
                format!("{v:.2}")
            }
        })
        .collect();
    readings.dedup();
    readings
}

/// Fails unless the README holds a table row `| a | b | … |` whose cells are one reading each
/// of `cells` (in order), named in the message by `what`.
fn assert_readme_has_row(readme: &str, cells: &[Vec<String>], what: &str) {
    let mut rows = vec![String::from("|")];
    for readings in cells {
        rows = rows
            .iter()
            .flat_map(|row| readings.iter().map(move |cell| format!("{row} {cell} |")))
            .collect();
    }
    assert!(
        rows.iter().any(|row| readme.contains(row.as_str())),
        "README.md lacks a table row `{}` ({what})",
        rows.join("` or `")
    );
}

/// Fails unless the README (its lines joined, as Markdown reads them) holds `sentence`.
fn assert_readme_says(readme: &str, sentence: &str, where_: &str) {
    assert!(
        readme.contains(sentence),
        "README.md lacks `{sentence}` ({where_}); rerun the backtest and update it"
    );
}

/// Column `column` (0-based) of the `variable`, `forecast` row of a `backtest_summary.csv`.
fn summary_field(summary: &str, variable: &str, forecast: &str, column: usize) -> f64 {
    let line = summary
        .lines()
        .find(|l| l.starts_with(&format!("{variable},{forecast},")))
        .unwrap_or_else(|| panic!("no {variable},{forecast} row in\n{summary}"));
    line.split(',').nth(column).unwrap().parse().unwrap()
}

#[test]
fn the_readme_shows_the_current_gdp_backtests() {
    // GDP out of sample: the README quotes, per start, the MAPE with the provincial totals
    // imposed of the model, the regional rate and the trend, and the model's ρ (compared with
    // the README's lines joined, as Markdown reads them).
    let readme = std::fs::read_to_string(root().join("README.md"))
        .unwrap()
        .replace('\n', " ");
    for (scenario, golden) in [
        (
            "scenarios/baseline.ron",
            "baseline_gdp_2017_backtest_summary.csv",
        ),
        (
            "scenarios/hindcast_2010.ron",
            "hindcast_gdp_2017_backtest_summary.csv",
        ),
    ] {
        let (summary, _) = golden_backtest(scenario, "data/observed_gdp_2017.csv", &[], golden);
        let field =
            |forecast: &str, column: usize| summary_field(&summary, "gdp", forecast, column);
        let sentence = format!(
            "{:.2} % against the regional rate's {:.2} % and the trend's {:.2} %, ρ {:.2}",
            field("model", 12),
            field("naive_regional", 12),
            field("naive_trend", 12),
            field("model", 7)
        )
        .replace('-', "−");
        assert_readme_says(
            &readme,
            &sentence,
            &format!("the GDP paragraph, for {scenario}"),
        );
    }
}

#[test]
fn the_readme_shows_the_hindcast_on_published_values() {
    // The 2010 start against the 2014 populations that are published values (`--status
    // observed,derived`): the README quotes the MAPE of the four forecasts and the model's ρ.
    let readme = std::fs::read_to_string(root().join("README.md"))
        .unwrap()
        .replace('\n', " ");
    let (summary, _) = golden_backtest(
        "scenarios/hindcast_2010.ron",
        "data/observed_2014.csv",
        &["--status", "observed,derived"],
        "hindcast_published_backtest_summary.csv",
    );
    let field =
        |forecast: &str, column: usize| summary_field(&summary, "population", forecast, column);
    let sentence = format!(
        "MAPE is {:.2} % against the regional rate's {:.2} %, its trend's {:.2} % and census momentum's {:.2} % (ρ {:.2})",
        field("model", 3),
        field("naive_regional", 3),
        field("naive_trend", 3),
        field("census_momentum", 3),
        field("model", 7)
    );
    assert_readme_says(&readme, &sentence, "the hindcast on published values");
}
