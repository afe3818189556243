//! Cells: plugin, source, options, objective and policy; their `bound` and
//! `input` lines.

use crate::check::{Checker, Symbol, Ty};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::*;
use crate::units::{Dim, eval_unit};
use bioflux_grammar::ast::{self, CellItemKind, ItemKind, PluginArg, Span};
use std::collections::HashMap;

const CELL_KEYS: [&str; 1] = ["infeasible"];
const POLICIES: [&str; 3] = ["relax", "stop", "error"];

impl<'a> Checker<'a> {
    /// Plugin, source, options, objective and policy: everything about a
    /// cell that expressions do not need.
    pub(in crate::check) fn check_cell_headers(&mut self) {
        for ci in 0..self.decls.cells.len() {
            let item = self.decls.cells[ci];
            let ItemKind::Cell { name, plugin, args, body } = &item.kind else {
                unreachable!("cells holds cell items");
            };
            let mut source = CellSource::None;
            let mut source_span: Option<Span> = None;
            let mut options: Vec<(String, OptionValue)> = Vec::new();
            let mut option_spans: HashMap<&str, Span> = HashMap::new();
            for arg in args {
                match arg {
                    PluginArg::Source(s) => {
                        let span = match s {
                            ast::Source::Path(p) => p.span,
                            ast::Source::Network(n) => n.span,
                        };
                        if let Some(first) = source_span {
                            self.error(
                                Diagnostic::new(Code::Duplicate, span, "a cell model has one source", "second source")
                                    .with_label(first, "first source")
                                    .help("other arguments are named: `pfba(\"model.xml\", threads = 1)`"),
                            );
                            continue;
                        }
                        source_span = Some(span);
                        source = match s {
                            ast::Source::Path(p) => CellSource::File(p.value.clone()),
                            ast::Source::Network(n) => {
                                self.index_of(n, &crate::check::NETWORK).map_or(CellSource::None, CellSource::Network)
                            }
                        };
                    }
                    PluginArg::Named { key, value, span } => {
                        if let Some(prev) = option_spans.get(key.name.as_str()) {
                            self.error(
                                Diagnostic::new(
                                    Code::Duplicate,
                                    *span,
                                    format!("`{}` is given twice", key.name),
                                    "given again here",
                                )
                                .with_label(*prev, "first given here")
                                .help("remove one of them"),
                            );
                            continue;
                        }
                        option_spans.insert(&key.name, *span);
                        let v = match value {
                            ast::Literal::Str(s) => OptionValue::Str(s.value.clone()),
                            ast::Literal::Number(n) => OptionValue::Number(n.value),
                            ast::Literal::Quantity(n, unit) => match eval_unit(unit) {
                                Ok(u) => OptionValue::Number(n.value * u.factor),
                                Err((name, span)) => {
                                    self.unknown_unit(&name, span);
                                    continue;
                                }
                            },
                            ast::Literal::Bool(b, _) => OptionValue::Bool(*b),
                            ast::Literal::Ident(i) => match self.symbols.get(i.name.as_str()) {
                                Some(&(Symbol::Param(p), _)) => OptionValue::Param(ParamId(p)),
                                _ => OptionValue::Name(i.name.clone()),
                            },
                        };
                        options.push((key.name.clone(), v));
                    }
                }
            }
            let mut objective = Vec::new();
            let mut objective_span: Option<Span> = None;
            let mut infeasible = InfeasiblePolicy::Relax;
            let mut settings = Vec::new();
            for it in body.iter().flatten() {
                match &it.kind {
                    CellItemKind::Objective(terms) => {
                        if let Some(first) = objective_span {
                            self.error(
                                Diagnostic::new(Code::Duplicate, it.span, "a second `objective`", "second objective")
                                    .with_label(first, "first objective")
                                    .help("list several objectives in one line, in priority order: `objective = max Biomass, min EX_glc__D_e`"),
                            );
                            continue;
                        }
                        objective_span = Some(it.span);
                        objective = terms.iter().map(|t| (t.sense.map(Sense::from), t.flux.name.clone())).collect();
                    }
                    CellItemKind::Setting(s) => settings.push(s),
                    CellItemKind::Bound { .. } | CellItemKind::Input { .. } | CellItemKind::Weight { .. } => {}
                }
            }
            let settings = self.settings(settings, &CELL_KEYS, "cell");
            if let Some(s) = settings.get("infeasible") {
                infeasible = match self.word_setting(s, &POLICIES, "infeasibility policy") {
                    Some(1) => InfeasiblePolicy::Stop,
                    Some(2) => InfeasiblePolicy::Error,
                    _ => InfeasiblePolicy::Relax,
                };
            }
            if let CellSource::Network(n) = source {
                if objective.is_empty() {
                    objective = self.networks[n].objective.clone();
                }
                let fits_rates = crate::check::expr::FLUX_ANALYSIS_PLUGINS.contains(&plugin.name.as_str());
                if objective.is_empty() && !fits_rates {
                    self.error(
                        Diagnostic::new(
                            Code::Network,
                            name.span,
                            format!("cell `{}` has no objective", name.name),
                            "nothing to optimise",
                        )
                        .help(format!(
                            "add `objective BIOMASS` to network `{}` or `objective = BIOMASS` to this cell",
                            self.networks[n].name
                        )),
                    );
                }
            }
            self.cells.push(Cell {
                name: name.name.clone(),
                plugin: plugin.name.clone(),
                source,
                options,
                objective,
                infeasible,
                inputs: Vec::new(),
                weights: Vec::new(),
                outputs: Vec::new(),
                biomass: None,
                span: name.span,
            });
            // Objective reactions of a network cell are checked now that the cell exists.
            for it in body.iter().flatten() {
                if let CellItemKind::Objective(terms) = &it.kind {
                    for t in terms {
                        self.cell_has_port(ci, &t.flux, true);
                    }
                }
            }
        }
    }

