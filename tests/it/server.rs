//! `xeplint server`, driven in process over lsp-server's in-memory
//! connection as an editor drives it: every feature, robustness, memory.
//! The last test runs the binary over stdio with malformed frames.

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch project: `.git`, the fixtures' xep.dtd and xep.ent, and the
/// documents given.
fn project(docs: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(".git")).expect("mkdir");
    for f in ["xep.dtd", "xep.ent"] {
        std::fs::copy(root().join("fixtures").join(f), dir.path().join(f)).expect("copy");
    }
    for (name, text) in docs {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}

fn fixture() -> String {
    std::fs::read_to_string(root().join("fixtures/xep-0002.xml")).expect("fixture")
}

fn uri(path: &Path) -> String {
    xeplint::server::text::path_to_uri(path)
        .expect("uri")
        .as_str()
        .to_string()
}

struct Client {
    tx: Box<dyn Fn(Message)>,
    rx: std::sync::mpsc::Receiver<Message>,
    server: Option<std::thread::JoinHandle<Result<(), String>>>,
    child: Option<std::process::Child>,
    next: i32,
    /// Notifications received while waiting for something else.
    seen: Vec<Notification>,
    /// The position encoding the server chose.
    encoding: String,
}

impl Client {
    /// A server in this process, over lsp-server's in-memory connection.
    fn start(dir: &Path) -> Client {
        Client::start_with(dir, json!({}))
    }

    /// The same, the client saying what it can do.
    fn start_with(dir: &Path, capabilities: Value) -> Client {
        let (server, conn) = Connection::memory();
        let handle = std::thread::spawn(move || xeplint::server::run(&server));
        let (tx, rx) = std::sync::mpsc::channel();
        let receiver = conn.receiver.clone();
        std::thread::spawn(move || {
            for m in receiver {
                if tx.send(m).is_err() {
                    return;
                }
            }
        });
        let sender = conn.sender.clone();
        let c = Client {
            tx: Box::new(move |m| sender.send(m).expect("send")),
            rx,
            server: Some(handle),
            child: None,
            next: 0,
            seen: Vec::new(),
            encoding: String::new(),
        };
        c.initialize(dir, capabilities)
    }

