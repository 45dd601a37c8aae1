"""Clinical variables of the simulated studies (realistic distributions, some missingness).

Each generator takes the patients' clinical latent ``zc`` (standard normal), the
tumour diameter and a random generator, and returns a DataFrame of the clinical
variables that the study's paper names. Variables that carry signal depend on
``zc`` plus noise, so a clinical model sees an attenuated version of the latent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CLINICAL", "apply_missing"]


def _ordinal(rng, score, levels, cuts, noise=1.0):
    """Ordinal category from ``score + noise`` cut at ``cuts`` (len(levels) - 1)."""
    s = score + noise * rng.standard_normal(len(score))
    return np.asarray(levels, dtype=object)[np.searchsorted(np.asarray(cuts), s)]


def _choice(rng, n, levels, p):
    return np.asarray(levels, dtype=object)[rng.choice(len(levels), size=n, p=p)]


def _binary(rng, logit, yes="yes", no="no"):
    p = 1 / (1 + np.exp(-logit))
    return np.where(rng.random(len(logit)) < p, yes, no).astype(object)


def _age(rng, n, mean, sd, lo, hi, zc=None, slope=0.0, decimals=0):
    a = rng.normal(mean, sd, n) + (slope * zc if zc is not None else 0.0)
    a = np.clip(a, lo, hi)
    return np.round(a, decimals) if decimals else np.rint(a).astype(int)


def _size_cm(rng, diameter_mm):
    return np.round(diameter_mm / 10 * np.exp(rng.normal(0, 0.06, len(diameter_mm))), 1)


def _s1(rng, zc, diam):
    n = len(zc)
    return pd.DataFrame(
        {
            "age": _age(rng, n, 67, 10.5, 30, 92, zc, 1.5),
            "sex": _choice(rng, n, ["male", "female"], [0.8, 0.2]),
            "tumour_size_cm": _size_cm(rng, diam),
            "grade": _ordinal(rng, 0.9 * zc, ["low", "high"], [0.2]),
            "multiplicity": _ordinal(rng, 0.5 * zc, ["single", "multiple"], [0.6]),
            "t_stage": _ordinal(rng, 0.8 * zc, ["Ta", "T1"], [0.4]),
            "smoking": _choice(rng, n, ["never", "former", "current"], [0.35, 0.4, 0.25]),
        }
    )


def _s2(rng, zc, diam):
    n = len(zc)
    size = (np.log(diam) - np.log(diam).mean()) / max(np.log(diam).std(), 1e-9)
    return pd.DataFrame(
        {
            "age": _age(rng, n, 58, 10, 25, 88, zc, 1.0),
            "sex": _choice(rng, n, ["male", "female"], [0.82, 0.18]),
            "smoking": _ordinal(rng, 0.4 * zc, ["never", "former", "current"], [-0.4, 0.5]),
            "site": _choice(
                rng,
                n,
                ["oral cavity", "oropharynx", "hypopharynx", "larynx"],
                [0.4, 0.3, 0.15, 0.15],
            ),
            "t_stage": _ordinal(rng, 0.6 * zc + 0.7 * size, ["T1", "T2", "T3", "T4"], [-1, 0, 1]),
            "n_stage": _ordinal(rng, 0.7 * zc, ["N0", "N1", "N2", "N3"], [-0.2, 0.6, 1.8]),
            "tumour_size_cm": _size_cm(rng, diam),
        }
    )


def _s3(rng, zc, diam):
    n = len(zc)
    return pd.DataFrame(
        {
            "age": _age(rng, n, 34.5, 3.5, 22, 39.9, decimals=1),
            "tumour_size_cm": _size_cm(rng, diam),
            "ki67": np.rint(100 / (1 + np.exp(-(-0.4 + 0.7 * zc + 0.6 * rng.standard_normal(n))))),
            "grade": _ordinal(rng, 0.8 * zc, [1, 2, 3], [-1.0, 0.4]).astype(int),
            "er": _binary(rng, 1.0 - 0.8 * zc, "positive", "negative"),
            "pr": _binary(rng, 0.6 - 0.8 * zc, "positive", "negative"),
            "n_stage": _ordinal(rng, 0.5 * zc, ["N0", "N+"], [0.3]),
        }
    )


def _s4(rng, zc, diam):
    n = len(zc)
    age = _age(rng, n, 51, 10, 25, 85, zc, -1.0)
    return pd.DataFrame(
        {
            "age": age,
            "menopause": np.where(
                rng.random(n) < 1 / (1 + np.exp(-(age - 50) / 3)), "post", "pre"
            ).astype(object),
            "tumour_size_cm": _size_cm(rng, diam),
            "t_stage": _ordinal(rng, 0.6 * zc, ["T1", "T2", "T3"], [-0.2, 1.3]),
            "n_stage": _ordinal(rng, 0.8 * zc, ["N0", "N1", "N2", "N3"], [0.0, 1.0, 1.9]),
            "grade": _ordinal(rng, 0.6 * zc, [2, 3], [-0.2]).astype(int),
            "hr_status": _binary(rng, 0.5 - 0.4 * zc, "positive", "negative"),
        }
    )


def _s5(rng, zc, diam):
    n = len(zc)
    return pd.DataFrame(
        {
            "age": _age(rng, n, 57, 11, 25, 88),
            "sex": _choice(rng, n, ["male", "female"], [0.85, 0.15]),
            "tumour_size_cm": _size_cm(rng, diam),
            "n_nodules": np.clip(1 + rng.poisson(np.exp(-0.2 + 0.5 * zc)), 1, 8),
            "afp_ng_ml": np.round(np.exp(rng.normal(np.log(60) + 1.0 * zc, 1.5)), 1),
            "bclc": _ordinal(rng, 0.8 * zc, ["A", "B", "C"], [-0.6, 0.9]),
            "child_pugh": _ordinal(rng, 0.3 * zc, ["A", "B"], [0.9]),
            "hbv": _choice(rng, n, ["positive", "negative"], [0.75, 0.25]),
        }
    )


#: Study -> (generator, {column: missing fraction}).
CLINICAL = {
    "S1": (_s1, {"grade": 0.03, "multiplicity": 0.02, "smoking": 0.06}),
    "S2": (_s2, {"smoking": 0.05, "n_stage": 0.02}),
    "S3": (_s3, {"ki67": 0.06, "pr": 0.03}),
    "S4": (_s4, {"grade": 0.04, "hr_status": 0.01}),
    "S5": (_s5, {"afp_ng_ml": 0.04, "child_pugh": 0.02}),
}


def apply_missing(
    rng: np.random.Generator, df: pd.DataFrame, rates: dict[str, float], factor: float
) -> pd.DataFrame:
    """Blank values completely at random (MCAR) at ``rates`` times ``factor``."""
    df = df.copy()
    for col, rate in rates.items():
        hit = rng.random(len(df)) < rate * factor
        if hit.any():
            if pd.api.types.is_integer_dtype(df[col]):
                df[col] = df[col].astype(float)
            df.loc[hit, col] = np.nan
    return df
