//! The columns a rates network predicts and their checks.

use crate::SurrogateError;
use bioflux_plugin::tools::{RateColumn, RatesRequest};
use std::collections::HashMap;

/// The predicted columns: measured outputs, unmeasured rates, and with a
/// network the rest of its reactions; each with what data it has.
#[derive(Clone)]
pub(super) struct Predicted {
    pub name: String,
    /// Per sample, where measured (for unmeasured ones: check values).
    pub values: Vec<Option<f64>>,
    pub measured: bool,
    /// Carbon and nitrogen leaving per unit of flux (the growth column's
    /// are the biomass reaction's, used only with a network).
    pub carbon: f64,
    pub nitrogen: f64,
    /// Electrons (degree of reduction) per unit of flux, where known.
    pub electrons: Option<f64>,
}

/// The number of samples, once every column has one value per sample and
/// no name is given twice.
pub(super) fn check_lengths(req: &RatesRequest) -> Result<usize, SurrogateError> {
    let all = req.inputs.iter().chain(&req.outputs).chain(&req.unmeasured);
    let n = req.inputs.first().map_or(0, |c| c.values.len());
    if let Some(c) = all.clone().find(|c| c.values.len() != n) {
        return Err(SurrogateError::ColumnLength { column: c.name.clone(), values: c.values.len(), expected: n });
    }
    let mut seen: Vec<&str> = Vec::new();
    for c in all {
        if seen.contains(&c.name.as_str()) {
            return Err(SurrogateError::ColumnTwice { column: c.name.clone() });
        }
        seen.push(&c.name);
    }
    if req.inputs.is_empty() {
        return Err(SurrogateError::NoInputs);
    }
    Ok(n)
}

/// The columns the network predicts, in order.
pub(super) fn predicted_columns(req: &RatesRequest, n: usize) -> Result<Vec<Predicted>, SurrogateError> {
    let column = |c: &RateColumn, measured: bool| Predicted {
        name: c.name.clone(),
        values: c.values.clone(),
        measured,
        carbon: c.carbon,
        nitrogen: c.nitrogen,
        electrons: c.electrons,
    };
    let given: Vec<Predicted> =
        req.outputs.iter().map(|c| column(c, true)).chain(req.unmeasured.iter().map(|c| column(c, false))).collect();
    let Some(net) = &req.internal else { return Ok(given) };
    // Every reaction of the network, in its order; the measured inputs are
    // predicted too (and compared with their measurements).
    let mut all = Vec::with_capacity(net.reactions.len());
    let named: HashMap<&str, &RateColumn> = req.inputs.iter().map(|c| (c.name.as_str(), c)).collect();
    for r in &net.reactions {
        if let Some(p) = given.iter().find(|p| &p.name == r) {
            all.push(p.clone());
        } else if let Some(c) = named.get(r.as_str()) {
            all.push(column(c, true));
        } else {
            all.push(Predicted {
                name: r.clone(),
                values: vec![None; n],
                measured: false,
                carbon: 0.0,
                nitrogen: 0.0,
                electrons: None,
            });
        }
    }
    let missing: Vec<String> = given
        .iter()
        .map(|p| p.name.as_str())
        .chain(req.inputs.iter().map(|c| c.name.as_str()))
        .filter(|name| !net.reactions.iter().any(|r| r == name))
        .map(str::to_string)
        .collect();
    if !missing.is_empty() {
        return Err(SurrogateError::NotInNetwork { columns: missing });
    }
    Ok(all)
}

/// What the balances can determine: an unmeasured rate carrying an element
/// trades off exactly against the biomass's unknown content of it, and an
/// unmeasured rate carrying neither element (nor electrons, where that
/// balance is used) is constrained by nothing.
pub(super) fn check_identifiable(
    req: &RatesRequest,
    predicted: &[Predicted],
    growth: usize,
    electrons_balanced: bool,
) -> Result<(), SurrogateError> {
    let element_unknown = |element: &'static str, given: Option<f64>, atoms: fn(&Predicted) -> f64| {
        let hidden: Vec<String> = predicted
            .iter()
            .enumerate()
            .filter(|(c, col)| *c != growth && !col.measured && atoms(col) != 0.0 && req.internal.is_none())
            .map(|(_, col)| col.name.clone())
            .collect();
        match (given, hidden.is_empty()) {
            (None, false) => Err(SurrogateError::NotIdentifiable {
                columns: hidden,
                element,
                flag: if element == "carbon" { "alpha" } else { "beta" },
            }),
            _ => Ok(()),
        }
    };
    element_unknown("carbon", req.alpha_bm, |c| c.carbon)?;
    element_unknown("nitrogen", req.beta_bm, |c| c.nitrogen)?;
    for (c, col) in predicted.iter().enumerate() {
        let electrons = electrons_balanced && col.electrons.is_some_and(|e| e != 0.0);
        if c != growth
            && !col.measured
            && col.carbon == 0.0
            && col.nitrogen == 0.0
            && !electrons
            && req.internal.is_none()
        {
            return Err(SurrogateError::Unconstrained { column: col.name.clone() });
        }
    }
    Ok(())
}
