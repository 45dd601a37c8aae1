"""The one writer of every notebook builder script: cells in, an output-free .ipynb out."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat


def build(cells: list[tuple[str, str]], path: str | Path) -> Path:
    """Write ``cells`` (``("md" | "code", source)``) as a notebook without outputs."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for kind, src in cells:
        src = src.strip("\n")
        cell = (
            nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
        )
        nb.cells.append(cell)
    for i, c in enumerate(nb.cells):  # stable ids: diffs stay small between rebuilds
        c["id"] = f"c{i:02d}"
    path = Path(path)
    nbformat.write(nb, path)
    ruff = Path(sys.executable).with_name("ruff")  # the house formatter, if installed
    ruff = str(ruff) if ruff.exists() else shutil.which("ruff")
    if ruff:
        subprocess.run([ruff, "check", "--fix", "-q", str(path)], check=False)
        subprocess.run([ruff, "format", "-q", str(path)], check=True)
    return path
