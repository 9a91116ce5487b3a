#!/usr/bin/env bash
# Benchmarks of xeplint on the XEP corpus, side by side in one run:
#
#   (a) xeplint check --format short over the whole corpus (all rules), and
#       the same in --format human (the default, which renders snippets)
#   (b) xmllint --nonet --noout --noent --loaddtd --valid, one process per
#       folder (the root files in the root, inbox/ files in inbox/)
#   (c) the floor: quick-xml tokenizing every file (bench/floor), and
#       xeplint's XML layer alone (bench/parse-only), one process, all cores
#   (d) xep-0060.xml alone, process start included: xeplint vs xmllint
#   (e) peak memory on the corpus and on ten copies of it, and the time of
#       ten copies against one
#
# Usage: bench/run.sh [CORPUS]   (default: ../shared/corpus beside the repo)
# RUNS (default 20) sets the runs per command; (a)-(c) are taken in ROUNDS
# (default 5) rounds of RUNS/ROUNDS runs each.
# Needs hyperfine, xmllint and GNU time; installs hyperfine and time with
# apt-get when they are missing. Medians are printed in milliseconds.

set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
corpus=$(cd "${1:-$repo/../shared/corpus}" && pwd -P)
runs=${RUNS:-20}

need() {
    command -v "$1" >/dev/null 2>&1 && return
    echo "installing $2 (for $1)" >&2
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y "$2" >/dev/null
    else
        sudo apt-get install -y "$2" >/dev/null
    fi
}
need hyperfine hyperfine
need xmllint libxml2-utils
[ -x /usr/bin/time ] || need /usr/bin/time time

echo "== building (release)" >&2
target=${CARGO_TARGET_DIR:-$repo/target}
(cd "$repo" && cargo build --release --quiet)
(cd "$repo/bench/floor" && CARGO_TARGET_DIR="$target/bench-floor" cargo build --release --quiet)
(cd "$repo/bench/parse-only" && CARGO_TARGET_DIR="$target/bench-parse-only" cargo build --release --quiet)
xeplint=$target/release/xeplint
floor=$target/bench-floor/release/xeplint-floor
parse_only=$target/bench-parse-only/release/xeplint-parse-only

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# xmllint in one process per folder, as xeplint runs in one process.
xmllint_all="cd '$corpus' && xmllint --nonet --noout --noent --loaddtd --valid *.xml"
if [ -d "$corpus/inbox" ]; then
    xmllint_all="$xmllint_all; cd inbox && xmllint --nonet --noout --noent --loaddtd --valid *.xml"
fi

