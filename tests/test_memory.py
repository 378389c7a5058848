"""helpers.memory: the malloc arena cap set at import and the trimming after each training run."""

import os
import subprocess
import sys

import numpy as np
import pytest

from helpers import memory


class FakeLibc:
    def __init__(self, mallopt_result=1, trim_result=1):
        self.calls, self.mallopt_result, self.trim_result = [], mallopt_result, trim_result

    def mallopt(self, param, value):
        self.calls.append(("mallopt", param, value))
        return self.mallopt_result

    def malloc_trim(self, pad):
        self.calls.append(("malloc_trim", pad))
        return self.trim_result


@pytest.fixture
def fake_libc(monkeypatch):
    libc = FakeLibc()
    monkeypatch.setattr(memory, "_glibc", lambda: libc)
    monkeypatch.setitem(memory._STATE, "arenas", None)
    return libc


def test_limit_arenas_calls_glibc_mallopt_with_m_arena_max(fake_libc):
    assert memory.limit_arenas(3, environ={}) is True
    assert fake_libc.calls == [("mallopt", -8, 3)]  # M_ARENA_MAX is -8 in glibc's malloc.h
    assert memory.arena_limit() == 3


def test_limit_arenas_leaves_a_learners_malloc_arena_max_alone(fake_libc):
    assert memory.limit_arenas(2, environ={"MALLOC_ARENA_MAX": "8"}) is False
    assert fake_libc.calls == [] and memory.arena_limit() is None


def test_limit_arenas_reports_a_refused_setting(fake_libc):
    fake_libc.mallopt_result = 0
    assert memory.limit_arenas(2, environ={}) is False and memory.arena_limit() is None


def test_limit_arenas_rejects_fewer_than_one(fake_libc):
    with pytest.raises(ValueError, match="at least 1"):
        memory.limit_arenas(0, environ={})


def test_without_glibc_both_calls_do_nothing(monkeypatch):
    monkeypatch.setattr(memory, "_glibc", lambda: None)
    monkeypatch.setitem(memory._STATE, "arenas", None)
    assert memory.limit_arenas(2, environ={}) is False
    assert memory.release_free_memory() is False
    assert memory.arena_limit() is None


def test_release_free_memory_trims_every_arena(fake_libc):
    assert memory.release_free_memory() is True
    assert fake_libc.calls == [("malloc_trim", 0)]
    fake_libc.trim_result = 0
    assert memory.release_free_memory() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_real_glibc_trim_returns_pages_of_freed_small_objects():
    """Many small freed buffers stay resident until trimmed; after malloc_trim the process holds less."""
    if memory._glibc() is None:
        pytest.skip("not glibc")

    def rss_kb():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))

    blobs = [bytearray(4000) for _ in range(50_000)]  # 200 MB of small heap chunks, below mmap's threshold
    keep = blobs[-1]  # noqa: F841 - one live chunk at the top: trimming only the top could not return the rest
    del blobs
    before = rss_kb()
    memory.release_free_memory()
    assert rss_kb() < before - 100_000, "malloc_trim(0) returned less than 100 MB of 200 MB freed"


def test_import_helpers_caps_arenas_before_tensorflow_starts():
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    code = ("import sys, helpers, helpers.memory as m; "
            "print(m.arena_limit(), 'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    expected = str(memory.ARENAS) if memory._glibc() is not None else "None"
    assert out.split() == [expected, "False"]


def test_training_fit_trims_after_each_run(monkeypatch):
    import keras

    from helpers import training

    calls = []
    monkeypatch.setattr(training, "release_free_memory", lambda: calls.append(1) or True)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((8, 3), np.float32), np.zeros((8, 1), np.float32)
    training.fit(model, x, y, epochs=1, batch_size=4)
    assert calls == [1]


def test_use_system_allocator_sets_tensorflows_switch_unless_the_learner_did():
    environ = {}
    assert memory.use_system_allocator(environ) is True and environ == {memory.SYSTEM_ALLOCATOR_ENV: "1"}
    chosen = {memory.SYSTEM_ALLOCATOR_ENV: "0"}  # the learner wants oneDNN's pool back
    assert memory.use_system_allocator(chosen) is False and chosen == {memory.SYSTEM_ALLOCATOR_ENV: "0"}


_POOL_PROBE = """
import os, helpers, keras, numpy as np
from helpers.memory import release_free_memory
def rss():
    return next(int(l.split()[1]) // 1024 for l in open("/proc/self/status") if l.startswith("VmRSS"))
model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(32, 3, padding="same"),
                          keras.layers.Conv2D(32, 3, padding="same")])
x = np.zeros((1000, 28, 28, 1), np.float32)
model.predict_on_batch(x[:10]); release_free_memory()
before = rss()
model.predict_on_batch(x); release_free_memory()  # ~100 MB per activation, freed when it returns
print(os.environ["TF_ONEDNN_USE_SYSTEM_ALLOCATOR"], rss() - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and trims glibc's heap")
def test_import_helpers_lets_a_large_inference_give_its_memory_back():
    """With oneDNN's pool (the switch at 0) a batch of 1,000 conv activations stays resident (~200 MB here);
    with ``import helpers``'s setting it is returned. Catches TensorFlow renaming or dropping the switch."""
    if memory._glibc() is None:
        pytest.skip("not glibc")

    def kept_mb(**env):
        environ = {k: v for k, v in os.environ.items() if k != memory.SYSTEM_ALLOCATOR_ENV} | env
        environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        out = subprocess.run([sys.executable, "-c", _POOL_PROBE], env=environ, capture_output=True, text=True,
                             check=True).stdout.split()
        return out[0], int(out[1])

    switch, kept = kept_mb()
    pool_switch, pool_kept = kept_mb(**{memory.SYSTEM_ALLOCATOR_ENV: "0"})
    assert (switch, pool_switch) == ("1", "0")
    assert pool_kept > 100, f"oneDNN's pool kept only {pool_kept} MB: the probe no longer shows the problem"
    assert kept < 30, f"{kept} MB stayed resident after the inference with the system allocator (pool: {pool_kept})"


class FakeEvents:
    def __init__(self):
        self.callbacks = {"post_run_cell": []}

    def register(self, event, function):
        self.callbacks[event].append(function)


class FakeShell:
    def __init__(self):
        self.events = FakeEvents()


def test_trim_after_each_cell_registers_one_hook_that_trims(monkeypatch):
    shell = FakeShell()
    assert memory.trim_after_each_cell(shell) is True
    assert memory.trim_after_each_cell(shell) is True  # setup() run twice: still one hook
    hooks = shell.events.callbacks["post_run_cell"]
    assert len(hooks) == 1
    calls = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: calls.append(1) or True)
    hooks[0](None)  # IPython passes the cell's ExecutionResult
    assert calls == [1]


