"""Small SIMULATED cohorts and a fitted Study shared by the widget tests (built once)."""

from __future__ import annotations

import functools

SMALL_PARAMS = {
    "imageType": {"Original": {}},
    "featureClass": {"firstorder": [], "glcm": []},
    "setting": {"binWidth": 25},
}
CLINICAL = ["age", "sex", "tumour_size_cm", "grade", "t_stage"]


@functools.cache
def small_cohort():
    """Study S1 design, 40 SIMULATED patients on a small grid (train 28 / test 12)."""
    from radnb import datasets

    return datasets.simulate("S1", n=40, random_state=0, shape=(24, 48, 48))


@functools.cache
def small_radiomics():
    from radnb.features import radiomic

    return radiomic.extract_radiomics(
        small_cohort(), params=SMALL_PARAMS, client="serial", progress=False
    )


@functools.cache
def small_study():
    """A fitted Study: Rad score (variance, corr, LASSO) and three models."""
    import radnb as rn

    study = rn.Study(small_cohort(), outcome="her2", train="train", clinical=CLINICAL)
    study.add_block("rad", small_radiomics().features)
    study.signature("Rad score", "rad", steps=["variance", "corr", "lasso"], lasso={"rule": "min"})
    study.model("Rad", ["Rad score"])
    study.model("Rad + size", ["Rad score"], clinical=["tumour_size_cm"])
    return study.fit()
