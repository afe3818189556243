//! The subcommands: each reads files, calls the library, and reports.

use bioflux_compiler::diagnostic::suggestion;
use bioflux_compiler::model::Solver;
use bioflux_compiler::units::Dim;
use bioflux_compiler::{CheckedModel, check_source, parse_source};
use bioflux_runtime::host::{Instance, Plugin, SearchPath};
use bioflux_runtime::params::parse_quantity;
use bioflux_runtime::simulate::Simulation;
use bioflux_runtime::{Environment, Overrides, Run, RunError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

fn read(path: &Path) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(s) => Some(s),
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            None
        }
    }
}

fn report(d: impl Into<Box<bioflux_compiler::Diagnostic>>) {
    eprintln!("{:?}", miette::Report::new_boxed(d.into()));
}

fn summary(m: &CheckedModel) -> String {
    let count = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    [
        count(m.params.len(), "parameter", "parameters"),
        count(m.species.len(), "species", "species"),
        count(m.cells.len(), "cell model", "cell models"),
        count(m.networks.len(), "network", "networks"),
    ]
    .join(", ")
}

/// `bioflux check`: true when every file is clean.
pub fn check(files: &[PathBuf]) -> bool {
    let mut errors = 0;
    for path in files {
        let Some(src) = read(path) else {
            errors += 1;
            continue;
        };
        match check_source(&path.display().to_string(), &src) {
            Ok(model) => println!("{}: ok (model {}: {})", path.display(), model.name, summary(&model)),
            Err(diags) => {
                errors += diags.len();
                for d in diags {
                    report(d);
                }
            }
        }
    }
    if errors > 0 {
        eprintln!("{errors} error{} found", if errors == 1 { "" } else { "s" });
    }
    errors == 0
}

/// `bioflux fmt`: true when every file was formatted (or, with `check`,
/// already is canonical).
pub fn fmt(files: &[PathBuf], write: bool, check: bool) -> bool {
    let mut ok = true;
    for path in files {
        let Some(src) = read(path) else {
            ok = false;
            continue;
        };
        let ast = match parse_source(&path.display().to_string(), &src) {
            Ok(ast) => ast,
            Err(d) => {
                report(d);
                ok = false;
                continue;
            }
        };
        let formatted = bioflux_grammar::format_model(&ast, &src);
        if check {
            if formatted != src {
                eprintln!("{}: not in canonical form (run `bioflux fmt --write`)", path.display());
                ok = false;
            }
        } else if write {
            if formatted != src
                && let Err(e) = std::fs::write(path, &formatted)
            {
                eprintln!("error: cannot write {}: {e}", path.display());
                ok = false;
            }
        } else {
            print!("{formatted}");
        }
    }
    ok
}

pub struct RunArgs {
    pub file: PathBuf,
    pub output: Option<PathBuf>,
    pub set: Vec<String>,
    pub end: Option<String>,
    pub every: Option<String>,
    pub solver: Option<Solver>,
    pub rtol: Option<f64>,
    pub atol: Option<f64>,
    pub json: bool,
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
    let Some(src) = read(&args.file) else { return false };
    let model = match check_source(&args.file.display().to_string(), &src) {
        Ok(m) => m,
        Err(diags) => {
            let n = diags.len();
            for d in diags {
                report(d);
            }
            eprintln!("{n} error{} found; nothing was run", if n == 1 { "" } else { "s" });
            return false;
        }
    };
    let source = Arc::new(miette::NamedSource::new(args.file.display().to_string(), src.clone()));
    match prepare_and_run(&model, args) {
        Ok(ok) => ok,
        Err(RunError::Diagnostics(diags)) => {
            let n = diags.len();
            for d in diags {
                report(d.with_source(source.clone()));
            }
            eprintln!("{n} error{} found; nothing was run", if n == 1 { "" } else { "s" });
            false
        }
        Err(RunError::Message(message)) => {
            eprintln!("error: {message}");
            false
        }
    }
}

