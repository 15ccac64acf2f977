//! Command-line subcommands: thin glue between parsed arguments and the
//! library. Each subcommand has an `Args` struct (clap) and a function
//! returning the process exit code.

pub mod run;
