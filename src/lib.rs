//! chipshock: a Monte Carlo simulator of semiconductor supply-chain
//! disruptions.
//!
//! The pipeline reads like the model:
//! [`scenario`] (what the user wrote) → [`network`] (validated, compiled) →
//! [`sim`] (one trial, flat arrays) → `mc` (many trials in parallel) →
//! `stats` and `report`.

pub mod atomic;
pub mod cli;
pub mod diagnostic;
pub mod dist;
pub mod export;
pub mod network;
pub mod policy;
pub mod scenario;
pub mod shipped;
pub mod sim;
pub mod sweep;
pub mod source;
