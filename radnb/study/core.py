"""The Study class: blocks -> signatures -> models, fitted on training rows only."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from radnb.errors import CohortError, InvalidParameterError, NotFittedError, RadnbError
from radnb.study._state import FitState, ModelFit, ModelSpec, SignatureSpec, _EmptySignature
from radnb.study.clinical import ClinicalEncoder, _logit_fit, select_clinical
from radnb.study.confounding import ConfoundingMixin
from radnb.study.outputs import OutputsMixin
from radnb.study.plotting import PlotMixin
from radnb.study.signature import Signature, _expit, _logit
from radnb.study.validation import InternalValidationMixin

__all__ = ["Study"]

_ESTIMATORS = ("logistic", "svm", "rf", "gb")


class Study(OutputsMixin, InternalValidationMixin, PlotMixin, ConfoundingMixin):
    """A radiomics / deep-learning classification study with a train / test design.

    Parameters
    ----------
    data : Cohort or DataFrame
        A :class:`~radnb.cohort.Cohort` (its ``clinical`` table is used) or a
        table indexed by ``patient_id`` (or with a ``patient_id`` column)
        holding the outcome and split columns and clinical variables.
    outcome : str
        Binary outcome column (0/1 or bool, or two values with ``positive``).
    train : value of the split column that marks the training cohort.
    split : str
        Split column (a Cohort's own split column takes precedence).
    cohorts : sequence or mapping, optional
        Order of the split values in tables and plots (training first by
        default, then in order of appearance), or a mapping split value ->
        display name.
    positive : value of ``outcome`` that counts as the event, optional.
    clinical : sequence of str, optional
        Candidate clinical variables for ``model(..., clinical="auto")``.
        Default: every column except the outcome, the split, a Cohort's
        declared outcomes and survival columns, and text columns with more
        than 10 distinct values (IDs, file paths). With a plain table, leave
        out other endpoints (e.g. survival times) by listing candidates.
    random_state : int
        Seed for every random step (CV folds, resampling, estimators).
    centre : str, optional
        Centre / batch / scanner column. Default: a column named ``centre``,
        ``center``, ``institution``, ``hospital``, ``batch``,
        ``scanner``, ``vendor`` or ``manufacturer`` if there is one. With a
        centre column, :meth:`results` checks every score for confounding by
        centre (:meth:`confounding`) and warns.
    """

    def __init__(
        self,
        data,
        outcome: str,
        train: Any = "train",
        *,
        split: str = "split",
        cohorts: Sequence | Mapping | None = None,
        positive: Any = None,
        clinical: Sequence[str] | None = None,
        random_state: int = 0,
        centre: str | None = None,
    ):
        if hasattr(data, "clinical") and not isinstance(data, pd.DataFrame):
            table = data.clinical.copy()
            split = getattr(data, "split_column", None) or split
        elif isinstance(data, pd.DataFrame):
            table = data.copy()
            if "patient_id" in table.columns:
                table = table.set_index("patient_id")
        else:
            raise CohortError("Study needs a Cohort or a DataFrame indexed by patient_id.")
        table.index = table.index.astype(str)
        table.index.name = "patient_id"
        if table.index.duplicated().any():
            dup = table.index[table.index.duplicated()].unique()[:5].tolist()
            raise CohortError(f"duplicated patient IDs in the study table, e.g. {dup}")
        checked = [(outcome, "outcome"), (split, "split")] + (
            [(centre, "centre")] if centre else []
        )
        for col, what in checked:
            if col not in table.columns:
                raise CohortError(
                    f"{what} column {col!r} not in the table; columns: {list(table.columns)[:20]}"
                )
        if not (table[split] == train).any():
            raise CohortError(
                f"no patient has {split} == {train!r}; split values: "
                f"{table[split].dropna().unique().tolist()}"
            )
        self.table = table
        self.outcome = outcome
        self.split = split
        self.train = train
        self.positive = positive
        self.y = self._binary(table[outcome])
        values = [train] + [v for v in pd.unique(table[split].dropna()) if v != train]
        if cohorts is None:
            self.cohorts = {v: str(v) for v in values}
        elif isinstance(cohorts, Mapping):
            self.cohorts = dict(cohorts)
        else:
            self.cohorts = {v: str(v) for v in cohorts}
        unknown = set(self.cohorts) - set(values)
        if unknown:
            raise CohortError(f"cohorts {sorted(map(str, unknown))} are not split values {values}")
        excluded = {outcome, split, *getattr(data, "outcomes", ())}
        excluded |= {c for pair in getattr(data, "survival", ()) for c in pair}

        def id_like(col: pd.Series) -> bool:  # file paths, IDs, free text
            text = not pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
            return text and col.nunique() > 10

        self.clinical_candidates = (
            list(clinical)
            if clinical is not None
            else [c for c in table.columns if c not in excluded and not id_like(table[c])]
        )
        self.random_state = random_state
        self.centre = centre
        self.blocks: dict[str, pd.DataFrame] = {}
        self._signatures: dict[str, SignatureSpec] = {}
        self._models: dict[str, ModelSpec] = {}

    def _binary(self, s: pd.Series) -> pd.Series:
        vals = s.dropna().unique()
        numeric = pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s)
        if self.positive is not None:
            out = (s == self.positive).astype(float)
        elif numeric and set(pd.Series(vals).astype(float)) <= {0.0, 1.0}:
            out = s.astype(float)
        else:
            raise CohortError(
                f"outcome {s.name!r} has values {sorted(map(str, vals))[:5]}; "
                "pass positive=<the event value>"
            )
        out[s.isna()] = np.nan
        return out.rename(self.outcome)

    # ---------------------------------------------------------------- building

    def add_block(self, name: str, df: pd.DataFrame) -> Study:
        """Add a feature block (DataFrame indexed by patient_id). Chainable.

        ``df`` may also be a result object with a ``features`` table, such as
        :class:`~radnb.features.radiomic.RadiomicsResult`.
        """
        if not isinstance(df, pd.DataFrame) and isinstance(
            getattr(df, "features", None), pd.DataFrame
        ):
            df = df.features
        if "patient_id" in df.columns:
            df = df.set_index("patient_id")
        df = df.copy()
        df.attrs = {}  # e.g. an errors table: pandas cannot compare DataFrame attrs
        df.index = df.index.astype(str)
        dup = df.index[df.index.duplicated()].unique()
        if len(dup):
            raise CohortError(
                f"block {name!r} has {len(dup)} duplicated patient ID(s), e.g. {dup[:5].tolist()}; "
                "keep one row per patient (e.g. df.groupby(level=0).first())"
            )
        num = df.select_dtypes(include=[np.number, "bool"]).astype(float)
        if num.shape[1] == 0:
            raise InvalidParameterError(f"block {name!r} has no numeric feature columns")
        inf = np.isinf(num.to_numpy())
        if inf.any():
            cols = num.columns[inf.any(axis=0)].tolist()
            rows = num.index[inf.any(axis=1)].tolist()
            raise InvalidParameterError(
                f"block {name!r} has infinite values in {len(cols)} column(s) {cols[:5]} for "
                f"{len(rows)} patient(s) {rows[:5]}; replace them (e.g. with NaN, "
                "df.replace([np.inf, -np.inf], np.nan)) or drop those columns"
            )
        extra = df.index.difference(self.table.index)
        if len(extra) == len(df):
            raise CohortError(f"block {name!r} shares no patient_id with the study table")
        missing = self.table.index.difference(df.index)
        if len(missing):
            warnings.warn(
                f"block {name!r} lacks {len(missing)} patient(s) "
                f"(e.g. {missing[:3].tolist()}); their scores will be missing",
                stacklevel=2,
            )
        self.blocks[name] = num.reindex(self.table.index)
        return self

    def signature(
        self,
        name: str,
        block: str,
        steps: Sequence = ("corr", "lasso"),
        *,
        final: str = "auto",
        on_empty: str = "raise",
        **kws,
    ) -> Study:
        """Define a linear score (e.g. Rad score) from a block. Chainable.

        ``on_empty``: what happens when selection keeps no feature on the
        training cohort: ``"raise"`` (an error saying so) or ``"absent"`` (the
        signature is recorded as absent with the reason, as a model without
        qualifying clinical variables is; models that use it go on without it,
        or are absent when nothing else is left).

        ``steps`` and ``**kws`` go to :func:`radnb.select.make_selector`
        (e.g. ``icc={"icc_values": icc}``). With a LASSO last step its
        coefficients make the score (``final="auto"``); otherwise an
        unpenalised logistic regression is fitted on the selected features.
        """
        if block not in self.blocks:
            raise InvalidParameterError(f"unknown block {block!r}; add it with add_block first")
        if on_empty not in ("raise", "absent"):
            raise InvalidParameterError(f"on_empty must be 'raise' or 'absent', got {on_empty!r}")
        self._check_name(name)
        self._signatures[name] = SignatureSpec(block, list(steps), final, kws, on_empty)
        return self

    def model(
        self,
        name: str,
        inputs: Sequence[str] | str | None = None,
        *,
        clinical: str | Sequence[str] | None = None,
        estimator: Any = "logistic",
        p_univariable: float = 0.05,
        p_multivariable: float = 0.05,
        candidates: Sequence[str] | None = None,
        crossfit: int | bool | None = None,
    ) -> Study:
        """Define a model on scores, blocks and/or clinical variables. Chainable.

        Parameters
        ----------
        inputs : names of signatures (their scores) or blocks (all features).
        clinical : None, "auto" or list of columns
            ``"auto"``: :func:`select_clinical` on training (univariable then
            multivariable p-values). If nothing qualifies and there are no
            other inputs the model is recorded as absent, not faked.
        estimator : "logistic", "svm", "rf", "gb" or a scikit-learn classifier
            ``"logistic"`` is an unpenalised statsmodels Logit (coefficients,
            odds ratios, nomogram); the others are scaled and fitted with
            ``random_state``.
        crossfit : None, True or int
            Number of folds K for cross-fitting (stacking, ``True`` = 5): the
            model is fitted on out-of-fold scores of its input signatures
            (each fold refits their whole selection chain on the other
            training folds); the signatures applied to every cohort stay the
            ones fitted on all training rows. See :mod:`radnb.study.crossfit`.
            Default ``None`` (off): a fit is one pass, as published pipelines
            are, so numbers stay comparable; :meth:`notes` flags a model
            stacked on fitted signatures without it. Turn it on for combined
            models (e.g. DL score + Rad score + clinical).
        """
        from radnb.study.crossfit import check_crossfit

        inputs = [inputs] if isinstance(inputs, str) else list(inputs or [])
        for i in inputs:
            if i not in self._signatures and i not in self.blocks:
                raise InvalidParameterError(
                    f"model {name!r}: unknown input {i!r} (not a signature or block)"
                )
        if isinstance(clinical, str) and clinical != "auto":
            clinical = [clinical]
        if not inputs and clinical is None:
            raise InvalidParameterError(f"model {name!r} has no inputs and no clinical variables")
        if isinstance(estimator, str) and estimator not in _ESTIMATORS:
            raise InvalidParameterError(f"estimator must be one of {_ESTIMATORS} or a classifier")
        self._check_name(name)
        self._models[name] = ModelSpec(
            inputs,
            clinical,
            estimator,
            p_univariable,
            p_multivariable,
            candidates,
            check_crossfit(crossfit),
        )
        return self

    def _check_name(self, name: str) -> None:
        if name in self._signatures or name in self._models:
            raise InvalidParameterError(f"a signature or model named {name!r} already exists")

    # ---------------------------------------------------------------- fitting

    @property
    def train_ids(self) -> pd.Index:
        """Training patients with a known outcome."""
        m = (self.table[self.split] == self.train) & self.y.notna()
        return self.table.index[m]

    def cohort_ids(self, cohort: Any) -> pd.Index:
        """Patients of one split value (or display name) with a known outcome."""
        value = self._cohort_value(cohort)
        return self.table.index[(self.table[self.split] == value) & self.y.notna()]

    def _cohort_value(self, cohort):
        if cohort in self.cohorts:
            return cohort
        for k, v in self.cohorts.items():
            if v == cohort:
                return k
        raise InvalidParameterError(
            f"unknown cohort {cohort!r}; cohorts: {list(self.cohorts.values())}"
        )

    def _fit_signature(
        self, name: str, spec: SignatureSpec, ids: Sequence[str], *, resample: bool = False
    ) -> Signature:
        from radnb.select import LassoSelector, make_selector

        X = self.blocks[spec.block].loc[ids]
        y = self.y.loc[ids]
        ok = X.notna().any(axis=1).to_numpy()
        X, y = X.loc[ok], y.loc[ok]
        pipe = make_selector(spec.steps, random_state=self.random_state, **spec.kws)
        pipe.fit(X, y.to_numpy())
        last = pipe.steps[-1][1]
        final = spec.final
        if final == "auto":
            final = "lasso" if isinstance(last, LassoSelector) else "logistic"
        if final == "lasso":
            if not isinstance(last, LassoSelector):
                raise InvalidParameterError(f"{name}: final='lasso' needs 'lasso' as the last step")
            kept = last.coef_[last.support_]
            if kept.empty and not resample:
                msg = (
                    f"{name}: LASSO kept no feature at lambda.{last.rule} on the training "
                    "cohort; "
                    + (
                        "try lasso={'rule': 'min'} or fewer filtering steps"
                        if last.rule == "1se"
                        else "the block may carry no signal for this outcome"
                    )
                )
                if spec.on_empty == "absent":
                    raise _EmptySignature(msg, pipe)
                raise RadnbError(msg)
            return Signature(
                name,
                spec.block,
                pipe,
                kept,
                last.intercept_,
                coef_std=last.coef_std_[last.support_],
                intercept_std=last.intercept_std_,
                mean=pd.Series(last.mean_, index=last.coef_.index)[kept.index],
                scale=pd.Series(last.scale_, index=last.coef_.index)[kept.index],
            )
        if final != "logistic":
            raise InvalidParameterError(
                f"final must be 'auto', 'lasso' or 'logistic', got {final!r}"
            )
        Z = pipe.transform(X)
        if Z.shape[1] == 0:
            msg = f"{name}: the selection steps kept no feature on the training cohort"
            if spec.on_empty == "absent":
                raise _EmptySignature(msg, pipe)
            raise RadnbError(msg)
        notes = []
        if Z.shape[1] > max(1, int(min(y.sum(), len(y) - y.sum()) / 10)):
            notes.append(
                f"{Z.shape[1]} features for {int(min(y.sum(), len(y) - y.sum()))} "
                "events of the rarer class (fewer than 10 per feature)"
            )
        res = _logit_fit(y, Z)
        coef = res.params.drop("const")
        return Signature(name, spec.block, pipe, coef, float(res.params["const"]), notes=notes)

    def _model_frame(self, spec, state, ids) -> pd.DataFrame:
        parts = []
        for i in spec.inputs:
            if i in state.signatures:
                parts.append(state.signature_scores.loc[ids, [i]])
            else:
                parts.append(self.blocks[i].loc[ids])
        return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=ids)

    def _fit_model(self, name, spec: ModelSpec, state: FitState, ids) -> ModelFit:
        y = self.y.loc[ids]
        clin = spec.clinical
        info = ModelFit(name, spec)
        if clin == "auto":
            cands = spec.candidates or self.clinical_candidates
            chosen, tab = select_clinical(
                self.table.loc[ids],
                y,
                cands,
                p_univariable=spec.p_uni,
                p_multivariable=spec.p_multi,
            )
            info.clinical_table = tab
            if not chosen:
                why = (
                    "no clinical variable was an independent predictor (univariable p < "
                    f"{spec.p_uni:g}, then multivariable p < {spec.p_multi:g}) "
                    "on the training cohort"
                )
                if not spec.inputs:
                    info.absent = why
                    return info
                info.notes.append(why + "; the model uses its other inputs only")
            clin = chosen
        clin = list(clin or [])
        missing = [c for c in clin if c not in self.table.columns]
        if missing:
            raise InvalidParameterError(
                f"model {name!r}: clinical columns {missing} not in the table"
            )
        enc = ClinicalEncoder().fit(self.table.loc[ids, clin]) if clin else None
        info.clinical, info.encoder = clin, enc
        X = self._design(info, spec, state, ids)
        ok = X.notna().all(axis=1).to_numpy()
        X, y = X.loc[ok], y.loc[ok]
        const = X.columns[X.nunique() <= 1]
        if len(const):  # e.g. an empty signature (intercept only) in a resample
            X = X.drop(columns=const)
            info.notes.append(f"constant on training, left out: {list(const)}")
        info.columns = list(X.columns)
        est = spec.estimator
        if isinstance(est, str) and est == "logistic":
            info.result = _logit_fit(y, X)
            if not info.result.mle_retvals.get("converged", True):
                info.notes.append("logistic fit did not converge (separation?)")
        else:
            info.estimator = self._sk_estimator(est).fit(X.to_numpy(), y.to_numpy().astype(int))
        info.train_design = X
        return info

    def _sk_estimator(self, est):
        from sklearn.base import clone
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        rs = self.random_state
        if est == "svm":
            from sklearn.svm import SVC

            est = SVC(probability=True, random_state=rs)
        elif est == "rf":
            from sklearn.ensemble import RandomForestClassifier

            est = RandomForestClassifier(n_estimators=300, random_state=rs)
        elif est == "gb":
            from sklearn.ensemble import GradientBoostingClassifier

            est = GradientBoostingClassifier(random_state=rs)
        else:
            est = clone(est)
        return make_pipeline(StandardScaler(), est)

    def _design(self, info: ModelFit, spec: ModelSpec, state: FitState, ids) -> pd.DataFrame:
        u = pd.Index(ids).unique()  # bootstrap ids repeat: build on unique, then expand
        X = self._model_frame(spec, state, u)
        if info.encoder is not None:
            X = X.join(info.encoder.transform(self.table.loc[u, info.clinical]))
        return X.loc[ids]

    def _predict_model(self, info: ModelFit, spec: ModelSpec, state: FitState, ids) -> np.ndarray:
        X = self._design(info, spec, state, ids)
        ok = X.notna().all(axis=1).to_numpy()
        p = np.full(len(X), np.nan)
        if ok.any():
            if info.is_logistic:
                coef = info.coef
                Xk = X.loc[ok, coef.index.drop("const")].to_numpy()
                p[ok] = _expit(coef["const"] + Xk @ coef.drop("const").to_numpy())
            else:
                Xk = X.loc[ok, info.columns].to_numpy()
                p[ok] = info.estimator.predict_proba(Xk)[:, 1]
        return p

    def _fit_on(self, ids: Sequence[str], *, resample: bool = False) -> FitState:
        """Fit every signature and model on the rows ``ids``; return the state.

        ``resample=True`` (internal validation): a LASSO that keeps no feature
        gives an intercept-only (constant) score, as glmnet's null model,
        instead of an error.
        """
        ids = pd.Index(ids)
        all_ids = self.table.index
        state = FitState()
        sig_scores = {}
        fitted_absent = getattr(self, "absent_", {}) if resample else {}
        for name, spec in self._signatures.items():
            if name in fitted_absent:  # absent on the full training fit: stays absent
                state.absent[name] = fitted_absent[name]
                continue
            try:
                sig = self._fit_signature(name, spec, ids, resample=resample)
            except _EmptySignature as exc:
                state.absent[name] = str(exc)
                state.absent_pipelines[name] = exc.pipeline
                continue
            state.signatures[name] = sig
            sig_scores[name] = sig.score(self.blocks[spec.block])
        state.signature_scores = pd.DataFrame(sig_scores, index=all_ids)
        # bootstrap ids repeat: the score table is indexed by unique ids, select with .loc
        oof_cache: dict = {}  # out-of-fold signature scores per K (radnb.study.crossfit)
        for name, spec in self._models.items():
            gone = [i for i in spec.inputs if i in state.absent]
            if gone:
                spec = spec.replace(inputs=[i for i in spec.inputs if i not in gone])
            if gone and not spec.inputs and spec.clinical is None:
                state.absent[name] = f"its inputs {gone} are absent"
                state.models[name] = ModelFit(name, spec, absent=state.absent[name])
                continue
            fit_state, cf_notes = self._crossfit_state(spec, state, ids, oof_cache, resample)
            info = self._fit_model(name, spec, fit_state, ids)
            info.notes += cf_notes
            if gone:
                info.notes.append(f"absent input(s) {gone} left out")
            if info.absent:
                state.absent[name] = info.absent
            state.models[name] = info
        return state

    def _crossfit_state(self, spec, state, ids, cache, resample):
        """State whose input-signature scores on ``ids`` are out of fold (``crossfit=K``)."""
        from radnb.study.crossfit import crossfit_state

        sigs = [i for i in spec.inputs if i in state.signatures]
        if not spec.crossfit or not sigs:
            note = "stacked on in-sample signature scores; crossfit=5 gives out-of-fold ones"
            return state, [note] if sigs and not resample else []
        sub = state.replace(signatures={s: state.signatures[s] for s in sigs})
        fit_state, notes = crossfit_state(self, sub, ids, spec.crossfit, cache, resample=resample)
        done = f"cross-fitted: second stage on {spec.crossfit}-fold out-of-fold scores of {sigs}"
        return state.replace(signature_scores=fit_state.signature_scores), (
            [] if resample else [done, *notes]
        )

    def _predict(self, state, ids) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Scores (signature linear scores, model log-odds) and probabilities of ``ids``."""
        scores, probs = {}, {}
        for name in state.signatures:
            s = state.signature_scores.loc[ids, name].to_numpy()
            scores[name], probs[name] = s, _expit(s)
        for name, info in state.models.items():
            if info.absent:
                continue
            p = self._predict_model(info, info.spec or self._models[name], state, ids)
            probs[name], scores[name] = p, np.where(np.isnan(p), np.nan, _logit(p))
        idx = pd.Index(ids)
        return pd.DataFrame(scores, index=idx), pd.DataFrame(probs, index=idx)

    def fit(self) -> Study:
        """Fit everything on the training rows; fix score directions and cut-offs there."""
        from radnb.evaluate import score_direction, youden_threshold

        if not self._signatures and not self._models:
            raise RadnbError("nothing to fit: define a signature or a model first")
        ids = self.train_ids
        counts = self.y.loc[ids].value_counts()
        if len(counts) < 2:
            only = (
                f"{counts.index[0]:g} ({int(counts.iloc[0])} patients)" if len(counts) else "none"
            )
            raise RadnbError(
                f"outcome {self.outcome!r} has a single class among the {len(ids)} training "
                f"patients ({self.split} == {self.train!r}): {only}. No model can be fitted; "
                "check the outcome coding (positive=) and the split"
            )
        state = self._fit_on(ids)
        scores, probs = self._predict(state, self.table.index)
        self.state_ = state
        self.negative_controls_: dict = {}  # filled by negative_controls(), read by report()
        self.signatures_ = state.signatures
        self.absent_ = dict(state.absent)
        self.scores_, self.probabilities_ = scores, probs
        self.directions_, self.thresholds_ = {}, {}
        y = self.y.loc[ids]
        for name in scores:
            s = scores.loc[ids, name]
            ok = s.notna()
            self.directions_[name] = score_direction(y[ok], s[ok])
            self.thresholds_[name] = youden_threshold(
                y[ok], s[ok], direction=self.directions_[name]
            )
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "state_"):
            raise NotFittedError("call study.fit() first")

    # ---------------------------------------------------------------- outputs

    @property
    def outputs(self) -> list[str]:
        """Names of the fitted signatures and present models, in definition order."""
        self._check_fitted()
        return list(self.scores_.columns)

    def formula(self, name: str, **kws) -> str:
        """Printable formula of a signature (see :meth:`Signature.formula`)."""
        self._check_fitted()
        if name not in self.signatures_:
            raise InvalidParameterError(f"{name!r} is not a signature")
        return self.signatures_[name].formula(**kws)

    def _signature_pipeline(self, name: str):
        """The fitted selection pipeline of a signature, present or absent."""
        self._check_fitted()
        if name in self.signatures_:
            return self.signatures_[name].pipeline
        pipe = self.state_.absent_pipelines.get(name)
        if pipe is not None:
            return pipe
        if name in self._signatures:
            raise RadnbError(f"signature {name!r} was not fitted: {self.absent_.get(name, '')}")
        raise InvalidParameterError(
            f"{name!r} is not a signature; signatures: {list(self._signatures)}"
        )

    def selection_report(self, name: str) -> pd.DataFrame:
        """What each selection step of a signature kept and why (training fit).

        Works for an absent signature too (``on_empty="absent"``): the table
        shows what every step did, and ``attrs["absent"]`` says why nothing
        was kept.
        """
        from radnb.select import selection_report

        out = selection_report(self._signature_pipeline(name))
        if name in self.absent_:
            out.attrs["absent"] = self.absent_[name]
        return out

    def clinical_selection(self, name: str) -> pd.DataFrame | None:
        """Univariable / multivariable table of a ``clinical="auto"`` model.

        For an absent model the table is still returned (it shows why no
        variable qualified) with the reason in ``attrs["absent"]``; None for
        a model without ``clinical="auto"``.
        """
        self._check_fitted()
        if name not in self.state_.models:
            what = "a signature (see selection_report)" if name in self._signatures else "unknown"
            raise InvalidParameterError(f"{name!r} is {what}; models: {list(self.state_.models)}")
        tab = self.state_.models[name].clinical_table
        if tab is not None and name in self.absent_:
            tab = tab.copy()
            tab.attrs["absent"] = self.absent_[name]
        return tab

    def coefficients(self, name: str) -> pd.DataFrame:
        """Coefficients, odds ratios (95% CI) and p of a logistic model (training fit)."""
        self._check_fitted()
        self._known(name)
        info = self.state_.models.get(name)
        if info is None or not info.is_logistic:
            raise InvalidParameterError(f"{name!r} is not a logistic model")
        res = info.result
        ci = res.conf_int()
        return pd.DataFrame(
            {
                "coef": res.params,
                "se": res.bse,
                "or": np.exp(res.params),
                "or_lower": np.exp(ci[0]),
                "or_upper": np.exp(ci[1]),
                "p": res.pvalues,
            }
        )

    def notes(self) -> list[str]:
        """Absent models and other notes from the last fit."""
        self._check_fitted()
        out = [f"{m}: absent - {why}" for m, why in self.absent_.items()]
        for name, info in self.state_.models.items():
            out += [f"{name}: {n}" for n in info.notes]
        for name, sig in self.signatures_.items():
            out += [f"{name}: {n}" for n in sig.notes]
        return out

    def results(
        self,
        *,
        cohorts: Sequence | None = None,
        models: Sequence[str] | None = None,
        formatted: bool = False,
        level: float = 0.95,
        by: str | None = None,
    ) -> pd.DataFrame:
        """Model x cohort table: AUC (DeLong CI), threshold metrics at the training
        Youden cut-off, Brier score and Hosmer-Lemeshow p.

        Absent models are skipped; their reasons are in ``table.attrs["notes"]``
        (and :meth:`notes`). ``formatted=True`` gives display strings.
        ``by``: a column of the study table (centre, sex, stage, ...): one
        block of rows per value of it, in a column of that name (subgroups
        with one outcome class are left out). When the study has a centre
        column (:meth:`centre_column`) every score is checked for confounding
        by centre; a flagged score gives a warning and a note pointing to
        :meth:`confounding`.
        """
        from radnb.study.results import evaluation_table, format_results

        self._check_fitted()
        names = list(models) if models is not None else self.outputs
        names = [n for n in names if n not in self.absent_]
        if by is not None and by not in self.table.columns:
            raise InvalidParameterError(f"results(by={by!r}): no such column in the study table")
        groups = [(None, self.table.index)]
        if by is not None:
            col = self.table[by]
            groups = [(v, self.table.index[col == v]) for v in sorted(col.dropna().unique())]
        parts = []
        for value, members in groups:
            for c in cohorts if cohorts is not None else self.cohorts:
                ids = self.cohort_ids(c).intersection(members, sort=False)
                if not len(ids) or (by is not None and self.y.loc[ids].nunique() < 2):
                    continue
                t = evaluation_table(
                    self.y.loc[ids],
                    {n: self.scores_.loc[ids, n] for n in names},
                    probabilities={n: self.probabilities_.loc[ids, n] for n in names},
                    directions=self.directions_,
                    thresholds=self.thresholds_,
                    level=level,
                )
                t.insert(1, "cohort", self.cohorts[self._cohort_value(c)])
                if by is not None:
                    t.insert(2, by, value)
                parts.append(t)
        if not parts:
            raise RadnbError("results: no cohort (or subgroup) has both outcome classes")
        out = pd.concat(parts, ignore_index=True)
        order = {n: i for i, n in enumerate(names)}
        out = out.sort_values("model", key=lambda s: s.map(order), kind="stable")
        out = out.reset_index(drop=True)
        if formatted:
            out = format_results(out)
        out.attrs["notes"] = self.notes()
        note = self._confounding_warning()
        if note:
            out.attrs["notes"].append(note)
        return out

    def delong_table(
        self, cohort: Any = None, *, models: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Pairwise paired DeLong p-values between present models in one cohort."""
        from radnb.study.results import delong_matrix

        self._check_fitted()
        c = self.train if cohort is None else self._cohort_value(cohort)
        names = [n for n in (models or self.outputs) if n not in self.absent_]
        ids = self.cohort_ids(c)
        out = delong_matrix(
            self.y.loc[ids],
            {n: self.scores_.loc[ids, n] for n in names},
            directions=self.directions_,
        )
        out.attrs["notes"] = self.notes()
        return out

    def negative_controls(self, signature: str, **kws):
        """Rerun a signature's chain on negative controls (see :mod:`radnb.study.controls`).

        Keyword options go to :func:`radnb.study.controls.negative_controls`;
        the result is also kept for :meth:`report`.
        """
        from radnb.study.controls import negative_controls

        res = negative_controls(self, signature, **kws)
        self.negative_controls_ = {**getattr(self, "negative_controls_", {}), signature: res}
        return res

    def report(self, path, **kws):
        """Write the study as one self-contained HTML file (see :mod:`radnb.study.report`)."""
        from radnb.study.report import write_report

        return write_report(self, path, **kws)

    def __repr__(self) -> str:
        counts = self.table[self.split].value_counts()
        parts = [f"{self.cohorts[c]}={int(counts.get(c, 0))}" for c in self.cohorts]
        fitted = "fitted" if hasattr(self, "state_") else "not fitted"
        return (
            f"Study(outcome={self.outcome!r}, cohorts: {', '.join(parts)}; "
            f"blocks={list(self.blocks)}, signatures={list(self._signatures)}, "
            f"models={list(self._models)}; {fitted})"
        )
