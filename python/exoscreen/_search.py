"""The search, the classifier, the readers and ``screen`` from Python: many stars go to the
engine in one call; candidates come back with the columns of ``candidates.csv``."""

import csv
import json
import os
from dataclasses import dataclass, field

import numpy as np

from . import _core
from ._inputs import star as _star

__all__ = ["search", "search_many", "classify", "classify_many", "read", "screen", "cli",
           "StarResult", "LightCurveFile"]


@dataclass
class StarResult:
    """What the search gave for one star.

    ``candidates``: one dict per candidate with the columns of ``candidates.csv`` (period
    [d], epoch in ``time_system``, duration_hours [h], depth_ppm [ppm], depth_snr, sde,
    power, n_transits, odd/even and secondary depths, ...; with ``classify`` also ``score``
    and ``model``). ``single_events``: the rows of ``single_events.csv``. ``error``: why the
    star could not be searched, else ``None``."""

    target_id: str
    candidates: list = field(default_factory=list)
    single_events: list = field(default_factory=list)
    final_sde: float = None
    n_periods: int = 0
    skipped: list = field(default_factory=list)
    error: str = None


_OPTIONS = {
    "engine", "detrend", "method", "window", "break_tolerance", "clip_sigma", "period_min",
    "period_max", "oversampling", "objective", "sde_threshold", "min_snr", "max_planets",
    "max_rounds", "max_rejected", "known", "model",
}


def _options(options):
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(_OPTIONS))}")
    opts = dict(options)
    known = opts.get("known")
    if known is not None:
        known = [known] if isinstance(known, (str, os.PathLike)) else known
        opts["known"] = [os.fspath(p) for p in known]
    if opts.get("model") is not None:
        opts["model"] = os.fspath(opts["model"])
    return json.dumps(opts)


def _stars(stars):
    out = []
    for s in stars:
        if isinstance(s, (tuple, list)):
            out.append(_star(*s))
        elif isinstance(s, dict):
            s = dict(s)
            out.append(_star(s.pop("t", s.pop("time", None)), s.pop("y", s.pop("flux", None)),
                             s.pop("dy", s.pop("flux_err", None)), **s))
        else:
            out.append(_star(s))
    return out


def _results(text):
    return [StarResult(**r) for r in json.loads(text)]


def search_many(stars, **options):
    """Searches many stars in one engine call per round.

    ``stars``: lightkurve ``LightCurve`` objects, :class:`LightCurveFile`\\ s, ``(t, y)``
    or ``(t, y, dy)`` tuples, or dicts with ``t``, ``y``, ``dy`` and optionally
    ``target_id``, ``mission``, ``time_system``. Options (the command line's flags):
    ``engine`` ("auto", "gpu", "cpu"), ``detrend`` (True: biweight over ``window`` days,
    1.5), ``method``, ``break_tolerance``, ``clip_sigma``, ``period_min``, ``period_max``,
    ``oversampling`` (3), ``objective``, ``sde_threshold`` (9), ``min_snr`` (7.1),
    ``max_planets`` (10), ``max_rounds`` (25), ``max_rejected`` (3), ``known`` (catalogue
    files, or "builtin"). Returns one :class:`StarResult` per star, in order; a star that
    cannot be searched carries its ``error`` and the others go on."""
    return _results(_core.search_many(_stars(stars), _options(options)))


def _one(results):
    r = results[0]
    if r.error is not None:
        raise ValueError(f"{r.target_id or 'star'}: {r.error}")
    return r.candidates


def search(t, y=None, dy=None, *, target_id=None, mission=None, time_system=None, **options):
    """Detrends and searches one light curve (arrays, Quantities, or a lightkurve
    ``LightCurve`` as ``t``) until its signal runs out; returns the candidates as dicts
    with the columns of ``candidates.csv``. Options as :func:`search_many`."""
    s = _star(t, y, dy, target_id=target_id, mission=mission, time_system=time_system)
    return _one(_results(_core.search_many([s], _options(options))))


def classify_many(stars, model=None, **options):
    """As :func:`search_many`, then each candidate is folded into views (the star's other
    candidates' transits removed) and scored by the classifier: ``model`` a folder written
    by ``exoscreen train`` (one network or an ensemble), or ``None`` for the shipped model.
    Candidates carry ``score`` (planet probability) and ``model``."""
    return _results(_core.classify_many(_stars(stars), _options(dict(options, model=model))))


def classify(t, y=None, dy=None, *, model=None, target_id=None, mission=None, time_system=None,
             **options):
    """:func:`search` of one light curve, each candidate scored by the classifier (see
    :func:`classify_many`)."""
    s = _star(t, y, dy, target_id=target_id, mission=mission, time_system=time_system)
    return _one(_results(_core.classify_many([s], _options(dict(options, model=model)))))


@dataclass
class LightCurveFile:
    """One light-curve file as exoscreen reads it: ``time`` (in ``time_system``: BKJD for
    Kepler/K2, BTJD for TESS), ``flux`` and ``flux_err`` in the file's units, the kept
    cadences only; ``labels`` (Warp 10 style, e.g. keplerId, quarter), ``counts`` (rows read
    and dropped by reason). Accepted wherever a light curve is."""

    time: np.ndarray
    flux: np.ndarray
    flux_err: np.ndarray
    target_id: str
    mission: str
    time_system: str
    labels: dict
    counts: dict
    cadence_days: float
    err_estimated: bool
    source: str
    meta: dict = field(default_factory=dict)


def read(path, flux="pdcsap", quality="default"):
    """Reads a Kepler, K2 or TESS FITS file (gzip'd or not) or a CSV light curve.
    ``flux``: "pdcsap" or "sap"; ``quality``: "none", "default", "hard", "hardest" or an
    integer bitmask (lightkurve's presets). Raises OSError naming the file and the reason
    when it cannot be read."""
    d = _core.read(os.fspath(path), flux, str(quality))
    d.pop("class")
    d.pop("bjd_reference")
    d["source"] = os.fspath(d["source"])
    d["meta"] = {"mission": d["mission"], "target_id": d["target_id"], **d["labels"]}
    return LightCurveFile(**d)


def cli(args):
    """Runs ``exoscreen ARGS...`` (the command line, e.g. ``cli(["inspect", "a.fits"])``)
    in this process; returns its exit code (0 ok, 1 some inputs failed, 2 usage)."""
    return _core.cli([os.fspath(a) for a in args])


def screen(paths, out, **flags):
    """``exoscreen screen`` of files and folders into ``out`` (resumable, a status row per
    file, an HTML report); returns the ranked candidates of ``out/candidates.csv`` as dicts
    (strings as the CSV holds them). ``flags`` are the command's options with ``_`` for
    ``-``: ``engine="cpu"``, ``resume=True``, ``shard="3/16"``, ``known="builtin"``, ...
    A list value repeats the flag. Raises RuntimeError when the command fails outright;
    files that could not be read are listed in ``out/status.csv`` (exit code 1)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    args = ["screen", *[os.fspath(p) for p in paths], "--out", os.fspath(out)]
    for key, value in flags.items():
        flag = "--" + key.replace("_", "-")
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if v is True:
                args.append(flag)
            elif v is not False and v is not None:
                args += [flag, os.fspath(v) if isinstance(v, os.PathLike) else str(v)]
    code = _core.cli(args)
    table = os.path.join(os.fspath(out), "candidates.csv")
    if code == 2 or not os.path.exists(table):
        raise RuntimeError(f"exoscreen screen failed (exit code {code}); see the messages above")
    with open(table, newline="") as f:
        return list(csv.DictReader(f))
