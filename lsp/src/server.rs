//! The server: the open documents, the message loop, and each request and
//! notification answered from a document's analysis. A panic while
//! answering one message is that message's error; the server goes on.

use crate::analysis::{Analysis, CellInfo, Parsed, Severity};
use crate::text::{LineIndex, apply_change};
use crate::{completion, hover, navigation, outline, semantic};
use bioflux_api::CellCatalog;
use bioflux_grammar::ast::Span;
use bioflux_grammar::incremental;
use crossbeam_channel::TryRecvError;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

/// How the server was started.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Directories searched for plugins before the usual places.
    pub plugin_path: Vec<PathBuf>,
}

/// An open document and its analysis (`None` while it is out of date).
struct Document {
    uri: lsp::Uri,
    version: i32,
    text: String,
    lines: LineIndex,
    base_dir: PathBuf,
    /// The last analysis, and the text it was made from.
    analysis: Option<Analysis>,
    analysed_text: String,
    /// Whether `analysis` is of the current text.
    fresh: bool,
    /// The last text that parsed and its tree, while the analysis is of
    /// text that does not (the next incremental parse starts from it).
    clean: Option<(String, bioflux_grammar::ast::Model)>,
    /// Cells as the last analysis that checked saw them.
    cells: HashMap<String, CellInfo>,
}

impl Document {
    fn offset(&self, pos: lsp::Position) -> usize {
        self.lines.offset(&self.text, pos)
    }
    fn range(&self, span: Span) -> lsp::Range {
        self.lines.range(&self.text, span)
    }
    fn location(&self, span: Span) -> lsp::Location {
        lsp::Location { uri: self.uri.clone(), range: self.range(span) }
    }
}

/// A request's failure, as the protocol reports it.
struct Failure {
    code: ErrorCode,
    message: String,
}

impl Failure {
    fn new(code: ErrorCode, message: impl Into<String>) -> Failure {
        Failure { code, message: message.into() }
    }
}

/// The server's state.
struct Server {
    connection: Connection,
    documents: HashMap<String, Document>,
    catalog: CellCatalog,
    /// Documents whose diagnostics are to be published once no message waits.
    pending: BTreeSet<String>,
}

/// What the server can do, as `initialize` answers.
pub fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(lsp::PositionEncodingKind::UTF16),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(lsp::TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
            save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
            ..Default::default()
        })),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Right(lsp::RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![".".into(), "[".into()]),
            ..Default::default()
        }),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        semantic_tokens_provider: Some(lsp::SemanticTokensServerCapabilities::SemanticTokensOptions(
            lsp::SemanticTokensOptions {
                legend: semantic::legend(),
                full: Some(lsp::SemanticTokensFullOptions::Bool(true)),
                ..Default::default()
            },
        )),
        ..Default::default()
    }
}

/// Serves one client on `connection` until it exits.
pub fn serve(connection: Connection, options: &Options) -> Result<(), String> {
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let mut plugin_path = options.plugin_path.clone();
    // `initializationOptions: { "pluginPath": ["dir", ...] }` from the editor.
    if let Some(dirs) = params.pointer("/initializationOptions/pluginPath").and_then(Value::as_array) {
        plugin_path.extend(dirs.iter().filter_map(Value::as_str).map(PathBuf::from));
    }
    let reply = json!({
        "capabilities": capabilities(),
        "serverInfo": { "name": "bioflux", "version": env!("CARGO_PKG_VERSION") },
    });
    connection.initialize_finish(id, reply).map_err(|e| e.to_string())?;
    let mut server = Server {
        connection,
        documents: HashMap::new(),
        catalog: CellCatalog::new(&plugin_path),
        pending: BTreeSet::new(),
    };
    server.main_loop()
}

