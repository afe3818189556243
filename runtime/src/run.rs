//! One call from a checked model to its simulation: parameters, initial
//! state, lowering, JIT compilation, integration.

use crate::params::{initial_state, parameter_values};
use crate::simulate::{Settings, Simulation, simulate};
use bioflux_compiler::CheckedModel;
use bioflux_compiler::model::Solver;
use std::time::Duration;

/// What a run may change of the model's `simulate` block and parameters.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `NAME=VALUE` parameter changes.
    pub sets: Vec<String>,
    pub end: Option<f64>,
    pub output_interval: Option<f64>,
    pub solver: Option<Solver>,
    pub rtol: Option<f64>,
    pub atol: Option<f64>,
}

pub struct Run {
    pub simulation: Simulation,
    pub params: Vec<f64>,
    pub compile_time: Duration,
}

pub fn run(model: &CheckedModel, o: &Overrides) -> Result<Run, String> {
    if let Some(cell) = model.cells.first() {
        return Err(format!(
            "cell model `{}` needs the `{}` plugin, and this build of bioflux has no plugin host yet; models whose rates are kinetic expressions run",
            cell.name, cell.plugin
        ));
    }
    let params = parameter_values(model, &o.sets)?;
    let x0 = initial_state(model, &params);
    let sim = &model.simulate;
    let end = o
        .end
        .or(sim.end)
        .ok_or("no end time: add `end = 10 [h]` to the `simulate` block or pass --end")?;
    if end <= sim.start {
        return Err(format!(
            "the end time ({end} h) must be after the start ({} h)",
            sim.start
        ));
    }
    let settings = Settings {
        start: sim.start,
        end,
        output_interval: o.output_interval.or(sim.output_interval),
        solver: o.solver.unwrap_or(sim.solver),
        rtol: o.rtol.unwrap_or(sim.rtol),
        atol: o.atol.unwrap_or(sim.atol),
    };
    let system = bioflux_compiler::ir::lower(model, &[]);
    let compiled = bioflux_compiler::jit::compile(&system).map_err(|e| e.to_string())?;
    let simulation = simulate(model, &compiled, &params, &x0, &settings);
    Ok(Run {
        simulation,
        params,
        compile_time: compiled.compile_time,
    })
}
