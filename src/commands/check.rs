//! `bioflux check`.

use super::{read, report};
use bioflux_compiler::check_source;
use std::path::PathBuf;

/// `bioflux check`: true when every file is clean.
pub fn check(files: &[PathBuf]) -> bool {
    let mut errors = 0;
    for path in files {
        let Some(src) = read(path) else {
            errors += 1;
            continue;
        };
        match check_source(&path.display().to_string(), &src) {
            Ok(model) => outln!("{}: ok (model {}: {})", path.display(), model.name, summary(&model)),
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

/// "3 parameters, 2 species, 1 cell model, 0 networks"
fn summary(m: &bioflux_compiler::CheckedModel) -> String {
    let count = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    [
        count(m.params.len(), "parameter", "parameters"),
        count(m.species.len(), "species", "species"),
        count(m.cells.len(), "cell model", "cell models"),
        count(m.networks.len(), "network", "networks"),
    ]
    .join(", ")
}
