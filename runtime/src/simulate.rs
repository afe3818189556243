//! Integration with diffsol: segment by segment between breakpoints, with
//! the JIT-compiled right-hand side and its symbolic Jacobian-vector product.
//!
//! Over 600 lines, and `simulate` over 150: the segment loop is
//! `segments::drive`, shared with `sensitivity::simulate_sensitivities`;
//! what stays here is the closures a run's solvers and events call (the
//! right-hand side, its Jacobian, roots, integration of a stretch, locating
//! a stop, firing events), which share the compiled model, the bound cells
//! and the counters, so they are built together in one function.

use crate::host::BoundCells;
use crate::sparse;
use bioflux_codegen::{CellContext, CompiledModel};
use bioflux_compiler::CheckedModel;
use bioflux_compiler::model::{Solver, StateLayout, Trigger};
use diffsol::{
    FaerSparseLU, FaerSparseMat, NalgebraLU, NalgebraMat, OdeBuilder, OdeEquations, OdeSolverMethod,
    OdeSolverStopReason, Vector,
};
use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

type M = NalgebraMat<f64>;
type LS = NalgebraLU<f64>;
type SparseM = FaerSparseMat<f64>;
type SparseLS = FaerSparseLU<f64>;

/// What to integrate over and how.
#[derive(Clone, Debug)]
pub struct Settings {
    pub start: f64,
    pub end: f64,
    /// Output interval; `None` gives 100 intervals.
    pub output_interval: Option<f64>,
    pub solver: Solver,
    pub rtol: f64,
    pub atol: f64,
    /// Set from elsewhere (Ctrl-C in the REPL) to end the run after the
    /// current step, keeping the rows so far.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// An output column: its name, the unit it is shown in, and the factor
/// from base units to that unit (shown = base / factor).
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub unit: String,
    pub factor: f64,
}

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub steps: usize,
    pub rhs_evaluations: usize,
    /// Jacobian-vector products (the dense Jacobian is built from them).
    pub jacobian_evaluations: usize,
    pub error_test_failures: usize,
    pub segments: usize,
    /// Events that fired (each occurrence counts).
    pub events: usize,
    pub final_time: f64,
    pub wall: Duration,
}

/// Why and where a run stopped early.
#[derive(Clone, Debug)]
pub struct Failure {
    pub time: f64,
    pub state: Vec<f64>,
    pub derivatives: Vec<f64>,
    pub message: String,
    pub cause: FailureCause,
}

/// What made a run fail, for the advice that goes with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureCause {
    /// A cell model answered with an error.
    Cell,
    /// A cell model answered NaN or infinity.
    CellOutputNotFinite,
    /// The state or its rate became NaN or infinite in the model's own
    /// expressions.
    NotFinite,
    /// The integrator gave up (step size, convergence) or could not start.
    Solver,
    /// Stopped by the user (Ctrl-C).
    Interrupted,
    /// An event's action could not be applied (a sample larger than the
    /// volume, a value that is not a number).
    Event,
}

impl FailureCause {
    /// One line of advice that fits this cause.
    pub fn help(self) -> &'static str {
        match self {
            FailureCause::Cell => {
                "the cell model could not answer at the inputs above; for an LP, `infeasible = relax` answers with slack where the LP is infeasible"
            }
            FailureCause::CellOutputNotFinite => {
                "the cell model's output is not a number at the inputs above; check the inputs' expressions (a division by a concentration that reached zero?)"
            }
            FailureCause::NotFinite => {
                "a NaN or infinite rate usually comes from a division by a concentration that reached zero; try `--solver bdf`, tighter tolerances, or guard the expression with max(..., 0)"
            }
            FailureCause::Solver => {
                "the integrator could not take a step; try tighter tolerances (--rtol, --atol), `--solver bdf` for stiff models, or look for a discontinuity at this time"
            }
            FailureCause::Interrupted => "the run was interrupted; the rows up to then are kept",
            FailureCause::Event => {
                "check the event's values against the state at that time (the rows just before it show the state)"
            }
        }
    }
}

/// Where and why a run ended early by the model's own rule (a cell's
/// `infeasible = stop`): a normal end, not a failure.
#[derive(Clone, Debug)]
pub struct Stop {
    pub time: f64,
    pub reason: String,
}

/// A watched cell's slack above this counts as infeasible (mmol/gDW/h for
/// the LP plugin: far below any flux that matters, far above its solver's
/// feasibility tolerance).
pub const STOP_SLACK: f64 = 1e-7;

/// Shorter stretches tried to find where a requested stop lies.
const MAX_STOP_REFINEMENTS: usize = 200;

