//! What can go wrong in a fit, with the data a caller needs: which file
//! and line, which experiment, which parameter.

use crate::RunError;
use crate::params::ParamError;
use bioflux_compiler::quantity::QuantityError;
use std::path::PathBuf;

/// A measured-data file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be read.
    #[error("cannot read data file {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    /// A parameter change (`# set:` line or after the path) is wrong;
    /// `place` is `FILE:LINE` or the argument as written.
    #[error("{place}: {error}")]
    Set { place: String, error: ParamError },
    /// The CSV header cannot be read.
    #[error("{}: cannot read the header: {source}", path.display())]
    Header { path: PathBuf, source: csv::Error },
    /// The time column has a unit other than hours.
    #[error("{}: the time column must be in hours, not [{unit}]", path.display())]
    TimeUnit { path: PathBuf, unit: String },
    /// A column that is not one of the model's outputs.
    #[error(
        "{}: column `{column}` is not an output of the model{} (its outputs: {})",
        path.display(),
        if suggestion.is_empty() { String::new() } else { format!(": {suggestion}") },
        outputs.join(", ")
    )]
    UnknownColumn { path: PathBuf, column: String, suggestion: String, outputs: Vec<String> },
    /// A column's unit cannot be read.
    #[error("{}: column `{header}`: {error}", path.display())]
    ColumnUnit { path: PathBuf, header: String, error: QuantityError },
    /// A column's unit is of another dimension than the model's column.
    #[error("{}: column `{header}` is in [{unit}], but `{column}` is in [{model_unit}]", path.display())]
    ColumnDimension { path: PathBuf, header: String, unit: String, column: String, model_unit: String },
    /// No `t` or `time` column.
    #[error("{}: no time column (`t` or `time`)", path.display())]
    NoTimeColumn { path: PathBuf },
    /// Only a time column.
    #[error("{}: no measured columns beside the time", path.display())]
    NoMeasuredColumns { path: PathBuf },
    /// A row the CSV reader cannot read.
    #[error("{}: {source}", path.display())]
    Row { path: PathBuf, source: csv::Error },
    /// A time that is not a number.
    #[error("{}:{line}: the time `{text}` is not a number", path.display())]
    TimeNotANumber { path: PathBuf, line: usize, text: String },
    /// Times out of order.
    #[error("{}:{line}: times must increase (t = {time} after {previous})", path.display())]
    TimesNotIncreasing { path: PathBuf, line: usize, time: f64, previous: f64 },
    /// A measurement that is not a number (nor empty or NA).
    #[error("{}:{line}: `{text}` in column `{column}` is not a number", path.display())]
    NotANumber { path: PathBuf, line: usize, text: String, column: String },
    /// A header and no rows.
    #[error("{}: no data rows", path.display())]
    NoRows { path: PathBuf },
}

/// A fit request that does not fit the model.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// A start, bound or log scale for a parameter not being fitted.
    #[error("`{name}` has a start, bound or log scale but is not among --fit {}", fitted.join(","))]
    NotFitted { name: String, fitted: Vec<String> },
    /// The same name twice in `--fit`.
    #[error("--fit names `{name}` twice")]
    Twice { name: String },
    /// Bounds or a log scale on a learned term.
    #[error("`{name}` is a learned term: its weights take no bounds or log scale")]
    LearnedTermScale { name: String },
    /// A name that is not a parameter.
    #[error("--fit {name}: {error}")]
    Unknown { name: String, error: ParamError },
    /// Lower bound not below the upper.
    #[error("--bound {name}={lower}:{upper}: the lower bound must be below the upper")]
    EmptyBounds { name: String, lower: f64, upper: f64 },
    /// A start outside the bounds.
    #[error("`{name}` starts at {start}, outside its bounds {lower}:{upper}; give --start")]
    StartOutside { name: String, start: f64, lower: f64, upper: f64 },
    /// A log scale where the start or lower bound is not positive.
    #[error("`{name}` cannot be fitted on a log scale: its start or lower bound is not positive")]
    LogOfNonPositive { name: String },
}

/// Why a fit cannot be set up or evaluated.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    /// A data file.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The request.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// Preparing an experiment's simulation (binding its cells, compiling).
    #[error(transparent)]
    Setup(#[from] RunError),
    /// An experiment's parameter change.
    #[error("{experiment}: {error}")]
    ExperimentSet { experiment: String, error: ParamError },
    /// An experiment sets a parameter that is being fitted.
    #[error("{experiment} sets `{parameter}`, which is being fitted; fit it or set it, not both")]
    SetAndFitted { experiment: String, parameter: String },
    /// Data before the model's start time.
    #[error("{experiment}: data at t = {time} h, before the simulation starts ({start} h)")]
    DataBeforeStart { experiment: String, time: f64, start: f64 },
    /// Re-creating an experiment's cells for new option values failed.
    #[error("{experiment}: {error}")]
    Cells { experiment: String, error: Box<RunError> },
    /// An experiment's simulation failed.
    #[error("{experiment}: the simulation failed at t = {time} h: {message}")]
    Simulation { experiment: String, time: f64, message: String },
    /// A simulated value at a data point is NaN or infinite.
    #[error("the simulation gave a non-finite value at a data point")]
    NonFiniteResidual,
    /// A sensitivity at a data point is NaN or infinite.
    #[error("a sensitivity is not finite at a data point")]
    NonFiniteSensitivity,
    /// The statistics' matrix decompositions did not converge.
    #[error("neither the SVD of the sensitivity matrix nor the eigenvalues of JᵀJ converged")]
    NoDecomposition,
    /// A standard deviation for an output no data file measures.
    #[error("--sigma {output}: no data file measures `{output}`")]
    SigmaNotMeasured { output: String },
    /// A standard deviation that is not a positive number.
    #[error("--sigma {output}={sigma}: a standard deviation must be positive")]
    SigmaNotPositive { output: String, sigma: f64 },
    /// Fewer data than parameters.
    #[error("{data} data values cannot determine {parameters} parameters")]
    TooFewData { data: usize, parameters: usize },
    /// Every start failed; the best start's reason.
    #[error("no start could be fitted: {reason}")]
    NoStart { reason: String },
}

/// A parameters file (`bioflux run --params`) or a fit report that cannot
/// be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ParameterFileError {
    /// Reading failed.
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    /// Writing failed.
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    /// Neither of the two shapes.
    #[error(
        "{}: expected bioflux fit's output, {{\"parameters\": {{NAME: {{\"value\": ...}}}}}}, or {{NAME: VALUE}}",
        path.display()
    )]
    Shape { path: PathBuf },
    /// A fitted parameter without a value.
    #[error("{}: parameter `{name}` has no numeric value", path.display())]
    NoValue { path: PathBuf, name: String },
}
