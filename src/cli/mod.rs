//! The command line: arguments, paths, the terminal, exit codes. The only module that prints.
//!
//! Exit codes: 0 success; 2 bad input (unreadable or invalid scenario or data, parameters the
//! model rejects, an output folder that exists and is not empty without `--force`); 1 any other
//! failure (e.g. a disk error while writing).
// The argument structs' doc comments are their `--help` texts, where `results/<name>/` is the
// usual way to write a placeholder; rustdoc would read `<name>` as an unclosed HTML tag.
#![allow(rustdoc::invalid_html_tags)]

mod output;
mod progress;

/// `println!` whose write errors are errors (`> /dev/full` exits 1), except a closed pipe
/// (`simulate … | head`): results are already written when the summary is printed, so a reader
/// that stopped early is not a failure.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        $crate::cli::stdout_result(writeln!(std::io::stdout(), $($arg)*))?;
    }};
}

/// A write to stdout: `Ok` if it worked or the reader has gone (broken pipe).
pub(crate) fn stdout_result(result: std::io::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(err).context("writing to standard output"))
        }
        _ => Ok(()),
    }
}

/// A year of `compare --years`. A value that is not a number is most likely a scenario file
/// the list swallowed (`--years 2025 2030 a.ron b.ron`): say where the option goes.
fn parse_year(text: &str) -> Result<i32, String> {
    text.trim().parse().map_err(|_| {
        if text.ends_with(".ron") || text.contains('/') {
            "not a year: --years takes every value up to the next option, so it swallowed this scenario file; put --years after the scenario files (simulate compare a.ron b.ron --years 2025,2030)".to_string()
        } else {
            "not a year; write whole years such as 2025 or 2025,2030".to_string()
        }
    })
}

/// The folder of `--out`. A value that starts with `-` is an option typed where the folder
/// belongs (`--out=-q`, or a value clap let through): refused, with the spelling that names a
/// folder of that name on purpose, `./-q`.
fn parse_out(value: std::ffi::OsString) -> Result<PathBuf, String> {
    if value.as_encoded_bytes().starts_with(b"-") {
        let shown = escape_controls(&value.to_string_lossy());
        return Err(format!(
            "`{shown}` starts with `-`, so it looks like an option typed where the output folder belongs; nothing was run. Give a folder, e.g. --out results/run1, or write --out ./{shown} if the folder's name really starts with `-`"
        ));
    }
    Ok(PathBuf::from(value))
}

/// Each year of `compare --years` once: a year given twice is a typo for another year (its
/// rows and columns would be repeated, the year meant missing).
fn check_distinct_years(years: &[i32]) -> Result<(), String> {
    for (position, year) in years.iter().enumerate() {
        if years[..position].contains(year) {
            return Err(format!(
                "--years: {year} is given twice; list each year once, e.g. --years {}",
                years
                    .iter()
                    .enumerate()
                    .filter(|(i, y)| !years[..*i].contains(y))
                    .map(|(_, y)| y.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ));
        }
    }
    Ok(())
}

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
// `try_map` of the value parser of --out.
use clap::builder::TypedValueParser as _;
use clap::Parser;
use rayon::prelude::*;

use crate::data::{escape_controls, escaped_path, Dataset};
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
        trajectories.csv, totals.csv, migration_<year>.csv, targets.csv,\n  \
        base_year_checks.csv, manifest.json,\n  \
        population/gdp/targets/map charts as .svg and .png, report.html (all on one page).\n\n\
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
    /// Output folder. Defaults: results/<name>/ for a run, results/compare-<names>/,
    /// results/sweep-<name>/, results/calibrate-<name>/ and
    /// results/backtest-<name>-<observed file name>/. Several scenarios in one run: the parent
    /// folder, each scenario in DIR/<name>/.
    #[arg(long, value_name = "DIR", value_parser = clap::builder::OsStringValueParser::new().try_map(parse_out))]
    pub out: Option<PathBuf>,

    /// Replace an existing results folder of simulate (a folder that holds anything else is
    /// refused; the old one is removed only after the new one is complete).
    #[arg(long)]
    pub force: bool,

    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Fit free parameters to the unit data of the years before 2014 (Nelder–Mead):
    /// calibrated.ron (a scenario extending the input), parameters.csv, fit.csv, calibration.md,
    /// fit chart (default folder results/calibrate-<name>/).
    Calibrate(CalibrateArgs),
    /// Run several scenarios (in parallel) and compare them with the first, the reference:
    /// comparison.csv (with intervals), comparison_totals.csv, comparison_sources.csv (where
    /// added people come from), inputs_diff.csv, targets_comparison.csv, charts, report.html.
    Compare {
        /// Scenario files; the first is the reference.
        #[arg(required = true, num_args = 2.., value_name = "SCENARIO.ron")]
        scenarios: Vec<PathBuf>,

        /// Years of the unit table, the difference charts and the terminal table, each once:
        /// `2020 2030` or `2020,2030`, after the scenario files (the list runs to the next
        /// option).
        #[arg(long, num_args = 1.., value_delimiter = ',', value_parser = parse_year, default_values_t = report::compare::default_years())]
        years: Vec<i32>,

        #[command(flatten)]
        output: OutputArgs,
    },
    /// Run a sensitivity sweep over parameters and policy levers (Morris, Sobol, Monte Carlo or
    /// one-at-a-time) described in a RON file: samples.csv, indices.csv, and for Monte Carlo
    /// bands.csv and target_probabilities.csv (default folder results/sweep-<name>/).
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Sweep {
        #[command(subcommand)]
        action: Option<SweepAction>,

        /// The sweep file, e.g. scenarios/sweeps/morris.ron.
        #[arg(value_name = "SWEEP.ron", required = true)]
        file: Option<PathBuf>,

        /// Worker threads, 1 to 256 (default: all cores). Results do not depend on it.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_THREADS))]
        threads: Option<u16>,

        /// Run only shard K of N (every N-th chunk of 64 runs), e.g. one Slurm array task;
        /// assemble the shards with `simulate sweep merge`.
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,

        /// Continue a sweep that was stopped: finished chunks (kept in <out>.progress/) are
        /// not recomputed.
        #[arg(long)]
        resume: bool,

        #[command(flatten)]
        output: OutputArgs,
    },
    /// Run a scenario and compare it with observations of later years (population, GDP per
    /// unit), next to three naive forecasts (regional rate, own trend, census momentum):
    /// backtest.csv, backtest_summary.csv, backtest_groups.csv, cross_validation.csv,
    /// manifest.json, per variable a skill chart (every forecast's MAPE, all units and by kind),
    /// a scatter and an error map, report.html (default folder
    /// results/backtest-<name>-<observed file name>/).
    Backtest {
        /// The scenario file; observations must fall after its start year.
        #[arg(value_name = "SCENARIO.ron")]
        scenario: PathBuf,

        /// CSV with columns unit_id,year,variable,value (variable: population in persons or
        /// gdp in yuan at 2014 prices; other columns ignored, `status` carried through).
        #[arg(long, value_name = "FILE.csv")]
        observed: PathBuf,

        /// Score only the observations whose `status` is one of these (comma-separated), e.g.
        /// `--status observed,derived` to leave out values that are themselves estimates.
        #[arg(long, value_name = "STATUS,...", value_delimiter = ',')]
        status: Vec<String>,

        #[command(flatten)]
        output: OutputArgs,
    },
}

