//! `bioflux fmt`.

use super::{read, report};
use bioflux_compiler::parse_source;
use std::path::PathBuf;

/// `bioflux fmt`: true when every file was formatted (or, with `check`,
/// already is canonical).
pub fn fmt(files: &[PathBuf], write: bool, check: bool) -> bool {
    let mut ok = true;
    for path in files {
        let Some(src) = read(path) else {
            ok = false;
            continue;
        };
        let ast = match parse_source(&path.display().to_string(), &src) {
            Ok(ast) => ast,
            Err(d) => {
                report(d);
                ok = false;
                continue;
            }
        };
        let formatted = bioflux_grammar::format_model(&ast, &src);
        if check {
            if formatted != src {
                eprintln!("{}: not in canonical form (run `bioflux fmt --write`)", path.display());
                ok = false;
            }
        } else if write {
            if formatted != src
                && let Err(e) = std::fs::write(path, &formatted)
            {
                eprintln!("error: cannot write {}: {e}", path.display());
                ok = false;
            }
        } else {
            out!("{formatted}");
        }
    }
    ok
}
