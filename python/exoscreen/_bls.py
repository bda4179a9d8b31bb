"""``BoxLeastSquares`` with astropy's method names, arguments and result fields, computed by
exoscreen's engines (the WGSL kernels on a GPU through wgpu, or the CPU engine)."""

import numpy as np

from . import _core
from ._inputs import TimeAxis, clean, flux_arrays, unmask

__all__ = ["BoxLeastSquares", "BoxLeastSquaresResults"]

_FIELDS = (
    "period",
    "power",
    "depth",
    "depth_err",
    "duration",
    "transit_time",
    "depth_snr",
    "log_likelihood",
)


class BoxLeastSquaresResults(dict):
    """The periodogram: a dict whose keys are also attributes, as astropy's.

    ``objective``, ``period``, ``power``, ``depth``, ``depth_err``, ``duration``,
    ``transit_time``, ``depth_snr``, ``log_likelihood``, plus ``engine`` (which engine ran).
    With units on the inputs, periods and durations are Quantities in ``t``'s unit,
    ``transit_time`` a Time when ``t`` was one, depths in ``y``'s unit."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self):
        return list(self.keys())

    def __repr__(self):
        if not self:
            return self.__class__.__name__ + "()"
        width = max(map(len, self.keys())) + 1
        return "\n".join(f"{k.rjust(width)}: {v!r}" for k, v in self.items())


class BoxLeastSquares:
    """Box least squares periodogram of one light curve.

    Parameters
    ----------
    t : array-like, Quantity, Time or TimeDelta
        Times (days when plain numbers); or a light curve (anything with ``time``, ``flux``
        and optionally ``flux_err``, such as a lightkurve ``LightCurve``) with ``y`` omitted.
    y : array-like or Quantity
        Fluxes.
    dy : array-like, Quantity or None
        Flux errors (in ``y``'s unit); ``None`` weighs every point alike, as astropy.
    engine : {"auto", "gpu", "cpu"}
        ``auto`` takes a hardware GPU when wgpu finds one, else the CPU engine; ``gpu``
        fails without an adapter.

    Points whose time, flux or error is not finite (or whose error is not positive) are
    dropped with a warning. The box scan tiles each period exactly with phase bins of the
    shortest duration over ``oversample``, as astropy's ``fast`` method bins them."""

    def __init__(self, t, y=None, dy=None, engine="auto"):
        if y is None:
            if not (hasattr(t, "time") and hasattr(t, "flux")):
                raise ValueError("give t and y, or a light curve with time and flux")
            t, y, dy = t.time, t.flux, getattr(t, "flux_err", None) if dy is None else dy
        self._axis = TimeAxis(unmask(t))
        y, dy, self._y_unit = flux_arrays(unmask(y), None if dy is None else unmask(dy))
        self._t, self._y, self._dy = clean(self._axis.days, y, dy, what="BoxLeastSquares")
        self.engine = engine
        _core.engine_name(engine)  # refuse an unknown engine name now, not at power()

    @property
    def engine_name(self):
        """The engine and device ``power`` runs on, e.g. ``cpu (2 threads)``."""
        return _core.engine_name(self.engine)

    def autoperiod(
        self,
        duration,
        minimum_period=None,
        maximum_period=None,
        minimum_n_transit=3,
        frequency_factor=1.0,
    ):
        """astropy's heuristic grid: frequencies evenly spaced by
        ``frequency_factor * min(duration) / baseline**2`` between ``1 / maximum_period``
        (default ``baseline / (minimum_n_transit - 1)``) and ``1 / minimum_period``
        (default twice the longest duration), counted down from the highest frequency;
        periods in ``t``'s unit, shortest first."""
        ax = self._axis
        durations = ax.span(duration, "duration")
        baseline = self._t.max() - self._t.min()
        if baseline <= 0:
            raise ValueError("the light curve spans no time")
        lo = 2.0 * durations.max() if minimum_period is None else ax.span(minimum_period, "minimum_period")[0]
        if maximum_period is None:
            if minimum_n_transit <= 1:
                raise ValueError("minimum_n_transit must be greater than 1")
            hi = baseline / (minimum_n_transit - 1)
        else:
            hi = ax.span(maximum_period, "maximum_period")[0]
        lo, hi = min(lo, hi), max(lo, hi)
        if lo <= 0:
            raise ValueError("minimum_period must be positive")
        df = frequency_factor * durations.min() / baseline**2
        n = 1 + int(round((1.0 / lo - 1.0 / hi) / df))
        return ax.span_out(1.0 / (1.0 / lo - df * np.arange(n)))

    def autopower(
        self,
        duration,
        objective=None,
        method=None,
        oversample=10,
        minimum_n_transit=3,
        minimum_period=None,
        maximum_period=None,
        frequency_factor=1.0,
    ):
        """``power`` on the ``autoperiod`` grid."""
        period = self.autoperiod(
            duration,
            minimum_period=minimum_period,
            maximum_period=maximum_period,
            minimum_n_transit=minimum_n_transit,
            frequency_factor=frequency_factor,
        )
        return self.power(period, duration, objective=objective, method=method, oversample=oversample)

    def power(self, period, duration, objective=None, method=None, oversample=10):
        """The periodogram at ``period``: for each period the best box over every duration
        and phase.

        ``objective`` is ``"likelihood"`` (default, ``0.5 w_in depth**2``) or ``"snr"``
        (``depth / depth_err``). ``method`` ``None`` or ``"fast"`` (exoscreen has one exact
        binned method; ``"slow"`` is refused). Every duration must be shorter than the
        shortest period. Results come in the order of ``period``."""
        if method not in (None, "fast"):
            raise ValueError(f"method must be 'fast' (or None), not {method!r}")
        objective = "likelihood" if objective is None else objective
        if objective not in ("likelihood", "snr"):
            raise ValueError(f"objective must be 'likelihood' or 'snr', not {objective!r}")
        if int(oversample) != oversample or oversample < 1:
            raise ValueError("oversample must be a positive integer")
        ax = self._axis
        periods = ax.span(period, "period")
        durations = np.unique(ax.span(duration, "duration"))
        if periods.size == 0 or durations.size == 0:
            raise ValueError("give at least one period and one duration")
        # The engines take strictly ascending periods; `back` maps them to the caller's
        # order (repeats included).
        ascending, back = np.unique(periods, return_inverse=True)
        raw = _core.bls_power(
            self._t,
            self._y,
            self._dy,
            np.ascontiguousarray(ascending),
            np.ascontiguousarray(durations),
            objective,
            int(oversample),
            self.engine,
        )
        out = {k: np.asarray(raw[k])[back] for k in _FIELDS}
        return self._results(objective, out)

    def _results(self, objective, r):
        ax, yu = self._axis, self._y_unit

        def flux(v):
            return v * yu if yu is not None else v

        return BoxLeastSquaresResults(
            objective=objective,
            period=ax.span_out(r["period"]),
            power=r["power"],
            depth=flux(r["depth"]),
            depth_err=flux(r["depth_err"]),
            duration=ax.span_out(r["duration"]),
            transit_time=ax.instant_out(r["transit_time"]),
            depth_snr=r["depth_snr"],
            log_likelihood=r["log_likelihood"],
            engine=self.engine_name,
        )
