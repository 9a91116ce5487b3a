#!/usr/bin/env bash
# The recipes of docs/integrations.md, run for real against this checkout's
# HEAD commit (commit first: uncommitted changes are not what they test).
#
#   bash .ci/recipes.sh                 # both
#   bash .ci/recipes.sh action          # the GitHub Action only
#   bash .ci/recipes.sh pre-commit      # the pre-commit hooks only
#
# action: the steps of action.yml run in order by .ci/action_steps.py, with
#   github.action_path = this checkout, in a scratch workspace holding a bad
#   and a good XEP, first with the inputs of the workflow in
#   docs/integrations.md; the annotations printed, the SARIF file, the upload
#   step, the cache, the baseline input and the exit status are checked.
# pre-commit: a scratch git repository whose .pre-commit-config.yaml is the
#   one docs/integrations.md shows, `repo:` this checkout's path and `rev:` its
#   HEAD commit; `pre-commit run --all-files` must fail on an XEP with an
#   error (naming the file and the rule) and pass once it is fixed. Then the
#   same with the documented local hook and a binary installed with --locked.
#
# Each builds xeplint in release mode, as a user's machine does, which takes
# minutes: this is not part of `cargo test`. pre-commit and PyYAML come from
# PyPI into a virtual environment under target/ (kept between runs), and the
# builds share target/recipes, so a second run is quicker.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(action pre-commit)

if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "note: the working tree has uncommitted changes; the recipes test HEAD" >&2
fi
head=$(git rev-parse HEAD)

venv=$repo/target/recipes-venv
if [ ! -x "$venv/bin/pre-commit" ] || ! "$venv/bin/python" -c 'import yaml' 2>/dev/null; then
  echo "== installing pre-commit and PyYAML (PyPI) into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check pre-commit pyyaml
fi
export CARGO_TARGET_DIR=$repo/target/recipes

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# doc_yaml N: the N-th ```yaml block (from 1) of docs/integrations.md, as written.
doc_yaml() {
  awk -v n="$1" '/^```yaml$/ { k++; if (k == n) { on = 1; next } } /^```$/ { on = 0 } on' docs/integrations.md
}
# The blocks: 1 the workflow, 2 the pre-commit hook, 3 the local hook.

# A project like xsf/xeps: a git repository holding xep.ent, xep.dtd, a clean
# XEP (xep-0002.xml) and one with an error (xep-0429.xml: a bare `&`).
make_project() {
  mkdir -p "$1"
  git -C "$1" init -q
  git -C "$1" config user.email recipes@example.invalid
  git -C "$1" config user.name recipes
  cp -L fixtures/xep.ent fixtures/xep.dtd fixtures/xep-0002.xml "$1/"
  sed 's/<p>Users expect/<p>Salt \& vinegar. Users expect/' fixtures/xep-0429.xml >"$1/xep-0429.xml"
  cmp -s fixtures/xep-0429.xml "$1/xep-0429.xml" && fail "the error was not put into xep-0429.xml"
  return 0
}

fix_project() {
  cp fixtures/xep-0429.xml "$1/xep-0429.xml"
}

recipe_pre_commit() {
  echo "== pre-commit: the hook of .pre-commit-hooks.yaml at $head, as docs/integrations.md writes it"
  local p=$work/pre-commit-project out status
  make_project "$p"
  doc_yaml 2 | sed -e "s#https://github.com/OWNER/xeplint#$repo#" -e "s#COMMIT#$head#" >"$p/.pre-commit-config.yaml"
  grep -q "rev: $head" "$p/.pre-commit-config.yaml" || fail "docs/integrations.md's pre-commit block has no rev: COMMIT"
  cat "$p/.pre-commit-config.yaml"
  git -C "$p" add -A
  git -C "$p" commit -qm "XEPs"
  export PRE_COMMIT_HOME=$work/pre-commit-home
  pre_commit_fails_then_passes "$p"

  echo "-- the local hook (language: system), xeplint installed with --locked"
  cargo install --locked --quiet --root "$work/local" --path "$repo"
  p=$work/pre-commit-local
  make_project "$p"
  doc_yaml 3 >"$p/.pre-commit-config.yaml"
  grep -q "repo: local" "$p/.pre-commit-config.yaml" || fail "docs/integrations.md's third yaml block is not the local hook"
  git -C "$p" add -A
  git -C "$p" commit -qm "XEPs"
  PATH=$work/local/bin:$PATH pre_commit_fails_then_passes "$p"
  echo "== pre-commit: ok"
}

