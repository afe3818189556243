//! Checks of the statements: species, schedules, cells, the reactor, the
//! couplings of cell outputs into the balances, outputs and settings.

use super::{Checker, NodeInfo, Symbol, Ty};
use crate::diagnostic::{Code, Diagnostic, suggestion};
use crate::model::*;
use crate::units::{Dim, Unit, eval_unit};
use bioflux_grammar::ast::{self, CellItemKind, ExprKind, ItemKind, PluginArg, ReactorItem, Span};
use bioflux_grammar::format::unit_text;
use std::collections::HashMap;

const ROLES: [&str; 3] = ["substrate", "product", "biomass"];
const REACTOR_KINDS: [&str; 4] = ["batch", "fedbatch", "continuous", "chemostat"];
const REACTOR_KEYS: [&str; 4] = ["volume", "feed", "dilution", "outflow"];
const CELL_KEYS: [&str; 1] = ["infeasible"];
const POLICIES: [&str; 3] = ["relax", "stop", "error"];
const SIMULATE_KEYS: [&str; 6] = ["start", "end", "output", "solver", "rtol", "atol"];
const SOLVERS: [&str; 3] = ["bdf", "esdirk34", "tsit45"];
const INTERPOLATIONS: [&str; 2] = ["hold", "linear"];

impl<'a> Checker<'a> {
    /// `key = value` settings of a block by key; unknown and repeated keys
    /// are reported.
    fn settings(
        &mut self,
        settings: impl IntoIterator<Item = &'a ast::Setting>,
        known: &[&str],
        block: &str,
    ) -> HashMap<&'a str, &'a ast::Setting> {
        let mut map: HashMap<&'a str, &'a ast::Setting> = HashMap::new();
        for s in settings {
            let key = s.key.name.as_str();
            if !known.contains(&key) {
                let help =
                    suggestion(key, known.iter().copied(), &format!("a `{block}` block knows: {}", known.join(", ")));
                self.error(
                    Diagnostic::new(
                        Code::UnknownSetting,
                        s.key.span,
                        format!("`{block}` has no setting `{key}`"),
                        "unknown setting",
                    )
                    .help(help),
                );
            } else if let Some(prev) = map.get(key) {
                self.error(
                    Diagnostic::new(Code::Duplicate, s.key.span, format!("`{key}` is set twice"), "set again here")
                        .with_label(prev.key.span, "first set here")
                        .help("remove one of them"),
                );
            } else {
                map.insert(key, s);
            }
        }
        map
    }

    /// A word from a fixed list (`relax`, `bdf`, `substrate`, ...).
    fn keyword(&mut self, id: &ast::Ident, allowed: &[&str], what: &str) -> Option<usize> {
        if let Some(i) = allowed.iter().position(|a| *a == id.name) {
            return Some(i);
        }
        let help = suggestion(&id.name, allowed.iter().copied(), &format!("choose one of: {}", allowed.join(", ")));
        self.error(
            Diagnostic::new(Code::BadValue, id.span, format!("unknown {what} `{}`", id.name), format!("not a {what}"))
                .help(help),
        );
        None
    }

    /// A setting whose value is a bare word: `solver = bdf`.
    fn word_setting(&mut self, s: &'a ast::Setting, allowed: &[&str], what: &str) -> Option<usize> {
        match &s.value.kind {
            ExprKind::Name(id) => self.keyword(id, allowed, what),
            _ => {
                self.error(
                    Diagnostic::new(
                        Code::BadValue,
                        s.value.span,
                        format!("`{}` takes one of: {}", s.key.name, allowed.join(", ")),
                        "not one of them",
                    )
                    .help(format!("for example `{} = {}`", s.key.name, allowed[0])),
                );
                None
            }
        }
    }

    fn species_dim(&self, i: usize) -> Option<Dim> {
        self.species[i].as_ref().map(|s| s.unit.dim)
    }

    // ---- species and schedules (resolved lazily) ----

