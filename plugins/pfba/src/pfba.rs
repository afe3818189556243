//! FBA and parsimonious FBA with slack relaxation, on persistent HiGHS
//! models (one per stage, so objectives never swap).
//!
//! Columns: v⁺ (n), v⁻ (n), slacks (k); a flux is v = v⁺ − v⁻ (the paper's
//! eq. 3–4). Rows: S·v = 0 (m); one row per input bound (the model's bound
//! on that side is lifted); one row per maintenance requirement (a model
//! lower bound > 0, e.g. ATPM); Σ slack. Each relaxable row has a slack
//! column, normally held at 0 by the Σ-slack row.
//!
//! A call: set the input rows; solve FBA. If infeasible and the policy is
//! `relax`: minimise the weighted slack (stage 0), allow that much, solve
//! FBA again. Slack on an input bound weighs far more than slack on
//! maintenance: when uptake cannot pay for maintenance, maintenance gives
//! way (and the fluxes go continuously to zero) rather than the uptake bound
//! (which would take up substrate that is not there). Then pFBA: hold the objective at its optimum (relative tolerance)
//! and minimise Σ(v⁺ + v⁻).

use crate::highs::{Basis, Lp, LpData, Outcome};
use crate::network::Network;
use highs_sys::HighsInt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Relax,
    Stop,
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoundKind {
    Lower,
    Upper,
    Fixed,
}

/// A bound the caller sets at each call.
#[derive(Clone, Debug, PartialEq)]
pub struct InputBound {
    pub reaction: usize,
    pub kind: BoundKind,
}

/// Where each solve starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// From a fixed basis (optimal at the model's own bounds, found once):
    /// results depend only on the inputs, bit for bit, whatever was solved
    /// before.
    Reference,
    /// From the previous call's basis: fastest; the same inputs can give
    /// fluxes that differ in the last bits after a different history.
    Warm,
    /// From scratch every time.
    Cold,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub pfba: bool,
    /// Relative tolerance on the objective held in the pFBA stage.
    pub tolerance: f64,
    pub policy: Policy,
    pub start: Start,
}

