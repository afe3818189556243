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

use crate::basis_map::MapCache;
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
    /// Answer from a cached optimal basis whenever its basic solution is
    /// still within bounds (no simplex); HiGHS runs only when none is.
    pub reuse: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { pfba: true, tolerance: 1e-9, policy: Policy::Relax, start: Start::Reference, reuse: true }
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
    /// Slack columns and their weights in the feasibility stage.
    slacks: Vec<(usize, f64)>,
    objective_row: usize,
    /// Column values of the stage solved last.
    cols: Vec<f64>,
    /// Starting bases of the FBA, pFBA and feasibility LPs (`Start::Reference`).
    reference: [Option<Basis>; 3],
    /// Optimal bases met so far, per stage, as maps from the changing rows.
    maps: Maps,
    /// Rows whose bounds change between calls, per stage.
    changing: Changing,
    /// Whether the last call needed slack (its next call tries that first).
    last_relaxed: bool,
    /// Scratch for the Jacobian: d(activity of pFBA's changing rows)/d(input).
    row_rates: Vec<f64>,
    /// Fluxes of the last solution, by reaction.
    pub fluxes: Vec<f64>,
    pub objective_value: f64,
    pub slack: f64,
    /// Stage solves answered from a cached basis, and by HiGHS.
    pub stats: Stats,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    pub from_basis: u64,
    pub by_highs: u64,
}

const INF: f64 = f64::INFINITY;

/// Σ|v| often has several minima (a transhydrogenase or a cycle that
/// costs the same either way); each flux's cost is raised by up to this
/// fraction, by a fixed weight per reaction, so that one of them is the
/// answer whatever basis a solve starts from.
const TIE_BREAK: f64 = 1e-6;

