//! What each name in a document is: its declarations, and every place a
//! name is used with what it refers to. Built from the syntax tree (the
//! statements that parse), so it answers while other lines have errors.

use bioflux_compiler::BUILTINS;
use bioflux_compiler::model::Func;
use bioflux_grammar::ast::{
    self, ActionKind, CellItemKind, ExprKind, ItemKind, Literal, NetworkItem, OutputRef, PluginArg, ReactorItem,
    Source, Span,
};
use std::collections::HashMap;

/// What a declared name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeclKind {
    /// `param`.
    Param,
    /// `let`.
    Let,
    /// `species`.
    Species,
    /// `cell`.
    Cell,
    /// `schedule`.
    Schedule,
    /// `network`.
    Network,
    /// `function`.
    Function,
}

impl DeclKind {
    /// The statement's keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            DeclKind::Param => "param",
            DeclKind::Let => "let",
            DeclKind::Species => "species",
            DeclKind::Cell => "cell",
            DeclKind::Schedule => "schedule",
            DeclKind::Network => "network",
            DeclKind::Function => "function",
        }
    }
}

/// A declaration: its name, kind and where.
#[derive(Clone, Debug)]
pub struct Declaration {
    /// The name.
    pub name: String,
    /// What it is.
    pub kind: DeclKind,
    /// The name where declared.
    pub name_span: Span,
    /// The whole statement.
    pub item_span: Span,
}

/// What a use of a name refers to.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A declaration (`SymbolIndex::decls`).
    Decl(usize),
    /// A reaction or output of a cell (the cell's declaration), by id.
    CellPort {
        /// The cell's declaration.
        cell: usize,
        /// The reaction or output id.
        id: String,
    },
    /// `t` or `V`.
    Builtin(&'static str, &'static str),
    /// A function (`exp`, `step`, ..., `mlp`).
    Function(&'static str),
}

/// A name where it appears, and what it refers to.
#[derive(Clone, Debug)]
pub struct Reference {
    /// The name's text span.
    pub span: Span,
    /// What it refers to.
    pub target: Target,
    /// Whether this is the declaration itself.
    pub is_declaration: bool,
}

/// Every declaration and every resolved use of a name in a document.
#[derive(Clone, Debug, Default)]
pub struct SymbolIndex {
    /// Declarations in file order.
    pub decls: Vec<Declaration>,
    /// Uses (and declarations) in file order.
    pub refs: Vec<Reference>,
    /// Unit annotations: the span of the text inside `[ ]` and that text.
    pub units: Vec<Span>,
    /// Reactions of inline networks: (network declaration, id, span of the id).
    pub network_reactions: Vec<(usize, String, Span)>,
    by_name: HashMap<String, usize>,
    /// The parameters of the function whose body is being read: local
    /// names, not the model's.
    locals: Vec<String>,
}

impl SymbolIndex {
    /// The index of a parsed model.
    pub fn new(model: &ast::Model) -> SymbolIndex {
        let mut index = SymbolIndex::default();
        for item in &model.items {
            index.declare(item);
        }
        for item in &model.items {
            index.item(item);
        }
        index.refs.sort_by_key(|r| r.span.start);
        index
    }

