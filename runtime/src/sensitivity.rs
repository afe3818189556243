//! Forward sensitivities: the model's observables and their derivatives
//! with respect to a few directions in parameter space (the fitted
//! parameters), integrated by diffsol's BDF together with the state.
//!
//! The sensitivity equations ṡ = ∂f/∂x·s + ∂f/∂p·dp/dθ use the JIT's
//! symbolic J·v and ∂f/∂p·v; through a cell model both go by the chain
//! rule with the plugin's d(outputs)/d(inputs) (exact for the LP within
//! its optimal basis). Between breakpoints the state and its
//! sensitivities are continuous, so each segment starts from where the
//! last one ended.

use crate::host::BoundCells;
use crate::simulate::{CellProblem, Failure, FailureCause, Settings, cell_problem, columns};
use bioflux_codegen::{CellContext, CompiledModel, SensitivityFns};
use bioflux_compiler::CheckedModel;
use diffsol::{
    NalgebraLU, NalgebraMat, OdeBuilder, OdeSolverMethod, OdeSolverStopReason, Vector, VectorCommon, VectorView,
};
use std::cell::{Cell, RefCell};

/// A trajectory taking more steps than this is given up: an optimiser's
/// trial parameters can make a model so stiff that following it would take
/// hours, and such a trial is better rejected (a usual run takes hundreds).
pub const MAX_STEPS: usize = 20_000;

type M = NalgebraMat<f64>;
type LS = NalgebraLU<f64>;

/// The directions to follow: column k is d(·)/dθ_k.
#[derive(Clone, Debug)]
pub struct Directions {
    /// dp/dθ_k over the whole parameter vector.
    pub params: Vec<Vec<f64>>,
    /// dx0/dθ_k over the initial state.
    pub initial: Vec<Vec<f64>>,
}

/// Observables and their derivatives at the requested times, in the
/// output columns' units (after t: V, species, outputs).
#[derive(Clone, Debug, Default)]
pub struct Trajectory {
    pub times: Vec<f64>,
    /// One row per time.
    pub values: Vec<Vec<f64>>,
    /// `derivatives[time][k][column]` = d value / dθ_k.
    pub derivatives: Vec<Vec<Vec<f64>>>,
    pub rhs_evaluations: usize,
    pub steps: usize,
}

