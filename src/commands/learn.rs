//! `bioflux learn`: a network learned from measured specific rates with
//! carbon and nitrogen balances (Kusters et al.): the CSV and the model's
//! formulas are read here, the learning is the surrogate plugin's
//! `learn_rates` tool; the result is a surrogate directory.

use super::train::surrogate_tool;
use crate::plot::{Series, draw};
use bioflux_compiler::diagnostic::suggestion;
use bioflux_plugin::tools::{
    InternalNetwork, LearnRates, RateColumn, RatesRequest, Stoichiometry, StoichiometryRequest, StoichiometryTool,
};
use bioflux_runtime::host::{Plugin, SearchPath};
use std::path::{Path, PathBuf};

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
    /// λ of both element balances (the paper's 1e-4).
    #[arg(long, default_value_t = 1e-4)]
    pub lambda: f64,
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
    /// Hidden layer widths.
    #[arg(long, value_delimiter = ',', default_value = "32,32")]
    pub layers: Vec<usize>,
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
    /// The fraction of samples held out.
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

/// `bioflux learn`: true when the network was written.
pub fn learn(args: &LearnArgs) -> bool {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // SAFETY: set before any thread of this process starts.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", "1") };
    }
    super::succeeded(run(args))
}

fn run(args: &LearnArgs) -> Result<(), String> {
    let net = network(&args.model, &args.plugin_path)?;
    let (header, rows) = read_rates(&args.data)?;
    let reaction = |name: &str| -> Result<usize, String> {
        net.reactions.iter().position(|r| r == name).ok_or_else(|| {
            format!(
                "the model has no reaction `{name}`. {}",
                suggestion(name, net.reactions.iter().map(String::as_str), "columns are named by reaction")
            )
            .trim()
            .to_string()
        })
    };
    let (carbon, nitrogen) = element_flows(&net);
    let column = |name: &str, required: bool| -> Result<RateColumn, String> {
        let j = reaction(name)?;
        let values = match header.iter().position(|h| h == name) {
            Some(c) => rows.iter().map(|r| r[c]).collect(),
            None if required => {
                return Err(format!(
                    "{} has no column `{name}`. {}",
                    args.data.display(),
                    suggestion(name, header.iter().map(String::as_str), "")
                )
                .trim()
                .to_string());
            }
            None => vec![None; rows.len()],
        };
        Ok(RateColumn { name: name.to_string(), values, carbon: carbon[j], nitrogen: nitrogen[j] })
    };
    let columns = |names: &[String], required| names.iter().map(|n| column(n, required)).collect::<Result<Vec<_>, _>>();
    let (inputs, outputs, unmeasured) =
        (columns(&args.inputs, true)?, columns(&args.outputs, true)?, columns(&args.unmeasured, false)?);
    // Element flows the balances cannot see: exchanges that are no column.
    let named: Vec<&String> = args.inputs.iter().chain(&args.outputs).chain(&args.unmeasured).collect();
    let unseen: Vec<&str> = exchanges(&net)
        .filter(|&j| (carbon[j] != 0.0 || nitrogen[j] != 0.0) && !named.contains(&&net.reactions[j]))
        .map(|j| net.reactions[j].as_str())
        .collect();
    if !args.internal && !unseen.is_empty() {
        eprintln!(
            "note: the balances take these exchanges of carbon or nitrogen as zero (no column names them): {}",
            unseen.join(", ")
        );
    }
    let internal = args.internal.then(|| {
        let (m, n) = (net.metabolites.len(), net.reactions.len());
        let mut s = vec![0.0; m * n];
        for e in &net.entries {
            s[e.metabolite * n + e.reaction] += e.coefficient;
        }
        InternalNetwork { reactions: net.reactions.clone(), s, n_metabolites: m }
    });
    let request = RatesRequest {
        output: args.output.clone(),
        source: args.model.display().to_string(),
        inputs,
        outputs,
        unmeasured,
        growth: args.growth.clone(),
        alpha_bm: args.alpha_bm,
        beta_bm: args.beta_bm,
        lambda_carbon: args.lambda_carbon.unwrap_or(args.lambda),
        lambda_nitrogen: args.lambda_nitrogen.unwrap_or(args.lambda),
        lambda_stoichiometry: args.lambda_stoichiometry,
        internal,
        layers: args.layers.clone(),
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
    let reply = surrogate_tool::<LearnRates>(&request, &args.plugin_path)?;
    eprintln!("{}", reply.summary);
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&reply).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))?;
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
        }
        if request.internal.is_some() {
            curves.push(log("‖S·v̄‖²", &|l| l.stoichiometry));
        }
        draw(path, &epoch, &curves, false)?;
        eprintln!("plotted the loss curves to {}", path.display());
    }
    Ok(())
}

/// The model's network, from the LP plugin's `stoichiometry` tool.
fn network(model: &Path, plugin_path: &[PathBuf]) -> Result<Stoichiometry, String> {
    let library = SearchPath::new(plugin_path)
        .find("pfba")
        .ok_or("the `pfba` plugin, which reads model files, was not found; pass --plugin-path DIR")?;
    let base_dir = std::env::current_dir().map_err(|e| e.to_string())?;
    let request =
        StoichiometryRequest { config: serde_json::json!({ "source": model.display().to_string() }), base_dir };
    let net = Plugin::open(&library)?.call::<StoichiometryTool>(&request).map_err(|e| e.to_string())?;
    net.validate().map_err(|e| format!("{}: {e}", model.display()))?;
    Ok(net)
}

/// Carbon and nitrogen leaving per unit of each reaction's flux:
/// −Σ_m s_mj·atoms_m (an uptake of glucose, −10, brings in 60 C).
fn element_flows(net: &Stoichiometry) -> (Vec<f64>, Vec<f64>) {
    let n = net.reactions.len();
    let (mut carbon, mut nitrogen) = (vec![0.0; n], vec![0.0; n]);
    for e in &net.entries {
        carbon[e.reaction] -= e.coefficient * net.carbon[e.metabolite].unwrap_or(0.0);
        nitrogen[e.reaction] -= e.coefficient * net.nitrogen[e.metabolite].unwrap_or(0.0);
    }
    (carbon, nitrogen)
}

/// Reactions with one metabolite: exchanges with the medium.
fn exchanges(net: &Stoichiometry) -> impl Iterator<Item = usize> + '_ {
    (0..net.reactions.len()).filter(|&j| net.entries.iter().filter(|e| e.reaction == j).count() == 1)
}

/// A sample's rates, `None` where not measured.
type Row = Vec<Option<f64>>;

/// The header (names without a `[unit]`) and the rows of a rates CSV.
fn read_rates(path: &Path) -> Result<(Vec<String>, Vec<Row>), String> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .iter()
        .map(|h| h.split(" [").next().unwrap_or(h).trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
        let row = record
            .iter()
            .enumerate()
            .map(|(c, field)| match field {
                "" | "NA" | "NaN" | "nan" => Ok(None),
                text => text.parse::<f64>().map(Some).map_err(|_| {
                    format!("{}:{}: `{text}` in column `{}` is not a number", path.display(), i + 2, header[c])
                }),
            })
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(format!("{} has no rows", path.display()));
    }
    Ok((header, rows))
}
