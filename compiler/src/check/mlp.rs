//! `mlp("name", inputs = [...], hidden = [...], scale = [...])`: a small
//! neural network inside a kinetic expression (a gray-box term). It is
//! unrolled here into ordinary arithmetic over new parameters (its weights),
//! so the JIT, the symbolic Jacobian and the parameter sensitivities that
//! fitting uses need nothing new.

use super::Checker;
use super::expr::{Ty, Typed, merge_cells};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{BinOp, Expr, Func, Math, Mlp, Param, ParamId};
use crate::units::Dim;
use bioflux_grammar::ast::{self, ExprKind, Span};

const USAGE: &str = "write mlp(\"name\", inputs = [glucose, mu], hidden = [8], scale = [10, 1]): inputs are divided by scale (default 1) before the tanh layers";
const MAX_WIDTH: usize = 256;

impl<'a> Checker<'a> {
    pub(super) fn mlp(&mut self, args: &'a [ast::Expr], span: Span, constant: bool) -> Typed {
        if constant {
            self.not_constant(span, "a learned term `mlp(...)`");
            return Typed::error();
        }
        let bad = |this: &mut Self, at: Span, message: String, label: &str| {
            this.error(Diagnostic::new(Code::BadValue, at, message, label).help(USAGE));
            Typed::error()
        };
        let Some(ast::Expr { kind: ExprKind::Text(name), span: name_span }) = args.first() else {
            return bad(self, span, "`mlp` needs a name first, as a string".into(), "name it");
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return bad(self, *name_span, format!("`{name}` is not a usable name"), "letters, digits and _ only");
        }
        if self.mlps.iter().any(|m| m.name == *name) {
            return bad(self, *name_span, format!("two learned terms are named `{name}`"), "used before");
        }
        let (mut inputs, mut hidden, mut scale) = (None, None, None);
        for a in &args[1..] {
            match &a.kind {
                ExprKind::List { name: list, items } => match list.name.as_str() {
                    "inputs" => inputs = Some((items, a.span)),
                    "hidden" => hidden = Some((items, a.span)),
                    "scale" => scale = Some((items, a.span)),
                    other => {
                        return bad(self, list.span, format!("`mlp` has no list `{other}`"), "inputs, hidden or scale");
                    }
                },
                _ => return bad(self, a.span, "`mlp` takes a name and named lists".into(), "not a named list"),
            }
        }
        let Some((input_exprs, inputs_span)) = inputs else {
            return bad(self, span, "`mlp` needs its inputs: inputs = [...]".into(), "no inputs");
        };
        if input_exprs.is_empty() {
            return bad(self, inputs_span, "`mlp` needs at least one input".into(), "empty");
        }
        let widths: Vec<usize> = match hidden {
            None => vec![8],
            Some((items, _)) => {
                let mut widths = Vec::new();
                for item in items {
                    match &item.kind {
                        ExprKind::Number(n)
                            if n.value.fract() == 0.0 && (1.0..=MAX_WIDTH as f64).contains(&n.value) =>
                        {
                            widths.push(n.value as usize)
                        }
                        _ => {
                            return bad(
                                self,
                                item.span,
                                format!("a layer width is a whole number from 1 to {MAX_WIDTH}"),
                                "not a width",
                            );
                        }
                    }
                }
                widths
            }
        };
        let scales: Vec<f64> = match scale {
            None => vec![1.0; input_exprs.len()],
            Some((items, at)) => {
                if items.len() != input_exprs.len() {
                    return bad(
                        self,
                        at,
                        format!("{} scales for {} inputs", items.len(), input_exprs.len()),
                        "one per input",
                    );
                }
                let mut scales = Vec::new();
                for item in items {
                    let typed = self.expr(item, true);
                    match typed.value {
                        Some(v) if v > 0.0 && v.is_finite() => scales.push(v),
                        _ => {
                            return bad(
                                self,
                                item.span,
                                "a scale is a positive constant".into(),
                                "not a positive constant",
                            );
                        }
                    }
                }
                scales
            }
        };
        let typed: Vec<Typed> = input_exprs.iter().map(|e| self.expr(e, false)).collect();
        for (t, e) in typed.iter().zip(input_exprs.iter()) {
            if t.ty == Ty::Bool {
                return bad(self, e.span, "an input of `mlp` is a number, not a condition".into(), "a condition");
            }
        }
        if typed.iter().any(|t| t.ty == Ty::Error) {
            return Typed::error();
        }
        let cells = merge_cells(&typed.iter().collect::<Vec<_>>());
        let first_param = self.params.len();
        let mut layer: Vec<Expr> =
            typed.into_iter().zip(&scales).map(|(t, &s)| binary(BinOp::Div, t.expr, Expr::Const(s))).collect();
        let mut sizes = widths.clone();
        sizes.push(1);
        for (l, &width) in sizes.iter().enumerate() {
            let last = l + 1 == sizes.len();
            let fan_in = layer.len();
            let mut next = Vec::with_capacity(width);
            for o in 0..width {
                let b = self.weight(format!("{name}.l{l}.b{o}"), 0.0, span);
                let mut z = Expr::Param(ParamId(b));
                for (i, x) in layer.iter().enumerate() {
                    // Glorot-like start; the output layer starts small, so the
                    // untrained term is near zero.
                    let bound = (6.0 / (fan_in + width) as f64).sqrt() * if last { 0.1 } else { 1.0 };
                    let start = bound * (2.0 * unit_hash(name, l, o, i) - 1.0);
                    let w = self.weight(format!("{name}.l{l}.w{o}_{i}"), start, span);
                    z = binary(BinOp::Add, z, binary(BinOp::Mul, Expr::Param(ParamId(w)), x.clone()));
                }
                next.push(if last { z } else { tanh(z) });
            }
            layer = next;
        }
        self.mlps.push(Mlp {
            name: name.clone(),
            n_inputs: input_exprs.len(),
            hidden: widths,
            first_param,
            n_params: self.params.len() - first_param,
            span,
        });
        Typed { expr: layer.pop().unwrap_or(Expr::Const(0.0)), ty: Ty::Unknown, value: None, cells }
    }

    fn weight(&mut self, name: String, value: f64, span: Span) -> usize {
        self.params.push(Some(Param { name, value, expr: Expr::Const(value), dim: Dim::NONE, span }));
        self.params.len() - 1
    }
}

fn binary(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::Binary(op, Box::new(a), Box::new(b))
}

/// tanh z = 1 − 2 / (exp(2z) + 1), in the functions the JIT has; z is
/// capped at 20 (tanh = 1 − 8e-18 there) so that neither the value nor its
/// symbolic derivative meets exp's overflow (∞·0 = NaN).
fn tanh(z: Expr) -> Expr {
    let capped = Expr::Call(Func::Min, vec![z, Expr::Const(20.0)]);
    let e = Expr::Call(Func::Math(Math::Exp), vec![binary(BinOp::Mul, Expr::Const(2.0), capped)]);
    let denominator = binary(BinOp::Add, e, Expr::Const(1.0));
    binary(BinOp::Sub, Expr::Const(1.0), binary(BinOp::Div, Expr::Const(2.0), denominator))
}

/// A number in [0, 1) fixed by the weight's place: the same start on every
/// machine and run.
fn unit_hash(name: &str, layer: usize, out: usize, input: usize) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes().chain(format!("/{layer}/{out}/{input}").bytes()) {
        h ^= byte as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    (h >> 11) as f64 / (1u64 << 53) as f64
}
