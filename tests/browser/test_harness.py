"""Fast checks of the browser-test harness itself (no browser, no server): run with the unit tests."""

import pytest
from lab_harness import WIDGET_REPR, browser_required, find_tools, require_or_skip


@pytest.mark.parametrize("text", ["IntSlider(value=3)", "VBox(children=(HBox(children=(Dropdown(description='class'",
                                  "Image(value=b'\\x89PNG', format='png')", "interactive(children=(IntSlider("])
def test_widget_repr_is_recognised(text):
    assert WIDGET_REPR.match(text)


@pytest.mark.parametrize("text", ["(60000, 28, 28)", "array([1, 2, 3])", "Epoch 1/1", "<Figure size 640x480>",
                                  "x_train (60000, 28, 28) uint8"])
def test_ordinary_output_is_not_a_widget_repr(text):
    assert not WIDGET_REPR.match(text)


@pytest.mark.parametrize("env, required", [({}, False), ({"CI": "true"}, True), ({"CI": "false"}, False),
                                           ({"COURSE_REQUIRE_BROWSER": "1"}, True)])
def test_browser_required_in_ci_only(monkeypatch, env, required):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("COURSE_REQUIRE_BROWSER", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert browser_required() is required


def test_missing_chromium_skips_on_a_laptop_and_fails_in_ci(monkeypatch):
    import lab_harness

    monkeypatch.setattr(lab_harness, "find_chromium", lambda: None)
    _, missing = find_tools()
    assert any("apt-get install chromium" in m for m in missing)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("COURSE_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="browser tests need Chromium"):
        require_or_skip(missing)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        require_or_skip(missing)
    require_or_skip([])  # nothing missing: neither skip nor fail
