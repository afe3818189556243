//! SBML Level 3 (versions 1 and 2) with the fbc package, version 1
//! (`fbc:listOfFluxBounds`), 2 (bounds as parameters) or 3 (as 2, with
//! user-defined linear constraints; what libSBML 5.19+ and COBRApy write);
//! and the COBRA Toolbox's older format, SBML Level 2 (or Level 3 without
//! fbc) with bounds and objective as kinetic-law parameters (`LOWER_BOUND`,
//! `UPPER_BOUND`, `OBJECTIVE_COEFFICIENT`) and formulas in the notes. Read
//! as COBRApy reads it: boundary species are not balanced, reactions
//! without bounds get COBRApy's defaults, initial assignments and
//! assignment rules set parameters and stoichiometries.

use super::mathml;
use super::{Constraint, DEFAULT_BOUND, Network, Objective, Reaction, Sense, strip};
use crate::error::{Assignment, ModelError, SymbolError};
use roxmltree::Node;
use std::collections::HashMap;

const FBC_V3: &str = "http://www.sbml.org/sbml/level3/version1/fbc/version3";
const FBC_V2: &str = "http://www.sbml.org/sbml/level3/version1/fbc/version2";
const FBC_V1: &str = "http://www.sbml.org/sbml/level3/version1/fbc/version1";

/// The value of a named constant: known, or why it is not.
type Symbols = HashMap<String, Result<f64, SymbolError>>;

fn children<'a, 'i>(node: Node<'a, 'i>, tag: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(move |n| n.is_element() && n.tag_name().name() == tag)
}

/// The children of `node`'s `<list>` child named `item`.
fn listed<'a, 'i>(node: Node<'a, 'i>, list: &'a str, item: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    children(node, list).flat_map(move |l| children(l, item))
}

fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok()
}

