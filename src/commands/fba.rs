//! `bioflux fba`: one LP through the `pfba` plugin, over the plugin ABI.

use super::{CommandError, finish};
use bioflux_api::{Bound, FbaRequest, FbaStatus};
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

/// `RXN=LB:UB` (either side may be empty) or `RXN=VALUE`.
fn bounds(spec: &str) -> Result<Vec<(String, Bound)>, CommandError> {
    let (rxn, range) =
        spec.split_once('=').ok_or_else(|| CommandError::Argument(format!("--bound {spec}: write RXN=LB:UB")))?;
    let number = |t: &str| {
        t.trim().parse::<f64>().map_err(|_| CommandError::Argument(format!("--bound {spec}: `{t}` is not a number")))
    };
    let rxn = rxn.to_string();
    Ok(match range.split_once(':') {
        None => vec![(rxn, Bound::Fixed(number(range)?))],
        Some((lo, hi)) => {
            let mut v = Vec::new();
            if !lo.trim().is_empty() {
                v.push((rxn.clone(), Bound::Lower(number(lo)?)));
            }
            if !hi.trim().is_empty() {
                v.push((rxn, Bound::Upper(number(hi)?)));
            }
            v
        }
    })
}

/// `bioflux fba`: true when the LP was solved (relaxed counts).
pub fn fba(args: &FbaArgs) -> bool {
    finish(solve_once(args), "nothing was solved")
}

fn solve_once(args: &FbaArgs) -> Result<bool, CommandError> {
    let mut request = FbaRequest {
        model: args.model.clone(),
        objective: args.objective.clone(),
        minimize: args.minimize,
        pfba: args.pfba,
        relax: args.relax,
        plugin_path: args.plugin_path.clone(),
        ..Default::default()
    };
    for b in &args.bounds {
        request.bounds.extend(bounds(b)?);
    }
    let solution = bioflux_api::fba(&request)?;
    solution.notes.iter().for_each(|n| eprintln!("note: {n}"));
    let (Some(objective), Some(slack)) = (solution.objective, solution.slack) else {
        if args.json {
            let none = serde_json::Value::Null;
            outln!(
                "{}",
                serde_json::json!({ "status": "infeasible", "objective": none, "slack": none, "fluxes": none })
            );
        } else {
            outln!("status     infeasible\nobjective  none\nslack      none");
            eprintln!("note: no flux distribution satisfies the bounds; --relax finds the least slack that makes one");
        }
        return Ok(false);
    };
    debug_assert_ne!(solution.status, FbaStatus::Infeasible);
    let status_name = solution.status.as_str();
    let fluxes = &solution.fluxes;
    if args.json {
        let map: serde_json::Map<String, serde_json::Value> =
            fluxes.iter().map(|(k, v)| (k.clone(), (*v).into())).collect();
        outln!(
            "{}",
            serde_json::json!({ "status": status_name, "objective": objective, "slack": slack, "fluxes": map })
        );
    } else {
        outln!("status     {status_name}\nobjective  {objective}\nslack      {slack}");
        let mut largest = fluxes.clone();
        largest.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        outln!("\n{:<24} {:>14}", "reaction", "flux");
        for (id, v) in largest.iter().take(args.top) {
            outln!("{id:<24} {v:>14.6}");
        }
    }
    Ok(true)
}
