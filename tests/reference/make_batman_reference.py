"""Reference transit fluxes for tests/it/transit_model.rs, from batman (Kreidberg 2015), whose
quadratic law is the analytic Mandel & Agol (2002) model.

Run once (the output is committed beside this script):
    python3 -m venv /tmp/batman-venv && /tmp/batman-venv/bin/pip install batman-package numpy
    /tmp/batman-venv/bin/python tests/reference/make_batman_reference.py

Writes transit_batman.csv: p, z, u1, u2, flux. batman takes an orbit, not z, so each row is
computed at a time chosen to give the wanted separation on an edge-on orbit with a/R* = 50
(z = a sin(2 pi t / P)), and the z actually used is recomputed the same way.

batman 2.5.1 is discontinuous at exactly z = p (for p = 0.1, u = 0.4, 0.26 it gives
0.98794285 at z = 0.1 but 0.98789116 at z = 0.1 +- 1e-5), so separations equal to p are
nudged by 1e-7.
"""
import os

import batman
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
rows = []
for p in (0.01, 0.05, 0.1, 0.2, 0.5):
    for u1, u2 in ((0.4, 0.26), (0.1, 0.3), (0.8, -0.1), (0.0, 0.0)):
        zs = np.concatenate([np.linspace(0.0, 1.0 + p, 23)[:-1], [1.0 - p, 1.0, 1.0 + 0.5 * p]])
        for z in zs:
            if abs(z - p) < 1e-12:
                z = p + 1e-7
            params = batman.TransitParams()
            params.t0, params.per, params.rp, params.a = 0.0, 100.0, p, 50.0
            params.inc, params.ecc, params.w = 90.0, 0.0, 90.0
            params.limb_dark, params.u = "quadratic", [u1, u2]
            t = np.array([np.arcsin(z / 50.0) * 100.0 / (2 * np.pi)])
            z_used = 50.0 * np.sin(2 * np.pi * t[0] / 100.0)
            f = batman.TransitModel(params, t).light_curve(params)[0]
            rows.append((p, z_used, u1, u2, f))
np.savetxt(os.path.join(here, "transit_batman.csv"), np.array(rows), delimiter=",",
           header="p,z,u1,u2,flux", comments="", fmt="%.17g")
print(len(rows), "rows; batman", batman.__version__)