/// `simulate calibrate`: arguments.
#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// A scenario that starts before 2014, e.g. scenarios/hindcast_2010.ron.
    #[arg(value_name = "SCENARIO.ron")]
    pub scenario: PathBuf,

    /// Parameters to fit, `a,b` or `a b` (default: epsilon, beta_per_hour, lambda, gamma,
    /// migrant_stay_years, trend_decay).
    #[arg(long, num_args = 1.., value_delimiter = ',', value_name = "a,b,...")]
    pub params: Option<Vec<String>>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum SweepAction {
    /// Assemble the outputs of `--shard K/N` runs into the sweep's results (identical to a run
    /// on one machine).
    Merge {
        /// The shard output folders.
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,

        #[command(flatten)]
        output: OutputArgs,
    },
}

/// Drops the locks in reverse order of taking (see `run_each`).
fn scopeguard_reverse(mut locks: Vec<output::FolderLock>) -> impl Drop {
    struct Reverse(Vec<output::FolderLock>);
    impl Drop for Reverse {
        fn drop(&mut self) {
            while self.0.pop().is_some() {}
        }
    }
    locks.shrink_to_fit();
    Reverse(locks)
}

/// Most worker threads a sweep may start (`--threads`).
pub const MAX_THREADS: i64 = 256;

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
    let result = run(&args).and_then(|()| {
        use std::io::Write as _;
        stdout_result(std::io::stdout().flush())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", error_chain(&err));
            if err.downcast_ref::<CliError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// The error and its causes joined by ": " as `{:#}` prints them, leaving out a cause whose
/// message the one before it already ends with (an error that shows its source, `{0}`, and
/// names it as its source too): "No space left on device (os error 28)" once, not twice.
fn error_chain(err: &anyhow::Error) -> String {
    let mut text = String::new();
    let mut previous = String::new();
    for cause in err.chain() {
        let message = cause.to_string();
        if !previous.is_empty() && previous.ends_with(&message) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&message);
        previous = message;
    }
    text
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
            action: Some(SweepAction::Merge { dirs, output }),
            ..
        }) => sweep_merge(dirs, output),
        Some(Command::Sweep {
            action: None,
            file,
            threads,
            shard,
            resume,
            output,
        }) => {
            let file = file.as_deref().ok_or_else(|| {
                CliError::BadInput("sweep needs a sweep file (SWEEP.ron) or `merge`".into())
            })?;
            sweep(
                file,
                threads.map(usize::from),
                shard.as_deref(),
                *resume,
                output,
            )
        }
        Some(Command::Calibrate(calibrate_args)) => calibrate(calibrate_args),
        Some(Command::Backtest {
            scenario,
            observed,
            status,
            output,
        }) => backtest(scenario, observed, status, output),
        None => {
            check_not_a_command(&args.scenarios)?;
            run_each(&args.scenarios, &args.output)
        }
    }
}

