//! Stoichiometric models: read from SBML Level 3 with fbc v2, COBRA JSON,
//! or an inline `network` block of a .bio file. Ids as COBRApy shows them
//! (`R_` and `M_` prefixes stripped).

use std::collections::HashMap;
use std::path::Path;

#[derive(Clone, Debug, PartialEq)]
pub struct Reaction {
    pub id: String,
    pub lower: f64,
    pub upper: f64,
    /// (metabolite index, coefficient): negative consumed, positive produced.
    pub stoichiometry: Vec<(usize, f64)>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Network {
    pub metabolites: Vec<String>,
    pub formulas: Vec<Option<String>>,
    pub reactions: Vec<Reaction>,
    /// (reaction index, coefficient) of the objective, maximised.
    pub objective: Vec<(usize, f64)>,
}

impl Network {
    pub fn reaction_index(&self, id: &str) -> Option<usize> {
        self.reactions.iter().position(|r| r.id == id)
    }
}

const FBC_V2: &str = "http://www.sbml.org/sbml/level3/version1/fbc/version2";
const FBC_V1: &str = "http://www.sbml.org/sbml/level3/version1/fbc/version1";

fn strip<'a>(id: &'a str, prefix: &str) -> &'a str {
    id.strip_prefix(prefix).unwrap_or(id)
}

/// Reads a model file by its extension (.xml/.sbml, .json).
pub fn load(path: &Path) -> Result<Network, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let name = path.display();
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => cobra_json(&text).map_err(|e| format!("{name}: {e}")),
        Some("xml" | "sbml") => sbml(&text).map_err(|e| format!("{name}: {e}")),
        _ => Err(format!("{name}: unknown model format; bioflux reads SBML (.xml, .sbml) and COBRA JSON (.json)")),
    }
}

/// SBML Level 3 with the fbc package version 2.
pub fn sbml(text: &str) -> Result<Network, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("not valid XML: {e}"))?;
    let root = doc.root_element();
    if !root.has_tag_name("sbml") {
        return Err("not an SBML document (the root element is not <sbml>)".into());
    }
    let level = root.attribute("level").unwrap_or("?");
    if level != "3" {
        return Err(format!(
            "SBML Level {level} is not supported; bioflux reads SBML Level 3 with the fbc package version 2 (convert with COBRApy or libSBML)"
        ));
    }
    let namespaces: Vec<&str> = root.namespaces().map(|n| n.uri()).collect();
    if !namespaces.contains(&FBC_V2) {
        let which = if namespaces.contains(&FBC_V1) { "fbc version 1" } else { "no fbc package" };
        return Err(format!(
            "this SBML file uses {which}; bioflux reads flux bounds and objectives from fbc version 2 (re-export it with COBRApy's write_sbml_model)"
        ));
    }
    let model = root.children().find(|n| n.has_tag_name("model")).ok_or("the file has no <model>")?;
    let mut params: HashMap<&str, f64> = HashMap::new();
    for p in model.descendants().filter(|n| n.has_tag_name("parameter")) {
        let id = p.attribute("id").unwrap_or("");
        let value = p.attribute("value").ok_or_else(|| format!("parameter `{id}` has no value"))?;
        let v = value
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("parameter `{id}` has value `{value}`, which is not a number"))?;
        params.insert(id, v);
    }
    let mut net = Network::default();
    let mut met_index: HashMap<String, usize> = HashMap::new();
    for s in model.descendants().filter(|n| n.has_tag_name("species")) {
        let id = strip(s.attribute("id").unwrap_or(""), "M_").to_string();
        met_index.insert(id.clone(), net.metabolites.len());
        net.metabolites.push(id);
        net.formulas.push(s.attribute((FBC_V2, "chemicalFormula")).map(str::to_string));
    }
    for r in model.descendants().filter(|n| n.has_tag_name("reaction")) {
        let id = strip(r.attribute("id").unwrap_or(""), "R_").to_string();
        let bound = |attr: &str| -> Result<f64, String> {
            let p = r.attribute((FBC_V2, attr)).ok_or_else(|| format!("reaction `{id}` has no fbc:{attr}"))?;
            params
                .get(p)
                .copied()
                .ok_or_else(|| format!("reaction `{id}`: its fbc:{attr} is parameter `{p}`, which is not defined"))
        };
        let (lower, upper) = (bound("lowerFluxBound")?, bound("upperFluxBound")?);
        let mut stoichiometry = Vec::new();
        for (list, sign) in [("listOfReactants", -1.0), ("listOfProducts", 1.0)] {
            for sr in r
                .children()
                .filter(|n| n.has_tag_name(list))
                .flat_map(|l| l.children())
                .filter(|n| n.has_tag_name("speciesReference"))
            {
                let met = strip(sr.attribute("species").unwrap_or(""), "M_");
                let m = *met_index.get(met).ok_or_else(|| {
                    format!("reaction `{id}` uses metabolite `{met}`, which is not declared as a species")
                })?;
                let text = sr.attribute("stoichiometry").unwrap_or("1");
                let c: f64 = text
                    .parse()
                    .map_err(|_| format!("reaction `{id}`: stoichiometry `{text}` of `{met}` is not a number"))?;
                stoichiometry.push((m, sign * c));
            }
        }
        net.reactions.push(Reaction { id, lower, upper, stoichiometry });
    }
    if let Some(objs) = model.descendants().find(|n| n.has_tag_name((FBC_V2, "listOfObjectives"))) {
        let active = objs.attribute((FBC_V2, "activeObjective")).unwrap_or("");
        let objective = objs
            .children()
            .filter(|n| n.has_tag_name((FBC_V2, "objective")))
            .find(|o| o.attribute((FBC_V2, "id")) == Some(active))
            .or_else(|| objs.children().find(|n| n.has_tag_name((FBC_V2, "objective"))));
        if let Some(o) = objective {
            let sign = if o.attribute((FBC_V2, "type")) == Some("minimize") { -1.0 } else { 1.0 };
            for f in o.descendants().filter(|n| n.has_tag_name((FBC_V2, "fluxObjective"))) {
                let rid = strip(f.attribute((FBC_V2, "reaction")).unwrap_or(""), "R_");
                let j = net
                    .reaction_index(rid)
                    .ok_or_else(|| format!("the objective uses reaction `{rid}`, which is not in the model"))?;
                let c: f64 = f.attribute((FBC_V2, "coefficient")).unwrap_or("1").parse().unwrap_or(1.0);
                net.objective.push((j, sign * c));
            }
        }
    }
    Ok(net)
}

