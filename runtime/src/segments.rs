//! The segment loop that a run ([`crate::simulate`]) and a run with
//! sensitivities ([`crate::sensitivity`]) share: the schedule's stops
//! (breakpoints, `at` times, the end) in order; between two stops,
//! integration until the stop, an earlier `when` root, where the events
//! the crossing made due fire, or an earlier time at which the actions of
//! a `when … after` event are due; at each stop, the `at` events due there.

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
    /// When the next actions of a `when … after` event are due, if any.
    fn next_delayed(&self) -> Option<f64> {
        None
    }
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
            // Delayed actions due before this stop end a stretch of their own.
            let waiting = run.next_delayed().filter(|&due| due < end - 1e-12 * end.abs().max(1.0));
            match run.integrate(waiting.unwrap_or(end)) {
                Stretch::Reached if waiting.is_some() => {
                    if !run.fire(&[], None) || run.finished() {
                        return;
                    }
                }
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
        let now = run.at_stop(end);
        let due = schedule.due_at(now);
        let delayed_due = run.next_delayed().is_some_and(|d| d <= now + 1e-12 * now.abs().max(1.0));
        if (!due.is_empty() || delayed_due) && !run.fire(&due, None) {
            return;
        }
    }
}
