"""A user's ``except ValueError`` catches radnb's bad-argument errors (issue 13, item 7).

A few representative bad calls per subpackage; each must raise
:class:`~radnb.errors.InvalidParameterError`, which is a ``ValueError`` (and a
``RadnbError``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radnb.errors import InvalidParameterError, RadnbError


def _study():
    from radnb.study import Study

    rng = np.random.default_rng(0)
    n = 40
    ids = pd.Index([f"P{i:02d}" for i in range(n)], name="patient_id")
    table = pd.DataFrame(
        {"split": ["train"] * 30 + ["test"] * 10, "y": rng.binomial(1, 0.5, n),
         "age": rng.normal(60, 10, n)},
        index=ids,
    )  # fmt: skip
    rad = pd.DataFrame(rng.normal(size=(n, 4)), index=ids, columns=list("abcd"))
    return Study(table, outcome="y", train="train").add_block("rad", rad)


def _surv_table():
    return pd.DataFrame(
        {"s": [1.0, 2, 3, 4], "t": [5, 4, 3, 2], "e": [1, 1, 0, 1], "split": ["train"] * 4}
    )


def _mod(name: str):
    import importlib

    return importlib.import_module(name)


BAD_CALLS = {
    # radnb.study
    "study: unknown block": lambda: _study().signature("S", "nope", steps=["lasso"]),
    "study: on_empty": lambda: _study().signature("S", "rad", steps=["lasso"], on_empty="x"),
    "study: unknown model input": lambda: _study().model("M", ["nothing"]),
    "study: unknown estimator": lambda: _study().model("M", ["rad"], estimator="forest"),
    "study: duplicate name": lambda: _study().signature("S", "rad").model("S", ["rad"]),
    "study: unknown cohort": lambda: _study()._cohort_value("nowhere"),
    "study: crossfit folds": lambda: _mod("radnb.study.crossfit").check_crossfit(1),
    # radnb.evaluate
    "evaluate: auc method": lambda: _mod("radnb.evaluate").auc_ci(
        [0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8], method="nonsense"
    ),
    "evaluate: one outcome class": lambda: _mod("radnb.evaluate").calibration_intercept_slope(
        [1, 1, 1], [0.2, 0.3, 0.4]
    ),
    "evaluate: log-rank of one group": lambda: _mod("radnb.evaluate.survival").logrank_test(
        [1, 2, 3], [1, 0, 1], ["a", "a", "a"]
    ),
    "evaluate: c-index without events": lambda: _mod("radnb.evaluate.survival").harrell_c(
        [1, 2, 3], [0, 0, 0], [0.1, 0.2, 0.3]
    ),
    # radnb.plots
    "plots: data not a table": lambda: _mod("radnb.plots").plot_km("t", "e", data=[1, 2, 3]),
    # radnb.features
    "features: habitat criterion": lambda: (
        _mod("radnb.features.habitat").HabitatModel(criterion="best")._check_params()
    ),
    # radnb.datasets
    "datasets: unknown study": lambda: _mod("radnb.datasets").simulate("no-such-study", n=4),
    "datasets: missing data folder": lambda: _mod("radnb.datasets.real").data_dir(
        "/nonexistent/radnb-data"
    ),
    # radnb.widgets (the library functions behind the views)
    "widgets: manual cut-off": lambda: _mod("radnb.widgets.survival").risk_groups(
        _surv_table(), "s", "t", "e", method="manual"
    ),
}


@pytest.mark.parametrize("call", list(BAD_CALLS.values()), ids=list(BAD_CALLS))
def test_bad_argument_is_a_value_error(call):
    with pytest.raises(ValueError) as info:
        call()
    assert isinstance(info.value, RadnbError), type(info.value)
    assert isinstance(info.value, InvalidParameterError), type(info.value)
