//! Resolving and typing expressions: names to indices, units to base-unit
//! factors, and dimensional analysis over every operation.
//!
//! One file, over 600 lines: checking an expression is one recursive walk
//! over every form an expression takes; its helpers are the walk's cases.

use super::{BUILTINS, Checker, Node, Symbol};
use crate::diagnostic::{Code, Diagnostic, suggestion};
use crate::model::{CellId, Expr, Func, Math, ParamId, SpeciesId};
use crate::units::{Dim, eval_unit, unit_names};
use bioflux_grammar::ast::{self, BinOp, ExprKind, Span};

/// The type of an expression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ty {
    /// A quantity of this dimension.
    Num(Dim),
    /// A number written without a unit: it takes the dimension its context
    /// needs (`glucose + 1`, `step(5, 0.02, 0.05) [L/h]`), read in base units.
    Bare,
    /// Not known until a plugin declares it (cell outputs).
    Unknown,
    /// Already reported as wrong: absorbs everything around it, so that one
    /// mistake is reported once.
    Error,
    /// A condition (a comparison, `and`, `or`, `not`), not a number.
    Bool,
}

impl Ty {
    /// The dimension, with a bare number counted as dimensionless.
    pub fn dim(self) -> Option<Dim> {
        match self {
            Ty::Num(d) => Some(d),
            Ty::Bare => Some(Dim::NONE),
            Ty::Unknown | Ty::Error | Ty::Bool => None,
        }
    }
}

/// A resolved expression with its type and, if constant, its value.
#[derive(Clone, Debug)]
pub struct Typed {
    pub expr: Expr,
    pub ty: Ty,
    pub value: Option<f64>,
    /// Cells whose outputs this expression reads (directly or via lets).
    pub cells: Vec<usize>,
}

impl Typed {
    pub(super) fn constant(v: f64, ty: Ty) -> Typed {
        Typed { expr: Expr::Const(v), ty, value: Some(v), cells: Vec::new() }
    }
    pub(super) fn error() -> Typed {
        Typed { expr: Expr::Const(f64::NAN), ty: Ty::Error, value: None, cells: Vec::new() }
    }
    fn with_ty(mut self, ty: Ty) -> Typed {
        self.ty = ty;
        self
    }
}

pub(super) fn merge_cells(parts: &[&Typed]) -> Vec<usize> {
    let mut cells: Vec<usize> = parts.iter().flat_map(|p| p.cells.iter().copied()).collect();
    cells.sort_unstable();
    cells.dedup();
    cells
}

/// Outputs every LP-style cell model has besides its reaction fluxes.
pub const STANDARD_OUTPUTS: [&str; 2] = ["objective", "slack"];

/// Plugins that fit fluxes to given rates (`input R = ...`, `weight R = w`)
/// rather than optimise an objective; besides the reactions they output
/// the weighted residual.
pub const FLUX_ANALYSIS_PLUGINS: [&str; 1] = ["mfa"];

/// Outputs a cell on an inline network has besides its reactions.
fn network_cell_outputs(plugin: &str) -> &'static [&'static str] {
    if FLUX_ANALYSIS_PLUGINS.contains(&plugin) { &["residual"] } else { &STANDARD_OUTPUTS }
}

impl<'a> Checker<'a> {
    /// An expression that must be a constant (a parameter value, an initial
    /// condition): no time, state or cell output.
    pub(super) fn constant_expr(&mut self, e: &'a ast::Expr, what: &str) -> Typed {
        let t = self.expr(e, true);
        if t.value.is_none() && !matches!(t.ty, Ty::Unknown | Ty::Error) {
            self.error(
                Diagnostic::new(
                    Code::NotConstant,
                    e.span,
                    format!("{what} must be a constant"),
                    "this depends on time, the state or a cell model",
                )
                .help("use numbers and parameters here; state-dependent values belong in `let`, `rate` or the reactor's `feed`"),
            );
        }
        t
    }

    /// Resolves and types `e`. In a `constant` context, state, time and
    /// cell outputs are reported where they appear.
    pub(super) fn expr(&mut self, e: &'a ast::Expr, constant: bool) -> Typed {
        let mut typed = self.expr_untracked(e, constant);
        // In a unitless model every number takes the dimension its context
        // needs, as a bare number does in a model with units.
        if self.unitless && matches!(typed.ty, Ty::Num(_)) {
            typed.ty = Ty::Bare;
        }
        if let Some(types) = &mut self.types {
            types.push((e.span, typed.ty));
        }
        typed
    }

