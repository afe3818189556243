#![warn(missing_docs)]
//! The bioflux checker: name resolution, dimensional analysis and
//! diagnostics (`check`), producing a [`CheckedModel`]; and lowering to an
//! expression graph ([`ir`]) with its symbolic derivatives. Machine code
//! from that graph is the `bioflux-codegen` crate's (cranelift), so a user
//! that only checks (the fuzzer, an editor) does not build cranelift.
//! [`eval`] answers one-off questions at one point; [`quantity`] reads a
//! number with a unit as the command line and data files write it.

mod check;
pub mod diagnostic;
pub mod eval;
pub mod ir;
pub mod model;
pub mod quantity;
pub mod units;

pub use check::{BUILTINS, ExprTypes, Ty, check_model_typed};
pub use diagnostic::{Code, Diagnostic};
pub use model::CheckedModel;

use bioflux_grammar::STATEMENT_KEYWORDS;
use bioflux_grammar::ast::Span;
use miette::NamedSource;
use std::sync::Arc;

/// Syntax errors reported per file before giving up on it.
pub const MAX_SYNTAX_ERRORS: usize = 20;

/// Parses and checks `source`; every diagnostic carries the named source,
/// so it renders with the offending line.
pub fn check_source(name: &str, source: &str) -> Result<CheckedModel, Vec<Diagnostic>> {
    let named = Arc::new(NamedSource::new(name, source.to_string()));
    let attach = |ds: Vec<Diagnostic>| ds.into_iter().map(|d| d.with_source(named.clone())).collect();
    let ast = bioflux_grammar::parse(source).map_err(|_| {
        let errors = bioflux_grammar::syntax_errors(source, MAX_SYNTAX_ERRORS);
        attach(errors.iter().map(|e| syntax_diagnostic(e, source)).collect())
    })?;
    check::check_model(&ast).map_err(attach)
}

/// Parses `source` only, as a diagnostic on failure.
pub fn parse_source(name: &str, source: &str) -> Result<bioflux_grammar::ast::Model, Box<Diagnostic>> {
    bioflux_grammar::parse(source).map_err(|e| {
        Box::new(syntax_diagnostic(&e, source).with_source(Arc::new(NamedSource::new(name, source.to_string()))))
    })
}

/// A syntax error as a diagnostic, with the help its cause needs.
pub fn syntax_diagnostic(e: &bioflux_grammar::SyntaxError, source: &str) -> Diagnostic {
    let word: String = e.found.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    // A keyword that begins its line starts a statement; one after other
    // text on its line was meant as a name.
    let starts_line = source.get(..e.span.start).is_none_or(|before| {
        let before = before.trim_end_matches([' ', '\t']);
        before.is_empty() || before.ends_with('\n')
    });
    let statement_expected = e.expected.iter().any(|x| x == bioflux_grammar::A_STATEMENT);
    let is_keyword = STATEMENT_KEYWORDS.contains(&word.as_str());
    // One- and two-letter words are close to `at` by accident.
    let near_keyword = if word.len() < 3 { vec![] } else { diagnostic::did_you_mean(&word, STATEMENT_KEYWORDS) };
    let expects = |what: &str| e.expected.iter().any(|x| x == what);
    let help = if e.kind == bioflux_grammar::SyntaxErrorKind::TooDeep {
        "split the expression with `let` names for its parts".to_string()
    } else if expects("`add`") || expects("`sample`") {
        "an event's actions are `add NAME = amount`, `add V = volume`, `sample volume`, `NAME = value` and `stop`"
            .to_string()
    } else if (expects("`every`") || expects("`{`")) && ["add", "sample", "stop"].contains(&word.as_str()) {
        "an event's actions go in braces: `at 24 [h] { add glucose = 10 [mmol] }`".to_string()
    } else if statement_expected && !near_keyword.is_empty() && !is_keyword {
        format!("did you mean `{}`?", near_keyword[0])
    } else if e.kind == bioflux_grammar::SyntaxErrorKind::NoModelLine {
        "a .bio file begins with its name: `model my_process` on the first line".to_string()
    } else if !statement_expected && is_keyword && !starts_line {
        format!(
            "`{word}` is a word of the language and cannot be a name; choose another (e.g. `{word}_1` or `k_{word}`)"
        )
    } else if !statement_expected && is_keyword {
        "a new statement starts here; is a closing `}` or the end of the line above missing?".to_string()
    } else if e.expected.iter().any(|x| x == "an operator") && e.found.starts_with(|c: char| c.is_alphanumeric()) {
        "two values in a row: is an operator (`*`, `+`, ...) or a comma missing?".to_string()
    } else if e.found.is_empty() {
        "the file ends in the middle of a statement; is a `}` or `)` missing?".to_string()
    } else {
        "see docs/language.md for the syntax of each statement".to_string()
    };
    let label = if e.kind == bioflux_grammar::SyntaxErrorKind::TooDeep {
        "too deep here".to_string()
    } else if e.found.is_empty() {
        "the file ends here".to_string()
    } else {
        "unexpected here".to_string()
    };
    Diagnostic::new(Code::Syntax, Span::new(e.span.start, e.span.end), format!("syntax error: {}", e.message), label)
        .help(help)
}
