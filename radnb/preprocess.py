"""Per-case image preprocessing with SimpleITK.

Plain functions of one case (a ``SimpleITK.Image`` in, a ``SimpleITK.Image``
out): resampling, resampling onto another grid, intensity normalisation, N4
bias-field correction, rigid / affine co-registration (Mattes mutual
information) and carrying a mask from one sequence's grid to another's.

The same steps run inside :func:`radnb.features.radiomic.extract_radiomics`
through its ``preprocess=`` option (see :func:`apply_steps`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from radnb.errors import GeometryError

__all__ = [
    "Registration",
    "resample",
    "resample_to",
    "normalize",
    "n4_bias_correction",
    "register",
    "carry_mask",
    "apply_steps",
    "check_steps",
]


def _sitk():
    import SimpleITK as sitk

    return sitk


_INTERPOLATORS = {
    "nearest": "sitkNearestNeighbor",
    "linear": "sitkLinear",
    "bspline": "sitkBSpline",
    "sitkbspline": "sitkBSpline",
    "sitklinear": "sitkLinear",
    "sitknearestneighbor": "sitkNearestNeighbor",
    "gaussian": "sitkGaussian",
    "lanczos": "sitkLanczosWindowedSinc",
}


def _interp(interpolator: str | int) -> int:
    sitk = _sitk()
    if isinstance(interpolator, int):
        return interpolator
    name = _INTERPOLATORS.get(str(interpolator).lower())
    if name is None:
        raise ValueError(
            f"unknown interpolator {interpolator!r}; use one of {sorted(set(_INTERPOLATORS))[:5]} "
            "or a SimpleITK constant"
        )
    return getattr(sitk, name)


def _min_value(image) -> float:
    sitk = _sitk()
    return float(np.min(sitk.GetArrayViewFromImage(image)))


def resample(
    image,
    spacing: float | Sequence[float],
    *,
    interpolator: str | int = "bspline",
    default_value: float | None = None,
):
    """Resample an image to a new voxel spacing (same origin, direction and extent).

    Parameters
    ----------
    image : SimpleITK.Image
    spacing : float or sequence of float
        New spacing in mm (one number: isotropic).
    interpolator : {"bspline", "linear", "nearest", ...} or SimpleITK constant
        Use ``"nearest"`` for masks.
    default_value : float, optional
        Value outside the input (default: the image minimum).

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> img = sitk.Image(10, 10, 4, sitk.sitkFloat32); img.SetSpacing((1, 1, 2.5))
    >>> out = resample(img, 2.0)
    >>> out.GetSize(), out.GetSpacing()
    ((5, 5, 5), (2.0, 2.0, 2.0))
    """
    sitk = _sitk()
    dim = image.GetDimension()
    new = [float(spacing)] * dim if np.isscalar(spacing) else [float(s) for s in spacing]
    if len(new) != dim:
        raise ValueError(f"spacing has {len(new)} values for a {dim}D image")
    old = np.asarray(image.GetSpacing(), float)
    size = np.asarray(image.GetSize(), float)
    new_size = [max(1, int(round(n))) for n in size * old / np.asarray(new)]
    fill = _min_value(image) if default_value is None else float(default_value)
    return sitk.Resample(
        image,
        new_size,
        sitk.Transform(),
        _interp(interpolator),
        image.GetOrigin(),
        new,
        image.GetDirection(),
        fill,
        image.GetPixelID(),
    )


def resample_to(
    image,
    reference,
    *,
    interpolator: str | int = "linear",
    transform=None,
    default_value: float | None = None,
):
    """Resample ``image`` onto the grid of ``reference`` (physical space).

    ``transform`` maps points of the reference space to the image space (as
    returned by :func:`register`); identity by default. Use
    ``interpolator="nearest"`` (or :func:`carry_mask`) for masks.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> a = sitk.Image(8, 8, 8, sitk.sitkFloat32); b = sitk.Image(4, 4, 4, sitk.sitkFloat32)
    >>> b.SetSpacing((2, 2, 2))
    >>> resample_to(a, b).GetSize()
    (4, 4, 4)
    """
    sitk = _sitk()
    fill = _min_value(image) if default_value is None else float(default_value)
    return sitk.Resample(
        image,
        reference,
        transform if transform is not None else sitk.Transform(),
        _interp(interpolator),
        fill,
        image.GetPixelID(),
    )


def normalize(
    image,
    method: str = "zscore",
    *,
    mask=None,
    percentiles: tuple[float, float] = (1.0, 99.0),
    clip: bool = True,
):
    """Normalise intensities (float32 result, same grid).

    Parameters
    ----------
    image : SimpleITK.Image
    method : {"zscore", "percentile"}
        ``"zscore"``: subtract the mean, divide by the standard deviation.
        ``"percentile"``: map the ``percentiles`` to 0 and 1 (clipped to [0, 1]
        when ``clip``), a robust min-max scaling.
    mask : SimpleITK.Image, optional
        Take the statistics from the voxels inside this mask (whole image if
        ``None``); the whole image is transformed either way.

    Examples
    --------
    >>> import SimpleITK as sitk, numpy as np
    >>> img = sitk.GetImageFromArray(np.arange(27, dtype=float).reshape(3, 3, 3))
    >>> a = sitk.GetArrayFromImage(normalize(img))
    >>> round(float(a.mean()), 6), round(float(a.std()), 6)
    (0.0, 1.0)
    """
    sitk = _sitk()
    arr = sitk.GetArrayFromImage(image).astype(np.float64)
    if mask is not None:
        m = sitk.GetArrayViewFromImage(mask) != 0
        if m.shape != arr.shape:
            raise GeometryError("normalize: mask and image sizes differ; resample the mask first")
        if not m.any():
            from radnb.io import empty_mask_error

            raise ValueError(f"normalize: {empty_mask_error(None).reason}")
        ref = arr[m]
    else:
        ref = arr.ravel()
    if method == "zscore":
        sd = float(ref.std())
        out = (arr - float(ref.mean())) / (sd if sd > 0 else 1.0)
    elif method == "percentile":
        lo, hi = np.percentile(ref, percentiles)
        out = (arr - lo) / ((hi - lo) if hi > lo else 1.0)
        if clip:
            out = np.clip(out, 0.0, 1.0)
    else:
        raise ValueError(f"unknown normalisation {method!r}; use 'zscore' or 'percentile'")
    result = sitk.GetImageFromArray(out.astype(np.float32))
    result.CopyInformation(image)
    return result


def n4_bias_correction(
    image,
    mask=None,
    *,
    shrink: int = 4,
    iterations: Sequence[int] = (50, 50, 50, 50),
    convergence: float = 1e-3,
):
    """N4 bias-field correction (Tustison et al. 2010) as in SimpleITK's example.

    The field is estimated on a copy shrunk by ``shrink`` and applied to the
    full-resolution image. ``mask`` selects the voxels used to fit the field
    (default: an Otsu threshold of the image). Returns float32.

    Examples
    --------
    >>> import SimpleITK as sitk, numpy as np
    >>> z, y, x = np.mgrid[:16, :16, :16]
    >>> img = sitk.GetImageFromArray((100 + 3 * x + (x + y) % 5).astype(np.float32))
    >>> out = n4_bias_correction(img, shrink=2, iterations=(5,))
    >>> out.GetSize()
    (16, 16, 16)
    """
    sitk = _sitk()
    img = sitk.Cast(image, sitk.sitkFloat32)
    if mask is None:
        mask = sitk.OtsuThreshold(img, 0, 1, 200)
    else:
        mask = sitk.Cast(mask != 0, sitk.sitkUInt8)
    small = img
    small_mask = mask
    if shrink > 1:
        factors = [shrink] * img.GetDimension()
        small = sitk.Shrink(img, factors)
        small_mask = sitk.Shrink(mask, factors)
    corrector = sitk.N4BiasFieldCorrectionImageFilter()
    corrector.SetMaximumNumberOfIterations([int(i) for i in iterations])
    corrector.SetConvergenceThreshold(float(convergence))
    corrector.Execute(small, small_mask)
    log_field = corrector.GetLogBiasFieldAsImage(img)
    return img / sitk.Exp(log_field)


class Registration(NamedTuple):
    """Result of :func:`register`: the moving image on the fixed grid and the transform.

    ``transform`` maps fixed-space points to moving-space points (ITK
    convention), so ``resample_to(other, fixed, transform=transform)`` carries
    any other image of the moving sequence across.
    """

    image: Any
    transform: Any


def register(
    moving,
    fixed,
    *,
    transform: str = "rigid",
    fixed_mask=None,
    iterations: int = 200,
    sampling: float = 0.2,
    random_state: int = 0,
    interpolator: str | int = "linear",
) -> Registration:
    """Rigid or affine co-registration of ``moving`` onto ``fixed`` (Mattes MI).

    Multi-resolution (shrink 4, 2, 1; smoothing 2, 1, 0 mm), Mattes mutual
    information with 50 bins on a random ``sampling`` fraction of voxels
    (seeded by ``random_state``), regular-step gradient descent with physical
    shift scales, started from a geometry-centred transform. Follows the
    SimpleITK registration notebooks.

    Returns
    -------
    Registration
        ``(image, transform)``: the moving image resampled onto the fixed grid,
        and the fitted transform (fixed -> moving).

    Examples
    --------
    >>> import SimpleITK as sitk, numpy as np
    >>> z, y, x = np.mgrid[:24, :24, :24]
    >>> blob = np.exp(-((x - 12) ** 2 + (y - 12) ** 2 + (z - 12) ** 2) / 20.0)
    >>> fixed = sitk.GetImageFromArray(blob.astype(np.float32))
    >>> moving = sitk.GetImageFromArray(np.roll(blob, 2, axis=2).astype(np.float32))
    >>> out, tx = register(moving, fixed, iterations=50)
    >>> round(tx.GetParameters()[3])  # x-translation in mm
    2
    """
    sitk = _sitk()
    f = sitk.Cast(fixed, sitk.sitkFloat32)
    m = sitk.Cast(moving, sitk.sitkFloat32)
    dim = f.GetDimension()
    if transform == "rigid":
        base = sitk.Euler3DTransform() if dim == 3 else sitk.Euler2DTransform()
    elif transform == "affine":
        base = sitk.AffineTransform(dim)
    else:
        raise ValueError(f"transform must be 'rigid' or 'affine', not {transform!r}")
    initial = sitk.CenteredTransformInitializer(
        f, m, base, sitk.CenteredTransformInitializerFilter.GEOMETRY
    )
    reg = sitk.ImageRegistrationMethod()
    reg.SetMetricAsMattesMutualInformation(numberOfHistogramBins=50)
    reg.SetMetricSamplingStrategy(reg.RANDOM)
    reg.SetMetricSamplingPercentage(float(sampling), int(random_state))
    if fixed_mask is not None:
        reg.SetMetricFixedMask(sitk.Cast(fixed_mask != 0, sitk.sitkUInt8))
    reg.SetInterpolator(sitk.sitkLinear)
    reg.SetOptimizerAsRegularStepGradientDescent(
        learningRate=1.0,
        minStep=1e-4,
        numberOfIterations=int(iterations),
        gradientMagnitudeTolerance=1e-8,
    )
    reg.SetOptimizerScalesFromPhysicalShift()
    reg.SetShrinkFactorsPerLevel([4, 2, 1])
    reg.SetSmoothingSigmasPerLevel([2, 1, 0])
    reg.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
    reg.SetInitialTransform(initial, inPlace=False)
    final = reg.Execute(f, m)
    if isinstance(final, sitk.CompositeTransform) and final.GetNumberOfTransforms() == 1:
        final = final.GetNthTransform(0)
    out = resample_to(moving, fixed, interpolator=interpolator, transform=final)
    return Registration(out, final)


def carry_mask(
    mask,
    from_image,
    to_image,
    *,
    method: str = "linear",
    transform=None,
    threshold: float = 0.5,
):
    """Carry a mask drawn on one sequence's grid onto another sequence's grid.

    Parameters
    ----------
    mask : SimpleITK.Image
        Label mask (0 = background) on the grid of ``from_image``.
    from_image : SimpleITK.Image or None
        The image the mask was drawn on; checked to share the mask's grid.
    to_image : SimpleITK.Image
        The image whose grid the mask is carried to.
    method : {"linear", "nearest"}
        ``"nearest"``: nearest-neighbour resampling. ``"linear"`` (default): each
        label's indicator is resampled linearly and a voxel takes the label
        whose interpolated weight is largest and at least ``threshold``
        (label-preserving, smoother and closer in volume than nearest
        neighbour when the grids differ in resolution).
    transform : SimpleITK.Transform, optional
        Target -> source transform (e.g. from :func:`register`); identity if
        ``None`` (the sequences share a physical frame).

    Examples
    --------
    >>> import SimpleITK as sitk, numpy as np
    >>> a = np.zeros((10, 10, 10), np.uint8); a[3:7, 3:7, 3:7] = 1
    >>> m = sitk.GetImageFromArray(a); img = sitk.Image(m.GetSize(), sitk.sitkFloat32)
    >>> fine = sitk.Image(20, 20, 20, sitk.sitkFloat32); fine.SetSpacing((0.5, 0.5, 0.5))
    >>> fine.SetOrigin((-0.25, -0.25, -0.25))
    >>> int(sitk.GetArrayFromImage(carry_mask(m, img, fine, method="nearest")).sum())
    512
    >>> int(sitk.GetArrayFromImage(carry_mask(m, img, fine)).sum())  # 8 corners rounded off
    504
    """
    sitk = _sitk()
    if from_image is not None:
        from radnb.io import compare_geometry

        problems = compare_geometry(mask, from_image)
        if problems:
            raise GeometryError(
                "carry_mask: the mask is not on from_image's grid (" + "; ".join(problems) + ")"
            )
    tx = transform if transform is not None else sitk.Transform()
    if method == "nearest":
        out = sitk.Resample(mask, to_image, tx, sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
        return out
    if method != "linear":
        raise ValueError(f"method must be 'linear' or 'nearest', not {method!r}")
    arr = sitk.GetArrayViewFromImage(mask)
    labels = [int(v) for v in np.unique(arr) if v != 0]
    size = to_image.GetSize()[::-1]
    best = np.zeros(size, np.float32)
    out = np.zeros(size, np.uint8)
    for lab in labels:
        ind = sitk.Cast(mask == lab, sitk.sitkFloat32)
        w = sitk.GetArrayFromImage(
            sitk.Resample(ind, to_image, tx, sitk.sitkLinear, 0.0, sitk.sitkFloat32)
        )
        take = (w >= threshold) & (w > best)
        out[take] = lab
        best = np.maximum(best, w)
    result = sitk.GetImageFromArray(out)
    result.CopyInformation(to_image)
    return result


_STEP_KEYS = {"n4", "normalize", "register_to", "registration", "mask_method"}


def check_steps(steps: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate a ``preprocess=`` mapping and fill in defaults.

    Keys: ``n4`` (bool or dict of :func:`n4_bias_correction` options),
    ``normalize`` (``"zscore"``, ``"percentile"``, or a dict of
    :func:`normalize` options with ``method`` and ``in_mask``), ``register_to``
    (a sequence name), ``registration`` (``"rigid"`` or ``"affine"``, or a dict
    of :func:`register` options), ``mask_method`` (how masks are carried:
    ``"linear"`` or ``"nearest"``).

    Examples
    --------
    >>> check_steps({"normalize": "zscore"})["normalize"]
    {'method': 'zscore', 'in_mask': False}
    """
    steps = dict(steps or {})
    unknown = set(steps) - _STEP_KEYS
    if unknown:
        raise ValueError(
            f"unknown preprocess step(s) {sorted(unknown)}; known: {sorted(_STEP_KEYS)}"
        )
    out: dict[str, Any] = {}
    n4 = steps.get("n4", False)
    if n4:
        out["n4"] = dict(n4) if isinstance(n4, Mapping) else {}
    norm = steps.get("normalize")
    if norm:
        norm = {"method": norm} if isinstance(norm, str) else dict(norm)
        norm.setdefault("method", "zscore")
        norm.setdefault("in_mask", False)
        if norm["method"] not in ("zscore", "percentile"):
            raise ValueError("normalize must be 'zscore' or 'percentile'")
        out["normalize"] = norm
    if steps.get("register_to"):
        out["register_to"] = str(steps["register_to"])
        reg = steps.get("registration", "rigid")
        reg = {"transform": reg} if isinstance(reg, str) else dict(reg)
        reg.setdefault("transform", "rigid")
        out["registration"] = reg
    out["mask_method"] = steps.get("mask_method", "linear")
    return out


