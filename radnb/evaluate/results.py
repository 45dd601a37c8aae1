"""Deprecated: the results table moved to :mod:`radnb.study.results`.

Only :class:`~radnb.study.Study` uses it. Every name here still works for one
release, with a :class:`DeprecationWarning` naming the new place.
``importlib`` (not an import statement) keeps :mod:`radnb.evaluate` free of a
dependency on the higher :mod:`radnb.study` layer.
"""

from __future__ import annotations

import importlib
from typing import Any

from radnb.evaluate._deprecate import warn_renamed

_MOVED = ("evaluation_table", "delong_matrix", "format_results", "METRICS")
__all__ = list(_MOVED)  # each resolved on access by __getattr__


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        warn_renamed(f"radnb.evaluate.results.{name}", f"radnb.study.results.{name}")
        return getattr(importlib.import_module("radnb.study.results"), name)
    raise AttributeError(f"module 'radnb.evaluate.results' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_MOVED])
