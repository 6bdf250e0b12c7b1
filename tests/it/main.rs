//! The one integration-test binary: CLI end-to-end, golden summary, determinism, the bad-input
//! corpus and property tests of the engine.

mod cli;
mod golden;
mod invalid;
mod properties;
