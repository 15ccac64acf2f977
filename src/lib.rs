//! chipshock: a Monte Carlo simulator of semiconductor supply-chain
//! disruptions.
//!
//! The pipeline reads like the model:
//! [`scenario`] (what the user wrote) → [`network`] (validated, compiled) →
//! [`sim`] (one trial, flat arrays) → `mc` (many trials in parallel) →
//! `stats` and `report`.

pub mod diagnostic;
pub mod dist;
pub mod mc;
pub mod network;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod source;
pub mod stats;
