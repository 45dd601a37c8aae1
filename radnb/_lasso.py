"""L1-penalised logistic regression path with glmnet's conventions, solved fast.

The problem, path and stopping rules of R's ``glmnet(x, y, family =
"binomial")`` (Friedman, Hastie & Tibshirani 2010, J Stat Softw 33(1)):
features standardised with population SDs, an unpenalised intercept,
``nlambda`` log-spaced lambdas from lambda_max down to ``lambda.min.ratio``
x lambda_max, and the automatic path stops early (after at least 5 lambdas)
when the fraction of deviance explained grows by less than ``1e-5`` or
exceeds ``0.999``. Solved as glmnet's ``lognet`` is organised: warm starts
along the path, the sequential strong rule (Tibshirani et al. 2012, JRSS-B
74:245) to pick the features worth visiting with a KKT check on the rest,
and one quadratic (IRLS / proximal Newton) approximation after another
until ``xv_j * delta_j**2 < thresh * null_deviance`` for every coefficient
(glmnet's test, ``thresh = 1e-7``). Where glmnet runs coordinate descent on
each quadratic, an active-set method solves it exactly (a few small linear
solves), with step halving as a safeguard: on near-separable data, where
coordinate descent grinds for tens of thousands of passes and glmnet stops
short, this reaches a lower objective in a fraction of the time
(benchmarks/bench_lasso.py). tests/test_lasso_glmnet.py checks lambda_max,
the path length, lambda.min / lambda.1se and the coefficients against R.

Private: :class:`radnb.select.LassoSelector` is the public interface.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["LognetPath", "lognet_path", "PMIN"]

#: glmnet's ``pmin``: fitted probabilities are kept within [pmin, 1 - pmin].
PMIN = 1e-9
_FDEV = 1e-5  # glmnet.control(fdev)
_DEVMAX = 0.999  # glmnet.control(devmax)
_MNLAM = 5  # glmnet.control(mnlam)
_EPS = 1e-6  # glmnet.control(eps): smallest lambda.min.ratio


@dataclass(frozen=True)
class LognetPath:
    """One fitted path.

    Attributes
    ----------
    lambdas : ndarray, decreasing (glmnet's ``lambda``; the first is lambda_max).
    intercept, coef : input-scale intercepts (n_lambda,) and coefficients (n_lambda, p).
    coef_std : coefficients on the standardised scale (n_lambda, p).
    dev_ratio : fraction of the null deviance explained (glmnet's ``dev.ratio``).
    null_dev : null deviance per observation / 2 (glmnet's internal ``dev0``).
    mean, scale : the standardisation (population SD; 1 for constant columns).
    n_passes : Newton steps used over the whole path.
    """

    lambdas: np.ndarray
    intercept: np.ndarray
    coef: np.ndarray
    coef_std: np.ndarray
    dev_ratio: np.ndarray
    null_dev: float
    mean: np.ndarray
    scale: np.ndarray
    n_passes: int


def _lasso_qp(H: np.ndarray, c: np.ndarray, lam: float, b: np.ndarray) -> np.ndarray:
    """Exact minimiser of ``0.5 b'Hb - c'b + lam |b|_1`` by an active-set method.

    Feature-sign search (Lee, Battle, Raina & Ng 2007): with the signs of
    the non-zero coefficients fixed the problem is one linear system; moving
    towards its solution up to the first sign change keeps the objective
    decreasing (the coefficient that reaches zero leaves); a zero coefficient
    that violates its optimality condition enters by one exact coordinate
    step. From a warm start (the previous Newton step) this takes a few
    small linear solves and is exact to rounding, where coordinate descent
    stops at a tolerance.
    """
    b = b.copy()
    scale = lam + float(np.abs(c).max(initial=0.0))
    for _ in range(20 * (b.size + 1)):
        for _ in range(b.size + 2):  # feature-sign steps on the non-zero set
            act = np.flatnonzero(b)
            if not act.size:
                break
            theta = np.sign(b[act])
            if np.abs(H[act] @ b - c[act] + lam * theta).max() <= 1e-11 * scale:
                break
            haa = H[np.ix_(act, act)]
            rhs = c[act] - lam * theta
            try:
                new = np.linalg.solve(haa, rhs)
            except np.linalg.LinAlgError:
                new = np.linalg.lstsq(haa, rhs, rcond=None)[0]
            old = b[act]
            flip = np.sign(new) != theta
            if flip.any():
                ts = old[flip] / (old[flip] - new[flip])
                k = int(np.argmin(ts))
                t = float(ts[k])
                b[act] = old + t * (new - old)
                b[act[np.flatnonzero(flip)[k]]] = 0.0
            else:
                b[act] = new
        grad = H @ b - c
        zero = np.flatnonzero(b == 0)
        if not zero.size:
            return b
        i = int(zero[np.argmax(np.abs(grad[zero]))])
        if abs(grad[i]) <= lam * (1 + 1e-10):
            return b
        b[i] = -np.sign(grad[i]) * (abs(grad[i]) - lam) / H[i, i]
    return b


def _expit(eta: np.ndarray) -> np.ndarray:
    """Probabilities, 0 and 1 beyond glmnet's logit bounds (as ``lognet``)."""
    fmax = np.log(1.0 / PMIN - 1.0)
    q = 1.0 / (1.0 + np.exp(-np.clip(eta, -fmax, fmax)))
    q[eta < -fmax] = 0.0
    q[eta > fmax] = 1.0
    return q


def _objective(y, xt, b0, b, lam, w) -> float:
    """Penalised negative log-likelihood per observation (glmnet's objective)."""
    act = np.flatnonzero(b != 0)
    eta = b0 + b[act] @ xt[act] if act.size else np.full(y.size, b0)
    # log(1 + exp(eta)) - y * eta, stably
    nll = np.logaddexp(0.0, eta) - y * eta
    l1 = float(np.abs(b).sum())
    return float(w * nll.sum() + (lam * l1 if l1 else 0.0))


def _deviance(y: np.ndarray, q: np.ndarray, w: float) -> float:
    p = np.clip(q, PMIN, 1.0 - PMIN)
    return float(-w * np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))


def lognet_path(
    X: np.ndarray,
    y: np.ndarray,
    *,
    lambdas: np.ndarray | None = None,
    n_lambdas: int = 100,
    min_ratio: float | None = None,
    thresh: float = 1e-7,
    maxit: int = 10_000,
) -> LognetPath:
    """Fit the lasso logistic path of ``y`` (0/1) on ``X`` (glmnet's path and rules).

    Parameters
    ----------
    X : ndarray (n, p), raw scale (standardised internally).
    y : ndarray (n,), 0/1.
    lambdas : ndarray, optional
        A user path (glmnet's ``lambda =``): solved as given, no early stop.
    n_lambdas, min_ratio : the automatic path (glmnet's ``nlambda``,
        ``lambda.min.ratio``; None gives 0.01 when n < p, else 1e-4).
    thresh : convergence threshold, as glmnet's ``thresh`` (relative to the null deviance).
    maxit : most Newton steps over the whole path.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 3))
    >>> y = (X[:, 0] + rng.normal(size=50) > 0).astype(float)
    >>> fit = lognet_path(X, y, n_lambdas=10)
    >>> bool((fit.coef[0] == 0).all()), bool(fit.coef[-1, 0] > 0)
    (True, True)
    """
    from threadpoolctl import threadpool_limits

    # The matrices here are small (strong set x patients): a multi-threaded BLAS
    # only adds hand-offs, and on a busy machine it made a path 10-30x slower.
    with threadpool_limits(limits=1, user_api="blas"):
        return _path(X, y, lambdas, n_lambdas, min_ratio, thresh, maxit)


def _path(X, y, lambdas, n_lambdas, min_ratio, thresh, maxit) -> LognetPath:
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, p = X.shape
    w = 1.0 / n
    mean = X.mean(0)
    scale = np.sqrt(((X - mean) ** 2).mean(0))
    usable = scale > 0  # glmnet's chkvars: constant columns never enter
    scale = np.where(usable, scale, 1.0)
    xt = np.ascontiguousarray(((X - mean) / scale).T)  # one contiguous row per feature
    q0 = float(y.mean())
    if not PMIN < q0 < 1.0 - PMIN:
        raise ValueError("lognet_path needs both outcome classes among the rows.")
    user = lambdas is not None
    if user:
        lam_seq = np.asarray(lambdas, dtype=np.float64)
        nlam = lam_seq.size
    else:
        nlam = int(n_lambdas)
        ratio = min_ratio if min_ratio is not None else (0.01 if n < p else 1e-4)
        alf = max(_EPS, ratio) ** (1.0 / (nlam - 1)) if nlam > 1 else 1.0

    b0 = np.log(q0 / (1.0 - q0))
    b = np.zeros(p)
    q = np.full(n, q0)
    v = w * q * (1.0 - q)
    r = w * (y - q)
    xmz = q0 * (1.0 - q0)
    dev1 = -(b0 * q0 + np.log(1.0 - q0))
    dev0 = dev1  # 0/1 outcomes: the saturated log-likelihood is 0
    shr = thresh * dev0
    vmin = (1.0 + PMIN) * PMIN * (1.0 - PMIN)
    ga = np.abs(xt @ r)
    ga[~usable] = 0.0
    strong = np.zeros(p, dtype=bool)
    xv = np.zeros(p)

    out_lam, out_b0, out_b, out_dev = [], [], [], []
    nlp = 0
    al = 0.0
    lmax = float(ga.max())
    for ilm in range(nlam):
        al0 = al
        if user:
            al = float(lam_seq[ilm])
        elif ilm == 0:
            al = np.inf  # glmnet's "big": the empty model
        elif ilm == 1:
            al0 = lmax
            al = alf * al0
        else:
            al *= alf
        tlam = 2.0 * al - al0
        strong |= usable & (ga > tlam)
        stop_all = False
        while True:  # proximal Newton (IRLS) steps at this lambda
            nlp += 1
            bs0, bs = b0, b.copy()
            idx = np.flatnonzero(strong)
            if idx.size:
                xs = xt[idx]
                xsv = xs * v
                hv = xsv.sum(1)
                hess = xsv @ xs.T - np.outer(hv, hv) / xmz  # centred: intercept profiled out
                xv[idx] = np.einsum("ij,ij->i", xsv, xs)
                sr = float(r.sum())
                grad = xs @ r - hv * sr / xmz
                b[idx] = _lasso_qp(hess, grad + hess @ bs[idx], al, bs[idx])
                b0 = bs0 + (sr - hv @ (b[idx] - bs[idx])) / xmz
            else:
                b0 = bs0 + float(r.sum()) / xmz
            active = np.flatnonzero(b != 0)
            step = 1.0
            f_old = _objective(y, xt, bs0, bs, al, w)
            for _ in range(30):  # step halving, as glmnet's R path for GLMs
                tb0, tb = bs0 + step * (b0 - bs0), bs + step * (b - bs)
                if _objective(y, xt, tb0, tb, al, w) <= f_old + 1e-12 * abs(f_old):
                    break
                step /= 2
            b0, b = tb0, tb
            active = np.flatnonzero(b != 0)
            eta = b0 + b[active] @ xt[active] if active.size else np.full(n, b0)
            q = _expit(np.asarray(eta, dtype=np.float64))
            v = w * q * (1.0 - q)
            xmz = float(v.sum())
            if xmz <= vmin:
                stop_all = True
                break
            r = w * (y - q)
            moved = xmz * (b0 - bs0) ** 2 >= shr
            if idx.size and np.any(xv[idx] * (b[idx] - bs[idx]) ** 2 >= shr):
                moved = True
            if moved and nlp <= maxit:
                continue
            rest = np.flatnonzero(usable & ~strong)
            if rest.size:
                ga[rest] = np.abs(xt[rest] @ r)
                viol = rest[ga[rest] > al]
                if viol.size:
                    strong[viol] = True
                    continue
            break
        if nlp > maxit:
            warnings.warn(
                f"lasso path: convergence for lambda #{ilm + 1} not reached after "
                f"maxit={maxit} Newton steps; the path stops at the previous lambda "
                "(as glmnet).",
                stacklevel=2,
            )
            break
        out_lam.append(al)
        out_b0.append(b0)
        out_b.append(b.copy())
        out_dev.append((dev1 - _deviance(y, q, w)) / dev0)
        if stop_all or user or ilm + 1 < min(_MNLAM, nlam):
            if stop_all:
                break
            continue
        if out_dev[-1] > _DEVMAX or out_dev[-1] - out_dev[-2] < _FDEV:
            break

    lam_out = np.asarray(out_lam, dtype=np.float64)
    if not user and lam_out.size > 2:  # glmnet's fix.lam: lambda[1] from the log-linear path
        lam_out[0] = np.exp(2 * np.log(lam_out[1]) - np.log(lam_out[2]))
    elif not user and lam_out.size:
        lam_out[0] = lmax
    coef_std = np.asarray(out_b).reshape(len(out_b), p)
    coef = coef_std / scale
    icpt = np.asarray(out_b0) - coef @ mean
    return LognetPath(
        lambdas=lam_out,
        intercept=icpt,
        coef=coef,
        coef_std=coef_std,
        dev_ratio=np.asarray(out_dev),
        null_dev=float(dev0),
        mean=mean,
        scale=scale,
        n_passes=nlp,
    )
