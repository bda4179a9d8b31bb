"""Generates the astropy BoxLeastSquares reference used by tests/it/bls.rs.

Run once (results are committed beside this script):
    python3 -m venv /tmp/astropy-venv && /tmp/astropy-venv/bin/pip install astropy numpy
    /tmp/astropy-venv/bin/python tests/reference/make_astropy_reference.py

Writes:
  bls_input.csv      seeded light curve: time, flux, flux_err (uneven sampling, gaps,
                     a 3.3-d box transit of 2000 ppm, white noise of 1000 ppm)
  bls_astropy.csv    astropy's periodogram on a fixed grid (1000 periods evenly spaced in
                     frequency from 1 to 10 d; durations 0.08, 0.12, 0.16 d; objective
                     likelihood; method fast, oversample 10): period, power, depth,
                     depth_err, duration, transit_time, depth_snr, log_likelihood
"""
import os

import astropy
import numpy as np
from astropy.timeseries import BoxLeastSquares

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261128)
t = np.sort(rng.uniform(0.0, 60.0, 3000))
t = t[(t % 20.0) < 18.5] + 1000.0  # gaps, and an offset like BKJD
period, t0, duration, depth = 3.3, 1001.7, 0.12, 2e-3
phase = (t - t0 + 0.5 * period) % period - 0.5 * period
dy = np.full_like(t, 1e-3)
y = 1.0 + rng.normal(0.0, 1e-3, t.size)
y[np.abs(phase) < 0.5 * duration] -= depth
np.savetxt(os.path.join(here, "bls_input.csv"), np.c_[t, y, dy], delimiter=",",
           header="time,flux,flux_err", comments="", fmt="%.10f")

periods = 1.0 / np.linspace(1.0 / 10.0, 1.0, 1000)[::-1]
periods = np.sort(periods)
durations = [0.08, 0.12, 0.16]
res = BoxLeastSquares(t, y, dy).power(periods, durations, objective="likelihood",
                                      method="fast", oversample=10)
cols = ["period", "power", "depth", "depth_err", "duration", "transit_time",
        "depth_snr", "log_likelihood"]
np.savetxt(os.path.join(here, "bls_astropy.csv"),
           np.c_[[np.asarray(res[c]) for c in cols]].T, delimiter=",",
           header=",".join(cols), comments="# astropy " + astropy.__version__ + "\n",
           fmt="%.12g")
print("astropy", astropy.__version__, "best period", res.period[np.argmax(res.power)])
