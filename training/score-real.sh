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
#   blank-sde/, blank-dr24/   the candidates and quiet peaks scored again with the `sde`
#                             column emptied, and with `sde`, `odd_even_sigma` and
#                             `depth_secondary_ppm` emptied (what Kepler DR24 records lack)
# and prints one table: target, what, period [d], depth [ppm], SNR, score, and the scores
# with those columns blank.
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
# The same signals as a source without the search's measures gives them.
for blank in "sde:sde" "dr24:sde,odd_even_sigma,depth_secondary_ppm"; do
  name=${blank%%:*}
  mkdir -p "$work/blank-$name"
  for f in screen/candidates multiyear/candidates quiet-in; do
    python3 - "$work/$f.csv" "$work/blank-$name/${f%%/*}-in.csv" "${blank#*:}" <<'EOF'
import csv, sys
r = csv.DictReader(open(sys.argv[1]))
w = csv.DictWriter(open(sys.argv[2], "w", newline=""), fieldnames=r.fieldnames)
w.writeheader()
for row in r:
    w.writerow({**row, **{c: "" for c in sys.argv[3].split(",")}})
EOF
    "$exo" classify -q "$work/blank-$name/${f%%/*}-in.csv" "${m[@]}" \
      --out "$work/blank-$name/${f%%/*}.csv"
  done
done
python3 - "$work" <<'EOF'
import csv, sys
work = sys.argv[1]
print("| target | what | period [d] | depth [ppm] | SNR | score | SDE blank | DR24 blank |")
print("|---|---|---|---|---|---|---|---|")
def rows(name, what, blanked=None):
    scores = lambda d: [r["score"] for r in csv.DictReader(open(f"{work}/{d}/{blanked}"))]
    blank = zip(scores("blank-sde"), scores("blank-dr24")) if blanked else iter(lambda: ("", ""), None)
    for r, (b_sde, b_dr24) in zip(csv.DictReader(open(f"{work}/{name}")), blank):
        print(f"| {r['target_id']} | {what(r)} | {float(r['period']):.5f} | "
              f"{float(r['depth_ppm']):.0f} | {float(r['depth_snr']):.1f} | {r['score']} | "
              f"{b_sde} | {b_dr24} |")
known = lambda r: r.get("known_name") or "no known planet at this period"
rows("screen/candidates.csv", known, "screen.csv")
rows("multiyear/candidates.csv", known, "multiyear.csv")
rows("rejected.csv", lambda r: f"rejected by the search: {r['why']}")
rows("quiet.csv", lambda r: f"quiet star's best peak (SDE {float(r['sde']):.1f})", "quiet-in.csv")
EOF
