//! Many runs of one model — an ensemble, a design of experiments, a sweep:
//! one set of parameter changes per run, run on several threads, each
//! thread with its own compiled model and cells (made once, from a model
//! checked once). A run that fails is a result, never the end of the
//! design; a panic in one run is that run's error.

use crate::{Error, SharedModel};
use bioflux_runtime::params::ParamSet;
use bioflux_runtime::{Overrides, Run};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How a design runs.
#[derive(Clone, Debug, Default)]
pub struct DesignOptions {
    /// Worker threads (at least one; never more than there are runs).
    pub threads: usize,
    /// What every run shares: end, output interval, solver, tolerances,
    /// parameter changes before each run's own, and the flag that ends the
    /// design (the run under way is interrupted, no new one starts).
    pub base: Overrides,
}

/// One run of a design, as it ended.
pub struct DesignRun {
    /// Its row in the design.
    pub index: usize,
    /// The run (its failure along the way, if any, inside), or why it did
    /// not run.
    pub outcome: Result<Run, Error>,
    /// How long it took, model setup of a fresh thread included.
    pub wall: Duration,
}

/// How a run of a design ended, as ensembles and sweeps report it.
#[derive(Clone, Debug, PartialEq)]
pub enum RunStatus {
    /// It reached its end time.
    Ok,
    /// The model's `stop` ended it, for this reason.
    Stopped { reason: String },
    /// It failed along the way (its rows up to then are kept) or could not
    /// start; the message says why (and when).
    Failed { message: String },
}

impl RunStatus {
    /// `ok`, `stopped` or `failed`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Stopped { .. } => "stopped",
            RunStatus::Failed { .. } => "failed",
        }
    }
}

impl DesignRun {
    /// How the run ended.
    pub fn status(&self) -> RunStatus {
        match &self.outcome {
            Err(error) => RunStatus::Failed { message: error.to_string() },
            Ok(run) => match (&run.simulation.failure, &run.simulation.stop) {
                (Some(failure), _) => {
                    RunStatus::Failed { message: format!("at t = {} h: {}", failure.time, failure.message) }
                }
                (None, Some(stop)) => RunStatus::Stopped { reason: stop.reason.clone() },
                (None, None) => RunStatus::Ok,
            },
        }
    }
}

/// Runs every row of `design` (each row the parameter changes of one run)
/// and hands each run to `done` as it ends, from the thread that ran it.
/// Returns how many runs ended (fewer than the design's rows only when
/// `options.base.cancel` was set).
pub fn run_design(
    model: &SharedModel,
    design: &[Vec<ParamSet>],
    options: &DesignOptions,
    done: &(dyn Fn(DesignRun) + Sync),
) -> usize {
    let next = AtomicUsize::new(0);
    let ended = AtomicUsize::new(0);
    let cancelled = || options.base.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed));
    let threads = options.threads.clamp(1, design.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut local = model.model();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= design.len() || cancelled() {
                        break;
                    }
                    let mut overrides = options.base.clone();
                    overrides.sets.extend(design[index].iter().cloned());
                    let start = Instant::now();
                    let outcome = catch_unwind(AssertUnwindSafe(|| local.run(&overrides))).unwrap_or_else(|panic| {
                        // The thread's compiled model may be half-updated: start afresh.
                        local = model.model();
                        Err(Error::Panic { message: panic_message(panic.as_ref()) })
                    });
                    ended.fetch_add(1, Ordering::Relaxed);
                    done(DesignRun { index, outcome, wall: start.elapsed() });
                }
            });
        }
    });
    ended.into_inner()
}

/// Every run of a design, in the design's order.
pub fn collect_design(model: &SharedModel, design: &[Vec<ParamSet>], options: &DesignOptions) -> Vec<DesignRun> {
    let runs = std::sync::Mutex::new(Vec::with_capacity(design.len()));
    run_design(model, design, options, &|run| runs.lock().unwrap_or_else(|e| e.into_inner()).push(run));
    let mut runs = runs.into_inner().unwrap_or_else(|e| e.into_inner());
    runs.sort_by_key(|r| r.index);
    runs
}

/// What a panic said, if it said it as text.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}
