//! A flux-analysis cell model as a bioflux plugin (`mfa`): the fluxes
//! closest to the rates the model gives that satisfy the network's
//! balances and bounds,
//!
//! ```text
//! minimise Σ_k w_k (v_k − r_k)² + ε Σ_j v_j²   subject to   S·v = 0,  lb ≤ v ≤ ub,
//! ```
//!
//! a convex QP whose solution is differentiable in the rates r: on each
//! face of the bounds (which fluxes sit at a bound) it is an affine map
//! v = c + M·r, built once per face (`face`), so an evaluation is a
//! matrix–vector product and the Jacobian dv/dr is M, exactly. Where the
//! face of the last evaluation is no longer optimal, HiGHS solves the QP
//! (`qp`, Clarabel) and its face is built and kept. The ε term (option `epsilon`,
//! 1e-10) makes the fluxes the rates leave free the smallest ones: a
//! tie-break, as pFBA's parsimony is for an LP.
//!
//! Source: a network as the LP cell reads it (SBML, COBRA JSON, or an
//! inline `network`). Inputs: the given rates, `input R = expression` (R a
//! reaction), each weighed by `weight R = w` (1 unless given). Outputs:
//! every reaction's flux, and `residual` = Σ_k w_k (v_k − r_k)², how far the
//! given rates are from any consistent set of fluxes. The bounds are the
//! network's, constant: a network whose balances cannot hold within them
//! is refused when the cell is created.

mod face;
mod failure;
mod qp;

// The LP plugin's model reading, built into this plugin (see Cargo.toml).
#[allow(dead_code)]
#[path = "../../pfba/src/cache.rs"]
mod cache;
#[allow(dead_code)]
#[path = "../../pfba/src/error.rs"]
mod error;
#[allow(dead_code)]
#[path = "../../pfba/src/network/mod.rs"]
mod network;

pub use face::{Face, Fit, Problem};
pub use failure::MfaError;

use bioflux_plugin::{CellModel, Config, EvalError, PortSpec, Status, export_plugin};
use nalgebra::{DMatrix, DVector};
use network::load_network;
use qp::{Qp, Solved};

/// Faces kept at most (a trajectory visits few).
const MAX_FACES: usize = 64;

/// A flux-analysis cell.
pub struct MfaCell {
    problem: Problem,
    qp: Qp,
    reactions: Vec<String>,
    units: Vec<&'static str>,
    /// Reaction of each given rate, and its weight.
    rated: Vec<(usize, f64)>,
    input_names: Vec<String>,
    faces: Vec<Face>,
    current: usize,
    // Scratch, sized at creation: evaluation allocates nothing.
    r: DVector<f64>,
    v: DVector<f64>,
    nu: Vec<f64>,
    g: Vec<f64>,
    solved: Vec<f64>,
}

/// Growth reactions are in 1/h (the COBRA convention), other fluxes mmol/gDW/h.
fn unit_of(id: &str) -> &'static str {
    let id = id.to_ascii_lowercase();
    if id.contains("biomass") || id.contains("grow") { "1/h" } else { "mmol/gDW/h" }
}

impl MfaCell {
    /// The cell a configuration describes.
    pub fn new(config: &Config) -> Result<MfaCell, MfaError> {
        let cell = config.cell_config()?;
        let net = load_network(&cell, &config.base_dir)?;
        let epsilon = config.number("epsilon", 1e-10).map_err(MfaError::Option)?;
        let (n, m) = (net.reactions.len(), net.metabolites.len());
        let index = |id: &str| net.reactions.iter().position(|r| r.id == id);
        // Inputs that name no reaction are the host's to report, at their place.
        let input_names: Vec<String> = cell.inputs.iter().filter(|i| index(i).is_some()).cloned().collect();
        if input_names.is_empty() {
            return Err(MfaError::NoRates);
        }
        let mut rated = Vec::with_capacity(input_names.len());
        for name in &input_names {
            let weight = cell.weights.get(name).copied().unwrap_or(1.0);
            if !(weight.is_finite() && weight > 0.0) {
                return Err(MfaError::Weight { name: name.clone(), weight });
            }
            rated.push((index(name).expect("filtered"), weight));
        }
        if let Some((name, &weight)) = cell.weights.iter().find(|(k, _)| !input_names.contains(k)) {
            return Err(MfaError::Weight { name: name.clone(), weight });
        }
        let mut s = DMatrix::zeros(m, n);
        let mut columns = Vec::with_capacity(n);
        for (j, r) in net.reactions.iter().enumerate() {
            if r.lower > r.upper {
                return Err(MfaError::Bounds { reaction: r.id.clone(), lower: r.lower, upper: r.upper });
            }
            for &(i, c) in &r.stoichiometry {
                s[(i, j)] = c;
            }
            columns.push(r.stoichiometry.clone());
        }
        let mut d = DVector::from_element(n, epsilon);
        let mut pw = DMatrix::zeros(n, rated.len());
        for (k, &(j, w)) in rated.iter().enumerate() {
            d[j] += w;
            pw[(j, k)] = w;
        }
        let lower: Vec<f64> = net.reactions.iter().map(|r| r.lower).collect();
        let upper: Vec<f64> = net.reactions.iter().map(|r| r.upper).collect();
        let qp = Qp::new(&columns, m, d.as_slice(), &lower, &upper)?;
        // Whether any fluxes satisfy the balances within the bounds at all.
        let mut probe = vec![0.0; n];
        match Qp::new(&columns, m, &[], &lower, &upper)?.solve(&vec![0.0; n], &mut probe) {
            Solved::Optimal => {}
            Solved::Infeasible => {
                return Err(MfaError::Infeasible { detail: format!("{m} metabolites, {n} reactions") });
            }
            Solved::Other(status) => return Err(MfaError::Solver(format!("the feasibility check ended: {status}"))),
        }
        let problem = Problem { s, d, pw, lower, upper };
        let faces = vec![Face::new(&problem, Vec::new())];
        let p = rated.len();
        Ok(MfaCell {
            problem,
            qp,
            units: net.reactions.iter().map(|r| unit_of(&r.id)).collect(),
            reactions: net.reactions.iter().map(|r| r.id.clone()).collect(),
            rated,
            input_names,
            faces,
            current: 0,
            r: DVector::zeros(p),
            v: DVector::zeros(n),
            nu: vec![0.0; n],
            g: vec![0.0; n],
            solved: vec![0.0; n],
        })
    }

