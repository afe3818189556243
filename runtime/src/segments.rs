//! The segment loop that a run ([`crate::simulate`]) and a run with
//! sensitivities ([`crate::sensitivity`]) share: the schedule's stops
//! (breakpoints, `at` times, the end) in order; between two stops,
//! integration until the stop or an earlier `when` root, where the events
//! the crossing made due fire; at each stop, the `at` events due there.

use crate::events::Schedule;

/// How a stretch of integration ended.
pub(crate) enum Stretch {
    /// At the end asked for.
    Reached,
    /// Earlier, at a `when` margin's root (which one, where known).
    Root(Option<usize>),
    /// The run is over: it stopped or failed there, and has recorded why.
    Over,
}

/// A run's steps, as the segment loop calls them.
pub(crate) trait Segments {
    /// Fires the events due now: the `at` events `due`, or, with `root`,
    /// those a `when` crossing made due. False when the run is over.
    fn fire(&mut self, due: &[usize], root: Option<Option<usize>>) -> bool;
    /// Integrates from now to `end`, or to the first root before it.
    fn integrate(&mut self, end: f64) -> Stretch;
    /// Whether nothing is left to do (the run is over, or has computed
    /// everything asked of it).
    fn finished(&self) -> bool;
    /// After a stretch reached the stop `end`: the time its `at` events are
    /// looked up at.
    fn at_stop(&mut self, end: f64) -> f64;
    /// A new segment begins (for the statistics).
    fn segment(&mut self) {}
}

/// Runs `run` through `schedule`'s stops from `start`.
pub(crate) fn drive(schedule: &mut Schedule, start: f64, run: &mut impl Segments) {
    if !run.fire(&schedule.due_at(start), None) {
        return;
    }
    let ends = schedule.ends.clone();
    for &end in &ends {
        if run.finished() {
            return;
        }
        run.segment();
        loop {
            match run.integrate(end) {
                Stretch::Reached => break,
                Stretch::Over => return,
                Stretch::Root(j) => {
                    if !run.fire(&[], Some(j)) || run.finished() {
                        return;
                    }
                }
            }
        }
        if run.finished() {
            return;
        }
        let due = schedule.due_at(run.at_stop(end));
        if !due.is_empty() && !run.fire(&due, None) {
            return;
        }
    }
}
