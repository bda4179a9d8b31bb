#!/usr/bin/env bash
# Triage (PC + EB vs the rest) and vetting (PC vs the rest) on Yu et al. (2019)'s TESS views
# (../shared/data/astronet_views/tess_triage_yu2019; GPL-3.0, so these weights are not
# shipped): an ensemble per task, trained on the eight train shards and chosen on the val
# shard only (each member's best epoch by validation average precision; validation records
# whose star is in the training shards are dropped). No test split is read.
#
#   bash training/yu2019.sh TRIAGE_DIR VETTING_DIR
#
# MEMBERS (3) networks of EPOCHS (20) at most per task, seeds 42, 43, ..., taking the
# records' Period, Duration, Transit_Depth and SN as SCALARS (five features, standardised on
# the train shards) beside the views, with DROPOUT (0.2) after each dense layer; sized to
# finish both tasks within 3 hours on 2 cores (measured: 89 min 28 s; training/README.md). Each task
# prints its members' best epochs and the ensemble's validation ROC AUC and average
# precision with bootstrap 95 % intervals, and writes DIR/val.json (evaluate on the whole
# val shard, stars shared with training included, for comparison with earlier figures).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ne 2 ]; then
  echo "usage: $0 TRIAGE_DIR VETTING_DIR" >&2
  exit 2
fi
data=${EXOSCREEN_DATA:-../shared/data}/astronet_views/tess_triage_yu2019
members=${MEMBERS:-3}
epochs=${EPOCHS:-20}
# The records' own numbers (Period, Duration, Transit_Depth, SN) as scalar features.
scalars=${SCALARS:-log_period,log_duration,log_depth,log_snr,log_duty_cycle}
dropout=${DROPOUT:-0.2}
cargo build --release
exo=target/release/exoscreen

task() {
  local out=$1 positive=$2
  local started=$SECONDS
  "$exo" train --data "$data"/train-0000?-of-00008 --val "$data/val-00000-of-00001" \
    --positive "$positive" --epochs "$epochs" --ensemble "$members" --seed 42 \
    --scalars "$scalars" --dropout "$dropout" --out "$out"
  "$exo" evaluate --model "$out" --data "$data/val-00000-of-00001" --positive "$positive" \
    --json >"$out/val.json"
  echo "$out ($positive vs the rest): $((SECONDS - started)) s; whole val shard: $(cat "$out/val.json")"
}

task "$1" PC,EB
task "$2" PC
