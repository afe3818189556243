//! The same run again and again through the library, as a Rust caller
//! sees it: the reference for the Python package's overhead
//! (`python/benches/overhead.py`).
//!
//! ```sh
//! cargo run --release -p bioflux-api --example run_repeatedly -- models/ecoli_fedbatch.bio 30
//! ```

use bioflux_api::{Model, Options, Overrides};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "models/ecoli_fedbatch.bio".into());
    let repeat: usize = args.next().map_or(Ok(30), |n| n.parse())?;
    let exe_dir = std::env::current_exe()?.parent().map(|d| d.join("..")).unwrap_or_default();
    let options = Options { plugin_path: vec![exe_dir], base_dir: None };
    let mut model = Model::open(path.as_ref(), &options)?;
    model.run(&Overrides::default())?; // compile, bind, warm the LP's bases
    let mut times: Vec<f64> = (0..repeat)
        .map(|_| {
            let start = Instant::now();
            let run = model.run(&Overrides::default());
            let elapsed = start.elapsed().as_secs_f64();
            run.map(|_| elapsed)
        })
        .collect::<Result<_, _>>()?;
    times.sort_by(f64::total_cmp);
    println!("{path}: Model::run median {:.3} ms over {repeat} runs", times[repeat / 2] * 1e3);
    Ok(())
}