/// Integrates from the initial state of `params` and reports observables
/// and their sensitivities along `directions` at `times` (sorted, within
/// the settings' start and end). `compiled` must carry sensitivity
/// functions (`jit::compile_with_sensitivities`).
// Over 150 lines: as `simulate`, the closures the solver and the events
// call share the compiled functions, the cells and the current parameters;
// the segment loop is `segments::drive`.
pub fn simulate_sensitivities(
    model: &CheckedModel,
    compiled: &CompiledModel,
    params: &[f64],
    directions: &Directions,
    times: &[f64],
    s: &Settings,
    cells: &mut BoundCells,
) -> Result<Trajectory, Failure> {
    let x0 = &crate::params::initial_state(model, params)[..];
    let fns: SensitivityFns = compiled.sensitivities.ok_or_else(|| Failure {
        time: s.start,
        state: x0.to_vec(),
        derivatives: vec![],
        message: "the model was compiled without sensitivity functions".into(),
        cause: FailureCause::Solver,
    })?;
    let n = compiled.n_states;
    let k = directions.params.len();
    let mut ctx = CellContext { cells: cells.slots(), failed_cell: -1 };
    let ctx_ptr: *mut CellContext = &mut ctx;
    let cells: &BoundCells = cells;
    let rhs_calls = Cell::new(0usize);
    let failed = Cell::new(false);
    // The parameters and their directions now: events may change both.
    let current = RefCell::new(params.to_vec());
    let current_dp = RefCell::new(directions.params.clone());
    let status_ok = |status: i32, y: &mut [f64]| {
        if status != 0 {
            failed.set(true);
            y.fill(f64::NAN);
        }
    };
    let rhs = |x: &[f64], _p: &[f64], t: f64, y: &mut [f64]| {
        rhs_calls.set(rhs_calls.get() + 1);
        let params = current.borrow();
        // SAFETY: x, params, y have the compiled lengths; ctx holds the slots.
        let status = unsafe { (compiled.rhs)(t, x.as_ptr(), params.as_ptr(), y.as_mut_ptr(), ctx_ptr) };
        status_ok(status, y);
    };
    let jvp = |x: &[f64], _p: &[f64], t: f64, v: &[f64], y: &mut [f64]| {
        let params = current.borrow();
        // SAFETY: as above, with v of length n.
        let status = unsafe { (compiled.jvp)(t, x.as_ptr(), params.as_ptr(), v.as_ptr(), y.as_mut_ptr(), ctx_ptr) };
        status_ok(status, y);
    };
    // dp = Σ_k v_k dp/dθ_k, in a buffer made once.
    let dp = RefCell::new(vec![0.0; params.len()]);
    let rhs_sens = |x: &[f64], _p: &[f64], t: f64, v: &[f64], y: &mut [f64]| {
        let mut dp = dp.borrow_mut();
        combine(&current_dp.borrow(), v, &mut dp);
        let params = current.borrow();
        // SAFETY: dp has n_params entries, y n_states.
        let status = unsafe { (fns.rhs_params)(t, x.as_ptr(), params.as_ptr(), dp.as_ptr(), y.as_mut_ptr(), ctx_ptr) };
        status_ok(status, y);
    };
    let n_margins = compiled.n_margins;
    let margins_at = |x: &[f64], p: &[f64], t: f64, g: &mut [f64]| {
        // SAFETY: x, p have the compiled lengths, g n_margins entries.
        let status = unsafe { (compiled.margins)(t, x.as_ptr(), p.as_ptr(), g.as_mut_ptr(), ctx_ptr) };
        if status != 0 {
            g.fill(0.0);
        }
    };
    let margins = |x: &[f64], _p: &[f64], t: f64, g: &mut [f64]| margins_at(x, &current.borrow(), t, g);
    // The margins' derivatives, which the sensitivity solver's root
    // function must offer: along a state direction, and along θ.
    let w = RefCell::new(vec![0.0; n + params.len()]);
    let margins_jvp = |x: &[f64], _p: &[f64], t: f64, v: &[f64], g: &mut [f64]| {
        let mut w = w.borrow_mut();
        w.fill(0.0);
        w[..n].copy_from_slice(v);
        let params = current.borrow();
        // SAFETY: w has n_states + n_params entries, g n_margins.
        unsafe { (fns.margins_tangent)(t, x.as_ptr(), params.as_ptr(), w.as_ptr(), g.as_mut_ptr(), ctx_ptr) };
    };
    let margins_sens = |x: &[f64], _p: &[f64], t: f64, v: &[f64], g: &mut [f64]| {
        let mut w = w.borrow_mut();
        w[..n].fill(0.0);
        combine(&current_dp.borrow(), v, &mut w[n..]);
        let params = current.borrow();
        // SAFETY: as above.
        unsafe { (fns.margins_tangent)(t, x.as_ptr(), params.as_ptr(), w.as_ptr(), g.as_mut_ptr(), ctx_ptr) };
    };

    let cols = columns(model);
    let factors: Vec<f64> = cols[1..].iter().map(|c| c.factor).collect();
    let mut out = Trajectory { times: times.to_vec(), ..Default::default() };
    let mut observer = Observer { compiled, fns, ctx: ctx_ptr, factors, w: vec![] };
    let failure = |time: f64, state: &[f64], message: String| Failure {
        time,
        state: state.to_vec(),
        derivatives: vec![],
        message,
        cause: FailureCause::Solver,
    };
    let event_failure = |time: f64, state: &[f64], e: crate::events::ActionError| Failure {
        cause: FailureCause::Event,
        ..failure(time, state, e.0)
    };

    let y = x0.to_vec();
    let sens: Vec<Vec<f64>> = directions.initial.clone();
    let t = s.start;
    let mut watch = crate::events::Watch::new(model);
    {
        let mut g = vec![0.0; n_margins];
        margins_at(&y, params, t, &mut g);
        watch.start(&g);
    }
    // Fires the events due now; with `crossing` (a `when` margin's index
    // and f⁻), the event time's own sensitivity is added:
    //   dτ/dθ = −(g_x·s + g_p·dp)/(g_x·f⁻ + g_t),  s⁺ = H·(s, dp) + (H_x·f⁻ − f⁺)·dτ/dθ.
    let mut fire = |due: &[usize], crossing: Option<usize>, t: f64, y: &mut Vec<f64>, sens: &mut Vec<Vec<f64>>| {
        let mut p = current.borrow().clone();
        let dps = current_dp.borrow().clone();
        let mut f_before = vec![0.0; n];
        rhs(y, &[], t, &mut f_before);
        let mut event_time_sens = vec![0.0; k];
        if let Some(j) = crossing {
            let margin_tangent = |w: &[f64]| {
                let mut d = vec![0.0; n_margins];
                // SAFETY: w has n_states + n_params entries, d n_margins.
                unsafe { (fns.margins_tangent)(t, y.as_ptr(), p.as_ptr(), w.as_ptr(), d.as_mut_ptr(), ctx_ptr) };
                d[j]
            };
            let along = |state: &[f64], dparams: &[f64]| {
                let w: Vec<f64> = state.iter().chain(dparams).copied().collect();
                margin_tangent(&w)
            };
            // g_t at fixed state, by central differences (zero unless the
            // condition reads time itself).
            let h = 1e-7 * t.abs().max(1.0);
            let (mut up, mut down) = (vec![0.0; n_margins], vec![0.0; n_margins]);
            margins_at(y, &p, t + h, &mut up);
            margins_at(y, &p, t - h, &mut down);
            let rate = along(&f_before, &vec![0.0; p.len()]) + (up[j] - down[j]) / (2.0 * h);
            if rate != 0.0 && rate.is_finite() {
                for (kk, (s_k, dp_k)) in sens.iter().zip(&dps).enumerate() {
                    event_time_sens[kk] = -along(s_k, dp_k) / rate;
                }
            }
        }
        let mut tangents: Vec<crate::events::Tangent> = sens
            .iter()
            .zip(&dps)
            .map(|(s_k, dp_k)| crate::events::Tangent { state: s_k.clone(), params: dp_k.clone() })
            .collect();
        tangents.push(crate::events::Tangent { state: f_before, params: vec![0.0; p.len()] });
        let mut at_t = |x: &[f64], p: &[f64], g: &mut [f64]| margins_at(x, p, t, g);
        let (records, stop) = crate::events::fire(
            model,
            &mut watch,
            None,
            due,
            crossing.is_some(),
            t,
            y,
            &mut p,
            &mut tangents,
            &mut at_t,
            n_margins,
        )?;
        if records.is_empty() {
            return Ok(false);
        }
        let pushed = tangents.pop().map(|tg| tg.state).unwrap_or_default();
        *current.borrow_mut() = p;
        let mut f_after = vec![0.0; n];
        rhs(y, &[], t, &mut f_after);
        for (kk, tg) in tangents.into_iter().enumerate() {
            let dtau = event_time_sens[kk];
            sens[kk] =
                tg.state.iter().zip(pushed.iter().zip(&f_after)).map(|(s, (hf, fa))| s + (hf - fa) * dtau).collect();
            current_dp.borrow_mut()[kk] = tg.params;
        }
        Ok(stop)
    };

    let mut next = 0;
    let mut observe_due = |upto: f64, y: &[f64], sens: &[Vec<f64>], next: &mut usize, out: &mut Trajectory| {
        while *next < times.len() && times[*next] <= upto {
            let (p, dp) = (current.borrow(), current_dp.borrow());
            out.push(observer.observe(times[*next], y, sens, &p, &dp));
            *next += 1;
        }
    };
    let mut schedule =
        crate::events::Schedule::new(model, params, s.start, s.end).map_err(|m| failure(t, &y, m.to_string()))?;
    // Observations at the start see the state before any event there.
    observe_due(t, &y, &sens, &mut next, &mut out);
    let watches = cells.stop_watches();
    // One stretch from (t, y, sens) to `segment_end` or an earlier root:
    // where it ended, and the next requested time it has not observed.
    let mut stretch =
        |t: f64, y: &[f64], sens: &[Vec<f64>], next: usize, segment_end: f64| -> Result<(SegmentEnd, usize), Failure> {
            let (y0, s0) = (y.to_vec(), sens.to_vec());
            let init = move |_p: &[f64], _t: f64, out: &mut [f64]| out.copy_from_slice(&y0);
            let setup = |e: diffsol::DiffsolError| failure(t, y, format!("could not set up the solver: {e}"));
            let mut segment = Segment { end: segment_end, times, next, observer: &mut observer, out: &mut out };
            // Why to stop after a step, if anything went wrong in it.
            let stop = |state: &[f64]| {
                // A cell with `infeasible = stop`, run relaxed: past its
                // boundary the trajectory ends (as a run's would).
                for &(c, slot) in &watches {
                    if cells.cells[c].outputs[slot] > crate::simulate::STOP_SLACK {
                        let name = &cells.cells[c].name;
                        return Some(format!(
                            "cell `{name}`: the LP is infeasible here (`infeasible = stop` ends the run)"
                        ));
                    }
                }
                if !failed.get() && state.iter().all(|v| v.is_finite()) {
                    return None;
                }
                let status = if failed.get() { 2 } else { 0 };
                Some(
                    cell_problem(cells, ctx_ptr, status)
                        .map(CellProblem::message)
                        .unwrap_or_else(|| "the state is no longer finite (NaN or infinite)".into()),
                )
            };
            let builder = OdeBuilder::<M>::new().t0(t).rtol(s.rtol).atol([s.atol]);
            let (p_now, dp_now) = (current.borrow().clone(), current_dp.borrow().clone());
            // Without directions (a plain evaluation) the sensitivity system is
            // left out altogether.
            let reached = if k == 0 {
                let problem =
                    builder.rhs_implicit(&rhs, &jvp).init(init, n).root(margins, n_margins).build().map_err(setup)?;
                segment.run(problem.bdf::<LS>().map_err(setup)?, 0, &stop, &p_now, &dp_now)?
            } else {
                let init_sens = move |_p: &[f64], _t: f64, v: &[f64], out: &mut [f64]| combine(&s0, v, out);
                let problem = builder
                    .p(vec![0.0; k])
                    .rhs_sens_implicit(&rhs, &jvp, &rhs_sens)
                    .init_sens(init, init_sens, n)
                    .root_sens_implicit(margins, margins_jvp, margins_sens, n_margins)
                    .build()
                    .map_err(setup)?;
                segment.run(problem.bdf_sens::<LS>().map_err(setup)?, k, &stop, &p_now, &dp_now)?
            };
            Ok((reached, segment.next))
        };
    let mut run = SensitivityRun {
        fire: &mut fire,
        stretch: &mut stretch,
        event_failure: &event_failure,
        t,
        y,
        sens,
        next,
        n_times: times.len(),
        stopped: false,
        error: None,
    };
    crate::segments::drive(&mut schedule, t, &mut run);
    let SensitivityRun { t, y, next, error, .. } = run;
    if let Some(e) = error {
        return Err(e);
    }
    if next < times.len() {
        // A `stop` ended the run before these times: nothing to compare.
        let message =
            format!("the run stopped at t = {t} h (an event's `stop`), before the requested time {} h", times[next]);
        return Err(Failure { cause: FailureCause::Event, ..failure(t, &y, message) });
    }
    out.rhs_evaluations = rhs_calls.get();
    Ok(out)
}

