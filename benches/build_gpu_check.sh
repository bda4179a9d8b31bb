#!/usr/bin/env bash
# Builds the binary that benches/gpu_check.sh runs on a machine with a GPU (which has no
# network): a stripped release build of exoscreen in benches/bin/, with its size against the
# device tool's 64 MiB copy limit. Run `bash benches/gpu_check.sh --dry-run` after it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin exoscreen
mkdir -p benches/bin
cp target/release/exoscreen benches/bin/exoscreen
strip benches/bin/exoscreen
size=$(stat -c %s benches/bin/exoscreen)
awk -v s="$size" 'BEGIN { printf "benches/bin/exoscreen: %.1f MiB of the 64 MiB a device run may carry\n", s / 1048576 }'
[ "$size" -lt $((64 * 1048576)) ] || { echo "too large to carry" >&2; exit 1; }
