//! The subcommands: each reads its inputs, calls the library, and reports.
//! Helpers shared by several commands live here.

mod cell;
mod check;
mod fba;
mod fit;
mod fmt;
mod parity;
mod plot;
mod plugins;
mod repl;
mod run;
mod sample;
mod sensitivity;
mod train;

pub use check::check;
pub use fba::{FbaArgs, fba};
pub use fit::{FitArgs, fit};
pub use fmt::fmt;
pub use parity::{ParityArgs, parity};
pub use plot::plot;
pub use plugins::plugins;
pub use repl::repl;
pub use run::{RunArgs, run};
pub use sample::{SampleArgs, sample};
pub use sensitivity::{SensitivityArgs, sensitivity};
pub use train::{TrainArgs, train};

use std::path::Path;

/// The text of a file, or `None` after saying why it could not be read.
pub(crate) fn read(path: &Path) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(s) => Some(s),
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            None
        }
    }
}

/// Prints a diagnostic as miette draws it.
pub(crate) fn report(d: impl Into<Box<bioflux_compiler::Diagnostic>>) {
    eprintln!("{:?}", miette::Report::new_boxed(d.into()));
}

/// A command's outcome as its exit status: an error is said here unless it
/// was already reported (an empty message, after diagnostics).
pub(crate) fn succeeded(outcome: Result<(), String>) -> bool {
    match outcome {
        Ok(()) => true,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            false
        }
    }
}
