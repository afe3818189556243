//! The meaning of each operation on numbers, used to fold constants while
//! checking (parameter values, schedule times, bounds) and to answer one-off
//! questions at one state (the REPL's `mu at 5 h`). Simulation does not
//! come through here: the model is compiled to native code.

use crate::CheckedModel;
use crate::model::{BinOp, Expr, Func, Interpolation, StateLayout};

/// The value of a constant expression (numbers and parameters) given the
/// parameter values; `None` if it depends on time, state or a cell.
pub fn constant(e: &Expr, params: &[f64]) -> Option<f64> {
    Some(match e {
        Expr::Const(v) => *v,
        Expr::Param(i) => params[i.index()],
        Expr::Neg(a) => -constant(a, params)?,
        Expr::Not(a) => f64::from(constant(a, params)? == 0.0),
        Expr::Binary(op, a, b) => binary(*op, constant(a, params)?, constant(b, params)?),
        Expr::If(c, a, b) => {
            if constant(c, params)? != 0.0 {
                constant(a, params)?
            } else {
                constant(b, params)?
            }
        }
        Expr::Call(Func::Step | Func::Ramp, _) => return None,
        Expr::Call(f, args) => {
            let args: Option<Vec<f64>> = args.iter().map(|a| constant(a, params)).collect();
            call(*f, &args?, 0.0)
        }
        Expr::Let(_) | Expr::Species(_) | Expr::Schedule(_) | Expr::Time | Expr::Volume | Expr::CellOutput { .. } => {
            return None;
        }
    })
}

/// The value of a constant expression and its derivative along `dp` (a
/// direction in parameter space), exactly by the chain rule; `None` where
/// [`constant`] is.
pub fn constant_tangent(e: &Expr, params: &[f64], dp: &[f64]) -> Option<(f64, f64)> {
    Some(match e {
        Expr::Const(v) => (*v, 0.0),
        Expr::Param(i) => (params[i.index()], dp[i.index()]),
        Expr::Neg(a) => {
            let (v, d) = constant_tangent(a, params, dp)?;
            (-v, -d)
        }
        Expr::Binary(op, a, b) => {
            let ((x, dx), (y, dy)) = (constant_tangent(a, params, dp)?, constant_tangent(b, params, dp)?);
            let v = binary(*op, x, y);
            let d = match op {
                BinOp::Add => dx + dy,
                BinOp::Sub => dx - dy,
                BinOp::Mul => dx * y + x * dy,
                BinOp::Div => (dx * y - x * dy) / (y * y),
                BinOp::Pow => power_tangent(x, dx, y, dy, v),
                _ => 0.0,
            };
            (v, d)
        }
        Expr::If(c, a, b) => {
            if constant(c, params)? != 0.0 {
                constant_tangent(a, params, dp)?
            } else {
                constant_tangent(b, params, dp)?
            }
        }
        Expr::Call(f, args) if !matches!(f, Func::Step | Func::Ramp) => {
            let parts: Option<Vec<(f64, f64)>> = args.iter().map(|a| constant_tangent(a, params, dp)).collect();
            let parts = parts?;
            let values: Vec<f64> = parts.iter().map(|p| p.0).collect();
            let v = call(*f, &values, 0.0);
            let (x, dx) = parts[0];
            let d = match f {
                Func::Math(m) => dx * crate::ir::math_slope_at(*m, x, v),
                Func::Pow => power_tangent(x, dx, parts[1].0, parts[1].1, v),
                // The argument that is the extreme carries the derivative.
                Func::Min | Func::Max => parts.iter().find(|p| p.0 == v).map_or(0.0, |p| p.1),
                Func::Step | Func::Ramp => 0.0,
            };
            (v, d)
        }
        _ => (constant(e, params)?, 0.0),
    })
}

/// d(x^y) from dx and dy, with v = x^y.
fn power_tangent(x: f64, dx: f64, y: f64, dy: f64, v: f64) -> f64 {
    let by_base = if dx == 0.0 { 0.0 } else { y * x.powf(y - 1.0) * dx };
    let by_exponent = if dy == 0.0 { 0.0 } else { v * x.ln() * dy };
    by_base + by_exponent
}