fn prepare_and_run(model: &CheckedModel, args: &RunArgs) -> Result<bool, RunError> {
    let overrides = Overrides {
        sets: args.set.clone(),
        end: args.end.as_deref().map(|t| time_arg("--end", t)).transpose()?,
        output_interval: match args.every.as_deref().map(|t| time_arg("--every", t)).transpose()? {
            Some(v) if v <= 0.0 => return Err("--every must be positive".into()),
            other => other,
        },
        solver: args.solver,
        rtol: args.rtol,
        atol: args.atol,
    };
    let env = Environment {
        plugins: SearchPath::new(&args.plugin_path),
        base_dir: args.file.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let Run { simulation: result, compile_time, .. } = bioflux_runtime::run(model, &overrides, &env)?;
    write_results(&result, &model.name, args)?;
    for n in &result.negatives {
        eprintln!(
            "note: {} went below zero by solver error: {:.3e} at t = {} h (not clamped; tighten --atol to reduce it)",
            n.species, n.value, n.time
        );
    }
    if let Some(f) = &result.failure {
        report_failure(model, f);
    }
    let s = &result.stats;
    eprintln!(
        "{}: t = {} h{}, {} steps, {} RHS and {} Jacobian evaluations, compiled in {}, ran in {}",
        model.name,
        s.final_time,
        if result.failure.is_some() { " (PARTIAL: the run failed; the rows up to then are written)" } else { "" },
        s.steps,
        s.rhs_evaluations,
        s.jacobian_evaluations,
        duration(compile_time),
        duration(s.wall)
    );
    Ok(result.failure.is_none())
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
    eprintln!("error: the integration failed at t = {} h: {}", f.time, f.message);
    let names = std::iter::once("V".to_string()).chain(model.species.iter().map(|s| s.name.clone()));
    for (i, name) in names.enumerate() {
        let (x, dx) = (f.state.get(i).copied().unwrap_or(f64::NAN), f.derivatives.get(i).copied().unwrap_or(f64::NAN));
        let what = if i == 0 { "volume [L]" } else { "amount [base units]" };
        eprintln!("  {name:>12}: {what} = {x:.6e}, d/dt = {dx:.6e}");
    }
    eprintln!(
        "  help: a NaN or infinite rate usually comes from a division by a concentration that reached zero; try `--solver bdf`, tighter tolerances, or guard the expression with max(..., 0)"
    );
}

/// `bioflux plugins`: every plugin in the search path.
pub fn plugins(extra: &[PathBuf]) -> bool {
    let search = SearchPath::new(extra);
    let mut found = 0;
    for path in search.libraries() {
        if let Ok(p) = Plugin::open(&path) {
            println!("{:<20} {:<10} {}", p.name, p.version, p.path.display());
            found += 1;
        }
    }
    if found == 0 {
        let dirs: Vec<String> = search.dirs.iter().map(|d| d.display().to_string()).collect();
        eprintln!("no plugins found in: {}", dirs.join(", "));
    }
    true
}

pub struct FbaArgs {
    pub model: PathBuf,
    pub bounds: Vec<String>,
    pub objective: Option<String>,
    pub pfba: bool,
    pub relax: bool,
    pub top: usize,
    pub json: bool,
    pub plugin_path: Vec<PathBuf>,
}

/// `RXN=LB:UB` (either side may be empty) or `RXN=VALUE`, as plugin inputs.
fn bound_inputs(spec: &str) -> Result<Vec<(String, f64)>, String> {
    let (rxn, range) = spec.split_once('=').ok_or_else(|| format!("--bound {spec}: write RXN=LB:UB"))?;
    let number = |t: &str| t.trim().parse::<f64>().map_err(|_| format!("--bound {spec}: `{t}` is not a number"));
    Ok(match range.split_once(':') {
        None => vec![(format!("{rxn}.fixed"), number(range)?)],
        Some((lo, hi)) => {
            let mut v = Vec::new();
            if !lo.trim().is_empty() {
                v.push((format!("{rxn}.lower"), number(lo)?));
            }
            if !hi.trim().is_empty() {
                v.push((format!("{rxn}.upper"), number(hi)?));
            }
            v
        }
    })
}

/// `bioflux fba`: true when the LP was solved (relaxed counts).
pub fn fba(args: &FbaArgs) -> bool {
    match solve_once(args) {
        Ok(ok) => ok,
        Err(message) => {
            eprintln!("error: {message}");
            false
        }
    }
}

fn solve_once(args: &FbaArgs) -> Result<bool, String> {
    let mut inputs: Vec<(String, f64)> = Vec::new();
    for b in &args.bounds {
        inputs.extend(bound_inputs(b)?);
    }
    let search = SearchPath::new(&args.plugin_path);
    let path = search.find("pfba").ok_or("the `pfba` plugin was not found; pass --plugin-path DIR")?;
    let plugin = std::rc::Rc::new(Plugin::open(&path)?);
    let objective: Vec<serde_json::Value> =
        args.objective.iter().map(|r| serde_json::json!({ "reaction": r, "sense": "max" })).collect();
    let config = serde_json::json!({
        "source": args.model.display().to_string(),
        "options": { "pfba": args.pfba },
        "objective": objective,
        "infeasible": if args.relax { "relax" } else { "error" },
        "inputs": inputs.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
    });
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let instance = Instance::create(plugin, &config.to_string(), &cwd)?;
    let names: Vec<&str> = instance.inputs.iter().map(|p| p.name.as_str()).collect();
    for (name, _) in &inputs {
        if !names.contains(&name.as_str()) {
            let rxn = name.rsplit_once('.').map_or(name.as_str(), |(r, _)| r);
            let reactions = instance.outputs.iter().map(|p| p.name.as_str());
            return Err(format!("the model has no reaction `{rxn}`. {}", suggestion(rxn, reactions, ""))
                .trim()
                .to_string());
        }
    }
    let values: Vec<f64> =
        instance.inputs.iter().map(|p| inputs.iter().find(|(n, _)| *n == p.name).map_or(0.0, |i| i.1)).collect();
    let mut outputs = vec![0.0; instance.outputs.len()];
    let status = instance.eval(&values, &mut outputs);
    let n = outputs.len() - 2;
    let (objective, slack) = (outputs[n], outputs[n + 1]);
    let status_name = match status {
        0 => "optimal",
        1 => "relaxed",
        _ => {
            let message = instance.last_error();
            if args.json && message.contains("infeasible") {
                println!("{}", serde_json::json!({ "status": "infeasible", "message": message }));
                return Ok(false);
            }
            return Err(message);
        }
    };
    let fluxes: Vec<(&str, f64)> =
        instance.outputs[..n].iter().map(|p| p.name.as_str()).zip(outputs[..n].iter().copied()).collect();
    if args.json {
        let map: serde_json::Map<String, serde_json::Value> =
            fluxes.iter().map(|(k, v)| (k.to_string(), (*v).into())).collect();
        println!(
            "{}",
            serde_json::json!({ "status": status_name, "objective": objective, "slack": slack, "fluxes": map })
        );
    } else {
        println!("status     {status_name}\nobjective  {objective}\nslack      {slack}");
        let mut largest = fluxes.clone();
        largest.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(b.0)));
        println!("\n{:<24} {:>14}", "reaction", "flux");
        for (id, v) in largest.iter().take(args.top) {
            println!("{id:<24} {v:>14.6}");
        }
    }
    Ok(true)
}
