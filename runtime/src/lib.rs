//! The bioflux runtime: the plugin host ([`host`]: loading, binding cells
//! to instances, the call slots the generated code uses), run parameters
//! and initial state ([`params`]), breakpoints and events ([`breakpoints`],
//! [`events`]), integration with diffsol ([`simulate`]) and forward
//! sensitivities ([`sensitivity`]), outputs ([`output`]), sampling of cells
//! ([`sampling`]) and fitting ([`fit`]).

pub mod breakpoints;
pub mod events;
pub mod fit;
pub mod host;
pub mod output;
pub mod params;
mod run;
pub mod sampling;
mod segments;
pub mod sensitivity;
pub mod simulate;
mod sparse;

pub use bioflux_compiler::CheckedModel;
pub use bioflux_plugin::{ABI_VERSION, Status};
pub use run::{Environment, Overrides, Prepared, Run, RunError, run};
pub use simulate::{Settings, Simulation, simulate};
