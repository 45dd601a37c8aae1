"""Deep-learning features: tumour crops through a ResNet, pooled, one table per cohort.

:func:`extract_deep_features` cuts a crop per patient and sequence (2D, 2.5D or
3D; see :class:`CropSpec`), runs it through a MONAI ResNet (random or local
weights, e.g. a torchvision ImageNet state_dict) and returns the globally
average-pooled activations as columns ``<sequence>__dl_<i>``, one row per
patient. :func:`train_dl_score` trains a head or fine-tunes the backbone on the
training split and returns a probability (DL score) for every patient.

Runs on CUDA (bf16/fp16 autocast, pinned memory, channels-last, a batch size
that fits), Apple MPS or the CPU; ``device="auto"`` picks the first available.
Reduce the features with :mod:`radnb.select` (e.g. ``PCAReducer``), fitted on
the training patients only.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from radnb.features._backbones import (
    BACKBONES,
    build_backbone,
    feature_dim,
    load_state_dict_file,
    load_weights,
    map_torchvision_state_dict,
)
from radnb.features._crops import (
    CropCache,
    CropDataset,
    CropSpec,
    crop_image,
    errors_frame,
    intensity_for,
)
from radnb.features._result import FeatureResult, deprecated_as_result
from radnb.features._train import DLScoreModel, train_dl_score

__all__ = [
    "BACKBONES",
    "CropCache",
    "CropDataset",
    "CropSpec",
    "DLScoreModel",
    "build_backbone",
    "crop_image",
    "extract_deep_features",
    "feature_dim",
    "intensity_for",
    "load_state_dict_file",
    "load_weights",
    "map_torchvision_state_dict",
    "train_dl_score",
]


def _worker_init(_: int) -> None:
    import SimpleITK as sitk
    import torch

    torch.set_num_threads(1)
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(1)


def _num_workers(num_workers: int | str, dev, all_cached: bool) -> int:
    if num_workers != "auto":
        return int(num_workers)
    if dev.type != "cuda" or all_cached:
        return 0  # on a CPU the forward pass already uses every core
    return max(min(8, (os.cpu_count() or 2) - 1), 0)


def extract_deep_features(
    cohort,
    sequences: Sequence[str] | None = None,
    *,
    backbone: str = "resnet18",
    dims: int = 2,
    weights: str | os.PathLike | Mapping | None = None,
    crop_kws: Mapping[str, Any] | None = None,
    batch_size: int | str = "auto",
    device: Any = "auto",
    amp: bool = True,
    deterministic: bool = False,
    cache: Any = None,
    num_workers: int | str = "auto",
    random_state: int = 0,
    progress: bool = True,
    as_result: bool | None = None,
) -> FeatureResult:
    """Globally pooled ResNet features of each patient's tumour crop, per sequence.

    A per-patient step (nothing is fitted): each crop goes through the backbone
    in eval mode; the output is the backbone's global average pool (512 values
    for ResNet-18/34, 2048 for ResNet-50/101).

    Parameters
    ----------
    cohort : Cohort
    sequences : sequences to use (default: all).
    backbone : one of :data:`BACKBONES` (MONAI ResNets, stride-2 stem).
    dims : 2 (largest-area slice; ``crop_kws={"n_slices": 3}`` for 2.5D) or 3.
    weights : ``None`` (random initialisation seeded by ``random_state``), a
        local state_dict path or a state_dict; torchvision / timm ResNet
        weights are mapped onto the network (see
        :func:`map_torchvision_state_dict`). Never downloaded.
    crop_kws : options of :class:`CropSpec` (size, margin_mm, n_slices,
        intensity, fov_mm, ...).
    batch_size : ``"auto"`` fits GPU memory (CPU: ~2 M voxels per batch).
    device : ``"auto"`` (CUDA, then MPS, then CPU), or a torch device.
    amp : autocast on CUDA (bfloat16 where supported, else float16).
    deterministic : torch's deterministic algorithms and fixed seeds (slower on
        GPU). On the CPU, eval mode already gives identical features run to run.
    cache : ``None``, ``"memory"``, a :class:`CropCache` (reuse it across calls)
        or a folder: crops stored as ``.npy`` keyed by file content + settings.
    num_workers : DataLoader workers (``"auto"``: up to 8 on CUDA, 0 on CPU).
    random_state : seed of the random initialisation when ``weights=None``.
    progress : show a progress bar (as in every cohort-level call; see
        :func:`radnb.parallel.run_tasks`). There is no ``client=``: the step
        runs batched on one device.
    as_result : deprecated. ``False`` returns the old form (the features
        DataFrame with the failures in ``attrs["errors"]``) with a
        :class:`DeprecationWarning`; ``True`` is the default behaviour.

    Returns
    -------
    FeatureResult
        ``features``: indexed by ``patient_id``, columns ``<sequence>__dl_<i>``.
        A sequence that failed for a patient is NaN; patients failing every
        sequence are left out. ``errors``: the failures (patient_id, sequence,
        message). ``provenance``: the settings.

    Examples
    --------
    >>> import tempfile
    >>> from radnb import datasets
    >>> from radnb.features import deep
    >>> cohort = datasets.simulate("S2", n=4, root=tempfile.mkdtemp(), shape=(12, 32, 32))
    >>> res = deep.extract_deep_features(cohort, ["CE_T1WI"], dims=2, crop_kws={"size": 32},
    ...                                  progress=False)
    >>> res.features.shape, len(res.errors)
    ((4, 512), 0)
    """
    import torch
    from torch.utils.data import DataLoader
    from tqdm.auto import tqdm

    from radnb import device as rdev

    sequences = list(sequences) if sequences is not None else list(cohort.sequences)
    spec = CropSpec.from_kws(dims, crop_kws)
    dev = rdev.resolve_device(device)
    cuda = dev.type == "cuda"
    cache = CropCache.coerce(cache)
    dataset = CropDataset(cohort, sequences, spec=spec, cache=cache)
    n_feat = feature_dim(backbone)
    with rdev.deterministic(deterministic, seed=random_state):
        net = build_backbone(
            backbone, dims=dims, in_channels=spec.shape[0], random_state=random_state
        )
        load_weights(net, weights)
        net = net.eval().to(dev)
        if cuda:
            fmt = torch.channels_last if dims == 2 else torch.channels_last_3d
            net = net.to(memory_format=fmt)

        def forward(x):
            with torch.inference_mode(), rdev.autocast(dev, amp):
                return net(x)

        if batch_size == "auto":
            shape = spec.shape

            def probe(bs: int) -> None:
                forward(rdev.to_device(torch.zeros(bs, *shape), dev, channels_last=cuda))

            batch_size = rdev.auto_batch_size(
                probe, dev, n_items=len(dataset), voxels=int(np.prod(shape))
            )
        keys: list[str] = []
        all_cached = False
        if cache is not None and cache.path is None:
            keys = [dataset.key(i) for i in range(len(dataset))]
            all_cached = all(k and cache.get(k) is not None for k in keys)
        workers = _num_workers(num_workers, dev, all_cached)
        loader = DataLoader(
            dataset,
            batch_size=int(batch_size),
            shuffle=False,
            num_workers=workers,
            pin_memory=cuda,
            worker_init_fn=_worker_init if workers else None,
            prefetch_factor=4 if workers else None,
        )
        feats, meta, errors = [], [], []
        for batch in tqdm(loader, desc="deep features", disable=not progress, leave=False):
            x = rdev.to_device(batch["image"], dev, channels_last=cuda)
            feats.append(forward(x).float())  # stays on the device: no sync per batch
            for j, (pid, seq, err) in enumerate(
                zip(batch["patient_id"], batch["sequence"], batch["error"], strict=True)
            ):
                meta.append((pid, seq, err))
                if err:
                    errors.append((pid, seq, err))
                elif keys and not all_cached:
                    k = keys[int(batch["index"][j])]
                    if k and cache.get(k) is None:
                        cache.put(k, batch["image"][j].numpy().copy())
        values = torch.cat(feats).cpu().numpy() if feats else np.zeros((0, n_feat), np.float32)
    df, err = _to_frame(values, meta, sequences, cohort.patient_ids, errors)
    result = FeatureResult(
        df, err, provenance=dict(step="deep", backbone=backbone, dims=dims, sequences=list(sequences),
        weights=None if weights is None or isinstance(weights, Mapping) else str(weights),
        crop=dict(crop_kws or {}), random_state=random_state),
    )  # fmt: skip
    return deprecated_as_result(result, as_result, "extract_deep_features")


def _to_frame(values, meta, sequences, pids, errors) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_feat = values.shape[1]
    blocks = {s: np.full((len(pids), n_feat), np.nan, np.float32) for s in sequences}
    row = {p: i for i, p in enumerate(pids)}
    errors = list(errors)
    for v, (pid, seq, err) in zip(values, meta, strict=True):
        if err:
            continue
        if not np.isfinite(v).all():  # never a silent drop: say so in the errors table
            errors.append((pid, seq, "the network's features are NaN / infinite for this crop"))
            continue
        blocks[seq][row[pid]] = v
    frames = [
        pd.DataFrame(blocks[s], index=pd.Index(pids, name="patient_id"),
                     columns=[f"{s}__dl_{i}" for i in range(n_feat)])
        for s in sequences
    ]  # fmt: skip
    df = pd.concat(frames, axis=1)
    df = df.loc[~df.isna().all(axis=1)]
    err = errors_frame(errors)
    if len(err):
        warnings.warn(
            f"deep features failed for {len(err)} patient-sequence pair(s) "
            f"({err['patient_id'].nunique()} patients); see result.errors",
            RuntimeWarning,
            stacklevel=3,
        )
    return df, err
