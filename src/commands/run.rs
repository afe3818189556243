//! `bioflux run`.

use super::{CommandError, finish, open_model};
use bioflux_api::Model;
use bioflux_compiler::CheckedModel;
use bioflux_compiler::model::Solver;
use bioflux_compiler::quantity::parse_quantity;
use bioflux_compiler::units::Dim;
use bioflux_runtime::fit::read_parameter_file;
use bioflux_runtime::host::JacobianCheck;
use bioflux_runtime::output::number;
use bioflux_runtime::params::ParamSet;
use bioflux_runtime::simulate::Simulation;
use bioflux_runtime::{Overrides, Run};
use std::io::Write;
use std::path::PathBuf;
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
pub(crate) fn time_arg(flag: &str, text: &str) -> Result<f64, CommandError> {
    let q = parse_quantity(text).map_err(|e| CommandError::Argument(format!("{flag}: {e}")))?;
    match q.dim {
        None => Ok(q.value),
        Some(d) if d == Dim::TIME => Ok(q.value),
        Some(d) => Err(CommandError::Argument(format!("{flag} {text}: a time, not {d}"))),
    }
}

fn duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 { format!("{ms:.2} ms") } else { format!("{ms:.0} ms") }
}

/// `bioflux run`: true when the simulation reached its end time.
pub fn run(args: &RunArgs) -> bool {
    finish(
        open_model(&args.file, &args.plugin_path, true).and_then(|mut model| run_model(&mut model, args)),
        "nothing was run",
    )
}

fn run_model(model: &mut Model, args: &RunArgs) -> Result<bool, CommandError> {
    let mut sets = match &args.params {
        Some(path) => read_parameter_file(path)?,
        None => vec![],
    };
    sets.extend(args.set.iter().cloned());
    let overrides = Overrides {
        sets,
        end: args.end.as_deref().map(|t| time_arg("--end", t)).transpose()?,
        output_interval: match args.every.as_deref().map(|t| time_arg("--every", t)).transpose()? {
            Some(v) if v <= 0.0 => return Err(CommandError::Argument("--every must be positive".into())),
            other => other,
        },
        solver: args.solver,
        rtol: args.rtol,
        atol: args.atol,
        cancel: None,
    };
    if args.check_jacobian {
        return Ok(report_jacobians(&model.check_jacobians(&overrides.sets)?));
    }
    let Run { simulation: result, compile_time, notes, .. } = model.run(&overrides)?;
    let model = model.checked();
    write_results(&result, &model.name, args)?;
    if let Some(path) = &args.events {
        let write_error = |source| CommandError::Write { path: path.clone(), source };
        let file = std::fs::File::create(path).map_err(write_error)?;
        bioflux_runtime::output::write_events_csv(&result.events, file).map_err(write_error)?;
        eprintln!("wrote {} events to {}", result.events.len(), path.display());
    }
    if let Some(path) = &args.plot {
        let (x, species) = species_series(&result, model.species.len());
        crate::plot::draw(path, &x, &species, false).map_err(CommandError::Plot)?;
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

fn write_results(result: &Simulation, model: &str, args: &RunArgs) -> Result<(), CommandError> {
    let path = args.output.clone().unwrap_or_else(|| "stdout".into());
    let write = |out: &mut dyn Write| -> Result<(), CommandError> {
        let written = if args.json {
            bioflux_runtime::output::write_json(result, model, out)
        } else {
            bioflux_runtime::output::write_csv(result, out)
        };
        match written {
            // The reader went away (`bioflux run ... | head`): not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.map_err(|source| CommandError::Write { path: path.clone(), source }),
        }
    };
    match &args.output {
        Some(path) => {
            let mut file =
                std::fs::File::create(path).map_err(|source| CommandError::Write { path: path.clone(), source })?;
            write(&mut file)
        }
        None => write(&mut std::io::stdout().lock()),
    }
}

fn report_failure(model: &CheckedModel, f: &bioflux_runtime::simulate::Failure) {
    eprintln!("error: the run failed at t = {} h: {}", number(f.time), f.message);
    use bioflux_compiler::model::StateLayout;
    let slots = std::iter::once(("V", "volume [L]", StateLayout::VOLUME)).chain(
        model
            .species
            .iter()
            .enumerate()
            .map(|(k, s)| (s.name.as_str(), "amount [base units]", StateLayout::species(k))),
    );
    for (name, what, i) in slots {
        let (x, dx) = (f.state.get(i).copied().unwrap_or(f64::NAN), f.derivatives.get(i).copied().unwrap_or(f64::NAN));
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
