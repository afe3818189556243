//! Parsing again only what an edit touched: the statements around the
//! change are parsed on their own and put in place of the old ones, the
//! statements after them moved. An editor's check of a 40,000-line model
//! then costs the checker, not the parser.

use crate::ast::{Model, Span};
use crate::comments::scan_comments;
use crate::parse::{SyntaxError, parse, significant_len, syntax_errors};
use crate::recover::parse_recovering;
use crate::shift::Shift;

/// Brings `model`, parsed from `old_text`, up to `new_text` by parsing only
/// the statements the edit between them touched. Returns false, leaving
/// `model` as it was, where that cannot be done (the edit reaches the
/// `model` line, or the touched statements do not parse on their own);
/// then parse the whole text.
pub fn reparse(model: &mut Model, old_text: &str, new_text: &str) -> bool {
    let Some(region) = Region::of(model, old_text, new_text) else { return false };
    let Ok(mut parsed) = parse(&format!("{HEAD}{}", region.text(new_text))) else { return false };
    parsed.items.shift(region.start as isize - HEAD.len() as isize);
    let mut after: Vec<_> = model.items.drain(region.last..).collect();
    after.shift(region.delta);
    model.items.truncate(region.first);
    model.items.extend(parsed.items);
    model.items.extend(after);
    finish(model, new_text);
    true
}

/// For `new_text` that does not parse, from `model`, the last tree that
/// did (of `old_text`): the tree of the statements that parse (as
/// `parse_recovering` gives it) and the syntax errors (as `syntax_errors`
/// gives them, at most `limit`), parsing on their own only the statements
/// the edit touched. `None` where that cannot be done (then use those
/// functions on the whole text); one full parse checks that the first
/// error is the one a full parse finds.
pub fn reparse_broken(
    model: &Model,
    old_text: &str,
    new_text: &str,
    limit: usize,
) -> Option<(Model, Vec<SyntaxError>)> {
    let mut region = Region::of(model, old_text, new_text)?;
    // With the statement before: a syntax error at a statement's start is
    // worded by what could have continued the one before it.
    if region.first > 0 {
        region.first -= 1;
        region.start = if region.first == 0 { model.name.span.end } else { model.items[region.first - 1].span.end };
    }
    let text = format!("{HEAD}{}", region.text(new_text));
    let by = region.start as isize - HEAD.len() as isize;
    let mut errors = syntax_errors(&text, limit);
    for e in &mut errors {
        e.span.shift(by);
    }
    // An error where the region ends may be the cut's, not the text's
    // ("found the end of the file" where the file goes on): parse it all.
    let region_end = region.start + region.text(new_text).trim_end().len();
    if region.end < new_text.len() && errors.iter().any(|e| e.span.start >= region_end) {
        return None;
    }
    let full = parse(new_text).err()?;
    let first = errors.first()?;
    if (full.span.start, full.span.end, &full.message) != (first.span.start, first.span.end, &first.message) {
        return None;
    }
    let mut recovered = parse_recovering(&text)?;
    recovered.items.shift(by);
    let mut tree = Model {
        name: model.name.clone(),
        unitless: model.unitless,
        items: model.items[..region.first].to_vec(),
        comments: Vec::new(),
        span: model.span,
    };
    tree.items.extend(recovered.items);
    tree.items.extend(model.items[region.last..].iter().cloned().map(|mut item| {
        item.shift(region.delta);
        item
    }));
    finish(&mut tree, new_text);
    Some((tree, errors))
}

/// What a region's statements are parsed after: a `model` line.
const HEAD: &str = "model _\n";

/// The statements an edit touched: `model.items[first..last]` of the old
/// text, which are `start..end` (bytes) in the new text; those after
/// move by `delta`.
struct Region {
    first: usize,
    last: usize,
    start: usize,
    end: usize,
    delta: isize,
}

impl Region {
    fn of(model: &Model, old_text: &str, new_text: &str) -> Option<Region> {
        let (old, new) = (old_text.as_bytes(), new_text.as_bytes());
        let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
        let room = old.len().min(new.len()) - prefix;
        let suffix = old.iter().rev().zip(new.iter().rev()).take(room).take_while(|(a, b)| a == b).count();
        if prefix <= model.name.span.end {
            return None;
        }
        let delta = new.len() as isize - old.len() as isize;
        let changed_end = old.len() - suffix;
        let items = &model.items;
        let first = items.iter().position(|i| i.span.end >= prefix).unwrap_or(items.len());
        let start = if first == 0 { model.name.span.end } else { items[first - 1].span.end };
        // The first statement wholly after the change, still starting a line.
        let at_line_start = |at: usize| new_text[..at].trim_end_matches([' ', '\t']).ends_with('\n');
        let last = (first..items.len())
            .find(|&j| {
                items[j].span.start > changed_end && at_line_start(items[j].span.start.wrapping_add_signed(delta))
            })
            .unwrap_or(items.len());
        let end = items.get(last).map_or(new.len(), |i| i.span.start.wrapping_add_signed(delta));
        new_text.get(start..end)?;
        Some(Region { first, last, start, end, delta })
    }

