"""Deprecation helpers for renamed statistics names (one release of grace)."""

from __future__ import annotations

import functools
import importlib
import warnings
from collections.abc import Callable
from typing import Any

__all__: list[str] = []


def warn_renamed(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Emit the DeprecationWarning for ``old`` naming the call to use instead."""
    warnings.warn(
        f"{old} is deprecated and will be removed in the next release; use {new}",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def renamed(func: Callable, old: str, new: str) -> Callable:
    """A deprecated alias of ``func``: warns naming ``new``, then calls ``func``."""

    @functools.wraps(func)
    def alias(*args, **kwargs):
        warn_renamed(old, new)
        return func(*args, **kwargs)

    alias.__name__ = old.rsplit(".", 1)[-1]
    alias.__qualname__ = alias.__name__
    alias.__doc__ = f"Deprecated alias of :func:`{new}` (will be removed).\n"
    alias.__wrapped__ = func
    return alias


def ci_to_conf_type(conf_type: str, ci: str | None, func: str) -> str:
    """Accept the old ``ci=`` keyword with a DeprecationWarning; return the type."""
    if ci is None:
        return conf_type
    warn_renamed(f"{func}(ci=...)", f"{func}(conf_type=...)", stacklevel=4)
    return ci


def lazy_plot(module: str, old: str, new: str) -> Any:
    """A plot moved out of statistics: import ``radnb.plots`` only now, and warn.

    ``importlib`` (not an import statement) keeps statistics modules free of a
    static dependency on :mod:`radnb.plots`.
    """
    warn_renamed(f"{module}.{old}", f"radnb.plots.{new}")
    return getattr(importlib.import_module("radnb.plots.survival"), new)


def renamed_args(**mapping: str) -> Callable[[Callable], Callable]:
    """Decorator: keyword arguments renamed (``old="new"``) keep working, with a warning.

    Examples
    --------
    >>> import warnings
    >>> @renamed_args(duration="duration_col")
    ... def f(df, duration_col):
    ...     return duration_col
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     f(None, duration="t"), str(w[0].message).split(";")[1].strip()
    ('t', 'use f(duration_col=...)')
    """

    def wrap(func: Callable) -> Callable:
        @functools.wraps(func)
        def inner(*args, **kwargs):
            for old, new in mapping.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{func.__name__}() got both {old}= and {new}=")
                    warn_renamed(f"{func.__name__}({old}=...)", f"{func.__name__}({new}=...)")
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return inner

    return wrap
