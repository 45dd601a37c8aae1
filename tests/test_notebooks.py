"""Every notebook in notebooks/ executes top to bottom in a real Jupyter kernel.

Notebooks that use simulated data must say so in a markdown banner. Outputs go to a
temporary folder (``RADNB_OUT``) so the test leaves the checkout clean. Each executed
notebook is saved, outputs included, into ``$RADNB_EXECUTED_DIR`` (default
``docs/_executed/``, git-ignored), where the docs build (``make docs``) reads it instead
of executing the notebook again.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def executed_dir() -> Path:
    """Where executed notebooks are saved for the docs build."""
    return Path(os.environ.get("RADNB_EXECUTED_DIR") or ROOT / "docs" / "_executed")


def test_there_are_notebooks():
    assert any(p.name.startswith("00_quickstart") for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_simulated_notebooks_carry_a_banner(path):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    if "simulate(" in code:
        md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert "SIMULATED" in md, f"{path.name} uses simulated data without a banner"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_are_stored_clean(path):
    """The .ipynb is the source: valid nbformat, no outputs, unique cell ids.

    Clear outputs before committing with ``make strip`` (nbconvert --clear-output).
    """
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; run `make strip`"
    ids = [c.get("id") for c in nb.cells]
    assert len(ids) == len(set(ids)), f"{path.name}: duplicated cell ids"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    monkeypatch.setenv("RADNB_OUT", str(tmp_path / "out"))
    # the kernel's inline backend (headless, as in JupyterLab) so that the executed copy
    # saved for the docs carries every figure
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("RADNB_CACHE_DIR", str(tmp_path / "cache"))
    client = NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    saved = executed_dir() / path.name
    saved.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, saved)
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    assert any((tmp_path / "out").rglob("*")), "the notebook wrote no outputs"
