//! Events at run time: when the time events fall, which `when` events fire,
//! and what their actions do to the state, the parameters and (for
//! fitting) the sensitivities.
//!
//! An action's reset map x⁺ = h(x⁻, p) is applied to the state; each
//! sensitivity direction (dx, dp) goes through its linearisation
//! dx⁺ = ∂h/∂x·dx + ∂h/∂p·dp, exactly (values are constant expressions of
//! the parameters, differentiated by `eval::constant_tangent`).

use bioflux_compiler::CheckedModel;
use bioflux_compiler::eval::{constant, constant_tangent};
use bioflux_compiler::model::{Action, Compartment, Expr, StateLayout, Trigger};

/// More time events than this in one run is a mistake (`every` far too
/// small for the run's length).
pub const MAX_TIME_EVENTS: usize = 1_000_000;

/// More firings than this at one instant means events trigger each other
/// without end.
const MAX_ROUNDS: usize = 100;

/// More events than this in one run: a `when` that its own action keeps
/// re-arming (chattering through time) rather than a process.
pub const MAX_EVENTS: usize = 1_000_000;

/// One occurrence of an `at` event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeEvent {
    pub time: f64,
    /// Index into `CheckedModel::events`.
    pub event: usize,
}

/// An `at` event whose times cannot be laid out with these parameters.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    /// Its time or period is not a positive number.
    #[error("event `{event}`: its time or period is not a positive number with these parameters")]
    BadTime { event: String },
    /// More occurrences than [`MAX_TIME_EVENTS`] before the end.
    #[error("event `{event}` falls more than {MAX_TIME_EVENTS} times before the end: is its period too small?")]
    TooMany { event: String },
}

/// The occurrences of the `at` events with start ≤ t < end, by time and,
/// at one time, in file order.
pub fn time_events(
    model: &CheckedModel,
    params: &[f64],
    start: f64,
    end: f64,
) -> Result<Vec<TimeEvent>, ScheduleError> {
    let mut out = Vec::new();
    for (event, e) in model.events.iter().enumerate() {
        let Trigger::At { first, every, until } = &e.trigger else { continue };
        let value = |x: &Expr| constant(x, params).unwrap_or(f64::NAN);
        let first = value(first);
        let last = until.as_ref().map_or(f64::INFINITY, value);
        let period = every.as_ref().map(value);
        if !first.is_finite() || period.is_some_and(|p| p.is_nan() || p <= 0.0 || p.is_infinite()) {
            return Err(ScheduleError::BadTime { event: e.label.clone() });
        }
        let tolerance = 1e-12 * end.abs().max(1.0);
        for k in 0u64.. {
            let time = match period {
                Some(p) => first + k as f64 * p,
                None if k == 0 => first,
                None => break,
            };
            if time > last + tolerance || time >= end - tolerance {
                break;
            }
            if time >= start - tolerance {
                out.push(TimeEvent { time: time.max(start), event });
            }
            if out.len() > MAX_TIME_EVENTS {
                return Err(ScheduleError::TooMany { event: e.label.clone() });
            }
        }
    }
    out.sort_by(|a, b| a.time.total_cmp(&b.time).then(a.event.cmp(&b.event)));
    Ok(out)
}

/// Where integration must stop and restart (breakpoints and `at` times,
/// then the end), and which `at` events fall due at each stop.
pub struct Schedule {
    /// Sorted, distinct, after the start; the last is the end.
    pub ends: Vec<f64>,
    events: Vec<TimeEvent>,
    /// The first event not yet handed out by [`Schedule::due_at`].
    next: usize,
}

