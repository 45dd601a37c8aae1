"""Habitat k at an end of k_range: a warning and a mark on the criterion plot (issue 15.12)."""

from __future__ import annotations

import warnings

import pytest
from test_habitat import sector_cohort  # the three-sector SIMULATED phantom

from radnb.features.habitat import HabitatModel


@pytest.fixture(scope="module")
def sectors(tmp_path_factory):
    return sector_cohort(tmp_path_factory.mktemp("sectors_edge"))


def test_k_at_upper_end_warns_and_is_marked(sectors):
    model = HabitatModel(n_supervoxels=20, k_range=(2, 3), random_state=1)
    with pytest.warns(UserWarning, match=r"k = 3, the upper end of k_range=\(2, 3\)"):
        model.fit(sectors, train="train")
    ax = model.plot_scores()
    notes = [t.get_text() for t in ax.texts if t.get_gid() == "k-edge-note"]
    assert notes == ["k at the upper end of k_range: the best k may lie outside it"]
    assert any(p.get_gid() == "k-edge" for p in ax.patches)


def test_k_at_lower_end_warns(sectors):
    model = HabitatModel(n_supervoxels=20, k_range=(3, 6), random_state=1)
    with pytest.warns(UserWarning, match="lower end of k_range"):
        model.fit(sectors, train="train")


def test_k_inside_range_is_quiet(sectors):
    model = HabitatModel(n_supervoxels=20, k_range=(2, 5), random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model.fit(sectors, train="train")
    ax = model.plot_scores()
    assert not [t for t in ax.texts if t.get_gid() == "k-edge-note"]
    # a fixed k is the user's choice: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        HabitatModel(n_habitats=2, n_supervoxels=20).fit(sectors, train="train")