impl Default for Options {
    fn default() -> Self {
        Options { pfba: true, tolerance: 1e-9, policy: Policy::Relax, start: Start::Reference }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Solved {
    Optimal,
    /// Feasible only with slack (the total, in mmol/gDW/h); fluxes are of
    /// the relaxed LP.
    Relaxed(f64),
}

/// The LPs of one model with its input bounds.
pub struct Pfba {
    n: usize,
    options: Options,
    objective: Vec<(usize, f64)>,
    fba: Lp,
    parsimonious: Option<Lp>,
    feasibility: Option<Lp>,
    input_rows: Vec<usize>,
    input_kinds: Vec<BoundKind>,
    slack_row: usize,
    slack_cols: Vec<usize>,
    objective_row: usize,
    cols: Vec<f64>,
    /// Starting bases of the FBA, pFBA and feasibility LPs (`Start::Reference`).
    reference: [Option<Basis>; 3],
    /// The FBA and pFBA bases the Jacobian holds (allocated once).
    held: (Basis, Option<Basis>),
    /// Fluxes of the last solution, by reaction.
    pub fluxes: Vec<f64>,
    pub objective_value: f64,
    pub slack: f64,
}

const INF: f64 = f64::INFINITY;

/// Cost of a unit of slack on an input bound, relative to maintenance.
const INPUT_SLACK_WEIGHT: f64 = 1e3;

struct Builder {
    cols: Vec<Vec<(HighsInt, f64)>>,
    col_lower: Vec<f64>,
    col_upper: Vec<f64>,
    row_lower: Vec<f64>,
    row_upper: Vec<f64>,
}

impl Builder {
    fn row(&mut self, lower: f64, upper: f64) -> usize {
        self.row_lower.push(lower);
        self.row_upper.push(upper);
        self.row_lower.len() - 1
    }
    fn col(&mut self, lower: f64, upper: f64) -> usize {
        self.cols.push(Vec::new());
        self.col_lower.push(lower);
        self.col_upper.push(upper);
        self.cols.len() - 1
    }
    fn entry(&mut self, col: usize, row: usize, value: f64) {
        self.cols[col].push((row as HighsInt, value));
    }
    fn data(&self, cost: Vec<f64>, maximize: bool) -> LpData {
        let mut a_start = Vec::with_capacity(self.cols.len() + 1);
        let (mut a_index, mut a_value) = (Vec::new(), Vec::new());
        for c in &self.cols {
            a_start.push(a_index.len() as HighsInt);
            for &(r, v) in c {
                a_index.push(r);
                a_value.push(v);
            }
        }
        LpData {
            cost,
            col_lower: self.col_lower.clone(),
            col_upper: self.col_upper.clone(),
            row_lower: self.row_lower.clone(),
            row_upper: self.row_upper.clone(),
            a_start,
            a_index,
            a_value,
            maximize,
        }
    }
}

impl Pfba {
    /// `objective`: (reaction, coefficient) maximised.
    pub fn new(
        net: &Network,
        objective: Vec<(usize, f64)>,
        inputs: &[InputBound],
        options: Options,
    ) -> Result<Pfba, String> {
        if objective.is_empty() {
            return Err("the model has no objective; give the cell one: `objective = Biomass`".into());
        }
        let n = net.reactions.len();
        let mut b = Builder {
            cols: Vec::new(),
            col_lower: Vec::new(),
            col_upper: Vec::new(),
            row_lower: Vec::new(),
            row_upper: Vec::new(),
        };
        // Bounds of v, with the sides set by inputs lifted and positive
        // lower bounds (maintenance) moved into relaxable rows.
        let mut lower: Vec<f64> = net.reactions.iter().map(|r| r.lower).collect();
        let mut upper: Vec<f64> = net.reactions.iter().map(|r| r.upper).collect();
        for i in inputs {
            if matches!(i.kind, BoundKind::Lower | BoundKind::Fixed) {
                lower[i.reaction] = -INF;
            }
            if matches!(i.kind, BoundKind::Upper | BoundKind::Fixed) {
                upper[i.reaction] = INF;
            }
        }
        let maintenance: Vec<(usize, f64)> = (0..n).filter(|&j| lower[j] > 0.0).map(|j| (j, lower[j])).collect();
        for &(j, _) in &maintenance {
            lower[j] = 0.0;
        }
        for j in 0..n {
            b.col(lower[j].max(0.0), upper[j].max(0.0));
        }
        for j in 0..n {
            b.col((-upper[j]).max(0.0), (-lower[j]).max(0.0));
        }
        for _ in &net.metabolites {
            b.row(0.0, 0.0);
        }
        for (j, r) in net.reactions.iter().enumerate() {
            for &(m, c) in &r.stoichiometry {
                b.entry(j, m, c);
                b.entry(n + j, m, -c);
            }
        }
        let flux_row = |b: &mut Builder, j: usize, lo: f64, hi: f64| {
            let row = b.row(lo, hi);
            b.entry(j, row, 1.0);
            b.entry(n + j, row, -1.0);
            row
        };
        // Slack columns with their weights.
        let mut slacks: Vec<(usize, f64)> = Vec::new();
        let mut input_rows = Vec::new();
        for i in inputs {
            let row = flux_row(&mut b, i.reaction, -INF, INF);
            input_rows.push(row);
            // A lower bound is relaxed by +s, an upper by −s; fixed, both.
            let signs: &[f64] = match i.kind {
                BoundKind::Lower => &[1.0],
                BoundKind::Upper => &[-1.0],
                BoundKind::Fixed => &[1.0, -1.0],
            };
            for &sign in signs {
                let s = b.col(0.0, INF);
                b.entry(s, row, sign);
                slacks.push((s, INPUT_SLACK_WEIGHT));
            }
        }
        for &(j, lb) in &maintenance {
            let row = flux_row(&mut b, j, lb, INF);
            let s = b.col(0.0, INF);
            b.entry(s, row, 1.0);
            slacks.push((s, 1.0));
        }
        let slack_row = b.row(0.0, 0.0);
        for &(s, w) in &slacks {
            b.entry(s, slack_row, w);
        }
        let n_cols = b.cols.len();

        let mut fba_cost = vec![0.0; n_cols];
        for &(j, c) in &objective {
            fba_cost[j] = c;
            fba_cost[n + j] = -c;
        }
        let fba = Lp::new(&b.data(fba_cost, true))?;

        let feasibility = if options.policy == Policy::Relax {
            let mut cost = vec![0.0; n_cols];
            for &(s, w) in &slacks {
                cost[s] = w;
            }
            let mut data = b.data(cost, false);
            data.row_upper[slack_row] = INF;
            Some(Lp::new(&data)?)
        } else {
            None
        };

        let objective_row = b.row(-INF, INF);
        for &(j, c) in &objective {
            b.entry(j, objective_row, c);
            b.entry(n + j, objective_row, -c);
        }
        let parsimonious = if options.pfba {
            let mut cost = vec![0.0; b.cols.len()];
            cost[..2 * n].fill(1.0);
            Some(Lp::new(&b.data(cost, false))?)
        } else {
            None
        };
        let held = (fba.basis(), parsimonious.as_ref().map(Lp::basis));
        let mut lp = Pfba {
            n,
            options,
            objective,
            fba,
            parsimonious,
            feasibility,
            input_rows,
            input_kinds: inputs.iter().map(|i| i.kind).collect(),
            slack_row,
            slack_cols: slacks.iter().map(|s| s.0).collect(),
            objective_row,
            cols: vec![0.0; n_cols],
            reference: [None, None, None],
            held,
            fluxes: vec![0.0; n],
            objective_value: 0.0,
            slack: 0.0,
        };
        if lp.options.start == Start::Reference {
            lp.set_reference_bases(net, inputs);
        }
        Ok(lp)
    }

    /// Solves each stage once at the model's own bounds and keeps the bases.
    fn set_reference_bases(&mut self, net: &Network, inputs: &[InputBound]) {
        let own: Vec<f64> = inputs
            .iter()
            .map(|i| match i.kind {
                BoundKind::Lower | BoundKind::Fixed => net.reactions[i.reaction].lower,
                BoundKind::Upper => net.reactions[i.reaction].upper,
            })
            .collect();
        self.options.start = Start::Cold;
        let _ = self.solve(&own);
        if let Some(f) = &mut self.feasibility {
            f.reset();
            f.solve();
        }
        self.reference = [
            Some(self.fba.basis()),
            self.parsimonious.as_ref().map(Lp::basis),
            self.feasibility.as_ref().map(Lp::basis),
        ];
        self.options.start = Start::Reference;
    }

    fn each_lp(&mut self, mut f: impl FnMut(&mut Lp)) {
        f(&mut self.fba);
        if let Some(lp) = &mut self.parsimonious {
            f(lp);
        }
        if let Some(lp) = &mut self.feasibility {
            f(lp);
        }
    }

    fn run(lp: &mut Lp, start: Start, reference: &Option<Basis>) -> Outcome {
        match (start, reference) {
            (Start::Reference, Some(basis)) => lp.set_basis(basis),
            (Start::Cold, _) => lp.reset(),
            _ => {}
        }
        lp.solve()
    }

    /// d(outputs)/d(inputs) at the last solution, exact within its optimal
    /// bases: there the solution is affine in the bounds, so it is evaluated
    /// at each shifted input with the bases held (no simplex iterations).
    /// The FBA optimum moves with the input, and with it the objective the
    /// pFBA stage holds. `jac[o * n_inputs + i]` for the fluxes, then the
    /// objective and the slack; `values` are the inputs of the last `solve`.
    /// In the relaxed region the slack allowed stays that of the last solve.
    pub fn jacobian(&mut self, values: &[f64], jac: &mut [f64]) -> Result<(), String> {
        let n_in = values.len();
        let n = self.n;
        self.fba.basis_into(&mut self.held.0);
        if let (Some(p), Some(held)) = (&self.parsimonious, &mut self.held.1) {
            p.basis_into(held);
        }
        self.each_lp(|lp| lp.set_iteration_limit(Some(0)));
        for (i, &v) in values.iter().enumerate() {
            let h = 1e-3 * v.abs().max(1.0);
            self.set_input(i, v + h);
            self.fba.set_basis(&self.held.0);
            self.fba.solve();
            self.fba.solution(&mut self.cols);
            let optimum = self.objective_of_cols();
            if let (Some(p), Some(held)) = (&mut self.parsimonious, &self.held.1) {
                let hold = optimum - self.options.tolerance * optimum.abs().max(1.0);
                p.set_row_bounds(self.objective_row, hold, INF);
                p.set_basis(held);
                p.solve();
                p.solution(&mut self.cols);
            }
            // The fluxes of the last solve are still in `self.fluxes`.
            for j in 0..n {
                jac[j * n_in + i] = (self.cols[j] - self.cols[n + j] - self.fluxes[j]) / h;
            }
            jac[n * n_in + i] = (self.objective_of_cols() - self.objective_value) / h;
            let slack: f64 = self.slack_cols.iter().map(|&s| self.cols[s]).sum();
            jac[(n + 1) * n_in + i] = if self.slack > 0.0 { (slack - self.slack) / h } else { 0.0 };
            self.set_input(i, v);
        }
        // Leave the LPs as the last solve left them.
        self.each_lp(|lp| lp.set_iteration_limit(None));
        self.fba.set_basis(&self.held.0);
        if let (Some(p), Some(held)) = (&mut self.parsimonious, &self.held.1) {
            p.set_basis(held);
        }
        if jac.iter().all(|d| d.is_finite()) { Ok(()) } else { Err("the basis derivative is not finite".into()) }
    }

    /// The objective at the columns in `self.cols`.
    fn objective_of_cols(&self) -> f64 {
        self.objective.iter().map(|&(j, c)| c * (self.cols[j] - self.cols[self.n + j])).sum()
    }

    /// Sets input `k` to `v` in every LP.
    fn set_input(&mut self, k: usize, v: f64) {
        let row = self.input_rows[k];
        let (lo, hi) = match self.input_kinds[k] {
            BoundKind::Lower => (v, INF),
            BoundKind::Upper => (-INF, v),
            BoundKind::Fixed => (v, v),
        };
        self.each_lp(|lp| lp.set_row_bounds(row, lo, hi));
    }

    fn set_inputs(&mut self, values: &[f64]) {
        for (k, &v) in values.iter().enumerate() {
            self.set_input(k, v);
        }
    }

    /// Solves at the given input bound values (one per input, in the order
    /// the inputs were given to `new`).
    pub fn solve(&mut self, values: &[f64]) -> Result<Solved, String> {
        self.set_inputs(values);
        let start = self.options.start;
        let slack_row = self.slack_row;
        self.each_lp(|lp| lp.set_row_bounds(slack_row, 0.0, 0.0));
        if let Some(f) = &mut self.feasibility {
            f.set_row_bounds(slack_row, 0.0, INF);
        }
        let mut solved = Solved::Optimal;
        self.slack = 0.0;
        match Self::run(&mut self.fba, start, &self.reference[0]) {
            Outcome::Optimal => {}
            Outcome::Infeasible => match (self.options.policy, &mut self.feasibility) {
                (Policy::Relax, Some(feasibility)) => {
                    if Self::run(feasibility, start, &self.reference[2]) != Outcome::Optimal {
                        return Err(
                            "the LP cannot be made feasible even with slack on the input bounds and maintenance".into(),
                        );
                    }
                    let weighted = feasibility.objective().max(0.0);
                    let allowed = weighted * (1.0 + 1e-9) + 1e-9;
                    self.fba.set_row_bounds(slack_row, 0.0, allowed);
                    if let Some(p) = &mut self.parsimonious {
                        p.set_row_bounds(slack_row, 0.0, allowed);
                    }
                    if Self::run(&mut self.fba, start, &self.reference[0]) != Outcome::Optimal {
                        return Err("the relaxed LP has no optimum".into());
                    }
                    solved = Solved::Relaxed(0.0);
                }
                (Policy::Stop, _) => return Err("the LP is infeasible here (infeasible = stop ends the run)".into()),
                _ => return Err("the LP is infeasible here (infeasible = error)".into()),
            },
            Outcome::Other(code) => return Err(format!("HiGHS did not find an optimum (model status {code})")),
        }
        let optimum = self.fba.objective();
        self.objective_value = optimum;
        match &mut self.parsimonious {
            Some(p) => {
                let hold = optimum - self.options.tolerance * optimum.abs().max(1.0);
                p.set_row_bounds(self.objective_row, hold, INF);
                match Self::run(p, start, &self.reference[1]) {
                    Outcome::Optimal => p.solution(&mut self.cols),
                    other => return Err(format!("the pFBA stage failed (HiGHS status {other:?})")),
                }
            }
            None => self.fba.solution(&mut self.cols),
        }
        for j in 0..self.n {
            self.fluxes[j] = self.cols[j] - self.cols[self.n + j];
        }
        if let Solved::Relaxed(_) = solved {
            // The slack reported is the total relaxation, unweighted.
            self.slack = self.slack_cols.iter().map(|&s| self.cols[s]).sum();
            solved = Solved::Relaxed(self.slack);
        }
        self.objective_value = self.objective_of_cols();
        Ok(solved)
    }
}