    fn expr_untracked(&mut self, e: &'a ast::Expr, constant: bool) -> Typed {
        match &e.kind {
            ExprKind::Number(n) => Typed::constant(n.value, Ty::Bare),
            ExprKind::Name(id) => self.name(id, constant),
            ExprKind::CellOutput { cell, output } => {
                if constant {
                    self.not_constant(e.span, "a cell model's output");
                    return Typed::error();
                }
                self.cell_output(cell, output)
            }
            ExprKind::WithUnit { expr, unit } => {
                let inner = self.expr(expr, constant);
                if self.unitless {
                    self.error(
                        Diagnostic::new(
                            Code::UnitMismatch,
                            unit.span,
                            "a unit in a unitless model",
                            "this model's numbers carry no units",
                        )
                        .help("remove the unit, or `unitless` from the `model` line to check units everywhere"),
                    );
                    return inner;
                }
                let unit = match eval_unit(unit) {
                    Ok(u) => u,
                    Err((name, span)) => {
                        self.unknown_unit(&name, span);
                        return inner.with_ty(Ty::Error);
                    }
                };
                match inner.ty {
                    Ty::Bare => Typed {
                        expr: scale(inner.expr, unit.factor),
                        ty: Ty::Num(unit.dim),
                        value: inner.value.map(|v| v * unit.factor),
                        cells: inner.cells,
                    },
                    Ty::Num(d) if d != unit.dim => {
                        self.error(
                            Diagnostic::new(
                                Code::UnitMismatch,
                                e.span,
                                format!("this is {d}, not {}", unit.dim),
                                format!("annotated as {}", unit.dim),
                            )
                            .with_label(expr.span, format!("this is {d}"))
                            .help("a unit after a quantity that already has one must be of the same dimension"),
                        );
                        inner.with_ty(Ty::Error)
                    }
                    Ty::Bool => {
                        self.type_error(expr.span, "a unit cannot be given to a true/false value");
                        inner.with_ty(Ty::Error)
                    }
                    _ => inner.with_ty(Ty::Num(unit.dim)),
                }
            }
            ExprKind::Neg(x) => {
                let x = self.expr(x, constant);
                let ty = self.numeric(x.ty, e.span, "`-`");
                Typed { value: x.value.map(|v| -v), expr: Expr::Neg(Box::new(x.expr)), ty, cells: x.cells }
            }
            ExprKind::Not(x) => {
                let x = self.expr(x, constant);
                if matches!(x.ty, Ty::Num(_) | Ty::Bare) {
                    self.type_error(e.span, "`not` needs a condition such as `glucose < 1 [mmol/L]`");
                }
                Typed {
                    value: x.value.map(|v| f64::from(v == 0.0)),
                    expr: Expr::Not(Box::new(x.expr)),
                    ty: Ty::Bool,
                    cells: x.cells,
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let (l, r) = (self.expr(lhs, constant), self.expr(rhs, constant));
                let ty = self.binary_ty(*op, &l, &r, lhs.span, rhs.span);
                let value = match (l.value, r.value) {
                    (Some(a), Some(b)) => Some(crate::eval::binary((*op).into(), a, b)),
                    _ => None,
                };
                Typed {
                    cells: merge_cells(&[&l, &r]),
                    expr: Expr::Binary((*op).into(), Box::new(l.expr), Box::new(r.expr)),
                    ty,
                    value,
                }
            }
            ExprKind::Call { func, args } if func.name == "mlp" => self.mlp(args, e.span, constant),
            ExprKind::Call { func, args } => self.call(func, args, e.span, constant),
            ExprKind::Text(_) | ExprKind::List { .. } => {
                self.error(
                    Diagnostic::new(
                        Code::Type,
                        e.span,
                        "a string or a named list is only an argument of `mlp(...)`",
                        "not a number",
                    )
                    .help("write mlp(\"name\", inputs = [glucose, mu], hidden = [8])"),
                );
                Typed::error()
            }
            ExprKind::If { cond, then, otherwise } => {
                let c = self.expr(cond, constant);
                if matches!(c.ty, Ty::Num(_) | Ty::Bare) {
                    self.type_error(cond.span, "the condition of `if` must be a comparison, such as `t > 5 [h]`");
                }
                let (a, b) = (self.expr(then, constant), self.expr(otherwise, constant));
                let ty = self.same_dim(a.ty, b.ty, then.span, otherwise.span, "the two branches of `if`");
                let value = match (c.value, a.value, b.value) {
                    (Some(c), Some(a), Some(b)) => Some(if c != 0.0 { a } else { b }),
                    _ => None,
                };
                Typed {
                    cells: merge_cells(&[&c, &a, &b]),
                    expr: Expr::If(Box::new(c.expr), Box::new(a.expr), Box::new(b.expr)),
                    ty,
                    value,
                }
            }
        }
    }

    pub(super) fn not_constant(&mut self, span: Span, what: &str) {
        self.error(
            Diagnostic::new(
                Code::NotConstant,
                span,
                format!("{what} cannot be used in a constant"),
                "not a constant",
            )
            .help("parameter values, initial conditions, the initial volume and the simulate settings are constants: use numbers and parameters"),
        );
    }

    fn type_error(&mut self, span: Span, message: &str) {
        self.error(Diagnostic::new(Code::Type, span, message, "here").help(
            "conditions (comparisons, and/or/not) and numbers are not interchangeable; use `if c then a else b`",
        ));
    }

    pub(super) fn unknown_unit(&mut self, name: &str, span: Span) {
        let help = suggestion(
            name,
            unit_names(),
            "known units: mol mmol umol g mg kg gDW mgDW L mL uL h min s d M mM, and products, quotients and powers of them",
        );
        self.error(
            Diagnostic::new(Code::UnknownUnit, span, format!("unknown unit `{name}`"), "not a unit bioflux knows")
                .help(help),
        );
    }

    /// A number (not a condition); returns the operand's type.
    pub(super) fn numeric(&mut self, ty: Ty, span: Span, op: &str) -> Ty {
        if ty == Ty::Bool {
            self.type_error(span, &format!("{op} needs a number, not a condition"));
            return Ty::Error;
        }
        ty
    }

    /// Two operands that must have the same dimension (for +, -, comparisons,
    /// min/max, if-branches); returns the common type.
    pub(super) fn same_dim(&mut self, a: Ty, b: Ty, sa: Span, sb: Span, what: &str) -> Ty {
        match (a, b) {
            (Ty::Error, _) | (_, Ty::Error) => Ty::Error,
            (Ty::Bool, Ty::Bool) => Ty::Bool,
            (Ty::Bool, _) | (_, Ty::Bool) if a != Ty::Unknown && b != Ty::Unknown => {
                self.type_error(sa.join(sb), &format!("{what} mixes a condition and a number"));
                Ty::Error
            }
            (Ty::Num(x), Ty::Num(y)) if x != y => {
                self.error(
                    Diagnostic::new(
                        Code::UnitMismatch,
                        sb,
                        format!("{what} must have the same dimension, but one is {x} and the other {y}"),
                        format!("this is {y}"),
                    )
                    .with_label(sa, format!("this is {x}"))
                    .help("convert one side (a parameter with the right unit, or a yield) so both have the same dimension; compatible units such as g and mg are converted for you"),
                );
                Ty::Error
            }
            (Ty::Num(x), _) | (_, Ty::Num(x)) => Ty::Num(x),
            (Ty::Unknown, _) | (_, Ty::Unknown) => Ty::Unknown,
            _ => Ty::Bare,
        }
    }

    fn binary_ty(&mut self, op: BinOp, l: &Typed, r: &Typed, sl: Span, sr: Span) -> Ty {
        match op {
            BinOp::Add | BinOp::Sub => {
                let (a, b) = (self.numeric(l.ty, sl, op.symbol()), self.numeric(r.ty, sr, op.symbol()));
                self.same_dim(a, b, sl, sr, &format!("both sides of `{}`", op.symbol()))
            }
            BinOp::Mul | BinOp::Div => {
                let (a, b) = (self.numeric(l.ty, sl, op.symbol()), self.numeric(r.ty, sr, op.symbol()));
                match (a, b) {
                    (Ty::Error, _) | (_, Ty::Error) => Ty::Error,
                    (Ty::Unknown, _) | (_, Ty::Unknown) => Ty::Unknown,
                    (Ty::Bare, Ty::Bare) => Ty::Bare,
                    _ => {
                        let (x, y) = (a.dim().unwrap_or_default(), b.dim().unwrap_or_default());
                        Ty::Num(if op == BinOp::Mul { x * y } else { x / y })
                    }
                }
            }
            BinOp::Pow => self.power_ty(l, r, sl, sr),
            BinOp::And | BinOp::Or => {
                for (t, s) in [(l.ty, sl), (r.ty, sr)] {
                    if matches!(t, Ty::Num(_) | Ty::Bare) {
                        self.type_error(s, &format!("`{}` joins conditions, not numbers", op.symbol()));
                    }
                }
                Ty::Bool
            }
            _ => {
                let (a, b) = (self.numeric(l.ty, sl, op.symbol()), self.numeric(r.ty, sr, op.symbol()));
                self.same_dim(a, b, sl, sr, &format!("both sides of `{}`", op.symbol()));
                Ty::Bool
            }
        }
    }

    /// `base ^ exponent`: the exponent is dimensionless; a base with a unit
    /// needs a constant integer exponent so the result's unit is known.
    fn power_ty(&mut self, base: &Typed, exp: &Typed, sb: Span, se: Span) -> Ty {
        let b = self.numeric(base.ty, sb, "`^`");
        let e = self.numeric(exp.ty, se, "`^`");
        if b == Ty::Error || e == Ty::Error {
            return Ty::Error;
        }
        if let Ty::Num(d) = e
            && !d.is_none()
        {
            self.error(
                Diagnostic::new(
                    Code::UnitMismatch,
                    se,
                    format!("an exponent must be dimensionless, not {d}"),
                    format!("this is {d}"),
                )
                .help("divide by a reference value to make it dimensionless"),
            );
            return Ty::Error;
        }
        match b {
            Ty::Num(d) if !d.is_none() => match exp.value {
                Some(n) if n.fract() == 0.0 && n.abs() <= 100.0 => Ty::Num(d.powi(n as i32)),
                _ => {
                    self.error(
                        Diagnostic::new(
                            Code::UnitMismatch,
                            se,
                            format!("a quantity in {d} can only be raised to a constant whole power"),
                            "not a constant whole number",
                        )
                        .help("make the base dimensionless first, e.g. `(S / Ks)^n`"),
                    );
                    Ty::Error
                }
            },
            other => other,
        }
    }

    fn name(&mut self, id: &ast::Ident, constant: bool) -> Typed {
        if let Some((b, what)) = BUILTINS.iter().find(|(b, _)| *b == id.name) {
            if constant {
                self.not_constant(id.span, &format!("`{b}` ({what})"));
                return Typed::error();
            }
            let (expr, dim) = if *b == "t" { (Expr::Time, Dim::TIME) } else { (Expr::Volume, Dim::VOLUME) };
            return Typed { expr, ty: Ty::Num(dim), value: None, cells: Vec::new() };
        }
        let Some(sym) = self.lookup(id) else {
            return Typed::error();
        };
        let node = match sym {
            Symbol::Param(i) => Node::Param(i),
            Symbol::Let(i) => Node::Let(i),
            Symbol::Species(i) => Node::Species(i),
            Symbol::Schedule(i) => Node::Schedule(i),
            Symbol::Cell(_) | Symbol::Network(_) | Symbol::Function(_) => {
                let hint = match sym {
                    Symbol::Cell(_) => format!("use one of its outputs, such as `{}.Biomass`", id.name),
                    Symbol::Function(_) => format!("call it: `{}(x)`", id.name),
                    _ => format!("a network is used through a cell model: `cell c = pfba({})`", id.name),
                };
                self.error(
                    Diagnostic::new(
                        Code::Type,
                        id.span,
                        format!("`{}` is {}, not a value", id.name, sym.describe()),
                        "not a value",
                    )
                    .help(hint),
                );
                return Typed::error();
            }
        };
        let info = self.resolve(node, id.span);
        let (expr, value) = match node {
            Node::Param(i) => (Expr::Param(ParamId(i)), info.value),
            Node::Let(_) => (Expr::Let(info.index), info.value),
            // A species' initial value is not its value at time t.
            Node::Species(i) => (Expr::Species(SpeciesId(i)), None),
            Node::Schedule(i) => (Expr::Schedule(i), None),
        };
        if constant && value.is_none() && info.ty != Ty::Error {
            self.not_constant(id.span, &format!("{} `{}`", sym.describe(), id.name));
            return Typed::error();
        }
        let cells = match node {
            Node::Let(i) => self.let_cells.get(&i).cloned().unwrap_or_default(),
            _ => Vec::new(),
        };
        Typed { expr, ty: info.ty, value, cells }
    }

    /// `cell.output`: the cell must exist; for a cell on an inline network
    /// the output must be one of its reactions (otherwise the plugin host
    /// checks it when it loads the plugin).
    pub(super) fn cell_output(&mut self, cell: &ast::Ident, output: &ast::Ident) -> Typed {
        let Some(c) = self.index_of(cell, &super::CELL) else {
            return Typed::error();
        };
        if !self.cell_has_port(c, output, false) {
            return Typed::error();
        }
        let ports = &mut self.cells[c].outputs;
        let index = match ports.iter().position(|p| p.name == output.name) {
            Some(i) => i,
            None => {
                ports.push(crate::model::Port { name: output.name.clone(), uses: Vec::new(), expects: Vec::new() });
                ports.len() - 1
            }
        };
        ports[index].uses.push(output.span);
        Typed {
            expr: Expr::CellOutput { cell: CellId(c), output: index },
            ty: Ty::Unknown,
            value: None,
            cells: vec![c],
        }
    }

    /// Whether cell `c` has a port `name` (reported when it cannot have).
    /// Only cells on an inline network can be checked now.
    pub(super) fn cell_has_port(&mut self, c: usize, name: &ast::Ident, is_input: bool) -> bool {
        let crate::model::CellSource::Network(n) = self.cells[c].source else {
            return true;
        };
        let net = &self.networks[n];
        if net.reactions.iter().any(|r| r.id == name.name)
            || (!is_input && network_cell_outputs(&self.cells[c].plugin).contains(&name.name.as_str()))
        {
            return true;
        }
        let help = suggestion(
            &name.name,
            net.reactions.iter().map(|r| r.id.as_str()),
            &format!("the reactions of network `{}` are listed in its block", net.name),
        );
        let net_name = net.name.clone();
        self.error(
            Diagnostic::new(
                Code::Undefined,
                name.span,
                format!("network `{net_name}` has no reaction `{}`", name.name),
                "no such reaction",
            )
            .help(help),
        );
        false
    }

    fn call(&mut self, func: &ast::Ident, args: &'a [ast::Expr], span: Span, constant: bool) -> Typed {
        if let Some(&(Symbol::Function(i), _)) = self.symbols.get(func.name.as_str()) {
            return self.call_function(i, func, args, span, constant);
        }
        let Some(f) = Func::lookup(&func.name) else {
            let mut help = suggestion(
                &func.name,
                Func::all().map(|(n, _)| n),
                "functions: exp ln log10 sqrt abs sin cos tan floor ceil ... min max pow step ramp (docs/language.md)",
            );
            if let Some(&(sym, _)) = self.symbols.get(func.name.as_str()) {
                help = format!("`{}` is {}; only built-in functions can be called", func.name, sym.describe());
            }
            self.error(
                Diagnostic::new(
                    Code::Undefined,
                    func.span,
                    format!("unknown function `{}`", func.name),
                    "not a function",
                )
                .help(help),
            );
            for a in args {
                self.expr(a, constant);
            }
            return Typed::error();
        };
        let (min, max, usage) = match f {
            Func::Math(_) => (1, 1, format!("{}(x)", func.name)),
            Func::Pow => (2, 2, "pow(base, exponent)".into()),
            Func::Min | Func::Max => (2, usize::MAX, format!("{}(a, b, ...)", func.name)),
            Func::Step => (3, 3, "step(time, before, after)".into()),
            Func::Ramp => (4, 4, "ramp(start, end, from, to)".into()),
        };
        if args.len() < min || args.len() > max {
            let expected = if min == max { format!("{min}") } else { format!("at least {min}") };
            self.error(
                Diagnostic::new(
                    Code::Arity,
                    span,
                    format!(
                        "`{}` takes {expected} argument{}, but {} {} given",
                        func.name,
                        if min == 1 { "" } else { "s" },
                        args.len(),
                        if args.len() == 1 { "was" } else { "were" }
                    ),
                    "wrong number of arguments",
                )
                .help(format!("usage: {usage}")),
            );
            for a in args {
                self.expr(a, constant);
            }
            return Typed::error();
        }
        // step and ramp read the clock, so they are never constant.
        if constant && matches!(f, Func::Step | Func::Ramp) {
            self.not_constant(span, &format!("`{}` (a function of time)", func.name));
            return Typed::error();
        }
        let typed: Vec<Typed> = args.iter().map(|a| self.expr(a, constant)).collect();
        let spans: Vec<Span> = args.iter().map(|a| a.span).collect();
        let ty = self.call_ty(f, &func.name, &typed, &spans);
        let values: Option<Vec<f64>> = typed.iter().map(|t| t.value).collect();
        let value = match (f, values) {
            (Func::Step | Func::Ramp, _) | (_, None) => None,
            (_, Some(v)) => Some(crate::eval::call(f, &v, 0.0)),
        };
        Typed {
            cells: merge_cells(&typed.iter().collect::<Vec<_>>()),
            expr: Expr::Call(f, typed.into_iter().map(|t| t.expr).collect()),
            ty,
            value,
        }
    }

    fn call_ty(&mut self, f: Func, name: &str, args: &[Typed], spans: &[Span]) -> Ty {
        for (a, s) in args.iter().zip(spans) {
            self.numeric(a.ty, *s, &format!("`{name}`"));
        }
        match f {
            Func::Math(Math::Sqrt) => match args[0].ty {
                Ty::Num(d) => match d.sqrt() {
                    Some(r) => Ty::Num(r),
                    None => {
                        self.error(
                            Diagnostic::new(
                                Code::UnitMismatch,
                                spans[0],
                                format!("the square root of {d} has no unit"),
                                format!("this is {d}"),
                            )
                            .help("sqrt needs a quantity whose unit is a square, such as L^2"),
                        );
                        Ty::Error
                    }
                },
                other => other,
            },
            Func::Math(Math::Abs) => args[0].ty,
            // The others need a number without a unit (rounding one would
            // depend on the unit it is written in).
            Func::Math(_) => {
                self.dimensionless(args[0].ty, spans[0], name);
                Ty::Num(Dim::NONE)
            }
            Func::Min | Func::Max => {
                let mut ty = args[0].ty;
                for i in 1..args.len() {
                    ty = self.same_dim(ty, args[i].ty, spans[0], spans[i], &format!("the arguments of `{name}`"));
                }
                ty
            }
            Func::Pow => self.power_ty(&args[0], &args[1], spans[0], spans[1]),
            Func::Step => {
                self.time(args[0].ty, spans[0], name);
                self.same_dim(args[1].ty, args[2].ty, spans[1], spans[2], "the two levels of `step`")
            }
            Func::Ramp => {
                self.time(args[0].ty, spans[0], name);
                self.time(args[1].ty, spans[1], name);
                self.same_dim(args[2].ty, args[3].ty, spans[2], spans[3], "the two levels of `ramp`")
            }
        }
    }

    fn dimensionless(&mut self, ty: Ty, span: Span, func: &str) {
        if let Ty::Num(d) = ty
            && !d.is_none()
        {
            self.error(
                Diagnostic::new(
                    Code::UnitMismatch,
                    span,
                    format!("`{func}` needs a dimensionless argument, not {d}"),
                    format!("this is {d}"),
                )
                .help("divide by a reference value, e.g. `ln(S / S0)`"),
            );
        }
    }

    fn time(&mut self, ty: Ty, span: Span, func: &str) {
        if let Ty::Num(d) = ty
            && d != Dim::TIME
        {
            self.error(
                Diagnostic::new(
                    Code::UnitMismatch,
                    span,
                    format!("`{func}` switches at a time, but this is {d}"),
                    format!("this is {d}"),
                )
                .help("write the time with a unit, e.g. `5 [h]`; a bare number is read in hours"),
            );
        }
    }

    /// Checks that `ty` fits the dimension `want` ("the feed", "a bound").
    pub(super) fn expect_dim(&mut self, ty: Ty, want: Dim, span: Span, what: &str, help: &str) -> bool {
        match ty {
            Ty::Num(d) if d != want => {
                self.error(
                    Diagnostic::new(
                        Code::UnitMismatch,
                        span,
                        format!("{what} must be in {want}, but this is {d}"),
                        format!("this is {d}"),
                    )
                    .help(help.to_string()),
                );
                false
            }
            Ty::Bool => {
                self.type_error(span, &format!("{what} must be a number, not a condition"));
                false
            }
            _ => true,
        }
    }

    /// Names of everything a value could be, for did-you-mean.
    pub(super) fn value_names(&self) -> Vec<&'a str> {
        self.symbols
            .iter()
            .filter(|(_, (s, _))| !matches!(s, Symbol::Cell(_) | Symbol::Network(_)))
            .map(|(n, _)| *n)
            .collect()
    }
}

/// `expr × factor`, folded when `expr` is a constant.
fn scale(expr: Expr, factor: f64) -> Expr {
    if factor == 1.0 {
        return expr;
    }
    match expr {
        Expr::Const(v) => Expr::Const(v * factor),
        e => Expr::Binary(crate::model::BinOp::Mul, Box::new(e), Box::new(Expr::Const(factor))),
    }
}
