"""One vocabulary (issue 13, items 4, 7, 8): errors, carriers, import hygiene."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from radnb import datasets
from radnb.errors import (
    CohortError,
    InvalidParameterError,
    NotFittedError,
    RadnbError,
    UnknownIDError,
)


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    root = tmp_path_factory.mktemp("s3")
    return datasets.simulate("S3", n=8, root=root, shape=(12, 24, 24), random_state=0)


# ------------------------------------------------------------------ 13.7 errors
def test_argument_errors_are_value_errors():
    from radnb.evaluate import auc_ci

    with pytest.raises(ValueError, match="method must be"):
        auc_ci([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8], method="nonsense")
    with pytest.raises(InvalidParameterError):
        auc_ci([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8], method="nonsense")
    assert issubclass(InvalidParameterError, RadnbError)
    assert issubclass(InvalidParameterError, ValueError)
    with pytest.raises(ValueError, match="unknown study"):
        datasets.simulate("no-such-study", n=4)


def test_not_fitted_is_value_and_attribute_error():
    from sklearn.utils.validation import check_is_fitted

    from radnb.features.habitat import HabitatModel

    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    model = HabitatModel()
    with pytest.raises(ValueError, match="not fitted"):
        model.save("/nonexistent/never-written")
    from sklearn.exceptions import NotFittedError as SkNotFitted

    with pytest.raises(SkNotFitted):  # scikit-learn's own check sees the fitted state
        check_is_fitted(model)
    with pytest.raises(ValueError, match="k_range"):
        HabitatModel(k_range=(1, 3))._check_params()


def test_habitat_model_is_plain_sklearn_estimator():
    from sklearn.base import BaseEstimator, clone

    from radnb.features.habitat import HabitatModel

    assert HabitatModel.__bases__ == (BaseEstimator,)
    assert clone(HabitatModel(n_habitats=3)).get_params()["n_habitats"] == 3


def test_cohort_errors(s3):
    with pytest.raises(UnknownIDError, match="not in this cohort"):
        s3.image_path("no-such-patient", s3.sequences[0])
    with pytest.raises(KeyError):  # old access pattern still catches it
        s3.image_path("no-such-patient", s3.sequences[0])
    with pytest.raises(CohortError):
        s3.subset(["no-such-patient"])
    with pytest.raises(KeyError):
        s3.image_path(s3.patient_ids[0], "no-such-sequence")
    with pytest.raises(InvalidParameterError, match="not both"):
        s3.subset(s3.patient_ids[:2], split="train")
    assert "no-such-patient" in str(UnknownIDError("patient 'no-such-patient'"))
    assert not str(UnknownIDError("x")).startswith("'")  # not KeyError's quoting


def test_cohort_keeps_its_own_validation(s3):
    from radnb.validation import validate_cohort

    c = s3.subset()
    assert c.last_validation is None and c.duplicate_ids == []
    validate_cohort(c, read_images=False)  # the function no longer writes the cohort
    assert c.last_validation is None
    table = c.validate(read_images=False)
    pd.testing.assert_frame_equal(c.last_validation, table)
    assert "Last validate()" in c._repr_html_()


def test_duplicate_ids_exposed(tmp_path):
    img = tmp_path / "a.nii.gz"
    import SimpleITK as sitk

    sitk.WriteImage(sitk.Image(4, 4, 4, sitk.sitkUInt8), str(img))
    table = pd.DataFrame({"id": ["p1", "p1", "p2"], "image": [str(img)] * 3})
    from radnb import Cohort

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = Cohort.from_table(table, id="id", images={"CT": "image"}, mask="image", split=None)
    assert c.duplicate_ids == ["p1"]
    checks = c.validate(read_images=False)
    assert "duplicate_id" in set(checks["check"])


# ------------------------------------------------------------------ 13.4 carriers
def test_feature_result_carrier():
    from radnb.features import FeatureResult, RadiomicsResult, errors_table, set_errors

    assert issubclass(RadiomicsResult, FeatureResult)
    with pytest.warns(DeprecationWarning, match=r"FeatureResult\(features, errors\)"):
        df = set_errors(
            pd.DataFrame({"f": [1.0, 2.0]}, index=pd.Index(["p1", "p3"], name="patient_id")),
            [("p2", "CT", "mask is empty")],
        )
    res = FeatureResult.from_frame(df, step="demo")
    assert res.features.attrs == {}  # the errors live in .errors only
    features, errors = res  # unpacks as RadiomicsResult always did
    assert features is res.features and errors["patient_id"].tolist() == ["p2"]
    pd.testing.assert_frame_equal(errors_table(res), errors_table(df))
    assert errors_table(res.to_frame())["message"].tolist() == ["mask is empty"]
    assert list(res.diagnostics.index) == ["p1", "p3"]
    with pytest.raises(AttributeError):
        res.features = df  # frozen


def test_habitat_features_as_result():
    import SimpleITK as sitk

    from radnb.features import FeatureResult, habitat_features
    from radnb.features.habitat import HabitatMaps

    arr = np.zeros((3, 4, 4), np.uint8)
    arr[1, :, :2] = 1
    arr[1, :, 2:] = 2
    errs = pd.DataFrame([{"patient_id": "p9", "sequence": "A", "message": "unreadable"}])
    maps = HabitatMaps({"p1": sitk.GetImageFromArray(arr)}, errors=errs, n_habitats=2)
    res = habitat_features(maps)  # the carrier by default
    assert isinstance(res, FeatureResult) and res.provenance["step"] == "habitat"
    assert res.features.attrs == {}
    with pytest.warns(DeprecationWarning, match=r"as_result=False.*\.features"):
        df = habitat_features(maps, as_result=False)  # the old form, for one release
    with pytest.warns(DeprecationWarning, match=r"as_result=True"):
        again = habitat_features(maps, as_result=True)
    df_plain = df.copy()
    df_plain.attrs = {}
    pd.testing.assert_frame_equal(res.features, df_plain)
    pd.testing.assert_frame_equal(again.features, res.features)
    assert (
        res.errors["patient_id"].tolist() == ["p9"] == [e["patient_id"] for e in df.attrs["errors"]]
    )


def test_feature_result_dataframe_access_warns_and_forwards():
    """Old code that treated a feature step's result as the DataFrame still works."""
    from radnb.features import FeatureResult

    feats = pd.DataFrame(
        {"a": [1.0, 2.0], "b": [3.0, 4.0]}, index=pd.Index(["p1", "p3"], name="patient_id")
    )
    res = FeatureResult(feats, [("p2", "CT", "mask is empty")], provenance={"step": "deep"})
    checks = [
        (lambda r: r.loc["p3", "a"], 2.0, r"result\.features\.loc"),
        (lambda r: r["b"].tolist(), [3.0, 4.0], r"result\.features\[\.\.\.\]"),
        (lambda r: list(r.columns), ["a", "b"], r"result\.features\.columns"),
        (lambda r: list(r.index), ["p1", "p3"], r"result\.features\.index"),
        (lambda r: r.shape, (2, 2), r"result\.features\.shape"),
        (len, 2, r"len\(result\.features\)"),
        (lambda r: "a" in r, True, r"result\.features"),
        (lambda r: r.to_numpy().sum(), 10.0, r"result\.features\.to_numpy"),
        (lambda r: np.asarray(r).sum(), 10.0, r"to_numpy"),
        (lambda r: r.join(pd.DataFrame({"c": [5.0]}, index=["p1"])).shape, (2, 3), r"join"),
        (lambda r: [e["patient_id"] for e in r.attrs["errors"]], ["p2"], r"result\.errors"),
    ]
    for access, expected, new in checks:
        with pytest.warns(DeprecationWarning, match=new):
            assert access(res) == expected
    # the new calls give the same values without a warning
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert res.features.loc["p3", "a"] == 2.0 and res.errors["patient_id"].tolist() == ["p2"]
        features, errors = res
        repr(res), res._repr_html_()
        import copy
        import pickle

        assert pickle.loads(pickle.dumps(res)).features.equals(feats)
        assert copy.copy(res).errors.equals(res.errors)
    with pytest.raises(AttributeError):
        res.no_such_thing  # noqa: B018