    pub(super) fn resolve_species(&mut self, i: usize) -> NodeInfo {
        let decl = &self.decls.species[i];
        let (name, initial, unit, role) = (decl.name, decl.initial, decl.unit, decl.role);
        let role = match role {
            None => Role::Other,
            Some(r) => match self.keyword(r, &ROLES, "species role") {
                Some(0) => Role::Substrate,
                Some(1) => Role::Product,
                Some(_) => Role::Biomass,
                None => Role::Other,
            },
        };
        let unknown = NodeInfo { ty: Ty::Error, value: None, index: i };
        let Some(initial) = initial else {
            let unit = unit.map(|u| format!(" [{}]", unit_text(u))).unwrap_or_else(|| " [mmol/L]".into());
            self.error(
                Diagnostic::new(
                    Code::MissingValue,
                    name.span,
                    format!("species `{}` has no initial concentration", name.name),
                    "needs an initial value",
                )
                .help(format!("give it one: `species {} = 0{unit}`", name.name)),
            );
            return unknown;
        };
        let typed = self.constant_expr(initial, "an initial concentration");
        let dim = match typed.ty {
            Ty::Num(d) => d,
            Ty::Bare => {
                self.error(
                    Diagnostic::new(
                        Code::MissingUnit,
                        initial.span,
                        format!("the initial concentration of `{}` has no unit", name.name),
                        "a number without a unit",
                    )
                    .help(format!(
                        "write its unit: `species {} = {} [mmol/L]` (or g/L, gDW/L, ...)",
                        name.name,
                        bioflux_grammar::format::expr(initial)
                    )),
                );
                return unknown;
            }
            _ => return unknown,
        };
        if !dim.is_concentration() {
            self.error(
                Diagnostic::new(
                    Code::UnitMismatch,
                    initial.span,
                    format!("a species is a concentration (mmol/L, g/L, gDW/L, ...), but this is {dim}"),
                    format!("this is {dim}"),
                )
                .help("give the initial concentration, not an amount; the amount is concentration × volume"),
            );
            return unknown;
        }
        if let Some(v) = typed.value
            && v < 0.0
        {
            self.error(
                Diagnostic::new(
                    Code::BadValue,
                    initial.span,
                    format!("the initial concentration of `{}` is negative", name.name),
                    "below zero",
                )
                .help(format!("a concentration is zero or more: `species {} = 0 [...]` for none", name.name)),
            );
        }
        // Output in the unit the user wrote, when they wrote one.
        let (unit, text) = match &initial.kind {
            ExprKind::WithUnit { unit, .. } => (eval_unit(unit).unwrap_or(Unit { dim, factor: 1.0 }), unit_text(unit)),
            _ => (Unit { dim, factor: 1.0 }, dim.to_string()),
        };
        self.species[i] = Some(Species {
            name: name.name.clone(),
            initial: typed.value.unwrap_or(f64::NAN),
            initial_expr: typed.expr,
            unit,
            unit_text: text,
            role,
            span: name.span,
        });
        NodeInfo { ty: Ty::Num(dim), value: None, index: i }
    }

