//! The shipped scenarios, embedded in the binary.
//!
//! `chipshock run` and `chipshock validate` with no scenario argument use
//! `scenarios/world.toml` from here, so the README's first command works
//! from any directory. Paths are relative to `scenarios/`.

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostics;
use crate::scenario::Scenario;
use crate::scenario::load::{LoadError, MemoryFs, load_with};

include!(concat!(env!("OUT_DIR"), "/shipped.rs"));

/// The default scenario: the world supply chain with its shock and policy
/// libraries.
pub const WORLD: &str = "world.toml";

/// The embedded files as an in-memory file system rooted at `scenarios/`.
pub fn filesystem() -> MemoryFs {
    MemoryFs {
        files: SHIPPED
            .iter()
            .map(|(p, t)| (PathBuf::from("scenarios").join(p), t.to_string()))
            .collect(),
    }
}

/// Loads a shipped scenario by its path under `scenarios/`.
pub fn load(name: &str) -> Result<(Scenario, Diagnostics), LoadError> {
    load_with(&filesystem(), &Path::new("scenarios").join(name))
}
