#!/usr/bin/env bash
# One-shot set-up of radnb in a virtual environment (default .venv).
# PyRadiomics' packaging trap is solved once, here and in pyproject.toml, so that no
# user has to know about it:
#   - PyPI's "pyradiomics" 3.1.0 sdist carries wrong metadata and misses C headers;
#   - 3.0.1 builds only without build isolation after numpy, and not on Python 3.12;
#   - radnb therefore depends on "pyradiomics-bhklab" (same code, import name
#     `radiomics`, wheels for 3.11 and 3.12). An environment that still holds the old
#     "pyradiomics" distribution has it removed first, as both own `radiomics/`.
# torch is pinned to 2.13.0 (a CPU wheel on this kind of machine; elsewhere
# pip picks the platform build). radnb never needs torchvision.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
EXTRAS=${RADNB_EXTRAS:-dev}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@"; }
pip install "numpy>=1.26" "setuptools>=68" wheel versioneer
"$VENV/bin/python" -c "import torch" 2>/dev/null || pip install "torch==2.13.0"
if "$VENV/bin/python" -m pip show pyradiomics >/dev/null 2>&1; then
  pip uninstall -y pyradiomics
fi
pip install -e ".[$EXTRAS]"
"$VENV/bin/python" -m pip check >/dev/null || "$VENV/bin/python" -m pip check || true
echo "radnb installed in $VENV"
