//! A file's statements that parse, while others do not: what an editor
//! needs to name, hover and complete in text that is being typed.

use crate::ast::Model;
use crate::comments::scan_comments;
use crate::parse::{SyntaxErrorKind, next_statement_line, parse, starts_statement};

/// Statements blanked before giving up (as many as `syntax_errors` reports).
const MAX_BLANKED: usize = 20;

/// The model with every statement that has a syntax error left out, or
/// `None` when even its `model` line does not parse. A statement is left
/// out by turning its bytes into spaces, so every span of the tree still
/// points into `source`.
pub fn parse_recovering(source: &str) -> Option<Model> {
    let mut text = source.as_bytes().to_vec();
    for _ in 0..=MAX_BLANKED {
        let current = std::str::from_utf8(&text).ok()?;
        let error = match parse(current) {
            Ok(mut model) => {
                model.comments = scan_comments(source);
                return Some(model);
            }
            Err(e) => e,
        };
        if error.kind != SyntaxErrorKind::Unexpected {
            return None;
        }
        let (start, end) = failed_statement(current, error.span.start)?;
        for byte in &mut text[start..end] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
    }
    None
}

/// The byte range of the statement a syntax error at `at` belongs to. An
/// error found at a statement keyword means the statement before it ended
/// early (`let x =` then a new line `param ...`).
fn failed_statement(text: &str, at: usize) -> Option<(usize, usize)> {
    if at < text.len() && at > 0 && starts_statement(&text[at..]) {
        let start = statement_start(text, at - 1)?;
        return (start < at).then_some((start, at));
    }
    let start = statement_start(text, at)?;
    let end = next_statement_line(text, at.min(text.len())).unwrap_or(text.len());
    (start < end).then_some((start, end))
}

/// The start of the last line at or before `pos` that begins a statement.
fn statement_start(text: &str, pos: usize) -> Option<usize> {
    let mut line_end = pos.min(text.len());
    loop {
        let line_start = text[..line_end].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[line_start..];
        let trimmed = line.trim_start();
        if starts_statement(trimmed) {
            return Some(line_start + (line.len() - trimmed.len()));
        }
        if line_start == 0 {
            return None;
        }
        line_end = line_start - 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::ItemKind;

    fn names(m: &Model) -> Vec<String> {
        m.items
            .iter()
            .filter_map(|i| match &i.kind {
                ItemKind::Param { name, .. } | ItemKind::Let { name, .. } | ItemKind::Species { name, .. } => {
                    Some(name.name.clone())
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn statements_around_an_error_are_kept_with_their_spans() {
        let src = "model m\nparam a = 1\nlet µx = a +\nparam b = 2 [h]\nspecies s = = 3\nlet c = b * 2\n";
        let m = parse_recovering(src).unwrap();
        assert_eq!(names(&m), ["a", "b", "c"]);
        let c = m.items.iter().find_map(|i| match &i.kind {
            ItemKind::Let { name, .. } if name.name == "c" => Some(name.span),
            _ => None,
        });
        let c = c.unwrap();
        assert_eq!(&src[c.start..c.end], "c");
    }

    #[test]
    fn a_half_typed_cell_reference_leaves_the_rest() {
        let src = "model m\ncell e = pfba(\"x.xml\")\nlet u = e.\nparam k = 2\n";
        let m = parse_recovering(src).unwrap();
        assert_eq!(names(&m), ["k"]);
        assert_eq!(m.items.len(), 2);
    }

    #[test]
    fn no_model_line_is_nothing() {
        assert!(parse_recovering("param a = 1").is_none());
        assert!(parse_recovering("").is_none());
    }
}
