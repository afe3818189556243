//! Events: `at T [every P] [until T2] { ... }` and `when COND { ... }`, and
//! their actions (`add`, `sample`, `NAME = value`, `stop`).

use super::expr::Ty;
use super::{Checker, SPECIES, Symbol, SymbolKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Action, Delay, Event, Expr, ParamId, ReactorKind, SpeciesId, Trigger};
use crate::units::Dim;
use bioflux_grammar::ast::{self, ActionKind, BinOp, ItemKind, Span};
use bioflux_grammar::format::expr as source_text;

/// The most times an `at ... every` event may repeat in a run (the
/// runtime's limit, `bioflux_runtime::events::MAX_TIME_EVENTS`).
const MAX_OCCURRENCES: f64 = 1e6;

const PARAM: SymbolKind = SymbolKind {
    noun: "parameter",
    pick: |s| if let Symbol::Param(i) = s { Some(i) } else { None },
    wrong_kind_help: "an event sets a `param` or a species' concentration; `add NAME = amount` adds to a species",
    declare_help: "an event sets a parameter declared with `param` (e.g. `param F = 0 [L/h]`) or a species",
};

impl<'a> Checker<'a> {
    pub(super) fn check_events(&mut self) {
        let items = &self.ast.items;
        for item in items {
            let event = match &item.kind {
                ItemKind::At { time, every, until, actions } => {
                    self.at_event(item.span, time, every.as_ref(), until.as_ref(), actions)
                }
                ItemKind::When { condition, from_start, delay, priority, if_still_true, actions } => {
                    let label = format!("when {}", source_text(condition));
                    let delay = delay.as_ref().map(|d| self.delay(d));
                    let priority = priority.as_ref().map(|p| self.priority(p));
                    let trigger =
                        self.condition(condition, from_start.is_some(), delay, priority, if_still_true.is_some());
                    let actions = self.actions(actions);
                    trigger.map(|trigger| Event { trigger, actions, label, span: item.span })
                }
                _ => None,
            };
            self.events.extend(event);
        }
    }

    /// `at T [every P] [until T2] { ... }`; every part is checked (and
    /// reported) even when another is wrong.
    fn at_event(
        &mut self,
        span: Span,
        time: &'a ast::Expr,
        every: Option<&'a ast::Expr>,
        until: Option<&'a ast::Expr>,
        actions: &'a [ast::Action],
    ) -> Option<Event> {
        let mut label = format!("at {}", source_text(time));
        for (word, part) in [("every", every), ("until", until)] {
            if let Some(e) = part {
                label += &format!(" {word} {}", source_text(e));
            }
        }
        let first = self.event_time(time, "an event's time");
        let period = every.map(|e| (self.event_time(e, "an event's period"), e));
        let last = until.map(|u| self.event_time(u, "an event's last time"));
        if let Some((Some((_, value)), e)) = &period {
            self.check_period(*value, first.as_ref().map(|f| f.1), e.span);
        }
        let actions = self.actions(actions);
        let (first, _) = first?;
        let every = match period {
            Some((checked, _)) => Some(checked.filter(|(_, v)| *v > 0.0)?.0),
            None => None,
        };
        let until = match last {
            Some(checked) => Some(checked?.0),
            None => None,
        };
        Some(Event { trigger: Trigger::At { first, every, until }, actions, label, span })
    }

    /// A period is positive and does not repeat the event absurdly often.
    fn check_period(&mut self, period: f64, first: Option<f64>, span: Span) {
        if period <= 0.0 {
            self.error(
                Diagnostic::new(Code::BadValue, span, "the period must be positive", "not positive")
                    .help("write how often the event repeats, e.g. `every 24 [h]`"),
            );
            return;
        }
        let (Some(first), Some(end)) = (first, self.simulate.end) else { return };
        let repeats = (end - first) / period;
        if repeats > MAX_OCCURRENCES {
            self.error(
                Diagnostic::new(
                    Code::BadValue,
                    span,
                    format!("this period repeats the event {repeats:.0} times before the end"),
                    "far too often",
                )
                .help(format!("an event may repeat at most {MAX_OCCURRENCES} times in a run; is the unit right?")),
            );
        }
    }

    /// A time (h) that must be known before the run: numbers and parameters.
    fn event_time(&mut self, e: &'a ast::Expr, what: &str) -> Option<(Expr, f64)> {
        let typed = self.constant_expr(e, what);
        let help = "write the time with a unit, e.g. `24 [h]`; a bare number is read in hours";
        if !self.expect_dim(typed.ty, Dim::TIME, e.span, what, help) || matches!(typed.ty, Ty::Error | Ty::Unknown) {
            return None;
        }
        Some((typed.expr, typed.value?))
    }

