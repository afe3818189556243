//! A number with an optional unit as the command line, data files and the
//! REPL write it (`2`, `2.5 [mmol/L]`, `-1e-3`), read with the language's
//! own expression grammar so that units mean what they mean in a model.

use crate::units::{Dim, Unit, eval_unit};
use bioflux_grammar::ast::ExprKind;

/// A quantity in base units, with the dimension of the unit written with
/// it (none for a bare number).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantity {
    /// The value in base units (mmol, g, gDW, L, h).
    pub value: f64,
    /// The written unit's dimension; `None` for a bare number.
    pub dim: Option<Dim>,
}

/// Why a text is not a quantity.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum QuantityError {
    /// Not even an expression of the language.
    #[error("`{text}`: {message}")]
    Syntax {
        /// The text as given.
        text: String,
        /// The parser's message.
        message: String,
    },
    /// An expression, but not a number with an optional unit.
    #[error("`{text}` is not a number with an optional unit, such as `2.5 [mmol/L]`")]
    NotAQuantity {
        /// The text as given.
        text: String,
    },
    /// A unit the language does not know.
    #[error("unknown unit `{unit}` in `{text}`")]
    UnknownUnit {
        /// The unknown unit's name.
        unit: String,
        /// The text as given.
        text: String,
    },
}

/// Reads `text` as a number with an optional unit: `2`, `2 [d]`, and (as
/// people write it outside a model) `2 d`, `0.5 g/L`, `30min`.
pub fn parse_quantity(text: &str) -> Result<Quantity, QuantityError> {
    let bracketed = parse_bracketed(text);
    if bracketed.is_ok() || text.contains('[') {
        return bracketed;
    }
    match split_number(text.trim()) {
        Some((number, unit)) if unit.starts_with(char::is_alphabetic) => parse_bracketed(&format!("{number} [{unit}]")),
        _ => bracketed,
    }
}

/// The leading number of `text` and what follows it, trimmed.
fn split_number(text: &str) -> Option<(&str, &str)> {
    let end =
        (1..=text.len()).rev().filter(|&i| text.is_char_boundary(i)).find(|&i| text[..i].parse::<f64>().is_ok())?;
    // `2e` would read `e` as the exponent's start; `inf`/`nan` are not numbers here.
    let (number, rest) = text.split_at(end);
    number.bytes().any(|b| b.is_ascii_digit()).then_some((number, rest.trim()))
}

fn parse_bracketed(text: &str) -> Result<Quantity, QuantityError> {
    let e = bioflux_grammar::parse_expr(text.trim())
        .map_err(|e| QuantityError::Syntax { text: text.to_string(), message: e.message })?;
    fn number(kind: &ExprKind) -> Option<f64> {
        match kind {
            ExprKind::Number(n) => Some(n.value),
            ExprKind::Neg(x) => number(&x.kind).map(|v| -v),
            _ => None,
        }
    }
    let not_a_quantity = || QuantityError::NotAQuantity { text: text.to_string() };
    match &e.kind {
        ExprKind::WithUnit { expr, unit } => {
            let v = number(&expr.kind).ok_or_else(not_a_quantity)?;
            let Unit { dim, factor } = eval_unit(unit)
                .map_err(|(name, _)| QuantityError::UnknownUnit { unit: name, text: text.to_string() })?;
            Ok(Quantity { value: v * factor, dim: Some(dim) })
        }
        kind => number(kind).map(|value| Quantity { value, dim: None }).ok_or_else(not_a_quantity),
    }
}

/// The factor to base units and the dimension of a unit written without
/// brackets (`mmol/L`), as a data file's column header gives it.
pub fn parse_unit(unit: &str) -> Result<Unit, QuantityError> {
    let q = parse_quantity(&format!("1 [{unit}]"))?;
    Ok(Unit { dim: q.dim.unwrap_or(Dim::NONE), factor: q.value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_without_brackets() {
        assert_eq!(parse_quantity("15 h").unwrap(), Quantity { value: 15.0, dim: Some(Dim::TIME) });
        assert_eq!(parse_quantity("30min").unwrap(), Quantity { value: 0.5, dim: Some(Dim::TIME) });
        assert_eq!(parse_quantity("2 d").unwrap().value, 48.0);
        let q = parse_quantity("0.5 g/L").unwrap();
        assert_eq!(q.dim, parse_quantity("1 [g/L]").unwrap().dim);
        assert_eq!(parse_quantity("1e-3 h").unwrap().value, 1e-3);
        assert!(matches!(parse_quantity("2 parsec"), Err(QuantityError::UnknownUnit { .. })));
        assert!(parse_quantity("h").is_err());
    }

    #[test]
    fn numbers_units_and_mistakes() {
        assert_eq!(parse_quantity("-1e-3").unwrap(), Quantity { value: -1e-3, dim: None });
        let q = parse_quantity("2 [d]").unwrap();
        assert_eq!((q.value, q.dim), (48.0, Some(Dim::TIME)));
        assert!(
            matches!(parse_quantity("2 [parsec]"), Err(QuantityError::UnknownUnit { unit, .. }) if unit == "parsec")
        );
        assert!(matches!(parse_quantity("a + 1"), Err(QuantityError::NotAQuantity { .. })));
        assert!(matches!(parse_quantity("2 ["), Err(QuantityError::Syntax { .. })));
        assert_eq!(parse_unit("mmol/L").unwrap().dim, parse_unit("mM").unwrap().dim);
    }
}
