//! FBA, lexicographic objectives and parsimonious FBA with slack
//! relaxation, on persistent HiGHS models (one per stage, so objectives
//! never swap).
//!
//! Columns: v⁺ (n), v⁻ (n), slacks (k); a flux is v = v⁺ − v⁻ (the paper's
//! eq. 3–4). Rows: S·v = 0 (m); one row per input bound (the model's bound
//! on that side is lifted); one row per requirement (a model bound that
//! excludes zero: a lower bound > 0 such as ATPM's maintenance, or an
//! upper bound < 0, a forced uptake); one row per user-defined constraint
//! (fbc v3), relaxable too if it excludes zero; Σ slack; one row per objective,
//! holding it in the later stages. Each relaxable row has a slack column,
//! normally held at 0 by the Σ-slack row. Since v = 0 satisfies S·v = 0
//! and every other bound, the relaxed LP is always feasible.
//!
//! A call: set the input rows; maximise the first objective. If that is
//! infeasible and the policy is `relax`: minimise the weighted slack, allow
//! that much, and solve again. Slack on an input bound weighs far more than
//! slack on maintenance: when uptake cannot pay for maintenance,
//! maintenance gives way (and the fluxes go continuously to zero) rather
//! than the uptake bound (which would take up substrate that is not there).
//! Each further objective is optimised with the ones before held at their
//! optima (relative tolerance), as DFBAlab does; then pFBA holds them all
//! and minimises Σ(v⁺ + v⁻).
//!
//! One file, over 600 lines: one family of LPs — built once (`Matrix`),
//! solved in stages from kept bases, relaxed, and differentiated — whose
//! parts share the stages' state.

use crate::basis_map::MapCache;
use crate::cache;
use crate::error::LpError;
use crate::highs::{Basis, Lp, LpData, Outcome, Pricing};
use crate::network::{Network, Objective};
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
    /// with `reuse = false` results depend only on the inputs, bit for bit,
    /// whatever was solved before. With `reuse`, a stage whose only product
    /// is its optimum (FBA before pFBA) starts from its last basis after
    /// its first solve (see `Use::Optimum`); the stage that gives the
    /// fluxes still starts from its reference basis.
    Reference,
    /// From the previous call's basis: fastest; the same inputs can give
    /// fluxes that differ in the last bits after a different history.
    Warm,
    /// From scratch every time.
    Cold,
}

#[derive(Clone, Copy, Debug)]
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

/// Why a call gave no solution.
#[derive(Clone, Debug, PartialEq)]
pub enum SolveError {
    /// Infeasible at these inputs, and the policy is not to relax.
    Infeasible(Policy),
    /// HiGHS or a basis failed.
    Failed(LpError),
}

impl std::fmt::Display for SolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SolveError::Infeasible(Policy::Stop) => {
                write!(f, "the LP is infeasible here (`infeasible = stop` ends the run)")
            }
            SolveError::Infeasible(_) => write!(f, "the LP is infeasible here (`infeasible = error`)"),
            SolveError::Failed(error) => error.fmt(f),
        }
    }
}

