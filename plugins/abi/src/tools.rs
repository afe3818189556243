//! Tools a plugin may offer beside its cell model, as typed requests and
//! replies (feature `tools`).
//!
//! The wire: `bioflux_tool_v1(name, request)` takes a tool's name and its
//! request as JSON and answers `{"ok": REPLY}`, `{"error": "message"}` or
//! `{"unknown": "name"}` (no such tool in this plugin), freed by `bioflux_tool_free_v1` (both in `include/bioflux_plugin.h`).
//! Each tool is a [`Tool`]: its name and the serde types of its request and
//! reply. Requests are parsed strictly (an unknown field is an error), and
//! replies are checked where a malformed one would give a silently wrong
//! answer ([`Stoichiometry::validate`]).
//!
//! A plugin answers with [`serve`]; the host calls `Plugin::call::<T>`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The version of these types; it is the `v1` in `bioflux_tool_v1`.
pub const TOOLS_VERSION: u32 = 1;

/// A tool: its name on the wire and the types of its request and reply.
pub trait Tool {
    /// The name the host passes to `bioflux_tool_v1`.
    const NAME: &'static str;
    /// What the host sends.
    type Request: Serialize + DeserializeOwned;
    /// What the plugin answers.
    type Reply: Serialize + DeserializeOwned;
}

/// A request with no fields: `{}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoArguments {}

/// `notes`: what the plugin assumed since it was last asked (default
/// bounds of a model file, a clamped input), once each; asking forgets them.
pub struct Notes;

impl Tool for Notes {
    const NAME: &'static str = "notes";
    type Request = NoArguments;
    type Reply = Vec<String>;
}

/// `stoichiometry`: the network behind a cell, for constraint-aware
/// training and sampling (the LP plugin offers it).
pub struct StoichiometryTool;

impl Tool for StoichiometryTool {
    const NAME: &'static str = "stoichiometry";
    type Request = StoichiometryRequest;
    type Reply = Stoichiometry;
}

/// `reactions`: each reaction of the network behind a cell as a person
/// reads it, for an editor's hover (the LP plugin offers it).
pub struct ReactionsTool;

impl Tool for ReactionsTool {
    const NAME: &'static str = "reactions";
    type Request = StoichiometryRequest;
    type Reply = Vec<ReactionSummary>;
}

/// One reaction: its id, its equation and its flux bounds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReactionSummary {
    /// The id, named as the cell's output is.
    pub id: String,
    /// `glc__D_e + pep_c --> g6p_c + pyr_c` (`<=>` where it may run backwards).
    pub equation: String,
    /// The lower bound (mmol/gDW/h); `None` when unbounded.
    pub lower: Option<f64>,
    /// The upper bound; `None` when unbounded.
    pub upper: Option<f64>,
}

impl ReactionSummary {
    /// The summary of a reaction given as (metabolite, coefficient) pairs
    /// (negative consumed) and its bounds, in COBRApy's notation: `-->`,
    /// `<--` where it only runs backwards, `<=>` where it runs both ways.
    pub fn new<'a>(id: &str, stoichiometry: impl IntoIterator<Item = (&'a str, f64)>, lower: f64, upper: f64) -> Self {
        let (mut consumed, mut produced) = (Vec::new(), Vec::new());
        for (metabolite, c) in stoichiometry {
            let side = if c < 0.0 { &mut consumed } else { &mut produced };
            let c = c.abs();
            side.push(if c == 1.0 { metabolite.to_string() } else { format!("{c} {metabolite}") });
        }
        let arrow = match (lower < 0.0, upper > 0.0) {
            (true, true) => "<=>",
            (true, false) => "<--",
            _ => "-->",
        };
        ReactionSummary {
            id: id.to_string(),
            equation: format!("{} {arrow} {}", consumed.join(" + "), produced.join(" + ")).trim().to_string(),
            lower: lower.is_finite().then_some(lower),
            upper: upper.is_finite().then_some(upper),
        }
    }
}

/// The cell's configuration as `create` gets it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoichiometryRequest {
    /// The configuration JSON (source, options, ...).
    pub config: serde_json::Value,
    /// The directory of the .bio file, against which sources resolve.
    pub base_dir: PathBuf,
}

/// One non-zero of S.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Row: an index into [`Stoichiometry::metabolites`].
    pub metabolite: usize,
    /// Column: an index into [`Stoichiometry::reactions`].
    pub reaction: usize,
    /// Moles of the metabolite per mole of reaction (negative: consumed).
    pub coefficient: f64,
}

