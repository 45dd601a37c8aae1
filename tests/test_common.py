"""scikit-learn's estimator checks over every radnb estimator.

Add new estimators to ``ESTIMATORS`` (a plain tuple of instances). What a
check needs to know (y required, binary outcome only) is declared in each
estimator's ``__sklearn_tags__``; no check is expected to fail.
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


@parametrize_with_checks(list(ESTIMATORS))
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