/// Refuses a scenario path that does not exist and is the name of a command: the command came
/// after an option (`simulate -q compare a.ron b.ron`), so clap took it for a scenario file.
/// The message shows the command line with the command first.
fn check_not_a_command(paths: &[PathBuf]) -> anyhow::Result<()> {
    use clap::CommandFactory;
    let args = Args::command();
    let commands: Vec<&str> = args.get_subcommands().map(|c| c.get_name()).collect();
    for path in paths {
        let Some(word) = path.to_str() else {
            continue;
        };
        let command = match word {
            "merge" => "sweep merge",
            _ if commands.contains(&word) => word,
            _ => continue,
        };
        if path.exists() {
            continue;
        }
        let mut rest: Vec<String> = std::env::args_os()
            .skip(1)
            .map(|a| {
                let a = a.to_string_lossy().into_owned();
                if a.contains(char::is_whitespace) || a.is_empty() {
                    format!("{a:?}")
                } else {
                    escape_controls(&a)
                }
            })
            .collect();
        if let Some(at) = rest.iter().position(|a| a == word) {
            rest.remove(at);
        }
        return Err(CliError::BadInput(format!(
            "`{word}` is a command, not a scenario file (there is no file of that name): options go after the command, e.g. `simulate {command} {}`",
            rest.join(" ")
        ))
        .into());
    }
    Ok(())
}

fn calibrate(args: &CalibrateArgs) -> anyhow::Result<()> {
    let (scenario, data) = load_all(std::slice::from_ref(&args.scenario))?
        .pop()
        .expect("one scenario loaded");
    let dir = args
        .output
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(format!("calibrate-{}", scenario.name)));
    output::check_writable(&dir, args.output.force)?;
    if let Some(params) = &args.params {
        if params.iter().any(|p| p.trim().is_empty()) {
            return Err(CliError::BadInput(format!(
                "--params `{}` holds an empty parameter name; give names separated by commas, e.g. --params epsilon,gamma (or leave --params out for the default set)",
                escape_controls(&params.join(","))
            ))
            .into());
        }
    }
    let names: Vec<String> = args.params.clone().unwrap_or_else(|| {
        crate::calibrate::DEFAULT_PARAMETERS
            .iter()
            .map(ToString::to_string)
            .collect()
    });
    let _lock = output::lock(&dir)?;
    let derived = engine::DataDerived::new(&data);
    let bar = progress::EvaluationsBar::new(
        !args.output.quiet && std::io::stderr().is_terminal(),
        &format!("calibrate {}", scenario.name),
    );
    let observer = |evaluations: usize, best: f64| bar.update(evaluations, best);
    let problem = crate::calibrate::Problem::new(&data, &derived, &scenario, &names)
        .map_err(|err| match err {
            // A field of the scenario: name the file that sets it, with the line and column.
            crate::calibrate::CalibrateError::EndsBeforeFit { .. } => {
                match scenario::read_chain(&args.scenario) {
                    Ok(chain) => CliError::BadInput(
                        scenario::problem_at_field(&chain, "end_year", err.to_string()).to_string(),
                    ),
                    Err(_) => CliError::BadInput(format!(
                        "{}: `end_year`: {err}",
                        escaped_path(&args.scenario)
                    )),
                }
            }
            _ => CliError::BadInput(format!("{}: {err}", escaped_path(&args.scenario))),
        })?
        .with_observer(&observer);
    let clock = std::time::Instant::now();
    let fit = crate::calibrate::fit(problem, &crate::calibrate::Settings::default());
    bar.finish();
    let fit =
        fit.map_err(|err| CliError::BadInput(format!("{}: {err}", escaped_path(&args.scenario))))?;
    let seconds = clock.elapsed().as_secs_f64();
    let params = &scenario.params;
    let gdp_persistence = crate::calibrate::gdp_persistence::fit(
        &data,
        params.trend_cap(),
        (params.trend_decay(), params.income_convergence()),
    );
    let report = report::calibrate::CalibrationReport {
        data: &data,
        scenario: &scenario,
        fit: &fit,
        gdp_persistence: &gdp_persistence,
        extends: output::relative_path(&dir, &args.scenario)?,
    };
    output::write_atomically(&dir, args.output.force, |tmp| {
        report::outputs::write_calibration(&report, tmp).map_err(anyhow::Error::from)
    })
    .with_context(|| format!("writing the calibration of `{}`", scenario.name))?;
    if !args.output.quiet {
        say!("{}", report::calibrate::markdown(&report));
        say!(
            "Fitted in {seconds:.2} s. Results written to {}; run the fitted scenario with\n  simulate {}",
            escaped_path(&dir),
            escaped_path(&dir.join("calibrated.ron"))
        );
    }
    Ok(())
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
    check_distinct_years(years).map_err(CliError::BadInput)?;
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
    let _lock = output::lock(&dir)?;
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
    // Each scenario's parameter uncertainty, for the intervals of comparison.csv.
    let spreads: Vec<_> = loaded
        .par_iter()
        .map(|(scenario, data)| crate::sweep::spread::parameter_spread(data, scenario))
        .collect();
    let runs: Vec<RunReport<'_>> = loaded
        .iter()
        .zip(&prepared)
        .zip(&trajectories)
        .zip(&spreads)
        .map(
            |((((scenario, data), prepared), trajectory), spread)| RunReport {
                data,
                scenario,
                prepared,
                trajectory,
                parameter_spread: Some(spread),
            },
        )
        .collect();
    let comparison = report::compare::Comparison {
        runs,
        years: years.to_vec(),
    };
    output::write_atomically(&dir, output.force, |tmp| {
        report::outputs::write_comparison(&comparison, tmp).map_err(anyhow::Error::from)
    })
    .with_context(|| format!("writing the comparison into {}", escaped_path(&dir)))?;
    if !output.quiet {
        say!("{}", report::compare::summary(&comparison));
        say!("Results written to {}", escaped_path(&dir));
    }
    Ok(())
}

/// Chunks computed in one parallel pass: threads meet only at the end of a batch, not at the
/// end of every 64-run chunk (1,024 runs; at most a batch of work is redone after a kill).
const BATCH_CHUNKS: usize = 16;

