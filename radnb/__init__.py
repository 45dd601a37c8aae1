"""radnb: Jupyter-native radiomics, deep-learning and survival studies.

Importing radnb is cheap: heavy dependencies (torch, PyRadiomics, Dask,
lifelines, widgets) are imported only by the submodules that use them, and
submodules load on first attribute access.

>>> import radnb as rn
>>> rn.__version__
'0.1.0'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from radnb._lazy import attach

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


__getattr__, __dir__, _lazy_all = attach(
    __name__, {k: mod for k, (mod, _) in _LAZY_ATTRS.items()}, submodules=sorted(_LAZY_MODULES)
)
