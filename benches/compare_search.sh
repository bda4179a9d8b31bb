#!/usr/bin/env bash
# Whole searches (default settings, all rounds, CPU engine) by two builds in one run, on the
# seeded 4-year star of `cargo bench --bench search` and on Kepler-227 (17 quarters, when
# ../shared/data is there), alternating old and new, 3 runs each; prints the median seconds
# and the ratio.
#
#   bash benches/compare_search.sh OLD_EXOSCREEN [NEW_EXOSCREEN]
#   ONLY_REAL=1 RUNS=1 bash benches/compare_search.sh OLD   # Kepler-227 only (no bench build)
# e.g. with the commit before issue 10 built beside this checkout:
#   git worktree add ../old 73f1145 && (cd ../old && cargo build --release)
#   bash benches/compare_search.sh ../old/target/release/exoscreen
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1; new=${2:-target/release/exoscreen}
runs=${RUNS:-3}
star=target/bench-search/star.csv
inputs=()
if [ -z "${ONLY_REAL:-}" ]; then
  [ -f "$star" ] || BENCH_THREADS= BENCH_GPU=0 cargo bench --bench search
  inputs+=("$star")
fi
k227=${EXOSCREEN_DATA:-../shared/data}/kepler-multiyear/kepler227
[ -d "$k227" ] && inputs+=("$k227")
for input in "${inputs[@]}"; do
  files=("$input"); [ -d "$input" ] && files=("$input"/*.fits)
  declare -A t=()
  for r in $(seq "$runs"); do
    for b in old new; do
      bin=${!b}
      s=$EPOCHREALTIME
      "$bin" search "${files[@]}" --engine cpu --out "/tmp/compare-$b.csv" 2>/dev/null
      t[$b]+="$s:$EPOCHREALTIME "
    done
  done
  python3 - "$input" "${t[old]}" "${t[new]}" /tmp/compare-old.csv /tmp/compare-new.csv <<'PY'
import csv, statistics, sys
span = lambda v: [float(b) - float(a) for a, b in (x.split(":") for x in v.split())]
name, old, new = sys.argv[1], span(sys.argv[2]), span(sys.argv[3])
mo, mn = statistics.median(old), statistics.median(new)
per = lambda f: [f"{float(r['period']):.4f}" for r in csv.DictReader(open(f))]
print(f"{name}: old {mo:.1f} s, new {mn:.1f} s (median of {len(old)}), {mo / mn:.2f}x")
print(f"  candidates old {per(sys.argv[4])}\n  candidates new {per(sys.argv[5])}")
PY
  unset t
done
