#!/usr/bin/env bash
# Reproduces the shipped model models/astronet-sim from scratch (simulations only, so the
# weights carry no third-party data). Measured on 2 cores: 39 min 36 s building the six
# datasets (each simulated star is detrended and searched as `screen` does; the four-quarter
# fields cost most; 30 min 23 s in an earlier run on quieter cores), 7 min 45 s training
# (25 epochs of ~13 s, 25-28 s while a dataset was still building), 1 s evaluating.
#   bash training/astronet-sim.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-runs/astronet-sim}
mkdir -p "$work"
cargo build --release
exo=target/release/exoscreen
mix=planet=0.45,eb=0.2,beb=0.1,junk=0.25
# Per split, an independent field of single quarters and one of four-quarter stars with a
# multi-year instrument's systematics (thermal settling, drifts, momentum dumps, sensitivity
# dropouts: the instrumental events that line up into long-period false alarms). Different
# seeds, so no star is in two splits.
for spec in "train 2400 1001 1" "val 600 1002 1" "test 600 1003 1" \
  "train-sys 300 1011 4" "val-sys 80 1012 4" "test-sys 80 1013 4"; do
  set -- $spec
  sys=$([ "$4" -gt 1 ] && echo --systematics || true)
  "$exo" simulate --n "$2" --seed "$3" --mix "$mix" --segments "$4" $sys --out "$work/kepler-$1"
  "$exo" dataset "$work/kepler-$1" --engine cpu --positive PC --out "$work/kepler-$1.tfrecord"
done
"$exo" train --data "$work"/kepler-train{,-sys}.tfrecord --val "$work"/kepler-val{,-sys}.tfrecord \
  --positive PC --epochs 25 --seed 42 --dropout 0.2 --scalar-missing 0.3 \
  --scalars log_period,log_duration,log_depth,log_duty_cycle,log_sde,log_odd_even,secondary_ratio \
  --out "$work/model"
"$exo" evaluate --model "$work/model" --data "$work"/kepler-test{,-sys}.tfrecord --positive PC \
  --plots "$work/model/test-curves" --json
