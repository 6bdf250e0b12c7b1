//! The one error of setup: a calibration that fails, a lever that takes a cost out of range, or
//! a 2010 start whose window shift cannot be found.

use crate::model::calibration;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Calibration(#[from] calibration::CalibrationError),
    /// [`calibration::CalibrationError::NotFinite`] with the unit it arose at, by id.
    #[error("base-year calibration produced a non-finite value (round {round}){}; the data or the parameters make moves impossible or certain: check the data's populations and GDP (their size and unit) before the parameters", unit.as_ref().map_or(String::new(), |id| format!(" in the net migration of `{id}`")))]
    CalibrationNotFinite { round: usize, unit: Option<String> },
    #[error("policy `{label}` makes the hukou wedge of `{unit}` {value:.3} in {year}; wedges must stay within [0, 0.95]")]
    WedgeOutOfRange {
        label: String,
        unit: String,
        value: f64,
        year: i32,
    },
    #[error("policy `{label}` makes the border penalty {value:.3} in {year}; it must stay at or above 0")]
    BorderOutOfRange {
        label: String,
        value: f64,
        year: i32,
    },
    #[error("a 2010 start's status-quo run to 2014 gave no finite net migration (drift {drift:?} a year), so its window shift cannot be found; these parameter values carry the model off before 2014 (docs/CALIBRATION.md §1)")]
    WindowShift { drift: [f64; 2] },
}
