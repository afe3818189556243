//! bioflux as a library: the one way in for every front end (the command
//! line, the REPL, and those to come: Python, a sweep runner, an editor).
//!
//! ```no_run
//! use bioflux_api::{Model, Options, Overrides};
//! let mut model = Model::open("models/monod_batch.bio".as_ref(), &Options::default())?;
//! let run = model.run(&Overrides::default())?;
//! println!("{} rows", run.simulation.rows.len());
//! # Ok::<(), bioflux_api::Error>(())
//! ```
//!
//! A [`Model`] is opened once — read, checked, the trained weights of its
//! learned terms applied — and compiled on its first run; every operation
//! on it (run, fit, a cell's samples and sensitivities) sees the same
//! model. [`fba`] solves one LP of a model file without a `.bio` file.
//! Errors are [`Error`]: typed, with the data a caller needs, rendered by
//! the front end.

mod cell;
mod check;
mod design;
mod error;
mod fba;
mod fit;
mod learn;
mod model;
mod plugins;
mod sbml;
mod surrogate;

pub use bioflux_sbml::Options as ImportOptions;
pub use cell::{Cell, DerivativeMap};
pub use check::{CellCatalog, CellCheck};
pub use design::{DesignOptions, DesignRun, RunStatus, collect_design, panic_message, run_design};
pub use error::Error;
pub use fba::{Bound, FbaRequest, FbaSolution, FbaStatus, fba};
pub use fit::{FitRequest, FitSetup, Fitted};
pub use learn::{LearnColumns, LearnData, NoElectrons, RatesError, learn, learn_columns};
pub use model::{Model, Options, Parameter, SharedModel};
pub use plugins::open_surrogate;
pub use sbml::{CaseOutcome, CaseResult, import as import_sbml, run_case};
pub use surrogate::surrogate_tool;

pub use bioflux_compiler::CheckedModel;
pub use bioflux_plugin::tools::ReactionSummary;
pub use bioflux_runtime::host::{CellDescription, PortInfo};
pub use bioflux_runtime::params::{LearnedStart, ParamSet};
pub use bioflux_runtime::simulate::Simulation;
pub use bioflux_runtime::{Overrides, Run};
