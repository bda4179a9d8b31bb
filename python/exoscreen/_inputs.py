"""Turning what Python users hold (numpy arrays, astropy Quantity / Time, lightkurve
LightCurve objects, exoscreen's own light curves) into the float64 arrays the engines take,
and back: units stripped on the way in and restored on the way out."""

import warnings

import numpy as np

try:  # astropy is optional: plain arrays need nothing but numpy.
    import astropy.units as u
    from astropy.time import Time, TimeDelta
except ImportError:  # pragma: no cover - exercised only without astropy
    u = None
    Time = TimeDelta = ()


def _is_quantity(x):
    return u is not None and isinstance(x, u.Quantity)


class TimeAxis:
    """How times came in, so results can go out the same way.

    ``kind`` is ``"plain"`` (floats, days), ``"quantity"`` (a Quantity with a time unit),
    ``"time"`` (an astropy Time: the engines get days since its first instant, ``offset``)
    or ``"timedelta"``; ``days`` holds what the engines get."""

    def __init__(self, t):
        if isinstance(t, Time):
            self.kind, self.unit = "time", None
            self.offset = t.min()
            days = (t - self.offset).to_value(u.day)
        elif isinstance(t, TimeDelta):
            self.kind, self.unit = "timedelta", None
            self.offset = None
            days = t.to_value(u.day)
        elif _is_quantity(t):
            self.kind, self.unit = "quantity", t.unit
            self.offset = None
            days = t.to_value(u.day)
        else:
            self.kind, self.unit, self.offset = "plain", None, None
            days = np.asarray(t, dtype=float)
        self.days = np.ascontiguousarray(days, dtype=float)

    @property
    def has_units(self):
        return self.kind != "plain"

    def span(self, x, name):
        """A period or duration (scalar or array) in days: a Quantity when times carry units
        (astropy's rule), plain floats otherwise."""
        if _is_quantity(x) or isinstance(x, TimeDelta):
            return np.atleast_1d(np.asarray(x.to_value(u.day), dtype=float))
        if self.has_units:
            raise ValueError(f"{name} must be a Quantity with time units when t has units")
        return np.atleast_1d(np.asarray(x, dtype=float))

    def span_out(self, days):
        """Days back in the caller's units."""
        if self.kind == "plain":
            return days
        q = days * u.day
        return q.to(self.unit) if self.kind == "quantity" else q

    def instant_out(self, days):
        """A time since the first point (days) back as the caller's time."""
        if self.kind == "time":
            return self.offset + TimeDelta(days, format="jd")
        if self.kind == "timedelta":
            return TimeDelta(days, format="jd")
        return self.span_out(days)


def flux_arrays(y, dy, missing_as_ones=True):
    """(flux, flux error, unit) with the error in the flux's unit; ``None`` errors become
    ones, as astropy does (or stay ``None`` with ``missing_as_ones=False``)."""
    unit = None
    if _is_quantity(y):
        unit = y.unit
        if dy is not None:
            if not _is_quantity(dy):
                raise ValueError("dy must be a Quantity in units of y when y has units")
            dy = dy.to_value(unit)
        y = y.value
    elif _is_quantity(dy):
        raise ValueError("dy has units but y has none")
    y = np.ascontiguousarray(y, dtype=float)
    if dy is None:
        return y, (np.ones_like(y) if missing_as_ones else None), unit
    dy = np.broadcast_to(np.asarray(dy, dtype=float), y.shape)
    return y, np.ascontiguousarray(dy), unit


