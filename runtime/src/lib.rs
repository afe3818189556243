//! The bioflux runtime: plugin host, ODE integration with diffsol, schedules,
//! outputs. It is built up by the simulator and plugin-host issues; for now
//! it re-exports what a run starts from.

pub use bioflux_compiler::CheckedModel;
pub use bioflux_plugin::{ABI_VERSION, Status};