    /// The binary, over its standard input and output.
    fn spawn(dir: &Path) -> Client {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("xeplint"))
            .arg("server")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("xeplint server");
        let stdin = std::sync::Mutex::new(child.stdin.take().expect("stdin"));
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            while let Ok(Some(m)) = Message::read(&mut stdout) {
                if tx.send(m).is_err() {
                    return;
                }
            }
        });
        let c = Client {
            tx: Box::new(move |m| m.write(&mut *stdin.lock().expect("stdin")).expect("write")),
            rx,
            server: None,
            child: Some(child),
            next: 0,
            seen: Vec::new(),
            encoding: String::new(),
        };
        c.initialize(dir, json!({}))
    }

    fn initialize(mut self, dir: &Path, capabilities: Value) -> Client {
        let init = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(dir),
                "capabilities": capabilities,
            }),
        );
        assert!(init.response_result.is_ok(), "{init:?}");
        self.encoding = init.response_result.unwrap()["capabilities"]["positionEncoding"]
            .as_str()
            .unwrap_or("utf-16")
            .to_string();
        self.notify("initialized", json!({}));
        self
    }

    fn notify(&self, method: &str, params: Value) {
        (self.tx)(Notification::new(method.into(), params).into());
    }

    fn send_request(&mut self, method: &str, params: Value) -> RequestId {
        self.next += 1;
        let id = RequestId::from(self.next);
        (self.tx)(Request::new(id.clone(), method.into(), params).into());
        id
    }

    fn response(&mut self, id: &RequestId) -> Response {
        loop {
            match self.rx.recv_timeout(WAIT).expect("an answer") {
                Message::Response(r) if &r.id == id => return r,
                Message::Notification(n) => self.seen.push(n),
                Message::Request(_) | Message::Response(_) => {}
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Response {
        let id = self.send_request(method, params);
        self.response(&id)
    }

    fn result(&mut self, method: &str, params: Value) -> Value {
        let r = self.request(method, params);
        match r.response_result {
            Ok(v) => v,
            Err(e) => panic!("{method}: {e:?}"),
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Value {
        if let Some(i) = self
            .seen
            .iter()
            .position(|n| n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri)
        {
            return self.seen.remove(i).params;
        }
        loop {
            match self.rx.recv_timeout(WAIT).expect("diagnostics") {
                Message::Notification(n)
                    if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri =>
                {
                    return n.params;
                }
                Message::Notification(n) => self.seen.push(n),
                _ => {}
            }
        }
    }

    fn open(&mut self, path: &Path, text: &str) -> String {
        let u = uri(path);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": u, "languageId": "xml", "version": 1, "text": text}}),
        );
        u
    }

    fn at(&self, u: &str, line: u32, character: u32) -> Value {
        json!({"textDocument": {"uri": u}, "position": {"line": line, "character": character}})
    }

    fn stop(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert!(r.response_result.is_ok());
        self.notify("exit", Value::Null);
        if let Some(server) = self.server.take() {
            assert_eq!(server.join().expect("no panic"), Ok(()));
        }
        if let Some(mut child) = self.child.take() {
            assert!(child.wait().expect("exit status").success());
        }
    }
}

/// Line and character (0-based) of the first `needle` in `text`, plus `skip`
/// characters.
fn pos(text: &str, needle: &str, skip: u32) -> (u32, u32) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} in the text"));
    let line = text[..at].matches('\n').count() as u32;
    let col = text[..at].rsplit('\n').next().unwrap_or("").chars().count() as u32;
    (line, col + skip)
}

fn codes(published: &Value) -> Vec<(String, u64, u64)> {
    published["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_string(),
                d["range"]["start"]["line"].as_u64().unwrap_or(0) + 1,
                d["range"]["start"]["character"].as_u64().unwrap_or(0) + 1,
            )
        })
        .collect()
}

/// A document with three findings, one of them in xep.ent.
fn broken() -> (tempfile::TempDir, String) {
    let text = fixture()
        .replace("<status>Active", "<status>Activ")
        .replace("&xep0001;", "&nosuch;");
    let dir = project(&[("xep-0002.xml", &text)]);
    let ent = dir.path().join("xep.ent");
    let mut e = std::fs::read_to_string(&ent).expect("ent");
    e.push_str("<!ENTITY bad>\n");
    std::fs::write(&ent, e).expect("write");
    (dir, text)
}

#[test]
fn diagnostics_are_those_of_check_and_land_where_they_belong() {
    let (dir, text) = broken();
    let path = dir.path().join("xep-0002.xml");
    // What `xeplint check` says of the file.
    let out = assert_cmd::Command::cargo_bin("xeplint")
        .expect("binary")
        .args(["check", "--format", "json"])
        .arg(&path)
        .output()
        .expect("run");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let expected: Vec<(String, String, u64, u64)> = report["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap_or("").to_string(),
                d["rule"].as_str().unwrap_or("").to_string(),
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(expected.len(), 3, "{expected:?}");

    let mut c = Client::start(dir.path());
    let u = c.open(&path, &text);
    let published = c.diagnostics(&u);
    assert_eq!(published["version"], 1);
    let ent_uri = uri(&dir.path().join("xep.ent"));
    let in_ent = c.diagnostics(&ent_uri);
    let mut got: Vec<(String, String, u64, u64)> = Vec::new();
    for (file, p) in [
        (path.clone(), &published),
        (dir.path().join("xep.ent"), &in_ent),
    ] {
        for (code, line, col) in codes(p) {
            got.push((file.display().to_string(), code, line, col));
        }
    }
    let mut want = expected.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    let status = &published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "status-value")
        .expect("status-value")
        .clone();
    assert_eq!(status["severity"], 1);
    assert_eq!(status["source"], "xeplint");
    assert!(
        status["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("rules.md#status-value")
    );
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("help: did you mean")
    );

    // An incremental edit: the status fixed, the findings published again.
    c.seen.clear();
    let (line, col) = pos(&text, "Activ<", 5);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col}}, "text": "e"}
        ]}),
    );
    let again = c.diagnostics(&u);
    assert_eq!(again["version"], 2);
    let left: Vec<String> = codes(&again).into_iter().map(|c| c.0).collect();
    assert_eq!(left, ["xml-undefined-entity"]);
    assert_eq!(codes(&c.diagnostics(&ent_uri)).len(), 1, "still there");

    // The entity file repaired on disk: the watcher's news refreshes it.
    let ent = dir.path().join("xep.ent");
    let e = std::fs::read_to_string(&ent)
        .unwrap()
        .replace("<!ENTITY bad>\n", "");
    std::fs::write(&ent, e).unwrap();
    c.seen.clear();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": ent_uri, "type": 2}]}),
    );
    let _ = c.diagnostics(&u);
    let cleared = c.diagnostics(&ent_uri);
    assert_eq!(cleared["diagnostics"], json!([]));

    // Closing clears the document's findings.
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": u}}));
    assert_eq!(c.diagnostics(&u)["diagnostics"], json!([]));
    c.stop();
}

