"""Net reclassification improvement (NRI) and integrated discrimination
improvement (IDI) of a new risk model over an old one.

Estimates and standard errors are the asymptotic formulas of Pencina et al.
(2008, Stat Med 27:157; 2011, Stat Med 30:11) exactly as computed by
``Hmisc::improveProb`` and ``PredictABEL::reclassification``:

* NRI = (P(up | event) - P(down | event)) + (P(down | non-event) -
  P(up | non-event)); ``var = (n_up + n_down) / n^2 - (n_up - n_down)^2 / n^3``
  within events and within non-events, summed. "Up" is a move to a higher
  risk category (categorical NRI) or any increase of the risk (continuous
  NRI, ``cutoffs=None``); ties are no move.
* Categories as ``PredictABEL::reclassification``: ``cut(p, c(0, cutoffs, 1),
  right = FALSE, include.lowest = TRUE)``, so a risk equal to a cut-off falls
  into the higher category.
* IDI = mean(p_new - p_old | events) - mean(p_new - p_old | non-events);
  ``var = var(d | events) / n_events + var(d | non-events) / n_non-events``.

CIs are Wald (``estimate +- z * se``) with a two-sided normal p, or, with
``method="bootstrap"``, percentiles of a stratified bootstrap (then ``se``
is the bootstrap SD and ``p`` the asymptotic one).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from radnb.errors import InvalidParameterError
from radnb.evaluate._common import (
    align,
    as_binary,
    as_prob,
    need_both_classes,
    two_sided_p,
    z_quantile,
)
from radnb.evaluate._result import TestResult

__all__ = ["nri", "idi"]


def _inputs(y, p_old, p_new):
    y, p_old, p_new = align({"y": y, "p_old": p_old, "p_new": p_new})
    yy = as_binary(y)
    need_both_classes(yy, what="reclassification")
    po = as_prob(p_old, yy.size, name="p_old")
    pn = as_prob(p_new, yy.size, name="p_new")
    return yy, po, pn


def _categories(p: np.ndarray, cutoffs: np.ndarray) -> np.ndarray:
    return np.searchsorted(cutoffs, p, side="right")


def _nri_core(yy, mo, mn) -> dict:
    """mo, mn: the quantities compared (categories or risks)."""
    up = mn > mo
    down = mn < mo
    ev, ne = yy == 1, yy == 0
    na, nb = int(ev.sum()), int(ne.sum())
    up_ev, down_ev = int(up[ev].sum()), int(down[ev].sum())
    up_ne, down_ne = int(up[ne].sum()), int(down[ne].sum())
    nri_ev = (up_ev - down_ev) / na
    nri_ne = (down_ne - up_ne) / nb
    v_ev = (up_ev + down_ev) / na**2 - (up_ev - down_ev) ** 2 / na**3
    v_ne = (down_ne + up_ne) / nb**2 - (down_ne - up_ne) ** 2 / nb**3
    return {
        "estimate": nri_ev + nri_ne,
        "se": float(np.sqrt(max(v_ev + v_ne, 0.0))),
        "events": nri_ev,
        "nonevents": nri_ne,
        "se_events": float(np.sqrt(max(v_ev, 0.0))),
        "se_nonevents": float(np.sqrt(max(v_ne, 0.0))),
        "n_up_events": up_ev,
        "n_down_events": down_ev,
        "n_up_nonevents": up_ne,
        "n_down_nonevents": down_ne,
    }


def _idi_core(yy, po, pn) -> dict:
    d = pn - po
    ev, ne = yy == 1, yy == 0
    na, nb = int(ev.sum()), int(ne.sum())
    i_ev = float(d[ev].mean())
    i_ne = float(-d[ne].mean())
    v_ev = float(d[ev].var(ddof=1)) / na if na > 1 else 0.0
    v_ne = float(d[ne].var(ddof=1)) / nb if nb > 1 else 0.0
    return {
        "estimate": i_ev + i_ne,
        "se": float(np.sqrt(v_ev + v_ne)),
        "events": i_ev,
        "nonevents": i_ne,
        "se_events": float(np.sqrt(v_ev)),
        "se_nonevents": float(np.sqrt(v_ne)),
    }


def _finish(res: dict, level: float, method: str, boot=None) -> dict:
    z = z_quantile(level)
    est, se = res["estimate"], res["se"]
    if se > 0:
        zval = est / se
        p = two_sided_p(zval)
    else:
        zval = 0.0 if est == 0 else float(np.sign(est) * np.inf)
        p = 1.0 if est == 0 else 0.0
    out = {"estimate": float(est), "se": float(se)}
    if method == "asymptotic":
        out.update(lower=est - z * se, upper=est + z * se)
    else:
        a = (1 - level) / 2
        lo, hi = np.quantile(boot, [a, 1 - a])
        out.update(lower=float(lo), upper=float(hi), se=float(np.std(boot, ddof=1)))
    out.update(z=float(zval), p=float(p), level=level, method=method)
    out.update({k: v for k, v in res.items() if k not in ("estimate", "se")})
    return out


def _as_result(out: dict) -> TestResult:
    """The dict of :func:`_finish` as a TestResult whose keys read as the dict did."""
    details = {k: v for k, v in out.items() if k not in ("z", "p", "method")}
    return TestResult(
        out["z"],
        float("inf"),
        out["p"],
        out["method"],
        details,
        stat_name="z",
        keys_order=tuple(out),
    )


def _bootstrap(fn, yy, po, pn, n_boot, random_state) -> np.ndarray:
    if n_boot < 2:
        raise InvalidParameterError(f"n_boot must be >= 2, got {n_boot}")
    rng = np.random.default_rng(random_state)
    ev = np.flatnonzero(yy == 1)
    ne = np.flatnonzero(yy == 0)
    reps = np.empty(n_boot)
    for b in range(n_boot):
        idx = np.r_[rng.choice(ev, ev.size), rng.choice(ne, ne.size)]
        reps[b] = fn(yy[idx], po[idx], pn[idx])["estimate"]
    return reps


def _check_method(method: str) -> None:
    if method not in ("asymptotic", "bootstrap"):
        raise InvalidParameterError(f"method must be 'asymptotic' or 'bootstrap', got {method!r}")


def nri(
    y,
    p_old,
    p_new,
    *,
    cutoffs: Sequence[float] | None = None,
    level: float = 0.95,
    method: str = "asymptotic",
    n_boot: int = 1000,
    random_state: int | None = 0,
) -> TestResult:
    """Net reclassification improvement of ``p_new`` over ``p_old``.

    Parameters
    ----------
    y : array of 0/1 or bool
    p_old, p_new : arrays of predicted risks in [0, 1]
    cutoffs : sequence of float, optional
        Risk cut-offs strictly inside (0, 1) for the categorical NRI (e.g.
        ``[0.1, 0.3]``); ``None`` gives the continuous (category-free) NRI.
    level : float
    method : {"asymptotic", "bootstrap"}
        Wald CI from Pencina's SE, or stratified-bootstrap percentile CI.
    n_boot, random_state : bootstrap settings.

    Returns
    -------
    TestResult
        ``statistic`` (z), ``p``, ``method`` and the keys of the former dict:
        ``estimate, se, lower, upper, z, p, level, method, events, nonevents,
        se_events, se_nonevents`` (the event and non-event components),
        the up/down counts, ``cutoffs`` and, for the categorical NRI,
        ``table``: the reclassification table (old x new category) for events
        and non-events.

    Examples
    --------
    >>> r = nri([1, 1, 0, 0], [0.2, 0.5, 0.4, 0.3], [0.3, 0.4, 0.2, 0.2])
    >>> r["events"], r["nonevents"], r["estimate"]
    (0.0, 1.0, 1.0)
    """
    _check_method(method)
    yy, po, pn = _inputs(y, p_old, p_new)
    if cutoffs is None:
        cuts = None

        def fn(a, b, c):
            return _nri_core(a, b, c)
    else:
        cuts = np.sort(np.asarray(cutoffs, dtype=float).reshape(-1))
        if cuts.size == 0 or np.any((cuts <= 0) | (cuts >= 1)):
            raise InvalidParameterError(
                "cutoffs must be risks strictly between 0 and 1, e.g. [0.1, 0.3]"
            )

        def fn(a, b, c):
            return _nri_core(a, _categories(b, cuts), _categories(c, cuts))

    res = fn(yy, po, pn)
    boot = _bootstrap(fn, yy, po, pn, n_boot, random_state) if method == "bootstrap" else None
    out = _finish(res, level, method, boot)
    out["cutoffs"] = None if cuts is None else cuts.tolist()
    if cuts is not None:
        edges = np.r_[0.0, cuts, 1.0]
        labels = [
            f"[{edges[i]:g}, {edges[i + 1]:g}{']' if i == cuts.size else ')'}"
            for i in range(cuts.size + 1)
        ]
        co = pd.Categorical.from_codes(_categories(po, cuts), labels)
        cn = pd.Categorical.from_codes(_categories(pn, cuts), labels)
        out["table"] = pd.crosstab(
            [
                pd.Series(np.where(yy == 1, "event", "non-event"), name="outcome"),
                pd.Series(co, name="old"),
            ],
            pd.Series(cn, name="new"),
            dropna=False,
        )
    return _as_result(out)


def idi(
    y,
    p_old,
    p_new,
    *,
    level: float = 0.95,
    method: str = "asymptotic",
    n_boot: int = 1000,
    random_state: int | None = 0,
) -> TestResult:
    """Integrated discrimination improvement of ``p_new`` over ``p_old``.

    IDI = (mean new - mean old risk among events) - (same among non-events),
    i.e. the gain in discrimination slope (Pencina 2008). Asymptotic SE as
    ``Hmisc::improveProb`` (or a stratified bootstrap with
    ``method="bootstrap"``).

    Returns
    -------
    TestResult
        ``statistic`` (z), ``p``, ``method`` and the keys of the former dict:
        ``estimate, se, lower, upper, z, p, level, method, events, nonevents,
        se_events, se_nonevents``; ``events`` is the mean risk increase among
        events ("improveSens"), ``nonevents`` the mean decrease among
        non-events ("improveSpec").

    Examples
    --------
    >>> r = idi([1, 1, 0, 0], [0.5, 0.5, 0.5, 0.5], [0.7, 0.9, 0.2, 0.4])
    >>> round(r["events"], 6), round(r["nonevents"], 6), round(r["estimate"], 6)
    (0.3, 0.2, 0.5)
    """
    _check_method(method)
    yy, po, pn = _inputs(y, p_old, p_new)
    res = _idi_core(yy, po, pn)
    boot = (
        _bootstrap(_idi_core, yy, po, pn, n_boot, random_state) if method == "bootstrap" else None
    )
    return _as_result(_finish(res, level, method, boot))
