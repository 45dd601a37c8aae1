"""seed_stability: ARI between habitat fits with different seeds."""

from __future__ import annotations

import tempfile

import pytest

from radnb import datasets
from radnb.features.habitat import HabitatModel
from radnb.features.habitat_stability import seed_stability


def test_same_seed_gives_ari_one_and_pairs_are_complete():
    c = datasets.simulate("S3", n=8, root=tempfile.mkdtemp(), shape=(12, 24, 24))
    m = HabitatModel(n_habitats=3, n_supervoxels=20, n_init=2)
    same = seed_stability(m, c, seeds=(4, 4), train="train")
    assert same["ari"].iloc[0] == pytest.approx(1.0)
    tab = seed_stability(m, c, seeds=(0, 1, 2), train="train")
    assert list(zip(tab.seed_a, tab.seed_b)) == [(0, 1), (0, 2), (1, 2)]
    assert (tab["k_a"] == 3).all() and tab["ari"].between(-1, 1).all()
