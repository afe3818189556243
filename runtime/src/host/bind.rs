//! Binding a model's cells to plugin instances: load, create, check every
//! name the model uses against `describe()`, and fill the call slots the
//! generated code uses.

use super::library::{Instance, Plugin, PluginError, PortInfo, SearchPath};
use bioflux_codegen::{CellFn, CellSlot};
use bioflux_compiler::diagnostic::{Code, Diagnostic, suggestion};
use bioflux_compiler::ir::CellLayout;
use bioflux_compiler::model::{BoundOp, Sense};
use bioflux_compiler::model::{Cell, CellSource, CheckedModel, InfeasiblePolicy, Network, OptionValue};
use bioflux_compiler::units::Dim;
use std::collections::HashMap;
use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The plugin input a model input line sets: `bound R >= e` is `R.lower`,
/// `<=` is `R.upper`, `=` is `R.fixed`; `input X = e` is `X`.
pub fn input_port_name(name: &str, bound: Option<BoundOp>) -> String {
    match bound {
        None => name.to_string(),
        Some(BoundOp::Lower) => format!("{name}.lower"),
        Some(BoundOp::Upper) => format!("{name}.upper"),
        Some(BoundOp::Fixed) => format!("{name}.fixed"),
    }
}

/// Finite differences of a plugin without a Jacobian: the context the
/// runtime's `fd_jacobian` receives as its instance.
struct FiniteDifferences {
    eval: CellFn,
    instance: *mut c_void,
    n_inputs: usize,
    n_outputs: usize,
    shifted: Vec<f64>,
    plus: Vec<f64>,
    minus: Vec<f64>,
}

/// Central differences over the (few) plugin inputs.
unsafe extern "C" fn fd_jacobian(context: *mut c_void, inputs: *const f64, jacobian: *mut f64) -> i32 {
    // SAFETY: the slot pairs this function with its FiniteDifferences.
    let fd = unsafe { &mut *(context as *mut FiniteDifferences) };
    // SAFETY: lengths fixed at binding.
    let (inputs, jacobian) = unsafe {
        (
            std::slice::from_raw_parts(inputs, fd.n_inputs),
            std::slice::from_raw_parts_mut(jacobian, fd.n_inputs * fd.n_outputs),
        )
    };
    fd.shifted.copy_from_slice(inputs);
    for i in 0..fd.n_inputs {
        let h = 1e-6 * inputs[i].abs().max(1e-3);
        fd.shifted[i] = inputs[i] + h;
        // SAFETY: the plugin's own eval on buffers of its sizes.
        let s1 = unsafe { (fd.eval)(fd.instance, fd.shifted.as_ptr(), fd.plus.as_mut_ptr()) };
        fd.shifted[i] = inputs[i] - h;
        let s2 = unsafe { (fd.eval)(fd.instance, fd.shifted.as_ptr(), fd.minus.as_mut_ptr()) };
        fd.shifted[i] = inputs[i];
        if s1 >= 2 || s2 >= 2 {
            return s1.max(s2);
        }
        for o in 0..fd.n_outputs {
            jacobian[o * fd.n_inputs + i] = (fd.plus[o] - fd.minus[o]) / (2.0 * h);
        }
    }
    0
}

/// One bound cell: its instance and the buffers its slot points into.
pub struct BoundCell {
    pub name: String,
    pub instance: Instance,
    pub inputs: Vec<f64>,
    pub outputs: Vec<f64>,
    pub jacobian: Vec<f64>,
    /// Whether the Jacobian comes from finite differences.
    pub finite_differences: bool,
    fd: Option<Box<FiniteDifferences>>,
    /// For `infeasible = stop` run relaxed: the output slot of the slack,
    /// whose leaving zero ends the run.
    pub stop_slack: Option<usize>,
}

/// Every cell of a model, bound; `slots()` gives what the JIT'd code reads.
pub struct BoundCells {
    pub cells: Vec<BoundCell>,
    pub layouts: Vec<CellLayout>,
    slots: Vec<CellSlot>,
    /// (parameter, value) of each option set from a parameter, as the
    /// cells were created with it.
    option_params: Vec<(usize, f64)>,
}