/// A network's S as non-zeros, with carbon and nitrogen atoms per
/// metabolite (`None` where the model gives no formula).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stoichiometry {
    /// Reaction ids: the columns, named as the cell's outputs are.
    pub reactions: Vec<String>,
    /// Metabolite ids: the rows.
    pub metabolites: Vec<String>,
    /// The non-zeros.
    pub entries: Vec<Entry>,
    /// Carbon atoms per metabolite.
    pub carbon: Vec<Option<f64>>,
    /// Nitrogen atoms per metabolite.
    pub nitrogen: Vec<Option<f64>>,
    /// Degree of reduction per metabolite: electrons available on
    /// oxidation to CO₂, H₂O, NH₃, H₃PO₄, H₂SO₄ (glucose 24, O₂ −4),
    /// `None` where its formula, its charge or an element's reference state
    /// is unknown. Empty from a plugin that does not give them.
    #[serde(default)]
    pub electrons: Vec<Option<f64>>,
}

/// How a stoichiometry reply breaks the tool's contract.
#[derive(Clone, Debug, PartialEq)]
pub enum StoichiometryError {
    /// An entry outside the matrix, or a coefficient that is not finite.
    Entry {
        /// The entry's place in `entries`.
        index: usize,
        /// The entry.
        entry: Entry,
        /// Rows.
        metabolites: usize,
        /// Columns.
        reactions: usize,
    },
    /// An atom list of another length than the metabolites.
    AtomCount {
        /// `carbon`, `nitrogen` or `electrons`.
        element: &'static str,
        /// Its length.
        counts: usize,
        /// The metabolites.
        metabolites: usize,
    },
    /// A negative or non-finite atom count (a non-finite degree of reduction).
    Atoms {
        /// `carbon`, `nitrogen` or `electrons`.
        element: &'static str,
        /// The count.
        count: f64,
    },
}

impl std::fmt::Display for StoichiometryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoichiometryError::Entry { index, entry, metabolites, reactions } => write!(
                f,
                "entry {index} ({}, {}, {}) is outside the {metabolites} metabolites × {reactions} reactions or not finite",
                entry.metabolite, entry.reaction, entry.coefficient
            ),
            StoichiometryError::AtomCount { element, counts, metabolites } => {
                write!(f, "{counts} {element} counts for {metabolites} metabolites")
            }
            StoichiometryError::Atoms { element, count } => write!(f, "a {element} count of {count}"),
        }
    }
}

impl std::error::Error for StoichiometryError {}

impl Stoichiometry {
    /// Every index in range, every number finite, one atom count per
    /// metabolite: a reply that breaks these is refused, not read as zeros.
    pub fn validate(&self) -> Result<(), StoichiometryError> {
        let (m, n) = (self.metabolites.len(), self.reactions.len());
        for (index, e) in self.entries.iter().enumerate() {
            if e.metabolite >= m || e.reaction >= n || !e.coefficient.is_finite() {
                return Err(StoichiometryError::Entry { index, entry: *e, metabolites: m, reactions: n });
            }
        }
        for (element, atoms) in [("carbon", &self.carbon), ("nitrogen", &self.nitrogen)] {
            if atoms.len() != m {
                return Err(StoichiometryError::AtomCount { element, counts: atoms.len(), metabolites: m });
            }
            if let Some(&count) = atoms.iter().flatten().find(|a| !a.is_finite() || **a < 0.0) {
                return Err(StoichiometryError::Atoms { element, count });
            }
        }
        // A degree of reduction may be negative (O₂), never non-finite.
        if !self.electrons.is_empty() && self.electrons.len() != m {
            return Err(StoichiometryError::AtomCount {
                element: "electrons",
                counts: self.electrons.len(),
                metabolites: m,
            });
        }
        if let Some(&count) = self.electrons.iter().flatten().find(|a| !a.is_finite()) {
            return Err(StoichiometryError::Atoms { element: "electrons", count });
        }
        Ok(())
    }
}

/// `train`: a surrogate trained on sampled data (the surrogate plugin).
pub struct Train;

impl Tool for Train {
    const NAME: &'static str = "train";
    type Request = TrainRequest;
    type Reply = TrainReply;
}

