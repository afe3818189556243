//! Long work off the Python thread: on the model's own thread (its compiled
//! code and cells live there) or on a thread of its own, waited for with
//! the GIL released, Ctrl-C checked every tenth of a second.

use bioflux_api::{Model, SharedModel, panic_message};
use pyo3::prelude::*;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// How often a wait looks for Ctrl-C.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// Work for a model's thread; true when it panicked (the model is then
/// made afresh).
type Job = Box<dyn FnOnce(&mut Model) -> bool + Send>;

/// What the work answered, or the panic's message.
type Answer<R> = Result<R, String>;

/// The thread that owns a Python `Model`'s compiled model and bound cells
/// (neither may move between threads), doing one call at a time.
pub struct ModelThread {
    jobs: Sender<Job>,
}

impl ModelThread {
    pub fn spawn(shared: SharedModel) -> PyResult<ModelThread> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("bioflux-model".into())
            .spawn(move || {
                let mut model = shared.model();
                for job in queue {
                    if job(&mut model) {
                        model = shared.model();
                    }
                }
            })
            .map_err(|e| crate::errors::internal(format!("cannot start the model's thread: {e}")))?;
        Ok(ModelThread { jobs })
    }

    /// Runs `work` on the model's thread and waits for it (see [`wait`]).
    pub fn call<R: Send + 'static>(
        &self,
        py: Python<'_>,
        cancel: Option<Arc<AtomicBool>>,
        work: impl FnOnce(&mut Model) -> R + Send + 'static,
    ) -> PyResult<R> {
        let (answer, answered) = mpsc::sync_channel::<Answer<R>>(1);
        let job: Job = Box::new(move |model| {
            let outcome = catch_unwind(AssertUnwindSafe(|| work(model))).map_err(|p| panic_message(p.as_ref()));
            let panicked = outcome.is_err();
            let _ = answer.send(outcome);
            panicked
        });
        self.jobs.send(job).map_err(|_| crate::errors::internal("the model's thread has ended".into()))?;
        wait(py, answered, cancel)
    }
}

/// Runs `work` on a thread of its own and waits for it (see [`wait`]).
pub fn background<R: Send + 'static>(
    py: Python<'_>,
    cancel: Option<Arc<AtomicBool>>,
    work: impl FnOnce() -> R + Send + 'static,
) -> PyResult<R> {
    let (answer, answered) = mpsc::sync_channel::<Answer<R>>(1);
    std::thread::Builder::new()
        .name("bioflux-work".into())
        .spawn(move || {
            let _ = answer.send(catch_unwind(AssertUnwindSafe(work)).map_err(|p| panic_message(p.as_ref())));
        })
        .map_err(|e| crate::errors::internal(format!("cannot start a thread: {e}")))?;
    wait(py, answered, cancel)
}

/// Waits for an answer with the GIL released. On Ctrl-C, sets `cancel`
/// (the work ends at its next step), waits for the work to end and raises
/// `KeyboardInterrupt`; work that cannot be cancelled is waited for.
fn wait<R: Send>(py: Python<'_>, mut answered: Receiver<Answer<R>>, cancel: Option<Arc<AtomicBool>>) -> PyResult<R> {
    loop {
        // The receiver goes into the GIL-free closure and comes back (it
        // may move between threads but not be shared).
        let (receiver, received) = py.detach(move || {
            let received = answered.recv_timeout(SIGNAL_CHECK);
            (answered, received)
        });
        answered = receiver;
        match received {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(panic)) => return Err(crate::errors::internal(panic)),
            Err(RecvTimeoutError::Disconnected) => {
                return Err(crate::errors::internal("the work's thread ended without an answer".into()));
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Err(interrupt) = py.check_signals() {
                    if let Some(flag) = &cancel {
                        flag.store(true, Ordering::Relaxed);
                    }
                    let _ = py.detach(move || answered.recv());
                    return Err(interrupt);
                }
            }
        }
    }
}
