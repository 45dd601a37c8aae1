"""Cox partial-likelihood engine as R survival 3.x ``coxph`` and ``cox.zph``.

Private. :func:`coxph` fits by Newton-Raphson with step halving and R's
stopping rule (``coxph.control(eps = 1e-9, iter.max = 20)``: stop when the
relative change of the log partial likelihood is at most ``eps``), with Efron
or Breslow ties and strata, so the iterates are R's own. :func:`zph` is the
exact score test of ``cox.zph`` in survival >= 3.0 (Grambsch & Therneau's
test of ``beta(t) = beta + theta * g(t)``, evaluated at ``(beta_hat, 0)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from radnb.errors import InvalidParameterError

__all__: list[str] = []

TIES = ("efron", "breslow")
TRANSFORMS = ("km", "identity", "rank", "log")


@dataclass
class _Risk:
    """Sorted data and the event-time blocks of a (stratified) Cox model."""

    x: np.ndarray  # (n, p) centred covariates, sorted by stratum then time descending
    dead: np.ndarray  # (n,) bool
    time: np.ndarray  # (n,)
    block: np.ndarray  # (n,) id of the (stratum, time) block
    ev_block: np.ndarray  # (m,) blocks with at least one death
    ev_end: np.ndarray  # (m,) last sorted index of each of those blocks
    ev_start: np.ndarray  # (m,) first sorted index of its stratum
    ev_d: np.ndarray  # (m,) deaths in the block
    ev_d_rows: np.ndarray  # (m,) rows (dead or censored) in the block
    rep: np.ndarray  # (total deaths,) event block of each Efron term
    frac: np.ndarray  # (total deaths,) j / d (Efron) or 0 (Breslow)
    order: np.ndarray  # sorted position -> original row


def risk_sets(x, time, event, strata=None, ties: str = "efron") -> _Risk:
    if ties not in TIES:
        raise InvalidParameterError(f"ties must be 'efron' or 'breslow' (as R coxph), not {ties!r}")
    t = np.asarray(time, float)
    e = np.asarray(event).astype(bool)
    g = np.zeros(t.size, int) if strata is None else pd.factorize(np.asarray(strata))[0]
    order = np.lexsort((-t, g))
    x, t, e, g = x[order], t[order], e[order], g[order]
    new = np.r_[True, (g[1:] != g[:-1]) | (t[1:] != t[:-1])]
    block = np.cumsum(new) - 1
    nb = int(block[-1]) + 1
    end = np.r_[np.flatnonzero(new)[1:] - 1, t.size - 1]
    sstart = np.r_[True, g[1:] != g[:-1]]
    first_of_stratum = np.maximum.accumulate(np.where(sstart, np.arange(t.size), 0))
    d = np.bincount(block, weights=e, minlength=nb).astype(int)
    ev_block = np.flatnonzero(d > 0)
    ev_d = d[ev_block]
    ev_end = end[ev_block]
    rows = np.bincount(block, minlength=nb)[ev_block]
    rep = np.repeat(np.arange(ev_block.size), ev_d)
    if ties == "efron":
        offs = np.concatenate([np.arange(k) for k in ev_d]) if ev_d.size else np.zeros(0)
        frac = offs / np.repeat(ev_d, ev_d)
    else:
        frac = np.zeros(rep.size)
    return _Risk(
        x=x,
        dead=e,
        time=t,
        block=block,
        ev_block=ev_block,
        ev_end=ev_end,
        ev_start=first_of_stratum[ev_end],
        ev_d=ev_d,
        ev_d_rows=rows,
        rep=rep,
        frac=frac,
        order=order,
    )


def _window(c: np.ndarray, r: _Risk) -> np.ndarray:
    """Sums over the risk set of each event block from cumulative sums ``c``."""
    lead = np.concatenate([np.zeros((1,) + c.shape[1:]), c])
    return lead[r.ev_end + 1] - lead[r.ev_start]


def derivs(beta: np.ndarray, r: _Risk, *, full: bool = False):
    """Log partial likelihood, score and information at ``beta``.

    With ``full`` also the per-term means and variances (for ``cox.zph``) and
    the per-block Schoenfeld sums.
    """
    x = r.x
    eta = x @ beta
    c = eta.max() if eta.size else 0.0
    w = np.exp(eta - c)
    xw = x * w[:, None]
    s0 = _window(np.cumsum(w), r)
    s1 = _window(np.cumsum(xw, axis=0), r)
    s2 = _window(np.cumsum(xw[:, :, None] * x[:, None, :], axis=0), r)
    # sums over the dead of each event block (blocks are contiguous once sorted)
    starts = r.ev_end - r.ev_d_rows + 1
    dead = r.dead.astype(float)
    d0 = np.add.reduceat(w * dead, starts)
    dxw = xw * dead[:, None]
    d1 = np.add.reduceat(dxw, starts, axis=0)
    sx = np.add.reduceat(x * dead[:, None], starts, axis=0)
    d2 = np.add.reduceat(dxw[:, :, None] * x[:, None, :], starts, axis=0)
    f = r.frac
    k = r.rep
    a0 = s0[k] - f * d0[k]
    a1 = s1[k] - f[:, None] * d1[k]
    a2 = s2[k] - f[:, None, None] * d2[k]
    mean = a1 / a0[:, None]
    var = a2 / a0[:, None, None] - mean[:, :, None] * mean[:, None, :]
    loglik = float(np.sum(np.where(r.dead, eta - c, 0.0)) - np.sum(np.log(a0)))
    u = sx.sum(axis=0) - mean.sum(axis=0)
    imat = var.sum(axis=0)
    if not full:
        return loglik, u, imat
    resid = sx - np.add.reduceat(mean, np.r_[0, np.cumsum(r.ev_d)[:-1]], axis=0)
    return loglik, u, imat, var, resid


@dataclass
class CoxResult:
    """Raw result of :func:`coxph` (coefficients on the original scale)."""

    coef: np.ndarray
    var: np.ndarray
    loglik: float
    loglik0: float
    iterations: int
    converged: bool
    infinite: np.ndarray  # coefficients that may be infinite (R's toler.inf rule)
    means: np.ndarray
    risk: _Risk = field(repr=False)
    score_at_fit: np.ndarray = field(repr=False)


def coxph(
    x: np.ndarray,
    time,
    event,
    strata=None,
    *,
    ties: str = "efron",
    eps: float = 1e-9,
    iter_max: int = 20,
) -> CoxResult:
    """Newton-Raphson as survival's ``coxfit6`` (same iterates, same stopping rule)."""
    x = np.asarray(x, float)
    means = x.mean(axis=0)
    r = risk_sets(x - means, time, event, strata, ties)
    p = x.shape[1]
    beta = np.zeros(p)
    lk0, u, imat = derivs(beta, r)
    newbeta = beta + _solve(imat, u)
    oldlk = lk0
    halving = False
    converged = False
    it = 0
    for it in range(1, iter_max + 1):
        newlk, u, imat = derivs(newbeta, r)
        rel = abs(1 - oldlk / newlk) if newlk != 0 else abs(oldlk - newlk)
        if rel <= eps and not halving:
            converged = True
            break
        if it == iter_max:
            break
        if newlk < oldlk or not np.isfinite(newlk):
            halving = True
            newbeta = (newbeta + beta) / 2
        else:
            halving = False
            oldlk = newlk
            beta = newbeta
            newbeta = newbeta + _solve(imat, u)
    var = _inverse(imat)
    coef = newbeta
    step = np.abs(u @ var)
    infinite = (step > eps) & (step > np.sqrt(eps) * np.abs(coef)) if converged else step > eps
    return CoxResult(
        coef=coef,
        var=var,
        loglik=float(newlk),
        loglik0=float(lk0),
        iterations=it,
        converged=converged,
        infinite=infinite,
        means=means,
        risk=r,
        score_at_fit=u,
    )


