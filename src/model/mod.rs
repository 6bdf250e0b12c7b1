//! The model's equations, pure: no IO, no serde, no printing, no randomness.
//!
//! Indexing convention for every vector of length N+1: index 0 is the rest-of-China node (RoC),
//! indices 1..=N are the plan units in data order. Matrices over units only are N×N.
//! Population in persons, income in yuan per head at constant 2014 prices, time in hours.

pub mod calibration;
pub mod geography;
pub mod linalg;
pub mod migration;
pub mod params;
pub mod production;
pub mod step;
pub mod urban;

pub use params::{ParamError, ParamSpec, Params, SPECS};
pub use step::{State, StepInputs, StepOutput, Structure};

/// Index of the rest-of-China node in every N+1 vector.
pub const REST_OF_CHINA: usize = 0;
