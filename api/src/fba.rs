//! One LP of a genome-scale model file through the `pfba` plugin, over the
//! plugin ABI (FBA or parsimonious FBA, relaxed or not), without a .bio file.

use crate::Error;
use bioflux_plugin::Status;
use bioflux_plugin::config::{CellConfig, Infeasible, ObjectiveSense, ObjectiveTerm};
use bioflux_plugin::tools::{NoArguments, Notes};
use bioflux_runtime::host::Instance;
use std::path::PathBuf;

/// A bound on one reaction's flux.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    /// lower ≤ v (and the model's upper bound).
    Lower(f64),
    /// v ≤ upper.
    Upper(f64),
    /// v = value.
    Fixed(f64),
}

impl Bound {
    /// The plugin input port the bound sets.
    fn port(&self, reaction: &str) -> String {
        match self {
            Bound::Lower(_) => format!("{reaction}.lower"),
            Bound::Upper(_) => format!("{reaction}.upper"),
            Bound::Fixed(_) => format!("{reaction}.fixed"),
        }
    }

    fn value(&self) -> f64 {
        match *self {
            Bound::Lower(v) | Bound::Upper(v) | Bound::Fixed(v) => v,
        }
    }
}

/// What to solve.
#[derive(Clone, Debug, Default)]
pub struct FbaRequest {
    /// The model file (SBML, COBRA JSON, possibly gzipped).
    pub model: PathBuf,
    /// Bounds by reaction id, in the model's sign (uptake negative).
    pub bounds: Vec<(String, Bound)>,
    /// A reaction to optimise instead of the model's objective.
    pub objective: Option<String>,
    /// Minimise `objective` instead of maximising it.
    pub minimize: bool,
    /// Parsimonious FBA: the optimum with the least total flux.
    pub pfba: bool,
    /// Where no flux satisfies the bounds, the least slack that makes one
    /// (instead of answering infeasible).
    pub relax: bool,
    /// Where to look for the plugin first.
    pub plugin_path: Vec<PathBuf>,
}

/// How the LP ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FbaStatus {
    /// Solved as given.
    Optimal,
    /// Solved with slack on the bounds (`relax`).
    Relaxed,
    /// No flux satisfies the bounds (without `relax`).
    Infeasible,
}

impl FbaStatus {
    /// As the command line and JSON say it.
    pub fn as_str(&self) -> &'static str {
        match self {
            FbaStatus::Optimal => "optimal",
            FbaStatus::Relaxed => "relaxed",
            FbaStatus::Infeasible => "infeasible",
        }
    }
}

/// The LP's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct FbaSolution {
    /// How it ended.
    pub status: FbaStatus,
    /// The objective's value; none when infeasible.
    pub objective: Option<f64>,
    /// The total slack used; none when infeasible.
    pub slack: Option<f64>,
    /// Every reaction's flux, in the model's order; empty when infeasible.
    pub fluxes: Vec<(String, f64)>,
    /// What the plugin asked to be said (a model read in an older format...).
    pub notes: Vec<String>,
}

/// Solves one LP.
pub fn fba(request: &FbaRequest) -> Result<FbaSolution, Error> {
    if request.minimize && request.objective.is_none() {
        return Err(Error::Request("--minimize applies to --objective: name the reaction to minimise"));
    }
    let plugin = crate::plugins::open_plugin("pfba", &request.plugin_path)?;
    let sense = if request.minimize { ObjectiveSense::Minimize } else { ObjectiveSense::Maximize };
    let ports: Vec<String> = request.bounds.iter().map(|(r, b)| b.port(r)).collect();
    let config = CellConfig {
        source: Some(request.model.display().to_string()),
        options: serde_json::Map::from_iter([("pfba".to_string(), request.pfba.into())]),
        objective: request.objective.iter().map(|r| ObjectiveTerm { reaction: r.clone(), sense }).collect(),
        // Without `relax` an infeasible LP answers with the stop status: the
        // LP has no solution, which is a result here, not an error.
        infeasible: if request.relax { Infeasible::Relax } else { Infeasible::Stop },
        inputs: ports.clone(),
        ..Default::default()
    };
    let instance = Instance::create(plugin.clone(), &config.to_json(), &crate::plugins::working_dir()?)?;
    let notes = plugin.call::<Notes>(&NoArguments {}).unwrap_or_default();
    for ((reaction, _), port) in request.bounds.iter().zip(&ports) {
        if !instance.inputs.iter().any(|p| p.name == *port) {
            let reactions = instance.outputs.iter().map(|p| p.name.as_str());
            let suggestion = bioflux_compiler::diagnostic::suggestion(reaction, reactions, "").trim().to_string();
            return Err(Error::UnknownReaction { name: reaction.clone(), suggestion });
        }
    }
    let values: Vec<f64> = instance
        .inputs
        .iter()
        .map(|p| ports.iter().zip(&request.bounds).find(|(port, _)| **port == p.name).map_or(0.0, |(_, b)| b.1.value()))
        .collect();
    let mut outputs = vec![0.0; instance.outputs.len()];
    let status = instance.eval(&values, &mut outputs);
    // The LP's outputs: every reaction's flux, and `objective` and `slack`.
    let named = |name: &str| instance.outputs.iter().position(|p| p.name == name);
    let (Some(objective_slot), Some(slack_slot)) = (named("objective"), named("slack")) else {
        return Err(Error::NotAnLpCell { plugin: plugin.name.clone() });
    };
    let status = match status {
        Status::Ok => FbaStatus::Optimal,
        Status::Relaxed => FbaStatus::Relaxed,
        Status::Stop => {
            return Ok(FbaSolution {
                status: FbaStatus::Infeasible,
                objective: None,
                slack: None,
                fluxes: vec![],
                notes,
            });
        }
        Status::Error => return Err(Error::Evaluation { what: "the LP".into(), message: instance.last_error() }),
    };
    let fluxes = instance
        .outputs
        .iter()
        .zip(&outputs)
        .enumerate()
        .filter(|(slot, _)| *slot != objective_slot && *slot != slack_slot)
        .map(|(_, (p, v))| (p.name.clone(), *v))
        .collect();
    Ok(FbaSolution {
        status,
        objective: Some(outputs[objective_slot]),
        slack: Some(outputs[slack_slot]),
        fluxes,
        notes,
    })
}
