//! Stoichiometric models: read from SBML Level 3 with fbc v1, v2 or v3 (or
//! Level 2 in the COBRA Toolbox's format), COBRA JSON (either possibly
//! gzipped), or an inline `network` block of a .bio file. Ids as COBRApy
//! shows them (`R_` and `M_` prefixes stripped).

mod cobra_json;
mod mathml;
mod sbml;

pub use cobra_json::cobra_json;
pub use sbml::sbml;

use crate::cache::{self, Key};
use crate::error::ModelError;
use bioflux_plugin::config::CellConfig;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// COBRApy's default flux bound where a model gives none.
pub const DEFAULT_BOUND: f64 = 1000.0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reaction {
    pub id: String,
    pub lower: f64,
    pub upper: f64,
    /// (metabolite index, coefficient): negative consumed, positive produced;
    /// each metabolite at most once.
    pub stoichiometry: Vec<(usize, f64)>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sense {
    #[default]
    Maximize,
    Minimize,
}

/// A linear objective Σ c·v, maximised or minimised.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    /// (reaction index, coefficient), each reaction at most once.
    pub terms: Vec<(usize, f64)>,
    pub sense: Sense,
}

impl Objective {
    pub fn maximize(terms: Vec<(usize, f64)>) -> Objective {
        Objective { terms, sense: Sense::Maximize }
    }
    pub fn minimize(terms: Vec<(usize, f64)>) -> Objective {
        Objective { terms, sense: Sense::Minimize }
    }
    /// +1 when maximised, −1 when minimised: the LP maximises sign·Σ c·v.
    pub fn sign(&self) -> f64 {
        match self.sense {
            Sense::Maximize => 1.0,
            Sense::Minimize => -1.0,
        }
    }
}

/// A linear constraint on fluxes besides the balances and bounds (fbc
/// v3's user-defined constraints): `lower ≤ Σ c·v ≤ upper`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Constraint {
    pub id: String,
    /// (reaction index, coefficient), each reaction at most once.
    pub terms: Vec<(usize, f64)>,
    pub lower: f64,
    pub upper: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Network {
    pub metabolites: Vec<String>,
    pub formulas: Vec<Option<String>>,
    /// Each metabolite's charge, where the file gives one.
    #[serde(default)]
    pub charges: Vec<Option<f64>>,
    pub reactions: Vec<Reaction>,
    /// Further linear constraints on the fluxes.
    pub constraints: Vec<Constraint>,
    /// The model's own objective (no terms when it has none).
    pub objective: Objective,
    /// What reading the file changed or assumed (default bounds), once each.
    pub notes: Vec<String>,
}

impl Network {
    pub fn reaction_index(&self, id: &str) -> Option<usize> {
        self.reactions.iter().position(|r| r.id == id)
    }

    /// A reaction (or constraint) whose lower bound is above its upper can
    /// carry no flux at all: that is an error of the model, named, not an
    /// "infeasible" LP.
    pub fn check_bounds(&self) -> Result<(), ModelError> {
        let reactions = self.reactions.iter().map(|r| ("reaction", &r.id, r.lower, r.upper));
        let constraints = self.constraints.iter().map(|c| ("constraint", &c.id, c.lower, c.upper));
        for (what, id, lower, upper) in reactions.chain(constraints) {
            if lower.is_nan() || upper.is_nan() {
                return Err(ModelError::BoundIsNan { what, id: id.clone() });
            }
            if lower > upper {
                return Err(ModelError::BoundsCross { what, id: id.clone(), lower, upper });
            }
        }
        Ok(())
    }

    /// Every metabolite and reaction index points into its list (what a
    /// parser guarantees; checked on a network read back from the cache).
    pub fn indices_are_consistent(&self) -> bool {
        let (m, n) = (self.metabolites.len(), self.reactions.len());
        self.formulas.len() == m
            && self.charges.len() == m
            && self.reactions.iter().all(|r| r.stoichiometry.iter().all(|&(k, _)| k < m))
            && self.objective.terms.iter().all(|&(j, _)| j < n)
            && self.constraints.iter().all(|c| c.terms.iter().all(|&(j, _)| j < n))
    }

    /// A reaction that is likely meant as the objective, for messages.
    pub fn likely_objective(&self) -> Option<&str> {
        let named = |key: &str| self.reactions.iter().find(|r| r.id.to_ascii_lowercase().contains(key));
        named("biomass").or_else(|| named("growth")).map(|r| r.id.as_str())
    }
}

pub(crate) fn strip<'a>(id: &'a str, prefix: &str) -> &'a str {
    id.strip_prefix(prefix).unwrap_or(id)
}

/// The first few of a list, for a message.
pub(crate) fn list_some(items: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = items.iter().take(SHOWN).map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    text
}

/// The file's text: gunzipped when it is gzip, without a byte-order mark.
fn text_of(path: &Path, bytes: Vec<u8>) -> Result<String, ModelError> {
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .read_to_end(&mut out)
            .map_err(|source| ModelError::Gzip { path: path.to_path_buf(), source })?;
        out
    } else {
        bytes
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => other_encoding(e.as_bytes())
            .ok_or_else(|| ModelError::Encoding { path: path.to_path_buf(), byte: e.utf8_error().valid_up_to() })?,
    };
    Ok(text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text))
}