def test_habitat_maps_is_a_frozen_mapping():
    from collections.abc import Mapping

    from radnb.features.habitat import HabitatMaps

    m = HabitatMaps({"p1": 1, "p2": 2}, n_habitats=3)
    assert isinstance(m, Mapping) and not isinstance(m, dict)
    assert m["p1"] == 1 and list(m) == ["p1", "p2"] and dict(m.items()) == {"p1": 1, "p2": 2}
    assert "p2" in m and m.get("p3") is None and len(m.errors) == 0
    assert m == {"p1": 1, "p2": 2}  # compares as the old dict subclass did
    import pickle

    assert pickle.loads(pickle.dumps(m)).n_habitats == 3
    with pytest.raises(AttributeError):
        m.n_habitats = 4
    with pytest.raises(TypeError):
        m["p3"] = 3  # read-only


def test_client_none_means_the_same_everywhere():
    """client=None: radnb chooses by run_tasks' rule; "serial" forces this process."""
    from radnb.features.habitat_metrics import AUTO_MIN_PATIENTS
    from radnb.parallel import _use_serial

    assert _use_serial("serial", None, 10_000, 1)
    assert _use_serial(None, None, AUTO_MIN_PATIENTS - 1, AUTO_MIN_PATIENTS)  # small: here
    assert not _use_serial("local", None, 1, 1)


