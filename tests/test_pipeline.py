"""The main job (S1 end to end on its simulated cohort) writes its figures and tables."""

from __future__ import annotations

import json

import pandas as pd
import pytest


@pytest.mark.slow
def test_run_s1_end_to_end(tmp_path, monkeypatch):
    from radnb.pipeline import run_s1

    monkeypatch.setenv("RADNB_CACHE_DIR", str(tmp_path / "cache"))
    res = run_s1(
        tmp_path / "out", params="pyradiomics-default", client="serial", progress=False, echo=None
    )
    out = tmp_path / "out"
    for f in (
        "results.csv",
        "cox_rfs_train.csv",
        "table1.csv",
        "risk_groups_rfs.csv",
        "delong_test.csv",
        "signatures.txt",
    ):
        assert (out / "tables" / f).stat().st_size > 0, f
    for f in ("roc.png", "calibration.png", "dca.png", "km_test.png", "forest_cox_rfs.png"):
        assert (out / "figures" / f).stat().st_size > 10_000, f
    assert "SIMULATED" in (out / "SIMULATED_DATA.txt").read_text(encoding="utf-8")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["simulated"] is True and summary["n_patients"] == 181
    results = pd.read_csv(out / "tables" / "results.csv")
    assert set(results["cohort"]) == {"train", "test"}
    # the planted signal is found: the combined model beats chance on the test split
    auc = results.set_index(["model", "cohort"])["auc"]
    best = max(auc[(m, "test")] for m in results["model"].unique())
    assert best > 0.65
    assert res["study"].train == "train"
