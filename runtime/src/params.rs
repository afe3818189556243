//! Parameter values for a run: the model's, changed by `--set NAME=VALUE`,
//! with parameters derived from others recomputed; and the initial state.

use bioflux_compiler::CheckedModel;
use bioflux_compiler::eval::constant;
use bioflux_compiler::model::{Expr, StateLayout};
use bioflux_compiler::quantity::{QuantityError, parse_quantity};
use bioflux_compiler::units::Dim;
use std::path::PathBuf;

/// Why a parameter change or a learned term's weights cannot be applied.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// Not `NAME=VALUE`.
    #[error("`{text}`: write NAME=VALUE, e.g. `km=2` or `\"km=2 [mmol/L]\"`")]
    NotAnAssignment {
        /// As written.
        text: String,
    },
    /// `=VALUE` without a name.
    #[error("`{text}`: the parameter's name is missing before `=`")]
    MissingName {
        /// As written.
        text: String,
    },
    /// The value is not a number with an optional unit.
    #[error(transparent)]
    Value(#[from] QuantityError),
    /// No parameter of that name.
    #[error("the model has no parameter `{name}`.{}", if suggestion.is_empty() { String::new() } else { format!(" {suggestion}") })]
    UnknownParameter {
        /// The name asked for.
        name: String,
        /// A did-you-mean, or empty.
        suggestion: String,
    },
    /// A unit of another dimension than the parameter's.
    #[error("`{name}` is in {expected}, not {given}")]
    WrongDimension {
        /// The parameter.
        name: String,
        /// Its dimension.
        expected: Dim,
        /// The written unit's.
        given: Dim,
    },
    /// One of the above in a change as written (`--set km=2 [h]`).
    #[error("`{set}`: {error}")]
    InSet {
        /// The change as written.
        set: String,
        /// What is wrong with it.
        error: Box<ParamError>,
    },
}

/// Why a learned term's weights file cannot be read, written or applied.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The weights file.
        path: PathBuf,
        /// The system's reason.
        source: std::io::Error,
    },
    /// The file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The weights file.
        path: PathBuf,
        /// The system's reason.
        source: std::io::Error,
    },
    /// Not the JSON of a weights file.
    #[error("{}: not a weights file: {source}", path.display())]
    Malformed {
        /// The weights file.
        path: PathBuf,
        /// The parser's reason.
        source: serde_json::Error,
    },
    /// The network changed since it was trained.
    #[error(
        "{} holds {found} weights, but `{term}` (inputs {inputs}, hidden {hidden:?}) has {expected}: the network changed since it was trained; \
         delete the file and fit it again",
        path.display()
    )]
    Mismatch {
        /// The weights file.
        path: PathBuf,
        /// Weights in the file.
        found: usize,
        /// The learned term.
        term: String,
        /// Its inputs.
        inputs: usize,
        /// Its hidden widths.
        hidden: Vec<usize>,
        /// Weights it has.
        expected: usize,
    },
}

/// A parameter change, `NAME=VALUE` with an optional unit: parsed once
/// where it is written (`--set`, a data file's `# set:` line, a parameters
/// file, fitting's trial values) and resolved against a model by
/// [`resolve_sets`].
#[derive(Clone, Debug, PartialEq)]
pub struct ParamSet {
    /// The parameter's name.
    pub name: String,
    /// In base units.
    pub value: f64,
    /// The dimension of the unit written with the value; none for a bare
    /// number, which is taken in the parameter's base units.
    pub dim: Option<Dim>,
    /// As written, for messages.
    pub text: String,
}

impl ParamSet {
    /// `km=2`, `km = 2.5 [mmol/L]`.
    pub fn parse(text: &str) -> Result<ParamSet, ParamError> {
        let (name, value) =
            text.split_once('=').ok_or_else(|| ParamError::NotAnAssignment { text: text.to_string() })?;
        let name = name.trim();
        if name.is_empty() {
            return Err(ParamError::MissingName { text: text.to_string() });
        }
        let q = parse_quantity(value)?;
        Ok(ParamSet { name: name.to_string(), value: q.value, dim: q.dim, text: text.trim().to_string() })
    }

    /// A value in base units, as fitting and parameter files give them.
    pub fn base(name: &str, value: f64) -> ParamSet {
        ParamSet { name: name.to_string(), value, dim: None, text: format!("{name}={value:e}") }
    }
}

