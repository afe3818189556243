//! `function NAME(args) = body`: each call is its body with the call's
//! arguments in place of the parameters, checked where it is called — so a
//! function's dimensions are those of its arguments there, and a name of
//! the model in its body means what it means at the call.

use super::expr::Typed;
use super::{BUILTINS, Checker};
use crate::diagnostic::{Code, Diagnostic, suggestion};
use crate::model::Func;
use bioflux_grammar::ast::{self, ExprKind, Span};

impl<'a> Checker<'a> {
    /// Each function's parameters are distinct and not built-in names, its
    /// name is not a built-in function, and every name in its body is a
    /// parameter or a name of the model.
    pub(super) fn check_functions(&mut self) {
        for i in 0..self.decls.functions.len() {
            let (name, args, body) = self.decls.functions[i];
            if Func::lookup(&name.name).is_some() || name.name == "mlp" {
                self.error(
                    Diagnostic::new(
                        Code::Duplicate,
                        name.span,
                        format!("`{}` is a built-in function", name.name),
                        "built in",
                    )
                    .help("choose another name for your function"),
                );
            }
            for (k, a) in args.iter().enumerate() {
                if args[..k].iter().any(|b| b.name == a.name) {
                    self.error(
                        Diagnostic::new(
                            Code::Duplicate,
                            a.span,
                            format!("function `{}` names its parameter `{}` twice", name.name, a.name),
                            "named again",
                        )
                        .help("give each parameter its own name"),
                    );
                }
            }
            let mut unknown = Vec::new();
            names_in(body, &mut |id| {
                let known = args.iter().any(|a| a.name == id.name)
                    || BUILTINS.iter().any(|(b, _)| *b == id.name)
                    || self.symbols.contains_key(id.name.as_str());
                if !known {
                    unknown.push(id.clone());
                }
            });
            // A call of itself, directly or through others, in its body.
            if let Some(call) = self.calls_back(i, body, &mut Vec::new()) {
                self.recursive_functions.push(i);
                self.error(
                    Diagnostic::new(Code::Cycle, call.span, format!("function `{}` calls itself", name.name), "called again here")
                        .with_label(name.span, "defined here")
                        .help("a function is written out where it is called, so it cannot call itself (directly or through another)"),
                );
            }
            for id in unknown {
                let help = suggestion(
                    &id.name,
                    args.iter().map(|a| a.name.as_str()).chain(self.symbols.keys().copied()),
                    &format!("a function's body reads its parameters ({}) and the model's names", names(args)),
                );
                self.error(
                    Diagnostic::new(
                        Code::Undefined,
                        id.span,
                        format!(
                            "`{}` in function `{}` is neither its parameter nor a name of the model",
                            id.name, name.name
                        ),
                        "not defined",
                    )
                    .help(help),
                );
            }
        }
    }

    /// A call of function `i`: its body with these arguments, checked here.
    pub(super) fn call_function(
        &mut self,
        i: usize,
        func: &ast::Ident,
        args: &'a [ast::Expr],
        span: Span,
        constant: bool,
    ) -> Typed {
        let (name, params, body) = self.decls.functions[i];
        if args.len() != params.len() {
            self.error(
                Diagnostic::new(
                    Code::Arity,
                    span,
                    format!(
                        "`{}` takes {} argument{}, but {} {} given",
                        func.name,
                        params.len(),
                        if params.len() == 1 { "" } else { "s" },
                        args.len(),
                        if args.len() == 1 { "was" } else { "were" }
                    ),
                    "wrong number of arguments",
                )
                .with_label(name.span, "defined here")
                .help(format!("usage: {}({})", name.name, names(params))),
            );
            return Typed::error();
        }
        // Reported at its definition; writing it out would not end.
        if self.recursive_functions.contains(&i) {
            return Typed::error();
        }
        let mut written = substitute(body, params, args);
        // Hovering the call shows the call's value.
        written.span = span;
        let written: &'a ast::Expr = self.written_out.alloc(written);
        self.expr(written, constant)
    }

