#!/usr/bin/env python3
"""Measure `xeplint check --fix` on every XEP source ever committed to xsf/xeps.

Issue 19 asks for it: judge every version of every XEP source in the history
with `xmllint --valid` against today's xep.dtd and xep.ent; of the versions
whose only errors are child order in <header>, <revision> or <author> (every
required child present), at least 95 % must be valid after `--fix`; report
how many of the other order defects (a required child missing) come out
valid; no valid version may be made invalid; a second `--fix` changes nothing.

    bench/fix-history.py                       # steps 1-2: enumerate, judge, classify
    bench/fix-history.py --xeplint target/release/xeplint   # and measure --fix
    bench/fix-history.py --list order-only     # the blobs of a class, one a line

Python 3 standard library, git and xmllint (libxml2). See bench/README.md,
"Fixes on the history of xsf/xeps", for the method and the figures.
"""

import argparse
import collections
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = re.compile(r"^(?:xep-[^/]*\.xml|inbox/[^/]*\.xml)$")
# The elements whose child order the fix is about.
ORDER_ELEMENTS = ("header", "revision", "author")
XMLLINT = ["xmllint", "--nonet", "--noout", "--noent", "--valid"]
# One error or warning as libxml2 prints its first line:
#   FILE:LINE: element NAME: validity error : MESSAGE
#   FILE:LINE: parser error : MESSAGE
ERROR_LINE = re.compile(
    r"^(?P<file>.*?):(?P<line>\d+): (?:element (?P<element>[^:\s]+): )?"
    r"(?P<domain>[\w ]*?)(?P<level>error|warning) : (?P<msg>.*)$"
)
CONTENT_MODEL = re.compile(
    r"^Element (?P<name>\S+) content does not follow the DTD, "
    r"expecting \((?P<expecting>.*)\), got \((?P<got>.*)\)$"
)
CLASSES = ("valid", "order-only", "order+surplus", "order+missing", "other")
MENDABLE = ("order-only", "order+surplus", "order+missing")
SCHEMA = 3  # bump when the verdict cache's content changes


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- step 1


def git(args, gitdir, **kw):
    return subprocess.run(["git", "--git-dir", gitdir] + args, check=True, **kw)


def enumerate_blobs(gitdir, refs):
    """Every blob of a XEP source in the history, with where it was committed.

    `git log -m --raw` over the chosen refs lists, for each commit (each
    parent of a merge in turn), the blobs it brings to a path: every blob
    that ever sat at `xep-*.xml` or `inbox/*.xml` in a commit shows up. A
    blob's first appearance is the oldest commit (committer date) bringing
    it; its versions are the distinct (non-merge commit, path) pairs that
    brought it (a blob seen only through merges counts once).
    """
    out = git(
        ["log", "-m", "--raw", "--no-renames", "--no-abbrev", "--format=C %H %ct %P"]
        + refs
        + ["--", "xep-*.xml", "inbox/*.xml"],
        gitdir,
        stdout=subprocess.PIPE,
    ).stdout.decode("utf-8", "replace")
    blobs = {}
    commit = stamp = None
    merge = False
    for line in out.splitlines():
        if line.startswith("C "):
            parts = line.split()
            commit, stamp, merge = parts[1], int(parts[2]), len(parts) > 4
            continue
        if not line.startswith(":"):
            continue
        meta, path = line.split("\t", 1)
        fields = meta.split()
        new, status = fields[3], fields[4]
        if status.startswith("D") or set(new) == {"0"} or not SOURCE.match(path):
            continue
        b = blobs.get(new)
        if b is None:
            b = blobs[new] = {"first": (stamp, commit, path), "paths": set(), "versions": set()}
        if (stamp, commit) < b["first"][:2]:
            b["first"] = (stamp, commit, path)
        b["paths"].add(path)
        if not merge:
            b["versions"].add((commit, path))
    for b in blobs.values():
        b["inbox"] = b["first"][2].startswith("inbox/")
        b["nversions"] = max(1, len(b["versions"]))
    return blobs


def same_file(a, b):
    try:
        with open(a, "rb") as x, open(b, "rb") as y:
            return x.read() == y.read()
    except OSError:
        return False