#[test]
fn configured_levels_apply() {
    let text = fixture().replace("<status>Active", "<status>Activ");
    let dir = project(&[
        ("xep-0002.xml", &text),
        ("xeplint.toml", "[rules]\nstatus-value = \"warning\"\n"),
    ]);
    let mut c = Client::start(dir.path());
    let u = c.open(&dir.path().join("xep-0002.xml"), &text);
    let d = c.diagnostics(&u);
    assert_eq!(d["diagnostics"][0]["code"], "status-value");
    assert_eq!(d["diagnostics"][0]["severity"], 2, "warning, as configured");
    // The configuration changed: read again.
    std::fs::write(
        dir.path().join("xeplint.toml"),
        "[rules]\nstatus-value = \"off\"\n",
    )
    .unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&dir.path().join("xeplint.toml")), "type": 2}]}),
    );
    assert_eq!(c.diagnostics(&u)["diagnostics"], json!([]));
    c.stop();
}

#[test]
fn hover_definition_references_symbols() {
    let text = fixture().replace(
        "<p>When the work is done",
        "<p>See <link url='#operation'>operations</link>, <span>XEP-0002</span> and <spec>XEP-0002</spec>. When the work is done",
    );
    let dir = project(&[("xep-0002.xml", &text)]);
    let path = dir.path().join("xep-0002.xml");
    let mut c = Client::start(dir.path());
    let u = c.open(&path, &text);
    let _ = c.diagnostics(&u);

    // Hover on an entity: its expansion and where it is declared.
    let (l, ch) = pos(&text, "&ORG;", 2);
    let h = c.result("textDocument/hover", c.at(&u, l, ch));
    let value = h["contents"]["value"].as_str().unwrap();
    assert!(value.contains("Example Standards Group"), "{value}");
    assert!(value.contains("xep.ent"), "{value}");
    // On a header value: what XEP-0001 says it means.
    let (l, ch) = pos(&text, "Procedural</type>", 2);
    let h = c.result("textDocument/hover", c.at(&u, l, ch));
    let value = h["contents"]["value"].as_str().unwrap();
    assert!(value.contains("process or activity"), "{value}");
    let (l, ch) = pos(&text, "Board</approver>", 1);
    let h = c.result("textDocument/hover", c.at(&u, l, ch));
    assert!(
        h["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("Board of Directors")
    );

    // Definition of an entity: its declaration in xep.ent.
    let (l, ch) = pos(&text, "&ORG;", 2);
    let d = c.result("textDocument/definition", c.at(&u, l, ch));
    assert_eq!(d["uri"], uri(&dir.path().join("xep.ent")));
    let ent = std::fs::read_to_string(dir.path().join("xep.ent")).unwrap();
    let (el, ec) = pos(&ent, "ORG \"", 0);
    assert_eq!(d["range"]["start"], json!({"line": el, "character": ec}));
    // Of a link: the anchor.
    let (l, ch) = pos(&text, "#operation'", 3);
    let d = c.result("textDocument/definition", c.at(&u, l, ch));
    let (al, ac) = pos(&text, "operation'>", 0);
    assert_eq!(d["uri"], u);
    assert_eq!(d["range"]["start"], json!({"line": al, "character": ac}));
    // Of a `<spec>`: the file.
    let (l, ch) = pos(&text, "XEP-0002</spec>", 3);
    let d = c.result("textDocument/definition", c.at(&u, l, ch));
    assert_eq!(d["uri"], u);

    // References of the anchor, with and without the declaration.
    let (l, ch) = pos(&text, "operation'>", 2);
    let mut p = c.at(&u, l, ch);
    p["context"] = json!({"includeDeclaration": true});
    let r = c.result("textDocument/references", p.clone());
    assert_eq!(r.as_array().unwrap().len(), 2, "{r}");
    p["context"] = json!({"includeDeclaration": false});
    let r = c.result("textDocument/references", p);
    let (ll, lc) = pos(&text, "#operation'", 0);
    assert_eq!(r[0]["range"]["start"], json!({"line": ll, "character": lc}));

    // The outline: the header, then the sections.
    let s = c.result(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    let names: Vec<&str> = s
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "header",
            "In Brief",
            "How Working Groups Operate",
            "Closing a Working Group"
        ]
    );
    assert_eq!(s[0]["detail"], "Working Groups");
    assert_eq!(s[1]["detail"], "#brief");
    c.stop();
}