impl Schedule {
    /// The stops of a run from `start` to `end` with these parameters.
    pub fn new(model: &CheckedModel, params: &[f64], start: f64, end: f64) -> Result<Schedule, ScheduleError> {
        let events = time_events(model, params, start, end)?;
        let mut ends = crate::breakpoints::breakpoints(model, params, start, end);
        ends.extend(events.iter().map(|e| e.time).filter(|&t| t > start));
        ends.sort_by(f64::total_cmp);
        ends.dedup_by(|a, b| (*a - *b).abs() <= 1e-12 * b.abs().max(1.0));
        ends.push(end);
        Ok(Schedule { ends, events, next: 0 })
    }

    /// The `at` events due by time `t` not handed out before, in file order
    /// at each time.
    pub fn due_at(&mut self, t: f64) -> Vec<usize> {
        let from = self.next;
        while self.next < self.events.len() && self.events[self.next].time <= t + 1e-12 * t.abs().max(1.0) {
            self.next += 1;
        }
        self.events[from..self.next].iter().map(|e| e.event).collect()
    }
}

/// Which `when` events may fire: an event fires when its condition becomes
/// true, and again only after the condition has been false.
#[derive(Clone, Debug)]
pub struct Watch {
    /// Event index of each margin (`System::margins` order).
    pub events: Vec<usize>,
    inclusive: Vec<bool>,
    /// `from start`: fires at the start if the condition holds there.
    from_start: Vec<bool>,
    armed: Vec<bool>,
    /// `if still true`: due actions are dropped when the condition fails.
    still_true: Vec<bool>,
    /// Each margin when last looked at.
    last: Vec<f64>,
    /// Some event has a priority or `if still true`: an instant's events
    /// apply one at a time, by priority.
    one_at_a_time: bool,
    /// Draws the order of events of equal priority (xorshift64*, seeded
    /// the same in every run, so a run is reproducible).
    draw: u64,
}

