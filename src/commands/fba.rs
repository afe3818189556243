//! `bioflux fba`: one LP through the `pfba` plugin, over the plugin ABI.

use bioflux_compiler::diagnostic::suggestion;
use bioflux_plugin::Status;
use bioflux_plugin::tools::{NoArguments, Notes};
use bioflux_runtime::host::{Instance, Plugin, SearchPath};
use std::path::PathBuf;

pub struct FbaArgs {
    pub model: PathBuf,
    pub bounds: Vec<String>,
    pub objective: Option<String>,
    pub minimize: bool,
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
    if args.minimize && args.objective.is_none() {
        return Err("--minimize applies to --objective: name the reaction to minimise".into());
    }
    let search = SearchPath::new(&args.plugin_path);
    let path = search.find("pfba").ok_or("the `pfba` plugin was not found; pass --plugin-path DIR")?;
    let plugin = std::rc::Rc::new(Plugin::open(&path)?);
    let sense = if args.minimize { "min" } else { "max" };
    let objective: Vec<serde_json::Value> =
        args.objective.iter().map(|r| serde_json::json!({ "reaction": r, "sense": sense })).collect();
    // Without --relax an infeasible LP answers with the stop status: the
    // LP has no solution, which is a result here, not an error.
    let config = serde_json::json!({
        "source": args.model.display().to_string(),
        "options": { "pfba": args.pfba },
        "objective": objective,
        "infeasible": if args.relax { "relax" } else { "stop" },
        "inputs": inputs.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
    });
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let instance = Instance::create(plugin.clone(), &config.to_string(), &cwd)?;
    if let Ok(notes) = plugin.call::<Notes>(&NoArguments {}) {
        notes.iter().for_each(|n| eprintln!("note: {n}"));
    }
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
    // The LP's outputs: every reaction's flux, and `objective` and `slack`
    // found by name.
    let named = |name: &str| instance.outputs.iter().position(|p| p.name == name);
    let (Some(objective_slot), Some(slack_slot)) = (named("objective"), named("slack")) else {
        return Err(format!("plugin `{}` has no `objective` and `slack` outputs: not an LP cell model", plugin.name));
    };
    let (objective, slack) = (outputs[objective_slot], outputs[slack_slot]);
    let status_name = match status {
        s if s == Status::Ok as i32 => "optimal",
        s if s == Status::Relaxed as i32 => "relaxed",
        s if s == Status::Stop as i32 => {
            if args.json {
                let none = serde_json::Value::Null;
                outln!(
                    "{}",
                    serde_json::json!({ "status": "infeasible", "objective": none, "slack": none, "fluxes": none })
                );
            } else {
                outln!("status     infeasible\nobjective  none\nslack      none");
                eprintln!(
                    "note: no flux distribution satisfies the bounds; --relax finds the least slack that makes one"
                );
            }
            return Ok(false);
        }
        _ => return Err(instance.last_error()),
    };
    let fluxes: Vec<(&str, f64)> = instance
        .outputs
        .iter()
        .zip(&outputs)
        .enumerate()
        .filter(|(slot, _)| *slot != objective_slot && *slot != slack_slot)
        .map(|(_, (p, v))| (p.name.as_str(), *v))
        .collect();
    if args.json {
        let map: serde_json::Map<String, serde_json::Value> =
            fluxes.iter().map(|(k, v)| (k.to_string(), (*v).into())).collect();
        outln!(
            "{}",
            serde_json::json!({ "status": status_name, "objective": objective, "slack": slack, "fluxes": map })
        );
    } else {
        outln!("status     {status_name}\nobjective  {objective}\nslack      {slack}");
        let mut largest = fluxes.clone();
        largest.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(b.0)));
        outln!("\n{:<24} {:>14}", "reaction", "flux");
        for (id, v) in largest.iter().take(args.top) {
            outln!("{id:<24} {v:>14.6}");
        }
    }
    Ok(true)
}