#[test]
fn nested_sections_nest_in_the_outline() {
    let text = fixture().replace(
        "</section1>\n<section1 topic='Closing",
        "<section2 topic='Chairs' anchor='chairs'><p>x</p></section2>\n</section1>\n<section1 topic='Closing",
    );
    let dir = project(&[("xep-0002.xml", &text)]);
    let mut c = Client::start(dir.path());
    let u = c.open(&dir.path().join("xep-0002.xml"), &text);
    let s = c.result(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    assert_eq!(s[2]["children"][0]["name"], "Chairs");
    let (l, _) = pos(&text, "<section2", 0);
    assert_eq!(s[2]["children"][0]["range"]["start"]["line"], l);
    c.stop();
}

fn labels(v: &Value) -> Vec<String> {
    let items = v.get("items").unwrap_or(v);
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn completion() {
    let text = fixture()
        .replace("<status>Active</status>", "<status>Exp</status>")
        .replace(
            "<p>When the work is done",
            "<p>&OR <link url='#clo'>x</link> When the work is done",
        )
        .replace("<ul>", "<ul>\n    <");
    let dir = project(&[("xep-0002.xml", &text)]);
    let mut c = Client::start(dir.path());
    let u = c.open(&dir.path().join("xep-0002.xml"), &text);
    let (l, ch) = pos(&text, "&OR ", 3);
    let r = c.result("textDocument/completion", c.at(&u, l, ch));
    let entities = labels(&r);
    assert!(entities.contains(&"ORG".to_string()) && entities.contains(&"LEGALNOTICE".to_string()));
    let org = r
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "ORG")
        .unwrap();
    assert_eq!(org["detail"], "Example Standards Group");
    assert_eq!(org["textEdit"]["newText"], "ORG;");
    let (l, ch) = pos(&text, "#clo'", 4);
    let anchors = labels(&c.result("textDocument/completion", c.at(&u, l, ch)));
    assert_eq!(anchors, ["brief", "operation", "closing"]);
    let (l, ch) = pos(&text, "Exp</status>", 3);
    let statuses = labels(&c.result("textDocument/completion", c.at(&u, l, ch)));
    assert!(statuses.contains(&"Experimental".to_string()) && statuses.len() == 11);
    let (l, _) = pos(&text, "<ul>\n    <", 0);
    let elements = labels(&c.result("textDocument/completion", c.at(&u, l + 1, 5)));
    assert_eq!(elements, ["li"], "what the DTD allows in <ul>");
    c.stop();
}

/// Apply LSP text edits (UTF-16 positions; the texts here are ASCII).
fn apply(text: &str, edits: &Value) -> String {
    let mut edits: Vec<&Value> = edits.as_array().unwrap().iter().collect();
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let ch = p["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + ch
    };
    edits.sort_by_key(|e| std::cmp::Reverse(offset(&e["range"]["start"])));
    let mut out = text.to_string();
    for e in edits {
        let (s, t) = (offset(&e["range"]["start"]), offset(&e["range"]["end"]));
        out.replace_range(s..t, e["newText"].as_str().unwrap());
    }
    out
}

#[test]
fn code_actions_disable_and_fix() {
    let text = fixture().replace("<p>Each group", "<p>Each &nosuch; group");
    let dir = project(&[("xep-0002.xml", &text)]);
    let mut c = Client::start(dir.path());
    let u = c.open(&dir.path().join("xep-0002.xml"), &text);
    let d = c.diagnostics(&u);
    let diag = d["diagnostics"][0].clone();
    assert_eq!(diag["code"], "xml-undefined-entity");
    let actions = c.result(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": u}, "range": diag["range"], "context": {"diagnostics": [diag]}}),
    );
    let disable = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .starts_with("Disable xml-undefined-entity")
        })
        .expect("a disable action")
        .clone();
    assert_eq!(disable["kind"], "quickfix");
    let edited = apply(&text, &disable["edit"]["changes"][&u]);
    assert!(edited.contains(
        "  <!-- xeplint-disable-next-element xml-undefined-entity: reason -->\n  <p>Each &nosuch;"
    ));
    // The comment silences the finding.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": edited}]}),
    );
    assert_eq!(c.diagnostics(&u)["diagnostics"], json!([]));

    // Every fix a finding carries is offered; safe ones are preferred.
    let mut offered = 0;
    for f in fixable_documents() {
        let path = dir.path().join("xep-0002.xml");
        let u = uri(&path);
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": 3 + offered}, "contentChanges": [{"text": f}]}),
        );
        let d = c.diagnostics(&u);
        for diag in d["diagnostics"].as_array().unwrap() {
            let actions = c.result(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": u}, "range": diag["range"], "context": {"diagnostics": [diag], "only": ["quickfix"]}}),
            );
            for a in actions.as_array().unwrap() {
                if a["title"].as_str().unwrap().starts_with("Disable ") {
                    continue;
                }
                offered += 1;
                let fixed = apply(&f, &a["edit"]["changes"][&u]);
                assert_ne!(fixed, f);
            }
        }
        let all = c.result(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": u}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "context": {"diagnostics": [], "only": ["source.fixAll"]}}),
        );
        let safe_fixes = c.result(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": u}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 999, "character": 0}}, "context": {"diagnostics": [], "only": ["quickfix"]}}),
        );
        let any_safe = safe_fixes.as_array().unwrap().iter().any(|a| {
            a["isPreferred"] == true && !a["title"].as_str().unwrap().starts_with("Disable ")
        });
        assert_eq!(
            all.as_array().unwrap().len(),
            usize::from(any_safe),
            "{all}"
        );
        for a in all.as_array().unwrap() {
            assert_eq!(a["kind"], "source.fixAll.xeplint");
            // Fixed as `xeplint check --fix` fixes the same text.
            let path = dir.path().join("fixall.xml");
            std::fs::write(&path, &f).unwrap();
            let _ = assert_cmd::Command::cargo_bin("xeplint")
                .unwrap()
                .args(["check", "--fix", "--format", "short"])
                .arg(&path)
                .output()
                .unwrap();
            let by_cli = std::fs::read_to_string(&path)
                .unwrap()
                .replace("fixall.xml", "xep-0002.xml");
            assert_eq!(apply(&f, &a["edit"]["changes"][&u]), by_cli);
        }
    }
    assert!(offered >= 2, "{offered} fixes offered");
    c.stop();
}

