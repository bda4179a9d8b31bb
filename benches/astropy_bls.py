"""astropy BoxLeastSquares on exactly the benchmark's light curve and grid.

Run `cargo bench --bench bls` first (it writes target/bench-bls/), then:
    python3 -m venv /tmp/astropy-venv && /tmp/astropy-venv/bin/pip install astropy numpy
    /tmp/astropy-venv/bin/python benches/astropy_bls.py

Prints astropy's median time over 3 runs, ns per point-trial, and the ratio to each
exoscreen figure recorded by the benchmark.
"""
import os
import time

import astropy
import numpy as np
from astropy.timeseries import BoxLeastSquares

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "bench-bls")
t, y, dy = np.loadtxt(os.path.join(here, "lc.csv"), delimiter=",", skiprows=1, unpack=True)
periods = np.loadtxt(os.path.join(here, "periods.txt"))
durations = np.atleast_1d(np.loadtxt(os.path.join(here, "durations.txt")))
model = BoxLeastSquares(t, y, dy)
runs = []
for _ in range(3):
    start = time.perf_counter()
    res = model.power(periods, durations, objective="likelihood", method="fast", oversample=10)
    runs.append(time.perf_counter() - start)
sec = sorted(runs)[1]
trials = len(t) * len(periods)
ns = sec / trials * 1e9
print(f"astropy {astropy.__version__} (method fast, 1 thread): median {sec:.3f} s, "
      f"{ns:.2f} ns/point-trial, {len(durations)} durations, "
      f"best period {res.period[np.argmax(res.power)]:.5f} d")
with open(os.path.join(here, "figures.txt")) as f:
    for line in f:
        key, value = line.rstrip("\n").split("\t")
        if float(value) > 0:
            print(f"  exoscreen {key}: {float(value):.2f} ns/point-trial, {ns / float(value):.1f}x astropy")