fn sweep(
    path: &Path,
    threads: Option<usize>,
    shard: Option<&str>,
    resume: bool,
    output: &OutputArgs,
) -> anyhow::Result<()> {
    use crate::sweep::{run, store};
    let sweep = run::load(path).map_err(|err| CliError::BadInput(format!("{err:#}")))?;
    let shard = match shard {
        Some(text) => store::Shard::parse(text).map_err(CliError::BadInput)?,
        None => store::Shard::WHOLE,
    };
    let default_name = if shard == store::Shard::WHOLE {
        format!("sweep-{}", sweep.name)
    } else {
        format!(
            "sweep-{}-shard-{}-of-{}",
            sweep.name, shard.index, shard.count
        )
    };
    sweep
        .check_runs_per_process(shard.count)
        .map_err(|err| CliError::BadInput(err.to_string()))?;
    let dir = output
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(default_name));
    let progress = dir.with_file_name(format!(
        "{}.progress",
        dir.file_name()
            .map_or("sweep".into(), |n| n.to_string_lossy())
    ));
    // What the progress folder holds is checked before anything is removed or written.
    let stale = dir.join("manifest.json").is_file();
    if let Some(link) = output::Symlink::at(&progress) {
        return Err(CliError::BadInput(format!(
            "{} (where this sweep keeps its progress) {}; simulate neither writes its progress through a link nor removes it. Nothing was changed: remove the link, or choose another --out",
            escaped_path(&link.path),
            link.points_to()
        ))
        .into());
    }
    if progress.exists() {
        if !progress.is_dir() {
            return Err(CliError::BadInput(format!(
                "{} (where this sweep keeps its progress) exists and is not a folder; move it away or choose another --out",
                escaped_path(&progress)
            ))
            .into());
        }
        if let Err(why) = output::previous_result(&progress) {
            return Err(CliError::BadInput(format!(
                "{} (where this sweep keeps its progress) is not sweep progress of simulate ({why}); nothing was changed: move it away or choose another --out",
                escaped_path(&progress)
            ))
            .into());
        }
        if !resume && !output.force {
            return Err(CliError::BadInput(if stale {
                format!(
                    "{} is the stale progress of a sweep whose results are complete in {}; --force removes it (and replaces the results)",
                    escaped_path(&progress),
                    escaped_path(&dir)
                )
            } else {
                format!(
                    "{} holds the progress of an earlier run of this sweep: use --resume to continue it, or --force to start over",
                    escaped_path(&progress)
                )
            })
            .into());
        }
    }
    output::check_writable(&dir, output.force)?;
    let _lock = output::lock(&dir)?;
    let design = run::design_rows(&sweep)
        .map_err(|err| CliError::BadInput(format!("{}: {err}", escaped_path(path))))?;
    let rows = design.len();
    let chunks = store::chunk_count(rows);
    if shard.index > chunks {
        return Err(CliError::BadInput(format!(
            "shard {}/{} would have no runs: this sweep's {} runs make {chunks} chunk{} of {}, and shard K runs every N-th chunk from the K-th; use at most {chunks} shards (--shard K/{chunks})",
            shard.index,
            shard.count,
            crate::data::thousands(rows),
            if chunks == 1 { "" } else { "s" },
            store::CHUNK_ROWS
        ))
        .into());
    }
    if progress.exists() && !resume {
        std::fs::remove_dir_all(&progress)
            .with_context(|| format!("removing {}", escaped_path(&progress)))?;
        if stale && !output.quiet {
            eprintln!(
                "note: removed {}, the stale progress of a sweep whose results are complete in {}",
                escaped_path(&progress),
                escaped_path(&dir)
            );
        }
    }
    // A progress folder made by this run (not one --resume continues) is removed again when
    // the sweep is refused after its runs (every draw rejected), so that nothing is left.
    let progress_is_new = !progress.exists();
    let info = store::StoreInfo {
        format: store::FORMAT,
        sweep_file: std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string(),
        sweep_sha256: sweep.source_hash.clone(),
        rows,
        chunk_rows: store::CHUNK_ROWS,
        shard,
    };
    store::open(&progress, &info).map_err(CliError::BadInput)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .context("starting the worker threads")?;
    let started = std::time::Instant::now();
    let owned: Vec<usize> = (0..store::chunk_count(rows))
        .filter(|&c| shard.owns(c))
        .collect();
    let whole = shard == store::Shard::WHOLE;
    // A whole sweep gathers what its outputs need as chunks complete, in chunk order, and
    // streams samples.csv into the progress folder; a shard only stores its chunks. A writer
    // thread does both (and writes the chunk files) while the workers compute the next batch.
    let gathered = if whole {
        Some(Gathered::new(&sweep, progress.join("samples.csv.partial"))?)
    } else {
        None
    };
    let mut reused = 0;
    let mut damaged = 0;
    let owned_runs: usize = owned
        .iter()
        .map(|&c| store::chunk_rows(c, rows).len())
        .sum();
    let bar = progress::RunsBar::new(
        !output.quiet && std::io::stderr().is_terminal(),
        &format!("sweep `{}`", sweep.name),
        owned_runs as u64,
    );
    let (gathered, computed) = std::thread::scope(|scope| -> anyhow::Result<_> {
        let (sender, receiver) =
            std::sync::mpsc::sync_channel::<(usize, Vec<run::RunResult>, bool)>(BATCH_CHUNKS);
        let (sweep, progress) = (&sweep, &progress);
        let writer = scope.spawn(move || -> anyhow::Result<_> {
            let mut gathered = gathered;
            let mut computed = 0;
            for (chunk, results, fresh) in receiver {
                if fresh {
                    store::write_chunk(progress, chunk, &results).map_err(anyhow::Error::msg)?;
                    computed += results.len();
                }
                if let Some(gathered) = &mut gathered {
                    gathered.add(sweep, store::chunk_rows(chunk, rows).start, &results)?;
                }
            }
            Ok((gathered, computed))
        });
        'batches: for batch in owned.chunks(BATCH_CHUNKS) {
            let mut results: Vec<Option<Vec<run::RunResult>>> = Vec::with_capacity(batch.len());
            for &chunk in batch {
                let range = store::chunk_rows(chunk, rows);
                // A chunk that cannot be read back whole (a kill mid-write on a file system
                // without atomic rename, a disk error, a hand edit) is computed again.
                let stored = match store::read_chunk(progress, chunk, range.len()) {
                    Ok(Some(stored)) if sweep.fits(&stored) => Some(stored),
                    Ok(None) => None,
                    Ok(Some(_)) | Err(_) => {
                        damaged += 1;
                        None
                    }
                };
                reused += stored.as_ref().map_or(0, Vec::len);
                results.push(stored);
            }
            let ranges: Vec<_> = batch
                .iter()
                .zip(&results)
                .filter(|(_, stored)| stored.is_none())
                .map(|(&chunk, _)| store::chunk_rows(chunk, rows))
                .collect();
            let mut fresh = pool
                .install(|| run::run_row_ranges(sweep, &design, &ranges))
                .into_iter();
            bar.advance(
                batch
                    .iter()
                    .map(|&c| store::chunk_rows(c, rows).len())
                    .sum(),
            );
            for (&chunk, stored) in batch.iter().zip(results) {
                let message = match stored {
                    Some(stored) => (chunk, stored, false),
                    None => (
                        chunk,
                        fresh.next().expect("one result per missing chunk"),
                        true,
                    ),
                };
                if sender.send(message).is_err() {
                    break 'batches; // the writer stopped: its error is reported below
                }
            }
        }
        drop(sender);
        writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })?;
    bar.finish();
    let run_seconds = started.elapsed().as_secs_f64();
    let writing = std::time::Instant::now();
    let mut headline = String::new();
    if let Some(gathered) = gathered {
        headline = match finish_sweep(&sweep, &design, gathered, &dir, output) {
            Ok(headline) => headline,
            Err(err) => {
                // Bad input (rejected draws): what this run stored is of no use. Other
                // failures (a disk error) keep it for --resume.
                if progress_is_new && err.downcast_ref::<CliError>().is_some() {
                    let _ = std::fs::remove_dir_all(&progress);
                }
                return Err(err);
            }
        };
    } else {
        output::write_atomically(&dir, output.force, |tmp| {
            store::copy_chunks(&progress, tmp, owned.iter().copied())
                .map_err(anyhow::Error::msg)?;
            Ok(vec!["store.json".into()])
        })
        .with_context(|| format!("writing the shard into {}", escaped_path(&dir)))?;
    }
    std::fs::remove_dir_all(&progress)
        .with_context(|| format!("removing {}", escaped_path(&progress)))?;
    if !output.quiet {
        let part = if whole {
            String::new()
        } else {
            format!(" shard {}/{}", shard.index, shard.count)
        };
        let mut resumed = if reused > 0 {
            format!(
                ", {} runs resumed from earlier progress",
                scenario::thousands(reused)
            )
        } else {
            String::new()
        };
        if damaged > 0 {
            resumed.push_str(&format!(
                ", {damaged} damaged chunk(s) of it computed again"
            ));
        }
        say!(
            "Sweep `{}`{part}: {} runs in {run_seconds:.1} s ({} runs/s){resumed}; outputs written in {:.1} s{}",
            sweep.name,
            scenario::thousands(computed),
            scenario::thousands((computed as f64 / run_seconds.max(1e-9)).round() as usize),
            writing.elapsed().as_secs_f64(),
            peak_memory().map_or(String::new(), |mb| format!("; peak memory {mb:.0} MB")),
        );
        if !headline.is_empty() {
            say!("{headline}");
        }
        say!("Results written to {}", escaped_path(&dir));
    }
    Ok(())
}