impl Watch {
    /// The `when` events of `model`, whose margins come first among the
    /// compiled ones (the rest are roots only).
    pub fn new(model: &CheckedModel) -> Watch {
        let one_at_a_time = model.events.iter().any(|e| {
            matches!(e.trigger, Trigger::When { priority: Some(_), .. } | Trigger::When { if_still_true: true, .. })
        });
        let mut w = Watch {
            events: vec![],
            inclusive: vec![],
            from_start: vec![],
            armed: vec![],
            still_true: vec![],
            last: vec![],
            one_at_a_time,
            draw: 0x9E37_79B9_7F4A_7C15,
        };
        for (i, e) in model.events.iter().enumerate() {
            if let Trigger::When { inclusive, from_start, if_still_true, .. } = e.trigger {
                w.events.push(i);
                w.inclusive.push(inclusive);
                w.from_start.push(from_start);
                w.still_true.push(if_still_true);
            }
        }
        w.armed = vec![false; w.events.len()];
        w
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The `if still true` events whose condition has failed at these
    /// margins: what they have due is dropped. On the boundary it still
    /// holds (a located crossing into true sits there).
    fn failed(&self, margins: &[f64]) -> Vec<usize> {
        (0..self.events.len()).filter(|&j| self.still_true[j] && margins[j] < 0.0).map(|j| self.events[j]).collect()
    }

    /// A number below `n`, drawn.
    fn draw_below(&mut self, n: usize) -> usize {
        self.draw ^= self.draw << 13;
        self.draw ^= self.draw >> 7;
        self.draw ^= self.draw << 17;
        // xorshift64*: the high bits of the product, not the weak low ones.
        ((self.draw.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) % n as u64) as usize
    }

    fn holds(&self, j: usize, margin: f64) -> bool {
        margin > 0.0 || (margin == 0.0 && self.inclusive[j])
    }

    /// At the start: a condition that already holds does not fire (it has
    /// not become true) unless its event says `from start`; it waits until
    /// it has been false.
    pub fn start(&mut self, margins: &[f64]) {
        let margins = &margins[..self.events.len()];
        let armed: Vec<bool> =
            margins.iter().enumerate().map(|(j, &g)| self.from_start[j] || !self.holds(j, g)).collect();
        self.armed = armed;
        self.last = margins.to_vec();
    }

    /// The events that fire at these margins, in file order; they are
    /// disarmed, and conditions that are false are armed. `before`: the
    /// margins of the round before at the same instant; a margin the
    /// actions since did not change keeps what that round decided (at a
    /// located crossing it sits on zero, which would otherwise re-arm the
    /// event that just fired, and it would fire again at the next event).
    pub fn fire(&mut self, margins: &[f64], at_root: bool, before: Option<&[f64]>) -> Vec<usize> {
        let mut due = Vec::new();
        for (j, &g) in margins[..self.events.len()].iter().enumerate() {
            if before.is_some_and(|b| b[j].to_bits() == g.to_bits()) {
                continue;
            }
            // At a located crossing the margin may sit on zero: count it
            // as reached, so the crossing is not lost; one that sat on zero
            // already (an action set it there) has not crossed.
            let crossed_to_zero = at_root && g == 0.0 && self.armed[j] && self.last[j] < 0.0;
            self.last[j] = g;
            let holds = self.holds(j, g) || crossed_to_zero;
            if holds && self.armed[j] {
                due.push(self.events[j]);
                self.armed[j] = false;
            } else if !holds {
                self.armed[j] = true;
            }
        }
        due
    }
}

/// Puts the actions of `event` in the queue if it has a delay (and says
/// so); the delay and, `with trigger values`, the new values are computed
/// now.
fn enqueue(
    model: &CheckedModel,
    delayed: Option<&mut Delayed>,
    event: usize,
    t: f64,
    x: &[f64],
    p: &[f64],
) -> Result<bool, ActionError> {
    let Trigger::When { delay: Some(delay), .. } = &model.events[event].trigger else { return Ok(false) };
    let label = &model.events[event].label;
    let Some(queue) = delayed else {
        return Err(ActionError(format!(
            "event `{label}` at t = {t} h: sensitivities cannot follow an event with a delay"
        )));
    };
    let at = bioflux_compiler::eval::At { model, params: p, state: x, t };
    let wait = bioflux_compiler::eval::value(&delay.value, &at)
        .map_err(|err| ActionError(format!("event `{label}` at t = {t} h: {err}")))?;
    if !(wait >= 0.0 && wait.is_finite()) {
        return Err(ActionError(format!("event `{label}` at t = {t} h: its delay is {wait} h")));
    }
    let values = if delay.trigger_values { Some(new_values(model, event, t, x, p, false)?) } else { None };
    queue.push(t + wait, event, values);
    Ok(true)
}

/// One instant's events where some have a priority or `if still true`:
/// what is due (`when` events whose condition became true, delayed actions
/// whose time came) waits together, and the one with the highest priority,
/// computed now, applies first; then the conditions are looked at again,
/// so an event its actions make due competes with those still waiting, and
/// an `if still true` one whose condition failed is dropped. Of equal
/// priorities (events without one come last) one is drawn at random, as
/// SBML says, from a generator seeded the same in every run.
struct Instant<'m, 'q> {
    model: &'m CheckedModel,
    delayed: Option<&'q mut Delayed>,
    t: f64,
    records: Vec<EventRecord>,
    stop: bool,
}

enum Due {
    Now(usize),
    Delayed(Waiting),
}

impl Due {
    fn event(&self) -> usize {
        match self {
            Due::Now(e) => *e,
            Due::Delayed(w) => w.event,
        }
    }
}

impl Instant<'_, '_> {
    #[allow(clippy::too_many_arguments)]
    fn one_at_a_time(
        &mut self,
        watch: &mut Watch,
        at_root: bool,
        x: &mut [f64],
        p: &mut [f64],
        tangents: &mut [Tangent],
        margins: &mut MarginsAt,
        g: &mut [f64],
    ) -> Result<(), ActionError> {
        let (model, t) = (self.model, self.t);
        let mut waiting: Vec<Due> = Vec::new();
        let mut before: Option<Vec<f64>> = None;
        for step in 0.. {
            if step == MAX_ROUNDS * 10 {
                return Err(ActionError(format!("at t = {t} h events keep making each other due")));
            }
            margins(x, p, g);
            let failed = watch.failed(g);
            waiting.retain(|due| !failed.contains(&due.event()));
            if let Some(d) = self.delayed.as_deref_mut() {
                d.drop_events(&failed);
                waiting.extend(d.take_due(t).into_iter().map(Due::Delayed));
            }
            for event in watch.fire(g, at_root && step == 0, before.as_deref()) {
                if !enqueue(model, self.delayed.as_deref_mut(), event, t, x, p)? {
                    waiting.push(Due::Now(event));
                }
            }
            before = Some(g.to_vec());
            // A delay of zero is due now: look again before choosing.
            if self.delayed.as_deref().is_some_and(|d| d.due_by(t)) {
                continue;
            }
            if waiting.is_empty() {
                return Ok(());
            }
            let priority = |due: &Due| match &model.events[due.event()].trigger {
                Trigger::When { priority: Some(expr), .. } => {
                    let at = bioflux_compiler::eval::At { model, params: p, state: x, t };
                    bioflux_compiler::eval::value(expr, &at).unwrap_or(f64::NEG_INFINITY)
                }
                _ => f64::NEG_INFINITY,
            };
            let values: Vec<f64> = waiting.iter().map(priority).collect();
            let highest = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let tied: Vec<usize> = (0..waiting.len()).filter(|&i| values[i] == highest).collect();
            // SBML: of equal priorities, one at random.
            let first = if tied.len() == 1 { tied[0] } else { tied[watch.draw_below(tied.len())] };
            let (record, stops) = match waiting.remove(first) {
                Due::Now(event) => apply(model, event, t, x, p, tangents)?,
                Due::Delayed(w) => apply_with(model, w.event, t, x, p, tangents, w.values.as_deref())?,
            };
            self.records.push(record);
            self.stop |= stops;
        }
        Ok(())
    }
}

/// The actions of `when … after` events waiting for their time, in the
/// order they are due (by time, then in the order their events fired).
#[derive(Clone, Debug, Default)]
pub struct Delayed {
    waiting: Vec<Waiting>,
    fired: u64,
}

#[derive(Clone, Debug)]
struct Waiting {
    time: f64,
    order: u64,
    event: usize,
    /// `with trigger values`: the new values computed when it fired.
    values: Option<Vec<f64>>,
}

impl Delayed {
    /// When the next waiting actions are due.
    pub fn next_time(&self) -> Option<f64> {
        self.waiting.iter().map(|w| w.time).min_by(f64::total_cmp)
    }

