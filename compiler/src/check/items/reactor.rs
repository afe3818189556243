//! The reactor: its kind, volume, feeds, outflow and inlets.

use crate::check::Checker;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::*;
use crate::units::Dim;
use bioflux_grammar::ast::{self, ItemKind, ReactorItem, Span};
use std::collections::HashMap;

const REACTOR_KINDS: [&str; 4] = ["batch", "fedbatch", "continuous", "chemostat"];
const REACTOR_KEYS: [&str; 4] = ["volume", "feed", "dilution", "outflow"];

impl<'a> Checker<'a> {
    pub(in crate::check) fn check_reactor(&mut self) {
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
        for (key, s) in &settings {
            if let Some(help) = not_here(kind_, key) {
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
        let (volume, volume_expr) = self.reactor_volume(settings.get("volume").copied(), kind);
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
            ReactorKind::FedBatch if feed.is_none() && !crate::check::events::adds_volume(self.ast) => self.error(
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
        let inflow = feed.or(dilution.map(|d| Expr::Binary(BinOp::Mul, Box::new(d), Box::new(Expr::Volume))));
        let outflow = match kind_ {
            ReactorKind::Continuous => outflow.or_else(|| inflow.clone()),
            _ => None,
        };
        let inlets = self.reactor_inlets(items, kind_);
        self.reactor = Some(Reactor { volume_expr, kind: kind_, volume, inflow, outflow, inlets });
    }

    /// `volume = ...`: a positive constant volume; its value and expression.
    fn reactor_volume(&mut self, volume: Option<&'a ast::Setting>, kind: &'a ast::Ident) -> (f64, Expr) {
        match volume {
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
        }
    }

    /// `inlet S = ...` lines: each species' concentration in the feed, once.
    fn reactor_inlets(&mut self, items: &'a [ReactorItem], kind: ReactorKind) -> Vec<(SpeciesId, Expr)> {
        let mut inlets: Vec<(SpeciesId, Expr)> = Vec::new();
        let mut inlet_spans: HashMap<usize, Span> = HashMap::new();
        for it in items {
            let ReactorItem::Inlet { species, value, span } = it else {
                continue;
            };
            if let Some(help) = not_here(kind, "inlet") {
                self.error(
                    Diagnostic::new(Code::Reactor, *span, "a batch reactor has no inlet", "no feed to carry it")
                        .help(help),
                );
                continue;
            }
            let Some(si) = self.index_of(species, &crate::check::SPECIES) else {
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
            inlets.push((SpeciesId(si), t.expr));
        }
        inlets
    }
}

/// Why a flow or inlet does not apply to a reactor of `kind`, if it does not.
fn not_here(kind: ReactorKind, key: &str) -> Option<&'static str> {
    match (kind, key) {
        (ReactorKind::Batch, "feed" | "dilution" | "outflow" | "inlet") => Some(
            "a batch reactor has no flows; use `reactor fedbatch` for a feed, or `reactor continuous` for a feed and an outflow",
        ),
        (ReactorKind::FedBatch, "dilution" | "outflow") => {
            Some("a fed-batch reactor has no outflow; use `reactor continuous`")
        }
        _ => None,
    }
}
