//! The COBRA JSON format as COBRApy's save_json_model writes it, infinite
//! bounds included (`Infinity` bare, as Python's json module writes it, or
//! `"inf"` as a string).

use super::{DEFAULT_BOUND, Network, Objective, Reaction, list_some};
use crate::error::ModelError;
use std::collections::HashMap;

/// A JSON number, or a string or bare token naming one (`"inf"`, `"-inf"`,
/// `"Infinity"`, `"1e3"`).
pub(crate) fn json_number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

/// Python's json module writes infinite floats as the bare tokens
/// `Infinity`, `-Infinity` and `NaN`, which JSON lacks: quote them (only
/// outside strings) so serde_json reads them as strings.
fn quote_python_tokens(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("Infinity") && !text.contains("NaN") {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let (mut in_string, mut escaped) = (false, false);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        let token = ["-Infinity", "Infinity", "NaN"].into_iter().find(|t| rest.starts_with(t));
        match token {
            Some(t) => {
                out.push('"');
                out.push_str(t);
                out.push('"');
                rest = &rest[t.len()..];
            }
            None => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out.into()
}

/// The COBRA JSON format (COBRApy's save_json_model).
pub fn cobra_json(text: &str) -> Result<Network, ModelError> {
    let text = quote_python_tokens(text);
    let doc: serde_json::Value = serde_json::from_str(&text)?;
    let mets = doc.get("metabolites").and_then(|m| m.as_array()).ok_or(ModelError::NoList { list: "metabolites" })?;
    let rxns = doc.get("reactions").and_then(|m| m.as_array()).ok_or(ModelError::NoList { list: "reactions" })?;
    let mut net = Network::default();
    let mut met_index: HashMap<String, usize> = HashMap::new();
    for m in mets {
        let id = m.get("id").and_then(|v| v.as_str()).ok_or(ModelError::NoId { what: "metabolite" })?.to_string();
        if met_index.insert(id.clone(), net.metabolites.len()).is_some() {
            return Err(ModelError::DuplicateMetabolite { id });
        }
        net.metabolites.push(id);
        net.formulas.push(m.get("formula").and_then(|f| f.as_str()).map(str::to_string));
        net.charges.push(m.get("charge").and_then(json_number).filter(|c| c.is_finite()));
    }
    let mut defaulted = Vec::new();
    let mut objective = Vec::new();
    for (j, r) in rxns.iter().enumerate() {
        let id = r.get("id").and_then(|v| v.as_str()).ok_or(ModelError::NoId { what: "reaction" })?.to_string();
        // COBRApy's Reaction defaults where a key is missing: [0, 1000].
        let mut bound = |key: &'static str, default: f64| -> Result<f64, ModelError> {
            match r.get(key) {
                None | Some(serde_json::Value::Null) => {
                    if !defaulted.contains(&id) {
                        defaulted.push(id.clone());
                    }
                    Ok(default)
                }
                Some(v) => json_number(v).ok_or_else(|| ModelError::JsonBound {
                    reaction: id.clone(),
                    key,
                    value: v.to_string(),
                }),
            }
        };
        let (lower, upper) = (bound("lower_bound", 0.0)?, bound("upper_bound", DEFAULT_BOUND)?);
        let mut stoichiometry = Vec::new();
        if let Some(ms) = r.get("metabolites").and_then(|m| m.as_object()) {
            for (met, c) in ms {
                let m = *met_index
                    .get(met)
                    .ok_or_else(|| ModelError::UnknownMetabolite { reaction: id.clone(), metabolite: met.clone() })?;
                let c = json_number(c)
                    .filter(|c| c.is_finite())
                    .ok_or_else(|| ModelError::Coefficient { reaction: id.clone(), metabolite: met.clone() })?;
                if c != 0.0 {
                    stoichiometry.push((m, c));
                }
            }
        }
        if let Some(c) = r.get("objective_coefficient").and_then(json_number)
            && c != 0.0
        {
            objective.push((j, c));
        }
        net.reactions.push(Reaction { id, lower, upper, stoichiometry });
    }
    if !defaulted.is_empty() {
        net.notes.push(format!(
            "{} reaction(s) have no \"lower_bound\" or \"upper_bound\" ({}); COBRApy's defaults are used: lower 0, upper {DEFAULT_BOUND}",
            defaulted.len(),
            list_some(&defaulted)
        ));
    }
    net.objective = Objective::maximize(objective);
    net.check_bounds()?;
    Ok(net)
}