/// Conditions are numbers: 1 for true, 0 for false.
pub fn binary(op: BinOp, a: f64, b: f64) -> f64 {
    let truth = |c: bool| f64::from(c);
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Pow => a.powf(b),
        BinOp::Lt => truth(a < b),
        BinOp::Le => truth(a <= b),
        BinOp::Gt => truth(a > b),
        BinOp::Ge => truth(a >= b),
        BinOp::Eq => truth(a == b),
        BinOp::Ne => truth(a != b),
        BinOp::And => truth(a != 0.0 && b != 0.0),
        BinOp::Or => truth(a != 0.0 || b != 0.0),
    }
}

/// A built-in function at time `t` (only `step` and `ramp` read it).
pub fn call(f: Func, args: &[f64], t: f64) -> f64 {
    match f {
        Func::Math(m) => crate::ir::math(m, args[0]),
        Func::Min => args.iter().copied().fold(f64::INFINITY, f64::min),
        Func::Max => args.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Func::Pow => args[0].powf(args[1]),
        Func::Step => {
            if t < args[0] {
                args[1]
            } else {
                args[2]
            }
        }
        Func::Ramp => {
            let (t0, t1, a, b) = (args[0], args[1], args[2], args[3]);
            if t <= t0 {
                a
            } else if t >= t1 {
                b
            } else {
                a + (b - a) * (t - t0) / (t1 - t0)
            }
        }
    }
}

/// Where to evaluate: parameter values, the state (V, then amounts), time.
pub struct At<'a> {
    /// The model the expression belongs to.
    pub model: &'a CheckedModel,
    /// Parameter values.
    pub params: &'a [f64],
    /// The state ([`crate::model::StateLayout`]).
    pub state: &'a [f64],
    /// The time (h).
    pub t: f64,
}

/// Why an expression has no value at one point outside a run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// A cell's output: only a run (or a query of the cell) evaluates it.
    #[error("`{cell}.{output}` is a cell model's output: query the cell at a point with `:fba {cell} RXN=VALUE ...`")]
    CellOutput {
        /// The cell.
        cell: String,
        /// The output.
        output: String,
    },
}

/// The value of `e` at one point.
pub fn value(e: &Expr, at: &At) -> Result<f64, EvalError> {
    Ok(match e {
        Expr::Const(v) => *v,
        Expr::Param(i) => at.params[i.index()],
        Expr::Let(i) => value(&at.model.lets[*i].value, at)?,
        Expr::Species(i) => at.model.concentration(i.index(), at.state, at.params, at.t),
        Expr::Schedule(k) => schedule(at.model, *k, at.t),
        Expr::Time => at.t,
        Expr::Volume => at.state[StateLayout::VOLUME],
        Expr::CellOutput { cell, output } => {
            let cell = &at.model.cells[cell.index()];
            let name = cell.outputs.get(*output).map_or("?", |p| p.name.as_str());
            return Err(EvalError::CellOutput { cell: cell.name.clone(), output: name.to_string() });
        }
        Expr::Neg(a) => -value(a, at)?,
        Expr::Not(a) => f64::from(value(a, at)? == 0.0),
        Expr::Binary(op, a, b) => binary(*op, value(a, at)?, value(b, at)?),
        Expr::If(c, a, b) => {
            if value(c, at)? != 0.0 {
                value(a, at)?
            } else {
                value(b, at)?
            }
        }
        Expr::Call(f, args) => {
            let args: Result<Vec<f64>, EvalError> = args.iter().map(|a| value(a, at)).collect();
            call(*f, &args?, at.t)
        }
    })
}

/// A schedule's value at t: the first value before the first row.
fn schedule(model: &CheckedModel, k: usize, t: f64) -> f64 {
    let s = &model.schedules[k];
    let i = s.times.iter().rposition(|&row| row <= t);
    match (i, s.interpolation) {
        (None, _) => s.values[0],
        (Some(i), Interpolation::Linear) if i + 1 < s.times.len() => {
            let w = (t - s.times[i]) / (s.times[i + 1] - s.times[i]);
            s.values[i] + w * (s.values[i + 1] - s.values[i])
        }
        (Some(i), _) => s.values[i],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_and_step_by_hand() {
        assert_eq!(call(Func::Step, &[5.0, 0.02, 0.05], 4.999), 0.02);
        assert_eq!(call(Func::Step, &[5.0, 0.02, 0.05], 5.0), 0.05);
        assert_eq!(call(Func::Ramp, &[2.0, 4.0, 0.0, 10.0], 3.0), 5.0);
        assert_eq!(call(Func::Ramp, &[2.0, 4.0, 0.0, 10.0], 9.0), 10.0);
        assert_eq!(call(Func::Max, &[1.0, 3.0, 2.0], 0.0), 3.0);
    }
}
