"""Cross-fitting (stacking) for models built on fitted signatures.

A combined model such as DLCS (DL score + Rad score + clinical) is a second
stage fitted on signature scores. Fitted naively, those scores are the
training fit's own predictions on the rows it was fitted on, so they
separate the classes better than they will on new patients and the second
stage trusts them too much: its coefficients are too large and its risks too
extreme on the test cohort (calibration slope below 1, a large
Hosmer-Lemeshow statistic).

Cross-fitting (Wolpert 1992, "stacked generalization"; Chernozhukov et al.
2018) gives the second stage *out-of-fold* scores instead: the training rows
are split into K stratified folds, the whole selection chain of every input
signature (filters, mRMR, LASSO with its own CV) is refitted on K-1 folds and
scores the held-out fold. The second stage is fitted on those scores; the
signatures used for every cohort (training included) stay the ones fitted on
all training rows. Only training rows are ever split, scored or fitted on.

Used by :meth:`radnb.study.Study.model` (``crossfit=K``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from radnb.errors import InvalidParameterError, RadnbError

__all__ = ["crossfit_folds", "out_of_fold_scores", "crossfit_state", "check_crossfit"]


def check_crossfit(value) -> int | None:
    """Normalise a ``crossfit`` option: None/False/0 -> None, True -> 5, int >= 2 -> int.

    Examples
    --------
    >>> check_crossfit(True), check_crossfit(None), check_crossfit(10)
    (5, None, 10)
    """
    if value is None or value is False or value == 0:
        return None
    if value is True:
        return 5
    if isinstance(value, (int, np.integer)) and value >= 2:
        return int(value)
    raise InvalidParameterError(
        f"crossfit must be None, True or a number of folds >= 2, got {value!r}"
    )


def crossfit_folds(
    ids: Sequence[str], y: pd.Series, n_splits: int, random_state: int | None
) -> list[pd.Index]:
    """Stratified held-out folds over the *unique* training ids.

    Bootstrap resamples repeat ids: every copy of a patient lands in the same
    fold, so no patient is both fitted on and scored.

    Examples
    --------
    >>> ids = [f"P{i}" for i in range(10)]
    >>> y = pd.Series([0, 1] * 5, index=ids)
    >>> folds = crossfit_folds(ids, y, 5, 0)
    >>> len(folds), sorted(sum((list(f) for f in folds), [])) == sorted(ids)
    (5, True)
    """
    from sklearn.model_selection import StratifiedKFold

    u = pd.Index(ids).unique()
    yu = y.loc[u].to_numpy().astype(int)
    k = min(n_splits, int(np.bincount(yu, minlength=2).min()))
    if k < 2:
        raise RadnbError(
            f"cross-fitting needs at least 2 patients of each class; got {np.bincount(yu)}"
        )
    cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=random_state)
    return [u[held] for _, held in cv.split(np.zeros(len(u)), yu)]


def out_of_fold_scores(
    study,
    ids: Sequence[str],
    signatures: Sequence[str],
    *,
    n_splits: int = 5,
    resample: bool = False,
) -> tuple[pd.DataFrame, list[str]]:
    """Out-of-fold scores of ``signatures`` on the training rows ``ids``.

    For each fold, every signature's whole chain is refitted on the other
    folds' rows (with repeats, as given) and scores the held-out patients.
    A fold whose selection keeps nothing scores its patients with the fold's
    intercept-only log-odds (glmnet's null model), and says so in the notes.

    Returns
    -------
    (DataFrame indexed by the unique ids, one column per signature; notes)
    """
    from radnb.study._state import _EmptySignature

    ids = pd.Index(ids)
    u = ids.unique()
    out = pd.DataFrame(np.nan, index=u, columns=list(signatures))
    notes: list[str] = []
    for held in crossfit_folds(ids, study.y, n_splits, study.random_state):
        fit_ids = ids[~ids.isin(held)]
        for name in signatures:
            spec = study._signatures[name]
            try:
                sig = study._fit_signature(name, spec, fit_ids, resample=True)
                out.loc[held, name] = sig.score(study.blocks[spec.block].loc[held]).to_numpy()
            except _EmptySignature:
                p = float(np.clip(study.y.loc[fit_ids].mean(), 1e-6, 1 - 1e-6))
                out.loc[held, name] = np.log(p / (1 - p))
                notes.append(f"{name}: a cross-fitting fold kept no feature (constant score)")
    if resample:
        notes = []  # quiet inside internal-validation resamples
    return out, sorted(set(notes))


def crossfit_state(
    study, state, ids: Sequence[str], n_splits: int, cache: dict, *, resample: bool = False
) -> tuple[Any, list[str]]:
    """A copy of ``state`` whose scores of its signatures on ``ids`` are out of fold.

    ``cache`` (one per fit) keeps each signature's out-of-fold scores per
    ``n_splits``, so several cross-fitted models share them (the folds depend
    only on the ids, the labels and ``random_state``).
    """
    names = list(state.signatures)
    todo = [n for n in names if (n_splits, n) not in cache]
    if todo:
        oof, notes = out_of_fold_scores(study, ids, todo, n_splits=n_splits, resample=resample)
        for n in todo:
            cache[n_splits, n] = (oof[n], [t for t in notes if t.startswith(f"{n}:")])
    scores = state.signature_scores.copy()
    notes = []
    for n in names:
        col, why = cache[n_splits, n]
        scores.loc[col.index, n] = col.to_numpy()
        notes += why
    return state.replace(signature_scores=scores), notes
