"""A fitted linear score (Rad score, DL score) with a printable formula."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from radnb.errors import InvalidParameterError

__all__ = ["Signature"]


def _expit(x):
    from scipy.special import expit

    return expit(np.asarray(x, dtype=float))


def _logit(p):
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


@dataclass
class Signature:
    """A fitted linear score: ``intercept + sum(coef * feature)`` on the training fit.

    ``coef`` is on the scale of ``pipeline``'s output: the original feature
    scale (selection steps do not rescale) unless a ``"pca"`` step made the
    features principal components. ``coef_std`` (LASSO only) is per SD of
    each feature in the training cohort.
    """

    name: str
    block: str
    pipeline: Any
    coef: pd.Series
    intercept: float
    coef_std: pd.Series | None = None
    intercept_std: float | None = None
    mean: pd.Series | None = None
    scale: pd.Series | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def features(self) -> list[str]:
        """The features the score uses (non-zero coefficients)."""
        return self.coef.index[self.coef != 0].tolist()

    def score(self, X: pd.DataFrame) -> pd.Series:
        """Linear score of every row of the block ``X`` (NaN where a row is empty)."""
        ok = X.notna().any(axis=1)
        out = pd.Series(np.nan, index=X.index, name=self.name)
        if ok.any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "no features were selected"
                Z = self.pipeline.transform(X.loc[ok])
            out[ok] = self.intercept + Z[self.coef.index].to_numpy() @ self.coef.to_numpy()
        return out

    def formula(self, *, scale: str = "original", digits: int = 6) -> str:
        """Printable formula, e.g. ``Rad score = -0.1 + 0.52 × f1 - 3.2e-05 × f2``.

        Every number is printed with ``digits`` significant digits (6 by
        default), so the score can be recomputed by hand from the printed
        formula to about 1e-6 relative, whatever the units of the features
        (a coefficient per mm³ of volume is often ~1e-5).
        ``scale="standardised"``: coefficients per training SD, features
        written as ``z(feature)`` (LASSO signatures only).
        """
        if scale == "original":
            coef, icpt, wrap = self.coef, self.intercept, "{}"
        elif scale == "standardised":
            if self.coef_std is None:
                raise InvalidParameterError(
                    f"{self.name}: a standardised formula needs a LASSO last step"
                )
            coef, icpt, wrap = self.coef_std, self.intercept_std, "z({})"
        else:
            raise InvalidParameterError(
                f"scale must be 'original' or 'standardised', got {scale!r}"
            )
        text = f"{self.name} = {icpt:.{digits}g}"
        for f, b in coef[coef != 0].items():
            text += f" {'-' if b < 0 else '+'} {abs(b):.{digits}g} × {wrap.format(f)}"
        return text

    def __str__(self) -> str:
        return self.formula()
