"""NRI and IDI: hand-computed examples and properties.

Formulas are those of Hmisc::improveProb / PredictABEL::reclassification
(Pencina et al. 2008, 2011); the hand computations below follow them step by step.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radnb.errors import RadnbError
from radnb.evaluate import idi, nri

Y = [1, 1, 1, 0, 0, 0]
OLD = [0.2, 0.4, 0.6, 0.2, 0.4, 0.6]
NEW = [0.3, 0.5, 0.5, 0.1, 0.3, 0.6]


def test_continuous_nri_by_hand():
    # events: d = +.1, +.1, -.1 -> up 2, down 1 -> 1/3
    # non-events: d = -.1, -.1, 0 -> down 2, up 0 -> 2/3
    # var_ev = (2 + 1)/3^2 - (2 - 1)^2/3^3 = 8/27; var_ne = 2/9 - 4/27 = 2/27
    r = nri(Y, OLD, NEW)
    assert r["events"] == pytest.approx(1 / 3)
    assert r["nonevents"] == pytest.approx(2 / 3)
    assert r["estimate"] == pytest.approx(1.0)
    assert r["se"] == pytest.approx(np.sqrt(10 / 27))
    assert r["se_events"] == pytest.approx(np.sqrt(8 / 27))
    assert r["lower"] == pytest.approx(1 - 1.959963984540054 * np.sqrt(10 / 27))
    assert r["z"] == pytest.approx(1 / np.sqrt(10 / 27))
    from scipy.stats import norm

    assert r["p"] == pytest.approx(2 * norm.sf(1 / np.sqrt(10 / 27)))
    assert (r["n_up_events"], r["n_down_events"]) == (2, 1)
    assert r["cutoffs"] is None and "table" not in r


def test_categorical_nri_by_hand():
    # cut-offs 0.25, 0.45, categories [0, .25), [.25, .45), [.45, 1]
    # events: old 0,1,2 -> new 1,2,2: up 2 -> 2/3; non-events: 0,1,2 -> 0,1,2: 0
    r = nri(Y, OLD, NEW, cutoffs=[0.25, 0.45])
    assert r["events"] == pytest.approx(2 / 3)
    assert r["nonevents"] == 0.0
    assert r["estimate"] == pytest.approx(2 / 3)
    assert r["se_events"] == pytest.approx(np.sqrt(2 / 9 - 4 / 27))
    assert r["se_nonevents"] == 0.0
    assert r["table"].to_numpy().sum() == 6
    assert r["cutoffs"] == [0.25, 0.45]


def test_categorical_boundary_goes_up():
    # PredictABEL: cut(..., right = FALSE): a risk equal to a cut-off is in the upper class
    r = nri([1, 0], [0.1, 0.1], [0.2, 0.1], cutoffs=[0.2])
    assert r["n_up_events"] == 1


def test_idi_by_hand():
    # d events = .1, .1, -.1: mean 1/30, var 0.04/3; d non-events = -.1, -.1, 0: -mean 1/15,
    # var 0.01/3; IDI = 0.1; se^2 = (0.04/3)/3 + (0.01/3)/3
    r = idi(Y, OLD, NEW)
    assert r["events"] == pytest.approx(1 / 30)
    assert r["nonevents"] == pytest.approx(1 / 15)
    assert r["estimate"] == pytest.approx(0.1)
    assert r["se"] == pytest.approx(np.sqrt(0.04 / 9 + 0.01 / 9))


def risks(draw_list):
    y = np.array([int(b) for b, _, _ in draw_list])
    a = np.array([v for _, v, _ in draw_list])
    b = np.array([v for _, _, v in draw_list])
    return y, a, b


rows = st.lists(
    st.tuples(st.booleans(), st.floats(0.0, 1.0), st.floats(0.0, 1.0)), min_size=4, max_size=40
).filter(lambda v: 2 <= sum(b for b, _, _ in v) <= len(v) - 2)


@settings(max_examples=60, deadline=None)
@given(rows)
def test_identical_models_give_zero(v):
    y, a, _ = risks(v)
    for r in (nri(y, a, a), nri(y, a, a, cutoffs=[0.3, 0.6]), idi(y, a, a)):
        assert r["estimate"] == 0.0
        assert r["p"] == 1.0


@settings(max_examples=60, deadline=None)
@given(rows)
def test_swapping_old_and_new_negates(v):
    y, a, b = risks(v)
    for f in (
        lambda o, n: nri(y, o, n),
        lambda o, n: nri(y, o, n, cutoffs=[0.2, 0.5]),
        lambda o, n: idi(y, o, n),
    ):
        r1, r2 = f(a, b), f(b, a)
        assert r1["estimate"] == pytest.approx(-r2["estimate"], abs=1e-12)
        assert r1["se"] == pytest.approx(r2["se"], abs=1e-12)
        assert r1["events"] == pytest.approx(-r2["events"], abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(rows)
def test_nri_bounded(v):
    y, a, b = risks(v)
    r = nri(y, a, b)
    assert -2 <= r["estimate"] <= 2
    assert -1 <= r["events"] <= 1 and -1 <= r["nonevents"] <= 1


def test_bootstrap_ci(rng):
    n = 300
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(x1 + x2)))).astype(int)
    old = 1 / (1 + np.exp(-x1))
    new = 1 / (1 + np.exp(-(x1 + x2)))
    a = idi(y, old, new, method="bootstrap", n_boot=300, random_state=1)
    b = idi(y, old, new, method="bootstrap", n_boot=300, random_state=1)
    assert a == b
    asym = idi(y, old, new)
    assert a["lower"] < a["estimate"] < a["upper"]
    assert a["se"] == pytest.approx(asym["se"], rel=0.3)
    assert asym["p"] < 0.001  # x2 carries real information
    c = nri(y, old, new, method="bootstrap", n_boot=200)
    assert c["lower"] < c["estimate"] < c["upper"] and c["method"] == "bootstrap"


def test_bad_inputs():
    with pytest.raises(RadnbError, match="cutoffs"):
        nri(Y, OLD, NEW, cutoffs=[0.0, 0.5])
    with pytest.raises(RadnbError, match="method"):
        idi(Y, OLD, NEW, method="exact")
    with pytest.raises(RadnbError, match="p_new"):
        idi(Y, OLD, [0.1, 0.2])
