//! Hashes this crate's sources (for the `mfa` plugin, which runs this script
//! too, its own and the model reading it shares) into `BIOFLUX_PFBA_SOURCE` so that cache
//! entries written by one build of the parser and solver are never read by
//! another (see `src/cache.rs`).

use std::hash::{Hash, Hasher};
use std::path::Path;

fn visit(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            visit(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

fn main() {
    let mut files = Vec::new();
    visit(Path::new("src"), &mut files);
    // The flux-analysis plugin builds the LP plugin's model reading into
    // itself (`#[path]` modules) and runs this script too: its cache keys
    // change with that code as well.
    if !Path::new("src/pfba.rs").exists() {
        visit(Path::new("../pfba/src"), &mut files);
        println!("cargo:rerun-if-changed=../pfba/src");
    }
    files.sort();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for file in &files {
        file.hash(&mut hasher);
        std::fs::read(file).unwrap_or_default().hash(&mut hasher);
    }
    println!("cargo:rustc-env=BIOFLUX_PFBA_SOURCE={:016x}", hasher.finish());
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.toml");
}
