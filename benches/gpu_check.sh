#!/usr/bin/env bash
# One-shot check for a machine with a GPU: builds in release mode, runs the GPU-vs-CPU tests
# on the hardware adapter (failing if none is found), then the BLS benchmark, printing every
# figure. Usage: bash benches/gpu_check.sh   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
export EXOSCREEN_REQUIRE_GPU=1
unset VK_ICD_FILENAMES WGPU_BACKEND || true
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || true
cargo build --release --benches --tests
cargo test --release --test it bls:: -- --nocapture
BENCH_PERIODS="${BENCH_PERIODS:-20000}" cargo bench --bench bls
