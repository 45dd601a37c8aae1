"""Plot methods of a Study; each delegates to :mod:`radnb.plots.classification`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from radnb.errors import InvalidParameterError

__all__ = ["PlotMixin"]


class PlotMixin:
    """ROC, calibration, DCA, nomogram, LASSO and score plots of a fitted Study."""

    def _plot_per_cohort(self, fn, cohort, models, ax, use_probs, **kws):
        self._check_fitted()
        names = [n for n in (models or self.outputs) if n not in self.absent_]
        notes = [f"{m}: absent" for m in self.absent_ if models is None or m in models]
        cohorts = list(self.cohorts) if cohort is None else [self._cohort_value(cohort)]
        if ax is None and len(cohorts) > 1:
            import matplotlib.pyplot as plt

            fig, axes = plt.subplots(
                1,
                len(cohorts),
                figsize=(4.6 * len(cohorts), 4.4),
                constrained_layout=True,
                squeeze=False,
            )
            axes = axes[0]
        else:
            axes = [ax]
        out = []
        for c, a in zip(cohorts, axes):
            ids = self.cohort_ids(c)
            table = self.probabilities_ if use_probs else self.scores_
            data = {n: table.loc[ids, n] for n in names}
            out.append(
                fn(
                    self.y.loc[ids],
                    data,
                    ax=a,
                    title=self.cohorts[c],
                    notes=notes,
                    **({"directions": self.directions_} if not use_probs else {}),
                    **kws,
                )
            )
        return out[0] if len(out) == 1 else np.asarray(out)

    def plot_roc(self, cohort: Any = None, *, models: Sequence[str] | None = None, ax=None, **kws):
        """ROC curves of the models per cohort (one panel per cohort unless ``cohort``)."""
        from radnb.plots.classification import plot_roc

        return self._plot_per_cohort(plot_roc, cohort, models, ax, False, **kws)

    def plot_calibration(
        self, cohort: Any = None, *, models: Sequence[str] | None = None, ax=None, **kws
    ):
        """Calibration curves (predicted risk vs observed) per cohort."""
        from radnb.plots.classification import plot_calibration

        return self._plot_per_cohort(plot_calibration, cohort, models, ax, True, **kws)

    def plot_dca(self, cohort: Any = None, *, models: Sequence[str] | None = None, ax=None, **kws):
        """Decision curves with treat-all and treat-none per cohort."""
        from radnb.plots.classification import plot_dca

        return self._plot_per_cohort(plot_dca, cohort, models, ax, True, **kws)

    def nomogram(self, name: str, *, fig=None, **kws):
        """Nomogram of a logistic model (``rms::nomogram`` layout); returns the Figure."""
        from radnb.plots.classification import plot_nomogram

        self._check_fitted()
        self._known(name)
        info = self.state_.models.get(name)
        if info is None or not info.is_logistic:
            raise InvalidParameterError(f"a nomogram needs a logistic model; {name!r} is not one")
        coef = info.coef
        return plot_nomogram(
            coef.drop("const"),
            float(coef["const"]),
            info.train_design,
            fig=fig,
            title=name,
            **kws,
        )

    def plot_lasso_path(self, name: str, *, ax=None, **kws):
        """LASSO coefficient path of a signature with lambda.min / lambda.1se.

        An absent signature is drawn too, with the reason on the plot.
        """
        from radnb.plots.classification import plot_lasso_path

        return self._mark_absent(name, plot_lasso_path(self._lasso(name), ax=ax, **kws))

    def plot_lasso_cv(self, name: str, *, ax=None, **kws):
        """LASSO cross-validation curve of a signature.

        An absent signature is drawn too (the curve shows why: no lambda
        with features beats the empty model by one SE), with the reason.
        """
        from radnb.plots.classification import plot_lasso_cv

        return self._mark_absent(name, plot_lasso_cv(self._lasso(name), ax=ax, **kws))

    def _mark_absent(self, name, ax):
        if name in self.absent_:
            import textwrap

            ax.text(
                0.02,
                0.02,
                "\n".join(textwrap.wrap(f"absent: {self.absent_[name]}", 60)),
                transform=ax.transAxes,
                fontsize=7,
                color="0.3",
                va="bottom",
                gid="absent-note",
                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"},
            )
        return ax

    def _lasso(self, name):
        from radnb.select import LassoSelector

        last = self._signature_pipeline(name).steps[-1][1]
        if not isinstance(last, LassoSelector):
            raise InvalidParameterError(f"signature {name!r} has no LASSO step")
        return last

    def plot_score_box(self, name: str, cohort: Any = None, *, ax=None, **kws):
        """Box plot of a score by outcome in one cohort (training by default)."""
        from radnb.plots.classification import plot_score_box

        c = self._cohort_value(self.train if cohort is None else cohort)
        ids = self.cohort_ids(c)
        kws.setdefault("cohort", f"{self.cohorts[c]} cohort")
        return plot_score_box(self.scores(name).loc[ids], self.y.loc[ids], ax=ax, **kws)

    def plot_waterfall(self, name: str, cohort: Any = None, *, ax=None, **kws):
        """Waterfall of a score around its training cut-off in one cohort."""
        from radnb.plots.classification import plot_waterfall

        c = self._cohort_value(self.train if cohort is None else cohort)
        ids = self.cohort_ids(c)
        kws.setdefault("cohort", self.cohorts[c])
        return plot_waterfall(
            self.scores(name).loc[ids],
            self.y.loc[ids],
            threshold=self.thresholds_[name],
            ax=ax,
            **kws,
        )
