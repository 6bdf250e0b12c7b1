//! `simulate`: a regional scenario engine for the Chengdu–Chongqing urban agglomeration
//! (成渝城市群, 发改规划〔2016〕910号). It projects population and GDP of the 44 plan units from
//! the 2014 base year to 2030 with a matrix migration core and an agglomeration core, and
//! compares the results with the plan's targets.
//!
//! Modules in reading order: [`data`] (inputs, validated) → [`model`] (pure equations) →
//! [`engine`] (the one time loop) → [`scenario`] (RON, validated into a typed scenario) →
//! [`targets`] (the plan's regional-centre targets against a projection, pure) → [`sweep`]
//! (sampling designs and sensitivity estimators, pure) → [`report`] (CSV, manifest, charts) →
//! [`cli`] (arguments, paths, terminal, exit codes).

pub mod backtest;
pub mod calibrate;
pub mod cli;
pub mod data;
pub mod engine;
pub mod model;
pub mod report;
pub mod scenario;
pub mod sweep;
pub mod targets;

#[cfg(test)]
mod layering {
    //! The codemap's layers (ARCHITECTURE.md): a module uses only the modules below it, so
    //! that, for example, the sweep never depends on how results are written. Test code is
    //! exempt (it may build a scenario to run a synthetic region).

    use std::path::Path;

    /// Each module with its layer, lowest first; modules of one layer do not use each other.
    const LAYERS: [(&str, usize); 10] = [
        ("data", 0),
        ("model", 1),
        ("scenario", 2),
        ("engine", 3),
        ("targets", 4),
        ("sweep", 5),
        ("calibrate", 5),
        ("backtest", 6),
        ("report", 7),
        ("cli", 8),
    ];

    fn layer(module: &str) -> usize {
        LAYERS
            .iter()
            .find(|(name, _)| *name == module)
            .unwrap_or_else(|| panic!("module `{module}` has no layer in the layering test"))
            .1
    }

    /// Every `.rs` file under `dir`, sorted.
    fn sources(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }

    #[test]
    fn every_module_uses_only_the_layers_below_it() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        let mut upward = Vec::new();
        for file in &files {
            let relative = file.strip_prefix(&src).unwrap();
            let first = relative.components().next().unwrap().as_os_str();
            let module = first.to_str().unwrap().trim_end_matches(".rs");
            if matches!(module, "lib" | "main") {
                continue;
            }
            let text = std::fs::read_to_string(file).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            for (number, line) in code.lines().enumerate() {
                for (at, _) in line.match_indices("crate::") {
                    let used: String = line[at + "crate::".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if used != module && layer(&used) >= layer(module) {
                        upward.push(format!(
                            "src/{}:{}: `{module}` uses `{used}`",
                            relative.display(),
                            number + 1
                        ));
                    }
                }
            }
        }
        assert!(
            upward.is_empty(),
            "modules that use a module of their own layer or above (move the shared part down):\n{}",
            upward.join("\n")
        );
    }
}
