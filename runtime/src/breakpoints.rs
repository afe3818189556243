//! Times where the right-hand side jumps: feed steps, ramp corners and
//! schedule rows. The integrator stops exactly there and restarts.

use bioflux_compiler::CheckedModel;
use bioflux_compiler::eval::constant;
use bioflux_compiler::model::{Expr, Func};

/// Sorted, distinct breakpoints strictly inside (start, end).
pub fn breakpoints(model: &CheckedModel, params: &[f64], start: f64, end: f64) -> Vec<f64> {
    let mut times: Vec<f64> = model.schedules.iter().flat_map(|s| s.times.iter().copied()).collect();
    let mut visit = |e: &Expr| collect(e, params, &mut times);
    for l in &model.lets {
        visit(&l.value);
    }
    for e in model.reactor.inflow.iter().chain(&model.reactor.outflow) {
        visit(e);
    }
    for (_, e) in &model.reactor.inlets {
        visit(e);
    }
    for b in &model.balances {
        for e in b.growth.iter().chain(&b.rate).chain(b.exchanges.iter().map(|(_, e)| e)) {
            visit(e);
        }
    }
    for c in &model.cells {
        for i in &c.inputs {
            visit(&i.value);
        }
    }
    times.retain(|t| t.is_finite() && *t > start && *t < end);
    times.sort_by(f64::total_cmp);
    times.dedup_by(|a, b| (*a - *b).abs() <= 1e-12 * b.abs().max(1.0));
    times
}

fn collect(e: &Expr, params: &[f64], out: &mut Vec<f64>) {
    match e {
        Expr::Call(f, args) => {
            let corners = match f {
                Func::Step => 1,
                Func::Ramp => 2,
                _ => 0,
            };
            out.extend(args[..corners].iter().filter_map(|a| constant(a, params)));
            for a in args {
                collect(a, params, out);
            }
        }
        Expr::Neg(a) | Expr::Not(a) => collect(a, params, out),
        Expr::Binary(_, a, b) => {
            collect(a, params, out);
            collect(b, params, out);
        }
        Expr::If(c, a, b) => {
            collect(c, params, out);
            collect(a, params, out);
            collect(b, params, out);
        }
        _ => {}
    }
}