/// This process's peak resident memory in MB (Linux: VmHWM in /proc/self/status).
fn peak_memory() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// What a whole sweep's outputs need, gathered chunk by chunk: the summary and samples.csv,
/// streamed to a file as it grows.
struct Gathered {
    summary: crate::sweep::run::Summary,
    samples_path: PathBuf,
    samples: std::io::BufWriter<std::fs::File>,
    buffer: String,
}

impl Gathered {
    fn new(sweep: &crate::sweep::run::Sweep, samples_path: PathBuf) -> anyhow::Result<Gathered> {
        use std::io::Write;
        let file = std::fs::File::create(&samples_path)
            .with_context(|| format!("creating {}", escaped_path(&samples_path)))?;
        let mut samples = std::io::BufWriter::new(file);
        samples
            .write_all(report::sweep::samples_header(sweep).as_bytes())
            .with_context(|| format!("writing {}", escaped_path(&samples_path)))?;
        Ok(Gathered {
            summary: crate::sweep::run::Summary::new(sweep),
            samples_path,
            samples,
            buffer: String::new(),
        })
    }

    /// Adds the runs of a chunk whose first row is `first` (chunks in order).
    fn add(
        &mut self,
        sweep: &crate::sweep::run::Sweep,
        first: usize,
        results: &[crate::sweep::run::RunResult],
    ) -> anyhow::Result<()> {
        use std::io::Write;
        self.summary.add(results);
        self.buffer.clear();
        report::sweep::append_samples(sweep, first, results, &mut self.buffer);
        self.samples
            .write_all(self.buffer.as_bytes())
            .with_context(|| format!("writing {}", escaped_path(&self.samples_path)))
    }

