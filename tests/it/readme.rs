//! Every command the README shows (and the commands quoted in the scenario files' comments) runs
//! as written, in order, in a fresh copy of the repository's `scenarios/` and `data/` — with
//! `simulate` on the PATH as `cargo install` puts it, and `cargo run --release --` standing for
//! the same binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::cli::root;

/// The shell blocks (```sh) of a Markdown text, in order, with `\` continuations joined.
fn shell_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, fence) if fence.starts_with("```sh") => current = Some(String::new()),
            (Some(_), fence) if fence.starts_with("```") => blocks.extend(current.take()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
        .into_iter()
        .map(|block| block.replace("\\\n", " "))
        .collect()
}

/// The commands the scenario files' comments quote (`// … simulate …` or `cargo run …`).
fn commands_in_scenario_comments(dir: &Path, found: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            commands_in_scenario_comments(&path, found);
        } else if path.extension().is_some_and(|e| e == "ron") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let Some(comment) = line.trim_start().strip_prefix("//") else {
                    continue;
                };
                for start in ["cargo run --release -- ", "simulate "] {
                    if let Some(at) = comment.find(start) {
                        found.push(comment[at..].trim().to_string());
                        break;
                    }
                }
            }
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Runs `script` with `sh -e` in `cwd`, `simulate` first on the PATH; `cargo run --release --`
/// becomes `simulate`, and the set-up commands (`cargo test`, `cargo install`), which this very
/// test run stands for, are skipped.
fn run_script(script: &str, cwd: &Path, bin: &Path, env: &[(&str, &str)]) {
    let script: String = script
        .lines()
        .map(|line| {
            let command = line.trim_start();
            if command.starts_with("cargo test") || command.starts_with("cargo install") {
                ":".to_string()
            } else {
                line.replace("cargo run --release -- ", "simulate ")
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .args(["-ec", &script])
        .current_dir(cwd)
        .env("PATH", path)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "README command failed:\n{script}\n--- stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_command_the_readme_shows_runs_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    copy_dir(&root().join("scenarios"), &repo.join("scenarios"));
    copy_dir(&root().join("data"), &repo.join("data"));
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_simulate"), bin.join("simulate")).unwrap();

    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let blocks = shell_blocks(&readme);
    assert!(
        blocks.len() >= 6,
        "the README's shell blocks were not found: {blocks:?}"
    );
    let mut ran = 0;
    for block in &blocks {
        if block.contains("SLURM_ARRAY_TASK_ID") {
            // A Slurm array script: run it as each task of the array would.
            let tasks: usize = block
                .lines()
                .find_map(|l| l.strip_prefix("#SBATCH --array=1-"))
                .and_then(|n| n.trim().parse().ok())
                .expect("the array size is given as #SBATCH --array=1-N");
            for task in 1..=tasks {
                let task = task.to_string();
                run_script(
                    block,
                    &repo,
                    &bin,
                    &[("SLURM_ARRAY_TASK_ID", &task), ("SLURM_CPUS_PER_TASK", "2")],
                );
            }
        } else {
            run_script(block, &repo, &bin, &[]);
        }
        ran += block
            .lines()
            .filter(|l| {
                let l = l.trim_start();
                l.starts_with("simulate ") || l.starts_with("cargo ")
            })
            .count();
    }
    // The results the README's commands promise are there.
    for file in [
        "results/baseline/trajectories.csv",
        "results/compare-baseline-plan-hukou_open-high_speed_rail/comparison.csv",
        "results/sweep-sobol/indices.csv",
        "results/sweep-monte_carlo/samples.csv",
        "results/calibrate-hindcast_2010/calibrated.ron",
    ] {
        assert!(
            repo.join(file).is_file(),
            "{file} missing after the README's commands"
        );
    }

    // The commands the scenario files quote run too (in a folder of their own, so that none
    // meets the results above).
    let mut quoted = Vec::new();
    commands_in_scenario_comments(&root().join("scenarios"), &mut quoted);
    assert!(quoted.len() >= 4, "{quoted:?}");
    let fresh = tmp.path().join("quoted");
    copy_dir(&root().join("scenarios"), &fresh.join("scenarios"));
    copy_dir(&root().join("data"), &fresh.join("data"));
    run_script(&quoted.join("\n"), &fresh, &bin, &[]);
    eprintln!(
        "{ran} README commands and {} quoted in scenario files ran",
        quoted.len()
    );
}