/// The most negative value a species reached (solver error, not physics).
#[derive(Clone, Debug, PartialEq)]
pub struct Negative {
    pub species: String,
    pub value: f64,
    pub time: f64,
}

/// What a simulation produced: the output table (kept in full when the run
/// fails or stops part-way), the solver's statistics, and how it ended.
#[derive(Clone, Debug)]
pub struct Simulation {
    pub columns: Vec<Column>,
    /// Rows of t followed by the observables, in the columns' units.
    pub rows: Vec<Vec<f64>>,
    pub stats: Stats,
    /// `Some` when the run failed; `rows` hold what was computed.
    pub failure: Option<Failure>,
    /// `Some` when the model stopped the run; `rows` end at the stop.
    pub stop: Option<Stop>,
    pub negatives: Vec<Negative>,
    /// The events that fired, in order.
    pub events: Vec<crate::events::EventRecord>,
}

/// The state ([`StateLayout`]) a results row of [`columns`] holds: the
/// volume from `V`, each species' amount from its column (in its unit)
/// times the volume it is in.
pub fn state_of_row(model: &CheckedModel, params: &[f64], columns: &[Column], row: &[f64]) -> Vec<f64> {
    // Columns: t, V, then the species.
    let n_species = model.species.len();
    let mut x = vec![0.0; StateLayout::len(n_species)];
    x[StateLayout::VOLUME] = row[1];
    model.set_amounts(&mut x, params, row[0], |k| row[2 + k] * columns[2 + k].factor);
    x
}

/// The columns of a model's output: t, V, species, outputs.
pub fn columns(model: &CheckedModel) -> Vec<Column> {
    let mut cols = vec![
        Column { name: "t".into(), unit: "h".into(), factor: 1.0 },
        Column { name: "V".into(), unit: "L".into(), factor: 1.0 },
    ];
    for s in &model.species {
        cols.push(Column { name: s.name.clone(), unit: s.unit_text.clone(), factor: s.unit.factor });
    }
    for o in &model.outputs {
        let dim = match &o.value {
            bioflux_compiler::model::OutputValue::Let(i) => model.lets[*i].dim,
            bioflux_compiler::model::OutputValue::Param(i) => Some(model.params[i.index()].dim),
            bioflux_compiler::model::OutputValue::Species(i) => Some(model.species[i.index()].unit.dim),
            bioflux_compiler::model::OutputValue::CellOutput { .. } => None,
        };
        let unit = match dim {
            Some(d) if d.is_none() => "1".to_string(),
            Some(d) => d.to_string(),
            None => String::new(),
        };
        cols.push(Column { name: o.name.clone(), unit, factor: 1.0 });
    }
    if model.unitless {
        for c in &mut cols {
            c.unit.clear();
        }
    }
    cols
}

/// The model's columns, with each column that shows a cell's output (or a
/// `let` that is one) in the unit its plugin declares: fluxes in
/// mmol/gDW/h, growth in 1/h, as the species columns carry theirs.
pub fn columns_with_cells(model: &CheckedModel, cells: &BoundCells) -> Vec<Column> {
    use bioflux_compiler::model::{Expr, OutputValue};
    let mut cols = columns(model);
    let first = 2 + model.species.len();
    for (output, col) in model.outputs.iter().zip(&mut cols[first..]) {
        let port = match &output.value {
            OutputValue::CellOutput { cell, output } => Some((cell.index(), *output)),
            OutputValue::Let(i) => match &model.lets[*i].value {
                Expr::CellOutput { cell, output } => Some((cell.index(), *output)),
                _ => None,
            },
            _ => None,
        };
        let declared = port.and_then(|(c, k)| {
            let slot = *cells.layouts.get(c)?.output_slots.get(k)? as usize;
            cells.cells.get(c)?.instance.outputs.get(slot).map(|p| p.unit.clone())
        });
        // A plugin's ports are in base units (the host checks it when binding).
        if let Some(unit) = declared.filter(|u| !u.trim().is_empty())
            && col.unit.is_empty()
        {
            col.unit = unit;
        }
    }
    cols
}

/// Records output rows at the requested times.
struct Recorder<'c> {
    compiled: &'c CompiledModel,
    /// The parameters now (events may change them).
    params: Vec<f64>,
    ctx: *mut CellContext,
    times: Vec<f64>,
    next: usize,
    factors: Vec<f64>,
    rows: Vec<Vec<f64>>,
    /// Lowest concentration (base units) and its time, per species.
    lowest: Vec<(f64, f64)>,
    observed: Vec<f64>,
}