/// What to train; every field but `data` and `output` has a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainRequest {
    /// Samples written by `bioflux sample`.
    pub data: PathBuf,
    /// More samples of the same cell, appended (a denser grid where its
    /// outputs change fastest).
    pub more_data: Vec<PathBuf>,
    /// The directory to write the surrogate to.
    pub output: PathBuf,
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// silu, tanh or relu.
    pub activation: String,
    /// Most epochs.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// AdamW's learning rate.
    pub lr: f64,
    /// Stop after this many epochs without a better validation loss.
    pub patience: usize,
    /// Cut the learning rate to a third after this many epochs without a
    /// better validation loss (0: a constant rate).
    pub lr_drop: usize,
    /// The fraction of samples held out for validation.
    pub validation: f64,
    /// Seeds the split, the initial weights and the shuffles.
    pub seed: u64,
    /// cpu, or cuda in a plugin built with its `cuda` feature.
    pub device: String,
    /// No progress bar.
    pub quiet: bool,
    /// Weight of ‖S·v‖² in the loss.
    pub balance_weight: f64,
    /// Weight of the carbon and nitrogen balances ‖E·S·v‖² in the loss.
    pub element_weight: f64,
    /// Predict coordinates in a null-space basis of S: S·v = 0 exactly.
    pub exact: bool,
    /// Give the network the uptakes' shares of their sum and have it
    /// predict the outputs divided by (the sum + this offset, mmol/gDW/h):
    /// an LP's fluxes scale with its uptakes near zero uptake.
    pub uptake_scaling: Option<f64>,
    /// Samples of a region near zero uptake (a denser grid from the same
    /// lower edges): a second network is trained on them alone, with the
    /// same settings, and answers there, blended in at the region's edge.
    pub near_zero: Option<PathBuf>,
    /// Most epochs for the network near zero uptake (`epochs` where
    /// unset): a denser region has more samples per epoch.
    pub near_zero_epochs: Option<usize>,
}

impl Default for TrainRequest {
    fn default() -> Self {
        TrainRequest {
            data: PathBuf::new(),
            more_data: Vec::new(),
            output: PathBuf::new(),
            hidden: vec![256, 256, 256],
            activation: "silu".into(),
            epochs: 500,
            batch: 256,
            lr: 1e-3,
            patience: 50,
            lr_drop: 0,
            validation: 0.1,
            seed: 0,
            device: "cpu".into(),
            quiet: false,
            balance_weight: 0.0,
            element_weight: 0.0,
            exact: false,
            uptake_scaling: None,
            near_zero: None,
            near_zero_epochs: None,
        }
    }
}

/// What training wrote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainReply {
    /// The surrogate's directory.
    pub output: PathBuf,
    /// The report, as written to `report.txt`.
    pub summary: String,
}

/// `infer`: a trained surrogate's batch throughput on a device.
pub struct Infer;

impl Tool for Infer {
    const NAME: &'static str = "infer";
    type Request = InferRequest;
    type Reply = InferReport;
}

/// What to time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferRequest {
    /// A trained surrogate's directory.
    pub net: PathBuf,
    /// cpu, or cuda in a plugin built with its `cuda` feature.
    pub device: String,
    /// Samples per batch.
    pub batch: usize,
    /// Timed repeats (after one untimed warm-up).
    pub repeat: usize,
    /// Seeds the samples.
    pub seed: u64,
}

/// The throughput measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferReport {
    /// The device it ran on.
    pub device: String,
    /// Samples per batch.
    pub batch: usize,
    /// The network: inputs, hidden widths, outputs of the last layer.
    pub shape: String,
    /// Forward pass alone, best of the repeats.
    pub seconds_per_batch: f64,
    /// Samples per second of the forward pass.
    pub samples_per_second: f64,
    /// Forward pass and the outputs copied to the host.
    pub samples_per_second_to_host: f64,
    /// The mean of every output of the batch, to compare devices.
    pub mean_output: f64,
}

/// `learn_rates`: a network learned from measured specific rates with
/// carbon and nitrogen balances (and optionally S·v̄ = 0 over internal
/// fluxes) in the loss, after Kusters et al. (the surrogate plugin).
pub struct LearnRates;

impl Tool for LearnRates {
    const NAME: &'static str = "learn_rates";
    type Request = RatesRequest;
    type Reply = RatesReply;
}

/// One column of measured rates: a reaction's flux in the model's sign
/// (negative: taken up), in mmol/gDW/h (1/h for growth); `None` where not
/// measured in that sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateColumn {
    /// The reaction (or column) name.
    pub name: String,
    /// One value per sample.
    pub values: Vec<Option<f64>>,
    /// Carbon and nitrogen atoms leaving the culture per unit of this flux
    /// (an exchange of glucose: 6 and 0); ignored for the growth column,
    /// whose content is α_bm, β_bm.
    pub carbon: f64,
    /// Nitrogen atoms, as `carbon`.
    pub nitrogen: f64,
    /// Electrons (degree of reduction) leaving per unit of flux (glucose 24,
    /// O₂ −4); `None` where the model cannot say, which turns the
    /// degree-of-reduction balance off.
    #[serde(default)]
    pub electrons: Option<f64>,
}

