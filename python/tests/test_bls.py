"""exoscreen.BoxLeastSquares against astropy's on the same arrays and grid: the peak (power,
depth, transit time) and the whole periodogram, as the Rust tests compare them; units; the
GPU engine against the CPU; the GIL released while it runs."""

import threading
import time

import numpy as np
import pytest
from astropy import units as u
from astropy.time import Time
from astropy.timeseries import BoxLeastSquares as AstropyBLS

import exoscreen
from conftest import box_light_curve

DURATIONS = [0.08, 0.12, 0.16]


@pytest.fixture(scope="module")
def lc():
    return box_light_curve()


@pytest.fixture(scope="module")
def periods(lc):
    return AstropyBLS(lc[0], lc[1], lc[2]).autoperiod(DURATIONS, minimum_period=1.0,
                                                      maximum_period=20.0)


def pearson(a, b):
    return float(np.corrcoef(a, b)[0, 1])


@pytest.mark.parametrize("objective", ["likelihood", "snr"])
def test_matches_astropy_at_the_peak_and_over_the_periodogram(lc, periods, objective):
    t, y, dy = lc
    theirs = AstropyBLS(t, y, dy).power(periods, DURATIONS, objective=objective, oversample=10)
    ours = exoscreen.BoxLeastSquares(t, y, dy, engine="cpu").power(
        periods, DURATIONS, objective=objective, oversample=10)
    assert ours.objective == objective
    np.testing.assert_array_equal(ours.period, theirs.period)
    i, j = int(np.argmax(ours.power)), int(np.argmax(theirs.power))
    assert abs(ours.period[i] - 3.7) < 0.01
    assert abs(ours.period[i] - theirs.period[j]) < 1e-3 * theirs.period[j]
    assert ours.power[i] == pytest.approx(theirs.power[j], rel=0.05)
    assert ours.depth[i] == pytest.approx(theirs.depth[j], rel=0.05)
    assert ours.depth_snr[i] == pytest.approx(theirs.depth_snr[j], rel=0.05)
    # Our box is a whole number of bins that tile the period: within a bin of the trial.
    assert ours.duration[i] == pytest.approx(theirs.duration[j], rel=0.02)
    p = ours.period[i]
    dt = (ours.transit_time[i] - theirs.transit_time[j] + 0.5 * p) % p - 0.5 * p
    assert abs(dt) < 0.1 * 0.12
    # Whole periodogram: the bins differ (ours tile each period exactly), so noise-only
    # periods move a little; the same tolerances as the Rust test.
    assert pearson(ours.power, theirs.power) > 0.99
    close = np.abs(ours.power - theirs.power) <= 0.15 * np.abs(theirs.power)
    assert close.mean() > 0.8
    for k in ("depth", "depth_err", "log_likelihood"):
        assert pearson(ours[k], theirs[k]) > 0.95, k


def test_autoperiod_and_autopower_match_astropy(lc):
    t, y, dy = lc
    ours = exoscreen.BoxLeastSquares(t, y, dy, engine="cpu")
    theirs = AstropyBLS(t, y, dy)
    np.testing.assert_allclose(ours.autoperiod(0.12), theirs.autoperiod(0.12), rtol=1e-12)
    np.testing.assert_allclose(
        ours.autoperiod(DURATIONS, minimum_n_transit=4, frequency_factor=2.0),
        theirs.autoperiod(DURATIONS, minimum_n_transit=4, frequency_factor=2.0), rtol=1e-12)
    r = ours.autopower(0.12, minimum_period=1.0)
    assert abs(r.period[np.argmax(r.power)] - 3.7) < 0.01


def test_results_come_in_the_callers_order(lc):
    t, y, dy = lc
    bls = exoscreen.BoxLeastSquares(t, y, dy, engine="cpu")
    grid = np.linspace(2.0, 6.0, 400)
    up = bls.power(grid, 0.12)
    down = bls.power(grid[::-1], 0.12)
    np.testing.assert_array_equal(down.period, grid[::-1])
    np.testing.assert_array_equal(down.power, up.power[::-1])
    repeated = bls.power(np.r_[grid[:5], grid[:5]], 0.12)
    np.testing.assert_array_equal(repeated.power[:5], repeated.power[5:])


def test_units_and_times_as_astropy(lc):
    t, y, dy = lc
    tt = Time(t + 2454833.0, format="jd", scale="tdb")
    bls = exoscreen.BoxLeastSquares(tt, y * u.dimensionless_unscaled, dy * u.dimensionless_unscaled,
                                    engine="cpu")
    r = bls.power(np.linspace(3.0, 4.5, 500) * u.day, 0.12 * u.day)
    i = int(np.argmax(r.power))
    assert r.period.unit == u.day and r.duration.unit == u.day
    assert isinstance(r.transit_time, Time)
    assert abs(r.period[i].value - 3.7) < 0.01
    ref = AstropyBLS(tt, y, dy).power(np.linspace(3.0, 4.5, 500) * u.day, 0.12 * u.day)
    j = int(np.argmax(ref.power))
    p = r.period[i].value
    dt = ((r.transit_time[i] - ref.transit_time[j]).to_value(u.day) + 0.5 * p) % p - 0.5 * p
    assert abs(dt) < 0.012
    # Hours in, hours out.
    rh = exoscreen.BoxLeastSquares(t * 24 * u.hour, y, dy, engine="cpu").power(
        np.linspace(3.0, 4.5, 500) * 24 * u.hour, 2.88 * u.hour)
    assert rh.period.unit == u.hour
    np.testing.assert_allclose(rh.power, r.power)
    with pytest.raises(ValueError, match="Quantity"):
        bls.power(np.linspace(3.0, 4.5, 10), 0.12)


def test_gpu_engine_matches_cpu_over_the_whole_periodogram(lc, periods, gpu_engine):
    t, y, dy = lc
    cpu = exoscreen.BoxLeastSquares(t, y, dy, engine="cpu").power(periods, DURATIONS)
    gpu = exoscreen.BoxLeastSquares(t, y, dy, engine=gpu_engine).power(periods, DURATIONS)
    assert "gpu" in gpu.engine
    # Both engines bin and sum in the same integers: the same boxes, f32 scoring only.
    np.testing.assert_allclose(gpu.power, cpu.power, rtol=1e-3, atol=1e-9 * cpu.power.max())
    np.testing.assert_allclose(gpu.duration, cpu.duration)
    assert pearson(gpu.depth, cpu.depth) > 0.9999


def test_the_gil_is_released_while_the_engine_runs(lc):
    t, y, dy = lc
    bls = exoscreen.BoxLeastSquares(t, y, dy, engine="cpu")
    grid = np.linspace(1.0, 20.0, 60000)
    done = threading.Event()
    ticks = []

    def count():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    start = time.perf_counter()
    bls.power(grid, DURATIONS)
    elapsed = time.perf_counter() - start
    done.set()
    counter.join()
    during = [x for x in ticks if start < x < start + elapsed]
    # Held GIL: the counter could not run at all during the call.
    assert elapsed > 0.05, "the call is too short to tell"
    assert len(during) > 0.3 * elapsed / 0.002, (len(during), elapsed)
