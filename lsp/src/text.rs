//! Positions as the protocol counts them (line, and UTF-16 code units on
//! the line) to byte offsets into the text and back, and edits applied.

use bioflux_grammar::ast::Span;
use lsp_types::{Position, Range};

/// Where each line of a text starts, for converting positions.
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// The index of `text`.
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The byte offset of `pos` in `text`: a character past the end of its
    /// line is the line's end, a line past the end is the text's end, and
    /// a position inside a character that takes two UTF-16 units is that
    /// character's start.
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self.starts.get(pos.line as usize + 1).map_or(text.len(), |&next| next - 1);
        let line = &text[start..end.max(start)];
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut units = 0u32;
        for (i, c) in line.char_indices() {
            if units >= pos.character {
                return start + i;
            }
            units += c.len_utf16() as u32;
            if units > pos.character {
                return start + i;
            }
        }
        start + line.len()
    }

    /// The position of byte offset `at` (clamped to the text).
    pub fn position(&self, text: &str, at: usize) -> Position {
        let mut at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= at) - 1;
        let character = text[self.starts[line]..at].encode_utf16().count();
        Position { line: line as u32, character: character as u32 }
    }

    /// The range of a span.
    pub fn range(&self, text: &str, span: Span) -> Range {
        Range { start: self.position(text, span.start), end: self.position(text, span.end) }
    }
}

/// `text` with `range` (or all of it, when `None`) replaced by `new_text`,
/// as a `didChange` describes it.
pub fn apply_change(text: &mut String, range: Option<Range>, new_text: &str) {
    match range {
        None => *text = new_text.to_string(),
        Some(range) => {
            let index = LineIndex::new(text);
            let start = index.offset(text, range.start);
            let end = index.offset(text, range.end).max(start);
            text.replace_range(start..end, new_text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn utf16_columns_after_wide_characters() {
        // µ and · are one UTF-16 unit and two bytes; 𝜇 is two units and four bytes.
        let text = "param µ·x = 1\nlet 𝜇y = 2\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(index.position(text, x), pos(0, 8));
        assert_eq!(index.offset(text, pos(0, 8)), x);
        let y = text.find('y').unwrap();
        assert_eq!(index.position(text, y), pos(1, 6));
        assert_eq!(index.offset(text, pos(1, 6)), y);
        // Inside the surrogate pair: the character's start.
        assert_eq!(index.offset(text, pos(1, 5)), text.find('𝜇').unwrap());
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, pos(0, 99)), 2);
        assert_eq!(index.offset(text, pos(9, 0)), text.len());
        assert_eq!(index.position(text, 99), pos(1, 2));
    }

    #[test]
    fn incremental_changes() {
        let mut text = "model m\nparam a = 1\n".to_string();
        apply_change(&mut text, Some(Range { start: pos(1, 6), end: pos(1, 7) }), "k_µ");
        assert_eq!(text, "model m\nparam k_µ = 1\n");
        apply_change(&mut text, Some(Range { start: pos(2, 0), end: pos(2, 0) }), "let b = k_µ\n");
        assert_eq!(text, "model m\nparam k_µ = 1\nlet b = k_µ\n");
        apply_change(&mut text, None, "model n\n");
        assert_eq!(text, "model n\n");
    }
}
