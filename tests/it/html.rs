//! `report.html` of every command: static checks on the text (scenario strings escaped, no
//! reference that would leave the file, every chart inlined, every CSV linked), and the page
//! opened in headless Chromium (it renders the scorecard and every chart, its scripts raise no
//! error, nothing trips its Content-Security-Policy — which forbids every fetch, so a request
//! would show as a violation — and the screenshot is not blank).
//!
//! Without Chromium the browser test prints a notice and passes, unless the environment
//! variable `CI` is set: then a missing browser is a failure (`.ci/run` installs it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::cli::{assert_success, root, simulate};

/// Text that would run or load something if a page pasted scenario strings unescaped.
const INJECTED_DESCRIPTION: &str =
    "<script>alert(\"pwned\")</script><img src=x onerror=alert(1)> & 'quoted'";
const INJECTED_LEVER: &str = "<b onclick=alert(2)>border</b>";

/// The five reports, made once for every test of this module (under the test binary's
/// temporary folder, recreated on each run).
struct Reports {
    /// (command, results folder).
    dirs: Vec<(&'static str, PathBuf)>,
}

fn reports() -> &'static Reports {
    static REPORTS: OnceLock<Reports> = OnceLock::new();
    REPORTS.get_or_init(make_reports)
}

fn make_reports() -> Reports {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-reports");
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let scenarios = root().join("scenarios");
    let baseline = scenarios.join("baseline.ron");
    // The run's scenario carries markup in its description and in a lever's name.
    let injected = base.join("injected.ron");
    std::fs::write(
        &injected,
        format!(
            "(name: \"injected\", extends: {:?}, description: {:?}, end_year: 2030,
              add_policies: [BorderPenalty(name: {:?}, year: 2025, value: 0.0)])",
            baseline.display().to_string(),
            INJECTED_DESCRIPTION,
            INJECTED_LEVER
        ),
    )
    .unwrap();
    let sweep = base.join("mc.ron");
    std::fs::write(
        &sweep,
        format!(
            "(name: \"mc\", base: {:?}, method: MonteCarlo(samples: 8), seed: 7,
              parameters: [(name: \"epsilon\"), (name: \"migrant_stay_years\")],
              outputs: [Population(unit: \"chengdu\", year: 2030)])",
            baseline.display().to_string()
        ),
    )
    .unwrap();
    let path = |p: &Path| p.display().to_string();
    let observed = path(&root().join("tests/data/backtest/synthetic_2016_2020.csv"));
    let commands: Vec<(&'static str, Vec<String>)> = vec![
        ("run", vec![path(&injected), "--out".into(), "run".into()]),
        (
            "compare",
            vec![
                "compare".into(),
                path(&baseline),
                path(&scenarios.join("hukou_open.ron")),
                "--out".into(),
                "compare".into(),
            ],
        ),
        (
            "sweep",
            vec![
                "sweep".into(),
                path(&sweep),
                "--threads".into(),
                "1".into(),
                "--out".into(),
                "sweep".into(),
            ],
        ),
        (
            "calibrate",
            vec![
                "calibrate".into(),
                path(&scenarios.join("hindcast_2010.ron")),
                "--params".into(),
                "epsilon".into(),
                "--out".into(),
                "calibrate".into(),
            ],
        ),
        (
            "backtest",
            vec![
                "backtest".into(),
                path(&baseline),
                "--observed".into(),
                observed,
                "--out".into(),
                "backtest".into(),
            ],
        ),
    ];
    std::thread::scope(|scope| {
        let handles: Vec<_> = commands
            .iter()
            .map(|(_, args)| {
                let base = &base;
                scope.spawn(move || {
                    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
                    args.push("--quiet");
                    simulate(&args, base)
                })
            })
            .collect();
        for handle in handles {
            assert_success(&handle.join().unwrap());
        }
    });
    Reports {
        dirs: commands
            .iter()
            .map(|(name, args)| (*name, base.join(args.last().unwrap())))
            .collect(),
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn files_with(dir: &Path, extension: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(extension))
        .collect();
    names.sort();
    names
}

/// Values of every `attribute="…"` in `html`.
fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let pattern = format!(" {attribute}=\"");
    html.match_indices(&pattern)
        .map(|(at, _)| {
            let rest = &html[at + pattern.len()..];
            &rest[..rest.find('"').unwrap_or(rest.len())]
        })
        .collect()
}

#[test]
fn report_html_escapes_scenario_text() {
    let html = read(&reports().dirs[0].1.join("report.html"));
    // Attribute-like text may remain inside escaped text; what must not appear is a tag.
    for raw in ["<script>alert", "<img src=x", "<b onclick", "'quoted'"] {
        assert!(!html.contains(raw), "unescaped `{raw}` in the run's page");
    }
    assert!(html.contains("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;&lt;img src=x"));
    assert!(html.contains("&lt;b onclick=alert(2)&gt;border&lt;/b&gt;"));
    // Only the page's own two scripts (error probe, sortable tables).
    assert_eq!(html.matches("<script").count(), 2);
}

#[test]
fn every_report_is_self_contained_and_shows_its_charts_and_files() {
    for (command, dir) in &reports().dirs {
        let html = read(&dir.join("report.html"));
        assert!(html.starts_with("<!DOCTYPE html>"), "{command}");
        assert!(
            html.contains("<table id=\"scorecard\""),
            "{command}: no answer table"
        );
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{command}: a URL in the page"
        );
        for attribute in ["src", "href", "xlink:href", "action"] {
            for value in attribute_values(&html, attribute) {
                assert!(
                    !value.contains(':') && !value.starts_with("//"),
                    "{command}: {attribute}=\"{value}\" leaves the folder"
                );
            }
        }
        for (at, _) in html.match_indices("url(") {
            assert!(
                html[at..].starts_with("url(data:"),
                "{command}: a url() that is not inline"
            );
        }
        let charts = files_with(dir, ".svg");
        assert!(!charts.is_empty(), "{command} draws charts");
        assert_eq!(
            html.matches("<svg ").count(),
            charts.len(),
            "{command}: every chart inlined once"
        );
        for name in charts.iter().chain(&files_with(dir, ".csv")) {
            assert!(
                html.contains(&format!("href=\"{name}\"")),
                "{command}: {name} not linked"
            );
        }
        for item in html.split("<li><a href=").skip(1) {
            let item = &item[..item.find("</li>").unwrap_or(item.len())];
            assert!(
                !item.trim_end().ends_with('—'),
                "{command}: the file list says nothing of {item}"
            );
        }
        // The files are explained on the page, not in a README that only the source has.
        assert!(
            html.contains("each CSV file names its columns in its first row")
                && !html.contains("results/README.md"),
            "{command}: the page sends its reader to the source code"
        );
        assert!(
            html.contains("@media print") && html.contains("break-inside:avoid"),
            "{command}: printable"
        );
        assert!(
            html.contains("http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"),
            "{command}: the page forbids every fetch"
        );
    }
}

/// Net migration is a flow, moves in minus moves out during the year: its columns on the run's
/// page say 万人/年 (as the terminal says 万/yr), never 万人 like the population beside them.
#[test]
fn the_run_page_gives_net_migration_per_year() {
    let html = read(&reports().dirs[0].1.join("report.html"));
    assert!(
        html.contains("<th>净迁入 net migration 万人/年</th>"),
        "region totals"
    );
    assert!(
        html.contains("<th>净迁入 net migration 2030 万人/年</th>"),
        "units"
    );
    assert!(!html.contains("net migration 万人<") && !html.contains("net migration 2030 万人<"));
}

/// Counts of one read as one: the run's baseline targets ("1 is met"), and the calibration of
/// the one parameter it was given ("over 1 parameter").
#[test]
fn counts_of_one_are_singular() {
    let page = |command: &str| {
        let (_, dir) = reports().dirs.iter().find(|(c, _)| *c == command).unwrap();
        read(&dir.join("report.html"))
    };
    let run = page("run");
    assert!(
        run.contains("central-urban population targets of 专栏1 (2020), 1 is met, 4 are missed and 2 are uncertain;"),
        "run"
    );
    assert!(!run.contains(" 1 are "), "run");
    assert!(
        page("calibrate").contains("Nelder–Mead over 1 parameter: "),
        "calibrate"
    );
}

/// The Chromium binary on PATH, if any.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Runs the browser with `args`; returns (stdout, stderr). A hung browser is killed after
/// two minutes (a guard against blocking the test run, not a timing assertion).
fn run_browser(browser: &Path, args: &[String]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let (stdout_path, stderr_path) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = Command::new(browser)
        .args(args)
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .expect("the browser starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{} did not finish", browser.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (read(&stdout_path), read(&stderr_path))
}

/// Headless Chromium on `page`: the DOM on stdout after scripts ran, a 1200×2000 screenshot,
/// the browser's log (console included) on stderr, and no way to reach any host.
fn browser_args(page: &Path, screenshot: &Path) -> Vec<String> {
    [
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        // Any host name fails to resolve: nothing can leave the machine during the test.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1200,2000",
        "--dump-dom",
    ]
    .iter()
    .map(ToString::to_string)
    .chain([
        format!("--screenshot={}", screenshot.display()),
        format!("file://{}", page.display()),
    ])
    .collect()
}

/// Share of pixels that are not (near) white, and the variance of the grey level.
fn ink_and_variance(png_path: &Path) -> (f64, f64) {
    let decoder = png::Decoder::new(std::fs::File::open(png_path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buffer).unwrap();
    let channels = info.color_type.samples();
    assert!(channels >= 3, "an RGB screenshot");
    let greys: Vec<f64> = buffer[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|p| (f64::from(p[0]) + f64::from(p[1]) + f64::from(p[2])) / 3.0)
        .collect();
    let n = greys.len() as f64;
    let ink = greys.iter().filter(|&&g| g < 230.0).count() as f64 / n;
    let mean = greys.iter().sum::<f64>() / n;
    let variance = greys.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / n;
    (ink, variance)
}

#[test]
fn every_report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but Chromium is not installed: .ci/run installs it (apt-get install chromium)"
        );
        eprintln!("skipped: Chromium is not installed (apt-get install chromium); set CI to make this a failure");
        return;
    };
    let reports = reports();
    let started = Instant::now();
    // One browser per page, all at once: they mostly wait on their own start-up.
    let rendered: Vec<(String, String, PathBuf)> = std::thread::scope(|scope| {
        let handles: Vec<_> = reports
            .dirs
            .iter()
            .map(|(command, dir)| {
                let browser = &browser;
                scope.spawn(move || {
                    let screenshot = dir.with_file_name(format!("{command}-screenshot.png"));
                    let args = browser_args(&dir.join("report.html"), &screenshot);
                    let (dom, log) = run_browser(browser, &args);
                    (dom, log, screenshot)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    for ((command, dir), (dom, log, screenshot)) in reports.dirs.iter().zip(rendered) {
        assert!(
            dom.contains("id=\"scorecard\""),
            "{command}: the scorecard is not in the rendered DOM:\n{log}"
        );
        assert_eq!(
            dom.matches("<svg ").count(),
            files_with(dir, ".svg").len(),
            "{command}: every chart is in the rendered DOM"
        );
        assert!(
            dom.contains("data-js-ready=\"1\""),
            "{command}: the page's script did not run"
        );
        assert!(
            !dom.contains("data-js-errors=\""),
            "{command}: script errors: {}",
            dom.split("data-js-errors=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("")
        );
        assert!(
            !dom.contains("<img"),
            "{command}: an <img> element was created"
        );
        for complaint in [
            "Uncaught",
            "ERROR:CONSOLE",
            "Failed to load resource",
            "net::ERR_",
            "Content Security Policy",
        ] {
            let line = log.lines().find(|line| line.contains(complaint));
            assert!(line.is_none(), "{command}: browser log: {}", line.unwrap());
        }
        let (ink, variance) = ink_and_variance(&screenshot);
        assert!(
            ink > 0.02 && variance > 100.0,
            "{command}: the screenshot looks blank (ink {ink:.4}, variance {variance:.1})"
        );
    }
    eprintln!(
        "Chromium rendered {} reports in {seconds:.1} s",
        reports.dirs.len()
    );
}
