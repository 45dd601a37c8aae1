"""Simulated study cohorts (S1-S5) with planted truth, and loaders for real public data.

Nothing heavy is imported until a function is called.

- :func:`simulate` / :func:`simulate_cohort`: a simulated Cohort of one of the five
  study designs (``radnb.datasets.designs``), labelled SIMULATED everywhere.
- :func:`load_sts_pet_mr`, :func:`load_pyradiomics_cases`, :func:`load_table`:
  real public data from ``../shared/data`` (or ``RADNB_DATA_DIR``), see
  :func:`data_dir`.
"""

from __future__ import annotations

from radnb._lazy import attach

_WHERE = {
    "simulate": "radnb.datasets.simulation",
    "simulate_cohort": "radnb.datasets.simulation",
    "data_dir": "radnb.datasets.real",
    "load_sts_pet_mr": "radnb.datasets.real",
    "load_pyradiomics_cases": "radnb.datasets.real",
    "load_table": "radnb.datasets.real",
}


__getattr__, __dir__, __all__ = attach(__name__, _WHERE)
