//! End-to-end runs of the real binary in temporary folders.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `simulate` with `args` (a shell command line after the binary) on a pseudo-terminal
/// from `script` (util-linux), in `cwd`; the terminal's screen is the output's stdout. `None`
/// (and a note) where `script` is not installed.
pub fn simulate_on_terminal(args: &str, cwd: &Path) -> Option<Output> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed, no pseudo-terminal");
        return None;
    }
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_simulate"));
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(cwd)
        .output()
        .expect("script runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    Some(out)
}

pub fn simulate(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_simulate"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

fn baseline() -> String {
    root().join("scenarios/baseline.ron").display().to_string()
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).unwrap().lines().count()
}

#[test]
fn the_baseline_writes_every_output_with_the_right_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let out = simulate(&[&baseline(), "--quiet"], tmp.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "--quiet prints nothing");
    let dir = tmp.path().join("results/baseline");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let expected = [
        "base_year_checks.csv",
        "gdp.png",
        "gdp.svg",
        "manifest.json",
        "map.png",
        "map.svg",
        "migration_2014.csv",
        "migration_2020.csv",
        "migration_2030.csv",
        "population.png",
        "population.svg",
        "report.html",
        "targets.csv",
        "targets.png",
        "targets.svg",
        "totals.csv",
        "trajectories.csv",
    ];
    assert_eq!(names, expected);
    // 44 units × 17 years + header
    assert_eq!(lines(&dir.join("trajectories.csv")), 44 * 17 + 1);
    // 4 regions × 17 years + header
    assert_eq!(lines(&dir.join("totals.csv")), 4 * 17 + 1);
    // 45 nodes × 44 destinations + header
    assert_eq!(lines(&dir.join("migration_2020.csv")), 45 * 44 + 1);
    check_targets_csv(&std::fs::read_to_string(dir.join("targets.csv")).unwrap());
    // The plan's 2014 facts are checks of the base year, in their own file.
    let checks = std::fs::read_to_string(dir.join("base_year_checks.csv")).unwrap();
    assert_eq!(checks.lines().count(), 4 + 1);
    assert!(checks.contains("region_pop_2014,resident_population,2014,"));
    assert!(checks.contains(",not_modelled,"));
    let png = std::fs::read(dir.join("map.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["scenario"]["name"], "baseline");
    assert_eq!(manifest["parameters"]["epsilon"], 1.5);
    assert_eq!(manifest["data"]["sha256"].as_object().unwrap().len(), 10);
    assert!(
        manifest["outputs"]["trajectories.csv"]
            .as_str()
            .unwrap()
            .len()
            == 64
    );
}

/// targets.csv holds the 14 regional-centre targets (7 population, 7 land) and nothing else,
/// each with low ≤ central ≤ high and a verdict consistent with its range.
fn check_targets_csv(text: &str) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 14, "{text}");
    let number =
        |row: &csv::StringRecord, name: &str| -> f64 { row[column(name)].parse().unwrap() };
    let mut indicators = std::collections::BTreeMap::new();
    for row in &rows {
        let indicator = &row[column("indicator")];
        *indicators.entry(indicator.to_string()).or_insert(0) += 1;
        assert_ne!(
            &row[column("unit_id")],
            "ALL",
            "no region-wide rows: {row:?}"
        );
        let (low, central, high) = (
            number(row, "low"),
            number(row, "central"),
            number(row, "high"),
        );
        assert!(low <= central && central <= high, "{row:?}");
        let (share_low, share_high) = (number(row, "share_low"), number(row, "share_high"));
        assert!(
            0.0 < share_low && share_low <= share_high && share_high <= 1.0,
            "{row:?}"
        );
        let target = number(row, "target");
        let ceiling = indicator == "urban_construction_land";
        let expected = match (
            ceiling,
            low >= target,
            high < target,
            high <= target,
            low > target,
        ) {
            (false, true, _, _, _) | (true, _, _, true, _) => "met",
            (false, _, true, _, _) | (true, _, _, _, true) => "missed",
            _ => "uncertain",
        };
        assert_eq!(&row[column("verdict")], expected, "{row:?}");
    }
    assert_eq!(indicators["central_urban_population"], 7);
    assert_eq!(indicators["urban_construction_land"], 7);
    assert_eq!(indicators.len(), 2);
}

