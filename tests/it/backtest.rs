//! `simulate backtest`, end to end: outputs and their shape, determinism, refusing to
//! overwrite, and the bad-input cases of the observed file (exit code 2, the place and the rule
//! in the message, nothing written).

use std::path::{Path, PathBuf};
use std::process::Output;

use super::cli::{root, simulate};

fn baseline() -> String {
    root().join("scenarios/baseline.ron").display().to_string()
}

/// 44 units in 2020 (population and GDP) and six in 2016 (population): synthetic values, see
/// tests/data/backtest/README.md.
fn fixture() -> String {
    root()
        .join("tests/data/backtest/synthetic_2016_2020.csv")
        .display()
        .to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("reading {}: {err}", path.display()))
        .lines()
        .map(String::from)
        .collect()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_backtest_writes_every_output_with_the_right_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let out = simulate(
        &[
            "backtest",
            &baseline(),
            "--observed",
            &fixture(),
            "--out",
            "bt",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = tmp.path().join("bt");
    assert_eq!(
        listing(&dir),
        [
            "backtest.csv",
            "backtest_groups.csv",
            "backtest_summary.csv",
            "cross_validation.csv",
            "error_map_gdp.png",
            "error_map_gdp.svg",
            "error_map_population.png",
            "error_map_population.svg",
            "manifest.json",
            "report.html",
            "scatter_gdp.png",
            "scatter_gdp.svg",
            "scatter_population.png",
            "scatter_population.svg",
            "skill_gdp.png",
            "skill_gdp.svg",
            "skill_population.png",
            "skill_population.svg",
        ]
    );
    let rows = lines(&dir.join("backtest.csv"));
    assert_eq!(
        rows[0],
        "unit_id,name_zh,year,variable,unit,status,basis,observed,observed_census_adjusted,start_value,\
         model,naive_regional,naive_trend,census_momentum,model_error_pct,naive_regional_error_pct,\
         naive_trend_error_pct,census_momentum_error_pct,model_log_error,\
         naive_regional_log_error,naive_trend_log_error,census_momentum_log_error"
    );
    // one row per observation: 44 × 2 in 2020 + 6 in 2016, in file order
    assert_eq!(rows.len(), 1 + 94);
    assert!(
        rows[1].starts_with("yuzhong,渝中区,2020,population,persons,synthetic,year_end,630416.0,")
    );
    assert!(rows.iter().skip(1).all(|r| r.split(',').count() == 22));
    let summary = lines(&dir.join("backtest_summary.csv"));
    assert_eq!(
        summary[0],
        "variable,forecast,n,mape_pct,median_ape_pct,bias_pct,rmse_log,spearman_growth,\
         sign_agreement,total_error_pct,coverage_80,coverage_95,\
         mape_provincial_totals_imposed_pct,mape_census_adjusted_pct,census_persistence"
    );
    let firsts: Vec<&str> = summary[1..]
        .iter()
        .map(|l| l.rsplitn(14, ',').last().unwrap())
        .collect();
    assert_eq!(
        firsts,
        [
            "population,model",
            "population,naive_regional",
            "population,naive_trend",
            "population,census_momentum",
            "gdp,model",
            "gdp,naive_regional",
            "gdp,naive_trend",
            "gdp,census_momentum",
        ]
    );
    assert!(summary[1].starts_with("population,model,50,"));
    // Per kind of unit: the summary's columns after `group` and `units`; the four kinds
    // partition the observations (9 + 20 + 1 + 14 units).
    let groups = lines(&dir.join("backtest_groups.csv"));
    assert_eq!(groups[0], format!("group,units,{}", summary[0]));
    assert_eq!(groups.len(), 1 + 4 * 8, "{groups:?}");
    let model_n = |variable: &str| -> Vec<(String, String, usize)> {
        groups[1..]
            .iter()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|f| f[2] == variable && f[3] == "model")
            .map(|f| (f[0].to_string(), f[1].to_string(), f[4].parse().unwrap()))
            .collect()
    };
    let population = model_n("population");
    assert_eq!(
        population
            .iter()
            .map(|(g, u, _)| format!("{g}:{u}"))
            .collect::<Vec<_>>(),
        [
            "chongqing_core:9",
            "chongqing_other:20",
            "sichuan_core:1",
            "sichuan_other:14"
        ]
    );
    assert_eq!(population.iter().map(|g| g.2).sum::<usize>(), 50);
    assert_eq!(model_n("gdp").iter().map(|g| g.2).sum::<usize>(), 44);
    // The page shows both tables by kind; the totals-imposed one leaves out Chengdu (one unit).
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("<table id=\"groups\""));
    let totals = &page[page.find("<table id=\"groups-totals\"").unwrap()..];
    let totals = &totals[..totals.find("</table>").unwrap()];
    assert!(totals.contains("Chongqing core units") && !totals.contains("Chengdu"));
    // Leave-one-province-out folds: two held-out provinces × four forecasts.
    let folds = lines(&dir.join("cross_validation.csv"));
    assert_eq!(folds.len(), 1 + 8, "{folds:?}");
    assert!(folds[1].starts_with("sichuan,"), "{}", folds[1]);
    assert!(folds[5].starts_with("chongqing,"), "{}", folds[5]);
    assert!(summary[5].starts_with("gdp,model,44,"));
    // Interval coverage is given for the model only.
    let coverage = |line: &str| {
        line.split(',')
            .skip(10)
            .take(2)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    // Every forecast is also scored with the provincial totals imposed, and population also
    // against the census-adjusted observations (GDP has none).
    let field = |line: &str, k: usize| line.split(',').nth(k).unwrap_or_default().to_string();
    assert!(
        summary[1..].iter().all(|l| !field(l, 12).is_empty()),
        "{summary:?}"
    );
    assert!(
        summary[1..5].iter().all(|l| !field(l, 13).is_empty())
            && summary[5..].iter().all(|l| field(l, 13).is_empty()),
        "{summary:?}"
    );
    assert!(
        coverage(&summary[1]).iter().all(|c| !c.is_empty()),
        "{}",
        summary[1]
    );
    assert!(
        coverage(&summary[2]).iter().all(String::is_empty),
        "{}",
        summary[2]
    );
    let png = std::fs::read(dir.join("scatter_population.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // The skill chart: all units first, then each kind, with the model's MAPE as its first bar.
    let skill = std::fs::read_to_string(dir.join("skill_population.svg")).unwrap();
    let at = |text: &str| {
        skill
            .find(text)
            .unwrap_or_else(|| panic!("{text} not in skill_population.svg"))
    };
    assert!(at("all units (44)") < at("Chongqing core units (9)"));
    assert!(at("Chongqing core units (9)") < at("other Sichuan units (14)"));
    let model_mape: f64 = summary[1].split(',').nth(3).unwrap().parse().unwrap();
    at(&format!(">\n{model_mape:.2}\n<"));
    // GDP's bars are its MAPE with the observed totals imposed (column 12).
    let skill_gdp = std::fs::read_to_string(dir.join("skill_gdp.svg")).unwrap();
    assert!(summary[5].starts_with("gdp,model,"), "{}", summary[5]);
    let imposed: f64 = summary[5].split(',').nth(12).unwrap().parse().unwrap();
    assert!(skill_gdp.contains("observed totals imposed"));
    assert!(
        skill_gdp.contains(&format!(">\n{imposed:.2}\n<")),
        "{imposed:.2} not in skill_gdp.svg"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["scenario"]["name"], "baseline");
    assert_eq!(manifest["backtest"]["observations"], 94);
    assert_eq!(
        manifest["backtest"]["years"],
        serde_json::json!([2016, 2020])
    );
    assert_eq!(
        manifest["backtest"]["observed_sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    assert_eq!(
        manifest["outputs"].as_object().unwrap().len(),
        17,
        "every output but the manifest, report.html included"
    );
    // The terminal table: a header and one line per variable and forecast.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("94 observations of 44 units in 2016, 2020"),
        "{stdout}"
    );
    assert!(stdout.contains("MAPE %"), "{stdout}");
    assert!(stdout.contains("gdp         naive_trend"), "{stdout}");
    // The other yardsticks: coverage, totals imposed, and (population only) census-adjusted.
    assert!(
        stdout.contains("population: model intervals cover ")
            && stdout
                .contains("population: MAPE % with the observed provincial totals imposed: model ")
            && stdout.contains("population: MAPE % against census-adjusted observations")
            && stdout.contains("gdp: MAPE % with the observed provincial totals imposed: model ")
            && !stdout.contains("gdp: MAPE % against census-adjusted"),
        "{stdout}"
    );
}

#[test]
fn one_variable_gives_its_charts_only_and_quiet_prints_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let observed = tmp.path().join("obs.csv");
    std::fs::write(
        &observed,
        "unit_id,year,variable,value\nchengdu,2020,population,16000000\nwanzhou,2020,population,1600000\n",
    )
    .unwrap();
    let out = simulate(
        &[
            "backtest",
            &baseline(),
            "--observed",
            "obs.csv",
            "--out",
            "bt",
            "-q",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "--quiet prints nothing");
    let names = listing(&tmp.path().join("bt"));
    assert!(names.contains(&"scatter_population.png".to_string()));
    assert!(!names.iter().any(|n| n.contains("gdp")), "{names:?}");
    // Two observations: the correlation is defined but not for the regional forecast, whose
    // growth is the same for every unit (all ranks tied): an empty field, not NaN.
    let summary = lines(&tmp.path().join("bt/backtest_summary.csv"));
    assert_eq!(summary.len(), 1 + 4);
    let regional: Vec<&str> = summary[2].split(',').collect();
    assert_eq!(regional[..3], ["population", "naive_regional", "2"]);
    assert_eq!(regional[7], "", "{}", summary[2]);
    assert!(!summary.iter().any(|l| l.contains("NaN")));
}

#[test]
fn two_runs_are_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    for dir in ["a", "b"] {
        let out = simulate(
            &[
                "backtest",
                &baseline(),
                "--observed",
                &fixture(),
                "--out",
                dir,
                "-q",
            ],
            tmp.path(),
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let names = listing(&tmp.path().join("a"));
    assert_eq!(names, listing(&tmp.path().join("b")));
    for name in names {
        let a = std::fs::read(tmp.path().join("a").join(&name)).unwrap();
        let b = std::fs::read(tmp.path().join("b").join(&name)).unwrap();
        assert!(a == b, "{name} differs between two identical runs");
    }
}

#[test]
fn an_existing_output_folder_is_replaced_only_with_force() {
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "backtest",
        &baseline(),
        "--observed",
        &fixture(),
        "--out",
        "bt",
        "-q",
    ];
    assert!(simulate(&args, tmp.path()).status.success());
    std::fs::write(tmp.path().join("bt/keep.txt"), "mine").unwrap();
    let out = simulate(&args, tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("already holds results"),
        "{}",
        stderr(&out)
    );
    assert!(
        tmp.path().join("bt/keep.txt").exists(),
        "nothing was changed"
    );
    let forced: Vec<&str> = args.iter().copied().chain(["--force"]).collect();
    let out = simulate(&forced, tmp.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !tmp.path().join("bt/keep.txt").exists(),
        "the folder was replaced"
    );
}

/// Runs a backtest of the baseline (2014–2030) on `text` written to `obs.csv`; checks exit
/// code 2, an `error:` message containing every fragment, no panic, and that nothing but the
/// observed file is in the folder afterwards.
fn rejected(text: &str, fragments: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("obs.csv"), text).unwrap();
    let out = simulate(
        &[
            "backtest",
            &baseline(),
            "--observed",
            "obs.csv",
            "--out",
            "bt",
        ],
        tmp.path(),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("error:"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for fragment in fragments {
        assert!(err.contains(fragment), "missing {fragment:?} in\n{err}");
    }
    assert_eq!(listing(tmp.path()), ["obs.csv"], "nothing may be written");
}

#[test]
fn an_unknown_unit_is_named_with_a_suggestion() {
    rejected(
        "unit_id,year,variable,value\nchengdou,2020,population,16000000\n",
        &[
            "obs.csv:2: column `unit_id`: unknown unit id `chengdou`",
            "(did you mean `chengdu`?)",
            "units.csv",
        ],
    );
}

#[test]
fn an_unknown_variable_is_named_with_the_allowed_ones() {
    rejected(
        "unit_id,year,variable,value\nchengdu,2020,pop,16000000\n",
        &[
            "obs.csv:2: column `variable`: unknown variable `pop`",
            "use `population` (persons) or `gdp` (yuan at 2014 prices)",
        ],
    );
}

#[test]
fn a_missing_column_is_named() {
    rejected(
        "unit_id,year,value\nchengdu,2020,16000000\n",
        &[
            "obs.csv:1: missing required column(s) `variable`",
            "unit_id,year,variable,value",
        ],
    );
}

#[test]
fn a_year_outside_the_run_is_rejected() {
    rejected(
        "unit_id,year,variable,value\nchengdu,2035,population,16000000\nchengdu,2010,gdp,1e12\n",
        &[
            "obs.csv:2: column `year`: year 2035 is outside the run (2014–2030)",
            "obs.csv:3: column `year`: year 2010 is outside the run",
            "after 2014 and at most 2030",
        ],
    );
}

#[test]
fn the_start_year_is_rejected_because_it_tests_nothing() {
    rejected(
        "unit_id,year,variable,value\nchengdu,2014,population,15402974\n",
        &[
            "obs.csv:2: column `year`: 2014 is the run's start year",
            "which scores the base, not a projection",
        ],
    );
}

#[test]
fn every_problem_of_a_file_is_reported_at_once() {
    rejected(
        "unit_id,year,variable,value\n\
         chengdou,2020,population,1\n\
         chengdu,2020,GDP,1\n\
         chengdu,2020,population,-3\n\
         chengdu,2020,gdp,12e11\n\
         chengdu,2020,gdp,13e11\n",
        &[
            "4 problems in the observed file",
            "obs.csv:2: column `unit_id`",
            "obs.csv:3: column `variable`: unknown variable `GDP` (did you mean `gdp`?)",
            "obs.csv:4: column `value`: value -3 breaks the rule",
            "obs.csv:6: column `unit_id`: duplicate observation of gdp of `chengdu` in 2020 (first on line 5)",
        ],
    );
}

#[test]
fn odd_files_are_bad_input_not_panics() {
    rejected("", &["missing required column(s)"]);
    rejected("unit_id,year,variable,value\n", &["holds no observations"]);
    rejected(
        "unit_id,year,variable,value\nchengdu,2020\n",
        &["obs.csv:2: malformed CSV row"],
    );
    rejected(
        "unit_id,year,variable,value\nchengdu,2020,gdp,1,2\n",
        &["obs.csv:2: malformed CSV row"],
    );
    rejected(
        "unit_id,year,variable,value\nchengdu,2020,gdp,NaN\n",
        &["`NaN` is not a finite number"],
    );
}

#[test]
fn a_missing_observed_file_is_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let out = simulate(
        &[
            "backtest",
            &baseline(),
            "--observed",
            "nowhere.csv",
            "--out",
            "bt",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("nowhere.csv: cannot read the observed file"));
    assert!(listing(tmp.path()).is_empty());
    let out = simulate(&["backtest", &baseline()], tmp.path());
    assert_eq!(out.status.code(), Some(2), "--observed is required");
    assert!(stderr(&out).contains("--observed"));
}

/// The shipped file of 2014 observations is the base year itself: with a run that starts in
/// 2014 every row is the start year (and nothing else is wrong with it).
#[test]
fn observed_2014_is_valid_and_equals_the_base_year() {
    let tmp = tempfile::tempdir().unwrap();
    let observed: PathBuf = root().join("data/observed_2014.csv");
    let out = simulate(
        &[
            "backtest",
            &baseline(),
            "--observed",
            observed.to_str().unwrap(),
            "--out",
            "bt",
        ],
        tmp.path(),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("88 problems in the observed file"), "{err}");
    // One mistake on 88 rows is one line (not the same sentence 88 times).
    assert_eq!(err.matches("is the run's start year").count(), 1, "{err}");
    assert!(
        err.contains(": 88 rows (lines 2, 3, 4, 5, 6, …): column `year`"),
        "{err}"
    );

    // Same values as baseline_2014.csv, row by row, provenance verbatim.
    let read = |name: &str| {
        let mut reader = csv::Reader::from_path(root().join("data").join(name)).unwrap();
        let headers = reader.headers().unwrap().clone();
        reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                let get = |c: &str| r[headers.iter().position(|h| h == c).unwrap()].to_string();
                [
                    "unit_id",
                    "year",
                    "variable",
                    "value",
                    "unit",
                    "status",
                    "method_or_source",
                ]
                .map(get)
            })
            .collect::<Vec<_>>()
    };
    let observed = read("observed_2014.csv");
    assert_eq!(observed.len(), 88);
    assert_eq!(observed, read("baseline_2014.csv"));
}

/// The intended use: the 2010 hindcast scored against the observed 2014 values.
#[test]
fn the_hindcast_is_scored_against_observed_2014() {
    let tmp = tempfile::tempdir().unwrap();
    let out = simulate(
        &[
            "backtest",
            root().join("scenarios/hindcast_2010.ron").to_str().unwrap(),
            "--observed",
            root().join("data/observed_2014.csv").to_str().unwrap(),
            "--out",
            "bt",
            "-q",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = lines(&tmp.path().join("bt/backtest.csv"));
    assert_eq!(rows.len(), 1 + 88);
    // Status and provenance: the status column is carried through.
    assert!(
        rows[1].starts_with("yuzhong,渝中区,2014,population,persons,estimated,year_end,656683.0,")
    );
    // Sichuan's annual averages say so, and are compared with the mean of two year-ends.
    assert!(
        rows.iter()
            .any(|r| r
                .starts_with("chengdu,成都市,2014,population,persons,estimated,annual_average,"))
    );
    let summary = lines(&tmp.path().join("bt/backtest_summary.csv"));
    assert_eq!(summary.len(), 1 + 8);
    // Every unit has the regional growth (beyond which growth is ranked): no rank correlation.
    for line in [&summary[2], &summary[6]] {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields[1], "naive_regional");
        assert_eq!(fields[2], "44");
        assert_eq!(fields[7], "", "{line}");
    }
}

/// `--status` scores the published values only, says so everywhere a reader looks, goes to its
/// own default folder, and refuses a status that matches nothing.
#[test]
fn status_keeps_only_the_rows_of_the_statuses_given() {
    let tmp = tempfile::tempdir().unwrap();
    let hindcast = root().join("scenarios/hindcast_2010.ron");
    let observed = root().join("data/observed_2014.csv");
    let run = |status: &str| {
        simulate(
            &[
                "backtest",
                hindcast.to_str().unwrap(),
                "--observed",
                observed.to_str().unwrap(),
                "--status",
                status,
            ],
            tmp.path(),
        )
    };
    let out = run("observed,derived");
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Scored: only status observed or derived: 59 of 88 observations"),
        "{stdout}"
    );
    let dir = tmp
        .path()
        .join("results/backtest-hindcast_2010-observed_2014-observed_derived");
    let rows = lines(&dir.join("backtest.csv"));
    assert_eq!(rows.len(), 1 + 59);
    assert!(rows[1..]
        .iter()
        .all(|r| r.contains(",observed,") || r.contains(",derived,")));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["backtest"]["statuses_kept"],
        serde_json::json!(["observed", "derived"])
    );
    assert_eq!(manifest["backtest"]["observations_in_file"], 88);
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("only status observed or derived: 59 of 88 observations"));

    let before = listing(tmp.path());
    let refused = run("observd,derived");
    let err = stderr(&refused);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(
        err.contains("observed_2014.csv:1: column `status`: --status `observd` matches no row (did you mean `observed`?); the file's statuses (rows): `derived` (9), `estimated` (29), `observed` (50)"),
        "{err}"
    );
    assert_eq!(listing(tmp.path()), before, "nothing may be written");
    let empty = run(",");
    assert_eq!(empty.status.code(), Some(2), "{}", stderr(&empty));
    assert!(stderr(&empty).contains("--status is empty"));
}