impl Server {
    fn main_loop(&mut self) -> Result<(), String> {
        loop {
            let message = if self.pending.is_empty() {
                match self.connection.receiver.recv() {
                    Ok(m) => m,
                    Err(_) => return Ok(()),
                }
            } else {
                // Changes that arrive together are analysed once.
                match self.connection.receiver.try_recv() {
                    Ok(m) => m,
                    Err(TryRecvError::Empty) => {
                        self.publish_pending();
                        continue;
                    }
                    Err(TryRecvError::Disconnected) => return Ok(()),
                }
            };
            match message {
                Message::Request(request) => {
                    if self.connection.handle_shutdown(&request).map_err(|e| e.to_string())? {
                        return Ok(());
                    }
                    let id = request.id.clone();
                    let method = request.method.clone();
                    let response = match catch_unwind(AssertUnwindSafe(|| self.request(request))) {
                        Ok(Ok(value)) => Response::new_ok(id, value),
                        Ok(Err(f)) => Response::new_err(id, f.code as i32, f.message),
                        Err(panic) => {
                            self.forget_analyses();
                            let why = bioflux_api::panic_message(panic.as_ref());
                            Response::new_err(id, ErrorCode::InternalError as i32, format!("{method} failed: {why}"))
                        }
                    };
                    self.send(response.into());
                }
                Message::Notification(n) if n.method == "exit" => return Ok(()),
                Message::Notification(n) => {
                    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| self.notification(n))) {
                        self.forget_analyses();
                        eprintln!("bioflux lsp: a notification failed: {}", bioflux_api::panic_message(panic.as_ref()));
                    }
                }
                Message::Response(_) => {}
            }
        }
    }

    fn send(&self, message: Message) {
        // A closed channel means the client is gone; the loop ends on its own.
        let _ = self.connection.sender.send(message);
    }

    /// After a panic a document's analysis may be half made: redo them.
    fn forget_analyses(&mut self) {
        for doc in self.documents.values_mut() {
            doc.analysis = None;
            doc.clean = None;
        }
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let Ok(p) = n.extract::<lsp::DidOpenTextDocumentParams>("textDocument/didOpen") else { return };
                let d = p.text_document;
                let key = d.uri.as_str().to_string();
                let doc = Document {
                    base_dir: base_dir(&d.uri),
                    lines: LineIndex::new(&d.text),
                    uri: d.uri,
                    version: d.version,
                    text: d.text,
                    analysis: None,
                    analysed_text: String::new(),
                    fresh: false,
                    clean: None,
                    cells: HashMap::new(),
                };
                self.documents.insert(key.clone(), doc);
                self.pending.insert(key);
            }
            "textDocument/didChange" => {
                let Ok(p) = n.extract::<lsp::DidChangeTextDocumentParams>("textDocument/didChange") else { return };
                let key = p.text_document.uri.as_str().to_string();
                let Some(doc) = self.documents.get_mut(&key) else { return };
                for change in p.content_changes {
                    apply_change(&mut doc.text, change.range, &change.text);
                }
                doc.lines = LineIndex::new(&doc.text);
                doc.version = p.text_document.version;
                doc.fresh = false;
                self.pending.insert(key);
            }
            "textDocument/didSave" | "workspace/didChangeWatchedFiles" => {
                // A model file beside it may have changed: check again.
                let keys: Vec<String> = self.documents.keys().cloned().collect();
                for key in keys {
                    if let Some(doc) = self.documents.get_mut(&key) {
                        doc.fresh = false;
                    }
                    self.pending.insert(key);
                }
            }
            "textDocument/didClose" => {
                let Ok(p) = n.extract::<lsp::DidCloseTextDocumentParams>("textDocument/didClose") else { return };
                let key = p.text_document.uri.as_str().to_string();
                self.documents.remove(&key);
                self.pending.remove(&key);
                let params =
                    lsp::PublishDiagnosticsParams { uri: p.text_document.uri, diagnostics: Vec::new(), version: None };
                self.send(Notification::new("textDocument/publishDiagnostics".into(), params).into());
            }
            _ => {}
        }
    }

    /// Publishes the diagnostics of every document changed since the last time.
    fn publish_pending(&mut self) {
        for key in std::mem::take(&mut self.pending) {
            let published = catch_unwind(AssertUnwindSafe(|| {
                let doc = self.analysed(&key)?;
                Some(publish_params(doc))
            }));
            let params = match published {
                Ok(params) => params,
                Err(panic) => {
                    self.forget_analyses();
                    // The editor still gets an answer for this version, saying so.
                    let why = bioflux_api::panic_message(panic.as_ref());
                    eprintln!("bioflux lsp: checking {key} failed: {why}");
                    self.documents.get(&key).map(|doc| internal_error(doc, &why))
                }
            };
            if let Some(params) = params {
                self.send(Notification::new("textDocument/publishDiagnostics".into(), params).into());
            }
        }
    }

    /// The document, analysed.
    fn analysed(&mut self, key: &str) -> Option<&Document> {
        let doc = self.documents.get_mut(key)?;
        if !doc.fresh || doc.analysis.is_none() {
            // Only the statements the edits touched are parsed again, from
            // the last text that parsed (so removing a typo is cheap too).
            let last_clean = match doc.analysis.take().and_then(Analysis::into_tree) {
                Some(tree) => Some((std::mem::take(&mut doc.analysed_text), tree)),
                None => doc.clean.take(),
            };
            let mut parsed = Parsed::Unknown;
            if let Some((clean_text, mut tree)) = last_clean {
                if incremental::reparse(&mut tree, &clean_text, &doc.text) {
                    parsed = Parsed::Clean(tree);
                } else {
                    let limit = bioflux_compiler::MAX_SYNTAX_ERRORS;
                    if let Some((recovered, errors)) = incremental::reparse_broken(&tree, &clean_text, &doc.text, limit)
                    {
                        parsed = Parsed::Broken(recovered, errors);
                    }
                    doc.clean = Some((clean_text, tree));
                }
            }
            let analysis = Analysis::new(&doc.text, &doc.base_dir, &mut self.catalog, &doc.cells, parsed);
            if analysis.parses {
                doc.clean = None;
            }
            doc.analysed_text.clone_from(&doc.text);
            doc.fresh = true;
            if analysis.checked.is_some() {
                doc.cells = analysis.cells.clone();
            }
            doc.analysis = Some(analysis);
        }
        Some(doc)
    }

    fn request(&mut self, request: Request) -> Result<Value, Failure> {
        let method = request.method.clone();
        match method.as_str() {
            "textDocument/hover" => {
                let p: lsp::HoverParams = params(request)?;
                let (doc, analysis, at) = self.at(&p.text_document_position_params)?;
                Ok(match hover::hover(&doc.text, analysis, at) {
                    Some((markdown, span)) => json!(lsp::Hover {
                        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                            kind: lsp::MarkupKind::Markdown,
                            value: markdown,
                        }),
                        range: Some(doc.range(span)),
                    }),
                    None => Value::Null,
                })
            }
            "textDocument/definition" => {
                let p: lsp::GotoDefinitionParams = params(request)?;
                let (doc, analysis, at) = self.at(&p.text_document_position_params)?;
                Ok(navigation::definition(analysis, at).map_or(Value::Null, |span| json!(doc.location(span))))
            }
            "textDocument/references" => {
                let p: lsp::ReferenceParams = params(request)?;
                let (doc, analysis, at) = self.at(&p.text_document_position)?;
                let spans = navigation::references(analysis, at, p.context.include_declaration);
                Ok(json!(spans.into_iter().map(|s| doc.location(s)).collect::<Vec<_>>()))
            }
            "textDocument/prepareRename" => {
                let p: lsp::TextDocumentPositionParams = params(request)?;
                let (doc, analysis, at) = self.at(&p)?;
                match navigation::prepare_rename(analysis, at) {
                    Ok(span) => Ok(json!(doc.range(span))),
                    Err(e) => Err(Failure::new(ErrorCode::RequestFailed, e.to_string())),
                }
            }
            "textDocument/rename" => {
                let p: lsp::RenameParams = params(request)?;
                let (doc, analysis, at) = self.at(&p.text_document_position)?;
                let spans = navigation::rename(analysis, at, &p.new_name)
                    .map_err(|e| Failure::new(ErrorCode::RequestFailed, e.to_string()))?;
                let edits: Vec<lsp::TextEdit> = spans
                    .into_iter()
                    .map(|s| lsp::TextEdit { range: doc.range(s), new_text: p.new_name.clone() })
                    .collect();
                // lsp-types keys edits by `Uri`, whose hash does not change.
                #[allow(clippy::mutable_key_type)]
                let changes = HashMap::from([(doc.uri.clone(), edits)]);
                Ok(json!(lsp::WorkspaceEdit { changes: Some(changes), ..Default::default() }))
            }
            "textDocument/completion" => {
                let p: lsp::CompletionParams = params(request)?;
                let (doc, analysis, at) = self.at(&p.text_document_position)?;
                Ok(json!(lsp::CompletionResponse::Array(completion::complete(&doc.text, analysis, at))))
            }
            "textDocument/formatting" => {
                let p: lsp::DocumentFormattingParams = params(request)?;
                let Some(doc) = self.analysed(p.text_document.uri.as_str()) else { return Ok(Value::Null) };
                // Text that does not parse is left as it is (its errors are shown).
                Ok(match bioflux_grammar::format_source(&doc.text) {
                    Ok(formatted) if formatted != doc.text => {
                        json!([lsp::TextEdit { range: doc.range(Span::new(0, doc.text.len())), new_text: formatted }])
                    }
                    _ => json!([]),
                })
            }
            "textDocument/documentSymbol" => {
                let p: lsp::DocumentSymbolParams = params(request)?;
                let Some(doc) = self.analysed(p.text_document.uri.as_str()) else { return Ok(Value::Null) };
                let Some(ast) = doc.analysis.as_ref().and_then(|a| a.ast.as_ref()) else { return Ok(json!([])) };
                let entries = outline::outline(&doc.text, ast);
                Ok(json!(entries.iter().map(|e| document_symbol(doc, e)).collect::<Vec<_>>()))
            }
            "textDocument/semanticTokens/full" => {
                let p: lsp::SemanticTokensParams = params(request)?;
                let Some(doc) = self.analysed(p.text_document.uri.as_str()) else { return Ok(Value::Null) };
                let analysis = doc.analysis.as_ref().expect("analysed");
                let data = semantic::tokens(&doc.text, &doc.lines, analysis);
                Ok(json!(lsp::SemanticTokens { result_id: None, data }))
            }
            _ => Err(Failure::new(ErrorCode::MethodNotFound, format!("bioflux lsp does not answer `{method}`"))),
        }
    }

    /// The document, its analysis and the byte offset of a position.
    fn at(&mut self, p: &lsp::TextDocumentPositionParams) -> Result<(&Document, &Analysis, usize), Failure> {
        let key = p.text_document.uri.as_str();
        let doc =
            self.analysed(key).ok_or_else(|| Failure::new(ErrorCode::InvalidParams, format!("`{key}` is not open")))?;
        let analysis = doc.analysis.as_ref().expect("analysed");
        Ok((doc, analysis, doc.offset(p.position)))
    }
}