impl Recorder<'_> {
    fn due(&self, t: f64) -> Option<f64> {
        let tau = *self.times.get(self.next)?;
        (tau <= t + 1e-12 * t.abs().max(1.0)).then_some(tau)
    }

    fn record(&mut self, tau: f64, y: &[f64]) {
        self.row(tau, y);
        self.next += 1;
    }

    /// A row at `tau` that is not one of the requested output times (just
    /// before or after an event, or where the run stopped).
    fn row(&mut self, tau: f64, y: &[f64]) {
        // SAFETY: `observe` reads n_states values of `y` and params, and
        // writes n_observables values of `observed`, as compiled.
        let status = unsafe {
            (self.compiled.observe)(tau, y.as_ptr(), self.params.as_ptr(), self.observed.as_mut_ptr(), self.ctx)
        };
        if status != 0 {
            // A cell model failed here: the RHS at this state fails too and
            // reports it; this row must not show stale outputs.
            self.observed.fill(f64::NAN);
        }
        let mut row = Vec::with_capacity(self.observed.len() + 1);
        row.push(tau);
        for (v, f) in self.observed.iter().zip(&self.factors[1..]) {
            row.push(v / f);
        }
        for (k, low) in self.lowest.iter_mut().enumerate() {
            let c = self.observed[1 + k];
            if c < low.0 {
                *low = (c, tau);
            }
        }
        self.rows.push(row);
    }
}

/// The output times: start, every interval, and the end.
fn output_times(s: &Settings) -> Vec<f64> {
    let dt = s.output_interval.unwrap_or((s.end - s.start) / 100.0);
    let mut times = Vec::new();
    let mut k = 0u64;
    loop {
        let t = s.start + k as f64 * dt;
        if t >= s.end - 1e-9 * dt {
            break;
        }
        times.push(t);
        k += 1;
    }
    times.push(s.end);
    times
}

/// What a cell model said that ends the run.
pub(crate) enum CellProblem {
    /// The model's own rule (`infeasible = stop`): a normal end.
    Stop(String),
    Failed(FailureCause, String),
}

impl CellProblem {
    pub(crate) fn message(self) -> String {
        match self {
            CellProblem::Stop(m) | CellProblem::Failed(_, m) => m,
        }
    }
}

/// A cell's inputs as the plugin names them: `S = 0.048, Q = 0.372`.
fn named_inputs(cell: &crate::host::BoundCell) -> String {
    let pairs: Vec<String> =
        cell.instance.inputs.iter().zip(&cell.inputs).map(|(port, v)| format!("{} = {v}", port.name)).collect();
    if pairs.is_empty() { "no inputs".to_string() } else { pairs.join(", ") }
}

/// Why a cell model stopped the run, in words (a stop, a failing status or
/// a non-finite output), found right after the call that went wrong.
pub(crate) fn cell_problem(cells: &BoundCells, ctx: *const CellContext, status: i32) -> Option<CellProblem> {
    if status == bioflux_plugin::Status::Stop as i32 {
        // SAFETY: the generated code wrote failed_cell before returning.
        let c = unsafe { (*ctx).failed_cell } as usize;
        let cell = cells.cells.get(c)?;
        return Some(CellProblem::Stop(format!("cell `{}`: {}", cell.name, cell.instance.last_error())));
    }
    if status != 0 {
        // SAFETY: the generated code wrote failed_cell before returning.
        let c = unsafe { (*ctx).failed_cell } as usize;
        let cell = cells.cells.get(c)?;
        let message = cell.instance.last_error();
        return Some(CellProblem::Failed(
            FailureCause::Cell,
            format!(
                "cell `{}` (plugin `{}`) failed with status {status} at {}: {}",
                cell.name,
                cell.instance.plugin.name,
                named_inputs(cell),
                if message.is_empty() { "(no message)" } else { &message }
            ),
        ));
    }
    let (c, o) = cells.non_finite_output()?;
    let cell = &cells.cells[c];
    Some(CellProblem::Failed(
        FailureCause::CellOutputNotFinite,
        format!(
            "cell `{}` (plugin `{}`) returned {} for output `{}` at {}",
            cell.name,
            cell.instance.plugin.name,
            cell.outputs[o],
            cell.instance.outputs[o].name,
            named_inputs(cell)
        ),
    ))
}

