//! How close a surrogate is to its LP over a held-out grid (issue 32, item
//! 3): every flux above 0.1 mmol/gDW/h within 10 % relative at every
//! point, the worst absolute error at glucose = O₂ = 10, and the same near
//! zero uptake.
//!
//!     cargo bench --bench surrogate_grid -- SURROGATE_DIR LP_SAMPLES.safetensors[:GRID.safetensors]...
//!
//! The samples are `bioflux sample` files of the surrogate's cell (uptake
//! grids, as it was trained on) at points it was not trained on. With
//! `:GRID` (a regular two-uptake grid of the same cell, such as the one it
//! was trained on, around the samples) the points missed are also counted
//! by how far they are, in the grid's cells, from a cell where the LP's
//! fluxes are not affine: a change of its optimal basis, a kink that a
//! smooth network rounds off; and how far the grid's own LP values,
//! interpolated (bilinear), are from the samples: what the grid alone
//! tells of the points between its nodes.

use bioflux_plugin::dataset::Dataset;
use bioflux_surrogate::Surrogate;
use std::path::Path;

/// A regular two-input grid of LP samples: the cells over which the
/// fluxes are not one affine function; and the grid's own values,
/// interpolated.
struct LpGrid {
    origin: [f64; 2],
    step: [f64; 2],
    /// (i, j) of each kinked cell, the cell from node (i, j) to (i + 1, j + 1).
    cells: Vec<(i64, i64)>,
    /// Nodes along each input.
    nodes: [usize; 2],
    /// The grid's row at node (i, j): `row[i * nodes[1] + j]`.
    row: Vec<usize>,
    grid: Dataset,
}

impl LpGrid {
    fn new(grid: Dataset, is_flux: impl Fn(&str) -> bool) -> LpGrid {
        assert_eq!(grid.n_inputs, 2, "a grid over two inputs");
        let axis = |c: usize| {
            let mut v: Vec<f64> = (0..grid.len()).map(|r| grid.inputs[r * 2 + c]).collect();
            v.sort_by(f64::total_cmp);
            v.dedup();
            v
        };
        let (a, b) = (axis(0), axis(1));
        assert_eq!(a.len() * b.len(), grid.len(), "a full grid");
        let (origin, step) = ([a[0], b[0]], [a[1] - a[0], b[1] - b[0]]);
        let m = grid.n_outputs;
        let fluxes: Vec<usize> = (0..m).filter(|&o| is_flux(&grid.metadata.outputs[o])).collect();
        let mut at = vec![usize::MAX; grid.len()];
        for r in 0..grid.len() {
            let i = ((grid.inputs[r * 2] - origin[0]) / step[0]).round() as usize;
            let j = ((grid.inputs[r * 2 + 1] - origin[1]) / step[1]).round() as usize;
            at[i * b.len() + j] = r;
        }
        let v = |i: usize, j: usize, o: usize| grid.outputs[at[i * b.len() + j] * m + o];
        let differs = |x: f64, scale: f64| x.abs() > 1e-6 * (1.0 + scale.abs());
        // Second differences along each axis, at each node: a kink beside it.
        let bent = |i: usize, j: usize| {
            fluxes.iter().any(|&o| {
                (i > 0 && i + 1 < a.len() && differs(v(i + 1, j, o) - 2.0 * v(i, j, o) + v(i - 1, j, o), v(i, j, o)))
                    || (j > 0
                        && j + 1 < b.len()
                        && differs(v(i, j + 1, o) - 2.0 * v(i, j, o) + v(i, j - 1, o), v(i, j, o)))
            })
        };
        let mut cells = Vec::new();
        for i in 0..a.len() - 1 {
            for j in 0..b.len() - 1 {
                let twisted = fluxes
                    .iter()
                    .any(|&o| differs(v(i + 1, j + 1, o) - v(i + 1, j, o) - v(i, j + 1, o) + v(i, j, o), v(i, j, o)));
                if twisted || [(i, j), (i + 1, j), (i, j + 1), (i + 1, j + 1)].iter().any(|&(p, q)| bent(p, q)) {
                    cells.push((i as i64, j as i64));
                }
            }
        }
        LpGrid { origin, step, cells, nodes: [a.len(), b.len()], row: at, grid }
    }

    /// The grid's LP outputs at `x` by bilinear interpolation (`out` in the
    /// grid's order): what the samples alone tell of a point between them.
    fn interpolate(&self, x: &[f64], out: &mut [f64]) {
        let m = self.grid.n_outputs;
        let node = |c: usize| {
            let t = (x[c] - self.origin[c]) / self.step[c];
            let i = (t.floor().max(0.0) as usize).min(self.nodes[c] - 2);
            (i, t - i as f64)
        };
        let ((i, s), (j, t)) = (node(0), node(1));
        let at = |p: usize, q: usize| &self.grid.outputs[self.row[p * self.nodes[1] + q] * m..][..m];
        let weights = [
            (i, j, (1.0 - s) * (1.0 - t)),
            (i + 1, j, s * (1.0 - t)),
            (i, j + 1, (1.0 - s) * t),
            (i + 1, j + 1, s * t),
        ];
        out.fill(0.0);
        for (p, q, w) in weights {
            for (o, v) in out.iter_mut().zip(at(p, q)) {
                *o += w * v;
            }
        }
    }