/// A run with sensitivities' steps for the segment loop
/// (`segments::drive`): the closures `simulate_sensitivities` builds, and
/// the state, its sensitivities and the observations so far.
// The closures' types, spelled out: they are the drivers' own steps.
#[allow(clippy::type_complexity)]
struct SensitivityRun<'r> {
    fire: &'r mut dyn FnMut(
        &[usize],
        Option<usize>,
        f64,
        &mut Vec<f64>,
        &mut Vec<Vec<f64>>,
    ) -> Result<bool, crate::events::ActionError>,
    stretch: &'r mut dyn FnMut(f64, &[f64], &[Vec<f64>], usize, f64) -> Result<(SegmentEnd, usize), Failure>,
    event_failure: &'r dyn Fn(f64, &[f64], crate::events::ActionError) -> Failure,
    t: f64,
    y: Vec<f64>,
    sens: Vec<Vec<f64>>,
    /// The next requested time not yet observed.
    next: usize,
    n_times: usize,
    stopped: bool,
    error: Option<Failure>,
}

impl crate::segments::Segments for SensitivityRun<'_> {
    fn fire(&mut self, due: &[usize], root: Option<Option<usize>>) -> bool {
        match (self.fire)(due, root.flatten(), self.t, &mut self.y, &mut self.sens) {
            Ok(stopped) => self.stopped = stopped,
            Err(e) => self.error = Some((self.event_failure)(self.t, &self.y, e)),
        }
        !self.stopped && self.error.is_none()
    }

    fn integrate(&mut self, end: f64) -> crate::segments::Stretch {
        use crate::segments::Stretch;
        match (self.stretch)(self.t, &self.y, &self.sens, self.next, end) {
            Err(f) => {
                self.error = Some(f);
                Stretch::Over
            }
            Ok((reached, next)) => {
                self.next = next;
                (self.t, self.y, self.sens) = (reached.time, reached.state, reached.sens);
                match reached.crossing {
                    None => Stretch::Reached,
                    Some(j) => Stretch::Root(Some(j)),
                }
            }
        }
    }

    fn finished(&self) -> bool {
        self.stopped || self.next == self.n_times || self.error.is_some()
    }

    fn at_stop(&mut self, end: f64) -> f64 {
        self.t = end;
        end
    }
}

