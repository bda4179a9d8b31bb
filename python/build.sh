#!/usr/bin/env bash
# Builds the Python package into a virtual environment for its tests:
#   bash python/build.sh [VENV]        (default target/pyenv)
# creates VENV if needed, installs maturin and the test requirements (numpy, astropy,
# pytest, lightkurve) from PyPI, and `maturin develop`s exoscreen into it (cargo's dev
# profile, which optimises; `pip install .` builds a release wheel instead). Then
# `cargo test` runs python/tests through tests/it/python.rs with VENV's interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-target/pyenv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "maturin>=1.5,<2" numpy astropy pytest lightkurve
VIRTUAL_ENV=$PWD/$venv PATH=$PWD/$venv/bin:$PATH "$venv/bin/maturin" develop -q
"$venv/bin/python" -c "import exoscreen; print('exoscreen', exoscreen.__version__, 'built into', '$venv')"