fn params<P: DeserializeOwned>(request: Request) -> Result<P, Failure> {
    serde_json::from_value(request.params)
        .map_err(|e| Failure::new(ErrorCode::InvalidParams, format!("{}: malformed parameters: {e}", request.method)))
}

#[allow(deprecated)] // `deprecated` is a field the protocol still requires.
fn document_symbol(doc: &Document, e: &outline::OutlineEntry) -> lsp::DocumentSymbol {
    lsp::DocumentSymbol {
        name: if e.name.is_empty() { "?".into() } else { e.name.clone() },
        detail: Some(e.detail.clone()),
        kind: e.kind,
        tags: None,
        deprecated: None,
        range: doc.range(e.span),
        selection_range: doc.range(e.selection),
        children: (!e.children.is_empty()).then(|| e.children.iter().map(|c| document_symbol(doc, c)).collect()),
    }
}

/// A document's problems as the protocol's diagnostics.
fn publish_params(doc: &Document) -> lsp::PublishDiagnosticsParams {
    let analysis = doc.analysis.as_ref().expect("analysed before publishing");
    let diagnostics = analysis
        .problems
        .iter()
        .map(|p| {
            let d = &p.diagnostic;
            let mut message = match p.severity {
                Severity::Error => d.message.clone(),
                Severity::Unchecked => format!("not checked against its plugin: {}", d.message),
            };
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            let related: Vec<lsp::DiagnosticRelatedInformation> = d
                .secondary
                .iter()
                .map(|(span, label)| lsp::DiagnosticRelatedInformation {
                    location: doc.location(*span),
                    message: label.clone(),
                })
                .collect();
            lsp::Diagnostic {
                range: doc.range(d.span),
                severity: Some(match p.severity {
                    Severity::Error => lsp::DiagnosticSeverity::ERROR,
                    Severity::Unchecked => lsp::DiagnosticSeverity::WARNING,
                }),
                code: Some(lsp::NumberOrString::String(d.code.as_str().to_string())),
                source: Some("bioflux".into()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                ..Default::default()
            }
        })
        .collect();
    lsp::PublishDiagnosticsParams { uri: doc.uri.clone(), diagnostics, version: Some(doc.version) }
}

/// The one diagnostic of a document whose check failed inside the server.
fn internal_error(doc: &Document, why: &str) -> lsp::PublishDiagnosticsParams {
    let diagnostic = lsp::Diagnostic {
        range: lsp::Range::default(),
        severity: Some(lsp::DiagnosticSeverity::ERROR),
        code: Some(lsp::NumberOrString::String("bio::internal".into())),
        source: Some("bioflux".into()),
        message: format!("bioflux lsp could not check this document (a bug; please report it): {why}"),
        ..Default::default()
    };
    lsp::PublishDiagnosticsParams { uri: doc.uri.clone(), diagnostics: vec![diagnostic], version: Some(doc.version) }
}

/// The directory a document's relative paths (model files, plugins) start
/// from: its own for a file, the working directory otherwise.
fn base_dir(uri: &lsp::Uri) -> PathBuf {
    file_path(uri)
        .and_then(|p| p.parent().map(PathBuf::from))
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default()
}

/// The path of a `file:` URI, percent-decoded.
pub fn file_path(uri: &lsp::Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let path = rest.find('/').map(|i| &rest[i..])?;
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = path.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(PathBuf::from(String::from_utf8(out).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_become_paths() {
        let uri: lsp::Uri = "file:///home/a%20b/m%C2%B5.bio".parse().unwrap();
        assert_eq!(file_path(&uri), Some(PathBuf::from("/home/a b/mµ.bio")));
        let untitled: lsp::Uri = "untitled:Untitled-1".parse().unwrap();
        assert_eq!(file_path(&untitled), None);
    }
}
