//! `simulate`: a regional scenario engine for the Chengdu–Chongqing urban agglomeration
//! (成渝城市群, 发改规划〔2016〕910号). It projects population and GDP of the 44 plan units from
//! the 2014 base year to 2030 with a matrix migration core and an agglomeration core, and
//! compares the results with the plan's targets.
//!
//! Modules in reading order: [`data`] (inputs, validated) → [`model`] (pure equations) →
//! [`engine`] (the one time loop) → [`scenario`] (RON, validated into a typed scenario) →
//! [`sweep`] (sampling designs and sensitivity estimators, pure) → [`report`] (CSV, manifest,
//! charts) → [`cli`] (arguments, paths, terminal, exit codes).

pub mod backtest;
pub mod calibrate;
pub mod cli;
pub mod data;
pub mod engine;
pub mod model;
pub mod report;
pub mod scenario;
pub mod sweep;
