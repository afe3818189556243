//! The library's error: one enum over the layers below it, each variant
//! holding that layer's typed error or the data a caller needs.

use bioflux_compiler::Diagnostic;
use bioflux_runtime::RunError;
use bioflux_runtime::fit::{DataError, FitError, ParameterFileError, SpecError};
use bioflux_runtime::host::{PluginError, ToolError};
use bioflux_runtime::params::{ParamError, WeightsError};
use bioflux_runtime::sampling::AxisError;
use miette::NamedSource;
use std::path::PathBuf;
use std::sync::Arc;

/// Why an operation of the library did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    /// An SBML file that cannot be imported (malformed, or a feature the
    /// language cannot say yet).
    #[error("{}: {source}", path.display())]
    Import { path: PathBuf, source: bioflux_sbml::ImportError },
    /// A test-suite case folder that cannot be read.
    #[error(transparent)]
    Case(#[from] bioflux_sbml::suite::CaseError),
    /// Problems at places in a model's text (syntax, names, units, a
    /// plugin's unknown reaction...), every one found, each against the text.
    #[error("{} error{} found", diagnostics.len(), if diagnostics.len() == 1 { "" } else { "s" })]
    Invalid { source_text: Arc<NamedSource<String>>, diagnostics: Vec<Diagnostic> },
    /// A learned term's weights file.
    #[error(transparent)]
    Weights(#[from] WeightsError),
    /// A parameter change.
    #[error(transparent)]
    Parameter(#[from] ParamError),
    /// A parameters file (`--params`) or a fit report.
    #[error(transparent)]
    ParameterFile(#[from] ParameterFileError),
    /// A run that could not start (its failures along the way are results).
    #[error(transparent)]
    Run(RunError),
    /// A fit that could not be set up or finished.
    #[error(transparent)]
    Fit(FitError),
    /// A plugin that could not be opened or a cell that could not be created.
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// A plugin tool (train, infer, learn_rates, stoichiometry).
    #[error(transparent)]
    Tool(#[from] ToolError),
    /// A rates file for learning.
    #[error(transparent)]
    Rates(#[from] crate::RatesError),
    /// A sample file.
    #[error(transparent)]
    Dataset(#[from] bioflux_plugin::dataset::DatasetError),
    /// A sampling axis.
    #[error(transparent)]
    Axis(#[from] AxisError),
    /// The current directory, where relative paths start outside a model,
    /// cannot be read.
    #[error("cannot read the current directory: {0}")]
    WorkingDir(std::io::Error),
    /// A plugin that is not on the search path.
    #[error("the `{name}` plugin was not found; {hint}")]
    PluginNotFound { name: String, hint: &'static str },
    /// A cell the model does not have.
    #[error("no cell `{name}` in {model}.{}", if suggestion.is_empty() { String::new() } else { format!(" {suggestion}") })]
    UnknownCell { name: String, model: String, suggestion: String },
    /// An output a cell does not have.
    #[error("cell `{cell}` has no output `{name}`.{}", if suggestion.is_empty() { String::new() } else { format!(" {suggestion}") })]
    UnknownOutput { cell: String, name: String, suggestion: String },
    /// A reaction a network does not have.
    #[error("the model has no reaction `{name}`.{}", if suggestion.is_empty() { String::new() } else { format!(" {suggestion}") })]
    UnknownReaction { name: String, suggestion: String },
    /// An input that is missing from a request that needs all of them.
    #[error("give a {what} for every input of cell `{cell}`; missing: {}", missing.join(", "))]
    MissingInputs { cell: String, what: &'static str, missing: Vec<String> },
    /// A derivative asked for by an input that is not gridded.
    #[error("--wrt {name}: not one of the gridded inputs ({})", gridded.join(", "))]
    NotGridded { name: String, gridded: Vec<String> },
    /// A plugin without the Jacobian an operation needs.
    #[error("plugin `{plugin}` gives no Jacobian to map")]
    NoJacobian { plugin: String },
    /// A plugin whose outputs are not an LP cell's.
    #[error("plugin `{plugin}` has no `objective` and `slack` outputs: not an LP cell model")]
    NotAnLpCell { plugin: String },
    /// A cell's evaluation failed, with its plugin's message.
    #[error("{what} failed here: {message}")]
    Evaluation { what: String, message: String },
    /// A request that contradicts itself.
    #[error("{0}")]
    Request(&'static str),
    /// A bug in bioflux or a plugin that panicked; the operation was
    /// abandoned, the caller kept running.
    #[error("internal error (please report it): {message}")]
    Panic { message: String },
}

impl Error {
    /// A run's error, its diagnostics drawn against the model's text.
    pub(crate) fn run(error: RunError, source_text: &Arc<NamedSource<String>>) -> Error {
        match error {
            RunError::Diagnostics(diagnostics) => Error::Invalid { source_text: source_text.clone(), diagnostics },
            other => Error::Run(other),
        }
    }

    /// A fit's error, as [`Error::run`] for the runs inside it.
    pub(crate) fn fit(error: FitError, source_text: &Arc<NamedSource<String>>) -> Error {
        match error {
            FitError::Setup(run) => Error::run(run, source_text),
            other => Error::Fit(other),
        }
    }
}

impl From<DataError> for Error {
    fn from(e: DataError) -> Error {
        Error::Fit(FitError::Data(e))
    }
}

impl From<SpecError> for Error {
    fn from(e: SpecError) -> Error {
        Error::Fit(FitError::Spec(e))
    }
}
