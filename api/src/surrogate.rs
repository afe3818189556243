//! The surrogate plugin's tools (train, infer, learn_rates): candle lives
//! in that plugin, not in the host.

use crate::Error;
use bioflux_plugin::tools::Tool;
use bioflux_runtime::host::{Plugin, SearchPath};
use std::path::PathBuf;

/// Calls tool `T` of the `surrogate` plugin found on `plugin_path`.
pub fn surrogate_tool<T: Tool>(request: &T::Request, plugin_path: &[PathBuf]) -> Result<T::Reply, Error> {
    let path = SearchPath::new(plugin_path).find("surrogate").ok_or(Error::PluginNotFound {
        name: "surrogate".into(),
        hint: "build it (cargo build -p bioflux-surrogate) or pass --plugin-path DIR",
    })?;
    Ok(Plugin::open(&path)?.call::<T>(request)?)
}
