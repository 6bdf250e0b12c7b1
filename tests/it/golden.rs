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

/// What a backtest wrote and printed.
struct Backtested {
    /// `backtest_summary.csv`.
    summary: String,
    /// The terminal summary: the README quotes its numbers, which are rounded once from the
    /// metrics (the CSVs' three decimals rounded again can differ in the last digit).
    terminal: String,
}

impl Backtested {
    /// The whitespace-separated fields of the terminal's summary-table row of `variable` and
    /// `forecast` (`population  model  44  1.92  1.55  -0.61 …`).
    fn row(&self, variable: &str, forecast: &str) -> Vec<&str> {
        self.terminal
            .lines()
            .map(|line| line.split_whitespace().collect::<Vec<_>>())
            .find(|fields| fields.len() > 5 && fields[0] == variable && fields[1] == forecast)
            .unwrap_or_else(|| panic!("no {variable} {forecast} row in\n{}", self.terminal))
    }

    /// The values of the terminal line that starts with `prefix` and lists forecasts as
    /// `model 1.96, naive_regional 2.45, …`, in order.
    fn listed(&self, prefix: &str) -> Vec<(&str, &str)> {
        let line = self
            .terminal
            .lines()
            .find(|line| line.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line `{prefix}…` in\n{}", self.terminal));
        line[prefix.len()..]
            .split(',')
            .map(|item| {
                let mut words = item.split_whitespace();
                (words.next().unwrap(), words.next().unwrap())
            })
            .collect()
    }

    /// The value of `forecast` in the terminal line that starts with `prefix`.
    fn listed_value(&self, prefix: &str, forecast: &str) -> &str {
        self.listed(prefix)
            .into_iter()
            .find(|(name, _)| *name == forecast)
            .unwrap_or_else(|| panic!("no {forecast} in the line `{prefix}…`"))
            .1
    }
}

/// A terminal number as the README writes it in a signed column: `+0.03`, `−0.61`.
fn signed(value: &str) -> String {
    match value.strip_prefix('-') {
        Some(magnitude) => format!("−{magnitude}"),
        None => format!("+{value}"),
    }
}

/// Runs `simulate backtest` of `scenario` against `observed` and compares its
/// `backtest_summary.csv` with `tests/golden/<golden>` and its `backtest_groups.csv` with the
/// same name's `backtest_groups` version (both written instead with `UPDATE_GOLDEN`).
fn golden_backtest(
    scenario: &str,
    observed: &str,
    extra_args: &[&str],
    golden: &str,
) -> Backtested {
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
    compare(
        "backtest_groups.csv",
        golden.replace("backtest_summary", "backtest_groups"),
    );
    Backtested {
        summary: compare("backtest_summary.csv", golden.to_string()),
        terminal: String::from_utf8(out.stdout).unwrap(),
    }
}

/// A backtest the README reports ("How good is it?") in its tables: its summaries are golden,
/// and every MAPE / median APE / bias triple, every model coverage pair and every population
/// row of the table by kind of unit appears in the README as the terminal prints it.
fn check_readme_backtest(scenario: &str, observed: &str, golden: &str) {
    let backtest = golden_backtest(scenario, observed, &[], golden);
    // Bold marks the lowest MAPE of a row; the cells are compared without it.
    let readme = std::fs::read_to_string(root().join("README.md"))
        .unwrap()
        .replace("**", "");
    let what = format!("{scenario} against {observed}");
    // The README's table by kind of unit: the population MAPE of the four forecasts per kind,
    // from lines such as `  population, Chengdu (1 unit): model 1.83, naive_regional 0.06, …`.
    for line in backtest.terminal.lines() {
        let Some(kind) = line.strip_prefix("  population, ") else {
            continue;
        };
        let (label, listed) = kind.split_once("): ").unwrap();
        let units = label
            .rsplit_once(" (")
            .unwrap()
            .1
            .split(' ')
            .next()
            .unwrap();
        let prefix = format!("  population, {label}): ");
        let mapes: Vec<&str> = backtest.listed(&prefix).iter().map(|(_, v)| *v).collect();
        let row = format!("| {units} | {} |", mapes.join(" | "));
        assert!(
            readme.contains(&row),
            "README.md's table by kind of unit for {what} lacks `{row}` ({listed})"
        );
    }
    // The short table at the top of "How good is it?": the model's population MAPE, the best
    // naive forecast's and the model's ρ.
    let mape = |forecast: &str| backtest.row("population", forecast)[3];
    let (best, label) = [
        ("naive_regional", "regional rate"),
        ("naive_trend", "own trend"),
        ("census_momentum", "census momentum"),
    ]
    .into_iter()
    .min_by(|a, b| {
        let value = |f: &str| mape(f).parse::<f64>().unwrap();
        value(a.0).total_cmp(&value(b.0))
    })
    .unwrap();
    let short = format!(
        "| {} | {} ({label}) | {:.2} |",
        mape("model"),
        mape(best),
        summary_field(&backtest.summary, "population", "model", 7)
    );
    assert!(
        readme.contains(&short),
        "README.md's short table for {what} lacks `{short}`"
    );
    // The leave-one-province-out α of each fold, as the README's cross-validation sentence
    // gives them (its lines joined, as Markdown reads them).
    let fitted = |province: &str| {
        let prefix = format!("  {province} held out: α = ");
        let line = backtest
            .terminal
            .lines()
            .find(|line| line.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no line `{prefix}…` in\n{}", backtest.terminal));
        line[prefix.len()..].split(' ').next().unwrap().to_string()
    };
    let folds = format!(
        "α = {} for Sichuan, {} for Chongqing",
        fitted("sichuan"),
        fitted("chongqing")
    );
    assert!(
        readme.replace('\n', " ").contains(&folds),
        "README.md's cross-validation sentence for {what} lacks `{folds}`"
    );
    for line in backtest.summary.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let terminal = backtest.row(fields[0], fields[1]);
        let cell = format!(
            "| {} | {} | {} |",
            terminal[3],
            terminal[4],
            signed(terminal[5])
        );
        assert!(
            readme.contains(&cell),
            "README.md's table for {what} lacks `{cell}` ({})",
            terminal.join(" ")
        );
        check_readme_rank_cells(&readme, &cell, &terminal, &what);
        if fields[1] == "model" {
            let prefix = format!("{}: model intervals cover ", fields[0]);
            let line = backtest
                .terminal
                .lines()
                .find(|l| l.starts_with(&prefix))
                .unwrap();
            let percents: Vec<&str> = line
                .split_whitespace()
                .filter(|w| w.chars().all(|c| c.is_ascii_digit()))
                .collect();
            let coverage = format!("| {} % / {} % |", percents[0], percents[1]);
            assert!(
                readme.contains(&coverage),
                "README.md's table for {what} lacks `{coverage}` ({line})"
            );
        }
    }
}

/// The cells after `cell` (MAPE, median APE, bias) in the README's row: ρ of growth and
/// direction right, which the terminal prints to three decimals and the README to two (any
/// rounding of the terminal's value is accepted, or `—` where it prints `—`), and the region
/// total, printed to two decimals and quoted exactly.
fn check_readme_rank_cells(readme: &str, cell: &str, terminal: &[&str], what: &str) {
    let line = readme.lines().find(|line| line.contains(cell)).unwrap();
    let after: Vec<&str> = line
        .split_once(cell)
        .unwrap()
        .1
        .split('|')
        .map(str::trim)
        .collect();
    let (rho, direction, total) = (after[0], after[1], after[2]);
    for (name, shown, printed) in [
        ("ρ growth", rho, terminal[7]),
        ("direction right", direction, terminal[8]),
    ] {
        let agrees = match (
            shown.replace('−', "-").parse::<f64>(),
            printed.parse::<f64>(),
        ) {
            (Ok(shown), Ok(printed)) => (shown - printed).abs() <= 0.005 + 1e-9,
            _ => shown == "—" && printed == "—",
        };
        assert!(
            agrees,
            "README.md's {name} for {what} is `{shown}`; the backtest prints {printed} ({line})"
        );
    }
    assert_eq!(
        total,
        signed(terminal[9]),
        "README.md's region total for {what} ({line})"
    );
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
        let backtest = golden_backtest(scenario, "data/observed_gdp_2017.csv", &[], golden);
        let imposed = |forecast: &str| {
            backtest.listed_value(
                "gdp: MAPE % with the observed provincial totals imposed: ",
                forecast,
            )
        };
        let sentence = format!(
            "{} % against the regional rate's {} % and the trend's {} %, ρ {:.2}",
            imposed("model"),
            imposed("naive_regional"),
            imposed("naive_trend"),
            summary_field(&backtest.summary, "gdp", "model", 7)
        )
        .replace('-', "−");
        assert_readme_says(
            &readme,
            &sentence,
            &format!("the GDP paragraph, for {scenario}"),
        );
        // Raw: the model against the regional rate and census momentum.
        let raw = |forecast: &str| backtest.row("gdp", forecast)[3].to_string();
        let raw_sentence = format!(
            "{} % against {} % and {} %",
            raw("model"),
            raw("naive_regional"),
            raw("census_momentum")
        );
        assert_readme_says(
            &readme,
            &raw_sentence,
            &format!("the GDP paragraph's raw MAPE, for {scenario}"),
        );
        if scenario == "scenarios/baseline.ron" {
            let bias = |forecast: &str| signed(backtest.row("gdp", forecast)[5]);
            let bias_sentence = format!(
                "bias {} % against {} %",
                bias("model"),
                bias("naive_regional")
            );
            assert_readme_says(&readme, &bias_sentence, "the GDP paragraph's raw bias");
        }
    }
}

