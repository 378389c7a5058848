"""helpers.ui.panel.TrainPanel: the one "train on click" panel (chapter 02, and the base of chapters 03-05's)."""

import ipywidgets as w
import numpy as np
import pytest

from helpers.ui.gan import TrainAndWatch
from helpers.ui.latent import RetrainPanel
from helpers.ui.panel import TrainPanel, error_line


def test_train_panel_trains_only_when_clicked():
    calls = []

    def train(epochs, augment):
        calls.append((epochs, augment))
        return {"test accuracy": 0.5 + epochs / 100, "augment": augment}

    panel = TrainPanel(train, {"epochs": w.IntSlider(value=3), "augment": w.Checkbox(value=True)})
    assert calls == [] and "Not trained" in panel.status.value
    panel.controls["epochs"].value = 7
    panel.button.click()
    assert calls == [(7, True)]
    assert panel.results[-1]["test accuracy"] == pytest.approx(0.57)
    assert "run 1" in panel.status.value and not panel.button.disabled


def test_train_panel_reports_errors_and_stays_usable():
    def boom():
        raise RuntimeError("no data")

    panel = TrainPanel(boom, {})
    with pytest.raises(RuntimeError):
        panel.run()
    assert "no data" in panel.status.value and not panel.button.disabled


def test_click_passes_the_controls_current_values_and_run_moves_them():
    seen = []
    panel = TrainPanel(lambda size, rate: seen.append((size, rate)) or f"size {size}",
                       {"size": w.Dropdown(options=[2, 8, 32], value=8), "rate": w.FloatSlider(value=0.5)})
    panel.controls["size"].value = 32
    panel.button.click()
    panel.run(rate=0.25)
    assert seen == [(32, 0.5), (32, 0.25)] and panel.controls["rate"].value == 0.25
    assert panel.results == ["size 32", "size 32"] and panel.status.value == "run 2: size 32"
    panel.run(size=4)  # not among the dropdown's options: trains with it, the dropdown keeps its value
    assert seen[-1] == (4, 0.25) and panel.controls["size"].value == 32
    with pytest.raises(KeyError, match="epochs"):
        panel.run(epochs=3)
    assert len(seen) == 3


def test_button_is_disabled_while_training_and_enabled_after_success_and_failure():
    during = []
    fail = {"now": False}

    def train(x):
        during.append((panel.button.disabled, panel.busy, panel.status.value))
        if fail["now"]:
            raise ValueError("diverged")
        return {"x": x}

    panel = TrainPanel(train, {"x": w.IntSlider(value=1)})
    assert not panel.button.disabled and not panel.busy
    panel.button.click()
    assert during == [(True, True, "training with x=1 …")]
    assert not panel.button.disabled and not panel.busy
    fail["now"] = True
    panel.button.click()
    assert during[-1][:2] == (True, True) and not panel.button.disabled and not panel.busy


def test_an_error_in_training_is_a_one_line_status_not_a_traceback():
    def train(steps):
        if steps > 1:
            raise ValueError("the discriminator loss is NaN: the model diverged\nlower the learning rate\n")
        return {"loss": 0.5}

    panel = TrainPanel(train, {"steps": w.IntSlider(value=2)})
    assert panel.click() is None  # a click does not raise
    status = panel.status.value
    assert "failed: ValueError: the discriminator loss is NaN: the model diverged" in status
    assert "\n" not in status and "lower the learning rate" not in status and "Traceback" not in status
    assert isinstance(panel.error, ValueError) and panel.results == []
    panel.controls["steps"].value = 1  # the panel stays usable: the next click trains
    assert panel.click() == {"loss": 0.5} and panel.error is None and panel.status.value.startswith("run 1")


def test_errors_are_caught_even_where_the_output_area_swallows_them(monkeypatch):
    """In a kernel, ipywidgets' Output hides an exception raised inside ``with output:``; the panel must not
    carry on as if training had returned (the old panels then failed on a missing result)."""
    import ipywidgets.widgets.widget_output as widget_output

    shown = []

    class FakeKernelShell:
        def showtraceback(self, exc_tuple, tb_offset=None):
            shown.append(exc_tuple[0])

    monkeypatch.setattr(widget_output, "get_ipython", lambda: FakeKernelShell())

    def train():
        raise RuntimeError("diverged at step 40")

    panel = TrainPanel(train)
    panel.button.click()
    assert "failed: RuntimeError: diverged at step 40" in panel.status.value
    with pytest.raises(RuntimeError, match="diverged at step 40"):
        panel.run()
    assert panel.results == [] and not panel.button.disabled


def test_error_line_keeps_the_first_line_and_a_bounded_length():
    assert error_line(ValueError("\n  first\nsecond")) == "ValueError: first"
    assert error_line(RuntimeError()) == "RuntimeError"
    long = error_line(ValueError("x" * 500), limit=50)
    assert len(long) == 50 and long.endswith("…")


def _retrain_panel(train):
    return RetrainPanel(lambda latent_dim: train(latent_dim=latent_dim),
                        {"latent_dim": w.Dropdown(options=[2, 8], value=8)})


def _gan_panel(train):
    x = np.zeros((4, 28, 28), np.uint8)
    return TrainAndWatch(x, train=lambda x_train, y_train, **kwargs: train(**kwargs))


@pytest.mark.parametrize("make", [_retrain_panel, _gan_panel], ids=["RetrainPanel", "TrainAndWatch"])
def test_chapter_panels_share_the_busy_state_and_the_error_line(make):
    during = []

    def train(**kwargs):
        during.append(panel.button.disabled)
        raise ValueError("loss is NaN\ndetails")

    panel = make(train)
    assert isinstance(panel, TrainPanel)
    panel.button.click()
    assert during == [True] and not panel.button.disabled
    assert "failed: ValueError: loss is NaN" in panel.status.value and "details" not in panel.status.value
    assert panel.results == []