/// Simulates `model` (compiled as `compiled`, its cells bound to plugins
/// in `cells`) with parameter values `params` from the initial state `x0`.
/// (Over 150 lines: the closures it builds share its state; the module
/// doc says why they stay together.)
pub fn simulate(
    model: &CheckedModel,
    compiled: &CompiledModel,
    params: &[f64],
    x0: &[f64],
    s: &Settings,
    cells: &mut BoundCells,
) -> Simulation {
    let wall = Instant::now();
    let n = compiled.n_states;
    let mut ctx = CellContext { cells: cells.slots(), failed_cell: -1 };
    let ctx_ptr: *mut CellContext = &mut ctx;
    let cells: &BoundCells = cells;
    let has_cells = !cells.cells.is_empty();
    let rhs_calls = Cell::new(0usize);
    let jvp_calls = Cell::new(0usize);
    // The first cell-model problem, kept for the report.
    let cell_failure: RefCell<Option<CellProblem>> = RefCell::new(None);
    let check = |status: i32, y: &mut [f64]| {
        if (status != 0 || has_cells)
            && let Some(p) = cell_problem(cells, ctx_ptr, status)
        {
            cell_failure.borrow_mut().get_or_insert(p);
            y.fill(f64::NAN);
        }
    };
    // After a cell model failed, the solver may retry smaller steps; the
    // plugin is not called again, the run just ends.
    let failed = || cell_failure.borrow().is_some();
    let rhs = |x: &[f64], p: &[f64], t: f64, y: &mut [f64]| {
        if failed() {
            y.fill(f64::NAN);
            return;
        }
        rhs_calls.set(rhs_calls.get() + 1);
        // SAFETY: x, p, y have the lengths the function was compiled for;
        // the context points at the bound cells' slots.
        let status = unsafe { (compiled.rhs)(t, x.as_ptr(), p.as_ptr(), y.as_mut_ptr(), ctx_ptr) };
        check(status, y);
    };
    let jvp = |x: &[f64], p: &[f64], t: f64, v: &[f64], y: &mut [f64]| {
        if failed() {
            y.fill(f64::NAN);
            return;
        }
        jvp_calls.set(jvp_calls.get() + 1);
        // SAFETY: as above, with v of length n.
        let status = unsafe { (compiled.jvp)(t, x.as_ptr(), p.as_ptr(), v.as_ptr(), y.as_mut_ptr(), ctx_ptr) };
        check(status, y);
    };

    // Rows too wide to colour come from their gradients (reverse mode).
    let unused_direction = vec![0.0; n];
    let (unused_direction, jvp_calls_ref, failed_ref, check_ref) = (&unused_direction, &jvp_calls, &failed, &check);
    let row_gradients = compiled.row_gradients.map(|gradients| {
        move |x: &[f64], p: &[f64], t: f64, out: &mut [f64]| {
            let (jvp_calls, failed, check) = (jvp_calls_ref, failed_ref, check_ref);
            if failed() {
                out.fill(f64::NAN);
                return;
            }
            jvp_calls.set(jvp_calls.get() + 1);
            // SAFETY: as for `jvp`; out has one entry per wide row's column.
            let status =
                unsafe { gradients(t, x.as_ptr(), p.as_ptr(), unused_direction.as_ptr(), out.as_mut_ptr(), ctx_ptr) };
            check(status, out);
        }
    });

    let cols = columns_with_cells(model, cells);
    let mut rec = Recorder {
        compiled,
        params: params.to_vec(),
        ctx: ctx_ptr,
        times: output_times(s),
        next: 0,
        factors: cols.iter().map(|c| c.factor).collect(),
        rows: Vec::new(),
        lowest: vec![(0.0, s.start); model.species.len()],
        observed: vec![0.0; compiled.n_observables],
    };
    let mut stats = Stats::default();
    let failure = None;
    let mut stop = None;
    let mut events = Vec::new();
    let y = x0.to_vec();
    let t = s.start;
    rec.record(t, &y);

    let n_margins = compiled.n_margins;
    let margins = |x: &[f64], p: &[f64], t: f64, g: &mut [f64]| {
        if failed() {
            g.fill(0.0);
            return;
        }
        // SAFETY: x, p have the compiled lengths, g has n_margins entries.
        let status = unsafe { (compiled.margins)(t, x.as_ptr(), p.as_ptr(), g.as_mut_ptr(), ctx_ptr) };
        if status != 0 {
            g.fill(0.0);
        }
    };

    // Cells whose `infeasible = stop` is watched by their slack: roots
    // after the `when` margins, positive while the LP is feasible.
    let watches = cells.stop_watches();
    let n_roots = n_margins + watches.len();
    let scratch = RefCell::new(vec![0.0; n]);
    // A margin exactly on zero takes the sign of its truth there (true
    // for `<=`/`>=`): the root finder then sees only changes of truth,
    // not a margin an action left on zero, a root at every step.
    let zero_sign: Vec<f64> = model
        .events
        .iter()
        .filter_map(|e| match e.trigger {
            Trigger::When { inclusive, .. } => Some(if inclusive { f64::MIN_POSITIVE } else { -f64::MIN_POSITIVE }),
            Trigger::At { .. } => None,
        })
        .collect();
    let roots = |x: &[f64], p: &[f64], t: f64, g: &mut [f64]| {
        margins(x, p, t, &mut g[..n_margins]);
        for (j, gj) in g[..n_margins].iter_mut().enumerate() {
            if *gj == 0.0 {
                *gj = zero_sign.get(j).copied().unwrap_or(-f64::MIN_POSITIVE);
            }
        }
        if watches.is_empty() {
            return;
        }
        let mut dx = scratch.borrow_mut();
        // SAFETY: as for `rhs`; the call refreshes the cells' outputs.
        let status = unsafe { (compiled.rhs)(t, x.as_ptr(), p.as_ptr(), dx.as_mut_ptr(), ctx_ptr) };
        for (i, &(c, slot)) in watches.iter().enumerate() {
            let slack = cells.cells[c].outputs[slot];
            g[n_margins + i] = if status == 0 && slack.is_finite() { STOP_SLACK - slack } else { 0.0 };
        }
    };
    // The watched cell that is infeasible at (t, x), if any.
    let infeasible_here = |x: &[f64], p: &[f64], t: f64| {
        let mut g = vec![0.0; n_roots];
        roots(x, p, t, &mut g);
        let i = (0..watches.len()).find(|&i| g[n_margins + i] < 0.0)?;
        let name = &cells.cells[watches[i].0].name;
        Some(format!(
            "cell `{name}`: the LP is infeasible from here on (its slack leaves zero; `infeasible = stop` ends the run)"
        ))
    };

    // Large models with few couplings per state: a sparse Jacobian on the
    // IR's pattern (implicit solvers only; the explicit one needs none).
    // A pattern diffsol refused (never seen) would leave the dense path.
    let sparse_rhs = (sparse::prefers_sparse(&compiled.jacobian_pattern) && s.solver != Solver::Tsit45)
        .then(|| {
            let entries = sparse::pattern_with_diagonal(&compiled.jacobian_pattern);
            let wide = row_gradients.as_ref().map(|g| (g, compiled.wide_rows.as_slice()));
            sparse::Rhs::<SparseM, _, _, _>::new(&rhs, &jvp, wide, n, params.len(), &entries)
        })
        .flatten();
    // One stretch of integration from (t0, y0) to `end` with a fresh
    // solver, ending early where a `when` condition crosses.
    let integrate = |t0: f64, y0: &[f64], end: f64, p: &[f64], rec: &mut Recorder, stats: &mut Stats| {
        let start = y0.to_vec();
        let setup = |e: diffsol::DiffsolError| SegmentFailure {
            time: t0,
            state: y0.to_vec(),
            message: format!("could not start the solver: {e}"),
            cause: FailureCause::Solver,
        };
        let cancel = s.cancel.as_deref();
        if let Some(sparse_rhs) = &sparse_rhs {
            let init = move |_p: &[f64], _t: f64, out: &mut [f64]| out.copy_from_slice(&start);
            let equations = sparse::Equations::new(sparse_rhs, init, roots, n_roots, p);
            let problem = OdeBuilder::<SparseM>::new()
                .t0(t0)
                .rtol(s.rtol)
                .atol([s.atol])
                .p(p.iter().copied())
                .build_from_eqn(equations)
                .map_err(setup)?;
            return match s.solver {
                Solver::Esdirk34 => problem
                    .esdirk34::<SparseLS>()
                    .map_err(setup)
                    .and_then(|sv| run_segment(sv, end, rec, stats, cancel)),
                _ => problem.bdf::<SparseLS>().map_err(setup).and_then(|sv| run_segment(sv, end, rec, stats, cancel)),
            };
        }
        let problem = OdeBuilder::<M>::new()
            .t0(t0)
            .rtol(s.rtol)
            .atol([s.atol])
            .p(p.iter().copied())
            .rhs_implicit(&rhs, &jvp)
            .init(move |_p: &[f64], _t: f64, out: &mut [f64]| out.copy_from_slice(&start), n)
            .root(roots, n_roots)
            .build()
            .map_err(|e| SegmentFailure {
                time: t0,
                state: y0.to_vec(),
                message: format!("could not set up the solver: {e}"),
                cause: FailureCause::Solver,
            })?;
        match s.solver {
            Solver::Bdf => problem.bdf::<LS>().map_err(setup).and_then(|sv| run_segment(sv, end, rec, stats, cancel)),
            Solver::Esdirk34 => {
                problem.esdirk34::<LS>().map_err(setup).and_then(|sv| run_segment(sv, end, rec, stats, cancel))
            }
            Solver::Tsit45 => problem.tsit45().map_err(setup).and_then(|sv| run_segment(sv, end, rec, stats, cancel)),
        }
    };
    // A stop the model asks for lies between the last accepted step and
    // the trial that failed: shorter and shorter stretches from the last
    // state that was fine find the boundary to a relative 1e-7 in time.
    // Returns the boundary's time and state, and the cell's last word there.
    let locate_stop = |mut time: f64,
                       mut state: Vec<f64>,
                       mut reason: String,
                       end: f64,
                       p: &[f64],
                       rec: &mut Recorder,
                       stats: &mut Stats| {
        let mut dt = (end - time).min(0.1 * (1.0 + time.abs()));
        for _ in 0..MAX_STOP_REFINEMENTS {
            if dt <= 1e-7 * (1.0 + time.abs()) {
                break;
            }
            match integrate(time, &state, (time + dt).min(end), p, rec, stats) {
                Ok(reached) => {
                    time = reached.time;
                    state = reached.state;
                    if time >= end {
                        break;
                    }
                }
                Err(f) => {
                    let Some(CellProblem::Stop(closer)) = cell_failure.borrow_mut().take() else { break };
                    reason = closer;
                    if f.time > time {
                        (time, state) = (f.time, f.state);
                    }
                    dt /= 2.0;
                }
            }
        }
        (time, state, reason)
    };

    // Fires the events due at (t, y): the rows just before and after, the
    // log, and a stop or a failure if that is what they lead to.
    let mut watch = crate::events::Watch::new(model);
    {
        let mut g = vec![0.0; n_margins];
        margins(&y, &rec.params, t, &mut g);
        watch.start(&g);
    }
    // The actions of `when … after` events waiting for their time: the
    // events fill it, the segment loop stops at its times.
    let delayed = RefCell::new(crate::events::Delayed::default());
    let mut fire = |due: &[usize], at_root: bool, t: f64, y: &mut Vec<f64>, rec: &mut Recorder, stats: &mut Stats| {
        let before = y.clone();
        let mut p = rec.params.clone();
        let mut at_t = |x: &[f64], p: &[f64], g: &mut [f64]| margins(x, p, t, g);
        let mut waiting = delayed.borrow_mut();
        let (records, stops) = crate::events::fire(
            model,
            &mut watch,
            Some(&mut waiting),
            due,
            at_root,
            t,
            y,
            &mut p,
            &mut [],
            &mut at_t,
            n_margins,
        )
        .map_err(|e| (before.clone(), e.0))?;
        if records.is_empty() {
            return Ok(None);
        }
        if stats.events + records.len() > crate::events::MAX_EVENTS {
            let message = format!(
                "more than {} events: does a `when` event's action keep making its condition false and true again?",
                crate::events::MAX_EVENTS
            );
            return Err((before.clone(), message));
        }
        if rec.rows.last().is_none_or(|row| row[0] < t) {
            rec.row(t, &before);
        }
        let changed = *y != before || p != rec.params;
        rec.params = p;
        if changed {
            rec.row(t, y);
        }
        stats.events += records.len();
        let stop = stops.then(|| {
            let last = records.iter().rev().find(|r| r.changes.iter().any(|c| c.target == "run"));
            let label = last.map_or(String::new(), |r| r.label.clone());
            Stop { time: t, reason: format!("event `{label}`") }
        });
        events.extend(records);
        Ok(stop)
    };

    let mut schedule = match crate::events::Schedule::new(model, params, s.start, s.end) {
        Ok(schedule) => schedule,
        Err(message) => {
            let failure = Some(fail(t, &y, &rhs, params, FailureCause::Event, message.to_string()));
            stats.wall = wall.elapsed();
            return Simulation { columns: cols, rows: rec.rows, stats, failure, stop: None, negatives: vec![], events };
        }
    };
    let event_failure = |t: f64, (state, message): (Vec<f64>, String), p: &[f64]| {
        fail(t, &state, &rhs, p, FailureCause::Event, message)
    };
    if let Some(reason) = infeasible_here(&y, params, t) {
        stop = Some(Stop { time: t, reason });
    }
    let failure_at = |time: f64, state: &[f64], p: &[f64], cause: FailureCause, message: String| {
        fail(time, state, &rhs, p, cause, message)
    };
    let mut run = PlainRun {
        integrate: &integrate,
        infeasible_here: &infeasible_here,
        fire: &mut fire,
        locate_stop: &locate_stop,
        event_failure: &event_failure,
        failure_at: &failure_at,
        cell_failure: &cell_failure,
        delayed: &delayed,
        t,
        y,
        rec: &mut rec,
        stats: &mut stats,
        stop,
        failure,
    };
    crate::segments::drive(&mut schedule, t, &mut run);
    let PlainRun { t, stop, failure, .. } = run;
    stats.final_time = t;
    stats.rhs_evaluations = rhs_calls.get();
    stats.jacobian_evaluations = jvp_calls.get();
    stats.wall = wall.elapsed();
    let negatives = model
        .species
        .iter()
        .zip(&rec.lowest)
        .filter(|(_, low)| low.0 < 0.0)
        .map(|(sp, low)| Negative { species: sp.name.clone(), value: low.0 / sp.unit.factor, time: low.1 })
        .collect();
    Simulation { columns: cols, rows: rec.rows, stats, failure, stop, negatives, events }
}