/// Where a segment's integration ended.
struct SegmentEnd {
    time: f64,
    state: Vec<f64>,
    sens: Vec<Vec<f64>>,
    /// The index of the `when` margin that crossed, if that ended it.
    crossing: Option<usize>,
}

/// One segment between breakpoints: steps to its end, recording the
/// requested times that fall inside.
struct Segment<'s, 'o> {
    end: f64,
    times: &'s [f64],
    next: usize,
    observer: &'s mut Observer<'o>,
    out: &'s mut Trajectory,
}

impl Segment<'_, '_> {
    /// The state and its `k` sensitivities where the segment ended.
    #[allow(clippy::type_complexity)]
    fn run<'a, Eqn, S>(
        &mut self,
        mut solver: S,
        k: usize,
        stop: &dyn Fn(&[f64]) -> Option<String>,
        params: &[f64],
        dparams: &[Vec<f64>],
    ) -> Result<SegmentEnd, Failure>
    where
        Eqn: diffsol::OdeEquations<T = f64, V = diffsol::NalgebraVec<f64>> + 'a,
        S: OdeSolverMethod<'a, Eqn>,
    {
        let failure = |solver: &S, message: String| {
            let st = solver.state();
            Failure {
                time: st.t,
                state: st.y.clone_as_vec(),
                derivatives: vec![],
                message,
                cause: FailureCause::Solver,
            }
        };
        let lanes = |v: &diffsol::NalgebraVec<f64>| -> Vec<Vec<f64>> {
            (0..k).map(|j| v.get_batch(j).into_owned().clone_as_vec()).collect()
        };
        let t0 = solver.state().t;
        solver.set_stop_time(self.end).map_err(|e| failure(&solver, e.to_string()))?;
        loop {
            let reason = solver.step().map_err(|e| failure(&solver, e.to_string()))?;
            self.out.steps += 1;
            if self.out.steps > MAX_STEPS {
                let message = format!(
                    "more than {MAX_STEPS} steps: these parameters make the model too stiff or explosive to follow"
                );
                return Err(failure(&solver, message));
            }
            let mut now = solver.state().t;
            if let Some(message) = stop(solver.state().y.inner().as_slice()) {
                return Err(failure(&solver, message));
            }
            // A crossing right where this stretch began is the one just handled.
            let crossing = match reason {
                OdeSolverStopReason::RootFound(t_root, j) if t_root > t0 => {
                    now = t_root;
                    Some(j)
                }
                _ => None,
            };
            while self.next < self.times.len() && self.times[self.next] <= now + 1e-12 * now.abs().max(1.0) {
                let tau = self.times[self.next].min(now);
                let yi = solver.interpolate(tau).map_err(|e| failure(&solver, e.to_string()))?;
                let si = if k == 0 {
                    vec![]
                } else {
                    lanes(&solver.interpolate_sens(tau).map_err(|e| failure(&solver, e.to_string()))?)
                };
                self.out.push(self.observer.observe(self.times[self.next], &yi.clone_as_vec(), &si, params, dparams));
                self.next += 1;
            }
            if let Some(j) = crossing {
                let yi = solver.interpolate(now).map_err(|e| failure(&solver, e.to_string()))?;
                let si = if k == 0 {
                    vec![]
                } else {
                    lanes(&solver.interpolate_sens(now).map_err(|e| failure(&solver, e.to_string()))?)
                };
                return Ok(SegmentEnd { time: now, state: yi.clone_as_vec(), sens: si, crossing: Some(j) });
            }
            if matches!(reason, OdeSolverStopReason::TstopReached) || self.next == self.times.len() {
                break;
            }
        }
        let st = solver.state();
        let sens = if k == 0 { vec![] } else { lanes(st.s) };
        Ok(SegmentEnd { time: st.t, state: st.y.clone_as_vec(), sens, crossing: None })
    }
}

