"""scikit-learn's estimator checks over every radnb estimator.

Add new estimators to ``ESTIMATORS`` (a plain tuple of instances).
"""

from __future__ import annotations

import pandas as pd
from sklearn.utils.estimator_checks import parametrize_with_checks

from radnb.features.fusion import FusionClassifier
from radnb.select import (
    MRMR,
    CorrelationFilter,
    ICCFilter,
    LassoSelector,
    MissingFilter,
    PCAReducer,
    UnivariateFilter,
    VarianceFilter,
)

ESTIMATORS = (
    VarianceFilter(),
    MissingFilter(),
    ICCFilter(icc_values=pd.Series(0.9, index=[f"x{i}" for i in range(50)]), missing="keep"),
    CorrelationFilter(),
    UnivariateFilter(alpha=1.0),
    MRMR(n_features=2),
    LassoSelector(n_lambdas=10, cv=3, rule="min"),
    PCAReducer(n_components=2),
    FusionClassifier(max_epochs=30, random_state=0),
)


# Checks that cannot apply, per estimator class name: reason (xfail, not skipped).
_BINARY_ONLY = "binary outcome only (glmnet binomial); the check passes a 3-class y"
EXPECTED_FAILURES = {
    "LassoSelector": {
        c: _BINARY_ONLY
        for c in (
            "check_fit_score_takes_y",
            "check_estimators_overwrite_params",
            "check_dont_overwrite_parameters",
            "check_estimators_fit_returns_self",
            "check_readonly_memmap_input",
            "check_n_features_in_after_fitting",
            "check_positive_only_tag_during_fit",
            "check_dtype_object",
            "check_f_contiguous_array_estimator",
            "check_methods_sample_order_invariance",
            "check_methods_subset_invariance",
            "check_dict_unchanged",
            "check_fit2d_predict1d",
        )
    },
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


@parametrize_with_checks(list(ESTIMATORS), expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