# Median (ms) of one command from a hyperfine CSV export.
median() { awk -F, -v n="$2" 'NR > 1 && $1 == n { printf "%.1f", $4 * 1000 }' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# Several rounds of the three, one after the other, so that a busy moment of
# the machine falls on all of them rather than on one: the figure of each is
# the median of its rounds' medians.
rounds=${ROUNDS:-5}
per_round=$(( (runs + rounds - 1) / rounds ))
echo "== (a)-(c) whole corpus: $corpus ($(find "$corpus" -name '*.xml' | wc -l) files), $rounds rounds of $per_round runs" >&2
for r in $(seq "$rounds"); do
    hyperfine -N -i --warmup 2 --runs "$per_round" --export-csv "$work/corpus-$r.csv" \
        -n xeplint "$xeplint check --format short $corpus" \
        -n human "$xeplint check --format human $corpus" \
        -n floor "$floor $corpus" \
        -n parse-only "$parse_only $corpus" >&2
done
# Median of one command's medians over the rounds.
round_median() {
    for r in $(seq "$rounds"); do median "$work/corpus-$r.csv" "$1"; echo; done |
        sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
hyperfine -i --warmup 1 --runs 3 --export-csv "$work/xmllint.csv" \
    -n xmllint "$xmllint_all" >&2

echo "== (d) xep-0060.xml alone" >&2
(cd "$corpus" && hyperfine -N -i --warmup 3 --runs "$runs" --export-csv "$work/one.csv" \
    -n xeplint "$xeplint check --format short xep-0060.xml" \
    -n xmllint "xmllint --nonet --noout --noent --loaddtd --valid xep-0060.xml") >&2

echo "== (e) ten copies of the corpus" >&2
mkdir -p "$work/ten"
for i in 0 1 2 3 4 5 6 7 8 9; do
    # Each copy keeps xep.ent and xep.dtd beside its documents.
    cp -r "$corpus/." "$work/ten/copy$i"
done
chmod -R u+w "$work/ten"
hyperfine -N -i --warmup 1 --runs 5 --export-csv "$work/ten.csv" \
    -n xeplint-1x "$xeplint check --format short $corpus" \
    -n xeplint-10x "$xeplint check --format short $work/ten" >&2

peak() {
    # Median of seven maximum resident set sizes, in kB.
    for _ in 1 2 3 4 5 6 7; do
        { /usr/bin/time -v "$@" 2>&1 >/dev/null || true; } |
            awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }'
    done | sort -n | sed -n 4p
}
mem1=$(peak "$xeplint" check --format short "$corpus")
mem10=$(peak "$xeplint" check --format short "$work/ten")
memx=$(cd "$corpus" && peak sh -c "$xmllint_all")

a=$(round_median xeplint)
h=$(round_median human)
f=$(round_median floor)
p=$(round_median parse-only)
x=$(median "$work/xmllint.csv" xmllint)
d1=$(median "$work/one.csv" xeplint)
d2=$(median "$work/one.csv" xmllint)
t1=$(median "$work/ten.csv" xeplint-1x)
t10=$(median "$work/ten.csv" xeplint-10x)

verdict() { awk -v v="$1" -v op="$2" -v lim="$3" 'BEGIN { ok = (op == "<=") ? (v <= lim) : (v >= lim); print ok ? "ok" : "MISSED" }'; }

echo
echo "machine: $(nproc) cores; corpus: $corpus"
printf '%-44s %10s\n' "median, ms" ""
printf '%-44s %10s\n' "(a) xeplint check, all rules" "$a"
printf '%-44s %10s\n' "    the same, --format human" "$h"
printf '%-44s %10s\n' "(b) xmllint --valid, one process per folder" "$x"
printf '%-44s %10s\n' "(c) floor: quick-xml tokenization" "$f"
printf '%-44s %10s\n' "    xeplint XML layer alone" "$p"
printf '%-44s %10s\n' "(d) xep-0060.xml: xeplint" "$d1"
printf '%-44s %10s\n' "    xep-0060.xml: xmllint --valid" "$d2"
printf '%-44s %10s\n' "(e) ten copies: xeplint" "$t10"
echo
r_floor=$(ratio "$a" "$f")
r_xmllint=$(ratio "$x" "$a")
r_ten=$(ratio "$t10" "$t1")
r_mem=$(ratio "$mem10" "$mem1")
printf '%-44s %8s  %s\n' "xeplint / floor (target <= 2.5)" "$r_floor" "$(verdict "$r_floor" '<=' 2.5)"
printf '%-44s %8s  %s\n' "XML layer / floor" "$(ratio "$p" "$f")" ""
r_human=$(ratio "$h" "$a")
printf '%-44s %8s  %s\n' "human / short (target <= 1.3)" "$r_human" "$(verdict "$r_human" '<=' 1.3)"
printf '%-44s %8s  %s\n' "xmllint / xeplint (target >= 40)" "$r_xmllint" "$(verdict "$r_xmllint" '>=' 40)"
printf '%-44s %8s  %s\n' "xep-0060: xmllint / xeplint" "$(ratio "$d2" "$d1")" ""
printf '%-44s %8s  %s\n' "time, ten copies / one (target <= 11)" "$r_ten" "$(verdict "$r_ten" '<=' 11)"
printf '%-44s %8s  %s\n' "peak memory, one corpus (kB)" "$mem1" ""
printf '%-44s %8s  %s\n' "peak memory, ten copies (kB)" "$mem10" ""
printf '%-44s %8s  %s\n' "peak memory, xmllint (kB)" "$memx" ""
printf '%-44s %8s  %s\n' "memory, ten copies / one (target <= 1.2)" "$r_mem" "$(verdict "$r_mem" '<=' 1.2)"
