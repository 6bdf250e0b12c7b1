//! A mutation fuzzer on stable Rust: byte mutations of the shipped scenario, sweep
//! and observed files (and of the bad-input corpus) go through the loaders in process, and
//! through the binary with mutated command lines. It asserts:
//!
//! - loaders: no panic; an error names the file it is about;
//! - the binary: no panic, exit code 0 or 2, nothing written outside the results folder and,
//!   on failure, nothing left behind (no results, `.partial`, `.lock` or `.progress`).
//!
//! `cargo test --test it fuzz` runs a short, seeded pass (a few seconds). The long run, e.g. ten
//! minutes single-threaded with the optimised binary:
//!
//! ```sh
//! FUZZ_SECONDS=600 cargo test --release --test it -- --ignored --nocapture --test-threads 1 fuzz_long
//! ```
//!
//! (`FUZZ_SEED` picks another seed; a failure prints the seed, the input and the command line.)

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use simulate::backtest::observed::{self, RunYears};
use simulate::data::Dataset;

const BIN: &str = env!("CARGO_BIN_EXE_simulate");

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Tokens worth splicing in: the edges the adversarial pass found, and RON/CSV structure.
const DICTIONARY: &[&str] = &[
    "-1",
    "0",
    "1e300",
    "-1e300",
    "NaN",
    "inf",
    "18446744073709551615",
    "4294967296",
    "\"..\"",
    "\".\"",
    "\"x/../../../victim\"",
    "\"/dev/zero\"",
    "\"\"",
    "\"\\u{0}\"",
    "\u{feff}",
    "\"",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "//",
    "/*",
    "*/",
    "\n",
    "\r\n",
    "é",
    "成渝",
    "name: ",
    "extends: ",
    "data: ",
    "seed: ",
    "policies: ",
    "add_policies: ",
    "remove_policies: ",
    "LandCap(name: \"a\", year: 2020, unit: \"chengdu\", km2: 1.0)",
    "Normal(mean: 1.0, sd: 1e300)",
    "Uniform(lo: -5.0, hi: 50.0)",
    "MonteCarlo(samples: 1000000000000)",
    "Morris(trajectories: 1000000000, levels: 4)",
    "Sobol(base_samples: 3)",
    "@all",
    "chengdu",
    "2010",
    "2014",
    "2030",
    "2051",
    "population",
    "gdp",
    "\"1\n",
];

fn mutate(rng: &mut ChaCha8Rng, seed: &[u8]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let len = bytes.len();
        let at = if len == 0 {
            0
        } else {
            rng.random_range(0..=len)
        };
        match rng.random_range(0..7) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                bytes[i] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let end = (at + rng.random_range(1..16)).min(len);
                bytes.drain(at.min(len)..end);
            }
            2 => {
                let b: u8 = rng.random();
                bytes.insert(at, b);
            }
            3 if len > 0 => {
                let start = rng.random_range(0..len);
                let end = (start + rng.random_range(1..200)).min(len);
                let chunk = bytes[start..end].to_vec();
                bytes.splice(at..at, chunk);
            }
            4 => bytes.truncate(at),
            _ => {
                let token = DICTIONARY[rng.random_range(0..DICTIONARY.len())].as_bytes();
                // Replace the next token-sized run, or insert.
                if rng.random_bool(0.5) && at < len {
                    let end = (at + token.len()).min(len);
                    bytes.splice(at..end, token.iter().copied());
                } else {
                    bytes.splice(at..at, token.iter().copied());
                }
            }
        }
    }
    bytes
}

/// The seeds: shipped files of each kind (and the bad-input corpus for scenarios).
struct Seeds {
    scenarios: Vec<Vec<u8>>,
    sweeps: Vec<Vec<u8>>,
    observed: Vec<Vec<u8>>,
}

fn read_all(dir: &Path, ext: &str) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext) && p.metadata().unwrap().len() < 20_000)
        .collect();
    paths.sort();
    paths.iter().map(|p| fs::read(p).unwrap()).collect()
}

fn seeds() -> Seeds {
    let base = repo().join("scenarios/baseline.ron").display().to_string();
    let mut scenarios = read_all(&repo().join("scenarios"), "ron");
    scenarios.extend(read_all(&repo().join("tests/data/invalid"), "ron"));
    let sweeps = read_all(&repo().join("scenarios/sweeps"), "ron")
        .into_iter()
        .map(|bytes| {
            String::from_utf8(bytes)
                .unwrap()
                .replace("\"../baseline.ron\"", &format!("{base:?}"))
                .into_bytes()
        })
        .collect();
    let mut observed = vec![fs::read(repo().join("data/observed_2014.csv")).unwrap()];
    observed.extend(read_all(&repo().join("tests/data/backtest"), "csv"));
    Seeds {
        scenarios,
        sweeps,
        observed,
    }
}

