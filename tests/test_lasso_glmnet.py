"""LassoSelector against R glmnet 4.1-6 on fixed SIMULATED data with fixed folds.

The two CSV files in tests/data were written once by numpy (SIMULATED:
Gaussian features with arbitrary means and scales, logistic outcome on the
first standardised features). The reference numbers below were produced by
this R call (R 4.2, glmnet 4.1-6, Debian r-cran-glmnet), run once:

    library(glmnet)
    d <- read.csv(f); x <- as.matrix(d[, -1]); y <- d$y
    foldid <- (seq_len(nrow(x)) - 1) %% 5 + 1
    cv <- cv.glmnet(x, y, family = "binomial", foldid = foldid)
    cv$lambda[1]; length(cv$lambda); cv$lambda.min; cv$lambda.1se
    coef(cv, s = "lambda.1se"); coef(cv, s = "lambda.min")

glmnet stops its coordinate descent at ``thresh = 1e-7``; radnb solves each
quadratic exactly, so coefficients agree to glmnet's accuracy (~1e-4
relative) while lambda_max, the path length and the chosen lambdas agree
to rounding.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radnb._lasso import lognet_path
from radnb.select import LassoSelector

DATA = Path(__file__).parent / "data"

# file: (lambda_max, path length, lambda.min, lambda.1se, coef at 1se, coef at min)
GLMNET = {
    "glmnet_binomial_n100_p8.csv": (
        0.214036515121,
        60,
        0.0401065351162,
        0.0926512979393,
        {
            "(Intercept)": -0.2179432884,
            "x1": 0.0297392653,
            "x2": -0.0640534005,
            "x3": 0.008229042815,
            "x5": 0.003480860411,
        },
        {
            "(Intercept)": -0.3178417652,
            "x1": 0.04874297077,
            "x2": -0.1042425847,
            "x3": 0.02508497682,
            "x5": 0.09061505643,
        },
    ),
    "glmnet_binomial_n40_p60.csv": (  # n < p: lambda.min.ratio 0.01, full path
        0.263918684231,
        100,
        0.0864214706516,
        0.263918684231,
        {"(Intercept)": 0.1000834586},
        {
            "(Intercept)": 0.5175025006,
            "x1": 0.03604972395,
            "x2": -0.03788353636,
            "x10": 0.02650446646,
            "x13": 0.01073197595,
            "x29": 0.1341799535,
            "x35": 0.01356426122,
            "x39": -0.001865670367,
            "x43": -0.004815645083,
            "x45": -0.00851724947,
        },
    ),
}


def _load(name):
    d = pd.read_csv(DATA / name)
    return d.drop(columns="y"), d["y"], np.arange(len(d)) % 5 + 1


def _coefs(sel):
    out = {"(Intercept)": sel.intercept_}
    out.update({k: v for k, v in sel.coef_.items() if v != 0})
    return out


@pytest.mark.parametrize("name", sorted(GLMNET))
def test_lasso_matches_cv_glmnet(name):
    X, y, foldid = _load(name)
    lmax, n_path, lmin, l1se, coef_1se, coef_min = GLMNET[name]
    for rule, ref in (("1se", coef_1se), ("min", coef_min)):
        sel = LassoSelector(rule=rule, foldid=foldid).fit(X, y)
        assert sel.lambdas_[0] == pytest.approx(lmax, rel=1e-10)
        assert len(sel.lambdas_) == n_path
        assert sel.lambda_min_ == pytest.approx(lmin, rel=1e-10)
        assert sel.lambda_1se_ == pytest.approx(l1se, rel=1e-10)
        got = _coefs(sel)
        assert set(got) == set(ref)  # the same features are selected
        for k, v in ref.items():
            assert got[k] == pytest.approx(v, rel=2e-3, abs=1e-5), k


def test_path_stops_as_glmnet():
    """glmnet stops the path once dev.ratio grows by < 1e-5 (after >= 5 lambdas)."""
    X, y, _ = _load("glmnet_binomial_n100_p8.csv")
    fit = lognet_path(X.to_numpy(), y.to_numpy(float))
    assert fit.lambdas.size == 60
    gain = np.diff(fit.dev_ratio)
    assert gain[-1] < 1e-5 and (gain[3:-1] >= 1e-5).all()
    # the path is glmnet's: log-linear from lambda_max down by 1e-4 over 99 steps
    np.testing.assert_allclose(np.diff(np.log(fit.lambdas)), np.log(1e-4) / 99, rtol=1e-10)


def test_solution_satisfies_kkt():
    """Every point of the path is optimal: |x_j'(y - p)|/n <= lambda, = for non-zero."""
    X, y, _ = _load("glmnet_binomial_n40_p60.csv")
    Xa, ya = X.to_numpy(), y.to_numpy(float)
    fit = lognet_path(Xa, ya)
    Z = (Xa - fit.mean) / fit.scale
    for i in range(0, fit.lambdas.size, 7):
        eta = fit.intercept[i] + Xa @ fit.coef[i]
        g = Z.T @ (ya - 1 / (1 + np.exp(-eta))) / len(ya)
        lam = fit.lambdas[i]
        nz = fit.coef_std[i] != 0
        assert np.abs(g).max() <= lam * (1 + 1e-5)
        np.testing.assert_allclose(g[nz], lam * np.sign(fit.coef_std[i][nz]), rtol=1e-5)
        assert abs(np.mean(ya - 1 / (1 + np.exp(-eta)))) < 1e-6  # unpenalised intercept
