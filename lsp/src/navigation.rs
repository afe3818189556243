//! Go to definition, find references and rename, over the symbol index.

use crate::analysis::Analysis;
use crate::symbols::{Reference, Target};
use crate::words;
use bioflux_compiler::BUILTINS;
use bioflux_compiler::model::CellSource;
use bioflux_grammar::STATEMENT_KEYWORDS;
use bioflux_grammar::ast::Span;

/// Where what is under the cursor is declared.
pub fn definition(analysis: &Analysis, at: usize) -> Option<Span> {
    let index = &analysis.index;
    match &index.reference_at(at)?.target {
        Target::Decl(d) => Some(index.decls[*d].name_span),
        Target::CellPort { cell, id } => {
            // A cell on an inline network: the reaction's line.
            let model = analysis.checked.as_ref()?;
            let checked = model.cells.iter().find(|c| c.name == index.decls[*cell].name)?;
            let CellSource::Network(n) = checked.source else { return None };
            let network = index.lookup(&model.networks[n].name)?;
            index.network_reactions.iter().find(|(net, r, _)| *net == network && r == id).map(|(_, _, span)| *span)
        }
        _ => None,
    }
}

/// Every place that names what is under the cursor.
pub fn references(analysis: &Analysis, at: usize, include_declaration: bool) -> Vec<Span> {
    let index = &analysis.index;
    let Some(here) = index.reference_at(at) else { return Vec::new() };
    let same = |r: &&Reference| match (&here.target, &r.target) {
        (Target::Decl(a), Target::Decl(b)) => a == b,
        (Target::CellPort { cell: a, id: x }, Target::CellPort { cell: b, id: y }) => a == b && x == y,
        _ => false,
    };
    index.refs.iter().filter(same).filter(|r| include_declaration || !r.is_declaration).map(|r| r.span).collect()
}

/// Why a rename is refused.
#[derive(Debug, PartialEq)]
pub enum RenameError {
    /// Not on a parameter, species, let, cell, schedule or network.
    NotRenamable,
    /// The new name is not a name.
    NotAName(String),
    /// The new name is a word of the language.
    Keyword(String),
    /// The new name is declared already.
    Taken(String, &'static str),
}

impl std::fmt::Display for RenameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenameError::NotRenamable => {
                write!(f, "only parameters, species, lets, cells, schedules and networks can be renamed")
            }
            RenameError::NotAName(n) => {
                write!(f, "`{n}` is not a name: a name starts with a letter or `_` and has letters, digits and `_`")
            }
            RenameError::Keyword(n) => write!(f, "`{n}` is a word of the language and cannot be a name"),
            RenameError::Taken(n, kind) => write!(f, "`{n}` is already declared ({kind}): choose another name"),
        }
    }
}

/// The name under the cursor, where it can be renamed.
pub fn prepare_rename(analysis: &Analysis, at: usize) -> Result<Span, RenameError> {
    match analysis.index.reference_at(at) {
        Some(Reference { target: Target::Decl(_), span, .. }) => Ok(*span),
        _ => Err(RenameError::NotRenamable),
    }
}

/// The places to change to rename what is under the cursor to `new_name`.
pub fn rename(analysis: &Analysis, at: usize, new_name: &str) -> Result<Vec<Span>, RenameError> {
    let index = &analysis.index;
    let Some(Reference { target: Target::Decl(d), .. }) = index.reference_at(at) else {
        return Err(RenameError::NotRenamable);
    };
    let mut chars = new_name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(RenameError::NotAName(new_name.to_string()));
    }
    let reserved = ["model", "if", "then", "else", "and", "or", "not", "true", "false"];
    let is_word = STATEMENT_KEYWORDS.contains(&new_name)
        || reserved.contains(&new_name)
        || BUILTINS.iter().any(|(b, _)| *b == new_name)
        || words::function(new_name).is_some();
    if is_word {
        return Err(RenameError::Keyword(new_name.to_string()));
    }
    if let Some(other) = index.lookup(new_name)
        && other != *d
    {
        return Err(RenameError::Taken(new_name.to_string(), index.decls[other].kind.keyword()));
    }
    Ok(index.references_to(*d).map(|r| r.span).collect())
}
