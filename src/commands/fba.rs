//! `bioflux fba`: one LP through the `pfba` plugin, over the plugin ABI.

use bioflux_compiler::diagnostic::suggestion;
use bioflux_runtime::host::{Instance, Plugin, SearchPath};
use std::path::PathBuf;

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