impl From<LpError> for SolveError {
    fn from(error: LpError) -> SolveError {
        SolveError::Failed(error)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Solved {
    Optimal,
    /// Feasible only with slack (the total, in mmol/gDW/h); fluxes are of
    /// the relaxed LP.
    Relaxed(f64),
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    pub from_basis: u64,
    pub by_highs: u64,
    /// Calls answered by the stages before a later one HiGHS could not
    /// solve even with its hold loosened (a last resort).
    pub fallbacks: u64,
}

/// How much a later stage's hold is loosened when HiGHS finds it infeasible.
const LOOSER_HOLD: f64 = 1e3;

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

/// One LP of the chain, with the optimal bases it has met.
struct Stage {
    lp: Lp,
    maps: MapCache,
    /// Rows whose bounds change between calls: the inputs, the Σ-slack row
    /// (not in the feasibility stage), and the rows holding the objectives
    /// optimised before this stage; a prefix of `Pfba::changing`.
    changing: usize,
    /// The objective this stage maximises (none for pFBA and feasibility).
    objective: Option<usize>,
    used_for: Use,
    /// Whether HiGHS holds an optimal basis of this stage from an earlier
    /// solve (a warm start needs one).
    solved_once: bool,
}

/// What a stage's solution is used for, which decides where HiGHS may
/// start it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Use {
    /// Its fluxes are the answer (the last stage), or its slack sets the
    /// relaxation: started as the options say.
    Fluxes,
    /// Only its optimum and that optimum's rate, which the later stages
    /// hold: every optimal basis gives the same value, and the same rate
    /// wherever the optimum is differentiable in the inputs, so with basis
    /// reuse HiGHS starts from its last basis (a pivot or two from the next
    /// region; from the reference basis it is a fresh factorisation and
    /// tens of pivots). (Its fluxes are the answer only in the last-resort
    /// fallback, when a later stage cannot be solved.)
    Optimum,
}

impl Stage {
    fn new(lp: Lp, changing: usize, objective: Option<usize>, used_for: Use) -> Stage {
        Stage { lp, maps: MapCache::new(MAPS_PER_STAGE), changing, objective, used_for, solved_once: false }
    }
}

/// The LPs of one model with its input bounds.
pub struct Pfba {
    n: usize,
    options: Options,
    /// Objectives maximised in turn, each as (reaction, coefficient), a
    /// minimised one with its coefficients negated.
    objectives: Vec<Vec<(usize, f64)>>,
    /// +1 if the first objective is maximised, −1 if minimised: the value
    /// reported is in the user's sense.
    first_sign: f64,
    /// One stage per objective, then pFBA if asked for.
    stages: Vec<Stage>,
    feasibility: Option<Stage>,
    input_kinds: Vec<BoundKind>,
    /// The inputs' rows, the Σ-slack row, the rows holding each objective.
    changing: Vec<usize>,
    /// Slack columns and their weights in the feasibility stage.
    slacks: Vec<(usize, f64)>,
    /// Column values of the stage solved last.
    cols: Vec<f64>,
    /// Each objective's optimum at the last call.
    optima: Vec<f64>,
    /// Starting bases of each stage and of feasibility (`Start::Reference`).
    reference: Vec<Option<Basis>>,
    /// Whether the last call needed slack (its next call tries that first).
    last_relaxed: bool,
    /// The least weighted slack of the last relaxed call.
    weighted_slack_allowed: f64,
    /// Scratch for the Jacobian: d(activity of each changing row)/d(input).
    row_rates: Vec<f64>,
    /// Stages whose solution the last call used (all but after a fallback).
    stages_solved: usize,
    /// Fluxes of the last solution, by reaction.
    pub fluxes: Vec<f64>,
    /// The first objective at the last solution, in its own sense.
    pub objective_value: f64,
    pub slack: f64,
    /// Stage solves answered from a cached basis, and by HiGHS.
    pub stats: Stats,
}

impl Pfba {
    pub fn new(net: &Network, objective: Objective, inputs: &[InputBound], options: Options) -> Result<Pfba, LpError> {
        Self::lexicographic(net, vec![objective], inputs, options)
    }

    /// `objectives`: optimised in turn, each with those before held.
    pub fn lexicographic(
        net: &Network,
        objectives: Vec<Objective>,
        inputs: &[InputBound],
        options: Options,
    ) -> Result<Pfba, LpError> {
        if net.reactions.is_empty() {
            return Err(LpError::NoReactions);
        }
        if objectives.first().is_none_or(|o| o.terms.is_empty()) {
            let example = net.likely_objective().unwrap_or("Biomass").to_string();
            return Err(LpError::NoObjective { example });
        }
        let first_sign = objectives[0].sign();
        let objectives: Vec<Vec<(usize, f64)>> =
            objectives.iter().map(|o| o.terms.iter().map(|&(j, c)| (j, o.sign() * c)).collect()).collect();
        let n = net.reactions.len();
        let Matrix { b, slacks, changing, slack_row } = Matrix::new(net, inputs, &objectives);
        let n_cols = b.cols.len();
        let n_in = inputs.len();
        let (stages, feasibility) =
            Self::stages(&b, n, n_in, &objectives, &options, &slacks, slack_row, changing.len())?;
        let mut lp = Pfba {
            n,
            options,
            optima: vec![0.0; objectives.len()],
            objectives,
            first_sign,
            reference: vec![None; stages.len() + 1],
            stages,
            feasibility,
            input_kinds: inputs.iter().map(|i| i.kind).collect(),
            row_rates: vec![0.0; changing.len()],
            changing,
            slacks,
            cols: vec![0.0; n_cols],
            stages_solved: 0,
            last_relaxed: false,
            weighted_slack_allowed: 0.0,
            fluxes: vec![0.0; n],
            objective_value: 0.0,
            slack: 0.0,
            stats: Stats::default(),
        };
        if lp.options.start == Start::Reference {
            lp.set_reference_bases(net, inputs);
        }
        Ok(lp)
    }

