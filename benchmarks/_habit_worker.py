"""Run HABIT's two-step habitat design in its own interpreter (called by bench_habitat.py).

Usage: python _habit_worker.py <job.json>. The job names a HABIT directory
layout (images/<pid>/<modality>/..., masks/<pid>/<roi>/...), the training and
all patient IDs, the settings, and an output folder; maps are written as .npy.
"""

import dataclasses
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np


def main(job_path: str) -> None:
    job = json.loads(Path(job_path).read_text())
    t0 = time.perf_counter()
    from habit.contracts import cohort_from_directory
    from habit.recipes.study import two_step_habitat
    from habit.spec.specs import Spec

    t_import = time.perf_counter() - t0
    rss_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cohort = cohort_from_directory(job["root"], modalities=job["modalities"], roi=job["roi"])
    train = set(job["train"])
    train_cohort = cohort.filter(lambda s: s.subject_id in train)
    study = two_step_habitat(
        modalities=job["modalities"],
        n_supervoxels=job["n_supervoxels"],
        n_habitats="auto",
        random_seed=job["seed"],
        roi=job["roi"],
    )
    if job["matched"]:  # same criterion, k range and cohort-level robust scaling as radnb
        fitter = dataclasses.replace(
            study.spec.habitat_model_fitter,
            params={
                **dict(study.spec.habitat_model_fitter.params),
                "min_habitats": job["k_range"][0],
                "max_habitats": job["k_range"][1],
                "validation": job["criterion"],
            },
        )
        study = dataclasses.replace(
            study,
            spec=dataclasses.replace(
                study.spec,
                habitat_model_fitter=fitter,
                cohort_feature_preprocessors=(Spec(name="robust", params={}),),
            ),
        )
    t = time.perf_counter()
    study.fit(train_cohort)
    t_fit = time.perf_counter() - t
    t = time.perf_counter()
    result = study.predict(cohort)
    t_predict = time.perf_counter() - t
    out = Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    for m in result.habitat_maps:
        np.save(out / f"{m.subject_id}.npy", np.asarray(m.label_array))
    model = study.model_
    report = {
        "import_s": t_import,
        "fit_s": t_fit,
        "predict_s": t_predict,
        "k": int(model.n_habitats),
        "maxrss_import_kib": rss_import,
        "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "selection": model.preprocessing_state.get("selection_report", {}),
    }
    (out / "report.json").write_text(json.dumps(report, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