impl BoundCells {
    pub fn none() -> BoundCells {
        BoundCells { cells: Vec::new(), layouts: Vec::new(), slots: Vec::new(), option_params: Vec::new() }
    }

    /// Whether the cells were created with other values of the parameters
    /// their options read than `params` (then they must be created anew).
    pub fn options_differ(&self, params: &[f64]) -> bool {
        self.option_params.iter().any(|&(i, v)| params[i].to_bits() != v.to_bits())
    }

    /// The call slots (stable while `self` lives and is not moved out of).
    pub fn slots(&mut self) -> *mut CellSlot {
        if self.slots.is_empty() { std::ptr::null_mut() } else { self.slots.as_mut_ptr() }
    }

    /// The cells whose `infeasible = stop` the runtime watches by their
    /// slack: (cell, output slot).
    pub fn stop_watches(&self) -> Vec<(usize, usize)> {
        self.cells.iter().enumerate().filter_map(|(c, cell)| cell.stop_slack.map(|slot| (c, slot))).collect()
    }

    /// The first non-finite output of any cell's last evaluation.
    pub fn non_finite_output(&self) -> Option<(usize, usize)> {
        self.cells
            .iter()
            .enumerate()
            .find_map(|(c, cell)| cell.outputs.iter().position(|v| !v.is_finite()).map(|o| (c, o)))
    }
}

fn option_json(v: &OptionValue, params: &[f64]) -> serde_json::Value {
    match v {
        OptionValue::Str(s) | OptionValue::Name(s) => s.clone().into(),
        OptionValue::Number(n) => (*n).into(),
        OptionValue::Param(i) => params[i.index()].into(),
        OptionValue::Bool(b) => (*b).into(),
    }
}

/// The model's own parameter values (before any `--set`).
fn model_values(model: &CheckedModel) -> Vec<f64> {
    model.params.iter().map(|p| p.value).collect()
}

fn network_json(net: &Network) -> serde_json::Value {
    let reactions: Vec<serde_json::Value> = net
        .reactions
        .iter()
        .map(|r| {
            let st: serde_json::Map<String, serde_json::Value> =
                r.stoichiometry.iter().map(|(m, c)| (net.metabolites[*m].clone(), (*c).into())).collect();
            // JSON has no infinity: a non-finite bound travels as "inf"/"-inf".
            let bound = |b: f64| if b.is_finite() { serde_json::json!(b) } else { serde_json::json!(b.to_string()) };
            serde_json::json!({ "id": r.id, "metabolites": st, "lower": bound(r.lower), "upper": bound(r.upper) })
        })
        .collect();
    let formulas: serde_json::Map<String, serde_json::Value> = net
        .metabolites
        .iter()
        .zip(&net.formulas)
        .filter_map(|(m, f)| f.as_ref().map(|f| (m.clone(), f.clone().into())))
        .collect();
    serde_json::json!({ "name": net.name, "reactions": reactions, "formulas": formulas })
}

/// The configuration a plugin's `create` receives, as JSON.
pub fn config_json(model: &CheckedModel, cell: &Cell) -> String {
    config_with_policy(model, cell, cell.infeasible, &model_values(model))
}

fn config_with_policy(model: &CheckedModel, cell: &Cell, infeasible: InfeasiblePolicy, params: &[f64]) -> String {
    let options: serde_json::Map<String, serde_json::Value> =
        cell.options.iter().filter(|(k, _)| k != "library").map(|(k, v)| (k.clone(), option_json(v, params))).collect();
    use bioflux_plugin::config::{CellConfig, Infeasible, ObjectiveSense, ObjectiveTerm};
    let objective = cell
        .objective
        .iter()
        .map(|(sense, id)| ObjectiveTerm {
            reaction: id.clone(),
            sense: match sense {
                Some(Sense::Minimize) => ObjectiveSense::Minimize,
                _ => ObjectiveSense::Maximize,
            },
        })
        .collect();
    let (source, network) = match &cell.source {
        CellSource::File(f) => (Some(f.clone()), None),
        CellSource::Network(n) => (None, Some(network_json(&model.networks[*n]))),
        CellSource::None => (None, None),
    };
    CellConfig {
        cell: cell.name.clone(),
        source,
        network,
        options,
        objective,
        infeasible: match infeasible {
            InfeasiblePolicy::Relax => Infeasible::Relax,
            InfeasiblePolicy::Stop => Infeasible::Stop,
            InfeasiblePolicy::Error => Infeasible::Error,
        },
        inputs: cell.inputs.iter().map(|i| input_port_name(&i.name, i.bound)).collect(),
        weights: cell.weights.iter().cloned().collect(),
        outputs: cell.outputs.iter().map(|p| p.name.clone()).collect(),
    }
    .to_json()
}