/// Documents whose findings may carry fixes (as rules gain them).
fn fixable_documents() -> Vec<String> {
    let f = fixture();
    vec![
        f.replace("href='xep.xsl'", "href='xep.xls'"),
        f.replace("<status>Active", "<status>active"),
    ]
}

#[test]
fn errors_panics_and_cancellation() {
    let dir = project(&[]);
    let mut c = Client::start(dir.path());
    let r = c.request("no/such/method", json!({}));
    assert_eq!(r.response_result.expect_err("an error").code, -32601);
    let r = c.request("textDocument/hover", json!({"nonsense": true}));
    assert_eq!(r.response_result.expect_err("an error").code, -32602);
    // A panic inside a request is answered, and the server goes on.
    let r = c.request("xeplint/panic", json!({}));
    assert_eq!(r.response_result.expect_err("an error").code, -32603);
    let r = c.request("xeplint/stats", json!({}));
    assert!(r.response_result.is_ok());
    // A request cancelled while queued behind a slow one is not answered
    // with a result. The slow one is the debug build's `xeplint/sleep`: a
    // request slow by its own work (a large document) was not always slow
    // enough, on a busy machine, for the cancellation to be sent in time.
    let path = dir.path().join("xep-0002.xml");
    let text = fixture();
    std::fs::write(&path, &text).unwrap();
    let u = c.open(&path, &text);
    let _ = c.diagnostics(&u);
    // The cancellation is sent while the slow one runs, after the server has
    // read the hover: it was once missed when it came after its request had
    // been taken from the queue.
    let slow = c.send_request("xeplint/sleep", json!({"ms": 500}));
    let hover = c.send_request("textDocument/hover", c.at(&u, 7, 3));
    std::thread::sleep(std::time::Duration::from_millis(150));
    c.notify("$/cancelRequest", json!({"id": c.next}));
    let first = c.response(&slow);
    assert!(first.response_result.is_ok());
    let second = c.response(&hover);
    assert_eq!(second.response_result.expect_err("cancelled").code, -32800);
    c.stop();
}

