//! The whole front end on arbitrary bytes: parse, check, render every
//! diagnostic, and, when the input parses, format it and check that the
//! formatted text means the same and formats to itself.
//!
//! cargo +nightly fuzz run check -- -max_total_time=600
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    // On a stack as deep as the CLI's command thread (long flat sums make
    // deep trees); nesting beyond bioflux_grammar::MAX_NESTING is refused.
    let src = src.to_string();
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || front_end(&src))
        .unwrap()
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p));
});

/// Parse, check, render, format (seeds with long and deep expressions:
/// fuzz/README.md).
fn front_end(src: &str) {
    if let Err(diags) = bioflux_compiler::check_source("fuzz.bio", src) {
        for d in diags {
            assert!(d.span.end <= src.len());
            let _ = d.render();
        }
    }
    if let Ok(before) = bioflux_grammar::parse(src) {
        let formatted = bioflux_grammar::format_source(src).expect("parsed text formats");
        let after = bioflux_grammar::parse(&formatted).expect("formatted text parses");
        assert_eq!(before, after, "formatting changed the meaning");
        assert_eq!(bioflux_grammar::format_source(&formatted).unwrap(), formatted, "not idempotent");
    }
}
