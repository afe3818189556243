//! Running the `bioflux` binary from the end-to-end tests.
#![allow(dead_code)] // each test crate uses some of these

pub mod media;

use std::path::Path;
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

/// A directory for a test's files under target/tmp (cargo's
/// CARGO_TARGET_TMPDIR), named without the process id: the next run
/// overwrites what this one left instead of piling up in /tmp.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Where cargo put the plugin cdylibs of this test run (target/<profile>/deps).
pub fn plugin_dir() -> String {
    std::env::current_exe().unwrap().parent().unwrap().display().to_string()
}

/// The genome-scale models that ship with the project (models/).
pub fn models_dir() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models").display().to_string()
}

/// `bioflux ARGS` with this run's plugins and the genome-scale models.
pub fn bioflux_with_models(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bioflux"))
        .args(args)
        .args(["--plugin-path", &plugin_dir()])
        .env("BIOFLUX_MODELS", models_dir())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// A deterministic standard normal sequence (LCG + Box–Muller), so the
/// noise is the same on every machine.
pub struct Noise(pub u64);

impl Noise {
    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// A JSON file bioflux wrote.
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}