#[test]
fn the_readme_shows_the_naive_forecasts_from_the_published_2014_values() {
    // From 2014 the naive forecasts start from the run's census-consistent base; the README
    // gives them from the published values too (a run with `census_base_weight: 0`), and the
    // default model's distance to the best of them.
    let readme = std::fs::read_to_string(root().join("README.md"))
        .unwrap()
        .replace('\n', " ");
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("published_base.ron");
    std::fs::write(
        &scenario,
        format!(
            "(name: \"published_base\", extends: {:?}, parameters: (census_base_weight: 0.0))",
            root().join("scenarios/baseline.ron")
        ),
    )
    .unwrap();
    let observed = root().join("data/observed_2017_2018.csv");
    let run = |scenario: &str, out: &str| {
        let output = super::cli::simulate(
            &[
                "backtest",
                scenario,
                "--observed",
                observed.to_str().unwrap(),
                "--out",
                tmp.path().join(out).to_str().unwrap(),
            ],
            tmp.path(),
        );
        assert_success(&output);
        Backtested {
            summary: String::new(),
            terminal: String::from_utf8(output.stdout).unwrap(),
        }
    };
    let published = run(scenario.to_str().unwrap(), "published");
    let default = run(
        root().join("scenarios/baseline.ron").to_str().unwrap(),
        "default",
    );
    let mape = |backtest: &Backtested, forecast: &str| -> f64 {
        backtest.row("population", forecast)[3].parse().unwrap()
    };
    let sentence = format!(
        "regional rate {:.2} %, own trend {:.2} %, census momentum {:.2} %",
        mape(&published, "naive_regional"),
        mape(&published, "naive_trend"),
        mape(&published, "census_momentum")
    );
    assert_readme_says(
        &readme,
        &sentence,
        "the naive forecasts from the published values",
    );
    let best = |backtest: &Backtested| {
        ["naive_regional", "naive_trend", "census_momentum"]
            .map(|forecast| mape(backtest, forecast))
            .into_iter()
            .fold(f64::INFINITY, f64::min)
    };
    let model = mape(&default, "model");
    let distance = format!(
        "the default model ({model:.2} %) is within {:.2} point of the best rather than {:.2} behind",
        model - best(&published),
        model - best(&default)
    );
    assert_readme_says(&readme, &distance, "the default model against them");
    let own = format!(
        "the model from the published values scores {:.2} %",
        mape(&published, "model")
    );
    assert_readme_says(&readme, &own, "the model from the published values");
}

#[test]
fn the_readme_shows_the_hindcast_on_published_values() {
    // The 2010 start against the 2014 populations that are published values (`--status
    // observed,derived`): the README quotes the MAPE of the four forecasts and the model's ρ.
    let readme = std::fs::read_to_string(root().join("README.md"))
        .unwrap()
        .replace('\n', " ");
    let backtest = golden_backtest(
        "scenarios/hindcast_2010.ron",
        "data/observed_2014.csv",
        &["--status", "observed,derived"],
        "hindcast_published_backtest_summary.csv",
    );
    let mape = |forecast: &str| backtest.row("population", forecast)[3].to_string();
    let sentence = format!(
        "MAPE is {} % against the regional rate's {} %, its trend's {} % and census momentum's {} % (ρ {:.2})",
        mape("model"),
        mape("naive_regional"),
        mape("naive_trend"),
        mape("census_momentum"),
        summary_field(&backtest.summary, "population", "model", 7)
    );
    assert_readme_says(&readme, &sentence, "the hindcast on published values");
}
