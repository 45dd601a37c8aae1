"""Simulated study cohorts (S1-S5) with planted truth, and loaders for real public data.

Nothing heavy is imported until a function is called.

- :func:`simulate` / :func:`simulate_cohort`: a simulated Cohort of one of the five
  study designs (``radnb.datasets.designs``), labelled SIMULATED everywhere.
- :func:`load_sts_pet_mr`, :func:`load_pyradiomics_cases`, :func:`load_table`:
  real public data from ``../shared/data`` (or ``RADNB_DATA_DIR``), see
  :func:`data_dir`.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "data_dir",
    "load_pyradiomics_cases",
    "load_sts_pet_mr",
    "load_table",
    "simulate",
    "simulate_cohort",
]

_WHERE = {
    "simulate": "radnb.datasets.simulation",
    "simulate_cohort": "radnb.datasets.simulation",
    "data_dir": "radnb.datasets.real",
    "load_sts_pet_mr": "radnb.datasets.real",
    "load_pyradiomics_cases": "radnb.datasets.real",
    "load_table": "radnb.datasets.real",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'radnb.datasets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
