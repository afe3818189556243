//! Learning from measured rates (`bioflux learn`): the rates CSV and the
//! model's formulas are read here; the learning is the surrogate plugin's
//! `learn_rates` tool.

use crate::Error;
use bioflux_compiler::diagnostic::suggestion;
use bioflux_plugin::config::CellConfig;
use bioflux_plugin::tools::{
    InternalNetwork, LearnRates, RateColumn, RatesReply, RatesRequest, Stoichiometry, StoichiometryRequest,
    StoichiometryTool,
};
use std::path::{Path, PathBuf};

/// A rates file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RatesError {
    /// The file cannot be opened or a row cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: csv::Error },
    /// A column the request names is not in the file.
    #[error("{} has no column `{column}`.{}", path.display(), if suggestion.is_empty() { String::new() } else { format!(" {suggestion}") })]
    MissingColumn { path: PathBuf, column: String, suggestion: String },
    /// A value that is not a number (nor empty or NA).
    #[error("{}:{line}: `{text}` in column `{column}` is not a number", path.display())]
    NotANumber { path: PathBuf, line: usize, text: String, column: String },
    /// A header without rows.
    #[error("{} has no rows", path.display())]
    NoRows { path: PathBuf },
    /// The model's network breaks the stoichiometry tool's contract.
    #[error("{}: {error}", model.display())]
    Network { model: PathBuf, error: bioflux_plugin::tools::StoichiometryError },
}

/// Which columns of which files to learn from.
#[derive(Clone, Debug, Default)]
pub struct LearnData {
    /// The measured rates: a column per reaction, a row per sample.
    pub data: PathBuf,
    /// The model whose formulas give each flux's carbon and nitrogen.
    pub model: PathBuf,
    /// Columns the network starts from (measured uptake rates).
    pub inputs: Vec<String>,
    /// Measured columns it predicts, the growth rate among them.
    pub outputs: Vec<String>,
    /// Rates it predicts that are not measured.
    pub unmeasured: Vec<String>,
    /// Also predict every reaction's flux, with S·v̄ = 0.
    pub internal: bool,
    /// Where to look for the plugins first.
    pub plugin_path: Vec<PathBuf>,
}

/// The columns with their element flows, ready for a [`RatesRequest`].
pub struct LearnColumns {
    pub inputs: Vec<RateColumn>,
    pub outputs: Vec<RateColumn>,
    pub unmeasured: Vec<RateColumn>,
    /// With `internal`: the whole network.
    pub internal: Option<InternalNetwork>,
    /// Exchanges of carbon or nitrogen no column names: the balances take
    /// them as zero (without `internal`).
    pub unseen: Vec<String>,
    /// Why the columns carry no degrees of reduction (so the learning
    /// balances no electrons), where they do not.
    pub no_electrons: Option<NoElectrons>,
}

/// Why a learning cannot balance electrons: taking an exchange of them as
/// zero (O₂ above all) would make the balance wrong, not weaker.
#[derive(Clone, Debug, PartialEq)]
pub enum NoElectrons {
    /// The stoichiometry tool gave no degrees of reduction (formulas or
    /// charges missing) for these columns' reactions.
    Unknown(Vec<String>),
    /// Exchanges that carry electrons (or may: a formula or charge is
    /// missing) that no column names.
    Unseen(Vec<String>),
}

impl std::fmt::Display for NoElectrons {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoElectrons::Unknown(columns) => {
                write!(f, "the model gives no formula or charge for a metabolite of {}", columns.join(", "))
            }
            NoElectrons::Unseen(exchanges) => {
                write!(f, "no column names these exchanges of electrons: {}", exchanges.join(", "))
            }
        }
    }
}

