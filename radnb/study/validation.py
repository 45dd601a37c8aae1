"""Internal validation of a Study on its training cohort (bootstrap optimism, repeated CV)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from radnb.errors import InvalidParameterError, RadnbError

__all__ = ["InternalValidationMixin"]

_FAILURES = (RadnbError, ValueError, np.linalg.LinAlgError)


def _resample_task(task) -> list[dict]:
    """Refit the whole chain on ``fit_ids``; AUC of every output on each eval set.

    Module level so that Dask can send it to worker processes.
    """
    study, fit_ids, eval_sets, names = task
    state = study._fit_on(fit_ids, resample=True)
    return [study._resample_aucs(state, fit_ids, e, names) for e in eval_sets]


class InternalValidationMixin:
    """``Study.internal_validation``: refits the whole chain in each resample."""

    def _resample_aucs(self, state, fit_ids, eval_ids, names) -> dict:
        """AUC of each output on ``eval_ids``, direction fixed on ``fit_ids``."""
        from radnb.evaluate import auc_ci, score_direction

        sc, _ = self._predict(state, eval_ids)
        tr, _ = self._predict(state, fit_ids)
        out = {}
        for n in names:
            if n not in sc:
                out[n] = np.nan
                continue
            yt, st = self.y.loc[fit_ids].to_numpy(), tr[n].to_numpy()
            ok = np.isfinite(st)
            d = score_direction(yt[ok], st[ok])  # fixed on the fit rows
            ye, se = self.y.loc[eval_ids].to_numpy(), sc[n].to_numpy()
            ok = np.isfinite(se)
            both = 0 < ye[ok].sum() < ok.sum()
            out[n] = auc_ci(ye[ok], se[ok], direction=d).auc if both else np.nan
        return out

    def internal_validation(
        self,
        *,
        method: str = "bootstrap",
        n_boot: int = 200,
        n_splits: int = 5,
        n_repeats: int = 10,
        client: Any = None,
        n_workers: int | None = None,
        progress: bool = False,
    ) -> pd.DataFrame:
        """Internal validation on the training cohort, refitting the whole chain.

        ``method="bootstrap"``: Harrell's optimism correction (Harrell, Lee &
        Mark 1996; ``rms::validate``): optimism = mean over ``n_boot``
        resamples of (AUC on the resample - AUC of that fit on the original
        training cohort); corrected = apparent - optimism. ``method="cv"``:
        repeated stratified ``n_splits``-fold CV AUC (mean and SD over folds).
        Selection, LASSO, clinical selection and model fits are all redone in
        each resample. Resamples where a fit fails are counted in ``n_failed``.

        The resamples are independent tasks run through
        :func:`radnb.parallel.run_tasks`, as every cohort-level step: ``None``
        (default) on the local Dask cluster (single-threaded worker processes,
        one per core; serial for fewer than 4 resamples or without Dask),
        ``"serial"`` in this process, or any Dask ``Client`` / scheduler
        address; ``progress`` shows a progress bar.
        The resamples are drawn up front from ``random_state`` and combined in
        their order, so the numbers are the same serial or parallel.

        Returns
        -------
        DataFrame
            One row per present model: ``model, apparent_auc`` and either
            ``optimism, corrected_auc, n_boot`` or ``cv_auc, cv_auc_sd, n_folds``,
            plus ``n_failed``.
        """
        from sklearn.model_selection import RepeatedStratifiedKFold

        from radnb.parallel import run_tasks

        self._check_fitted()
        ids = self.train_ids
        y = self.y.loc[ids]
        names = [n for n in self.outputs if n not in self.absent_]

        def run(tasks, desc):
            out: list = [None] * len(tasks)
            for i, res in run_tasks(
                _resample_task,
                tasks,
                client=client,
                n_workers=n_workers,
                progress=progress,
                desc=desc,
            ):
                if isinstance(res, BaseException) and not isinstance(res, _FAILURES):
                    raise res
                out[i] = res
            return out

        apparent = self._resample_aucs(self.state_, ids, ids, names)
        rows = []
        failed = 0
        if method == "bootstrap":
            rng = np.random.default_rng(self.random_state)
            opt = {n: [] for n in names}
            tasks = []
            for _ in range(n_boot):
                b = ids[rng.integers(0, len(ids), len(ids))]
                if y.loc[b].nunique() < 2:
                    failed += 1
                    continue
                tasks.append((self, b, [b, ids], names))
            for res in run(tasks, "bootstrap"):
                if isinstance(res, _FAILURES):
                    failed += 1
                    continue
                a_boot, a_orig = res
                for n in names:
                    opt[n].append(a_boot[n] - a_orig[n])
            for n in names:
                o = float(np.nanmean(opt[n])) if opt[n] else np.nan
                rows.append(
                    {
                        "model": n,
                        "apparent_auc": apparent[n],
                        "optimism": o,
                        "corrected_auc": apparent[n] - o,
                        "n_boot": len(opt[n]),
                        "n_failed": failed,
                    }
                )
        elif method == "cv":
            cv = RepeatedStratifiedKFold(
                n_splits=n_splits, n_repeats=n_repeats, random_state=self.random_state
            )
            res = {n: [] for n in names}
            tasks = [
                (self, ids[tr], [ids[te]], names)
                for tr, te in cv.split(np.zeros(len(ids)), y.to_numpy().astype(int))
            ]
            for out in run(tasks, "cv"):
                if isinstance(out, _FAILURES):
                    failed += 1
                    continue
                (a,) = out
                for n in names:
                    res[n].append(a[n])
            for n in names:
                v = np.asarray(res[n], dtype=float)
                rows.append(
                    {
                        "model": n,
                        "apparent_auc": apparent[n],
                        "cv_auc": float(np.nanmean(v)) if v.size else np.nan,
                        "cv_auc_sd": float(np.nanstd(v, ddof=1)) if v.size > 1 else np.nan,
                        "n_folds": int(v.size),
                        "n_failed": failed,
                    }
                )
        else:
            raise InvalidParameterError(f"method must be 'bootstrap' or 'cv', got {method!r}")
        return pd.DataFrame(rows)
