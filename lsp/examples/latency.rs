//! How long `bioflux lsp` takes from a `didChange` to its diagnostics, on
//! the shipped models and on a generated model of 10,000 species, and its
//! memory after 10 and after 1,000 edits.
//!
//! cargo build --release && cargo run --release -p bioflux-lsp --example latency -- \
//!     target/release/bioflux target/release models

use bioflux_lsp::client::Client;
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, binary, plugins, models] = &args[..] else {
        eprintln!("usage: latency BIOFLUX_BINARY PLUGIN_DIR MODELS_DIR");
        std::process::exit(2);
    };
    let mut command = Command::new(binary);
    command.args(["lsp", "--plugin-path", plugins]).env("BIOFLUX_MODELS", models);
    let mut client = Client::spawn(command).expect("the server starts");
    client.initialize(json!({})).expect("initialize");

    let mut files: Vec<_> = std::fs::read_dir(models)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bio"))
        .collect();
    files.sort();
    println!("{:<34} {:>8} {:>10} {:>10} {:>10}", "model", "lines", "open ms", "median ms", "max ms");
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        report(&mut client, path, &text, 30);
    }
    let generated = generated_model(10_000);
    let path = Path::new(models).join("generated_10000_species.bio");
    report(&mut client, &path, &generated, 10);

    // The same model while a syntax error is typed in its middle and removed.
    let uri = format!("file://{}.typo.bio", std::fs::canonicalize(models).unwrap().join("generated").display());
    open(&mut client, &uri, &generated);
    let line = generated.lines().count() / 2;
    let mut times = Vec::new();
    for version in 2..8 {
        let (range, new) = if version % 2 == 0 {
            (json!({ "start": { "line": line, "character": 0 }, "end": { "line": line, "character": 0 } }), "= ")
        } else {
            (json!({ "start": { "line": line, "character": 0 }, "end": { "line": line, "character": 2 } }), "")
        };
        let start = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "range": range, "text": new }] }),
        );
        let diagnostics = client.diagnostics(&uri, version).unwrap();
        times.push((version, diagnostics.len(), start.elapsed().as_secs_f64() * 1e3));
    }
    for (version, n, ms) in times {
        let what = if version % 2 == 0 { "typo typed  " } else { "typo removed" };
        println!("generated_10000_species.bio, {what}: {n} diagnostics in {ms:.1} ms");
    }

    client.shutdown().unwrap();

    // Memory, in a server of its own: the iCH360 fed-batch edited 10 times, then 1,000 times.
    let mut command = Command::new(binary);
    command.args(["lsp", "--plugin-path", plugins]).env("BIOFLUX_MODELS", models);
    let mut client = Client::spawn(command).expect("the server starts");
    client.initialize(json!({})).expect("initialize");
    let path = Path::new(models).join("ecoli_fedbatch.bio");
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = format!("file://{}.memory.bio", std::fs::canonicalize(&path).unwrap().display());
    open(&mut client, &uri, &text);
    let mut version = 1;
    for edits in [10, 990] {
        for _ in 0..edits {
            version += 1;
            edit(&mut client, &uri, &text, version);
        }
        println!("after {:>4} edits of ecoli_fedbatch.bio: resident memory {} kB", version - 1, rss_kb(client.pid()));
    }
    client.shutdown().unwrap();
}

fn open(client: &mut Client, uri: &str, text: &str) {
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "bio", "version": 1, "text": text } }),
    );
    client.diagnostics(uri, 1).unwrap();
}

/// Appends (odd versions remove) a comment at the end of the middle line:
/// the whole document is checked again each time.
fn edit(client: &mut Client, uri: &str, text: &str, version: i32) -> f64 {
    let line = text.lines().count() / 2;
    let width = text.lines().nth(line).unwrap_or("").encode_utf16().count() as u32;
    let (range, new) = if version % 2 == 0 {
        (json!({ "start": { "line": line, "character": width }, "end": { "line": line, "character": width } }), " // x")
    } else {
        (json!({ "start": { "line": line, "character": width }, "end": { "line": line, "character": width + 5 } }), "")
    };
    let start = Instant::now();
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "range": range, "text": new }] }),
    );
    client.diagnostics(uri, version).unwrap();
    start.elapsed().as_secs_f64() * 1e3
}

fn report(client: &mut Client, path: &Path, text: &str, edits: i32) {
    let uri = format!(
        "file://{}",
        std::fs::canonicalize(path.parent().unwrap()).unwrap().join(path.file_name().unwrap()).display()
    );
    let start = Instant::now();
    open(client, &uri, text);
    let opened = start.elapsed().as_secs_f64() * 1e3;
    let mut times: Vec<f64> = (0..edits).map(|i| edit(client, &uri, text, i + 2)).collect();
    times.sort_by(f64::total_cmp);
    let name = path.file_name().unwrap().to_string_lossy();
    let lines = text.lines().count();
    println!("{name:<34} {lines:>8} {opened:>10.2} {:>10.2} {:>10.2}", times[times.len() / 2], times[times.len() - 1]);
    client.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } }));
}

/// A batch of `n` species, each consumed by first-order kinetics with its own
/// rate constant and a `let` per rate.
fn generated_model(n: usize) -> String {
    let mut s = String::from("model generated\n\nreactor batch { volume = 1 [L] }\n\n");
    for i in 0..n {
        s.push_str(&format!(
            "param k{i} = {} [1/h]\nspecies s{i} = {} [mmol/L]\nlet r{i} = k{i} * s{i}\nrate s{i} = -r{i}\n",
            0.1 + (i % 7) as f64 * 0.05,
            1.0 + (i % 5) as f64
        ));
    }
    s.push_str("\nsimulate { end = 1 [h] }\n");
    s
}

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
