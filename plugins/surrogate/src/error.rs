//! What can go wrong loading, training, learning and timing a surrogate,
//! with the data that says where. These become text only at the plugin
//! boundary (the C ABI and the tool protocol carry messages).

use std::path::PathBuf;

/// candle's message without the backtrace it appends after its first line.
fn first_line(e: &candle_core::Error) -> String {
    e.to_string().lines().next().unwrap_or("").to_string()
}

/// Why a surrogate could not be loaded, trained, learned or timed.
#[derive(Debug, thiserror::Error)]
pub enum SurrogateError {
    /// A tensor operation failed (candle's message).
    #[error("{}", first_line(.0))]
    Tensor(#[from] candle_core::Error),
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot read {}: {}", path.display(), first_line(source))]
    ReadWeights { path: PathBuf, source: candle_core::Error },
    #[error("cannot create {}: {source}", path.display())]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    /// `surrogate.json` that is not a description.
    #[error("{}: {source}", path.display())]
    Description { path: PathBuf, source: serde_json::Error },
    #[error(transparent)]
    Dataset(#[from] bioflux_plugin::dataset::DatasetError),
    #[error("{} has no tensor `{name}`", path.display())]
    MissingTensor { path: PathBuf, name: String },
    #[error("{} has no `null.basis`", path.display())]
    NoNullBasis { path: PathBuf },
    /// Weights that do not fit together or the description.
    #[error("{}: {mismatch}", dir.display())]
    Shapes { dir: PathBuf, mismatch: ShapeMismatch },
    #[error("an exact surrogate needs its null-space basis")]
    ExactWithoutBasis,
    #[error("give the surrogate's directory: `surrogate(\"DIR\")`")]
    NoDirectory,
    #[error("no CUDA device: {}", first_line(.0))]
    NoCuda(candle_core::Error),
    #[error("this surrogate plugin was built without CUDA: build it with `--features cuda`")]
    NotBuiltWithCuda,
    #[error("device `{0}`: use cpu or cuda")]
    UnknownDevice(String),
    #[error("activation `{0}`: use silu, tanh or relu")]
    UnknownActivation(String),
    #[error("the batch and the repeats must be at least 1")]
    EmptyBatch,
    #[error("no gradient")]
    NoGradient,

    // Training from samples.
    #[error("{} has only {usable} usable samples; sample more points", path.display())]
    TooFewSamples { path: PathBuf, usable: usize },
    #[error(
        "{} carries no stoichiometry, which --exact and the balance weights need; sample a cell whose plugin gives it (pfba does)",
        path.display()
    )]
    NoStoichiometry { path: PathBuf },
    #[error(
        "{} has no uptake inputs to scale by (--uptake-scaling): sample uptakes as positive values of a lower bound (`--grid EX_glc__D_e=0:20:0.2`)",
        path.display()
    )]
    NoUptakes { path: PathBuf },
    #[error(
        "--near-zero {}: {why} (sample the region from the other samples' lower edges, narrower in the uptakes: `--grid EX_glc__D_e=0:2.5:0.025`)",
        path.display()
    )]
    NearZeroSamples { path: PathBuf, why: String },
    #[error("--uptake-scaling {0}: the offset must be positive (mmol/gDW/h; 1 is a good start)")]
    UptakeOffset(f64),
    /// The loss became NaN or infinite.
    #[error("{what} diverged at epoch {epoch} (validation loss {loss}); lower --lr")]
    Diverged { what: &'static str, epoch: usize, loss: f64 },

    // Learning from measured rates.
    #[error("column `{column}` has {values} values, the first input {expected}")]
    ColumnLength { column: String, values: usize, expected: usize },
    #[error("column `{column}` is given twice")]
    ColumnTwice { column: String },
    #[error("no input columns: name the measured uptake rates the network starts from")]
    NoInputs,
    #[error("with internal fluxes every column is a reaction of the network; not: {}", columns.join(", "))]
    NotInNetwork { columns: Vec<String> },
    #[error(
        "the unmeasured {} and the biomass's {element} content are not separately identifiable (the balance holds for any trade between them): give the biomass's {element} content (--{flag}-bm)",
        columns.join(", ")
    )]
    NotIdentifiable { columns: Vec<String>, element: &'static str, flag: &'static str },
    #[error(
        "unmeasured `{column}` carries neither carbon nor nitrogen (nor electrons a balance could use): no balance constrains it; measure it or leave it out"
    )]
    Unconstrained { column: String },
    #[error("the growth column `{column}` is not among the measured outputs")]
    NoGrowth { column: String },
    #[error("only {usable} samples have every input and the growth rate measured; need at least 10")]
    TooFewRates { usable: usize },
}

/// How a surrogate's weights disagree with each other or its description.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ShapeMismatch {
    #[error("`{layer}` is not a matrix")]
    NotAMatrix { layer: String },
    #[error("`{layer}` reads {reads} values but gets {gets}; the weights do not match surrogate.json")]
    Reads { layer: String, reads: usize, gets: usize },
    #[error("`{bias}` has shape {shape:?}, not [{expected}]")]
    Bias { bias: String, shape: Vec<usize>, expected: usize },
    #[error("`{layer}` writes {writes} values, but surrogate.json's hidden widths are {hidden:?}")]
    Hidden { layer: String, writes: usize, hidden: Vec<usize> },
    #[error("`null.basis` has {values} values, not {reactions} × {dimension}")]
    NullBasis { values: usize, reactions: usize, dimension: usize },
    #[error("the last layer writes {writes} values but the surrogate has {outputs} outputs")]
    Outputs { writes: usize, outputs: usize },
    #[error("surrogate.json's balances: {why}")]
    Balanced { why: String },
    #[error("surrogate.json's uptake scaling: {why}")]
    UptakeScaling { why: String },
    #[error("surrogate.json's network near zero uptake: {why}")]
    NearZero { why: String },
}