/// 100 documents open, edited again and again: the texts held stay few,
/// and memory does not grow with the number of edits.
#[test]
fn memory_stays_bounded_with_100_documents() {
    let base = fixture();
    let dir = project(&[]);
    // The binary: its memory is its own, not shared with other tests.
    let mut c = Client::spawn(dir.path());
    let pid = c.child.as_ref().expect("a process").id();
    let mut uris = Vec::new();
    for i in 0..100 {
        let path = dir.path().join(format!("xep-{:04}.xml", 2000 + i));
        let text = base.replace("<number>0002", &format!("<number>{:04}", 2000 + i));
        std::fs::write(&path, &text).unwrap();
        uris.push((c.open(&path, &text), text));
    }
    for (u, _) in &uris {
        let _ = c.diagnostics(u);
    }
    let stats = |c: &mut Client| c.result("xeplint/stats", json!({}));
    let rss = || -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        s.lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
            .unwrap_or(0)
    };
    let mut version = 1;
    let round = |c: &mut Client, version: &mut i32| {
        *version += 1;
        for (u, text) in &uris {
            let edited = text.replace("Working Groups", &format!("Working Groups {version}"));
            c.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": u, "version": *version}, "contentChanges": [{"text": edited}]}),
            );
        }
        for (u, _) in &uris {
            let _ = c.diagnostics(u);
        }
    };
    for _ in 0..3 {
        round(&mut c, &mut version);
    }
    let before = rss();
    for _ in 0..8 {
        round(&mut c, &mut version);
    }
    let after = rss();
    let s = stats(&mut c);
    eprintln!("resident memory: {before} kB after 300 edits, {after} kB after 1100; {s}");
    assert_eq!(s["documents"], 100);
    // xep.ent, xep.dtd and the analysis at most: no document's text.
    assert!(s["heldTexts"].as_u64().unwrap() <= 4, "{s}");
    assert!(
        after <= before + 30 * 1024,
        "memory grew from {before} kB to {after} kB over 800 edits"
    );
    c.stop();
}