    pub(super) fn resolve_schedule(&mut self, i: usize) -> NodeInfo {
        let item = self.decls.schedules[i];
        let ItemKind::Schedule { name, unit, interpolation, rows } = &item.kind else {
            unreachable!("schedules holds schedule items");
        };
        let unknown = NodeInfo { ty: Ty::Error, value: None, index: i };
        let unit = match unit.as_ref().map(eval_unit) {
            Some(Err((n, s))) => {
                self.unknown_unit(&n, s);
                return unknown;
            }
            Some(Ok(u)) => Some(u),
            None => None,
        };
        let interpolation = match interpolation {
            None => Interpolation::Hold,
            Some(id) => match self.keyword(id, &INTERPOLATIONS, "interpolation") {
                Some(1) => Interpolation::Linear,
                _ => Interpolation::Hold,
            },
        };
        if rows.is_empty() {
            self.error(
                Diagnostic::new(
                    Code::Schedule,
                    name.span,
                    format!("schedule `{}` has no rows", name.name),
                    "empty schedule",
                )
                .help("add rows `time: value`, e.g. `0 [h]: 0` and `5 [h]: 0.02`"),
            );
            return unknown;
        }
        let mut dim = unit.map(|u| u.dim);
        let mut times = Vec::new();
        let mut values = Vec::new();
        let mut last: Option<(f64, Span)> = None;
        for row in rows {
            let t = self.constant_expr(&row.time, "a schedule time");
            self.expect_dim(
                t.ty,
                Dim::TIME,
                row.time.span,
                "a schedule time",
                "write times with a unit, e.g. `5 [h]`; bare numbers are hours",
            );
            let v = self.constant_expr(&row.value, "a schedule value");
            let (vd, mut value) = (v.ty, v.value.unwrap_or(f64::NAN));
            match (vd, unit) {
                (Ty::Bare, Some(u)) => value *= u.factor,
                (Ty::Num(d), _) => match dim {
                    Some(want) if want != d => {
                        self.expect_dim(
                            vd,
                            want,
                            row.value.span,
                            "every value of a schedule",
                            "all rows of a schedule have the unit of the schedule",
                        );
                    }
                    _ => dim = Some(d),
                },
                _ => {}
            }
            let time = t.value.unwrap_or(f64::NAN);
            if let Some((prev, prev_span)) = last
                && time <= prev
            {
                self.error(
                    Diagnostic::new(
                        Code::Schedule,
                        row.time.span,
                        format!("schedule times must increase, but {time} h comes after {prev} h"),
                        "not after the previous row",
                    )
                    .with_label(prev_span, "previous row")
                    .help("list the rows in time order, each at a later time"),
                );
            }
            last = Some((time, row.time.span));
            times.push(time);
            values.push(value);
        }
        let dim = dim.unwrap_or(Dim::NONE);
        self.schedules[i] =
            Some(Schedule { name: name.name.clone(), times, values, interpolation, dim, span: name.span });
        NodeInfo { ty: Ty::Num(dim), value: None, index: i }
    }

    // ---- cells ----