/// A plain run's steps for the segment loop (`segments::drive`): the
/// closures `simulate` builds over its compiled model and cells, and the
/// state that goes from stretch to stretch.
// The closures' types, spelled out: they are the drivers' own steps.
#[allow(clippy::type_complexity)]
struct PlainRun<'r, 'c> {
    integrate: &'r dyn Fn(f64, &[f64], f64, &[f64], &mut Recorder<'c>, &mut Stats) -> Result<Reached, SegmentFailure>,
    infeasible_here: &'r dyn Fn(&[f64], &[f64], f64) -> Option<String>,
    fire: &'r mut dyn FnMut(
        &[usize],
        bool,
        f64,
        &mut Vec<f64>,
        &mut Recorder<'c>,
        &mut Stats,
    ) -> Result<Option<Stop>, (Vec<f64>, String)>,
    locate_stop:
        &'r dyn Fn(f64, Vec<f64>, String, f64, &[f64], &mut Recorder<'c>, &mut Stats) -> (f64, Vec<f64>, String),
    event_failure: &'r dyn Fn(f64, (Vec<f64>, String), &[f64]) -> Failure,
    failure_at: &'r dyn Fn(f64, &[f64], &[f64], FailureCause, String) -> Failure,
    cell_failure: &'r RefCell<Option<CellProblem>>,
    delayed: &'r RefCell<crate::events::Delayed>,
    t: f64,
    y: Vec<f64>,
    rec: &'r mut Recorder<'c>,
    stats: &'r mut Stats,
    stop: Option<Stop>,
    failure: Option<Failure>,
}

