//! `bioflux learn`: a network learned from measured specific rates with
//! carbon and nitrogen balances (Kusters et al.): the CSV and the model's
//! formulas are read by the library (`bioflux_api::learn_columns`), the learning is the surrogate plugin's
//! `learn_rates` tool; the result is a surrogate directory.

use super::{CommandError, finish};
use crate::plot::{Series, draw};
use bioflux_api::{LearnData, learn_columns};
use bioflux_plugin::tools::RatesRequest;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct LearnArgs {
    /// Measured rates: one row per sample, one column per reaction (its
    /// flux in the model's sign, negative for uptake, mmol/gDW/h; the
    /// growth rate in 1/h); empty or NA where not measured.
    pub data: PathBuf,
    /// The model whose formulas give each flux's carbon and nitrogen (SBML
    /// or COBRA JSON, possibly gzipped).
    #[arg(long)]
    pub model: PathBuf,
    /// Columns the network starts from (measured uptake rates).
    #[arg(long, value_delimiter = ',', required = true, value_name = "REACTIONS")]
    pub inputs: Vec<String>,
    /// Measured columns it predicts, the growth rate among them.
    #[arg(long, value_delimiter = ',', required = true, value_name = "REACTIONS")]
    pub outputs: Vec<String>,
    /// The growth rate's column (the biomass reaction).
    #[arg(long)]
    pub growth: String,
    /// Rates it predicts that are not measured (CO₂ under pH buffering):
    /// only the balances constrain them. A column of that name in the data
    /// is used only to check the prediction.
    #[arg(long, value_delimiter = ',', value_name = "REACTIONS")]
    pub unmeasured: Vec<String>,
    /// Carbon in biomass, mmol C/gDW (learned when not given).
    #[arg(long = "alpha-bm")]
    pub alpha_bm: Option<f64>,
    /// Nitrogen in biomass, mmol N/gDW (learned when not given).
    #[arg(long = "beta-bm")]
    pub beta_bm: Option<f64>,
    /// Degree of reduction of biomass, mmol e⁻/gDW, or `learn`; by default
    /// the biomass reaction's, from the model's formulas and charges.
    #[arg(long = "gamma-bm", value_name = "NUMBER|learn", value_parser = parse_gamma)]
    pub gamma_bm: Option<Gamma>,
    /// λ of both element balances (the paper's 1e-4).
    #[arg(long, default_value_t = 1e-4)]
    pub lambda: f64,
    /// Leave out the degree-of-reduction (electron) balance, which is held
    /// exactly wherever the model gives every column's formulas and charges.
    #[arg(long = "no-electron-balance")]
    pub no_electron_balance: bool,
    /// λ₁ of the carbon balance alone (default: --lambda).
    #[arg(long = "lambda-carbon")]
    pub lambda_carbon: Option<f64>,
    /// λ₂ of the nitrogen balance alone (default: --lambda).
    #[arg(long = "lambda-nitrogen")]
    pub lambda_nitrogen: Option<f64>,
    /// Also predict every reaction's flux v̄, with S·v̄ = 0 (eq. 2).
    #[arg(long)]
    pub internal: bool,
    /// λ₃ of ‖S·v̄‖² with --internal.
    #[arg(long = "lambda-stoichiometry", default_value_t = 1e-4)]
    pub lambda_stoichiometry: f64,
    /// Hidden layer widths (of each network of the ensemble).
    #[arg(long, value_delimiter = ',', default_value = "16,16")]
    pub layers: Vec<usize>,
    /// Networks trained side by side, each from its own initial weights
    /// and holding out its own fold (`--val`) of the samples; the written
    /// network is their mean (1: one network and one held-out fraction).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub ensemble: u64,
    /// silu, tanh or relu.
    #[arg(long, default_value = "tanh")]
    pub activation: String,
    #[arg(long, default_value_t = 3000)]
    pub epochs: usize,
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    #[arg(long, default_value_t = 3e-3)]
    pub lr: f64,
    /// Stop after this many epochs without a better validation loss.
    #[arg(long, default_value_t = 300)]
    pub patience: usize,
    /// The fraction of samples each network holds out.
    #[arg(long = "val", default_value_t = 0.2)]
    pub validation: f64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// cpu, or cuda with a surrogate plugin built with `--features cuda`.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// The directory to write the network to (usable as `surrogate("DIR")`).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Draw the loss curves (MSE and the balance terms per epoch; .png, .svg).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Also write the reply (α_bm, β_bm, errors, losses) as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[arg(long = "plugin-path", value_name = "DIR")]
    pub plugin_path: Vec<PathBuf>,
}

/// The biomass's degree of reduction as given on the command line.
#[derive(Clone, Copy, Debug)]
pub enum Gamma {
    Given(f64),
    Learn,
}

