"""exoscreen for Python: transit search on numpy arrays, astropy Quantities or lightkurve
light curves, with exoscreen's engines (WGSL kernels on any GPU wgpu reaches, or the CPU).

- :class:`BoxLeastSquares`: astropy's ``BoxLeastSquares`` API (``power``, ``autoperiod``,
  ``autopower``; results ``period, power, depth, depth_err, duration, transit_time,
  depth_snr, log_likelihood``), ``engine="auto" | "gpu" | "cpu"``.
- :func:`search` / :func:`search_many`: detrend and search until the signal runs out, many
  stars per engine call; candidates with the columns of ``candidates.csv``.
- :func:`classify` / :func:`classify_many`: the same, scored by the shipped network (or a
  model folder).
- :func:`read`, :func:`screen`, :func:`cli`: the readers, the end-to-end screen and the
  whole command line.

The engines run with the GIL released. Bad input raises ValueError, unreadable files
OSError, a GPU that cannot start RuntimeError.
"""

from ._bls import BoxLeastSquares, BoxLeastSquaresResults
from ._core import __version__
from ._search import (
    LightCurveFile,
    StarResult,
    classify,
    classify_many,
    cli,
    read,
    screen,
    search,
    search_many,
)

__all__ = [
    "BoxLeastSquares",
    "BoxLeastSquaresResults",
    "LightCurveFile",
    "StarResult",
    "classify",
    "classify_many",
    "cli",
    "read",
    "screen",
    "search",
    "search_many",
    "__version__",
]
