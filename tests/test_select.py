"""Tests for radnb.select (feature selection transformers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import mutual_info_score

from radnb.select import (
    MRMR,
    CorrelationFilter,
    ICCFilter,
    LassoSelector,
    MissingFilter,
    PCAReducer,
    UnivariateFilter,
    VarianceFilter,
    make_selector,
    selection_report,
)


@pytest.fixture
def planted(rng):
    """120 patients, 3 informative features (s1..s3) among 20 noise features."""
    n = 120
    y = np.repeat([0, 1], n // 2)
    X = pd.DataFrame(rng.normal(size=(n, 20)), columns=[f"noise{i}" for i in range(20)])
    for k, eff in enumerate([1.5, 1.2, 1.0], start=1):
        X[f"s{k}"] = eff * y + rng.normal(size=n)
    X.index = [f"P{i:03d}" for i in range(n)]
    return X, pd.Series(y, index=X.index)


def test_report_columns_and_dataframe_out(planted):
    X, y = planted
    X = X.assign(const=3.0)
    f = VarianceFilter().fit(X)
    assert list(f.report_.columns[:4]) == ["feature", "kept", "reason", "statistic"]
    out = f.transform(X)
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(X.index)
    assert "const" not in out.columns and out.shape[1] == X.shape[1] - 1
    row = f.report_.set_index("feature").loc["const"]
    assert not row.kept and row.statistic == 0.0


def test_missing_filter(planted):
    X, _ = planted
    X = X.copy()
    X.iloc[:40, 0] = np.nan  # 1/3 missing
    X.iloc[:10, 1] = np.nan
    f = MissingFilter(max_missing=0.2).fit(X)
    kept = set(f.get_feature_names_out())
    assert X.columns[0] not in kept and X.columns[1] in kept
    assert f.report_.statistic.iloc[0] == pytest.approx(1 / 3)


def test_icc_filter(planted):
    X, _ = planted
    icc = pd.Series(0.9, index=X.columns)
    icc["s1"] = 0.74
    f = ICCFilter(icc, threshold=0.75).fit(X)
    assert "s1" not in f.get_feature_names_out() and "s2" in f.get_feature_names_out()
    with pytest.raises(ValueError, match="no ICC value"):
        ICCFilter(icc.drop("s2"), missing="raise").fit(X)
    f = ICCFilter(icc.drop("s2"), missing="drop").fit(X)
    assert f.report_.set_index("feature").loc["s2", "reason"] == "no ICC value"


def test_correlation_filter_keeps_more_relevant(planted):
    X, y = planted
    # weak copy first in column order; the strong original must survive
    X = X.copy()
    X.insert(0, "s1_copy", X["s1"] + np.random.default_rng(1).normal(scale=0.3, size=len(X)))
    r = stats.spearmanr(X["s1"], X["s1_copy"]).statistic
    assert r > 0.9
    f = CorrelationFilter(threshold=0.9).fit(X, y)
    kept = list(f.get_feature_names_out())
    more = (
        "s1"
        if abs(stats.spearmanr(X["s1"], y).statistic)
        > abs(stats.spearmanr(X["s1_copy"], y).statistic)
        else "s1_copy"
    )
    other = {"s1", "s1_copy"} - {more}
    assert more in kept and other.pop() not in kept
    assert {"s2", "s3"} <= set(kept)
    assert f.report_.set_index("feature").loc[list({"s1", "s1_copy"} - {more})[0], "statistic"] == (
        pytest.approx(r)
    )
    # pairwise |r| among kept features is at most the threshold
    c = X[kept].corr(method="spearman").abs().to_numpy()
    assert c[~np.eye(len(kept), dtype=bool)].max() <= 0.9


def test_univariate_matches_scipy_and_bh(planted):
    from statsmodels.stats.multitest import multipletests

    X, y = planted
    f = UnivariateFilter(test="mannwhitney", alpha=0.05).fit(X, y)
    p = [stats.mannwhitneyu(X[c][y == 0], X[c][y == 1]).pvalue for c in X]
    np.testing.assert_allclose(f.pvalues_, p)
    np.testing.assert_allclose(f.pvalues_adjusted_, multipletests(p, method="fdr_bh")[1])
    assert {"s1", "s2", "s3"} <= set(f.get_feature_names_out())
    t = UnivariateFilter(test="ttest", fdr=None).fit(X, y)
    np.testing.assert_allclose(
        t.pvalues_, [stats.ttest_ind(X[c][y == 0], X[c][y == 1], equal_var=False).pvalue for c in X]
    )


def test_mrmr_avoids_redundant_copy(planted):
    X, y = planted
    X = X.copy()
    X["s1_dup"] = X["s1"] * 2 + 1  # same ranks: maximal redundancy
    f = MRMR(n_features=3).fit(X, y)
    assert f.ranking_[0] in ("s1", "s1_dup")
    assert not {"s1", "s1_dup"} <= set(f.ranking_)
    assert len(f.get_feature_names_out()) == 3
    # relevance is the plug-in mutual information of the binned feature
    from radnb.select import _discretise

    codes = _discretise(X[["s2"]].to_numpy(), 5)[:, 0]
    rel = f.report_.set_index("feature").loc["s2", "relevance"]
    assert rel == pytest.approx(mutual_info_score(codes, y))


def test_lasso_cv_and_1se_rule(planted):
    X, y = planted
    f = LassoSelector(n_lambdas=40, cv=5, random_state=0).fit(X, y)
    cv = f.cv_results_
    assert f.lambda_1se_ >= f.lambda_min_
    i_min = int(cv["mean"].idxmin())
    assert f.lambda_min_ == cv["lambda"][i_min]
    bound = cv["mean"][i_min] + cv["se"][i_min]
    # lambda.1se: the largest lambda within one SE of the minimum
    assert cv.loc[cv["lambda"] == f.lambda_1se_, "mean"].item() <= bound
    assert (cv.loc[cv["lambda"] > f.lambda_1se_, "mean"] > bound).all()
    # at lambda_max the model is empty; the path is stored for plotting
    assert (f.coef_path_.iloc[0] == 0).all()
    # glmnet stops the path early once the deviance explained stops growing
    assert f.coef_path_.shape == (len(f.lambdas_), X.shape[1]) and len(f.lambdas_) <= 40
    kept = set(f.get_feature_names_out())
    assert "s1" in kept and len(kept) < 10
    # input-scale coefficients reproduce the standardised linear predictor
    z = (X - f.mean_) / f.scale_
    lp_std = f.intercept_std_ + z.to_numpy() @ f.coef_std_.to_numpy()
    lp = f.intercept_ + X.to_numpy() @ f.coef_.to_numpy()
    np.testing.assert_allclose(lp, lp_std, atol=1e-9)
    g = LassoSelector(n_lambdas=40, cv=5, rule="min", random_state=0).fit(X, y)
    assert len(g.get_feature_names_out()) >= len(kept)


def test_lasso_is_deterministic(planted):
    X, y = planted
    a = LassoSelector(n_lambdas=20, cv=5, random_state=3).fit(X, y)
    b = LassoSelector(n_lambdas=20, cv=5, random_state=3).fit(X, y)
    pd.testing.assert_series_equal(a.coef_, b.coef_)


def test_pca_reducer_names(planted):
    X, _ = planted
    p = PCAReducer(n_components=0.5).fit(X)
    out = p.transform(X)
    assert list(out.columns) == [f"PC{i + 1}" for i in range(p.n_components_)]
    assert p.report_["cumulative"].iloc[-1] >= 0.5


def test_make_selector_pipeline(planted):
    X, y = planted
    icc = pd.Series(0.9, index=X.columns)
    pipe = make_selector(
        ["variance", "icc", "corr", ("mrmr", {"n_features": 8}), "lasso"],
        icc={"icc_values": icc},
        lasso={"n_lambdas": 20, "cv": 5},
    )
    assert [n for n, _ in pipe.steps] == ["impute", "variance", "icc", "corr", "mrmr", "lasso"]
    out = pipe.fit(X, y).transform(X)
    assert isinstance(out, pd.DataFrame) and set(out.columns) <= {*X.columns}
    rep = selection_report(pipe)
    assert set(rep["step"]) == {"variance", "icc", "corr", "mrmr", "lasso"}
    assert rep.loc[rep.step == "lasso", "kept"].sum() == out.shape[1]
    pca = make_selector(["pca"])
    assert [n for n, _ in pca.steps] == ["impute", "scale", "pca"]
    with pytest.raises(ValueError, match="unknown selection step"):
        make_selector(["boruta"])
    with pytest.raises(ValueError, match="unknown step options"):
        make_selector(["corr"], lasso_kws={})


def test_variance_filter_drops_constant_with_rounding_noise():
    """0.1 repeated has a computed variance of ~1e-34, not 0: the range guard drops it."""
    X = pd.DataFrame({"a": np.arange(30.0), "c": np.full(30, 0.1)})
    assert np.var(X["c"].to_numpy()) > 0  # the floating-point noise the guard is for
    f = VarianceFilter().fit(X)
    assert f.get_feature_names_out().tolist() == ["a"]
    assert f.variances_[1] == 0.0


def test_selector_options_are_keyword_only(planted):
    X, y = planted
    with pytest.raises(TypeError):
        LassoSelector("1se", 20)
    with pytest.raises(TypeError):
        CorrelationFilter(0.9, "pearson")
    # the first argument stays positional (as KMeans(n_clusters, *, ...))
    assert CorrelationFilter(0.8).threshold == 0.8


def test_supervised_selectors_need_y_with_sklearn_message(planted):
    X, _ = planted
    for sel in (LassoSelector(), UnivariateFilter(), MRMR()):
        with pytest.raises(ValueError, match="requires y to be passed"):
            sel.fit(X)
