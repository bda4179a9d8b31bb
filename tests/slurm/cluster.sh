#!/usr/bin/env bash
# Issue 15: the README's Slurm array (scripts/slurm-screen.sh), run on a real single-machine
# Slurm cluster (slurmctld + one slurmd on this host, Debian's slurm-wlm and munge), with one
# task requeued mid-way, must merge to exactly what one process gives.
#
#   tests/slurm/cluster.sh EXOSCREEN_BINARY
#
# Field: 400 simulated Kepler quarters (60 % quiet, so that it runs in minutes), 4 of them
# truncated and one not FITS at all, and one
# manifest line naming no file. The array has 4 shards; task 2 is requeued (`scontrol
# requeue`) once it has finished two batches. Checks: merged candidates.csv, status.csv and
# single_events.csv byte-identical to the single run's; the requeued task restarted and
# resumed its finished batches; the missing input listed once. Daemons, jobs and files are
# cleaned up on any exit. Needs root (the daemons run as root here) and slurm-wlm + munge.
set -euo pipefail

bin=$(realpath "$1")
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/exoscreen-slurm.XXXXXX)
export SLURM_CONF=$work/slurm.conf
started=$(date +%s)
munge_started=""

say() { echo "slurm test [$(($(date +%s) - started)) s]: $*"; }

cleanup() {
  local rc=$?
  set +e
  scancel --quiet --user=root 2>/dev/null
  scontrol shutdown 2>/dev/null
  for f in "$work"/slurmctld.pid "$work"/slurmd.pid; do
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  sleep 1
  pkill -9 -f "slurmstepd" 2>/dev/null
  pkill -9 -f "$work/spool" 2>/dev/null
  if [ -n "$munge_started" ]; then pkill -x munged 2>/dev/null; fi
  if [ $rc -ne 0 ]; then
    echo "--- slurmctld.log (tail)"; tail -n 20 "$work/slurmctld.log" 2>/dev/null
    echo "--- slurmd.log (tail)"; tail -n 20 "$work/slurmd.log" 2>/dev/null
    for l in "$work"/out/logs/*.log; do echo "--- $l (tail)"; tail -n 5 "$l"; done 2>/dev/null
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

fail() { echo "slurm test FAILED: $*" >&2; exit 1; }

# waits up to $1 seconds for the command after it to succeed
wait_for() {
  local limit=$1 t=0
  shift
  until "$@"; do
    sleep 0.2
    t=$((t + 1))
    [ $t -lt $((limit * 5)) ] || return 1
  done
}

# --- the cluster
host=$(hostname -s)
if ! munge -n >/dev/null 2>&1; then
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  [ -s /etc/munge/munge.key ] || mungekey --create --force 2>/dev/null \
    || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
  chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  munged --force
  munge_started=1
  wait_for 10 munge -n >/dev/null || fail "munged did not start"
fi
mkdir -p "$work/state" "$work/spool"
cat >"$SLURM_CONF" <<CONF
ClusterName=exoscreen-ci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
SlurmctldPort=6917
SlurmdPort=6918
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
JobRequeue=1
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=2048 State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -i
slurmd
wait_for 30 sh -c 'sinfo -h -o %t 2>/dev/null | grep -q idle' || fail "the node did not come up"
say "cluster up: $(sinfo -h -o '%P %D %t %c CPUs')"

# --- the field: 400 stars, 5 unreadable files, one manifest line naming nothing
"$bin" simulate --n 400 --out "$work/field" --seed 15 -q \
  --mix planet=0.3,eb=0.05,junk=0.05,quiet=0.6
files=("$work"/field/*.fits)
for i in 10 110 210 310; do head -c 5000 "${files[$i]}" >"$work/cut" && mv "$work/cut" "${files[$i]}"; done
echo "not a light curve" >"${files[50]}"
{
  printf '%s\n' "${files[@]}"
  echo "$work/field/kplr099999999-q01_llc.fits"
} >"$work/manifest.txt"
screen_opts="--engine cpu --batch 25 --report-top 0"

# --- one process: the reference
# shellcheck disable=SC2086
"$bin" screen --manifest "$work/manifest.txt" --out "$work/single" $screen_opts -q \
  >/dev/null 2>&1 || [ $? -eq 1 ] || fail "the single run failed"
say "single run done"

# --- the README's array: 4 shards, then the merge
out=$work/out
submitted=$(EXOSCREEN="$bin" EXOSCREEN_SCREEN="$screen_opts" \
  EXOSCREEN_SBATCH="--gres=none --cpus-per-task=1 --mem=256M --time=10:00" \
  "$repo/scripts/slurm-screen.sh" "@$work/manifest.txt" "$out" 4)
echo "$submitted"
array=$(echo "$submitted" | sed -n 's/.*screen array \([0-9]*\).*/\1/p')
merge=$(echo "$submitted" | sed -n 's/.*merge \([0-9]*\)$/\1/p')
[ -n "$array" ] && [ -n "$merge" ] || fail "could not read the job ids"

# --- requeue task 2 once it has finished two batches (and before it is done)
parts_done() { ls "$out/shard-2/parts/"*.status.csv 2>/dev/null | wc -l; }
wait_for 300 sh -c "[ \$(ls '$out/shard-2/parts/' 2>/dev/null | grep -c 'status.csv$') -ge 2 ]" \
  || fail "task 2 never finished two batches"
[ -e "$out/shard-2/candidates.csv" ] && fail "task 2 finished before it could be requeued"
done_before=$(parts_done)
scontrol requeue "${array}_2"
# A requeued job waits out a begin-time delay; let it start again now.
wait_for 10 sh -c "squeue -h -j ${array}_2 -o %T | grep -q PENDING" || fail "task 2 was not requeued"
scontrol update JobId="${array}_2" StartTime=now
say "task 2 requeued after $done_before finished batch(es)"

# --- wait for the array and the merge
wait_for 600 sh -c "[ -z \"\$(squeue -h -j $array,$merge 2>/dev/null)\" ]" \
  || fail "the jobs did not finish: $(squeue -h -j "$array,$merge")"
restarts=$(scontrol show job "${array}_2" | grep -o 'Restarts=[0-9]*' | cut -d= -f2)
[ "${restarts:-0}" -ge 1 ] || fail "task 2 shows no restart"
resumed=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['summary']['batches_resumed'])" \
  "$out/shard-2/run.json")
[ "$resumed" -ge 2 ] || fail "task 2 resumed $resumed batches, expected >= 2"

# --- the merged outputs are the single run's
for f in candidates.csv status.csv single_events.csv; do
  cmp "$work/single/$f" "$out/merged/$f" || fail "merged $f differs from the single run's"
done
ghosts=$(grep -c "kplr099999999" "$out/merged/status.csv" || true)
[ "$ghosts" -eq 1 ] || fail "the missing input is listed $ghosts times in the merged status"
errors=$(grep -c ",error," "$out/merged/status.csv" || true)
[ "$errors" -eq 6 ] || fail "expected 6 error rows (5 bad files, 1 missing), got $errors"
say "passed: 4 shards, task 2 requeued after $done_before batch(es) (restarts $restarts, resumed $resumed), merged outputs identical to the single run ($(($(wc -l <"$out/merged/status.csv") - 1)) status rows, $(($(wc -l <"$out/merged/candidates.csv") - 1)) candidates)"
