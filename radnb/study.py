"""Study: feature blocks -> signatures (Rad score, DL score) -> models, fitted on training only.

A :class:`Study` joins a clinical table (or a :class:`~radnb.cohort.Cohort`)
with feature blocks keyed by ``patient_id``. Everything that learns
(selection, LASSO, clinical variable selection, model coefficients, score
directions, Youden cut-offs) sees the training rows only; the other cohorts
are only transformed and scored. Internal validation refits the whole chain
inside each resample of the training cohort.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> n = 120
>>> y = rng.integers(0, 2, n)
>>> table = pd.DataFrame({"split": np.where(np.arange(n) < 80, "train", "test"), "y": y,
...                       "age": rng.normal(60, 10, n)}, index=[f"P{i}" for i in range(n)])
>>> feats = pd.DataFrame(rng.normal(size=(n, 6)), index=table.index,
...                      columns=[f"f{i}" for i in range(6)])
>>> feats["f0"] += 1.5 * y
>>> study = Study(table, outcome="y", train="train")
>>> _ = study.add_block("rad", feats).signature("Rad score", "rad", steps=["lasso"],
...                                              lasso={"n_lambdas": 20, "cv": 5})
>>> study.fit().results()[["model", "cohort"]].values.tolist()
[['Rad score', 'train'], ['Rad score', 'test']]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from radnb.errors import CohortError, NotFittedError, RadnbError

__all__ = ["Study", "Signature", "select_clinical", "ClinicalEncoder"]

_ESTIMATORS = ("logistic", "svm", "rf", "gb")


# ----------------------------------------------------------------------------- helpers


def _expit(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def _logit(p):
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


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
    cases per model. Fit this on training rows only.

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
            row["p_uni"] = float(res.llr_pvalue)
            if X.shape[1] == 1:
                ci = np.exp(res.conf_int().iloc[1])
                row.update(
                    or_uni=float(np.exp(res.params.iloc[1])), lower_uni=ci[0], upper_uni=ci[1]
                )
        except Exception as exc:  # noqa: BLE001 - reported in the table
            row["p_uni"] = np.nan
            row["note"] = f"univariable fit failed: {exc}"
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

    def formula(self, *, scale: str = "original", digits: int = 4) -> str:
        """Printable formula, e.g. ``Rad score = -0.1 + 0.52 × f1 - 0.3 × f2``.

        ``scale="standardised"``: coefficients per training SD, features
        written as ``z(feature)`` (LASSO signatures only).
        """
        if scale == "original":
            coef, icpt, wrap = self.coef, self.intercept, "{}"
        elif scale == "standardised":
            if self.coef_std is None:
                raise RadnbError(f"{self.name}: a standardised formula needs a LASSO last step")
            coef, icpt, wrap = self.coef_std, self.intercept_std, "z({})"
        else:
            raise RadnbError(f"scale must be 'original' or 'standardised', got {scale!r}")
        text = f"{self.name} = {icpt:.{digits}f}"
        for f, b in coef[coef != 0].items():
            text += f" {'-' if b < 0 else '+'} {abs(b):.{digits}f} × {wrap.format(f)}"
        return text

    def __str__(self) -> str:
        return self.formula()


# ----------------------------------------------------------------------------- the study


class Study:
    """A radiomics / deep-learning classification study with a train / test design.

    Parameters
    ----------
    data : Cohort or DataFrame
        A :class:`~radnb.cohort.Cohort` (its ``clinical`` table is used) or a
        table indexed by ``patient_id`` (or with a ``patient_id`` column)
        holding the outcome and split columns and clinical variables.
    outcome : str
        Binary outcome column (0/1 or bool, or two values with ``positive``).
    train : value of the split column that marks the training cohort.
    split : str
        Split column (a Cohort's own split column takes precedence).
    cohorts : sequence or mapping, optional
        Order of the split values in tables and plots (training first by
        default, then in order of appearance), or a mapping split value ->
        display name.
    positive : value of ``outcome`` that counts as the event, optional.
    clinical : sequence of str, optional
        Candidate clinical variables for ``model(..., clinical="auto")``.
        Default: every column except the outcome, the split, a Cohort's
        declared outcomes and survival columns, and text columns with more
        than 10 distinct values (IDs, file paths). With a plain table, leave
        out other endpoints (e.g. survival times) by listing candidates.
    random_state : int
        Seed for every random step (CV folds, resampling, estimators).
    """

    def __init__(
        self,
        data,
        outcome: str,
        train: Any = "train",
        *,
        split: str = "split",
        cohorts: Sequence | Mapping | None = None,
        positive: Any = None,
        clinical: Sequence[str] | None = None,
        random_state: int = 0,
    ):
        if hasattr(data, "clinical") and not isinstance(data, pd.DataFrame):
            table = data.clinical.copy()
            split = getattr(data, "split_column", None) or split
        elif isinstance(data, pd.DataFrame):
            table = data.copy()
            if "patient_id" in table.columns:
                table = table.set_index("patient_id")
        else:
            raise CohortError("Study needs a Cohort or a DataFrame indexed by patient_id.")
        table.index = table.index.astype(str)
        table.index.name = "patient_id"
        if table.index.duplicated().any():
            dup = table.index[table.index.duplicated()].unique()[:5].tolist()
            raise CohortError(f"duplicated patient IDs in the study table, e.g. {dup}")
        for col, what in ((outcome, "outcome"), (split, "split")):
            if col not in table.columns:
                raise CohortError(
                    f"{what} column {col!r} not in the table; columns: {list(table.columns)[:20]}"
                )
        if not (table[split] == train).any():
            raise CohortError(
                f"no patient has {split} == {train!r}; split values: "
                f"{table[split].dropna().unique().tolist()}"
            )
        self.table = table
        self.outcome = outcome
        self.split = split
        self.train = train
        self.positive = positive
        self.y = self._binary(table[outcome])
        values = [train] + [v for v in pd.unique(table[split].dropna()) if v != train]
        if cohorts is None:
            self.cohorts = {v: str(v) for v in values}
        elif isinstance(cohorts, Mapping):
            self.cohorts = dict(cohorts)
        else:
            self.cohorts = {v: str(v) for v in cohorts}
        unknown = set(self.cohorts) - set(values)
        if unknown:
            raise CohortError(f"cohorts {sorted(map(str, unknown))} are not split values {values}")
        excluded = {outcome, split, *getattr(data, "outcomes", ())}
        excluded |= {c for pair in getattr(data, "survival", ()) for c in pair}

        def id_like(col: pd.Series) -> bool:  # file paths, IDs, free text
            text = not pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
            return text and col.nunique() > 10

        self.clinical_candidates = (
            list(clinical)
            if clinical is not None
            else [c for c in table.columns if c not in excluded and not id_like(table[c])]
        )
        self.random_state = random_state
        self.blocks: dict[str, pd.DataFrame] = {}
        self._signatures: dict[str, dict] = {}
        self._models: dict[str, dict] = {}

    def _binary(self, s: pd.Series) -> pd.Series:
        vals = s.dropna().unique()
        numeric = pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s)
        if self.positive is not None:
            out = (s == self.positive).astype(float)
        elif numeric and set(pd.Series(vals).astype(float)) <= {0.0, 1.0}:
            out = s.astype(float)
        else:
            raise CohortError(
                f"outcome {s.name!r} has values {sorted(map(str, vals))[:5]}; "
                "pass positive=<the event value>"
            )
        out[s.isna()] = np.nan
        return out.rename(self.outcome)

    # ---------------------------------------------------------------- building

    def add_block(self, name: str, df: pd.DataFrame) -> Study:
        """Add a feature block (DataFrame indexed by patient_id). Chainable."""
        if "patient_id" in df.columns:
            df = df.set_index("patient_id")
        df = df.copy()
        df.index = df.index.astype(str)
        num = df.select_dtypes(include=[np.number, "bool"]).astype(float)
        if num.shape[1] == 0:
            raise RadnbError(f"block {name!r} has no numeric feature columns")
        extra = df.index.difference(self.table.index)
        if len(extra) == len(df):
            raise CohortError(f"block {name!r} shares no patient_id with the study table")
        missing = self.table.index.difference(df.index)
        if len(missing):
            warnings.warn(
                f"block {name!r} lacks {len(missing)} patient(s) "
                f"(e.g. {missing[:3].tolist()}); their scores will be missing",
                stacklevel=2,
            )
        self.blocks[name] = num.reindex(self.table.index)
        return self

    def signature(
        self,
        name: str,
        block: str,
        steps: Sequence = ("corr", "lasso"),
        *,
        final: str = "auto",
        **kws,
    ) -> Study:
        """Define a linear score (e.g. Rad score) from a block. Chainable.

        ``steps`` and ``**kws`` go to :func:`radnb.select.make_selector`
        (e.g. ``icc={"icc_values": icc}``). With a LASSO last step its
        coefficients make the score (``final="auto"``); otherwise an
        unpenalised logistic regression is fitted on the selected features.
        """
        if block not in self.blocks:
            raise RadnbError(f"unknown block {block!r}; add it with add_block first")
        self._check_name(name)
        self._signatures[name] = {"block": block, "steps": list(steps), "final": final, "kws": kws}
        return self

    def model(
        self,
        name: str,
        inputs: Sequence[str] | str | None = None,
        *,
        clinical: str | Sequence[str] | None = None,
        estimator: Any = "logistic",
        p_univariable: float = 0.05,
        p_multivariable: float = 0.05,
        candidates: Sequence[str] | None = None,
    ) -> Study:
        """Define a model on scores, blocks and/or clinical variables. Chainable.

        Parameters
        ----------
        inputs : names of signatures (their scores) or blocks (all features).
        clinical : None, "auto" or list of columns
            ``"auto"``: :func:`select_clinical` on training (univariable then
            multivariable p-values). If nothing qualifies and there are no
            other inputs the model is recorded as absent, not faked.
        estimator : "logistic", "svm", "rf", "gb" or a scikit-learn classifier
            ``"logistic"`` is an unpenalised statsmodels Logit (coefficients,
            odds ratios, nomogram); the others are scaled and fitted with
            ``random_state``.
        """
        inputs = [inputs] if isinstance(inputs, str) else list(inputs or [])
        for i in inputs:
            if i not in self._signatures and i not in self.blocks:
                raise RadnbError(f"model {name!r}: unknown input {i!r} (not a signature or block)")
        if isinstance(clinical, str) and clinical != "auto":
            clinical = [clinical]
        if not inputs and clinical is None:
            raise RadnbError(f"model {name!r} has no inputs and no clinical variables")
        if isinstance(estimator, str) and estimator not in _ESTIMATORS:
            raise RadnbError(f"estimator must be one of {_ESTIMATORS} or a classifier")
        self._check_name(name)
        self._models[name] = {
            "inputs": inputs,
            "clinical": clinical,
            "estimator": estimator,
            "p_uni": p_univariable,
            "p_multi": p_multivariable,
            "candidates": candidates,
        }
        return self

    def _check_name(self, name: str) -> None:
        if name in self._signatures or name in self._models:
            raise RadnbError(f"a signature or model named {name!r} already exists")

    # ---------------------------------------------------------------- fitting

    @property
    def train_ids(self) -> pd.Index:
        """Training patients with a known outcome."""
        m = (self.table[self.split] == self.train) & self.y.notna()
        return self.table.index[m]

    def cohort_ids(self, cohort: Any) -> pd.Index:
        """Patients of one split value (or display name) with a known outcome."""
        value = self._cohort_value(cohort)
        return self.table.index[(self.table[self.split] == value) & self.y.notna()]

    def _cohort_value(self, cohort):
        if cohort in self.cohorts:
            return cohort
        for k, v in self.cohorts.items():
            if v == cohort:
                return k
        raise RadnbError(f"unknown cohort {cohort!r}; cohorts: {list(self.cohorts.values())}")

    def _fit_signature(
        self, name: str, spec: dict, ids: Sequence[str], *, resample: bool = False
    ) -> Signature:
        from radnb.select import LassoSelector, make_selector

        X = self.blocks[spec["block"]].loc[ids]
        y = self.y.loc[ids]
        ok = X.notna().any(axis=1).to_numpy()
        X, y = X.loc[ok], y.loc[ok]
        pipe = make_selector(spec["steps"], random_state=self.random_state, **spec["kws"])
        pipe.fit(X, y.to_numpy())
        last = pipe.steps[-1][1]
        final = spec["final"]
        if final == "auto":
            final = "lasso" if isinstance(last, LassoSelector) else "logistic"
        if final == "lasso":
            if not isinstance(last, LassoSelector):
                raise RadnbError(f"{name}: final='lasso' needs 'lasso' as the last step")
            kept = last.coef_[last.support_]
            if kept.empty and not resample:
                raise RadnbError(
                    f"{name}: LASSO kept no feature at lambda.{last.rule} on the training "
                    "cohort; try lasso={'rule': 'min'} or fewer filtering steps"
                )
            return Signature(
                name,
                spec["block"],
                pipe,
                kept,
                last.intercept_,
                coef_std=last.coef_std_[last.support_],
                intercept_std=last.intercept_std_,
                mean=pd.Series(last.mean_, index=last.coef_.index)[kept.index],
                scale=pd.Series(last.scale_, index=last.coef_.index)[kept.index],
            )
        if final != "logistic":
            raise RadnbError(f"final must be 'auto', 'lasso' or 'logistic', got {final!r}")
        Z = pipe.transform(X)
        if Z.shape[1] == 0:
            raise RadnbError(f"{name}: the selection steps kept no feature on the training cohort")
        notes = []
        if Z.shape[1] > max(1, int(min(y.sum(), len(y) - y.sum()) / 10)):
            notes.append(
                f"{Z.shape[1]} features for {int(min(y.sum(), len(y) - y.sum()))} "
                "events of the rarer class (fewer than 10 per feature)"
            )
        res = _logit_fit(y, Z)
        coef = res.params.drop("const")
        return Signature(name, spec["block"], pipe, coef, float(res.params["const"]), notes=notes)

    def _model_frame(self, spec, state, ids) -> pd.DataFrame:
        parts = []
        for i in spec["inputs"]:
            if i in state["signatures"]:
                parts.append(state["signature_scores"].loc[ids, [i]])
            else:
                parts.append(self.blocks[i].loc[ids])
        return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=ids)

    def _fit_model(self, name, spec, state, ids) -> dict:
        y = self.y.loc[ids]
        clin = spec["clinical"]
        info: dict = {"name": name, "absent": None, "notes": [], "clinical_table": None}
        if clin == "auto":
            cands = spec["candidates"] or self.clinical_candidates
            chosen, tab = select_clinical(
                self.table.loc[ids],
                y,
                cands,
                p_univariable=spec["p_uni"],
                p_multivariable=spec["p_multi"],
            )
            info["clinical_table"] = tab
            if not chosen:
                why = (
                    "no clinical variable was an independent predictor (univariable p < "
                    f"{spec['p_uni']:g}, then multivariable p < {spec['p_multi']:g}) "
                    "on the training cohort"
                )
                if not spec["inputs"]:
                    info["absent"] = why
                    return info
                info["notes"].append(why + "; the model uses its other inputs only")
            clin = chosen
        clin = list(clin or [])
        missing = [c for c in clin if c not in self.table.columns]
        if missing:
            raise RadnbError(f"model {name!r}: clinical columns {missing} not in the table")
        enc = ClinicalEncoder().fit(self.table.loc[ids, clin]) if clin else None
        info.update(clinical=clin, encoder=enc)
        X = self._design(info, spec, state, ids)
        ok = X.notna().all(axis=1).to_numpy()
        X, y = X.loc[ok], y.loc[ok]
        const = X.columns[X.nunique() <= 1]
        if len(const):  # e.g. an empty signature (intercept only) in a resample
            X = X.drop(columns=const)
            info["notes"].append(f"constant on training, left out: {list(const)}")
        info["columns"] = list(X.columns)
        est = spec["estimator"]
        if est == "logistic":
            res = _logit_fit(y, X)
            info["result"] = res
            info["coef"] = res.params
            if not res.mle_retvals.get("converged", True):
                info["notes"].append("logistic fit did not converge (separation?)")
        else:
            info["estimator"] = self._sk_estimator(est).fit(X.to_numpy(), y.to_numpy().astype(int))
        info["train_design"] = X
        return info

    def _sk_estimator(self, est):
        from sklearn.base import clone
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        rs = self.random_state
        if est == "svm":
            from sklearn.svm import SVC

            est = SVC(probability=True, random_state=rs)
        elif est == "rf":
            from sklearn.ensemble import RandomForestClassifier

            est = RandomForestClassifier(n_estimators=300, random_state=rs)
        elif est == "gb":
            from sklearn.ensemble import GradientBoostingClassifier

            est = GradientBoostingClassifier(random_state=rs)
        else:
            est = clone(est)
        return make_pipeline(StandardScaler(), est)

    def _design(self, info, spec, state, ids) -> pd.DataFrame:
        u = pd.Index(ids).unique()  # bootstrap ids repeat: build on unique, then expand
        X = self._model_frame(spec, state, u)
        if info.get("encoder") is not None:
            X = X.join(info["encoder"].transform(self.table.loc[u, info["clinical"]]))
        return X.loc[ids]

    def _predict_model(self, info, spec, state, ids) -> pd.Series:
        X = self._design(info, spec, state, ids)
        ok = X.notna().all(axis=1).to_numpy()
        p = np.full(len(X), np.nan)
        if ok.any():
            if "result" in info:
                coef = info["coef"]
                Xk = X.loc[ok, coef.index.drop("const")].to_numpy()
                p[ok] = _expit(coef["const"] + Xk @ coef.drop("const").to_numpy())
            else:
                Xk = X.loc[ok, info["columns"]].to_numpy()
                p[ok] = info["estimator"].predict_proba(Xk)[:, 1]
        return p

    def _fit_on(self, ids: Sequence[str], *, resample: bool = False) -> dict:
        """Fit every signature and model on the rows ``ids``; return the state.

        ``resample=True`` (internal validation): a LASSO that keeps no feature
        gives an intercept-only (constant) score, as glmnet's null model,
        instead of an error.
        """
        ids = pd.Index(ids)
        all_ids = self.table.index
        state: dict = {"signatures": {}, "models": {}, "absent": {}}
        sig_scores = {}
        for name, spec in self._signatures.items():
            sig = self._fit_signature(name, spec, ids, resample=resample)
            state["signatures"][name] = sig
            sig_scores[name] = sig.score(self.blocks[spec["block"]])
        state["signature_scores"] = pd.DataFrame(sig_scores, index=all_ids)
        # bootstrap ids repeat: the score table is indexed by unique ids, select with .loc
        for name, spec in self._models.items():
            info = self._fit_model(name, spec, state, ids)
            if info["absent"]:
                state["absent"][name] = info["absent"]
            state["models"][name] = info
        return state

    def _predict(self, state, ids) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Scores (signature linear scores, model log-odds) and probabilities of ``ids``."""
        scores, probs = {}, {}
        for name in state["signatures"]:
            s = state["signature_scores"].loc[ids, name].to_numpy()
            scores[name], probs[name] = s, _expit(s)
        for name, info in state["models"].items():
            if info["absent"]:
                continue
            p = self._predict_model(info, self._models[name], state, ids)
            probs[name], scores[name] = p, np.where(np.isnan(p), np.nan, _logit(p))
        idx = pd.Index(ids)
        return pd.DataFrame(scores, index=idx), pd.DataFrame(probs, index=idx)

    def fit(self) -> Study:
        """Fit everything on the training rows; fix score directions and cut-offs there."""
        from radnb.evaluate import score_direction, youden_threshold

        if not self._signatures and not self._models:
            raise RadnbError("nothing to fit: define a signature or a model first")
        ids = self.train_ids
        state = self._fit_on(ids)
        scores, probs = self._predict(state, self.table.index)
        self.state_ = state
        self.signatures_ = state["signatures"]
        self.absent_ = dict(state["absent"])
        self.scores_, self.probabilities_ = scores, probs
        self.directions_, self.thresholds_ = {}, {}
        y = self.y.loc[ids]
        for name in scores:
            s = scores.loc[ids, name]
            ok = s.notna()
            self.directions_[name] = score_direction(y[ok], s[ok])
            self.thresholds_[name] = youden_threshold(
                y[ok], s[ok], direction=self.directions_[name]
            )
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "state_"):
            raise NotFittedError("call study.fit() first")

    # ---------------------------------------------------------------- outputs

    @property
    def outputs(self) -> list[str]:
        """Names of the fitted signatures and present models, in definition order."""
        self._check_fitted()
        return list(self.scores_.columns)

    def scores(self) -> pd.DataFrame:
        """Every patient's signature scores and model log-odds (columns by name)."""
        self._check_fitted()
        return self.scores_.copy()

    def score(self, name: str) -> pd.Series:
        """One score (signature: linear score; model: log-odds) for every patient."""
        self._check_fitted()
        self._known(name)
        return self.scores_[name].copy()

    def predict_proba(self, name: str | None = None):
        """Predicted risk (models; ``expit`` of the linear score for signatures)."""
        self._check_fitted()
        if name is None:
            return self.probabilities_.copy()
        self._known(name)
        return self.probabilities_[name].copy()

    def _known(self, name):
        if name in getattr(self, "absent_", {}):
            raise RadnbError(f"model {name!r} is absent: {self.absent_[name]}")
        if name not in self.scores_:
            raise RadnbError(f"unknown score {name!r}; known: {list(self.scores_.columns)}")

    def formula(self, name: str, **kws) -> str:
        """Printable formula of a signature (see :meth:`Signature.formula`)."""
        self._check_fitted()
        if name not in self.signatures_:
            raise RadnbError(f"{name!r} is not a signature")
        return self.signatures_[name].formula(**kws)

    def selection_report(self, name: str) -> pd.DataFrame:
        """What each selection step of a signature kept and why (training fit)."""
        from radnb.select import selection_report

        self._check_fitted()
        return selection_report(self.signatures_[name].pipeline)

    def clinical_selection(self, name: str) -> pd.DataFrame | None:
        """Univariable / multivariable table of a ``clinical="auto"`` model."""
        self._check_fitted()
        return self.state_["models"][name]["clinical_table"]

    def coefficients(self, name: str) -> pd.DataFrame:
        """Coefficients, odds ratios (95% CI) and p of a logistic model (training fit)."""
        self._check_fitted()
        self._known(name)
        info = self.state_["models"].get(name)
        if info is None or "result" not in info:
            raise RadnbError(f"{name!r} is not a logistic model")
        res = info["result"]
        ci = res.conf_int()
        return pd.DataFrame(
            {
                "coef": res.params,
                "se": res.bse,
                "or": np.exp(res.params),
                "or_lower": np.exp(ci[0]),
                "or_upper": np.exp(ci[1]),
                "p": res.pvalues,
            }
        )

    def notes(self) -> list[str]:
        """Absent models and other notes from the last fit."""
        self._check_fitted()
        out = [f"{m}: absent - {why}" for m, why in self.absent_.items()]
        for name, info in self.state_["models"].items():
            out += [f"{name}: {n}" for n in info["notes"]]
        for name, sig in self.signatures_.items():
            out += [f"{name}: {n}" for n in sig.notes]
        return out

    def results(
        self,
        *,
        cohorts: Sequence | None = None,
        models: Sequence[str] | None = None,
        formatted: bool = False,
        level: float = 0.95,
    ) -> pd.DataFrame:
        """Model x cohort table: AUC (DeLong CI), threshold metrics at the training
        Youden cut-off, Brier score and Hosmer-Lemeshow p.

        Absent models are skipped; their reasons are in ``table.attrs["notes"]``
        (and :meth:`notes`). ``formatted=True`` gives display strings.
        """
        from radnb.evaluate.results import evaluation_table, format_results

        self._check_fitted()
        names = list(models) if models is not None else self.outputs
        names = [n for n in names if n not in self.absent_]
        parts = []
        for c in cohorts if cohorts is not None else self.cohorts:
            ids = self.cohort_ids(c)
            if not len(ids):
                continue
            t = evaluation_table(
                self.y.loc[ids],
                {n: self.scores_.loc[ids, n] for n in names},
                probabilities={n: self.probabilities_.loc[ids, n] for n in names},
                directions=self.directions_,
                thresholds=self.thresholds_,
                level=level,
            )
            t.insert(1, "cohort", self.cohorts[self._cohort_value(c)])
            parts.append(t)
        out = pd.concat(parts, ignore_index=True)
        order = {n: i for i, n in enumerate(names)}
        out = out.sort_values("model", key=lambda s: s.map(order), kind="stable")
        out = out.reset_index(drop=True)
        if formatted:
            out = format_results(out)
        out.attrs["notes"] = self.notes()
        return out

    def delong_table(
        self, cohort: Any = None, *, models: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Pairwise paired DeLong p-values between present models in one cohort."""
        from radnb.evaluate.results import delong_matrix

        self._check_fitted()
        c = self.train if cohort is None else self._cohort_value(cohort)
        names = [n for n in (models or self.outputs) if n not in self.absent_]
        ids = self.cohort_ids(c)
        out = delong_matrix(
            self.y.loc[ids],
            {n: self.scores_.loc[ids, n] for n in names},
            directions=self.directions_,
        )
        out.attrs["notes"] = self.notes()
        return out

    # ---------------------------------------------------------------- internal validation

    def internal_validation(
        self,
        *,
        method: str = "bootstrap",
        n_boot: int = 200,
        n_splits: int = 5,
        n_repeats: int = 10,
    ) -> pd.DataFrame:
        """Internal validation on the training cohort, refitting the whole chain.

        ``method="bootstrap"``: Harrell's optimism correction (Harrell, Lee &
        Mark 1996; ``rms::validate``): optimism = mean over ``n_boot``
        resamples of (AUC on the resample - AUC of that fit on the original
        training cohort); corrected = apparent - optimism. ``method="cv"``:
        repeated stratified ``n_splits``-fold CV AUC (mean and SD over folds).
        Selection, LASSO, clinical selection and model fits are all redone in
        each resample. Resamples where a fit fails are counted in ``n_failed``.

        Returns
        -------
        DataFrame
            One row per present model: ``model, apparent_auc`` and either
            ``optimism, corrected_auc, n_boot`` or ``cv_auc, cv_auc_sd, n_folds``,
            plus ``n_failed``.
        """
        from sklearn.model_selection import RepeatedStratifiedKFold

        from radnb.evaluate import auc_ci, score_direction

        self._check_fitted()
        ids = self.train_ids
        y = self.y.loc[ids]
        names = [n for n in self.outputs if n not in self.absent_]

        def aucs(state, fit_ids, eval_ids):
            sc, _ = self._predict(state, eval_ids)
            tr, _ = self._predict(state, fit_ids)
            out = {}
            for n in names:
                if n not in sc:
                    out[n] = np.nan
                    continue
                yt, st = self.y.loc[fit_ids].to_numpy(), tr[n].to_numpy()
                ok = np.isfinite(st)
                d = score_direction(yt[ok], st[ok])  # fixed on the fit rows
                ye, se = self.y.loc[eval_ids].to_numpy(), sc[n].to_numpy()
                ok = np.isfinite(se)
                both = 0 < ye[ok].sum() < ok.sum()
                out[n] = auc_ci(ye[ok], se[ok], direction=d).auc if both else np.nan
            return out

        apparent = aucs(self.state_, ids, ids)
        rows = []
        failed = 0
        if method == "bootstrap":
            rng = np.random.default_rng(self.random_state)
            opt = {n: [] for n in names}
            for _ in range(n_boot):
                b = ids[rng.integers(0, len(ids), len(ids))]
                if y.loc[b].nunique() < 2:
                    failed += 1
                    continue
                try:
                    st = self._fit_on(b, resample=True)
                    a_boot = aucs(st, b, b)
                    a_orig = aucs(st, b, ids)
                except (RadnbError, ValueError, np.linalg.LinAlgError):
                    failed += 1
                    continue
                for n in names:
                    opt[n].append(a_boot[n] - a_orig[n])
            for n in names:
                o = float(np.nanmean(opt[n])) if opt[n] else np.nan
                rows.append(
                    {
                        "model": n,
                        "apparent_auc": apparent[n],
                        "optimism": o,
                        "corrected_auc": apparent[n] - o,
                        "n_boot": len(opt[n]),
                        "n_failed": failed,
                    }
                )
        elif method == "cv":
            cv = RepeatedStratifiedKFold(
                n_splits=n_splits, n_repeats=n_repeats, random_state=self.random_state
            )
            res = {n: [] for n in names}
            for tr, te in cv.split(np.zeros(len(ids)), y.to_numpy().astype(int)):
                try:
                    st = self._fit_on(ids[tr], resample=True)
                    a = aucs(st, ids[tr], ids[te])
                except (RadnbError, ValueError, np.linalg.LinAlgError):
                    failed += 1
                    continue
                for n in names:
                    res[n].append(a[n])
            for n in names:
                v = np.asarray(res[n], dtype=float)
                rows.append(
                    {
                        "model": n,
                        "apparent_auc": apparent[n],
                        "cv_auc": float(np.nanmean(v)) if v.size else np.nan,
                        "cv_auc_sd": float(np.nanstd(v, ddof=1)) if v.size > 1 else np.nan,
                        "n_folds": int(v.size),
                        "n_failed": failed,
                    }
                )
        else:
            raise RadnbError(f"method must be 'bootstrap' or 'cv', got {method!r}")
        return pd.DataFrame(rows)

    # ---------------------------------------------------------------- plots

    def _plot_per_cohort(self, fn, cohort, models, ax, use_probs, **kws):
        self._check_fitted()
        names = [n for n in (models or self.outputs) if n not in self.absent_]
        notes = [f"{m}: absent" for m in self.absent_ if models is None or m in models]
        cohorts = list(self.cohorts) if cohort is None else [self._cohort_value(cohort)]
        if ax is None and len(cohorts) > 1:
            import matplotlib.pyplot as plt

            fig, axes = plt.subplots(
                1,
                len(cohorts),
                figsize=(4.6 * len(cohorts), 4.4),
                constrained_layout=True,
                squeeze=False,
            )
            axes = axes[0]
        else:
            axes = [ax]
        out = []
        for c, a in zip(cohorts, axes):
            ids = self.cohort_ids(c)
            table = self.probabilities_ if use_probs else self.scores_
            data = {n: table.loc[ids, n] for n in names}
            out.append(
                fn(
                    self.y.loc[ids],
                    data,
                    ax=a,
                    title=self.cohorts[c],
                    notes=notes,
                    **({"directions": self.directions_} if not use_probs else {}),
                    **kws,
                )
            )
        return out[0] if len(out) == 1 else np.asarray(out)

    def plot_roc(self, cohort: Any = None, *, models: Sequence[str] | None = None, ax=None, **kws):
        """ROC curves of the models per cohort (one panel per cohort unless ``cohort``)."""
        from radnb.plots.classification import plot_roc

        return self._plot_per_cohort(plot_roc, cohort, models, ax, False, **kws)

    def plot_calibration(
        self, cohort: Any = None, *, models: Sequence[str] | None = None, ax=None, **kws
    ):
        """Calibration curves (predicted risk vs observed) per cohort."""
        from radnb.plots.classification import plot_calibration

        return self._plot_per_cohort(plot_calibration, cohort, models, ax, True, **kws)

    def plot_dca(self, cohort: Any = None, *, models: Sequence[str] | None = None, ax=None, **kws):
        """Decision curves with treat-all and treat-none per cohort."""
        from radnb.plots.classification import plot_dca

        return self._plot_per_cohort(plot_dca, cohort, models, ax, True, **kws)

    def nomogram(self, name: str, *, fig=None, **kws):
        """Nomogram of a logistic model (``rms::nomogram`` layout); returns the Figure."""
        from radnb.plots.classification import plot_nomogram

        self._check_fitted()
        self._known(name)
        info = self.state_["models"].get(name)
        if info is None or "result" not in info:
            raise RadnbError(f"a nomogram needs a logistic model; {name!r} is not one")
        coef = info["coef"]
        return plot_nomogram(
            coef.drop("const"),
            float(coef["const"]),
            info["train_design"],
            fig=fig,
            title=name,
            **kws,
        )

    def plot_lasso_path(self, name: str, *, ax=None, **kws):
        """LASSO coefficient path of a signature with lambda.min / lambda.1se."""
        from radnb.plots.classification import plot_lasso_path

        return plot_lasso_path(self._lasso(name), ax=ax, **kws)

    def plot_lasso_cv(self, name: str, *, ax=None, **kws):
        """LASSO cross-validation curve of a signature."""
        from radnb.plots.classification import plot_lasso_cv

        return plot_lasso_cv(self._lasso(name), ax=ax, **kws)

    def _lasso(self, name):
        from radnb.select import LassoSelector

        self._check_fitted()
        last = self.signatures_[name].pipeline.steps[-1][1]
        if not isinstance(last, LassoSelector):
            raise RadnbError(f"signature {name!r} has no LASSO step")
        return last

    def plot_score_box(self, name: str, cohort: Any = None, *, ax=None, **kws):
        """Box plot of a score by outcome in one cohort (training by default)."""
        from radnb.plots.classification import plot_score_box

        ids = self.cohort_ids(self.train if cohort is None else cohort)
        return plot_score_box(self.score(name).loc[ids], self.y.loc[ids], ax=ax, **kws)

    def plot_waterfall(self, name: str, cohort: Any = None, *, ax=None, **kws):
        """Waterfall of a score around its training cut-off in one cohort."""
        from radnb.plots.classification import plot_waterfall

        ids = self.cohort_ids(self.train if cohort is None else cohort)
        return plot_waterfall(
            self.score(name).loc[ids],
            self.y.loc[ids],
            threshold=self.thresholds_[name],
            ax=ax,
            **kws,
        )

    def __repr__(self) -> str:
        counts = self.table[self.split].value_counts()
        parts = [f"{self.cohorts[c]}={int(counts.get(c, 0))}" for c in self.cohorts]
        fitted = "fitted" if hasattr(self, "state_") else "not fitted"
        return (
            f"Study(outcome={self.outcome!r}, cohorts: {', '.join(parts)}; "
            f"blocks={list(self.blocks)}, signatures={list(self._signatures)}, "
            f"models={list(self._models)}; {fitted})"
        )
