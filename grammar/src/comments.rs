//! Comments are skipped by the grammar; the formatter needs them back, so
//! this scanner finds them (outside string literals) with their spans.

use crate::ast::{Comment, Span};

pub fn scan_comments(source: &str) -> Vec<Comment> {
    let bytes = source.as_bytes();
    let mut comments = Vec::new();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' | b'\n' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        match (b, bytes.get(i + 1)) {
            (b'"', _) => {
                in_string = true;
                i += 1;
            }
            (b'/', Some(b'/')) => {
                let end = source[i..].find('\n').map_or(source.len(), |n| i + n);
                comments.push(comment(source, i, end));
                i = end;
            }
            (b'/', Some(b'*')) => {
                let end = source[i + 2..].find("*/").map_or(source.len(), |n| i + 2 + n + 2);
                comments.push(comment(source, i, end));
                i = end;
            }
            _ => i += 1,
        }
    }
    comments
}

fn comment(source: &str, start: usize, end: usize) -> Comment {
    let text = source[start..end].trim_end();
    Comment { text: text.to_string(), span: Span::new(start, start + text.len()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_both_kinds_and_skips_strings() {
        let src = "a // one  \nb = \"x // not\" /* two\n lines */ c";
        let texts: Vec<_> = scan_comments(src).into_iter().map(|c| c.text).collect();
        assert_eq!(texts, vec!["// one", "/* two\n lines */"]);
    }
}
