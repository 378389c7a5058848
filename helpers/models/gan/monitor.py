"""Watching and scoring chapter 05's GANs: loss curves, animations, class coverage, quick scores, code purity."""

from __future__ import annotations

import numpy as np

from .data import from_gan_range


def plot_history(history: dict, smooth: int = 20, title: str | None = None, axes=None):
    """Two panels: D and G losses, and D(x) vs D(G(z)), per batch (moving average of ``smooth``; chapter 05 §4)."""
    import matplotlib.pyplot as plt

    def avg(v):
        v = np.asarray(v, dtype=float)
        k = max(1, min(smooth, len(v)))
        return np.convolve(v, np.ones(k) / k, mode="valid")

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3))
    for key, label in (("d_loss", "D loss"), ("g_loss", "G loss")):
        axes[0].plot(avg(history[key]), label=label)
    for key, label in (("d_class_loss", "D class loss"), ("g_class_loss", "G class loss"),
                       ("d_code_loss", "D code loss"), ("g_code_loss", "G code loss")):
        if key in history:  # the conditional GAN's and InfoGAN's extra terms
            axes[0].plot(avg(history[key]), ls="--", label=label)
    for key, label in (("d_real", "D(x), real"), ("d_fake", "D(G(z)), fake")):
        axes[1].plot(avg(history[key]), label=label)
    axes[1].axhline(0.5, color="grey", lw=0.8, ls=":")
    axes[1].set_ylim(0, 1)
    for ax in axes:
        ax.set_xlabel("batch")
        ax.legend(fontsize=8)
    if title:
        axes[0].figure.suptitle(title)
    return axes[0].figure


def class_coverage(x_uint8) -> dict:
    """How the course evaluator classifies samples: share per class, entropy (bits; 3.32 = uniform).

    A mode-collapsed generator draws a few digits only: low entropy, a large
    ``max_share``, few ``classes_covered`` (classes with at least 2% of samples).
    Chapter 05 §5 (and :func:`quick_scores`).
    """
    from ... import metrics

    probs = metrics.evaluator().probs(x_uint8)
    share = np.bincount(probs.argmax(axis=1), minlength=probs.shape[1]) / len(probs)
    nz = share[share > 0]
    return {"share": share, "entropy_bits": float(-(nz * np.log2(nz)).sum()),
            "max_share": float(share.max()), "classes_covered": int((share >= 0.02).sum())}


def quick_scores(model, n: int = 2000, seed: int = 0, use_ema: bool = True) -> dict:
    """Fréchet distance (÷ real-vs-real baseline at the same size), precision, recall and class coverage.

    ``share`` is the evaluator's class histogram of the samples (chapter 05 §5 plots it).

    A fast summary for comparing training runs; chapter 06 and
    :func:`helpers.metrics.evaluate_samples` give the full picture.
    """
    from ... import metrics

    labels = np.arange(n) % model.num_classes if model.conditional else None
    x = from_gan_range(model.generate(n, seed=seed, labels=labels, use_ema=use_ema))
    res = metrics.evaluate_samples(x, labels, metrics=("frechet", "precision_recall"), n_real=n, seed=seed)
    cov = class_coverage(x)
    return {"frechet": res["frechet_distance"], "frechet_real": res["frechet_distance_real"],
            "frechet_ratio": res["frechet_distance"] / res["frechet_distance_real"],
            "precision": res["precision"], "recall": res["recall"],
            "entropy_bits": cov["entropy_bits"], "max_share": cov["max_share"],
            "classes_covered": cov["classes_covered"], "share": cov["share"]}


def code_purity(model, per_code: int = 200, seed: int = 0) -> dict:
    """How well an InfoGAN's codes match MNIST's classes, read by the course evaluator.

    For each code, ``per_code`` samples are classified; ``majority`` is the
    most frequent class per code and ``purity`` the share of samples in it.
    ``mean_purity`` averages over codes; ``classes_found`` counts distinct
    majority classes (10 when the codes split the digits one each).
    Chapter 05 §7; the benchmark's InfoGAN row.
    """
    from ... import metrics

    codes = np.repeat(np.arange(model.num_codes), per_code)
    x = from_gan_range(model.generate(len(codes), seed=seed, labels=codes))
    predicted = metrics.evaluator("mnist").probs(x).argmax(1)
    majority, purity = [], []
    for c in range(model.num_codes):
        counts = np.bincount(predicted[codes == c], minlength=10)
        majority.append(int(counts.argmax()))
        purity.append(float(counts.max() / per_code))
    return {"majority": majority, "purity": purity, "mean_purity": float(np.mean(purity)),
            "classes_found": len(set(majority))}


def animate(frames, steps=None, ncols: int = 10, interval: int = 400):
    """An in-notebook animation (``IPython.display.HTML``) of sample grids, one per frame.

    Chapter 05 §4 and §6.
    """
    import matplotlib.pyplot as plt
    from IPython.display import HTML
    from matplotlib import animation

    from ...plots import tile

    tiles = [tile(f, ncols, pad_value=0) for f in frames]
    fig, ax = plt.subplots(figsize=(ncols * 0.6, len(frames[0]) / ncols * 0.6 + 0.4))
    im = ax.imshow(tiles[0], cmap="gray_r", vmin=0, vmax=255)
    ax.axis("off")
    title = ax.set_title("")

    def draw(i):
        im.set_data(tiles[i])
        title.set_text(f"after {steps[i]} batches" if steps is not None else f"frame {i}")
        return im, title

    anim = animation.FuncAnimation(fig, draw, frames=len(tiles), interval=interval, blit=False)
    html = anim.to_jshtml()
    plt.close(fig)
    return HTML(html)
