//! `bioflux check`.

use super::{read, report};
use bioflux_api::CellCatalog;
use bioflux_compiler::{CheckedModel, Diagnostic, check_source};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `bioflux check`: true when every file is clean.
pub fn check(files: &[PathBuf], plugin_path: &[PathBuf]) -> bool {
    let mut catalog = CellCatalog::new(plugin_path);
    let mut errors = 0;
    for path in files {
        let Some(src) = read(path) else {
            errors += 1;
            continue;
        };
        let name = path.display().to_string();
        let checked = check_source(&name, &src).and_then(|model| {
            let source = Arc::new(miette::NamedSource::new(&name, src.clone()));
            let attach = |ds: Vec<Diagnostic>| ds.into_iter().map(|d| d.with_source(source.clone())).collect();
            check_against_plugins(&model, path, &mut catalog).map(|()| model).map_err(attach)
        });
        match checked {
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

/// The names the model uses of each cell (`bound NOT_A_REACTION >= -10`)
/// against the plugin's description, as `run` checks them, where the
/// plugin and the cell's model file can be opened; where they cannot, a
/// note says so (`run` reports it as an error).
fn check_against_plugins(model: &CheckedModel, path: &Path, catalog: &mut CellCatalog) -> Result<(), Vec<Diagnostic>> {
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let found = catalog.check(model, &base_dir);
    for d in &found.unchecked {
        eprintln!("note: {}: not checked against its plugin: {}", path.display(), d.message);
    }
    if found.errors.is_empty() { Ok(()) } else { Err(found.errors) }
}

/// "3 parameters, 2 species, 1 cell model, 0 networks, 2 events"
fn summary(m: &bioflux_compiler::CheckedModel) -> String {
    let count = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    [
        count(m.params.len(), "parameter", "parameters"),
        count(m.species.len(), "species", "species"),
        count(m.cells.len(), "cell model", "cell models"),
        count(m.networks.len(), "network", "networks"),
        count(m.events.len(), "event", "events"),
    ]
    .join(", ")
}