/// Loads, creates and checks every cell's plugin, each with the policy its
/// cell asks for (for queries of single points: `sample`, `fba`, `check`).
/// All problems of all cells are reported together, each at its place in
/// the .bio file.
pub fn bind(model: &CheckedModel, search: &SearchPath, base_dir: &Path) -> Result<BoundCells, Vec<Diagnostic>> {
    bind_cells(model, search, base_dir, false, &model_values(model))
}

/// As [`bind`], for a simulation: a cell with `infeasible = stop` that
/// reports its slack runs relaxed, and the simulation stops where the slack
/// leaves zero (`BoundCells::stop_watches`).
pub fn bind_for_simulation(
    model: &CheckedModel,
    search: &SearchPath,
    base_dir: &Path,
    params: &[f64],
) -> Result<BoundCells, Vec<Diagnostic>> {
    bind_cells(model, search, base_dir, true, params)
}

/// What a cell's plugin describes for this cell's configuration: its
/// library and its ports, read by creating the cell once (for checking and
/// an editor, without binding).
#[derive(Clone, Debug)]
pub struct CellDescription {
    /// The plugin's name as it reports it.
    pub plugin: String,
    /// The library it was loaded from.
    pub library: PathBuf,
    /// Its inputs.
    pub inputs: Vec<PortInfo>,
    /// Its outputs.
    pub outputs: Vec<PortInfo>,
}

/// Opens `cell`'s plugin and creates the cell once to read its ports; the
/// problems are diagnostics at the cell, as `bind` reports them.
pub fn describe_cell(
    model: &CheckedModel,
    cell: &Cell,
    search: &SearchPath,
    base_dir: &Path,
) -> Result<CellDescription, Vec<Diagnostic>> {
    let plugin = open_plugin(cell, search, base_dir, &mut HashMap::new())?;
    let (instance, _) = create_instance(model, cell, &plugin, base_dir, false, &model_values(model))?;
    Ok(CellDescription {
        plugin: plugin.name.clone(),
        library: plugin.path.clone(),
        inputs: instance.inputs.clone(),
        outputs: instance.outputs.clone(),
    })
}

/// Every name and unit `cell` uses against what its plugin describes, as
/// `bind` checks them.
pub fn check_cell_ports(cell: &Cell, description: &CellDescription) -> Vec<Diagnostic> {
    match match_ports(cell, &description.plugin, &description.inputs, &description.outputs) {
        Ok(_) => Vec::new(),
        Err(diags) => diags,
    }
}