def test_trim_after_each_cell_does_nothing_outside_a_kernel(monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert memory.trim_after_each_cell() is False


def _closing_over(inner):
    def outer():
        return inner
    return outer


def test_is_all_reduce_gradient_looks_three_closures_deep_and_no_deeper():
    def lam():
        return None
    lam.__qualname__ = "ReplicaContextBase.all_reduce.<locals>.grad_wrapper.<locals>.<lambda>"
    registered = _closing_over(_closing_over(lam))  # TensorFlow: internal_grad_fn -> tape_grad_fn -> lambda
    assert memory._is_all_reduce_gradient(registered) is True
    assert memory._is_all_reduce_gradient(_closing_over(_closing_over(_closing_over(_closing_over(lam))))) is False

    def learners_grad(dy):
        return dy * 0.1
    assert memory._is_all_reduce_gradient(_closing_over(_closing_over(learners_grad))) is False
    assert memory._is_all_reduce_gradient(None) is False


def _one_step_graphs():
    import gc

    from tensorflow.python.framework.func_graph import FuncGraph

    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, FuncGraph) and o.name == "one_step_on_data")


def test_drop_all_reduce_gradients_frees_a_trained_model_and_keeps_a_learners_custom_gradient():
    """TensorFlow's gradient registry kept every trained model's graph, and with it its weights
    (tensorflow#92094); after ``drop_all_reduce_gradients`` a model nobody holds is gone."""
    import keras
    import tensorflow as tf
    from tensorflow.python.framework import ops

    @tf.custom_gradient
    def scaled(x):
        return x * 2.0, lambda dy: dy * 0.1

    @tf.function
    def learners_step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = scaled(x)
        return tape.gradient(y, x)

    assert float(learners_step(tf.constant(1.0))) == pytest.approx(0.1)
    registry = ops._gradient_registry._registry
    learners = {name for name, entry in registry.items()
                if name.startswith("CustomGradient-") and not memory._is_all_reduce_gradient(entry["type"])}
    assert learners, "the learner's tf.custom_gradient registered nothing"

    memory.drop_all_reduce_gradients()
    before = _one_step_graphs()

    def train_once():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        model.compile(optimizer="adam", loss="mse")
        model.fit(np.zeros((8, 4), np.float32), np.zeros((8, 3), np.float32), epochs=1, batch_size=4, verbose=0)

    train_once()
    if _one_step_graphs() == before:
        pytest.skip("this TensorFlow no longer keeps trained graphs: drop_all_reduce_gradients can go")
    assert memory.drop_all_reduce_gradients() >= 1
    assert _one_step_graphs() == before, "the trained model's graph survived drop_all_reduce_gradients"
    assert memory.drop_all_reduce_gradients() == 0
    assert learners <= set(registry), "a learner's own custom gradient was dropped"
    assert float(learners_step(tf.constant(3.0))) == pytest.approx(0.1)


def test_drop_all_reduce_gradients_does_nothing_without_tensorflows_registry(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow.python.framework.ops", None)
    assert memory.drop_all_reduce_gradients() == 0


def test_release_free_memory_drops_the_registrations_first(monkeypatch, fake_libc):
    order = []
    monkeypatch.setattr(memory, "drop_all_reduce_gradients", lambda: order.append("drop") or 0)
    fake_libc.malloc_trim = lambda pad: order.append("trim") or 1
    assert memory.release_free_memory() is True
    assert order == ["drop", "trim"]
