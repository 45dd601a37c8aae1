"""Serial and Dask paths: identical results, retries when a worker dies."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pandas as pd
import pytest

from radnb import parallel
from radnb.cohort import Cohort
from radnb.features.radiomic import extract_radiomics

PARAMS = {"imageType": {"Original": {}}, "featureClass": {"firstorder": [], "glcm": []}}


def _square(x):
    return x * x


def _fail_on_three(x):
    if x == 3:
        raise ValueError("three is bad")
    return x


def _die_once(task):
    """Kill the worker process the first time this task runs (a marker file remembers)."""
    value, marker = task
    if value == 2 and not os.path.exists(marker):
        Path(marker).write_text("killed once")
        os.kill(os.getpid(), signal.SIGKILL)
    return value * 10


def test_serial_run_tasks_collects_exceptions():
    out = dict(parallel.run_tasks(_fail_on_three, [1, 2, 3, 4], client="serial", progress=False))
    assert out[0] == 1 and out[3] == 4
    assert isinstance(out[2], ValueError)


def test_serial_priority_order():
    order = [
        i
        for i, _ in parallel.run_tasks(
            _square, [1, 2, 3], client="serial", progress=False, priority=[1, 3, 2]
        )
    ]
    assert order == [1, 2, 0]


def test_small_runs_stay_serial():
    assert parallel._use_serial(None, None, 3, 4)
    assert parallel._use_serial("serial", None, 100, 4)
    assert parallel._use_serial(None, 1, 100, 4)
    assert not parallel._use_serial("tcp://x:1", None, 1, 4)


def test_auto_rule_needs_cores(monkeypatch):
    """``client=None`` is serial on small machines; "local" and ``n_workers`` still ask for Dask."""
    monkeypatch.setattr(parallel, "default_n_workers", lambda: 2)
    assert parallel._use_serial(None, None, 100, 4)
    assert not parallel._use_serial("local", None, 100, 4)
    assert not parallel._use_serial(None, 2, 100, 4)
    monkeypatch.setattr(parallel, "default_n_workers", lambda: 8)
    assert not parallel._use_serial(None, None, 100, 4)


@pytest.fixture(scope="module")
def client():
    c = parallel.get_client(n_workers=2)
    yield c
    parallel.close_local_client()


def _cohort(data_dir):
    d = data_dir / "pyradiomics"
    cases = {
        "brain1": ("brain1_image.nrrd", "brain1_label.nrrd"),
        "brain2": ("brain2_image.nrrd", "brain2_label.nrrd"),
        "breast1": ("breast1_image.nrrd", "breast1_label.nrrd"),
        "prostate": ("prostate_phantom_subvolume.nrrd", "prostate_phantom_subvolume-label.nrrd"),
        "missing": ("nope.nrrd", "brain1_label.nrrd"),
    }
    rows = [{"patient_id": k, "img": str(d / a), "mask": str(d / b)} for k, (a, b) in cases.items()]
    return Cohort.from_table(pd.DataFrame(rows), images={"MR": "img"}, mask="mask")


def test_dask_equals_serial(client, data_dir, tmp_path):
    cohort = _cohort(data_dir)
    ser = extract_radiomics(cohort, params=PARAMS, cache=False, client="serial", progress=False)
    par = extract_radiomics(cohort, params=PARAMS, cache=tmp_path, client=client, progress=False)
    assert par.n_computed == 4
    pd.testing.assert_frame_equal(ser.features, par.features, check_exact=True)
    pd.testing.assert_frame_equal(ser.errors, par.errors)
    # the workers wrote the cache entries themselves
    assert len(list(tmp_path.rglob("*.parquet"))) == 4
    warm = extract_radiomics(cohort, params=PARAMS, cache=tmp_path, client=client, progress=False)
    assert warm.n_cached == 4 and warm.n_computed == 0
    pd.testing.assert_frame_equal(warm.features, par.features, check_exact=True)


def test_killed_worker_is_retried(client, tmp_path):
    marker = str(tmp_path / "killed")
    tasks = [(v, marker) for v in range(6)]
    out = dict(parallel.run_tasks(_die_once, tasks, client=client, progress=False))
    assert os.path.exists(marker)  # a worker really died
    assert out == {i: i * 10 for i in range(6)}


def test_scheduler_address_and_exceptions(client):
    address = client.scheduler.address
    out = dict(parallel.run_tasks(_fail_on_three, [1, 2, 3, 4, 5], client=address, progress=False))
    assert out[0] == 1 and isinstance(out[2], ValueError)
    assert parallel.get_client(n_workers=2) is client  # the local cluster is reused