pub fn sbml(text: &str) -> Result<Network, ModelError> {
    let doc = roxmltree::Document::parse(text)?;
    let root = doc.root_element();
    if !root.has_tag_name("sbml") {
        return Err(ModelError::NotSbml);
    }
    let level = root.attribute("level").unwrap_or("?");
    let model = children(root, "model").next().ok_or(ModelError::NoModelElement)?;
    let unused_packages = required_packages(root)?;
    let namespaces: Vec<&str> = root.namespaces().map(|n| n.uri()).collect();
    let known_fbc = [FBC_V3, FBC_V2, FBC_V1].into_iter().find(|ns| namespaces.contains(ns));
    // `fbc` is the namespace flux bounds and objectives are read in; the
    // COBRA format has none (its attributes are looked up there in vain).
    let (fbc, cobra) = match (level, known_fbc) {
        ("3", Some(ns)) => (ns, false),
        ("2" | "3", None) if has_cobra_parameters(model) => ("", true),
        ("3", None) => {
            return Err(match namespaces.iter().find(|ns| ns.contains("/fbc/")) {
                Some(other) => ModelError::UnknownFbc { namespace: other.to_string() },
                None => ModelError::NoFbc,
            });
        }
        ("2", None) => {
            return Err(ModelError::Level2WithoutCobra);
        }
        _ => {
            return Err(ModelError::UnsupportedLevel { level: level.to_string() });
        }
    };
    let symbols = symbols(model)?;

    let mut net = Network::default();
    net.notes.extend(unused_packages);
    let mut met_index: HashMap<&str, usize> = HashMap::new();
    let mut boundary: Vec<&str> = Vec::new();
    for s in listed(model, "listOfSpecies", "species") {
        let raw = s.attribute("id").unwrap_or("");
        // Boundary species are sources and sinks outside the system: no
        // steady-state row (SBML semantics; COBRApy drops them too).
        if s.attribute("boundaryCondition") == Some("true") {
            boundary.push(raw);
            continue;
        }
        met_index.insert(raw, net.metabolites.len());
        net.metabolites.push(strip(raw, "M_").to_string());
        let formula =
            if cobra { formula_in_notes(s) } else { s.attribute((fbc, "chemicalFormula")).map(str::to_string) };
        net.formulas.push(formula);
        let charge = if cobra { charge_in_notes(s) } else { s.attribute((fbc, "charge")).map(str::to_string) };
        net.charges.push(charge.and_then(|c| c.trim().parse::<f64>().ok()).filter(|c| c.is_finite()));
    }

    let v1_bounds = if fbc == FBC_V1 { flux_bounds_v1(model)? } else { HashMap::new() };
    let mut defaulted = Vec::new();
    for r in listed(model, "listOfReactions", "reaction") {
        let raw_id = r.attribute("id").unwrap_or("");
        let id = strip(raw_id, "R_").to_string();
        let reversible = r.attribute("reversible") != Some("false");
        let (lower, upper) = if cobra {
            (law_parameter(r, &id, "LOWER_BOUND")?, law_parameter(r, &id, "UPPER_BOUND")?)
        } else if fbc != FBC_V1 {
            (bound_v2(r, fbc, &id, "lowerFluxBound", &symbols)?, bound_v2(r, fbc, &id, "upperFluxBound", &symbols)?)
        } else {
            v1_bounds.get(raw_id).copied().unwrap_or((None, None))
        };
        if lower.is_none() || upper.is_none() {
            defaulted.push(id.clone());
        }
        let lower = lower.unwrap_or(if reversible { -DEFAULT_BOUND } else { 0.0 });
        let upper = upper.unwrap_or(DEFAULT_BOUND);
        let mut stoichiometry: Vec<(usize, f64)> = Vec::new();
        for (list, sign) in [("listOfReactants", -1.0), ("listOfProducts", 1.0)] {
            for sr in listed(r, list, "speciesReference") {
                let met = sr.attribute("species").unwrap_or("");
                let Some(&m) = met_index.get(met) else {
                    if boundary.contains(&met) {
                        continue;
                    }
                    return Err(ModelError::UndeclaredSpecies {
                        reaction: id.clone(),
                        metabolite: strip(met, "M_").to_string(),
                    });
                };
                let c = coefficient(sr, &id, &symbols)?;
                // A species on both sides counts once, with the net coefficient.
                match stoichiometry.iter_mut().find(|(k, _)| *k == m) {
                    Some(entry) => entry.1 += sign * c,
                    None => stoichiometry.push((m, sign * c)),
                }
            }
        }
        stoichiometry.retain(|&(_, c)| c != 0.0);
        net.reactions.push(Reaction { id, lower, upper, stoichiometry });
    }
    if !defaulted.is_empty() {
        net.notes.push(format!(
            "{} reaction(s) have no flux bound on a side ({}); COBRApy's defaults are used: lower −{DEFAULT_BOUND} (reversible) or 0, upper {DEFAULT_BOUND}",
            defaulted.len(),
            super::list_some(&defaulted)
        ));
    }
    net.objective =
        if cobra { cobra_objective(model, &net)? } else { objective(model, fbc, &net)?.unwrap_or_default() };
    if fbc == FBC_V3 {
        net.constraints = user_constraints(model, &net, &symbols)?;
    }
    net.check_bounds()?;
    Ok(net)
}

