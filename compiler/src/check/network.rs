//! Inline stoichiometric networks: `network core { reaction ... }`.

use super::{Checker, Ty};
use crate::diagnostic::{Code, Diagnostic, suggestion};
use crate::model::{Network, NetworkReaction};
use crate::units::Dim;
use bioflux_grammar::ast::{self, ItemKind, NetworkItem, Span};
use std::collections::HashMap;

/// Default bounds, as in COBRA models.
const DEFAULT_BOUND: f64 = 1000.0;

impl<'a> Checker<'a> {
    pub(super) fn check_networks(&mut self) {
        for ni in 0..self.decls.networks.len() {
            let item = self.decls.networks[ni];
            let ItemKind::Network { name, items } = &item.kind else {
                unreachable!("networks holds network items");
            };
            let net = self.check_network(name, items, item.span);
            self.networks.push(net);
        }
    }

    fn check_network(&mut self, name: &'a ast::Ident, items: &'a [NetworkItem], span: Span) -> Network {
        let mut net = Network {
            name: name.name.clone(),
            metabolites: Vec::new(),
            formulas: Vec::new(),
            reactions: Vec::new(),
            objective: Vec::new(),
            span,
        };
        let mut metabolites = Metabolites::default();
        let mut declared: HashMap<&str, Span> = HashMap::new();
        let mut reaction_spans: HashMap<&str, Span> = HashMap::new();
        let mut objective: Option<(&'a [ast::ObjectiveTerm], Span)> = None;

        for it in items {
            match it {
                NetworkItem::Metabolite { id, formula, span } => {
                    if let Some(prev) = declared.insert(&id.name, *span) {
                        self.error(
                            Diagnostic::new(
                                Code::Duplicate,
                                id.span,
                                format!("metabolite `{}` is declared twice", id.name),
                                "declared again",
                            )
                            .with_label(prev, "first declared here")
                            .help("declare each metabolite once"),
                        );
                        continue;
                    }
                    let m = metabolites.of(&mut net, &id.name);
                    net.formulas[m] = formula.as_ref().map(|f| f.value.clone());
                }
                NetworkItem::Objective { terms, span } => {
                    if let Some((_, first)) = objective {
                        self.error(
                            Diagnostic::new(Code::Duplicate, *span, "a second `objective`", "second objective")
                                .with_label(first, "first objective")
                                .help("list several objectives in one line, in priority order"),
                        );
                        continue;
                    }
                    objective = Some((terms, *span));
                }
                NetworkItem::Reaction(r) => {
                    if let Some(prev) = reaction_spans.insert(&r.id.name, r.id.span) {
                        self.error(
                            Diagnostic::new(
                                Code::Duplicate,
                                r.id.span,
                                format!("reaction `{}` is defined twice", r.id.name),
                                "defined again",
                            )
                            .with_label(prev, "first defined here")
                            .help("reaction ids are unique within a network"),
                        );
                        continue;
                    }
                    if let Some(reaction) = self.network_reaction(r, &mut metabolites, &mut net) {
                        net.reactions.push(reaction);
                    }
                }
            }
        }
        if let Some((terms, _)) = objective {
            for t in terms {
                if net.reactions.iter().any(|r| r.id == t.flux.name) {
                    net.objective.push((t.sense.map(Into::into), t.flux.name.clone()));
                } else {
                    let help = suggestion(
                        &t.flux.name,
                        net.reactions.iter().map(|r| r.id.as_str()),
                        "the objective must be one of the network's reactions",
                    );
                    self.error(
                        Diagnostic::new(
                            Code::Undefined,
                            t.flux.span,
                            format!("network `{}` has no reaction `{}`", net.name, t.flux.name),
                            "no such reaction",
                        )
                        .help(help),
                    );
                }
            }
        }
        net
    }

    /// One reaction of a network: its stoichiometry (positive coefficients,
    /// each metabolite once) and bounds; `None` where it is not a reaction.
    fn network_reaction(
        &mut self,
        r: &'a ast::Reaction,
        metabolites: &mut Metabolites<'a>,
        net: &mut Network,
    ) -> Option<NetworkReaction> {
        if r.reactants.is_empty() && r.products.is_empty() {
            self.error(
                Diagnostic::new(
                    Code::Network,
                    r.id.span,
                    format!("reaction `{}` has no metabolites", r.id.name),
                    "empty reaction",
                )
                .help("an exchange has one side: `reaction EX_glc: glc_e <-> [-10, 1000]`"),
            );
            return None;
        }
        let mut stoichiometry: Vec<(usize, f64)> = Vec::new();
        for (terms, sign) in [(&r.reactants, -1.0), (&r.products, 1.0)] {
            for t in terms {
                let c = t.coefficient.as_ref().map_or(1.0, |c| c.value);
                if c <= 0.0 || !c.is_finite() {
                    let span = t.coefficient.as_ref().map_or(t.metabolite.span, |c| c.span);
                    self.error(
                        Diagnostic::new(
                            Code::Network,
                            span,
                            "a stoichiometric coefficient must be positive",
                            "not positive",
                        )
                        .help("put the metabolite on the other side of the arrow instead"),
                    );
                    return None;
                }
                let m = metabolites.of(net, &t.metabolite.name);
                match stoichiometry.iter_mut().find(|(i, _)| *i == m) {
                    Some(entry) => entry.1 += sign * c,
                    None => stoichiometry.push((m, sign * c)),
                }
            }
        }
        let (lower, upper) = match &r.bounds {
            None if r.reversible => (-DEFAULT_BOUND, DEFAULT_BOUND),
            None => (0.0, DEFAULT_BOUND),
            Some((lo, hi)) => {
                let (l, h) = (self.flux_bound(lo), self.flux_bound(hi));
                if l > h {
                    self.error(
                        Diagnostic::new(
                            Code::Network,
                            lo.span.join(hi.span),
                            format!("the lower bound {l} is above the upper bound {h}"),
                            "empty range",
                        )
                        .help("write bounds as [lower, upper]"),
                    );
                }
                (l, h)
            }
        };
        Some(NetworkReaction { id: r.id.name.clone(), stoichiometry, lower, upper, span: r.span })
    }

    /// A constant flux bound in mmol/gDW/h (or 1/h for growth).
    fn flux_bound(&mut self, e: &'a ast::Expr) -> f64 {
        let t = self.constant_expr(e, "a flux bound");
        if let Ty::Num(d) = t.ty
            && d != Dim::FLUX
            && d != Dim::PER_TIME
        {
            self.error(
                Diagnostic::new(
                    Code::UnitMismatch,
                    e.span,
                    format!("a flux bound must be in mmol/gDW/h, but this is {d}"),
                    format!("this is {d}"),
                )
                .help("bare numbers in network bounds are read in mmol/gDW/h"),
            );
        }
        t.value.unwrap_or(f64::NAN)
    }
}

/// A network's metabolites by id, added on first mention.
#[derive(Default)]
struct Metabolites<'a> {
    index: HashMap<&'a str, usize>,
}

impl<'a> Metabolites<'a> {
    /// The index of metabolite `id` in `net`, added if new.
    fn of(&mut self, net: &mut Network, id: &'a str) -> usize {
        *self.index.entry(id).or_insert_with(|| {
            net.metabolites.push(id.to_string());
            net.formulas.push(None);
            net.metabolites.len() - 1
        })
    }
}
