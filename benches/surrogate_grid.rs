//! How close a surrogate is to its LP over a held-out grid (issue 32, item
//! 3): every flux above 0.1 mmol/gDW/h within 10 % relative at every
//! point, the worst absolute error at glucose = O₂ = 10, and the same near
//! zero uptake.
//!
//!     cargo bench --bench surrogate_grid -- SURROGATE_DIR LP_SAMPLES.safetensors...
//!
//! The samples are `bioflux sample` files of the surrogate's cell (uptake
//! grids, as it was trained on) at points it was not trained on.

use bioflux_plugin::dataset::Dataset;
use bioflux_surrogate::Surrogate;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let Some((net, files)) = args.split_first() else {
        eprintln!("usage: surrogate_grid SURROGATE_DIR SAMPLES...");
        std::process::exit(2);
    };
    let mut s = Surrogate::load(Path::new(net)).unwrap();
    let names: Vec<String> = s.meta.outputs.iter().map(|o| o.name.clone()).collect();
    let mut y = vec![0.0; names.len()];
    for file in files {
        let data = Dataset::read(Path::new(file)).unwrap();
        let index: Vec<usize> =
            names.iter().map(|n| data.metadata.outputs.iter().position(|o| o == n).expect("an output")).collect();
        // Fluxes only: not the LP's objective value nor its relaxation slack.
        let is_flux: Vec<bool> = names.iter().map(|n| n != "objective" && n != "slack").collect();
        let (k, m) = (data.n_inputs, data.n_outputs);
        let (mut checked, mut off, mut worst) = (0usize, 0usize, (0.0f64, String::new()));
        let mut points_off = 0usize;
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
        }
        println!(
            "{file}: {} points; {off} of {checked} fluxes above 0.1 off by more than 10 % ({points_off} points); worst {:.1} % ({})",
            data.len(),
            100.0 * worst.0,
            worst.1
        );
        if !worst_at_10.1.is_empty() {
            println!("  at glucose = O2 = 10: worst absolute error {:.4} ({})", worst_at_10.0, worst_at_10.1);
        }
    }
}
