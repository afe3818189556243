//! Sampling a cell model outside a simulation: grids (walked so that
//! neighbouring points follow each other, which keeps an LP's basis),
//! Latin hypercubes, and parallel evaluation with one plugin instance per
//! chunk of points. `bioflux sample` and `bioflux sensitivity` drive it.

use crate::host::{BoundCell, Instance, Plugin, PluginError, ToolError};
use bioflux_plugin::tools::{StoichiometryRequest, StoichiometryTool, Tool};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// One sampled input: the port it sets and its range.
pub struct Axis {
    pub port: usize,
    pub name: String,
    pub start: f64,
    pub end: f64,
    pub step: f64,
    /// A lower bound is given as an uptake (positive), as in the paper:
    /// the bound is minus the value.
    pub uptake: bool,
}

impl Axis {
    pub fn values(&self) -> Vec<f64> {
        let n = ((self.end - self.start) / self.step + 1e-9).floor() as usize + 1;
        (0..n).map(|k| self.start + k as f64 * self.step).collect()
    }
}

/// A `--grid` axis that cannot be used.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AxisError {
    /// Not `INPUT=START:END:STEP`.
    #[error("--grid {spec}: write INPUT=START:END:STEP")]
    Form { spec: String },
    /// A part that is not a number.
    #[error("--grid {spec}: `{part}` is not a number")]
    NotANumber { spec: String, part: String },
    /// An empty range or a step that is not positive.
    #[error("--grid {spec}: needs START ≤ END and STEP > 0")]
    EmptyRange { spec: String },
    /// No input port of that name.
    #[error("the cell has no input `{name}`. {suggestion}")]
    UnknownInput { name: String, suggestion: String },
}

/// `INPUT=START:END:STEP` against the cell's input ports (a reaction name
/// stands for its bound port).
pub fn parse_axis(spec: &str, ports: &[String]) -> Result<Axis, AxisError> {
    let form = || AxisError::Form { spec: spec.to_string() };
    let (name, range) = spec.split_once('=').ok_or_else(form)?;
    let parts: Vec<f64> = range
        .split(':')
        .map(|p| {
            p.trim().parse::<f64>().map_err(|_| AxisError::NotANumber { spec: spec.to_string(), part: p.to_string() })
        })
        .collect::<Result<_, _>>()?;
    let [start, end, step] = parts[..] else { return Err(form()) };
    if !(step > 0.0 && end >= start) {
        return Err(AxisError::EmptyRange { spec: spec.to_string() });
    }
    let port = ports.iter().position(|p| p == name || p.rsplit_once('.').is_some_and(|(r, _)| r == name));
    let port = port.ok_or_else(|| AxisError::UnknownInput {
        name: name.to_string(),
        suggestion: bioflux_compiler::diagnostic::suggestion(
            name,
            ports.iter().map(String::as_str),
            "its inputs are its `bound` and `input` lines",
        ),
    })?;
    let uptake = ports[port].ends_with(".lower");
    Ok(Axis { port, name: name.to_string(), start, end, step, uptake })
}

/// Grid points in boustrophedon order (the last axis runs back and forth),
/// so each point is a neighbour of the one before and the LP's basis
/// carries over.
pub fn grid_points(axes: &[Axis]) -> Vec<Vec<f64>> {
    let mut points: Vec<Vec<f64>> = vec![Vec::new()];
    for axis in axes {
        let values = axis.values();
        let mut next = Vec::with_capacity(points.len() * values.len());
        for (k, p) in points.iter().enumerate() {
            let ordered: Box<dyn Iterator<Item = &f64>> =
                if k % 2 == 0 { Box::new(values.iter()) } else { Box::new(values.iter().rev()) };
            for v in ordered {
                let mut q = p.clone();
                q.push(*v);
                next.push(q);
            }
        }
        points = next;
    }
    points
}

/// A Latin hypercube of `n` points over the axes' ranges (one point per
/// stratum of every axis), ordered along the first axis.
pub fn latin_hypercube(axes: &[Axis], n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut random = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let columns: Vec<Vec<f64>> = axes
        .iter()
        .map(|a| {
            let mut strata: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                strata.swap(i, (random() * (i + 1) as f64) as usize);
            }
            strata.iter().map(|&s| a.start + (a.end - a.start) * (s as f64 + random()) / n as f64).collect()
        })
        .collect();
    let mut points: Vec<Vec<f64>> = (0..n).map(|i| columns.iter().map(|c| c[i]).collect()).collect();
    points.sort_by(|a, b| {
        a.iter().zip(b).map(|(x, y)| x.total_cmp(y)).find(|o| o.is_ne()).unwrap_or(std::cmp::Ordering::Equal)
    });
    points
}

