//! The bioflux runtime: run parameters and initial state, breakpoints, and
//! integration with diffsol. (The plugin host arrives with the plugin issue.)

pub mod breakpoints;
pub mod events;
pub mod fit;
pub mod host;
pub mod output;
pub mod params;
mod run;
pub mod sampling;
pub mod sensitivity;
pub mod simulate;

pub use bioflux_compiler::CheckedModel;
pub use bioflux_plugin::{ABI_VERSION, Status};
pub use run::{Environment, Overrides, Prepared, Run, RunError, run};
pub use simulate::{Settings, Simulation, simulate};
