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
