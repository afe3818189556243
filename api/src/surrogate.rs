//! The surrogate plugin's tools (train, infer, learn_rates): candle lives
//! in that plugin, not in the host.

use crate::Error;
use bioflux_plugin::tools::Tool;
use std::path::PathBuf;

/// Calls tool `T` of the `surrogate` plugin found on `plugin_path`.
pub fn surrogate_tool<T: Tool>(request: &T::Request, plugin_path: &[PathBuf]) -> Result<T::Reply, Error> {
    Ok(crate::plugins::open_plugin("surrogate", plugin_path)?.call::<T>(request)?)
}
