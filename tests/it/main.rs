//! The one integration-test binary: CLI end-to-end, golden summary, determinism, the bad-input
//! corpus and property tests of the engine.

mod backtest;
mod calibrate;
mod cli;
mod compare;
mod fuzz;
mod golden;
mod html;
mod invalid;
mod properties;
mod readme;
mod sweep;
