//! Tab completion: commands after `:`, model names elsewhere.

use super::help::COMMANDS;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};
use std::cell::RefCell;
use std::rc::Rc;

/// The names to offer, refreshed after each command (a load changes them).
pub struct Completion {
    pub names: Rc<RefCell<Vec<String>>>,
}

/// The candidates for the word ending at `pos`: its start and the matches.
pub fn candidates(line: &str, pos: usize, names: &[String]) -> (usize, Vec<String>) {
    let before = &line[..pos];
    let start = before.rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '.')).map_or(0, |i| i + 1);
    let word = &before[start..];
    let matches = if word.starts_with(':') {
        COMMANDS
            .iter()
            .map(|(c, ..)| *c)
            .filter(|c| c.starts_with(':') && c.starts_with(word))
            .map(String::from)
            .collect()
    } else if word.is_empty() {
        Vec::new()
    } else {
        names.iter().filter(|n| n.starts_with(word)).cloned().collect()
    };
    (start, matches)
}

impl Completer for Completion {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, matches) = candidates(line, pos, &self.names.borrow());
        Ok((start, matches.into_iter().map(|m| Pair { display: m.clone(), replacement: m }).collect()))
    }
}

impl Hinter for Completion {
    type Hint = String;
}
impl Highlighter for Completion {}
impl Validator for Completion {}
impl Helper for Completion {}

#[cfg(test)]
mod tests {
    use super::candidates;

    #[test]
    fn commands_and_names_complete() {
        let names = vec!["mu_max".to_string(), "mu".to_string(), "biomass".to_string()];
        assert_eq!(candidates(":rel", 4, &names), (0, vec![":reload".to_string()]));
        assert_eq!(candidates("x = mu_", 7, &names), (4, vec!["mu_max".to_string()]));
        assert_eq!(candidates(":show bio", 9, &names), (6, vec!["biomass".to_string()]));
        assert!(candidates("zz", 2, &names).1.is_empty());
    }
}