def _solve(imat: np.ndarray, u: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(imat, u)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(imat, u, rcond=None)[0]


def _inverse(imat: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(imat)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(imat)


def _km_left(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """1 - S(t-) of the pooled Kaplan-Meier curve (``cox.zph``'s "km" transform)."""
    ut = np.unique(time)
    n_risk = np.array([np.sum(time >= s) for s in ut], float)
    n_ev = np.array([np.sum((time == s) & event) for s in ut], float)
    surv = np.cumprod(1 - n_ev / n_risk)
    idx = np.searchsorted(ut, time, side="left")  # number of distinct times < t
    return 1.0 - np.r_[1.0, surv][idx]


def transform_time(time, event, transform: str) -> np.ndarray:
    from scipy.stats import rankdata

    t = np.asarray(time, float)
    e = np.asarray(event).astype(bool)
    if transform == "km":
        return _km_left(t, e)
    if transform == "identity":
        return t
    if transform == "rank":
        return rankdata(t)
    if transform == "log":
        return np.log(t)
    raise InvalidParameterError(
        f"transform must be one of {TRANSFORMS} (as R cox.zph), not {transform!r}"
    )


def zph(fit: CoxResult, time, event, terms: dict[str, list[int]], *, transform: str = "km"):
    """Score test of proportional hazards, as R survival >= 3.0 ``cox.zph``.

    ``terms`` maps a term name to its column indices (one entry per column
    gives R's ``terms = FALSE``). Returns a DataFrame indexed by term and
    ``GLOBAL`` with chisq, df, p.
    """
    from scipy.stats import chi2

    r = fit.risk
    e = np.asarray(event).astype(bool)
    tt = transform_time(time, event, transform)
    gtime = tt - tt[e].mean()
    g_sorted = gtime[r.order]
    # every death of a block shares its time, so one g per event block
    g = g_sorted[r.ev_end]
    _, _, _, var, resid = derivs(fit.coef, r, full=True)
    p = r.x.shape[1]
    gk = g[r.rep]
    imat = np.zeros((2 * p, 2 * p))
    imat[:p, :p] = var.sum(axis=0)
    imat[:p, p:] = imat[p:, :p] = np.einsum("k,kij->ij", gk, var)
    imat[p:, p:] = np.einsum("k,kij->ij", gk**2, var)
    u2 = g @ resid
    rows = {}
    for name, cols in terms.items():
        cols = list(cols)
        kk = list(range(p)) + [p + c for c in cols]
        u = np.r_[np.zeros(p), u2[cols]]
        stat = float(u @ np.linalg.solve(imat[np.ix_(kk, kk)], u))
        rows[name] = (stat, len(cols))
    u = np.r_[np.zeros(p), u2]
    rows["GLOBAL"] = (float(u @ np.linalg.solve(imat, u)), p)
    out = pd.DataFrame(rows, index=["chisq", "df"]).T
    out["df"] = out["df"].astype(int)
    out["p"] = chi2.sf(out["chisq"], out["df"])
    out.index.name = "term"
    out.attrs["transform"] = transform
    return out
