//! One call from a checked model to its simulation: parameters, initial
//! state, lowering, JIT compilation, integration.

use crate::host::{SearchPath, bind_for_simulation};
use crate::params::{ParamError, ParamSet, initial_state, parameter_values};
use crate::sensitivity::{Directions, Trajectory, simulate_sensitivities};
use crate::simulate::{Failure, Settings, Simulation, simulate};
use bioflux_compiler::model::Solver;
use bioflux_compiler::{CheckedModel, Diagnostic};
use bioflux_plugin::tools::{NoArguments, Notes};
use std::path::PathBuf;
use std::time::Duration;

/// What a run may change of the model's `simulate` block and parameters.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// Parameter changes.
    pub sets: Vec<ParamSet>,
    pub end: Option<f64>,
    pub output_interval: Option<f64>,
    pub solver: Option<Solver>,
    pub rtol: Option<f64>,
    pub atol: Option<f64>,
    /// Ends the run early when set (see `Settings::cancel`).
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// Where a run finds its plugins and the files cells name.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    pub plugins: SearchPath,
    /// The .bio file's directory: relative paths in the model start here.
    pub base_dir: PathBuf,
}

/// Why a run did not start. (A run that starts and fails is a result: its
/// [`Simulation`] carries the failure and the rows up to it.)
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Problems at places in the .bio file (a plugin's unknown flux name...),
    /// found when binding the cells.
    #[error("{}", .0.iter().map(|d| d.message.as_str()).collect::<Vec<_>>().join("; "))]
    Diagnostics(Vec<Diagnostic>),
    /// A parameter change that does not fit the model.
    #[error(transparent)]
    Parameter(#[from] ParamError),
    /// Code generation failed.
    #[error(transparent)]
    Compile(#[from] bioflux_codegen::JitError),
    /// Neither the model nor the caller gives an end time.
    #[error("no end time: add `end = 10 [h]` to the `simulate` block or pass --end")]
    NoEndTime,
    /// The end time is not after the start.
    #[error("the end time ({end} h) must be after the start ({start} h)")]
    EndNotAfterStart { end: f64, start: f64 },
    /// Re-creating a cell for a new option value gave it other ports.
    #[error("a cell's ports changed with the value of one of its options; the model cannot run")]
    CellPortsChanged,
}

/// A finished `run`: the simulation, the parameter values it used (after
/// `--set`), the compile time, and what the plugins asked to be said.
pub struct Run {
    pub simulation: Simulation,
    pub params: Vec<f64>,
    pub compile_time: Duration,
    /// What cell plugins asked to be said in the summary (their `notes`
    /// tool), e.g. a surrogate's inputs outside its training domain.
    pub notes: Vec<String>,
}

/// A model compiled and its cells bound, ready to simulate again and again
/// (with other parameters, other end times) without recompiling.
pub struct Prepared {
    cells: crate::host::BoundCells,
    compiled: bioflux_codegen::CompiledModel,
    /// Where the cells were bound, to create them anew when a parameter
    /// one of their options reads changes.
    env: Environment,
}

impl Prepared {
    pub fn new(model: &CheckedModel, env: &Environment) -> Result<Prepared, RunError> {
        let cells = bind_for_simulation(model, &env.plugins, &env.base_dir, &model_values(model))
            .map_err(RunError::Diagnostics)?;
        let system = bioflux_compiler::ir::lower(model, &cells.layouts);
        let compiled = bioflux_codegen::compile(&system)?;
        Ok(Prepared { cells, compiled, env: env.clone() })
    }

    /// As `new`, with the parameter derivatives forward sensitivities need
    /// (`trajectory`).
    pub fn with_sensitivities(model: &CheckedModel, env: &Environment) -> Result<Prepared, RunError> {
        let cells = bind_for_simulation(model, &env.plugins, &env.base_dir, &model_values(model))
            .map_err(RunError::Diagnostics)?;
        let system = bioflux_compiler::ir::lower(model, &cells.layouts);
        let compiled = bioflux_codegen::compile_with_sensitivities(&system)?;
        Ok(Prepared { cells, compiled, env: env.clone() })
    }

    /// Creates the cells anew where an option they were created with reads
    /// a parameter whose value `params` changes (`K_s = Ks` after
    /// `--set Ks=...`, or in a fit); nothing otherwise.
    pub fn refresh_cells(&mut self, model: &CheckedModel, params: &[f64]) -> Result<(), RunError> {
        if !self.cells.options_differ(params) {
            return Ok(());
        }
        let cells =
            bind_for_simulation(model, &self.env.plugins, &self.env.base_dir, params).map_err(RunError::Diagnostics)?;
        if cells.layouts != self.cells.layouts {
            return Err(RunError::CellPortsChanged);
        }
        self.cells = cells;
        Ok(())
    }

    /// Observables at `times` and their derivatives along `directions`
    /// (forward sensitivities; needs `with_sensitivities`).
    pub fn trajectory(
        &mut self,
        model: &CheckedModel,
        params: &[f64],
        directions: &Directions,
        times: &[f64],
        settings: &Settings,
    ) -> Result<Trajectory, Failure> {
        simulate_sensitivities(model, &self.compiled, params, directions, times, settings, &mut self.cells)
    }

    /// Each cell's Jacobian against central differences at the model's
    /// initial state (with the parameters `sets` gives).
    pub fn check_jacobians(
        &mut self,
        model: &CheckedModel,
        sets: &[ParamSet],
    ) -> Result<Vec<crate::host::JacobianCheck>, RunError> {
        let params = parameter_values(model, sets)?;
        self.refresh_cells(model, &params)?;
        let x0 = initial_state(model, &params);
        let mut dx = vec![0.0; x0.len()];
        let mut ctx = bioflux_codegen::CellContext { cells: self.cells.slots(), failed_cell: -1 };
        // SAFETY: x0, params and dx have the compiled lengths; the context
        // holds the bound cells' slots. The call fills their inputs.
        unsafe { (self.compiled.rhs)(model.simulate.start, x0.as_ptr(), params.as_ptr(), dx.as_mut_ptr(), &mut ctx) };
        Ok(crate::host::check_jacobians(&self.cells))
    }

    pub fn cells(&self) -> &crate::host::BoundCells {
        &self.cells
    }

    /// The bound cells (to query one at a point).
    pub fn cells_mut(&mut self) -> &mut crate::host::BoundCells {
        &mut self.cells
    }

    pub fn compile_time(&self) -> Duration {
        self.compiled.compile_time
    }

    pub fn simulate(&mut self, model: &CheckedModel, o: &Overrides) -> Result<Run, RunError> {
        let params = parameter_values(model, &o.sets)?;
        self.refresh_cells(model, &params)?;
        let x0 = initial_state(model, &params);
        let sim = &model.simulate;
        let end = o.end.or(sim.end).ok_or(RunError::NoEndTime)?;
        if end <= sim.start {
            return Err(RunError::EndNotAfterStart { end, start: sim.start });
        }
        let settings = Settings {
            start: sim.start,
            end,
            output_interval: o.output_interval.or(sim.output_interval),
            solver: o.solver.unwrap_or(sim.solver),
            rtol: o.rtol.unwrap_or(sim.rtol),
            atol: o.atol.unwrap_or(sim.atol),
            cancel: o.cancel.clone(),
        };
        let simulation = simulate(model, &self.compiled, &params, &x0, &settings, &mut self.cells);
        let mut notes: Vec<String> = Vec::new();
        let mut asked: Vec<&std::path::Path> = Vec::new();
        for cell in &self.cells.cells {
            let plugin = &cell.instance.plugin;
            if !asked.contains(&plugin.path.as_path()) {
                asked.push(&plugin.path);
                if let Ok(said) = plugin.call::<Notes>(&NoArguments {}) {
                    notes.extend(said);
                }
            }
        }
        Ok(Run { simulation, params, compile_time: self.compiled.compile_time, notes })
    }
}

fn model_values(model: &CheckedModel) -> Vec<f64> {
    model.params.iter().map(|p| p.value).collect()
}

pub fn run(model: &CheckedModel, o: &Overrides, env: &Environment) -> Result<Run, RunError> {
    Prepared::new(model, env)?.simulate(model, o)
}
