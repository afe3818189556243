//! One of a model's cells, bound to its plugin, evaluated outside a
//! simulation: sampled over a grid or a Latin hypercube (training data for
//! a surrogate), its derivatives mapped, queried at a point.

use crate::{Error, Model};
use bioflux_plugin::dataset::{Dataset, DatasetMetadata};
use bioflux_runtime::host::{BoundCell, BoundCells, Instance, bind, config_json};
use bioflux_runtime::sampling::{Axis, CellFactory, over_points, parse_axis, stoichiometry};
use std::path::PathBuf;

/// A model's cell, bound to its plugin, ready to evaluate outside a run.
pub struct Cell {
    /// The cell's name in the model.
    pub name: String,
    /// The model's name as given (its file), for the data's metadata.
    pub model: String,
    base_dir: PathBuf,
    bound: BoundCells,
    index: usize,
    config: String,
    /// Its input ports by name (`EX_glc__D_e.lower`).
    pub ports: Vec<String>,
    /// Its outputs: name and unit.
    pub outputs: Vec<(String, String)>,
}

/// d(output)/d(input) of a cell at every point of a grid (a cell's
/// derivatives; "sensitivities" in bioflux are the forward sensitivities of
/// a trajectory to parameters, `runtime::sensitivity`).
pub struct DerivativeMap {
    /// The grid's axes.
    pub axes: Vec<Axis>,
    /// Which axes the derivatives are taken by (indices into `axes`).
    pub wrt: Vec<usize>,
    /// The grid's points, in the order they were evaluated.
    pub points: Vec<Vec<f64>>,
    /// At each point, one derivative per `wrt` (by the axis's value, so by
    /// the uptake where the axis is one); NaN where the cell failed.
    pub values: Vec<Vec<f64>>,
}

impl Model {
    /// The cell `name`, bound to its plugin as a query of single points
    /// (`infeasible = stop` answers with the stop status, not a relaxed run).
    pub fn cell(&self, name: &str) -> Result<Cell, Error> {
        let checked = self.checked();
        let model = self.source_text().name().to_string();
        let index = checked.cells.iter().position(|c| c.name == name).ok_or_else(|| {
            let names = checked.cells.iter().map(|c| c.name.as_str());
            let suggestion = bioflux_compiler::diagnostic::suggestion(name, names, "").trim().to_string();
            Error::UnknownCell { name: name.to_string(), model: model.clone(), suggestion }
        })?;
        let env = self.environment();
        let bound = bind(checked, &env.plugins, &env.base_dir)
            .map_err(|diagnostics| Error::Invalid { source_text: self.source_text().clone(), diagnostics })?;
        let config = config_json(checked, &checked.cells[index]);
        let instance = &bound.cells[index].instance;
        let ports = instance.inputs.iter().map(|p| p.name.clone()).collect();
        let outputs = instance.outputs.iter().map(|p| (p.name.clone(), p.unit.clone())).collect();
        Ok(Cell { name: name.to_string(), model, base_dir: env.base_dir.clone(), bound, index, config, ports, outputs })
    }
}

impl Cell {
    /// The bound cell (its instance, buffers, plugin).
    pub fn bound(&self) -> &BoundCell {
        &self.bound.cells[self.index]
    }

    /// Its plugin instance.
    pub fn instance(&self) -> &Instance {
        &self.bound().instance
    }

    /// What makes more instances of the cell (one per thread).
    pub fn factory(&self) -> CellFactory {
        CellFactory {
            library: self.instance().plugin.path.clone(),
            config: self.config.clone(),
            base_dir: self.base_dir.clone(),
        }
    }

    /// Axes from `INPUT=START:END:STEP` specs, one for every input.
    pub fn axes(&self, grids: &[String]) -> Result<Vec<Axis>, Error> {
        let axes: Vec<Axis> = grids.iter().map(|g| parse_axis(g, &self.ports)).collect::<Result<_, _>>()?;
        let missing: Vec<String> = self
            .ports
            .iter()
            .enumerate()
            .filter(|(i, _)| !axes.iter().any(|a| a.port == *i))
            .map(|(_, p)| p.clone())
            .collect();
        if !missing.is_empty() {
            return Err(Error::MissingInputs { cell: self.name.clone(), what: "--grid", missing });
        }
        Ok(axes)
    }