impl std::str::FromStr for ParamSet {
    type Err = ParamError;
    fn from_str(text: &str) -> Result<ParamSet, ParamError> {
        ParamSet::parse(text)
    }
}

impl std::fmt::Display for ParamSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// The parameter vector of a run: the model's values with `sets` applied,
/// and every parameter defined from others recomputed from the new values.
pub fn parameter_values(model: &CheckedModel, sets: &[ParamSet]) -> Result<Vec<f64>, ParamError> {
    let fixed = resolve_sets(model, sets)?;
    Ok(parameter_values_with(model, &fixed))
}

/// Changes as (parameter index, value in base units): each name found in
/// the model and each written unit of the parameter's dimension.
pub fn resolve_sets(model: &CheckedModel, sets: &[ParamSet]) -> Result<Vec<(usize, f64)>, ParamError> {
    sets.iter()
        .map(|set| {
            let in_set = |error| ParamError::InSet { set: set.to_string(), error: Box::new(error) };
            let i = parameter_index(model, &set.name).map_err(in_set)?;
            match set.dim {
                Some(given) if given != model.params[i].dim => Err(in_set(ParamError::WrongDimension {
                    name: set.name.clone(),
                    expected: model.params[i].dim,
                    given,
                })),
                _ => Ok((i, set.value)),
            }
        })
        .collect()
}

/// The index of parameter `name`, or an error with a did-you-mean.
pub fn parameter_index(model: &CheckedModel, name: &str) -> Result<usize, ParamError> {
    model.params.iter().position(|p| p.name == name).ok_or_else(|| {
        let known = model.params.iter().map(|p| p.name.as_str());
        let suggestion = bioflux_compiler::diagnostic::suggestion(name, known, "").trim().to_string();
        ParamError::UnknownParameter { name: name.to_string(), suggestion }
    })
}

/// The parameter vector with `fixed` values (index, base units) applied
/// and every parameter derived from others recomputed.
pub fn parameter_values_with(model: &CheckedModel, fixed_values: &[(usize, f64)]) -> Vec<f64> {
    let mut values: Vec<f64> = model.params.iter().map(|p| p.value).collect();
    let mut fixed = vec![false; values.len()];
    for &(i, v) in fixed_values {
        values[i] = v;
        fixed[i] = true;
    }
    // Derived parameters, in dependency order: repeat until nothing changes
    // (the checker has ruled out cycles, so this ends).
    for _ in 0..values.len() {
        let mut changed = false;
        for (i, p) in model.params.iter().enumerate() {
            if fixed[i] || matches!(p.expr, Expr::Const(_)) {
                continue;
            }
            if let Some(v) = constant(&p.expr, &values)
                && v.to_bits() != values[i].to_bits()
            {
                values[i] = v;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    values
}

/// The initial state, laid out as [`StateLayout`] says.
pub fn initial_state(model: &CheckedModel, params: &[f64]) -> Vec<f64> {
    let volume = constant(&model.reactor.volume_expr, params).unwrap_or(model.reactor.volume);
    let mut x = vec![0.0; StateLayout::len(model.species.len())];
    x[StateLayout::VOLUME] = volume;
    model.set_amounts(&mut x, params, model.simulate.start, |k| {
        let s = &model.species[k];
        constant(&s.initial_expr, params).unwrap_or(s.initial)
    });
    x
}

/// Where the trained weights of learned term `mlp` of the model in
/// `bio_file` are kept: beside it, `MODEL_FILE_STEM.MLP.weights.json`.
pub fn weights_file(bio_file: &std::path::Path, mlp: &str) -> std::path::PathBuf {
    let stem = bio_file.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    bio_file.with_file_name(format!("{stem}.{mlp}.weights.json"))
}

/// The file of a learned term's trained weights, as `bioflux fit` writes
/// it and `run`, `fit` and the REPL read it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LearnedWeights {
    /// The learned term's name.
    pub mlp: String,
    /// The model it was trained in.
    pub model: String,
    /// The network's shape: inputs and hidden widths.
    pub inputs: usize,
    pub hidden: Vec<usize>,
    /// Hidden layers' activation (tanh).
    pub activation: String,
    /// Every weight and bias by its parameter name (`NAME.l0.w1_0`).
    pub weights: std::collections::BTreeMap<String, f64>,
}

impl LearnedWeights {
    /// Reads and parses a weights file.
    pub fn read(path: &std::path::Path) -> Result<LearnedWeights, WeightsError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| WeightsError::Read { path: path.to_path_buf(), source })?;
        serde_json::from_str(&text).map_err(|source| WeightsError::Malformed { path: path.to_path_buf(), source })
    }

    /// Writes it, pretty-printed.
    pub fn write(&self, path: &std::path::Path) -> Result<(), WeightsError> {
        // Plain data of numbers and strings: serialising it cannot fail.
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        std::fs::write(path, text + "\n").map_err(|source| WeightsError::Write { path: path.to_path_buf(), source })
    }
}

