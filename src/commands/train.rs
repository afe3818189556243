//! `bioflux train`: a surrogate trained on sampled data, by the surrogate
//! plugin's trainer (candle lives in that plugin, not in this binary).

use bioflux_runtime::host::{Plugin, SearchPath};
use std::path::PathBuf;

pub struct TrainArgs {
    pub data: PathBuf,
    pub output: PathBuf,
    pub hidden: Vec<usize>,
    pub activation: String,
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    pub patience: usize,
    pub validation: f64,
    pub seed: u64,
    pub device: String,
    pub balance_weight: f64,
    pub element_weight: f64,
    pub exact: bool,
    pub plugin_path: Vec<PathBuf>,
}

/// `bioflux train`: true when the surrogate was written.
pub fn train(args: &TrainArgs) -> bool {
    // candle on few cores is several times faster on one thread (STACK.md).
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // SAFETY: set before any thread of this process starts.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", "1") };
    }
    let trained = SearchPath::new(&args.plugin_path)
        .find("surrogate")
        .ok_or_else(|| "the `surrogate` plugin was not found; build it (cargo build -p bioflux-surrogate) or pass --plugin-path DIR".to_string())
        .and_then(|path| Plugin::open(&path))
        .and_then(|plugin| {
            let json = serde_json::json!({
                "data": args.data, "output": args.output, "hidden": args.hidden, "activation": args.activation,
                "epochs": args.epochs, "batch": args.batch, "lr": args.lr, "patience": args.patience,
                "validation": args.validation, "seed": args.seed, "device": args.device,
                "balance_weight": args.balance_weight, "element_weight": args.element_weight, "exact": args.exact,
            });
            plugin.tool("train", &json.to_string())
        });
    match trained {
        Ok(summary) => {
            eprintln!("{summary}");
            true
        }
        Err(e) => {
            eprintln!("error: {e}");
            false
        }
    }
}