    /// Plugin, source, options, objective and policy: everything about a
    /// cell that expressions do not need.
    pub(super) fn check_cell_headers(&mut self) {
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
                                self.index_of(n, &super::NETWORK).map_or(CellSource::None, CellSource::Network)
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
                                Some(&(Symbol::Param(p), _)) => OptionValue::Param(p),
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
                        objective = terms.iter().map(|t| (t.sense, t.flux.name.clone())).collect();
                    }
                    CellItemKind::Setting(s) => settings.push(s),
                    CellItemKind::Bound { .. } | CellItemKind::Input { .. } => {}
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
                if objective.is_empty() {
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
    pub(super) fn check_cell_bodies(&mut self) {
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
                    bound: op,
                    value: typed.expr,
                    dim: match typed.ty {
                        Ty::Num(d) => Some(d),
                        _ => None,
                    },
                    value_span: value.span,
                    span: it.span,
                });
            }
        }
    }

    // ---- the reactor ----

    pub(super) fn check_reactor(&mut self) {
        let Some(item) = self.ast.items.iter().find(|i| matches!(i.kind, ItemKind::Reactor { .. })) else {
            return;
        };
        let ItemKind::Reactor { kind, items } = &item.kind else { unreachable!() };
        let kind_ = match self.keyword(kind, &REACTOR_KINDS, "reactor kind") {
            Some(0) => ReactorKind::Batch,
            Some(1) => ReactorKind::FedBatch,
            Some(_) => ReactorKind::Continuous,
            None => return,
        };
        let settings = self.settings(
            items.iter().filter_map(|i| match i {
                ReactorItem::Setting(s) => Some(s),
                _ => None,
            }),
            &REACTOR_KEYS,
            "reactor",
        );
        let not_here = |key: &str| -> Option<&'static str> {
            match (kind_, key) {
                (ReactorKind::Batch, "feed" | "dilution" | "outflow" | "inlet") => Some(
                    "a batch reactor has no flows; use `reactor fedbatch` for a feed, or `reactor continuous` for a feed and an outflow",
                ),
                (ReactorKind::FedBatch, "dilution" | "outflow") => {
                    Some("a fed-batch reactor has no outflow; use `reactor continuous`")
                }
                _ => None,
            }
        };
        for (key, s) in &settings {
            if let Some(help) = not_here(key) {
                self.error(
                    Diagnostic::new(
                        Code::Reactor,
                        s.key.span,
                        format!("`{key}` does not apply to a {} reactor", kind.name),
                        "not for this kind of reactor",
                    )
                    .help(help),
                );
            }
        }
        let (volume, volume_expr) = match settings.get("volume") {
            Some(s) => {
                let t = self.constant_expr(&s.value, "the initial volume");
                self.expect_dim(
                    t.ty,
                    Dim::VOLUME,
                    s.value.span,
                    "the volume",
                    "write it with a unit, e.g. `volume = 1 [L]`",
                );
                let v = t.value.unwrap_or(f64::NAN);
                if v <= 0.0 {
                    self.error(
                        Diagnostic::new(
                            Code::BadValue,
                            s.value.span,
                            "the initial volume must be positive",
                            "not positive",
                        )
                        .help("e.g. `volume = 1 [L]`"),
                    );
                }
                (v, t.expr)
            }
            None => {
                self.error(
                    Diagnostic::new(
                        Code::MissingValue,
                        kind.span,
                        "the reactor has no initial volume",
                        "needs `volume = ...`",
                    )
                    .help("add `volume = 1 [L]` to the reactor block"),
                );
                (f64::NAN, Expr::Const(f64::NAN))
            }
        };
        let flow = |c: &mut Self, key: &str, dim: Dim, example: &str| -> Option<Expr> {
            let s = settings.get(key)?;
            let t = c.expr(&s.value, false);
            c.expect_dim(t.ty, dim, s.value.span, &format!("the {key}"), &format!("for example `{example}`"));
            Some(t.expr)
        };
        let feed = flow(self, "feed", Dim::VOLUME_PER_TIME, "feed = 0.05 [L/h]");
        let dilution = flow(self, "dilution", Dim::PER_TIME, "dilution = 0.1 [1/h]");
        let outflow = flow(self, "outflow", Dim::VOLUME_PER_TIME, "outflow = 0.05 [L/h]");
        match kind_ {
            // Bolus feeding (`add V = ...` in an event) is feeding too.
            ReactorKind::FedBatch if feed.is_none() && !super::events::adds_volume(self.ast) => self.error(
                Diagnostic::new(Code::Reactor, kind.span, "a fed-batch reactor needs a feed", "no `feed = ...`")
                    .help("add e.g. `feed = step(5 [h], 0, 0.02) [L/h]`, feed by boluses (`at 24 [h] every 24 [h] { add V = 0.05 [L] ... }`), or make it `reactor batch`"),
            ),
            ReactorKind::Continuous if feed.is_some() == dilution.is_some() => {
                let (msg, label) = if feed.is_some() {
                    ("give a continuous reactor a feed or a dilution rate, not both", "both given")
                } else {
                    ("a continuous reactor needs a feed or a dilution rate", "no `feed` or `dilution`")
                };
                self.error(Diagnostic::new(Code::Reactor, kind.span, msg, label).help("`dilution = 0.1 [1/h]` (inflow = outflow = D·V), or `feed = 0.1 [L/h]` (outflow = feed unless `outflow` is given)"));
            }
            _ => {}
        }
        let inflow = feed.or(dilution.map(|d| Expr::Binary(ast::BinOp::Mul, Box::new(d), Box::new(Expr::Volume))));
        let outflow = match kind_ {
            ReactorKind::Continuous => outflow.or_else(|| inflow.clone()),
            _ => None,
        };
        let mut inlets: Vec<(usize, Expr)> = Vec::new();
        let mut inlet_spans: HashMap<usize, Span> = HashMap::new();
        for it in items {
            let ReactorItem::Inlet { species, value, span } = it else {
                continue;
            };
            if let Some(help) = not_here("inlet") {
                self.error(
                    Diagnostic::new(Code::Reactor, *span, "a batch reactor has no inlet", "no feed to carry it")
                        .help(help),
                );
                continue;
            }
            let Some(si) = self.index_of(species, &super::SPECIES) else {
                continue;
            };
            let t = self.expr(value, false);
            if let Some(d) = self.species_dim(si) {
                self.expect_dim(
                    t.ty,
                    d,
                    value.span,
                    &format!("the inlet concentration of `{}`", species.name),
                    "an inlet concentration has the unit of the species",
                );
            }
            if let Some(prev) = inlet_spans.insert(si, *span) {
                self.error(
                    Diagnostic::new(
                        Code::Duplicate,
                        *span,
                        format!("two inlet concentrations for `{}`", species.name),
                        "second inlet",
                    )
                    .with_label(prev, "first inlet")
                    .help("keep one"),
                );
                continue;
            }
            inlets.push((si, t.expr));
        }
        self.reactor = Some(Reactor { volume_expr, kind: kind_, volume, inflow, outflow, inlets });
    }

    // ---- couplings ----

    /// Where `expr` is one cell output as a whole (or its negation), the
    /// plugin host checks that output's declared unit against `dim`.
    fn expect_port_dim(&mut self, expr: &Expr, dim: Dim, span: Span, role: String) {
        let whole = match expr {
            Expr::Neg(inner) => inner.as_ref(),
            other => other,
        };
        if let Expr::CellOutput { cell, output } = whole {
            self.cells[*cell].outputs[*output].expects.push(crate::model::Expectation { span, dim, role });
        }
    }

    pub(super) fn check_couplings(&mut self) {
        // Growth lines first: they say which biomass each cell is, which
        // the exchange lines need.
        let mut growth_spans: HashMap<usize, Span> = HashMap::new();
        for item in &self.ast.items {
            let ItemKind::Growth { species, value } = &item.kind else {
                continue;
            };
            let Some(si) = self.index_of(species, &super::SPECIES) else {
                continue;
            };
            let t = self.expr(value, false);
            if let Some(s) = &self.species[si]
                && s.role != Role::Biomass
            {
                self.error(
                    Diagnostic::new(
                        Code::Coupling,
                        species.span,
                        format!("`{}` is not a biomass species", species.name),
                        "not declared `: biomass`",
                    )
                    .help(format!("growth applies to biomass: `species {} = 0.1 [gDW/L] : biomass`", species.name)),
                );
            }
            self.expect_dim(
                t.ty,
                Dim::PER_TIME,
                value.span,
                "a specific growth rate",
                "growth rates are in 1/h, e.g. `mu_max * S / (Ks + S)` with mu_max in [1/h]",
            );
            self.expect_port_dim(&t.expr, Dim::PER_TIME, value.span, "a specific growth rate".into());
            if let Some(prev) = growth_spans.insert(si, item.span) {
                self.error(
                    Diagnostic::new(
                        Code::Duplicate,
                        item.span,
                        format!("two growth rates for `{}`", species.name),
                        "second growth rate",
                    )
                    .with_label(prev, "first growth rate")
                    .help("a biomass species has one growth rate"),
                );
                continue;
            }
            if t.cells.len() > 1 {
                self.error(
                    Diagnostic::new(
                        Code::Coupling,
                        value.span,
                        "a growth rate can come from one cell model only",
                        "uses several cell models",
                    )
                    .help("give each cell model its own biomass species (a co-culture)"),
                );
            }
            for &c in &t.cells {
                match self.cells[c].biomass {
                    Some(other) if other != si => {
                        let other_name = self.decls.species[other].name.name.clone();
                        self.error(
                            Diagnostic::new(
                                Code::Coupling,
                                value.span,
                                format!("cell `{}` already drives the growth of `{other_name}`", self.cells[c].name),
                                "second biomass for this cell",
                            )
                            .help("one cell model, one biomass: declare a second cell for a second organism"),
                        );
                    }
                    _ => self.cells[c].biomass = Some(si),
                }
            }
            self.balances[si].growth = Some(t.expr);
        }

        let mut exchange_spans: HashMap<(usize, usize), Span> = HashMap::new();
        let mut rate_spans: HashMap<usize, Span> = HashMap::new();
        for item in &self.ast.items {
            match &item.kind {
                ItemKind::Exchange { species, value } => {
                    let Some(si) = self.index_of(species, &super::SPECIES) else {
                        continue;
                    };
                    let t = self.expr(value, false);
                    let c = match t.cells.as_slice() {
                        [c] => *c,
                        _ if t.ty == Ty::Error && t.cells.is_empty() => continue,
                        _ => {
                            self.error(
                                Diagnostic::new(
                                    Code::Coupling,
                                    value.span,
                                    "an exchange must use the fluxes of exactly one cell model",
                                    "not a cell model's flux",
                                )
                                .help(format!(
                                    "`exchange {} = ecoli.EX_glc__D_e`; a kinetic rate is written `rate {} = -q * X`",
                                    species.name, species.name
                                )),
                            );
                            continue;
                        }
                    };
                    let Some(bi) = self.cells[c].biomass else {
                        self.error(
                            Diagnostic::new(Code::Coupling, value.span, format!("cell `{}` has no biomass to scale this flux by", self.cells[c].name), "whose biomass?")
                                .help(format!("add `growth biomass = {}.Biomass` (its growth reaction) so the flux is multiplied by that biomass", self.cells[c].name)),
                        );
                        continue;
                    };
                    if let (Some(sd), Some(bd)) = (self.species_dim(si), self.species_dim(bi)) {
                        let want = sd / bd / Dim::TIME;
                        self.expect_dim(
                            t.ty,
                            want,
                            value.span,
                            &format!("an exchange flux of `{}`", species.name),
                            "an exchange flux is per unit of biomass and time, e.g. mmol/gDW/h",
                        );
                        self.expect_port_dim(
                            &t.expr,
                            want,
                            value.span,
                            format!("an exchange flux of `{}`", species.name),
                        );
                    }
                    if let Some(prev) = exchange_spans.insert((si, c), item.span) {
                        self.error(
                            Diagnostic::new(
                                Code::Duplicate,
                                item.span,
                                format!("two exchanges of `{}` with cell `{}`", species.name, self.cells[c].name),
                                "second exchange",
                            )
                            .with_label(prev, "first exchange")
                            .help("combine them in one expression"),
                        );
                        continue;
                    }
                    self.balances[si].exchanges.push((c, t.expr));
                }
                ItemKind::Rate { species, value } => {
                    let Some(si) = self.index_of(species, &super::SPECIES) else {
                        continue;
                    };
                    let t = self.expr(value, false);
                    if let Some(sd) = self.species_dim(si) {
                        self.expect_dim(
                            t.ty,
                            sd / Dim::TIME,
                            value.span,
                            &format!("the rate of `{}`", species.name),
                            "a rate is a concentration per time, e.g. `-q * X` with q in [mmol/gDW/h] and X in [gDW/L]",
                        );
                    }
                    if let Some(prev) = rate_spans.insert(si, item.span) {
                        self.error(
                            Diagnostic::new(
                                Code::Duplicate,
                                item.span,
                                format!("two rates for `{}`", species.name),
                                "second rate",
                            )
                            .with_label(prev, "first rate")
                            .help("add the terms in one `rate` line"),
                        );
                        continue;
                    }
                    self.balances[si].rate = Some(t.expr);
                }
                _ => {}
            }
        }
    }

    // ---- outputs and settings ----

    pub(super) fn check_outputs(&mut self) {
        let mut seen: HashMap<String, Span> = HashMap::new();
        for item in &self.ast.items {
            let ItemKind::Output { names } = &item.kind else {
                continue;
            };
            for n in names {
                let (name, value) = match n {
                    ast::OutputRef::Name(id) => {
                        let value = match self.symbols.get(id.name.as_str()).map(|s| s.0) {
                            Some(Symbol::Let(i)) => OutputValue::Let(self.resolve(super::Node::Let(i), id.span).index),
                            Some(Symbol::Param(i)) => OutputValue::Param(i),
                            Some(Symbol::Species(i)) => OutputValue::Species(i),
                            Some(sym) => {
                                self.error(
                                    Diagnostic::new(
                                        Code::Type,
                                        id.span,
                                        format!("`{}` is {}, which has no value to output", id.name, sym.describe()),
                                        "not a value",
                                    )
                                    .help("output lets, species, parameters and cell outputs (`ecoli.EX_ac_e`)"),
                                );
                                continue;
                            }
                            None => {
                                let help = suggestion(
                                    &id.name,
                                    self.value_names(),
                                    "output lets, species, parameters and cell outputs",
                                );
                                self.error(
                                    Diagnostic::new(
                                        Code::Undefined,
                                        id.span,
                                        format!("`{}` is not defined", id.name),
                                        "not defined in this model",
                                    )
                                    .help(help),
                                );
                                continue;
                            }
                        };
                        (id.name.clone(), value)
                    }
                    ast::OutputRef::CellOutput { cell, output } => {
                        let t = self.cell_output(cell, output);
                        let Expr::CellOutput { cell: c, output: o } = t.expr else {
                            continue;
                        };
                        (format!("{}.{}", cell.name, output.name), OutputValue::CellOutput { cell: c, output: o })
                    }
                };
                if let Some(prev) = seen.insert(name.clone(), n.span()) {
                    self.error(
                        Diagnostic::new(Code::Duplicate, n.span(), format!("`{name}` is output twice"), "listed again")
                            .with_label(prev, "first listed here")
                            .help("list each output once"),
                    );
                    continue;
                }
                self.outputs.push(Output { name, value });
            }
        }
    }

    pub(super) fn check_simulate(&mut self) {
        let Some(item) = self.ast.items.iter().find(|i| matches!(i.kind, ItemKind::Simulate { .. })) else {
            return;
        };
        let ItemKind::Simulate { settings } = &item.kind else { unreachable!() };
        let map = self.settings(settings, &SIMULATE_KEYS, "simulate");
        let time = |c: &mut Self, key: &str| -> Option<(f64, Span)> {
            let s = map.get(key)?;
            let t = c.constant_expr(&s.value, &format!("`{key}`"));
            c.expect_dim(
                t.ty,
                Dim::TIME,
                s.value.span,
                &format!("`{key}`"),
                "times are written with a unit, e.g. `15 [h]`; bare numbers are hours",
            );
            t.value.map(|v| (v, s.value.span))
        };
        let start = time(self, "start");
        let end = time(self, "end");
        let output = time(self, "output");
        if let (Some((s, _)), Some((e, span))) = (start, end)
            && e <= s
        {
            self.error(
                Diagnostic::new(Code::BadValue, span, "`end` must come after `start`", "not after start")
                    .help("the simulation runs from `start` (default 0 h) to `end`"),
            );
        }
        if let Some((o, span)) = output
            && o <= 0.0
        {
            self.error(
                Diagnostic::new(Code::BadValue, span, "the output interval must be positive", "not positive")
                    .help("e.g. `output = 0.1 [h]`"),
            );
        }
        for key in ["rtol", "atol"] {
            let Some(s) = map.get(key) else { continue };
            let t = self.constant_expr(&s.value, &format!("`{key}`"));
            self.expect_dim(
                t.ty,
                Dim::NONE,
                s.value.span,
                &format!("`{key}`"),
                "tolerances are plain numbers, e.g. `rtol = 1e-6`",
            );
            match t.value {
                Some(v) if v > 0.0 => {
                    if key == "rtol" {
                        self.simulate.rtol = v;
                    } else {
                        self.simulate.atol = v;
                    }
                }
                Some(_) => self.error(
                    Diagnostic::new(Code::BadValue, s.value.span, format!("`{key}` must be positive"), "not positive")
                        .help("e.g. `rtol = 1e-6`"),
                ),
                None => {}
            }
        }
        if let Some(s) = map.get("solver") {
            self.simulate.solver = match self.word_setting(s, &SOLVERS, "solver") {
                Some(1) => Solver::Esdirk34,
                Some(2) => Solver::Tsit45,
                _ => Solver::Bdf,
            };
        }
        self.simulate.start = start.map_or(0.0, |s| s.0);
        self.simulate.end = end.map(|e| e.0);
        self.simulate.output_interval = output.map(|o| o.0);
    }
}