    /// Drops what `events` have waiting.
    fn drop_events(&mut self, events: &[usize]) {
        self.waiting.retain(|w| !events.contains(&w.event));
    }

    /// Whether some are due by `t`.
    pub fn due_by(&self, t: f64) -> bool {
        self.next_time().is_some_and(|next| next <= t + 1e-12 * t.abs().max(1.0))
    }

    fn push(&mut self, time: f64, event: usize, values: Option<Vec<f64>>) {
        self.fired += 1;
        self.waiting.push(Waiting { time, order: self.fired, event, values });
    }

    /// Takes those due by `t`, in order.
    fn take_due(&mut self, t: f64) -> Vec<Waiting> {
        let tolerance = 1e-12 * t.abs().max(1.0);
        let (mut due, rest): (Vec<Waiting>, Vec<Waiting>) =
            self.waiting.drain(..).partition(|w| w.time <= t + tolerance);
        self.waiting = rest;
        due.sort_by(|a, b| a.time.total_cmp(&b.time).then(a.order.cmp(&b.order)));
        due
    }
}

/// What one action changed, for the event log.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// `glucose`, `V`, a parameter's name, or `run` for a stop.
    pub target: String,
    pub before: f64,
    pub after: f64,
    /// The unit of `before` and `after` (a species in its declared unit).
    pub unit: String,
}