def put_copy(src, dst):
    if not same_file(src, dst):
        tmp = dst + ".tmp"
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)


def lay_out(cache, corpus):
    """The cache's folders, laid out as xsf/xeps is, with today's xep.dtd
    and xep.ent: `xeps/` is the repository's root (xep-*.xml sources, and
    xep.dtd, xep.ent), `xeps/inbox/` its inbox (inbox/*.xml, and xep.dtd,
    xep.ent as the repository's symbolic links to the root copies); so
    `xep.dtd`, `./xep.dtd` and, from inbox/, `../xep.dtd` resolve as they do
    in the repository. A root source naming `../xep.ent` (xep-0485 once did)
    finds nothing, as in the repository. The JEP era's sources name
    `../jep.dtd` and `../jep.ent`: one level above `xeps/` sit today's
    xep.dtd and xep.ent under those names (such documents are `<jep>`, which
    today's DTD does not declare: never valid, whatever the DTD's name).
    """
    root = os.path.join(cache, "xeps")
    inbox = os.path.join(root, "inbox")
    os.makedirs(inbox, exist_ok=True)
    for folder, names in (
        (cache, {"jep.dtd": "xep.dtd", "jep.ent": "xep.ent"}),
        (root, {"xep.dtd": "xep.dtd", "xep.ent": "xep.ent"}),
        (inbox, {"xep.dtd": "xep.dtd", "xep.ent": "xep.ent"}),
    ):
        for name, src in names.items():
            put_copy(os.path.join(corpus, src), os.path.join(folder, name))


def blob_path(cache, oid, b):
    return os.path.join(cache, "xeps", "inbox" if b["inbox"] else "", oid + ".xml")


