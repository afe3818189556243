//! Couplings of cell outputs into the balances (`growth`, `exchange`,
//! `rate`), and the `output` lines.

use crate::check::{Checker, Symbol, Ty};
use crate::diagnostic::{Code, Diagnostic, suggestion};
use crate::model::*;
use crate::units::Dim;
use bioflux_grammar::ast::{self, ItemKind, Span};
use std::collections::HashMap;

impl<'a> Checker<'a> {
    /// Where `expr` is one cell output as a whole (or its negation), the
    /// plugin host checks that output's declared unit against `dim`.
    pub(in crate::check) fn expect_port_dim(&mut self, expr: &Expr, dim: Dim, span: Span, role: String) {
        let whole = match expr {
            Expr::Neg(inner) => inner.as_ref(),
            other => other,
        };
        if let Expr::CellOutput { cell, output } = whole {
            self.cells[cell.index()].outputs[*output].expects.push(crate::model::Expectation { span, dim, role });
        }
    }

    pub(in crate::check) fn check_couplings(&mut self) {
        // Growth lines first: they say which biomass each cell is, which
        // the exchange lines need.
        let mut growth_spans: HashMap<usize, Span> = HashMap::new();
        for item in &self.ast.items {
            if let ItemKind::Growth { species, value } = &item.kind {
                self.check_growth(item.span, species, value, &mut growth_spans);
            }
        }
        let mut exchange_spans: HashMap<(usize, usize), Span> = HashMap::new();
        let mut rate_spans: HashMap<usize, Span> = HashMap::new();
        for item in &self.ast.items {
            match &item.kind {
                ItemKind::Exchange { species, value } => {
                    self.check_exchange(item.span, species, value, &mut exchange_spans)
                }
                ItemKind::Rate { species, value } => self.check_rate(item.span, species, value, &mut rate_spans),
                _ => {}
            }
        }
    }

    /// `growth X = mu`: a specific growth rate of a biomass species, from at
    /// most one cell, which it makes that cell's biomass.
    fn check_growth(
        &mut self,
        span: Span,
        species: &'a ast::Ident,
        value: &'a ast::Expr,
        growth_spans: &mut HashMap<usize, Span>,
    ) {
        let Some(si) = self.index_of(species, &crate::check::SPECIES) else {
            return;
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
        if let Some(prev) = growth_spans.insert(si, span) {
            self.error(
                Diagnostic::new(
                    Code::Duplicate,
                    span,
                    format!("two growth rates for `{}`", species.name),
                    "second growth rate",
                )
                .with_label(prev, "first growth rate")
                .help("a biomass species has one growth rate"),
            );
            return;
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
                Some(other) if other != SpeciesId(si) => {
                    let other_name = self.decls.species[other.index()].name.name.clone();
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
                _ => self.cells[c].biomass = Some(SpeciesId(si)),
            }
        }
        self.balances[si].growth = Some(t.expr);
    }

    /// `exchange S = cell.FLUX`: one cell's flux, per its biomass.
    fn check_exchange(
        &mut self,
        span: Span,
        species: &'a ast::Ident,
        value: &'a ast::Expr,
        exchange_spans: &mut HashMap<(usize, usize), Span>,
    ) {
        let Some(si) = self.index_of(species, &crate::check::SPECIES) else {
            return;
        };
        let t = self.expr(value, false);
        let c = match t.cells.as_slice() {
            [c] => *c,
            _ if t.ty == Ty::Error && t.cells.is_empty() => return,
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
                return;
            }
        };
        let Some(bi) = self.cells[c].biomass else {
            self.error(
                Diagnostic::new(
                    Code::Coupling,
                    value.span,
                    format!("cell `{}` has no biomass to scale this flux by", self.cells[c].name),
                    "whose biomass?",
                )
                .help(format!(
                    "add `growth biomass = {}.Biomass` (its growth reaction) so the flux is multiplied by that biomass",
                    self.cells[c].name
                )),
            );
            return;
        };
        if let (Some(sd), Some(bd)) = (self.species_dim(si), self.species_dim(bi.index())) {
            let want = sd / bd / Dim::TIME;
            self.expect_dim(
                t.ty,
                want,
                value.span,
                &format!("an exchange flux of `{}`", species.name),
                "an exchange flux is per unit of biomass and time, e.g. mmol/gDW/h",
            );
            self.expect_port_dim(&t.expr, want, value.span, format!("an exchange flux of `{}`", species.name));
        }
        if let Some(prev) = exchange_spans.insert((si, c), span) {
            self.error(
                Diagnostic::new(
                    Code::Duplicate,
                    span,
                    format!("two exchanges of `{}` with cell `{}`", species.name, self.cells[c].name),
                    "second exchange",
                )
                .with_label(prev, "first exchange")
                .help("combine them in one expression"),
            );
            return;
        }
        self.balances[si].exchanges.push((CellId(c), t.expr));
    }

    /// `rate S = ...`: a kinetic rate in the species' unit per time.
    fn check_rate(
        &mut self,
        span: Span,
        species: &'a ast::Ident,
        value: &'a ast::Expr,
        rate_spans: &mut HashMap<usize, Span>,
    ) {
        let Some(si) = self.index_of(species, &crate::check::SPECIES) else {
            return;
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
        if let Some(prev) = rate_spans.insert(si, span) {
            self.error(
                Diagnostic::new(Code::Duplicate, span, format!("two rates for `{}`", species.name), "second rate")
                    .with_label(prev, "first rate")
                    .help("add the terms in one `rate` line"),
            );
            return;
        }
        self.balances[si].rate = Some(t.expr);
    }

    pub(in crate::check) fn check_outputs(&mut self) {
        let mut seen: HashMap<String, Span> = HashMap::new();
        for item in &self.ast.items {
            let ItemKind::Output { names } = &item.kind else {
                continue;
            };
            for n in names {
                let (name, value) = match n {
                    ast::OutputRef::Name(id) => {
                        let value = match self.symbols.get(id.name.as_str()).map(|s| s.0) {
                            Some(Symbol::Let(i)) => {
                                OutputValue::Let(self.resolve(crate::check::Node::Let(i), id.span).index)
                            }
                            Some(Symbol::Param(i)) => OutputValue::Param(ParamId(i)),
                            Some(Symbol::Species(i)) => OutputValue::Species(SpeciesId(i)),
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
}
