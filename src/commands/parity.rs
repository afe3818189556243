//! `bioflux parity`: a surrogate against the cell model it learned, at one
//! point, reaction by reaction (the paper's Figure 4): a table, the total
//! flux, the glycolysis total, and a parity plot.

use super::{CommandError, finish, open_model};
use bioflux_api::Error;
use std::path::PathBuf;

pub struct ParityArgs {
    pub file: PathBuf,
    pub cell: String,
    pub surrogate: PathBuf,
    /// INPUT=VALUE (lower bounds as uptakes).
    pub at: Vec<String>,
    pub output: Option<PathBuf>,
    pub top: usize,
    /// Reactions summed as a pathway (glycolysis by default).
    pub pathway: Vec<String>,
    pub plugin_path: Vec<PathBuf>,
}

/// Glycolysis as the paper sums it (iCH360 and e_coli_core ids): the
/// default `--pathway`.
pub const GLYCOLYSIS: &str = "PGI,PFK,FBA,TPI,GAPD,PGK,PGM,ENO,PYK";

pub fn parity(args: &ParityArgs) -> bool {
    finish(compare(args).map(|()| true), "nothing was compared")
}

fn argument(message: String) -> CommandError {
    CommandError::Argument(message)
}

fn compare(args: &ParityArgs) -> Result<(), CommandError> {
    let cell = open_model(&args.file, &args.plugin_path, false)?.cell(&args.cell)?;
    let lp = cell.instance();
    let net = bioflux_api::open_surrogate(&args.surrogate, &args.plugin_path)?;
    // Port values from INPUT=VALUE; the surrogate's ports are the LP's.
    let mut bounds = vec![0.0; lp.inputs.len()];
    let mut given = vec![false; lp.inputs.len()];
    for spec in &args.at {
        let (name, value) = spec.split_once('=').ok_or_else(|| argument(format!("--at {spec}: write INPUT=VALUE")))?;
        let v: f64 = value.trim().parse().map_err(|_| argument(format!("--at {spec}: `{value}` is not a number")))?;
        let k =
            lp.inputs.iter().position(|p| p.name == name || p.name.rsplit_once('.').is_some_and(|(r, _)| r == name));
        let k = k.ok_or_else(|| argument(format!("--at {spec}: the cell has no input `{name}`")))?;
        bounds[k] = if lp.inputs[k].name.ends_with(".lower") { -v } else { v };
        given[k] = true;
    }
    let missing: Vec<String> =
        lp.inputs.iter().zip(&given).filter(|(_, g)| !**g).map(|(p, _)| p.name.clone()).collect();
    if !missing.is_empty() {
        return Err(Error::MissingInputs { cell: args.cell.clone(), what: "--at", missing }.into());
    }
    let net_bounds: Vec<f64> = net
        .inputs
        .iter()
        .map(|p| lp.inputs.iter().position(|q| q.name == p.name).map(|k| bounds[k]))
        .collect::<Option<_>>()
        .ok_or_else(|| argument("the surrogate's inputs are not the cell's".into()))?;
    let (mut a, mut b) = (vec![0.0; lp.outputs.len()], vec![0.0; net.outputs.len()]);
    if !lp.eval(&bounds, &mut a).has_result() {
        return Err(Error::Evaluation { what: "the cell".into(), message: lp.last_error() }.into());
    }
    if !net.eval(&net_bounds, &mut b).has_result() {
        return Err(Error::Evaluation { what: "the surrogate".into(), message: net.last_error() }.into());
    }
    // Reactions both give (not the objective or slack).
    let pairs: Vec<(&str, f64, f64)> = lp
        .outputs
        .iter()
        .zip(&a)
        .filter(|(p, _)| p.name != "objective" && p.name != "slack")
        .filter_map(|(p, &x)| net.outputs.iter().position(|q| q.name == p.name).map(|k| (p.name.as_str(), x, b[k])))
        .collect();
    let pathway: Vec<&str> = args.pathway.iter().map(String::as_str).collect();
    let missing: Vec<&str> = pathway.iter().copied().filter(|r| !pairs.iter().any(|p| p.0 == *r)).collect();
    if !missing.is_empty() {
        eprintln!("note: the pathway's {} are not reactions both models give; summed without them", missing.join(", "));
    }
    let total = |f: &dyn Fn(&(&str, f64, f64)) -> f64, only: Option<&[&str]>| -> f64 {
        pairs.iter().filter(|p| only.is_none_or(|o| o.contains(&p.0))).map(f).sum()
    };
    let mut rows = pairs.clone();
    rows.sort_by(|x, y| y.1.abs().total_cmp(&x.1.abs()).then(x.0.cmp(y.0)));
    outln!("{:<24} {:>12} {:>12} {:>12}", "reaction", "cell", "surrogate", "error");
    for (name, x, y) in rows.iter().take(args.top) {
        outln!("{name:<24} {x:>12.4} {y:>12.4} {:>12.4}", y - x);
    }
    let worst = pairs.iter().max_by(|p, q| (p.2 - p.1).abs().total_cmp(&(q.2 - q.1).abs()));
    outln!(
        "\ntotal |flux|       cell {:.4}  surrogate {:.4}\n{:<19}cell {:.4}  surrogate {:.4}",
        total(&|p| p.1.abs(), None),
        total(&|p| p.2.abs(), None),
        if args.pathway.join(",") == GLYCOLYSIS { "glycolysis |flux|" } else { "pathway |flux|" },
        total(&|p| p.1.abs(), Some(&pathway)),
        total(&|p| p.2.abs(), Some(&pathway))
    );
    if let Some((name, x, y)) = worst {
        outln!(
            "worst              {name}: {:.4} ({:.1} % of |cell|)",
            y - x,
            100.0 * (y - x).abs() / x.abs().max(1e-12)
        );
    }
    if let Some(path) = &args.output {
        let points: Vec<(f64, f64)> = pairs.iter().map(|p| (p.1, p.2)).collect();
        let title = format!("{} at {}", args.cell, args.at.join(", "));
        crate::plot::parity(path, &title, &points, "cell model [mmol/gDW/h]", "surrogate [mmol/gDW/h]")
            .map_err(CommandError::Plot)?;
        eprintln!("plotted {} reactions to {}", points.len(), path.display());
    }
    Ok(())
}