/// out = Σ_k v_k · columns[k]
fn combine(columns: &[Vec<f64>], v: &[f64], out: &mut [f64]) {
    out.fill(0.0);
    for (col, &vk) in columns.iter().zip(v) {
        if vk != 0.0 {
            for (o, c) in out.iter_mut().zip(col) {
                *o += vk * c;
            }
        }
    }
}

/// Evaluates the observables and their sensitivities at one state.
struct Observer<'a> {
    compiled: &'a CompiledModel,
    fns: SensitivityFns,
    ctx: *mut CellContext,
    factors: Vec<f64>,
    /// [s_k; dp/dθ_k], the direction of one observe_tangent call.
    w: Vec<f64>,
}

impl Observer<'_> {
    /// At state `y` with sensitivities `sens`, parameters `params` and their
    /// directions `dparams`.
    fn observe(
        &mut self,
        t: f64,
        y: &[f64],
        sens: &[Vec<f64>],
        params: &[f64],
        dparams: &[Vec<f64>],
    ) -> (Vec<f64>, Vec<Vec<f64>>) {
        let m = self.compiled.n_observables;
        let mut values = vec![0.0; m];
        // SAFETY: y has n_states entries, values n_observables.
        let status = unsafe { (self.compiled.observe)(t, y.as_ptr(), params.as_ptr(), values.as_mut_ptr(), self.ctx) };
        if status != 0 {
            values.fill(f64::NAN);
        }
        let mut derivatives = Vec::with_capacity(sens.len());
        for (s_k, dp_k) in sens.iter().zip(dparams) {
            self.w.clear();
            self.w.extend_from_slice(s_k);
            self.w.extend_from_slice(dp_k);
            let mut d = vec![0.0; m];
            // SAFETY: w has n_states + n_params entries, d n_observables.
            let status = unsafe {
                (self.fns.observe_tangent)(t, y.as_ptr(), params.as_ptr(), self.w.as_ptr(), d.as_mut_ptr(), self.ctx)
            };
            if status != 0 {
                d.fill(f64::NAN);
            }
            derivatives.push(d.iter().zip(&self.factors).map(|(v, f)| v / f).collect());
        }
        (values.iter().zip(&self.factors).map(|(v, f)| v / f).collect(), derivatives)
    }
}

impl Trajectory {
    fn push(&mut self, (values, derivatives): (Vec<f64>, Vec<Vec<f64>>)) {
        self.values.push(values);
        self.derivatives.push(derivatives);
    }
}
