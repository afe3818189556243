//! `bioflux train`: a surrogate trained on sampled data, by the surrogate
//! plugin's trainer (candle lives in that plugin, not in this binary).

use super::{CommandError, finish};
use bioflux_api::surrogate_tool;
use bioflux_plugin::tools::{Train, TrainRequest};
use std::path::PathBuf;

/// The command's arguments; the plugin's trainer gets them as a
/// `TrainRequest` (the plugin path stays here).
#[derive(clap::Args)]
pub struct TrainArgs {
    /// Samples written by `bioflux sample`.
    pub data: PathBuf,
    /// More samples of the same cell, appended to DATA (a denser grid where
    /// the outputs change fastest, such as near zero uptake); repeatable.
    #[arg(long = "also", value_name = "SAMPLES")]
    pub also: Vec<PathBuf>,
    /// The directory to write model.safetensors, surrogate.json, report.txt.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Hidden layer widths.
    #[arg(long, value_delimiter = ',', default_value = "256,256,256")]
    pub hidden: Vec<usize>,
    /// silu, tanh or relu.
    #[arg(long, default_value = "silu")]
    pub activation: String,
    #[arg(long, default_value_t = 500)]
    pub epochs: usize,
    #[arg(long, default_value_t = 256)]
    pub batch: usize,
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Stop after this many epochs without a better validation loss.
    #[arg(long, default_value_t = 50)]
    pub patience: usize,
    /// Cut the learning rate to a third after this many epochs without a
    /// better validation loss (0: keep it constant).
    #[arg(long = "lr-drop", default_value_t = 0)]
    pub lr_drop: usize,
    /// The fraction of samples held out for validation.
    #[arg(long = "val", default_value_t = 0.1)]
    pub validation: f64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// cpu, or cuda with a surrogate plugin built with `--features cuda`.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Weight of ‖S·v‖² in the loss (needs S in the data: sample a pfba cell).
    #[arg(long = "balance-weight", default_value_t = 0.0)]
    pub balance_weight: f64,
    /// Weight of the carbon and nitrogen balances in the loss.
    #[arg(long = "element-weight", default_value_t = 0.0)]
    pub element_weight: f64,
    /// Predict coordinates in a null-space basis of S: S·v = 0 whatever the weights.
    #[arg(long)]
    pub exact: bool,
    /// Give the network each uptake's share of their sum and have it
    /// predict the outputs divided by (the limiting uptake + OFFSET
    /// mmol/gDW/h): an LP's fluxes scale with its uptakes near zero
    /// uptake, where a plain network is least accurate.
    #[arg(long = "uptake-scaling", value_name = "OFFSET")]
    pub uptake_scaling: Option<f64>,
    /// Samples of the region near zero uptake (a denser grid from the same
    /// lower edges, such as the one given to --also): a second network
    /// learns them alone, with the same settings, and answers there; the
    /// two are blended across the region's last fifth.
    #[arg(long = "near-zero", value_name = "SAMPLES")]
    pub near_zero: Option<PathBuf>,
    /// Most epochs for the network near zero uptake (default: --epochs): a
    /// denser region has more samples per epoch.
    #[arg(long = "near-zero-epochs", value_name = "N", requires = "near_zero")]
    pub near_zero_epochs: Option<usize>,
    #[arg(long = "plugin-path", value_name = "DIR")]
    pub plugin_path: Vec<PathBuf>,
}

impl TrainArgs {
    fn request(&self) -> TrainRequest {
        TrainRequest {
            data: self.data.clone(),
            more_data: self.also.clone(),
            output: self.output.clone(),
            hidden: self.hidden.clone(),
            activation: self.activation.clone(),
            epochs: self.epochs,
            batch: self.batch,
            lr: self.lr,
            patience: self.patience,
            lr_drop: self.lr_drop,
            validation: self.validation,
            seed: self.seed,
            device: self.device.clone(),
            quiet: false,
            balance_weight: self.balance_weight,
            element_weight: self.element_weight,
            exact: self.exact,
            uptake_scaling: self.uptake_scaling,
            near_zero: self.near_zero.clone(),
            near_zero_epochs: self.near_zero_epochs,
        }
    }
}

/// `bioflux train`: true when the surrogate was written.
pub fn train(args: &TrainArgs) -> bool {
    // candle on few cores is several times faster on one thread (STACK.md).
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // SAFETY: set before any thread of this process starts.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", "1") };
    }
    let trained = surrogate_tool::<Train>(&args.request(), &args.plugin_path).map_err(CommandError::from);
    finish(trained.map(|reply| eprintln!("{}", reply.summary)).map(|()| true), "nothing was trained")
}
