//! Every output of `simulate <scenario>`, `backtest`, `calibrate`, `compare` and `sweep`, in
//! one folder: the tables and charts of the data side (`report`'s own, `backtest`,
//! `calibrate`, `compare`, `sweep`), then the page (`html`), which renders what those give it,
//! then `manifest.json`, which hashes them all. The data side does not know its page; only
//! this module knows both.

use std::path::Path;

use super::backtest::{self, BacktestReport};
use super::calibrate::{self, CalibrationReport};
use super::compare::{self, Comparison};
use super::sweep as sweep_report;
use super::{html, ReportError, RunReport};
use crate::sweep::run::{self, Design, Summary, Sweep};

/// Writes every output of a run into `dir` (which must exist). Returns the names written.
pub fn write_run(report: &RunReport<'_>, dir: &Path) -> Result<Vec<String>, ReportError> {
    let mut written = super::write_data(report, dir)?;
    written.push(html::run::write(report, dir, &written)?);
    super::write_manifest(report, dir, &written)?;
    written.push("manifest.json".to_string());
    Ok(written)
}

/// Writes every output of a backtest into `dir` (which must exist). Returns the names written.
pub fn write_backtest(report: &BacktestReport<'_>, dir: &Path) -> Result<Vec<String>, ReportError> {
    let mut written = backtest::write_data(report, dir)?;
    written.push(html::backtest::write(report, dir, &written)?);
    backtest::write_manifest(report, dir, &written)?;
    written.push("manifest.json".to_string());
    Ok(written)
}

/// Writes every output of a calibration into `dir`; returns the file names.
pub fn write_calibration(
    report: &CalibrationReport<'_>,
    dir: &Path,
) -> Result<Vec<String>, ReportError> {
    let mut written = calibrate::write_data(report, dir)?;
    written.push(html::calibrate::write(report, dir, &written)?);
    calibrate::write_manifest(report, dir, &written)?;
    written.push("manifest.json".into());
    Ok(written)
}

/// Writes every comparison file into `dir`. Returns the names written.
pub fn write_comparison(
    comparison: &Comparison<'_>,
    dir: &Path,
) -> Result<Vec<String>, ReportError> {
    let mut written = compare::write_data(comparison, dir)?;
    written.push(html::compare::write(comparison, dir, &written)?);
    Ok(written)
}

/// Writes every sweep file but `samples.csv` (which the caller streams, see
/// [`sweep_report::append_samples`]) into `dir`. Returns the names written.
pub fn write_sweep(
    sweep: &Sweep,
    design: &Design,
    summary: &Summary,
    dir: &Path,
) -> Result<Vec<String>, ReportError> {
    let indices =
        run::indices(sweep, design, summary).map_err(|err| ReportError::Sweep(err.to_string()))?;
    let probabilities = sweep_report::target_probabilities(sweep, summary)?;
    let mut written =
        sweep_report::write_data(sweep, design, summary, &indices, &probabilities, dir)?;
    written.push(html::sweep::write(
        sweep,
        summary,
        &indices,
        &probabilities,
        dir,
        &written,
    )?);
    sweep_report::write_manifest(sweep, summary, dir)?;
    written.push("manifest.json".to_string());
    Ok(written)
}