def apply_steps(image, mask, steps: Mapping[str, Any], *, reference=None, mask_grid=None):
    """Run the ``preprocess=`` steps on one case; returns ``(image, mask)``.

    Order: N4 on the image; registration onto ``reference`` (the image of the
    ``register_to`` sequence), which puts the image on the reference grid;
    carrying the mask onto the image's (final) grid when it lies elsewhere and
    either the image was registered or the mask comes from another sequence
    (``mask_grid``: the image the mask was drawn on); normalisation last. A
    mask on another grid with neither is left alone (PyRadiomics reports it).
    """
    from radnb.io import compare_geometry

    steps = check_steps(steps)
    original = image
    transform = None
    if "n4" in steps:
        image = n4_bias_correction(image, **steps["n4"])
    if reference is not None and "register_to" in steps:
        image, transform = register(image, reference, **steps["registration"])
    if (mask_grid is not None or transform is not None) and compare_geometry(mask, image):
        # a mask drawn on this sequence's own grid follows the registration
        own = transform is not None and not compare_geometry(mask, original)
        mask = carry_mask(
            mask,
            mask_grid,
            image,
            method=steps["mask_method"],
            transform=transform if own else None,
        )
    if "normalize" in steps:
        norm = dict(steps["normalize"])
        in_mask = norm.pop("in_mask", False)
        image = normalize(image, mask=mask if in_mask else None, **norm)
    return image, mask
