#!/usr/bin/env bash
# Reproduces the shipped model models/astronet-sim from scratch (simulations only, so the
# weights carry no third-party data). About 35 min on 2 cores: 25 min building the datasets
# (each simulated star is detrended and searched as `screen` does), 9 min training.
#   bash training/astronet-sim.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-runs/astronet-sim}
mkdir -p "$work"
cargo build --release
exo=target/release/exoscreen
mix=planet=0.45,eb=0.2,beb=0.1,junk=0.25
# Three independent fields (different seeds, so no star is in two splits).
for spec in "train 2400 1001" "val 600 1002" "test 600 1003"; do
  set -- $spec
  "$exo" simulate --n "$2" --seed "$3" --mix "$mix" --out "$work/kepler-$1"
  "$exo" dataset "$work/kepler-$1" --engine cpu --positive PC --out "$work/kepler-$1.tfrecord"
done
"$exo" train --data "$work/kepler-train.tfrecord" --val "$work/kepler-val.tfrecord" \
  --positive PC --epochs 40 --seed 42 --out "$work/model"
"$exo" evaluate --model "$work/model" --data "$work/kepler-test.tfrecord" --positive PC \
  --plots "$work/model/test-curves" --json