/// Parameters and named species references with their values after
/// initial assignments and assignment rules.
fn symbols(model: Node) -> Result<Symbols, ModelError> {
    let mut symbols: Symbols = HashMap::new();
    for p in listed(model, "listOfParameters", "parameter") {
        let id = p.attribute("id").unwrap_or("").to_string();
        let value = match p.attribute("value") {
            Some(text) => {
                number(text).ok_or_else(|| ModelError::ParameterValue { id: id.clone(), text: text.to_string() })?
            }
            None => f64::NAN,
        };
        let known = if value.is_nan() { Err(SymbolError::NoValue { id: id.clone() }) } else { Ok(value) };
        symbols.insert(id, known);
    }
    for c in listed(model, "listOfCompartments", "compartment") {
        if let (Some(id), Some(size)) = (c.attribute("id"), c.attribute("size").and_then(number)) {
            symbols.insert(id.to_string(), Ok(size));
        }
    }
    for r in listed(model, "listOfReactions", "reaction") {
        for list in ["listOfReactants", "listOfProducts"] {
            for sr in listed(r, list, "speciesReference") {
                if let Some(id) = sr.attribute("id") {
                    let value = sr.attribute("stoichiometry").and_then(number).unwrap_or(1.0);
                    symbols.insert(id.to_string(), Ok(value));
                }
            }
        }
    }
    // Assignments: (symbol, its <math>, the element for messages). Empty
    // math leaves the value as declared (SBML L3v2).
    let mut assignments: Vec<(String, Node, Assignment)> = Vec::new();
    for a in listed(model, "listOfInitialAssignments", "initialAssignment") {
        let symbol = a.attribute("symbol").unwrap_or("").to_string();
        if let Some(math) = children(a, "math").next() {
            let what = Assignment::Initial(symbol.clone());
            assignments.push((symbol, math, what));
        }
    }
    for rules in children(model, "listOfRules") {
        for rule in rules.children().filter(|n| n.is_element()) {
            let variable = rule.attribute("variable").unwrap_or("").to_string();
            let kind = rule.tag_name().name();
            let Some(math) = children(rule, "math").next() else { continue };
            if kind == "assignmentRule" {
                let what = Assignment::Rule(variable.clone());
                assignments.push((variable, math, what));
            } else if symbols.contains_key(&variable) {
                // A rate rule makes the value change in time: no constant.
                let changes = SymbolError::ChangesInTime { variable: variable.clone(), rule: kind.to_string() };
                symbols.insert(variable.clone(), Err(changes));
            }
        }
    }
    // Assignments may refer to each other in any order (SBML forbids
    // cycles): evaluate those whose inputs are known until none is left.
    let targets: Vec<String> = assignments.iter().map(|a| a.0.clone()).collect();
    for (symbol, _, what) in &assignments {
        symbols.insert(symbol.clone(), Err(SymbolError::NotEvaluated { assignment: what.clone() }));
    }
    let mut pending: Vec<usize> = (0..assignments.len()).collect();
    let mut done = vec![false; assignments.len()];
    loop {
        let before = pending.len();
        pending.retain(|&k| {
            let (symbol, math, what) = &assignments[k];
            let waiting = std::cell::Cell::new(false);
            let lookup = |id: &str| -> Result<f64, SymbolError> {
                if let Some(j) = targets.iter().position(|t| t == id)
                    && !done[j]
                {
                    waiting.set(true);
                    return Err(SymbolError::Pending { id: id.to_string() });
                }
                match symbols.get(id) {
                    Some(Ok(v)) => Ok(*v),
                    Some(Err(why)) => Err(why.clone()),
                    None => Err(SymbolError::Unknown { id: id.to_string() }),
                }
            };
            let result = mathml::evaluate(*math, &lookup);
            if waiting.get() {
                return true;
            }
            let value = result.map_err(|error| SymbolError::Assignment { assignment: what.clone(), error });
            symbols.insert(symbol.clone(), value);
            done[k] = true;
            false
        });
        if pending.is_empty() || pending.len() == before {
            break;
        }
    }
    for k in pending {
        let (symbol, _, what) = &assignments[k];
        symbols.insert(symbol.clone(), Err(SymbolError::Circular { assignment: what.clone() }));
    }
    Ok(symbols)
}

/// A v2 (or v3) bound: the parameter the attribute names; `None` if absent.
fn bound_v2(r: Node, fbc: &str, id: &str, attr: &'static str, symbols: &Symbols) -> Result<Option<f64>, ModelError> {
    let Some(p) = r.attribute((fbc, attr)) else { return Ok(None) };
    let (reaction, attribute, parameter) = (id.to_string(), attr, p.to_string());
    match symbols.get(p) {
        Some(Ok(v)) if v.is_nan() => Err(ModelError::BoundNotANumber { reaction, attribute, parameter }),
        Some(Ok(v)) => Ok(Some(*v)),
        Some(Err(why)) => {
            Err(ModelError::BoundWithoutValue { reaction, attribute, parameter, why: Box::new(why.clone()) })
        }
        None => Err(ModelError::BoundUndefined { reaction, attribute, parameter }),
    }
}

