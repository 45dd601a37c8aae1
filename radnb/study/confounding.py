"""Confounding by centre: does a score predict the centre rather than the outcome?

When the outcome is tied to the centre (referral patterns, one centre's
histology mix) and the images carry the centre (scanner, protocol), a score
can reach a good pooled AUC by recognising the centre. The check shows, per
score and cohort, the score's AUC for predicting the centre and the outcome
AUC within each centre, and flags the pattern "predicts the centre well, and
the outcome AUC falls inside the centres". :class:`~radnb.study.Study` runs it
from :meth:`Study.results` whenever the study has a centre column.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["ConfoundingMixin", "CENTRE_NAMES", "confounding_table"]

#: Column names recognised as a centre / batch / scanner column (case-insensitive).
#: Not "site": in clinical tables it is as often the tumour site; pass centre="site".
CENTRE_NAMES = (
    "centre",
    "center",
    "institution",
    "hospital",
    "batch",
    "scanner",
    "vendor",
    "manufacturer",
)


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    """Mann-Whitney AUC of score ``s`` for 0/1 ``y`` (higher score = event)."""
    from scipy.stats import rankdata

    pos = y == 1
    n1, n0 = int(pos.sum()), int((~pos).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = rankdata(s)
    return float((r[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _centre_auc(centre: pd.Series, s: np.ndarray) -> float:
    """How well ``s`` separates the centres: direction-free AUC, mean over pairs
    of centres (Hand & Till 2001, with either direction per pair)."""
    values = list(pd.unique(centre))
    if len(values) < 2:
        return float("nan")
    c = centre.to_numpy()
    aucs = []
    for i, u in enumerate(values):
        for v in values[i + 1 :]:
            m = (c == u) | (c == v)
            a = _auc((c[m] == u).astype(int), s[m])
            aucs.append(max(a, 1 - a))
    return float(np.mean(aucs))


def confounding_table(
    y: pd.Series,
    scores: pd.DataFrame,
    centre: pd.Series,
    *,
    directions: dict[str, str] | None = None,
    centre_auc_threshold: float = 0.75,
    drop_threshold: float = 0.1,
) -> pd.DataFrame:
    """Per score: AUC for the centre, pooled outcome AUC, outcome AUC per centre.

    Parameters
    ----------
    y : Series of 0/1, the outcome.
    scores : DataFrame, one column per score (same index as ``y``).
    centre : Series, the centre / batch / scanner of each patient.
    directions : score name -> ``"<"`` or ``">"`` (fixed on training; ``">"``
        means a lower score is the event). Default ``"<"``.
    centre_auc_threshold, drop_threshold : float
        ``confounded`` is True when the score's centre AUC is at least
        ``centre_auc_threshold`` and the (size-weighted) mean outcome AUC within
        the centres is at least ``drop_threshold`` below the pooled AUC.

    Returns
    -------
    DataFrame
        One row per score: ``model, n, centre_auc, outcome_auc, within_auc,
        drop, confounded`` and ``auc[<centre>]``, ``n[<centre>]`` per centre.
        Centres with one outcome class only get NaN AUC and no weight.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> centre = pd.Series(np.repeat(["A", "B"], 100))
    >>> y = pd.Series((rng.uniform(size=200) < np.where(centre == "A", 0.8, 0.2)).astype(int))
    >>> s = pd.DataFrame({"rad": (centre == "A") * 2.0 + rng.normal(size=200)})
    >>> t = confounding_table(y, s, centre)
    >>> bool(t.loc[0, "confounded"]), bool(t.loc[0, "centre_auc"] > 0.8)
    (True, True)
    """
    directions = directions or {}
    ok_c = centre.notna() & y.notna()
    values = list(pd.unique(centre[ok_c]))
    rows = []
    for name in scores.columns:
        sign = -1.0 if directions.get(name, "<") == ">" else 1.0
        s = scores[name]
        ok = ok_c & s.notna()
        yy, ss, cc = y[ok].to_numpy().astype(int), sign * s[ok].to_numpy(), centre[ok]
        row = {
            "model": name,
            "n": int(ok.sum()),
            "centre_auc": _centre_auc(cc, ss),
            "outcome_auc": _auc(yy, ss),
        }
        within, weights = [], []
        for v in values:
            m = (cc == v).to_numpy()
            a = _auc(yy[m], ss[m])
            row[f"auc[{v}]"] = a
            row[f"n[{v}]"] = int(m.sum())
            if np.isfinite(a):
                within.append(a)
                weights.append(m.sum())
        row["within_auc"] = float(np.average(within, weights=weights)) if within else np.nan
        row["drop"] = row["outcome_auc"] - row["within_auc"]
        row["confounded"] = bool(
            np.isfinite(row["centre_auc"])
            and row["centre_auc"] >= centre_auc_threshold
            and np.isfinite(row["drop"])
            and row["drop"] >= drop_threshold
        )
        rows.append(row)
    cols = ["model", "n", "centre_auc", "outcome_auc", "within_auc", "drop", "confounded"]
    out = pd.DataFrame(rows)
    return out[cols + [c for c in out.columns if c not in cols]]


class ConfoundingMixin:
    """:meth:`confounding` and the centre-column lookup for :class:`Study`."""

    def centre_column(self) -> str | None:
        """The study's centre column: ``Study(centre=...)``, else one named as in
        :data:`CENTRE_NAMES` (case-insensitive), else None."""
        explicit = getattr(self, "centre", None)
        if explicit is not None:
            return explicit
        lower = {str(c).lower(): c for c in self.table.columns}
        for name in CENTRE_NAMES:
            if name in lower and self.table[lower[name]].nunique() > 1:
                return lower[name]
        return None

    def confounding(
        self,
        column: str | None = None,
        *,
        cohorts: Sequence | None = None,
        models: Sequence[str] | None = None,
        centre_auc_threshold: float = 0.75,
        drop_threshold: float = 0.1,
    ) -> pd.DataFrame:
        """Does each score predict the centre, and does its AUC hold within centres?

        For every present score and cohort (and all cohorts pooled): the
        score's AUC for predicting the centre (direction-free; mean
        mean over pairs of centres with more than two), its outcome AUC pooled and
        within each centre (direction fixed on training), and ``confounded``
        when the first is at least ``centre_auc_threshold`` and the
        size-weighted within-centre AUC is ``drop_threshold`` or more below
        the pooled one. ``table.attrs["outcome_by_centre"]`` gives the event
        rate per centre and cohort (an outcome tied to centre is the other
        half of the story).

        Parameters
        ----------
        column : str, optional
            Centre / batch / scanner column; default :meth:`centre_column`.
        cohorts, models : restrict the table (default: every cohort, every
            present score).
        """
        from radnb.errors import InvalidParameterError

        self._check_fitted()
        column = column or self.centre_column()
        if column is None:
            raise InvalidParameterError(
                "no centre column: pass confounding(column=...) or Study(..., centre=...); "
                f"recognised names: {list(CENTRE_NAMES)}"
            )
        if column not in self.table.columns:
            raise InvalidParameterError(f"centre column {column!r} not in the study table")
        names = [n for n in (models or self.outputs) if n not in self.absent_]
        parts, rates = [], []
        groups = [(self.cohorts[self._cohort_value(c)], self.cohort_ids(c)) for c in (
            cohorts if cohorts is not None else self.cohorts
        )]  # fmt: skip
        if cohorts is None and len(groups) > 1:
            allids = pd.Index([]).append([ids for _, ids in groups])
            groups.append(("all", allids))
        centre = self.table[column]
        for label, ids in groups:
            if not len(ids):
                continue
            t = confounding_table(
                self.y.loc[ids],
                self.scores_.loc[ids, names],
                centre.loc[ids],
                directions=self.directions_,
                centre_auc_threshold=centre_auc_threshold,
                drop_threshold=drop_threshold,
            )
            t.insert(1, "cohort", label)
            parts.append(t)
            r = self.y.loc[ids].groupby(centre.loc[ids]).agg(["size", "mean"])
            rates.append(r.rename(columns={"size": "n", "mean": "event_rate"}).assign(cohort=label))
        out = pd.concat(parts, ignore_index=True)
        out.attrs["centre_column"] = column
        out.attrs["outcome_by_centre"] = pd.concat(rates).rename_axis(column).reset_index()
        return out

    def _confounding_warning(self) -> str | None:
        """Run the check quietly; warn (and return the note) if a score is flagged."""
        column = self.centre_column()
        if column is None or self.table[column].nunique() < 2:
            return None
        try:
            tab = self.confounding(column)
        except Exception:  # noqa: BLE001 - the check must never break results()
            return None
        bad = tab[tab["confounded"]]
        if bad.empty:
            return None
        worst = bad.sort_values("drop", ascending=False).iloc[0]
        msg = (
            f"possible confounding by {column!r}: {', '.join(pd.unique(bad['model']))} "
            f"predict(s) the {column} (e.g. {worst['model']} in {worst['cohort']}: centre AUC "
            f"{worst['centre_auc']:.2f}) and the outcome AUC falls within each {column} "
            f"({worst['outcome_auc']:.2f} pooled, {worst['within_auc']:.2f} within); "
            "see study.confounding() and study.results(by=...)"
        )
        warnings.warn(msg, stacklevel=3)
        return msg
