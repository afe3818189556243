//! Results as plain Python data for the package to wrap: a run's columns
//! (column-major, so each becomes a numpy column without copying rows),
//! its events, how it ended; an ensemble's runs as one long table.

use bioflux_api::{DesignRun, RunStatus};
use bioflux_runtime::Run;
use bioflux_runtime::simulate::{Column, Simulation};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Rows of `rows` as columns.
fn by_column(rows: &[Vec<f64>], n_columns: usize) -> Vec<Vec<f64>> {
    (0..n_columns).map(|c| rows.iter().map(|r| r[c]).collect()).collect()
}

/// Columns as numpy arrays, each taking its vector's memory.
fn arrays(py: Python<'_>, columns: Vec<Vec<f64>>) -> Vec<Bound<'_, PyArray1<f64>>> {
    columns.into_iter().map(|c| PyArray1::from_vec(py, c)).collect()
}

fn names_units(columns: &[Column]) -> (Vec<String>, Vec<String>) {
    columns.iter().map(|c| (c.name.clone(), c.unit.clone())).unzip()
}

/// One event change per entry: (time, event, target, before, after, unit).
type EventRow = (f64, String, String, f64, f64, String);

fn event_rows(sim: &Simulation) -> Vec<EventRow> {
    let mut rows = Vec::new();
    for e in &sim.events {
        if e.changes.is_empty() {
            rows.push((e.time, e.label.clone(), String::new(), f64::NAN, f64::NAN, String::new()));
        }
        for c in &e.changes {
            rows.push((e.time, e.label.clone(), c.target.clone(), c.before, c.after, c.unit.clone()));
        }
    }
    rows
}

/// A run: `columns`, `units`, `data` (one list per column), `events`,
/// `stop` (time, reason) or None, `failure` (dict) or None, `stats`,
/// `notes`, `negatives` and `parameters` (values after the changes).
pub fn run_dict<'py>(py: Python<'py>, run: &Run) -> PyResult<Bound<'py, PyDict>> {
    let sim = &run.simulation;
    let d = PyDict::new(py);
    let (names, units) = names_units(&sim.columns);
    d.set_item("columns", names)?;
    d.set_item("units", units)?;
    d.set_item("data", arrays(py, by_column(&sim.rows, sim.columns.len())))?;
    d.set_item("events", event_rows(sim))?;
    d.set_item("stop", sim.stop.as_ref().map(|s| (s.time, s.reason.clone())))?;
    let failure = match &sim.failure {
        Some(f) => {
            let fd = PyDict::new(py);
            fd.set_item("time", f.time)?;
            fd.set_item("message", &f.message)?;
            fd.set_item("cause", format!("{:?}", f.cause).to_lowercase())?;
            fd.set_item("help", f.cause.help())?;
            Some(fd)
        }
        None => None,
    };
    d.set_item("failure", failure)?;
    let s = &sim.stats;
    let stats = PyDict::new(py);
    stats.set_item("steps", s.steps)?;
    stats.set_item("rhs_evaluations", s.rhs_evaluations)?;
    stats.set_item("jacobian_evaluations", s.jacobian_evaluations)?;
    stats.set_item("error_test_failures", s.error_test_failures)?;
    stats.set_item("events", s.events)?;
    stats.set_item("final_time", s.final_time)?;
    stats.set_item("wall_s", s.wall.as_secs_f64())?;
    stats.set_item("compile_s", run.compile_time.as_secs_f64())?;
    d.set_item("stats", stats)?;
    d.set_item("notes", run.notes.clone())?;
    let negatives: Vec<(String, f64, f64)> =
        sim.negatives.iter().map(|n| (n.species.clone(), n.value, n.time)).collect();
    d.set_item("negatives", negatives)?;
    d.set_item("parameters", run.params.clone())?;
    Ok(d)
}

/// One run of an ensemble, reduced on the thread that ran it to what the
/// table needs: its rows as columns (a run that made no row, because it
/// could not start, has one row of NaN) and its summary.
pub struct FinishedRun {
    index: usize,
    status: &'static str,
    message: Option<String>,
    wall: f64,
    final_time: f64,
    stop: Option<String>,
    events: usize,
    columns: Vec<Vec<f64>>,
}

impl FinishedRun {
    pub fn new(run: DesignRun, n_columns: usize) -> FinishedRun {
        let status = run.status();
        let message = match &status {
            RunStatus::Failed { message } => Some(message.clone()),
            _ => None,
        };
        let stop = match status.clone() {
            RunStatus::Stopped { reason } => Some(reason),
            _ => None,
        };
        let (columns, final_time, events) = match &run.outcome {
            Ok(r) if !r.simulation.rows.is_empty() => {
                (by_column(&r.simulation.rows, n_columns), r.simulation.stats.final_time, r.simulation.events.len())
            }
            Ok(r) => (vec![vec![f64::NAN]; n_columns], r.simulation.stats.final_time, 0),
            Err(_) => (vec![vec![f64::NAN]; n_columns], f64::NAN, 0),
        };
        FinishedRun {
            index: run.index,
            status: status.as_str(),
            message,
            wall: run.wall.as_secs_f64(),
            final_time,
            stop,
            events,
            columns,
        }
    }

    pub fn index(&self) -> usize {
        self.index
    }
}

/// An ensemble as one long table, built without a Python object per row:
/// `data` (one numpy array per model column, the runs' columns end to end)
/// and `row_run` (for each row, its run's place in `runs`). `runs` has one
/// summary per run, in the design's order: (design row, status, message,
/// wall seconds, final time, why it stopped, events fired).
pub fn design_dict<'py>(py: Python<'py>, columns: &[Column], runs: Vec<FinishedRun>) -> PyResult<Bound<'py, PyDict>> {
    let total: usize = runs.iter().map(|r| r.columns.first().map_or(0, Vec::len)).sum();
    let mut row_run: Vec<i64> = Vec::with_capacity(total);
    let mut data: Vec<Vec<f64>> = (0..columns.len()).map(|_| Vec::with_capacity(total)).collect();
    let mut summaries = Vec::with_capacity(runs.len());
    for (k, run) in runs.into_iter().enumerate() {
        let rows = run.columns.first().map_or(0, Vec::len);
        row_run.extend(std::iter::repeat_n(k as i64, rows));
        for (column, values) in data.iter_mut().zip(&run.columns) {
            column.extend_from_slice(values);
        }
        summaries.push((run.index, run.status, run.message, run.wall, run.final_time, run.stop, run.events));
    }
    let d = PyDict::new(py);
    let (names, units) = names_units(columns);
    d.set_item("columns", names)?;
    d.set_item("units", units)?;
    d.set_item("row_run", PyArray1::from_vec(py, row_run))?;
    d.set_item("data", arrays(py, data))?;
    d.set_item("runs", summaries)?;
    Ok(d)
}
