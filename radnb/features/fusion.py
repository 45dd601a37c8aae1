"""Multi-sequence attention fusion: one token per sequence, a transformer, a probability.

:class:`FusionClassifier` turns each sequence's feature vector (deep,
radiomic, ...) into a token, adds a learned sequence embedding, prepends a CLS
token and runs a small transformer encoder whose self-attention lets the
sequences inform each other; the CLS output gives the probability. A sequence
missing for a patient (all its features NaN) is masked out of the attention,
never imputed, and :meth:`FusionClassifier.attention` shows how much the CLS
token looked at each sequence.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin

__all__ = ["FusionClassifier"]

_FORMAT = "radnb.fusion/1"


def _split_input(
    X: Any,
) -> tuple[list[np.ndarray], list[str], list[list[str]] | None, pd.Index | None]:
    """Per-sequence 2D float arrays, sequence names, feature names and row index."""
    import scipy.sparse

    if scipy.sparse.issparse(X):
        raise TypeError("Sparse data was passed for X, but dense data is required")
    if isinstance(X, Mapping):
        names = [str(k) for k in X]
        frames = [pd.DataFrame(v) for v in X.values()]
        index = frames[0].index
        for f in frames[1:]:
            index = index.append(f.index.difference(index))
        arrays = [f.reindex(index).to_numpy(dtype=float) for f in frames]
        return arrays, names, [[str(c) for c in f.columns] for f in frames], index
    if isinstance(X, pd.DataFrame) and len(X.columns) and all("__" in str(c) for c in X.columns):
        prefix = [str(c).split("__", 1)[0] for c in X.columns]
        names = list(dict.fromkeys(prefix))
        cols = [[c for c, p in zip(X.columns, prefix, strict=True) if p == s] for s in names]
        arrays = [X[c].to_numpy(dtype=float) for c in cols]
        return arrays, names, [[str(c) for c in cc] for cc in cols], X.index
    index = X.index if isinstance(X, pd.DataFrame) else None
    from sklearn.utils.validation import check_array

    arr = check_array(X, allow_nd=True, ensure_all_finite="allow-nan", dtype=float, input_name="X")
    if arr.ndim == 2:
        arr = arr[:, None, :]
    if arr.ndim != 3:
        raise ValueError(
            f"X must be (patients, sequences, features), (patients, features), a dict of "
            f"per-sequence DataFrames or a '<sequence>__<feature>' DataFrame; got shape {arr.shape}"
        )
    names = [f"seq_{i}" for i in range(arr.shape[1])]
    return [arr[:, i, :] for i in range(arr.shape[1])], names, None, index


class _one_thread:
    """Run a tiny model with one CPU thread (several threads only add overhead)."""

    def __enter__(self) -> None:
        import torch

        self.prev = torch.get_num_threads()
        torch.set_num_threads(1)

    def __exit__(self, *exc: object) -> None:
        import torch

        torch.set_num_threads(self.prev)


class _FusionNet(torch.nn.Module):
    """Per-sequence projections + sequence embedding + CLS -> transformer -> logits."""

    def __init__(self, n_features: list[int], p: Mapping[str, Any], n_out: int = 1) -> None:
        from torch import nn

        super().__init__()
        d = p["d_model"]
        self.proj = nn.ModuleList(nn.Linear(f, d) for f in n_features)
        self.seq_embed = nn.Parameter(torch.randn(len(n_features), d) * 0.02)
        self.cls = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(
                d,
                p["n_heads"],
                p["dim_feedforward"],
                p["dropout"],
                batch_first=True,
                norm_first=True,
            )  # fmt: skip
            for _ in range(p["n_layers"])
        )
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, n_out)

    def forward(self, xs: list, missing, *, return_attention: bool = False):
        n = missing.shape[0]
        tokens = torch.stack([proj(x) for proj, x in zip(self.proj, xs, strict=True)], 1)
        h = torch.cat([self.cls.expand(n, -1, -1), tokens + self.seq_embed], 1)
        pad = torch.cat([torch.zeros(n, 1, dtype=torch.bool, device=missing.device), missing], 1)
        attn = None
        for i, layer in enumerate(self.layers):
            if return_attention and i == len(self.layers) - 1:
                z = layer.norm1(h)
                _, w = layer.self_attn(
                    z, z, z, key_padding_mask=pad, need_weights=True, average_attn_weights=True
                )
                attn = w[:, 0, 1:]  # the CLS query's weights on the sequence tokens
            h = layer(h, src_key_padding_mask=pad)
        logit = self.head(self.norm(h[:, 0]))
        if logit.shape[1] == 1:
            logit = logit.squeeze(-1)
        return (logit, attn) if return_attention else logit


class FusionClassifier(ClassifierMixin, BaseEstimator):
    """Attention fusion of per-sequence feature vectors into one probability.

    Fitted on the rows passed to :meth:`fit` (the training patients): the
    per-sequence standardisation (mean / SD over the patients who have that
    sequence), the token projections, sequence embeddings, CLS token,
    transformer and head. An inner validation split of those rows
    (``val_fraction``) chooses the epoch (early stopping, ``patience``).

    Parameters
    ----------
    d_model : token width.
    n_heads : attention heads (must divide ``d_model``). One head (the default)
        keeps :meth:`attention` easy to read; averaged heads blur it.
    n_layers : transformer encoder layers (pre-norm).
    dim_feedforward, dropout : of each encoder layer.
    lr, weight_decay : AdamW settings.
    max_epochs, batch_size, patience, val_fraction : training schedule;
        ``val_fraction=0`` trains for ``max_epochs`` without early stopping.
    sequence_dropout : during training, each present sequence is masked with
        this probability, so the model learns to cope with missing ones.
    class_weight : ``None``, ``"balanced"`` (class k weighted n / (K n_k)) or a
        dict class -> weight, applied to each patient's loss.
    device : torch device (``"cpu"`` is fastest for these small models).
    random_state : seed of initialisation, batching and the inner split.

    Notes
    -----
    ``X`` is an array (patients, sequences, features), a 2D array (one
    sequence), a dict ``{sequence: DataFrame}`` (rows joined on the index; a
    patient absent from a frame is missing that sequence) or a DataFrame with
    ``<sequence>__<feature>`` columns such as
    :func:`radnb.features.deep.extract_deep_features` returns. A sequence whose
    features are all NaN is masked (``src_key_padding_mask``); a NaN inside a
    present sequence is set to the training mean. Binary outcomes use one
    logit (sigmoid); more classes a softmax.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(80, 3, 4)); y = (X[:, 1, 0] > 0).astype(int)
    >>> clf = FusionClassifier(max_epochs=30, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape, clf.attention(X).shape
    ((80, 2), (80, 3))
    """

    def __init__(
        self,
        d_model: int = 32,
        *,
        n_heads: int = 1,
        n_layers: int = 1,
        dim_feedforward: int = 64,
        dropout: float = 0.1,
        lr: float = 3e-3,
        weight_decay: float = 1e-2,
        max_epochs: int = 200,
        batch_size: int = 64,
        patience: int = 20,
        val_fraction: float = 0.2,
        sequence_dropout: float = 0.1,
        class_weight: str | None = None,
        device: str = "cpu",
        random_state: int | None = None,
    ) -> None:
        self.d_model = d_model
        self.n_heads = n_heads
        self.n_layers = n_layers
        self.dim_feedforward = dim_feedforward
        self.dropout = dropout
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.patience = patience
        self.val_fraction = val_fraction
        self.sequence_dropout = sequence_dropout
        self.class_weight = class_weight
        self.device = device
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    # ------------------------------------------------------------------ data
    def _prepare(self, X: Any, *, fitting: bool = False):
        """Standardised per-sequence arrays (NaN -> 0) and the missing mask."""
        arrays, names, feats, index = _split_input(X)
        if fitting:
            self.sequences_ = names
            self.feature_names_ = feats
            self.n_features_ = [a.shape[1] for a in arrays]
            self.n_features_in_ = int(sum(self.n_features_))
        else:
            if (
                names != self.sequences_
                and feats is not None
                and set(names) >= set(self.sequences_)
            ):
                order = [names.index(s) for s in self.sequences_]
                arrays = [arrays[i] for i in order]
                feats = [feats[i] for i in order]
                names = list(self.sequences_)
            if names != self.sequences_ or [a.shape[1] for a in arrays] != self.n_features_:
                n_in = sum(a.shape[1] for a in arrays)
                raise ValueError(
                    f"X has {n_in} features, but FusionClassifier is expecting "
                    f"{self.n_features_in_} features as input (X: sequences {names} with "
                    f"{[a.shape[1] for a in arrays]} features; fitted on {self.sequences_} "
                    f"with {self.n_features_})"
                )
            if (
                feats is not None
                and self.feature_names_ is not None
                and feats != self.feature_names_
            ):
                raise ValueError("X's feature columns differ from those seen in fit")
        missing = np.stack([np.isnan(a).all(axis=1) for a in arrays], axis=1)
        if fitting:
            self.mean_, self.scale_ = [], []
            for a, miss in zip(arrays, missing.T, strict=True):
                rows = a[~miss]
                mu = np.nanmean(rows, axis=0) if len(rows) else np.zeros(a.shape[1])
                sd = np.nanstd(rows, axis=0) if len(rows) else np.ones(a.shape[1])
                mu = np.where(np.isfinite(mu), mu, 0.0)
                sd = np.where(np.isfinite(sd) & (sd > 1e-12), sd, 1.0)
                self.mean_.append(mu)
                self.scale_.append(sd)
        out = []
        for a, mu, sd in zip(arrays, self.mean_, self.scale_, strict=True):
            if np.isinf(a).any():
                raise ValueError("X contains infinite values")
            z = (a - mu) / sd
            out.append(np.nan_to_num(z, nan=0.0).astype(np.float64))
        return out, missing, index

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any) -> FusionClassifier:
        """Fit on the training patients' features ``X`` and binary outcome ``y``."""
        with _one_thread():
            return self._fit(X, y)

    def _fit(self, X: Any, y: Any) -> FusionClassifier:
        import torch
        from sklearn.model_selection import train_test_split
        from sklearn.utils.multiclass import check_classification_targets

        if y is None:
            raise ValueError("FusionClassifier requires y to be passed, but the target y is None")
        index = _split_input(X)[3]
        if isinstance(y, pd.Series) and index is not None and set(index) <= set(y.index):
            y = y.reindex(index)  # align an outcome Series on the patients of X
        from sklearn.utils.validation import column_or_1d

        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        xs, missing, _ = self._prepare(X, fitting=True)
        if len(y_enc) != len(missing):
            raise ValueError(f"X has {len(missing)} rows but y has {len(y_enc)}")
        if len(self.classes_) < 2:
            raise ValueError("y has only one class; FusionClassifier needs two")
        k = len(self.classes_)
        if self.d_model % self.n_heads:
            raise ValueError(f"n_heads={self.n_heads} must divide d_model={self.d_model}")
        seed = (
            int(self.random_state)
            if self.random_state is not None
            else int(np.random.default_rng().integers(2**31))
        )
        n = len(y_enc)
        rows = np.arange(n)
        val = np.array([], int)
        counts = np.bincount(y_enc, minlength=k)
        if self.val_fraction and n * self.val_fraction >= 4 and counts.min() >= 4:
            rows, val = train_test_split(
                rows, test_size=self.val_fraction, stratify=y_enc, random_state=seed
            )
        dev = torch.device(self.device)
        params = self.get_params()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = _FusionNet(self.n_features_, params, 1 if k == 2 else k).to(dev, torch.float64)
        gen = torch.Generator().manual_seed(seed)
        X_t = [torch.from_numpy(a).to(dev) for a in xs]
        M_t = torch.from_numpy(missing).to(dev)
        y_t = torch.from_numpy(y_enc).to(dev)
        cw = torch.as_tensor(self._class_weights(y_enc[rows]), dtype=torch.float32, device=dev)

        def loss_fn(logits, target):
            if k == 2:
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, target.float(), reduction="none"
                )
            else:
                loss = torch.nn.functional.cross_entropy(logits, target, reduction="none")
            return (loss * cw[target]).mean()

        opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        best, best_state, wait, history = np.inf, None, 0, []
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # dropout masks
            for epoch in range(int(self.max_epochs)):
                net.train()
                order = rows[torch.randperm(len(rows), generator=gen).numpy()]
                total = 0.0
                for i in range(0, len(order), int(self.batch_size)):
                    b = torch.from_numpy(order[i : i + int(self.batch_size)]).to(dev)
                    mb = M_t[b]
                    if self.sequence_dropout > 0:
                        drop = torch.rand(mb.shape, generator=gen).to(dev) < self.sequence_dropout
                        mb = mb | drop
                    opt.zero_grad(set_to_none=True)
                    loss = loss_fn(net([x[b] for x in X_t], mb), y_t[b])
                    loss.backward()
                    opt.step()
                    total += float(loss.detach()) * len(b)
                entry = {"epoch": epoch + 1, "train_loss": total / len(rows)}
                if len(val):
                    net.eval()
                    with torch.no_grad():
                        vb = torch.from_numpy(val).to(dev)
                        v = float(loss_fn(net([x[vb] for x in X_t], M_t[vb]), y_t[vb]))
                    entry["val_loss"] = v
                    if v < best - 1e-6:
                        best, wait = v, 0
                        best_state = {k: t.detach().clone() for k, t in net.state_dict().items()}
                        self.best_epoch_ = epoch + 1
                    else:
                        wait += 1
                history.append(entry)
                if len(val) and wait >= self.patience:
                    break
        if best_state is not None:
            net.load_state_dict(best_state)
        else:
            self.best_epoch_ = len(history)
        self.module_ = net.eval()
        self.history_ = pd.DataFrame(history)
        return self

    def _class_weights(self, y_enc: np.ndarray) -> np.ndarray:
        k = len(self.classes_)
        cw = self.class_weight
        if cw is None:
            return np.ones(k)
        if cw == "balanced":
            counts = np.bincount(y_enc, minlength=k).astype(float)
            return len(y_enc) / (k * np.maximum(counts, 1.0))
        if isinstance(cw, Mapping):
            return np.array([float(cw.get(c, 1.0)) for c in self.classes_])
        raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {cw!r}")

    # ------------------------------------------------------------------ predict
    def _check_fitted(self) -> None:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "module_")

    def _forward(self, X: Any, *, attention: bool = False):
        self._check_fitted()
        xs, missing, index = self._prepare(X)
        dev = next(self.module_.parameters()).device
        with torch.no_grad(), _one_thread():
            out = self.module_(
                [torch.from_numpy(a).to(dev) for a in xs],
                torch.from_numpy(missing).to(dev),
                return_attention=attention,
            )
        return out, missing, index

    def decision_function(self, X: Any) -> np.ndarray:
        """The logit of the positive class (binary) or the class logits."""
        logit, _, _ = self._forward(X)
        return logit.cpu().numpy().astype(float)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (patients, n_classes), in ``classes_`` order."""
        z = self.decision_function(X)
        if z.ndim == 1:
            p = 1.0 / (1.0 + np.exp(-z))
            return np.column_stack([1 - p, p])
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class (binary: probability >= 0.5)."""
        p = self.predict_proba(X)
        if p.shape[1] == 2:
            return self.classes_[(p[:, 1] >= 0.5).astype(int)]
        return self.classes_[p.argmax(axis=1)]

    def attention(self, X: Any) -> pd.DataFrame:
        """Per-patient attention weights of the CLS token on each sequence.

        From the last encoder layer, averaged over heads, renormalised over the
        sequence tokens (the CLS token's weight on itself left out), so each row
        sums to 1; a masked (missing) sequence gets 0.
        """
        (_, w), missing, index = self._forward(X, attention=True)
        w = w.cpu().numpy().astype(float)
        w[missing] = 0.0
        s = w.sum(axis=1, keepdims=True)
        w = np.divide(w, s, out=np.zeros_like(w), where=s > 0)
        idx = index if index is not None else pd.RangeIndex(len(w))
        return pd.DataFrame(w, index=idx, columns=list(self.sequences_))

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Save parameters, scaling and weights: tensors plus a JSON string, no pickled objects."""
        import torch

        self._check_fitted()
        meta = {
            "params": self.get_params(),
            "classes": self.classes_.tolist(),
            "sequences": self.sequences_,
            "feature_names": self.feature_names_,
            "n_features": self.n_features_,
            "mean": [m.tolist() for m in self.mean_],
            "scale": [s.tolist() for s in self.scale_],
            "best_epoch": int(self.best_epoch_),
        }
        sd = {k: v.detach().cpu() for k, v in self.module_.state_dict().items()}
        torch.save({"format": _FORMAT, "meta": json.dumps(meta), "state_dict": sd}, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> FusionClassifier:
        """Load a model written by :meth:`save` (``torch.load(weights_only=True)``)."""
        import torch

        obj = torch.load(path, weights_only=True, map_location="cpu")
        if not isinstance(obj, Mapping) or obj.get("format") != _FORMAT:
            raise ValueError(f"{path} is not a radnb FusionClassifier file")
        meta = json.loads(obj["meta"])
        params = dict(meta["params"], device="cpu")
        est = cls(**params)
        est.classes_ = np.asarray(meta["classes"])
        est.sequences_ = meta["sequences"]
        est.feature_names_ = meta["feature_names"]
        est.n_features_ = meta["n_features"]
        est.n_features_in_ = int(sum(est.n_features_))
        est.mean_ = [np.asarray(m) for m in meta["mean"]]
        est.scale_ = [np.asarray(s) for s in meta["scale"]]
        est.best_epoch_ = meta["best_epoch"]
        k = len(est.classes_)
        net = _FusionNet(est.n_features_, params, 1 if k == 2 else k).double()
        net.load_state_dict(obj["state_dict"])
        est.module_ = net.eval()
        return est