/// Counts of inputs tried.
#[derive(Debug, Default)]
struct Counts {
    scenarios: usize,
    sweeps: usize,
    observed: usize,
    command_lines: usize,
}

fn pick<'a>(rng: &mut ChaCha8Rng, list: &'a [Vec<u8>]) -> &'a [u8] {
    &list[rng.random_range(0..list.len())]
}

/// One input through a loader, in process; `Err` describes a failure.
fn loader_case(
    rng: &mut ChaCha8Rng,
    seeds: &Seeds,
    dir: &Path,
    data: &Dataset,
    counts: &mut Counts,
) -> Result<(), String> {
    let kind = rng.random_range(0..10);
    let (name, bytes) = match kind {
        0..=5 => ("fuzz_scenario.ron", {
            let seed = pick(rng, &seeds.scenarios);
            mutate(rng, seed)
        }),
        6..=7 => ("fuzz_sweep.ron", {
            let seed = pick(rng, &seeds.sweeps);
            mutate(rng, seed)
        }),
        _ => ("fuzz_observed.csv", {
            let seed = pick(rng, &seeds.observed);
            mutate(rng, seed)
        }),
    };
    let path = dir.join(name);
    fs::write(&path, &bytes).unwrap();
    let shown = path.display().to_string();
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Option<String> {
        match kind {
            0..=5 => {
                counts.scenarios += 1;
                match simulate::scenario::load(&path) {
                    Ok((scenario, _)) => simulate::scenario::check_name(&scenario.name)
                        .err()
                        .map(|rule| format!("accepted a name that breaks the rule: {rule}")),
                    Err(err) => Some(err.to_string()),
                }
            }
            6..=7 => {
                counts.sweeps += 1;
                match simulate::sweep::run::load(&path) {
                    Ok(sweep) => simulate::scenario::check_name(&sweep.name)
                        .err()
                        .map(|rule| format!("accepted a name that breaks the rule: {rule}")),
                    Err(err) => Some(err.to_string()),
                }
            }
            _ => {
                counts.observed += 1;
                let years = RunYears {
                    start: 2010,
                    end: 2030,
                };
                observed::parse(&shown, &bytes, &data.units, years)
                    .err()
                    .map(|err| err.to_string())
            }
        }
    }));
    match outcome {
        Err(panic) => Err(format!(
            "the loader panicked on {name}: {:?}\ninput: {:?}",
            panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or(panic.downcast_ref::<&str>().copied()),
            String::from_utf8_lossy(&bytes)
        )),
        Ok(Some(message)) if message.starts_with("accepted") => Err(format!(
            "{message}\ninput: {:?}",
            String::from_utf8_lossy(&bytes)
        )),
        Ok(Some(message))
            if !message.contains(name)
                && !message.contains("parent scenario")
                && !message.contains(".ron")
                && !message.contains(".csv") =>
        {
            Err(format!(
                "an error of {name} does not name a file: {message}\ninput: {:?}",
                String::from_utf8_lossy(&bytes)
            ))
        }
        Ok(_) => Ok(()),
    }
}

/// Every path under `dir`, recursively, sorted.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.is_symlink() {
                stack.push(path.clone());
            }
            found.push(path);
        }
    }
    found.sort();
    found
}

