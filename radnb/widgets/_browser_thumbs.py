"""QA thumbnails: the largest tumour slice with the mask contour, as small PNGs.

Drawn with numpy + Pillow (a few ms each, so a page of 24 patients is quick);
the slice is chosen by :func:`radnb.plots.images.largest_slice` and the contour
colour is the one :func:`radnb.plots.images.plot_slice` uses.
"""

from __future__ import annotations

import io

import numpy as np

__all__ = ["error_thumbnail", "thumbnail_png"]


def _png(rgb: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb.astype(np.uint8), "RGB").save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def _hex(colour: str) -> np.ndarray:
    h = colour.lstrip("#")
    return np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], np.uint8)


def thumbnail_png(image, mask, *, size: int = 128, margin_mm: float = 15.0) -> bytes:
    """PNG of the axial slice of largest mask area, cropped around the tumour.

    Rows run anterior (top) to posterior, columns patient right (left of the
    image) to left, as radiologists read axial slices; pixels are scaled to the
    physical spacing. An empty mask gives the middle slice, uncropped.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> img = sitk.GetImageFromArray(np.random.default_rng(0).normal(size=(6, 40, 40)))
    >>> m = np.zeros((6, 40, 40), np.uint8); m[2:4, 10:20, 12:25] = 1
    >>> thumbnail_png(img, sitk.GetImageFromArray(m))[:4]
    b'\\x89PNG'
    """
    import SimpleITK as sitk
    from PIL import Image
    from scipy import ndimage

    from radnb.plots.images import largest_slice
    from radnb.plots.style import PALETTE

    if mask is not None and (
        mask.GetSize() != image.GetSize()
        or not np.allclose(mask.GetSpacing(), image.GetSpacing())
        or not np.allclose(mask.GetOrigin(), image.GetOrigin(), atol=1e-3)
    ):
        mask = sitk.Resample(mask, image, sitk.Transform(), sitk.sitkNearestNeighbor, 0)
    arr = sitk.GetArrayViewFromImage(image)
    m = (sitk.GetArrayViewFromImage(mask) != 0) if mask is not None else None
    has = m is not None and m.any()
    z = largest_slice(m) if has else arr.shape[0] // 2
    sl = np.asarray(arr[z], float)
    ms = np.asarray(m[z]) if has else np.zeros(sl.shape, bool)
    sx, sy = image.GetSpacing()[:2]
    if has:
        ys, xs = np.nonzero(ms)
        my, mx = int(np.ceil(margin_mm / sy)), int(np.ceil(margin_mm / sx))
        y0, y1 = max(ys.min() - my, 0), min(ys.max() + my + 1, sl.shape[0])
        x0, x1 = max(xs.min() - mx, 0), min(xs.max() + mx + 1, sl.shape[1])
        sl, ms = sl[y0:y1, x0:x1], ms[y0:y1, x0:x1]
    finite = sl[np.isfinite(sl)]
    lo, hi = np.percentile(finite, [1, 99]) if finite.size else (0.0, 1.0)
    grey = np.clip((sl - lo) / (hi - lo if hi > lo else 1.0), 0, 1) * 255
    rgb = np.repeat(np.nan_to_num(grey)[..., None], 3, axis=2)
    # physical aspect, then fit into size x size
    h_mm, w_mm = sl.shape[0] * sy, sl.shape[1] * sx
    scale = size / max(h_mm, w_mm)
    out_h, out_w = max(1, round(h_mm * scale)), max(1, round(w_mm * scale))
    big = Image.fromarray(rgb.astype(np.uint8), "RGB").resize((out_w, out_h), Image.NEAREST)
    big = np.asarray(big).copy()
    if has:
        mbig = (
            np.asarray(
                Image.fromarray(ms.astype(np.uint8) * 255).resize((out_w, out_h), Image.NEAREST)
            )
            > 0
        )
        rim = mbig & ~ndimage.binary_erosion(mbig, iterations=max(1, size // 96))
        big[rim] = _hex(PALETTE[4])
    canvas = np.full((size, size, 3), 0, np.uint8)
    oy, ox = (size - out_h) // 2, (size - out_w) // 2
    canvas[oy : oy + out_h, ox : ox + out_w] = big
    return _png(canvas)


def error_thumbnail(text: str, *, size: int = 128) -> bytes:
    """A dark-red tile with a short error text (a broken patient in the gallery)."""
    import textwrap

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (size, size), (90, 10, 20))
    draw = ImageDraw.Draw(img)
    lines = textwrap.wrap(text, width=max(8, size // 7))[: size // 14]
    draw.multiline_text((4, 4), "\n".join(lines), fill=(255, 230, 230), spacing=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
