//! `bioflux fit`: estimate parameters from measured data.

use super::{CommandError, finish, open_model};
use bioflux_api::{FitRequest, Model};
use bioflux_compiler::CheckedModel;
use bioflux_compiler::quantity::parse_quantity;
use bioflux_runtime::Overrides;
use bioflux_runtime::fit::{self, CORRELATION_WARNING, FitReport, FitSpec, LogScale, Problem, StartResult, Statistics};
use bioflux_runtime::params::ParamSet;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct FitArgs {
    pub file: PathBuf,
    /// A CSV of measurements: a time column (`t`, hours) and columns named as
    /// the model's outputs (`glucose`, `biomass [g/L]`...), empty or NA where
    /// missing; one file per experiment, each optionally changing parameters:
    /// `RUN.csv:F1=0.03,glucose0=20` (or `# set: F1=0.03` lines in the file).
    #[arg(long = "data", value_name = "RUN.csv[:NAME=VALUE,...]", required = true)]
    pub data: Vec<String>,
    /// The parameters to estimate, comma-separated.
    #[arg(long, value_delimiter = ',', required = true, value_name = "NAMES")]
    pub fit: Vec<String>,
    /// Keep a parameter within LO..HI (its base units), e.g. Km=0.01:10.
    #[arg(long = "bound", value_delimiter = ',', value_name = "NAME=LO:HI")]
    pub bounds: Vec<String>,
    /// Measurement standard deviation of an output, in its unit, e.g.
    /// biomass=0.05. Outputs without one are weighted by 5 % of their RMS
    /// value and the intervals scaled by the residual variance.
    #[arg(long, value_delimiter = ',', value_name = "OUTPUT=SIGMA")]
    pub sigma: Vec<String>,
    /// Estimate these parameters as ln θ (positive ones); all fitted
    /// parameters when no names follow.
    #[arg(long, value_delimiter = ',', num_args = 0.., value_name = "NAMES")]
    pub log: Option<Vec<String>>,
    /// Where to start instead of the model's value: NAME=VALUE.
    #[arg(long = "start", value_delimiter = ',', value_name = "NAME=VALUE")]
    pub start: Vec<String>,
    /// Starts: the first at the parameters' values, the others from a Latin
    /// hypercube over their bounds (or a factor of ten around the start).
    #[arg(long, default_value_t = 1)]
    pub starts: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Residual evaluations allowed per start.
    #[arg(long, default_value_t = 200)]
    pub max_evaluations: usize,
    /// Write estimates, intervals and correlations as JSON (usable with
    /// `bioflux run --params`).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Draw the data against the fitted trajectories (.png or .svg).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Compare the sensitivities with finite differences at the start, then stop.
    #[arg(long)]
    pub check_gradient: bool,
    /// Integrator tolerances (default: the model's, at most 1e-6 and 1e-9).
    #[arg(long)]
    pub rtol: Option<f64>,
    #[arg(long)]
    pub atol: Option<f64>,
    #[arg(long = "plugin-path", value_name = "DIR")]
    pub plugin_path: Vec<PathBuf>,
}

pub fn fit(args: &FitArgs) -> bool {
    // An untrained term is what fitting it starts from: no note on those.
    finish(
        open_model(&args.file, &args.plugin_path, false).and_then(|model| run_fit(&model, args)),
        "nothing was fitted",
    )
}

fn argument(message: String) -> CommandError {
    CommandError::Argument(message)
}

/// NAME=VALUE pairs, the value with an optional unit.
fn pairs(flag: &str, items: &[String]) -> Result<Vec<(String, String)>, CommandError> {
    items
        .iter()
        .map(|item| {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| argument(format!("{flag} {item}: write NAME=VALUE, e.g. {flag} Km=0.5")))?;
            Ok((name.trim().to_string(), value.trim().to_string()))
        })
        .collect()
}

fn number(flag: &str, text: &str) -> Result<f64, CommandError> {
    parse_quantity(text).map(|q| q.value).map_err(|e| argument(format!("{flag}: {e}")))
}

/// The request as typed values: `--start NAME=VALUE`, `--bound NAME=LO:HI`
/// (numbers with optional units), `--log [NAMES]` and `--sigma`.
fn fit_request(args: &FitArgs) -> Result<FitRequest, CommandError> {
    let starts = pairs("--start", &args.start)?
        .into_iter()
        .map(|(name, value)| Ok((name, number("--start", &value)?)))
        .collect::<Result<_, CommandError>>()?;
    let bounds = pairs("--bound", &args.bounds)?
        .into_iter()
        .map(|(name, range)| {
            let (lo, hi) = range
                .split_once(':')
                .ok_or_else(|| argument(format!("--bound {name}={range}: write LO:HI, e.g. {name}=0.01:10")))?;
            Ok((name, (number("--bound", lo)?, number("--bound", hi)?)))
        })
        .collect::<Result<_, CommandError>>()?;
    let log = match &args.log {
        None => LogScale::Linear,
        Some(names) if names.is_empty() => LogScale::AllPositive,
        Some(names) => LogScale::Named(names.clone()),
    };
    let sigmas = pairs("--sigma", &args.sigma)?
        .into_iter()
        .map(|(name, value)| Ok((name, number("--sigma", &value)?)))
        .collect::<Result<_, CommandError>>()?;
    Ok(FitRequest {
        data: args.data.clone(),
        tables: vec![],
        spec: FitSpec { fit: args.fit.clone(), starts, bounds, log },
        sigmas,
        starts: args.starts,
        seed: args.seed,
        max_evaluations: args.max_evaluations,
        rtol: args.rtol,
        atol: args.atol,
    })
}

