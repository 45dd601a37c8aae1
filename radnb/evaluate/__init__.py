"""Evaluation: classification (ROC/DeLong, cut-offs, calibration, DCA,
NRI/IDI) and survival (Cox, cut-offs, Kaplan-Meier, C-index).

Everything is importable from here, e.g. ``from radnb.evaluate import
auc_ci``; submodules load on first use so ``import radnb`` stays fast.

Results: an estimate with a CI is an :class:`Estimate` (``auc_ci``,
``km_median``, ``harrell_c``, ``uno_c``; unpacks as ``estimate, lower,
upper``), a hypothesis test is a :class:`TestResult` (``delong_test``,
``logrank_test``, ``compare_cindex``, ``hosmer_lemeshow``, ``spiegelhalter_z``,
``nri``, ``idi``; ``res["p"]`` still works); everything else is a DataFrame.
"""

from __future__ import annotations

import importlib
from typing import Any

# public submodules; each lists its names in __all__
_SUBMODULES: tuple[str, ...] = (
    "_result",  # Estimate, TestResult: the two result types
    "classification",
    "calibration",
    "dca",
    "reclassification",
    "survival",
    "results",
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"radnb.evaluate.{name}")
    for sub in _SUBMODULES:
        try:
            mod = importlib.import_module(f"radnb.evaluate.{sub}")
        except ModuleNotFoundError as exc:
            if exc.name == f"radnb.evaluate.{sub}":
                continue
            raise
        if name in getattr(mod, "__all__", ()):
            value = getattr(mod, name)
            globals()[name] = value
            return value
    if name in ("km_plot", "forest_plot"):  # deprecated: moved to radnb.plots (warns)
        return getattr(importlib.import_module("radnb.evaluate.survival"), name)
    raise AttributeError(f"module 'radnb.evaluate' has no attribute {name!r}")


def __dir__() -> list[str]:
    names = set(globals())
    for sub in _SUBMODULES:
        try:
            names |= set(importlib.import_module(f"radnb.evaluate.{sub}").__all__)
        except ImportError:
            pass
    return sorted(names)