/// Where a learned term's weights came from.
#[derive(Clone, Debug, PartialEq)]
pub enum LearnedStart {
    /// Its trained weights, from this file.
    Trained { term: String, path: std::path::PathBuf },
    /// No file yet: the seeded start near zero.
    Untrained { term: String, path: std::path::PathBuf },
}

impl std::fmt::Display for LearnedStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LearnedStart::Trained { term, path } => {
                write!(f, "learned term `{term}`: trained weights from {}", path.display())
            }
            LearnedStart::Untrained { term, path } => write!(
                f,
                "learned term `{term}` is untrained ({} not found): it starts from seeded weights near zero; \
                 train it with `bioflux fit ... --fit {term}`",
                path.display()
            ),
        }
    }
}

/// Makes the trained weights beside `bio_file` the model's own values (a
/// learned term without a file keeps its seeded start); says where each
/// learned term's weights came from.
pub fn apply_trained_weights(
    model: &mut CheckedModel,
    bio_file: &std::path::Path,
) -> Result<Vec<LearnedStart>, WeightsError> {
    let mut starts = Vec::new();
    for mlp in &model.mlps {
        let path = weights_file(bio_file, &mlp.name);
        if !path.is_file() {
            starts.push(LearnedStart::Untrained { term: mlp.name.clone(), path });
            continue;
        }
        let file = LearnedWeights::read(&path)?;
        let range = mlp.first_param..mlp.first_param + mlp.n_params;
        let mut found = 0;
        for i in range.clone() {
            let p = &mut model.params[i];
            if let Some(&v) = file.weights.get(&p.name) {
                p.value = v;
                p.expr = bioflux_compiler::model::Expr::Const(v);
                found += 1;
            }
        }
        if found != mlp.n_params || file.weights.len() != mlp.n_params {
            return Err(WeightsError::Mismatch {
                path,
                found: file.weights.len(),
                term: mlp.name.clone(),
                inputs: mlp.n_inputs,
                hidden: mlp.hidden.clone(),
                expected: mlp.n_params,
            });
        }
        starts.push(LearnedStart::Trained { term: mlp.name.clone(), path });
    }
    Ok(starts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_change_is_parsed_once_with_its_unit() {
        let set = ParamSet::parse(" km = 2.5 [mmol/L] ").unwrap();
        assert_eq!((set.name.as_str(), set.value, set.text.as_str()), ("km", 2.5, "km = 2.5 [mmol/L]"));
        assert!(set.dim.is_some());
        let minutes = ParamSet::parse("mu=0.005 [1/min]").unwrap();
        assert!((minutes.value - 0.3).abs() < 1e-15, "base units: 1/h");
        assert_eq!(ParamSet::parse("k=-1e-3").unwrap().dim, None);
        assert!(matches!(ParamSet::parse("km"), Err(ParamError::NotAnAssignment { .. })));
        assert!(matches!(ParamSet::parse("=2"), Err(ParamError::MissingName { .. })));
        assert!(matches!(ParamSet::parse("km=fast"), Err(ParamError::Value(QuantityError::NotAQuantity { .. }))));
        let furlong = ParamSet::parse("km=2 [furlong]").unwrap_err();
        assert!(matches!(&furlong, ParamError::Value(QuantityError::UnknownUnit { unit, .. }) if unit == "furlong"));
        assert!(furlong.to_string().contains("unknown unit `furlong`"), "the message names it: {furlong}");
    }
}