/// fbc v1's `<fbc:fluxBound fbc:reaction fbc:operation fbc:value>`, per
/// reaction id: (lower, upper), each if given.
#[allow(clippy::type_complexity)]
fn flux_bounds_v1(model: Node) -> Result<HashMap<String, (Option<f64>, Option<f64>)>, ModelError> {
    let mut bounds: HashMap<String, (Option<f64>, Option<f64>)> = HashMap::new();
    let list = model.children().filter(|n| n.has_tag_name((FBC_V1, "listOfFluxBounds")));
    for b in list.flat_map(|l| l.children()).filter(|n| n.has_tag_name((FBC_V1, "fluxBound"))) {
        let reaction = b.attribute((FBC_V1, "reaction")).unwrap_or("");
        let operation = b.attribute((FBC_V1, "operation")).unwrap_or("");
        let text = b.attribute((FBC_V1, "value")).unwrap_or("");
        let value = number(text).ok_or_else(|| ModelError::FluxBoundValue {
            reaction: strip(reaction, "R_").to_string(),
            text: text.to_string(),
        })?;
        let entry = bounds.entry(reaction.to_string()).or_default();
        match operation {
            "lessEqual" | "less" => entry.1 = Some(value),
            "greaterEqual" | "greater" => entry.0 = Some(value),
            "equal" => *entry = (Some(value), Some(value)),
            other => {
                return Err(ModelError::FluxBoundOperation {
                    reaction: strip(reaction, "R_").to_string(),
                    operation: other.to_string(),
                });
            }
        }
    }
    Ok(bounds)
}

/// A species reference's stoichiometry: assigned by id, else as written,
/// else 1 (as COBRApy).
fn coefficient(sr: Node, reaction: &str, symbols: &Symbols) -> Result<f64, ModelError> {
    if let Some(id) = sr.attribute("id")
        && let Some(value) = symbols.get(id)
    {
        return value.clone().map_err(|why| ModelError::Stoichiometry {
            reaction: reaction.to_string(),
            id: id.to_string(),
            why: Box::new(why),
        });
    }
    if let Some(math) = children(sr, "stoichiometryMath").flat_map(|m| children(m, "math")).next() {
        // SBML Level 2's stoichiometryMath: constant expressions only.
        let lookup = |id: &str| match symbols.get(id) {
            Some(Ok(v)) => Ok(*v),
            Some(Err(why)) => Err(why.clone()),
            None => Err(SymbolError::NotAParameter { id: id.to_string() }),
        };
        return mathml::evaluate(math, &lookup)
            .map_err(|error| ModelError::StoichiometryMath { reaction: reaction.to_string(), error });
    }
    match sr.attribute("stoichiometry") {
        None => Ok(1.0),
        Some(text) => number(text).filter(|c| c.is_finite()).ok_or_else(|| ModelError::StoichiometryValue {
            reaction: reaction.to_string(),
            text: text.to_string(),
            metabolite: strip(sr.attribute("species").unwrap_or(""), "M_").to_string(),
        }),
    }
}

/// The active objective (or the first), in either fbc version.
fn objective(model: Node, fbc: &str, net: &Network) -> Result<Option<Objective>, ModelError> {
    let Some(list) = model.children().find(|n| n.has_tag_name((fbc, "listOfObjectives"))) else { return Ok(None) };
    let objectives: Vec<Node> = list.children().filter(|n| n.has_tag_name((fbc, "objective"))).collect();
    let active = list.attribute((fbc, "activeObjective"));
    // SBML L3v2 lets the id be the core attribute instead of fbc's own.
    let is_active = |o: &&Node| o.attribute((fbc, "id")).or(o.attribute("id")) == active;
    let Some(o) = objectives.iter().find(is_active).or(objectives.first()) else {
        return Ok(None);
    };
    let sense = match o.attribute((fbc, "type")) {
        Some("minimize") => Sense::Minimize,
        _ => Sense::Maximize,
    };
    let mut terms: Vec<(usize, f64)> = Vec::new();
    for f in o.descendants().filter(|n| n.has_tag_name((fbc, "fluxObjective"))) {
        let rid = strip(f.attribute((fbc, "reaction")).unwrap_or(""), "R_");
        if f.attribute((fbc, "variableType")) == Some("quadratic") {
            return Err(ModelError::QuadraticObjective { reaction: rid.to_string() });
        }
        let j = net.reaction_index(rid).ok_or_else(|| ModelError::ObjectiveReaction { reaction: rid.to_string() })?;
        let text = f.attribute((fbc, "coefficient")).unwrap_or("1");
        let c = number(text)
            .filter(|c| c.is_finite())
            .ok_or_else(|| ModelError::ObjectiveCoefficient { reaction: rid.to_string(), text: text.to_string() })?;
        match terms.iter_mut().find(|(k, _)| *k == j) {
            Some(t) => t.1 += c,
            None => terms.push((j, c)),
        }
    }
    Ok(Some(Objective { terms, sense }))
}

