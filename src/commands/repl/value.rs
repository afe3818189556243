//! The value of one checked expression at one state, for the REPL's
//! one-off questions (`mu at 5 h`). Simulation never comes here: runs use
//! the compiled model.

use bioflux_compiler::CheckedModel;
use bioflux_compiler::eval::{binary, call};
use bioflux_compiler::model::{Expr, Interpolation};

/// Where to evaluate: parameter values, the state (V, then amounts), time.
pub struct At<'a> {
    pub model: &'a CheckedModel,
    pub params: &'a [f64],
    pub state: &'a [f64],
    pub t: f64,
}

pub fn value(e: &Expr, at: &At) -> Result<f64, String> {
    Ok(match e {
        Expr::Const(v) => *v,
        Expr::Param(i) => at.params[*i],
        Expr::Let(i) => value(&at.model.lets[*i].value, at)?,
        Expr::Species(i) => at.state[1 + i] / at.state[0],
        Expr::Schedule(k) => schedule(at.model, *k, at.t),
        Expr::Time => at.t,
        Expr::Volume => at.state[0],
        Expr::CellOutput { cell, output } => {
            let cell = &at.model.cells[*cell];
            let name = cell.outputs.get(*output).map_or("?", |p| p.name.as_str());
            return Err(format!(
                "`{}.{name}` is a cell model's output: query the cell at a point with `:fba {} RXN=VALUE ...`",
                cell.name, cell.name
            ));
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
            let args: Result<Vec<f64>, String> = args.iter().map(|a| value(a, at)).collect();
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
