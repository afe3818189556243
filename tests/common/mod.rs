//! Running the `bioflux` binary from the end-to-end tests.
#![allow(dead_code)] // each test crate uses some of these

use std::process::{Command, Output};

/// `bioflux ARGS` from the repository root.
pub fn bioflux(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bioflux"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the bioflux binary runs")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The stderr of a run that must have succeeded.
pub fn ok(out: Output) -> String {
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    stderr
}