fn parse_gamma(text: &str) -> Result<Gamma, String> {
    match text {
        "learn" => Ok(Gamma::Learn),
        number => match number.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Gamma::Given(v)),
            _ => Err(format!("`{number}` is neither a number nor `learn`")),
        },
    }
}

/// `bioflux learn`: true when the network was written.
pub fn learn(args: &LearnArgs) -> bool {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // SAFETY: set before any thread of this process starts.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", "1") };
    }
    finish(run(args).map(|()| true), "nothing was learned")
}

fn run(args: &LearnArgs) -> Result<(), CommandError> {
    let columns = learn_columns(&LearnData {
        data: args.data.clone(),
        model: args.model.clone(),
        inputs: args.inputs.clone(),
        outputs: args.outputs.clone(),
        unmeasured: args.unmeasured.clone(),
        internal: args.internal,
        plugin_path: args.plugin_path.clone(),
    })?;
    if !args.internal && !columns.unseen.is_empty() {
        eprintln!(
            "note: the balances take these exchanges of carbon or nitrogen as zero (no column names them): {}",
            columns.unseen.join(", ")
        );
    }
    if let (false, true, Some(why)) = (args.internal, !args.no_electron_balance, &columns.no_electrons) {
        eprintln!("note: no degree-of-reduction balance: {why}");
    }
    // The biomass's degree of reduction is close to universal (≈ 4.2 per
    // carbon) and learning it from noisy rates moves it by several percent
    // (benches/learn_designs.rs): the model's, unless told otherwise.
    let model_gamma = columns.outputs.iter().find(|c| c.name == args.growth).and_then(|c| c.electrons);
    let gamma_bm = match args.gamma_bm {
        Some(Gamma::Given(v)) => Some(v),
        Some(Gamma::Learn) => None,
        None => model_gamma,
    };
    if let (None, Some(g), false, None) = (args.gamma_bm, model_gamma, args.no_electron_balance, &columns.no_electrons)
    {
        eprintln!(
            "note: γ_bm = {g:.4} mmol e⁻/gDW, the biomass reaction's degree of reduction (--gamma-bm learn to learn it)"
        );
    }
    let request = RatesRequest {
        output: args.output.clone(),
        source: args.model.display().to_string(),
        inputs: columns.inputs,
        outputs: columns.outputs,
        unmeasured: columns.unmeasured,
        growth: args.growth.clone(),
        alpha_bm: args.alpha_bm,
        beta_bm: args.beta_bm,
        gamma_bm,
        lambda_carbon: args.lambda_carbon.unwrap_or(args.lambda),
        lambda_nitrogen: args.lambda_nitrogen.unwrap_or(args.lambda),
        lambda_stoichiometry: args.lambda_stoichiometry,
        // Where the columns cannot carry it, the note above said why.
        electron_balance: !args.no_electron_balance && columns.no_electrons.is_none(),
        internal: columns.internal,
        layers: args.layers.clone(),
        ensemble: args.ensemble as usize,
        activation: args.activation.clone(),
        epochs: args.epochs,
        batch: args.batch,
        lr: args.lr,
        patience: args.patience,
        validation: args.validation,
        seed: args.seed,
        device: args.device.clone(),
        quiet: false,
    };
    let reply = bioflux_api::learn(&request, &args.plugin_path)?;
    eprintln!("{}", reply.summary);
    if let Some(path) = &args.json {
        // Plain numbers and strings: serialising cannot fail.
        let text = serde_json::to_string_pretty(&reply).unwrap_or_default();
        std::fs::write(path, text + "\n").map_err(|source| CommandError::Write { path: path.clone(), source })?;
    }
    if let Some(path) = &args.plot {
        let epoch = Series {
            name: "epoch".into(),
            unit: String::new(),
            values: reply.losses.iter().map(|l| l.epoch as f64).collect(),
        };
        let log = |name: &str, f: &dyn Fn(&bioflux_plugin::tools::EpochLoss) -> f64| Series {
            name: format!("log10 {name}"),
            unit: String::new(),
            values: reply.losses.iter().map(|l| f(l).max(1e-30).log10()).collect(),
        };
        let mut curves = vec![log("MSE (train)", &|l| l.mse), log("MSE (held out)", &|l| l.validation)];
        if request.internal.is_none() {
            curves.push(log("L_c² [(mmol C/gDW/h)²]", &|l| l.carbon));
            curves.push(log("L_n² [(mmol N/gDW/h)²]", &|l| l.nitrogen));
            if reply.gamma_bm.is_some() {
                curves.push(log("L_e² [(mmol e⁻/gDW/h)²]", &|l| l.electrons));
            }
        }
        if request.internal.is_some() {
            curves.push(log("‖S·v̄‖²", &|l| l.stoichiometry));
        }
        draw(path, &epoch, &curves, false).map_err(CommandError::Plot)?;
        eprintln!("plotted the loss curves to {}", path.display());
    }
    Ok(())
}
