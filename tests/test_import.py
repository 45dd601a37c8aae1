"""`import radnb` stays cheap: no heavy dependency is imported, total <= 0.3 s."""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "torch",
    "radiomics",
    "dask",
    "distributed",
    "ipywidgets",
    "lifelines",
    "monai",
    "sklearn",
    "matplotlib",
    "SimpleITK",
    "statsmodels",
    "pandas",
    "scipy",
)
VERY_HEAVY = ("torch", "radiomics", "dask", "distributed", "ipywidgets", "lifelines", "monai")


def _importtime_total_us() -> int:
    """Sum of the cumulative times of top-level imports, as `-X importtime` prints them."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import radnb"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    total = 0
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or "cumulative" in line:
            continue
        name = parts[2][1:]
        if not name.startswith(" "):
            total += int(parts[1])
    return total


def test_import_radnb_is_fast():
    # best of three: the first start may be slowed by a cold disk cache
    best = min(_importtime_total_us() for _ in range(3))
    assert 0 < best <= 300_000, f"import radnb took {best / 1e3:.0f} ms (limit 300 ms)"


def _loaded_after(statement: str, names: tuple[str, ...]) -> str:
    code = f"import sys; {statement}; print(','.join(m for m in {names!r} if m in sys.modules))"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_import_radnb_loads_no_heavy_dependency():
    assert _loaded_after("import radnb", HEAVY) == ""


def test_subpackages_load_no_very_heavy_dependency():
    stmt = "import radnb.features, radnb.evaluate, radnb.plots, radnb.datasets, radnb.widgets"
    assert _loaded_after(stmt, VERY_HEAVY) == ""