    /// The summary, and the finished samples.csv at its path.
    fn finish(mut self) -> anyhow::Result<(crate::sweep::run::Summary, PathBuf)> {
        use std::io::Write;
        self.samples
            .flush()
            .with_context(|| format!("writing {}", escaped_path(&self.samples_path)))?;
        Ok((self.summary, self.samples_path))
    }
}

/// Checks the runs and writes the sweep's outputs (a whole run or merged shards).
/// Writes a whole sweep's outputs; returns the headline numbers for the terminal (Monte Carlo:
/// output quantiles and target probabilities; empty otherwise).
fn finish_sweep(
    sweep: &crate::sweep::run::Sweep,
    design: &crate::sweep::run::Design,
    gathered: Gathered,
    dir: &Path,
    output: &OutputArgs,
) -> anyhow::Result<String> {
    use crate::sweep::run;
    let (summary, samples) = gathered.finish()?;
    if summary.runs > 0 && summary.rejected.len() == summary.runs {
        let (first, reason) = &summary.rejected[0];
        return Err(CliError::BadInput(format!(
            "{}: all {} draws were rejected (first: sample {first}: {reason}); nothing was written. Narrow the parameter distributions towards the defaults of docs/MODEL.md (and lever strengths towards 1)",
            escaped_path(&sweep.source),
            summary.runs,
        ))
        .into());
    }
    let needs_all = !matches!(sweep.method, run::Method::MonteCarlo { .. });
    if needs_all && !summary.rejected.is_empty() {
        let (first, reason) = &summary.rejected[0];
        return Err(CliError::BadInput(format!(
            "{}: {} of {} draws were rejected (first: sample {first}: {reason}); {:?} needs every run, so narrow the parameter ranges (or lever strengths)",
            escaped_path(&sweep.source),
            summary.rejected.len(),
            summary.runs,
            sweep.method
        ))
        .into());
    }
    output::write_atomically(dir, output.force, |tmp| {
        let target = tmp.join("samples.csv");
        std::fs::rename(&samples, &target)
            .or_else(|_| std::fs::copy(&samples, &target).map(|_| ()))
            .with_context(|| format!("moving {} into place", escaped_path(&samples)))?;
        let mut written = vec!["samples.csv".to_string()];
        written.extend(report::outputs::write_sweep(sweep, design, &summary, tmp)?);
        Ok(written)
    })
    .with_context(|| format!("writing the sweep into {}", escaped_path(dir)))?;
    Ok(report::sweep::headline(sweep, design, &summary)?)
}

fn sweep_merge(dirs: &[PathBuf], output: &OutputArgs) -> anyhow::Result<()> {
    use crate::sweep::{run, store};
    let infos: Vec<store::StoreInfo> = dirs
        .iter()
        .map(|dir| store::read_info(dir))
        .collect::<Result<_, _>>()
        .map_err(CliError::BadInput)?;
    let first = &infos[0];
    if let Some((dir, _)) = dirs.iter().zip(&infos).find(|(_, i)| {
        i.sweep_sha256 != first.sweep_sha256 || i.rows != first.rows || i.format != first.format
    }) {
        return Err(CliError::BadInput(format!(
            "{} belongs to a different sweep than {}",
            escaped_path(dir),
            escaped_path(&dirs[0])
        ))
        .into());
    }
    if first.format != store::FORMAT {
        return Err(CliError::BadInput(format!(
            "{} was written by an older simulate (chunk format {}, now {}); run its shards again",
            escaped_path(&dirs[0]),
            first.format,
            store::FORMAT
        ))
        .into());
    }
    let sweep = run::load(Path::new(&first.sweep_file))
        .map_err(|err| CliError::BadInput(format!("{err:#}")))?;
    if sweep.source_hash != first.sweep_sha256 {
        return Err(CliError::BadInput(format!(
            "{} changed since the shards ran; merge needs the same sweep file",
            escape_controls(&first.sweep_file)
        ))
        .into());
    }
    let design = run::design_rows(&sweep).map_err(|err| CliError::BadInput(err.to_string()))?;
    let rows = design.len();
    let dir = output
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(format!("sweep-{}", sweep.name)));
    // With --force the merged result would replace a shard it was read from.
    if let Ok(target) = dir.canonicalize() {
        if let Some(input) = dirs
            .iter()
            .find(|d| d.canonicalize().is_ok_and(|c| c == target))
        {
            return Err(CliError::BadInput(format!(
                "--out {} is the shard folder {} being merged; the merged result would replace that shard's runs. Nothing was changed; choose another folder with --out",
                escaped_path(&dir),
                escaped_path(input)
            ))
            .into());
        }
    }
    output::check_writable(&dir, output.force)?;
    let _lock = output::lock(&dir)?;
    let samples_path = dir.with_file_name(format!(
        ".{}.samples-{}.csv",
        dir.file_name()
            .map_or("sweep".into(), |n| n.to_string_lossy()),
        std::process::id()
    ));
    if let Some(parent) = samples_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", escaped_path(parent)))?;
    }
    let mut gathered = Gathered::new(&sweep, samples_path.clone())?;
    let merged = (|| -> anyhow::Result<()> {
        for chunk in 0..store::chunk_count(rows) {
            let range = store::chunk_rows(chunk, rows);
            let mut found = None;
            for (dir, info) in dirs.iter().zip(&infos) {
                if info.shard.owns(chunk) {
                    let stored = store::read_chunk(dir, chunk, range.len()).map_err(|err| {
                        CliError::BadInput(format!(
                            "{err}; run the shard of {} again",
                            escaped_path(dir)
                        ))
                    })?;
                    if let Some(stored) = stored {
                        if !sweep.fits(&stored) {
                            return Err(CliError::BadInput(format!(
                                "chunk {chunk} in {} does not fit the sweep (damaged?); run that shard again",
                                escaped_path(dir)
                            ))
                            .into());
                        }
                        found = Some(stored);
                        break;
                    }
                }
            }
            let Some(stored) = found else {
                return Err(CliError::BadInput(format!(
                    "chunk {chunk} (runs {}–{}) is in none of the folders; merge needs all {} shards",
                    range.start,
                    range.end - 1,
                    first.shard.count
                ))
                .into());
            };
            gathered.add(&sweep, range.start, &stored)?;
        }
        Ok(())
    })();
    let result = merged.and_then(|()| finish_sweep(&sweep, &design, gathered, &dir, output));
    // On success the samples file was moved into the results; otherwise it is a leftover.
    let _ = std::fs::remove_file(&samples_path);
    let headline = result?;
    if !output.quiet && !headline.is_empty() {
        say!("{headline}");
    }
    if !output.quiet {
        say!(
            "Merged {} runs from {} folders into {}",
            rows,
            dirs.len(),
            escaped_path(&dir)
        );
    }
    Ok(())
}

