"""radnb's one lazy-loading pattern: an explicit table ``name -> module``.

Each subpackage's ``__init__`` lists what it exports and where each name lives;
nothing is imported until the name is first used (scientific-python SPEC 1,
without the ``lazy_loader`` dependency). An :class:`ImportError` raised while
loading the module propagates unchanged: it is never turned into "has no
attribute", so a missing optional dependency says what to install.

Examples
--------
>>> import types, sys
>>> pkg = types.ModuleType("demo_pkg")
>>> pkg.__getattr__, pkg.__dir__, pkg.__all__ = attach("demo_pkg", {"sqrt": "math"})
>>> sys.modules["demo_pkg"] = pkg
>>> pkg.sqrt(4.0)
2.0
>>> pkg.nothing
Traceback (most recent call last):
...
AttributeError: module 'demo_pkg' has no attribute 'nothing'
>>> del sys.modules["demo_pkg"]
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["attach", "by_submodule"]


def by_submodule(package: str, table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """``{submodule: names}`` -> the ``name -> module`` table :func:`attach` takes.

    Examples
    --------
    >>> by_submodule("radnb.plots", {"images": ("plot_slice",)})
    {'plot_slice': 'radnb.plots.images'}
    """
    return {name: f"{package}.{sub}" for sub, names in table.items() for name in names}


def attach(
    package: str,
    names: Mapping[str, str],
    *,
    submodules: Iterable[str] = (),
    extra: Mapping[str, Callable[[], Any]] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for a package that loads names lazily.

    Parameters
    ----------
    package : the package's ``__name__``.
    names : public name -> absolute module that defines it.
    submodules : submodules reachable as attributes (``radnb.evaluate.survival``).
    extra : name -> zero-argument function for names that are not a module's
        attribute of the same name (e.g. deprecated aliases that warn); not in
        ``__all__``.
    """
    names = dict(names)
    subs = tuple(submodules)
    extra = dict(extra or {})

    def __getattr__(name: str) -> Any:
        if name in names:
            value = getattr(importlib.import_module(names[name]), name)
        elif name in subs:
            value = importlib.import_module(f"{package}.{name}")
        elif name in extra:
            return extra[name]()  # not cached: a deprecated alias warns every time
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names) | set(subs))

    return __getattr__, __dir__, sorted(names)