    /// The first call in `e` (a body of function `start`, or of one it
    /// calls) that leads back to `start`.
    fn calls_back(&self, start: usize, e: &'a ast::Expr, seen: &mut Vec<usize>) -> Option<&'a ast::Ident> {
        let mut found = None;
        calls_in(e, &mut |func| {
            if found.is_some() {
                return;
            }
            if let Some(&(super::Symbol::Function(j), _)) = self.symbols.get(func.name.as_str()) {
                if j == start {
                    found = Some(func);
                } else if !seen.contains(&j) {
                    seen.push(j);
                    if self.calls_back(start, self.decls.functions[j].2, seen).is_some() {
                        found = Some(func);
                    }
                }
            }
        });
        found
    }
}

fn names(params: &[ast::Ident]) -> String {
    params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// Every name read in `e` (not a call's function name, nor a list's name).
fn names_in<'e>(e: &'e ast::Expr, f: &mut impl FnMut(&'e ast::Ident)) {
    e.each(&mut |x| {
        if let ExprKind::Name(id) = &x.kind {
            f(id)
        }
    });
}

/// Every call in `e`, by the function's name.
fn calls_in<'e>(e: &'e ast::Expr, f: &mut impl FnMut(&'e ast::Ident)) {
    e.each(&mut |x| {
        if let ExprKind::Call { func, .. } = &x.kind {
            f(func)
        }
    });
}

/// `body` with each parameter's name replaced by its argument.
fn substitute(body: &ast::Expr, params: &[ast::Ident], args: &[ast::Expr]) -> ast::Expr {
    let kind = match &body.kind {
        ExprKind::Name(id) => match params.iter().position(|p| p.name == id.name) {
            // The tree keeps an argument whole: `x^2` with x = a + b is
            // (a + b)^2.
            Some(k) => return args[k].clone(),
            None => ExprKind::Name(id.clone()),
        },
        ExprKind::Number(_) | ExprKind::Text(_) | ExprKind::CellOutput { .. } => body.kind.clone(),
        ExprKind::WithUnit { expr, unit } => {
            ExprKind::WithUnit { expr: Box::new(substitute(expr, params, args)), unit: unit.clone() }
        }
        ExprKind::Neg(a) => ExprKind::Neg(Box::new(substitute(a, params, args))),
        ExprKind::Not(a) => ExprKind::Not(Box::new(substitute(a, params, args))),
        ExprKind::Binary { op, lhs, rhs } => ExprKind::Binary {
            op: *op,
            lhs: Box::new(substitute(lhs, params, args)),
            rhs: Box::new(substitute(rhs, params, args)),
        },
        ExprKind::Call { func, args: call_args } => {
            ExprKind::Call { func: func.clone(), args: call_args.iter().map(|a| substitute(a, params, args)).collect() }
        }
        ExprKind::List { name, items } => {
            ExprKind::List { name: name.clone(), items: items.iter().map(|a| substitute(a, params, args)).collect() }
        }
        ExprKind::If { cond, then, otherwise } => ExprKind::If {
            cond: Box::new(substitute(cond, params, args)),
            then: Box::new(substitute(then, params, args)),
            otherwise: Box::new(substitute(otherwise, params, args)),
        },
    };
    ast::Expr { kind, span: body.span }
}

#[cfg(test)]
mod tests {
    use crate::check_source;

    #[test]
    fn a_call_is_its_body_with_the_arguments_in_place() {
        let m = check_source(
            "f.bio",
            "model f\nparam k = 2 [mmol/L]\nfunction hill(x, n) = x^n / (k^n + x^n)\nlet h = hill(4 [mmol/L], 2)\n",
        )
        .unwrap_or_else(|d| panic!("{}", d[0].render()));
        let at = crate::eval::At { model: &m, params: &[m.params[0].value], state: &[1.0], t: 0.0 };
        let v = crate::eval::value(&m.lets[0].value, &at).unwrap();
        assert!((v - 16.0 / 20.0).abs() < 1e-12, "{v}");
    }

    #[test]
    fn a_compartment_sized_by_a_function_of_the_state_changes() {
        let m = check_source(
            "f.bio",
            "model f\nspecies g = 1 [mmol/L]\nrate g = 1 [mmol/L/h]\nfunction litres(x) = x * g * 1 [L^2/mmol]\n\
             compartment c = litres(2)\nspecies s = 2 [mmol/L] in c\n",
        )
        .unwrap_or_else(|d| panic!("{}", d[0].render()));
        assert!(matches!(m.species[1].compartment, Some(crate::model::Compartment::Changing(_))));
    }

    #[test]
    fn a_call_in_an_argument_of_the_same_function_is_no_recursion() {
        let m = check_source("f.bio", "model f\nfunction mul(x, y) = x * y\nlet a = mul(2, mul(3, 4))\n")
            .unwrap_or_else(|d| panic!("{}", d[0].render()));
        let at = crate::eval::At { model: &m, params: &[], state: &[1.0], t: 0.0 };
        assert_eq!(crate::eval::value(&m.lets[0].value, &at).unwrap(), 24.0);
        let errors = check_source("g.bio", "model g\nfunction f(x) = g(x)\nfunction g(x) = 1 + f(x)\nlet a = f(1)\n")
            .expect_err("mutual recursion");
        assert_eq!(errors.iter().filter(|d| d.message.contains("calls itself")).count(), 2);
    }
}
