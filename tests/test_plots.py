"""Image grids: helpers.plots.tile and image_grid."""

import numpy as np
import pytest

from helpers import plots


def test_tile_layout_and_padding():
    images = np.stack([np.full((2, 3), i, dtype=np.float32) for i in range(1, 6)])
    mosaic = plots.tile(images, ncols=2, pad=1, pad_value=0)
    assert mosaic.shape == (3 * 3 + 1, 2 * 4 + 1)
    assert mosaic[1, 1] == 1 and mosaic[1, 5] == 2 and mosaic[4, 1] == 3 and mosaic[7, 1] == 5
    assert mosaic[7, 5] == 0  # the empty sixth slot stays padding


def test_tile_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"expected images of shape \(N, H, W\)"):
        plots.tile(np.zeros((28, 28)))


def test_image_grid_returns_figure():
    import matplotlib

    matplotlib.use("Agg")
    fig = plots.image_grid(np.random.rand(6, 28, 28, 1), ncols=3, titles=list("abcdef"))
    assert len([a for a in fig.axes if a.get_title()]) == 6


def test_gan_diagram_draws_the_game_with_its_arrows_the_right_way_round():
    import matplotlib
    from matplotlib.text import Annotation

    matplotlib.use("Agg")
    fig = plots.gan_diagram()
    fig.canvas.draw()  # resolve the box-anchored arrows
    ax = fig.axes[0]
    boxes = {t.get_gid()[4:]: t for t in ax.texts if (t.get_gid() or "").startswith("box:")}
    assert set(boxes) == {"noise", "generator", "fake", "real", "discriminator", "score"}
    assert all(t.get_bbox_patch() is not None for t in boxes.values())
    arrows = {a.get_gid(): a for a in ax.texts if isinstance(a, Annotation) and a.arrow_patch is not None}
    forward = {"noise->generator", "generator->fake", "fake->discriminator", "real->discriminator",
               "discriminator->score"}
    gradients = {"score->discriminator", "score->generator"}
    assert set(arrows) == {f"forward:{e}" for e in forward} | {f"gradient:{e}" for e in gradients}
    renderer = fig.canvas.get_renderer()
    for gid, arrow in arrows.items():
        src, dst = gid.split(":")[1].split("->")
        # anchored to the two boxes, head at the target's end ("-|>": the head is drawn at xy, the target)
        assert arrow.anncoords is boxes[src] and arrow.xycoords is boxes[dst], gid
        assert type(arrow.arrow_patch.get_arrowstyle()).__name__ == "CurveFilledB", gid
        dashed = arrow.arrow_patch.get_linestyle() in ("--", "dashed")
        assert dashed == gid.startswith("gradient:"), gid
        # as drawn: the line starts at the source box and ends at the target box (within 5 px of their edges)
        points = arrow.arrow_patch.get_path().vertices[:-1]
        a, b = (boxes[k].get_bbox_patch().get_window_extent(renderer).padded(5) for k in (src, dst))
        assert a.contains(*points[0]) and not b.contains(*points[0]), gid
        assert any(b.contains(*p) for p in points), gid
    matplotlib.pyplot.close(fig)
