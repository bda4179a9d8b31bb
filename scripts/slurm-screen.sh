#!/usr/bin/env bash
# Screens a survey on a Slurm cluster: a job array of shards, then one merge.
#
#   scripts/slurm-screen.sh INPUT OUT [SHARDS]
#
# INPUT is what `exoscreen screen` takes (a folder, a file, a glob) or `@LIST`, a manifest of
# paths one per line. Run on a login node, the script submits itself as an array of SHARDS
# tasks (default 64): task K screens shard K/SHARDS into OUT/shard-K with --resume, so a task
# that Slurm requeues (node failure, preemption, `scontrol requeue`) carries on from its
# finished batches. A job that waits for the whole array merges the shards into OUT/merged
# (the same candidates.csv and status.csv as one process screening everything).
#
# The resource lines below are for a GPU node; what a site needs beyond them (partition,
# account, or overrides for a CPU-only test cluster) goes in EXOSCREEN_SBATCH, e.g.
#   EXOSCREEN_SBATCH="--partition=gpu --account=proj123" scripts/slurm-screen.sh data/ runs
# Other screen options go in EXOSCREEN_SCREEN (e.g. "--known builtin"); EXOSCREEN names the
# binary (default: exoscreen on PATH).
#SBATCH --job-name=exoscreen
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=16
#SBATCH --mem=32G
#SBATCH --time=12:00:00
#SBATCH --requeue
#SBATCH --open-mode=append
set -euo pipefail

exoscreen=${EXOSCREEN:-exoscreen}
if [ $# -lt 2 ]; then
  echo "usage: $0 INPUT OUT [SHARDS]" >&2
  exit 2
fi
input=$1 out=$2 shards=${3:-64}
case $input in
  @*) inputs=(--manifest "${input#@}") ;;
  *) inputs=("$input") ;;
esac

if [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then
  # One array task: shard K of N.
  k=$SLURM_ARRAY_TASK_ID
  # shellcheck disable=SC2086 # EXOSCREEN_SCREEN holds several options
  exec "$exoscreen" screen "${inputs[@]}" --shard "$k/$shards" --out "$out/shard-$k" \
    --resume ${EXOSCREEN_SCREEN:-}
fi

# On the login node: submit the array, then the merge once every task has ended (afterany:
# a shard with unreadable files exits 1, and its results still count).
mkdir -p "$out/logs"
# shellcheck disable=SC2086 # EXOSCREEN_SBATCH holds several options
array=$(sbatch --parsable --array="1-$shards" --output="$out/logs/shard-%a.log" \
  ${EXOSCREEN_SBATCH:-} "$0" "$input" "$out" "$shards")
array=${array%%;*}
merge_cmd=$(printf '%q merge' "$exoscreen")
for k in $(seq 1 "$shards"); do merge_cmd+=$(printf ' %q' "$out/shard-$k"); done
merge_cmd+=$(printf ' --out %q' "$out/merged")
# shellcheck disable=SC2086
merge=$(sbatch --parsable --job-name=exoscreen-merge --dependency="afterany:$array" \
  --gres=none --cpus-per-task=1 --mem=4G --output="$out/logs/merge.log" \
  ${EXOSCREEN_SBATCH:-} --wrap="$merge_cmd")
merge=${merge%%;*}
echo "submitted: screen array $array ($shards shards), merge $merge"
echo "results: $out/merged/candidates.csv and $out/merged/status.csv"
