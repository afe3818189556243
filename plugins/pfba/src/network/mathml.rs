//! Constant MathML, as SBML's initial assignments and assignment rules use
//! it for flux bounds and stoichiometries: numbers, names of other
//! constants, arithmetic, the usual functions, `piecewise`. Anything that
//! depends on time or on the state is refused with the element named, so a
//! bound is never silently wrong.

use crate::error::{MathError, SymbolError};
use roxmltree::Node;

const MATHML: &str = "http://www.w3.org/1998/Math/MathML";

/// The value of the `<math>` element `math`; `lookup` gives the value of a
/// name (`Err` with the reason when it has none).
pub fn evaluate(math: Node, lookup: &dyn Fn(&str) -> Result<f64, SymbolError>) -> Result<f64, MathError> {
    let mut children = elements(math);
    match (children.next(), children.next()) {
        (Some(expr), None) => value(expr, lookup),
        (None, _) => Err(MathError::Empty),
        (Some(_), Some(_)) => Err(MathError::SeveralExpressions),
    }
}

fn elements<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(|n| n.is_element())
}

fn name<'a>(node: Node<'a, '_>) -> &'a str {
    node.tag_name().name()
}

/// Nested deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 200;

fn value(node: Node, lookup: &dyn Fn(&str) -> Result<f64, SymbolError>) -> Result<f64, MathError> {
    if node.ancestors().count() > MAX_DEPTH {
        return Err(MathError::TooDeep(MAX_DEPTH));
    }
    if node.tag_name().namespace().is_some_and(|ns| ns != MATHML) {
        return Err(MathError::NotMathMl { element: name(node).to_string() });
    }
    match name(node) {
        "cn" => number(node),
        "ci" => {
            let id = node.text().unwrap_or("").trim();
            Ok(lookup(id)?)
        }
        "true" => Ok(1.0),
        "false" => Ok(0.0),
        "pi" => Ok(std::f64::consts::PI),
        "exponentiale" => Ok(std::f64::consts::E),
        "infinity" => Ok(f64::INFINITY),
        "notanumber" => Ok(f64::NAN),
        "apply" => apply(node, lookup),
        "piecewise" => piecewise(node, lookup),
        "semantics" => {
            let first = elements(node).next().ok_or(MathError::EmptyElement { element: "semantics".into() })?;
            value(first, lookup)
        }
        "csymbol" => {
            let url = node.attribute("definitionURL").unwrap_or("");
            Err(MathError::NotConstant { url: url.to_string() })
        }
        other => Err(MathError::UnsupportedElement { element: other.to_string() }),
    }
}

/// `<cn>`: a real, an integer, `e-notation` (`1<sep/>3` = 1e3) or a rational.
fn number(node: Node) -> Result<f64, MathError> {
    let texts: Vec<&str> = node.children().filter(|n| n.is_text()).filter_map(|n| n.text()).collect();
    let parse = |t: &str| -> Result<f64, MathError> {
        let t = t.trim();
        t.parse::<f64>().map_err(|_| MathError::NotANumber { text: t.to_string() })
    };
    match node.attribute("type").unwrap_or("real") {
        "real" | "integer" | "double" => parse(&texts.concat()),
        "e-notation" => match texts.as_slice() {
            [mantissa, exponent] => Ok(parse(mantissa)? * 10f64.powf(parse(exponent)?)),
            _ => Err(MathError::NumberParts { kind: "e-notation", parts: "a mantissa, <sep/> and an exponent" }),
        },
        "rational" => match texts.as_slice() {
            [numerator, denominator] => Ok(parse(numerator)? / parse(denominator)?),
            _ => Err(MathError::NumberParts { kind: "rational", parts: "a numerator, <sep/> and a denominator" }),
        },
        other => Err(MathError::NumberType { kind: other.to_string() }),
    }
}

