//! How deeply a file's expressions nest, found by scanning its text before
//! the parser (which, like every pass after it, recurses once per level)
//! sees it: too deep is a syntax error at the place it gets too deep,
//! never a stack overflow. Long flat expressions (a sum of 100,000 terms)
//! are not deep here.

use crate::ast::Span;

/// Levels of nesting an expression may have: brackets, and chains of `^`,
/// `not`, `if` and unary minus (each such operator opens a level that
/// lasts to the end of its operand). Far beyond anything written by hand.
pub const MAX_NESTING: usize = 256;

/// The span of the token at which the text first nests deeper than
/// [`MAX_NESTING`], if it does.
pub fn too_deep(source: &str) -> Option<Span> {
    let bytes = source.as_bytes();
    // Per open bracket (and the top level): the chain of nesting operators
    // since the last operator that ends such a chain at that level, and the
    // `if`s since the last statement keyword or comma (an `if` lasts to
    // the end of its `else` branch, whatever operators come between).
    let mut levels: Vec<Level> = vec![Level::default()];
    let mut depth = 0usize;
    // Whether the token before was an operand (so `-` is binary).
    let mut after_operand = false;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        match c {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += 1;
                }
                i += 1;
                after_operand = true;
                continue;
            }
            b'(' | b'[' | b'{' => {
                levels.push(Level::default());
                depth += 1;
                after_operand = false;
            }
            b')' | b']' | b'}' => {
                if levels.len() > 1 {
                    let level = levels.pop().unwrap_or_default();
                    depth -= 1 + level.chain + level.ifs;
                }
                after_operand = c != b'}';
            }
            b'^' => {
                open(&mut levels, &mut depth, false);
                after_operand = false;
            }
            b'-' if !after_operand => {
                open(&mut levels, &mut depth, false);
            }
            b',' | b';' => {
                close(&mut levels, &mut depth, true);
                after_operand = false;
            }
            // Operators that end a chain at this level.
            b'+' | b'-' | b'*' | b'/' | b'=' | b'<' | b'>' | b'!' | b':' => {
                close(&mut levels, &mut depth, false);
                after_operand = false;
            }
            _ if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c >= 0x80 => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.' || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                match &source[start..i] {
                    "not" => {
                        open(&mut levels, &mut depth, false);
                        after_operand = false;
                    }
                    "if" => {
                        open(&mut levels, &mut depth, true);
                        after_operand = false;
                    }
                    "and" | "or" | "then" | "else" => {
                        close(&mut levels, &mut depth, false);
                        after_operand = false;
                    }
                    word if crate::STATEMENT_KEYWORDS.contains(&word) || ITEM_KEYWORDS.contains(&word) => {
                        close(&mut levels, &mut depth, true);
                        after_operand = false;
                    }
                    _ => after_operand = true,
                }
                if depth > MAX_NESTING {
                    return Some(Span::new(start, i));
                }
                continue;
            }
            _ => {}
        }
        i += 1;
        if depth > MAX_NESTING {
            return Some(Span::new(start, i));
        }
    }
    None
}

/// Keywords that start an item inside a block: they end every chain.
const ITEM_KEYWORDS: &[&str] = &["bound", "input", "inlet", "reaction", "metabolite", "objective", "volume", "feed"];

#[derive(Clone, Copy, Default)]
struct Level {
    /// `^`, `not`, unary minus since the last operator of lower precedence.
    chain: usize,
    /// `if`s since the last statement or comma.
    ifs: usize,
}

fn open(levels: &mut [Level], depth: &mut usize, is_if: bool) {
    if let Some(level) = levels.last_mut() {
        if is_if {
            level.ifs += 1;
        } else {
            level.chain += 1;
        }
        *depth += 1;
    }
}

/// Ends the chain at this level (and its `if`s with `statement`).
fn close(levels: &mut [Level], depth: &mut usize, statement: bool) {
    if let Some(level) = levels.last_mut() {
        *depth -= level.chain;
        level.chain = 0;
        if statement {
            *depth -= level.ifs;
            level.ifs = 0;
        }
    }
}
