//! One version of a document, analysed: its syntax tree (the statements
//! that parse), the checked model where it checks, the type of every
//! expression, what each name refers to, its problems, and what each cell's
//! plugin offers.

use crate::symbols::SymbolIndex;
use bioflux_api::{CellCatalog, CellDescription, CheckedModel, ReactionSummary};
use bioflux_compiler::{Diagnostic, Ty, check_model_typed, check_source, syntax_diagnostic};
use bioflux_grammar::ast::{self, Span};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// What is known of a text's syntax before it is analysed (from an
/// incremental parse).
pub enum Parsed {
    /// Nothing: parse it.
    Unknown,
    /// It parses, to this tree.
    Clean(ast::Model),
    /// It does not: the statements that parse, and the syntax errors.
    Broken(ast::Model, Vec<bioflux_grammar::SyntaxError>),
}

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// `bioflux check` fails on it.
    Error,
    /// A cell that could not be checked against its plugin (`run` fails).
    Unchecked,
}

/// A problem with its severity.
#[derive(Clone, Debug)]
pub struct Problem {
    /// The checker's diagnostic.
    pub diagnostic: Diagnostic,
    /// How bad.
    pub severity: Severity,
}

/// What a cell's plugin offers: its ports and, where it can say, its
/// reactions with equations and bounds.
#[derive(Clone, Debug)]
pub struct CellInfo {
    /// The plugin's description of the cell.
    pub description: Arc<CellDescription>,
    /// The reactions of its model, where the plugin gives them.
    pub reactions: Option<Arc<Vec<ReactionSummary>>>,
}

impl CellInfo {
    /// The reaction `id`, if the plugin listed it.
    pub fn reaction(&self, id: &str) -> Option<&ReactionSummary> {
        self.reactions.as_ref()?.iter().find(|r| r.id == id)
    }
}

/// A document version, analysed.
pub struct Analysis {
    /// The statements that parse (`None` when not even the `model` line does).
    pub ast: Option<ast::Model>,
    /// Whether the whole text parsed (then `ast` is its full tree, which the
    /// next edit's incremental parse starts from).
    pub parses: bool,
    /// The model, where it checks.
    pub checked: Option<CheckedModel>,
    /// The type of each expression checked, by span.
    pub types: Vec<(Span, Ty)>,
    /// What each name refers to.
    pub index: SymbolIndex,
    /// Every problem `bioflux check` reports, and cells left unchecked.
    pub problems: Vec<Problem>,
    /// Each cell's plugin offer by cell name: from this version where it
    /// checks, else kept from the last version that did (so `ecoli.`
    /// completes while the line is half typed).
    pub cells: HashMap<String, CellInfo>,
}

impl Analysis {
    /// Analyses `text` (a file in `base_dir`); `previous_cells` are the
    /// cells of the last analysis, kept where this one cannot check;
    /// `parsed` is what an incremental parse found.
    pub fn new(
        text: &str,
        base_dir: &Path,
        catalog: &mut CellCatalog,
        previous_cells: &HashMap<String, CellInfo>,
        parsed: Parsed,
    ) -> Analysis {
        let mut problems = Vec::new();
        let parsed = match parsed {
            Parsed::Unknown => bioflux_grammar::parse(text).map_err(|_| None),
            Parsed::Clean(tree) => Ok(tree),
            Parsed::Broken(tree, errors) => Err(Some((tree, errors))),
        };
        let (ast, parses) = match parsed {
            Ok(ast) => (Some(ast), true),
            Err(Some((tree, errors))) => {
                let error = |e: &bioflux_grammar::SyntaxError| syntax_diagnostic(e, text);
                problems.extend(errors.iter().map(|e| Problem { diagnostic: error(e), severity: Severity::Error }));
                (Some(tree), false)
            }
            Err(None) => {
                // All syntax errors, with the CLI's help lines.
                if let Err(diags) = check_source("", text) {
                    problems.extend(diags.into_iter().map(|d| Problem { diagnostic: d, severity: Severity::Error }));
                }
                (bioflux_grammar::parse_recovering(text), false)
            }
        };
        let index = ast.as_ref().map(SymbolIndex::new).unwrap_or_default();
        let (mut checked, mut types) = (None, Vec::new());
        if parses && let Some(ast) = &ast {
            let (outcome, typed) = check_model_typed(ast);
            types = typed;
            match outcome {
                Ok(model) => checked = Some(model),
                Err(diags) => {
                    problems.extend(diags.into_iter().map(|d| Problem { diagnostic: d, severity: Severity::Error }))
                }
            }
        }
        let mut cells = HashMap::new();
        match &checked {
            Some(model) => {
                let found = catalog.check(model, base_dir);
                problems.extend(found.errors.into_iter().map(|d| Problem { diagnostic: d, severity: Severity::Error }));
                problems.extend(
                    found.unchecked.into_iter().map(|d| Problem { diagnostic: d, severity: Severity::Unchecked }),
                );
                for (i, description) in found.cells.into_iter().enumerate() {
                    if let Some(description) = description {
                        let reactions = catalog.reactions(model, i, &description, base_dir);
                        cells.insert(model.cells[i].name.clone(), CellInfo { description, reactions });
                    }
                }
            }
            None => cells = previous_cells.clone(),
        }
        problems.sort_by_key(|p| p.diagnostic.span.start);
        Analysis { ast, parses, checked, types, index, problems, cells }
    }

    /// The full tree of the text, where it parsed (for the next edit).
    pub fn into_tree(self) -> Option<ast::Model> {
        if self.parses { self.ast } else { None }
    }

    /// The type of the smallest checked expression around byte offset `at`.
    pub fn type_at(&self, at: usize) -> Option<(Span, Ty)> {
        self.types.iter().filter(|(s, _)| s.start <= at && at <= s.end).min_by_key(|(s, _)| s.len()).copied()
    }
}
