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
//! face of the last evaluation is no longer optimal, a primal active-set
//! walk from the last fluxes moves over the cached faces to the optimal
//! one; should it not settle, Clarabel solves the QP (`qp`) for a new
//! starting point. The ε term (option `epsilon`, 1e-10, positive) makes
//! the fluxes the rates leave free the smallest ones: a tie-break, as
//! pFBA's parsimony is for an LP.
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

/// Active-set steps before the QP is asked for a new start.
const MAX_STEPS: usize = 100;

/// A flux-analysis cell.
pub struct MfaCell {
    problem: Problem,
    qp: Qp,
    reactions: Vec<String>,
    units: Vec<&'static str>,
    /// The given rates' reactions, in the order of the inputs (their
    /// reactions and weights are the problem's `rated`).
    input_names: Vec<String>,
    faces: Vec<Face>,
    current: usize,
    // Scratch, sized at creation: evaluation allocates nothing.
    r: DVector<f64>,
    v: DVector<f64>,
    nu: Vec<f64>,
    g: Vec<f64>,
    solved: Vec<f64>,
    /// The last fluxes: within the bounds, on the current face's held bounds.
    point: DVector<f64>,
    /// The bounds a walk holds (capacity for every reaction: the walk
    /// between cached faces allocates nothing).
    held: Vec<(usize, bool)>,
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
        if !(epsilon.is_finite() && epsilon > 0.0) {
            return Err(MfaError::Option(format!(
                "option `epsilon` is {epsilon}: it must be a positive number (the weight of ‖v‖², 1e-10 unless given)"
            )));
        }
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
        for &(j, w) in &rated {
            d[j] += w;
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
        let p = rated.len();
        let problem = Problem::new(&s, rated, epsilon, lower, upper);
        let faces = vec![Face::new(&problem, Vec::new())];
        let mut cell = MfaCell {
            problem,
            qp,
            units: net.reactions.iter().map(|r| unit_of(&r.id)).collect(),
            reactions: net.reactions.iter().map(|r| r.id.clone()).collect(),
            input_names,
            faces,
            current: 0,
            r: DVector::zeros(p),
            v: DVector::zeros(n),
            nu: vec![0.0; n],
            g: vec![0.0; n],
            solved: probe,
            point: DVector::zeros(n),
            held: Vec::with_capacity(n),
        };
        // The active-set steps start from the feasibility check's fluxes.
        cell.start_at_solved();
        let held = std::mem::take(&mut cell.held);
        cell.current = cell.face(&held);
        cell.held = held;
        Ok(cell)
    }

    /// The fluxes for rates `r` into `self.v`, on the optimal face, which
    /// becomes the current one. Along a trajectory the face of the last
    /// evaluation is usually still optimal: a matrix–vector product. Else
    /// active-set steps from the last fluxes (`steps`); should those not
    /// settle, the QP gives the point to step from.
    fn project(&mut self, rates: &[f64]) -> Result<(), EvalError> {
        self.r.as_mut_slice().copy_from_slice(rates);
        if self.try_face(self.current) == Fit::Optimal {
            self.point.copy_from(&self.v);
            return Ok(());
        }
        let mut held = std::mem::take(&mut self.held);
        self.faces[self.current].kept_bounds_into(&mut held);
        self.held = held;
        if self.steps() {
            return Ok(());
        }
        self.g.fill(0.0);
        for (&(j, w), &rate) in self.problem.rated.iter().zip(rates) {
            self.g[j] += w * rate;
        }
        match self.qp.solve(&self.g, &mut self.solved) {
            Solved::Optimal => {}
            Solved::Infeasible => return Err("the balances cannot hold within the bounds".into()),
            Solved::Other(status) => return Err(format!("the QP solver ended: {status}").into()),
        }
        self.start_at_solved();
        if self.steps() {
            return Ok(());
        }
        Err("the active-set steps did not settle on a face (degenerate bounds); the QP's fluxes were not used".into())
    }

    /// `self.point` ← the QP's fluxes, with those near a bound put on it;
    /// `self.held` ← those bounds, independent ones only.
    fn start_at_solved(&mut self) {
        let mut held = std::mem::take(&mut self.held);
        held.clear();
        for j in 0..self.solved.len() {
            let (x, lo, hi) = (self.solved[j], self.problem.lower[j], self.problem.upper[j]);
            let near = |b: f64| b.is_finite() && (x - b).abs() <= 1e-7 * (1.0 + b.abs());
            self.point[j] = x.clamp(lo, hi);
            if near(lo) {
                self.point[j] = lo;
                held.push((j, false));
            } else if near(hi) {
                self.point[j] = hi;
                held.push((j, true));
            }
        }
        let face = self.face(&held);
        self.faces[face].kept_bounds_into(&mut held);
        self.held = held;
    }

