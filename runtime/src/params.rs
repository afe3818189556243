//! Parameter values for a run: the model's, changed by `--set NAME=VALUE`,
//! with parameters derived from others recomputed; and the initial state.

use bioflux_compiler::CheckedModel;
use bioflux_compiler::eval::constant;
use bioflux_compiler::model::Expr;
use bioflux_compiler::units::{Dim, Unit, eval_unit};
use bioflux_grammar::ast::ExprKind;

/// A number with an optional unit, as given on the command line
/// (`2`, `2.5 [mmol/L]`, `-1e-3`); returns the value in base units and the
/// unit's dimension if one was written.
pub fn parse_quantity(text: &str) -> Result<(f64, Option<Dim>), String> {
    let e = bioflux_grammar::parse_expr(text.trim()).map_err(|e| format!("`{text}`: {}", e.message))?;
    fn number(kind: &ExprKind) -> Option<f64> {
        match kind {
            ExprKind::Number(n) => Some(n.value),
            ExprKind::Neg(x) => number(&x.kind).map(|v| -v),
            _ => None,
        }
    }
    let not_a_quantity = || format!("`{text}` is not a number with an optional unit, such as `2.5 [mmol/L]`");
    match &e.kind {
        ExprKind::WithUnit { expr, unit } => {
            let v = number(&expr.kind).ok_or_else(not_a_quantity)?;
            let Unit { dim, factor } =
                eval_unit(unit).map_err(|(name, _)| format!("unknown unit `{name}` in `{text}`"))?;
            Ok((v * factor, Some(dim)))
        }
        kind => number(kind).map(|v| (v, None)).ok_or_else(not_a_quantity),
    }
}

/// The parameter vector of a run: the model's values with `sets` applied
/// (`NAME=VALUE`, a bare value in base units), and every parameter defined
/// from others recomputed from the new values.
pub fn parameter_values(model: &CheckedModel, sets: &[String]) -> Result<Vec<f64>, String> {
    let fixed = parse_sets(model, sets)?;
    Ok(parameter_values_with(model, &fixed))
}

/// `NAME=VALUE` changes as (parameter index, value in base units).
pub fn parse_sets(model: &CheckedModel, sets: &[String]) -> Result<Vec<(usize, f64)>, String> {
    let mut fixed = Vec::with_capacity(sets.len());
    for set in sets {
        let (name, value) = set.split_once('=').ok_or_else(|| {
            format!("`--set {set}`: write NAME=VALUE, e.g. `--set km=2` or `--set \"km=2 [mmol/L]\"`")
        })?;
        let name = name.trim();
        let i = parameter_index(model, name).map_err(|e| format!("`--set {set}`: {e}"))?;
        let (v, dim) = parse_quantity(value)?;
        if let Some(d) = dim
            && d != model.params[i].dim
        {
            return Err(format!("`--set {set}`: `{name}` is in {}, not {d}", model.params[i].dim));
        }
        fixed.push((i, v));
    }
    Ok(fixed)
}

/// The index of parameter `name`, or an error with a did-you-mean.
pub fn parameter_index(model: &CheckedModel, name: &str) -> Result<usize, String> {
    model.params.iter().position(|p| p.name == name).ok_or_else(|| {
        let known: Vec<&str> = model.params.iter().map(|p| p.name.as_str()).collect();
        let close = bioflux_compiler::diagnostic::suggestion(name, known.iter().copied(), "");
        format!("the model has no parameter `{name}`. {close}").trim_end().to_string()
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

/// The initial state: volume, then the amount of each species.
pub fn initial_state(model: &CheckedModel, params: &[f64]) -> Vec<f64> {
    let volume = constant(&model.reactor.volume_expr, params).unwrap_or(model.reactor.volume);
    std::iter::once(volume)
        .chain(model.species.iter().map(|s| constant(&s.initial_expr, params).unwrap_or(s.initial) * volume))
        .collect()
}

/// Where the trained weights of learned term `mlp` of the model in
/// `bio_file` are kept: beside it, `MODEL_FILE_STEM.MLP.weights.json`.
pub fn weights_file(bio_file: &std::path::Path, mlp: &str) -> std::path::PathBuf {
    let stem = bio_file.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    bio_file.with_file_name(format!("{stem}.{mlp}.weights.json"))
}

/// Makes the trained weights beside `bio_file` the model's own values (a
/// learned term without a file keeps its seeded start); returns what was
/// done, to be said.
pub fn apply_trained_weights(model: &mut CheckedModel, bio_file: &std::path::Path) -> Result<Vec<String>, String> {
    let mut notes = Vec::new();
    for mlp in &model.mlps {
        let path = weights_file(bio_file, &mlp.name);
        if !path.is_file() {
            notes.push(format!(
                "learned term `{}` is untrained ({} not found): it starts from seeded weights near zero; train it with `bioflux fit ... --fit {}`",
                mlp.name,
                path.display(),
                mlp.name
            ));
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let doc: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
        let weights = doc["weights"].as_object().ok_or_else(|| format!("{}: no \"weights\" object", path.display()))?;
        let range = mlp.first_param..mlp.first_param + mlp.n_params;
        let mut found = 0;
        for i in range.clone() {
            let p = &mut model.params[i];
            if let Some(v) = weights.get(&p.name).and_then(|v| v.as_f64()) {
                p.value = v;
                p.expr = bioflux_compiler::model::Expr::Const(v);
                found += 1;
            }
        }
        if found != mlp.n_params || weights.len() != mlp.n_params {
            return Err(format!(
                "{} holds {} weights, but `{}` (inputs {}, hidden {:?}) has {}: the network changed since it was trained; \
                 delete the file and fit it again",
                path.display(),
                weights.len(),
                mlp.name,
                mlp.n_inputs,
                mlp.hidden,
                mlp.n_params
            ));
        }
        notes.push(format!("learned term `{}`: trained weights from {}", mlp.name, path.display()));
    }
    Ok(notes)
}