fn run_fit(model: &Model, args: &FitArgs) -> Result<bool, CommandError> {
    let setup = model.fit_setup(&fit_request(args)?)?;
    setup.notes.iter().for_each(|n| eprintln!("note: {n}"));
    let mut problem = setup.problem()?;
    for note in &problem.notes {
        eprintln!("note: {note}");
    }
    if args.check_gradient {
        outln!(
            "{:<16} {:>14} {:>14}  (d residual / d parameter: sensitivities vs central differences)",
            "parameter",
            "max |diff|",
            "max |value|"
        );
        for c in fit::check_gradient(&mut problem).map_err(bioflux_api::Error::Fit)? {
            outln!("{:<16} {:>14.3e} {:>14.3e}", c.name, c.max_difference, c.max_value);
        }
        return Ok(true);
    }
    let bar = ProgressBar::new(args.starts.max(1) as u64);
    bar.set_style(
        ProgressStyle::with_template("fitting {bar:30} {pos}/{len} starts, {elapsed} (eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let fitted = setup.fit(problem, args.starts, args.seed, args.max_evaluations, &|| bar.inc(1));
    bar.finish_and_clear();
    let fitted = fitted?;
    let checked = model.checked();
    print_report(checked, &fitted.problem, &fitted.results, &fitted.statistics, started.elapsed());
    for (path, file) in model.save_learned_terms(&fitted, &args.fit)? {
        eprintln!(
            "saved the {} weights of learned term `{}` to {} (`bioflux run` uses them)",
            file.weights.len(),
            file.mlp,
            path.display()
        );
    }
    if let Some(path) = &args.output {
        FitReport::new(checked, &args.file, &fitted.problem, &fitted.results, &fitted.statistics)
            .write(path)
            .map_err(bioflux_api::Error::from)?;
        eprintln!(
            "wrote {} (apply with `bioflux run {} --params {}`)",
            path.display(),
            args.file.display(),
            path.display()
        );
    }
    if let Some(path) = &args.plot {
        plot_fit(path, model, &fitted.problem, &fitted.theta)?;
        eprintln!("plotted the data and the fitted trajectories to {}", path.display());
    }
    Ok(true)
}

/// A weight of a learned term (`NAME.l0.w1_0`), not a named parameter.
fn is_weight(name: &str) -> bool {
    name.contains('.')
}

fn unit_of(model: &CheckedModel, index: usize) -> String {
    let dim = model.params[index].dim;
    if dim.is_none() { String::new() } else { dim.to_string() }
}

/// Four significant digits, in exponent form when far from 1.
fn sig(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() { "nan".into() } else { "inf".into() };
    }
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) { format!("{v:.4e}") } else { format!("{}", round_sig(v, 4)) }
}

fn round_sig(v: f64, digits: i32) -> f64 {
    if v == 0.0 {
        return 0.0;
    }
    let scale = 10f64.powi(digits - 1 - v.abs().log10().floor() as i32);
    (v * scale).round() / scale
}