/// One event as it fired.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRecord {
    pub time: f64,
    /// Index into `CheckedModel::events`.
    pub event: usize,
    pub label: String,
    pub changes: Vec<Change>,
}

/// A sensitivity direction through an event: d(state)/dθ and d(params)/dθ.
#[derive(Clone, Debug, PartialEq)]
pub struct Tangent {
    pub state: Vec<f64>,
    pub params: Vec<f64>,
}

/// Why an action could not be applied.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionError(pub String);

/// Applies the actions of `event` at time `t` to the state `x` (V, then
/// amounts) and the parameters `p`, and carries each tangent through the
/// linearised actions. Returns the record and whether the event stops the run.
pub fn apply(
    model: &CheckedModel,
    event: usize,
    t: f64,
    x: &mut [f64],
    p: &mut [f64],
    tangents: &mut [Tangent],
) -> Result<(EventRecord, bool), ActionError> {
    apply_with(model, event, t, x, p, tangents, None)
}

/// The new value of each `NAME = value` action of `event` (NaN for the
/// other actions) at time `t`.
fn new_values(
    model: &CheckedModel,
    event: usize,
    t: f64,
    x: &[f64],
    p: &[f64],
    with_tangents: bool,
) -> Result<Vec<f64>, ActionError> {
    let e = &model.events[event];
    let fail = |what: &str| ActionError(format!("event `{}` at t = {t} h: {what}", e.label));
    let mut values = Vec::with_capacity(e.actions.len());
    for action in &e.actions {
        let (Action::SetParam { value: expr, .. } | Action::SetSpecies { value: expr, .. }) = action else {
            values.push(f64::NAN);
            continue;
        };
        if with_tangents && constant(expr, p).is_none() {
            return Err(fail("sensitivities cannot follow a new value that reads the state or the time"));
        }
        let at = bioflux_compiler::eval::At { model, params: p, state: x, t };
        values.push(bioflux_compiler::eval::value(expr, &at).map_err(|err| fail(&err.to_string()))?);
    }
    Ok(values)
}

