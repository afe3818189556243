//! `bioflux sensitivity`: d(output)/d(input) of a cell model over a grid
//! of its inputs — from the LP's optimal bases (exact, piecewise constant)
//! or a surrogate's autodiff, whatever Jacobian the plugin gives — as
//! heatmaps with colour bars or as CSV.

use super::{CommandError, finish, open_model};
use crate::plot::{Map, heatmaps};
use bioflux_runtime::sampling::{Axis, grid_points};
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
    finish(map(args).map(|()| true), "nothing was mapped")
}

/// "d EX_glc__D_e" for an uptake axis says what the derivative is taken by.
fn by(axis: &Axis) -> String {
    if axis.uptake { format!("{} uptake", axis.name) } else { axis.name.clone() }
}

fn map(args: &SensitivityArgs) -> Result<(), CommandError> {
    let cell = open_model(&args.file, &args.plugin_path, false)?.cell(&args.cell)?;
    let axes = cell.axes(&args.grids)?;
    let points = grid_points(&axes);
    let bar = ProgressBar::new(points.len() as u64);
    let map = cell.derivatives(&args.of, &args.wrt, axes, points, &|| bar.inc(1));
    bar.finish_and_clear();
    let bioflux_api::DerivativeMap { axes, wrt, points, values } = map?;
    let csv = args.output.extension().is_some_and(|e| e == "csv");
    if csv {
        let write_error = |e: csv::Error| CommandError::Write { path: args.output.clone(), source: e.into() };
        let mut w = csv::Writer::from_path(&args.output).map_err(write_error)?;
        let header: Vec<String> =
            axes.iter().map(by).chain(wrt.iter().map(|&i| format!("d {}/d {}", args.of, by(&axes[i])))).collect();
        w.write_record(&header).map_err(write_error)?;
        for (p, v) in points.iter().zip(&values) {
            w.write_record(p.iter().chain(v).map(|x| bioflux_runtime::output::number(*x))).map_err(write_error)?;
        }
        w.flush().map_err(|source| CommandError::Write { path: args.output.clone(), source })?;
    } else {
        if axes.len() != 2 {
            return Err(CommandError::Argument(
                "a map needs exactly two gridded inputs; write .csv for other cases".into(),
            ));
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
        heatmaps(&args.output, &maps).map_err(CommandError::Plot)?;
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
