//! The subcommands: each reads its inputs, calls the library, and reports.
//! Helpers shared by several commands live here.

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
mod sbml;
mod sensitivity;
mod sweep;
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
pub use sbml::{import, sbml_test};
pub use sensitivity::{SensitivityArgs, sensitivity};
pub use sweep::{SweepArgs, sweep};
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

/// Why a command did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CommandError {
    /// From the library: a model's diagnostics, a run, a fit, a plugin...
    #[error(transparent)]
    Api(#[from] bioflux_api::Error),
    /// A command-line argument to change; the message names it.
    #[error("{0}")]
    Argument(String),
    /// A result that could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write { path: std::path::PathBuf, source: std::io::Error },
    /// A plot that could not be drawn, or a results file not read.
    #[error(transparent)]
    Plot(#[from] crate::plot::PlotError),
    /// A sweep's design, shards or results.
    #[error(transparent)]
    Sweep(bioflux_sweep::SweepError),
}

impl From<bioflux_sweep::SweepError> for CommandError {
    fn from(e: bioflux_sweep::SweepError) -> Self {
        match e {
            bioflux_sweep::SweepError::Api(api) => CommandError::Api(api),
            other => CommandError::Sweep(other),
        }
    }
}

/// The layers' errors reach a command as the library's.
macro_rules! through_the_library {
    ($($error:ty),*) => {$(
        impl From<$error> for CommandError {
            fn from(e: $error) -> Self {
                CommandError::Api(e.into())
            }
        }
    )*};
}

through_the_library!(
    bioflux_runtime::params::ParamError,
    bioflux_runtime::sampling::AxisError,
    bioflux_runtime::fit::ParameterFileError
);

/// Says why a command failed — the one place errors become text: a
/// model's diagnostics drawn against its lines with a count that ends
/// "; {not_done}", anything else as one `error:` line.
pub(crate) fn report_error(error: &CommandError, not_done: &str) {
    use bioflux_api::Error;
    // Keep the order of results and errors when both go to one terminal.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    match error {
        CommandError::Api(Error::Invalid { source_text, diagnostics }) => {
            for d in diagnostics {
                report(d.clone().with_source(source_text.clone()));
            }
            eprintln!("error: {error}; {not_done}");
        }
        // The tool's own words are the whole message (the trainer says
        // which file and which setting).
        CommandError::Api(Error::Tool(bioflux_runtime::host::ToolError::Failed { message, .. })) => {
            eprintln!("error: {message}")
        }
        other => eprintln!("error: {other}"),
    }
}

/// A command's outcome as its exit status, its error reported.
pub(crate) fn finish(outcome: Result<bool, CommandError>, not_done: &str) -> bool {
    outcome.unwrap_or_else(|e| {
        report_error(&e, not_done);
        false
    })
}

/// The model in `file`, opened through the library with the command's
/// plugin path; the notes on its learned terms said as `note:` lines
/// (untrained ones only where `untrained_too`).
pub(crate) fn open_model(
    file: &Path,
    plugin_path: &[std::path::PathBuf],
    untrained_too: bool,
) -> Result<bioflux_api::Model, CommandError> {
    let options = bioflux_api::Options { plugin_path: plugin_path.to_vec(), base_dir: None };
    let model = bioflux_api::Model::open(file, &options)?;
    for start in model.learned() {
        if untrained_too || matches!(start, bioflux_api::LearnedStart::Trained { .. }) {
            eprintln!("note: {start}");
        }
    }
    Ok(model)
}