def write_blobs(gitdir, cache, blobs):
    """Each blob to the cache once (`git cat-file --batch`, one process)."""
    todo = [o for o, b in blobs.items() if not os.path.exists(blob_path(cache, o, b))]
    if not todo:
        return
    log(f"writing {len(todo)} blobs to {cache}")
    p = subprocess.Popen(
        ["git", "--git-dir", gitdir, "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    for oid in todo:
        p.stdin.write(oid.encode() + b"\n")
        p.stdin.flush()
        header = p.stdout.readline().split()
        size = int(header[2])
        data = p.stdout.read(size)
        p.stdout.read(1)
        dst = blob_path(cache, oid, blobs[oid])
        with open(dst + ".tmp", "wb") as f:
            f.write(data)
        os.replace(dst + ".tmp", dst)
    p.stdin.close()
    p.wait()


# ---------------------------------------------------------------- step 2


def xmllint(path):
    """xmllint's verdict on one file: exit code and the first line of each
    error or warning (without the file name)."""
    r = subprocess.run(XMLLINT + [os.path.basename(path)], cwd=os.path.dirname(path),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    errors, warnings = [], []
    for line in r.stderr.decode("utf-8", "replace").splitlines():
        m = ERROR_LINE.match(line)
        if not m:
            continue
        here = "" if m["file"] == os.path.basename(path) else m["file"] + ":"
        item = [here + m["line"], m["element"] or "", m["domain"].strip(), m["msg"]]
        (errors if m["level"] == "error" else warnings).append(item)
    return {"rc": r.returncode, "errors": errors, "warnings": warnings}


def xmllint_version():
    r = subprocess.run(["xmllint", "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return r.stdout.decode().splitlines()[0].strip()


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def judge_all(cache, corpus, blobs, jobs):
    """Verdicts for every blob, from the cache file where it has them."""
    meta = {
        "schema": SCHEMA,
        "xmllint": xmllint_version(),
        "flags": XMLLINT[1:],
        "xep.dtd": sha(os.path.join(corpus, "xep.dtd")),
        "xep.ent": sha(os.path.join(corpus, "xep.ent")),
    }
    store = os.path.join(cache, "verdicts-" + hashlib.sha256(" ".join(XMLLINT).encode()).hexdigest()[:8] + ".json")
    verdicts = {}
    try:
        with open(store) as f:
            saved = json.load(f)
        if saved.get("meta") == meta:
            verdicts = saved["verdicts"]
        else:
            log("verdict cache made with another DTD, entity file or xmllint: judging again")
    except (OSError, ValueError):
        pass
    # Keyed by where the blob sits (inbox/ or not): what its SYSTEM ids
    # reach depends on it, and a blob's first path may be in inbox/ for one
    # choice of refs and at the root for another.
    def key(o):
        return ("inbox/" if blobs[o]["inbox"] else "") + o

    todo = [o for o in blobs if key(o) not in verdicts]
    if todo:
        log(f"judging {len(todo)} blobs with {' '.join(XMLLINT)} ({jobs} workers)")
        started = time.time()
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            futures = {pool.submit(xmllint, blob_path(cache, o, blobs[o])): o for o in todo}
            for n, fut in enumerate(concurrent.futures.as_completed(futures), 1):
                verdicts[key(futures[fut])] = fut.result()
                if n % 500 == 0:
                    log(f"  {n}/{len(todo)} ({time.time() - started:.0f} s)")
                    save_json(store, {"meta": meta, "verdicts": verdicts})
        save_json(store, {"meta": meta, "verdicts": verdicts})
    return {o: verdicts[key(o)] for o in blobs}


def save_json(path, data):
    with open(path + ".tmp", "w") as f:
        json.dump(data, f, separators=(",", ":"))
    os.replace(path + ".tmp", path)


# ---------------------------------------------------------------- classifying


def parse_model(text):
    """A content model as xmllint prints it, `(title , abstract , legal ,
    number , status , lastcall* , …)`: a list of (name, min, max), or None
    when it is not a flat sequence (a choice or a nested group)."""
    items = []
    for part in text.split(","):
        part = part.strip()
        m = re.fullmatch(r"([\w.:-]+)([?*+]?)", part)
        if not m:
            return None
        low = 0 if m[2] in ("?", "*") else 1
        high = None if m[2] in ("*", "+") else 1
        items.append((m[1], low, high))
    return items


def judge_content(element, expecting, got):
    """What is wrong with one element's children, given the model xmllint
    expected and the children it got.

    The rule: the model must be a flat sequence (it is, for <header>,
    <revision> and <author> in today's DTD); `got` lists the child elements
    in document order (`CDATA` for text that is not white space; `...` ends
    a list libxml2 cut short). The children are *in order only* when some
    reordering of them satisfies the model: every child is named by the
    model, and each name occurs between its minimum (1 for `name` and
    `name+`, else 0) and its maximum (1 for `name` and `name?`, else
    unbounded) times. For a flat sequence that is exactly "the same multiset
    of required children, and no stray or surplus one; only the order
    differs". Otherwise the defects are listed: `missing:NAME` (a required
    child absent), `stray:NAME` (a child the model does not name, `CDATA`
    for text), `surplus:NAME` (more than the maximum), `unparsed`.
    """
    model = parse_model(expecting)
    children = got.split()
    if model is None or (children and children[-1].endswith("...")):
        return {"order_only": False, "defects": ["unparsed"], "order_wrong": None}
    names = {n for n, _, _ in model}
    count = collections.Counter(children)
    defects = []
    for child in children:
        if child not in names:
            tag = f"stray:{child}"
            if tag not in defects:
                defects.append(tag)
    for name, low, high in model:
        if count[name] < low:
            defects.append(f"missing:{name}")
        elif high is not None and count[name] > high:
            defects.append(f"surplus:{name}")
    # Is the order of the children the model names also wrong?
    rank = {n: i for i, (n, _, _) in enumerate(model)}
    ranks = [rank[c] for c in children if c in rank]
    order_wrong = any(a > b for a, b in zip(ranks, ranks[1:]))
    return {"order_only": not defects, "defects": defects, "order_wrong": order_wrong}


def classify(verdict):
    """The class of a version, and what keeps a reordering from mending it.

    valid: no error. When every xmllint error is a content-model error on
    <header>, <revision> or <author> (judge_content):
      order-only: each of them is mended by reordering the children;
      order+missing: a required child is missing somewhere (and there may be
        other defects: a stray or surplus child, wrong order);
      order+surplus: no required child is missing, but a child is there more
        often than the model allows or is not in the model (two <abstract>,
        a <revision> holding two <initials> and <remark>): no reordering
        mends it either.
    other: any other error (including a content-model error on another
    element), or a content-model error this script cannot read.
    """
    if verdict["rc"] == 0 and not verdict["errors"]:
        return "valid", []
    if not verdict["errors"]:
        return "other", ["exit-code-only"]
    defects = []
    order_wrong = False
    for _where, element, _domain, msg in verdict["errors"]:
        m = CONTENT_MODEL.match(msg)
        if not m or element not in ORDER_ELEMENTS or m["name"] != element:
            return "other", []
        j = judge_content(element, m["expecting"], m["got"])
        if "unparsed" in j["defects"]:
            return "other", ["unparsed"]
        order_wrong = order_wrong or j["order_wrong"]
        for d in j["defects"]:
            tag = f"{element}/{d}"
            if tag not in defects:
                defects.append(tag)
    if not defects:
        return "order-only", []
    cls = "order+missing" if any("/missing:" in d for d in defects) else "order+surplus"
    return cls, defects + ([] if order_wrong else ["order-right"])


def first_error(verdict):
    """What xmllint says, in short: the class the errors make (with what
    keeps a reordering from mending them), then the first error, a
    content-model error reduced to the children it got."""
    if verdict["rc"] == 0 and not verdict["errors"]:
        return "valid"
    if not verdict["errors"]:
        return f"exit code {verdict['rc']}"
    cls, defects = classify(verdict)
    where, element, _domain, msg = verdict["errors"][0]
    m = CONTENT_MODEL.match(msg)
    if m:
        msg = f"<{m['name']}> got ({m['got'].strip()})"
    if len(msg) > 240:
        msg = msg[:240] + "…"
    more = len(verdict["errors"]) - 1
    head = cls + (f" [{' '.join(d for d in defects if d != 'order-right')}]" if defects else "")
    return f"{head}; line {where}: {msg}" + (f" (+{more} more)" if more else "")


# ---------------------------------------------------------------- step 3


def link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def scratch_copy(scratch, cache, oid, b, data):
    """A copy of the blob under its own name in a little project of its own:
    `xeplint.toml` (empty: the defaults) marks the project root, so that
    SYSTEM ids may lead one level up; xep.dtd and xep.ent at the root and
    beside an inbox/ document, as in xsf/xeps (where inbox/xep.dtd is a
    symbolic link; hard links here, since xeplint reads no symbolic link).
    """
    top = os.path.join(scratch, oid)
    if os.path.exists(top):
        shutil.rmtree(top)
    name = os.path.basename(b["first"][2])
    folder = os.path.join(top, "inbox") if b["inbox"] else top
    os.makedirs(folder)
    open(os.path.join(top, "xeplint.toml"), "w").close()
    for n in ("xep.dtd", "xep.ent"):
        link_or_copy(os.path.join(cache, "xeps", n), os.path.join(top, n))
        if b["inbox"]:
            link_or_copy(os.path.join(cache, "xeps", n), os.path.join(folder, n))
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def run_fix(xeplint, path, unsafe):
    cmd = [xeplint, "check", "--fix"] + (["--unsafe-fixes"] if unsafe else []) + [path]
    try:
        r = subprocess.run(cmd, cwd=os.path.dirname(path), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        return r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return "timeout", ""


def measure_one(xeplint, scratch, cache, oid, b, unsafe):
    with open(blob_path(cache, oid, b), "rb") as f:
        before = f.read()
    path = scratch_copy(scratch, cache, oid, b, before)
    rc1, out1 = run_fix(xeplint, path, unsafe)
    with open(path, "rb") as f:
        after = f.read()
    changed = after != before
    verdict = xmllint(path) if changed else None
    # Idempotence: a second run on what the first wrote (a file the first
    # left alone would be left alone again: same input, same output).
    rc2, again = None, after
    if changed:
        rc2, _ = run_fix(xeplint, path, unsafe)
        with open(path, "rb") as f:
            again = f.read()
    res = {
        "changed": changed,
        "verdict": verdict,  # None: unchanged, so xmllint says what it said before
        "rc": [rc1, rc2],
        "second_changes": again != after,
        "output": out1[-2000:] if rc1 not in (0, 1) else "",
    }
    shutil.rmtree(os.path.join(scratch, oid))
    return res


def measure(xeplint, scratch, cache, blobs, verdicts, classes, jobs):
    """Run --fix (and --fix --unsafe-fixes) where the issue asks for it."""
    plan = []
    for oid, cls in classes.items():
        if cls in MENDABLE:
            plan += [(oid, False), (oid, True)]
        elif cls == "valid":
            plan.append((oid, False))
    log(f"running {xeplint} check --fix on {len(plan)} copies ({jobs} workers)")
    results = {}
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        sub = {}
        for oid, unsafe in plan:
            where = os.path.join(scratch, "unsafe" if unsafe else "safe")
            os.makedirs(where, exist_ok=True)
            sub[pool.submit(measure_one, xeplint, where, cache, oid, blobs[oid], unsafe)] = (oid, unsafe)
        for n, fut in enumerate(concurrent.futures.as_completed(sub), 1):
            results[sub[fut]] = fut.result()
            if n % 500 == 0:
                log(f"  {n}/{len(plan)} ({time.time() - started:.0f} s)")
    return results


# ---------------------------------------------------------------- report


def pct(n, d):
    return f"{n}/{d} ({100.0 * n / d:.1f} %)" if d else f"{n}/0"


def xeplint_revision(xeplint):
    """`xeplint --version`, and the commit checked out where the binary
    was built (when it sits in a git work tree, as target/release/ does)."""
    try:
        r = subprocess.run([xeplint, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        version = r.stdout.decode("utf-8", "replace").strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        version = "?"
    r = subprocess.run(["git", "-C", os.path.dirname(xeplint), "log", "-1", "--format=%h %cs"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if r.returncode == 0 and r.stdout.strip():
        dirty = subprocess.run(["git", "-C", os.path.dirname(xeplint), "status", "--porcelain", "--untracked-files=no",
                                "--", ":(top)src", ":(top)Cargo.toml", ":(top)Cargo.lock"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.strip()
        version += f", built from {r.stdout.decode().strip()}" + (" (with uncommitted changes)" if dirty else "")
    return version


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", default=os.environ.get("XEPS_GIT", os.path.join(REPO, "..", ".mirror", "xsf+xeps", "repo")),
                    help="git directory of a full clone or mirror of xsf/xeps (default: ../.mirror/xsf+xeps/repo, or $XEPS_GIT)")
    ap.add_argument("--corpus", default=os.path.join(REPO, "..", "shared", "corpus"),
                    help="folder holding today's xep.dtd and xep.ent (default: ../shared/corpus)")
    ap.add_argument("--refs", default="--branches --tags",
                    help="which history, as git rev-list arguments (default: '--branches --tags', what was committed "
                         "to xsf/xeps; '--all' adds the pull requests' refs of a GitHub mirror)")
    ap.add_argument("--cache", default="/tmp/fix-history", help="blobs, DTD copies and verdicts (default /tmp/fix-history)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel xmllint / xeplint processes (default 2)")
    ap.add_argument("--no-noent", action="store_true",
                    help="judge without --noent (entities not substituted: libxml2 then skips what entities bring "
                         "into mixed content, and prints an entity reference as CDATA in content-model errors)")
    ap.add_argument("--xeplint", help="xeplint binary: measure check --fix (step 3)")
    ap.add_argument("--target", type=float, default=95.0, help="order-only valid after --fix, percent (default 95)")
    ap.add_argument("--list", metavar="CLASS", help="print the blobs of a class (" + ", ".join(CLASSES) + ") with their first commit, path and defects, and stop")
    ap.add_argument("--json", metavar="FILE", help="write every blob's class, defects and results to FILE")
    args = ap.parse_args()

    if args.no_noent:
        XMLLINT.remove("--noent")
    gitdir = os.path.abspath(args.repo)
    corpus = os.path.abspath(args.corpus)
    cache = os.path.abspath(args.cache)
    for need in (os.path.join(corpus, "xep.dtd"), os.path.join(corpus, "xep.ent")):
        if not os.path.isfile(need):
            sys.exit(f"fix-history: {need} not found (--corpus)")
    if shutil.which("xmllint") is None:
        sys.exit("fix-history: xmllint not found (apt-get install libxml2-utils)")

    # Step 1: every blob, in the cache beside the DTD.
    refs = args.refs.split()
    blobs = enumerate_blobs(gitdir, refs)
    lay_out(cache, corpus)
    write_blobs(gitdir, cache, blobs)

    # Step 2: judge and classify.
    verdicts = judge_all(cache, corpus, blobs, args.jobs)
    classes, defects = {}, {}
    for oid in blobs:
        classes[oid], defects[oid] = classify(verdicts[oid])

    if args.list:
        for oid in sorted(blobs, key=lambda o: blobs[o]["first"]):
            if classes[oid] == args.list:
                stamp, commit, path = blobs[oid]["first"]
                print(oid, commit[:10], path, " ".join(defects[oid]))
        return 0

    count = collections.Counter(classes.values())
    weighted = collections.Counter()
    for oid, cls in classes.items():
        weighted[cls] += blobs[oid]["nversions"]
    print(f"# xsf/xeps history ({' '.join(refs)}): {len(blobs)} distinct blobs of xep-*.xml and inbox/*.xml")
    print(f"# judged by {xmllint_version()}, {' '.join(XMLLINT)}, against today's xep.dtd and xep.ent ({corpus})")
    print()
    print("| class | blobs | versions (commit, path) |")
    print("|---|---:|---:|")
    for cls in CLASSES:
        print(f"| {cls} | {count[cls]} | {weighted[cls]} |")
    print(f"| all | {len(blobs)} | {sum(weighted.values())} |")
    print()
    for which in ("order+surplus", "order+missing"):
        kinds = collections.Counter(d for oid, cls in classes.items() if cls == which for d in defects[oid])
        if kinds:
            print(f"{which}, what keeps a reordering from mending it (blobs):",
                  ", ".join(f"{k} {v}" for k, v in kinds.most_common()))
    mendable = sum(count[c] for c in MENDABLE)
    print(f"every error a content-model error on <header>, <revision> or <author>: {mendable} blobs "
          f"({sum(weighted[c] for c in MENDABLE)} versions); no required child missing (order-only + order+surplus): "
          f"{count['order-only'] + count['order+surplus']}; a required child missing: {count['order+missing']}, "
          f"of which the present children are in order: "
          f"{sum(1 for o in blobs if classes[o] == 'order+missing' and 'order-right' in defects[o])}")
    print()

    report = {oid: {"class": classes[oid], "defects": defects[oid], "first": blobs[oid]["first"],
                    "versions": blobs[oid]["nversions"]} for oid in blobs}
    status = 0
    if args.xeplint:
        xeplint = os.path.abspath(args.xeplint)
        scratch = os.path.join(cache, "scratch")
        if os.path.exists(scratch):
            shutil.rmtree(scratch)
        results = measure(xeplint, scratch, cache, blobs, verdicts, classes, args.jobs)
        shutil.rmtree(scratch, ignore_errors=True)

        def valid_after(r, oid):
            v = r["verdict"] if r["verdict"] is not None else verdicts[oid]
            return v["rc"] == 0 and not v["errors"]

        rows, failures = [], []
        for cls in MENDABLE:
            for unsafe in (False, True):
                ids = [o for o in blobs if classes[o] == cls]
                ok = [o for o in ids if valid_after(results[(o, unsafe)], o)]
                rows.append((cls, "--fix --unsafe-fixes" if unsafe else "--fix", len(ok), len(ids)))
                for o in ids:
                    if not valid_after(results[(o, unsafe)], o):
                        failures.append((cls, unsafe, o))
        valid_ids = [o for o in blobs if classes[o] == "valid"]
        made_invalid = [o for o in valid_ids if not valid_after(results[(o, False)], o)]
        valid_changed = [o for o in valid_ids if results[(o, False)]["changed"]]
        second = sorted({k for k, r in results.items() if r["second_changes"]})
        crashed = sorted(k for k, r in results.items() if r["rc"][0] not in (0, 1))

        print(f"## check --fix: {xeplint_revision(xeplint)} ({xeplint})")
        print()
        print("| versions | command | valid after | |")
        print("|---|---|---:|---|")
        for cls, cmd, ok, n in rows:
            goal = f"target ≥ {args.target:g} %" if (cls, cmd) == ("order-only", "--fix") else ""
            print(f"| {cls} | {cmd} | {pct(ok, n)} | {goal} |")
        print(f"| valid | --fix | {pct(len(valid_ids) - len(made_invalid), len(valid_ids))} | "
              f"made invalid: {len(made_invalid)} (must be 0); changed: {len(valid_changed)} |")
        print()
        for cls in MENDABLE:
            for unsafe in (False, True):
                left = collections.Counter()
                for o in blobs:
                    if classes[o] != cls:
                        continue
                    r = results[(o, unsafe)]
                    v = r["verdict"] if r["verdict"] is not None else verdicts[o]
                    if not valid_after(r, o):
                        c, ds = classify(v)
                        for d in ds or [c]:
                            if d != "order-right":
                                left[d] += 1
                        if not r["changed"]:
                            left["(unchanged)"] += 1
                if left:
                    print(f"{cls}, {'--fix --unsafe-fixes' if unsafe else '--fix'}, what is left (blobs):",
                          ", ".join(f"{k} {v}" for k, v in left.most_common()))
        print()
        print(f"second --fix changed the file: {len(second)} (must be 0)")
        print(f"xeplint exit codes other than 0 and 1: {len(crashed)}")
        print()

        def where(oid):
            stamp, commit, path = blobs[oid]["first"]
            return f"{oid[:12]} {commit[:10]} {path}"

        def after(oid, unsafe):
            r = results[(oid, unsafe)]
            if r["verdict"] is None:
                return "unchanged, " + first_error(verdicts[oid])
            return first_error(r["verdict"])

        order_only_ok = rows[0][2]
        order_only_n = rows[0][3]
        if failures:
            print("### not valid after the fix (blob, first commit, path; what xmllint still says, first error)")
            failing = sorted({oid for _cls, _unsafe, oid in failures}, key=lambda o: blobs[o]["first"])
            for cls in MENDABLE:
                for oid in failing:
                    if classes[oid] != cls:
                        continue
                    safe, unsafe = results[(oid, False)], results[(oid, True)]
                    line = f"- [{cls}] {where(oid)}: --fix: {after(oid, False)}"
                    if valid_after(unsafe, oid):
                        line += "; --unsafe-fixes: valid"
                    elif (unsafe["verdict"] or {}).get("errors") != (safe["verdict"] or {}).get("errors"):
                        line += f"; --unsafe-fixes: {after(oid, True)}"
                    print(line)
            print()
        if made_invalid:
            print("### valid versions made invalid by --fix")
            for oid in made_invalid:
                print(f"- {where(oid)}: {after(oid, False)}")
            print()
        if valid_changed:
            print("### valid versions --fix changed (still valid unless listed above)")
            for oid in valid_changed:
                print(f"- {where(oid)}")
            print()
        if second:
            print("### a second --fix changed the file")
            for oid, unsafe in second:
                print(f"- {where(oid)} ({'--unsafe-fixes' if unsafe else '--fix'})")
            print()
        if crashed:
            print("### xeplint exited with another code than 0 or 1")
            for oid, unsafe in crashed:
                r = results[(oid, unsafe)]
                print(f"- {where(oid)} ({'--unsafe-fixes' if unsafe else '--fix'}): exit {r['rc'][0]}: "
                      f"{r['output'].strip().splitlines()[-1] if r['output'].strip() else ''}")
            print()
        for (oid, unsafe), r in results.items():
            report[oid]["unsafe-fixes" if unsafe else "fix"] = {
                "changed": r["changed"], "valid": valid_after(r, oid), "second_changes": r["second_changes"],
                "rc": r["rc"], "after": after(oid, unsafe)}
        target_met = order_only_n > 0 and 100.0 * order_only_ok / order_only_n >= args.target
        if not target_met:
            print(f"FAIL: order-only valid after --fix {pct(order_only_ok, order_only_n)}, under {args.target:g} %")
            status = 1
        if made_invalid:
            print(f"FAIL: {len(made_invalid)} valid versions made invalid")
            status = 1
        if second:
            print(f"FAIL: a second --fix changed {len(second)} files")
            status = 1
        if status == 0:
            print("targets met")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1, sort_keys=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
