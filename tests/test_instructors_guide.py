"""The instructor guide lists every mistake the exercise checks can name (so it never drifts from them)."""

from pathlib import Path

import pytest

from helpers.exercises import augmentation, autoencoder, datasets, flow, gan, metrics, vae

GUIDE = (Path(__file__).resolve().parents[1] / "docs" / "instructors.md").read_text(encoding="utf-8")
NAMES = sorted({m.name for group in (autoencoder.MSE_MISTAKES, vae.ELBO_MISTAKES, vae.REPARAMETERIZE_MISTAKES,
                                     metrics.FRECHET_MISTAKES, metrics.PR_MISTAKES, gan.GAN_LOSS_MISTAKES,
                                     datasets.NEAREST_MISTAKES, augmentation.MIXUP_MISTAKES, flow.FLOW_LOSS_MISTAKES,
                                     flow.EULER_MISTAKES) for m in group}
               | set(autoencoder.TRAIN_STEP_HINTS) | set(gan.TRAIN_STEP_HINTS) | {"own_noise", "rows_not_groups", "wrong_share", "not_reproducible", "not_random",
                  "ignores_seed", "indices", "not_a_mask", "not_identity_at_inference", "flip", "not_a_shift",
                  "too_far", "never_shifts", "one_shift_per_batch", "same_every_call", "not_graph_safe", "shape",
                  "returned_path"})


@pytest.mark.parametrize("name", NAMES)
def test_every_named_mistake_is_in_the_guide(name):
    assert f"`{name}`" in GUIDE, f"docs/instructors.md does not list the mistake {name!r}"


def test_guide_covers_every_chapter_and_the_hub():
    for chapter in ("00", "01", "02", "03", "04", "05", "06", "07"):
        assert f"| {chapter} " in GUIDE
    assert "tools/hub_link.py" in GUIDE and "nbgitpuller" in GUIDE