fn print_report(
    model: &CheckedModel,
    problem: &Problem,
    results: &[StartResult],
    stats: &Statistics,
    took: std::time::Duration,
) {
    let best = &results[0];
    let same = results.iter().filter(|r| (r.cost - best.cost).abs() <= 1e-4 * best.cost.max(1e-300)).count();
    let failed = results.iter().filter(|r| !r.cost.is_finite()).count();
    let n_exp = problem.experiments().count();
    outln!(
        "fit of {}: {} parameter{}, {} experiment{}, {} data values; {} start{} ({} reached the best cost to 1e-4{}), {:.1} s",
        model.name,
        problem.params.len(),
        if problem.params.len() == 1 { "" } else { "s" },
        n_exp,
        if n_exp == 1 { "" } else { "s" },
        stats.n_data,
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        same,
        if failed > 0 { format!(", {failed} failed") } else { String::new() },
        took.as_secs_f64()
    );
    outln!();
    outln!("{:<16} {:>12} {:>12} {:>27}  unit", "parameter", "estimate", "std. error", "95 % interval");
    for (e, p) in stats.estimates.iter().zip(&problem.params).filter(|(e, _)| !is_weight(&e.name)) {
        let interval = format!("[{}, {}]", sig(e.interval.0), sig(e.interval.1));
        let scale = if e.log { " (log scale)" } else { "" };
        outln!(
            "{:<16} {:>12} {:>12} {:>27}  {}{scale}",
            e.name,
            sig(e.value),
            sig(e.se),
            interval,
            unit_of(model, p.index)
        );
    }
    for mlp in model.mlps.iter() {
        let n = problem.params.iter().filter(|p| p.name.starts_with(&format!("{}.", mlp.name))).count();
        if n > 0 {
            outln!("{:<16} {n} weights of the learned term (tanh {:?}), not listed", mlp.name, mlp.hidden);
        }
    }
    // Correlations among the named parameters (a network's weights are
    // correlated by construction).
    let named: Vec<usize> = (0..stats.estimates.len()).filter(|&i| !is_weight(&stats.estimates[i].name)).collect();
    if named.len() > 1 {
        outln!();
        out!("{:<16}", "correlation");
        for &i in &named {
            out!(" {:>10}", truncate(&stats.estimates[i].name, 10));
        }
        outln!();
        for &a in &named {
            out!("{:<16}", stats.estimates[a].name);
            for &b in &named {
                out!(" {:>10.3}", stats.correlation[a][b]);
            }
            outln!();
        }
    }
    outln!();
    outln!("{:<16} {:>6} {:>12} {:>12} {:>12} {:>12}  unit", "residuals", "n", "bias", "RMS", "max |·|", "σ");
    for o in &stats.outputs {
        outln!(
            "{:<16} {:>6} {:>12} {:>12} {:>12} {:>12}  {}",
            o.name,
            o.n,
            sig(o.mean),
            sig(o.rms),
            sig(o.max_abs),
            sig(o.sigma),
            o.unit
        );
    }
    outln!();
    outln!(
        "cost ½Σ((model − data)/σ)² = {}; χ²/dof = {} with {} degrees of freedom ({})",
        sig(stats.cost),
        sig(stats.reduced_chi_square),
        stats.dof,
        if stats.absolute_sigma {
            "σ as given; near 1 when the model explains the data to within the noise"
        } else {
            "intervals scaled by it, as σ were not all given"
        }
    );
    outln!("optimiser: {} after {} evaluations", best.termination, best.evaluations);
    let named_pair = |a: usize, b: usize| !is_weight(&stats.estimates[a].name) && !is_weight(&stats.estimates[b].name);
    for (a, b, r) in stats.correlated.iter().filter(|(a, b, _)| named_pair(*a, *b)) {
        outln!(
            "warning: `{}` and `{}` are practically non-identifiable from these data (correlation {r:.3}, |r| > {CORRELATION_WARNING}): \
             the data fix a combination of them, not each; measure what tells them apart, or fix one",
            stats.estimates[*a].name,
            stats.estimates[*b].name
        );
    }
    let undetermined: Vec<String> =
        stats.undetermined.iter().filter(|n| !is_weight(n)).map(|n| format!("`{n}`")).collect();
    if !undetermined.is_empty() {
        outln!(
            "warning: the data do not inform {} at all (a zero singular value of the sensitivity matrix)",
            undetermined.join(", ")
        );
    }
    for (e, p) in stats.estimates.iter().zip(&problem.params) {
        if let Some((lo, hi)) = p.bounds
            && ((e.value - lo).abs() <= 1e-6 * (hi - lo) || (hi - e.value).abs() <= 1e-6 * (hi - lo))
        {
            outln!(
                "warning: `{}` ended at its bound ({}); the interval assumes an interior optimum",
                e.name,
                sig(e.value)
            );
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Each experiment simulated at the estimate, finely, beside its data.
fn plot_fit(path: &Path, fitted_model: &Model, problem: &Problem, theta: &[f64]) -> Result<(), CommandError> {
    // A model of its own, from the same checked model: these runs compile
    // without sensitivities (the estimates are set on every run).
    let mut model = fitted_model.shared().model();
    let mut panels: Vec<crate::plot::FitPanel> = Vec::new();
    for e in problem.experiments() {
        let mut sets = e.sets.clone();
        sets.extend(problem.params.iter().zip(theta).map(|(p, v)| ParamSet::base(&p.name, *v)));
        let end = *e.times.last().unwrap_or(&1.0);
        let start = model.checked().simulate.start;
        let overrides =
            Overrides { sets, end: Some(end), output_interval: Some((end - start) / 300.0), ..Default::default() };
        let run = model.run(&overrides)?;
        let sim = &run.simulation;
        for column in &e.columns {
            let at = match panels.iter().position(|p| p.name == column.name) {
                Some(at) => at,
                None => {
                    panels.push(crate::plot::FitPanel {
                        name: column.name.clone(),
                        unit: column.unit.clone(),
                        curves: vec![],
                    });
                    panels.len() - 1
                }
            };
            let k = 1 + column.observable;
            let line: Vec<(f64, f64)> = sim.rows.iter().map(|r| (r[0], r[k])).collect();
            let points: Vec<(f64, f64)> =
                e.times.iter().zip(&column.values).filter_map(|(t, v)| v.map(|v| (*t, v))).collect();
            panels[at].curves.push((e.label(), line, points));
        }
    }
    crate::plot::fit(path, &panels).map_err(CommandError::Plot)
}
