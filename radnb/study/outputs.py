"""What a fitted Study gives back: scores, probabilities, AUCs, risk-group cut-offs.

Everything that is learnt here is learnt on the training patients only and
applied unchanged to the other cohorts: the score direction of an AUC, and
the cut-off(s) of risk groups (:meth:`OutputsMixin.cutoff`), so that no
notebook needs to filter ``split == "train"`` by hand.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from radnb.study import Study
>>> rng = np.random.default_rng(0)
>>> n = 120
>>> y = rng.integers(0, 2, n)
>>> table = pd.DataFrame({"split": np.where(np.arange(n) < 80, "train", "test"), "y": y},
...                      index=[f"P{i}" for i in range(n)])
>>> feats = pd.DataFrame(rng.normal(size=(n, 4)), index=table.index,
...                      columns=[f"f{i}" for i in range(4)])
>>> feats["f0"] += 1.5 * y
>>> study = Study(table, outcome="y").add_block("rad", feats)
>>> study = study.signature("Rad", "rad", steps=["lasso"], lasso={"n_lambdas": 20}).fit()
>>> study.scores("Rad").shape, study.probabilities().columns.tolist()
((120,), ['Rad'])
>>> groups = study.risk_groups("Rad")  # cut at the training median
>>> groups.loc[study.train_ids].value_counts().tolist()
[40, 40]
>>> est = study.auc("Rad", "test")  # the test AUC of results(), with its DeLong CI
>>> float(est.estimate) == float(study.results().loc[1, "auc"])
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from radnb.errors import InvalidParameterError, RadnbError

__all__ = ["OutputsMixin"]


def _deprecated(old: str, new: str) -> None:
    from radnb.evaluate._deprecate import warn_renamed

    warn_renamed(old, new, stacklevel=4)


class OutputsMixin:
    """Scores, probabilities, AUCs and risk groups of a fitted :class:`Study`."""

    def scores(self, name: str | None = None) -> pd.DataFrame | pd.Series:
        """Signature scores and model log-odds of every patient.

        Parameters
        ----------
        name : str, optional
            One signature or model: its scores as a Series (a signature's
            linear score, a model's log-odds). ``None``: every present one,
            a DataFrame with one column per name.
        """
        self._check_fitted()
        if name is None:
            return self.scores_.copy()
        self._known(name)
        return self.scores_[name].copy()

    def probabilities(self, name: str | None = None) -> pd.DataFrame | pd.Series:
        """Predicted risk of every patient (a signature's: ``expit`` of its score).

        ``name=None``: every present signature and model, one column each;
        otherwise one Series.
        """
        self._check_fitted()
        if name is None:
            return self.probabilities_.copy()
        self._known(name)
        return self.probabilities_[name].copy()

    def score(self, name: str) -> pd.Series:
        """Deprecated alias of :meth:`scores` with a name (will be removed)."""
        _deprecated("Study.score(name)", "Study.scores(name)")
        return self.scores(name)

    def predict_proba(self, name: str | None = None):
        """Deprecated alias of :meth:`probabilities` (will be removed)."""
        _deprecated("Study.predict_proba(name)", "Study.probabilities(name)")
        return self.probabilities(name)

    def _known(self, name) -> None:
        if name in getattr(self, "absent_", {}):
            raise RadnbError(f"model {name!r} is absent: {self.absent_[name]}")
        if name not in self.scores_:
            raise InvalidParameterError(
                f"unknown score {name!r}; known: {list(self.scores_.columns)}"
            )

    def _score_series(self, name: str | pd.Series) -> pd.Series:
        """A study output by name, or a score indexed by patient_id, aligned to the table."""
        if isinstance(name, pd.Series):
            s = name.copy()
            s.index = s.index.astype(str)
            if not s.index.isin(self.table.index).any():
                raise InvalidParameterError("the score shares no patient_id with the study table")
            return s.reindex(self.table.index).astype(float)
        return self.scores(name)

    def _training_split(self) -> pd.Index:
        return self.table.index[self.table[self.split] == self.train]

    def cutoff(
        self,
        name: str | pd.Series,
        method: Any = "median",
        *,
        time_col: str | None = None,
        event_col: str | None = None,
        **kws,
    ):
        """Risk-group cut-off(s) of a score, fitted on the training patients only.

        Parameters
        ----------
        name : str or Series
            A signature or model (its :meth:`scores`), or any score indexed by
            ``patient_id`` (e.g. a Cox prognostic index).
        method : "median", "tertiles", "quantiles", "maxstat" or a number
            See :func:`radnb.evaluate.survival.cutoff`.
        time_col, event_col : str, optional
            Survival columns of the study table; needed by ``"maxstat"``.
        **kws
            ``quantiles``, ``labels``, ``minprop``, ``maxprop``, ``pmethod``.

        Returns
        -------
        Cutoff
            Fitted on every training patient with a score (and, with survival
            columns, a known time and event; the binary outcome may be
            missing). Apply it with ``.assign``, or use :meth:`risk_groups`.
        """
        from radnb.evaluate.survival import cutoff

        self._check_fitted()
        s = self._score_series(name).loc[self._training_split()]
        cols = [c for c in (time_col, event_col) if c is not None]
        for c in cols:
            if c not in self.table.columns:
                raise InvalidParameterError(f"cutoff: no column {c!r} in the study table")
        d = pd.concat([s.rename("score"), self.table.loc[s.index, cols]], axis=1)
        d = d.apply(pd.to_numeric, errors="coerce").dropna()
        if d.empty:
            raise RadnbError("cutoff: no training patient has a score (and survival data)")
        time = d[time_col] if time_col else None
        event = d[event_col] if event_col else None
        return cutoff(d["score"], time, event, method=method, **kws)

    def risk_groups(
        self,
        name: str | pd.Series,
        method: Any = "median",
        *,
        cohort: Any = None,
        time_col: str | None = None,
        event_col: str | None = None,
        **kws,
    ) -> pd.Series:
        """Risk group of every patient (or one cohort's) at the training cut-off(s).

        The cut-off is :meth:`cutoff` (fitted on training patients only);
        arguments as there. Returns an ordered categorical Series named
        ``risk_group`` indexed by ``patient_id`` (missing where the score is).
        ``cohort``: only that split value's patients (outcome known or not).
        """
        cut = self.cutoff(name, method, time_col=time_col, event_col=event_col, **kws)
        s = self._score_series(name)
        if cohort is not None:
            s = s.loc[self.table.index[self.table[self.split] == self._cohort_value(cohort)]]
        return pd.Series(cut.assign(s), index=s.index, name="risk_group")

    def auc(self, name: str, cohort: Any = None, *, level: float = 0.95):
        """AUC with its DeLong CI in one cohort (default: training), as in :meth:`results`.

        The score direction is the one fixed on the training cohort
        (``directions_``), never re-chosen on the cohort evaluated. Patients
        with a missing score or outcome are left out.

        Returns
        -------
        Estimate
            From :func:`radnb.evaluate.auc_ci`; unpacks as ``auc, lower, upper``.
        """
        from radnb.evaluate import auc_ci

        s = self.scores(name)
        ids = self.cohort_ids(self.train if cohort is None else cohort)
        s = s.loc[ids]
        ok = np.isfinite(s.to_numpy(dtype=float))
        y = self.y.loc[ids][ok]
        if y.nunique() < 2:
            raise RadnbError(f"auc: cohort {cohort!r} does not have both outcome classes")
        return auc_ci(y, s[ok], direction=self.directions_[name], level=level)
