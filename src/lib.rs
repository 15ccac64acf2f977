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
//!
//! ```
//! use chipshock::{network, policy, shipped};
//! use chipshock::sim::{TrialOutcome, variant::VariantEngine};
//!
//! // A shipped teaching scenario, validated and compiled.
//! let (scenario, problems) = shipped::load("examples/teaching_chain.toml").unwrap();
//! assert!(problems.is_empty());
//! let net = network::compile(&scenario).unwrap();
//!
//! // Its baseline variant, and trial 0 of seed 1: the teaching chain's
//! // supplier outage costs the market one week of demand.
//! let engine = VariantEngine::new(&policy::apply(&net, 0).unwrap());
//! let mut scratch = engine.scratch();
//! let mut out = TrialOutcome::default();
//! engine.run_trial(1, 0, &mut scratch, &mut out, false);
//! assert_eq!(out.lost_units, 100.0);
//! ```

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
pub mod sampler;
pub mod scenario;
pub mod shipped;
pub mod sim;
pub mod source;
pub mod stats;
pub mod sweep;
pub mod text;