    /// A primal active-set method on the faces, from `self.point` (within
    /// the bounds, which do not change with the rates) holding `self.held`:
    /// move towards the current face's optimum until a bound blocks (then
    /// hold it), release a held bound that pulls the wrong way, stop on an
    /// optimal face (true: it is current, its fluxes in `self.v` and
    /// `self.point`). False after `MAX_STEPS` (cycling on degenerate faces).
    fn steps(&mut self) -> bool {
        let mut held = std::mem::take(&mut self.held);
        let settled = self.walk(&mut held);
        self.held = held;
        settled
    }

    fn walk(&mut self, held: &mut Vec<(usize, bool)>) -> bool {
        for _ in 0..MAX_STEPS {
            let face = self.face(held);
            self.current = face;
            match self.try_face(face) {
                Fit::Optimal => {
                    self.point.copy_from(&self.v);
                    return true;
                }
                Fit::Releases { index } => {
                    self.point.copy_from(&self.v);
                    held.remove(index);
                }
                Fit::Leaves => {
                    // The longest step towards the face's optimum that stays
                    // within the bounds, and the bound that stops it.
                    let mut block: Option<(f64, usize, bool)> = None;
                    for j in 0..self.v.len() {
                        let (x, target) = (self.point[j], self.v[j]);
                        let (lo, hi) = (self.problem.lower[j], self.problem.upper[j]);
                        let tolerance = 1e-9 * (1.0 + target.abs());
                        let hit = if target > hi + tolerance {
                            Some(((hi - x) / (target - x), true))
                        } else if target < lo - tolerance {
                            Some(((lo - x) / (target - x), false))
                        } else {
                            None
                        };
                        if let Some((t, upper)) = hit {
                            let t = t.clamp(0.0, 1.0);
                            if block.is_none_or(|(best, ..)| t < best) {
                                block = Some((t, j, upper));
                            }
                        }
                    }
                    let Some((t, j, upper)) = block else { return false };
                    for k in 0..self.point.len() {
                        self.point[k] += t * (self.v[k] - self.point[k]);
                    }
                    self.point[j] = if upper { self.problem.upper[j] } else { self.problem.lower[j] };
                    let at = held.partition_point(|&(k, _)| k < j);
                    if held.get(at).is_some_and(|&(k, _)| k == j) {
                        return false;
                    }
                    held.insert(at, (j, upper));
                }
            }
        }
        false
    }

    /// The index of the face holding `held`, built if new.
    fn face(&mut self, held: &[(usize, bool)]) -> usize {
        if let Some(f) = self.faces.iter().position(|f| f.active == held) {
            return f;
        }
        if self.faces.len() >= MAX_FACES {
            self.faces.truncate(1);
        }
        self.faces.push(Face::new(&self.problem, held.to_vec()));
        self.faces.len() - 1
    }

    /// The bounds the last evaluation's fluxes are held at: (reaction id,
    /// at its upper bound?).
    pub fn held_bounds(&self) -> Vec<(&str, bool)> {
        self.faces[self.current]
            .kept_bounds()
            .into_iter()
            .map(|(j, upper)| (self.reactions[j].as_str(), upper))
            .collect()
    }

    fn try_face(&mut self, f: usize) -> Fit {
        self.faces[f].eval(&self.problem, &self.r, &mut self.v, &mut self.nu)
    }

    fn residual(&self, rates: &[f64]) -> f64 {
        self.problem.rated.iter().zip(rates).map(|(&(j, w), &r)| w * (self.v[j] - r).powi(2)).sum()
    }
}

impl CellModel for MfaCell {
    const HAS_JACOBIAN: bool = true;

    // The C ABI carries a plugin's error as text: here is where it becomes one.
    fn create(config: &Config) -> Result<Self, String> {
        MfaCell::new(config).map_err(|e| e.to_string())
    }

    fn inputs(&self) -> Vec<PortSpec> {
        self.input_names
            .iter()
            .zip(&self.problem.rated)
            .map(|(n, &(j, _))| PortSpec::new(n.clone(), self.units[j]))
            .collect()
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
            for (k, (&(j, w), &r)) in self.problem.rated.iter().zip(inputs).enumerate() {
                let dv = gain[(j, i)] - if k == i { 1.0 } else { 0.0 };
                d += 2.0 * w * (self.v[j] - r) * dv;
            }
            jacobian[n * p + i] = d;
        }
        Ok(())
    }
}

export_plugin!(MfaCell, "mfa");