impl crate::segments::Segments for PlainRun<'_, '_> {
    fn fire(&mut self, due: &[usize], root: Option<Option<usize>>) -> bool {
        match (self.fire)(due, root.is_some(), self.t, &mut self.y, self.rec, self.stats) {
            Ok(Some(s)) => self.stop = Some(s),
            Ok(None) => {}
            Err(e) => self.failure = Some((self.event_failure)(self.t, e, &self.rec.params)),
        }
        !self.finished()
    }

    fn integrate(&mut self, end: f64) -> crate::segments::Stretch {
        use crate::segments::Stretch;
        let p = self.rec.params.clone();
        match (self.integrate)(self.t, &self.y, end, &p, self.rec, self.stats) {
            Ok(Reached { time, state, root }) => {
                (self.t, self.y) = (time, state);
                if !root {
                    return Stretch::Reached;
                }
                if let Some(reason) = (self.infeasible_here)(&self.y, &p, self.t) {
                    // The run ends at the boundary, with a row there.
                    if self.rec.rows.last().is_none_or(|row| row[0] < self.t) {
                        self.rec.row(self.t, &self.y);
                    }
                    self.stop = Some(Stop { time: self.t, reason });
                    return Stretch::Over;
                }
                // A `when` condition crossed: what it makes due fires, and
                // the run goes on from there with a fresh solver.
                Stretch::Root(None)
            }
            Err(SegmentFailure { time, state, message, cause }) => {
                // A cell model's own report explains more than the solver's.
                let problem = self.cell_failure.borrow_mut().take();
                if let Some(CellProblem::Stop(reason)) = problem {
                    let (time, state, reason) = (self.locate_stop)(time, state, reason, end, &p, self.rec, self.stats);
                    // The run ends at the boundary, with a row there.
                    if self.rec.rows.last().is_none_or(|row| row[0] < time) {
                        self.rec.row(time, &state);
                    }
                    self.stop = Some(Stop { time, reason });
                } else {
                    let (cause, message) = match problem {
                        Some(CellProblem::Failed(cause, message)) => (cause, message),
                        _ => (cause, message),
                    };
                    self.failure = Some((self.failure_at)(time, &state, &p, cause, message));
                }
                self.t = time;
                Stretch::Over
            }
        }
    }

