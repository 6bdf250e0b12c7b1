//! `simulate calibrate`, end to end.

use super::cli::{assert_success, root, simulate, simulate_on_terminal};

fn scenario(name: &str) -> String {
    root().join("scenarios").join(name).display().to_string()
}

#[test]
fn calibrate_writes_a_runnable_scenario_and_its_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("fit");
    let out = simulate(
        &[
            "calibrate",
            &scenario("hindcast_2010.ron"),
            "--params",
            "epsilon,lambda",
            "--out",
            out_dir.to_str().unwrap(),
            "--quiet",
        ],
        tmp.path(),
    );
    assert_success(&out);
    for file in [
        "calibrated.ron",
        "calibration.md",
        "parameters.csv",
        "fit.csv",
        "fit_population.svg",
        "fit_population.png",
        "fit_gdp.svg",
        "fit_gdp.png",
        "manifest.json",
    ] {
        assert!(out_dir.join(file).is_file(), "{file} missing");
    }
    let ron = std::fs::read_to_string(out_dir.join("calibrated.ron")).unwrap();
    assert!(ron.contains("extends: \""), "{ron}");
    assert!(
        ron.contains("epsilon: ") && ron.contains("lambda: "),
        "{ron}"
    );
    // calibration.md also reports the GDP trend decay measured on pre-2014 pseudo-forecasts.
    let markdown = std::fs::read_to_string(out_dir.join("calibration.md")).unwrap();
    assert!(
        markdown.contains("Best: δ = 0.45, β_c = 0.022"),
        "{markdown}"
    );
    // parameters.csv: header + the two fitted parameters.
    let parameters = std::fs::read_to_string(out_dir.join("parameters.csv")).unwrap();
    assert_eq!(parameters.lines().count(), 3, "{parameters}");
    // fit.csv: header + one row per observation (99 population, 173 GDP, 10 totals).
    let fit = std::fs::read_to_string(out_dir.join("fit.csv")).unwrap();
    assert_eq!(fit.lines().count(), 1 + 282);

    // The calibrated scenario runs, from its own folder's relative `extends`.
    let run_dir = tmp.path().join("run");
    let run = simulate(
        &[
            out_dir.join("calibrated.ron").to_str().unwrap(),
            "--out",
            run_dir.to_str().unwrap(),
            "--quiet",
        ],
        tmp.path(),
    );
    assert_success(&run);

    // Same inputs, same bytes; an existing folder is not replaced without --force.
    let again_dir = tmp.path().join("again");
    let again = simulate(
        &[
            "calibrate",
            &scenario("hindcast_2010.ron"),
            "--params",
            "epsilon,lambda",
            "--out",
            again_dir.to_str().unwrap(),
            "--quiet",
        ],
        tmp.path(),
    );
    assert_eq!(again.status.code(), Some(0));
    for file in [
        "calibrated.ron",
        "fit.csv",
        "parameters.csv",
        "fit_gdp.svg",
        "manifest.json",
        "report.html",
    ] {
        assert_eq!(
            std::fs::read(out_dir.join(file)).unwrap(),
            std::fs::read(again_dir.join(file)).unwrap(),
            "{file} differs between identical runs"
        );
    }
    let refused = simulate(
        &[
            "calibrate",
            &scenario("hindcast_2010.ron"),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(refused.status.code(), Some(2));
}

#[test]
fn calibrate_refuses_unknown_parameters_and_a_2014_start() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("fit");
    let unknown = simulate(
        &[
            "calibrate",
            &scenario("hindcast_2010.ron"),
            "--params",
            "epsilon,betta_per_hour",
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("hindcast_2010.ron"), "{stderr}");
    assert!(
        stderr.contains("unknown parameter `betta_per_hour`")
            && stderr.contains("did you mean `beta_per_hour`"),
        "{stderr}"
    );
    let late = simulate(
        &[
            "calibrate",
            &scenario("baseline.ron"),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(late.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&late.stderr);
    assert!(
        stderr.contains("starts in 2014") && stderr.contains("hindcast_2010.ron"),
        "{stderr}"
    );
    assert!(!out_dir.exists(), "nothing is written on bad input");
}

/// On a terminal `calibrate` shows its model runs and lowest loss as it goes (a pseudo-terminal
/// from `script`, util-linux); piped, it draws nothing.
#[test]
fn calibrate_shows_progress_on_a_terminal_only() {
    let tmp = tempfile::tempdir().unwrap();
    let piped = simulate(
        &[
            "calibrate",
            &scenario("hindcast_2010.ron"),
            "--params",
            "lambda",
            "--out",
            "piped",
        ],
        tmp.path(),
    );
    assert_success(&piped);
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("model runs"));
    let args = format!(
        "calibrate {} --params lambda --out on_terminal",
        scenario("hindcast_2010.ron")
    );
    let Some(out) = simulate_on_terminal(&args, tmp.path()) else {
        return;
    };
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("calibrate hindcast_2010"), "{screen}");
    assert!(screen.contains("model runs, lowest loss 0.0"), "{screen}");
    assert!(tmp.path().join("on_terminal/calibrated.ron").is_file());
}
