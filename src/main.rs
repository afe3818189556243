//! The `bioflux` command line.

mod commands;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "bioflux",
    version,
    about = "Simulate bioprocess and dynamic FBA models written in the .bio language"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and check models; report every error with its source line.
    Check {
        /// .bio files to check
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print models in canonical form (or rewrite them with --write).
    Fmt {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Rewrite the files in place.
        #[arg(long, conflicts_with = "check")]
        write: bool,
        /// Exit with 1 if a file is not in canonical form; print nothing else.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ok = match cli.command {
        Command::Check { files } => commands::check(&files),
        Command::Fmt { files, write, check } => commands::fmt(&files, write, check),
    };
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
