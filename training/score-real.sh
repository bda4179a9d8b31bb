#!/usr/bin/env bash
# Scores of a model on every real light curve in ../shared/data: what MODEL.md tabulates.
#   bash training/score-real.sh [MODEL_DIR] [WORK_DIR]
# MODEL_DIR: a folder written by `train` (default: the shipped model). Writes in WORK_DIR
# (default runs/score-real):
#   screen/candidates.csv     every candidate of a screen of kepler/, k2/ and tess/
#   multiyear/candidates.csv  the same for kepler-multiyear/ (Kepler-227, four years)
#   rejected.csv              the signals the search rejected on Kepler-227 (instrumental
#                             events), read from its log and scored by `classify`
#   quiet.csv                 the best peak of each quiet Kepler Q0 star (no KOI, no TCE),
#                             however weak, scored by `classify`
# and prints one table: target, what, period [d], depth [ppm], SNR, score.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-}
work=${2:-runs/score-real}
data=${EXOSCREEN_DATA:-../shared/data}
cargo build --release
exo=target/release/exoscreen
m=()
if [ -n "$model" ]; then m=(--model "$model"); fi
mkdir -p "$work"
"$exo" screen -q "$data/kepler" "$data/k2" "$data/tess" --known builtin "${m[@]}" \
  --out "$work/screen" --force
"$exo" screen -q "$data/kepler-multiyear" --known builtin "${m[@]}" --out "$work/multiyear" --force
# Kepler-227's rejected signals, from the search's log lines
# "P = 446.06625 d at 184.2254, 7.50 h, 1000 ppm, SNR 12.3: why, masked".
"$exo" search -v --engine cpu "$data/kepler-multiyear/kepler227" --out "$work/k227.csv" \
  2>"$work/k227.log"
python3 - "$work" <<'EOF'
import csv, re, sys
work = sys.argv[1]
files = next(csv.DictReader(open(f"{work}/k227.csv")))["source_files"]
pat = re.compile(r"P = ([\d.]+) d at ([\d.-]+), ([\d.]+) h, (-?[\d.]+) ppm, SNR (-?[\d.]+): (.*), masked")
with open(f"{work}/rejected-in.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["target_id", "period", "epoch", "duration_hours", "depth_ppm", "depth_snr", "why", "source_files"])
    for line in open(f"{work}/k227.log"):
        if (g := pat.search(line)):
            w.writerow(["10797460", *g.groups(), files])
EOF
"$exo" classify "$work/rejected-in.csv" "${m[@]}" --out "$work/rejected.csv"
# The quiet stars' best peaks: no SDE threshold, no SNR minimum, one peak each.
"$exo" search "$data"/kepler/fits-parser/*.fits --engine cpu --sde-threshold 0 --min-snr 0 \
  --max-planets 1 --out "$work/quiet-in.csv"
"$exo" classify "$work/quiet-in.csv" "${m[@]}" --out "$work/quiet.csv"
python3 - "$work" <<'EOF'
import csv, sys
work = sys.argv[1]
print("| target | what | period [d] | depth [ppm] | SNR | score |")
print("|---|---|---|---|---|---|")
def rows(name, what):
    for r in csv.DictReader(open(f"{work}/{name}")):
        print(f"| {r['target_id']} | {what(r)} | {float(r['period']):.5f} | "
              f"{float(r['depth_ppm']):.0f} | {float(r['depth_snr']):.1f} | {r['score']} |")
known = lambda r: r.get("known_name") or "no known planet at this period"
rows("screen/candidates.csv", known)
rows("multiyear/candidates.csv", known)
rows("rejected.csv", lambda r: f"rejected by the search: {r['why']}")
rows("quiet.csv", lambda r: f"quiet star's best peak (SDE {float(r['sde']):.1f})")
EOF
