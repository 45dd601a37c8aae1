"""The two result types of radnb.evaluate: :class:`Estimate` and :class:`TestResult`.

Modelled on lifelines' ``StatisticalResult`` and pingouin's one-row tables: a
frozen object with a readable repr, an HTML repr for notebooks and
``to_frame()`` for a tidy one-row DataFrame.

* :class:`Estimate` (estimate, lower, upper, se, level, method) unpacks as
  ``estimate, lower, upper``, so ``auc, lo, hi = auc_ci(...)`` keeps working.
* :class:`TestResult` (statistic, df, p, method, details) is also a read-only
  mapping over the keys the function returned as a dict before, so
  ``res["p"]``, ``res["chisq"]`` or ``sorted(res)`` keep working; every key is
  also an attribute (``res.p``, ``res.auc1``).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

__all__ = ["Estimate", "TestResult"]


def _num(x: Any, digits: int = 4) -> str:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return repr(x)
    if isinstance(x, numbers.Integral):
        return str(int(x))
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return (
        f"{x:.{digits}g}" if abs(x) < 1e-3 and x != 0 else f"{x:.{digits}f}".rstrip("0").rstrip(".")
    )


def _p(p: float) -> str:
    if p is None or not isinstance(p, numbers.Real) or math.isnan(p):
        return "nan"
    return "<1e-16" if p < 1e-16 else f"{p:.4g}"


@dataclass(frozen=True, repr=False)
class Estimate:
    """A point estimate with its confidence interval.

    Attributes
    ----------
    estimate, lower, upper : the estimate and its CI limits.
    se : standard error (``nan`` where the CI does not come from one).
    level : confidence level of ``[lower, upper]``.
    method : how the estimate and its CI were computed.

    Unpacks (and indexes) as ``(estimate, lower, upper)``.

    Examples
    --------
    >>> e = Estimate(0.8, 0.7, 0.9, se=0.05, method="DeLong")
    >>> est, lo, hi = e
    >>> e
    Estimate(0.8, 95% CI 0.7 to 0.9, se=0.05, method='DeLong')
    >>> e.to_frame().columns.tolist()
    ['estimate', 'lower', 'upper', 'se', 'level', 'method']
    """

    estimate: float
    lower: float
    upper: float
    se: float = float("nan")
    level: float = 0.95
    method: str = ""

    # ------------------------------------------------------- tuple behaviour
    def __iter__(self) -> Iterator[float]:
        return iter((self.estimate, self.lower, self.upper))

    def __len__(self) -> int:
        return 3

    def __getitem__(self, i):
        return (self.estimate, self.lower, self.upper)[i]

    def __float__(self) -> float:
        return float(self.estimate)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, tuple):
            return tuple(self) == other
        if type(other) is not type(self):
            return NotImplemented
        return dataclasses.astuple(self) == dataclasses.astuple(other)

    # ------------------------------------------------------------ display
    _name = "Estimate"  # shown in the repr (subclasses: AUCResult, CIndexResult)
    _label = ""  # name of the estimate in the repr, e.g. "auc"

    def _extra(self) -> dict[str, Any]:
        """Fields after ``method`` (subclasses), for repr and to_frame."""
        base = {f.name for f in dataclasses.fields(Estimate)}
        return {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in base
        }

    def __repr__(self) -> str:
        est = _num(self.estimate)
        parts = [
            f"{self._label}={est}" if self._label else est,
            f"{self.level:.0%} CI {_num(self.lower)} to {_num(self.upper)}",
        ]
        if not math.isnan(self.se):
            parts.append(f"se={_num(self.se)}")
        if self.method:
            parts.append(f"method={self.method!r}")
        parts += [f"{k}={_num(v)}" for k, v in self._extra().items() if _shown(v)]
        return f"{self._name}({', '.join(parts)})"

    def __str__(self) -> str:
        return f"{self.estimate:.3f} ({self.lower:.3f}-{self.upper:.3f})"

    def to_frame(self):
        """One-row DataFrame: estimate, lower, upper, se, level, method (+ extras)."""
        import pandas as pd

        row = {f.name: getattr(self, f.name) for f in dataclasses.fields(Estimate)}
        row.update(self._extra())
        return pd.DataFrame([row])

    def _repr_html_(self) -> str:
        return f"<b>{self._name}</b>" + self.to_frame().to_html(index=False)


def _same(a: Any, b: Any) -> bool:
    """Equality that also works for DataFrames and arrays (and NaN == NaN)."""
    if a is b:
        return True
    if hasattr(a, "equals") and type(a) is type(b):
        return bool(a.equals(b))
    if hasattr(a, "shape") or hasattr(b, "shape"):
        import numpy as np

        return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def _shown(v: Any) -> bool:
    if isinstance(v, str):
        return True
    return isinstance(v, numbers.Real) and not math.isnan(float(v))


_FIELDS = ("statistic", "df", "p", "method")


class TestResult(Mapping):
    """A hypothesis test: statistic, degrees of freedom, p-value and method.

    Attributes
    ----------
    statistic : the test statistic (z, chi-square, D, ...).
    df : its degrees of freedom (``inf`` for a normal z statistic).
    p : two-sided p-value.
    method : the test and the convention it follows.
    details : everything else the test reports (estimates, tables, counts).

    Also a read-only mapping: ``res["p"]``, ``res["statistic"]`` and every key
    of ``details`` (plus the name the statistic had before, e.g. ``"z"`` or
    ``"chisq"``); iterating gives the keys the function used to return.
    Every key is an attribute too (``res.p``, ``res.auc1``).

    Examples
    --------
    >>> r = TestResult(5.05, 1, 0.0246, "log-rank", {"n": 6}, stat_name="chisq")
    >>> r["chisq"] == r.statistic == r["statistic"]
    True
    >>> r.p, r["n"], r.n
    (0.0246, 6, 6)
    >>> r.to_frame().columns.tolist()
    ['statistic', 'df', 'p', 'method', 'n']
    """

    __test__ = False  # not a pytest test class
    __slots__ = ("statistic", "df", "p", "method", "details", "stat_name", "keys_order")

    # A plain class, not a dataclass: pandas reads a list of these as rows of
    # their keys (as it read the former dicts), not of dataclass fields.
    def __init__(
        self,
        statistic: float,
        df: float,
        p: float,
        method: str,
        details: Mapping[str, Any] | None = None,
        *,
        stat_name: str = "statistic",
        keys_order: tuple[str, ...] | None = None,
    ) -> None:
        """``stat_name``: the former key of the statistic (``"z"``, ``"chisq"``);
        ``keys_order``: the former dict's keys, in order (iteration order)."""
        values = {
            "statistic": statistic,
            "df": df,
            "p": p,
            "method": method,
            "details": MappingProxyType(dict(details or {})),
            "stat_name": stat_name,
            "keys_order": None if keys_order is None else tuple(keys_order),
        }
        for k, v in values.items():
            object.__setattr__(self, k, v)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"TestResult is read-only; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"TestResult is read-only; cannot delete {name!r}")

    def __reduce__(self):
        kws = {"stat_name": self.stat_name, "keys_order": self.keys_order}
        args = (self.statistic, self.df, self.p, self.method, dict(self.details))
        return (_rebuild, (args, kws))

    # ------------------------------------------------------------ mapping
    def __getitem__(self, key: str) -> Any:
        if key in _FIELDS:
            return getattr(self, key)
        if key == self.stat_name:
            return self.statistic
        try:
            return self.details[key]
        except KeyError:
            raise KeyError(key) from None

    def _keys(self) -> tuple[str, ...]:
        if self.keys_order is not None:
            return self.keys_order
        return (self.stat_name, "df", "p", "method", *self.details)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        if set(self) != set(other):
            return False
        return all(_same(self[k], other[k]) for k in self)

    __hash__ = None  # type: ignore[assignment]  # a mapping, as the former dict

    def __contains__(self, key: object) -> bool:
        return key in _FIELDS or key == self.stat_name or key in self.details

    def __getattr__(self, name: str) -> Any:
        # only called for names that are not slots
        if not name.startswith("_"):
            details = object.__getattribute__(self, "details")
            if name in details:
                return details[name]
            if name == object.__getattribute__(self, "stat_name"):
                return self.statistic
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    # ------------------------------------------------------------ display
    def _scalars(self) -> dict[str, Any]:
        out = {}
        for k, v in self.details.items():
            if _shown(v) or isinstance(v, bool):
                out[k] = v
            elif isinstance(v, tuple) and len(v) == 2 and all(_shown(x) for x in v):
                out[f"{k}_lower"], out[f"{k}_upper"] = v
        return out

    def __repr__(self) -> str:
        head = f"{self.stat_name}={_num(self.statistic)}, df={_num(self.df)}, p={_p(self.p)}"
        rest = [f"{k}={_num(v)}" for k, v in self._scalars().items()]
        tables = [
            f"{k}=<{type(v).__name__} {getattr(v, 'shape', '')}>"
            for k, v in self.details.items()
            if len(getattr(v, "shape", ())) > 0
        ]
        body = "; ".join(x for x in (head, ", ".join(rest), ", ".join(tables)) if x)
        return f"TestResult({self.method}: {body})"

    def to_frame(self):
        """One-row DataFrame: statistic, df, p, method and the scalar details."""
        import pandas as pd

        row = {"statistic": self.statistic, "df": self.df, "p": self.p, "method": self.method}
        row.update(self._scalars())
        return pd.DataFrame([row])

    def _repr_html_(self) -> str:
        html = f"<b>{self.method}</b>" + self.to_frame().to_html(index=False)
        for k, v in self.details.items():
            if hasattr(v, "to_html"):
                html += f"<p>{k}</p>" + v.to_html()
        return html


def _rebuild(args, kws) -> TestResult:
    return TestResult(*args, **kws)
