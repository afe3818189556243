//! The outline of a document: its declarations, reactor, events and
//! settings, each with its span (document symbols).

use bioflux_grammar::ast::{self, ItemKind, NetworkItem, Span};
use lsp_types::SymbolKind;

/// One entry of the outline.
#[derive(Clone, Debug)]
pub struct OutlineEntry {
    /// What is shown.
    pub name: String,
    /// A word beside it (the statement's kind).
    pub detail: String,
    /// The icon.
    pub kind: SymbolKind,
    /// The whole statement.
    pub span: Span,
    /// What selecting it selects (its name).
    pub selection: Span,
    /// Entries inside it (a network's reactions).
    pub children: Vec<OutlineEntry>,
}

fn entry(name: &str, detail: &str, kind: SymbolKind, span: Span, selection: Span) -> OutlineEntry {
    OutlineEntry { name: name.to_string(), detail: detail.to_string(), kind, span, selection, children: Vec::new() }
}

/// The outline of `model`; `text` gives event headers as written.
pub fn outline(text: &str, model: &ast::Model) -> Vec<OutlineEntry> {
    model
        .items
        .iter()
        .filter_map(|item| {
            let span = item.span;
            Some(match &item.kind {
                ItemKind::Param { name, .. } => entry(&name.name, "param", SymbolKind::CONSTANT, span, name.span),
                ItemKind::Let { name, .. } => entry(&name.name, "let", SymbolKind::VARIABLE, span, name.span),
                ItemKind::Species { name, .. } => entry(&name.name, "species", SymbolKind::FIELD, span, name.span),
                ItemKind::Function { name, .. } => entry(&name.name, "function", SymbolKind::FUNCTION, span, name.span),
                ItemKind::Compartment { name, .. } => {
                    entry(&name.name, "compartment", SymbolKind::CONSTANT, span, name.span)
                }
                ItemKind::Cell { name, plugin, .. } => {
                    entry(&name.name, &format!("cell ({})", plugin.name), SymbolKind::MODULE, span, name.span)
                }
                ItemKind::Schedule { name, .. } => entry(&name.name, "schedule", SymbolKind::ARRAY, span, name.span),
                ItemKind::Network { name, items } => {
                    let mut e = entry(&name.name, "network", SymbolKind::STRUCT, span, name.span);
                    e.children = items
                        .iter()
                        .filter_map(|i| match i {
                            NetworkItem::Reaction(r) => {
                                Some(entry(&r.id.name, "reaction", SymbolKind::FUNCTION, r.span, r.id.span))
                            }
                            _ => None,
                        })
                        .collect();
                    e
                }
                ItemKind::Reactor { kind, .. } => entry("reactor", &kind.name, SymbolKind::OBJECT, span, kind.span),
                ItemKind::Simulate { .. } => entry("simulate", "settings", SymbolKind::PROPERTY, span, span),
                ItemKind::At { .. } | ItemKind::When { .. } => {
                    let header = text[span.start..span.end].split('{').next().unwrap_or("").trim();
                    entry(header, "event", SymbolKind::EVENT, span, span)
                }
                ItemKind::Exchange { .. }
                | ItemKind::Growth { .. }
                | ItemKind::Rate { .. }
                | ItemKind::Output { .. } => {
                    return None;
                }
            })
        })
        .collect()
}
