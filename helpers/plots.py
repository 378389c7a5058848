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


# The GAN diagram of chapter 05 §1: boxes (key -> (x, y, label), axes coordinates) and arrows.
GAN_BOXES = {
    "noise": (0.08, 0.72, "noise\n$z \\sim p(z)$"),
    "generator": (0.27, 0.72, "generator $G$"),
    "fake": (0.47, 0.72, "fake images\n$G(z)$"),
    "real": (0.47, 0.22, "real images\n$x \\sim p_\\mathrm{data}$"),
    "discriminator": (0.68, 0.47, "discriminator $D$"),
    "score": (0.89, 0.47, "$D(\\cdot) \\in (0, 1)$\nprobability \"real\""),
}
# (from, to): what flows forward when the game is played (solid arrows).
GAN_FORWARD = (("noise", "generator"), ("generator", "fake"), ("fake", "discriminator"),
               ("real", "discriminator"), ("discriminator", "score"))
# (from, to, label): the gradients of the two losses, flowing back into the weights they update (dashed arrows).
GAN_GRADIENTS = (("score", "discriminator", "D's loss: real → 1, fake → 0"),
                 ("score", "generator", "G's loss $-\\log D(G(z))$: its gradient flows back through $D$ into $G$"))

# How each gradient arrow bends (arc3 radius) and where its label sits (axes coordinates).
_GRADIENT_LAYOUT = {"score->discriminator": (-0.5, (0.84, 0.2)), "score->generator": (0.28, (0.58, 0.97))}


def gan_diagram(ax=None):
    """Draw a GAN: noise → G → fake images → D ← real images, D → a probability, and the two losses' gradients
    flowing back (chapter 05 §1, which also says what the source chapter's Figure 2 got wrong).

    Each box is a text artist with ``gid`` ``"box:<key>"`` (keys of :data:`GAN_BOXES`); each arrow is an
    annotation with ``gid`` ``"forward:<from>-><to>"`` (solid, :data:`GAN_FORWARD`) or
    ``"gradient:<from>-><to>"`` (dashed, :data:`GAN_GRADIENTS`), anchored to the two boxes it joins.
    Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 3.2))
    else:
        fig = ax.figure
    ax.set(xlim=(0, 1), ylim=(0, 1))
    ax.axis("off")
    colours = {"noise": "#f2f2f2", "generator": "#cfe2f3", "fake": "#fce5cd", "real": "#d9ead3",
               "discriminator": "#f4cccc", "score": "#f2f2f2"}
    boxes = {key: ax.text(x, y, label, ha="center", va="center", fontsize=10, gid=f"box:{key}",
                          bbox=dict(boxstyle="round,pad=0.5", facecolor=colours[key], edgecolor="#444444"))
             for key, (x, y, label) in GAN_BOXES.items()}
    for src, dst in GAN_FORWARD:
        ax.annotate("", xy=(0.5, 0.5), xycoords=boxes[dst], xytext=(0.5, 0.5), textcoords=boxes[src],
                    gid=f"forward:{src}->{dst}",
                    arrowprops=dict(arrowstyle="-|>", color="#222222", lw=1.5, shrinkA=0, shrinkB=0,
                                    patchA=boxes[src].get_bbox_patch(), patchB=boxes[dst].get_bbox_patch()))
    for src, dst, label in GAN_GRADIENTS:
        rad, (label_x, label_y) = _GRADIENT_LAYOUT[f"{src}->{dst}"]
        ax.annotate("", xy=(0.5, 0.5), xycoords=boxes[dst], xytext=(0.5, 0.5), textcoords=boxes[src],
                    gid=f"gradient:{src}->{dst}",
                    arrowprops=dict(arrowstyle="-|>", color="#a61c00", lw=1.2, ls="--", shrinkA=0, shrinkB=0,
                                    connectionstyle=f"arc3,rad={rad}",
                                    patchA=boxes[src].get_bbox_patch(), patchB=boxes[dst].get_bbox_patch()))
        ax.text(label_x, label_y, label, ha="center", va="center", fontsize=9, color="#a61c00")
    ax.set_title("A GAN: solid arrows are the forward pass; dashed arrows show which network each loss trains",
                 fontsize=10)
    return fig
