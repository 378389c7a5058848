"""Images to PNG bytes for ``ipywidgets.Image``: the one encoder every widget uses.

:func:`to_png` encodes one image (2-D, colour-mapped; or RGB); :func:`mosaic_png`
lays several images out with :func:`helpers.plots.tile` (a strip by default) and
encodes the result. Used by every chapter's widgets (00-06) and by
:class:`helpers.ui.progress.LiveProgress`.
"""

from __future__ import annotations

import io

import numpy as np


def to_png(image, scale: int = 4, cmap: str = "gray_r", vmin=None, vmax=None) -> bytes:
    """Encode one image as PNG bytes, each pixel upscaled to ``scale`` x ``scale`` (all chapters).

    A 2-D image (or (H, W, 1)) of any numeric range is drawn with ``cmap``
    between ``vmin`` and ``vmax`` (default: its own min and max; dark ink on
    white with the default ``gray_r``). An (H, W, 3) image is taken as RGB in
    [0, 1] (values outside are clipped) and drawn as is.
    """
    from matplotlib import image as mpimg

    x = np.asarray(image, dtype=np.float32)
    if x.ndim == 3 and x.shape[-1] == 1:
        x = x[..., 0]
    rgb = x.ndim == 3 and x.shape[-1] == 3
    if x.ndim != 2 and not rgb:
        raise ValueError(f"to_png expects one 2-D image (or H x W x 3 RGB), got shape {x.shape}")
    scale = max(1, int(scale))
    x = np.repeat(np.repeat(x, scale, axis=0), scale, axis=1)
    buf = io.BytesIO()
    if rgb:
        mpimg.imsave(buf, np.clip(x, 0.0, 1.0), format="png")
    else:
        lo = float(np.min(x)) if vmin is None else float(vmin)
        hi = float(np.max(x)) if vmax is None else float(vmax)
        mpimg.imsave(buf, x, cmap=cmap, vmin=lo, vmax=max(hi, lo + 1e-6), format="png")
    return buf.getvalue()


def mosaic_png(images, ncols: int | None = None, scale: int = 2, pad: int = 1, pad_value: float = 0.0,
               vmin: float = 0.0, vmax: float = 1.0, cmap: str = "gray_r") -> bytes:
    """N images (N, H, W[, 1]) as one PNG: rows of ``ncols`` (default: all in one strip) (all chapters).

    ``vmin``/``vmax`` is the images' value range: 0-1 for float images, pass
    ``vmax=255`` for uint8 ones. Padding between images is ``pad`` pixels of ``pad_value``.
    """
    from ..plots import tile

    x = np.asarray(images, np.float32)
    return to_png(tile(x, ncols=len(x) if ncols is None else ncols, pad=pad, pad_value=pad_value),
                  scale=scale, cmap=cmap, vmin=vmin, vmax=vmax)