/// The COBRA JSON format (COBRApy's save_json_model).
pub fn cobra_json(text: &str) -> Result<Network, String> {
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let mets =
        doc.get("metabolites").and_then(|m| m.as_array()).ok_or("no \"metabolites\" list: not a COBRA JSON model")?;
    let rxns =
        doc.get("reactions").and_then(|m| m.as_array()).ok_or("no \"reactions\" list: not a COBRA JSON model")?;
    let mut net = Network::default();
    let mut met_index: HashMap<String, usize> = HashMap::new();
    for m in mets {
        let id = m.get("id").and_then(|v| v.as_str()).ok_or("a metabolite without an \"id\"")?.to_string();
        met_index.insert(id.clone(), net.metabolites.len());
        net.metabolites.push(id);
        net.formulas.push(m.get("formula").and_then(|f| f.as_str()).map(str::to_string));
    }
    for (j, r) in rxns.iter().enumerate() {
        let id = r.get("id").and_then(|v| v.as_str()).ok_or("a reaction without an \"id\"")?.to_string();
        let bound = |key: &str| -> Result<f64, String> {
            r.get(key)
                .and_then(|v| v.as_f64())
                .ok_or_else(|| format!("reaction `{id}`: \"{key}\" is missing or not a number"))
        };
        let (lower, upper) = (bound("lower_bound")?, bound("upper_bound")?);
        let mut stoichiometry = Vec::new();
        if let Some(ms) = r.get("metabolites").and_then(|m| m.as_object()) {
            for (met, c) in ms {
                let m = *met_index
                    .get(met)
                    .ok_or_else(|| format!("reaction `{id}` uses metabolite `{met}`, which is not in the model"))?;
                let c =
                    c.as_f64().ok_or_else(|| format!("reaction `{id}`: the coefficient of `{met}` is not a number"))?;
                stoichiometry.push((m, c));
            }
        }
        if let Some(c) = r.get("objective_coefficient").and_then(|v| v.as_f64())
            && c != 0.0
        {
            net.objective.push((j, c));
        }
        net.reactions.push(Reaction { id, lower, upper, stoichiometry });
    }
    Ok(net)
}

/// An inline `network` block, as the host passes it in the configuration.
pub fn inline(doc: &serde_json::Value) -> Result<Network, String> {
    let mut net = Network::default();
    let mut met_index: HashMap<String, usize> = HashMap::new();
    let rxns = doc.get("reactions").and_then(|r| r.as_array()).ok_or("the inline network has no reactions")?;
    for r in rxns {
        let id = r.get("id").and_then(|v| v.as_str()).unwrap_or("").to_string();
        let mut stoichiometry = Vec::new();
        if let Some(ms) = r.get("metabolites").and_then(|m| m.as_object()) {
            for (met, c) in ms {
                let m = *met_index.entry(met.clone()).or_insert_with(|| {
                    net.metabolites.push(met.clone());
                    net.formulas.push(None);
                    net.metabolites.len() - 1
                });
                stoichiometry.push((m, c.as_f64().unwrap_or(0.0)));
            }
        }
        let lower = r.get("lower").and_then(|v| v.as_f64()).unwrap_or(0.0);
        let upper = r.get("upper").and_then(|v| v.as_f64()).unwrap_or(0.0);
        net.reactions.push(Reaction { id, lower, upper, stoichiometry });
    }
    if let Some(f) = doc.get("formulas").and_then(|f| f.as_object()) {
        for (met, formula) in f {
            if let Some(&m) = met_index.get(met) {
                net.formulas[m] = formula.as_str().map(str::to_string);
            }
        }
    }
    Ok(net)
}