# pre_commit_fails_then_passes PROJECT: `pre-commit run --all-files` fails on
# the bad XEP, naming it and the rule, and passes once it is fixed.
pre_commit_fails_then_passes() {
  local p=$1 out status=0
  out=$(cd "$p" && "$venv/bin/pre-commit" run --all-files 2>&1) || status=$?
  printf '%s\n' "$out"
  [ "$status" = 1 ] || fail "pre-commit exited with $status on a bad XEP, not 1"
  grep -q '^xeplint\.*Failed' <<<"$out" || fail "the hook did not report Failed"
  grep -q '^xep-0429\.xml:[0-9]*:[0-9]*: error\[xml-bare-ampersand\]' <<<"$out" ||
    fail "no xml-bare-ampersand finding on xep-0429.xml"
  if grep -q '^xep-0002\.xml:' <<<"$out"; then fail "a finding on the clean xep-0002.xml"; fi

  fix_project "$p"
  git -C "$p" commit -qam "fixed"
  status=0
  out=$(cd "$p" && "$venv/bin/pre-commit" run --all-files 2>&1) || status=$?
  printf '%s\n' "$out"
  [ "$status" = 0 ] || fail "pre-commit exited with $status once the XEP was fixed"
  grep -q '^xeplint\.*Passed' <<<"$out" || fail "the hook did not report Passed"
}

# run_action NAME=VALUE...: the action's steps in $work/workspace; sets
# $report (the ACTION-REPORT JSON) and $log (everything printed).
run_action() {
  log=$("$venv/bin/python" .ci/action_steps.py "$repo" "$work/workspace" "$work/runner-temp" "$work/cache" "$@" 2>&1) ||
    { printf '%s\n' "$log"; fail "action_steps.py could not run the action"; }
  printf '%s\n' "$log"
  report=$(sed -n 's/^ACTION-REPORT //p' <<<"$log")
}

# field EXPRESSION: a value of $report (Python, `r` is the report).
field() {
  "$venv/bin/python" -c "import json, sys; r = json.loads(sys.argv[1]); print($1)" "$report"
}

recipe_action() {
  echo "== action: action.yml's steps, github.action_path = $repo"
  local w=$work/workspace
  make_project "$w"
  mkdir -p "$work/runner-temp" "$work/cache"

  echo "-- a bad and a good XEP, with the inputs of docs/integrations.md's workflow"
  local inputs
  mapfile -t inputs < <(doc_yaml 1 | "$venv/bin/python" -c '
import sys, yaml
steps = yaml.safe_load(sys.stdin)["jobs"]["xeplint"]["steps"]
(step,) = [s for s in steps if s.get("uses", "").startswith("OWNER/xeplint@")]
for k, v in step["with"].items():
    print(f"{k}={str(v).lower() if isinstance(v, bool) else v}")
')
  printf 'input %s\n' "${inputs[@]}"
  [[ " ${inputs[*]} " == *" sarif-file=xeplint.sarif "* ]] || fail "the workflow's inputs changed: update this recipe"
  run_action "${inputs[@]}"
  [ "$(field "r['result']")" = failure ] || fail "the job did not fail on an error"
  [ "$(field "r['outputs']['exit-code']")" = 1 ] || fail "exit-code is not 1"
  grep -q '^::error file=xep-0429\.xml,line=[0-9]*,col=[0-9]*,endLine=[0-9]*,endColumn=[0-9]*,title=xml-bare-ampersand::' <<<"$log" ||
    fail "no error annotation for xep-0429.xml"
  if grep -q '^::[a-z]* file=xep-0002\.xml' <<<"$log"; then fail "an annotation on the clean xep-0002.xml"; fi
  [ "$(field "r['upload']['with']['sarif_file']")" = xeplint.sarif ] || fail "the SARIF file was not uploaded"
  [ "$(field "r['upload']['results']")" = 1 ] || fail "the SARIF file does not hold exactly one result"
  [ "$(field "[s['outcome'] for s in r['steps'] if s['name'] == 'Install xeplint'][0]")" = success ] ||
    fail "xeplint was not installed"

  echo "-- the good XEP alone: the job passes, no annotation, no upload"
  run_action paths=xep-0002.xml
  [ "$(field "r['result']")" = success ] || fail "the job failed on a clean XEP"
  [ "$(field "r['outputs']['exit-code']")" = 0 ] || fail "exit-code is not 0"
  if grep -q '^::\(error\|warning\|notice\) ' <<<"$log"; then fail "annotations on a clean XEP"; fi
  [ "$(field "r['upload']")" = None ] || fail "an upload without upload-sarif"

  echo "-- a baseline holding the error: the job passes (binary from the cache)"
  (cd "$w" && "$work/runner-temp/xeplint-action/bin/xeplint" check --write-baseline xeplint-baseline.json . >/dev/null 2>&1) || true
  run_action baseline=xeplint-baseline.json
  [ "$(field "r['result']")" = success ] || fail "the job failed although the baseline holds the error"
  [ "$(field "[s['outcome'] for s in r['steps'] if s['name'] == 'Install xeplint'][0]")" = skipped ] ||
    fail "the cached binary was not used"
  if grep -q '^::error ' <<<"$log"; then fail "an error annotation despite the baseline"; fi
  echo "== action: ok"
}

start=$SECONDS
for r in "${want[@]}"; do
  case $r in
    pre-commit) recipe_pre_commit ;;
    action) recipe_action ;;
    *) fail "unknown recipe $r (pre-commit, action)" ;;
  esac
done
echo "== recipes passed in $((SECONDS - start)) s: ${want[*]}"
