#!/usr/bin/env python3
"""Latency of `xeplint server`: from an edit of a document to its new
diagnostics, against one `xeplint check` process on the same file.

    bench/server-latency.py [XEP] [--runs N] [--xeplint PATH]

XEP defaults to ../shared/corpus/xep-0060.xml (the largest XEP). The file is
copied with xep.dtd and xep.ent into a scratch project. The server is started
once and the document opened; then each run sends one `didChange` (a word of
a paragraph changed, alternately, as incremental sync sends it) and waits for
the `publishDiagnostics` of that version. The time measured is from writing
the change to reading the diagnostics, on this side of the pipe. Then
`xeplint check --format short` runs N times on the same file, start to exit.
Medians and 95th percentiles are printed in milliseconds.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def frame(obj):
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_message(stream):
    length = None
    while True:
        line = stream.readline()
        if not line:
            raise EOFError("the server closed its output")
        line = line.strip()
        if not line:
            break
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return json.loads(stream.read(length))


def percentile(values, p):
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("xep", nargs="?", default=os.path.join(REPO, "../shared/corpus/xep-0060.xml"))
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--xeplint", default=os.path.join(REPO, "target/release/xeplint"))
    args = ap.parse_args()

    corpus = os.path.dirname(os.path.abspath(args.xep))
    work = tempfile.mkdtemp(prefix="xeplint-bench-")
    try:
        os.mkdir(os.path.join(work, ".git"))
        for f in ("xep.dtd", "xep.ent"):
            shutil.copy(os.path.join(corpus, f), work)
        doc = os.path.join(work, os.path.basename(args.xep))
        shutil.copy(args.xep, doc)
        text = open(doc, encoding="utf-8").read()

        # One edit: a word in the middle of the document, on an ASCII line.
        lines = text.split("\n")
        target = next(
            i for i in range(len(lines) // 2, len(lines))
            if "<p>" in lines[i] and lines[i].isascii() and " the " in lines[i]
        )
        col = lines[target].index(" the ") + 1
        uri = "file://" + doc

        server = subprocess.Popen(
            [args.xeplint, "server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        send = lambda obj: (server.stdin.write(frame(obj)), server.stdin.flush())

        def wait_for(pred):
            while True:
                m = read_message(server.stdout)
                if pred(m):
                    return m

        send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"processId": None, "rootUri": "file://" + work, "capabilities": {}}})
        wait_for(lambda m: m.get("id") == 1)
        send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "xml", "version": 1, "text": text}}})
        first = wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics")
        findings = len(first["params"]["diagnostics"])

        latencies = []
        word = "the"
        for run in range(args.runs + 5):
            version = run + 2
            new = "THE" if word == "the" else "the"
            change = {"range": {"start": {"line": target, "character": col},
                                "end": {"line": target, "character": col + 3}}, "text": new}
            word = new
            t0 = time.perf_counter()
            send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}})
            wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                     and m["params"].get("version") == version)
            if run >= 5:  # the first few warm up
                latencies.append((time.perf_counter() - t0) * 1000)
        send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
        wait_for(lambda m: m.get("id") == 2)
        send({"jsonrpc": "2.0", "method": "exit"})
        server.wait(timeout=10)

        checks = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            subprocess.run([args.xeplint, "check", "--format", "short", doc],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            checks.append((time.perf_counter() - t0) * 1000)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    name = os.path.basename(args.xep)
    print(f"{name}: {len(text)} bytes, {findings} findings, {args.runs} runs each")
    for label, values in (("server: edit -> diagnostics", latencies),
                          ("xeplint check (one process)", checks)):
        print(f"{label:30} median {statistics.median(values):7.2f} ms   "
              f"p95 {percentile(values, 95):7.2f} ms")
    ratio = statistics.median(latencies) / statistics.median(checks)
    print(f"ratio of medians: {ratio:.2f} (target: at most 0.5)")


if __name__ == "__main__":
    sys.exit(main())
