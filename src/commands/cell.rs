//! A model's cell opened outside a simulation, for the commands that
//! evaluate one (`sample`, `sensitivity`, `parity`).

use super::{checked_file, report_all};
use bioflux_runtime::host::{SearchPath, bind, config_json};
use bioflux_runtime::sampling::{Axis, CellFactory, parse_axis};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A model's cell, bound to its plugin, ready to evaluate outside a run.
pub(crate) struct OpenCell {
    pub name: String,
    pub base_dir: PathBuf,
    pub bound: bioflux_runtime::host::BoundCells,
    pub index: usize,
    pub config: String,
    pub ports: Vec<String>,
    pub outputs: Vec<(String, String)>,
}

impl OpenCell {
    pub fn cell(&self) -> &bioflux_runtime::host::BoundCell {
        &self.bound.cells[self.index]
    }

    /// What makes more instances of the cell (one per thread).
    pub fn factory(&self) -> CellFactory {
        CellFactory {
            library: self.cell().instance.plugin.path.clone(),
            config: self.config.clone(),
            base_dir: self.base_dir.clone(),
        }
    }

    /// Axes from `--grid` specs, one for every input of the cell.
    pub fn axes(&self, grids: &[String]) -> Result<Vec<Axis>, String> {
        let axes: Vec<Axis> = grids.iter().map(|g| parse_axis(g, &self.ports)).collect::<Result<_, _>>()?;
        let missing: Vec<&str> = self
            .ports
            .iter()
            .enumerate()
            .filter(|(i, _)| !axes.iter().any(|a| a.port == *i))
            .map(|(_, p)| p.as_str())
            .collect();
        if !missing.is_empty() {
            let cell = &self.bound.cells[self.index].name;
            return Err(format!("give a --grid for every input of cell `{cell}`; missing: {}", missing.join(", ")));
        }
        Ok(axes)
    }
}

/// Checks the model and binds its cells; diagnostics are reported here.
pub(crate) fn open_cell(file: &Path, cell: &str, plugin_path: &[PathBuf]) -> Result<OpenCell, String> {
    let (src, model) = checked_file(file, "nothing was done")?;
    let name = file.display().to_string();
    let index = model.cells.iter().position(|c| c.name == cell).ok_or_else(|| {
        let names = model.cells.iter().map(|c| c.name.as_str());
        format!("no cell `{cell}` in {name}. {}", bioflux_compiler::diagnostic::suggestion(cell, names, ""))
    })?;
    let base_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let bound = bind(&model, &SearchPath::new(plugin_path), &base_dir).map_err(|diags| {
        let source = Arc::new(miette::NamedSource::new(name.clone(), src));
        report_all(diags, Some(&source), "nothing was done")
    })?;
    let config = config_json(&model, &model.cells[index]);
    let instance = &bound.cells[index].instance;
    let ports = instance.inputs.iter().map(|p| p.name.clone()).collect();
    let outputs = instance.outputs.iter().map(|p| (p.name.clone(), p.unit.clone())).collect();
    Ok(OpenCell { name, base_dir, bound, index, config, ports, outputs })
}