/// `results/backtest-<scenario>-<observed file stem>[-<statuses>]`: backtests of one scenario
/// against different observations, or different statuses of them, go to different folders.
/// The stem and the statuses (joined by `_`) keep ASCII letters, digits, `_`, `-` and `.`
/// (others become `_`) and at most 40 characters each.
fn default_backtest_dir(scenario: &str, observed: &Path, statuses: &[String]) -> PathBuf {
    let safe = |text: &str| -> String {
        text.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .take(40)
            .collect()
    };
    let stem = safe(
        &observed
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    let mut name = format!("backtest-{scenario}");
    for part in [stem, safe(&statuses.join("_"))] {
        if !part.is_empty() {
            name = format!("{name}-{part}");
        }
    }
    Path::new("results").join(name)
}

/// `simulate backtest`: one run compared with a file of observations (`crate::backtest`).
fn backtest(
    path: &Path,
    observed: &Path,
    raw_statuses: &[String],
    output: &OutputArgs,
) -> anyhow::Result<()> {
    use crate::backtest::observed::{self, RunYears};
    let statuses: Vec<String> = raw_statuses
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if statuses.is_empty() && !raw_statuses.is_empty() {
        return Err(CliError::BadInput(
            "--status is empty: give the statuses to keep, e.g. --status observed,derived, or leave it out"
                .to_string(),
        )
        .into());
    }
    let loaded = match load_all(&[path.to_path_buf()]) {
        Ok(loaded) => loaded,
        Err(err) => {
            // The observed file's problems too, when the years and units it is checked
            // against can be read from the scenario files.
            let Some(years) = observed_years_without_scenario(path) else {
                return Err(err);
            };
            return match observed::load(observed, &Dataset::embedded().units, years) {
                Ok(_) => Err(err),
                Err(observed_errors) => Err(CliError::BadInput(format!(
                    "{}
{observed_errors}",
                    err.downcast_ref::<CliError>()
                        .map_or_else(|| err.to_string(), ToString::to_string)
                ))
                .into()),
            };
        }
    };
    let (scenario, data) = &loaded[0];
    let dir = output
        .out
        .clone()
        .unwrap_or_else(|| default_backtest_dir(&scenario.name, observed, &statuses));
    output::check_writable(&dir, output.force)?;
    let years = RunYears {
        start: scenario.start_year,
        end: scenario.end_year,
    };
    let mut observed = observed::load(observed, &data.units, years)
        .map_err(|err| CliError::BadInput(err.to_string()))?;
    if !statuses.is_empty() {
        observed = observed::keep_statuses(observed, &statuses)
            .map_err(|err| CliError::BadInput(err.to_string()))?;
    }
    let _lock = output::lock(&dir)?;
    let prepared = prepare_all(&loaded)?.remove(0);
    let mut observer = progress::YearBar::new(
        !output.quiet && std::io::stderr().is_terminal(),
        &scenario.name,
    );
    let trajectory = engine::simulate(&prepared, &RunOptions::default(), &mut observer);
    // Values in 万 or 亿, or typos, are refused before anything is scored or written.
    observed::check_magnitudes(&observed, &data.units, &trajectory)
        .map_err(|err| CliError::BadInput(err.to_string()))?;
    let spread = crate::sweep::spread::parameter_spread(data, scenario);
    let result = crate::backtest::evaluate(
        data,
        &prepared,
        &trajectory,
        &observed.observations,
        Some(&spread),
    );
    let folds = crate::backtest::cross_validation::leave_one_province_out(
        data,
        scenario,
        &observed.observations,
    )
    .map_err(|err| {
        CliError::BadInput(format!("{}: cross-validation: {err}", escaped_path(path)))
    })?;
    let report = report::backtest::BacktestReport {
        run: RunReport {
            data,
            scenario,
            prepared: &prepared,
            trajectory: &trajectory,
            parameter_spread: Some(&spread),
        },
        observed: &observed,
        backtest: &result,
        cross_validation: &folds,
    };
    output::write_atomically(&dir, output.force, |tmp| {
        report::outputs::write_backtest(&report, tmp).map_err(anyhow::Error::from)
    })
    .with_context(|| format!("writing the backtest into {}", escaped_path(&dir)))?;
    if !output.quiet {
        say!("{}", report::backtest::summary(&report));
        say!("Results written to {}", escaped_path(&dir));
    }
    Ok(())
}

/// The years a backtest of the scenario at `path` would check observations against, read from
/// its files when it fails validation: `None` when they cannot be read, are not valid, or the
/// scenario names data of its own (whose units the observations may name).
fn observed_years_without_scenario(path: &Path) -> Option<crate::backtest::observed::RunYears> {
    let chain = scenario::read_chain(path).ok()?;
    if chain.iter().any(|f| f.raw.data.is_some()) {
        return None;
    }
    let nearest = |get: fn(&scenario::ScenarioFile) -> Option<i32>| {
        chain.iter().rev().find_map(|f| get(&f.raw))
    };
    let start = nearest(|f| f.start_year).unwrap_or(scenario::BASE_YEAR);
    let end = nearest(|f| f.end_year).unwrap_or(scenario::DEFAULT_END_YEAR);
    (scenario::START_YEARS.contains(&start) && start < end && end <= scenario::LAST_YEAR)
        .then_some(crate::backtest::observed::RunYears { start, end })
}

fn run_each(paths: &[PathBuf], args: &OutputArgs) -> anyhow::Result<()> {
    let loaded = load_all(paths)?;
    let several = loaded.len() > 1;
    // Several runs go into folders inside --out: never into the result of a single run.
    let replaced_parent = match (&args.out, several) {
        (Some(parent), true) if output::check_parent_of_several(parent, args.force)? => {
            Some(parent)
        }
        _ => None,
    };
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
    // With --force, the old result in --out is set aside (under its lock) and deleted only once
    // every run is written; on failure it is put back.
    let (_parent_lock, aside) = match replaced_parent {
        Some(parent) => {
            let lock = output::lock(parent)?;
            (Some(lock), Some(output::set_aside(parent)?))
        }
        None => (None, None),
    };
    let written = write_each(&loaded, &targets, &prepared_all, args);
    match (written, aside) {
        (Ok(()), Some(aside)) => aside.discard(),
        (Err(err), Some(aside)) => {
            aside.restore();
            Err(err)
        }
        (written, None) => written,
    }
}

/// Runs and writes each prepared scenario into its folder (see [`run_each`]).
fn write_each(
    loaded: &[(Scenario, Dataset)],
    targets: &[PathBuf],
    prepared_all: &[engine::Prepared],
    args: &OutputArgs,
) -> anyhow::Result<()> {
    // Locked once everything is validated (the lock may create the parent folder); the last
    // lock taken is dropped first, so a parent created for the first is empty again by then.
    let mut locks = Vec::new();
    for dir in targets {
        locks.push(output::lock(dir)?);
    }
    let _locks = scopeguard_reverse(locks);
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    for (((scenario, data), dir), prepared) in loaded.iter().zip(targets).zip(prepared_all) {
        let options = RunOptions {
            flow_matrix_years: report::migration_years(scenario),
        };
        let mut observer = progress::YearBar::new(show_progress, &scenario.name);
        let trajectory = engine::simulate(prepared, &options, &mut observer);
        if let Some(year) = trajectory.first_non_finite_year() {
            return Err(CliError::BadInput(format!(
                "scenario `{}`: the run became numerically unstable in {year} (a population or GDP is not finite); nothing was written. Its parameters are at an extreme of their ranges: move them towards the defaults of docs/MODEL.md",
                scenario.name
            ))
            .into());
        }
        let spread = crate::sweep::spread::parameter_spread(data, scenario);
        let run_report = RunReport {
            data,
            scenario,
            prepared,
            trajectory: &trajectory,
            parameter_spread: Some(&spread),
        };
        output::write_atomically(dir, args.force, |tmp| {
            report::outputs::write_run(&run_report, tmp).map_err(anyhow::Error::from)
        })
        .with_context(|| format!("writing the results of `{}`", scenario.name))?;
        if !args.quiet {
            say!("{}", report::summary(&run_report));
            say!("Results written to {}", escaped_path(dir));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// An error whose message shows its source, and names it as its source too, is printed
    /// with that source once (`{:#}` printed "No space left on device (os error 28)" twice).
    #[test]
    fn a_cause_the_message_already_shows_is_printed_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("{0}")]
        struct Shows(#[from] std::io::Error);
        let err = anyhow::Error::from(Shows(std::io::Error::from_raw_os_error(28)))
            .context("writing the results into out");
        assert_eq!(format!("{err:#}").matches("os error 28").count(), 2);
        let text = super::error_chain(&err);
        assert_eq!(text.matches("os error 28").count(), 1, "{text}");
        assert!(
            text.starts_with("writing the results into out: No space left on device"),
            "{text}"
        );
    }
}