    /// The stages on the shared matrix: one per objective, then pFBA, and
    /// under `relax` the least-slack stage.
    #[allow(clippy::too_many_arguments)] // the matrix's parts, each named
    fn stages(
        b: &Builder,
        n: usize,
        n_in: usize,
        objectives: &[Vec<(usize, f64)>],
        options: &Options,
        slacks: &[(usize, f64)],
        slack_row: usize,
        n_changing: usize,
    ) -> Result<(Vec<Stage>, Option<Stage>), LpError> {
        let n_cols = b.cols.len();
        let mut stages = Vec::new();
        for (k, objective) in objectives.iter().enumerate() {
            let last = k + 1 == objectives.len() && !options.pfba;
            let used_for = if last { Use::Fluxes } else { Use::Optimum };
            let mut cost = vec![0.0; n_cols];
            for &(j, c) in objective {
                cost[j] += c;
                cost[n + j] -= c;
            }
            let lp = Lp::new(&b.data(cost, true))?;
            stages.push(Stage::new(lp, n_in + 1 + k, Some(k), used_for));
        }
        if options.pfba {
            let mut cost = vec![0.0; n_cols];
            for j in 0..n {
                cost[j] = 1.0 + TIE_BREAK * tie_weight(j);
                cost[n + j] = cost[j];
            }
            let lp = Lp::new(&b.data(cost, false))?;
            stages.push(Stage::new(lp, n_changing, None, Use::Fluxes));
        }
        let feasibility = if options.policy == Policy::Relax {
            let mut cost = vec![0.0; n_cols];
            for &(s, w) in slacks {
                cost[s] = w;
            }
            let mut data = b.data(cost, false);
            data.row_upper[slack_row] = INF;
            let lp = Lp::new(&data)?;
            Some(Stage::new(lp, n_in, None, Use::Fluxes))
        } else {
            None
        };
        Ok((stages, feasibility))
    }

    /// Solves each stage once at the model's own bounds and keeps the bases
    /// (from the cache when these LPs were solved so before: the solves are
    /// deterministic, so the bases are the same).
    fn set_reference_bases(&mut self, net: &Network, inputs: &[InputBound]) {
        let own: Vec<f64> = inputs
            .iter()
            .map(|i| match i.kind {
                BoundKind::Lower | BoundKind::Fixed => net.reactions[i.reaction].lower,
                BoundKind::Upper => net.reactions[i.reaction].upper,
            })
            .collect();
        let key = cache::Key::new("bases", |h| {
            for stage in self.stages.iter().chain(&self.feasibility) {
                stage.lp.data.hash_into(h);
            }
            h.floats(&own);
            // The LPs hold the inputs' rows free; which side an input sets
            // decides the reference point as much as its value does.
            h.bytes(format!("{:?}", (self.options, &self.changing, self.stages.len(), &self.input_kinds)).as_bytes());
        });
        let fits = |bases: &Vec<Basis>| {
            bases.len() == self.stages.len() + usize::from(self.feasibility.is_some())
                && self.stages.iter().chain(&self.feasibility).zip(bases).all(|(s, b)| s.lp.fits(b))
        };
        if let Some(bases) = cache::read::<Vec<Basis>>(&key).filter(fits) {
            self.reference = bases.into_iter().map(Some).collect();
            return;
        }
        self.solve_reference_bases(&own);
        if let Some(bases) = self.reference.iter().cloned().collect::<Option<Vec<Basis>>>() {
            cache::write(&key, &bases);
        }
    }