/// Makes instances of one cell in any thread.
#[derive(Clone)]
pub struct CellFactory {
    pub library: PathBuf,
    pub config: String,
    pub base_dir: PathBuf,
}

impl CellFactory {
    pub fn instance(&self) -> Result<Instance, PluginError> {
        Instance::create(Rc::new(Plugin::open(&self.library)?), &self.config, &self.base_dir)
    }
}

/// `f(instance, port values)` at every point (values along `axes`, an
/// uptake axis giving minus its value to its port), in parallel chunks of
/// neighbouring points with one instance each; `tick` after each point.
pub fn over_points<T: Send>(
    factory: &CellFactory,
    axes: &[Axis],
    n_ports: usize,
    points: &[Vec<f64>],
    tick: &(dyn Fn() + Sync),
    f: impl Fn(&Instance, &[f64]) -> T + Sync,
) -> Result<Vec<T>, PluginError> {
    // One chunk per thread: each chunk creates an instance (for the LP, the
    // model's loading and its reference solves, ~40 ms), which more chunks
    // would repeat for little gain in balance.
    let chunk = points.len().div_ceil(rayon::current_num_threads().max(1)).max(1);
    let chunks: Vec<Result<Vec<T>, PluginError>> = points
        .par_chunks(chunk)
        .map(|chunk| {
            let instance = factory.instance()?;
            let mut ports = vec![0.0; n_ports];
            let mut rows = Vec::with_capacity(chunk.len());
            for point in chunk {
                for (axis, v) in axes.iter().zip(point) {
                    ports[axis.port] = if axis.uptake { -v } else { *v };
                }
                rows.push(f(&instance, &ports));
                tick();
            }
            Ok(rows)
        })
        .collect();
    let mut all = Vec::with_capacity(points.len());
    for c in chunks {
        all.extend(c?);
    }
    Ok(all)
}

/// A network laid over a cell's outputs: S with one column per output (0
/// for outputs that are not reactions) and the atoms per metabolite.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputNetwork {
    /// Row-major, metabolites × outputs.
    pub s: Vec<f64>,
    /// Carbon then nitrogen atoms per metabolite (0 without a formula).
    pub elements: Vec<f64>,
    /// Rows of `s`.
    pub n_metabolites: usize,
}

/// S over the outputs and the C and N atoms per metabolite, from a cell
/// whose plugin offers the `stoichiometry` tool (the LP plugin does); none
/// when it offers no tools. A reply that breaks the tool's contract is an
/// error, never read as zeros.
pub fn stoichiometry(
    cell: &BoundCell,
    config: &str,
    base_dir: &Path,
    outputs: &[(String, String)],
) -> Result<Option<OutputNetwork>, ToolError> {
    let request = StoichiometryRequest {
        config: serde_json::from_str(config).unwrap_or_default(),
        base_dir: base_dir.to_path_buf(),
    };
    let plugin = &cell.instance.plugin;
    let net = match plugin.call::<StoichiometryTool>(&request) {
        Ok(net) => net,
        Err(ToolError::NotOffered { .. } | ToolError::Unknown { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    net.validate().map_err(|e| ToolError::Malformed {
        plugin: plugin.name.clone(),
        tool: StoichiometryTool::NAME,
        reason: e.to_string(),
    })?;
    let column: HashMap<&str, usize> = outputs.iter().enumerate().map(|(i, o)| (o.0.as_str(), i)).collect();
    let (n_met, n_out) = (net.metabolites.len(), outputs.len());
    let mut s = vec![0.0; n_met * n_out];
    for e in &net.entries {
        if let Some(&col) = column.get(net.reactions[e.reaction].as_str()) {
            s[e.metabolite * n_out + col] += e.coefficient;
        }
    }
    let atoms = |list: &[Option<f64>]| -> Vec<f64> { list.iter().map(|a| a.unwrap_or(0.0)).collect() };
    let elements = [atoms(&net.carbon), atoms(&net.nitrogen)].concat();
    Ok(Some(OutputNetwork { s, elements, n_metabolites: n_met }))
}
