"""Clinical predictors: one-hot design and univariable -> multivariable selection."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["ClinicalEncoder", "select_clinical"]


class ClinicalEncoder:
    """Design matrix for clinical variables: numeric as is, others one-hot.

    Levels of a categorical variable are learned on the rows given to
    ``fit`` (training); the first level in sorted order is the reference
    (as R's ``factor``). A level unseen in training gives a missing row.

    Examples
    --------
    >>> df = pd.DataFrame({"age": [50.0, 60, 70], "sex": ["F", "M", "F"]})
    >>> ClinicalEncoder().fit(df).transform(df).columns.tolist()
    ['age', 'sex[M]']
    """

    def fit(self, df: pd.DataFrame) -> ClinicalEncoder:
        self.levels_: dict[str, list | None] = {}
        for c in df.columns:
            s = df[c]
            if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
                self.levels_[c] = sorted(s.dropna().astype(str).unique())
            else:
                self.levels_[c] = None
        return self

    def columns(self, var: str) -> list[str]:
        lv = self.levels_[var]
        return [var] if lv is None else [f"{var}[{v}]" for v in lv[1:]]

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        out = {}
        for c, lv in self.levels_.items():
            s = df[c]
            if lv is None:
                out[c] = s.astype(float)
                continue
            v = s.astype(str).where(s.notna())
            bad = v.notna() & ~v.isin(lv)
            for level in lv[1:]:
                col = (v == level).astype(float)
                col[v.isna() | bad] = np.nan
                out[f"{c}[{level}]"] = col
        return pd.DataFrame(out, index=df.index)


def _logit_fit(y: pd.Series, X: pd.DataFrame):
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sm.Logit(y.astype(float), sm.add_constant(X, has_constant="add")).fit(
            disp=0, maxiter=200
        )


def select_clinical(
    table: pd.DataFrame,
    y: pd.Series,
    candidates: Sequence[str],
    *,
    p_univariable: float = 0.05,
    p_multivariable: float = 0.05,
) -> tuple[list[str], pd.DataFrame]:
    """Choose clinical predictors by univariable then multivariable logistic regression.

    As the radiomics papers do: each candidate enters a univariable logistic
    model; those with p < ``p_univariable`` enter one multivariable model;
    those with p < ``p_multivariable`` there are the independent predictors.
    The p-value of a variable is its likelihood-ratio test (all its dummy
    columns together; for one column it is close to the Wald p). Complete
    cases per model. A candidate that separates the outcome perfectly on
    training (usually a variable derived from it, e.g. the IHC score behind a
    HER2 label) is left out with a note. Fit this on training rows only.

    Returns
    -------
    selected : list of str
    table : DataFrame
        One row per candidate: ``variable, n, or_uni, lower_uni, upper_uni,
        p_uni, or_multi, lower_multi, upper_multi, p_multi, selected, note``
        (odds ratios only for one-column variables).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=200), "z": rng.normal(size=200)})
    >>> y = pd.Series((df.x + rng.normal(size=200) > 0).astype(int))
    >>> select_clinical(df, y, ["x", "z"])[0]
    ['x']
    """
    from scipy.stats import chi2

    if len(y) == len(table) and y.index.equals(table.index):
        yv = y.to_numpy(dtype=float)
    else:
        yv = y.reindex(table.index).to_numpy(dtype=float)
    rows = []
    for var in candidates:
        d = table[[var]].assign(_y=yv).dropna()
        row = {"variable": var, "n": len(d), "note": ""}
        try:
            enc = ClinicalEncoder().fit(d[[var]])
            X = enc.transform(d[[var]])
            if X.shape[1] == 0 or X.nunique().max() < 2 or d["_y"].nunique() < 2:
                raise ValueError("no variation")
            res = _logit_fit(d["_y"], X)
            fitted, yy = np.asarray(res.predict()), d["_y"].to_numpy()
            lo1, hi1 = fitted[yy == 1].min(), fitted[yy == 1].max()
            lo0, hi0 = fitted[yy == 0].min(), fitted[yy == 0].max()
            if lo1 > hi0 or hi1 < lo0:
                raise ValueError(
                    "it separates the outcome perfectly on training (derived from the "
                    "outcome?); left out"
                )
            row["p_uni"] = float(res.llr_pvalue)
            if X.shape[1] == 1:
                ci = np.exp(res.conf_int().iloc[1])
                row.update(
                    or_uni=float(np.exp(res.params.iloc[1])), lower_uni=ci[0], upper_uni=ci[1]
                )
        except Exception as exc:  # noqa: BLE001 - reported in the table
            row["p_uni"] = np.nan
            row["note"] = f"not a candidate: {exc}"
        rows.append(row)
    out = pd.DataFrame(
        rows,
        columns=[
            "variable",
            "n",
            "or_uni",
            "lower_uni",
            "upper_uni",
            "p_uni",
            "or_multi",
            "lower_multi",
            "upper_multi",
            "p_multi",
            "selected",
            "note",
        ],
    )
    out["selected"] = False
    uni = out.loc[out.p_uni < p_univariable, "variable"].tolist()
    if uni:
        d = table[uni].assign(_y=yv).dropna()
        enc = ClinicalEncoder().fit(d[uni])
        X = enc.transform(d[uni])
        try:
            full = _logit_fit(d["_y"], X)
            for var in uni:
                cols = enc.columns(var)
                rest = X.drop(columns=cols)
                if rest.shape[1]:
                    ll0 = _logit_fit(d["_y"], rest).llf
                else:
                    pbar = d["_y"].mean()
                    ll0 = len(d) * (pbar * np.log(pbar) + (1 - pbar) * np.log(1 - pbar))
                p = float(chi2.sf(2 * (full.llf - ll0), len(cols)))
                i = out.index[out.variable == var][0]
                out.loc[i, "p_multi"] = p
                if len(cols) == 1:
                    ci = np.exp(full.conf_int().loc[cols[0]])
                    out.loc[i, ["or_multi", "lower_multi", "upper_multi"]] = [
                        float(np.exp(full.params[cols[0]])),
                        ci[0],
                        ci[1],
                    ]
        except Exception as exc:  # noqa: BLE001
            out.loc[out.variable.isin(uni), "note"] = f"multivariable fit failed: {exc}"
    out["selected"] = out.p_multi < p_multivariable
    return out.loc[out.selected, "variable"].tolist(), out
