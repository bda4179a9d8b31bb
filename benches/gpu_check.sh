#!/usr/bin/env bash
# The one measuring script for a machine with a GPU (no network, no Rust needed there).
#
#   bash benches/build_gpu_check.sh        here: builds the stripped binary into benches/bin/
#   bash benches/gpu_check.sh              there: ~6 minutes on a 16-core machine with a GPU
#   bash benches/gpu_check.sh --dry-run    here, on lavapipe: the same steps on small inputs
#
# Prints the adapter and driver; `exoscreen gpu-check` (the GPU's periodogram of a four-year
# star on the full default grid identical to the CPU's, point-trials per second of the
# kernel, of the GPU engine end to end and of the CPU on every core, for a one-quarter and a
# four-year star, and the kernel's builds step by step); then screens of simulated stars on
# the GPU and on every CPU core: stars per second, and the two catalogues compared byte for
# byte on the same inputs. Exits non-zero at the first failure. A CPU adapter is refused
# unless --dry-run. EXOSCREEN_BIN overrides the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
dry=""
if [ "${1:-}" = "--dry-run" ]; then dry="--dry-run"; elif [ -n "${1:-}" ]; then
  echo "usage: bash benches/gpu_check.sh [--dry-run]" >&2; exit 2
fi
bin=${EXOSCREEN_BIN:-benches/bin/exoscreen}
if [ ! -x "$bin" ]; then
  echo "no binary at $bin: run bash benches/build_gpu_check.sh first" >&2; exit 1
fi
start=$(date +%s.%N)
if [ -z "$dry" ]; then unset VK_ICD_FILENAMES WGPU_BACKEND; fi
export NODEVICE_SELECT=1
echo "cores: $(nproc)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true

if [ -n "$dry" ]; then
  "$bin" gpu-check --dry-run --every 400 --repeats 1
else
  "$bin" gpu-check --repeats 3
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seconds() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.3g", n / s }'; }

# screen NAME ENGINE STARS FILES...: screens the files, prints stars/s; the catalogue lands
# in $work/NAME-ENGINE-STARS.
screen() {
  local name=$1 engine=$2 stars=$3; shift 3
  local out="$work/$name-$engine-$stars" t
  t=$(date +%s.%N)
  if ! "$bin" screen "$@" --out "$out" --engine "$engine" --report-top 0 "${grid[@]}" \
    >"$out.log" 2>&1; then
    cat "$out.log" >&2; echo "the $engine screen of $name failed" >&2; exit 1
  fi
  local s; s=$(seconds "$t")
  echo "  $engine: $stars stars in $s s: $(rate "$stars" "$s") stars/s"
}

# field NAME SEGMENTS STARS CPU_STARS: simulates a field, screens all of it on the GPU and
# the first CPU_STARS stars on the GPU and on every CPU core, and compares those catalogues.
field() {
  local name=$1 segments=$2 n=$3 n_cpu=$4
  "$bin" simulate --n "$n" --segments "$segments" --seed 31 --out "$work/$name" >/dev/null
  echo "screen, $name: $n simulated Kepler stars of $segments quarter(s)"
  screen "$name" gpu "$n" "$work/$name"
  local files=()
  for ((i = 0; i < n_cpu; i++)); do
    files+=("$work/$name"/kplr"$(printf %09d $((90000000 + i)))"-*.fits)
  done
  screen "$name" cpu "$n_cpu" "${files[@]}"
  [ "$n_cpu" -eq "$n" ] || screen "$name" gpu "$n_cpu" "${files[@]}"
  if cmp -s "$work/$name-gpu-$n_cpu/candidates.csv" "$work/$name-cpu-$n_cpu/candidates.csv"; then
    echo "  catalogues of the same $n_cpu stars: identical ($(($(wc -l <"$work/$name-cpu-$n_cpu/candidates.csv") - 1)) candidates)"
  else
    echo "  catalogues of the same $n_cpu stars DIFFER" >&2
    diff "$work/$name-gpu-$n_cpu/candidates.csv" "$work/$name-cpu-$n_cpu/candidates.csv" | head -20 >&2
    exit 1
  fi
}

if [ -n "$dry" ]; then
  # Small grids: lavapipe runs the kernel ~30x slower than the CPU engine.
  grid=(--period-max 3 --oversampling 0.1)
  field one-quarter 1 4 2
  field four-year 16 1 1
else
  # The CPU screens of the same inputs take most of the time: a subset of each field.
  grid=()
  field one-quarter 1 2000 500
  field four-year 16 24 6
fi
echo "gpu_check: passed in $(seconds "$start") s"
