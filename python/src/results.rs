//! Results as plain Python data for the package to wrap: a run's columns
//! (column-major, so each becomes a numpy column without copying rows),
//! its events, how it ended; an ensemble's runs as one long table.

use bioflux_api::DesignRun;
use bioflux_runtime::Run;
use bioflux_runtime::simulate::{Column, Simulation};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Rows of `rows` as columns.
fn by_column(rows: &[Vec<f64>], n_columns: usize) -> Vec<Vec<f64>> {
    (0..n_columns).map(|c| rows.iter().map(|r| r[c]).collect()).collect()
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
    d.set_item("data", by_column(&sim.rows, sim.columns.len()))?;
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

/// How a run of a design ended: `ok`, `stopped` (the model's `stop`) or
/// `failed`, with the message of a failure.
fn status(run: &DesignRun) -> (&'static str, Option<String>) {
    match &run.outcome {
        Ok(r) if r.simulation.failure.is_some() => ("failed", r.simulation.failure.as_ref().map(|f| f.message.clone())),
        Ok(r) if r.simulation.stop.is_some() => ("stopped", None),
        Ok(_) => ("ok", None),
        Err(e) => ("failed", Some(e.to_string())),
    }
}

/// An ensemble as one long table: `run` (the design's row), `status` and
/// `message` on every row, then the model's columns; a run that made no
/// row (it could not start) is one row of NaN. Beside it, `runs`: one
/// summary per run (run, status, message, wall seconds, final time, why
/// it stopped, events fired).
pub fn design_dict<'py>(py: Python<'py>, columns: &[Column], runs: &[DesignRun]) -> PyResult<Bound<'py, PyDict>> {
    let n = columns.len();
    let (mut index, mut statuses, mut messages) = (Vec::new(), Vec::new(), Vec::new());
    let mut data: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut summaries = Vec::with_capacity(runs.len());
    for run in runs {
        let (status, message) = status(run);
        let rows: &[Vec<f64>] = match &run.outcome {
            Ok(r) => &r.simulation.rows,
            Err(_) => &[],
        };
        let nan_row = vec![f64::NAN; n];
        let rows: Vec<&Vec<f64>> = if rows.is_empty() { vec![&nan_row] } else { rows.iter().collect() };
        for row in rows {
            index.push(run.index);
            statuses.push(status);
            messages.push(message.clone());
            for (c, v) in row.iter().enumerate() {
                data[c].push(*v);
            }
        }
        let (final_time, stop, events) = match &run.outcome {
            Ok(r) => (
                r.simulation.stats.final_time,
                r.simulation.stop.as_ref().map(|s| s.reason.clone()),
                r.simulation.events.len(),
            ),
            Err(_) => (f64::NAN, None, 0),
        };
        summaries.push((run.index, status, message, run.wall.as_secs_f64(), final_time, stop, events));
    }
    let d = PyDict::new(py);
    let (names, units) = names_units(columns);
    d.set_item("columns", names)?;
    d.set_item("units", units)?;
    d.set_item("run", index)?;
    d.set_item("status", statuses)?;
    d.set_item("message", messages)?;
    d.set_item("data", data)?;
    d.set_item("runs", summaries)?;
    Ok(d)
}
