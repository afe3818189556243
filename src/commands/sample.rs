//! `bioflux sample`: a cell model evaluated over a grid or a Latin
//! hypercube, in parallel, written as safetensors (Python:
//! `safetensors.numpy.load_file("data.safetensors")`).

use super::{read, report};
use bioflux_compiler::check_source;
use bioflux_plugin::dataset::Dataset;
use bioflux_runtime::host::{Instance, Plugin, SearchPath, bind, config_json};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

pub struct SampleArgs {
    pub file: PathBuf,
    pub cell: String,
    pub grids: Vec<String>,
    pub random: Option<usize>,
    pub seed: u64,
    pub output: PathBuf,
    pub plugin_path: Vec<PathBuf>,
}

/// Each point's outputs and status, for one chunk of points.
type Rows = Vec<(Vec<f64>, i32)>;

/// One sampled input: the port it sets and its range.
pub(crate) struct Axis {
    pub port: usize,
    pub name: String,
    start: f64,
    end: f64,
    step: f64,
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

/// `INPUT=START:END:STEP` against the cell's input ports (a reaction name
/// stands for its bound port).
pub(crate) fn parse_axis(spec: &str, ports: &[String]) -> Result<Axis, String> {
    let (name, range) = spec.split_once('=').ok_or_else(|| format!("--grid {spec}: write INPUT=START:END:STEP"))?;
    let parts: Vec<f64> = range
        .split(':')
        .map(|p| p.trim().parse::<f64>().map_err(|_| format!("--grid {spec}: `{p}` is not a number")))
        .collect::<Result<_, _>>()?;
    let [start, end, step] = parts[..] else { return Err(format!("--grid {spec}: write INPUT=START:END:STEP")) };
    if !(step > 0.0 && end >= start) {
        return Err(format!("--grid {spec}: needs START ≤ END and STEP > 0"));
    }
    let port = ports.iter().position(|p| p == name || p.rsplit_once('.').is_some_and(|(r, _)| r == name));
    let port = port.ok_or_else(|| {
        format!(
            "the cell has no input `{name}`. {}",
            bioflux_compiler::diagnostic::suggestion(
                name,
                ports.iter().map(String::as_str),
                "its inputs are its `bound` and `input` lines"
            )
        )
    })?;
    let uptake = ports[port].ends_with(".lower");
    Ok(Axis { port, name: name.to_string(), start, end, step, uptake })
}

/// Grid points in boustrophedon order (the last axis runs back and forth),
/// so each point is a neighbour of the one before and the LP's basis
/// carries over.
pub(crate) fn grid_points(axes: &[Axis]) -> Vec<Vec<f64>> {
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
fn latin_hypercube(axes: &[Axis], n: usize, seed: u64) -> Vec<Vec<f64>> {
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

/// `bioflux sample`: true when the file was written.
pub fn sample(args: &SampleArgs) -> bool {
    match sample_to_file(args) {
        Ok(()) => true,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            false
        }
    }
}

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
    pub fn factory(&self) -> Factory {
        Factory {
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

/// Makes instances of one cell in any thread.
#[derive(Clone)]
pub(crate) struct Factory {
    library: PathBuf,
    config: String,
    base_dir: PathBuf,
}

impl Factory {
    pub fn instance(&self) -> Result<Instance, String> {
        Instance::create(Rc::new(Plugin::open(&self.library)?), &self.config, &self.base_dir)
    }
}

/// Checks the model and binds its cells; diagnostics are reported here.
pub(crate) fn open_cell(file: &Path, cell: &str, plugin_path: &[PathBuf]) -> Result<OpenCell, String> {
    let src = read(file).ok_or_else(String::new)?;
    let name = file.display().to_string();
    let model = check_source(&name, &src).map_err(|diags| {
        let n = diags.len();
        diags.into_iter().for_each(report);
        format!("{n} error{} found; nothing was done", if n == 1 { "" } else { "s" })
    })?;
    let index = model.cells.iter().position(|c| c.name == cell).ok_or_else(|| {
        let names = model.cells.iter().map(|c| c.name.as_str());
        format!("no cell `{cell}` in {name}. {}", bioflux_compiler::diagnostic::suggestion(cell, names, ""))
    })?;
    let base_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let bound = bind(&model, &SearchPath::new(plugin_path), &base_dir).map_err(|diags| {
        let source = Arc::new(miette::NamedSource::new(name.clone(), src.clone()));
        let n = diags.len();
        diags.into_iter().for_each(|d| report(d.with_source(source.clone())));
        format!("{n} error{} found; nothing was done", if n == 1 { "" } else { "s" })
    })?;
    let config = config_json(&model, &model.cells[index]);
    let instance = &bound.cells[index].instance;
    let ports = instance.inputs.iter().map(|p| p.name.clone()).collect();
    let outputs = instance.outputs.iter().map(|p| (p.name.clone(), p.unit.clone())).collect();
    Ok(OpenCell { name, base_dir, bound, index, config, ports, outputs })
}

fn sample_to_file(args: &SampleArgs) -> Result<(), String> {
    let open = open_cell(&args.file, &args.cell, &args.plugin_path)?;
    let (name, ports, outputs) = (&open.name, &open.ports, &open.outputs);
    let axes = open.axes(&args.grids)?;
    let factory = open.factory();
    let points = match args.random {
        Some(n) => latin_hypercube(&axes, n, args.seed),
        None => grid_points(&axes),
    };
    let (n_in, n_out) = (ports.len(), outputs.len());
    let bar = ProgressBar::new(points.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} points, {per_sec}, eta {eta}").expect("a valid template"),
    );
    let started = Instant::now();
    // Contiguous chunks keep neighbours together; each has its own instance.
    let threads = rayon::current_num_threads().max(1);
    let chunk = points.len().div_ceil(threads * 4).max(1);
    let results: Vec<Result<Rows, String>> = points
        .par_chunks(chunk)
        .map(|chunk| {
            let instance = factory.instance()?;
            let mut bounds = vec![0.0; n_in];
            let mut rows = Vec::with_capacity(chunk.len());
            for point in chunk {
                for (axis, v) in axes.iter().zip(point) {
                    bounds[axis.port] = if axis.uptake { -v } else { *v };
                }
                let mut out = vec![0.0; n_out];
                let status = instance.eval(&bounds, &mut out);
                if status >= 2 {
                    out.fill(f64::NAN);
                }
                rows.push((out, status));
                bar.inc(1);
            }
            Ok(rows)
        })
        .collect();
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    let mut flat_in = Vec::with_capacity(points.len() * n_in);
    let mut flat_out = Vec::with_capacity(points.len() * n_out);
    let mut status = Vec::with_capacity(points.len());
    for (rows, chunk) in results.into_iter().zip(points.chunks(chunk)) {
        for ((out, s), point) in rows?.into_iter().zip(chunk) {
            flat_in.extend_from_slice(point);
            flat_out.extend(out);
            status.push(s);
        }
    }
    let metadata = HashMap::from([
        ("model".to_string(), name.clone()),
        ("cell".to_string(), args.cell.clone()),
        ("inputs".to_string(), serde_json::to_string(&axes.iter().map(|a| &a.name).collect::<Vec<_>>()).unwrap()),
        (
            "input_meaning".to_string(),
            serde_json::to_string(
                &axes.iter().map(|a| if a.uptake { "uptake (bound = -value)" } else { "bound" }).collect::<Vec<_>>(),
            )
            .unwrap(),
        ),
        (
            "input_ports".to_string(),
            serde_json::to_string(&axes.iter().map(|a| &ports[a.port]).collect::<Vec<_>>()).unwrap(),
        ),
        ("outputs".to_string(), serde_json::to_string(&outputs.iter().map(|o| &o.0).collect::<Vec<_>>()).unwrap()),
        ("output_units".to_string(), serde_json::to_string(&outputs.iter().map(|o| &o.1).collect::<Vec<_>>()).unwrap()),
        ("status".to_string(), "0 ok, 1 relaxed, 2 failed (outputs NaN)".to_string()),
    ]);
    let (stoichiometry, elements, n_metabolites) = stoichiometry(open.cell(), &open.config, &open.base_dir, outputs);
    let data = Dataset {
        inputs: flat_in,
        outputs: flat_out,
        status,
        n_inputs: n_in,
        n_outputs: n_out,
        metadata,
        stoichiometry,
        elements,
        n_metabolites,
    };
    data.write(&args.output)?;
    let status = &data.status;
    let counts = [0, 1].map(|s| status.iter().filter(|&&x| x == s).count());
    let failed = status.len() - counts[0] - counts[1];
    eprintln!(
        "sampled {} points of cell `{}` in {:.2} s ({:.0} points/s, {} threads): {} ok, {} relaxed, {} failed; wrote {}",
        status.len(),
        args.cell,
        elapsed.as_secs_f64(),
        status.len() as f64 / elapsed.as_secs_f64(),
        threads,
        counts[0],
        counts[1],
        failed,
        args.output.display()
    );
    Ok(())
}

/// S over the outputs and the C and N atoms per metabolite, from a cell
/// whose plugin offers the `stoichiometry` tool (the LP plugin does); none
/// otherwise.
fn stoichiometry(
    cell: &bioflux_runtime::host::BoundCell,
    config: &str,
    base_dir: &Path,
    outputs: &[(String, String)],
) -> (Option<Vec<f64>>, Option<Vec<f64>>, usize) {
    let args = serde_json::json!({
        "config": serde_json::from_str::<serde_json::Value>(config).unwrap_or_default(),
        "base_dir": base_dir,
    });
    let Ok(answer) = cell.instance.plugin.tool("stoichiometry", &args.to_string()) else { return (None, None, 0) };
    let Ok(net) = serde_json::from_str::<serde_json::Value>(&answer) else { return (None, None, 0) };
    let names = |key: &str| -> Vec<String> {
        net.get(key)
            .and_then(|v| v.as_array())
            .map_or(Vec::new(), |a| a.iter().map(|v| v.as_str().unwrap_or("").to_string()).collect())
    };
    let (reactions, metabolites) = (names("reactions"), names("metabolites"));
    let column: HashMap<&str, usize> = outputs.iter().enumerate().map(|(i, o)| (o.0.as_str(), i)).collect();
    let (n_met, n_out) = (metabolites.len(), outputs.len());
    let mut s = vec![0.0; n_met * n_out];
    for e in net.get("entries").and_then(|v| v.as_array()).into_iter().flatten() {
        let (m, j, c) =
            (e[0].as_u64().unwrap_or(0) as usize, e[1].as_u64().unwrap_or(0) as usize, e[2].as_f64().unwrap_or(0.0));
        if let (true, Some(&col)) = (m < n_met, reactions.get(j).and_then(|r| column.get(r.as_str()))) {
            s[m * n_out + col] += c;
        }
    }
    let atoms = |key: &str| -> Vec<f64> {
        let list = net.get(key).and_then(|v| v.as_array()).cloned().unwrap_or_default();
        (0..n_met).map(|m| list.get(m).and_then(|v| v.as_f64()).unwrap_or(0.0)).collect()
    };
    let elements = [atoms("carbon"), atoms("nitrogen")].concat();
    (Some(s), Some(elements), n_met)
}
