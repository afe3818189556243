//! One shard of a sweep: its rows of the design run on several threads
//! through the library's design runner, each run reduced to its summary
//! row (and its rows) on the thread that ran it, the files written whole.

use crate::results::{self, SummaryRow, Trajectory};
use crate::{Design, Shard, ShardFiles, SweepError};
use bioflux_api::{DesignOptions, DesignRun, RunStatus, SharedModel, run_design};
use bioflux_runtime::Overrides;
use bioflux_runtime::params::ParamSet;
use bioflux_runtime::simulate::columns;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How a sweep runs.
#[derive(Clone, Debug, Default)]
pub struct SweepOptions {
    /// Worker threads.
    pub threads: usize,
    /// What every run shares (end, output interval, solver, tolerances,
    /// parameter changes before the design's; the flag that stops it).
    pub base: Overrides,
    /// Also write every run's rows.
    pub trajectories: bool,
}

/// How a shard ended.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Every run of the shard ran; its files are written.
    Done { runs: usize, stopped: usize, failures: Vec<(u64, String)>, summary: PathBuf },
    /// Its files were there already (a resubmitted job): nothing was run.
    AlreadyDone { summary: PathBuf },
    /// Stopped part-way (Ctrl-C): the runs that ended are written to
    /// `partial` (`_interrupted-summary-…`, a name data-set readers skip);
    /// the shard runs whole next time.
    Interrupted { runs: usize, of: usize, partial: PathBuf },
}

/// Runs shard `shard` of `design` and writes its files into `dir`;
/// `progress(done, of)` after each run.
pub fn run_shard(
    model: &SharedModel,
    design: &Design,
    shard: Shard,
    dir: &Path,
    options: &SweepOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Outcome, SweepError> {
    let files = ShardFiles::new(dir, shard);
    if files.summary.exists() && (!options.trajectories || files.trajectories.exists()) {
        return Ok(Outcome::AlreadyDone { summary: files.summary });
    }
    std::fs::create_dir_all(dir).map_err(|source| SweepError::Write { path: dir.to_path_buf(), source })?;
    let rows: Vec<usize> = shard.rows(design.rows.len()).collect();
    let sets: Vec<_> = rows.iter().map(|&r| design.sets(r)).collect();
    let checked = model.checked();
    let mut model_columns: Vec<(String, String)> = columns(checked).into_iter().map(|c| (c.name, c.unit)).collect();
    let base_units: HashMap<String, String> =
        model.model().parameters().into_iter().map(|p| (p.name, p.unit)).collect();
    if let Some(name) = design.names.iter().find(|n| !base_units.contains_key(*n)) {
        let names = base_units.keys().map(String::as_str);
        let suggestion = bioflux_compiler::diagnostic::suggestion(name, names, "").trim().to_string();
        return Err(SweepError::UnknownParameter { name: name.clone(), model: checked.name.clone(), suggestion });
    }
    let parameters: Vec<(String, String)> = design.names.iter().map(|n| (n.clone(), base_units[n].clone())).collect();

    let finished = Mutex::new((Vec::with_capacity(rows.len()), Vec::new()));
    // The units of cells' outputs are their plugins': from the first run that bound them.
    let run_columns = std::sync::OnceLock::new();
    let n_columns = model_columns.len();
    let design_options = DesignOptions { threads: options.threads, base: options.base.clone() };
    run_design(model, &sets, &design_options, &|run: DesignRun| {
        if let Ok(done) = &run.outcome {
            run_columns.get_or_init(|| done.simulation.columns.clone());
        }
        let (design_row, run_sets) = (rows[run.index], &sets[run.index]);
        let (row, trajectory) = summarise(&design.names, run_sets, design_row, run, n_columns, options.trajectories);
        let mut done = finished.lock().unwrap_or_else(|e| e.into_inner());
        done.0.push(row);
        done.1.extend(trajectory);
        progress(done.0.len(), rows.len());
    });
    let (mut summary, mut trajectories) = finished.into_inner().unwrap_or_else(|e| e.into_inner());
    summary.sort_by_key(|r| r.run);
    if let Some(ran) = run_columns.get() {
        model_columns = ran.iter().map(|c| (c.name.clone(), c.unit.clone())).collect();
    }
    trajectories.sort_by_key(|t: &Trajectory| t.0);

    let metadata = HashMap::from([
        ("bioflux.model".to_string(), checked.name.clone()),
        ("bioflux.version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
        ("bioflux.shard".to_string(), format!("{}/{}", shard.index, shard.count)),
        ("bioflux.design_rows".to_string(), design.rows.len().to_string()),
        ("bioflux.shard_rows".to_string(), rows.len().to_string()),
    ]);
    let schema = results::summary_schema(&parameters, &model_columns, metadata.clone());
    let batch = results::summary_batch(&schema, &summary)?;
    if summary.len() < rows.len() {
        results::write(&files.interrupted, &batch)?;
        let partial = files.interrupted;
        return Ok(Outcome::Interrupted { runs: summary.len(), of: rows.len(), partial });
    }
    if options.trajectories {
        let schema = results::trajectories_schema(&model_columns, metadata);
        results::write_atomically(&files.trajectories, &results::trajectories_batch(&schema, &trajectories)?)?;
    }
    // The summary last: its presence says the shard is complete.
    results::write_atomically(&files.summary, &batch)?;
    let _ = std::fs::remove_file(&files.interrupted);
    let stopped = summary.iter().filter(|r| r.status == "stopped").count();
    let failures = summary.iter().filter_map(|r| Some((r.run, r.message.clone()?))).collect();
    Ok(Outcome::Done { runs: summary.len(), stopped, failures, summary: files.summary })
}

/// A run's summary row (`sets`: its parameter changes) and, when asked,
/// its rows.
fn summarise(
    names: &[String],
    sets: &[ParamSet],
    design_row: usize,
    run: DesignRun,
    n_columns: usize,
    keep_rows: bool,
) -> (SummaryRow, Option<Trajectory>) {
    let parameters = names.iter().map(|n| sets.iter().find(|s| s.name == *n).map_or(f64::NAN, |s| s.value)).collect();
    let status = run.status();
    let mut row = SummaryRow {
        run: design_row as u64,
        parameters,
        status: status.as_str(),
        message: None,
        stop_reason: None,
        events: 0,
        wall_s: run.wall.as_secs_f64(),
        last: vec![f64::NAN; n_columns],
    };
    match status {
        RunStatus::Failed { message } => row.message = Some(message),
        RunStatus::Stopped { reason } => row.stop_reason = Some(reason),
        RunStatus::Ok => {}
    }
    let Ok(done) = run.outcome else { return (row, None) };
    let sim = done.simulation;
    if let Some(last) = sim.rows.last() {
        row.last.clone_from(last);
    }
    row.events = sim.events.len() as u64;
    (row, keep_rows.then_some((design_row as u64, sim.rows)))
}
