"""The one vocabulary of radnb.evaluate: result types, renamed names, deprecations."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# ----------------------------------------------------------------------------- 13.1 plots


def test_plot_names_and_deprecated_aliases():
    from radnb import plots
    from radnb.plots import survival as ps

    t, e, g = [1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 0, 1], list("aaabbb")
    ax = plots.plot_km(t, e, g)
    assert len(ax.lines) >= 2
    with pytest.warns(DeprecationWarning, match="plot_km"):
        ax2 = ps.km_plot(t, e, g)
    assert len(ax2.lines) == len(ax.lines)
    import pandas as pd

    tab = pd.DataFrame({"covariate": ["age"], "hr": [1.1], "lower": [1.0], "upper": [1.2]})
    with pytest.warns(DeprecationWarning, match="plot_forest"):
        ax3 = plots.forest_plot(tab)
    assert [x.get_text() for x in ax3.get_yticklabels()] == ["age"]


def test_evaluate_survival_plot_aliases_are_lazy_and_warn():
    import radnb.evaluate.survival as sv
    from radnb.plots.survival import plot_forest, plot_km

    assert "km_plot" not in sv.__all__ and "forest_plot" not in sv.__all__
    with pytest.warns(DeprecationWarning, match=r"radnb\.plots\.plot_km"):
        assert sv.km_plot is plot_km
    with pytest.warns(DeprecationWarning, match=r"radnb\.plots\.plot_forest"):
        assert sv.forest_plot is plot_forest
    with pytest.raises(AttributeError):
        sv.no_such_name  # noqa: B018


def test_n_at_risk_public():
    from radnb.evaluate import n_at_risk
    from radnb.evaluate.survival import kaplan_meier

    t = np.array([1, 2, 2, 3, 5, 8])
    e = np.array([1, 0, 1, 1, 0, 1])
    km = kaplan_meier(t, e)
    # the risk set of each KM row is the number at risk at that time
    assert n_at_risk(t, km["time"]).tolist() == km["n_risk"].tolist()


def test_cox_model_plot_still_works_but_warns():
    import pandas as pd

    from radnb.evaluate.survival import cox_fit

    df = pd.DataFrame(
        {
            "t": [5, 8, 3, 9, 12, 2, 7, 10],
            "e": [1, 1, 1, 0, 0, 1, 1, 0],
            "x": [2.0, 1.0, 3.0, 0.5, 0.1, 2.5, 0.4, 1.5],
        }
    )
    m = cox_fit(df, "t", "e", ["x"])
    with pytest.warns(DeprecationWarning, match="plot_forest"):
        ax = m.plot()
    assert len(ax.get_yticklabels()) == 1


def test_import_radnb_evaluate_survival_does_not_load_plots():
    import subprocess
    import sys

    code = (
        "import sys, radnb.evaluate.survival as sv, radnb.evaluate as ev; "
        "ev.auc_ci; ev.hosmer_lemeshow; ev.nri; ev.decision_curve; "
        "print(any(m.startswith('radnb.plots') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_warning_from_new_names():
    from radnb.evaluate import survival as sv

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        sv.n_at_risk([1, 2], [1])
        sv.km_median([1, 2, 3], [1, 1, 1])
