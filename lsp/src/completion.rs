//! Completion from the text before the cursor: statement keywords where a
//! line starts, units inside `[ ]`, a cell's outputs after `cellname.`
//! (for an LP cell, the reaction ids of its model file), reactions after
//! `bound`, and otherwise the names in scope and the functions.

use crate::analysis::Analysis;
use crate::symbols::DeclKind;
use crate::words;
use bioflux_compiler::BUILTINS;
use bioflux_compiler::units::unit_names;
use lsp_types::{CompletionItem, CompletionItemKind};

/// What completes the text before byte offset `at`.
pub fn complete(text: &str, analysis: &Analysis, at: usize) -> Vec<CompletionItem> {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..at];
    let word_start = before.len() - before.chars().rev().take_while(|c| is_word(*c)).map(char::len_utf8).sum::<usize>();
    let prefix = &before[..word_start];
    if in_unit(prefix) {
        return unit_names().map(|u| item(u, CompletionItemKind::UNIT, "unit")).collect();
    }
    if let Some(cell) = prefix.strip_suffix('.') {
        let cell_start = cell.len() - cell.chars().rev().take_while(|c| is_word(*c)).map(char::len_utf8).sum::<usize>();
        return cell_ports(analysis, &cell[cell_start..], false);
    }
    let trimmed = prefix.trim_start();
    if trimmed == "bound " || trimmed.starts_with("bound ") && trimmed[6..].trim().is_empty() {
        return match enclosing_cell(text, analysis, at) {
            Some(cell) => cell_ports(analysis, &cell, true),
            None => Vec::new(),
        };
    }
    if trimmed.is_empty() {
        let mut items: Vec<CompletionItem> = words::STATEMENTS
            .iter()
            .chain(words::BLOCK_WORDS.iter().filter(|(w, _)| block_word(w)))
            .map(|(w, d)| item(w, CompletionItemKind::KEYWORD, d))
            .collect();
        // Event actions assign parameters by name: `F = 0.1 [L/h]`.
        items.extend(names(analysis));
        return items;
    }
    let mut items = names(analysis);
    items.extend(words::FUNCTIONS.iter().map(|(w, d)| item(w, CompletionItemKind::FUNCTION, d)));
    items.extend(
        ["if", "then", "else", "and", "or", "not"]
            .map(|w| item(w, CompletionItemKind::KEYWORD, words::describe(w).unwrap_or_default())),
    );
    items
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Words that begin a line inside a block (cells, events, reactors, networks).
fn block_word(w: &str) -> bool {
    ["bound", "input", "weight", "objective", "inlet", "reaction", "metabolite", "add", "sample", "stop"].contains(&w)
}

/// Whether the text before the cursor has an unclosed `[`.
fn in_unit(prefix: &str) -> bool {
    prefix.rfind('[').is_some_and(|open| !prefix[open..].contains(']') && !prefix[open..].contains(','))
        && !prefix.trim_start().starts_with("reaction")
}

fn item(label: &str, kind: CompletionItemKind, detail: &str) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: (!detail.is_empty()).then(|| detail.to_string()),
        ..CompletionItem::default()
    }
}

/// Every declared name and the built-ins.
fn names(analysis: &Analysis) -> Vec<CompletionItem> {
    let mut items: Vec<CompletionItem> = analysis
        .index
        .decls
        .iter()
        .map(|d| {
            let kind = match d.kind {
                DeclKind::Param => CompletionItemKind::CONSTANT,
                DeclKind::Let => CompletionItemKind::VARIABLE,
                DeclKind::Species => CompletionItemKind::FIELD,
                DeclKind::Cell => CompletionItemKind::MODULE,
                DeclKind::Schedule => CompletionItemKind::VALUE,
                DeclKind::Network => CompletionItemKind::STRUCT,
                DeclKind::Function => CompletionItemKind::FUNCTION,
            };
            item(&d.name, kind, d.kind.keyword())
        })
        .collect();
    items.extend(BUILTINS.iter().map(|(b, what)| item(b, CompletionItemKind::VARIABLE, what)));
    items
}

/// A cell's outputs (or, after `bound`, its reactions), with units and equations.
fn cell_ports(analysis: &Analysis, cell: &str, reactions_only: bool) -> Vec<CompletionItem> {
    let Some(info) = analysis.cells.get(cell) else { return Vec::new() };
    // By id once: a genome-scale model has thousands of reactions.
    let reactions: std::collections::HashMap<&str, _> =
        info.reactions.iter().flat_map(|rs| rs.iter()).map(|r| (r.id.as_str(), r)).collect();
    info.description
        .outputs
        .iter()
        .filter(|p| !reactions_only || reactions.contains_key(p.name.as_str()))
        .map(|p| {
            let mut it = item(&p.name, CompletionItemKind::FIELD, &p.unit);
            if let Some(r) = reactions.get(p.name.as_str()) {
                it.detail = Some(format!("{}  [{}]", r.equation, p.unit));
            }
            it
        })
        .collect()
}

/// The cell whose block the cursor is in: from the syntax tree, or, while
/// the block does not parse, the nearest `cell NAME =` line above.
fn enclosing_cell(text: &str, analysis: &Analysis, at: usize) -> Option<String> {
    if let Some(d) = analysis.index.cell_at(at) {
        return Some(analysis.index.decls[d].name.clone());
    }
    text[..at].lines().rev().find_map(|line| {
        let rest = line.trim_start().strip_prefix("cell")?;
        let name: String = rest.trim_start().chars().take_while(|c| is_word(*c)).collect();
        (rest.starts_with(char::is_whitespace) && !name.is_empty()).then_some(name)
    })
}
