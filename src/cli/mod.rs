//! The command line: arguments, paths, the terminal, exit codes. The only module that prints.
//!
//! Exit codes: 0 success; 2 bad input (unreadable or invalid scenario or data, parameters the
//! model rejects, an output folder that exists and is not empty without `--force`); 1 any other
//! failure (e.g. a disk error while writing).

mod output;
mod progress;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use rayon::prelude::*;

use crate::data::Dataset;
use crate::engine::{self, RunOptions};
use crate::report::{self, RunReport};
use crate::scenario::{self, Scenario};

/// Runs regional scenarios for the Chengdu–Chongqing urban agglomeration (成渝城市群): population
/// and GDP of the 44 plan units from the 2014 base year to 2030, with migration flows and the
/// plan's targets.
#[derive(Debug, Parser)]
#[command(
    name = "simulate",
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Outputs (per scenario, in results/<scenario name>/ unless --out is given):\n  \
        trajectories.csv, totals.csv, migration_<year>.csv, targets.csv, manifest.json,\n  \
        population/gdp/targets/map charts as .svg and .png.\n\n\
        Exit codes: 0 success; 2 bad input (scenario, data, parameters, or an existing\n\
        non-empty output folder without --force); 1 other failures (e.g. disk errors).\n\n\
        Examples:\n  simulate scenarios/baseline.ron\n  simulate compare scenarios/baseline.ron scenarios/plan.ron"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Scenario files (RON). Several files run one after another, each into its own folder.
    #[arg(required = true, value_name = "SCENARIO.ron")]
    pub scenarios: Vec<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// Where results go and how to treat existing ones.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Output folder. With one scenario: the folder itself (default results/<name>/).
    /// With several: the parent folder; each scenario writes into DIR/<name>/.
    /// For `compare`: the folder itself (default results/compare-<names>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Replace an existing, non-empty output folder (the old one is removed only after the new
    /// one is complete).
    #[arg(long)]
    pub force: bool,

    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Run several scenarios (in parallel) and compare them with the first, the reference:
    /// comparison.csv, comparison_totals.csv, inputs_diff.csv, targets_comparison.csv and charts.
    Compare {
        /// Scenario files; the first is the reference.
        #[arg(required = true, num_args = 2.., value_name = "SCENARIO.ron")]
        scenarios: Vec<PathBuf>,

        /// Years of the unit table, the difference charts and the terminal table.
        #[arg(long, value_delimiter = ',', default_values_t = report::compare::default_years())]
        years: Vec<i32>,

        #[command(flatten)]
        output: OutputArgs,
    },
    /// Run a sensitivity sweep (Morris, Sobol, Monte Carlo or one-at-a-time) described in a RON
    /// file: samples.csv, indices.csv, and for Monte Carlo bands.csv and
    /// target_probabilities.csv (default folder results/sweep-<name>/).
    Sweep {
        /// The sweep file, e.g. scenarios/sweeps/morris.ron.
        #[arg(value_name = "SWEEP.ron")]
        file: PathBuf,

        /// Worker threads (default: all cores). Results do not depend on it.
        #[arg(long, value_name = "N")]
        threads: Option<usize>,

        #[command(flatten)]
        output: OutputArgs,
    },
}

/// Failure classes that map to exit codes.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    BadInput(String),
}

/// Entry point used by `main.rs`.
pub fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            if err.downcast_ref::<CliError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// Loads and validates every scenario before running any, so that all problems show at once.
pub fn load_all(paths: &[PathBuf]) -> anyhow::Result<Vec<(Scenario, Dataset)>> {
    let mut loaded = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        match scenario::load(path) {
            Ok(pair) => loaded.push(pair),
            Err(errors) => problems.push(errors.to_string()),
        }
    }
    if !problems.is_empty() {
        return Err(CliError::BadInput(problems.join("\n")).into());
    }
    let mut names: Vec<&str> = loaded.iter().map(|(s, _)| s.name.as_str()).collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(CliError::BadInput(format!(
            "two scenarios are named `{}`; their results would share a folder — give each a unique `name:`",
            pair[0]
        ))
        .into());
    }
    Ok(loaded)
}

fn run(args: &Args) -> anyhow::Result<()> {
    match &args.command {
        Some(Command::Compare {
            scenarios,
            years,
            output,
        }) => compare(scenarios, years, output),
        Some(Command::Sweep {
            file,
            threads,
            output,
        }) => sweep(file, *threads, output),
        None => run_each(&args.scenarios, &args.output),
    }
}

/// Sets up every loaded scenario (calibration, schedules); all problems at once.
fn prepare_all(loaded: &[(Scenario, Dataset)]) -> anyhow::Result<Vec<engine::Prepared>> {
    let results: Vec<_> = loaded
        .par_iter()
        .map(|(scenario, data)| {
            engine::prepare(data, scenario)
                .map_err(|err| format!("scenario `{}`: {err}", scenario.name))
        })
        .collect();
    let problems: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().cloned())
        .collect();
    if !problems.is_empty() {
        return Err(CliError::BadInput(problems.join("\n")).into());
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("errors returned above"))
        .collect())
}