    /// A `when` condition: comparisons, joined with and/or/not, that a root
    /// finder can follow (an equality holds only at an instant).
    /// `after DELAY`: a time, which may read the state when the condition
    /// becomes true.
    fn delay(&mut self, d: &'a ast::Delay) -> Delay {
        let typed = self.expr(&d.value, false);
        self.numeric(typed.ty, d.value.span, "an event's delay");
        if !self.unitless {
            self.expect_dim(
                typed.ty,
                Dim::TIME,
                d.value.span,
                "an event's delay",
                "give the delay as a time: `after 30 [min]` (a bare number is hours)",
            );
        }
        if let Some(v) = typed.value
            && (v < 0.0 || v.is_nan())
        {
            self.error(
                Diagnostic::new(Code::BadValue, d.value.span, "an event's delay is negative", "below zero")
                    .help("the actions apply this long after the condition becomes true: `after 0 [h]` or more"),
            );
        }
        Delay { value: typed.expr, trigger_values: d.trigger_values.is_some() }
    }

    /// `priority P`: a number without a unit, which may read the state.
    fn priority(&mut self, p: &'a ast::Expr) -> Expr {
        let typed = self.expr(p, false);
        self.numeric(typed.ty, p.span, "an event's priority");
        if let Ty::Num(d) = typed.ty
            && !d.is_none()
            && !self.unitless
        {
            self.error(
                Diagnostic::new(
                    Code::UnitMismatch,
                    p.span,
                    format!("an event's priority is a number without a unit, but this is {d}"),
                    format!("this is {d}"),
                )
                .help("write a plain number: `priority 2` (the highest applies first)"),
            );
        }
        typed.expr
    }

    fn condition(
        &mut self,
        e: &'a ast::Expr,
        from_start: bool,
        delay: Option<Delay>,
        priority: Option<Expr>,
        if_still_true: bool,
    ) -> Option<Trigger> {
        let typed = self.expr(e, false);
        match typed.ty {
            Ty::Bool => {}
            Ty::Error => return None,
            _ => {
                self.error(
                    Diagnostic::new(Code::Type, e.span, "a `when` condition must be true or false", "this is a number")
                        .help("compare it with something, e.g. `when glucose < 2 [mmol/L]`"),
                );
                return None;
            }
        }
        if let Some(span) = unfollowable(e) {
            self.error(
                Diagnostic::new(
                    Code::Type,
                    span,
                    "a `when` condition is made of `<`, `<=`, `>`, `>=` comparisons joined with `and`, `or`, `not`",
                    "the root finder cannot follow this",
                )
                .help("an equality holds only at an instant and is missed between steps: write `>=` or `<=` (e.g. `when V >= 1.5 [L]`)"),
            );
            return None;
        }
        let inclusive = matches!(typed.expr, Expr::Binary(crate::model::BinOp::Le | crate::model::BinOp::Ge, ..));
        Some(Trigger::When { condition: typed.expr, inclusive, from_start, delay, priority, if_still_true })
    }

    fn actions(&mut self, actions: &'a [ast::Action]) -> Vec<Action> {
        let mut out = Vec::with_capacity(actions.len());
        for a in actions {
            let action = match &a.kind {
                ActionKind::Stop => Some(Action::Stop),
                ActionKind::Sample { volume } => self.sample(volume),
                ActionKind::Add { target, value } => self.add(target, value),
                ActionKind::Set { target, value } => self.set(target, value, a.span),
            };
            out.extend(action);
        }
        out
    }

    fn sample(&mut self, volume: &'a ast::Expr) -> Option<Action> {
        let typed = self.constant_expr(volume, "a sample's volume");
        let help = "a sample is a volume, e.g. `sample 50 [mL]`";
        if !self.expect_dim(typed.ty, Dim::VOLUME, volume.span, "a sample", help) {
            return None;
        }
        let value = typed.value?;
        if value <= 0.0 {
            self.error(
                Diagnostic::new(Code::BadValue, volume.span, "a sample must take a positive volume", "not positive")
                    .help("to add liquid, write `add V = 0.1 [L]`"),
            );
            return None;
        }
        // A vessel whose volume never grows cannot give more than it holds.
        let grows = self.reactor.as_ref().is_some_and(|r| r.kind != ReactorKind::Batch || r.inflow.is_some())
            || adds_volume(self.ast);
        if let Some(r) = &self.reactor
            && !grows
            && value >= r.volume
        {
            self.error(
                Diagnostic::new(
                    Code::BadValue,
                    volume.span,
                    format!("this sample ({value} L) is not less than the whole volume ({} L)", r.volume),
                    "more than the vessel holds",
                )
                .help("nothing adds volume in this model, so the vessel would be empty; take a smaller sample"),
            );
            return None;
        }
        Some(Action::Sample(typed.expr))
    }

