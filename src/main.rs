//! The `chipshock` command. See `chipshock --help`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use chipshock::cli::compare::CompareArgs;
use chipshock::cli::run::RunArgs;
use chipshock::cli::sweep::{MergeArgs, SweepArgs};
use chipshock::cli::{self, EXIT_USAGE};
use chipshock::export::{self, GraphFormat};

/// Monte Carlo simulator of semiconductor supply-chain disruptions.
#[derive(Parser)]
#[command(name = "chipshock", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a scenario and summarise it (counts, baseline flows, chokepoints).
    /// Exit 0 valid, 1 invalid, 2 usage or I/O error.
    Validate {
        /// Scenario file (default: the shipped world scenario).
        scenario: Option<PathBuf>,
        /// Print the baseline output of every facility.
        #[arg(long)]
        flows: bool,
    },
    /// Export the network for Graphviz, Gephi or NetworkX.
    Graph {
        /// Scenario file (default: the shipped world scenario).
        scenario: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
        /// Write to this file instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Run Monte Carlo trials of a scenario (default: the shipped world
    /// scenario with its shock library) and summarise the losses.
    Run(RunArgs),
    /// Compare policy variants on the same shocks: paired differences,
    /// costs, avoided loss per dollar.
    Compare(CompareArgs),
    /// Run a parameter sweep (or one shard of it, for a cluster).
    Sweep(SweepArgs),
    /// Merge the shards of a sweep into the result of one run.
    Merge(MergeArgs),
    /// Print the JSON Schema of scenario files (for editor completion).
    Schema,
}

fn main() -> ExitCode {
    let args = Cli::parse();
    match args.command {
        Command::Validate { scenario, flows } => match cli::load_network(scenario.as_deref()) {
            Ok((_, net)) => print_stdout(&cli::validate::summary(
                &net,
                &cli::scenario_label(scenario.as_ref()),
                flows,
            )),
            Err(f) => f.exit_code(),
        },
        Command::Graph {
            scenario,
            format,
            output,
        } => match cli::load_network(scenario.as_deref()) {
            Ok((_, net)) => {
                let text = export::render(&net, format);
                match output {
                    Some(path) => match chipshock::atomic::write_named(&path, text.as_bytes()) {
                        Ok(()) => ExitCode::SUCCESS,
                        Err(e) => {
                            chipshock::say!("error: cannot write `{}`: {e}", path.display());
                            ExitCode::from(EXIT_USAGE)
                        }
                    },
                    None => print_stdout(&text),
                }
            }
            Err(f) => f.exit_code(),
        },
        Command::Run(args) => match cli::load_simulable(args.scenario.as_deref()) {
            Ok((_, mut net)) => report_errors(args.apply_overrides(&mut net).and_then(|()| {
                let vi = args.variant_index(&net)?;
                let vn = chipshock::policy::apply(&net, vi)
                    .map_err(|e| anyhow::Error::msg(e.with_hint()))?;
                let engine = chipshock::sim::variant::VariantEngine::new(&vn);
                cli::run::run(&args, &vn.net, &engine)
            })),
            Err(f) => f.exit_code(),
        },
        Command::Compare(args) => match cli::load_simulable(args.scenario.as_deref()) {
            Ok((_, mut net)) => report_errors(cli::compare::run(&args, &mut net)),
            Err(f) => f.exit_code(),
        },
        Command::Sweep(args) => cli::sweep::sweep(&args),
        Command::Merge(args) => cli::sweep::merge_cmd(&args),
        Command::Schema => print_stdout(&chipshock::scenario::json_schema()),
    }
}

/// Writes `text` to stdout ([`cli::write_stdout`]); a write failure other
/// than a closed pipe is exit code 2.
fn print_stdout(text: &str) -> ExitCode {
    match cli::write_stdout(text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            chipshock::say!("error: writing to stdout: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Prints a failed command's error with its causes; exit code 2 (usage or
/// I/O: the scenario itself was valid).
fn report_errors(r: anyhow::Result<ExitCode>) -> ExitCode {
    match r {
        Ok(code) => code,
        Err(e) => {
            chipshock::say!("error: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
