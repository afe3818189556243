//! The cache of parsed networks and reference bases (`BIOFLUX_CACHE`):
//! a run from the cache writes the same bytes as one without it, and a
//! damaged or unwritable cache costs time only.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{models_dir, plugin_dir, text};

/// `bioflux run` of the iCH360 fed-batch with the cache at `cache`; the CSV.
fn run(cache: &str, out: &Path) -> Vec<u8> {
    let result = Command::new(env!("CARGO_BIN_EXE_bioflux"))
        .args(["run", "models/ecoli_fedbatch.bio", "--set", "F0=0", "-o"])
        .arg(out)
        .args(["--plugin-path", &plugin_dir()])
        .env("BIOFLUX_MODELS", models_dir())
        .env("BIOFLUX_CACHE", cache)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(result.status.success(), "{}", text(&result.stderr));
    std::fs::read(out).unwrap()
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    found.sort();
    found
}

#[test]
fn runs_from_the_cache_write_the_same_bytes_and_a_damaged_cache_is_recomputed() {
    let dir = common::scratch("cache");
    let _ = std::fs::remove_dir_all(&dir);
    let cache = dir.join("cache");
    let csv = |name: &str| dir.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let cache_text = cache.display().to_string();

    // F0 = 0 crosses the relaxed region: every stage and the feasibility LP.
    let without = run("off", &csv("off.csv"));
    assert!(!cache.exists(), "BIOFLUX_CACHE=off writes nothing");
    let filling = run(&cache_text, &csv("filling.csv"));
    let written = entries(&cache);
    let named =
        |prefix: &str| written.iter().filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix)).count();
    assert_eq!((named("network-"), named("bases-")), (1, 1), "{written:?}");
    assert!(written.iter().all(|p| p.extension().is_some_and(|e| e == "cbor")), "no temporary file left: {written:?}");
    let cached = run(&cache_text, &csv("cached.csv"));
    assert!(without == filling && filling == cached, "the cache changes the trajectory");

    // Damaged entries: garbage, and a valid CBOR file for another key.
    for (k, path) in written.iter().enumerate() {
        if k == 0 {
            std::fs::write(path, b"\xa2not cbor at all").unwrap();
        } else {
            std::fs::write(path, b"\xa2\x63key\x63abc\x65value\x00").unwrap();
        }
    }
    assert!(run(&cache_text, &csv("damaged.csv")) == without, "a damaged cache changes the trajectory");
    // The damaged entries were written anew and read back.
    assert!(run(&cache_text, &csv("repaired.csv")) == without);
    assert!(entries(&cache).iter().all(|p| std::fs::metadata(p).unwrap().len() > 100));

    // A cache path that cannot be a directory: runs as without one.
    let file = dir.join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    assert!(run(&file.join("cache").display().to_string(), &csv("unwritable.csv")) == without);
    let _ = std::fs::remove_dir_all(&dir);
}
