//! `xeplint server`: the Language Server Protocol over standard input and
//! output, on lsp-server and lsp-types, synchronous as ruff's and
//! rust-analyzer's are.
//!
//! One [`Session`] serves every open document: the DTD and entity files are
//! read and compiled once and kept across edits. A document is checked after
//! each burst of edits (every message already waiting is handled first), and
//! its findings are published where they lie: in the document, or in the
//! entity file they point into. Its text is released from the source map
//! once its findings are converted; the session itself is renewed every
//! [`RENEW_AFTER`] checks (the source map keeps a slot per text ever added)
//! and whenever an entity file, a DTD or `xeplint.toml` changes.
//!
//! Requests are answered in order, each inside `catch_unwind`: a bug that
//! panics while answering one is logged and answered as an internal error,
//! and the server goes on. A request cancelled before its turn is answered
//! `RequestCancelled`.

mod actions;
mod diagnostics;
mod features;
pub mod text;
pub mod transport;

use crate::check::{Input, Options, Session};
use crate::config::Config;
use crate::gate::Gate;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use text::Encoding;

/// Checks served by one session before a fresh one replaces it.
pub const RENEW_AFTER: usize = 1000;

/// Where the rules are documented: `#rule-id` is appended. Clients may give
/// another address with the initialization option `rulesUrl`.
pub const RULES_URL: &str = "https://github.com/xsf/xeplint/blob/main/docs/rules.md";

/// A line on standard error (the client's log), escaped.
pub(crate) fn log(message: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr().lock(),
        "xeplint server: {}",
        crate::report::escape::text(message)
    );
}

/// Serve over standard input and output until the client says `exit`.
pub fn run_stdio() -> Result<(), String> {
    // A panic's message goes to the log escaped, as every line there does.
    std::panic::set_hook(Box::new(|info| log(&format!("panic: {info}"))));
    let (connection, threads) = transport::stdio().map_err(|e| e.to_string())?;
    let result = run(&connection);
    drop(connection);
    threads.join().map_err(|e| e.to_string())?;
    result
}