/// A fixed weight in [0, 1) per reaction index (a hash, not a sequence, so
/// neighbouring reactions are not ordered alike).
fn tie_weight(j: usize) -> f64 {
    let mut x = (j as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Bases kept per stage: a dFBA run moves between a few.
const MAPS_PER_STAGE: usize = 16;

struct Maps {
    fba: MapCache,
    parsimonious: MapCache,
    feasibility: MapCache,
}

/// Changing rows: the inputs, then for FBA the slack row, for pFBA the
/// slack row and the objective row.
struct Changing {
    fba: Vec<usize>,
    parsimonious: Vec<usize>,
    feasibility: Vec<usize>,
}

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
            for j in 0..n {
                cost[j] = 1.0 + TIE_BREAK * tie_weight(j);
                cost[n + j] = cost[j];
            }
            Some(Lp::new(&b.data(cost, false))?)
        } else {
            None
        };
        let changing = Changing {
            fba: input_rows.iter().copied().chain([slack_row]).collect(),
            parsimonious: input_rows.iter().copied().chain([slack_row, objective_row]).collect(),
            feasibility: input_rows.clone(),
        };
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
            slacks,
            objective_row,
            cols: vec![0.0; n_cols],
            reference: [None, None, None],
            maps: Maps {
                fba: MapCache::new(MAPS_PER_STAGE),
                parsimonious: MapCache::new(MAPS_PER_STAGE),
                feasibility: MapCache::new(MAPS_PER_STAGE),
            },
            row_rates: vec![0.0; changing.parsimonious.len()],
            changing,
            last_relaxed: false,
            stats: Stats::default(),
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
        let reuse = self.options.reuse;
        self.options.start = Start::Cold;
        self.options.reuse = false;
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
        self.options.reuse = reuse;
    }

    /// Runs HiGHS on one stage from the start the options ask for.
    fn run(lp: &mut Lp, start: Start, reference: &Option<Basis>) -> Outcome {
        match (start, reference) {
            (Start::Reference, Some(basis)) => {
                // Clearing first drops what HiGHS keeps from earlier solves
                // (edge weights), which would otherwise steer the pivots.
                lp.reset();
                lp.set_basis(basis)
            }
            (Start::Cold, _) => lp.reset(),
            _ => {}
        }
        lp.solve()
    }

    /// One stage at the bounds now set: from a cached basis if one is still
    /// optimal, else by HiGHS; the solution (of the optimal basis's map, so
    /// it does not depend on how the basis was found) into `cols`. False if
    /// the stage is infeasible.
    #[allow(clippy::too_many_arguments)]
    fn stage(
        stats: &mut Stats,
        lp: &mut Lp,
        maps: &mut MapCache,
        changing: &[usize],
        cols: &mut [f64],
        options: &Options,
        reference: &Option<Basis>,
    ) -> Result<bool, String> {
        if options.reuse && maps.find_feasible(lp, cols) {
            stats.from_basis += 1;
            return Ok(true);
        }
        stats.by_highs += 1;
        match Self::run(lp, options.start, reference) {
            Outcome::Optimal => {}
            Outcome::Infeasible => return Ok(false),
            Outcome::Other(code) => return Err(format!("HiGHS did not find an optimum (model status {code})")),
        }
        if options.reuse {
            maps.current(lp, changing, cols)?;
        } else {
            lp.solution(cols);
        }
        Ok(true)
    }

    fn fba_stage(&mut self) -> Result<bool, String> {
        let found = Self::stage(
            &mut self.stats,
            &mut self.fba,
            &mut self.maps.fba,
            &self.changing.fba,
            &mut self.cols,
            &self.options,
            &self.reference[0],
        )?;
        if found {
            self.objective_value = self.objective_of_cols();
        }
        Ok(found)
    }

    /// The least weighted slack that makes the FBA feasible.
    fn feasibility_stage(&mut self) -> Result<Option<f64>, String> {
        let Some(lp) = &mut self.feasibility else { return Ok(None) };
        let found = Self::stage(
            &mut self.stats,
            lp,
            &mut self.maps.feasibility,
            &self.changing.feasibility,
            &mut self.cols,
            &self.options,
            &self.reference[2],
        )?;
        if !found {
            return Err("the LP cannot be made feasible even with slack on the input bounds and maintenance".into());
        }
        Ok(Some(self.slacks.iter().map(|&(s, w)| w * self.cols[s]).sum::<f64>().max(0.0)))
    }

    /// Allows `weighted` slack in the FBA and pFBA stages.
    fn allow_slack(&mut self, weighted: f64) {
        let allowed = if weighted > 0.0 { weighted * (1.0 + 1e-9) + 1e-9 } else { 0.0 };
        self.fba.set_row_bounds(self.slack_row, 0.0, allowed);
        if let Some(p) = &mut self.parsimonious {
            p.set_row_bounds(self.slack_row, 0.0, allowed);
        }
    }

    /// The objective pFBA holds: the optimum less the tolerance.
    fn held_objective(&self, optimum: f64) -> f64 {
        optimum - self.options.tolerance * optimum.abs().max(1.0)
    }

    /// Solves at the given input bound values (one per input, in the order
    /// the inputs were given to `new`).
    pub fn solve(&mut self, values: &[f64]) -> Result<Solved, String> {
        self.set_inputs(values);
        // In the relaxed region, trying the plain FBA first would cost a
        // HiGHS run to learn it is infeasible.
        let mut relaxed = false;
        if self.last_relaxed && self.options.reuse {
            self.allow_slack(0.0);
            if self.maps.feasibility.find_feasible(self.feasibility.as_ref().expect("relaxed"), &mut self.cols) {
                let weighted: f64 = self.slacks.iter().map(|&(s, w)| w * self.cols[s]).sum();
                if weighted > 1e-9 {
                    self.allow_slack(weighted);
                    relaxed = self.fba_stage()?;
                }
            }
        }
        if !relaxed {
            self.allow_slack(0.0);
            if !self.fba_stage()? {
                match self.options.policy {
                    Policy::Relax => {}
                    Policy::Stop => return Err("the LP is infeasible here (infeasible = stop ends the run)".into()),
                    Policy::Error => return Err("the LP is infeasible here (infeasible = error)".into()),
                }
                let weighted = self.feasibility_stage()?.unwrap_or(0.0);
                self.allow_slack(weighted);
                if !self.fba_stage()? {
                    return Err("the relaxed LP has no optimum".into());
                }
                relaxed = true;
            }
        }
        self.last_relaxed = relaxed;
        if self.parsimonious.is_some() {
            let hold = self.held_objective(self.objective_value);
            let p = self.parsimonious.as_mut().expect("pfba");
            p.set_row_bounds(self.objective_row, hold, INF);
            let found = Self::stage(
                &mut self.stats,
                p,
                &mut self.maps.parsimonious,
                &self.changing.parsimonious,
                &mut self.cols,
                &self.options,
                &self.reference[1],
            )?;
            if !found {
                return Err("the pFBA stage has no optimum".into());
            }
        }
        for j in 0..self.n {
            self.fluxes[j] = self.cols[j] - self.cols[self.n + j];
        }
        self.objective_value = self.objective_of_cols();
        if relaxed {
            // The slack reported is the total relaxation, unweighted.
            self.slack = self.slacks.iter().map(|&(s, _)| self.cols[s]).sum();
            Ok(Solved::Relaxed(self.slack))
        } else {
            self.slack = 0.0;
            Ok(Solved::Optimal)
        }
    }

    /// d(outputs)/d(inputs) at the last solution, exact within its optimal
    /// bases (where the solution is affine in the bounds): the inputs move
    /// the FBA optimum (and in the relaxed region the slack allowed), which
    /// moves the objective the pFBA stage holds. `jac[o * n_inputs + i]`
    /// for the fluxes, then the objective and the slack. Needs `reuse`.
    pub fn jacobian(&mut self, values: &[f64], jac: &mut [f64]) -> Result<(), String> {
        let (n, n_in) = (self.n, values.len());
        let (Some(fba), true) = (self.maps.fba.front(), self.options.reuse) else {
            return Err("the basis derivative needs basis reuse (option reuse = true)".into());
        };
        let d_objective = |map: &crate::basis_map::BasisMap, r: usize| -> f64 {
            self.objective.iter().map(|&(j, c)| c * (map.direction(r, j) - map.direction(r, n + j))).sum()
        };
        let slack_rate = |map: &crate::basis_map::BasisMap, r: usize| -> f64 {
            self.slacks.iter().map(|&(s, w)| w * map.direction(r, s)).sum()
        };
        let slack_r = n_in;
        for i in 0..n_in {
            // d(allowed slack)/d(input i), then d(optimum)/d(input i).
            let mut d_allowed = 0.0;
            if self.last_relaxed {
                let feasibility = self.maps.feasibility.front().expect("relaxed solves have a feasibility basis");
                if feasibility.drives(i) {
                    d_allowed = (1.0 + 1e-9) * slack_rate(feasibility, i);
                }
            }
            let mut d_optimum = if fba.drives(i) { d_objective(fba, i) } else { 0.0 };
            if fba.drives(slack_r) {
                d_optimum += d_objective(fba, slack_r) * d_allowed;
            }
            let (map, rates) = match self.maps.parsimonious.front().filter(|_| self.parsimonious.is_some()) {
                Some(p) => {
                    let optimum = self.objective_value;
                    let hold_rate =
                        if optimum.abs() > 1.0 { 1.0 - self.options.tolerance * optimum.signum() } else { 1.0 };
                    self.row_rates.fill(0.0);
                    self.row_rates[i] = 1.0;
                    self.row_rates[slack_r] = d_allowed;
                    self.row_rates[slack_r + 1] = hold_rate * d_optimum;
                    (p, &self.row_rates[..])
                }
                None => {
                    self.row_rates.fill(0.0);
                    self.row_rates[i] = 1.0;
                    self.row_rates[slack_r] = d_allowed;
                    (fba, &self.row_rates[..slack_r + 1])
                }
            };
            let rate = |col: usize| -> f64 {
                rates
                    .iter()
                    .enumerate()
                    .filter(|&(r, &a)| a != 0.0 && map.drives(r))
                    .map(|(r, &a)| a * map.direction(r, col))
                    .sum()
            };
            for j in 0..n {
                jac[j * n_in + i] = rate(j) - rate(n + j);
            }
            jac[n * n_in + i] = self.objective.iter().map(|&(j, c)| c * (rate(j) - rate(n + j))).sum();
            jac[(n + 1) * n_in + i] =
                if self.last_relaxed { self.slacks.iter().map(|&(s, _)| rate(s)).sum() } else { 0.0 };
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
        self.fba.set_row_bounds(row, lo, hi);
        if let Some(lp) = &mut self.parsimonious {
            lp.set_row_bounds(row, lo, hi);
        }
        if let Some(lp) = &mut self.feasibility {
            lp.set_row_bounds(row, lo, hi);
        }
    }

    fn set_inputs(&mut self, values: &[f64]) {
        for (k, &v) in values.iter().enumerate() {
            self.set_input(k, v);
        }
    }
}
