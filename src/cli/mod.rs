//! The command line: a thin layer over the library.
//!
//! Exit codes: 0 success (a valid scenario); 1 the scenario is invalid;
//! 2 a usage or I/O error (bad arguments, unreadable file).

pub mod compare;
pub mod run;
pub mod sweep;
pub mod validate;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::atomic::{self, ClaimError, OutputDir};
use crate::diagnostic::{Diagnostics, Renderer};
use crate::network::{self, Network};
use crate::scenario::{self, Scenario};
use crate::shipped;

/// Exit code for an invalid scenario.
pub const EXIT_INVALID: u8 = 1;
/// Exit code for usage and I/O errors.
pub const EXIT_USAGE: u8 = 2;

/// Sets the horizon to `--horizon`, then prints the scenario's notes at
/// the horizon in effect (see [`say_notes`]).
pub(crate) fn override_horizon(net: &mut Network, horizon: Option<u32>) {
    set_horizon(net, horizon);
    say_notes(net);
}

/// Sets the horizon to `--horizon` and says, when that changes it while
/// some shock occurs by `probability`, that such a chance is per trial: a
/// 4 % blockade stays 4 % over a decade, while `rate_per_year` shocks scale
/// with the horizon. Said even with `--quiet` (it is about the results).
fn set_horizon(net: &mut Network, horizon: Option<u32>) {
    let Some(h) = horizon else { return };
    let from = std::mem::replace(&mut net.settings.horizon_weeks, h);
    if h == from {
        return;
    }
    let ids: Vec<&str> = net
        .shocks
        .iter()
        .filter(|s| matches!(s.occurrence, network::Occurrence::Probability(p) if p > 0.0))
        .map(|s| s.id.as_str())
        .collect();
    if ids.is_empty() {
        return;
    }
    let named = match ids.len() {
        1..=3 => ids.join(", "),
        n => format!("{} and {} more", ids[..3].join(", "), n - 3),
    };
    crate::say!(
        "note: --horizon {h} replaces the scenario's {from} weeks; shocks given a `probability` ({named}) keep their chance per trial, which the horizon does not scale (`rate_per_year` shocks scale with it)"
    );
}

/// Prints the scenario's notes at the horizon in effect (`--horizon`
/// applied): what it declares that does nothing, such as a shock whose
/// onset is never before the horizon. `validate` lists them; a run says
/// them too, since they are about its results (even with `--quiet`).
fn say_notes(net: &Network) {
    for note in network::notes(net) {
        crate::say!("note: {note}");
    }
}

/// Claims `--out` for `run` or `compare` (`command`) before the trials
/// ([`atomic::claim_dir`]): created, locked against every other chipshock
/// process for as long as the claim is held, writable, and holding no
/// results of another command ([`refuse_other_results`]). `what` names
/// the results in messages. Another process writing there, and a file
/// where the directory or one of its ancestors should be, are refused with
/// the messages `sweep` and `merge` give.
pub(crate) fn claim_out(dir: &Path, command: &str, what: &str) -> anyhow::Result<OutputDir> {
    let claim = atomic::claim_dir(dir).map_err(|e| match e {
        ClaimError::Refused(msg) => anyhow::Error::msg(msg),
        ClaimError::Io(e) => {
            anyhow::Error::new(e).context(format!("cannot write {what} to --out {}", dir.display()))
        }
    })?;
    refuse_other_results(dir, command)?;
    Ok(claim)
}

/// Refuses an `--out` directory holding results another command wrote,
/// which the new files would mix with: a run's files beside a comparison
/// describe other results than its `comparison.*`, and a run's or a
/// comparison's files in a sweep's directory would sit beside its points
/// (and go into its `--resume`). `command` is the command about to write.
pub(crate) fn refuse_other_results(dir: &Path, command: &str) -> anyhow::Result<()> {
    let holds = [("sweep.json", "sweep"), ("comparison.json", "compare")];
    for (marker, other) in holds {
        if other != command && dir.join(marker).exists() {
            anyhow::bail!(
                "--out {} holds the results of `chipshock {other}`; writing the results of `{command}` there would mix the two: choose another directory",
                dir.display()
            );
        }
    }
    Ok(())
}

