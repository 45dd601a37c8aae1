"""DeepPanel: options, chunked background run, cancel, fusion (headless)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from _widgets_data import small_cohort

from radnb import datasets
from radnb.features import deep
from radnb.widgets.deep import DeepPanel


def test_run_matches_the_library_call():
    c = small_cohort().subset(small_cohort().patient_ids[:6])
    panel = DeepPanel(c, chunk=4)
    panel.size.value = 32
    assert "cpu" in panel.device_label.value or "cuda" in panel.device_label.value
    panel.run(background=False)
    assert panel.runner.state == "done" and panel.runner.progress.value == 6
    ref = deep.extract_deep_features(c, backbone="resnet18", dims=2, crop_kws={"size": 32},
                                     progress=False).features  # fmt: skip
    pd.testing.assert_frame_equal(panel.features_, ref, atol=1e-5)
    assert "deep.extract_deep_features(cohort" in panel.code.code
    assert "'size': 32" in panel.code.code


def test_missing_weights_file_is_a_message(tmp_path):
    panel = DeepPanel(small_cohort())
    panel.weights.value = str(tmp_path / "nope.pt")
    panel.run(background=False)
    assert panel.features_ is None
    assert (
        "not found" in panel.messages.errors[-1] and "never downloads" in panel.messages.errors[-1]
    )


def test_cancel_stops_between_chunks():
    c = small_cohort()
    panel = DeepPanel(c, chunk=2)
    panel.size.value = 32
    panel.run(background=True)
    t0 = time.time()
    while panel.runner.progress.value < 2 and time.time() - t0 < 60:
        time.sleep(0.005)
    panel.cancel()
    panel.wait(120)
    assert panel.runner.state == "cancelled" and panel.features_ is None
    assert panel.runner.progress.value < len(c.patient_ids)


def test_fusion_on_a_multi_sequence_cohort():
    c = datasets.simulate("S2", n=24, random_state=0, shape=(12, 24, 24))
    outcome = c.outcomes[0]
    panel = DeepPanel(c, outcome=outcome, chunk=24)
    assert not panel.fusion_button.disabled
    panel.size.value = 16
    panel.backbone.value = "resnet10"
    panel.run(background=False)
    model = panel.fit_fusion(max_epochs=5)
    assert model is not None, panel.messages.errors
    att = panel.attention_
    assert list(att.columns) == list(c.sequences)
    np.testing.assert_allclose(att.sum(axis=1), 1.0, atol=1e-6)
    assert "fit(dl.loc[train_ids]" in panel.code.code
    assert panel.attention_plot.n_draws == 1


def test_use_features_takes_a_block_extracted_elsewhere():
    c = small_cohort().subset(small_cohort().patient_ids[:5])
    dl = deep.extract_deep_features(c, backbone="resnet18", dims=2, crop_kws={"size": 32},
                                    progress=False)  # fmt: skip
    panel = DeepPanel(c)
    panel.use_features(dl)
    assert panel.features_ is dl.features and panel.runner.state != "done"  # nothing re-run
    assert f"{dl.features.shape[1]} deep features for 5 patients" in panel.summary.value
    assert "extracted above" in panel.code.code
