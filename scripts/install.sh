#!/usr/bin/env bash
# One-shot set-up of radnb in a virtual environment (default .venv).
# Solves PyRadiomics' packaging trap once, here, so that no user has to:
#   - PyPI's pyradiomics 3.1.0 sdist carries wrong metadata and misses C headers;
#   - 3.0.1 builds only without build isolation, after numpy is installed.
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
"$VENV/bin/python" -c "import radiomics" 2>/dev/null || pip install --no-build-isolation "pyradiomics==3.0.1"
pip install -e ".[$EXTRAS]"
"$VENV/bin/python" -m pip check >/dev/null || "$VENV/bin/python" -m pip check || true
echo "radnb installed in $VENV"
