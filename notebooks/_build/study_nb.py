"""Helper of the study-notebook builders (01, 05, 06): cells in, an output-free .ipynb out.

Run a builder from the repository root, e.g. ``python notebooks/_build/build_01_s1.py``;
it rewrites its notebook without outputs and formats its code cells with ruff.
"""

from __future__ import annotations

from pathlib import Path

from nbtools import build

NOTEBOOKS = Path(__file__).resolve().parents[1]


def write(cells: list[tuple[str, str]], name: str) -> Path:
    """Write ``cells`` (``("md" | "code", source)``) to ``notebooks/<name>`` without outputs."""
    return build(cells, NOTEBOOKS / name)
