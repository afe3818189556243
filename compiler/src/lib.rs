//! The bioflux compiler: name resolution, dimensional analysis and
//! diagnostics (this crate's `check`), producing a [`CheckedModel`]; lowering
//! to IR and cranelift code generation come with the simulator.

mod check;
pub mod diagnostic;
pub mod eval;
pub mod model;
pub mod units;

pub use check::Ty;
pub use diagnostic::{Code, Diagnostic};
pub use model::CheckedModel;

use bioflux_grammar::ast::Span;
use miette::NamedSource;
use std::sync::Arc;

/// Parses and checks `source`; every diagnostic carries the named source,
/// so it renders with the offending line.
pub fn check_source(name: &str, source: &str) -> Result<CheckedModel, Vec<Diagnostic>> {
    let named = Arc::new(NamedSource::new(name, source.to_string()));
    let attach = |ds: Vec<Diagnostic>| ds.into_iter().map(|d| d.with_source(named.clone())).collect();
    let ast = bioflux_grammar::parse(source).map_err(|e| attach(vec![syntax_diagnostic(&e)]))?;
    check::check_model(&ast).map_err(attach)
}

/// Parses `source` only, as a diagnostic on failure.
pub fn parse_source(name: &str, source: &str) -> Result<bioflux_grammar::ast::Model, Box<Diagnostic>> {
    bioflux_grammar::parse(source)
        .map_err(|e| Box::new(syntax_diagnostic(&e).with_source(Arc::new(NamedSource::new(name, source.to_string())))))
}

fn syntax_diagnostic(e: &bioflux_grammar::SyntaxError) -> Diagnostic {
    Diagnostic::new(
        Code::Syntax,
        Span::new(e.span.start, e.span.end),
        format!("syntax error: {}", e.message),
        e.message.clone(),
    )
    .help("see docs/language.md for the syntax of each statement")
}
