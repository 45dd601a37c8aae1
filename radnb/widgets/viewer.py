"""Viewer: a patient's images in 3D with the tumour mask, habitats and other overlays.

The Viewer is a thin view over a small model (the current patient, sequence,
layers, crosshair point and window) that every backend draws:

- ``backend="niivue"`` (default): ipyniivue 2.4.x, NiiVue as an anywidget. Its
  JavaScript ships inside the wheel, so it renders offline, on Binder and on an
  air-gapped laptop. Images go to the browser as NIfTI bytes written in memory
  (never into the data folder), cropped around the tumour and downsampled when
  large (``crop``, ``margin_mm``, ``max_voxels``).
- ``backend="slices"``: ipywidgets sliders + matplotlib PNGs through
  :func:`radnb.plots.images.plot_slice`; always works, also in static HTML exports.
- ``backend="itkwidgets"``: optional, never installed by default nor tested in CI.
  itkwidgets 1.0a55 loads its viewer from CDNs at run time (internet required;
  blank offline), needs ``ngff-zarr<0.33`` and takes numpy arrays.

Every control calls a public method (``show_patient``, ``set_sequence``,
``set_opacity``, ``set_slice_type``, ``set_window``, ``go_to_tumour``...), so
anything a click does can be done, and tested, in a cell.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from radnb.widgets import _viewer_data as vd
from radnb.widgets._viewer_data import (
    COLORMAPS,
    SLICE_TYPES,
    Layer,
    _as_image,
    _index_of,
    _on_grid,
)

__all__ = ["COLORMAPS", "SLICE_TYPES", "Layer", "Viewer", "view"]

_NUMPY_AXIS = {"axial": 0, "coronal": 1, "sagittal": 2}  # (z, y, x) axis of each view
_MASK_COLOUR = 4  # radnb.plots.style.PALETTE index of the tumour contour (as plot_slice)
_READER_COLOUR = 5


class Viewer:
    """A patient's images in 3D with overlays, in the notebook.

    Parameters
    ----------
    cohort : Cohort, optional
        The cohort to browse; without one, use :meth:`set_image`.
    patient_id : str, optional
        Patient to open (default: the cohort's first patient).
    sequence : str, optional
        Sequence to show first (default: the cohort's first sequence).
    backend : "niivue", "slices" or "itkwidgets"
        See the module docstring. ``"itkwidgets"`` needs internet (CDN) and the
        optional ``itkwidgets`` package; never used in CI.
    mask_style : "outline", "filled" or "hidden"
        How the tumour mask is drawn.
    crop : bool
        Send the browser only a box around the tumour (the mask's bounding box plus
        ``margin_mm``); the kernel keeps the full image (read-outs, snapshots).
    margin_mm : float
        Margin around the tumour box.
    max_voxels : int or None
        Browser copies larger than this are resampled to coarser voxels (about
        8 MB of float32 at the default); ``None`` sends full resolution.
    slice_type : one of :data:`SLICE_TYPES`
    window : preset name or (low, high)
        Display range of the image (default: "soft tissue" for CT-like
        intensities, "p1-p99" otherwise); see :data:`WINDOWS`.
    problems : DataFrame, optional
        A :meth:`Cohort.validate` table; the current patient's rows are shown.
    height : int
        Canvas height in pixels.

    Attributes
    ----------
    layers : dict
        Overlay layers by name (the image itself is :attr:`base`).
    message : str or None
        The current patient's error (missing / corrupt image), shown instead of a
        traceback.
    bytes_sent : int
        NIfTI bytes handed to the browser so far.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> img = sitk.GetImageFromArray(np.arange(8 * 16 * 16, dtype=np.float32).reshape(8, 16, 16))
    >>> m = np.zeros((8, 16, 16), np.uint8); m[3:5, 4:9, 4:9] = 1
    >>> v = Viewer(backend="slices").set_image(img, m, name="T1")
    >>> v.location["voxel"], v.location["values"]["mask"]
    ((6, 6, 4), 1.0)
    >>> v.add_habitats(m * 2, names={2: "enhancing"}).location["label"]
    'enhancing'
    """

    WINDOWS = (*vd.CT_WINDOWS, *vd.PERCENTILE_WINDOWS)

    def __init__(
        self,
        cohort=None,
        patient_id: str | None = None,
        *,
        sequence: str | None = None,
        backend: str = "niivue",
        mask_style: str = "outline",
        crop: bool = True,
        margin_mm: float = 20.0,
        max_voxels: int | None = 2_000_000,
        slice_type: str = "multiplanar",
        window: str | tuple[float, float] | None = None,
        problems=None,
        height: int = 420,
    ) -> None:
        from radnb.widgets._viewer_backends import make_backend

        if mask_style not in ("outline", "filled", "hidden"):
            raise ValueError(
                f"mask_style must be 'outline', 'filled' or 'hidden', not {mask_style!r}"
            )
        self.cohort = cohort
        self.crop = bool(crop)
        self.margin_mm = float(margin_mm)
        self.max_voxels = max_voxels
        self.mask_style = mask_style
        self.problems = problems
        self.height = int(height)
        self.patient_id: str | None = None
        self.sequence: str | None = None
        self.base: Layer | None = None
        self.layers: dict[str, Layer] = {}
        self.message: str | None = None
        self.bytes_sent = 0
        self.slice_type = self._check_slice_type(slice_type)
        self._window_request = window
        self.window_name: str | None = None
        self._box = None
        self._point: np.ndarray | None = None
        self._callbacks: list[Callable[[dict], Any]] = []
        self._links: list[tuple[Viewer, bool, bool]] = []
        self._busy = False
        self._seq_cache: dict[str, tuple[Layer, Layer | None]] = {}
        self.backend_name = backend
        self._backend = make_backend(backend, self)
        self._build_widget()
        if cohort is not None and len(cohort):
            self.show_patient(cohort.patient_ids[0] if patient_id is None else patient_id, sequence)

    # ------------------------------------------------------------------ patient
    def show_patient(self, patient_id: str, sequence: str | None = None) -> Viewer:
        """Open a cohort patient (its image, its mask); errors show as a message.

        A patient whose image is missing or unreadable shows the reason (patient,
        file, what is wrong) in :attr:`message` and in the widget, never a traceback.
        """
        from radnb.errors import RadnbError

        if self.cohort is None:
            raise ValueError("this viewer has no cohort; use set_image(image, mask)")
        if str(patient_id) not in self.cohort:
            raise KeyError(
                f"patient {patient_id!r} is not in the cohort ({len(self.cohort)} patients)"
            )
        seqs = self.cohort.sequences
        if sequence is None:
            sequence = self.sequence if self.sequence in seqs else seqs[0]
        if sequence not in seqs:
            raise KeyError(f"sequence {sequence!r} not in the cohort's sequences {seqs}")
        pid = str(patient_id)
        self._clear()
        self.patient_id = pid
        try:
            image = self.cohort.image(pid, sequence)
        except (RadnbError, RuntimeError, OSError) as exc:
            self.sequence = sequence
            self.message = str(exc)
            self._refresh_header()
            self._readout()
            self._backend.clear()
            self._sync_controls()
            return self
        mask, mask_error = self._read_mask(pid, sequence)
        self._set(image, mask, name=sequence)
        if mask_error:
            self.message = mask_error
            self._refresh_header()
        return self

    set_patient = show_patient

    def _read_mask(self, pid: str, sequence: str):
        from radnb.errors import RadnbError

        try:
            if self.cohort.mask_path(pid, sequence) is None:
                return None, None
            return self.cohort.mask(pid, sequence), None
        except (RadnbError, RuntimeError, OSError, KeyError) as exc:
            return None, f"mask not shown: {exc}"

    def set_image(self, image, mask=None, *, name: str = "image") -> Viewer:
        """Show an image (SimpleITK image or array) and optional mask, without a cohort."""
        import SimpleITK as sitk

        if not isinstance(image, sitk.Image):
            image = sitk.GetImageFromArray(np.asarray(image))
        self._clear()
        self.patient_id = None
        mask = None if mask is None else _as_image(mask, image, what="mask")
        self._set(image, mask, name=name)
        return self

    def _clear(self) -> None:
        self.base, self.layers, self.message = None, {}, None
        self._seq_cache, self._box, self._point = {}, None, None

    def _make_base(self, image, name: str) -> Layer:
        base = Layer(name=name, kind="image", image=image)
        base.browser, base.info = vd.browser_copy(image, box=self._box, max_voxels=self.max_voxels)
        return base

    def _make_mask(self, mask, name: str = "mask", colour: int = _MASK_COLOUR) -> Layer:
        from radnb.plots.style import PALETTE

        layer = Layer(
            name=name,
            kind="mask",
            image=mask,
            opacity=1.0,
            labels={1: name},
            colours={1: PALETTE[colour]},
            style=self.mask_style if name == "mask" else "outline",
        )
        self._browser_mask(layer)
        return layer

    def _browser_mask(self, layer: Layer) -> None:
        copy, layer.info = vd.browser_copy(
            layer.image, box=self._box, max_voxels=self.max_voxels, labels=True
        )
        layer.browser = vd.outline(copy) if layer.style == "outline" else copy

    def _set(self, image, mask, *, name: str) -> None:
        self._box = None
        if mask is not None and self.crop:
            self._box = vd.tumour_box(mask, margin_mm=self.margin_mm)
        self.sequence = name
        self.base = self._make_base(image, name)
        if mask is not None:
            self.layers["mask"] = self._make_mask(mask)
        self._seq_cache[name] = (self.base, self.layers.get("mask"))
        self._apply_window(self._window_request)
        self._point = None
        self._backend.load()
        self._sync_controls()
        self._refresh_header()
        self.go_to_tumour() if mask is not None else self._set_point(self._centre(), "init")

    def set_sequence(self, sequence: str) -> Viewer:
        """Show another sequence of the current patient; overlays stay, others aren't reloaded."""
        if self.cohort is None or self.patient_id is None:
            raise ValueError("set_sequence needs a cohort patient; use show_patient first")
        if sequence == self.sequence and self.base is not None:
            return self
        if sequence not in self.cohort.sequences:
            raise KeyError(f"sequence {sequence!r} not in {self.cohort.sequences}")
        if self.base is None:  # the previous sequence failed to load
            return self.show_patient(self.patient_id, sequence)
        if sequence not in self._seq_cache:
            from radnb.errors import RadnbError

            try:
                image = self.cohort.image(self.patient_id, sequence)
            except (RadnbError, RuntimeError, OSError) as exc:
                self.message = str(exc)
                self._refresh_header()
                return self
            shared = self.cohort.mask_path(self.patient_id, sequence) == self.cohort.mask_path(
                self.patient_id, self.sequence
            )
            mask_layer = self.layers.get("mask")
            if not shared:
                mask, err = self._read_mask(self.patient_id, sequence)
                mask_layer = None if mask is None else self._make_mask(mask)
                self.message = err
            self._seq_cache[sequence] = (self._make_base(image, sequence), mask_layer)
        self.base, mask_layer = self._seq_cache[sequence]
        self.sequence = sequence
        if mask_layer is not None:
            if mask_layer.style != self.mask_style and self.mask_style != "hidden":
                mask_layer.style = self.mask_style
                self._browser_mask(mask_layer)
            self.layers["mask"] = mask_layer
        self._apply_window(self._window_request)
        self._backend.replace_base()
        self._sync_controls()
        self._refresh_header()
        self._set_point(self._point, "sequence")
        return self

    # ------------------------------------------------------------------ layers
    def add_overlay(
        self,
        image,
        *,
        name: str,
        kind: str = "map",
        colormap: str | None = None,
        opacity: float | None = None,
        labels: Mapping[int, str] | Sequence[str] | None = None,
        colours: Mapping[int, str] | None = None,
        window: str | tuple[float, float] | None = None,
    ) -> Viewer:
        """Add (or replace) an overlay: a float ``"map"``, a ``"labels"`` map or a ``"mask"``.

        ``image`` is a SimpleITK image on any grid in the same world frame, or an
        array on the current image's grid. Label maps get a named colour table
        (``labels``: names of labels 1..k or ``{label: name}``) in radnb's palette.
        """
        if self.base is None:
            raise ValueError("open a patient or an image before adding overlays")
        if kind not in ("map", "labels", "mask"):
            raise ValueError(f"kind must be 'map', 'labels' or 'mask', not {kind!r}")
        if name == self.sequence:
            raise ValueError(f"overlay name {name!r} is the image's name; pick another")
        img = _as_image(image, self.base.image, what=f"overlay {name!r}")
        if kind == "mask":
            import SimpleITK as sitk

            img = sitk.Cast(img != 0, sitk.sitkUInt8)
            layer = self._make_mask(img, name=name, colour=_READER_COLOUR)
            if colours:
                layer.colours = {1: next(iter(dict(colours).values()))}
        else:
            is_lab = kind == "labels"
            layer = Layer(
                name=name,
                kind=kind,
                image=img,
                colormap=colormap or ("gray" if is_lab else "hot"),
                opacity=(0.6 if is_lab else 0.5) if opacity is None else float(opacity),
            )
            layer.browser, layer.info = vd.browser_copy(
                img, box=self._box, max_voxels=self.max_voxels, labels=is_lab
            )
            if is_lab:
                if labels is None:
                    found = np.unique(layer.array())
                    labels = {int(v): f"label {int(v)}" for v in found if v > 0}
                elif not isinstance(labels, Mapping):
                    labels = {i + 1: str(n) for i, n in enumerate(labels)}
                layer.labels = {int(k): str(v) for k, v in dict(labels).items()}
                layer.colours = dict(colours) if colours else None
            else:
                arr = vd._sitk().GetArrayViewFromImage(layer.browser)
                layer.window = vd.window_range(arr, window or "p1-p99")
        if opacity is not None:
            layer.opacity = float(opacity)
        if name in self.layers:
            self.remove_overlay(name)
        self.layers[name] = layer
        self._backend.add_layer(layer)
        self._sync_controls()
        self._set_point(self._point, "layer")
        return self

    def add_habitats(
        self,
        label_map,
        *,
        names: Mapping[int, str] | Sequence[str] | None = None,
        opacity: float = 0.6,
        name: str = "habitats",
    ) -> Viewer:
        """Add a habitat label map with named labels in radnb's habitat colours."""
        return self.add_overlay(label_map, name=name, kind="labels", labels=names, opacity=opacity)

    def add_mask(self, mask, *, name: str = "reader 2", colour: str | None = None) -> Viewer:
        """Add another mask (e.g. a second reader's) as an outline."""
        return self.add_overlay(
            mask, name=name, kind="mask", colours={1: colour} if colour else None
        )

    def remove_overlay(self, name: str) -> Viewer:
        """Remove an overlay layer."""
        layer = self.layers.pop(self._check_layer(name))
        self._backend.remove_layer(layer)
        self._sync_controls()
        return self

    def _check_layer(self, name: str) -> str:
        if self.base is not None and name == self.base.name:
            return name
        if name not in self.layers:
            names = ([self.base.name] if self.base else []) + list(self.layers)
            raise KeyError(f"no layer {name!r}; layers are {names}")
        return name

    def _layer(self, name: str) -> Layer:
        self._check_layer(name)
        return self.base if self.base is not None and name == self.base.name else self.layers[name]

    def set_opacity(self, name: str, opacity: float) -> Viewer:
        """Set a layer's opacity (0 to 1)."""
        if not 0.0 <= float(opacity) <= 1.0:
            raise ValueError(f"opacity must be between 0 and 1, got {opacity}")
        layer = self._layer(name)
        layer.opacity = float(opacity)
        self._backend.update_layer(layer)
        self._sync_controls()
        return self

    def set_colormap(self, name: str, colormap: str) -> Viewer:
        """Set the colormap of the image or a float map (one of :data:`COLORMAPS`)."""
        if colormap not in COLORMAPS:
            raise ValueError(f"unknown colormap {colormap!r}; use one of {COLORMAPS}")
        layer = self._layer(name)
        if layer.kind in ("mask", "labels"):
            raise ValueError(f"layer {name!r} is a {layer.kind} with its own colour table")
        layer.colormap = colormap
        self._backend.update_layer(layer)
        self._sync_controls()
        return self

    def set_mask_style(self, style: str) -> Viewer:
        """Draw the tumour mask as an ``"outline"``, ``"filled"``, or ``"hidden"``."""
        if style not in ("outline", "filled", "hidden"):
            raise ValueError(f"style must be 'outline', 'filled' or 'hidden', not {style!r}")
        self.mask_style = style
        layer = self.layers.get("mask")
        if layer is not None:
            if style != "hidden" and style != layer.style:
                layer.style = style
                self._browser_mask(layer)
                self._backend.remove_layer(layer)
                self._backend.add_layer(layer)
            layer.opacity = 0.0 if style == "hidden" else 1.0
            self._backend.update_layer(layer)
        self._sync_controls()
        return self

    # ------------------------------------------------------------------ display
    @staticmethod
    def _check_slice_type(slice_type: str) -> str:
        if slice_type not in SLICE_TYPES:
            raise ValueError(f"slice_type must be one of {SLICE_TYPES}, not {slice_type!r}")
        return slice_type

    def set_slice_type(self, slice_type: str) -> Viewer:
        """Axial, coronal, sagittal, multiplanar or 3D render (linked viewers follow)."""
        self.slice_type = self._check_slice_type(slice_type)
        self._backend.set_slice_type(self.slice_type)
        self._sync_controls()
        if not self._busy:
            self._busy = True
            try:
                for other, _, st in self._links:
                    if st:
                        other.set_slice_type(slice_type)
            finally:
                self._busy = False
        return self

    def _apply_window(self, window) -> None:
        if self.base is None:
            return
        arr = vd._sitk().GetArrayViewFromImage(self.base.browser)
        if window is None:  # automatic: CT-like intensities get a CT window
            window = "soft tissue" if arr.size and float(arr.min()) < -500 else "p1-p99"
        self.window_name = window if isinstance(window, str) else "custom"
        self.base.window = vd.window_range(arr, window)

    def set_window(self, window: str | tuple[float, float]) -> Viewer:
        """Window the image: a CT preset (soft tissue, lung, bone, liver), a percentile
        preset (p1-p99, p0.5-p99.5, p5-p95, min-max) or ``(low, high)``."""
        if not isinstance(window, str):
            vd.window_range(np.zeros(1), window)  # checks the pair
        if isinstance(window, str) and window not in self.WINDOWS:
            raise ValueError(f"unknown window {window!r}; presets are {self.WINDOWS}")
        self._window_request = window
        self._apply_window(window)
        if self.base is not None:
            self._backend.update_layer(self.base)
        self._sync_controls()
        return self

    @property
    def window(self) -> tuple[float, float] | None:
        """The image's current display range ``(low, high)``."""
        return None if self.base is None else self.base.window

    # ------------------------------------------------------------------ location
    def _centre(self) -> np.ndarray:
        size = np.asarray(self.base.image.GetSize(), float)
        return np.asarray(self.base.image.TransformContinuousIndexToPhysicalPoint((size - 1) / 2))

    def go_to_tumour(self, how: str = "centroid") -> dict:
        """Move the crosshair to the tumour: its ``"centroid"``, or the centre of its
        ``"largest"`` axial slice. Returns :attr:`location`."""
        layer = self.layers.get("mask")
        if layer is None:
            raise ValueError("this patient has no mask to go to")
        arr = np.asarray(layer.array()) != 0
        if not arr.any():
            self._set_point(self._centre(), "tumour")
            return self.location
        if how == "centroid":
            zyx = np.argwhere(arr).mean(0)
        elif how == "largest":
            z = int(np.argmax(arr.sum(axis=(1, 2))))
            yx = np.argwhere(arr[z]).mean(0)
            zyx = np.array([z, *yx])
        else:
            raise ValueError(f"how must be 'centroid' or 'largest', not {how!r}")
        idx = np.round(zyx[::-1]).astype(float)
        point = layer.image.TransformContinuousIndexToPhysicalPoint([float(v) for v in idx])
        self._set_point(np.asarray(point), "tumour")
        return self.location

    def go_to(self, *, voxel: Sequence[float] | None = None, mm: Sequence[float] | None = None):
        """Move the crosshair to a voxel ``(x, y, z)`` of the image or a world point
        (LPS mm, SimpleITK's convention). Returns :attr:`location`."""
        if self.base is None:
            raise ValueError("open a patient or an image first")
        if (voxel is None) == (mm is None):
            raise ValueError("pass voxel= or mm=")
        if voxel is not None:
            mm = self.base.image.TransformContinuousIndexToPhysicalPoint([float(v) for v in voxel])
        self._set_point(np.asarray(mm, float), "python")
        return self.location

    def _from_browser(self, mm_ras: Sequence[float]) -> None:
        """A crosshair click in the browser (NiiVue reports RAS mm)."""
        x, y, z = (float(v) for v in mm_ras[:3])
        self._set_point(np.array([-x, -y, z]), "browser")

    def _set_point(self, point, source: str) -> None:
        if self.base is None:
            return
        self._point = self._centre() if point is None else np.asarray(point, float)
        if source != "browser":
            self._backend.move_crosshair(self._point)
        self._readout()
        loc = self.location
        for cb in list(self._callbacks):
            cb(loc)
        if self._busy:
            return
        self._busy = True
        try:
            for other, ch, _ in self._links:
                if ch and other.base is not None:
                    other._set_point(self._point, "link")
        finally:
            self._busy = False

    @property
    def location(self) -> dict:
        """The crosshair: ``patient_id, sequence, mm`` (LPS), ``voxel`` (x, y, z of the
        image), ``values`` (each layer's value there), ``label`` (name of the label
        under it in the top-most label map, or ``None``) and ``in_mask``."""
        if self.base is None or self._point is None:
            return {"patient_id": self.patient_id, "sequence": self.sequence}
        values = {self.base.name: self.base.value_at(self._point)}
        label = None
        for name, layer in self.layers.items():
            v = layer.value_at(self._point)  # a mask's value is the full mask's, not its rim's
            values[name] = v
            if layer.kind == "labels" and v is not None and int(v) in (layer.labels or {}):
                label = layer.labels[int(v)]
        return {
            "patient_id": self.patient_id,
            "sequence": self.sequence,
            "mm": tuple(round(float(c), 3) for c in self._point),
            "voxel": _index_of(self.base.image, self._point),
            "values": values,
            "label": label,
            "in_mask": bool(values.get("mask")),
        }

    def on_location(self, callback: Callable[[dict], Any], *, remove: bool = False) -> Viewer:
        """Call ``callback(location)`` whenever the crosshair moves (click, link, code)."""
        if remove:
            self._callbacks.remove(callback)
        else:
            self._callbacks.append(callback)
        return self

    def link(self, *others: Viewer, crosshair: bool = True, slice_type: bool = True) -> Viewer:
        """Link viewers both ways: moving the crosshair or the slice type in one moves
        the others (to compare sequences or patients side by side)."""
        for other in others:
            if other is self:
                raise ValueError("a viewer cannot be linked to itself")
            self._links.append((other, crosshair, slice_type))
            other._links.append((self, crosshair, slice_type))
            if crosshair and self._point is not None and other.base is not None:
                other._set_point(self._point, "link")
            if slice_type:
                other.set_slice_type(self.slice_type)
        return self

    def unlink(self, other: Viewer) -> Viewer:
        """Undo :meth:`link` between this viewer and ``other``."""
        self._links = [t for t in self._links if t[0] is not other]
        other._links = [t for t in other._links if t[0] is not self]
        return self

    # ------------------------------------------------------------------ snapshot
    def snapshot(
        self,
        path=None,
        *,
        view: str | None = None,
        index: int | None = None,
        ax=None,
        dpi: int = 300,
    ):
        """The current slice with its overlays as a matplotlib Axes (kernel side).

        Drawn by :func:`radnb.plots.images.plot_slice` at full resolution: the image
        in the current window, the tumour contour, the first label map (habitats) at
        its opacity, float maps, and further masks as contours. ``view`` defaults to
        the current slice type (axial for multiplanar / render), ``index`` to the
        crosshair's slice. Saved as PNG when ``path`` is given. Returns the Axes.
        """
        from radnb.plots.images import plot_slice
        from radnb.plots.style import PALETTE, savefig

        if self.base is None:
            raise ValueError(f"nothing to snapshot: {self.message or 'no image open'}")
        view = view or (self.slice_type if self.slice_type in _NUMPY_AXIS else "axial")
        if view not in _NUMPY_AXIS:
            raise ValueError(f"view must be axial, coronal or sagittal, not {view!r}")
        ref = self.base.image
        axis = _NUMPY_AXIS[view]
        if index is None:
            vox = _index_of(ref, self._point) if self._point is not None else None
            vox = vox or tuple(s // 2 for s in ref.GetSize())
            index = int(vox[::-1][axis])
        mask = self.layers.get("mask")
        show_mask = mask is not None and self.mask_style != "hidden"
        mask_img = self._on_base(mask) if show_mask else None
        labels = [lay for lay in self.layers.values() if lay.kind == "labels"]
        overlay = self._on_base(labels[0]) if labels else None
        tag = "SIMULATED " if getattr(self.cohort, "simulated", False) else ""
        title = f"{tag}{self.patient_id or ''} {self.sequence} {view} {index}".strip()
        ax = plot_slice(
            ref,
            mask_img,
            overlay,
            view=view,
            index=int(index),
            window=self.base.window,
            overlay_alpha=labels[0].opacity if labels else 0.45,
            ax=ax,
            title=title,
        )
        for lay in self.layers.values():
            if lay.name == "mask" or lay.kind not in ("mask", "map") or lay.opacity == 0:
                continue
            sl = np.take(vd._sitk().GetArrayFromImage(self._on_base(lay)), int(index), axis=axis)
            if lay.kind == "mask" and (sl != 0).any():
                colour = (lay.colours or {}).get(1, PALETTE[_READER_COLOUR])
                ax.contour((sl != 0).astype(float), levels=[0.5], colors=[colour], linewidths=1.0)
            elif lay.kind == "map":
                lo, hi = lay.window or (float(sl.min()), float(sl.max()))
                shown = np.ma.masked_where(sl <= lo, sl)
                ax.imshow(shown, cmap=lay.colormap, vmin=lo, vmax=hi, alpha=lay.opacity,
                          origin="lower", interpolation="nearest")  # fmt: skip
        if path is not None:
            savefig(ax, path, dpi=dpi)
        return ax

    def _on_base(self, layer: Layer):
        """A layer on the image's full-resolution grid (cached)."""
        key = ("_on_base", id(self.base))
        cached = layer.info.get(key)
        if cached is None:
            cached = _on_grid(layer.image, self.base.image, labels=layer.kind != "map")
            layer.info[key] = cached
        return cached

    # ------------------------------------------------------------------ widget
    def _build_widget(self) -> None:
        from radnb.widgets._viewer_controls import build_controls

        build_controls(self)

    def _sync_controls(self) -> None:
        from radnb.widgets._viewer_controls import sync_controls

        sync_controls(self)

    def _refresh_header(self) -> None:
        from radnb.widgets._viewer_controls import refresh_header

        refresh_header(self)

    def _readout(self) -> None:
        loc = self.location
        if "values" not in loc:
            self.controls["readout"].value = ""
            return
        vals = ", ".join(
            f"{html.escape(k)} {v:.4g}" if v is not None else f"{html.escape(k)} -"
            for k, v in loc["values"].items()
        )
        label = f" | <b>{html.escape(loc['label'])}</b>" if loc["label"] else ""
        mm = ", ".join(f"{c:.1f}" for c in loc["mm"])
        self.controls[
            "readout"
        ].value = f"<span class='radnb-readout'>voxel {loc['voxel']} | {mm} mm (LPS) | {vals}{label}</span>"

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        what = f"patient {self.patient_id!r}, {self.sequence}" if self.base else "empty"
        return f"<Viewer {what}; backend {self.backend_name}; layers {list(self.layers)}>"

    def close(self) -> None:
        """Close the widgets (frees the browser canvas)."""
        self._backend.close()
        self.widget.close()


def view(cohort, patient_id: str | None = None, **kws: Any) -> Viewer:
    """One line to look at a patient: ``radnb.widgets.view(cohort, "p001")``.

    Keyword arguments go to :class:`Viewer` (``sequence``, ``backend``, ``crop``...).
    """
    return Viewer(cohort, patient_id, **kws)
