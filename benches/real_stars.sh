#!/usr/bin/env bash
# Completeness and false alarms on real four-year Kepler stars (docs/benchmarks.md, "Real
# stars"): screens the 16 stars of kepler-survey and Kepler-227 as they are, inverted and
# scrambled (every candidate of a null copy is a false alarm), and prints the KOIs found and
# missed, the candidates that match no KOI with their scores, and false alarms per star.
#
#   bash benches/real_stars.sh [OUT] [EXOSCREEN]     (OUT default runs/real-stars)
#   STAGES="real invert scramble" SCREEN_OPTS="--engine cpu" bash benches/real_stars.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/real-stars}
bin=${2:-target/release/exoscreen}
data=${EXOSCREEN_DATA:-../shared/data}
stages=${STAGES:-real invert scramble}
inputs=("$data/kepler-survey" "$data/kepler-multiyear")
[ -x "$bin" ] || cargo build --release --bin exoscreen
mkdir -p "$out"

for stage in $stages; do
  case $stage in
    real) extra=() ;;
    invert) extra=(--invert) ;;
    scramble) extra=(--scramble "${SCRAMBLE_SEED:-1}") ;;
    *) echo "unknown stage $stage" >&2; exit 2 ;;
  esac
  start=$(date +%s)
  # shellcheck disable=SC2086
  "$bin" -v screen "${inputs[@]}" --known builtin --force --report-top 0 \
    --out "$out/$stage" "${extra[@]}" ${SCREEN_OPTS:-} >"$out/$stage.out" 2>"$out/$stage.log"
  echo "== $stage: $(( $(date +%s) - start )) s"
  python3 - "$out/$stage" "$stage" <<'EOF'
import csv, sys, collections
run, stage = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(f"{run}/candidates.csv")))
status = list(csv.DictReader(open(f"{run}/status.csv")))
stars = sorted({r["target_id"] for r in status if r["status"] == "ok"})
if stage == "real":
    known = list(csv.DictReader(open(f"{run}/known_planets.csv")))
    for k in known:
        print(f"  {k['target_id']:>9} {k['name']:<14} {float(k['period']):10.4f} d  {k['disposition']:<15} "
              + (f"found ({k['match']}, planet {k['planet']})" if k["match"] else "MISSED"))
    planets = [k for k in known if k["disposition"] in ("CONFIRMED", "CANDIDATE")]
    print(f"  planets (CONFIRMED + CANDIDATE) found: {sum(1 for k in planets if k['match'] == 'same')} of {len(planets)}")
    for r in rows:
        if r["known_disposition"] in ("CONFIRMED", "CANDIDATE"):
            continue
        tag = r["known_name"] + " (KOI FP)" if r["known_name"] else "matches no KOI"
        print(f"  {r['target_id']:>9} P {float(r['period']):10.4f} d  SNR {float(r['depth_snr']):6.1f}  score {float(r['score']):.3f}  {tag}")
else:
    per = collections.Counter(r["target_id"] for r in rows)
    high = [r for r in rows if float(r["score"]) >= 0.5]
    print(f"  {len(rows)} false alarms on {len(stars)} stars ({len(rows) / max(len(stars), 1):.3f} per star), {len(high)} scoring >= 0.5")
    for r in rows:
        print(f"  {r['target_id']:>9} P {float(r['period']):10.4f} d  SNR {float(r['depth_snr']):6.1f}  SDE {float(r['sde']):5.1f}  score {float(r['score']):.3f}")
EOF
done
