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
        let at = error.span.start;
        // A line inside a block (a cell's `bound`, an event's action) is
        // left out alone where that lets the statement parse: the line the
        // error is on, or the one before it (pest reports the furthest
        // point it reached, often the line after the mistake).
        let statement_end = next_statement_line(current, at.min(current.len())).unwrap_or(current.len());
        let parses_past = |trial: &[u8]| {
            std::str::from_utf8(trial)
                .ok()
                .is_some_and(|t| parse(t).map_or_else(|e| e.span.start >= statement_end, |_| true))
        };
        let lines = block_line(current, at).into_iter().chain(block_line(current, line_before(current, at)));
        let mut fixed = None;
        for (start, end) in lines {
            let mut trial = text.clone();
            blank(&mut trial, start, end);
            if parses_past(&trial) {
                fixed = Some(trial);
                break;
            }
        }
        if let Some(trial) = fixed {
            text = trial;
            continue;
        }
        let (start, end) = failed_statement(current, at)?;
        blank(&mut text, start, end);
    }
    None
}

/// Spaces for every byte of `text[start..end]` but newlines.
fn blank(text: &mut [u8], start: usize, end: usize) {
    for byte in &mut text[start..end] {
        if *byte != b'\n' {
            *byte = b' ';
        }
    }
}

/// The start of the line before `at`'s (or `at` on the first line).
fn line_before(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    text[..at].rfind('\n').map_or(at, |i| text[..i].rfind('\n').map_or(0, |j| j + 1))
}

/// The line of byte offset `at`, where it is not a statement's first line.
fn block_line(text: &str, at: usize) -> Option<(usize, usize)> {
    let at = at.min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = text[start..end].trim_start();
    let first = statement_start(text, at)?;
    (first < start && !starts_statement(line) && !line.starts_with('}') && start < end).then_some((start, end))
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
    fn a_broken_line_in_a_block_leaves_its_block() {
        let src = "model m\ncell e = pfba(\"x.xml\") {\n    bound \n    bound R >= 1\n}\nparam k = 2\n";
        let m = parse_recovering(src).unwrap();
        assert_eq!(m.items.len(), 2, "{m:?}");
        assert!(matches!(&m.items[0].kind, ItemKind::Cell { body: Some(b), .. } if b.len() == 1));
    }

    #[test]
    fn wide_characters_before_a_broken_line() {
        let src = "model m\ncell e = pfba(\"x.xml\") {\n    bound µ\n    bound R >= 1 µ\n}\nparam k = 2\n";
        let m = parse_recovering(src).unwrap();
        assert!(m.items.iter().any(|i| matches!(&i.kind, ItemKind::Param { .. })));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 500, failure_persistence: None, ..Default::default() })]
        /// Any text after a `model` line: no panic, and every span of the tree
        /// lies on character boundaries of the text.
        #[test]
        fn any_text_recovers_without_panic(body in "(param|let|cell|bound|species|[ a-z0-9µ·𝜇=+*/(){}\\[\\]\n.:\"])*") {
            let src = format!("model m\n{body}");
            if let Some(m) = parse_recovering(&src) {
                for item in &m.items {
                    proptest::prop_assert!(src.is_char_boundary(item.span.start) && src.is_char_boundary(item.span.end));
                }
            }
        }
    }

    #[test]
    fn no_model_line_is_nothing() {
        assert!(parse_recovering("param a = 1").is_none());
        assert!(parse_recovering("").is_none());
    }
}
