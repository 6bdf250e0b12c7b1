//! `simulate sweep` end to end: the shipped sweep files load, outputs are written, and results
//! do not depend on the number of threads.

use std::path::Path;

use super::cli::{root, simulate};

/// A small sweep over the baseline, written next to a copy of nothing: `base` is absolute.
fn sweep_file(dir: &Path, name: &str, method: &str) -> String {
    let path = dir.join(format!("{name}.ron"));
    let base = root().join("scenarios/baseline.ron");
    std::fs::write(
        &path,
        format!(
            "(name: {name:?}, base: {:?}, method: {method}, seed: 7,
              parameters: [(name: \"epsilon\"), (name: \"lambda\", distribution: Uniform(lo: 0.0, hi: 0.5)), (name: \"migrant_stay_years\")],
              outputs: [Population(unit: \"chengdu\", year: 2030), Gdp(unit: \"@all\", year: 2020)])",
            base.display().to_string()
        ),
    )
    .unwrap();
    path.display().to_string()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn monte_carlo_writes_bands_and_probabilities_identically_with_one_or_two_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path(), "mc", "MonteCarlo(samples: 12)");
    for (threads, out) in [("1", "one"), ("2", "two")] {
        let run = simulate(
            &["sweep", &file, "--threads", threads, "--out", out, "-q"],
            tmp.path(),
        );
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    for name in [
        "samples.csv",
        "indices.csv",
        "bands.csv",
        "target_probabilities.csv",
        "manifest.json",
    ] {
        let (a, b) = (
            read(&tmp.path().join("one").join(name)),
            read(&tmp.path().join("two").join(name)),
        );
        assert!(a == b, "{name} depends on the thread count");
    }
    let samples = read(&tmp.path().join("one/samples.csv"));
    assert_eq!(samples.lines().count(), 13);
    assert!(samples.starts_with(
        "sample,epsilon,lambda,migrant_stay_years,population_chengdu_2030,gdp_all_2020,status"
    ));
    // 44 units × 17 years + header.
    assert_eq!(
        read(&tmp.path().join("one/bands.csv")).lines().count(),
        44 * 17 + 1
    );
    let probabilities = read(&tmp.path().join("one/target_probabilities.csv"));
    assert!(probabilities
        .contains("wanzhou_central_pop_2020,wanzhou,central_urban_population,2020,1500000,12,"));
}

#[test]
fn morris_and_sobol_write_their_indices() {
    let tmp = tempfile::tempdir().unwrap();
    let morris = sweep_file(tmp.path(), "m", "Morris(trajectories: 3, levels: 4)");
    let run = simulate(&["sweep", &morris, "--out", "m", "-q"], tmp.path());
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let indices = read(&tmp.path().join("m/indices.csv"));
    assert!(
        indices.starts_with("parameter,output,mu,mu_star,sigma"),
        "{indices}"
    );
    assert_eq!(indices.lines().count(), 3 * 2 + 1);
    let sobol = sweep_file(tmp.path(), "s", "Sobol(base_samples: 8)");
    let run = simulate(&["sweep", &sobol, "--out", "s", "-q"], tmp.path());
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let indices = read(&tmp.path().join("s/indices.csv"));
    assert!(
        indices.starts_with("parameter,output,S1,S1_conf,ST,ST_conf"),
        "{indices}"
    );
    assert_eq!(
        read(&tmp.path().join("s/samples.csv")).lines().count(),
        8 * 5 + 1
    );
}

#[test]
fn bad_sweep_files_are_refused_with_every_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad.ron");
    std::fs::write(
        &path,
        format!(
            "(name: \"bad\", base: {:?}, method: Sobol(base_samples: 100),
              parameters: [(name: \"epsilonn\"), (name: \"gamma\", distribution: Uniform(lo: 0.2, hi: 0.1))],
              outputs: [Population(unit: \"chengduu\", year: 2040)])",
            root().join("scenarios/baseline.ron").display().to_string()
        ),
    )
    .unwrap();
    let run = simulate(
        &["sweep", path.to_str().unwrap(), "--out", "bad"],
        tmp.path(),
    );
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    for needle in [
        "did you mean `epsilon`?",
        "`gamma`",
        "did you mean `chengdu`?",
        "year 2040",
        "power of two",
    ] {
        assert!(stderr.contains(needle), "{needle} missing:\n{stderr}");
    }
    assert!(!tmp.path().join("bad").exists());
}

#[test]
fn the_shipped_sweep_files_load() {
    for name in ["morris", "sobol", "monte_carlo"] {
        let path = root().join("scenarios/sweeps").join(format!("{name}.ron"));
        let sweep = simulate::sweep::run::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!sweep.factors.is_empty() && !sweep.outputs.is_empty());
    }
}
