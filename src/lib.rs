//! chipshock: a Monte Carlo simulator of semiconductor supply-chain
//! disruptions.
//!
//! The pipeline reads like the model:
//! [`scenario`] (what the user wrote) → [`network`] (validated, compiled) →
//! [`policy`] (a variant's network and regimes) → [`sim`] (one trial, flat
//! arrays) → [`mc`] (many trials in parallel, folded into mergeable
//! accumulators) → [`stats`] (the estimators) and [`report`] (files and the
//! terminal summary); [`sweep`] runs many scenario points; [`cli`] is the
//! thin glue.

pub mod atomic;
pub mod cli;
pub mod compare;
pub mod diagnostic;
pub mod dist;
pub mod export;
pub mod mc;
pub mod network;
pub mod policy;
pub mod report;
pub mod scenario;
pub mod shipped;
pub mod sim;
pub mod source;
pub mod stats;
pub mod sweep;