    /// The cell at every point (values along `axes`), in parallel: inputs,
    /// outputs (NaN where it failed), the status of each point, and the
    /// network over its outputs where the plugin gives one; `tick` after
    /// each point.
    pub fn sample(&self, axes: &[Axis], points: &[Vec<f64>], tick: &(dyn Fn() + Sync)) -> Result<Dataset, Error> {
        let (n_in, n_out) = (self.ports.len(), self.outputs.len());
        let rows = over_points(&self.factory(), axes, n_in, points, tick, |instance, ports| {
            let mut out = vec![0.0; n_out];
            let status = instance.eval(ports, &mut out);
            if !status.has_result() {
                out.fill(f64::NAN);
            }
            // The file's code: 0 ok, 1 relaxed, 2 failed, 3 stopped.
            (out, status as i32)
        })?;
        let (outputs, status): (Vec<Vec<f64>>, Vec<i32>) = rows.into_iter().unzip();
        let metadata = DatasetMetadata {
            model: self.model.clone(),
            cell: self.name.clone(),
            inputs: axes.iter().map(|a| a.name.clone()).collect(),
            input_meaning: axes
                .iter()
                .map(|a| if a.uptake { "uptake (bound = -value)" } else { "bound" }.to_string())
                .collect(),
            input_ports: axes.iter().map(|a| self.ports[a.port].clone()).collect(),
            outputs: self.outputs.iter().map(|o| o.0.clone()).collect(),
            output_units: self.outputs.iter().map(|o| o.1.clone()).collect(),
        };
        let network = stoichiometry(self.bound(), &self.config, &self.base_dir, &self.outputs)?;
        let (stoichiometry, elements, n_metabolites) = match network {
            Some(net) => (Some(net.s), Some(net.elements), net.n_metabolites),
            None => (None, None, 0),
        };
        Ok(Dataset {
            inputs: points.iter().flatten().copied().collect(),
            outputs: outputs.into_iter().flatten().collect(),
            status,
            n_inputs: n_in,
            n_outputs: n_out,
            metadata,
            stoichiometry,
            elements,
            n_metabolites,
        })
    }

    /// d `of` / d each of `wrt` (axis names or their ports) at every point
    /// of the grid `axes` span, from the plugin's own Jacobian.
    pub fn derivatives(
        &self,
        of: &str,
        wrt: &[String],
        axes: Vec<Axis>,
        points: Vec<Vec<f64>>,
        tick: &(dyn Fn() + Sync),
    ) -> Result<DerivativeMap, Error> {
        let of = self.outputs.iter().position(|o| o.0 == of).ok_or_else(|| {
            let names = self.outputs.iter().map(|o| o.0.as_str());
            let suggestion = bioflux_compiler::diagnostic::suggestion(of, names, "").trim().to_string();
            Error::UnknownOutput { cell: self.name.clone(), name: of.to_string(), suggestion }
        })?;
        let wrt: Vec<usize> =
            wrt.iter()
                .map(|w| {
                    axes.iter().position(|a| a.name == *w || self.ports[a.port] == *w).ok_or_else(|| {
                        Error::NotGridded { name: w.clone(), gridded: axes.iter().map(|a| a.name.clone()).collect() }
                    })
                })
                .collect::<Result<_, _>>()?;
        let plugin = &self.instance().plugin;
        if plugin.table.jacobian.is_none() {
            return Err(Error::NoJacobian { plugin: plugin.name.clone() });
        }
        let (n_in, n_out) = (self.ports.len(), self.outputs.len());
        let values = over_points(&self.factory(), &axes, n_in, &points, tick, |instance, ports| {
            let (mut out, mut jac) = (vec![0.0; n_out], vec![0.0; n_in * n_out]);
            let ok = instance.eval(ports, &mut out).has_result()
                && instance.jacobian(ports, &mut jac) == Some(bioflux_plugin::Status::Ok);
            wrt.iter()
                .map(|&w| {
                    let a = &axes[w];
                    let d = jac[of * n_in + a.port];
                    if !ok {
                        f64::NAN
                    } else if a.uptake {
                        -d
                    } else {
                        d
                    }
                })
                .collect::<Vec<f64>>()
        })?;
        Ok(DerivativeMap { axes, wrt, points, values })
    }
}
