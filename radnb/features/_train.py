"""Train a DL score: a ResNet head or a fine-tuned ResNet on the training split."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from radnb.errors import CohortError, NotFittedError
from radnb.features._backbones import build_backbone, feature_dim, load_weights
from radnb.features._crops import CropDataset, CropSpec
from radnb.features._result import FeatureResult, deprecated_as_result

__all__ = ["DLScoreModel", "train_dl_score"]

_FORMAT = "radnb.dl_score/1"


def _score_net(config: Mapping[str, Any]):
    import torch

    class ScoreNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = build_backbone(
                config["backbone"],
                dims=config["dims"],
                in_channels=config["in_channels"],
                random_state=config["random_state"],
            )
            self.head = torch.nn.Linear(feature_dim(config["backbone"]), 1)

        def forward(self, x):
            return self.head(self.backbone(x)).squeeze(-1)

    return ScoreNet()


def augment(x, gen, *, dims: int, max_angle: float = 10.0, jitter: float = 0.1):
    """Random flips, a small in-plane rotation and intensity jitter of a batch.

    ``gen`` is a CPU ``torch.Generator`` (seeded from ``random_state``).
    """
    import math

    import torch
    import torch.nn.functional as F

    n = x.shape[0]
    spatial = list(range(2, x.ndim))
    for ax in spatial:
        flip = torch.rand(n, generator=gen) < 0.5
        if flip.any():
            idx = flip.nonzero().squeeze(1).to(x.device)
            x = x.clone()
            x[idx] = x[idx].flip(ax - 1)
    ang = (torch.rand(n, generator=gen) * 2 - 1) * math.radians(max_angle)
    c, s = torch.cos(ang), torch.sin(ang)
    if dims == 2:
        theta = torch.zeros(n, 2, 3)
        theta[:, 0, 0], theta[:, 0, 1], theta[:, 1, 0], theta[:, 1, 1] = c, -s, s, c
    else:  # rotate about the slice axis (in-plane), grid order is (x, y, z)
        theta = torch.zeros(n, 3, 4)
        theta[:, 0, 0], theta[:, 0, 1], theta[:, 1, 0], theta[:, 1, 1] = c, -s, s, c
        theta[:, 2, 2] = 1.0
    grid = F.affine_grid(theta.to(x.device, x.dtype), list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    scale = 1 + (torch.rand(n, generator=gen) * 2 - 1) * jitter
    shift = (torch.rand(n, generator=gen) * 2 - 1) * jitter
    view = (n,) + (1,) * (x.ndim - 1)
    return x * scale.view(view).to(x.device) + shift.view(view).to(x.device)


class DLScoreModel:
    """A trained DL score (ResNet backbone + logistic head); see :func:`train_dl_score`.

    Fitted on the training split's patients only (minus an inner validation
    split used for early stopping). ``scores`` (a
    :class:`~radnb.features.FeatureResult`) holds the probability for every
    patient of the cohort it was trained from; :meth:`predict` scores any cohort.
    """

    def __init__(self, config: Mapping[str, Any], net=None) -> None:
        self.config = dict(config)
        self.net_ = net
        self.scores: FeatureResult | None = None
        self.history_: pd.DataFrame | None = None

    def __repr__(self) -> str:
        c = self.config
        return (
            f"DLScoreModel({c['backbone']} {c['dims']}D, mode={c['mode']!r}, "
            f"sequences={c['sequences']}, best_epoch={c.get('best_epoch')})"
        )

    def _check(self) -> None:
        if self.net_ is None:
            raise NotFittedError("this DLScoreModel has no network; train or load one")

    def predict(
        self,
        cohort,
        *,
        device: Any = "auto",
        batch_size: int = 16,
        cache: Any = None,
        progress: bool = False,
        as_result: bool | None = None,
    ) -> FeatureResult:
        """Probability per patient: a :class:`~radnb.features.FeatureResult`.

        ``features`` has the column ``dl_score``; ``errors`` the patients whose
        crops failed. ``as_result`` is deprecated (``False`` gives the old
        DataFrame with ``attrs["errors"]``, with a DeprecationWarning).
        """
        self._check()
        c = self.config
        spec = CropSpec(**c["crop"])
        ds = CropDataset(cohort, c["sequences"], spec=spec, cache=cache, stack=True)
        X, errors = ds.load_all(progress=progress)
        p = _predict_array(self.net_, X, device=device, batch_size=batch_size, amp=c["amp"])
        df = pd.DataFrame({"dl_score": p}, index=pd.Index(ds.cohort.patient_ids, name="patient_id"))
        df = df.drop(index=list(errors["patient_id"]))
        result = FeatureResult(df, errors, provenance=self._provenance())
        return deprecated_as_result(result, as_result, "DLScoreModel.predict")

    def _provenance(self) -> dict:
        c = self.config
        return {"step": "dl_score", "sequences": list(c["sequences"]), "crop": dict(c["crop"])}

    @property
    def scores_result(self) -> FeatureResult:
        """Deprecated: :attr:`scores` is the :class:`~radnb.features.FeatureResult` itself."""
        from radnb.evaluate._deprecate import warn_renamed

        warn_renamed("DLScoreModel.scores_result", "DLScoreModel.scores")
        scores = getattr(self, "scores", None)
        if scores is None:
            raise NotFittedError("this DLScoreModel has no scores; train it with train_dl_score")
        return scores

    def save(self, path: str | os.PathLike) -> None:
        """Save weights and settings (``torch.save`` of tensors + a JSON string)."""
        import torch

        self._check()
        sd = {k: v.detach().cpu() for k, v in self.net_.state_dict().items()}
        torch.save({"format": _FORMAT, "config": json.dumps(self.config), "state_dict": sd}, path)

    @classmethod
    def load(cls, path: str | os.PathLike, *, map_location: Any = "cpu") -> DLScoreModel:
        """Load a saved model (``torch.load(weights_only=True)``: no arbitrary objects)."""
        import torch

        obj = torch.load(path, weights_only=True, map_location=map_location)
        if not isinstance(obj, Mapping) or obj.get("format") != _FORMAT:
            raise ValueError(f"{path} is not a radnb DL score file")
        config = json.loads(obj["config"])
        net = _score_net(config)
        net.load_state_dict(obj["state_dict"])
        return cls(config, net.eval())


def _predict_array(net, X: np.ndarray, *, device: Any, batch_size: int, amp: bool) -> np.ndarray:
    import torch

    from radnb import device as rdev

    dev = rdev.resolve_device(device)
    net = net.eval().to(dev)
    out = []
    with torch.inference_mode(), rdev.autocast(dev, amp):
        for i in range(0, len(X), batch_size):
            x = torch.from_numpy(X[i : i + batch_size]).to(dev)
            out.append(torch.sigmoid(net(x).float()).cpu())
    net.to("cpu")
    return torch.cat(out).numpy() if out else np.zeros(0, np.float32)


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")


def train_dl_score(
    cohort,
    outcome: str,
    *,
    train: str | Sequence[str] | None = "train",
    sequences: Sequence[str] | None = None,
    backbone: str = "resnet18",
    dims: int = 2,
    weights: Any = None,
    mode: str = "head",
    crop_kws: Mapping[str, Any] | None = None,
    epochs: int = 30,
    patience: int = 5,
    val_fraction: float = 0.2,
    class_weight: str | None = "balanced",
    augment_data: bool = True,
    batch_size: int = 16,
    lr: float | None = None,
    weight_decay: float = 1e-4,
    amp: bool = True,
    deterministic: bool = False,
    cache: Any = None,
    random_state: int = 0,
    device: Any = "auto",
    progress: bool = True,
) -> DLScoreModel:
    """Train a DL score on the training split and score every patient.

    Fitted on the patients of split ``train`` only: an inner, stratified
    validation split of them (``val_fraction``) picks the epoch with the lowest
    validation loss (early stopping after ``patience`` epochs without
    improvement). Sequences are stacked as input channels.

    Parameters
    ----------
    cohort : Cohort
    outcome : binary clinical column (0/1).
    train : split value(s) of the training patients (``None``: all patients).
    mode : ``"head"`` trains a logistic head on frozen backbone features
        (computed once, no augmentation); ``"finetune"`` trains the whole
        network with augmentation (flips, small in-plane rotations, intensity
        jitter).
    class_weight : ``"balanced"`` weights positives by n_negative / n_positive.
    lr : learning rate (default 1e-3 for the head, 1e-4 for fine-tuning).
    Other parameters are those of :func:`extract_deep_features`.

    Returns
    -------
    DLScoreModel
        ``.scores`` (a :class:`~radnb.features.FeatureResult`: ``features`` =
        ``dl_score``, ``role`` and split per patient; ``errors``), ``.history_``
        (per-epoch train/validation loss and validation AUC), ``.predict``.
    """
    import torch
    from sklearn.model_selection import train_test_split
    from tqdm.auto import tqdm

    from radnb import device as rdev

    if mode not in ("head", "finetune"):
        raise ValueError(f"mode must be 'head' or 'finetune', got {mode!r}")
    clin = cohort.clinical
    if outcome not in clin.columns:
        raise CohortError(f"outcome column {outcome!r} not in the clinical table")
    sequences = list(sequences) if sequences is not None else list(cohort.sequences)
    spec = CropSpec.from_kws(dims, crop_kws)
    ds = CropDataset(cohort, sequences, spec=spec, cache=cache, stack=True)
    X, errors = ds.load_all(progress=progress)
    pids = np.asarray(cohort.patient_ids)
    ok = ~np.isin(pids, errors["patient_id"].to_numpy())
    y_all = pd.to_numeric(clin[outcome], errors="coerce").to_numpy()
    if train is None:
        in_train = np.ones(len(pids), bool)
    else:
        if cohort.splits is None:
            raise CohortError("cohort has no split column; pass train=None to use all patients")
        wanted = [train] if isinstance(train, str) else list(train)
        in_train = cohort.splits.isin(wanted).to_numpy()
    fit_rows = np.flatnonzero(in_train & ok & ~np.isnan(y_all))
    y_fit = y_all[fit_rows].astype(int)
    if len(np.unique(y_fit)) < 2:
        raise CohortError(f"the training patients need both outcome classes in {outcome!r}")
    tr, va = train_test_split(
        fit_rows, test_size=val_fraction, stratify=y_fit, random_state=random_state
    )
    dev = rdev.resolve_device(device)
    config = dict(
        backbone=backbone, dims=dims, in_channels=int(X.shape[1]), mode=mode,
        sequences=sequences, crop=json.loads(spec.as_json()), outcome=outcome,
        random_state=int(random_state), amp=bool(amp),
    )  # fmt: skip
    config["crop"]["size"] = list(spec.out_size[: dims if dims == 3 else 2])
    config["crop"]["intensity"] = spec.intensity
    gen = torch.Generator().manual_seed(int(random_state))
    history = []
    with rdev.deterministic(deterministic, seed=random_state):
        net = _score_net(config)
        load_weights(net.backbone, weights)
        net = net.to(dev)
        y_t = torch.as_tensor(y_all, dtype=torch.float32)
        n_pos = float(y_all[tr].sum())
        pos_weight = (len(tr) - n_pos) / max(n_pos, 1.0) if class_weight == "balanced" else 1.0
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight, device=dev))
        if mode == "head":
            net.backbone.eval()
            for p in net.backbone.parameters():
                p.requires_grad_(False)
            feats = _backbone_features(net.backbone, X, dev, batch_size, amp)
            params = net.head.parameters()
            lr = 1e-3 if lr is None else lr
        else:
            params = net.parameters()
            lr = 1e-4 if lr is None else lr
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
        best, best_state, wait = np.inf, copy.deepcopy(net.state_dict()), 0
        bar = tqdm(range(epochs), desc="epochs", disable=not progress, leave=False)
        for epoch in bar:
            order = tr[torch.randperm(len(tr), generator=gen).numpy()]
            net.train(mode == "finetune")
            total = 0.0
            for i in range(0, len(order), batch_size):
                rows = order[i : i + batch_size]
                yb = y_t[rows].to(dev)
                opt.zero_grad(set_to_none=True)
                if mode == "head":
                    logits = net.head(feats[rows].to(dev)).squeeze(-1)
                else:
                    xb = torch.from_numpy(X[rows]).to(dev)
                    if augment_data:
                        xb = augment(xb, gen, dims=dims)
                    with rdev.autocast(dev, amp):
                        logits = net(xb)
                loss = loss_fn(logits.float(), yb)
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(rows)
            net.eval()
            with torch.no_grad():
                if mode == "head":
                    v_logits = net.head(feats[va].to(dev)).squeeze(-1).float().cpu()
                else:
                    p_va = _predict_array(net, X[va], device=dev, batch_size=batch_size, amp=amp)
                    v_logits = torch.logit(torch.from_numpy(p_va).clamp(1e-6, 1 - 1e-6))
                    net.to(dev)
                v_loss = float(loss_fn(v_logits.to(dev), y_t[va].to(dev)))
            v_auc = _auc(y_all[va], torch.sigmoid(v_logits).numpy())
            history.append((epoch + 1, total / len(tr), v_loss, v_auc))
            bar.set_postfix(loss=f"{total / len(tr):.3f}", val_loss=f"{v_loss:.3f}")
            if v_loss < best - 1e-6:
                best, best_state, wait = v_loss, copy.deepcopy(net.state_dict()), 0
                config["best_epoch"] = epoch + 1
            else:
                wait += 1
                if wait >= patience:
                    break
        net.load_state_dict(best_state)
        net = net.to("cpu").eval()
    model = DLScoreModel(config, net)
    model.history_ = pd.DataFrame(history, columns=["epoch", "train_loss", "val_loss", "val_auc"])
    p = _predict_array(net, X, device=dev, batch_size=batch_size, amp=amp)
    scores = pd.DataFrame({"dl_score": p}, index=pd.Index(pids, name="patient_id"))
    role = np.where(in_train, "train", "other")
    role[tr] = "train (fit)"
    role[va] = "train (inner validation)"
    scores["role"] = role
    if cohort.split_column is not None:
        scores[cohort.split_column] = cohort.splits.to_numpy()
    model.scores = FeatureResult(scores.loc[ok], errors, provenance=model._provenance())
    return model


def _backbone_features(backbone, X: np.ndarray, dev, batch_size: int, amp: bool):
    import torch

    from radnb import device as rdev

    out = []
    with torch.inference_mode(), rdev.autocast(dev, amp):
        for i in range(0, len(X), batch_size):
            out.append(backbone(torch.from_numpy(X[i : i + batch_size]).to(dev)).float().cpu())
    return torch.cat(out).clone()