    /// The fluxes for rates `r` into `self.v`, on the optimal face, which
    /// becomes the current one.
    fn project(&mut self, rates: &[f64]) -> Result<(), EvalError> {
        self.r.as_mut_slice().copy_from_slice(rates);
        if self.try_face(self.current) == Fit::Optimal {
            return Ok(());
        }
        // The QP decides the face; then the face gives the exact values.
        self.g.fill(0.0);
        for (&(j, w), &rate) in self.rated.iter().zip(rates) {
            self.g[j] += w * rate;
        }
        match self.qp.solve(&self.g, &mut self.solved) {
            Solved::Optimal => {}
            Solved::Infeasible => return Err("the balances cannot hold within the bounds".into()),
            Solved::Other(status) => return Err(format!("the QP solver ended: {status}").into()),
        }
        let active: Vec<(usize, bool)> = (0..self.solved.len())
            .filter_map(|j| {
                let (v, lo, hi) = (self.solved[j], self.problem.lower[j], self.problem.upper[j]);
                let near = |b: f64| (v - b).abs() <= 1e-6 * (1.0 + b.abs());
                if near(lo) && lo.is_finite() {
                    Some((j, false))
                } else if near(hi) && hi.is_finite() {
                    Some((j, true))
                } else {
                    None
                }
            })
            .collect();
        let found = self.faces.iter().position(|f| f.active == active);
        let face = match found {
            Some(f) => f,
            None => {
                if self.faces.len() >= MAX_FACES {
                    self.faces.truncate(1);
                }
                self.faces.push(Face::new(&self.problem, active));
                self.faces.len() - 1
            }
        };
        self.current = face;
        // HiGHS says this face is optimal: its exact values, unless the
        // face puts a free flux outside its bounds (then HiGHS's own).
        if self.try_face(face) == Fit::Infeasible {
            self.v.as_mut_slice().copy_from_slice(&self.solved);
        }
        Ok(())
    }

    fn try_face(&mut self, f: usize) -> Fit {
        self.faces[f].eval(&self.problem, &self.r, &mut self.v, &mut self.nu)
    }

    fn residual(&self, rates: &[f64]) -> f64 {
        self.rated.iter().zip(rates).map(|(&(j, w), &r)| w * (self.v[j] - r).powi(2)).sum()
    }
}

impl CellModel for MfaCell {
    const HAS_JACOBIAN: bool = true;

    // The C ABI carries a plugin's error as text: here is where it becomes one.
    fn create(config: &Config) -> Result<Self, String> {
        MfaCell::new(config).map_err(|e| e.to_string())
    }

    fn inputs(&self) -> Vec<PortSpec> {
        self.input_names.iter().zip(&self.rated).map(|(n, &(j, _))| PortSpec::new(n.clone(), self.units[j])).collect()
    }

    fn outputs(&self) -> Vec<PortSpec> {
        let mut out: Vec<PortSpec> =
            self.reactions.iter().zip(&self.units).map(|(r, u)| PortSpec::new(r.clone(), *u)).collect();
        // Σ w (v − r)²: squared fluxes of mixed units, so no one unit.
        out.push(PortSpec::new("residual", ""));
        out
    }

    fn eval(&mut self, inputs: &[f64], outputs: &mut [f64]) -> Result<Status, EvalError> {
        self.project(inputs)?;
        let n = self.reactions.len();
        outputs[..n].copy_from_slice(self.v.as_slice());
        outputs[n] = self.residual(inputs);
        Ok(Status::Ok)
    }

    /// dv/dr is the current face's gain; d(residual)/dr follows from it.
    fn jacobian(&mut self, inputs: &[f64], jacobian: &mut [f64]) -> Result<(), String> {
        // The host calls this right after `eval` at the same rates: its face stands.
        if self.r.as_slice() != inputs {
            self.project(inputs).map_err(|e| e.message)?;
        }
        let (n, p) = (self.reactions.len(), inputs.len());
        let gain = &self.faces[self.current].gain;
        for o in 0..n {
            for i in 0..p {
                jacobian[o * p + i] = gain[(o, i)];
            }
        }
        for i in 0..p {
            let mut d = 0.0;
            for (k, (&(j, w), &r)) in self.rated.iter().zip(inputs).enumerate() {
                let dv = gain[(j, i)] - if k == i { 1.0 } else { 0.0 };
                d += 2.0 * w * (self.v[j] - r) * dv;
            }
            jacobian[n * p + i] = d;
        }
        Ok(())
    }
}

export_plugin!(MfaCell, "mfa");
