"""Shared test fixtures: a seeded rng, the Agg backend, the shared data folder."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

# Property tests are derandomised: the same examples on every run (CI included), so a
# failure is reproducible and a green run is not luck.
from hypothesis import settings as _hyp_settings  # noqa: E402

_hyp_settings.register_profile("ci", derandomize=True, print_blob=True)
_hyp_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("RADNB_DATA_DIR", REPO.parent / "shared" / "data"))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261127)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared public data folder (``../shared/data`` or ``RADNB_DATA_DIR``)."""
    if not SHARED_DATA.is_dir():
        raise RuntimeError(
            f"shared data folder not found at {SHARED_DATA}; set RADNB_DATA_DIR to it"
        )
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
