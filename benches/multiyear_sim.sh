#!/usr/bin/env bash
# Completeness and false candidates on simulated 4-year Kepler stars with the instrument's
# systematics (issue 11): screens N_MULTI stars with 3-8 planets each (80-2000 ppm) and
# N_QUIET stars with systematics only, then prints the completeness per planet by SNR bin
# (a planet is found when a candidate matches it at its own period, on its ephemeris:
# known_planets.csv) and the candidates per systematics-only star.
#
#   bash benches/multiyear_sim.sh [OUT_DIR]
# Environment: N_MULTI (12), N_QUIET (10), SEED (12), EXOSCREEN (target/release/exoscreen),
# ENGINE (cpu).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/multiyear-sim}
bin=${EXOSCREEN:-target/release/exoscreen}
seed=${SEED:-12}
engine=${ENGINE:-cpu}
[ -x "$bin" ] || cargo build --release
rm -rf "$out"
mkdir -p "$out"
"$bin" simulate --n "${N_MULTI:-12}" --segments 16 --mix multi=1 --systematics \
  --seed "$seed" --out "$out/multi"
"$bin" simulate --n "${N_QUIET:-10}" --segments 16 --mix quiet=1 --systematics \
  --seed $((seed + 1000)) --out "$out/quiet"
for f in multi quiet; do
  known=()
  [ "$f" = multi ] && known=(--known "$out/multi/planets.csv")
  s=$EPOCHREALTIME
  "$bin" -v screen "$out/$f" --out "$out/$f-screen" --engine "$engine" "${known[@]}" \
    --report-top 0 >"$out/$f-screen.log" 2>&1 || true
  echo "$f: screened in $(python3 -c "print(f'{$EPOCHREALTIME - $s:.0f}')") s"
done
python3 - "$out" <<'PY'
import csv, sys
out = sys.argv[1]
rows = lambda p: list(csv.DictReader(open(p)))
truth = {(r["target_id"], r["name"]): r for r in rows(f"{out}/multi/planets.csv")}
found = {(r["target_id"], r["name"]): r["match"] == "same"
         for r in rows(f"{out}/multi-screen/known_planets.csv")}
bins = [(0, 7.1), (7.1, 10), (10, 15), (15, 30), (30, 100), (100, 1e9)]
print("planets by SNR: found / injected")
for lo, hi in bins:
    sel = [k for k, r in truth.items() if lo <= float(r["snr"]) < hi]
    n = sum(found.get(k, False) for k in sel)
    print(f"  SNR {lo:g}-{hi:g}: {n} / {len(sel)}")
hi = [k for k, r in truth.items() if float(r["snr"]) >= 10]
n = sum(found.get(k, False) for k in hi)
print(f"SNR >= 10: {n} / {len(hi)} = {100 * n / max(len(hi), 1):.1f} %")
missed = sorted((float(truth[k]["snr"]), k[1], float(truth[k]["period"]), float(truth[k]["depth"]) * 1e6)
                for k in hi if not found.get(k, False))
for snr, name, p, d in missed:
    print(f"  missed {name}: SNR {snr:.1f}, P {p:.3f} d, {d:.0f} ppm")
cands = rows(f"{out}/multi-screen/candidates.csv")
new = [c for c in cands if c["match"] == "none"]
print(f"multi-planet stars: {len(cands)} candidates, {len(new)} matching no planet "
      f"({len(new) / max(len(set(k[0] for k in truth)), 1):.2f} per star)")
for c in new:
    print(f"  {c['target_id']} P {float(c['period']):.4f} d, {float(c['depth_ppm']):.0f} ppm, "
          f"SDE {float(c['sde']):.1f}, {c['n_transits']} transits")
q = rows(f"{out}/quiet-screen/candidates.csv")
stars = len({r["target_id"] for r in rows(f"{out}/quiet-screen/status.csv") if r["status"] == "ok"})
print(f"systematics-only stars: {len(q)} candidates on {stars} stars ({len(q) / max(stars, 1):.2f} per star)")
for c in q:
    print(f"  {c['target_id']} P {float(c['period']):.4f} d, {float(c['duration_hours']):.2f} h, "
          f"{float(c['depth_ppm']):.0f} ppm, SDE {float(c['sde']):.1f}, {c['n_transits']} transits")
PY
