//! Semantic tokens: each name coloured by what it is (a parameter, a
//! species, a cell's reaction, a built-in), which no grammar can tell.

use crate::analysis::Analysis;
use crate::symbols::{DeclKind, Target};
use crate::text::LineIndex;
use bioflux_grammar::ast::Span;
use lsp_types::{SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokensLegend};

/// The token types, in the order their indices refer to.
const TYPES: [SemanticTokenType; 7] = [
    SemanticTokenType::PARAMETER,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::NAMESPACE,
    SemanticTokenType::TYPE,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::ENUM_MEMBER,
];
const MODIFIERS: [SemanticTokenModifier; 3] =
    [SemanticTokenModifier::DECLARATION, SemanticTokenModifier::READONLY, SemanticTokenModifier::DEFAULT_LIBRARY];

/// What the server announces.
pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend { token_types: TYPES.to_vec(), token_modifiers: MODIFIERS.to_vec() }
}

/// The document's tokens, delta-encoded as the protocol wants them.
pub fn tokens(text: &str, lines: &LineIndex, analysis: &Analysis) -> Vec<SemanticToken> {
    let index = &analysis.index;
    let mut raw: Vec<(Span, u32, u32)> = index
        .refs
        .iter()
        .map(|r| {
            let declaration = u32::from(r.is_declaration);
            let (kind, modifiers) = match &r.target {
                Target::Decl(d) => match index.decls[*d].kind {
                    DeclKind::Param => (0, 0b010),
                    DeclKind::Let | DeclKind::Schedule => (1, 0),
                    DeclKind::Species => (2, 0),
                    DeclKind::Cell => (3, 0),
                    DeclKind::Network => (4, 0),
                    DeclKind::Function => (5, 0),
                },
                Target::CellPort { .. } => (6, 0),
                Target::Builtin(..) => (1, 0b100),
                Target::Function(_) => (5, 0b100),
            };
            (r.span, kind, modifiers | declaration)
        })
        .collect();
    raw.sort_by_key(|(s, ..)| s.start);
    let (mut line, mut start) = (0, 0);
    let mut out = Vec::with_capacity(raw.len());
    for (span, kind, modifiers) in raw {
        let (from, to) = (lines.position(text, span.start), lines.position(text, span.end));
        if from.line != to.line || to.character <= from.character {
            continue;
        }
        let delta_line = from.line - line;
        let delta_start = if delta_line == 0 { from.character - start } else { from.character };
        out.push(SemanticToken {
            delta_line,
            delta_start,
            length: to.character - from.character,
            token_type: kind,
            token_modifiers_bitset: modifiers,
        });
        (line, start) = (from.line, from.character);
    }
    out
}
