//! Sweep outputs: samples.csv, indices.csv, target_probabilities.csv, bands.csv, manifest.json.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::json;

use super::ReportError;
use crate::sweep::estimators;
use crate::sweep::run::{self, Design, Method, RunResult, Sweep};

fn write(
    dir: &Path,
    name: &str,
    text: String,
    written: &mut Vec<String>,
) -> Result<(), ReportError> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|source| ReportError::Io { path, source })?;
    written.push(name.to_string());
    Ok(())
}

/// `samples.csv`: one row per run: parameter values, outputs, and the status of the draw.
pub fn samples_csv(sweep: &Sweep, results: &[RunResult]) -> String {
    let mut out = String::from("sample");
    for factor in &sweep.factors {
        let _ = write!(out, ",{}", factor.name);
    }
    for output in &sweep.outputs {
        let _ = write!(out, ",{}", output.label);
    }
    out.push_str(",status\n");
    for (i, result) in results.iter().enumerate() {
        let _ = write!(out, "{i}");
        for k in 0..sweep.factors.len() {
            let _ = write!(
                out,
                ",{}",
                result
                    .parameters
                    .get(k)
                    .map_or(String::new(), |v| format!("{v:.9}"))
            );
        }
        match &result.outputs {
            Ok(values) => {
                for value in values {
                    let _ = write!(out, ",{value:.1}");
                }
                out.push_str(",ok\n");
            }
            Err(reason) => {
                for _ in &sweep.outputs {
                    out.push(',');
                }
                let _ = writeln!(out, ",\"rejected: {}\"", reason.replace('"', "'"));
            }
        }
    }
    out
}

/// Writes every sweep file into `dir`. Returns the names written.
pub fn write_all(
    sweep: &Sweep,
    design: &Design,
    results: &[RunResult],
    dir: &Path,
) -> Result<Vec<String>, ReportError> {
    let mut written = Vec::new();
    write(
        dir,
        "samples.csv",
        samples_csv(sweep, results),
        &mut written,
    )?;
    let rejected = run::rejected(results);
    let indices =
        run::indices(sweep, design, results).map_err(|err| ReportError::Sweep(err.to_string()))?;
    let mut text = String::new();
    if let Some(first) = indices.first() {
        let header: Vec<&str> = ["parameter", "output"]
            .into_iter()
            .chain(
                first
                    .keys()
                    .copied()
                    .filter(|k| *k != "parameter" && *k != "output"),
            )
            .collect();
        let _ = writeln!(text, "{}", header.join(","));
        for row in &indices {
            let cells: Vec<&str> = header
                .iter()
                .map(|k| row.get(k).map_or("", String::as_str))
                .collect();
            let _ = writeln!(text, "{}", cells.join(","));
        }
    }
    write(dir, "indices.csv", text, &mut written)?;
    if let Method::MonteCarlo { .. } = sweep.method {
        let accepted: Vec<&RunResult> = results.iter().filter(|r| r.outputs.is_ok()).collect();
        let mut text =
            String::from("target_id,unit_id,indicator,year,target,runs,met,probability,low,high\n");
        for (k, target) in sweep.data.targets.iter().enumerate() {
            let verdicts: Vec<bool> = accepted
                .iter()
                .filter_map(|r| r.met.get(k).copied().flatten())
                .collect();
            if verdicts.is_empty() {
                continue;
            }
            let events = verdicts.iter().filter(|&&m| m).count();
            let p = estimators::event_probability(events, verdicts.len(), 0.95)
                .map_err(|err| ReportError::Sweep(err.to_string()))?;
            let unit = target
                .unit
                .map_or("ALL".to_string(), |u| sweep.data.units[u].id.clone());
            let _ = writeln!(
                text,
                "{},{unit},{},{},{},{},{events},{:.4},{:.4},{:.4}",
                target.target_id,
                target.indicator,
                target.year,
                target.value,
                verdicts.len(),
                p.estimate,
                p.low,
                p.high
            );
        }
        write(dir, "target_probabilities.csv", text, &mut written)?;
        let years = run::years(sweep);
        let bands = run::bands(results, years.len(), sweep.data.units.len())
            .map_err(|err| ReportError::Sweep(err.to_string()))?;
        let mut text = String::from("year,unit_id,variable,p5,p25,p50,p75,p95\n");
        for (t, year) in years.iter().enumerate() {
            for (u, unit) in sweep.data.units.iter().enumerate() {
                let b = bands[t][u];
                let _ = writeln!(
                    text,
                    "{year},{},population,{:.1},{:.1},{:.1},{:.1},{:.1}",
                    unit.id, b[0], b[1], b[2], b[3], b[4]
                );
            }
        }
        write(dir, "bands.csv", text, &mut written)?;
    }
    let manifest = json!({
        "engine": { "name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION") },
        "sweep": { "name": sweep.name, "sha256": sweep.source_hash, "seed": sweep.seed, "method": format!("{:?}", sweep.method) },
        "base_scenario": { "name": sweep.base.name, "sha256": sweep.base.source_hash },
        "factors": sweep.factors.iter().map(|f| json!({ "name": f.name, "distribution": format!("{:?}", f.distribution) })).collect::<Vec<_>>(),
        "outputs": sweep.outputs.iter().map(|o| o.label.clone()).collect::<Vec<_>>(),
        "runs": results.len(),
        "rejected": rejected.iter().map(|(i, reason)| json!({ "sample": i, "reason": reason })).collect::<Vec<_>>(),
        "data_sha256": sweep.data.hashes,
    });
    let text =
        serde_json::to_string_pretty(&manifest).expect("JSON values always serialise") + "\n";
    write(dir, "manifest.json", text, &mut written)?;
    Ok(written)
}
