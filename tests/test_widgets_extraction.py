"""ExtractionPanel: settings, YAML, preview, background run with cancel and resume."""

from __future__ import annotations

import time

import pandas as pd
from _widgets_data import SMALL_PARAMS, small_cohort

import radnb as rn
from radnb.features import radiomic
from radnb.features.presets import resolve_params
from radnb.widgets.extraction import ExtractionPanel, params_diff


def test_settings_round_trip_and_diff():
    panel = ExtractionPanel(small_cohort(), preset="ct")
    assert panel.params == resolve_params("ct")  # untouched controls = the preset
    assert "none" in panel.diff.value
    panel.bin_mode.value = "binCount"
    panel.bin_value.value = 32
    panel.classes.value = ("firstorder",)
    p = panel.params
    assert p["setting"]["binCount"] == 32 and "binWidth" not in p["setting"]
    assert list(p["featureClass"]) == ["firstorder"]
    assert "+ setting.binCount: 32" in params_diff(resolve_params("ct"), p)
    assert "binCount" in panel.diff.value
    text = panel.to_yaml()
    other = ExtractionPanel(small_cohort())
    other.from_yaml(text)
    assert other.params == p
    other.from_yaml("- not a mapping")
    assert other.messages.errors  # a message, no exception


def test_preview_uses_the_settings():
    panel = ExtractionPanel(small_cohort(), params=SMALL_PARAMS)
    h = panel.preview()
    panel.bin_mode.value = "binCount"
    panel.bin_value.value = 8
    h8 = panel.preview()
    assert h8.attrs["n_bins"] == 8 and h["count"].sum() == h8["count"].sum()
    assert "8 bins" in panel.histogram.fig.axes[0].get_title()


def test_background_run_cancel_and_resume(tmp_path):
    cohort = small_cohort()
    panel = ExtractionPanel(cohort, params=SMALL_PARAMS, cache=tmp_path / "cache")
    panel.run(background=True)
    t0 = time.time()
    while panel.runner.progress.value < 3 and time.time() - t0 < 60:
        time.sleep(0.002)
    panel.cancel()
    panel.wait(60)
    assert panel.runner.state == "cancelled" and panel.result_ is None
    done = panel.runner.progress.value
    assert 3 <= done < len(cohort.patient_ids)
    assert "resume" in panel.summary.value
    # resume: the finished patients come back from the cache
    panel.run(background=True)
    result = panel.wait(120)
    assert panel.runner.state == "done"
    assert panel.n_cached_ >= done
    ref = radiomic.extract_radiomics(
        cohort, params=SMALL_PARAMS, cache=False, client="serial", progress=False
    )
    pd.testing.assert_frame_equal(result.features, ref.features)
    assert "extract_radiomics(cohort" in panel.code.code


def test_failed_patient_does_not_stop_the_run(tmp_path):
    c = small_cohort()
    table = c.clinical.assign(ct=c.image_paths["CT"], mask=c.mask_paths.iloc[:, 0])
    bad = table.index[1]
    table.loc[bad, "mask"] = str(tmp_path / "missing_mask.nii.gz")
    cohort = rn.Cohort.from_table(table.iloc[:5].reset_index(), images={"CT": "ct"}, mask="mask")
    panel = ExtractionPanel(cohort, params=SMALL_PARAMS, cache=tmp_path / "cache")
    panel.run(background=False)
    assert panel.runner.state == "done"
    assert list(panel.errors_["patient_id"]) == [bad]
    assert bad in panel.errors_html.value and "not found" in panel.errors_html.value
    assert len(panel.result_.features.dropna()) == 4
    assert panel.messages.errors == []