/// The children of `node` named `tag` in fbc v3's namespace.
fn tagged<'a, 'i>(node: Node<'a, 'i>, tag: &'static str) -> Vec<Node<'a, 'i>> {
    node.children().filter(|n| n.has_tag_name((FBC_V3, tag))).collect()
}

/// fbc v3's user-defined constraints, `lower ≤ Σ c·v ≤ upper`: bounds are
/// parameters (absent: no bound on that side), a coefficient is a number or
/// a parameter, each variable a reaction; quadratic terms are refused.
fn user_constraints(model: Node, net: &Network, symbols: &Symbols) -> Result<Vec<Constraint>, ModelError> {
    let fbc = FBC_V3;
    let mut constraints = Vec::new();
    for list in tagged(model, "listOfUserDefinedConstraints") {
        for (k, c) in tagged(list, "userDefinedConstraint").into_iter().enumerate() {
            let id = c
                .attribute((fbc, "id"))
                .or(c.attribute("id"))
                .map_or_else(|| format!("constraint {}", k + 1), str::to_string);
            let parameter = |attribute: &'static str, absent: f64| -> Result<f64, ModelError> {
                let Some(p) = c.attribute((fbc, attribute)) else { return Ok(absent) };
                let (constraint, parameter) = (id.clone(), p.to_string());
                match symbols.get(p) {
                    Some(Ok(v)) => Ok(*v),
                    Some(Err(why)) => Err(ModelError::ConstraintBoundWithoutValue {
                        constraint,
                        attribute,
                        parameter,
                        why: Box::new(why.clone()),
                    }),
                    None => Err(ModelError::ConstraintBoundUndefined { constraint, attribute, parameter }),
                }
            };
            let (lower, upper) = (parameter("lowerBound", f64::NEG_INFINITY)?, parameter("upperBound", f64::INFINITY)?);
            let mut terms: Vec<(usize, f64)> = Vec::new();
            let components = tagged(c, "listOfUserDefinedConstraintComponents")
                .into_iter()
                .flat_map(|l| tagged(l, "userDefinedConstraintComponent"));
            for part in components {
                let variable = part.attribute((fbc, "variable")).unwrap_or("");
                let rid = strip(variable, "R_");
                if part.attribute((fbc, "variableType")) == Some("quadratic")
                    || part.attribute((fbc, "variable2")).is_some()
                {
                    return Err(ModelError::QuadraticConstraint { constraint: id.clone(), reaction: rid.to_string() });
                }
                let j = net.reaction_index(rid).ok_or_else(|| ModelError::ConstraintReaction {
                    constraint: id.clone(),
                    reaction: rid.to_string(),
                })?;
                let text = part.attribute((fbc, "coefficient")).unwrap_or("1");
                let coefficient = match number(text) {
                    Some(value) => Ok(value),
                    None => match symbols.get(text) {
                        Some(Ok(v)) => Ok(*v),
                        Some(Err(why)) => Err(ModelError::ConstraintCoefficientWithoutValue {
                            constraint: id.clone(),
                            text: text.to_string(),
                            reaction: rid.to_string(),
                            why: Box::new(why.clone()),
                        }),
                        None => Err(ModelError::ConstraintCoefficientUnknown {
                            constraint: id.clone(),
                            text: text.to_string(),
                            reaction: rid.to_string(),
                        }),
                    },
                }?;
                if !coefficient.is_finite() {
                    return Err(ModelError::ConstraintCoefficientInfinite {
                        constraint: id.clone(),
                        reaction: rid.to_string(),
                        value: coefficient,
                    });
                }
                match terms.iter_mut().find(|(i, _)| *i == j) {
                    Some(t) => t.1 += coefficient,
                    None => terms.push((j, coefficient)),
                }
            }
            terms.retain(|&(_, c)| c != 0.0);
            constraints.push(Constraint { id, terms, lower, upper });
        }
    }
    Ok(constraints)
}

