#!/usr/bin/env bash
# One-shot check for a machine with a GPU. Runs the GPU-vs-CPU tests on the hardware adapter
# (failing if none is found), the BLS and search benchmarks (a 4-year star on the default
# grid), and screens of simulated 4-year fields with the GPU and the CPU engines, printing
# every figure (stars/s, per-stage seconds, peak memory).
#
#   bash benches/gpu_check.sh            builds in release mode with cargo, then runs
#   PREBUILT=dir bash benches/gpu_check.sh   uses binaries built elsewhere: dir/exoscreen,
#                                        dir/it (test binary), dir/bls and dir/search (benches)
set -euo pipefail
cd "$(dirname "$0")/.."
export EXOSCREEN_REQUIRE_GPU=1
unset VK_ICD_FILENAMES WGPU_BACKEND || true
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || true
if [ -n "${PREBUILT:-}" ]; then
  exo=$PREBUILT/exoscreen; it=$PREBUILT/it; bls=$PREBUILT/bls; search=$PREBUILT/search
else
  cargo build --release --benches --tests
  exo=target/release/exoscreen
  it=$(ls -t target/release/deps/it-* | grep -v '\.d$' | head -1)
  bls=$(ls -t target/release/deps/bls-* | grep -v '\.d$' | head -1)
  search=$(ls -t target/release/deps/search-* | grep -v '\.d$' | head -1)
fi
nproc
"$it" bls:: --nocapture --test-threads 1
BENCH_PERIODS="${BENCH_PERIODS:-20000}" "$bls"
BENCH_PERIODS="${BENCH_PERIODS:-20000}" BENCH_DURATIONS=search "$bls"
BENCH_RUNS=3 "$search"
# Screening throughput: the same simulated field on each engine (report pages off).
field=$(mktemp -d)/field
"$exo" simulate --n "${SCREEN_STARS:-200}" --segments 16 --seed 11 --out "$field"
# The CPU screen of the same field (for an identical-catalogue check) takes ~4 s a star on
# 16 cores: on by default only for small fields.
engines="gpu"; [ "${SCREEN_STARS:-200}" -le 40 ] || [ -n "${SCREEN_CPU:-}" ] && engines="gpu cpu"
for engine in $engines; do
  "$exo" screen "$field" --out "$(dirname "$field")/screen-$engine" --engine $engine --force || true
done
[ "$engines" = "gpu" ] && exit 0
cmp "$(dirname "$field")/screen-gpu/candidates.csv" "$(dirname "$field")/screen-cpu/candidates.csv" \
  && echo "gpu and cpu catalogues identical" || echo "gpu and cpu catalogues differ (see above)"
python3 - "$(dirname "$field")" <<'PY' || true
import csv, sys
d = sys.argv[1]
rows = {e: list(csv.DictReader(open(f"{d}/screen-{e}/candidates.csv"))) for e in ("gpu", "cpu")}
key = lambda r: (r["target_id"], r["planet"])
g = {key(r): r for r in rows["gpu"]}; c = {key(r): r for r in rows["cpu"]}
same = [k for k in g if k in c and abs(float(g[k]["period"]) - float(c[k]["period"])) < 1e-6 * float(c[k]["period"])]
print(f"candidates gpu {len(g)} cpu {len(c)}; same (target, planet, period) {len(same)}")
PY
