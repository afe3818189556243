//! `bioflux lsp` driven over stdio as an editor drives it: a session from
//! `initialize` to `exit`, diagnostics at UTF-16 ranges, hover, definition,
//! references, rename, completion of a genome-scale model's reaction ids,
//! formatting, incremental edits, and input that must not end the server.

mod common;

use bioflux_lsp::client::{Client, ClientError};
use common::{models_dir, plugin_dir};
use proptest::{prop_assert, prop_assert_eq};
use serde_json::{Value, json};
use std::process::Command;

fn server() -> Client {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bioflux"));
    command.args(["lsp", "--plugin-path", &plugin_dir()]).env("BIOFLUX_MODELS", models_dir());
    let mut client = Client::spawn(command).expect("bioflux lsp starts");
    let caps = client.initialize(json!({})).expect("initialize answers");
    assert_eq!(caps["capabilities"]["positionEncoding"], "utf-16");
    client
}

fn uri_of(path: &str) -> String {
    format!("file://{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn open(client: &mut Client, uri: &str, text: &str) -> Vec<Value> {
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "bio", "version": 1, "text": text } }),
    );
    client.diagnostics(uri, 1).unwrap()
}

fn change(client: &mut Client, uri: &str, version: i32, changes: Value) -> Vec<Value> {
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": changes }),
    );
    client.diagnostics(uri, version).unwrap()
}

fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } })
}

/// (line, UTF-16 column) of the first `needle` in `text`, counted
/// independently of the server: by encoding the line's prefix as UTF-16.
fn position_of(text: &str, needle: &str) -> (u32, u32) {
    let at = text.find(needle).unwrap();
    let line = text[..at].matches('\n').count();
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (line as u32, text[line_start..at].encode_utf16().count() as u32)
}

const MONOD: &str = "model monod
// growth · kinetics
param Ks = 0.5 [mmol/L]
param mu_max = 0.4 [1/h]
species S = 10 [mmol/L] : substrate
species X = 0.1 [gDW/L] : biomass
let mu = mu_max * S / (Ks + S)
let y = /* µ·𝜇 */ Ks + Kss
growth X = mu
rate S = -mu * X / 0.5 [gDW/mmol]
simulate { end = 5 [h] }
";

