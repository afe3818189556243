#![warn(missing_docs)]
//! The `.bio` language: a pest grammar, an AST whose nodes keep their source
//! spans, the parser from text to AST, and the canonical formatter.

pub mod ast;
mod comments;
pub mod format;
pub mod incremental;
mod nesting;
mod parse;
mod recover;
mod shift;

pub use format::{format_model, format_source};
pub use nesting::MAX_NESTING;
pub use parse::{A_STATEMENT, STATEMENT_KEYWORDS, SyntaxError, SyntaxErrorKind, parse, parse_expr, syntax_errors};
pub use recover::parse_recovering;
