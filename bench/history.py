#!/usr/bin/env python3
"""The change rules on real history (issue 20's measurement).

For every merge of xsf/xeps since 2019 that changed exactly one numbered XEP
(`xep-NNNN.xml`, added or modified, between its first parent and itself), check
that XEP out as the merge left it and run

    xeplint check --base MERGE^1 --format json --today MERGE-DATE xep-NNNN.xml

in a work tree at the merge. A merge "left the top revision unchanged" when the
top `<version>` of the XEP is the same at the first parent and at the merge.
Those must get a change finding (`change-revision`); of the others, at least
90 % must get none (the change rules' findings are counted, by rule).

Usage: bench/history.py XEPLINT CLONE [SINCE]
  XEPLINT  the xeplint binary
  CLONE    a full clone of xsf/xeps (not shallow); a work tree is added
           beside it under /tmp and removed at the end
"""
import collections, json, os, re, subprocess, sys, tempfile

CHANGE = ("change-",)


def git(repo, *args, ok=False):
    r = subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True)
    if r.returncode != 0 and not ok:
        raise SystemExit(f"git {' '.join(args)}: {r.stderr}")
    return r.stdout


def top_version(repo, rev, path):
    r = subprocess.run(["git", "-C", repo, "show", f"{rev}:{path}"], capture_output=True)
    if r.returncode != 0:
        return None
    text = r.stdout.decode("utf-8", "replace")
    head = text[: text.find("</header>")]
    m = re.search(r"<revision>\s*<version>\s*([^<]*?)\s*</version>", head)
    return m.group(1) if m else None


def main():
    xeplint, clone = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    since = sys.argv[3] if len(sys.argv) > 3 else "2019-01-01"
    merges = git(clone, "log", "--merges", f"--since={since}", "--format=%H %cs", "HEAD").split("\n")
    cases = []
    for line in filter(None, merges):
        m, day = line.split()
        changed = git(clone, "diff", "--name-status", "--no-renames", f"{m}^1", m).splitlines()
        xeps = [l.split("\t") for l in changed if re.fullmatch(r"xep-\d{4}\.xml", l.split("\t")[-1])]
        if len(xeps) != 1 or xeps[0][0] == "D":
            continue
        status, path = xeps[0]
        before = top_version(clone, f"{m}^1", path)
        after = top_version(clone, m, path)
        cases.append((m, day, path, status, before is not None and before == after))
    work = tempfile.mkdtemp(prefix="xeplint-history-")
    tree = os.path.join(work, "tree")
    git(clone, "worktree", "add", "--detach", "-q", tree, "HEAD")
    results = []
    try:
        for m, day, path, status, unchanged in cases:
            git(tree, "checkout", "-q", "--detach", m)
            r = subprocess.run(
                [xeplint, "check", "--base", f"{m}^1", "--format", "json", "--today", day, path],
                cwd=tree, capture_output=True, text=True,
            )
            if r.returncode == 2:
                print(f"{m[:10]} {path}: exit 2: {r.stderr.strip()}", file=sys.stderr)
                results.append((m, path, unchanged, None))
                continue
            found = collections.Counter()
            for d in json.loads(r.stdout)["diagnostics"]:
                if d["rule"].startswith(CHANGE):
                    found[d["rule"]] += 1
            results.append((m, path, unchanged, found))
    finally:
        git(clone, "worktree", "remove", "--force", tree, ok=True)
    unchanged = [r for r in results if r[2]]
    added = [r for r in results if not r[2]]
    caught = [r for r in unchanged if r[3] and r[3].get("change-revision")]
    clean = [r for r in added if r[3] is not None and not r[3]]
    print(f"merges since {since} changing exactly one numbered XEP: {len(results)}")
    print(f"  top revision unchanged: {len(unchanged)}; with a change-revision finding: {len(caught)}")
    for m, path, _, found in unchanged:
        if not (found and found.get("change-revision")):
            print(f"    missed: {m[:10]} {path} {dict(found or {})}")
    pct = 100.0 * len(clean) / max(1, len(added))
    print(f"  new top revision: {len(added)}; with no change finding: {len(clean)} ({pct:.1f} %)")
    revision_only = [r for r in added if r[3] is not None and not (set(r[3]) - {"change-after-revision"})]
    pct2 = 100.0 * len(revision_only) / max(1, len(added))
    print(f"  the same, not counting change-after-revision (history after the revision commit): "
          f"{len(revision_only)} ({pct2:.1f} %)")
    by_rule = collections.Counter()
    for m, path, _, found in added:
        for rule in found or {}:
            by_rule[rule] += 1
    for rule, n in by_rule.most_common():
        print(f"    {rule}: {n} merge(s)")
    for m, path, _, found in added:
        if found:
            print(f"    {m[:10]} {path} {dict(found)}")


if __name__ == "__main__":
    main()