/// [`apply`], with the new values of its `NAME = value` actions computed
/// before (a delayed event's, when it fired) where `values` is given.
fn apply_with(
    model: &CheckedModel,
    event: usize,
    t: f64,
    x: &mut [f64],
    p: &mut [f64],
    tangents: &mut [Tangent],
    values: Option<&[f64]>,
) -> Result<(EventRecord, bool), ActionError> {
    let e = &model.events[event];
    let mut changes = Vec::new();
    let mut stop = false;
    let fail = |what: &str| ActionError(format!("event `{}` at t = {t} h: {what}", e.label));
    let value = |expr: &Expr, p: &[f64]| constant(expr, p).filter(|v| v.is_finite());
    // Every new value of `NAME = value` comes from the state before any
    // action of the event changes it (as SBML's event assignments do).
    // So does the size that turns a new concentration into an amount.
    let new_values = match values {
        Some(v) => v.to_vec(),
        None => new_values(model, event, t, x, p, !tangents.is_empty())?,
    };
    let sizes_before: Vec<f64> = e
        .actions
        .iter()
        .map(|action| match action {
            Action::SetSpecies { species, .. } => model.size_of(species.index(), x, p, t),
            _ => f64::NAN,
        })
        .collect();
    for ((action, &new), &size_before) in e.actions.iter().zip(&new_values).zip(&sizes_before) {
        match action {
            Action::AddAmount { species, amount } => {
                let a = value(amount, p).ok_or_else(|| fail("the amount is not a number"))?;
                let sp = &model.species[species.index()];
                let slot = StateLayout::species(species.index());
                let shown = |x: &[f64]| model.concentration(species.index(), x, p, t) / sp.unit.factor;
                let before = shown(x);
                for tg in tangents.iter_mut() {
                    tg.state[slot] += derivative(amount, p, &tg.params);
                }
                let held = x[slot];
                x[slot] += a;
                if x[slot] < -1e-12 * held.abs().max(a.abs()) {
                    let unit = sp.unit.dim * bioflux_compiler::units::Dim::VOLUME;
                    return Err(fail(&format!(
                        "it takes {} {unit} of `{}`, but the vessel holds {held} {unit}",
                        -a, sp.name
                    )));
                }
                changes.push(Change { target: sp.name.clone(), before, after: shown(x), unit: sp.unit_text.clone() });
            }
            Action::AddVolume(volume) => {
                let a = value(volume, p).ok_or_else(|| fail("the volume is not a number"))?;
                const V: usize = StateLayout::VOLUME;
                for tg in tangents.iter_mut() {
                    tg.state[V] += derivative(volume, p, &tg.params);
                }
                let before = x[V];
                x[V] += a;
                if x[V].is_nan() || x[V] <= 0.0 {
                    return Err(fail(&format!("adding {a} L leaves a volume of {} L", x[V])));
                }
                changes.push(Change { target: "V".into(), before, after: x[V], unit: "L".into() });
            }
            Action::Sample(volume) => {
                let s = value(volume, p).ok_or_else(|| fail("the sample's volume is not a number"))?;
                const V: usize = StateLayout::VOLUME;
                let v = x[V];
                if s >= v {
                    return Err(fail(&format!(
                        "the sample ({} mL) is not less than the volume in the vessel ({} mL)",
                        s * 1e3,
                        v * 1e3
                    )));
                }
                // n_k ← n_k·r, V ← V − s, with r = (V − s)/V, for the
                // species in the reactor (not those in other compartments).
                let r = (v - s) / v;
                let in_reactor = (0..model.species.len()).filter(|&k| model.species[k].compartment.is_none());
                for tg in tangents.iter_mut() {
                    let ds = derivative(volume, p, &tg.params);
                    let dv = tg.state[V];
                    let dr = ((1.0 - r) * dv - ds) / v;
                    for k in in_reactor.clone() {
                        let slot = StateLayout::species(k);
                        tg.state[slot] = r * tg.state[slot] + x[slot] * dr;
                    }
                    tg.state[V] = dv - ds;
                }
                for k in in_reactor {
                    x[StateLayout::species(k)] *= r;
                }
                x[V] = v - s;
                changes.push(Change { target: "V".into(), before: v, after: x[V], unit: "L".into() });
            }
            Action::SetSpecies { species, value: expr } => {
                let k = species.index();
                let sp = &model.species[k];
                let slot = StateLayout::species(k);
                let size = size_before;
                for tg in tangents.iter_mut() {
                    let d_size = match sp.compartment {
                        Some(Compartment::Fixed(c)) => tg.params[c.index()],
                        Some(Compartment::Changing(_)) => {
                            return Err(fail(
                                "sensitivities cannot follow a species set in a compartment whose size changes",
                            ));
                        }
                        None => tg.state[StateLayout::VOLUME],
                    };
                    tg.state[slot] = derivative(expr, p, &tg.params) * size + new * d_size;
                }
                let before = x[slot] / size / sp.unit.factor;
                x[slot] = new * size;
                changes.push(Change {
                    target: sp.name.clone(),
                    before,
                    after: new / sp.unit.factor,
                    unit: sp.unit_text.clone(),
                });
            }
            Action::SetParam { param, value: expr } => {
                for tg in tangents.iter_mut() {
                    tg.params[param.index()] = derivative(expr, p, &tg.params);
                }
                let before = p[param.index()];
                p[param.index()] = new;
                let unit = model.params[param.index()].dim;
                let unit = if unit.is_none() { "1".to_string() } else { unit.to_string() };
                changes.push(Change { target: model.params[param.index()].name.clone(), before, after: new, unit });
            }
            Action::Stop => {
                stop = true;
                changes.push(Change { target: "run".into(), before: f64::NAN, after: f64::NAN, unit: String::new() });
            }
        }
    }
    Ok((EventRecord { time: t, event, label: e.label.clone(), changes }, stop))
}

