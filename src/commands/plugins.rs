//! `bioflux plugins`.

use bioflux_runtime::host::{Plugin, SearchPath};
use std::path::PathBuf;

/// `bioflux plugins`: every plugin in the search path.
pub fn plugins(extra: &[PathBuf]) -> bool {
    let search = SearchPath::new(extra);
    let mut found = 0;
    for path in search.libraries() {
        if let Ok(p) = Plugin::open(&path) {
            outln!("{:<20} {:<10} {}", p.name, p.version, p.path.display());
            found += 1;
        }
    }
    if found == 0 {
        let dirs: Vec<String> = search.dirs.iter().map(|d| d.display().to_string()).collect();
        eprintln!("no plugins found in: {}", dirs.join(", "));
    }
    true
}