    fn add(&mut self, target: &'a ast::Ident, value: &'a ast::Expr) -> Option<Action> {
        let typed = self.constant_expr(value, "an added amount");
        if target.name == "V" {
            let help = "`add V = ...` adds liquid: a volume, e.g. `add V = 0.1 [L]`";
            let fits = self.expect_dim(typed.ty, Dim::VOLUME, value.span, "an added volume", help);
            return fits.then_some(Action::AddVolume(typed.expr));
        }
        let species = self.index_of(target, &SPECIES)?;
        let concentration = self.species[species].as_ref().map(|s| s.unit.dim)?;
        let amount = concentration * Dim::VOLUME;
        if typed.ty == Ty::Num(concentration) {
            self.error(
                Diagnostic::new(
                    Code::UnitMismatch,
                    value.span,
                    format!("`add {}` takes an amount ({amount}), but this is a concentration ({concentration})", target.name),
                    "a concentration",
                )
                .help(format!(
                    "multiply by the volume added with it, e.g. `add {} = 500 [mmol/L] * 0.02 [L]` (and `add V = 0.02 [L]` for the liquid)",
                    target.name
                )),
            );
            return None;
        }
        let help = format!("an amount of `{}` is in {amount}, e.g. `add {} = 10 [mmol]`", target.name, target.name);
        self.expect_dim(typed.ty, amount, value.span, "an added amount", &help).then_some(())?;
        Some(Action::AddAmount { species: SpeciesId(species), amount: typed.expr })
    }

    fn set(&mut self, target: &'a ast::Ident, value: &'a ast::Expr, _span: Span) -> Option<Action> {
        let typed = self.expr(value, false);
        let builtin_help = match target.name.as_str() {
            "V" => Some("the volume changes with `add V = 0.1 [L]` or `sample 50 [mL]`"),
            "t" => Some("time cannot be set"),
            _ => None,
        };
        if let Some(help) = builtin_help {
            self.error(
                Diagnostic::new(
                    Code::Type,
                    target.span,
                    format!("`{}` cannot be set by an event", target.name),
                    "not a parameter",
                )
                .help(help),
            );
            return None;
        }
        if !typed.cells.is_empty() {
            self.error(
                Diagnostic::new(
                    Code::NotConstant,
                    value.span,
                    "an event's new value cannot read a cell model's output",
                    "reads a cell model",
                )
                .help("use parameters, species and time here; a cell's outputs exist only between events"),
            );
            return None;
        }
        if let Some(&(Symbol::Species(species), _)) = self.symbols.get(target.name.as_str()) {
            let dim = self.species_dim(species)?;
            let help = format!(
                "`{}` is a concentration ({dim}); to add an amount write `add {} = 10 [mmol]`",
                target.name, target.name
            );
            self.expect_dim(typed.ty, dim, value.span, &format!("the new concentration of `{}`", target.name), &help)
                .then_some(())?;
            return Some(Action::SetSpecies { species: SpeciesId(species), value: typed.expr });
        }
        let param = self.index_of(target, &PARAM)?;
        let dim = self.params[param].as_ref().map(|p| p.dim)?;
        let help = format!("`{}` is in {dim}", target.name);
        self.expect_dim(typed.ty, dim, value.span, &format!("the new value of `{}`", target.name), &help)
            .then_some(())?;
        Some(Action::SetParam { param: ParamId(param), value: typed.expr })
    }
}

/// Whether an event of the model adds liquid (`add V = ...`).
pub(super) fn adds_volume(model: &ast::Model) -> bool {
    model.items.iter().any(|item| match &item.kind {
        ItemKind::At { actions, .. } | ItemKind::When { actions, .. } => {
            actions.iter().any(|a| matches!(&a.kind, ActionKind::Add { target, .. } if target.name == "V"))
        }
        _ => false,
    })
}

/// The first part of a condition that is not a `<`/`>` comparison or a
/// logical join of such, as written.
fn unfollowable(e: &ast::Expr) -> Option<Span> {
    use ast::ExprKind;
    match &e.kind {
        ExprKind::Binary { op: BinOp::And | BinOp::Or, lhs, rhs } => unfollowable(lhs).or_else(|| unfollowable(rhs)),
        ExprKind::Binary { op: BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, .. } => None,
        ExprKind::Not(a) => unfollowable(a),
        _ => Some(e.span),
    }
}