/// Reads the rates and the model's network into the request's columns.
pub fn learn_columns(request: &LearnData) -> Result<LearnColumns, Error> {
    let net = network(&request.model, &request.plugin_path)?;
    let (header, rows) = read_rates(&request.data)?;
    let reaction = |name: &str| -> Result<usize, Error> {
        net.reactions.iter().position(|r| r == name).ok_or_else(|| Error::UnknownReaction {
            name: name.to_string(),
            suggestion: suggestion(name, net.reactions.iter().map(String::as_str), "columns are named by reaction")
                .trim()
                .to_string(),
        })
    };
    let (carbon, nitrogen) = element_flows(&net);
    let electrons = electron_flows(&net);
    let column = |name: &str, required: bool| -> Result<RateColumn, Error> {
        let j = reaction(name)?;
        let values = match header.iter().position(|h| h == name) {
            Some(c) => rows.iter().map(|r| r[c]).collect(),
            None if required => {
                return Err(Error::Rates(RatesError::MissingColumn {
                    path: request.data.clone(),
                    column: name.to_string(),
                    suggestion: suggestion(name, header.iter().map(String::as_str), "").trim().to_string(),
                }));
            }
            None => vec![None; rows.len()],
        };
        Ok(RateColumn {
            name: name.to_string(),
            values,
            carbon: carbon[j],
            nitrogen: nitrogen[j],
            electrons: electrons[j],
        })
    };
    let columns = |names: &[String], required| names.iter().map(|n| column(n, required)).collect::<Result<Vec<_>, _>>();
    let named: Vec<&String> = request.inputs.iter().chain(&request.outputs).chain(&request.unmeasured).collect();
    let exchanges = exchanges(&net);
    let unseen = exchanges
        .iter()
        .copied()
        .filter(|&j| (carbon[j] != 0.0 || nitrogen[j] != 0.0) && !named.contains(&&net.reactions[j]))
        .map(|j| net.reactions[j].clone())
        .collect();
    let internal = request.internal.then(|| {
        let (m, n) = (net.metabolites.len(), net.reactions.len());
        let mut s = vec![0.0; m * n];
        for e in &net.entries {
            s[e.metabolite * n + e.reaction] += e.coefficient;
        }
        InternalNetwork { reactions: net.reactions.clone(), s, n_metabolites: m }
    });
    let (mut inputs, mut outputs, mut unmeasured) =
        (columns(&request.inputs, true)?, columns(&request.outputs, true)?, columns(&request.unmeasured, false)?);
    let unknown: Vec<String> = inputs
        .iter()
        .chain(&outputs)
        .chain(&unmeasured)
        .filter(|c| c.electrons.is_none())
        .map(|c| c.name.clone())
        .collect();
    let unseen_electrons: Vec<String> = exchanges
        .iter()
        .copied()
        .filter(|&j| electrons[j] != Some(0.0) && !named.contains(&&net.reactions[j]))
        .map(|j| net.reactions[j].clone())
        .collect();
    let no_electrons = if !unknown.is_empty() {
        Some(NoElectrons::Unknown(unknown))
    } else if !unseen_electrons.is_empty() {
        Some(NoElectrons::Unseen(unseen_electrons))
    } else {
        None
    };
    if no_electrons.is_some() {
        for c in inputs.iter_mut().chain(&mut outputs).chain(&mut unmeasured) {
            c.electrons = None;
        }
    }
    Ok(LearnColumns { inputs, outputs, unmeasured, internal, unseen, no_electrons })
}

/// Learns: the surrogate plugin's `learn_rates` tool.
pub fn learn(request: &RatesRequest, plugin_path: &[PathBuf]) -> Result<RatesReply, Error> {
    crate::surrogate_tool::<LearnRates>(request, plugin_path)
}

/// The model's network, from the LP plugin's `stoichiometry` tool.
fn network(model: &Path, plugin_path: &[PathBuf]) -> Result<Stoichiometry, Error> {
    let config = CellConfig { source: Some(model.display().to_string()), ..Default::default() };
    let request = StoichiometryRequest {
        // A configuration is plain data: it converts to JSON.
        config: serde_json::to_value(&config).unwrap_or_default(),
        base_dir: crate::plugins::working_dir()?,
    };
    let net = crate::plugins::open_plugin("pfba", plugin_path)?.call::<StoichiometryTool>(&request)?;
    net.validate().map_err(|error| Error::Rates(RatesError::Network { model: model.to_path_buf(), error }))?;
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

/// Electrons (degree of reduction) leaving per unit of each reaction's
/// flux, −Σ_m s_mj·γ_m; `None` where a metabolite's is unknown.
fn electron_flows(net: &Stoichiometry) -> Vec<Option<f64>> {
    let mut electrons = vec![Some(0.0); net.reactions.len()];
    for e in &net.entries {
        let gamma = net.electrons.get(e.metabolite).copied().flatten();
        let flow = &mut electrons[e.reaction];
        *flow = flow.zip(gamma).map(|(sum, g)| sum - e.coefficient * g);
    }
    electrons
}

/// Reactions with one metabolite: exchanges with the medium (one pass
/// over the entries).
fn exchanges(net: &Stoichiometry) -> Vec<usize> {
    let mut metabolites = vec![0usize; net.reactions.len()];
    for e in &net.entries {
        metabolites[e.reaction] += 1;
    }
    (0..net.reactions.len()).filter(|&j| metabolites[j] == 1).collect()
}

/// A sample's rates, `None` where not measured.
type Row = Vec<Option<f64>>;

/// The header (names without a `[unit]`) and the rows of a rates CSV.
fn read_rates(path: &Path) -> Result<(Vec<String>, Vec<Row>), RatesError> {
    let read = |source| RatesError::Read { path: path.to_path_buf(), source };
    let mut reader =
        csv::ReaderBuilder::new().comment(Some(b'#')).trim(csv::Trim::All).from_path(path).map_err(read)?;
    let header: Vec<String> =
        reader.headers().map_err(read)?.iter().map(|h| h.split(" [").next().unwrap_or(h).trim().to_string()).collect();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(read)?;
        let row = record
            .iter()
            .enumerate()
            .map(|(c, field)| match field {
                "" | "NA" | "NaN" | "nan" => Ok(None),
                text => text.parse::<f64>().map(Some).map_err(|_| RatesError::NotANumber {
                    path: path.to_path_buf(),
                    line: i + 2,
                    text: text.to_string(),
                    column: header.get(c).cloned().unwrap_or_default(),
                }),
            })
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(RatesError::NoRows { path: path.to_path_buf() });
    }
    Ok((header, rows))
}