#[test]
fn the_summary_shows_the_plan_figures_and_the_targets() {
    let tmp = tempfile::tempdir().unwrap();
    let out = simulate(&[&baseline()], tmp.path());
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("the plan's 2014 figures (前言)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("population targets: 1 met, 4 missed, 2 uncertain of 7"),
        "{stdout}"
    );
    assert!(stdout.contains("luzhou_central_pop_2020"), "{stdout}");
    assert!(stdout.contains("Base-year checks"), "{stdout}");
    assert!(
        stdout.contains("Results written to results/baseline"),
        "{stdout}"
    );
}

#[test]
fn two_runs_are_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    for out in ["a", "b"] {
        let status = simulate(&[&baseline(), "--out", out, "-q"], tmp.path()).status;
        assert!(status.success());
    }
    for entry in std::fs::read_dir(tmp.path().join("a")).unwrap() {
        let name = entry.unwrap().file_name();
        let a = std::fs::read(tmp.path().join("a").join(&name)).unwrap();
        let b = std::fs::read(tmp.path().join("b").join(&name)).unwrap();
        assert!(a == b, "{name:?} differs between two runs");
    }
}

#[test]
fn several_scenarios_each_get_their_own_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let other = tmp.path().join("other.ron");
    std::fs::write(&other, "(name: \"other\", end_year: 2020)").unwrap();
    let out = simulate(
        &[&baseline(), other.to_str().unwrap(), "--out", "runs", "-q"],
        tmp.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(tmp.path().join("runs/baseline/trajectories.csv").exists());
    assert_eq!(
        lines(&tmp.path().join("runs/other/trajectories.csv")),
        44 * 7 + 1
    );
    // 2030 is past its end: only the start year and 2020 have migration files.
    assert!(!tmp.path().join("runs/other/migration_2030.csv").exists());
}

#[test]
fn help_explains_outputs_and_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = simulate(&["--help"], tmp.path());
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--out",
        "--force",
        "--quiet",
        "Exit codes",
        "trajectories.csv",
    ] {
        assert!(
            text.contains(needle),
            "{needle} missing from --help:\n{text}"
        );
    }
    let out = simulate(&[], tmp.path());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_readme_scenario_examples_run() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let blocks: Vec<&str> = readme
        .split("```ron\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert!(
        blocks.len() >= 2,
        "README has {} RON examples",
        blocks.len()
    );
    for (k, block) in blocks.iter().enumerate() {
        // Examples name scenarios of the library relative to scenarios/.
        let plan = root().join("scenarios/plan.ron");
        let text = block.replace("\"plan.ron\"", &format!("{:?}", plan.display().to_string()));
        let file = tmp.path().join(format!("example{k}.ron"));
        std::fs::write(&file, text).unwrap();
        let out = simulate(
            &[
                file.to_str().unwrap(),
                "--out",
                &format!("example{k}"),
                "-q",
            ],
            tmp.path(),
        );
        assert!(
            out.status.success(),
            "README example {k}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Fails with the command's stderr unless it exited with 0.
pub fn assert_success(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A non-empty folder that is not a result of simulate: the refusal says --force would not
/// help either, instead of offering it.
#[test]
fn a_folder_of_other_files_is_refused_without_offering_force() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("mine")).unwrap();
    std::fs::write(tmp.path().join("mine/notes.txt"), "mine").unwrap();
    let out = simulate(&[&baseline(), "--out", "mine", "-q"], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is not a result of simulate") && !stderr.contains("Use --force"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(tmp.path().join("mine")).unwrap().count(),
        1
    );
}
