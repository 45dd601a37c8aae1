"""radnb: Jupyter-native radiomics, deep-learning and survival studies.

Importing radnb is cheap: heavy dependencies (torch, PyRadiomics, Dask,
lifelines, widgets) are imported only by the submodules that use them, and
submodules load on first attribute access.

>>> import radnb as rn
>>> rn.__version__
'0.1.0'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY_ATTRS = {
    "Cohort": ("radnb.cohort", "Cohort"),
    "Study": ("radnb.study", "Study"),
}
_LAZY_MODULES = {
    "cohort",
    "io",
    "errors",
    "preprocess",
    "features",
    "select",
    "study",
    "evaluate",
    "plots",
    "widgets",
    "datasets",
    "parallel",
}

__all__ = ["Cohort", "Study", "__version__", *sorted(_LAZY_MODULES)]

if TYPE_CHECKING:  # pragma: no cover
    from radnb.cohort import Cohort
    from radnb.study import Study


def __getattr__(name: str) -> Any:
    if name in _LAZY_ATTRS:
        module, attr = _LAZY_ATTRS[name]
        value = getattr(importlib.import_module(module), attr)
    elif name in _LAZY_MODULES:
        value = importlib.import_module(f"radnb.{name}")
    else:
        raise AttributeError(f"module 'radnb' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
