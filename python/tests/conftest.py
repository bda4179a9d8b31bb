"""Shared fixtures: the real data folder (EXOSCREEN_DATA, default ../shared/data beside the
repository; missing data skips loudly, or fails under EXOSCREEN_REQUIRE_DATA=1, as the Rust
tests do) and seeded synthetic light curves."""

import os
import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _required(var):
    return os.environ.get(var) == "1"


@pytest.fixture(scope="session")
def data_dir():
    d = pathlib.Path(os.environ.get("EXOSCREEN_DATA", ROOT.parent / "shared" / "data"))
    if not d.is_dir():
        if _required("EXOSCREEN_REQUIRE_DATA"):
            pytest.fail(f"EXOSCREEN_REQUIRE_DATA=1 but {d} is missing")
        pytest.skip(f"SKIPPED: real data not found at {d} (set EXOSCREEN_DATA)")
    return d


@pytest.fixture(scope="session")
def gpu_engine():
    """"gpu" when wgpu finds an adapter (lavapipe counts); skips loudly otherwise, or fails
    under EXOSCREEN_REQUIRE_GPU=1."""
    import exoscreen

    try:
        exoscreen._core.engine_name("gpu")
    except RuntimeError as e:
        if _required("EXOSCREEN_REQUIRE_GPU"):
            pytest.fail(f"EXOSCREEN_REQUIRE_GPU=1 but no GPU engine: {e}")
        pytest.skip(f"SKIPPED: no GPU adapter ({e})")
    return "gpu"


def box_light_curve(seed=1, days=60.0, cadence=0.0204, noise=4e-4, period=3.7, t0=1.3,
                    duration=0.12, depth=2e-3):
    """A seeded light curve with a box transit: (t, y, dy)."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, days, cadence) + 100.0
    y = 1.0 + noise * rng.standard_normal(t.size)
    phase = (t - t0 - 100.0 + 0.5 * period) % period - 0.5 * period
    y[np.abs(phase) < 0.5 * duration] -= depth
    return t, y, np.full_like(t, noise)
