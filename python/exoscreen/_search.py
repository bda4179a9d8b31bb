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


# Keyword arguments as the command line names them, mapped to the library's settings.
_ALIASES = {"window": "window_days", "break_tolerance": "break_tolerance_days"}


def _paths(value):
    value = [value] if isinstance(value, (str, os.PathLike)) else value
    return [os.fspath(p) for p in value]


def _settings(kind, options, groups):
    """``options`` (flat keyword arguments) sorted into the library's settings of ``kind``
    (``"search"`` or ``"screen"``), as JSON: a name of the top level stays there, the name
    of a field of one of ``groups`` (``"trend"``, ``"search"``, ...) goes into it. The
    library's names are taken, and the command line's where they differ (``window``,
    ``break_tolerance``, ``no_event_scan``, ``clip_sigma=0`` for none, ``resume``,
    ``force``, ``invert``, ``scramble``, an integer ``quality`` bitmask)."""
    defaults = json.loads(_core.settings_defaults())[kind]
    top = {k for k in defaults if k not in groups}
    out = {}
    for key, value in options.items():
        key = _ALIASES.get(key, key)
        if key == "no_event_scan":
            key, value = "event_scan", not value
        elif key == "clip_sigma" and value == 0:
            value = None
        elif key in ("resume", "force"):
            if value:
                out["existing"] = key
            continue
        elif key in ("invert", "scramble"):
            if value is not None and value is not False:
                null = "inverted" if key == "invert" else {"scrambled": {"seed": int(value)}}
                out.setdefault("read", {})["null"] = null
            continue
        elif key == "quality" and isinstance(value, int):
            value = {"bits": value}
        if key in ("known", "inputs"):
            value = _paths(value)
        elif isinstance(value, os.PathLike):
            value = os.fspath(value)
        group = next((g for g in groups if key in defaults[g]), None)
        if group is not None:
            out.setdefault(group, {})[key] = value
        elif key in top:
            out[key] = value
        else:
            names = sorted(top | {k for g in groups for k in defaults[g]} | set(_ALIASES))
            raise TypeError(f"unknown option(s) {key}; known: {', '.join(names)}")
    return json.dumps(out)


def _options(options):
    return _settings("search", options, ("trend", "search"))


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


def screen(paths, out, **settings):
    """Screens files and folders into ``out`` as ``exoscreen screen`` does, by the library's
    own screen (resumable, a status row per file, an HTML report); returns the ranked
    candidates of ``out/candidates.csv`` as dicts (strings as the CSV holds them).
    ``settings`` are the screen's settings by name: ``engine="cpu"``, ``shard="3/16"``,
    ``known="builtin"``, ``report_top=5``, ``max_planets=3``, ``resume=True``, ... (the
    command line's option names, ``_`` for ``-``). Raises ValueError for settings that
    cannot work and OSError when the run cannot start; files that could not be read are
    listed in ``out/status.csv``."""
    _core.screen(_settings("screen", dict(settings, inputs=_paths(paths), out=os.fspath(out)),
                           ("read", "detrend", "search")))
    with open(os.path.join(os.fspath(out), "candidates.csv"), newline="") as f:
        return list(csv.DictReader(f))