/// Confinement: an entity file outside the project root is refused, and a
/// `<spec>` whose file is a link out of it leads nowhere.
#[cfg(unix)]
#[test]
fn the_gate_holds() {
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(outer.path().join("secret.ent"), "<!ENTITY ORG 'leaked'>").unwrap();
    let text = fixture()
        .replace("SYSTEM 'xep.ent'", "SYSTEM '../secret.ent'")
        .replace("<p>When", "<p><spec>XEP-0003</spec> When");
    let root = outer.path().join("p");
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::copy(self::root().join("fixtures/xep.dtd"), root.join("xep.dtd")).unwrap();
    std::fs::write(outer.path().join("xep-0003.xml"), "<xep/>").unwrap();
    std::os::unix::fs::symlink("../xep-0003.xml", root.join("xep-0003.xml")).unwrap();
    let path = root.join("xep-0002.xml");
    std::fs::write(&path, &text).unwrap();
    let mut c = Client::start(&root);
    let u = c.open(&path, &text);
    let d = c.diagnostics(&u);
    let found: Vec<String> = codes(&d).into_iter().map(|c| c.0).collect();
    assert!(
        found.contains(&"xml-external-refused".to_string()),
        "{found:?}"
    );
    let (l, ch) = pos(&text, "&ORG;", 2);
    let h = c.result("textDocument/hover", c.at(&u, l, ch));
    assert!(!h.to_string().contains("leaked"));
    let (l, ch) = pos(&text, "XEP-0003", 2);
    let def = c.result("textDocument/definition", c.at(&u, l, ch));
    assert_eq!(def, Value::Null);
    c.stop();
}

/// The binary over stdio: malformed frames get the protocol's error answers
/// and the server reads on.
#[test]
fn stdio_answers_malformed_messages() {
    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }
    let mut input = String::new();
    input += &frame("{this is not json");
    input +=
        &frame(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#);
    input += &frame(r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#);
    input += &frame(r#"{"jsonrpc":"2.0","id":2}"#);
    input += &frame(r#"{"jsonrpc":"2.0","id":3,"method":"shutdown"}"#);
    input += &frame(r#"{"jsonrpc":"2.0","method":"exit"}"#);
    let out = assert_cmd::Command::cargo_bin("xeplint")
        .expect("binary")
        .arg("server")
        .write_stdin(input)
        .timeout(WAIT)
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(r#""code":-32700"#), "{stdout}");
    assert!(
        stdout.contains(r#""id":2,"#) && stdout.contains(r#""code":-32600"#),
        "{stdout}"
    );
    assert!(stdout.contains(r#""capabilities""#), "{stdout}");
    assert!(stdout.contains(r#""id":3,"result":null"#), "{stdout}");
}

/// Columns count UTF-16 code units, or bytes when the client offers UTF-8.
#[test]
fn positions_in_utf16_or_utf8() {
    let text = fixture().replace("<p>Each group", "<p>Grüße &nosuch; Each group");
    let dir = project(&[("xep-0002.xml", &text)]);
    let (line, chars) = pos(&text, "&nosuch;", 0);
    let line_text = text.lines().nth(line as usize).unwrap();
    let bytes = line_text.find("&nosuch;").unwrap() as u64;
    for (caps, want, name) in [
        (json!({}), u64::from(chars), "utf-16"),
        (
            json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}}),
            bytes,
            "utf-8",
        ),
    ] {
        let mut c = Client::start_with(dir.path(), caps);
        assert_eq!(c.encoding, name);
        let u = c.open(&dir.path().join("xep-0002.xml"), &text);
        let d = c.diagnostics(&u);
        assert_eq!(
            d["diagnostics"][0]["range"]["start"]["character"], want,
            "{name}"
        );
        c.stop();
    }
    assert_eq!(bytes, u64::from(chars) + 2);
}