fn bind_cells(
    model: &CheckedModel,
    search: &SearchPath,
    base_dir: &Path,
    watch_stops: bool,
    params: &[f64],
) -> Result<BoundCells, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut opened: HashMap<PathBuf, Rc<Plugin>> = HashMap::new();
    let mut cells = Vec::new();
    let mut layouts = Vec::new();
    for cell in &model.cells {
        match bind_cell(model, cell, search, base_dir, &mut opened, watch_stops, params) {
            Ok((bound, layout)) => {
                cells.push(bound);
                layouts.push(layout);
            }
            Err(mut d) => diags.append(&mut d),
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let slots = cells
        .iter_mut()
        .map(|c: &mut BoundCell| {
            let table = c.instance.plugin.table;
            let (jacobian, jacobian_instance): (CellFn, *mut c_void) = match (&mut c.fd, table.jacobian) {
                (Some(fd), _) => (fd_jacobian, fd.as_mut() as *mut FiniteDifferences as *mut c_void),
                (None, Some(j)) => (j, c.instance.ptr),
                (None, None) => unreachable!("a cell without a plugin Jacobian gets finite differences"),
            };
            CellSlot {
                eval: table.eval,
                jacobian,
                instance: c.instance.ptr,
                inputs: c.inputs.as_mut_ptr(),
                outputs: c.outputs.as_mut_ptr(),
                jacobian_out: c.jacobian.as_mut_ptr(),
                jacobian_instance,
            }
        })
        .collect();
    // The parameters the cells' options were created with.
    let option_params = model
        .cells
        .iter()
        .flat_map(|c| &c.options)
        .filter_map(|(_, v)| match v {
            OptionValue::Param(i) => Some((i.index(), params[i.index()])),
            _ => None,
        })
        .collect();
    Ok(BoundCells { cells, layouts, slots, option_params })
}

fn plugin_error(cell: &Cell, message: String, help: &str) -> Diagnostic {
    Diagnostic::new(Code::Plugin, cell.span, message, format!("cell `{}`", cell.name)).help(help.to_string())
}

fn bind_cell(
    model: &CheckedModel,
    cell: &Cell,
    search: &SearchPath,
    base_dir: &Path,
    opened: &mut HashMap<PathBuf, Rc<Plugin>>,
    watch_stops: bool,
    params: &[f64],
) -> Result<(BoundCell, CellLayout), Vec<Diagnostic>> {
    let plugin = open_plugin(cell, search, base_dir, opened)?;
    let (instance, stop_slack) = create_instance(model, cell, &plugin, base_dir, watch_stops, params)?;
    let (input_slots, output_slots) = match_ports(cell, &plugin.name, &instance.inputs, &instance.outputs)?;
    let (n_in, n_out) = (instance.inputs.len(), instance.outputs.len());
    let fd = plugin.table.jacobian.is_none().then(|| {
        Box::new(FiniteDifferences {
            eval: plugin.table.eval,
            instance: instance.ptr,
            n_inputs: n_in,
            n_outputs: n_out,
            shifted: vec![0.0; n_in],
            plus: vec![0.0; n_out],
            minus: vec![0.0; n_out],
        })
    });
    let layout = CellLayout { n_inputs: n_in, n_outputs: n_out, input_slots, output_slots };
    let bound = BoundCell {
        name: cell.name.clone(),
        finite_differences: fd.is_some(),
        instance,
        inputs: vec![0.0; n_in],
        outputs: vec![0.0; n_out],
        jacobian: vec![0.0; n_in * n_out],
        fd,
        stop_slack,
    };
    Ok((bound, layout))
}

/// The cell's plugin library, opened once per path for all cells.
fn open_plugin(
    cell: &Cell,
    search: &SearchPath,
    base_dir: &Path,
    opened: &mut HashMap<PathBuf, Rc<Plugin>>,
) -> Result<Rc<Plugin>, Vec<Diagnostic>> {
    let explicit = cell.options.iter().find(|(k, _)| k == "library").and_then(|(_, v)| match v {
        OptionValue::Str(s) => Some(base_dir.join(s)),
        _ => None,
    });
    let path = match explicit.or_else(|| search.find(&cell.plugin)) {
        Some(p) => p,
        None => {
            let dirs: Vec<String> = search.dirs.iter().map(|d| d.display().to_string()).collect();
            let files = SearchPath::file_names(&cell.plugin).join(" or ");
            return Err(vec![plugin_error(
                cell,
                format!("no plugin `{}` found (looked for {files} in: {})", cell.plugin, dirs.join(", ")),
                "pass --plugin-path DIR, set BIOFLUX_PLUGIN_PATH, or give the library: `plugin(..., library = \"path/to/lib.so\")`",
            )]);
        }
    };
    Ok(match opened.get(&path) {
        Some(p) => p.clone(),
        None => {
            let p = Rc::new(Plugin::open(&path).map_err(|m| {
                let help = match &m {
                    PluginError::Load { needs_driver: true, .. } => {
                        "use the plugin's CPU build on a machine without a GPU"
                    }
                    PluginError::Load { .. } => {
                        "check the path, and that the library's own dependencies are installed (`ldd` lists them)"
                    }
                    PluginError::OtherAbi { .. } => "rebuild the plugin against this bioflux",
                    _ => "check that the file is a bioflux plugin (it exports `bioflux_plugin_v1`)",
                };
                vec![plugin_error(cell, m.to_string(), help)]
            })?);
            opened.insert(path.clone(), p.clone());
            p
        }
    })
}

/// The plugin instance for the cell, and for `infeasible = stop` (run
/// relaxed, watched by its slack) the slack's output slot.
fn create_instance(
    model: &CheckedModel,
    cell: &Cell,
    plugin: &Rc<Plugin>,
    base_dir: &Path,
    watch_stops: bool,
    params: &[f64],
) -> Result<(Instance, Option<usize>), Vec<Diagnostic>> {
    // `infeasible = stop` of a cell that reports its slack: the cell runs
    // relaxed and the runtime stops where the slack leaves zero, a crossing
    // the root finder locates (the LP's own stop would only say that some
    // trial step of the integrator went past it).
    let relaxed = (watch_stops && cell.infeasible == InfeasiblePolicy::Stop)
        .then(|| {
            Instance::create(
                plugin.clone(),
                &config_with_policy(model, cell, InfeasiblePolicy::Relax, params),
                base_dir,
            )
        })
        .and_then(Result::ok)
        .and_then(|i| i.outputs.iter().position(|p| p.name == "slack").map(|slot| (i, slot)));
    Ok(match relaxed {
        Some((instance, slot)) => (instance, Some(slot)),
        None => (
            Instance::create(plugin.clone(), &config_with_policy(model, cell, cell.infeasible, params), base_dir)
                .map_err(|m| {
                    vec![plugin_error(
                        cell,
                        format!("plugin `{}` could not create cell `{}`: {m}", plugin.name, cell.name),
                        "check the cell's source and options",
                    )]
                })?,
            None,
        ),
    })
}

/// Each of the cell's inputs and outputs matched to the plugin's ports by
/// name, with their units: the slots, or every mismatch at its place.
fn match_ports(
    cell: &Cell,
    plugin: &str,
    inputs: &[PortInfo],
    outputs: &[PortInfo],
) -> Result<(Vec<u32>, Vec<u32>), Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let in_names: Vec<&str> = inputs.iter().map(|p| p.name.as_str()).collect();
    let out_names: Vec<&str> = outputs.iter().map(|p| p.name.as_str()).collect();
    let mut input_slots = Vec::new();
    let mut set = vec![false; in_names.len()];
    for input in &cell.inputs {
        let port = input_port_name(&input.name, input.bound);
        match in_names.iter().position(|n| *n == port) {
            Some(i) => {
                set[i] = true;
                input_slots.push(i as u32);
            }
            None => diags.push(
                Diagnostic::new(
                    Code::Undefined,
                    input.name_span,
                    format!("plugin `{}` has no input `{port}`", plugin),
                    "not an input of this plugin",
                )
                .help(match input.bound {
                    // The reaction is there, the plugin takes no bound on it.
                    Some(_) if out_names.contains(&input.name.as_str()) => format!(
                        "plugin `{plugin}` takes no `bound` on `{}`: its bounds are its model's (change them there)",
                        input.name
                    ),
                    // A bound names a reaction: suggest from the reactions
                    // (the plugin describes only the inputs the model uses).
                    Some(_) => suggestion(
                        &input.name,
                        out_names.iter().copied(),
                        "no reaction of the cell's model has a similar name",
                    ),
                    None => {
                        suggestion(&port, in_names.iter().copied(), &format!("its inputs: {}", in_names.join(", ")))
                    }
                }),
            ),
        }
    }
    for (i, name) in in_names.iter().enumerate() {
        if !set[i] && diags.is_empty() {
            diags.push(plugin_error(
                cell,
                format!("plugin `{}` needs input `{name}`, which cell `{}` does not set", plugin, cell.name),
                &format!("add `input {name} = ...` to the cell"),
            ));
        }
    }
    let mut output_slots = Vec::new();
    for port in &cell.outputs {
        match out_names.iter().position(|n| *n == port.name) {
            Some(o) => output_slots.push(o as u32),
            None => {
                let mut d = Diagnostic::new(
                    Code::Undefined,
                    port.uses[0],
                    format!("plugin `{}` has no output `{}`", plugin, port.name),
                    "not an output of this plugin",
                )
                .help(suggestion(
                    &port.name,
                    out_names.iter().copied(),
                    &format!("its outputs: {}", out_names.join(", ")),
                ));
                for other in &port.uses[1..] {
                    d = d.with_label(*other, "also used here");
                }
                diags.push(d);
            }
        }
    }
    if diags.is_empty() {
        diags = check_port_units(cell, plugin, inputs, outputs, &input_slots, &output_slots);
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok((input_slots, output_slots))
}

/// The dimension a plugin's unit declares, and the factor to base units;
/// none where the unit is empty (not declared) or not one bioflux reads.
fn declared(unit: &str) -> Option<(f64, Dim)> {
    if unit.trim().is_empty() {
        return None;
    }
    bioflux_compiler::quantity::parse_unit(unit).ok().map(|u| (u.factor, u.dim))
}

/// The units a plugin declares for the ports the model uses, against the
/// dimensions the model gives or needs them in; and values cross in base
/// units, so a declared unit must be a base unit.
fn check_port_units(
    cell: &Cell,
    plugin: &str,
    inputs: &[PortInfo],
    outputs: &[PortInfo],
    input_slots: &[u32],
    output_slots: &[u32],
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let not_base = |port: &str, unit: &str, dim: Dim, span| {
        Diagnostic::new(
            Code::UnitMismatch,
            span,
            format!("plugin `{plugin}` declares `{port}` in {unit}, but values cross to plugins in base units"),
            format!("{port} is in {unit}"),
        )
        .help(format!(
            "bioflux passes and reads every port in base units (mmol, g, gDW, L, h): the plugin should declare {dim} and convert inside"
        ))
    };
    for (input, &slot) in cell.inputs.iter().zip(input_slots) {
        let port = &inputs[slot as usize];
        let Some((factor, dim)) = declared(&port.unit) else { continue };
        if factor != 1.0 {
            diags.push(not_base(&port.name, &port.unit, dim, input.name_span));
        } else if let Some(given) = input.dim
            && given != dim
        {
            diags.push(
                Diagnostic::new(
                    Code::UnitMismatch,
                    input.value_span,
                    format!("input `{}` of plugin `{plugin}` is in {}, but this is {given}", port.name, port.unit),
                    format!("this is {given}"),
                )
                .help(format!(
                    "give `{}` a quantity in {dim} (the plugin declares {}); values arrive in base units",
                    port.name, port.unit
                )),
            );
        }
    }
    for (used, &slot) in cell.outputs.iter().zip(output_slots) {
        let port = &outputs[slot as usize];
        let Some((factor, dim)) = declared(&port.unit) else { continue };
        if factor != 1.0 {
            diags.push(not_base(&port.name, &port.unit, dim, used.uses[0]));
            continue;
        }
        for expectation in used.expects.iter().filter(|e| e.dim != dim) {
            let help = if expectation.dim == Dim::PER_TIME {
                "a growth rate is in 1/h: read the cell's growth-rate output here".to_string()
            } else {
                format!(
                    "{} is in {}: read an output in that unit, or convert this one",
                    expectation.role, expectation.dim
                )
            };
            diags.push(
                Diagnostic::new(
                    Code::UnitMismatch,
                    expectation.span,
                    format!(
                        "`{}.{}` is in {} (as plugin `{plugin}` declares it), but {} is in {}",
                        cell.name, port.name, port.unit, expectation.role, expectation.dim
                    ),
                    format!("this is {}", port.unit),
                )
                .help(help),
            );
        }
    }
    diags
}