#[test]
fn an_editing_session_from_open_to_exit() {
    let mut client = server();
    let uri = "untitled:monod.bio";
    let diags = open(&mut client, uri, MONOD);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d["code"], "bio::undefined");
    assert_eq!(d["severity"], 1);
    // After µ, · (one UTF-16 unit each) and 𝜇 (two): the range counts units.
    let (line, col) = position_of(MONOD, "Kss");
    assert_eq!(d["range"]["start"], json!({ "line": line, "character": col }), "{d}");
    assert_eq!(d["range"]["end"], json!({ "line": line, "character": col + 3 }));
    assert!(d["message"].as_str().unwrap().contains("did you mean `Ks`"), "{d}");

    // An incremental edit fixes the typo (Kss -> Ks).
    let (l, c) = position_of(MONOD, "Kss");
    let fix = json!([{ "range": { "start": { "line": l, "character": c + 2 }, "end": { "line": l, "character": c + 3 } }, "text": "" }]);
    assert_eq!(change(&mut client, uri, 2, fix), Vec::<Value>::new());

    // Hover: a species with its declaration, a parameter with its value, an
    // expression's dimension, a unit's.
    let (l, c) = position_of(MONOD, "S / (Ks");
    let hover = client.request("textDocument/hover", at(uri, l, c)).unwrap();
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("species S = 10 [mmol/L] : substrate") && text.contains("a substrate"), "{text}");
    let (l, c) = position_of(MONOD, "mu_max *");
    let text = client.request("textDocument/hover", at(uri, l, c)).unwrap()["contents"]["value"].to_string();
    assert!(text.contains("param mu_max = 0.4 [1/h]"), "{text}");
    let (l, c) = position_of(MONOD, "/ (Ks + S)");
    let text = client.request("textDocument/hover", at(uri, l, c)).unwrap()["contents"]["value"].to_string();
    assert!(text.contains("dimension: 1/h"), "the whole of mu_max * S / (Ks + S): {text}");
    let (l, c) = position_of(MONOD, "gDW/mmol");
    let text = client.request("textDocument/hover", at(uri, l, c + 1)).unwrap()["contents"]["value"].to_string();
    assert!(text.contains("unit `gDW/mmol`: dimension gDW/mmol"), "{text}");
    let (l, c) = position_of(MONOD, "simulate");
    let text = client.request("textDocument/hover", at(uri, l, c + 2)).unwrap()["contents"]["value"].to_string();
    assert!(text.contains("**simulate**"), "{text}");

    // Definition and references of Ks.
    let (l, c) = position_of(MONOD, "Ks + S)");
    let def = client.request("textDocument/definition", at(uri, l, c + 1)).unwrap();
    let (dl, dc) = position_of(MONOD, "Ks = 0.5");
    assert_eq!(def["range"]["start"], json!({ "line": dl, "character": dc }));
    let mut params = at(uri, l, c);
    params["context"] = json!({ "includeDeclaration": true });
    let refs = client.request("textDocument/references", params).unwrap();
    assert_eq!(refs.as_array().unwrap().len(), 4, "{refs}");

    // Rename mu_max everywhere; refused for a keyword and a taken name.
    let (l, c) = position_of(MONOD, "mu_max *");
    let mut params = at(uri, l, c);
    params["newName"] = json!("mu_top");
    let edit = client.request("textDocument/rename", params.clone()).unwrap();
    let edits = edit["changes"][uri].as_array().unwrap();
    assert_eq!(edits.len(), 2, "{edit}");
    assert!(edits.iter().all(|e| e["newText"] == "mu_top"));
    for (bad, why) in [("species", "word of the language"), ("Ks", "already declared"), ("2x", "not a name")] {
        params["newName"] = json!(bad);
        match client.request("textDocument/rename", params.clone()) {
            Err(ClientError::Response(e)) => assert!(e.message.contains(why), "{bad}: {}", e.message),
            other => panic!("{bad}: {other:?}"),
        }
    }
    let (l, c) = position_of(MONOD, "simulate");
    assert!(matches!(client.request("textDocument/prepareRename", at(uri, l, c)), Err(ClientError::Response(_))));

    // Incremental edits: break a unit.
    let (l, c) = position_of(MONOD, "gDW/mmol");
    let unit = json!([{ "range": { "start": { "line": l, "character": c }, "end": { "line": l, "character": c + 3 } }, "text": "gXY" }]);
    let diags = change(&mut client, uri, 3, unit);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0]["code"], "bio::unknown_unit");
    assert_eq!(diags[0]["range"]["start"], json!({ "line": l, "character": c }));

    // Formatting gives `bioflux fmt`'s text.
    let whole = json!([{ "text": "model m\nparam   a=1\n  let b = a*2\n" }]);
    assert_eq!(change(&mut client, uri, 4, whole), Vec::<Value>::new());
    let edits = client
        .request(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }),
        )
        .unwrap();
    let formatted = edits[0]["newText"].as_str().unwrap();
    assert_eq!(formatted, bioflux_grammar::format_source("model m\nparam   a=1\n  let b = a*2\n").unwrap());
    assert_eq!(formatted, "model m\nparam a = 1\nlet b = a * 2\n");

    // Semantic tokens of "param   a=1" and "  let b = a*2": `a` declared (a
    // read-only parameter), `b` declared (a variable), `a` used.
    let tokens = client.request("textDocument/semanticTokens/full", json!({ "textDocument": { "uri": uri } })).unwrap();
    let data: Vec<u64> = tokens["data"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    // [delta line, delta start, length, type, modifiers] per token.
    assert_eq!(data, [1, 8, 1, 0, 0b011, 1, 6, 1, 1, 0b001, 0, 4, 1, 0, 0b010], "{tokens}");

    let status = client.shutdown().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_genome_scale_cell_completes_and_hovers_its_reactions() {
    let mut client = server();
    let uri = uri_of("models/ecoli_core_fedbatch.bio");
    let text = std::fs::read_to_string("models/ecoli_core_fedbatch.bio").unwrap();
    assert_eq!(open(&mut client, &uri, &text), Vec::<Value>::new());

    // A reaction's hover: equation and bounds from the model file.
    let (l, c) = position_of(&text, "EX_o2_e >=");
    let hover = client.request("textDocument/hover", at(&uri, l, c + 1)).unwrap();
    let h = hover["contents"]["value"].as_str().unwrap();
    assert!(h.contains("o2_e <=>") && h.contains("bounds [-1000, 1000]") && h.contains("mmol/gDW/h"), "{h}");
    let (l, c) = position_of(&text, "Biomass_Ecoli_core\n    infeasible");
    let h = client.request("textDocument/hover", at(&uri, l, c)).unwrap()["contents"]["value"].to_string();
    assert!(h.contains("1/h"), "growth is in 1/h: {h}");

    // `ecoli.` completes to the reaction ids of e_coli_core (95 reactions).
    let end = text.len();
    let lines = text.lines().count() as u32;
    let typed = json!([{ "range": { "start": { "line": lines, "character": 0 }, "end": { "line": lines, "character": 0 } }, "text": "let uptake = ecoli." }]);
    let diags = change(&mut client, &uri, 2, typed);
    assert_eq!(diags[0]["code"], "bio::syntax", "the half-typed line is a syntax error: {diags:?}");
    let items = client.request("textDocument/completion", at(&uri, lines, 19)).unwrap();
    let labels: Vec<&str> = items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"EX_glc__D_e") && labels.contains(&"PFK") && labels.contains(&"slack"), "{labels:?}");
    assert!(labels.len() >= 95, "{}", labels.len());
    let glc = items.as_array().unwrap().iter().find(|i| i["label"] == "EX_glc__D_e").unwrap();
    assert!(glc["detail"].as_str().unwrap().contains("glc__D_e"), "{glc}");
    assert!(end > 0);

    // A misspelt reaction in a bound: its diagnostic at the name, with the suggestion.
    let (l, c) = position_of(&text, "EX_glc__D_e >=");
    let typo = json!([
        { "range": { "start": { "line": lines, "character": 0 }, "end": { "line": lines, "character": 19 } }, "text": "" },
        { "range": { "start": { "line": l, "character": c + 8 }, "end": { "line": l, "character": c + 9 } }, "text": "" },
    ]);
    let diags = change(&mut client, &uri, 3, typo);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0]["range"]["start"], json!({ "line": l, "character": c }));
    assert!(diags[0]["message"].as_str().unwrap().contains("did you mean `EX_glc__D_e`"), "{}", diags[0]);

    // Completion after `bound ` in the cell's block: its reactions.
    let (l, _) = position_of(&text, "    bound EX_o2_e");
    let typed = json!([{ "range": { "start": { "line": l, "character": 0 }, "end": { "line": l, "character": 0 } }, "text": "    bound \n" }]);
    change(&mut client, &uri, 4, typed);
    let items = client.request("textDocument/completion", at(&uri, l, 10)).unwrap();
    assert!(items.as_array().unwrap().iter().any(|i| i["label"] == "EX_o2_e"), "{items}");

    // The outline names the parameters, species, the cell and the reactor.
    let symbols = client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } })).unwrap();
    let names: Vec<&str> = symbols.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    for n in ["Vmax", "glucose", "ecoli", "reactor", "simulate"] {
        assert!(names.contains(&n), "{n}: {names:?}");
    }
    client.shutdown().unwrap();
}