    fn solve_reference_bases(&mut self, own: &[f64]) {
        let reuse = self.options.reuse;
        self.options.start = Start::Cold;
        self.options.reuse = false;
        let _ = self.solve(own);
        if let Some(f) = &mut self.feasibility {
            f.lp.reset();
            f.lp.solve();
        }
        self.reference = self.stages.iter().chain(&self.feasibility).map(|s| Some(s.lp.basis())).collect();
        // The first solve of each stage starts from its reference basis,
        // as it does when the bases come from the cache.
        for stage in self.stages.iter_mut().chain(&mut self.feasibility) {
            stage.solved_once = false;
        }
        self.options.start = Start::Reference;
        self.options.reuse = reuse;
    }

    /// Runs HiGHS on one stage from the start the options ask for.
    fn run(lp: &mut Lp, start: Start, reference: &Option<Basis>) -> Outcome {
        match (start, reference) {
            (Start::Reference, Some(basis)) => {
                // Clearing first drops what HiGHS keeps from earlier solves
                // (edge weights), which would otherwise steer the pivots.
                // The optimum is a few iterations from the reference basis:
                // fewer than steepest edge would spend on its weights
                // (≈ 30 % of the LP fed-batch's time).
                lp.reset();
                lp.set_basis(basis);
                lp.set_pricing(Pricing::Dantzig);
            }
            (Start::Cold, _) => {
                lp.reset();
                lp.set_pricing(Pricing::Choose);
            }
            _ => lp.set_pricing(Pricing::Choose),
        }
        lp.solve()
    }

    /// One stage at the bounds now set: from a cached basis if one is still
    /// optimal, else by HiGHS; the solution (of the optimal basis's map, so
    /// it does not depend on how the basis was found) into `cols`. False if
    /// the stage is infeasible.
    fn solve_stage(
        stage: &mut Stage,
        changing: &[usize],
        cols: &mut [f64],
        options: &Options,
        reference: &Option<Basis>,
        stats: &mut Stats,
    ) -> Result<bool, LpError> {
        if options.reuse && stage.maps.find_feasible(&stage.lp, cols) {
            stats.from_basis += 1;
            return Ok(true);
        }
        stats.by_highs += 1;
        let start = match (options.start, stage.used_for) {
            (Start::Reference, Use::Optimum) if options.reuse && stage.solved_once => Start::Warm,
            (start, _) => start,
        };
        let mut outcome = Self::run(&mut stage.lp, start, reference);
        // From a given basis HiGHS can end without an answer ("unknown":
        // seen on small random networks, from the last basis and from the
        // reference one); from the reference basis, then from scratch, it
        // has one.
        let unsettled = |o: Outcome| matches!(o, Outcome::Other(_));
        if unsettled(outcome) && start == Start::Warm && reference.is_some() {
            outcome = Self::run(&mut stage.lp, Start::Reference, reference);
        }
        if unsettled(outcome) && start != Start::Cold {
            outcome = Self::run(&mut stage.lp, Start::Cold, reference);
        }
        stage.solved_once = outcome == Outcome::Optimal;
        match outcome {
            Outcome::Optimal => {}
            Outcome::Infeasible => return Ok(false),
            Outcome::Unbounded => return Err(LpError::Unbounded),
            Outcome::Other(code) => return Err(LpError::NoOptimum { status: code.into() }),
        }
        if options.reuse {
            stage.maps.current(&mut stage.lp, &changing[..stage.changing], cols)?;
        } else {
            stage.lp.solution(cols);
        }
        Ok(true)
    }

    /// Stage `k` at the bounds now set; records its objective's optimum.
    fn stage(&mut self, k: usize) -> Result<bool, LpError> {
        self.stage_from(k, self.options.start)
    }

    /// Stage `k` with HiGHS started from scratch: the retry when it found
    /// the stage infeasible at the edge of a hold.
    fn stage_cold(&mut self, k: usize) -> Result<bool, LpError> {
        self.stage_from(k, Start::Cold)
    }