/// A command-line parser of whole numbers in `lo..=hi`. clap's own parser
/// for 64-bit unsigned flags reads `--trials -1` as "invalid digit found in
/// string"; this one says `-1 is not in 1..=50000000`, as clap does for
/// narrower types, and calls what is not a number one.
pub fn whole_number(lo: u64, hi: u64) -> impl Fn(&str) -> Result<u64, String> + Clone {
    move |text: &str| {
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("`{text}` is not a whole number"));
        }
        match text.parse::<i128>() {
            Ok(v) if (i128::from(lo)..=i128::from(hi)).contains(&v) => {
                u64::try_from(v).map_err(|_| format!("{text} is not in {lo}..={hi}"))
            }
            _ => Err(format!("{text} is not in {lo}..={hi}")),
        }
    }
}

/// `eprintln!` that cannot panic. A message to stderr that cannot be
/// written (a reader that closed the pipe: `chipshock validate x.toml
/// 2>&1 | head -1`) is dropped: there is nowhere else to put it, and the
/// exit code still says how the command ended. `eprintln!` would panic
/// there instead.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::write_stderr(format_args!($($arg)*))
    };
}

/// Writes one line to stderr for [`say!`], ignoring a failed write.
pub fn write_stderr(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    // Ignored on purpose (see `say!`).
    let _ = err.write_fmt(line).and_then(|()| err.write_all(b"\n"));
}

/// Whether to colour stderr: only on a terminal, never with `NO_COLOR`.
pub fn color_stderr() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// A scenario that failed to load or validate, already reported.
pub enum Failure {
    Invalid,
    Io(String),
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Invalid => ExitCode::from(EXIT_INVALID),
            Failure::Io(msg) => {
                crate::say!("error: {msg}");
                ExitCode::from(EXIT_USAGE)
            }
        }
    }
}

/// Loads and compiles `path` (the shipped world scenario when `None`),
/// printing every diagnostic to stderr.
pub fn load_network(path: Option<&Path>) -> Result<(Scenario, Network), Failure> {
    let loaded = match path {
        Some(p) => scenario::load_scenario(p),
        None => shipped::load(shipped::WORLD),
    };
    let (scenario, diags) = loaded.map_err(|e| Failure::Io(e.to_string()))?;
    if !diags.is_empty() {
        // Entities that did not read are left out, so checking references
        // and values now would report every mention of them as unknown.
        report_unchecked(&scenario, &diags);
        return Err(Failure::Invalid);
    }
    match network::compile(&scenario) {
        Ok(mut net) => {
            // Reports name the scenario; without `[meta] name`, by its file.
            if net.settings.name.is_empty() {
                net.settings.name = path
                    .and_then(|p| p.file_stem())
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "world".into());
            }
            Ok((scenario, net))
        }
        Err(diags) => {
            report(&scenario, &diags);
            Err(Failure::Invalid)
        }
    }
}

/// [`load_network`] for the commands that simulate (`run`, `compare`):
/// the scenario must have markets ([`network::require_markets`]).
pub fn load_simulable(path: Option<&Path>) -> Result<(Scenario, Network), Failure> {
    let (scenario, net) = load_network(path)?;
    if let Err(diags) = network::require_markets(&scenario, &net) {
        report(&scenario, &diags);
        return Err(Failure::Invalid);
    }
    Ok((scenario, net))
}

/// Writes `text` to stdout. A reader that stopped early (`chipshock graph |
/// head`) closes the pipe: that is no error (`print!` would panic), and
/// nothing more needs writing. Any other write failure is returned.
pub fn write_stdout(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

/// Prints diagnostics and a one-line count.
pub fn report(scenario: &Scenario, diags: &Diagnostics) {
    emit(scenario, diags, "");
}

/// [`report`] for problems found while reading the files (syntax, types,
/// unknown keys, duplicate ids): the closing line says that references and
/// values are still to be checked.
pub fn report_unchecked(scenario: &Scenario, diags: &Diagnostics) {
    let these = if diags.len() == 1 {
        "it is"
    } else {
        "these are"
    };
    emit(
        scenario,
        diags,
        &format!("; references and values are checked once {these} fixed"),
    );
}

/// Prints diagnostics, then the count and `tail`.
fn emit(scenario: &Scenario, diags: &Diagnostics, tail: &str) {
    Renderer::new(&scenario.sources).emit_stderr(diags, color_stderr());
    let n = diags.len();
    crate::say!(
        "error: the scenario has {n} problem{}{tail}",
        if n == 1 { "" } else { "s" }
    );
}

/// The label of the scenario argument for messages.
pub fn scenario_label(path: Option<&PathBuf>) -> String {
    match path {
        Some(p) => p.display().to_string(),
        None => format!("scenarios/{} (shipped)", shipped::WORLD),
    }
}