    fn finished(&self) -> bool {
        self.stop.is_some() || self.failure.is_some()
    }

    fn at_stop(&mut self, _end: f64) -> f64 {
        self.t
    }

    fn next_delayed(&self) -> Option<f64> {
        self.delayed.borrow().next_time()
    }

    fn segment(&mut self) {
        self.stats.segments += 1;
    }
}

/// Where a stretch of integration ended: its end, or a `when` crossing.
struct Reached {
    time: f64,
    state: Vec<f64>,
    /// A `when` condition's margin crossed zero here.
    root: bool,
}

struct SegmentFailure {
    time: f64,
    state: Vec<f64>,
    message: String,
    cause: FailureCause,
}

/// Steps `solver` to `end`, recording the outputs that fall due.
fn run_segment<'a, Eqn, S>(
    mut solver: S,
    end: f64,
    rec: &mut Recorder,
    stats: &mut Stats,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<Reached, SegmentFailure>
where
    Eqn: OdeEquations<T = f64> + 'a,
    S: OdeSolverMethod<'a, Eqn>,
{
    let t0 = solver.state().t;
    let here = |solver: &S| (solver.state().t, solver.state().y.clone_as_vec());
    // The stop time is set only before the step that would pass it: the
    // solver shortens its next step to land on it by rescaling its history,
    // and a large rescale makes interpolation inside the step just taken
    // inaccurate (outputs off by 0.4 % on a linear solution before this).
    // Setting it after those outputs are recorded shortens the same step.
    let mut stop_set = false;
    let result = 'stepping: loop {
        let (t_now, h_next) = (solver.state().t, solver.state().h);
        if !stop_set && t_now + h_next >= end - 1e-12 * end.abs().max(1.0) {
            stop_set = true;
            if let Err(e) = solver.set_stop_time(end) {
                let (time, state) = here(&solver);
                break Err(SegmentFailure { time, state, message: e.to_string(), cause: FailureCause::Solver });
            }
            if (solver.state().t - end).abs() <= 1e-12 * end.abs().max(1.0) {
                let (time, state) = here(&solver);
                while let Some(tau) = rec.due(time) {
                    rec.record(tau, &state);
                }
                break Ok(Reached { time, state, root: false });
            }
        }
        match solver.step() {
            Ok(reason) => {
                let (mut t, mut y) = here(&solver);
                if cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed)) {
                    let cause = FailureCause::Interrupted;
                    break Err(SegmentFailure { time: t, state: y, message: "interrupted".into(), cause });
                }
                if y.iter().any(|v| !v.is_finite()) {
                    break Err(SegmentFailure {
                        time: t,
                        state: y,
                        message: "the state is no longer finite (NaN or infinite)".into(),
                        cause: FailureCause::NotFinite,
                    });
                }
                // A crossing right where this stretch began is the one just
                // handled; the step goes on from there.
                let root = match reason {
                    OdeSolverStopReason::RootFound(t_root, _) if t_root > t0 => match solver.interpolate(t_root) {
                        Ok(y_root) => {
                            (t, y) = (t_root, y_root.clone_as_vec());
                            true
                        }
                        Err(e) => {
                            let message = format!("could not interpolate the state at an event (t = {t_root}): {e}");
                            break Err(SegmentFailure { time: t, state: y, message, cause: FailureCause::Solver });
                        }
                    },
                    _ => false,
                };
                while let Some(tau) = rec.due(t) {
                    if tau >= t {
                        rec.record(tau, &y);
                    } else {
                        match solver.interpolate(tau) {
                            Ok(yi) => rec.record(tau, &yi.clone_as_vec()),
                            Err(e) => {
                                let message = format!("could not interpolate the output at t = {tau}: {e}");
                                let cause = FailureCause::Solver;
                                break 'stepping Err(SegmentFailure { time: t, state: y, message, cause });
                            }
                        }
                    }
                }
                if root {
                    break Ok(Reached { time: t, state: y, root: true });
                }
                if matches!(reason, OdeSolverStopReason::TstopReached) {
                    break Ok(Reached { time: t, state: y, root: false });
                }
            }
            Err(e) => {
                // `fail` tells NaN rates (the model's) from the solver's own trouble.
                let (time, state) = here(&solver);
                break Err(SegmentFailure { time, state, message: e.to_string(), cause: FailureCause::Solver });
            }
        }
    };
    let st = solver.get_statistics();
    stats.steps += st.number_of_steps;
    stats.error_test_failures += st.number_of_error_test_failures;
    result
}

fn fail(
    time: f64,
    state: &[f64],
    rhs: &impl Fn(&[f64], &[f64], f64, &mut [f64]),
    params: &[f64],
    cause: FailureCause,
    message: String,
) -> Failure {
    let mut derivatives = vec![0.0; state.len()];
    if !state.is_empty() {
        rhs(state, params, time, &mut derivatives);
    }
    // A solver failure with rates that are not numbers is the model's.
    let cause = if cause == FailureCause::Solver && derivatives.iter().any(|d| !d.is_finite()) {
        FailureCause::NotFinite
    } else {
        cause
    };
    Failure { time, state: state.to_vec(), derivatives, message, cause }
}
