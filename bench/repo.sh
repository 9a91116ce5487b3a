#!/usr/bin/env bash
# The cost of the repository view and of --base (issue 20), with hyperfine.
#
#   bench/repo.sh XEPLINT CORPUS CLONE
#
# XEPLINT: a release build; CORPUS: a XEP repository (../shared/corpus);
# CLONE: a full clone of xsf/xeps (its history is read by --base).
# Targets: the whole corpus with the repository rules within 1.1 times the
# same run without them (--no-repository, what xeplint did before); one file
# of the corpus, and --base on one file of CLONE, within 2 times a plain
# one-file check.
set -euo pipefail
xeplint=$(realpath "$1")
corpus=$(realpath "$2")
clone=$(realpath "$3")
runs=${RUNS:-20}
hf() {
  local out
  out=$(mktemp)
  hyperfine -N -i -w 3 -r "$runs" --style none --export-json "$out" "$@" >/dev/null
  python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("%s: %.1f ± %.1f ms" % (r["command"], 1000 * r["mean"], 1000 * r["stddev"]))
' "$out"
  rm -f "$out"
}

echo "## whole corpus"
hf "$xeplint check --format short --no-repository $corpus" \
   "$xeplint check --format short --today 2026-01-01 $corpus"
echo "## one file (xep-0060.xml) in the corpus"
hf "$xeplint check --format short --no-repository $corpus/xep-0060.xml" \
   "$xeplint check --format short --today 2026-01-01 $corpus/xep-0060.xml"
# A merge of the clone that changed one XEP with a new revision: its work
# tree, --base at its first parent.
merge=${MERGE:-$(git -C "$clone" log --merges --format=%H -n 200 | while read -r m; do
  f=$(git -C "$clone" diff --name-only --no-renames "$m^1" "$m" | grep -E '^xep-[0-9]{4}\.xml$' || true)
  [ "$(printf '%s' "$f" | grep -c .)" = 1 ] && { echo "$m"; break; }
done)}
file=$(git -C "$clone" diff --name-only --no-renames "$merge^1" "$merge" | grep -E '^xep-[0-9]{4}\.xml$')
tree=$(mktemp -d)/tree
git -C "$clone" worktree add -q --detach "$tree" "$merge"
trap 'git -C "$clone" worktree remove --force "$tree"' EXIT
echo "## --base on one file ($file at ${merge:0:10})"
cd "$tree"
hf "$xeplint check --format short --no-repository $file" \
   "$xeplint check --format short --today 2026-01-01 $file" \
   "$xeplint check --format short --today 2026-01-01 --base $merge^1 $file"
