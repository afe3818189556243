//! `bioflux sample`: a cell model evaluated over a grid or a Latin
//! hypercube, in parallel, written as safetensors (Python:
//! `safetensors.numpy.load_file("data.safetensors")`).

use super::{CommandError, finish, open_model};
use bioflux_runtime::sampling::{grid_points, latin_hypercube};
use indicatif::{ProgressBar, ProgressStyle};
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
    finish(sample_to_file(args).map(|()| true), "nothing was sampled")
}

fn sample_to_file(args: &SampleArgs) -> Result<(), CommandError> {
    let cell = open_model(&args.file, &args.plugin_path, false)?.cell(&args.cell)?;
    let axes = cell.axes(&args.grids)?;
    let points = match args.random {
        Some(n) => latin_hypercube(&axes, n, args.seed),
        None => grid_points(&axes),
    };
    let bar = ProgressBar::new(points.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} points, {per_sec}, eta {eta}").expect("a valid template"),
    );
    let started = Instant::now();
    let threads = rayon::current_num_threads().max(1);
    let data = cell.sample(&axes, &points, &|| bar.inc(1));
    bar.finish_and_clear();
    let data = data?;
    let elapsed = started.elapsed();
    data.write(&args.output).map_err(bioflux_api::Error::from)?;
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
