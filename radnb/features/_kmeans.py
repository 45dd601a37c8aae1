"""k-means for habitat analysis: scikit-learn on CPU, a torch path on CUDA.

Both paths return the same things (centroids, labels, inertia) and are seeded,
so a run is reproducible for a given device. The torch path (k-means++ seeding,
then Lloyd iterations, best of ``n_init``) is used when ``device`` resolves to
``"cuda"``; ``device="auto"`` picks CUDA only when an NVIDIA device is present,
so CPU-only machines never pay for importing torch.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import numpy as np

__all__ = ["KMeansResult", "assign", "best_k", "kmeans", "resolve_device", "select_k_scores"]


@dataclass(frozen=True)
class KMeansResult:
    """Centroids ``(k, d)``, labels ``(n,)`` and within-cluster sum of squares."""

    centroids: np.ndarray
    labels: np.ndarray
    inertia: float


def resolve_device(device: str = "auto") -> str:
    """``"auto"`` -> ``"cuda"`` when torch sees a GPU, else ``"cpu"``.

    ``"cpu"`` means scikit-learn; ``"cuda"`` (or ``"cuda:N"``) and ``"torch-cpu"``
    mean the torch implementation on that device.

    Examples
    --------
    >>> resolve_device("cpu")
    'cpu'
    """
    if device != "auto":
        return device
    has_nvidia = os.path.exists("/dev/nvidia0") or os.environ.get("CUDA_VISIBLE_DEVICES")
    if not has_nvidia and "torch" not in sys.modules:
        return "cpu"
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def _torch_kmeans(
    x: np.ndarray, k: int, *, random_state: int, n_init: int, max_iter: int, tol: float, device
) -> KMeansResult:
    import torch

    dev = torch.device("cpu" if device == "torch-cpu" else device)
    xt = torch.as_tensor(np.ascontiguousarray(x), dtype=torch.float32, device=dev)
    n = xt.shape[0]
    gen = torch.Generator(device=dev).manual_seed(int(random_state))
    scale = float(xt.var(dim=0).mean()) if n > 1 else 1.0
    best = None
    for _ in range(max(1, n_init)):
        # k-means++ seeding (Arthur & Vassilvitskii 2007)
        first = torch.randint(n, (1,), generator=gen, device=dev)
        cents = [xt[first]]
        d2 = torch.cdist(xt, cents[0]).squeeze(1) ** 2
        for _ in range(1, k):
            total = d2.sum()
            if total <= 0:
                idx = torch.randint(n, (1,), generator=gen, device=dev)
            else:
                idx = torch.multinomial(d2 / total, 1, generator=gen)
            cents.append(xt[idx])
            d2 = torch.minimum(d2, torch.cdist(xt, xt[idx]).squeeze(1) ** 2)
        c = torch.cat(cents, 0)
        for _ in range(max_iter):
            lab = torch.cdist(xt, c).argmin(1)
            sums = torch.zeros_like(c).index_add_(0, lab, xt)
            counts = torch.bincount(lab, minlength=k).to(xt.dtype).unsqueeze(1)
            new = torch.where(counts > 0, sums / counts.clamp(min=1), c)
            shift = float(((new - c) ** 2).sum())
            c = new
            if shift <= tol * scale:
                break
        lab = torch.cdist(xt, c).argmin(1)
        inertia = float(((xt - c[lab]) ** 2).sum())
        if best is None or inertia < best[2]:
            best = (c, lab, inertia)
    c, lab, inertia = best
    return KMeansResult(
        c.double().cpu().numpy(), lab.cpu().numpy().astype(np.int64), float(inertia)
    )


def kmeans(
    x: np.ndarray,
    k: int,
    *,
    random_state: int = 0,
    n_init: int = 4,
    max_iter: int = 300,
    tol: float = 1e-4,
    device: str = "cpu",
    minibatch: bool = False,
    float32: bool = False,
) -> KMeansResult:
    """Cluster the rows of ``x`` into ``k`` groups (k-means, k-means++ seeding).

    Parameters
    ----------
    x : array (n, d)
    k : number of clusters (reduced to the number of distinct rows if larger).
    random_state : seed; the same seed gives the same result on the same device.
    n_init : restarts; the run with the lowest inertia wins.
    device : ``"cpu"`` (scikit-learn ``KMeans`` / ``MiniBatchKMeans``), ``"cuda"``
        or ``"torch-cpu"`` (the torch implementation), or ``"auto"``.
    minibatch : use ``MiniBatchKMeans`` on CPU (large per-patient voxel sets).
    float32 : cluster in single precision (about twice as fast; supervoxels).

    Examples
    --------
    >>> x = np.r_[np.zeros((5, 2)), np.ones((5, 2))]
    >>> r = kmeans(x, 2, random_state=0)
    >>> sorted(np.bincount(r.labels).tolist())
    [5, 5]
    """
    x = np.asarray(x, dtype=np.float32 if float32 else np.float64)
    n = x.shape[0]
    k = int(min(k, n))
    if k <= 1:
        c = x.mean(axis=0, keepdims=True)
        return KMeansResult(c, np.zeros(n, np.int64), float(((x - c) ** 2).sum()))
    device = resolve_device(device)
    if device != "cpu":
        return _torch_kmeans(
            x,
            k,
            random_state=random_state,
            n_init=n_init,
            max_iter=max_iter,
            tol=tol,
            device=device,
        )
    import warnings

    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        # duplicate points (flat regions) make sklearn warn about fewer distinct clusters
        warnings.simplefilter("ignore", ConvergenceWarning)
        if minibatch and n > 20 * k:
            est = MiniBatchKMeans(
                n_clusters=k,
                random_state=random_state,
                n_init=n_init,
                max_iter=max_iter,
                batch_size=min(n, 4096),
                tol=tol,
            )
        else:
            est = KMeans(
                n_clusters=k,
                random_state=random_state,
                n_init=n_init,
                max_iter=max_iter,
                tol=tol,
            )
        labels = est.fit_predict(x)
    return KMeansResult(
        np.asarray(est.cluster_centers_, np.float64), labels.astype(np.int64), float(est.inertia_)
    )


def assign(x: np.ndarray, centroids: np.ndarray, *, chunk: int = 65536) -> np.ndarray:
    """Index of the nearest centroid (squared Euclidean) for each row of ``x``.

    Examples
    --------
    >>> assign(np.array([[0.1, 0.0], [0.9, 1.0]]), np.array([[0.0, 0.0], [1.0, 1.0]]))
    array([0, 1])
    """
    x = np.asarray(x, dtype=np.float64)
    c = np.asarray(centroids, dtype=np.float64)
    cc = (c**2).sum(axis=1)
    out = np.empty(x.shape[0], dtype=np.int64)
    for start in range(0, x.shape[0], chunk):
        xs = x[start : start + chunk]
        d = cc[None, :] - 2.0 * xs @ c.T  # |x|^2 is constant per row
        out[start : start + chunk] = d.argmin(axis=1)
    return out


def _bic_kmeans(x: np.ndarray, labels: np.ndarray, centroids: np.ndarray) -> float:
    """BIC of a k-means solution under identical spherical Gaussians.

    Pelleg & Moore (2000), X-means, eq. for the log-likelihood; returned as
    ``-2 logL + p log n`` so that lower is better (the usual BIC sign).
    """
    n, d = x.shape
    k = centroids.shape[0]
    sizes = np.bincount(labels, minlength=k).astype(float)
    sse = float(((x - centroids[labels]) ** 2).sum())
    var = sse / max(n - k, 1) / d
    var = max(var, 1e-12)
    nz = sizes[sizes > 0]
    loglik = float(
        np.sum(nz * np.log(nz / n)) - n * d / 2.0 * np.log(2 * np.pi * var) - (n - k) * d / 2.0
    )
    p = k * (d + 1)  # k-1 mixing weights + k*d means + 1 variance
    return -2.0 * loglik + p * np.log(n)


def select_k_scores(
    x: np.ndarray,
    results: dict[int, KMeansResult],
    criterion: str,
    *,
    random_state: int = 0,
    sample_size: int = 5000,
) -> dict[int, float]:
    """Score each k-means solution with ``criterion`` (see :func:`best_k`)."""
    from sklearn import metrics

    scores = {}
    for k, r in results.items():
        if criterion == "calinski_harabasz":
            scores[k] = float(metrics.calinski_harabasz_score(x, r.labels))
        elif criterion == "davies_bouldin":
            scores[k] = float(metrics.davies_bouldin_score(x, r.labels))
        elif criterion == "silhouette":
            ss = sample_size if x.shape[0] > sample_size else None
            scores[k] = float(
                metrics.silhouette_score(x, r.labels, sample_size=ss, random_state=random_state)
            )
        elif criterion == "bic":
            scores[k] = _bic_kmeans(x, r.labels, r.centroids)
        elif criterion == "elbow":
            scores[k] = float(r.inertia)
        else:  # pragma: no cover - validated by the caller
            raise ValueError(criterion)
    return scores


def best_k(scores: dict[int, float], criterion: str) -> int:
    """The k a criterion picks from its scores.

    Calinski-Harabasz and silhouette: maximum; Davies-Bouldin and BIC: minimum;
    elbow: the knee of the inertia curve (Satopää et al. 2011, "Kneedle": the k
    farthest below the straight line from the first to the last point).

    Examples
    --------
    >>> best_k({2: 100.0, 3: 20.0, 4: 15.0, 5: 12.0}, "elbow")
    3
    """
    ks = np.array(sorted(scores))
    v = np.array([scores[k] for k in ks], dtype=float)
    if criterion in ("calinski_harabasz", "silhouette"):
        return int(ks[int(np.nanargmax(v))])
    if criterion in ("davies_bouldin", "bic"):
        return int(ks[int(np.nanargmin(v))])
    if len(ks) < 3:
        return int(ks[0])
    xn = (ks - ks[0]) / (ks[-1] - ks[0])
    yn = (v - v.min()) / max(v.max() - v.min(), 1e-300)
    line = yn[0] + (yn[-1] - yn[0]) * xn
    return int(ks[int(np.argmax(line - yn))])
