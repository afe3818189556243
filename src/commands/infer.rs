//! `bioflux infer`: a trained surrogate's batch inference throughput on a
//! device, by the surrogate plugin (candle lives there).

use bioflux_plugin::tools::{Infer, InferRequest};
use std::path::PathBuf;

/// The command's arguments; the plugin's `infer` tool gets them as an
/// `InferRequest`.
#[derive(clap::Args)]
pub struct InferArgs {
    /// A trained surrogate's directory (`bioflux train -o DIR`).
    pub net: PathBuf,
    /// cpu, or cuda with a surrogate plugin built with `--features cuda`.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Samples in the batch, drawn uniformly from the training domain.
    #[arg(long, default_value_t = 1_000_000)]
    pub batch: usize,
    /// Timed repeats (the best is reported).
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long = "plugin-path", value_name = "DIR")]
    pub plugin_path: Vec<PathBuf>,
}

/// `bioflux infer`: prints the report (JSON); true when it ran.
pub fn infer(args: &InferArgs) -> bool {
    let request = InferRequest {
        net: args.net.clone(),
        device: args.device.clone(),
        batch: args.batch,
        repeat: args.repeat,
        seed: args.seed,
    };
    let report = bioflux_api::surrogate_tool::<Infer>(&request, &args.plugin_path).map_err(super::CommandError::from);
    let printed = report.map(|report| outln!("{}", serde_json::to_string_pretty(&report).unwrap_or_default()));
    super::finish(printed.map(|()| true), "nothing was measured")
}
