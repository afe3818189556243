//! Parameter estimation: weighted least squares of simulated observables
//! against measured data, by Levenberg–Marquardt with gradients from
//! forward sensitivities, from several starts; with the statistics a
//! modeler needs to trust the estimates.

pub mod data;
pub mod error;
pub mod gradient;
pub mod problem;
pub mod report;
pub mod solve;
pub mod spec;
pub mod statistics;

pub use data::{Experiment, ExperimentTable, experiment_from_table, read_experiment};
pub use error::{DataError, FitError, ParameterFileError, SpecError};
pub use gradient::{GradientCheck, check_gradient};
pub use problem::{Evaluation, FitParam, Problem, Weights};
pub use report::{FitReport, learned_weights, read_parameter_file};
pub use solve::{Options, StartResult, fit_from, fit_multistart, search_range, start_points};
pub use spec::{FitSpec, LogScale};
pub use statistics::{CORRELATION_WARNING, Estimate, Statistics, statistics, t_quantile_975};