/// One mutated command line through the binary, in `<root>/work` (inputs there too); `Err`
/// describes a failure.
fn command_line_case(
    rng: &mut ChaCha8Rng,
    seeds: &Seeds,
    root: &Path,
    counts: &mut Counts,
) -> Result<(), String> {
    let work = root.join("work");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir(&work).unwrap();
    // A short horizon keeps successful runs cheap.
    let scenario = mutate(rng, b"(name: \"fz\", end_year: 2016, policies: [LandCap(name: \"a\", year: 2015, unit: \"chengdu\", km2: 900.0)])\n");
    fs::write(work.join("s.ron"), &scenario).unwrap();
    let observed = mutate(
        rng,
        b"unit_id,year,variable,value\nchengdu,2014,population,14000000\n",
    );
    fs::write(work.join("o.csv"), &observed).unwrap();
    fs::write(work.join("short.ron"), "(name: \"short\", end_year: 2016)").unwrap();
    let _ = seeds;
    const WORDS: &[&str] = &[
        "s.ron",
        "short.ron",
        "o.csv",
        "--out",
        "out",
        "--force",
        "--quiet",
        "-q",
        ".",
        "..",
        "/",
        "o.csv/sub",
        "--threads",
        "0",
        "1",
        "100000",
        "--shard",
        "1/2",
        "2/1",
        "0/0",
        "--resume",
        "--params",
        "",
        "epsilon",
        ",",
        "--years",
        "2020",
        "1999",
        "--observed",
        "--help",
        "-x",
        "compare",
        "sweep",
        "merge",
        "backtest",
        "calibrate",
        "\u{0}",
        "é",
        "../escape",
    ];
    let mut args: Vec<String> = match rng.random_range(0..4) {
        0 => vec!["s.ron".into(), "--out".into(), "out".into()],
        1 => vec![
            "compare".into(),
            "short.ron".into(),
            "s.ron".into(),
            "--out".into(),
            "out".into(),
        ],
        2 => vec![
            "backtest".into(),
            "short.ron".into(),
            "--observed".into(),
            "o.csv".into(),
            "--out".into(),
            "out".into(),
        ],
        _ => vec![
            "s.ron".into(),
            "short.ron".into(),
            "--out".into(),
            "out".into(),
        ],
    };
    for _ in 0..rng.random_range(0..3) {
        let word = WORDS[rng.random_range(0..WORDS.len())].to_string();
        if args.is_empty() || rng.random_bool(0.5) {
            let at = rng.random_range(0..=args.len());
            args.insert(at, word);
        } else {
            let at = rng.random_range(0..args.len());
            args[at] = word;
        }
    }
    // Never ask the binary to write into the fuzzer's own folders.
    if args.iter().any(|a| a.contains('\u{0}')) {
        args.retain(|a| !a.contains('\u{0}'));
    }
    counts.command_lines += 1;
    let outside_before = tree(root)
        .into_iter()
        .filter(|p| !p.starts_with(&work))
        .collect::<Vec<_>>();
    let inputs = tree(&work);
    let output = Command::new(BIN)
        .current_dir(&work)
        .args(&args)
        .output()
        .expect("running the simulate binary");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let code = output.status.code();
    let mut problems = Vec::new();
    if stderr.contains("panicked") {
        problems.push("the binary panicked".to_string());
    }
    if !matches!(code, Some(0) | Some(2)) {
        problems.push(format!("exit code {code:?}, expected 0 or 2"));
    }
    let outside_after = tree(root)
        .into_iter()
        .filter(|p| !p.starts_with(&work))
        .collect::<Vec<_>>();
    if outside_after != outside_before {
        problems.push(format!(
            "wrote outside the working folder: {outside_after:?}"
        ));
    }
    let added: Vec<PathBuf> = tree(&work)
        .into_iter()
        .filter(|p| !inputs.contains(p))
        .collect();
    let leftovers: Vec<&PathBuf> = added
        .iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.contains(".partial")
                || name.contains(".lock")
                || name.contains(".progress")
                || name.contains(".replaced")
        })
        .collect();
    if !leftovers.is_empty() {
        problems.push(format!("left behind: {leftovers:?}"));
    }
    if code == Some(2) && !added.is_empty() {
        problems.push(format!("failed, but wrote {added:?}"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\nargs: {args:?}\ns.ron: {:?}\no.csv: {:?}\nstderr: {stderr}",
            problems.join("; "),
            String::from_utf8_lossy(&scenario),
            String::from_utf8_lossy(&observed)
        ))
    }
}

/// Runs the fuzzer until `loader_inputs` and `command_lines` are done or `budget` is spent.
fn fuzz(seed: u64, loader_inputs: usize, command_lines: usize, budget: Duration) -> Counts {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let seeds = seeds();
    let data = Dataset::embedded();
    let root = tempfile::tempdir().unwrap();
    let inputs = root.path().join("inputs");
    fs::create_dir(&inputs).unwrap();
    let mut counts = Counts::default();
    let started = Instant::now();
    let mut failures = Vec::new();
    let (mut loaders_done, mut lines_done) = (0, 0);
    while (loaders_done < loader_inputs || lines_done < command_lines) && started.elapsed() < budget
    {
        // About one command line per 50 loader inputs: a process costs far more.
        if lines_done < command_lines
            && (loaders_done >= loader_inputs || rng.random_range(0..50) == 0)
        {
            lines_done += 1;
            if let Err(failure) = command_line_case(&mut rng, &seeds, root.path(), &mut counts) {
                failures.push(failure);
            }
        } else {
            loaders_done += 1;
            if let Err(failure) = loader_case(&mut rng, &seeds, &inputs, &data, &mut counts) {
                failures.push(failure);
            }
        }
        if failures.len() >= 5 {
            break;
        }
    }
    assert!(
        failures.is_empty(),
        "fuzz seed {seed}: {} failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    counts
}

#[test]
fn fuzz_short() {
    let counts = fuzz(12, 1500, 8, Duration::from_secs(120));
    assert!(
        counts.scenarios > 0
            && counts.sweeps > 0
            && counts.observed > 0
            && counts.command_lines > 0,
        "{counts:?}"
    );
}

/// The long run: `FUZZ_SECONDS` (default 600) of inputs, `FUZZ_SEED` (default from the clock).
#[test]
#[ignore]
fn fuzz_long() {
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        });
    let started = Instant::now();
    let counts = fuzz(seed, usize::MAX, usize::MAX, Duration::from_secs(seconds));
    eprintln!(
        "fuzz seed {seed}: {counts:?} in {:.0} s, no failure",
        started.elapsed().as_secs_f64()
    );
}
