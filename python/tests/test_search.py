"""The known planets of ../shared/data found through the Python API (read, search,
search_many, lightkurve objects, classify, screen, the command line), and bad input raising
the right exception."""

import warnings

import numpy as np
from astropy import units as u
import pytest

import exoscreen
from conftest import box_light_curve

KEPLER10_Q13 = "kepler/ketu/kplr011904151-2012179063303_llc.fits"
WASP4 = "tess/tess2018234235059-s0002-0000000402026209-0121-s_lc.fits"
K2_3 = "k2/tls/EPIC201367065.csv"


def periods(cands):
    return [c["period"] for c in cands]


def has_period(cands, p, rel=0.01):
    return any(abs(c["period"] - p) < rel * p for c in cands)


def test_read_gives_the_files_cadences_and_labels(data_dir):
    lc = exoscreen.read(data_dir / KEPLER10_Q13)
    assert lc.mission == "kepler" and lc.time_system == "bkjd"
    assert lc.target_id == "11904151" and lc.labels["quarter"] == "13"
    assert lc.counts["rows"] == 4421
    assert lc.counts["kept"] == lc.time.size == lc.flux.size == lc.flux_err.size
    assert lc.counts["kept"] + lc.counts["quality_flagged"] + lc.counts["non_finite_flux"] \
        + lc.counts["non_finite_time"] + lc.counts["bad_flux_err"] == 4421
    assert np.all(np.diff(lc.time) > 0)


def test_search_finds_kepler_10_b_in_a_read_file(data_dir):
    cands = exoscreen.search(exoscreen.read(data_dir / KEPLER10_Q13), engine="cpu")
    assert has_period(cands, 0.837491), periods(cands)
    b = next(c for c in cands if abs(c["period"] - 0.837491) < 0.01)
    assert b["target_id"] == "11904151" and b["time_system"] == "BKJD"
    assert 120 < b["depth_ppm"] < 260 and b["depth_snr"] > 10
    # Epoch on the known ephemeris (131.57486 BKJD, 0.8374912 d): carried forward with the
    # known period, since one quarter's period, carried back 1,250 orbits, is off by ~0.07 d.
    known_p = 0.8374912
    phase = (b["epoch"] - 131.57486 + 0.5 * known_p) % known_p - 0.5 * known_p
    assert abs(phase) < 0.02


def test_search_many_finds_the_three_planets_of_k2_3_and_wasp_4(data_dir):
    t, y = np.loadtxt(data_dir / K2_3, delimiter=",", unpack=True)
    wasp4 = exoscreen.read(data_dir / WASP4)
    k2 = {"t": t, "y": y, "target_id": "201367065", "mission": "k2"}
    res = exoscreen.search_many([k2, wasp4, (t[:20], y[:20])], engine="cpu", known="builtin")
    k2r, w4, bad = res
    assert k2r.error is None and w4.error is None
    for p in (10.054, 24.647, 44.556):
        assert has_period(k2r.candidates, p), periods(k2r.candidates)
    named = {c["known_name"] for c in k2r.candidates if c["match"] == "same"}
    assert {"K2-3 b", "K2-3 c", "K2-3 d"} <= named, named
    assert has_period(w4.candidates, 1.338231), periods(w4.candidates)
    assert w4.candidates[0]["time_system"] == "BTJD"
    # A star that cannot be searched carries its error; the others went on.
    assert bad.error and bad.candidates == []