    fn stage_from(&mut self, k: usize, start: Start) -> Result<bool, LpError> {
        let options = Options { start, ..self.options };
        let stage = &mut self.stages[k];
        let found =
            Self::solve_stage(stage, &self.changing, &mut self.cols, &options, &self.reference[k], &mut self.stats)?;
        if let (true, Some(o)) = (found, stage.objective) {
            self.optima[o] = self.objective_at_cols(o);
        }
        Ok(found)
    }

    /// The least weighted slack that makes the first stage feasible.
    fn feasibility_stage(&mut self) -> Result<f64, LpError> {
        let Some(stage) = &mut self.feasibility else { return Ok(0.0) };
        let reference = &self.reference[self.stages.len()];
        if !Self::solve_stage(stage, &self.changing, &mut self.cols, &self.options, reference, &mut self.stats)? {
            return Err(LpError::NotRelaxable);
        }
        Ok(self.weighted_slack())
    }

    fn weighted_slack(&self) -> f64 {
        self.slacks.iter().map(|&(s, w)| w * self.cols[s]).sum::<f64>().max(0.0)
    }

    /// Allows `weighted` slack in every stage.
    /// (`looser` widens the margin above the least slack found.)
    fn allow_slack(&mut self, weighted: f64, looser: f64) {
        self.weighted_slack_allowed = weighted;
        let margin = 1e-9 * looser;
        let allowed = if weighted > 0.0 { weighted * (1.0 + margin) + margin } else { 0.0 };
        let row = self.changing[self.input_kinds.len()];
        for stage in &mut self.stages {
            stage.lp.set_row_bounds(row, 0.0, allowed);
        }
    }

    /// The value a later stage holds objective `o` at: its optimum less the
    /// tolerance (times `looser`).
    fn held(&self, o: usize, looser: f64) -> f64 {
        let optimum = self.optima[o];
        optimum - looser * self.options.tolerance * optimum.abs().max(1.0)
    }

    /// Stage `k`'s solution back into `cols` (a later stage overwrote it):
    /// from the map of its optimal basis, or from HiGHS, which keeps it.
    fn restore_solution(&mut self, k: usize) {
        let stage = &mut self.stages[k];
        match stage.maps.front_mut() {
            Some(map) if self.options.reuse => {
                map.evaluate(&stage.lp, &mut self.cols);
            }
            _ => stage.lp.solution(&mut self.cols),
        }
    }

    /// Holds, in stage `k`, every objective optimised before it.
    fn hold_objectives(&mut self, k: usize, looser: f64) {
        let n_in = self.input_kinds.len();
        for o in 0..self.stages[k].changing - n_in - 1 {
            let (row, hold) = (self.changing[n_in + 1 + o], self.held(o, looser));
            self.stages[k].lp.set_row_bounds(row, hold, INF);
        }
    }

    /// d(held value)/d(optimum).
    fn held_rate(&self, o: usize) -> f64 {
        let optimum = self.optima[o];
        if optimum.abs() > 1.0 { 1.0 - self.options.tolerance * optimum.signum() } else { 1.0 }
    }

    /// The first stage, relaxed if it must be; true if relaxed.
    fn first_stage(&mut self) -> Result<bool, SolveError> {
        // In the relaxed region, trying the plain LP first would cost a
        // HiGHS run to learn it is infeasible.
        if self.last_relaxed && self.options.reuse {
            let f = self.feasibility.as_mut().expect("relaxed calls have a feasibility stage");
            if f.maps.find_feasible(&f.lp, &mut self.cols) {
                let weighted = self.weighted_slack();
                if weighted > 1e-9 {
                    self.allow_slack(weighted, 1.0);
                    if self.stage(0)? {
                        return Ok(true);
                    }
                }
            }
        }
        self.allow_slack(0.0, 1.0);
        if self.stage(0)? {
            return Ok(false);
        }
        if self.options.policy != Policy::Relax {
            return Err(SolveError::Infeasible(self.options.policy));
        }
        let weighted = self.feasibility_stage()?;
        self.allow_slack(weighted, 1.0);
        if self.stage(0)? {
            return Ok(true);
        }
        // The least slack just found makes this stage feasible; if HiGHS
        // finds it infeasible, that is rounding at the edge of the
        // allowance (seen at uptake bounds of ±1e-9): from scratch with a
        // wider margin.
        for looser in [LOOSER_HOLD, LOOSER_HOLD * LOOSER_HOLD] {
            self.allow_slack(weighted, looser);
            if self.stage_cold(0)? {
                return Ok(true);
            }
        }
        Err(SolveError::Failed(LpError::RelaxedWithoutOptimum))
    }