#[test]
fn a_cell_on_an_inline_network_leads_to_its_reactions() {
    let mut client = server();
    let uri = uri_of("models/central_carbon.bio");
    let text = std::fs::read_to_string("models/central_carbon.bio").unwrap();
    assert_eq!(open(&mut client, &uri, &text), Vec::<Value>::new());
    let (l, c) = position_of(&text, "ATPM\n");
    let def = client.request("textDocument/definition", at(&uri, l, c + 1)).unwrap();
    assert_eq!(def["range"]["start"], json!(position_of_json(&text, "ATPM: atp")));
    let h = client.request("textDocument/hover", at(&uri, l, c + 1)).unwrap()["contents"]["value"].to_string();
    assert!(h.contains("atp --> adp") && h.contains("bounds [8.39, 1000]"), "{h}");
    // `core` (the cell's source) is a use of the network.
    let (l, c) = position_of(&text, "core) {");
    let def = client.request("textDocument/definition", at(&uri, l, c)).unwrap();
    assert_eq!(def["range"]["start"], json!(position_of_json(&text, "core {")));
    client.shutdown().unwrap();
}

fn position_of_json(text: &str, needle: &str) -> Value {
    let (line, character) = position_of(text, needle);
    json!({ "line": line, "character": character })
}

#[test]
fn bad_input_gets_an_error_or_nothing_and_the_server_goes_on() {
    let mut client = server();
    // Not JSON, JSON that is not a message, a header without a body length.
    client.send_raw(b"Content-Length: 9\r\n\r\n{garbage}");
    client.send_raw(b"Content-Length: 13\r\n\r\n{\"jsonrpc\":1}");
    match client.request("textDocument/inlayHint", json!({ "textDocument": { "uri": "file:///x.bio" } })) {
        Err(ClientError::Response(e)) => assert_eq!(e.code, -32601, "{}", e.message),
        other => panic!("{other:?}"),
    }
    match client.request("textDocument/hover", json!({ "nonsense": true })) {
        Err(ClientError::Response(e)) => assert_eq!(e.code, -32602, "{}", e.message),
        other => panic!("{other:?}"),
    }
    match client.request("textDocument/hover", at("file:///not/open.bio", 0, 0)) {
        Err(ClientError::Response(e)) => assert!(e.message.contains("not open"), "{}", e.message),
        other => panic!("{other:?}"),
    }
    // Changes to a document never opened, and positions far outside a document.
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": "file:///nope.bio", "version": 2 }, "contentChanges": [{ "text": "x" }] }),
    );
    let uri = "untitled:broken.bio";
    let diags = open(&mut client, uri, "garbage µ 𝜇 {{{ [[[ \u{0}");
    assert!(!diags.is_empty());
    for request in ["textDocument/hover", "textDocument/definition", "textDocument/completion"] {
        client.request(request, at(uri, 99, 99)).unwrap();
        client.request(request, at(uri, 0, 12)).unwrap();
    }
    client
        .request(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }),
        )
        .unwrap();
    client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } })).unwrap();
    assert!(client.is_running());
    let status = client.shutdown().unwrap();
    assert!(status.success());
}