/// The stoichiometry for internal fluxes (eq. 2 of Kusters et al.).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InternalNetwork {
    /// Every reaction, in S's column order; the rate columns are among them.
    pub reactions: Vec<String>,
    /// Row-major, metabolites × reactions.
    pub s: Vec<f64>,
    /// Rows of `s`.
    pub n_metabolites: usize,
}

/// What to learn from measured rates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatesRequest {
    /// Where to write the network (a surrogate directory).
    pub output: PathBuf,
    /// Where the data and formulas came from (for the report).
    pub source: String,
    /// The network's inputs (measured uptake rates).
    pub inputs: Vec<RateColumn>,
    /// Measured outputs, the growth rate among them.
    pub outputs: Vec<RateColumn>,
    /// Predicted but not measured (CO₂ under pH buffering): constrained by
    /// the balances alone. Values, where present, are only checked against.
    pub unmeasured: Vec<RateColumn>,
    /// The growth column's name (one of `outputs`).
    pub growth: String,
    /// Carbon and nitrogen of biomass (mmol per gDW); learned when `None`.
    pub alpha_bm: Option<f64>,
    /// Nitrogen of biomass (mmol per gDW); learned when `None`.
    pub beta_bm: Option<f64>,
    /// Degree of reduction of biomass (mmol e⁻ per gDW); learned when `None`.
    #[serde(default)]
    pub gamma_bm: Option<f64>,
    /// λ₁, λ₂ of the carbon and nitrogen balances, λ₃ of ‖S·v̄‖².
    pub lambda_carbon: f64,
    /// λ₂.
    pub lambda_nitrogen: f64,
    /// λ₃.
    pub lambda_stoichiometry: f64,
    /// Hold the degree-of-reduction balance Σ γ_j v_j + γ_bm·µ = 0 exactly
    /// (used only where every column's `electrons` is known).
    #[serde(default)]
    pub electron_balance: bool,
    /// With it, the network predicts every reaction's flux v̄.
    pub internal: Option<InternalNetwork>,
    /// Hidden layer widths, activation, and the optimiser's settings.
    pub layers: Vec<usize>,
    /// How many such networks are trained side by side (from other initial
    /// weights, on the same samples); the written network is their mean.
    #[serde(default = "one")]
    pub ensemble: usize,
    /// silu, tanh or relu.
    pub activation: String,
    /// Most epochs.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// AdamW's learning rate.
    pub lr: f64,
    /// Stop after this many epochs without a better validation loss.
    pub patience: usize,
    /// The fraction of samples held out for validation.
    pub validation: f64,
    /// Seeds the split, the initial weights and the shuffles.
    pub seed: u64,
    /// cpu, or cuda in a plugin built with its `cuda` feature.
    pub device: String,
    /// No progress bar.
    pub quiet: bool,
}

/// One epoch's loss terms on the training set (the paper's Fig. 1d).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochLoss {
    /// Counted from 1.
    pub epoch: usize,
    /// Mean squared error of the standardised measured outputs.
    pub mse: f64,
    /// Mean L_c², L_n² (mmol/gDW/h)² and ‖S·v̄‖²; 0 where not used.
    pub carbon: f64,
    /// Mean L_n².
    pub nitrogen: f64,
    /// Mean ‖S·v̄‖².
    pub stoichiometry: f64,
    /// Mean L_e² (mmol e⁻/gDW/h)² of the degree-of-reduction balance.
    #[serde(default)]
    pub electrons: f64,
    /// The validation MSE.
    pub validation: f64,
}

/// The error of one predicted column on the validation samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnError {
    /// The reaction (or column) name.
    pub name: String,
    /// Root mean square error, in the column's unit.
    pub rmse: f64,
    /// RMSE over the RMS of the measured values (none where those are 0
    /// to rounding, below 1e-9).
    pub relative_rmse: Option<f64>,
    /// Whether the column was unmeasured (checked here only).
    pub unmeasured: bool,
}