def clean(t, y, dy, what="light curve"):
    """Drops points whose time, flux or error (when given) is not finite, or whose error is
    not positive, with a warning saying how many, and sorts by time. Raises ValueError when
    lengths differ or fewer than 2 points are left. ``dy`` may be ``None``."""
    t, y = (np.asarray(a, dtype=float).ravel() for a in (t, y))
    dy = None if dy is None else np.asarray(dy, dtype=float).ravel()
    if t.shape != y.shape or (dy is not None and dy.shape != t.shape):
        n_dy = "none" if dy is None else dy.size
        raise ValueError(
            f"{what}: t, y and dy must have the same length (got {t.size}, {y.size}, {n_dy})"
        )
    keep = np.isfinite(t) & np.isfinite(y)
    if dy is not None:
        keep &= np.isfinite(dy) & (dy > 0)
    dropped = int(keep.size - keep.sum())
    if dropped:
        warnings.warn(
            f"{what}: {dropped} of {keep.size} points dropped (non-finite time, flux or "
            "error, or an error that is not positive)",
            stacklevel=3,
        )
    if keep.sum() < 2:
        raise ValueError(f"{what}: fewer than 2 usable points")
    order = np.argsort(t[keep], kind="stable")
    out = [np.ascontiguousarray(a[keep][order]) for a in (t, y)]
    out.append(None if dy is None else np.ascontiguousarray(dy[keep][order]))
    return out


def _meta(obj, *keys):
    meta = getattr(obj, "meta", None) or {}
    for k in keys:
        for kk in (k, k.upper(), k.lower()):
            if kk in meta and meta[kk] not in (None, ""):
                return meta[kk]
    return None


def unmask(x):
    """Values with NaN where a mask hides them: numpy masked arrays, and astropy's Masked
    Quantity that lightkurve uses for gaps."""
    if isinstance(x, (Time, TimeDelta)):
        return x
    if np.ma.isMaskedArray(x):
        return np.ma.filled(x.astype(float), np.nan)
    if hasattr(x, "unmasked") and hasattr(x, "mask"):
        vals = x.unmasked
        unit = getattr(vals, "unit", None)
        out = np.array(getattr(vals, "value", vals), dtype=float)
        out[np.asarray(x.mask, dtype=bool)] = np.nan
        return out * unit if unit is not None else out
    return x


def star(obj, y=None, dy=None, target_id=None, mission=None, time_system=None):
    """One star for the search: ``(t, y, dy, target_id, mission, time_system)`` from arrays
    or from any object with ``time`` and ``flux`` (and optionally ``flux_err``) attributes,
    such as a lightkurve ``LightCurve`` or :func:`exoscreen.read`'s result (duck-typed).
    Missing errors (``None``, or all NaN) are estimated from the scatter by the engine."""
    if y is None and hasattr(obj, "flux") and hasattr(obj, "time"):
        lc = obj
        t, y = lc.time, lc.flux
        dy = getattr(lc, "flux_err", None) if dy is None else dy
        mission = mission or _meta(lc, "mission", "telescop")
        target_id = target_id or _meta(lc, "target_id", "keplerid", "ticid", "targetid", "object")
        fmt = getattr(t, "format", None)
        time_system = time_system or (fmt if fmt in ("bkjd", "btjd") else None)
        time_system = time_system or getattr(lc, "time_system", None)
    elif y is None:
        raise ValueError("give t and y, or an object with time and flux (a lightkurve LightCurve)")
    else:
        t = obj
    if isinstance(t, Time):
        # Mission times stay in their own system (BKJD / BTJD), as the CSV writes them.
        t = t.value if t.format in ("bkjd", "btjd") else t.jd
    elif _is_quantity(t):
        t = t.to_value(u.day)
    y, dy, _ = flux_arrays(unmask(y), None if dy is None else unmask(dy), False)
    if dy is not None and np.all(np.isnan(dy)):
        dy = None
    t, y, dy = clean(unmask(t), y, dy, what=str(target_id or "star"))
    mission = "" if mission is None else _mission_name(str(mission))
    target_id = "" if target_id is None else str(target_id)
    return (t, y, dy, target_id, mission, "" if time_system is None else str(time_system).lower())


def _mission_name(m):
    m = m.lower().replace(" ", "")
    for name in ("k2", "kepler", "tess"):
        if m.startswith(name):
            return name
    return ""
