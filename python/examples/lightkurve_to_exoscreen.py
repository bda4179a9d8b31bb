"""lightkurve -> exoscreen -> plot: read a light curve with lightkurve, search it with
exoscreen (detrending, iterative BLS, vetting), score the candidates with the shipped
classifier, and plot the periodogram and the fold of the best candidate.

    python python/examples/lightkurve_to_exoscreen.py LIGHTCURVE.fits [OUT.png]

e.g. ../shared/data/tess/tess2018234235059-s0002-0000000402026209-0121-s_lc.fits (WASP-4).
lightkurve.search_lightcurve(...).download() works as well where MAST can be reached.
"""
import sys

import astropy.units as u
import lightkurve as lk
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import exoscreen  # noqa: E402

path = sys.argv[1]
out = sys.argv[2] if len(sys.argv) > 2 else "exoscreen_example.png"
lc = lk.read(path).remove_nans()

# The whole search on the raw light curve: candidates with the columns of candidates.csv.
cands = exoscreen.classify(lc)
for c in cands:
    print(f"planet {c['planet']}: P = {c['period']:.5f} d, epoch {c['epoch']:.4f} {c['time_system']}, "
          f"{c['duration_hours']:.2f} h, {c['depth_ppm']:.0f} ppm, SNR {c['depth_snr']:.1f}, "
          f"SDE {c['sde']:.1f}, score {c['score']:.3f}")

# astropy's API on lightkurve's flattened curve, on exoscreen's engines.
flat = lc.flatten(window_length=901)
bls = exoscreen.BoxLeastSquares(flat.time, flat.flux, flat.flux_err)
durations = [1, 2, 3, 4] * u.hour
res = bls.autopower(durations, minimum_period=0.6 * u.day, maximum_period=10 * u.day)
best = int(np.argmax(res.power))
print(f"BLS peak ({bls.engine_name}): {res.period[best]:.5f}, depth {res.depth[best] * 1e6:.0f} ppm")

fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 6))
ax1.plot(res.period.value, res.power, lw=0.5)
ax1.set(xscale="log", xlabel="period [d]", ylabel="log likelihood")
if cands:
    p, t0 = cands[0]["period"], cands[0]["epoch"]
    phase = ((flat.time.value - t0 + 0.5 * p) % p - 0.5 * p) * 24
    ax2.plot(phase, flat.flux.value, ".", ms=1)
    ax2.set(xlim=(-3 * cands[0]["duration_hours"], 3 * cands[0]["duration_hours"]),
            xlabel="hours from mid-transit", ylabel="flux",
            title=f"P = {p:.5f} d, score {cands[0]['score']:.3f}")
fig.tight_layout()
fig.savefig(out, dpi=100)
print(f"plot: {out}")
