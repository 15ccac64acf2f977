//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chipshock::diagnostic::Diagnostics;
use chipshock::network::{self, Network};
use chipshock::scenario::{Scenario, load_scenario};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("fixture readable")
}

/// Loads and compiles a file: the network, or the scenario with every
/// diagnostic (loader problems first, as the CLI reports them).
#[allow(clippy::result_large_err)] // a test helper; the size does not matter
pub fn build(path: &Path) -> Result<Network, (Scenario, Diagnostics)> {
    let (scenario, diags) = load_scenario(path).expect("file readable");
    if !diags.is_empty() {
        return Err((scenario, diags));
    }
    match network::compile(&scenario) {
        Ok(n) => Ok(n),
        Err(d) => Err((scenario, d)),
    }
}

/// Writes `text` as `name` in a fresh temporary directory.
pub fn write_temp(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&p, text).expect("write temp file");
    p
}

/// The chipshock binary, without colour in its messages.
pub fn chipshock() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("chipshock").expect("binary built");
    c.env("NO_COLOR", "1");
    c
}

/// Every file under `dir`, at any depth, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every file under `dir`: relative path → bytes, sorted.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(dir)
                .expect("under dir")
                .display()
                .to_string();
            let bytes = std::fs::read(&p).expect("read");
            (rel, bytes)
        })
        .collect()
}
