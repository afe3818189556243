//! `bioflux sample`: a cell model evaluated over a grid or a Latin
//! hypercube, in parallel, written as safetensors (Python:
//! `safetensors.numpy.load_file("data.safetensors")`).

use super::cell::open_cell;
use super::succeeded;
use bioflux_plugin::dataset::Dataset;
use bioflux_runtime::sampling::{grid_points, latin_hypercube, over_points, stoichiometry};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

pub struct SampleArgs {
    pub file: PathBuf,
    pub cell: String,
    pub grids: Vec<String>,
    pub random: Option<usize>,
    pub seed: u64,
    pub output: PathBuf,
    pub plugin_path: Vec<PathBuf>,
}

/// `bioflux sample`: true when the file was written.
pub fn sample(args: &SampleArgs) -> bool {
    succeeded(sample_to_file(args))
}

fn sample_to_file(args: &SampleArgs) -> Result<(), String> {
    let open = open_cell(&args.file, &args.cell, &args.plugin_path)?;
    let (name, ports, outputs) = (&open.name, &open.ports, &open.outputs);
    let axes = open.axes(&args.grids)?;
    let factory = open.factory();
    let points = match args.random {
        Some(n) => latin_hypercube(&axes, n, args.seed),
        None => grid_points(&axes),
    };
    let (n_in, n_out) = (ports.len(), outputs.len());
    let bar = ProgressBar::new(points.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} points, {per_sec}, eta {eta}").expect("a valid template"),
    );
    let started = Instant::now();
    let threads = rayon::current_num_threads().max(1);
    let rows = over_points(&factory, &axes, n_in, &points, &|| bar.inc(1), |instance, ports| {
        let mut out = vec![0.0; n_out];
        let status = instance.eval(ports, &mut out);
        if status >= 2 {
            out.fill(f64::NAN);
        }
        (out, status)
    })?;
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    let flat_in: Vec<f64> = points.iter().flatten().copied().collect();
    let (flat_out, status): (Vec<Vec<f64>>, Vec<i32>) = rows.into_iter().unzip();
    let flat_out: Vec<f64> = flat_out.into_iter().flatten().collect();
    let metadata = HashMap::from([
        ("model".to_string(), name.clone()),
        ("cell".to_string(), args.cell.clone()),
        ("inputs".to_string(), serde_json::to_string(&axes.iter().map(|a| &a.name).collect::<Vec<_>>()).unwrap()),
        (
            "input_meaning".to_string(),
            serde_json::to_string(
                &axes.iter().map(|a| if a.uptake { "uptake (bound = -value)" } else { "bound" }).collect::<Vec<_>>(),
            )
            .unwrap(),
        ),
        (
            "input_ports".to_string(),
            serde_json::to_string(&axes.iter().map(|a| &ports[a.port]).collect::<Vec<_>>()).unwrap(),
        ),
        ("outputs".to_string(), serde_json::to_string(&outputs.iter().map(|o| &o.0).collect::<Vec<_>>()).unwrap()),
        ("output_units".to_string(), serde_json::to_string(&outputs.iter().map(|o| &o.1).collect::<Vec<_>>()).unwrap()),
        ("status".to_string(), "0 ok, 1 relaxed, 2 failed (outputs NaN)".to_string()),
    ]);
    let network = stoichiometry(open.cell(), &open.config, &open.base_dir, outputs).map_err(|e| e.to_string())?;
    let (stoichiometry, elements, n_metabolites) = match network {
        Some(net) => (Some(net.s), Some(net.elements), net.n_metabolites),
        None => (None, None, 0),
    };
    let data = Dataset {
        inputs: flat_in,
        outputs: flat_out,
        status,
        n_inputs: n_in,
        n_outputs: n_out,
        metadata,
        stoichiometry,
        elements,
        n_metabolites,
    };
    data.write(&args.output)?;
    let status = &data.status;
    let counts = [0, 1].map(|s| status.iter().filter(|&&x| x == s).count());
    let failed = status.len() - counts[0] - counts[1];
    eprintln!(
        "sampled {} points of cell `{}` in {:.2} s ({:.0} points/s, {} threads): {} ok, {} relaxed, {} failed; wrote {}",
        status.len(),
        args.cell,
        elapsed.as_secs_f64(),
        status.len() as f64 / elapsed.as_secs_f64(),
        threads,
        counts[0],
        counts[1],
        failed,
        args.output.display()
    );
    Ok(())
}
