#!/usr/bin/env bash
# Completeness on real noise (docs/benchmarks.md, "Injection into real stars"): injects
# planets into every four-year star of kepler-survey (one planet per copy, periods
# log-uniform over 0.5-300 d, SNR uniform over 5-50), searches each copy with the default
# search, and prints completeness by SNR, by period and by star. One star per
# inject-recover call, so a partial run keeps every star that finished.
#
#   bash benches/inject_real.sh [OUT] [EXOSCREEN]     (OUT default runs/inject-real)
#   TRIALS=6 STARS="000757450 000892772" bash benches/inject_real.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/inject-real}
bin=${2:-target/release/exoscreen}
data=${EXOSCREEN_DATA:-../shared/data}/kepler-survey
[ -x "$bin" ] || cargo build --release --bin exoscreen
mkdir -p "$out"
all=$(ls "$data")
stars=${STARS:-$all}
for star in $stars; do
  # Each star's seed is its place in the whole list, so a run of some stars (STARS) injects
  # what the whole run would.
  seed=$(echo "$all" | grep -nx "$star" | cut -d: -f1)
  [ -n "$seed" ] || { echo "no star $star in $data" >&2; exit 2; }
  [ -s "$out/$star/trials.csv" ] && continue
  start=$(date +%s)
  "$bin" -v inject-recover "$data/$star" --trials "${TRIALS:-6}" --seed "$seed" \
    --inject-period-min 0.5 --inject-period-max 300 --snr-min 5 --snr-max 50 \
    --out "$out/$star" >"$out/$star.out" 2>"$out/$star.log"
  echo "== $star: $(( $(date +%s) - start )) s"
done
python3 - "$out" <<'PY'
import csv, glob, sys, collections
rows = []
for f in sorted(glob.glob(f"{sys.argv[1]}/*/trials.csv")):
    rows += list(csv.DictReader(open(f)))
def table(title, key, edges):
    print(f"{title:>12} {'injected':>9} {'found':>6} {'fraction':>9}")
    for lo, hi in zip(edges, edges[1:]):
        sel = [r for r in rows if lo <= key(r) < hi]
        n, k = len(sel), sum(r["recovered"] == "true" for r in sel)
        frac = f"{100 * k / n:.1f} %" if n else "-"
        print(f"{lo:>5g}-{hi:<6g} {n:>9} {k:>6} {frac:>9}")
table("SNR", lambda r: float(r["snr"]), [5, 7.1, 10, 15, 20, 30, 50.01])
table("period [d]", lambda r: float(r["period"]), [0.5, 1, 3, 10, 30, 100, 300.01])
per = collections.defaultdict(lambda: [0, 0])
for r in rows:
    if float(r["snr"]) >= 10:
        per[r["target_id"]][0] += 1
        per[r["target_id"]][1] += r["recovered"] == "true"
print("star (SNR >= 10): found / injected")
for s, (n, k) in sorted(per.items()):
    print(f"  {s:>9} {k} / {n}")
main = [r for r in rows if float(r["snr"]) >= 10]
k = sum(r["recovered"] == "true" for r in main)
print(f"SNR >= 10: {k} of {len(main)} ({100 * k / max(len(main), 1):.1f} %); all: {len(rows)} injections")
for r in rows:
    if r["recovered"] != "true" and float(r["snr"]) >= 10:
        print(f"  missed {r['target_id']:>9} P {float(r['period']):9.4f} d  SNR {float(r['snr']):5.1f}  depth {float(r['depth_ppm']):7.0f} ppm  found {r['found_period']}")
PY
