//! Progress display: an engine observer that drives an indicatif bar, only on a terminal.

use indicatif::{ProgressBar, ProgressStyle};

use crate::engine::Observer;
use crate::model::State;

/// A bar over the years of one run; hidden unless stderr is a terminal and output is wanted.
pub struct YearBar {
    bar: Option<ProgressBar>,
}

impl YearBar {
    pub fn new(visible: bool, name: &str) -> YearBar {
        let bar = visible.then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} years {msg}")
                    .expect("the template is valid")
                    .progress_chars("=> "),
            );
            bar.set_prefix(name.to_string());
            bar
        });
        YearBar { bar }
    }
}

impl Observer for YearBar {
    fn on_start(&mut self, years: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(years as u64);
        }
    }

    fn on_year(&mut self, year: i32, _state: &State) {
        if let Some(bar) = &self.bar {
            bar.set_message(year.to_string());
            bar.inc(1);
        }
    }

    fn on_finish(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A bar over the runs of a sweep (runs done / total, rate, time left); hidden unless stderr is a
/// terminal and output is wanted. The sweep advances it after each batch of chunks.
pub struct RunsBar {
    bar: Option<ProgressBar>,
}

impl RunsBar {
    pub fn new(visible: bool, name: &str, runs: u64) -> RunsBar {
        let bar = visible.then(|| {
            let bar = ProgressBar::new(runs);
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {human_pos}/{human_len} runs{msg}, {eta} left",
                )
                .expect("the template is valid")
                .progress_chars("=> "),
            );
            bar.set_prefix(name.to_string());
            bar
        });
        RunsBar { bar }
    }

    /// `runs` more runs are done (computed or resumed).
    pub fn advance(&self, runs: usize) {
        if let Some(bar) = &self.bar {
            bar.inc(runs as u64);
            let seconds = bar.elapsed().as_secs_f64();
            if seconds > 0.0 {
                bar.set_message(format!(", {:.0} runs/s", bar.position() as f64 / seconds));
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A spinner over the model runs of `calibrate` (runs so far, lowest loss, time); hidden unless
/// stderr is a terminal and output is wanted.
pub struct EvaluationsBar {
    bar: Option<ProgressBar>,
}

impl EvaluationsBar {
    pub fn new(visible: bool, name: &str) -> EvaluationsBar {
        let bar = visible.then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix} {spinner} {human_pos} model runs, lowest loss {msg} ({elapsed})",
                )
                .expect("the template is valid"),
            );
            bar.set_prefix(name.to_string());
            bar
        });
        EvaluationsBar { bar }
    }

    /// `evaluations` runs so far, the lowest loss `best`.
    pub fn update(&self, evaluations: usize, best: f64) {
        if let Some(bar) = &self.bar {
            bar.set_position(evaluations as u64);
            bar.set_message(format!("{best:.6}"));
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