/// What learning found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatesReply {
    /// The network's directory.
    pub output: PathBuf,
    /// The report, as written to report.txt.
    pub summary: String,
    /// α_bm, β_bm as learned (or as given).
    pub alpha_bm: f64,
    /// Nitrogen of biomass (mmol per gDW).
    pub beta_bm: f64,
    /// Degree of reduction of biomass (mmol e⁻ per gDW), learned or given;
    /// `None` where the degree-of-reduction balance was not used.
    #[serde(default)]
    pub gamma_bm: Option<f64>,
    /// Per epoch.
    pub losses: Vec<EpochLoss>,
    /// Per predicted column.
    pub errors: Vec<ColumnError>,
    /// max over validation samples of ‖S·v̄‖∞, with internal fluxes.
    pub stoichiometric_residual: Option<f64>,
    /// Samples some network trains on (an ensemble's members each train on
    /// all but their held-out fold: every sample).
    pub n_train: usize,
    /// Samples some network holds out (with an ensemble, every sample, each
    /// by the members of its fold).
    pub n_validation: usize,
}

/// A plugin's answer to one tool call: parses the request strictly, runs
/// `answer` and encodes its reply, for the function given to
/// [`export_tools!`](crate::export_tools).
pub fn serve<T: Tool>(
    request: &str,
    answer: impl FnOnce(T::Request) -> Result<T::Reply, String>,
) -> Option<Result<String, String>> {
    let answered = serde_json::from_str::<T::Request>(request)
        .map_err(|e| format!("the `{}` tool's request is malformed: {e}", T::NAME))
        .and_then(answer)
        .and_then(|reply| {
            serde_json::to_string(&reply).map_err(|e| format!("the `{}` tool's reply cannot be written: {e}", T::NAME))
        });
    Some(answered)
}

/// The envelope `bioflux_tool_v1` answers in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Answer<T> {
    /// The tool's reply.
    Ok(T),
    /// Why it failed.
    Error(String),
    /// The plugin has no tool of this name.
    Unknown(String),
}

/// A lone network: what a request without `ensemble` asked for.
fn one() -> usize {
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_parsed_strictly() {
        let e = serve::<Notes>(r#"{"verbose": true}"#, |_| Ok(vec![])).unwrap().unwrap_err();
        assert!(e.contains("unknown field `verbose`"), "{e}");
        let e = serve::<Train>(r#"{"data": "d", "output": "o", "epoch": 3}"#, |_| unreachable!()).unwrap().unwrap_err();
        assert!(e.contains("unknown field `epoch`") && e.contains("`epochs`"), "{e}");
        let ok = serve::<Train>(r#"{"data": "d", "output": "o"}"#, |r| {
            assert_eq!((r.epochs, r.hidden.as_slice()), (500, &[256, 256, 256][..]));
            Ok(TrainReply { output: r.output, summary: "s".into() })
        });
        assert_eq!(ok, Some(Ok(r#"{"output":"o","summary":"s"}"#.to_string())));
    }

    #[test]
    fn a_stoichiometry_out_of_range_is_refused() {
        let mut s = Stoichiometry {
            reactions: vec!["R".into()],
            metabolites: vec!["A".into(), "B".into()],
            entries: vec![Entry { metabolite: 1, reaction: 0, coefficient: -1.0 }],
            carbon: vec![Some(6.0), None],
            nitrogen: vec![Some(0.0), None],
            electrons: vec![Some(24.0), None],
        };
        assert_eq!(s.validate(), Ok(()));
        s.entries[0].metabolite = 2;
        let e = s.validate().unwrap_err();
        assert!(matches!(e, StoichiometryError::Entry { metabolites: 2, reactions: 1, .. }), "{e}");
        assert!(e.to_string().contains("outside the 2 metabolites × 1 reactions"), "{e}");
        s.entries[0] = Entry { metabolite: 0, reaction: 0, coefficient: f64::NAN };
        assert!(s.validate().is_err());
        s.entries.clear();
        s.carbon.pop();
        let e = s.validate().unwrap_err();
        assert_eq!(e, StoichiometryError::AtomCount { element: "carbon", counts: 1, metabolites: 2 });
        assert!(e.to_string().contains("1 carbon counts for 2 metabolites"), "{e}");
        s.carbon.push(None);
        s.electrons[1] = Some(f64::INFINITY);
        assert_eq!(s.validate(), Err(StoichiometryError::Atoms { element: "electrons", count: f64::INFINITY }));
        s.electrons[1] = Some(-4.0);
        assert_eq!(s.validate(), Ok(()), "O₂'s degree of reduction is negative");
        s.electrons.clear();
        assert_eq!(s.validate(), Ok(()), "a plugin that gives no degrees of reduction");
    }
}