def test_a_lightkurve_object_is_accepted(data_dir):
    lk = pytest.importorskip("lightkurve")
    lc = lk.read(data_dir / WASP4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the points lightkurve masks are reported dropped
        cands = exoscreen.search(lc, engine="cpu", max_planets=1)
    assert has_period(cands, 1.338231), periods(cands)
    assert cands[0]["mission"] == "tess" and cands[0]["time_system"] == "BTJD"
    assert cands[0]["target_id"] == "402026209"
    # lightkurve's flattened curve, searched without detrending again; and its BLS grid.
    flat = lc.remove_nans().flatten(window_length=901)
    cands = exoscreen.search(flat, engine="cpu", detrend=False, max_planets=1)
    assert has_period(cands, 1.338231), periods(cands)
    bls = exoscreen.BoxLeastSquares(flat, engine="cpu")
    r = bls.autopower(0.09 * u.day, minimum_period=0.8 * u.day, maximum_period=5.0 * u.day)
    assert abs(r.period[np.argmax(r.power)].value - 1.338231) < 0.005


def test_classify_scores_a_known_planet_with_the_shipped_model(data_dir):
    cands = exoscreen.classify(exoscreen.read(data_dir / WASP4), engine="cpu", max_planets=1)
    assert has_period(cands, 1.338231)
    assert 0.0 <= cands[0]["score"] <= 1.0 and cands[0]["model"] == "astronet-dr24"


def test_screen_and_the_command_line(data_dir, tmp_path):
    bad = tmp_path / "broken.fits"
    bad.write_bytes(b"SIMPLE  = not a fits file")
    rows = exoscreen.screen([data_dir / WASP4, bad], tmp_path / "out", engine="cpu",
                            report_top=1)
    assert any(abs(float(r["period"]) - 1.338231) < 0.01 for r in rows)
    status = (tmp_path / "out" / "status.csv").read_text()
    assert "broken.fits" in status and "error" in status
    # The library's run: the same settings resume the finished run, other ones are refused,
    # and names it does not know are an error before anything runs.
    again = exoscreen.screen([data_dir / WASP4, bad], tmp_path / "out", engine="cpu",
                             report_top=1, resume=True)
    assert again == rows
    with pytest.raises(OSError, match="different run"):
        exoscreen.screen([data_dir / WASP4], tmp_path / "out", engine="cpu", resume=True)
    with pytest.raises(TypeError, match="unknown option"):
        exoscreen.screen([data_dir / WASP4], tmp_path / "other", no_such_setting=1)
    assert exoscreen.cli(["inspect", str(data_dir / KEPLER10_Q13)]) == 0
    assert exoscreen.cli(["inspect", str(bad)]) == 1
    with pytest.raises(ValueError, match="unexpected argument|unrecognized"):
        exoscreen.cli(["inspect", "--no-such-flag"])


def test_bad_input_raises_the_right_exception(tmp_path):
    t, y, dy = box_light_curve(days=20)
    with pytest.raises(ValueError, match="same length"):
        exoscreen.BoxLeastSquares(t, y[:-1])
    with pytest.raises(ValueError, match="engine"):
        exoscreen.BoxLeastSquares(t, y, engine="tpu")
    bls = exoscreen.BoxLeastSquares(t, y, dy, engine="cpu")
    with pytest.raises(ValueError, match="shorter than the shortest period"):
        bls.power([0.5, 1.0], 0.6)
    with pytest.raises(ValueError, match="positive"):
        bls.power([-1.0, 2.0], 0.1)
    with pytest.raises(ValueError, match="objective"):
        bls.power([2.0], 0.1, objective="chi2")
    with pytest.raises(ValueError, match="fewer than 2"), pytest.warns(UserWarning):
        exoscreen.BoxLeastSquares([1.0, np.nan], [1.0, 1.0])
    with pytest.raises(ValueError, match="duplicate|repeat|twice|equal"):
        exoscreen.search(np.r_[t, t[:1]], np.r_[y, y[:1]], engine="cpu")
    with pytest.raises(TypeError, match="unknown option"):
        exoscreen.search(t, y, engine="cpu", sde=3)
    with pytest.raises(ValueError, match="window"):
        exoscreen.search(t, y, engine="cpu", window=-1.0)
    with pytest.raises(OSError, match="nothing.fits"):
        exoscreen.read(tmp_path / "nothing.fits")
    (tmp_path / "junk.fits").write_bytes(b"\x00" * 100)
    with pytest.raises(OSError, match="junk.fits"):
        exoscreen.read(tmp_path / "junk.fits")
    with pytest.raises(OSError, match="no-model"):
        exoscreen.classify(t, y, engine="cpu", model=tmp_path / "no-model")
    with pytest.warns(UserWarning, match="1 of"):
        y2 = y.copy()
        y2[3] = np.nan
        exoscreen.BoxLeastSquares(t, y2, dy)
