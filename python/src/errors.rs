//! The package's exceptions and how each library error becomes one:
//!
//! ```text
//! BiofluxError
//! ├── ModelError        the model's text: every diagnostic, with line and column
//! ├── InputError        an argument: a parameter, a time, data, a grid
//! ├── SimulationError   a run that failed (its rows up to the failure kept)
//! ├── FitError          a fit that could not be set up or finished
//! └── PluginError       a cell's plugin: not found, not loaded, failed (names it)
//! ```
//! Files that cannot be read are Python's own `OSError`s.

use bioflux_api::Error;
use bioflux_runtime::RunError;
use bioflux_runtime::fit::FitError as LibraryFitError;
use bioflux_runtime::host::{PluginError as LibraryPluginError, ToolError};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyFileNotFoundError, PyOSError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Declares the exceptions and `register`, which adds each to the module.
macro_rules! exceptions {
    ($($name:ident($base:ty): $doc:literal),* $(,)?) => {
        $(create_exception!(bioflux, $name, $base, $doc);)*

        pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
            $(m.add(stringify!($name), m.py().get_type::<$name>())?;)*
            Ok(())
        }
    };
}

exceptions! {
    BiofluxError(PyException): "Every error bioflux raises (but OSError for unreadable files).",
    ModelError(BiofluxError): "A model's text has errors; `diagnostics` lists every one.",
    InputError(BiofluxError): "An argument does not fit the model (a parameter, a time, data, a grid).",
    SimulationError(BiofluxError): "A run failed; `result` holds the rows computed before.",
    FitError(BiofluxError): "A fit could not be set up or finished.",
    PluginError(BiofluxError): "A cell's plugin could not be found, loaded or evaluated; `plugin` names it.",
}

/// A bug: bioflux or a plugin panicked; the call was abandoned.
pub fn internal(message: String) -> PyErr {
    BiofluxError::new_err(format!("internal error (please report it): {message}"))
}

/// An argument the package's Rust side refused.
pub fn input(message: String) -> PyErr {
    InputError::new_err(message)
}

/// The library's error as the package's exception.
pub fn to_py(py: Python<'_>, error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        Error::Invalid { source_text, diagnostics } => model_error(py, &source_text, &diagnostics),
        Error::Read { path, source } => {
            let text = format!("cannot read {}: {source}", path.display());
            if source.kind() == std::io::ErrorKind::NotFound {
                PyFileNotFoundError::new_err(text)
            } else {
                PyOSError::new_err(text)
            }
        }
        Error::WorkingDir(_) => PyOSError::new_err(message),
        Error::Run(RunError::NoEndTime) => InputError::new_err(
            "no end time: add `end = 10 [h]` to the model's `simulate` block or pass end= (\"15 h\" or hours)",
        ),
        Error::Run(RunError::Parameter(_)) | Error::Parameter(_) | Error::ParameterFile(_) | Error::Weights(_) => {
            InputError::new_err(message)
        }
        Error::Run(_) => SimulationError::new_err(message),
        Error::Fit(LibraryFitError::Data(_) | LibraryFitError::Spec(_)) => InputError::new_err(message),
        Error::Fit(_) => FitError::new_err(message),
        Error::Plugin(ref e) => plugin_error(py, &message, &plugin_of(e)),
        Error::Tool(
            ToolError::NotOffered { ref plugin, .. }
            | ToolError::Unknown { ref plugin, .. }
            | ToolError::Failed { ref plugin, .. }
            | ToolError::Malformed { ref plugin, .. },
        ) => plugin_error(py, &message, plugin),
        Error::PluginNotFound { ref name, .. } => plugin_error(
            py,
            &format!("the `{name}` plugin was not found; reinstall bioflux or pass plugin_path=[DIR]"),
            name,
        ),
        Error::NoJacobian { ref plugin } | Error::NotAnLpCell { ref plugin } => plugin_error(py, &message, plugin),
        Error::Evaluation { .. } => PluginError::new_err(message),
        Error::Panic { message } => internal(message),
        // An SBML file bioflux cannot translate (the message names the
        // feature and its line), or a test-suite case folder.
        Error::Import { .. }
        | Error::Case(_)
        | Error::Rates(_)
        | Error::Dataset(_)
        | Error::Axis(_)
        | Error::UnknownCell { .. }
        | Error::UnknownOutput { .. }
        | Error::UnknownReaction { .. }
        | Error::MissingInputs { .. }
        | Error::NotGridded { .. }
        | Error::Request(_) => InputError::new_err(message),
    }
}

/// The plugin a loading error is about: its library's file name.
fn plugin_of(error: &LibraryPluginError) -> String {
    let path = match error {
        LibraryPluginError::Load { path, .. }
        | LibraryPluginError::NotAPlugin { path }
        | LibraryPluginError::NoTable { path }
        | LibraryPluginError::OtherAbi { path, .. } => path,
        LibraryPluginError::Create { .. } => return String::new(),
    };
    // The file is `{DLL_PREFIX}bioflux_NAME{DLL_SUFFIX}` or `{DLL_PREFIX}NAME{DLL_SUFFIX}`.
    let stem = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    let stem = stem.strip_prefix(std::env::consts::DLL_PREFIX).unwrap_or(&stem);
    stem.strip_prefix("bioflux_").unwrap_or(stem).to_string()
}

fn plugin_error(py: Python<'_>, message: &str, plugin: &str) -> PyErr {
    let error = PluginError::new_err(message.to_string());
    let _ = error.value(py).setattr("plugin", plugin);
    error
}

/// `ModelError`: its text is every diagnostic drawn as `bioflux check`
/// draws it; `diagnostics` holds each as a dict (file, line, column,
/// end_line, end_column, code, message, label, help).
fn model_error(
    py: Python<'_>,
    source_text: &std::sync::Arc<miette::NamedSource<String>>,
    diagnostics: &[bioflux_compiler::Diagnostic],
) -> PyErr {
    let text = source_text.inner().as_str();
    let mut rendered = String::new();
    for d in diagnostics {
        rendered.push_str(&d.clone().with_source(source_text.clone()).render());
        rendered.push('\n');
    }
    let count = diagnostics.len();
    rendered.push_str(&format!("error: {count} error{} found", if count == 1 { "" } else { "s" }));
    let error = ModelError::new_err(rendered);
    let list: Vec<Bound<'_, PyDict>> = diagnostics
        .iter()
        .filter_map(|d| {
            let (line, column) = bioflux_compiler::diagnostic::line_column(text, d.span.start);
            let (end_line, end_column) = bioflux_compiler::diagnostic::line_column(text, d.span.end);
            let entry = PyDict::new(py);
            let fields = [
                entry.set_item("file", source_text.name()),
                entry.set_item("line", line),
                entry.set_item("column", column),
                entry.set_item("end_line", end_line),
                entry.set_item("end_column", end_column),
                entry.set_item("code", d.code.as_str()),
                entry.set_item("message", &d.message),
                entry.set_item("label", &d.label),
                entry.set_item("help", d.help.as_deref()),
            ];
            fields.into_iter().all(|f| f.is_ok()).then_some(entry)
        })
        .collect();
    let _ = error.value(py).setattr("diagnostics", list);
    error
}
