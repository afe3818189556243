//! surrogate.json: what a trained network needs to stand in for the cell
//! model it learned: names and units, normalisation, architecture, the
//! training domain, and how well it did.

use crate::balanced::Balanced;
use crate::mlp::Activation;
use crate::near_zero::NearZero;
use crate::scaling::UptakeScaling;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InputMeta {
    /// As sampled (`EX_glc__D_e`).
    pub name: String,
    /// The cell's port it feeds (`EX_glc__D_e.lower`).
    pub port: String,
    /// The network sees an uptake (minus the lower bound), as sampled.
    pub uptake: bool,
    pub mean: f64,
    pub std: f64,
    /// The training domain, in the network's terms.
    pub min: f64,
    pub max: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutputMeta {
    pub name: String,
    pub unit: String,
    pub mean: f64,
    pub std: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Metrics {
    pub train_loss: f64,
    pub validation_loss: f64,
    pub epochs: usize,
    pub seconds: f64,
    /// Over the validation set, in the outputs' units.
    pub mae: f64,
    pub rmse: f64,
    pub max_error: f64,
    /// (output, max abs error) of the worst outputs.
    pub worst: Vec<(String, f64)>,
    /// ‖S·v‖ (Euclidean, mmol/gDW/h) over the validation set, mean and
    /// largest, where the data carries S.
    #[serde(default)]
    pub balance_mean: Option<f64>,
    #[serde(default)]
    pub balance_max: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SurrogateMeta {
    pub format: u32,
    /// The model file and cell that were sampled.
    pub source: String,
    pub cell: String,
    pub inputs: Vec<InputMeta>,
    pub outputs: Vec<OutputMeta>,
    pub hidden: Vec<usize>,
    pub activation: Activation,
    pub metrics: Metrics,
    /// Set when the network predicts coordinates in a null-space basis of
    /// S (tensor `null.basis`, reactions × coordinates), so S·v = 0 holds
    /// whatever the weights.
    #[serde(default)]
    pub exact: Option<Exact>,
    /// Balances the outputs hold exactly, applied in order after the
    /// network (a network learned from measured rates).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub balanced: Vec<Balanced>,
    /// Set when the network also sees the uptakes' shares and predicts the
    /// outputs divided by their sum plus an offset (`outputs`' mean and
    /// std then describe those scaled outputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptake_scaling: Option<UptakeScaling>,
    /// Set when a second network answers near zero uptake (`train
    /// --near-zero`), blended into this one at its region's edge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near_zero: Option<NearZero>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Exact {
    /// Outputs that are reactions (the rows of the basis), then the others.
    pub reactions: Vec<usize>,
    pub others: Vec<usize>,
    /// The basis coordinates are the network's outputs times this.
    pub scale: f64,
}

pub const FORMAT: u32 = 1;
