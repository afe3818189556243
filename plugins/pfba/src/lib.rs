//! The LP cell model as a bioflux plugin (`pfba`): FBA or parsimonious FBA
//! on a genome-scale model, with slack relaxation where the LP is
//! infeasible.
//!
//! Source: a model file (SBML L3 fbc v1–v3, COBRA-format L2, or COBRA JSON), found next to the
//! .bio file or in `$BIOFLUX_MODELS`, or an inline `network`. Inputs: the
//! model's `bound` lines (`R.lower`, `R.upper`, `R.fixed`). Outputs: every
//! reaction's flux by id, `objective` and `slack`; their derivatives with
//! respect to the inputs come from the optimal basis. Several objectives
//! (`objective = max Biomass, min EX_glc__D_e`) are optimised in turn.
//! Options: `pfba` (true), `tolerance` (1e-9, relative, on each objective
//! held by the later stages), `reuse` (true: answer from a cached optimal
//! basis whenever it is still feasible, HiGHS only otherwise; false: HiGHS
//! every call, which with `start = "reference"` is bit-identical whatever
//! the call history), `start` (where HiGHS starts: "reference", one fixed
//! basis; "warm", the last; "cold").

mod basis_map;
mod cache;
pub mod error;
mod formula;
mod highs;
pub mod network;
pub mod pfba;

use bioflux_plugin::config::{Infeasible, ObjectiveSense};
use bioflux_plugin::tools::{
    Entry, Notes, ReactionSummary, ReactionsTool, Stoichiometry, StoichiometryRequest, StoichiometryTool, Tool, serve,
};
use bioflux_plugin::{CellModel, Config, EvalError, PortSpec, Status, export_plugin};
use error::ConfigError;
use network::{Network, Objective};
use pfba::{BoundKind, InputBound, Options, Pfba, Policy, SolveError, Solved, Start};

pub use network::{find_model, load_network};

/// The plugin's tools (`bioflux_plugin::tools`): `stoichiometry` answers
/// the network behind a configuration, `reactions` its equations and bounds; `notes` what loading models assumed
/// (default bounds), once each.
fn tool(name: &str, request: &str) -> Option<Result<String, String>> {
    match name {
        // Tool replies carry text (the tool protocol's `{"error": ...}`).
        StoichiometryTool::NAME => serve::<StoichiometryTool>(request, |r| stoichiometry(r).map_err(|e| e.to_string())),
        ReactionsTool::NAME => serve::<ReactionsTool>(request, |r| reactions(r).map_err(|e| e.to_string())),
        Notes::NAME => {
            serve::<Notes>(request, |_| Ok(std::mem::take(&mut *NOTES.lock().unwrap_or_else(|p| p.into_inner()))))
        }
        _ => None,
    }
}

/// S as non-zeros, the carbon and nitrogen atoms and the degree of
/// reduction per metabolite.
fn stoichiometry(request: StoichiometryRequest) -> Result<Stoichiometry, ConfigError> {
    let config = Config::new(request.config, request.base_dir);
    let cell = config.cell_config()?;
    let net = load_network(&cell, &config.base_dir)?;
    let entries = net
        .reactions
        .iter()
        .enumerate()
        .flat_map(|(j, r)| {
            r.stoichiometry.iter().map(move |&(m, c)| Entry { metabolite: m, reaction: j, coefficient: c })
        })
        .collect();
    let element = |e: &str| -> Vec<Option<f64>> {
        net.formulas.iter().map(|f| f.as_deref().map(|f| formula::atoms(f, e))).collect()
    };
    let electrons = net
        .formulas
        .iter()
        .zip(&net.charges)
        .map(|(f, c)| formula::degree_of_reduction(f.as_deref()?, (*c)?))
        .collect();
    Ok(Stoichiometry {
        reactions: net.reactions.iter().map(|r| r.id.clone()).collect(),
        metabolites: net.metabolites.clone(),
        entries,
        carbon: element("C"),
        nitrogen: element("N"),
        electrons,
    })
}

/// Each reaction's equation (COBRApy's notation) and bounds.
fn reactions(request: StoichiometryRequest) -> Result<Vec<ReactionSummary>, ConfigError> {
    let config = Config::new(request.config, request.base_dir);
    let net = load_network(&config.cell_config()?, &config.base_dir)?;
    Ok(net
        .reactions
        .iter()
        .map(|r| {
            let terms = r.stoichiometry.iter().map(|&(m, c)| (net.metabolites[m].as_str(), c));
            ReactionSummary::new(&r.id, terms, r.lower, r.upper)
        })
        .collect())
}

bioflux_plugin::export_tools!(tool);

/// Notes from loading models, until the host asks for them.
static NOTES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn note(text: &str) {
    let mut notes = NOTES.lock().unwrap_or_else(|p| p.into_inner());
    if !notes.iter().any(|n| n == text) {
        notes.push(text.to_string());
    }
}

pub struct LpCell {
    lp: Pfba,
    reactions: Vec<String>,
    /// Per reaction, its flux's unit: see [`flux_units`].
    units: Vec<&'static str>,
    /// The unit of the first objective (a single reaction's), else none.
    objective_unit: &'static str,
    input_names: Vec<String>,
}

/// A flux is in mmol/gDW/h, except that of a biomass reaction, which is a
/// growth rate in 1/h (gDW made per gDW and hour, the COBRA convention):
/// reactions named for biomass or growth, or, in a model without such a
/// name, the first objective when it is one reaction.
fn flux_units(net: &Network, first: &Objective) -> Vec<&'static str> {
    let named = |id: &str| {
        let id = id.to_ascii_lowercase();
        id.contains("biomass") || id.contains("grow")
    };
    let mut growth: Vec<bool> = net.reactions.iter().map(|r| named(&r.id)).collect();
    if !growth.contains(&true)
        && let [(j, _)] = first.terms[..]
    {
        growth[j] = true;
    }
    growth.into_iter().map(|g| if g { "1/h" } else { "mmol/gDW/h" }).collect()
}