/// An edit of a document, as fractions of its length (so any strategy
/// value applies to any text).
#[derive(Clone, Debug)]
enum Edit {
    Insert(f64, String),
    Delete(f64, usize),
    Truncate(f64),
}

fn edit_strategy() -> impl proptest::strategy::Strategy<Value = Edit> {
    use proptest::prelude::*;
    let snippet = prop_oneof![
        Just("ecoli.".to_string()),
        Just("[mmol/".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just(" µ·𝜇 ".to_string()),
        Just("µ\n".to_string()),
        Just("\n    bound µ".to_string()),
        Just("\nparam".to_string()),
        Just("bound ".to_string()),
        Just("\n".to_string()),
        "[a-z_\\[\\]{}().=+*/ 0-9µ\n]{0,12}",
    ];
    prop_oneof![
        (0.0..=1.0f64, snippet).prop_map(|(a, s)| Edit::Insert(a, s)),
        (0.0..=1.0f64, 0..40usize).prop_map(|(a, n)| Edit::Delete(a, n)),
        (0.0..=1.0f64).prop_map(Edit::Truncate),
    ]
}

fn char_boundary(text: &str, fraction: f64) -> usize {
    let mut at = ((text.len() as f64) * fraction) as usize;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn lsp_position(text: &str, at: usize) -> Value {
    let line = text[..at].matches('\n').count();
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": text[line_start..at].encode_utf16().count() })
}

#[test]
fn random_edits_of_the_shipped_models_never_end_the_server() {
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    let models: Vec<(String, String)> = std::fs::read_dir("models")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bio"))
        .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    assert!(models.len() >= 8);
    let client = std::cell::RefCell::new(server());
    let documents = std::cell::Cell::new(0);
    let mut runner = TestRunner::new(Config { cases: 48, failure_persistence: None, ..Config::default() });
    let strategy = (0..models.len(), proptest::collection::vec(edit_strategy(), 1..6), 0.0..=1.0f64);
    runner
        .run(&strategy, |(m, edits, probe)| {
            let mut client = client.borrow_mut();
            documents.set(documents.get() + 1);
            // Beside the model, so its model files and plugins resolve.
            let uri = uri_of(&format!("{}.edit{}.bio", models[m].0, documents.get()));
            let mut text = models[m].1.clone();
            let mut last = open(&mut client, &uri, &text);
            for (v, edit) in edits.iter().enumerate() {
                let (start, end, new) = match edit {
                    Edit::Insert(a, s) => (char_boundary(&text, *a), char_boundary(&text, *a), s.clone()),
                    Edit::Delete(a, n) => {
                        let start = char_boundary(&text, *a);
                        let mut end = (start + n).min(text.len());
                        while !text.is_char_boundary(end) {
                            end += 1;
                        }
                        (start, end, String::new())
                    }
                    Edit::Truncate(a) => (char_boundary(&text, *a), text.len(), String::new()),
                };
                let range = json!({ "start": lsp_position(&text, start), "end": lsp_position(&text, end) });
                text.replace_range(start..end, &new);
                let version = v as i32 + 2;
                client.notify(
                    "textDocument/didChange",
                    json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "range": range, "text": new }] }),
                );
                last = client.diagnostics(&uri, version).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            }
            // After edits (parsed incrementally), the diagnostics are those of
            // the final text opened afresh.
            let fresh_uri = format!("{uri}.fresh.bio");
            let fresh = open(&mut client, &fresh_uri, &text);
            client.notify("textDocument/didClose", json!({ "textDocument": { "uri": fresh_uri } }));
            let key = |ds: &[Value]| -> Vec<String> {
                ds.iter().map(|d| format!("{} {} {}", d["range"], d["code"], d["message"])).collect()
            };
            prop_assert_eq!(key(&last), key(&fresh), "{}", text);
            prop_assert!(last.iter().all(|d| d["code"] != "bio::internal"), "{:?}\n{}", last, text);
            let position = json!({ "textDocument": { "uri": uri }, "position": lsp_position(&text, char_boundary(&text, probe)) });
            for request in ["textDocument/hover", "textDocument/completion", "textDocument/definition"] {
                match client.request(request, position.clone()) {
                    Ok(_) | Err(ClientError::Response(_)) => {}
                    Err(e) => return Err(TestCaseError::fail(format!("{request}: {e:?} after {edits:?}"))),
                }
            }
            let mut rename = position.clone();
            rename["newName"] = json!("renamed_1");
            if let Err(ClientError::NoAnswer(e)) = client.request("textDocument/rename", rename) {
                return Err(TestCaseError::fail(format!("rename: {e} after {edits:?}")));
            }
            client.request("textDocument/formatting", json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }))
                .map_err(|e| TestCaseError::fail(format!("formatting: {e:?}")))?;
            client.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } }));
            prop_assert!(client.is_running());
            Ok(())
        })
        .unwrap();
    let status = client.into_inner().shutdown().unwrap();
    assert!(status.success());
}