/// d(expr)/dθ along the parameter direction `dp`.
fn derivative(expr: &Expr, p: &[f64], dp: &[f64]) -> f64 {
    if dp.iter().all(|d| *d == 0.0) {
        return 0.0;
    }
    constant_tangent(expr, p, dp).map_or(0.0, |(_, d)| d)
}

/// The `when` margins at a state and parameters (at the instant events fire).
pub type MarginsAt<'a> = dyn FnMut(&[f64], &[f64], &mut [f64]) + 'a;

/// Fires the events due at one instant: `time_events` (in file order), the
/// delayed actions due, then every `when` event whose condition they (or
/// the state) made true, until nothing more fires; a `when … after` event
/// that fires waits in `delayed` (a run that cannot follow delays passes
/// `None`, and such an event is an error). `margins` evaluates the `when`
/// margins at a state and parameters. Returns the records and whether the
/// run stops.
#[allow(clippy::too_many_arguments)]
pub fn fire(
    model: &CheckedModel,
    watch: &mut Watch,
    mut delayed: Option<&mut Delayed>,
    time_events: &[usize],
    at_root: bool,
    t: f64,
    x: &mut [f64],
    p: &mut [f64],
    tangents: &mut [Tangent],
    margins: &mut MarginsAt,
    n_margins: usize,
) -> Result<(Vec<EventRecord>, bool), ActionError> {
    let mut records = Vec::new();
    let mut stop = false;
    for &event in time_events {
        let (record, stops) = apply(model, event, t, x, p, tangents)?;
        records.push(record);
        stop |= stops;
    }
    let mut g = vec![0.0; n_margins];
    if watch.one_at_a_time {
        let mut instant = Instant { model, delayed, t, records, stop };
        instant.one_at_a_time(watch, at_root, x, p, tangents, margins, &mut g)?;
        return Ok((instant.records, instant.stop));
    }
    let mut before: Option<Vec<f64>> = None;
    // The delayed actions due now, then rounds of `when` events; a delay
    // of zero makes more actions due at this instant, after those rounds.
    // (`if still true` events go one at a time, above: nothing here is
    // dropped.)
    for pass in 0.. {
        let due_now = delayed.as_deref_mut().map_or_else(Vec::new, |d| d.take_due(t));
        if pass > 0 && due_now.is_empty() {
            break;
        }
        if pass == MAX_ROUNDS {
            return Err(ActionError(format!(
                "at t = {t} h events with no delay keep making each other due ({MAX_ROUNDS} rounds)"
            )));
        }
        for w in due_now {
            let (record, stops) = apply_with(model, w.event, t, x, p, tangents, w.values.as_deref())?;
            records.push(record);
            stop |= stops;
        }
        if watch.is_empty() {
            break;
        }
        for round in 0.. {
            margins(x, p, &mut g);
            let due = watch.fire(&g, at_root && pass == 0 && round == 0, before.as_deref());
            before = Some(g.clone());
            if due.is_empty() {
                break;
            }
            if round == MAX_ROUNDS {
                return Err(ActionError(format!(
                    "at t = {t} h the `when` events keep making each other's conditions true ({MAX_ROUNDS} rounds)"
                )));
            }
            for event in due {
                if !enqueue(model, delayed.as_deref_mut(), event, t, x, p)? {
                    let (record, stops) = apply(model, event, t, x, p, tangents)?;
                    records.push(record);
                    stop |= stops;
                }
            }
        }
    }
    Ok((records, stop))
}
