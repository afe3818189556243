//! The formatter on the example models: idempotent and meaning-preserving.

use bioflux_grammar::{format_source, parse};
use std::path::PathBuf;

fn example_models() -> Vec<(PathBuf, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("models/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bio"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "expected the five example models, found {files:?}");
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

#[test]
fn formatting_examples_preserves_meaning_and_comments() {
    for (path, src) in example_models() {
        let formatted = format_source(&src).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        let before = parse(&src).unwrap();
        let after = parse(&formatted)
            .unwrap_or_else(|e| panic!("{}: formatted text does not parse: {e:?}\n{formatted}", path.display()));
        assert_eq!(before, after, "{}: formatting changed the meaning", path.display());
        assert_eq!(before.comments.len(), after.comments.len());
        assert_eq!(format_source(&formatted).unwrap(), formatted, "{}: not idempotent", path.display());
    }
}

#[test]
fn examples_are_already_canonical() {
    for (path, src) in example_models() {
        assert_eq!(format_source(&src).unwrap(), src, "{}: run `bioflux fmt --write` on it", path.display());
    }
}

#[test]
fn event_timing_words_format_as_written_and_keep_their_comments() {
    let src = "model m\nwhen  x<1   from   start after 30[min]  with trigger values priority  2 if  still true { // held\n  p=x }\n";
    let formatted = format_source(src).unwrap();
    assert!(
        formatted
            .contains("when x < 1 from start after 30 [min] with trigger values priority 2 if still true { // held"),
        "{formatted}"
    );
    assert_eq!(format_source(&formatted).unwrap(), formatted, "idempotent");
    assert_eq!(parse(&formatted).unwrap().items.len(), parse(src).unwrap().items.len());
}
