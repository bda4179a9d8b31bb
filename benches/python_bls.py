"""Side by side, in one run: exoscreen.BoxLeastSquares(...).power vs astropy's
BoxLeastSquares.power (method fast) on the same arrays and the same grid.

    bash python/build.sh && target/pyenv/bin/python benches/python_bls.py [--points N] [--periods M]

The light curve is seeded: N points at Kepler's 29.4-min cadence (default 65,000, about
four years) with a box transit; M periods (default 20,000) evenly spaced in frequency
between 1 and 100 d, 3 durations (2, 3, 4.5 h), oversample 10, objective likelihood. Prints
the median of 3 runs per engine, ns per point-trial and the ratio to astropy, and checks that
both find the injected period.
"""
import argparse
import time

import astropy
import numpy as np
from astropy.timeseries import BoxLeastSquares as AstropyBLS

import exoscreen


def light_curve(n, seed=3):
    rng = np.random.default_rng(seed)
    t = 131.5 + np.arange(n) * (29.4244 / 1440.0)
    y = 1.0 + 1e-4 * rng.standard_normal(n)
    period, t0, duration = 9.488, 140.3, 0.12
    y[np.abs((t - t0 + 0.5 * period) % period - 0.5 * period) < 0.5 * duration] -= 6e-4
    return t, y, np.full(n, 1e-4), period


def median_seconds(fn, runs=3):
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        res = fn()
        out.append(time.perf_counter() - start)
    return sorted(out)[len(out) // 2], res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=65000)
    ap.add_argument("--periods", type=int, default=20000)
    args = ap.parse_args()
    t, y, dy, truth = light_curve(args.points)
    periods = 1.0 / np.linspace(1.0 / 100.0, 1.0, args.periods)[::-1]
    durations = [2 / 24, 3 / 24, 4.5 / 24]
    trials = len(t) * len(periods)
    print(f"{len(t)} points, {len(periods)} periods, {len(durations)} durations, oversample 10")
    rows = []
    sec, res = median_seconds(lambda: AstropyBLS(t, y, dy).power(periods, durations, oversample=10))
    rows.append((f"astropy {astropy.__version__} (method fast, 1 thread)", sec, res))
    engines = ["cpu"]
    try:
        exoscreen._core.engine_name("gpu")
        engines.append("gpu")
    except RuntimeError as e:
        print(f"no GPU engine: {e}")
    for engine in engines:
        bls = exoscreen.BoxLeastSquares(t, y, dy, engine=engine)
        bls.power(periods[:10], durations)  # engine set-up outside the timing
        sec, res = median_seconds(lambda: bls.power(periods, durations, oversample=10))
        rows.append((f"exoscreen {engine}: {bls.engine_name}", sec, res))
    base = rows[0][1]
    for name, sec, res in rows:
        best = res.period[np.argmax(res.power)]
        print(f"{name:55s} median {sec:7.3f} s  {sec / trials * 1e9:6.2f} ns/point-trial  "
              f"{base / sec:5.1f}x astropy  peak {best:.4f} d (injected {truth} d)")


if __name__ == "__main__":
    main()