/// Serve over a connection (stdio, or lsp-server's in-memory one in
/// tests) until the client says `exit`.
pub fn run(connection: &Connection) -> Result<(), String> {
    let (id, params) = connection
        .initialize_start()
        .map_err(|e| format!("initialization failed: {e}"))?;
    let params: lsp::InitializeParams = match serde_json::from_value(params) {
        Ok(p) => p,
        Err(e) => {
            log(&format!(
                "initialize parameters not understood ({e}): defaults used"
            ));
            lsp::InitializeParams::default()
        }
    };
    let sender = connection.sender.clone();
    let mut server = Server::new(
        &params,
        Box::new(move |m| {
            // The client is gone: the main loop ends when its input does.
            let _ = sender.send(m);
        }),
    );
    let result = lsp::InitializeResult {
        capabilities: server.capabilities(),
        server_info: Some(lsp::ServerInfo {
            name: "xeplint".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    let result = serde_json::to_value(result).map_err(|e| e.to_string())?;
    connection
        .initialize_finish(id, result)
        .map_err(|e| format!("initialization failed: {e}"))?;
    server.watch_files(&params);
    server.main_loop(connection)
}

/// An open document.
#[derive(Debug)]
pub(crate) struct Doc {
    pub uri: lsp::Uri,
    /// Its path, for a `file:` URI.
    pub path: Option<PathBuf>,
    pub text: String,
    /// Where its lines start, kept in step with edits.
    pub index: text::LineIndex,
    pub version: i32,
    /// Counts changes: an analysis or a check of an older text is stale.
    pub stamp: u64,
    /// An XML document, checked; other files (`xep.ent`) only show the
    /// findings of documents that point into them.
    pub xml: bool,
    /// The findings of the last check, and the stamp it checked.
    pub found: Vec<diagnostics::Found>,
    pub checked: Option<u64>,
    /// Findings of its check located in other files, by their URI.
    pub elsewhere: Vec<(lsp::Uri, lsp::Diagnostic)>,
}

pub(crate) struct Server {
    out: Out,
    pub enc: Encoding,
    root: Option<PathBuf>,
    pub gate: Arc<Gate>,
    pub session: Session,
    checks: usize,
    pub docs: HashMap<String, Doc>,
    /// Documents edited since their last check.
    dirty: BTreeSet<String>,
    /// Files other than open documents that were last published with
    /// findings (to clear them when those go).
    published_elsewhere: BTreeSet<String>,
    pub analysis: Option<features::Analysis>,
    pending: VecDeque<Message>,
    cancelled: HashSet<RequestId>,
    pub rules_url: String,
    next_request: i32,
}

/// Sends a message to the client (a clone of `Connection::sender`, whose
/// channel type lsp-server does not re-export).
pub(crate) type Out = Box<dyn Fn(Message) + Send>;

impl Server {
    fn new(params: &lsp::InitializeParams, out: Out) -> Server {
        let enc = match params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref())
        {
            Some(list) if list.contains(&lsp::PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        };
        #[allow(deprecated)]
        let root = params
            .workspace_folders
            .as_ref()
            .and_then(|f| f.first())
            .and_then(|f| text::uri_to_path(&f.uri))
            .or_else(|| params.root_uri.as_ref().and_then(text::uri_to_path));
        let rules_url = params
            .initialization_options
            .as_ref()
            .and_then(|o| o.get("rulesUrl"))
            .and_then(Value::as_str)
            .unwrap_or(RULES_URL)
            .to_string();
        let gate = Arc::new(Gate::new());
        let mut server = Server {
            out,
            enc,
            root,
            session: Session::new(Options::default()),
            gate,
            checks: 0,
            docs: HashMap::new(),
            dirty: BTreeSet::new(),
            published_elsewhere: BTreeSet::new(),
            analysis: None,
            pending: VecDeque::new(),
            cancelled: HashSet::new(),
            rules_url,
            next_request: 0,
        };
        server.renew();
        server
    }

    fn capabilities(&self) -> lsp::ServerCapabilities {
        lsp::ServerCapabilities {
            position_encoding: Some(match self.enc {
                Encoding::Utf8 => lsp::PositionEncodingKind::UTF8,
                Encoding::Utf16 => lsp::PositionEncodingKind::UTF16,
            }),
            text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
                lsp::TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
                    save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                    ..Default::default()
                },
            )),
            hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
            definition_provider: Some(lsp::OneOf::Left(true)),
            references_provider: Some(lsp::OneOf::Left(true)),
            document_symbol_provider: Some(lsp::OneOf::Left(true)),
            completion_provider: Some(lsp::CompletionOptions {
                trigger_characters: Some(["&", "#", "<", ">"].map(String::from).to_vec()),
                ..Default::default()
            }),
            code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
                lsp::CodeActionOptions {
                    code_action_kinds: Some(vec![
                        lsp::CodeActionKind::QUICKFIX,
                        lsp::CodeActionKind::SOURCE_FIX_ALL,
                        actions::FIX_ALL.into(),
                    ]),
                    ..Default::default()
                },
            )),
            ..Default::default()
        }
    }

    fn send(&self, message: impl Into<Message>) {
        (self.out)(message.into());
    }

    fn notify<N: lsp::notification::Notification>(&self, params: N::Params) {
        self.send(Notification::new(N::METHOD.into(), params));
    }

    /// Ask the client to tell us when entity files, DTDs and `xeplint.toml`
    /// change, when it can be asked.
    fn watch_files(&mut self, params: &lsp::InitializeParams) {
        let dynamic = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        if !dynamic {
            return;
        }
        let watchers = ["**/*.ent", "**/*.dtd", "**/xeplint.toml"]
            .map(|glob| lsp::FileSystemWatcher {
                glob_pattern: lsp::GlobPattern::String(glob.into()),
                kind: None,
            })
            .to_vec();
        let registration = lsp::Registration {
            id: "xeplint-watched-files".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(lsp::DidChangeWatchedFilesRegistrationOptions {
                watchers,
            })
            .ok(),
        };
        self.next_request += 1;
        self.send(Request::new(
            RequestId::from(format!("xeplint-{}", self.next_request)),
            "client/registerCapability".into(),
            lsp::RegistrationParams {
                registrations: vec![registration],
            },
        ));
    }

    /// A fresh session: the configuration read again, entity files and DTDs
    /// read again when next asked for.
    fn renew(&mut self) {
        self.analysis = None;
        self.checks = 0;
        self.gate = Arc::new(Gate::new());
        let dir = self
            .root
            .clone()
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("."));
        let config = match Config::discover(&dir) {
            Some(path) => match Config::load(&path, &self.gate) {
                Ok(c) => c,
                Err(e) => {
                    let message = format!("xeplint.toml not used: {e}");
                    log(&message);
                    self.notify::<lsp::notification::ShowMessage>(lsp::ShowMessageParams {
                        typ: lsp::MessageType::WARNING,
                        message,
                    });
                    Config::empty(&dir)
                }
            },
            None => Config::empty(&dir),
        };
        let mut options = Options::default();
        options.parse.entities = config.entities.clone();
        options.dtd = config.dtd.clone();
        options.config = Arc::new(config);
        self.session = Session::with_gate(options, self.gate.clone());
    }

    fn main_loop(&mut self, connection: &Connection) -> Result<(), String> {
        let mut shut_down = false;
        loop {
            // Everything already sent is read first: edits in a burst are
            // checked once, cancellations seen before their request's turn
            // (the next request stays in the queue until they are noted).
            while let Ok(m) = connection.receiver.try_recv() {
                self.pending.push_back(m);
            }
            if self.pending.is_empty() {
                if !shut_down && let Some(key) = self.dirty.pop_first() {
                    self.guarded("check", |s| s.check_and_publish(&key));
                    continue;
                }
                match connection.receiver.recv() {
                    Ok(m) => self.pending.push_back(m),
                    Err(_) => return Ok(()),
                }
                continue;
            }
            self.note_cancellations();
            let Some(message) = self.pending.pop_front() else {
                continue;
            };
            match message {
                Message::Request(req) => {
                    if req.method == "shutdown" {
                        shut_down = true;
                        self.send(Response::new_ok(req.id, Value::Null));
                    } else if shut_down {
                        self.send(Response::new_err(
                            req.id,
                            ErrorCode::InvalidRequest as i32,
                            "the server is shut down: only `exit` is expected".into(),
                        ));
                    } else {
                        self.request(req);
                    }
                }
                Message::Notification(n) => {
                    if n.method == "exit" {
                        return if shut_down {
                            Ok(())
                        } else {
                            Err("exit without shutdown".into())
                        };
                    }
                    if !shut_down {
                        self.guarded(&n.method.clone(), |s| s.notification(n));
                    }
                }
                Message::Response(_) => {}
            }
        }
    }

    /// Requests waiting in the queue whose cancellation is also there.
    fn note_cancellations(&mut self) {
        let waiting: HashSet<RequestId> = self
            .pending
            .iter()
            .filter_map(|m| match m {
                Message::Request(r) => Some(r.id.clone()),
                _ => None,
            })
            .collect();
        if waiting.is_empty() {
            return;
        }
        for m in &self.pending {
            if let Message::Notification(n) = m
                && n.method == "$/cancelRequest"
                && let Ok(p) = serde_json::from_value::<lsp::CancelParams>(n.params.clone())
            {
                let id = match p.id {
                    lsp::NumberOrString::Number(n) => RequestId::from(n),
                    lsp::NumberOrString::String(s) => RequestId::from(s),
                };
                if waiting.contains(&id) {
                    self.cancelled.insert(id);
                }
            }
        }
    }

    /// Run `f`; a panic inside is logged and the server goes on (with the
    /// cached analysis dropped, in case it was being built).
    fn guarded<R>(&mut self, what: &str, f: impl FnOnce(&mut Server) -> R) -> Option<R> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self))) {
            Ok(r) => Some(r),
            Err(panic) => {
                let why = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                log(&format!("bug: panic while handling {what}: {why}"));
                self.analysis = None;
                None
            }
        }
    }

    fn request(&mut self, req: Request) {
        let id = req.id.clone();
        if self.cancelled.remove(&id) {
            self.send(Response::new_err(
                id,
                ErrorCode::RequestCanceled as i32,
                "cancelled".into(),
            ));
            return;
        }
        let method = req.method.clone();
        let response = match self.guarded(&method, |s| s.dispatch(req)) {
            Some(Ok(value)) => Response {
                id,
                response_result: Ok(value),
            },
            Some(Err((code, message))) => Response::new_err(id, code as i32, message),
            None => Response::new_err(
                id,
                ErrorCode::InternalError as i32,
                format!("internal error while answering {method} (a bug: see the server's log)"),
            ),
        };
        self.send(response);
    }

    fn dispatch(&mut self, req: Request) -> Result<Value, (ErrorCode, String)> {
        use lsp::request::*;
        fn params<P: serde::de::DeserializeOwned>(
            req: lsp_server::Request,
        ) -> Result<P, (ErrorCode, String)> {
            serde_json::from_value(req.params)
                .map_err(|e| (ErrorCode::InvalidParams, format!("invalid parameters: {e}")))
        }
        fn answer<T: serde::Serialize>(v: T) -> Result<Value, (ErrorCode, String)> {
            serde_json::to_value(v).map_err(|e| (ErrorCode::InternalError, e.to_string()))
        }
        match req.method.as_str() {
            HoverRequest::METHOD => {
                let p: lsp::HoverParams = params(req)?;
                answer(self.hover(&p.text_document_position_params))
            }
            GotoDefinition::METHOD => {
                let p: lsp::GotoDefinitionParams = params(req)?;
                answer(self.definition(&p.text_document_position_params))
            }
            References::METHOD => {
                let p: lsp::ReferenceParams = params(req)?;
                answer(self.references(&p))
            }
            DocumentSymbolRequest::METHOD => {
                let p: lsp::DocumentSymbolParams = params(req)?;
                answer(self.symbols(&p.text_document.uri))
            }
            Completion::METHOD => {
                let p: lsp::CompletionParams = params(req)?;
                answer(self.completion(&p.text_document_position))
            }
            CodeActionRequest::METHOD => {
                let p: lsp::CodeActionParams = params(req)?;
                answer(self.code_actions(&p))
            }
            // What the server holds: for tests, and for a user who suspects
            // it of growing.
            "xeplint/stats" => answer(serde_json::json!({
                "documents": self.docs.len(),
                "heldTexts": self.session.sources.held(),
                "checksThisSession": self.checks,
            })),
            #[cfg(debug_assertions)]
            "xeplint/panic" => panic!("a panic the tests asked for"),
            // Keeps the server busy for `ms` milliseconds (at most two
            // seconds), so that a test can queue requests behind it.
            #[cfg(debug_assertions)]
            "xeplint/sleep" => {
                let ms = req.params.get("ms").and_then(Value::as_u64).unwrap_or(0);
                std::thread::sleep(std::time::Duration::from_millis(ms.min(2_000)));
                answer(Value::Null)
            }
            _ => Err((
                ErrorCode::MethodNotFound,
                format!("method not handled: {}", req.method),
            )),
        }
    }

    fn notification(&mut self, n: Notification) {
        use lsp::notification::*;
        fn params<P: serde::de::DeserializeOwned>(n: lsp_server::Notification) -> Option<P> {
            match serde_json::from_value(n.params) {
                Ok(p) => Some(p),
                Err(e) => {
                    log(&format!("{}: invalid parameters: {e}", n.method));
                    None
                }
            }
        }
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Some(p) = params::<lsp::DidOpenTextDocumentParams>(n) {
                    self.open(p.text_document);
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Some(p) = params::<lsp::DidChangeTextDocumentParams>(n) {
                    let key = p.text_document.uri.as_str().to_string();
                    if let Some(doc) = self.docs.get_mut(&key) {
                        text::apply_changes(
                            &mut doc.text,
                            &mut doc.index,
                            p.content_changes,
                            self.enc,
                        );
                        doc.version = p.text_document.version;
                        doc.stamp += 1;
                        if doc.xml {
                            self.dirty.insert(key);
                        }
                    }
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Some(p) = params::<lsp::DidCloseTextDocumentParams>(n) {
                    self.close(&p.text_document.uri);
                }
            }
            DidSaveTextDocument::METHOD => {
                if let Some(p) = params::<lsp::DidSaveTextDocumentParams>(n)
                    && affects_all(p.text_document.uri.as_str())
                {
                    self.refresh_all();
                }
            }
            DidChangeWatchedFiles::METHOD => {
                if let Some(p) = params::<lsp::DidChangeWatchedFilesParams>(n)
                    && p.changes.iter().any(|c| affects_all(c.uri.as_str()))
                {
                    self.refresh_all();
                }
            }
            _ => {}
        }
    }

    fn open(&mut self, item: lsp::TextDocumentItem) {
        let key = item.uri.as_str().to_string();
        let path = text::uri_to_path(&item.uri);
        let xml = item.language_id == "xml"
            || path
                .as_ref()
                .and_then(|p| p.extension())
                .is_some_and(|e| e.eq_ignore_ascii_case("xml"));
        let elsewhere_here = self.elsewhere_for(&key);
        self.docs.insert(
            key.clone(),
            Doc {
                uri: item.uri,
                path,
                index: text::LineIndex::new(&item.text),
                text: item.text,
                version: item.version,
                stamp: 0,
                xml,
                found: Vec::new(),
                checked: None,
                elsewhere: Vec::new(),
            },
        );
        if xml {
            self.dirty.insert(key);
        } else if !elsewhere_here.is_empty() {
            self.publish_elsewhere(std::iter::once(key));
        }
    }

    fn close(&mut self, uri: &lsp::Uri) {
        let key = uri.as_str().to_string();
        self.dirty.remove(&key);
        if self.analysis.as_ref().is_some_and(|a| a.key == key) {
            self.analysis = None;
        }
        if let Some(doc) = self.docs.remove(&key) {
            let targets: BTreeSet<String> = doc
                .elsewhere
                .iter()
                .map(|(u, _)| u.as_str().to_string())
                .collect();
            if doc.xml {
                self.notify::<lsp::notification::PublishDiagnostics>(
                    lsp::PublishDiagnosticsParams {
                        uri: doc.uri,
                        diagnostics: Vec::new(),
                        version: None,
                    },
                );
            }
            self.publish_elsewhere(targets.into_iter());
        }
    }

    /// An entity file, a DTD or the configuration changed: start afresh and
    /// check every open document again.
    fn refresh_all(&mut self) {
        self.renew();
        let keys: Vec<String> = self
            .docs
            .iter()
            .filter(|(_, d)| d.xml)
            .map(|(k, _)| k.clone())
            .collect();
        self.dirty.extend(keys);
    }

    /// Check a document now if it changed since its last check.
    pub(crate) fn ensure_checked(&mut self, key: &str) {
        if self.dirty.remove(key) {
            self.check_and_publish(key);
        }
    }

    /// The input standing for an open document's text.
    pub(crate) fn input_of(doc: &Doc) -> Input {
        Input::stdin(doc.text.as_bytes().to_vec(), doc.path.clone())
    }

    /// Count a check; renew the session after [`RENEW_AFTER`].
    pub(crate) fn count_check(&mut self) {
        self.checks += 1;
        if self.checks >= RENEW_AFTER {
            self.renew();
        }
    }
}

/// Whether a change to this file may change every document's findings.
fn affects_all(uri: &str) -> bool {
    let lower = uri.to_ascii_lowercase();
    lower.ends_with(".ent") || lower.ends_with(".dtd") || lower.ends_with("/xeplint.toml")
}
