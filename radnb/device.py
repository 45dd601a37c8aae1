"""Pick a torch device and run models on it well: mixed precision, batch size, determinism.

``resolve_device("auto")`` picks CUDA, then Apple MPS, then the CPU. On CUDA,
:func:`autocast` uses bfloat16 where the GPU supports it (float16 otherwise);
:func:`deterministic` switches torch into its deterministic algorithms for the
length of a ``with`` block and restores the previous settings afterwards.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

__all__ = [
    "amp_dtype",
    "autocast",
    "auto_batch_size",
    "deterministic",
    "describe_device",
    "resolve_device",
    "to_device",
]


def _torch():
    from radnb.errors import require

    return require("torch", "deep", "deep-learning features")


def resolve_device(device: Any = "auto"):
    """Return a ``torch.device``: ``"auto"`` picks CUDA, then MPS, then CPU.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    torch = _torch()
    if isinstance(device, torch.device):
        return device
    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for but CUDA is not available; use 'auto'")
    return dev


def describe_device(device: Any) -> str:
    """A short human-readable name: ``"cpu (2 threads)"`` or the GPU model."""
    torch = _torch()
    dev = resolve_device(device)
    if dev.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(dev)}"
    if dev.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return dev.type


def amp_dtype(device: Any, amp: bool = True):
    """The autocast dtype used on ``device`` (``None``: full float32).

    CUDA: bfloat16 where supported, else float16. MPS and CPU: ``None`` (float32;
    CPU autocast is slower than float32 for these networks on most machines).
    """
    torch = _torch()
    dev = resolve_device(device)
    if not amp or dev.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def autocast(device: Any, amp: bool = True):
    """A context manager: autocast on CUDA (bf16/fp16), a no-op elsewhere."""
    torch = _torch()
    dev = resolve_device(device)
    dtype = amp_dtype(dev, amp)
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=dev.type, dtype=dtype)


@contextlib.contextmanager
def deterministic(enabled: bool = True, seed: int | None = 0) -> Iterator[None]:
    """Run a block with torch's deterministic algorithms and fixed seeds.

    Sets ``torch.use_deterministic_algorithms(True)``, ``cudnn.deterministic``,
    turns ``cudnn.benchmark`` off and seeds Python, NumPy and torch; restores the
    previous flags on exit. With ``enabled=False`` it only turns
    ``cudnn.benchmark`` on (fixed-size crops make its autotuning pay off).

    Examples
    --------
    >>> with deterministic(True, seed=0):
    ...     pass
    """
    torch = _torch()
    cudnn = torch.backends.cudnn
    prev = (
        torch.are_deterministic_algorithms_enabled(),
        cudnn.deterministic,
        cudnn.benchmark,
        os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
    )
    try:
        if enabled:
            # cuBLAS needs a fixed workspace for reproducible GEMMs (CUDA >= 10.2).
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.use_deterministic_algorithms(True)
            cudnn.deterministic = True
            cudnn.benchmark = False
            if seed is not None:
                random.seed(seed)
                np.random.seed(seed % 2**32)
                torch.manual_seed(seed)
        else:
            cudnn.benchmark = True
        yield
    finally:
        torch.use_deterministic_algorithms(prev[0])
        cudnn.deterministic = prev[1]
        cudnn.benchmark = prev[2]
        if prev[3] is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)


def to_device(batch, device, *, channels_last: bool = False):
    """Copy a CPU tensor to ``device`` (non-blocking from pinned memory).

    ``channels_last`` applies the channels-last memory format (2D: NHWC, 3D: NDHWC).
    """
    torch = _torch()
    out = batch.to(device, non_blocking=batch.is_pinned())
    if channels_last:
        fmt = torch.channels_last if out.ndim == 4 else torch.channels_last_3d
        out = out.contiguous(memory_format=fmt)
    return out


def auto_batch_size(
    forward: Callable[[int], Any],
    device: Any,
    *,
    n_items: int,
    voxels: int,
    max_batch: int = 256,
) -> int:
    """Choose a batch size that fits memory.

    CPU / MPS: a heuristic (about 2 M input voxels per batch, 1 to 64 items). CUDA:
    start from a guess based on free memory and ``voxels`` per item and halve
    while ``forward(batch_size)`` runs out of memory.

    Parameters
    ----------
    forward : callable taking a batch size; runs one representative forward pass.
    device : the torch device.
    n_items : number of items to process (no point in a batch larger than this).
    voxels : input voxels per item (channels included).
    """
    torch = _torch()
    dev = resolve_device(device)
    n_items = max(int(n_items), 1)
    if dev.type != "cuda":
        return int(min(max(2_000_000 // max(voxels, 1), 1), 64, n_items))
    free, _ = torch.cuda.mem_get_info(dev)
    # ~ 600 bytes of activation per input voxel for a ResNet at bf16 (measured order).
    guess = int(free * 0.5 // max(voxels * 600, 1))
    bs = int(min(max(guess, 1), max_batch, n_items))
    while bs >= 1:
        try:
            forward(bs)
            torch.cuda.synchronize(dev)
            return bs
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()
            if bs == 1:
                raise
            bs //= 2
    return 1
