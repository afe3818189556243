//! Nothing panics, whatever the input: random token soup and mutations of
//! the example models go through parse, check, diagnostic rendering and the
//! formatter. When a mutant still parses, formatting must keep its meaning.

use bioflux_compiler::check_source;
use bioflux_grammar::{format_source, parse};
use proptest::prelude::*;
use std::path::PathBuf;

const TOKENS: &[&str] = &[
    "model",
    "m",
    "param",
    "let",
    "species",
    "reactor",
    "batch",
    "fedbatch",
    "continuous",
    "cell",
    "pfba",
    "network",
    "reaction",
    "metabolite",
    "objective",
    "bound",
    "input",
    "inlet",
    "exchange",
    "growth",
    "rate",
    "output",
    "simulate",
    "schedule",
    "linear",
    "at",
    "every",
    "until",
    "when",
    "add",
    "sample",
    "stop",
    "[h]",
    "[mL]",
    "if",
    "then",
    "else",
    "and",
    "or",
    "not",
    "t",
    "V",
    "volume",
    "feed",
    "dilution",
    "end",
    "solver",
    "bdf",
    "k",
    "S",
    "X",
    "ecoli",
    ".",
    "EX_glc",
    "=",
    "+",
    "-",
    "*",
    "/",
    "^",
    "<",
    ">=",
    "<->",
    "->",
    ":",
    ",",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "mmol/L",
    "1/h",
    "gDW",
    "0",
    "1.5",
    "1e-3",
    "\"m.xml\"",
    "\"",
    "//",
    "/*",
    "*/",
    "\n",
    " ",
    "µ",
    "é",
    "\t",
    "step(",
    "exp(",
    "min(",
];

fn examples() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models");
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bio"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    out.sort();
    out
}

/// Runs the whole front end; panics only if something inside panics.
fn exercise(src: &str) {
    if let Err(diags) = check_source("fuzz.bio", src) {
        assert!(!diags.is_empty());
        for d in diags {
            assert!(d.span.start <= d.span.end && d.span.end <= src.len(), "span {:?} outside the source", d.span);
            let _ = d.render();
        }
    }
    if let Ok(before) = parse(src) {
        let formatted = format_source(src).unwrap();
        let after = parse(&formatted).unwrap_or_else(|e| panic!("formatted text does not parse: {e:?}\n{formatted}"));
        assert_eq!(before, after, "formatting changed the meaning of\n{src}\n---\n{formatted}");
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, &'static str),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), prop::sample::select(TOKENS)).prop_map(|(a, t)| Mutation::Insert(a, t)),
        (any::<usize>(), 1usize..80).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
    ]
}

fn apply(src: &str, m: &Mutation) -> String {
    let at = |a: usize| floor_char_boundary(src, a % (src.len() + 1));
    match *m {
        Mutation::Delete(a, n) => {
            let (s, e) = (at(a), floor_char_boundary(src, at(a) + n));
            format!("{}{}", &src[..s], &src[e..])
        }
        Mutation::Insert(a, t) => format!("{}{}{}", &src[..at(a)], t, &src[at(a)..]),
        Mutation::Duplicate(a, n) => {
            let (s, e) = (at(a), floor_char_boundary(src, at(a) + n));
            format!("{}{}{}", &src[..e], &src[s..e], &src[e..])
        }
    }
}

/// `exercise` on a stack as deep as the CLI's command thread: long flat
/// sums make deep trees, which every pass walks recursively.
fn exercise_on_cli_stack(src: String) {
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || exercise(&src))
        .unwrap()
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p));
}

/// One operand nested in a random chain of brackets, unary minus, `not`,
/// `^` and `if`, as deep as `depth`.
fn nested(pieces: &[u8]) -> String {
    let (mut open, mut close) = (String::new(), String::new());
    for p in pieces {
        match p % 5 {
            0 => {
                open.push('(');
                close.insert(0, ')');
            }
            1 => open.push('-'),
            2 => open.push_str("not "),
            3 => open.push_str("2^"),
            _ => {
                open.push_str("if x > 0 then ");
                close.insert_str(0, " else 0");
            }
        }
    }
    format!("{open}x{close}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn long_and_deep_expressions_never_crash(
        pieces in prop::collection::vec(any::<u8>(), 0..3000),
        terms in 1usize..20_000,
    ) {
        let deep = nested(&pieces);
        let long = vec!["k * x"; terms].join(" + ");
        for rate in [deep, long] {
            let src = format!("model m\nparam k = 1 [1/h]\nspecies x = 1 [mmol/L]\nrate x = {rate}\nsimulate {{ end = 1 [h] }}\n");
            exercise_on_cli_stack(src);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn token_soup_never_panics(tokens in prop::collection::vec(prop::sample::select(TOKENS), 0..80)) {
        exercise(&format!("model m\n{}", tokens.join(" ")));
        exercise(&tokens.concat());
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        exercise(&text);
    }

    #[test]
    fn mutated_examples_never_panic(which in 0usize..6, mutations in prop::collection::vec(mutation(), 1..4)) {
        let examples = examples();
        let mut src = examples[which % examples.len()].clone();
        for m in &mutations {
            src = apply(&src, m);
        }
        exercise(&src);
    }
}