    /// The declaration of `name`.
    pub fn lookup(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The reference whose span contains byte offset `at` (its end counts:
    /// a cursor just after a name is on it).
    pub fn reference_at(&self, at: usize) -> Option<&Reference> {
        let i = self.refs.partition_point(|r| r.span.start <= at);
        self.refs[..i].iter().rev().take(4).find(|r| at <= r.span.end)
    }

    /// Every place that refers to declaration `decl`, its declaration first.
    pub fn references_to(&self, decl: usize) -> impl Iterator<Item = &Reference> {
        self.refs.iter().filter(move |r| r.target == Target::Decl(decl))
    }

    /// The cell declaration that encloses byte offset `at`, if any.
    pub fn cell_at(&self, at: usize) -> Option<usize> {
        self.decls.iter().position(|d| d.kind == DeclKind::Cell && d.item_span.start <= at && at <= d.item_span.end)
    }

    fn add_decl(&mut self, name: &ast::Ident, kind: DeclKind, item_span: Span) {
        // The first of duplicates is the one uses go to (the checker reports the rest).
        if self.by_name.contains_key(&name.name) {
            return;
        }
        let i = self.decls.len();
        self.decls.push(Declaration { name: name.name.clone(), kind, name_span: name.span, item_span });
        self.by_name.insert(name.name.clone(), i);
        self.refs.push(Reference { span: name.span, target: Target::Decl(i), is_declaration: true });
    }

    fn declare(&mut self, item: &ast::Item) {
        let (name, kind) = match &item.kind {
            ItemKind::Param { name, .. } | ItemKind::Compartment { name, .. } => (name, DeclKind::Param),
            ItemKind::Let { name, .. } => (name, DeclKind::Let),
            ItemKind::Species { name, .. } => (name, DeclKind::Species),
            ItemKind::Cell { name, .. } => (name, DeclKind::Cell),
            ItemKind::Schedule { name, .. } => (name, DeclKind::Schedule),
            ItemKind::Network { name, .. } => (name, DeclKind::Network),
            ItemKind::Function { name, .. } => (name, DeclKind::Function),
            _ => return,
        };
        self.add_decl(name, kind, item.span);
    }

    /// A use of a name, recorded where it resolves.
    fn name(&mut self, id: &ast::Ident) {
        if self.locals.contains(&id.name) {
            return;
        }
        let target = if let Some(&d) = self.by_name.get(&id.name) {
            Target::Decl(d)
        } else if let Some((b, what)) = BUILTINS.iter().find(|(b, _)| *b == id.name) {
            Target::Builtin(b, what)
        } else {
            return;
        };
        self.refs.push(Reference { span: id.span, target, is_declaration: false });
    }

    fn cell_port(&mut self, cell: &ast::Ident, port: &ast::Ident) {
        self.name(cell);
        if let Some(&c) = self.by_name.get(&cell.name)
            && self.decls[c].kind == DeclKind::Cell
        {
            let target = Target::CellPort { cell: c, id: port.name.clone() };
            self.refs.push(Reference { span: port.span, target, is_declaration: false });
        }
    }

    fn expr(&mut self, e: &ast::Expr) {
        match &e.kind {
            ExprKind::Number(_) | ExprKind::Text(_) => {}
            ExprKind::Name(id) => self.name(id),
            ExprKind::CellOutput { cell, output } => self.cell_port(cell, output),
            ExprKind::WithUnit { expr, unit } => {
                self.expr(expr);
                self.units.push(unit.span);
            }
            ExprKind::Neg(x) | ExprKind::Not(x) => self.expr(x),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::Call { func, args } => {
                let known = Func::all().map(|(n, _)| n).chain(["mlp"]).find(|n| *n == func.name);
                if let Some(n) = known {
                    self.refs.push(Reference { span: func.span, target: Target::Function(n), is_declaration: false });
                } else if let Some(&d) = self.by_name.get(&func.name) {
                    self.refs.push(Reference { span: func.span, target: Target::Decl(d), is_declaration: false });
                }
                args.iter().for_each(|a| self.expr(a));
            }
            ExprKind::List { items, .. } => items.iter().for_each(|a| self.expr(a)),
            ExprKind::If { cond, then, otherwise } => {
                self.expr(cond);
                self.expr(then);
                self.expr(otherwise);
            }
        }
    }

    fn item(&mut self, item: &ast::Item) {
        match &item.kind {
            ItemKind::Param { value, unit, .. } => {
                value.iter().for_each(|v| self.expr(v));
                unit.iter().for_each(|u| self.units.push(u.span));
            }
            ItemKind::Let { value, .. } => self.expr(value),
            ItemKind::Species { initial, unit, compartment, .. } => {
                initial.iter().for_each(|v| self.expr(v));
                unit.iter().for_each(|u| self.units.push(u.span));
                compartment.iter().for_each(|c| self.name(c));
            }
            ItemKind::Function { args, body, .. } => {
                self.locals = args.iter().map(|a| a.name.clone()).collect();
                self.expr(body);
                self.locals.clear();
            }
            ItemKind::Compartment { size, unit, .. } => {
                size.iter().for_each(|v| self.expr(v));
                unit.iter().for_each(|u| self.units.push(u.span));
            }
            ItemKind::Reactor { items, .. } => {
                for r in items {
                    match r {
                        ReactorItem::Setting(s) => self.expr(&s.value),
                        ReactorItem::Inlet { species, value, .. } => {
                            self.name(species);
                            self.expr(value);
                        }
                    }
                }
            }
            ItemKind::Cell { name, args, body, .. } => self.cell(name, args, body.as_deref()),
            ItemKind::Exchange { species, value }
            | ItemKind::Growth { species, value }
            | ItemKind::Rate { species, value } => {
                self.name(species);
                self.expr(value);
            }
            ItemKind::Output { names } => {
                for n in names {
                    match n {
                        OutputRef::Name(id) => self.name(id),
                        OutputRef::CellOutput { cell, output } => self.cell_port(cell, output),
                    }
                }
            }
            ItemKind::Simulate { settings } => settings.iter().for_each(|s| self.expr(&s.value)),
            ItemKind::Network { name, items } => {
                let Some(&network) = self.by_name.get(&name.name) else { return };
                for n in items {
                    match n {
                        NetworkItem::Reaction(r) => {
                            self.network_reactions.push((network, r.id.name.clone(), r.id.span));
                            if let Some((lo, hi)) = &r.bounds {
                                self.expr(lo);
                                self.expr(hi);
                            }
                        }
                        NetworkItem::Metabolite { .. } | NetworkItem::Objective { .. } => {}
                    }
                }
            }
            ItemKind::Schedule { unit, rows, .. } => {
                unit.iter().for_each(|u| self.units.push(u.span));
                for row in rows {
                    self.expr(&row.time);
                    self.expr(&row.value);
                }
            }
            ItemKind::At { time, every, until, actions } => {
                self.expr(time);
                every.iter().chain(until).for_each(|e| self.expr(e));
                self.actions(actions);
            }
            ItemKind::When { condition, delay, priority, actions, .. } => {
                self.expr(condition);
                delay.iter().for_each(|d| self.expr(&d.value));
                priority.iter().for_each(|p| self.expr(p));
                self.actions(actions);
            }
        }
    }

    fn cell(&mut self, name: &ast::Ident, args: &[PluginArg], body: Option<&[ast::CellItem]>) {
        let Some(&cell) = self.by_name.get(&name.name) else { return };
        for a in args {
            match a {
                PluginArg::Source(Source::Network(n)) => self.name(n),
                PluginArg::Named { value: Literal::Ident(id), .. } => self.name(id),
                PluginArg::Named { value: Literal::Quantity(_, unit), .. } => self.units.push(unit.span),
                _ => {}
            }
        }
        let port = |index: &mut SymbolIndex, id: &ast::Ident| {
            let target = Target::CellPort { cell, id: id.name.clone() };
            index.refs.push(Reference { span: id.span, target, is_declaration: false });
        };
        for line in body.unwrap_or_default() {
            match &line.kind {
                CellItemKind::Objective(terms) => terms.iter().for_each(|t| port(self, &t.flux)),
                CellItemKind::Bound { flux, value, .. } => {
                    port(self, flux);
                    self.expr(value);
                }
                CellItemKind::Input { name, value } | CellItemKind::Weight { name, value } => {
                    port(self, name);
                    self.expr(value);
                }
                CellItemKind::Setting(s) => self.expr(&s.value),
            }
        }
    }

    fn actions(&mut self, actions: &[ast::Action]) {
        for a in actions {
            match &a.kind {
                ActionKind::Add { target, value } | ActionKind::Set { target, value } => {
                    self.name(target);
                    self.expr(value);
                }
                ActionKind::Sample { volume } => self.expr(volume),
                ActionKind::Stop => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "model m
param Ks = 0.5 [mmol/L]
species S = 10 [mmol/L] : substrate
let mu = 0.4 [1/h] * S / (Ks + S)
cell e = pfba(\"x.xml\") {
    bound EX_glc >= -10 * S / (Ks + S)
}
at 2 [h] { add S = 1 [mmol] }
output e.Biomass, mu
";

    #[test]
    fn every_use_resolves_to_its_declaration() {
        let index = SymbolIndex::new(&bioflux_grammar::parse(SRC).unwrap());
        let ks = index.lookup("Ks").unwrap();
        let uses: Vec<&str> = index.references_to(ks).map(|r| &SRC[r.span.start..r.span.end]).collect();
        assert_eq!(uses, ["Ks", "Ks", "Ks"]);
        let s = index.lookup("S").unwrap();
        assert_eq!(index.references_to(s).count(), 6);
        let at = SRC.find("EX_glc").unwrap() + 2;
        let port = index.reference_at(at).unwrap();
        assert_eq!(port.target, Target::CellPort { cell: index.lookup("e").unwrap(), id: "EX_glc".into() });
        assert_eq!(index.cell_at(at), index.lookup("e"));
        let bio = SRC.find("Biomass").unwrap();
        assert!(matches!(&index.reference_at(bio).unwrap().target, Target::CellPort { id, .. } if id == "Biomass"));
    }
}