fn apply(node: Node, lookup: &dyn Fn(&str) -> Result<f64, SymbolError>) -> Result<f64, MathError> {
    let mut parts = elements(node);
    let op = parts.next().ok_or(MathError::EmptyElement { element: "apply".into() })?;
    // `<logbase>` and `<degree>` qualify log and root; the rest are arguments.
    let mut qualifier = None;
    let mut args = Vec::new();
    for part in parts {
        match name(part) {
            "logbase" | "degree" => {
                let inner =
                    elements(part).next().ok_or_else(|| MathError::EmptyElement { element: name(part).to_string() })?;
                qualifier = Some(value(inner, lookup)?);
            }
            _ => args.push(value(part, lookup)?),
        }
    }
    let op_name = name(op);
    // Every fixed arity here is 1 or 2.
    let arity = |n: usize| -> Result<(), MathError> {
        if args.len() == n {
            Ok(())
        } else {
            let expected = if n == 1 { "1" } else { "2" };
            Err(MathError::Arity { operator: op_name.to_string(), expected, given: args.len() })
        }
    };
    let bool_of = |x: f64| if x != 0.0 { 1.0 } else { 0.0 };
    Ok(match op_name {
        "plus" => args.iter().sum(),
        "times" => args.iter().product(),
        "minus" => match args.as_slice() {
            [x] => -x,
            [x, y] => x - y,
            _ => return Err(MathError::Arity { operator: "minus".into(), expected: "1 or 2", given: args.len() }),
        },
        "divide" => {
            arity(2)?;
            args[0] / args[1]
        }
        "power" => {
            arity(2)?;
            args[0].powf(args[1])
        }
        "root" => {
            arity(1)?;
            args[0].powf(1.0 / qualifier.unwrap_or(2.0))
        }
        "abs" | "exp" | "ln" | "floor" | "ceiling" | "sin" | "cos" | "tan" | "not" => {
            arity(1)?;
            let x = args[0];
            match op_name {
                "abs" => x.abs(),
                "exp" => x.exp(),
                "ln" => x.ln(),
                "floor" => x.floor(),
                "ceiling" => x.ceil(),
                "sin" => x.sin(),
                "cos" => x.cos(),
                "tan" => x.tan(),
                _ => 1.0 - bool_of(x),
            }
        }
        "log" => {
            arity(1)?;
            args[0].log10() / qualifier.unwrap_or(10.0).log10()
        }
        "min" => args.iter().copied().fold(f64::INFINITY, f64::min),
        "max" => args.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        "eq" | "neq" | "lt" | "leq" | "gt" | "geq" => {
            arity(2)?;
            let (x, y) = (args[0], args[1]);
            let holds = match op_name {
                "eq" => x == y,
                "neq" => x != y,
                "lt" => x < y,
                "leq" => x <= y,
                "gt" => x > y,
                _ => x >= y,
            };
            bool_of(f64::from(u8::from(holds)))
        }
        "and" => args.iter().all(|&x| x != 0.0) as u8 as f64,
        "or" => args.iter().any(|&x| x != 0.0) as u8 as f64,
        other => return Err(MathError::UnsupportedOperator { operator: other.to_string() }),
    })
}

fn piecewise(node: Node, lookup: &dyn Fn(&str) -> Result<f64, SymbolError>) -> Result<f64, MathError> {
    for part in elements(node) {
        match name(part) {
            "piece" => {
                let mut pieces = elements(part);
                let (Some(then), Some(condition)) = (pieces.next(), pieces.next()) else {
                    return Err(MathError::PieceParts);
                };
                if value(condition, lookup)? != 0.0 {
                    return value(then, lookup);
                }
            }
            "otherwise" => {
                let inner = elements(part).next().ok_or(MathError::EmptyElement { element: "otherwise".into() })?;
                return value(inner, lookup);
            }
            other => return Err(MathError::InPiecewise { element: other.to_string() }),
        }
    }
    Ok(f64::NAN)
}
