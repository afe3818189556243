//! Compartments whose size changes: which they are, decided from the text
//! before anything is resolved, since it decides whether a compartment is
//! declared as a parameter (a constant size) or as a `let` (a size computed
//! from the state and time wherever it is read).

use super::expr::Typed;
use super::{Checker, Node};
use crate::diagnostic::{Code, Diagnostic, suggestion};
use crate::model::{Compartment, ParamId};
use crate::units::Dim;
use bioflux_grammar::ast::{self, ExprKind, ItemKind};
use std::collections::HashSet;

/// The names of the compartments whose size reads time, the reactor's
/// volume, a species, a `let`, a schedule, a parameter an event sets, a
/// cell's output, a learned term, another such compartment, or calls a
/// function that does.
pub(super) fn changing(model: &ast::Model) -> HashSet<&str> {
    let mut varying: HashSet<&str> = ["t", "V"].into_iter().collect();
    for item in &model.items {
        match &item.kind {
            ItemKind::Species { name, .. } | ItemKind::Let { name, .. } | ItemKind::Schedule { name, .. } => {
                varying.insert(&name.name);
            }
            // A parameter an event sets changes during the run.
            ItemKind::At { actions, .. } | ItemKind::When { actions, .. } => {
                for action in actions {
                    if let ast::ActionKind::Set { target, .. } = &action.kind {
                        varying.insert(&target.name);
                    }
                }
            }
            _ => {}
        }
    }
    let sizes: Vec<(&str, &ast::Expr)> = model
        .items
        .iter()
        .filter_map(|item| match &item.kind {
            ItemKind::Compartment { name, size: Some(size), .. } => Some((name.name.as_str(), size)),
            _ => None,
        })
        .collect();
    // A function whose body reads such a name varies when called.
    let functions: Vec<(&str, &ast::Expr)> = model
        .items
        .iter()
        .filter_map(|item| match &item.kind {
            ItemKind::Function { name, body, .. } => Some((name.name.as_str(), body)),
            _ => None,
        })
        .collect();
    let mut changing = HashSet::new();
    // A compartment may be sized by another, a function call another:
    // repeat until nothing is added.
    loop {
        let before = varying.len();
        for &(name, body) in &functions {
            if !varying.contains(name) && reads_any(body, &varying) {
                varying.insert(name);
            }
        }
        for &(name, size) in &sizes {
            if !changing.contains(name) && reads_any(size, &varying) {
                changing.insert(name);
                varying.insert(name);
            }
        }
        if varying.len() == before {
            return changing;
        }
    }
}

fn reads_any(e: &ast::Expr, names: &HashSet<&str>) -> bool {
    let mut any = false;
    e.each(&mut |x| {
        any |= match &x.kind {
            ExprKind::Name(n) => names.contains(n.name.as_str()),
            ExprKind::CellOutput { .. } => true,
            ExprKind::Call { func, .. } => func.name == "mlp" || names.contains(func.name.as_str()),
            _ => false,
        }
    });
    any
}

impl<'a> Checker<'a> {
    /// A changing size is a volume and reads no cell output (a cell's
    /// inputs may read the species in the compartment, which would need
    /// the size to compute the cell).
    pub(super) fn check_changing_size(&mut self, name: &ast::Ident, size: &ast::Expr, typed: &Typed) {
        if !typed.cells.is_empty() {
            self.error(
                Diagnostic::new(
                    Code::NotConstant,
                    size.span,
                    format!("the size of compartment `{}` reads a cell model's output", name.name),
                    "reads a cell's output",
                )
                .help("a compartment's size is a constant or an expression of species, lets and `t`"),
            );
        }
        if !self.unitless {
            self.expect_dim(
                typed.ty,
                Dim::VOLUME,
                size.span,
                "a compartment's size",
                "give the size as a volume: `compartment gas = V_gas * 1 [L]`",
            );
        }
    }

    /// The compartment `id` names, or a diagnostic.
    pub(super) fn compartment_of(&mut self, id: &ast::Ident) -> Option<Compartment> {
        let fixed = self.decls.compartments.iter().copied().find(|&p| self.decls.params[p].0.name == id.name);
        if let Some(p) = fixed {
            return Some(Compartment::Fixed(ParamId(p)));
        }
        let changing = self.decls.changing_compartments.iter().copied().find(|&l| self.decls.lets[l].0.name == id.name);
        if let Some(l) = changing {
            // Reading the species reads its compartment's size: resolving it
            // here orders the lets and turns a size that reads a species of
            // its own compartment into a cycle diagnostic.
            let info = self.resolve(Node::Let(l), id.span);
            return (info.index != usize::MAX).then_some(Compartment::Changing(info.index));
        }
        let names: Vec<&str> = self
            .decls
            .compartments
            .iter()
            .map(|&p| self.decls.params[p].0.name.as_str())
            .chain(self.decls.changing_compartments.iter().map(|&l| self.decls.lets[l].0.name.as_str()))
            .collect();
        let what = match self.symbols.get(id.name.as_str()) {
            Some((sym, _)) => format!("`{}` is {}, not a compartment", id.name, sym.describe()),
            None => format!("no compartment named `{}`", id.name),
        };
        let help = suggestion(
            &id.name,
            names,
            "declare it: `compartment cytosol = 2 [L]`; a species without `in` is in the reactor",
        );
        self.error(Diagnostic::new(Code::Undefined, id.span, what, "not a compartment").help(help));
        None
    }
}
