//! `bioflux sensitivity`: d(output)/d(input) of a cell model over a grid
//! of its inputs — from the LP's optimal bases (exact, piecewise constant)
//! or a surrogate's autodiff, whatever Jacobian the plugin gives — as
//! heatmaps with colour bars or as CSV.

use super::cell::open_cell;
use super::succeeded;
use crate::plot::{Map, heatmaps};
use bioflux_runtime::sampling::{Axis, grid_points, over_points};
use indicatif::ProgressBar;
use std::path::PathBuf;

pub struct SensitivityArgs {
    pub file: PathBuf,
    pub cell: String,
    pub of: String,
    pub wrt: Vec<String>,
    pub grids: Vec<String>,
    pub output: PathBuf,
    pub plugin_path: Vec<PathBuf>,
}

/// `bioflux sensitivity`: true when the map was written.
pub fn sensitivity(args: &SensitivityArgs) -> bool {
    succeeded(map(args))
}

/// "d EX_glc__D_e" for an uptake axis says what the derivative is taken by.
fn by(axis: &Axis) -> String {
    if axis.uptake { format!("{} uptake", axis.name) } else { axis.name.clone() }
}

fn map(args: &SensitivityArgs) -> Result<(), String> {
    let open = open_cell(&args.file, &args.cell, &args.plugin_path)?;
    let axes = open.axes(&args.grids)?;
    let of = open.outputs.iter().position(|o| o.0 == args.of).ok_or_else(|| {
        let names = open.outputs.iter().map(|o| o.0.as_str());
        format!(
            "cell `{}` has no output `{}`. {}",
            args.cell,
            args.of,
            bioflux_compiler::diagnostic::suggestion(&args.of, names, "")
        )
    })?;
    let wrt: Vec<usize> = args
        .wrt
        .iter()
        .map(|w| {
            axes.iter().position(|a| a.name == *w || open.ports[a.port] == *w).ok_or_else(|| {
                let names: Vec<&str> = axes.iter().map(|a| a.name.as_str()).collect();
                format!("--wrt {w}: not one of the gridded inputs ({})", names.join(", "))
            })
        })
        .collect::<Result<_, _>>()?;
    if open.cell().instance.plugin.table.jacobian.is_none() {
        return Err(format!("plugin `{}` gives no Jacobian to map", open.cell().instance.plugin.name));
    }
    let points = grid_points(&axes);
    let (n_in, n_out) = (open.ports.len(), open.outputs.len());
    let factory = open.factory();
    let bar = ProgressBar::new(points.len() as u64);
    let values = over_points(&factory, &axes, n_in, &points, &|| bar.inc(1), |instance, ports| {
        let (mut out, mut jac) = (vec![0.0; n_out], vec![0.0; n_in * n_out]);
        let ok = instance.eval(ports, &mut out) < 2 && instance.jacobian(ports, &mut jac) == Some(0);
        wrt.iter()
            .map(|&w| {
                let a = &axes[w];
                let d = jac[of * n_in + a.port];
                if !ok {
                    f64::NAN
                } else if a.uptake {
                    -d
                } else {
                    d
                }
            })
            .collect::<Vec<f64>>()
    })?;
    bar.finish_and_clear();
    let csv = args.output.extension().is_some_and(|e| e == "csv");
    if csv {
        let mut w =
            csv::Writer::from_path(&args.output).map_err(|e| format!("cannot write {}: {e}", args.output.display()))?;
        let header: Vec<String> =
            axes.iter().map(by).chain(wrt.iter().map(|&i| format!("d {}/d {}", args.of, by(&axes[i])))).collect();
        w.write_record(&header).map_err(|e| e.to_string())?;
        for (p, v) in points.iter().zip(&values) {
            w.write_record(p.iter().chain(v).map(|x| bioflux_runtime::output::number(*x)))
                .map_err(|e| e.to_string())?;
        }
        w.flush().map_err(|e| e.to_string())?;
    } else {
        if axes.len() != 2 {
            return Err("a map needs exactly two gridded inputs; write .csv for other cases".into());
        }
        // Points come back and forth along the second axis: place each.
        let (xs, ys) = (axes[0].values(), axes[1].values());
        let place = |p: &[f64], v: &[f64]| -> usize { v.iter().position(|x| (x - p[0]).abs() < 1e-9).unwrap_or(0) };
        let maps: Vec<Map> = wrt
            .iter()
            .enumerate()
            .map(|(k, &w)| {
                let mut grid = vec![f64::NAN; xs.len() * ys.len()];
                for (p, v) in points.iter().zip(&values) {
                    let (i, j) = (place(&p[..1], &xs), place(&p[1..], &ys));
                    grid[i * ys.len() + j] = v[k];
                }
                Map {
                    title: format!("d {}/d {}", args.of, by(&axes[w])),
                    x_label: by(&axes[0]),
                    y_label: by(&axes[1]),
                    xs: &xs,
                    ys: &ys,
                    values: grid,
                }
            })
            .collect();
        heatmaps(&args.output, &maps)?;
    }
    let finite: Vec<f64> = values.iter().flatten().copied().filter(|v| v.is_finite()).collect();
    eprintln!(
        "mapped d {}/d {} at {} points (values {} to {}); wrote {}",
        args.of,
        args.wrt.join(", "),
        points.len(),
        bioflux_runtime::output::number(finite.iter().copied().fold(f64::INFINITY, f64::min)),
        bioflux_runtime::output::number(finite.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        args.output.display()
    );
    Ok(())
}
