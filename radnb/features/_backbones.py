"""ResNet backbones (MONAI) in 2D and 3D, and safe loading of local weights.

Networks come from ``monai.networks.nets`` with a stride-2 first convolution
(``conv1_t_stride=2``; MONAI's default stride 1 is about 11x slower on a CPU)
and bias-free downsampling convolutions, which gives them exactly torchvision's
ResNet layout: a torchvision (or timm) ImageNet state_dict loads by name.
Weights are only ever read from a local file with ``weights_only=True``;
nothing is downloaded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "BACKBONES",
    "build_backbone",
    "feature_dim",
    "load_state_dict_file",
    "load_weights",
    "map_torchvision_state_dict",
]

#: Supported backbone names and their MONAI constructors.
BACKBONES = ("resnet10", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152")

_PREFIXES = ("module.", "model.", "backbone.", "encoder.", "net.", "resnet.")


def build_backbone(
    name: str = "resnet18",
    *,
    dims: int = 2,
    in_channels: int = 1,
    num_classes: int | None = None,
    random_state: int | None = 0,
):
    """Build a MONAI ResNet; without ``num_classes`` it returns pooled features.

    Parameters
    ----------
    name : one of :data:`BACKBONES`.
    dims : 2 or 3 spatial dimensions.
    in_channels : input channels (2.5D slices or stacked sequences).
    num_classes : size of a final linear layer; ``None`` drops it, so the
        network outputs its globally average-pooled features.
    random_state : seed of the random initialisation (same seed, same network).

    Examples
    --------
    >>> import torch
    >>> net = build_backbone("resnet18", dims=2, in_channels=1).eval()
    >>> net(torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2, 512])
    """
    import torch
    from monai.networks import nets

    if name not in BACKBONES:
        raise ValueError(f"backbone must be one of {BACKBONES}, got {name!r}")
    if dims not in (2, 3):
        raise ValueError(f"dims must be 2 or 3, got {dims!r}")
    kwargs = dict(
        spatial_dims=dims,
        n_input_channels=int(in_channels),
        conv1_t_stride=2,
        bias_downsample=False,  # torchvision's layout
        feed_forward=num_classes is not None,
        num_classes=int(num_classes or 1),
    )
    with torch.random.fork_rng(devices=[]):
        if random_state is not None:
            torch.manual_seed(int(random_state))
        net = getattr(nets, name)(**kwargs)
    return net


def feature_dim(name: str) -> int:
    """Length of the pooled feature vector of a backbone (512 or 2048)."""
    return 512 if name in ("resnet10", "resnet18", "resnet34") else 2048


def load_state_dict_file(path: str | os.PathLike, *, map_location: Any = "cpu") -> dict:
    """Read a state_dict from a local file with ``torch.load(weights_only=True)``.

    Accepts a bare state_dict or a checkpoint dict holding one under
    ``"state_dict"`` / ``"model"`` / ``"model_state_dict"``. A file that holds
    arbitrary pickled objects is refused by torch, never executed.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"weights file not found: {path}. radnb never downloads weights; "
            "pass the path of a local state_dict (.pt / .pth)"
        )
    try:
        obj = torch.load(path, weights_only=True, map_location=map_location)
    except Exception as exc:  # torch raises UnpicklingError for unsafe content
        raise ValueError(
            f"could not load {path} as plain weights ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200]}); save it with torch.save(model.state_dict(), path)"
        ) from None
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(obj, Mapping) and isinstance(obj.get(key), Mapping):
            obj = obj[key]
            break
    if not isinstance(obj, Mapping):
        raise ValueError(f"{path} does not hold a state_dict (got {type(obj).__name__})")
    return dict(obj)


def _adapt_conv1(w, in_channels: int):
    """Map conv1 weights to ``in_channels`` inputs (sum for 1, repeat+rescale else)."""
    c = w.shape[1]
    if c == in_channels:
        return w
    if in_channels == 1:
        return w.sum(dim=1, keepdim=True)
    reps = -(-in_channels // c)
    return w.repeat(1, reps, *[1] * (w.ndim - 2))[:, :in_channels] * (c / in_channels)


def _inflate(w, target_shape):
    """Inflate a 2D kernel (O, I, h, w) to 3D (O, I, d, h, w) (I3D: repeat / d)."""
    if w.ndim == len(target_shape) or len(target_shape) != 5 or w.ndim != 4:
        return w
    d = target_shape[2]
    return w.unsqueeze(2).repeat(1, 1, d, 1, 1) / d


def map_torchvision_state_dict(state_dict: Mapping[str, Any], net) -> dict:
    """Rename and reshape a torchvision/timm-style ResNet state_dict for ``net``.

    - strips wrapper prefixes (``module.``, ``model.``, ``backbone.``, ...);
    - maps timm's ``downsample.conv`` / ``downsample.bn`` onto ``downsample.0`` / ``.1``;
    - drops the classifier (``fc.*``) when ``net`` has none or its size differs;
    - adapts the first convolution to the network's input channels (summing the
      RGB kernels for one channel, as timm's ``adapt_input_conv`` does);
    - inflates 2D kernels to 3D (I3D: repeated along depth, divided by depth).

    Returns a dict ready for ``net.load_state_dict(..., strict=True)``.
    """
    target = net.state_dict()
    out = {}
    for key, value in state_dict.items():
        k = key
        changed = True
        while changed:
            changed = False
            for p in _PREFIXES:
                if k.startswith(p):
                    k, changed = k[len(p) :], True
        k = re.sub(r"downsample\.conv\.", "downsample.0.", k)
        k = re.sub(r"downsample\.bn\.", "downsample.1.", k)
        if k not in target:
            continue  # fc of another size is dropped below; other extras reported
        t = target[k]
        v = value
        if k == "conv1.weight":
            v = _adapt_conv1(v, t.shape[1])
        if hasattr(v, "ndim") and v.ndim == 4 and t.ndim == 5:
            v = _inflate(v, tuple(t.shape))
        if tuple(v.shape) != tuple(t.shape):
            if k.startswith("fc."):
                continue
            raise ValueError(
                f"weight {key!r} has shape {tuple(value.shape)}, the network expects "
                f"{tuple(t.shape)} (is it the same ResNet depth?)"
            )
        out[k] = v.to(t.dtype)
    return out


def load_weights(net, weights: str | os.PathLike | Mapping | None, *, strict_backbone: bool = True):
    """Load local weights (path or state_dict) into ``net``; ``None`` leaves it as is.

    Every backbone weight must be found (a missing key raises, naming it);
    the classifier may be absent. Returns ``net``.
    """
    if weights is None:
        return net
    sd = weights if isinstance(weights, Mapping) else load_state_dict_file(weights)
    mapped = map_torchvision_state_dict(sd, net)
    target = net.state_dict()
    missing = [k for k in target if k not in mapped and not k.startswith("fc.")]
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing and strict_backbone:
        raise ValueError(
            f"the weights lack {len(missing)} backbone tensors (first: {missing[:3]}); "
            "they do not fit this backbone/depth"
        )
    net.load_state_dict(mapped, strict=False)
    return net