/// Text that is not UTF-8 but says what it is, as older tools and Windows
/// editors save models: UTF-16 with its byte-order mark, or an XML
/// declaration naming Latin-1 (or Windows-1252, read as Latin-1).
fn other_encoding(bytes: &[u8]) -> Option<String> {
    let utf16 = |unit: fn([u8; 2]) -> u16| {
        let units: Vec<u16> = bytes[2..].chunks_exact(2).map(|p| unit([p[0], p[1]])).collect();
        String::from_utf16(&units).ok()
    };
    match bytes {
        [0xff, 0xfe, ..] => return utf16(u16::from_le_bytes),
        [0xfe, 0xff, ..] => return utf16(u16::from_be_bytes),
        _ => {}
    }
    let head: String = bytes.iter().take(200).map(|&b| b as char).collect::<String>().to_ascii_lowercase();
    let declaration = head.strip_prefix("<?xml")?.split("?>").next()?;
    let latin1 = ["iso-8859-1", "iso8859-1", "latin1", "latin-1", "windows-1252", "cp1252"];
    latin1
        .iter()
        .any(|name| declaration.contains(&format!("\"{name}\"")) || declaration.contains(&format!("'{name}'")))
        .then(|| bytes.iter().map(|&b| b as char).collect())
}

/// Reads a model file by its extension (.xml/.sbml, .json, each possibly
/// with .gz after it).
pub fn load(path: &Path) -> Result<Network, ModelError> {
    let file_name = path.file_name().and_then(|f| f.to_str()).unwrap_or("").to_ascii_lowercase();
    let stem = file_name.strip_suffix(".gz").unwrap_or(&file_name);
    let format = Path::new(stem).extension().and_then(|e| e.to_str()).unwrap_or("");
    let parse: fn(&str) -> Result<Network, ModelError> = match format {
        "json" => cobra_json,
        "xml" | "sbml" => sbml,
        _ => return Err(ModelError::UnknownFormat { path: path.to_path_buf() }),
    };
    let bytes = std::fs::read(path).map_err(|source| ModelError::Read { path: path.to_path_buf(), source })?;
    // Parsing a genome-scale SBML file takes longer than what follows it;
    // the same bytes give the same network (`cache`).
    let key = Key::new("network", |h| {
        h.bytes(format.as_bytes());
        h.bytes(&bytes);
    });
    // A damaged entry that still decodes is caught by its indices.
    if let Some(net) = cache::read::<Network>(&key).filter(Network::indices_are_consistent) {
        return Ok(net);
    }
    let net = parse(&text_of(path, bytes)?)
        .map_err(|error| ModelError::InFile { path: path.to_path_buf(), error: Box::new(error) })?;
    cache::write(&key, &net);
    Ok(net)
}

/// An inline `network` block, as the host passes it in the configuration.
pub fn inline(doc: &serde_json::Value) -> Result<Network, ModelError> {
    let mut net = Network::default();
    let mut met_index: HashMap<String, usize> = HashMap::new();
    let rxns = doc.get("reactions").and_then(|r| r.as_array()).ok_or(ModelError::NoReactions)?;
    for r in rxns {
        let id = r.get("id").and_then(|v| v.as_str()).unwrap_or("").to_string();
        let mut stoichiometry: Vec<(usize, f64)> = Vec::new();
        if let Some(ms) = r.get("metabolites").and_then(|m| m.as_object()) {
            for (met, c) in ms {
                let m = *met_index.entry(met.clone()).or_insert_with(|| {
                    net.metabolites.push(met.clone());
                    net.formulas.push(None);
                    net.charges.push(None);
                    net.metabolites.len() - 1
                });
                let c = cobra_json::json_number(c)
                    .filter(|c| c.is_finite())
                    .ok_or_else(|| ModelError::Coefficient { reaction: id.clone(), metabolite: met.clone() })?;
                if c != 0.0 {
                    stoichiometry.push((m, c));
                }
            }
        }
        let bound = |key: &'static str| -> Result<f64, ModelError> {
            match r.get(key) {
                None => Err(ModelError::MissingBound { reaction: id.clone(), key }),
                Some(v) => cobra_json::json_number(v).ok_or_else(|| ModelError::InlineBound {
                    reaction: id.clone(),
                    key,
                    value: v.to_string(),
                }),
            }
        };
        let (lower, upper) = (bound("lower")?, bound("upper")?);
        net.reactions.push(Reaction { id, lower, upper, stoichiometry });
    }
    if let Some(f) = doc.get("formulas").and_then(|f| f.as_object()) {
        for (met, formula) in f {
            if let Some(&m) = met_index.get(met) {
                net.formulas[m] = formula.as_str().map(str::to_string);
            }
        }
    }
    net.check_bounds()?;
    Ok(net)
}

/// Finds a model file: as given (relative to the .bio file), else in
/// `$BIOFLUX_MODELS`; in each place also gzipped (`iCH360.xml` finds
/// `iCH360.xml.gz`).
pub fn find_model(source: &str, base_dir: &std::path::Path) -> Result<PathBuf, ModelError> {
    let env = std::env::var_os("BIOFLUX_MODELS");
    let mut places = vec![base_dir.to_path_buf()];
    places.extend(env.iter().map(PathBuf::from));
    for dir in &places {
        let here = dir.join(source);
        if here.is_file() {
            return Ok(here);
        }
        let zipped = dir.join(format!("{source}.gz"));
        if zipped.is_file() {
            return Ok(zipped);
        }
    }
    Err(ModelError::NotFound {
        source_name: source.to_string(),
        base_dir: base_dir.to_path_buf(),
        models_dir: env.map(PathBuf::from),
    })
}

/// The network a cell configuration names: inline, or a model file found
/// beside the .bio file or in `$BIOFLUX_MODELS`.
pub fn load_network(config: &CellConfig, base_dir: &std::path::Path) -> Result<Network, ModelError> {
    match (config.network.as_ref().filter(|n| !n.is_null()), &config.source) {
        (Some(network), _) => inline(network),
        (None, Some(source)) => load(&find_model(source, base_dir)?),
        (None, None) => Err(ModelError::NoModel),
    }
}
