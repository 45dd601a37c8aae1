"""Fixtures for the real-browser tests (marker ``browser``); see ``lab_harness.py``.

One JupyterLab server and one Chromium for the whole session:

- ``lab``: the :class:`LabServer` (127.0.0.1, random port and token), serving a
  temporary folder; notebooks are written there, never into the checkout;
- ``offline``: the :class:`Offline` recorder; the session fails at teardown if any
  non-loopback request was attempted;
- ``chromium``: a Playwright context on ``/usr/bin/chromium`` (fresh profile);
- ``open_notebook(cells, name)``: writes a notebook (``("md" | "code", source)``
  cells) into the lab folder, opens it in a new tab and returns a
  :class:`NotebookPage` (``run_all``, ``output``, ``screenshot``...).

Screenshots go to ``$RADNB_SCREENSHOTS`` or a fresh folder under the system temp;
their paths are printed at the end of the run (and so appear in CI's log).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from lab_harness import (  # noqa: E402
    SCREENSHOT_DIR,
    SCREENSHOTS,
    LabServer,
    NotebookPage,
    Offline,
    launch_chromium,  # noqa: E402
)

REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter):
    if SCREENSHOTS:
        terminalreporter.write_sep("-", f"browser screenshots in {SCREENSHOT_DIR}")
        for path in SCREENSHOTS:
            terminalreporter.write_line(str(path))


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("lab")


@pytest.fixture(scope="session")
def lab(lab_root, tmp_path_factory):
    env = {
        # the kernel imports this checkout's radnb and keeps its cache out of the user's
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
        "RADNB_CACHE_DIR": os.environ.get(
            "RADNB_CACHE_DIR", str(tmp_path_factory.mktemp("radnb_cache"))
        ),
    }
    server = LabServer(lab_root, env=env)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def offline():
    rec = Offline()
    yield rec
    rec.check()


@pytest.fixture(scope="session")
def chromium(offline):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = launch_chromium(pw)
        offline.install(context)
        yield context
        context.close()


@pytest.fixture(scope="session")
def open_notebook(lab, chromium, lab_root):
    pages = []

    def _open(cells: list[tuple[str, str]], name: str) -> NotebookPage:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        for kind, src in cells:
            new = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
            nb.cells.append(new(src.strip("\n")))
        nbformat.write(nb, lab_root / name)
        page = NotebookPage(chromium.new_page(), lab)
        pages.append(page)
        return page.open(name)

    yield _open
    for p in pages:
        p.page.close()