fn parse_input(name: &str, net: &Network) -> Option<InputBound> {
    let (rxn, side) = name.rsplit_once('.')?;
    let kind = match side {
        "lower" => BoundKind::Lower,
        "upper" => BoundKind::Upper,
        "fixed" => BoundKind::Fixed,
        _ => return None,
    };
    Some(InputBound { reaction: net.reaction_index(rxn)?, kind })
}

impl LpCell {
    fn new(config: &Config) -> Result<LpCell, ConfigError> {
        let cell = config.cell_config()?;
        if !cell.weights.is_empty() {
            return Err(ConfigError::Weights { names: cell.weights.keys().cloned().collect::<Vec<_>>().join(", ") });
        }
        let net = load_network(&cell, &config.base_dir)?;
        net.notes.iter().for_each(|n| note(n));
        // The cell's objectives, in priority order, replace the model's.
        let mut objectives = vec![net.objective.clone()];
        if !cell.objective.is_empty() {
            objectives = cell
                .objective
                .iter()
                .map(|term| {
                    let j = net
                        .reaction_index(&term.reaction)
                        .ok_or_else(|| ConfigError::ObjectiveReaction { reaction: term.reaction.clone() })?;
                    Ok(match term.sense {
                        ObjectiveSense::Minimize => Objective::minimize(vec![(j, 1.0)]),
                        ObjectiveSense::Maximize => Objective::maximize(vec![(j, 1.0)]),
                    })
                })
                .collect::<Result<_, ConfigError>>()?;
        }
        let policy = match cell.infeasible {
            Infeasible::Stop => Policy::Stop,
            Infeasible::Error => Policy::Error,
            Infeasible::Relax => Policy::Relax,
        };
        let flag = |key: &str, default: bool| config.option(key).and_then(|v| v.as_bool()).unwrap_or(default);
        let start = match config.option("start").and_then(|s| s.as_str()) {
            None | Some("reference") => Start::Reference,
            Some("warm") => Start::Warm,
            Some("cold") => Start::Cold,
            Some(other) => return Err(ConfigError::Start { given: other.to_string() }),
        };
        let options = Options {
            pfba: flag("pfba", true),
            tolerance: config.number("tolerance", 1e-9).map_err(ConfigError::Option)?,
            policy,
            start,
            reuse: flag("reuse", true),
        };
        // Inputs the model asks for that name reactions of this model; the
        // host reports the others at their place in the .bio file.
        let (input_names, bounds): (Vec<String>, Vec<InputBound>) =
            cell.inputs.into_iter().filter_map(|n| parse_input(&n, &net).map(|b| (n, b))).unzip();
        let units = flux_units(&net, &objectives[0]);
        let objective_unit = match objectives[0].terms[..] {
            [(j, 1.0)] => units[j],
            _ => "",
        };
        let lp = Pfba::lexicographic(&net, objectives, &bounds, options)?;
        Ok(LpCell {
            lp,
            reactions: net.reactions.iter().map(|r| r.id.clone()).collect(),
            units,
            objective_unit,
            input_names,
        })
    }
}

impl CellModel for LpCell {
    const HAS_JACOBIAN: bool = true;

    // The C ABI carries a plugin's error as text: here is where it becomes one.
    fn create(config: &Config) -> Result<Self, String> {
        LpCell::new(config).map_err(|e| e.to_string())
    }

    /// A bound is in its reaction's unit.
    fn inputs(&self) -> Vec<PortSpec> {
        let unit = |n: &str| {
            let reaction = n.rsplit_once('.').map_or(n, |(r, _)| r);
            self.reactions.iter().position(|r| r == reaction).map_or("mmol/gDW/h", |j| self.units[j])
        };
        self.input_names.iter().map(|n| PortSpec::new(n.clone(), unit(n))).collect()
    }

    fn outputs(&self) -> Vec<PortSpec> {
        let mut out: Vec<PortSpec> =
            self.reactions.iter().zip(&self.units).map(|(r, u)| PortSpec::new(r.clone(), *u)).collect();
        // Empty: not declared (an objective of several terms has no one unit).
        out.push(PortSpec::new("objective", self.objective_unit));
        out.push(PortSpec::new("slack", "mmol/gDW/h"));
        out
    }

    /// Exact within the optimal bases of the last `eval` (which the host
    /// calls at the same inputs just before).
    fn jacobian(&mut self, inputs: &[f64], jacobian: &mut [f64]) -> Result<(), String> {
        self.lp.jacobian(inputs, jacobian).map_err(|e| e.to_string())
    }

    fn eval(&mut self, inputs: &[f64], outputs: &mut [f64]) -> Result<Status, EvalError> {
        let solved = self.lp.solve(inputs).map_err(|e| {
            let at: Vec<String> = self.input_names.iter().zip(inputs).map(|(n, v)| format!("{n} = {v}")).collect();
            let message = if at.is_empty() { e.to_string() } else { format!("{e} (at {})", at.join(", ")) };
            match e {
                SolveError::Infeasible(Policy::Stop) => EvalError::stop(message),
                _ => EvalError::from(message),
            }
        })?;
        let n = self.reactions.len();
        outputs[..n].copy_from_slice(&self.lp.fluxes);
        outputs[n] = self.lp.objective_value;
        outputs[n + 1] = self.lp.slack;
        Ok(match solved {
            Solved::Optimal => Status::Ok,
            Solved::Relaxed(_) => Status::Relaxed,
        })
    }
}

export_plugin!(LpCell, "pfba");
