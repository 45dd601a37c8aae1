"""Helper of the study-notebook builders (01, 05, 06): cells in, an output-free .ipynb out.

Run a builder from the repository root, e.g. ``python notebooks/_build/build_01_s1.py``;
it rewrites its notebook without outputs and formats its code cells with ruff.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1]


def write(cells: list[tuple[str, str]], name: str) -> Path:
    """Write ``cells`` (``("md" | "code", source)``) to ``notebooks/<name>`` without outputs."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, src) in enumerate(cells):
        src = src.strip("\n")
        new = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        cell = new(src)
        cell["id"] = f"c{i:02d}"  # stable ids keep diffs small between rebuilds
        nb.cells.append(cell)
    path = NOTEBOOKS / name
    nbformat.write(nb, path)
    ruff = Path(sys.executable).with_name("ruff")
    ruff = str(ruff) if ruff.exists() else shutil.which("ruff")
    if ruff:
        subprocess.run([ruff, "format", "--quiet", str(path)], check=True)
    return path
