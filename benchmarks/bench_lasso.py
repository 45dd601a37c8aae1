"""LASSO path and cv.glmnet: radnb's LassoSelector against R glmnet, same data, same folds.

    .venv/bin/python benchmarks/bench_lasso.py [--n 123] [--p 45] [--repeat 3]

Two SIMULATED cohorts of n patients x p correlated features (more patients than
features, as the real cohort of issue 15.9: 45 x 123, where the previous
liblinear-per-lambda solver took 562 s): "moderate" (AUC ~0.8) and
"near-separable" (strong effects; coordinate descent grinds at the small lambdas).
For each: the full path (``glmnet(x, y, family = "binomial")`` vs
``radnb._lasso.lognet_path``) and 10-fold CV with a fixed ``foldid``
(``cv.glmnet(..., foldid = foldid)`` vs ``LassoSelector(foldid=foldid)``), timed
in one run (R's time measured inside R with ``system.time``, median of
``--repeat``), plus the path length, lambda.min / lambda.1se, the selected
features, the penalised objective of both solutions at R's last lambda (lower is
better) and the path length R gives with ``thresh = 1e-12`` (glmnet's early stop
compares deviance gains with 1e-5, so its inexact default solutions can end the
path a few lambdas sooner). Needs ``Rscript`` with glmnet on PATH.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from radnb._lasso import lognet_path  # noqa: E402
from radnb.select import LassoSelector  # noqa: E402

R_SCRIPT = r"""
suppressMessages(library(glmnet))
args <- commandArgs(TRUE)
d <- read.csv(args[1]); reps <- as.integer(args[2])
x <- as.matrix(d[, -(1:2)]); y <- d$y; foldid <- d$foldid
tp <- median(replicate(reps, system.time(fit <<- glmnet(x, y, family = "binomial"))[["elapsed"]]))
tc <- median(replicate(reps, system.time(cv <<- cv.glmnet(x, y, family = "binomial",
                                                       foldid = foldid))[["elapsed"]]))
b <- as.matrix(coef(fit)); k <- ncol(b)
sel <- rownames(b)[-1][as.matrix(coef(cv, s = "lambda.1se"))[-1, 1] != 0]
tight <- glmnet(x, y, family = "binomial", thresh = 1e-12)
quoted <- if (length(sel)) paste0('"', sel, '"', collapse = ",") else ""
cat(paste0('{"t_path":', tp, ',"t_cv":', tc, ',"n_lambda":', length(fit$lambda),
  ',"npasses":', fit$npasses, ',"lambda_min":', sprintf("%.12g", cv$lambda.min),
  ',"lambda_1se":', sprintf("%.12g", cv$lambda.1se),
  ',"b0_last":', sprintf("%.12g", b[1, k]),
  ',"b_last":[', paste(sprintf("%.12g", b[-1, k]), collapse = ","), ']',
  ',"lambda_last":', sprintf("%.12g", fit$lambda[k]),
  ',"n_lambda_tight":', length(tight$lambda),
  ',"selected":[', quoted, ']}'))
"""


def simulate(n: int, p: int, strength: float, seed: int) -> pd.DataFrame:
    """SIMULATED: equicorrelated (0.3) features with mixed scales, logistic outcome."""
    rng = np.random.default_rng(seed)
    cov = 0.3 * np.ones((p, p)) + 0.7 * np.eye(p)
    X = rng.normal(size=(n, p)) @ np.linalg.cholesky(cov).T
    lp = strength * (0.8 * X[:, 0] - 0.6 * X[:, 1] + 0.5 * X[:, 2] + 0.3 * X[:, 3])
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-lp))).astype(int)
    X = X * np.geomspace(0.1, 50, p)  # arbitrary units, as radiomic features
    df = pd.DataFrame(np.round(X, 6), columns=[f"f{i + 1:02d}" for i in range(p)])
    df.insert(0, "foldid", np.arange(n) % 10 + 1)
    df.insert(0, "y", y)
    return df


def objective(X, y, b0, b, lam, scale) -> float:
    eta = b0 + X @ b
    return float(np.mean(np.logaddexp(0, eta) - y * eta) + lam * np.abs(b * scale).sum())


def run(df: pd.DataFrame, repeat: int) -> dict:
    X = df.drop(columns=["y", "foldid"])
    Xa, y = X.to_numpy(), df["y"].to_numpy(float)
    with tempfile.TemporaryDirectory() as tmp:
        csv, rs = Path(tmp) / "d.csv", Path(tmp) / "b.R"
        df.to_csv(csv, index=False)
        rs.write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(rs), str(csv), str(repeat)], capture_output=True, text=True
        )
    if out.returncode:
        raise RuntimeError(out.stderr)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    tp, tc = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        fit = lognet_path(Xa, y)
        tp.append(time.perf_counter() - t)
        t = time.perf_counter()
        sel = LassoSelector(foldid=df["foldid"].to_numpy()).fit(X, df["y"])
        tc.append(time.perf_counter() - t)
    k = r["n_lambda"] - 1  # R's last lambda, solved by radnb too
    at = fit
    if fit.lambdas.size <= k:  # radnb's path stopped sooner: solve R's path as given
        ratio = 1e-4 if Xa.shape[0] > Xa.shape[1] else 0.01
        at = lognet_path(Xa, y, lambdas=fit.lambdas[0] * ratio ** (np.arange(k + 1) / 99))
    lam = r["lambda_last"]
    obj_radnb = objective(Xa, y, at.intercept[k], at.coef[k], lam, fit.scale)
    obj_r = objective(Xa, y, r["b0_last"], np.asarray(r["b_last"]), lam, fit.scale)
    return {
        "R path s": r["t_path"],
        "radnb path s": float(np.median(tp)),
        "R cv s": r["t_cv"],
        "radnb cv s": float(np.median(tc)),
        "path length R / radnb": f"{r['n_lambda']} / {fit.lambdas.size}",
        "path length R thresh=1e-12": r["n_lambda_tight"],
        "lambda.min R / radnb": f"{r['lambda_min']:.6g} / {sel.lambda_min_:.6g}",
        "lambda.1se R / radnb": f"{r['lambda_1se']:.6g} / {sel.lambda_1se_:.6g}",
        "same 1se features": sorted(r["selected"]) == sorted(sel.get_feature_names_out()),
        "objective at R's last lambda, R - radnb": obj_r - obj_radnb,
        "glmnet npasses": r["npasses"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=123)
    ap.add_argument("--p", type=int, default=45)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    for label, strength, seed in (("moderate", 0.6, 1), ("near-separable", 3.0, 2)):
        res = run(simulate(a.n, a.p, strength, seed), a.repeat)
        print(f"\n{label} (n={a.n}, p={a.p}, SIMULATED)")
        for k, v in res.items():
            print(f"  {k:42s} {v:.4g}" if isinstance(v, float) else f"  {k:42s} {v}")
        print(
            f"  ratio radnb / R: path {res['radnb path s'] / res['R path s']:.2f}x, "
            f"cv {res['radnb cv s'] / res['R cv s']:.2f}x"
        )


if __name__ == "__main__":
    main()