fn compare(paths: &[PathBuf], years: &[i32], output: &OutputArgs) -> anyhow::Result<()> {
    let loaded = load_all(paths)?;
    let scenarios: Vec<&Scenario> = loaded.iter().map(|(s, _)| s).collect();
    report::compare::check_years(years, &scenarios).map_err(CliError::BadInput)?;
    if loaded
        .iter()
        .any(|(_, data)| data.units != loaded[0].1.units)
    {
        return Err(CliError::BadInput(
            "the scenarios use data with different units; a comparison needs the same 44 units in each".into(),
        )
        .into());
    }
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let dir = output
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(format!("compare-{}", names.join("-"))));
    output::check_writable(&dir, output.force)?;
    let prepared = prepare_all(&loaded)?;
    // Runs in parallel; results are collected in input order, so outputs do not depend on the
    // number of threads.
    let trajectories: Vec<_> = loaded
        .par_iter()
        .zip(&prepared)
        .map(|((scenario, _), prepared)| {
            let options = RunOptions {
                flow_matrix_years: report::migration_years(scenario),
            };
            engine::simulate(prepared, &options, &mut engine::Silent)
        })
        .collect();
    let runs: Vec<RunReport<'_>> = loaded
        .iter()
        .zip(&prepared)
        .zip(&trajectories)
        .map(|(((scenario, data), prepared), trajectory)| RunReport {
            data,
            scenario,
            prepared,
            trajectory,
        })
        .collect();
    let comparison = report::compare::Comparison {
        runs,
        years: years.to_vec(),
    };
    output::write_atomically(&dir, output.force, |tmp| {
        report::compare::write_all(&comparison, tmp).map_err(anyhow::Error::from)
    })
    .with_context(|| format!("writing the comparison into {}", dir.display()))?;
    if !output.quiet {
        println!("{}", report::compare::summary(&comparison));
        println!("Results written to {}", dir.display());
    }
    Ok(())
}

fn sweep(path: &Path, threads: Option<usize>, output: &OutputArgs) -> anyhow::Result<()> {
    use crate::sweep::run;
    let sweep = run::load(path).map_err(|err| CliError::BadInput(format!("{err:#}")))?;
    let dir = output
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(format!("sweep-{}", sweep.name)));
    output::check_writable(&dir, output.force)?;
    let design = run::design_rows(&sweep)
        .map_err(|err| CliError::BadInput(format!("{}: {err}", path.display())))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .context("starting the worker threads")?;
    let started = std::time::Instant::now();
    let results = pool.install(|| run::run_all(&sweep, &design));
    let rejected = run::rejected(&results);
    let needs_all = !matches!(sweep.method, run::Method::MonteCarlo { .. });
    if needs_all && !rejected.is_empty() {
        let (first, reason) = &rejected[0];
        return Err(CliError::BadInput(format!(
            "{} of {} draws were rejected (first: sample {first}: {reason}); {:?} needs every run, so narrow the parameter ranges",
            rejected.len(),
            results.len(),
            sweep.method
        ))
        .into());
    }
    output::write_atomically(&dir, output.force, |tmp| {
        report::sweep::write_all(&sweep, &design, &results, tmp).map_err(anyhow::Error::from)
    })
    .with_context(|| format!("writing the sweep into {}", dir.display()))?;
    if !output.quiet {
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "Sweep `{}`: {} runs in {seconds:.1} s ({:.0} runs/s), {} rejected",
            sweep.name,
            results.len(),
            results.len() as f64 / seconds.max(1e-9),
            rejected.len()
        );
        println!("Results written to {}", dir.display());
    }
    Ok(())
}

fn run_each(paths: &[PathBuf], args: &OutputArgs) -> anyhow::Result<()> {
    let loaded = load_all(paths)?;
    let several = loaded.len() > 1;
    let mut targets = Vec::new();
    for (scenario, _) in &loaded {
        let dir = match (&args.out, several) {
            (Some(dir), false) => dir.clone(),
            (Some(parent), true) => parent.join(&scenario.name),
            (None, _) => Path::new("results").join(&scenario.name),
        };
        output::check_writable(&dir, args.force)?;
        targets.push(dir);
    }
    // Set every scenario up (calibration, policy schedules) before writing anything, so that a
    // problem in the last scenario leaves no results of the first behind.
    let prepared_all = prepare_all(&loaded)?;
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    for (((scenario, data), dir), prepared) in loaded.iter().zip(&targets).zip(&prepared_all) {
        let options = RunOptions {
            flow_matrix_years: report::migration_years(scenario),
        };
        let mut observer = progress::YearBar::new(show_progress, &scenario.name);
        let trajectory = engine::simulate(prepared, &options, &mut observer);
        let run_report = RunReport {
            data,
            scenario,
            prepared,
            trajectory: &trajectory,
        };
        output::write_atomically(dir, args.force, |tmp| {
            report::write_all(&run_report, tmp).map_err(anyhow::Error::from)
        })
        .with_context(|| format!("writing the results of `{}`", scenario.name))?;
        if !args.quiet {
            println!("{}", report::summary(&run_report));
            println!("Results written to {}", dir.display());
        }
    }
    Ok(())
}
