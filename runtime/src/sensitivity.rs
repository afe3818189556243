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

use crate::breakpoints::breakpoints;
use crate::host::BoundCells;
use crate::simulate::{CellProblem, Failure, FailureCause, Settings, cell_problem, columns};
use bioflux_compiler::CheckedModel;
use bioflux_compiler::jit::{CellContext, CompiledModel, SensitivityFns};
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
    let status_ok = |status: i32, y: &mut [f64]| {
        if status != 0 {
            failed.set(true);
            y.fill(f64::NAN);
        }
    };
    let rhs = |x: &[f64], _p: &[f64], t: f64, y: &mut [f64]| {
        rhs_calls.set(rhs_calls.get() + 1);
        // SAFETY: x, params, y have the compiled lengths; ctx holds the slots.
        let status = unsafe { (compiled.rhs)(t, x.as_ptr(), params.as_ptr(), y.as_mut_ptr(), ctx_ptr) };
        status_ok(status, y);
    };
    let jvp = |x: &[f64], _p: &[f64], t: f64, v: &[f64], y: &mut [f64]| {
        // SAFETY: as above, with v of length n.
        let status = unsafe { (compiled.jvp)(t, x.as_ptr(), params.as_ptr(), v.as_ptr(), y.as_mut_ptr(), ctx_ptr) };
        status_ok(status, y);
    };
    // dp = Σ_k v_k dp/dθ_k, in a buffer made once.
    let dp = RefCell::new(vec![0.0; params.len()]);
    let rhs_sens = |x: &[f64], _p: &[f64], t: f64, v: &[f64], y: &mut [f64]| {
        let mut dp = dp.borrow_mut();
        combine(&directions.params, v, &mut dp);
        // SAFETY: dp has n_params entries, y n_states.
        let status = unsafe { (fns.rhs_params)(t, x.as_ptr(), params.as_ptr(), dp.as_ptr(), y.as_mut_ptr(), ctx_ptr) };
        status_ok(status, y);
    };

    let cols = columns(model);
    let factors: Vec<f64> = cols[1..].iter().map(|c| c.factor).collect();
    let mut out = Trajectory { times: times.to_vec(), ..Default::default() };
    let mut observer = Observer { compiled, fns, params, ctx: ctx_ptr, directions, factors, w: vec![] };
    let failure = |time: f64, state: &[f64], message: String| Failure {
        time,
        state: state.to_vec(),
        derivatives: vec![],
        message,
        cause: FailureCause::Solver,
    };

    let mut y = x0.to_vec();
    let mut sens: Vec<Vec<f64>> = directions.initial.clone();
    let mut t = s.start;
    let mut next = 0;
    while next < times.len() && times[next] <= t {
        out.push(observer.observe(times[next], &y, &sens));
        next += 1;
    }
    let mut ends = breakpoints(model, params, s.start, s.end);
    ends.push(s.end);
    for &segment_end in &ends {
        if next == times.len() {
            break;
        }
        let (y0, s0) = (y.clone(), sens.clone());
        let init = move |_p: &[f64], _t: f64, out: &mut [f64]| out.copy_from_slice(&y0);
        let setup = |e: diffsol::DiffsolError| failure(t, &y, format!("could not set up the solver: {e}"));
        let mut segment = Segment { end: segment_end, times, next, observer: &mut observer, out: &mut out };
        // Why to stop after a step, if anything went wrong in it.
        let stop = |state: &[f64]| {
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
        // Without directions (a plain evaluation) the sensitivity system is
        // left out altogether.
        let (end_y, end_sens) = if k == 0 {
            let problem = builder.rhs_implicit(&rhs, &jvp).init(init, n).build().map_err(setup)?;
            segment.run(problem.bdf::<LS>().map_err(setup)?, 0, &stop)?
        } else {
            let init_sens = move |_p: &[f64], _t: f64, v: &[f64], out: &mut [f64]| combine(&s0, v, out);
            let problem = builder
                .p(vec![0.0; k])
                .rhs_sens_implicit(&rhs, &jvp, &rhs_sens)
                .init_sens(init, init_sens, n)
                .build()
                .map_err(setup)?;
            segment.run(problem.bdf_sens::<LS>().map_err(setup)?, k, &stop)?
        };
        next = segment.next;
        (y, sens) = (end_y, end_sens);
        t = segment_end;
    }
    out.rhs_evaluations = rhs_calls.get();
    Ok(out)
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
    ) -> Result<(Vec<f64>, Vec<Vec<f64>>), Failure>
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
            let now = solver.state().t;
            if let Some(message) = stop(solver.state().y.inner().as_slice()) {
                return Err(failure(&solver, message));
            }
            while self.next < self.times.len() && self.times[self.next] <= now + 1e-12 * now.abs().max(1.0) {
                let tau = self.times[self.next].min(now);
                let yi = solver.interpolate(tau).map_err(|e| failure(&solver, e.to_string()))?;
                let si = if k == 0 {
                    vec![]
                } else {
                    lanes(&solver.interpolate_sens(tau).map_err(|e| failure(&solver, e.to_string()))?)
                };
                self.out.push(self.observer.observe(self.times[self.next], &yi.clone_as_vec(), &si));
                self.next += 1;
            }
            if matches!(reason, OdeSolverStopReason::TstopReached) || self.next == self.times.len() {
                break;
            }
        }
        let st = solver.state();
        Ok((st.y.clone_as_vec(), if k == 0 { vec![] } else { lanes(st.s) }))
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
    params: &'a [f64],
    ctx: *mut CellContext,
    directions: &'a Directions,
    factors: Vec<f64>,
    /// [s_k; dp/dθ_k], the direction of one observe_tangent call.
    w: Vec<f64>,
}

impl Observer<'_> {
    fn observe(&mut self, t: f64, y: &[f64], sens: &[Vec<f64>]) -> (Vec<f64>, Vec<Vec<f64>>) {
        let m = self.compiled.n_observables;
        let mut values = vec![0.0; m];
        // SAFETY: y has n_states entries, values n_observables.
        let status =
            unsafe { (self.compiled.observe)(t, y.as_ptr(), self.params.as_ptr(), values.as_mut_ptr(), self.ctx) };
        if status != 0 {
            values.fill(f64::NAN);
        }
        let mut derivatives = Vec::with_capacity(sens.len());
        for (s_k, dp_k) in sens.iter().zip(&self.directions.params) {
            self.w.clear();
            self.w.extend_from_slice(s_k);
            self.w.extend_from_slice(dp_k);
            let mut d = vec![0.0; m];
            // SAFETY: w has n_states + n_params entries, d n_observables.
            let status = unsafe {
                (self.fns.observe_tangent)(
                    t,
                    y.as_ptr(),
                    self.params.as_ptr(),
                    self.w.as_ptr(),
                    d.as_mut_ptr(),
                    self.ctx,
                )
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