    /// Solves at the given input bound values (one per input, in the order
    /// the inputs were given to `new`).
    pub fn solve(&mut self, values: &[f64]) -> Result<Solved, SolveError> {
        self.set_inputs(values);
        let relaxed = self.first_stage()?;
        self.last_relaxed = relaxed;
        self.stages_solved = 1;
        for k in 1..self.stages.len() {
            self.hold_objectives(k, 1.0);
            if self.stage(k)? {
                self.stages_solved = k + 1;
                continue;
            }
            // The optimum just found is a feasible point of this stage; if
            // HiGHS finds none, that is rounding at the edge of the hold
            // (seen at uptakes of ~1e-8): once more from scratch with the
            // hold loosened, then the answer of the stages before.
            self.hold_objectives(k, LOOSER_HOLD);
            if relaxed {
                self.allow_slack(self.weighted_slack_allowed, LOOSER_HOLD);
            }
            if self.stage_cold(k)? {
                self.stages_solved = k + 1;
                continue;
            }
            if relaxed {
                self.allow_slack(self.weighted_slack_allowed, 1.0);
            }
            self.restore_solution(k - 1);
            self.stats.fallbacks += 1;
            break;
        }
        for j in 0..self.n {
            self.fluxes[j] = self.cols[j] - self.cols[self.n + j];
        }
        // In the user's sense; + 0.0 turns a minimised −0 into 0.
        self.objective_value = self.first_sign * self.objective_at_cols(0) + 0.0;
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
    /// bases (where the solution is affine in the bounds): an input moves
    /// the first optimum (in the relaxed region also through the slack
    /// allowed), which moves what the later stages hold, and so on down the
    /// chain. `jac[o * n_inputs + i]` for the fluxes, then the objective and
    /// the slack. Needs `reuse`; `values` are the inputs of the last solve.
    pub fn jacobian(&mut self, values: &[f64], jac: &mut [f64]) -> Result<(), LpError> {
        if !self.options.reuse {
            return Err(LpError::DerivativeNeedsReuse);
        }
        let (n, n_in) = (self.n, values.len());
        let slack_row = n_in;
        // After a fallback the answer is the last stage solved.
        let solved = self.stages_solved;
        let last = self.stages[..solved].last().and_then(|s| s.maps.front()).ok_or(LpError::NotSolved)?;
        for i in 0..n_in {
            self.row_rates.fill(0.0);
            self.row_rates[i] = 1.0;
            if self.last_relaxed {
                let f = self.feasibility.as_ref().and_then(|f| f.maps.front()).ok_or(LpError::NoFeasibilityBasis)?;
                let weighted: f64 = self.slacks.iter().map(|&(s, w)| w * f.rate(&self.row_rates[..n_in], s)).sum();
                self.row_rates[slack_row] = (1.0 + 1e-9) * weighted;
            }
            // Each held objective moves with its stage's optimum.
            for k in 0..solved {
                let stage = &self.stages[k];
                let (Some(o), Some(map)) = (stage.objective, stage.maps.front()) else { continue };
                if k + 1 < solved {
                    let rates = &self.row_rates[..stage.changing];
                    let d_optimum: f64 = self.objectives[o]
                        .iter()
                        .map(|&(j, c)| c * (map.rate(rates, j) - map.rate(rates, n + j)))
                        .sum();
                    self.row_rates[n_in + 1 + o] = self.held_rate(o) * d_optimum;
                }
            }
            let last_changing = self.stages[solved - 1].changing;
            let rates = &self.row_rates[..last_changing];
            let flux_rate = |j: usize| last.rate(rates, j) - last.rate(rates, n + j);
            for j in 0..n {
                jac[j * n_in + i] = flux_rate(j);
            }
            jac[n * n_in + i] =
                self.first_sign * self.objectives[0].iter().map(|&(j, c)| c * flux_rate(j)).sum::<f64>();
            jac[(n + 1) * n_in + i] =
                if self.last_relaxed { self.slacks.iter().map(|&(s, _)| last.rate(rates, s)).sum() } else { 0.0 };
        }
        if jac.iter().all(|d| d.is_finite()) { Ok(()) } else { Err(LpError::DerivativeNotFinite) }
    }

    /// Objective `o` at the columns in `self.cols`.
    fn objective_at_cols(&self, o: usize) -> f64 {
        self.objectives[o].iter().map(|&(j, c)| c * (self.cols[j] - self.cols[self.n + j])).sum()
    }

    /// Sets input `k` to `v` in every LP.
    fn set_input(&mut self, k: usize, v: f64) {
        let row = self.changing[k];
        let (lo, hi) = match self.input_kinds[k] {
            BoundKind::Lower => (v, INF),
            BoundKind::Upper => (-INF, v),
            BoundKind::Fixed => (v, v),
        };
        for stage in self.stages.iter_mut().chain(&mut self.feasibility) {
            stage.lp.set_row_bounds(row, lo, hi);
        }
    }

    fn set_inputs(&mut self, values: &[f64]) {
        for (k, &v) in values.iter().enumerate() {
            self.set_input(k, v);
        }
    }
}

/// The LP's columns and rows, shared by every stage: v split into forward
/// and reverse parts, the balances, a row per input bound and per
/// requirement (a bound that excludes zero) with their slacks, the user
/// constraints, the weighted slack's row and a row holding each objective.
struct Matrix {
    b: Builder,
    /// Slack columns with their weights.
    slacks: Vec<(usize, f64)>,
    /// The rows whose bounds change between calls, in order: inputs, the
    /// slack row, the objectives' rows.
    changing: Vec<usize>,
    slack_row: usize,
}

impl Matrix {
    fn new(net: &Network, inputs: &[InputBound], objectives: &[Vec<(usize, f64)>]) -> Matrix {
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
        // (reaction, lower, upper) of each requirement's row.
        let mut requirements: Vec<(usize, f64, f64)> = Vec::new();
        for j in 0..n {
            if lower[j] > 0.0 {
                requirements.push((j, lower[j], INF));
                lower[j] = 0.0;
            } else if upper[j] < 0.0 {
                requirements.push((j, -INF, upper[j]));
                upper[j] = 0.0;
            }
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
        let mut changing = Vec::new();
        for i in inputs {
            let row = flux_row(&mut b, i.reaction, -INF, INF);
            changing.push(row);
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
        for &(j, lo, hi) in &requirements {
            let row = flux_row(&mut b, j, lo, hi);
            let s = b.col(0.0, INF);
            b.entry(s, row, if lo > 0.0 { 1.0 } else { -1.0 });
            slacks.push((s, 1.0));
        }
        // fbc v3's user-defined constraints, a row each; one that excludes
        // zero can give way under `relax`, as a requirement does.
        for c in &net.constraints {
            let row = b.row(c.lower, c.upper);
            for &(j, coefficient) in &c.terms {
                b.entry(j, row, coefficient);
                b.entry(n + j, row, -coefficient);
            }
            if c.lower > 0.0 || c.upper < 0.0 {
                let s = b.col(0.0, INF);
                b.entry(s, row, if c.lower > 0.0 { 1.0 } else { -1.0 });
                slacks.push((s, 1.0));
            }
        }
        let slack_row = b.row(0.0, 0.0);
        changing.push(slack_row);
        for &(s, w) in &slacks {
            b.entry(s, slack_row, w);
        }
        // Rows holding each objective, free until a later stage holds it.
        for objective in objectives {
            let row = b.row(-INF, INF);
            for &(j, c) in objective {
                b.entry(j, row, c);
                b.entry(n + j, row, -c);
            }
            changing.push(row);
        }
        Matrix { b, slacks, changing, slack_row }
    }
}