/// The COBRA format's parameters of a reaction's kinetic law (Level 2
/// `parameter`, Level 3 `localParameter`), by id or name.
fn law_parameters<'a, 'i>(r: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    children(r, "kineticLaw")
        .flat_map(|law| children(law, "listOfParameters").chain(children(law, "listOfLocalParameters")))
        .flat_map(|list| list.children().filter(|n| n.is_element()))
}

/// Whether any reaction carries the COBRA format's bound parameters.
fn has_cobra_parameters(model: Node) -> bool {
    listed(model, "listOfReactions", "reaction").any(|r| {
        law_parameters(r).any(|p| {
            let name = p.attribute("id").or(p.attribute("name")).unwrap_or("");
            name == "LOWER_BOUND" || name == "UPPER_BOUND"
        })
    })
}

/// A COBRA-format kinetic-law parameter's value; `None` if absent.
fn law_parameter(r: Node, reaction: &str, name: &'static str) -> Result<Option<f64>, ModelError> {
    let Some(p) = law_parameters(r).find(|p| p.attribute("id").or(p.attribute("name")) == Some(name)) else {
        return Ok(None);
    };
    let text = p.attribute("value").unwrap_or("");
    match number(text) {
        Some(v) if !v.is_nan() => Ok(Some(v)),
        _ => Err(ModelError::LawParameter { reaction: reaction.to_string(), name, text: text.to_string() }),
    }
}

/// The COBRA format's objective: Σ OBJECTIVE_COEFFICIENT·v, maximised.
fn cobra_objective(model: Node, net: &Network) -> Result<Objective, ModelError> {
    let mut terms = Vec::new();
    for (j, r) in listed(model, "listOfReactions", "reaction").enumerate() {
        let c = law_parameter(r, &net.reactions[j].id, "OBJECTIVE_COEFFICIENT")?.unwrap_or(0.0);
        if !c.is_finite() {
            return Err(ModelError::CobraObjective { reaction: net.reactions[j].id.clone(), value: c });
        }
        if c != 0.0 {
            terms.push((j, c));
        }
    }
    Ok(Objective::maximize(terms))
}

/// The packages the document marks as required (`comp:required="true"`)
/// that bioflux does not read: one that the document uses (an element or
/// attribute in its namespace: comp's submodels, ports, replacements,
/// deletions, external model definitions) changes what the model means,
/// and reading around it would give another network, so it is refused by
/// name; one that is declared but not used (COBRApy's own test models) is
/// read, with a note.
fn required_packages(root: Node) -> Result<Vec<String>, ModelError> {
    let mut notes = Vec::new();
    for required in root.attributes().filter(|a| a.name() == "required" && a.value() == "true") {
        let Some(namespace) = required.namespace().filter(|ns| !ns.contains("/fbc/")) else { continue };
        let package = namespace.split('/').rev().nth(1).unwrap_or("?").to_string();
        let used = root.descendants().filter(|n| n.is_element()).find_map(|n| {
            if n.tag_name().namespace() == Some(namespace) {
                return Some(format!("<{}:{}>", package, n.tag_name().name()));
            }
            let attribute = n.attributes().find(|a| a.namespace() == Some(namespace) && a.name() != "required")?;
            Some(format!("{}:{} on <{}>", package, attribute.name(), n.tag_name().name()))
        });
        match used {
            Some(element) => return Err(ModelError::RequiredPackage { package, element }),
            None => notes.push(format!(
                "the file marks the `{package}` package as required but uses none of it; read without it"
            )),
        }
    }
    Ok(notes)
}

/// A species' formula from its notes (`FORMULA: C6H12O6`), as the COBRA
/// format writes it.
fn formula_in_notes(species: Node) -> Option<String> {
    note_value(species, "FORMULA:")
}

/// A species' charge from its notes (`CHARGE: -2`), as the COBRA format
/// writes it.
fn charge_in_notes(species: Node) -> Option<String> {
    note_value(species, "CHARGE:")
}

fn note_value(species: Node, key: &str) -> Option<String> {
    let notes = children(species, "notes").next()?;
    notes.descendants().filter_map(|n| n.text()).find_map(|text| {
        let value = text.trim().strip_prefix(key)?.trim();
        (!value.is_empty()).then(|| value.to_string())
    })
}
