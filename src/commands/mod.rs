//! The subcommands: each reads its inputs, calls the library, and reports.
//! Helpers shared by several commands live here.

mod cell;
mod check;
mod fba;
mod fit;
mod fmt;
mod infer;
mod learn;
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
pub use infer::{InferArgs, infer};
pub use learn::{LearnArgs, learn};
pub use parity::{GLYCOLYSIS, ParityArgs, parity};
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

/// Reports every diagnostic (drawn against `source` when they come from a
/// stage after checking, such as binding plugins) and returns the count
/// line: "2 errors found; nothing was run".
pub(crate) fn report_all(
    diags: Vec<bioflux_compiler::Diagnostic>,
    source: Option<&std::sync::Arc<miette::NamedSource<String>>>,
    not_done: &str,
) -> String {
    let n = diags.len();
    for d in diags {
        match source {
            Some(s) => report(d.with_source(s.clone())),
            None => report(d),
        }
    }
    format!("{n} error{} found; {not_done}", if n == 1 { "" } else { "s" })
}

/// Reads and checks a .bio file: its text and model, or the reason
/// (already reported) it has none.
pub(crate) fn checked_file(path: &Path, not_done: &str) -> Result<(String, bioflux_compiler::CheckedModel), String> {
    let src = read(path).ok_or_else(String::new)?;
    let model = bioflux_compiler::check_source(&path.display().to_string(), &src)
        .map_err(|diags| report_all(diags, None, not_done))?;
    Ok((src, model))
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
