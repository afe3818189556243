//! `bioflux run`.

use super::{checked_file, report_all, succeeded};
use bioflux_compiler::CheckedModel;
use bioflux_compiler::model::Solver;
use bioflux_compiler::units::Dim;
use bioflux_runtime::fit::read_parameter_file;
use bioflux_runtime::host::{JacobianCheck, SearchPath};
use bioflux_runtime::output::number;
use bioflux_runtime::params::{ParamSet, parse_quantity};
use bioflux_runtime::simulate::Simulation;
use bioflux_runtime::{Environment, Overrides, Run, RunError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub struct RunArgs {
    pub file: PathBuf,
    pub output: Option<PathBuf>,
    pub set: Vec<ParamSet>,
    /// Parameter values from a file `bioflux fit` wrote (before `set`).
    pub params: Option<PathBuf>,
    pub end: Option<String>,
    pub every: Option<String>,
    pub solver: Option<Solver>,
    pub rtol: Option<f64>,
    pub atol: Option<f64>,
    pub json: bool,
    pub plot: Option<PathBuf>,
    /// Where to write the event log.
    pub events: Option<PathBuf>,
    /// Compare the cells' Jacobians with central differences, then stop.
    pub check_jacobian: bool,
    pub plugin_path: Vec<PathBuf>,
}

/// A time given on the command line, in hours unless it has a unit.
fn time_arg(flag: &str, text: &str) -> Result<f64, String> {
    match parse_quantity(text)? {
        (v, None) => Ok(v),
        (v, Some(d)) if d == Dim::TIME => Ok(v),
        (_, Some(d)) => Err(format!("{flag} {text}: a time, not {d}")),
    }
}

fn duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 { format!("{ms:.2} ms") } else { format!("{ms:.0} ms") }
}

/// `bioflux run`: true when the simulation reached its end time.
pub fn run(args: &RunArgs) -> bool {
    let (src, mut model) = match checked_file(&args.file, "nothing was run") {
        Ok(checked) => checked,
        Err(e) => return succeeded(Err(e)),
    };
    match bioflux_runtime::params::apply_trained_weights(&mut model, &args.file) {
        Ok(notes) => notes.iter().for_each(|n| eprintln!("note: {n}")),
        Err(e) => return succeeded(Err(e)),
    }
    let source = Arc::new(miette::NamedSource::new(args.file.display().to_string(), src));
    match prepare_and_run(&model, args) {
        Ok(ok) => ok,
        Err(RunError::Diagnostics(diags)) => {
            eprintln!("{}", report_all(diags, Some(&source), "nothing was run"));
            false
        }
        Err(RunError::Message(message)) => {
            eprintln!("error: {message}");
            false
        }
    }
}

