//! Messages over standard input and output, framed by `Content-Length`.
//!
//! lsp-server's own stdio transport stops at the first malformed message and
//! reads a frame of any announced length. This one bounds a frame
//! ([`MAX_MESSAGE`]), answers what cannot be read with the protocol's error
//! (`-32700` parse error, `-32600` invalid request) and reads on.

use lsp_server::{Connection, Message};
use serde_json::{Value, json};
use std::io::{self, BufRead, Read, Write};
use std::thread::JoinHandle;

/// The largest message read, in bytes ([`crate::limits::MAX_LSP_MESSAGE`]).
pub const MAX_MESSAGE: usize = crate::limits::MAX_LSP_MESSAGE as usize;

/// The longest header line read.
const MAX_HEADER_LINE: usize = 1024;

/// What reading one frame gave.
#[derive(Debug)]
pub enum Frame {
    Message(Message),
    /// Not a message: the error answer to send (its `id` is null when the
    /// request's could not be read).
    Malformed(Value),
    /// The input ended.
    End,
}

/// Read one frame. I/O errors end the input; everything else is answered.
pub fn read_frame(r: &mut impl BufRead) -> io::Result<Frame> {
    let mut length: Option<usize> = None;
    let mut bad_header = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = r
            .by_ref()
            .take(MAX_HEADER_LINE as u64)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(Frame::End);
        }
        if !line.ends_with(b"\n") {
            // Too long: skip the rest of the line.
            bad_header = true;
            let mut rest = Vec::new();
            r.read_until(b'\n', &mut rest)?;
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if length.is_none() && !bad_header {
                // Blank lines between frames: read on.
                continue;
            }
            break;
        }
        match text.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) => length = Some(n),
                    Err(_) => bad_header = true,
                }
            }
            Some(_) => {}
            None => bad_header = true,
        }
    }
    let Some(length) = length.filter(|_| !bad_header) else {
        return Ok(Frame::Malformed(error(
            Value::Null,
            -32700,
            "malformed header: a frame needs `Content-Length: N` and a blank line",
        )));
    };
    if length > MAX_MESSAGE {
        // Skip the body without keeping it.
        io::copy(&mut r.by_ref().take(length as u64), &mut io::sink())?;
        return Ok(Frame::Malformed(error(
            Value::Null,
            -32700,
            &format!(
                "message of {length} bytes refused: the limit is {}",
                crate::limits::bytes(MAX_MESSAGE as u64)
            ),
        )));
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body)?;
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return Ok(Frame::Malformed(error(
                Value::Null,
                -32700,
                &format!("parse error: {e}"),
            )));
        }
    };
    let id = value.get("id").cloned().unwrap_or(Value::Null);
    match serde_json::from_value::<Message>(value) {
        Ok(m) => Ok(Frame::Message(m)),
        Err(e) => {
            let id = if id.is_string() || id.is_i64() {
                id
            } else {
                Value::Null
            };
            Ok(Frame::Malformed(error(
                id,
                -32600,
                &format!("invalid request: {e}"),
            )))
        }
    }
}

fn error(id: Value, code: i32, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// Write one frame.
pub fn write_frame(w: &mut impl Write, value: &impl serde::Serialize) -> io::Result<()> {
    let text = serde_json::to_string(value).map_err(io::Error::other)?;
    write!(w, "Content-Length: {}\r\n\r\n", text.len())?;
    w.write_all(text.as_bytes())?;
    w.flush()
}

/// The threads moving messages between the connection and stdio.
pub struct IoThreads {
    reader: JoinHandle<()>,
    writer: JoinHandle<io::Result<()>>,
}

impl IoThreads {
    /// Wait for the writer to send what is left (the reader ends with the
    /// input, or is left behind at exit).
    pub fn join(self) -> io::Result<()> {
        drop(self.reader);
        self.writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")))
    }
}

/// A connection over standard input and output.
pub fn stdio() -> io::Result<(Connection, IoThreads)> {
    // The server's end, and the end the threads hold.
    let (server, wire) = Connection::memory();
    let Connection { sender, receiver } = wire;
    let writer = std::thread::Builder::new()
        .name("xeplint-lsp-writer".into())
        .spawn(move || {
            for message in receiver {
                let mut out = io::stdout().lock();
                write_jsonrpc(&mut out, &message)?;
            }
            Ok(())
        })?;
    let reader = std::thread::Builder::new()
        .name("xeplint-lsp-reader".into())
        .spawn(move || {
            let mut input = io::stdin().lock();
            loop {
                match read_frame(&mut input) {
                    Ok(Frame::Message(m)) => {
                        let exit = matches!(&m, Message::Notification(n) if n.method == "exit");
                        if sender.send(m).is_err() || exit {
                            return;
                        }
                    }
                    Ok(Frame::Malformed(answer)) => {
                        // The server's log line (its module is above this
                        // one: written here, escaped the same way).
                        let _ = writeln!(
                            io::stderr().lock(),
                            "xeplint server: malformed message answered: {}",
                            crate::report::escape::text(&answer["error"]["message"].to_string())
                        );
                        let mut out = io::stdout().lock();
                        if write_frame(&mut out, &answer).is_err() {
                            return;
                        }
                    }
                    Ok(Frame::End) | Err(_) => return,
                }
            }
        })?;
    Ok((server, IoThreads { reader, writer }))
}

/// A message as JSON-RPC 2.0 (lsp-server's `Message::write` adds the
/// version the same way).
pub fn write_jsonrpc(w: &mut impl Write, message: &Message) -> io::Result<()> {
    #[derive(serde::Serialize)]
    struct JsonRpc<'a> {
        jsonrpc: &'static str,
        #[serde(flatten)]
        msg: &'a Message,
    }
    write_frame(
        w,
        &JsonRpc {
            jsonrpc: "2.0",
            msg: message,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<Frame> {
        let mut r = io::BufReader::new(input);
        let mut out = Vec::new();
        loop {
            match read_frame(&mut r) {
                Ok(Frame::End) | Err(_) => return out,
                Ok(f) => out.push(f),
            }
        }
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn malformed_frames_are_answered_and_reading_goes_on() {
        let mut input = String::new();
        input += &frame("{not json");
        input += &frame(r#"{"jsonrpc":"2.0","id":7}"#);
        input += "Content-Type: x\r\nno colon here\r\n\r\n";
        input += &format!("Content-Length: {}\r\n\r\n", MAX_MESSAGE + 1);
        input += &frame(r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#);
        let got = frames(input.as_bytes());
        let codes: Vec<(i64, Value)> = got
            .iter()
            .filter_map(|f| match f {
                Frame::Malformed(v) => {
                    Some((v["error"]["code"].as_i64().unwrap_or(0), v["id"].clone()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            codes,
            [
                (-32700, Value::Null),
                (-32600, json!(7)),
                (-32700, Value::Null),
                (-32700, Value::Null)
            ]
        );
        // The oversized body was not there to skip: the input ended. A
        // message before it is read.
        let mut input = frame(r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#);
        input += &frame(r#"{"jsonrpc":"2.0","method":"exit"}"#);
        let got = frames(input.as_bytes());
        assert!(
            matches!(&got[..], [Frame::Message(Message::Request(r)), Frame::Message(Message::Notification(n))]
            if r.method == "shutdown" && n.method == "exit")
        );
    }
}
