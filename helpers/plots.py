"""Small plotting helpers shared by every chapter (matplotlib only)."""

from __future__ import annotations

import numpy as np


def _as_2d_images(images) -> np.ndarray:
    x = np.asarray(images)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3:
        raise ValueError(f"expected images of shape (N, H, W) or (N, H, W, 1), got {x.shape}")
    return x


def tile(images, ncols: int = 10, pad: int = 1, pad_value: float | None = None) -> np.ndarray:
    """Arrange N images into one 2-D mosaic array (rows of ``ncols``).

    Chapters 04 §7 and 05 §5 directly, and every chapter's :func:`image_grid` (all chapters).
    """
    x = _as_2d_images(images).astype(np.float32)
    n, h, w = x.shape
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fill = x.min() if pad_value is None else pad_value
    out = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad), fill, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, ncols)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = x[i]
    return out


def image_grid(images, ncols: int = 10, titles=None, title: str | None = None, ax=None,
               cmap: str = "gray_r", size: float = 0.9):
    """Show images as a grid; returns the matplotlib Figure (or Axes' figure) (all chapters).

    ``titles`` (one per image) switches to one subplot per image, useful for
    labels; otherwise a single fast mosaic is drawn.
    """
    import matplotlib.pyplot as plt

    x = _as_2d_images(images)
    n = len(x)
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    if titles is not None:
        fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * (size + 0.25)), squeeze=False)
        for i, a in enumerate(axes.flat):
            a.axis("off")
            if i < n:
                a.imshow(x[i], cmap=cmap)
                a.set_title(str(titles[i]), fontsize=8)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        return fig
    if ax is None:
        fig, ax = plt.subplots(figsize=(ncols * size, nrows * size))
    else:
        fig = ax.figure
    ax.imshow(tile(x, ncols), cmap=cmap)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig
