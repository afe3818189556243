//! A cache on disk of what is slow to redo and the same every time: the
//! network read from a model file (keyed by the file's bytes) and the
//! reference bases (keyed by the LPs they are optimal for). Reading
//! iCH360's SBML and solving its reference bases take ≈ 35 ms, more than
//! the fed-batch simulation that follows.
//!
//! Where: `$BIOFLUX_CACHE`, else `$XDG_CACHE_HOME/bioflux`, else
//! `~/.cache/bioflux`; `BIOFLUX_CACHE=off` turns it off. Each key also
//! holds this crate's source hash (from `build.rs`) and HiGHS's version, so
//! another build never reads an entry it did not write. A missing,
//! unreadable or mismatched entry is recomputed; entries are written to a
//! temporary file and renamed (concurrent runs never see half a file), and
//! a failure to write is ignored: the cache only saves time.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Bumped when what an entry holds changes shape.
const FORMAT: u32 = 1;

/// A content hash: what an entry is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key(String);

impl Key {
    /// The hash of `kind` (what is cached), this build, and what `parts`
    /// feeds in.
    pub fn new(kind: &str, parts: impl FnOnce(&mut Parts)) -> Key {
        let mut hasher = Sha256::new();
        for text in [kind, env!("CARGO_PKG_VERSION"), env!("BIOFLUX_PFBA_SOURCE")] {
            hasher.update((text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
        }
        // SAFETY: plain getters of HiGHS's version numbers.
        let highs = unsafe {
            [highs_sys::Highs_versionMajor(), highs_sys::Highs_versionMinor(), highs_sys::Highs_versionPatch()]
        };
        for v in highs {
            hasher.update((v as i64).to_le_bytes());
        }
        hasher.update(FORMAT.to_le_bytes());
        let mut fed = Parts(hasher);
        parts(&mut fed);
        let digest = fed.0.finalize();
        Key(format!("{kind}-{}", digest.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>()))
    }
}

/// What a key is computed from, each part with its length (so that
/// different splits of the same bytes differ).
pub struct Parts(Sha256);

impl Parts {
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    /// Floats by their bits (0.0 and −0.0, or two NaNs, are told apart
    /// exactly as the solver would see them).
    pub fn floats(&mut self, values: &[f64]) {
        self.0.update((values.len() as u64).to_le_bytes());
        for v in values {
            self.0.update(v.to_bits().to_le_bytes());
        }
    }

    pub fn integers(&mut self, values: impl ExactSizeIterator<Item = i64>) {
        self.0.update((values.len() as u64).to_le_bytes());
        for v in values {
            self.0.update(v.to_le_bytes());
        }
    }
}

/// The cache's directory, or None when it is off or there is no home.
fn dir() -> Option<PathBuf> {
    match std::env::var_os("BIOFLUX_CACHE") {
        Some(d) if d == "off" || d.is_empty() => None,
        Some(d) => Some(PathBuf::from(d)),
        None => std::env::var_os("XDG_CACHE_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".cache")))
            .map(|d| d.join("bioflux")),
    }
}

/// What a file holds: the key it was written for, then the value.
#[derive(Serialize, serde::Deserialize)]
struct Entry<T> {
    key: String,
    value: T,
}

/// The value stored under `key`, if there is one and it reads back whole.
pub fn read<T: DeserializeOwned>(key: &Key) -> Option<T> {
    let path = dir()?.join(format!("{}.cbor", key.0));
    let bytes = std::fs::read(path).ok()?;
    let entry: Entry<T> = ciborium::from_reader(bytes.as_slice()).ok()?;
    (entry.key == key.0).then_some(entry.value)
}

/// Stores `value` under `key` (best effort).
pub fn write<T: Serialize>(key: &Key, value: &T) {
    let Some(dir) = dir() else { return };
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let mut bytes = Vec::new();
    if ciborium::into_writer(&Entry { key: key.0.clone(), value }, &mut bytes).is_err() {
        return;
    }
    // A name of its own per process and thread, renamed over the entry.
    let thread = format!("{:?}", std::thread::current().id());
    let digits: String = thread.chars().filter(char::is_ascii_digit).collect();
    let temporary = dir.join(format!(".{}.{}-{digits}.tmp", key.0, std::process::id()));
    let written = std::fs::write(&temporary, &bytes).is_ok();
    if !written || std::fs::rename(&temporary, dir.join(format!("{}.cbor", key.0))).is_err() {
        // A full disk may leave part of the temporary file behind.
        let _ = std::fs::remove_file(&temporary);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_kind_and_content_and_floats_by_their_bits() {
        let a = Key::new("network", |h| h.bytes(b"model one"));
        assert_eq!(a, Key::new("network", |h| h.bytes(b"model one")));
        assert_ne!(a, Key::new("network", |h| h.bytes(b"model two")));
        assert_ne!(a, Key::new("bases", |h| h.bytes(b"model one")));
        let split = |x: &[u8], y: &[u8]| {
            Key::new("network", |h| {
                h.bytes(x);
                h.bytes(y)
            })
        };
        assert_ne!(split(b"ab", b"c"), split(b"a", b"bc"));
        let floats = |v: &[f64]| Key::new("bases", |h| h.floats(v));
        assert_ne!(floats(&[0.0]), floats(&[-0.0]));
        assert_ne!(floats(&[1.0, 2.0]), floats(&[1.0]));
    }
}
