//! chipshock: a Monte Carlo simulator of semiconductor supply-chain
//! disruptions.
//!
//! The pipeline reads like the model:
//! [`scenario`] (what the user wrote) → [`network`] (validated, compiled) →
//! [`sim`] (one trial, flat arrays) → [`mc`] (many trials in parallel,
//! folded into mergeable accumulators) → [`stats`] (the estimators) and
//! [`report`] (files and the terminal summary); [`cli`] is the thin glue.

pub mod cli;
pub mod diagnostic;
pub mod dist;
pub mod mc;
pub mod network;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod source;
pub mod stats;