    /// Bound and input lines, whose expressions may use any value.
    pub(in crate::check) fn check_cell_bodies(&mut self) {
        for ci in 0..self.decls.cells.len() {
            let ItemKind::Cell { body, .. } = &self.decls.cells[ci].kind else {
                unreachable!("cells holds cell items");
            };
            let mut seen: HashMap<(&str, Option<ast::BoundOp>), Span> = HashMap::new();
            for it in body.iter().flatten() {
                let (port, op, value) = match &it.kind {
                    CellItemKind::Bound { flux, op, value } => (flux, Some(*op), value),
                    CellItemKind::Input { name, value } => (name, None, value),
                    _ => continue,
                };
                self.cell_has_port(ci, port, true);
                let clash = seen
                    .iter()
                    .find(|((n, o), _)| {
                        *n == port.name
                            && (*o == op
                                || matches!(
                                    (o, op),
                                    (Some(ast::BoundOp::Fixed), Some(_)) | (Some(_), Some(ast::BoundOp::Fixed))
                                ))
                    })
                    .map(|(_, s)| *s);
                if let Some(prev) = clash {
                    self.error(
                        Diagnostic::new(
                            Code::Duplicate,
                            it.span,
                            format!("`{}` is constrained twice", port.name),
                            "constrained again here",
                        )
                        .with_label(prev, "first here")
                        .help("give each reaction at most one lower and one upper bound, or one `=`"),
                    );
                }
                seen.insert((&port.name, op), it.span);
                let typed = self.expr(value, false);
                if op.is_some()
                    && let Ty::Num(d) = typed.ty
                    && d != Dim::FLUX
                    && d != Dim::PER_TIME
                {
                    self.error(
                        Diagnostic::new(Code::UnitMismatch, value.span, format!("a flux bound must be in mmol/gDW/h (1/h for a growth reaction), but this is {d}"), format!("this is {d}"))
                            .help("uptake kinetics give a specific rate: `-vmax * S / (Km + S)` with vmax in [mmol/gDW/h] and S, Km in [mmol/L]"),
                    );
                }
                if typed.cells.contains(&ci) {
                    self.error(
                        Diagnostic::new(
                            Code::Coupling,
                            value.span,
                            format!("an input of cell `{}` depends on its own outputs", self.cells[ci].name),
                            "uses this cell's outputs",
                        )
                        .help("a cell model's inputs must come from the state, time and parameters"),
                    );
                }
                self.cells[ci].inputs.push(CellInput {
                    name: port.name.clone(),
                    name_span: port.span,
                    bound: op.map(BoundOp::from),
                    value: typed.expr,
                    dim: match typed.ty {
                        Ty::Num(d) => Some(d),
                        _ => None,
                    },
                    value_span: value.span,
                    span: it.span,
                });
            }
            self.check_weights(ci, body.as_deref().unwrap_or_default());
        }
    }

    /// `weight R = w` lines: each weighs a rate the cell is given (an
    /// `input`), once, by a positive constant.
    fn check_weights(&mut self, ci: usize, body: &'a [ast::CellItem]) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for it in body {
            let CellItemKind::Weight { name, value } = &it.kind else { continue };
            if let Some(first) = seen.insert(&name.name, it.span) {
                self.error(
                    Diagnostic::new(
                        Code::Duplicate,
                        it.span,
                        format!("`{}` is weighed twice", name.name),
                        "again here",
                    )
                    .with_label(first, "first here")
                    .help("give each rate one weight"),
                );
                continue;
            }
            let given = self.cells[ci].inputs.iter().any(|i| i.bound.is_none() && i.name == name.name);
            if !given {
                let inputs = self.cells[ci].inputs.iter().filter(|i| i.bound.is_none()).map(|i| i.name.as_str());
                let help = crate::diagnostic::suggestion(
                    &name.name,
                    inputs,
                    &format!("give the rate first: `input {} = ...`, then weigh it", name.name),
                );
                self.error(
                    Diagnostic::new(
                        Code::Undefined,
                        name.span,
                        format!("`weight {}` weighs no rate cell `{}` is given", name.name, self.cells[ci].name),
                        "not an `input` of this cell",
                    )
                    .help(help),
                );
                continue;
            }
            let typed = self.expr(value, true);
            if let Ty::Num(d) = typed.ty
                && !d.is_none()
            {
                self.error(
                    Diagnostic::new(
                        Code::UnitMismatch,
                        value.span,
                        format!("a weight is a number, but this is {d}"),
                        format!("this is {d}"),
                    )
                    .help(
                        "weights compare rates of the same unit: write a plain number, e.g. `weight EX_lac__L_e = 0.5`",
                    ),
                );
                continue;
            }
            match typed.value {
                Some(w) if w.is_finite() && w > 0.0 => self.cells[ci].weights.push((name.name.clone(), w)),
                Some(w) => self.error(
                    Diagnostic::new(Code::BadValue, value.span, format!("a weight must be positive, not {w}"), "not positive")
                        .help("a weight says how much a rate counts against the others (1 unless given); to ignore a rate, leave its `input` out"),
                ),
                None => {}
            }
        }
    }
}