    fn text<'t>(&self, new_text: &'t str) -> &'t str {
        &new_text[self.start..self.end]
    }
}

/// The comments and the file's span, of the new text.
fn finish(model: &mut Model, new_text: &str) {
    model.comments = scan_comments(new_text);
    model.span = Span::new(model.span.start, model.span.start + significant_len(&new_text[model.span.start..]));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Trees with their spans (`Span`'s equality ignores them; Debug shows them).
    fn same(a: &Model, b: &Model) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    fn edited(text: &str, at: usize, delete: usize, insert: &str) -> String {
        let mut at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mut end = (at + delete).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        format!("{}{insert}{}", &text[..at], &text[end..])
    }

    fn shipped() -> Vec<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../models");
        let mut texts: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "bio"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        texts.sort();
        texts
    }

    #[test]
    fn an_edit_in_one_statement_gives_the_full_parse() {
        let old = "model m\nparam a = 1\n\nlet b = a * 2 // twice\nspecies s = 1 [mmol/L]\n";
        let new = edited(old, old.find("2 //").unwrap(), 1, "(a + 3) * µ");
        let new = new.replace("µ", "4");
        let mut model = parse(old).unwrap();
        assert!(reparse(&mut model, old, &new));
        assert!(same(&model, &parse(&new).unwrap()), "{model:?}");
    }

    #[test]
    fn joining_two_statements_is_not_taken_for_two() {
        let old = "model m\nlet x = a\nparam a = 1\n";
        let new = old.replacen("a\nparam", "aparam", 1);
        let mut model = parse(old).unwrap();
        assert!(parse(&new).is_err());
        assert!(!reparse(&mut model, old, &new));
    }

    #[test]
    fn edits_inside_statements_are_parsed_alone() {
        let (mut tried, mut done) = (0, 0);
        for old in shipped() {
            for (at, _) in old.match_indices(" = ") {
                let new = edited(&old, at + 3, 0, "1 + ");
                if parse(&new).is_err() {
                    continue;
                }
                let mut model = parse(&old).unwrap();
                tried += 1;
                if reparse(&mut model, &old, &new) {
                    done += 1;
                    assert!(same(&model, &parse(&new).unwrap()), "{new}");
                }
            }
        }
        assert!(tried > 100 && done == tried, "{done} of {tried}");
    }

    #[test]
    fn a_typo_gives_the_full_texts_errors_and_recovered_tree() {
        let (mut tried, mut done) = (0, 0);
        for old in shipped() {
            for (at, _) in old.match_indices(" = ").step_by(3) {
                let new = edited(&old, at + 1, 0, "= ");
                let Err(_) = parse(&new) else { continue };
                let model = parse(&old).unwrap();
                tried += 1;
                if let Some((tree, errors)) = reparse_broken(&model, &old, &new, 20) {
                    done += 1;
                    let full = syntax_errors(&new, 20);
                    let spans = |es: &[SyntaxError]| -> Vec<(usize, usize, String)> {
                        es.iter().map(|e| (e.span.start, e.span.end, e.message.clone())).collect()
                    };
                    assert_eq!(spans(&errors), spans(&full), "{new}");
                    assert!(same(&tree, &parse_recovering(&new).unwrap()), "{new}");
                }
            }
        }
        assert!(tried > 20 && done * 10 >= tried * 9, "{done} of {tried}");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]
        /// Where the edited text parses, the incremental tree is the full
        /// parse's, spans and all; where it does not, reparse refuses.
        #[test]
        fn incremental_equals_full(m in 0..10usize, at in 0.0..1.0f64, delete in 0..30usize,
                                   insert in prop_oneof![Just(String::new()), Just("\n".to_string()),
                                       Just(" ".to_string()), Just("}".to_string()), Just("/*".to_string()),
                                       Just("\nparam z = 1\n".to_string()), Just("µ".to_string()),
                                       "[a-z0-9 +*/()\\[\\]{}=\n.]{0,10}"]) {
            let texts = shipped();
            let old = &texts[m % texts.len()];
            let new = edited(old, (old.len() as f64 * at) as usize, delete, &insert);
            let mut model = parse(old).unwrap();
            let done = reparse(&mut model, old, &new);
            match parse(&new) {
                Ok(full) => prop_assert!(!done || same(&model, &full), "{new}"),
                Err(_) => {
                    prop_assert!(!done, "{new}");
                    let clean = parse(old).unwrap();
                    // The errors are the full text's; the recovered tree may differ
                    // (an unterminated `/*` hides less of it), which only hover sees.
                    if let Some((_, errors)) = reparse_broken(&clean, old, &new, 20) {
                        let full = syntax_errors(&new, 20);
                        let key = |es: &[SyntaxError]| -> Vec<(usize, usize, String)> {
                            es.iter().map(|e| (e.span.start, e.span.end, e.message.clone())).collect()
                        };
                        prop_assert_eq!(key(&errors), key(&full), "{}", new);
                    }
                }
            }
        }
    }
}
