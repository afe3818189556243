//! The subcommands: each reads files, calls the library, and reports.

use bioflux_compiler::{CheckedModel, check_source, parse_source};
use std::path::{Path, PathBuf};

fn read(path: &Path) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(s) => Some(s),
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            None
        }
    }
}

fn report(d: impl Into<Box<bioflux_compiler::Diagnostic>>) {
    eprintln!("{:?}", miette::Report::new_boxed(d.into()));
}

fn summary(m: &CheckedModel) -> String {
    let count = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    [
        count(m.params.len(), "parameter", "parameters"),
        count(m.species.len(), "species", "species"),
        count(m.cells.len(), "cell model", "cell models"),
        count(m.networks.len(), "network", "networks"),
    ]
    .join(", ")
}

/// `bioflux check`: true when every file is clean.
pub fn check(files: &[PathBuf]) -> bool {
    let mut errors = 0;
    for path in files {
        let Some(src) = read(path) else {
            errors += 1;
            continue;
        };
        match check_source(&path.display().to_string(), &src) {
            Ok(model) => println!("{}: ok (model {}: {})", path.display(), model.name, summary(&model)),
            Err(diags) => {
                errors += diags.len();
                for d in diags {
                    report(d);
                }
            }
        }
    }
    if errors > 0 {
        eprintln!("{errors} error{} found", if errors == 1 { "" } else { "s" });
    }
    errors == 0
}

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
            print!("{formatted}");
        }
    }
    ok
}
