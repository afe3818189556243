//! The plugins bioflux ships (`pfba`, `surrogate`), found and opened outside
//! a model: for one LP, a surrogate beside its cell, and their tools.

use crate::Error;
use bioflux_runtime::host::{Instance, Plugin, SearchPath};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The plugin `name` (`pfba` or `surrogate`), found on `plugin_path`
/// before the usual places, and opened.
pub(crate) fn open_plugin(name: &str, plugin_path: &[PathBuf]) -> Result<Rc<Plugin>, Error> {
    let path = SearchPath::new(plugin_path).find(name).ok_or_else(|| Error::PluginNotFound {
        name: name.to_string(),
        hint: match name {
            "surrogate" => "build it (cargo build -p bioflux-surrogate) or pass --plugin-path DIR",
            _ => "pass --plugin-path DIR",
        },
    })?;
    Ok(Rc::new(Plugin::open(&path)?))
}

/// The directory relative paths start from outside a model: the current one.
pub(crate) fn working_dir() -> Result<PathBuf, Error> {
    std::env::current_dir().map_err(Error::WorkingDir)
}

/// A trained surrogate's directory opened as a cell model, outside a
/// model (to compare it with the cell it learned).
pub fn open_surrogate(dir: &Path, plugin_path: &[PathBuf]) -> Result<Instance, Error> {
    let plugin = open_plugin("surrogate", plugin_path)?;
    let config = bioflux_plugin::config::CellConfig { source: Some(dir.display().to_string()), ..Default::default() };
    Ok(Instance::create(plugin, &config.to_json(), &working_dir()?)?)
}