    /// Cells (Chebyshev) from the point to the nearest kinked cell.
    fn distance(&self, x: &[f64]) -> i64 {
        let i = ((x[0] - self.origin[0]) / self.step[0]).floor() as i64;
        let j = ((x[1] - self.origin[1]) / self.step[1]).floor() as i64;
        self.cells.iter().map(|&(p, q)| (p - i).abs().max((q - j).abs())).min().unwrap_or(i64::MAX)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let Some((net, files)) = args.split_first() else {
        eprintln!("usage: surrogate_grid SURROGATE_DIR SAMPLES...");
        std::process::exit(2);
    };
    let mut s = Surrogate::load(Path::new(net)).unwrap();
    let names: Vec<String> = s.meta.outputs.iter().map(|o| o.name.clone()).collect();
    let mut y = vec![0.0; names.len()];
    for arg in files {
        let (file, grid) = match arg.split_once(':') {
            Some((file, grid)) => (file, Some(grid)),
            None => (arg.as_str(), None),
        };
        let data = Dataset::read(Path::new(file)).unwrap();
        let index: Vec<usize> =
            names.iter().map(|n| data.metadata.outputs.iter().position(|o| o == n).expect("an output")).collect();
        // Fluxes only: not the LP's objective value nor its relaxation slack.
        let is_flux: Vec<bool> = names.iter().map(|n| n != "objective" && n != "slack").collect();
        let (k, m) = (data.n_inputs, data.n_outputs);
        let (mut checked, mut off, mut worst) = (0usize, 0usize, (0.0f64, String::new()));
        let mut points_off = 0usize;
        let lp_grid =
            grid.map(|g| LpGrid::new(Dataset::read(Path::new(g)).unwrap(), |n| n != "objective" && n != "slack"));
        // Points, and points missed, 0, 1, 2, 3 and 4 or more cells from a kink.
        let mut by_distance = [(0usize, 0usize); 5];
        // The interpolated grid's fluxes off, and points.
        let (mut interpolated_off, mut interpolated_points) = (0usize, 0usize);
        let mut between = vec![0.0; lp_grid.as_ref().map_or(0, |k| k.grid.n_outputs)];
        let mut worst_at_10 = (0.0f64, String::new());
        for r in 0..data.len() {
            let x = &data.inputs[r * k..(r + 1) * k];
            // Uptakes are sampled as minus the lower bound: the port value.
            let ports: Vec<f64> = x.iter().map(|v| -v).collect();
            s.eval(&ports, &mut y);
            let mut any = false;
            for (o, &c) in index.iter().enumerate() {
                let truth = data.outputs[r * m + c];
                let error = (y[o] - truth).abs();
                if x.iter().all(|v| (v - 10.0).abs() < 1e-9) && error > worst_at_10.0 {
                    worst_at_10 = (error, names[o].clone());
                }
                if truth.abs() <= 0.1 || !is_flux[o] {
                    continue;
                }
                checked += 1;
                let relative = error / truth.abs();
                if relative > 0.1 {
                    off += 1;
                    any = true;
                }
                if relative > worst.0 {
                    worst = (relative, format!("{} at {x:?}: {:.4} vs {truth:.4}", names[o], y[o]));
                }
            }
            points_off += usize::from(any);
            if let Some(lp_grid) = &lp_grid {
                let near = &mut by_distance[lp_grid.distance(x).clamp(0, 4) as usize];
                near.0 += 1;
                near.1 += usize::from(any);
                lp_grid.interpolate(x, &mut between);
                let grid_names = &lp_grid.grid.metadata.outputs;
                let missed = (0..m).filter(|&c| {
                    let truth = data.outputs[r * m + c];
                    let name = &data.metadata.outputs[c];
                    let g = grid_names.iter().position(|n| n == name).expect("the same cell's outputs");
                    truth.abs() > 0.1
                        && name != "objective"
                        && name != "slack"
                        && (between[g] - truth).abs() > 0.1 * truth.abs()
                });
                let missed = missed.count();
                interpolated_off += missed;
                interpolated_points += usize::from(missed > 0);
            }
        }
        println!(
            "{file}: {} points; {off} of {checked} fluxes above 0.1 off by more than 10 % ({points_off} points); worst {:.1} % ({})",
            data.len(),
            100.0 * worst.0,
            worst.1
        );
        if let Some(lp_grid) = &lp_grid {
            println!("  {} of the grid's cells hold a kink of the LP; points missed of points at", lp_grid.cells.len());
            for (d, (points, missed)) in by_distance.iter().enumerate() {
                let cells = if d == 4 { "4 or more cells".to_string() } else { format!("{d} cells") };
                println!("    {cells} from a kink: {missed} of {points}");
            }
            println!(
                "  the grid's own LP values, interpolated (bilinear): {interpolated_off} fluxes off ({interpolated_points} points)"
            );
        }
        if !worst_at_10.1.is_empty() {
            println!("  at glucose = O2 = 10: worst absolute error {:.4} ({})", worst_at_10.0, worst_at_10.1);
        }
    }
}