fn prepare_and_run(model: &CheckedModel, args: &RunArgs) -> Result<bool, RunError> {
    let mut sets = match &args.params {
        Some(path) => read_parameter_file(path)?,
        None => vec![],
    };
    sets.extend(args.set.iter().cloned());
    let overrides = Overrides {
        sets,
        end: args.end.as_deref().map(|t| time_arg("--end", t)).transpose()?,
        output_interval: match args.every.as_deref().map(|t| time_arg("--every", t)).transpose()? {
            Some(v) if v <= 0.0 => return Err("--every must be positive".into()),
            other => other,
        },
        solver: args.solver,
        rtol: args.rtol,
        atol: args.atol,
        cancel: None,
    };
    let env = Environment {
        plugins: SearchPath::new(&args.plugin_path),
        base_dir: args.file.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let mut prepared = bioflux_runtime::Prepared::new(model, &env)?;
    if args.check_jacobian {
        return Ok(report_jacobians(&prepared.check_jacobians(model, &overrides.sets)?));
    }
    let Run { simulation: result, compile_time, notes, .. } = prepared.simulate(model, &overrides)?;
    write_results(&result, &model.name, args)?;
    if let Some(path) = &args.events {
        let file = std::fs::File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        bioflux_runtime::output::write_events_csv(&result.events, file)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {} events to {}", result.events.len(), path.display());
    }
    if let Some(path) = &args.plot {
        let (x, species) = species_series(&result, model.species.len());
        crate::plot::draw(path, &x, &species, false)?;
        eprintln!("plotted {} species to {}", species.len(), path.display());
    }
    // A few by name; in a model of thousands of species the rest as a count.
    const NAMED_NEGATIVES: usize = 5;
    for n in result.negatives.iter().take(NAMED_NEGATIVES) {
        eprintln!(
            "note: {} went below zero by solver error: {:.3e} at t = {} h (not clamped; tighten --atol to reduce it)",
            n.species, n.value, n.time
        );
    }
    if let Some(rest) = result.negatives.len().checked_sub(NAMED_NEGATIVES).filter(|&r| r > 0) {
        let lowest = result.negatives.iter().map(|n| n.value).fold(0.0, f64::min);
        eprintln!("note: {rest} more species went below zero by solver error (the lowest of all: {lowest:.3e})");
    }
    if let Some(f) = &result.failure {
        report_failure(model, f);
    }
    if let Some(stop) = &result.stop {
        eprintln!("stopped at t = {} h, as the model asks: {}", number(stop.time), stop.reason);
    }
    for note in &notes {
        eprintln!("note: {note}");
    }
    let s = &result.stats;
    eprintln!(
        "{}: t = {} h{}, {} steps{}, {} RHS and {} Jacobian evaluations, compiled in {}, ran in {}",
        model.name,
        number(s.final_time),
        if result.failure.is_some() { " (PARTIAL: the run failed; the rows up to then are written)" } else { "" },
        s.steps,
        match s.events {
            0 if model.events.is_empty() => String::new(),
            1 => ", 1 event".to_string(),
            n => format!(", {n} events"),
        },
        s.rhs_evaluations,
        s.jacobian_evaluations,
        duration(compile_time),
        duration(s.wall)
    );
    Ok(result.failure.is_none())
}

/// One line per cell; true when every plugin Jacobian agrees.
fn report_jacobians(checks: &[JacobianCheck]) -> bool {
    for check in checks {
        match check {
            JacobianCheck::Differenced { cell } => {
                outln!("cell `{cell}`: no Jacobian of its own (bioflux differences its outputs)")
            }
            JacobianCheck::Failed { cell, message } => {
                outln!("cell `{cell}`: could not be evaluated at the initial state: {message}")
            }
            JacobianCheck::Compared { cell, plugin, worst, largest } => {
                let verdict = if check.agrees() { "agrees with" } else { "DIFFERS from" };
                outln!(
                    "cell `{cell}` (plugin `{plugin}`): its Jacobian {verdict} central differences at the initial state (largest relative difference {largest:.2e})"
                );
                if let (false, Some(e)) = (check.agrees(), worst) {
                    outln!(
                        "  d {}/d {}: {} from the plugin, {} by differences; check `jacobian` (row-major: output × input) and that it is declared",
                        e.output,
                        e.input,
                        e.plugin,
                        e.differences
                    );
                }
            }
        }
    }
    checks.iter().all(JacobianCheck::agrees)
}

fn write_results(result: &Simulation, model: &str, args: &RunArgs) -> Result<(), String> {
    let write = |out: &mut dyn Write| -> Result<(), String> {
        let written = if args.json {
            bioflux_runtime::output::write_json(result, model, out)
        } else {
            bioflux_runtime::output::write_csv(result, out)
        };
        match written {
            // The reader went away (`bioflux run ... | head`): not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.map_err(|e| format!("cannot write the results: {e}")),
        }
    };
    match &args.output {
        Some(path) => {
            let mut file = std::fs::File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            write(&mut file)
        }
        None => write(&mut std::io::stdout().lock()),
    }
}

fn report_failure(model: &CheckedModel, f: &bioflux_runtime::simulate::Failure) {
    eprintln!("error: the run failed at t = {} h: {}", number(f.time), f.message);
    let names = std::iter::once("V".to_string()).chain(model.species.iter().map(|s| s.name.clone()));
    for (i, name) in names.enumerate() {
        let (x, dx) = (f.state.get(i).copied().unwrap_or(f64::NAN), f.derivatives.get(i).copied().unwrap_or(f64::NAN));
        let what = if i == 0 { "volume [L]" } else { "amount [base units]" };
        eprintln!("  {name:>12}: {what} = {x:.6e}, d/dt = {dx:.6e}");
    }
    eprintln!("  help: {}", f.cause.help());
}

/// Time and every species column of a run, as series to plot.
pub(crate) fn species_series(result: &Simulation, n_species: usize) -> (crate::plot::Series, Vec<crate::plot::Series>) {
    let column = |k: usize| crate::plot::Series {
        name: result.columns[k].name.clone(),
        unit: result.columns[k].unit.clone(),
        values: result.rows.iter().map(|r| r[k]).collect(),
    };
    (column(0), (2..2 + n_species).map(column).collect())
}
