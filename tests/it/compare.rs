//! Scenario inheritance and `simulate compare`, end to end.

use std::path::Path;

use super::cli::{assert_success, root, simulate};

fn scenario(name: &str) -> String {
    root().join("scenarios").join(name).display().to_string()
}

/// The trajectories without the scenario column.
fn without_name(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            line.split_once(',')
                .map_or(line, |(_, rest)| rest)
                .to_string()
        })
        .collect()
}

#[test]
fn an_extends_only_scenario_reproduces_its_parent() {
    let tmp = tempfile::tempdir().unwrap();
    let child = tmp.path().join("child.ron");
    std::fs::write(
        &child,
        format!("(name: \"child\", extends: {:?})", scenario("baseline.ron")),
    )
    .unwrap();
    let out = simulate(
        &[
            &scenario("baseline.ron"),
            child.to_str().unwrap(),
            "--out",
            "runs",
            "-q",
        ],
        tmp.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in ["trajectories.csv", "totals.csv", "migration_2030.csv"] {
        let parent = without_name(&tmp.path().join("runs/baseline").join(file));
        let child = without_name(&tmp.path().join("runs/child").join(file));
        assert!(
            parent == child,
            "{file} differs between a scenario and its extends-only child"
        );
    }
}

#[test]
fn every_shipped_scenario_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files: Vec<String> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    assert!(
        files.len() >= 8,
        "the scenario library has {} files",
        files.len()
    );
    let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
    args.extend(["--out", "all", "-q"]);
    let out = simulate(&args, tmp.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn compare_writes_its_tables_and_charts_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let child = tmp.path().join("rail.ron");
    std::fs::write(
        &child,
        format!(
            "(name: \"rail\", extends: {:?}, add_policies: [TravelTime(name: \"成渝中线\", year: 2028, from: [\"chengdu\"], to: [\"@chongqing_core\"], hours: 0.83)])",
            scenario("baseline.ron")
        ),
    )
    .unwrap();
    let args = [
        "compare",
        &scenario("baseline.ron"),
        child.to_str().unwrap(),
        "--out",
        "cmp",
    ];
    let out = simulate(&args, tmp.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("reference: baseline"), "{stdout}");
    // The 2020 targets as a run counts them: land ceilings apart, kept ones "within".
    assert!(
        stdout.contains("2020 regional-centre targets (专栏1), per scenario:\n       baseline           population targets: 1 met, 4 missed, 2 uncertain of 7 · land ceilings: 4 within, 0 over, 3 uncertain of 7\n"),
        "{stdout}"
    );
    let dir = tmp.path().join("cmp");
    for file in [
        "comparison.csv",
        "comparison_totals.csv",
        "inputs_diff.csv",
        "targets_comparison.csv",
        "totals.png",
        "population_difference.png",
        "gdp_difference.svg",
        "map_rail.png",
        "targets.png",
    ] {
        assert!(dir.join(file).exists(), "{file} missing");
    }
    // Two scenarios × two years × 44 units + header.
    let comparison = std::fs::read_to_string(dir.join("comparison.csv")).unwrap();
    assert_eq!(comparison.lines().count(), 2 * 2 * 44 + 1);
    // The reference differs from itself by nothing; the lever only acts from 2028. Every row
    // carries its 80 % and 95 % intervals around the projection.
    assert!(comparison.lines().next().unwrap().ends_with(
        "population_lo80,population_hi80,population_lo95,population_hi95,gdp_lo80,gdp_hi80,gdp_lo95,gdp_hi95"
    ));
    for line in comparison.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        if cells[0] == "baseline" || cells[1] == "2020" {
            assert_eq!(cells[5], "0.0", "{line}");
        }
        let number = |i: usize| cells[i].parse::<f64>().unwrap();
        assert!(
            number(11) < number(9) && number(9) < number(3) && number(3) < number(10),
            "{line}"
        );
        assert!(number(10) < number(12), "{line}");
    }
    // The 14 regional-centre targets × two scenarios, with their range and verdict; the 2014
    // base-year facts are not targets.
    let targets = std::fs::read_to_string(dir.join("targets_comparison.csv")).unwrap();
    assert_eq!(targets.lines().count(), 14 * 2 + 1, "{targets}");
    assert!(targets.starts_with(
        "target_id,unit_id,indicator,year,target,measure,scenario,low,central,high,gap_pct,verdict,"
    ));
    assert!(!targets.contains("region_pop_2014"), "{targets}");
    assert!(targets
        .lines()
        .skip(1)
        .all(|l| [",met,", ",missed,", ",uncertain,"]
            .iter()
            .any(|v| l.contains(v))));
    // A land ceiling that is met is kept apart from a target met: "within ceiling", not green,
    // in the page's table and in the grid chart (targets_comparison.csv still says `met`).
    assert!(targets
        .lines()
        .any(|l| l.contains(",urban_construction_land,") && l.contains(",met,")));
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let land_rows: Vec<&str> = page
        .split("<tr>")
        .filter_map(|row| row.split("</tr>").next())
        .filter(|row| row.contains("urban land (ceiling)"))
        .collect();
    assert_eq!(land_rows.len(), 7, "one scorecard row per land ceiling");
    assert!(land_rows.iter().all(|row| !row.contains("class=\"met\"")));
    assert!(land_rows
        .iter()
        .any(|row| row.contains("<td class=\"within-ceiling\">within ceiling (")));
    let grid = std::fs::read_to_string(dir.join("targets.svg")).unwrap();
    assert!(grid.contains("未超上限 within ceiling"), "grid legend");
    let inputs = std::fs::read_to_string(dir.join("inputs_diff.csv")).unwrap();
    assert!(
        inputs.contains("rail,policies.成渝中线,(absent),"),
        "{inputs}"
    );
    assert_eq!(inputs.lines().count(), 2, "{inputs}");
    // Chengdu's market access, hence GDP, rises once the line opens.
    let chengdu_2030 = comparison
        .lines()
        .find(|l| l.starts_with("rail,2030,chengdu,"))
        .unwrap()
        .split(',')
        .nth(7)
        .unwrap()
        .parse::<f64>()
        .unwrap();
    assert!(chengdu_2030 > 0.0, "GDP difference {chengdu_2030}");

    let again = simulate(&args, tmp.path());
    assert_eq!(again.status.code(), Some(2));
}