# ------------------------------------------------------------------ 13.8 imports
def test_habitat_features_name_is_the_function():
    import importlib

    import radnb.features
    import radnb.features.habitat_metrics  # noqa: F401 - importing it must not shadow
    from radnb.features import habitat_features

    assert callable(habitat_features) and habitat_features.__module__.endswith("habitat_metrics")
    assert importlib.util.find_spec("radnb.features.habitat_features") is None
    assert not set(radnb.features._WHERE) & set(radnb.features._SUBMODULES)


def test_lazy_table_resolves_every_name():
    import importlib

    for pkg in ("radnb", "radnb.features", "radnb.evaluate", "radnb.datasets", "radnb.dicom",
                "radnb.plots", "radnb.widgets"):  # fmt: skip
        mod = importlib.import_module(pkg)
        for name in mod.__all__:
            assert getattr(mod, name) is not None, (pkg, name)


def test_evaluate_table_is_the_union_of_submodule_alls():
    import importlib

    import radnb.evaluate as ev

    for sub, names in ev._TABLE.items():
        assert set(names) == set(importlib.import_module(f"radnb.evaluate.{sub}").__all__), sub
    assert set(ev._TABLE) == set(ev._SUBMODULES)


def test_lazy_import_error_is_not_turned_into_attribute_error(monkeypatch):
    import sys

    import radnb.features

    monkeypatch.setitem(sys.modules, "radnb.features.fusion", None)  # as if it failed to import
    monkeypatch.delattr(radnb.features, "FusionClassifier", raising=False)
    with pytest.raises(ImportError):
        radnb.features.FusionClassifier  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        radnb.features.nothing  # noqa: B018


@pytest.mark.parametrize(
    ("pkg", "name", "module"),
    [("radnb.plots", "plot_slice", "radnb.plots.images"),
     ("radnb.widgets", "Viewer", "radnb.widgets.viewer"),
     ("radnb.evaluate", "auc_ci", "radnb.evaluate.classification")],
)  # fmt: skip
def test_missing_dependency_is_an_import_error_in_every_lazy_package(
    monkeypatch, pkg, name, module
):
    import importlib
    import sys

    mod = importlib.import_module(pkg)
    monkeypatch.setitem(sys.modules, module, None)  # as if its dependency were missing
    monkeypatch.delattr(mod, name, raising=False)
    with pytest.raises(ImportError):
        getattr(mod, name)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        mod.nothing  # noqa: B018


def test_filter_by_icc_is_iccfilter():
    from radnb.features.robustness import filter_by_icc
    from radnb.select import ICCFilter

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(6, 5)), columns=list("abcde"))
    X.iloc[0, 0] = np.nan  # a failed patient does not matter: only names are used
    icc = pd.Series({"a": 0.9, "b": 0.74, "c": np.nan, "d": 0.75, "z": 1.0})
    table = pd.DataFrame({"icc": icc, "lower": icc - 0.1})
    expected = X.columns[ICCFilter(icc, threshold=0.75).fit(X.fillna(0)).get_support()]
    assert filter_by_icc(X, icc).columns.tolist() == list(expected) == ["a", "d"]
    assert filter_by_icc(X, table, use="lower").columns.tolist() == ["a"]
    assert filter_by_icc(X.set_axis(range(5), axis=1), icc.set_axis([0, 1, 2, 3, 9])).shape == (
        6,
        2,
    )


def test_study_add_block_takes_a_feature_result():
    from radnb import Study
    from radnb.features import FeatureResult

    ids = [f"p{i}" for i in range(10)]
    table = pd.DataFrame({"patient_id": ids, "split": ["train"] * 10, "y": [0, 1] * 5})
    block = pd.DataFrame({"f1": np.arange(10.0), "f2": np.arange(10.0) ** 2}, index=ids)
    a = Study(table, outcome="y").add_block("rad", FeatureResult(block, [("p9", "CT", "x")]))
    b = Study(table, outcome="y").add_block("rad", block)
    pd.testing.assert_frame_equal(a.blocks["rad"], b.blocks["rad"])
