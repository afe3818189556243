//! Constant MathML, as SBML's initial assignments and assignment rules use
//! it for flux bounds and stoichiometries: numbers, names of other
//! constants, arithmetic, the usual functions, `piecewise`. Anything that
//! depends on time or on the state is refused with the element named, so a
//! bound is never silently wrong.

use roxmltree::Node;

const MATHML: &str = "http://www.w3.org/1998/Math/MathML";

/// The value of the `<math>` element `math`; `lookup` gives the value of a
/// name (`Err` with the reason when it has none).
pub fn evaluate(math: Node, lookup: &dyn Fn(&str) -> Result<f64, String>) -> Result<f64, String> {
    let mut children = elements(math);
    match (children.next(), children.next()) {
        (Some(expr), None) => value(expr, lookup),
        (None, _) => Err("the <math> element is empty".into()),
        (Some(_), Some(_)) => Err("the <math> element has more than one expression".into()),
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

fn value(node: Node, lookup: &dyn Fn(&str) -> Result<f64, String>) -> Result<f64, String> {
    if node.ancestors().count() > MAX_DEPTH {
        return Err(format!("the MathML is nested more than {MAX_DEPTH} levels deep"));
    }
    if node.tag_name().namespace().is_some_and(|ns| ns != MATHML) {
        return Err(format!("<{}> is not MathML", name(node)));
    }
    match name(node) {
        "cn" => number(node),
        "ci" => {
            let id = node.text().unwrap_or("").trim();
            lookup(id)
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
            let first = elements(node).next().ok_or("an empty <semantics>")?;
            value(first, lookup)
        }
        "csymbol" => {
            let url = node.attribute("definitionURL").unwrap_or("");
            Err(format!("<csymbol definitionURL=\"{url}\"> (time, delay, rates) is not a constant"))
        }
        other => Err(format!("the MathML element <{other}> is not supported in a constant expression")),
    }
}

/// `<cn>`: a real, an integer, `e-notation` (`1<sep/>3` = 1e3) or a rational.
fn number(node: Node) -> Result<f64, String> {
    let texts: Vec<&str> = node.children().filter(|n| n.is_text()).filter_map(|n| n.text()).collect();
    let parse = |t: &str| -> Result<f64, String> {
        let t = t.trim();
        t.parse::<f64>().map_err(|_| format!("<cn>{t}</cn> is not a number"))
    };
    match node.attribute("type").unwrap_or("real") {
        "real" | "integer" | "double" => parse(&texts.concat()),
        "e-notation" => match texts.as_slice() {
            [mantissa, exponent] => Ok(parse(mantissa)? * 10f64.powf(parse(exponent)?)),
            _ => Err("<cn type=\"e-notation\"> needs a mantissa, <sep/> and an exponent".into()),
        },
        "rational" => match texts.as_slice() {
            [numerator, denominator] => Ok(parse(numerator)? / parse(denominator)?),
            _ => Err("<cn type=\"rational\"> needs a numerator, <sep/> and a denominator".into()),
        },
        other => Err(format!("<cn type=\"{other}\"> is not supported")),
    }
}

fn apply(node: Node, lookup: &dyn Fn(&str) -> Result<f64, String>) -> Result<f64, String> {
    let mut parts = elements(node);
    let op = parts.next().ok_or("an empty <apply>")?;
    // `<logbase>` and `<degree>` qualify log and root; the rest are arguments.
    let mut qualifier = None;
    let mut args = Vec::new();
    for part in parts {
        match name(part) {
            "logbase" | "degree" => {
                let inner = elements(part).next().ok_or_else(|| format!("an empty <{}>", name(part)))?;
                qualifier = Some(value(inner, lookup)?);
            }
            _ => args.push(value(part, lookup)?),
        }
    }
    let op_name = name(op);
    let arity = |n: usize| -> Result<(), String> {
        if args.len() == n { Ok(()) } else { Err(format!("<{op_name}> takes {n} argument(s), not {}", args.len())) }
    };
    let bool_of = |x: f64| if x != 0.0 { 1.0 } else { 0.0 };
    Ok(match op_name {
        "plus" => args.iter().sum(),
        "times" => args.iter().product(),
        "minus" => match args.as_slice() {
            [x] => -x,
            [x, y] => x - y,
            _ => return Err(format!("<minus> takes 1 or 2 arguments, not {}", args.len())),
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
        other => return Err(format!("the MathML operator <{other}> is not supported in a constant expression")),
    })
}

fn piecewise(node: Node, lookup: &dyn Fn(&str) -> Result<f64, String>) -> Result<f64, String> {
    for part in elements(node) {
        match name(part) {
            "piece" => {
                let mut pieces = elements(part);
                let (Some(then), Some(condition)) = (pieces.next(), pieces.next()) else {
                    return Err("a <piece> needs a value and a condition".into());
                };
                if value(condition, lookup)? != 0.0 {
                    return value(then, lookup);
                }
            }
            "otherwise" => {
                let inner = elements(part).next().ok_or("an empty <otherwise>")?;
                return value(inner, lookup);
            }
            other => return Err(format!("<{other}> inside <piecewise>")),
        }
    }
    Ok(f64::NAN)
}