#[test]
fn compare_needs_two_scenarios_and_years_inside_the_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = simulate(&["compare", &scenario("baseline.ron")], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    let other = tmp.path().join("other.ron");
    std::fs::write(
        &other,
        format!("(name: \"other\", extends: {:?})", scenario("baseline.ron")),
    )
    .unwrap();
    let out = simulate(
        &[
            "compare",
            &scenario("baseline.ron"),
            other.to_str().unwrap(),
            "--years",
            "2040",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--years: 2040 is outside"));
    assert!(!tmp.path().join("results").exists());
}

#[test]
fn compare_takes_years_from_each_scenarios_own_start() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("cmp");
    let hindcast = scenario("hindcast_2010.ron");
    // 2012 is in the hindcast but before the baseline's 2014 start.
    let out = simulate(
        &[
            "compare",
            &hindcast,
            &scenario("baseline.ron"),
            "--years",
            "2012",
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("2012 is outside scenario `baseline` (2014–2030)"));
    let out = simulate(
        &[
            "compare",
            &hindcast,
            &scenario("baseline.ron"),
            "--years",
            "2014,2020",
            "--out",
            out_dir.to_str().unwrap(),
            "--quiet",
        ],
        tmp.path(),
    );
    assert_success(&out);
    assert!(out_dir.join("comparison.csv").is_file());
}

/// `--years` takes a list as the help shows it, space- or comma-separated.
#[test]
fn compare_years_may_be_separated_by_spaces_or_commas() {
    let tmp = tempfile::tempdir().unwrap();
    let years_in = |dir: &Path| -> Vec<String> {
        let text = std::fs::read_to_string(dir.join("comparison.csv")).unwrap();
        let mut years: Vec<String> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().to_string())
            .collect();
        years.sort();
        years.dedup();
        years
    };
    for (name, args) in [
        ("spaces", vec!["2020", "2025", "2030"]),
        ("commas", vec!["2020,2025,2030"]),
    ] {
        let out_dir = tmp.path().join(name);
        let mut command = vec![
            "compare".to_string(),
            scenario("baseline.ron"),
            scenario("high_speed_rail.ron"),
            "--out".into(),
            out_dir.to_str().unwrap().into(),
            "--quiet".into(),
            "--years".into(),
        ];
        command.extend(args.iter().map(|a| a.to_string()));
        let refs: Vec<&str> = command.iter().map(String::as_str).collect();
        let out = simulate(&refs, tmp.path());
        assert_success(&out);
        assert_eq!(years_in(&out_dir), ["2020", "2025", "2030"], "{name}");
    }
}

/// `--years` before the scenario files swallows them: the error says where the option goes.
#[test]
fn compare_years_before_the_scenarios_is_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let out = simulate(
        &[
            "compare",
            "--years",
            "2025",
            &scenario("baseline.ron"),
            &scenario("plan.ron"),
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("put --years after the scenario files"),
        "{stderr}"
    );
    assert!(!tmp.path().join("results").exists());
}

/// `comparison_sources.csv` splits every difference into rest of China, other units and natural
/// growth, and the parts add up; at the plan-area level moves between units cancel. The
/// single run's net migration of the plan area is all exchange with the rest of China.
#[test]
fn compare_says_where_added_people_come_from() {
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "compare",
        &scenario("baseline.ron"),
        &scenario("hukou_open.ron"),
        "--out",
        "cmp",
    ];
    let out = simulate(&args, tmp.path());
    assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("from the rest of China") && stdout.contains("moved between plan units"),
        "{stdout}"
    );
    let sources = std::fs::read_to_string(tmp.path().join("cmp/comparison_sources.csv")).unwrap();
    let mut lines = sources.lines();
    assert_eq!(
        lines.next().unwrap(),
        "scenario,year,unit_id,population_diff,from_rest_of_china,from_other_units,natural_growth,difference_at_start"
    );
    // One scenario × 17 years (2014–2030) × (44 units + plan area).
    assert_eq!(sources.lines().count(), 17 * 45 + 1);
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let number = |k: usize| cells[k].parse::<f64>().unwrap();
        let parts = number(4) + number(5) + number(6) + number(7);
        assert!((parts - number(3)).abs() <= 0.5, "{line}");
        if cells[2] == "plan_area" {
            assert!(number(5).abs() <= 0.5, "moves between units cancel: {line}");
            if cells[1] == "2030" {
                // Hukou cuts draw people from the rest of China.
                assert!(number(4) > 0.9 * number(3) && number(3) > 0.0, "{line}");
            }
        }
    }

    let run = simulate(
        &[&scenario("baseline.ron"), "--out", "runs", "-q"],
        tmp.path(),
    );
    assert_success(&run);
    // A single run writes into the --out folder itself.
    let totals = std::fs::read_to_string(tmp.path().join("runs/totals.csv")).unwrap();
    let header: Vec<&str> = totals.lines().next().unwrap().split(',').collect();
    let net = header.iter().position(|&h| h == "net_migration").unwrap();
    let rest = header
        .iter()
        .position(|&h| h == "net_migration_rest_of_china")
        .unwrap();
    for line in totals.lines().filter(|l| l.contains(",plan_area,")) {
        let cells: Vec<f64> = line
            .split(',')
            .skip(3)
            .map(|c| c.parse().unwrap())
            .collect();
        assert!((cells[net - 3] - cells[rest - 3]).abs() <= 0.2, "{line}");
    }
}
