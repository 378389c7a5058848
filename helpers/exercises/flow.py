"""Chapter 07's build-it exercises: the flow-matching loss and the Euler sampler.

``check_flow_matching_loss(fn)`` judges ``flow_matching_loss(velocity, x, eps, t) -> scalar`` against the
reference on fixed inputs and a fixed stand-in network: it names the reversed path, the flipped target, the noise
or the data as target (the other two parameterisations, which need other samplers), the mean over the numbers
instead of the sum, a forgotten time input, and NumPy that cannot run inside ``train_step``.
``check_euler_sampler(fn)`` judges ``euler_sampler(velocity, x0, steps) -> x1`` on velocity fields whose exact
flow is known: it names the wrong direction of time, a step of the wrong size, the slope taken at the end of
each step, one step too many or too few, and a sampler that returns the path instead of its end.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from .core import Mistake, Verdict, announce, check, hint

EX_7_1, EX_7_2 = "Exercise 7.1 (flow-matching loss)", "Exercise 7.2 (Euler sampler)"


# ------------------------------------------------------------------ exercise 7.1: the flow-matching loss
def stand_in_velocity(x_t, t):
    """A fixed, non-trivial "network" for the checks: depends on x_t and on t (chapter 07, exercise 7.1)."""
    t = ops.reshape(ops.cast(t, "float32"), (-1,) + (1,) * (len(ops.shape(x_t)) - 1))
    return ops.tanh(0.7 * ops.cast(x_t, "float32")) * (1.0 + t) - 0.3 * t


def reference_flow_matching_loss(velocity, x, eps, t):
    """``mean_batch sum_numbers (velocity(x_t, t) - (x - eps))^2`` with ``x_t = (1 - t) eps + t x`` (chapter 07, 7.1)."""
    x, eps = ops.cast(x, "float32"), ops.cast(eps, "float32")
    t_b = ops.reshape(ops.cast(t, "float32"), (-1,) + (1,) * (len(ops.shape(x)) - 1))
    x_t = (1.0 - t_b) * eps + t_b * x
    err = ops.reshape(velocity(x_t, t) - (x - eps), (ops.shape(x)[0], -1))
    return ops.mean(ops.sum(ops.square(err), axis=1))


def _loss_with(path, target, reduce="sum", pass_t=True):
    def wrong(velocity, x, eps, t):
        x, eps, t = (np.asarray(a, np.float32) for a in (x, eps, t))
        t_b = t.reshape((-1,) + (1,) * (x.ndim - 1))
        x_t = path(x, eps, t_b)
        v = np.asarray(ops.convert_to_numpy(velocity(x_t, t if pass_t else np.zeros_like(t))))
        err = (v - target(x, eps)).reshape(len(x), -1) ** 2
        return float(np.mean(err.sum(axis=1) if reduce == "sum" else err.mean(axis=1)))
    return wrong


def _straight(x, eps, t):
    return (1 - t) * eps + t * x


FLOW_LOSS_MISTAKES = (
    Mistake("reversed_path", _loss_with(lambda x, e, t: (1 - t) * x + t * e, lambda x, e: x - e),
            "your x_t runs from data at t = 0 to noise at t = 1; this course's path starts at the noise: "
            "x_t = (1 - t)·eps + t·x."),
    Mistake("target_sign", _loss_with(_straight, lambda x, e: e - x),
            "the target points the wrong way: d x_t / dt for x_t = (1 - t)·eps + t·x is x - eps."),
    Mistake("noise_target", _loss_with(_straight, lambda x, e: e),
            "you regress the noise eps (DDPM's ε-prediction); this network predicts the velocity, x - eps."),
    Mistake("data_target", _loss_with(_straight, lambda x, e: x),
            "you regress the clean data x; this network predicts the velocity, x - eps."),
    Mistake("mean_over_numbers", _loss_with(_straight, lambda x, e: x - e, reduce="mean"),
            "you averaged over each sample's numbers; sum the squared error over them, then average over the batch."),
    Mistake("no_time", _loss_with(_straight, lambda x, e: x - e, pass_t=False),
            "the network never sees the right t: call velocity(x_t, t) with the sampled times."),
)


def flow_loss_cases(seed: int = 7) -> list[tuple]:
    """Fixed ``(velocity, x, eps, t)``: codes of 6 numbers, then images (chapter 07, exercise 7.1's inputs)."""
    rng = np.random.default_rng(seed)
    cases = []
    for shape in ((5, 6), (3, 28, 28, 1)):
        x = rng.normal(0.5, 1.0, shape).astype("float32")
        eps = rng.standard_normal(shape).astype("float32")
        t = rng.uniform(0.05, 0.95, shape[0]).astype("float32")
        cases.append((stand_in_velocity, x, eps, t))
    return cases


def _graph_problem(flow_matching_loss) -> str | None:
    """``None`` if the loss runs on tensors inside ``tf.function`` (as in ``train_step``); else a hint."""
    import tensorflow as tf

    _, x, eps, t = flow_loss_cases()[0]
    # As in fit: the batch size is unknown while the graph is traced.
    spec = [tf.TensorSpec((None,) + x.shape[1:]), tf.TensorSpec((None,) + eps.shape[1:]), tf.TensorSpec((None,))]
    traced = tf.function(lambda a, b, c: flow_matching_loss(stand_in_velocity, a, b, c), input_signature=spec,
                         autograph=False)
    try:
        traced(tf.constant(x), tf.constant(eps), tf.constant(t))
    except Exception as exc:  # noqa: BLE001 - any failure in graph mode means NumPy, .numpy() or a static shape
        if "None" in str(exc):
            return ("inside train_step the batch size is not known while the graph is built, so x.shape[0] is "
                    "None: use ops.shape(x)[0], or reshape with -1.")
        return ("your loss does not run on tensors inside a compiled graph, as train_step needs: use keras.ops "
                "(ops.reshape, ops.square, ops.sum, ops.mean) instead of NumPy.")
    return None


def check_flow_matching_loss(flow_matching_loss, quiet: bool = False) -> Verdict:
    """Chapter 07, exercise 7.1: is ``flow_matching_loss(velocity, x, eps, t)`` the flow-matching objective?"""
    return check(EX_7_1, flow_matching_loss, reference_flow_matching_loss, flow_loss_cases(), FLOW_LOSS_MISTAKES,
                 what="your loss", rtol=1e-4, atol=1e-4, factors={-1.0: "a flipped sign?"}, extra=_graph_problem,
                 quiet=quiet)


# ------------------------------------------------------------------ exercise 7.2: the Euler sampler
def reference_euler_sampler(velocity, x0, steps):
    """``steps`` Euler steps of ``dx/dt = velocity(x, t)`` from t = 0 to t = 1 (chapter 07, exercise 7.2)."""
    x, h = np.asarray(x0, np.float64), 1.0 / steps
    for i in range(steps):
        x = x + h * np.asarray(velocity(x, i * h), np.float64)
    return x


def _euler_variant(times, h_of, count):
    def wrong(velocity, x0, steps):
        x = np.asarray(x0, np.float64)
        for t in times(steps)[:count(steps)]:
            x = x + h_of(steps) * np.asarray(velocity(x, t), np.float64)
        return x
    return wrong


def _grid(steps):
    return [i / steps for i in range(steps + 2)]


EULER_MISTAKES = (
    Mistake("backwards", _euler_variant(lambda n: [1 - i / n for i in range(n + 1)], lambda n: -1.0 / n, lambda n: n),
            "you integrate from t = 1 to t = 0; in this course noise sits at t = 0 and data at t = 1."),
    Mistake("unit_steps", _euler_variant(_grid, lambda n: 1.0, lambda n: n),
            "each step moves by the whole velocity; a step of the time grid is dt = 1 / steps."),
    Mistake("end_of_step", _euler_variant(lambda n: [(i + 1) / n for i in range(n + 1)], lambda n: 1.0 / n,
                                          lambda n: n),
            "you take the slope at the end of each step (t + dt); Euler's method uses the start, t."),
    Mistake("one_step_too_many", _euler_variant(_grid, lambda n: 1.0 / n, lambda n: n + 1),
            "one step too many: `steps` steps of size 1 / steps take t from 0 to exactly 1."),
    Mistake("one_step_too_few", _euler_variant(_grid, lambda n: 1.0 / n, lambda n: n - 1),
            "one step too few: the last step should end at t = 1."),
)


def _fields():
    return (lambda x, t: np.asarray(x),                                  # dx/dt = x: x(1) = e·x0
            lambda x, t: np.full_like(np.asarray(x, np.float64), 2 * t),  # dx/dt = 2t: x(1) = x0 + 1
            lambda x, t: np.sin(np.asarray(x)) + t)                        # neither linear in x nor in t


def euler_cases() -> list[tuple]:
    """Fixed ``(velocity, x0, steps)`` with known fields (chapter 07, exercise 7.2's inputs)."""
    x0 = np.array([[1.0, -2.0], [0.5, 0.0]], np.float32)
    # The field that depends on both x and t comes first: it tells every known mistake apart.
    return [(field, x0, steps) for field in reversed(_fields()) for steps in (4, 10, 1)]


def check_euler_sampler(euler_sampler, quiet: bool = False) -> Verdict:
    """Chapter 07, exercise 7.2: does ``euler_sampler(velocity, x0, steps)`` take ``steps`` Euler steps from 0 to 1?"""
    if callable(euler_sampler):
        try:
            out = euler_sampler(_fields()[0], euler_cases()[0][1], 4)
        except Exception:  # noqa: BLE001 - check() reports it with the right wording
            out = None
        if out is not None and np.ndim(out) == 3:
            return announce(hint(EX_7_2, "you returned the whole path; return only the last x (at t = 1).",
                                 "returned_path"), quiet)
    return check(EX_7_2, euler_sampler, reference_euler_sampler, euler_cases(), EULER_MISTAKES,
                 what="your samples", rtol=1e-4, atol=1e-5, quiet=quiet)


# ------------------------------------------------------------------ using the learner's pieces
def _flow_with_loss(loss_fn):
    """A PixelFlow whose train_step computes its loss with ``loss_fn(velocity, x, eps, t)``."""
    import keras
    import tensorflow as tf

    from ..models.flow import PixelFlow

    class YourFlow(PixelFlow):
        def train_step(self, data):
            x = ops.cast(data, "float32")
            t = keras.random.uniform((ops.shape(x)[0],), seed=self.seed_generator)
            eps = keras.random.normal(ops.shape(x), seed=self.seed_generator)
            with tf.GradientTape() as tape:
                loss = loss_fn(lambda x_t, tt: self.network([x_t, ops.reshape(tt, (-1, 1))], training=True),
                               x, eps, t)
            grads = tape.gradient(loss, self.network.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.network.trainable_weights, strict=True))
            self.loss_tracker.update_state(loss)
            return {"loss": self.loss_tracker.result()}

    return YourFlow


def held_out_loss(model, x_val, seed: int = 0, batch_size: int = 100) -> float:
    """The course's flow-matching loss of ``model`` on ``x_val`` with fixed noise and times (chapter 07, 7.1).

    In batches: a U-Net's activations for a thousand images at once would take gigabytes."""
    points = model.to_space(x_val)
    rng = np.random.default_rng(seed)
    eps = rng.standard_normal(points.shape).astype("float32")
    t = rng.uniform(0, 1, len(points)).astype("float32")

    def velocity(x_t, tt):
        return model.network([x_t, ops.reshape(tt, (-1, 1))], training=False)

    total = 0.0
    for start in range(0, len(points), batch_size):
        stop = start + batch_size
        batch = reference_flow_matching_loss(velocity, points[start:stop], eps[start:stop], t[start:stop])
        total += float(ops.convert_to_numpy(batch)) * len(points[start:stop])
    return total / len(points)


def train_with_yours(flow_matching_loss, x_train, x_val, epochs: int = 1, width: int = 16,
                     batch_size: int = 128, learning_rate: float = 2e-3, seed: int = 0, run_eagerly: bool = False) -> dict:
    """Train a small unconditional pixel flow with the learner's loss and one with the course's (chapter 07, 7.1).

    Same weights at the start, same batches (``epochs`` over ``x_train``), optimiser and seed; nothing is stored. Returns the held-out
    flow-matching loss of each (:func:`held_out_loss`, the course's loss on ``x_val``), their batches and both
    models (``"models"``), so the next cells can sample from them. The learner's random state is left as it was.
    """
    from ..models.flow import PixelFlow, compile_flow, fit_flow
    from ..seeding import seeded

    results, models = {}, {}
    for who, cls in (("yours", _flow_with_loss(flow_matching_loss)), ("course", PixelFlow)):
        with seeded(seed):
            model = compile_flow(cls(width=width, num_classes=None, ema=0.0, seed=seed), learning_rate,
                                 run_eagerly=run_eagerly)
            points = model.to_space(x_train)
            fit = fit_flow(model, points, None, epochs=epochs, batch_size=batch_size, seed=seed, decay=False)
        results[who] = held_out_loss(model, x_val, seed)
        results[f"{who}_batches"] = fit.batches
        models[who] = model
    results["models"] = models
    return results


# ------------------------------------------------------------------ the end-of-chapter questions
Q1, Q2 = "Q1 (signal left half-way)", "Q2 (one guidance scale, two conventions)"


def q1_signal_left(answer, abar, quiet: bool = False) -> Verdict:
    """Chapter 07, Q1: the factor sqrt(abar) that multiplies x_0 at t = T/2 (``abar`` of the linear schedule)."""
    from .core import WrongValue, check_value

    abar = np.asarray(abar, np.float64)
    half = len(abar) // 2
    wrong = [WrongValue("abar_not_sqrt", abar[half], "that is abar itself, the share of the *variance*; the image "
                                                     "is multiplied by its square root."),
             WrongValue("noise_share", np.sqrt(1 - abar[half]), "that is the factor of the noise, sqrt(1 - abar)."),
             WrongValue("one_step", np.sqrt(abar[0]), "that is one step's factor; t = T/2 multiplies T/2 of them.")]
    return check_value(Q1, answer, np.sqrt(abar[half]), wrong, what="your factor", rtol=1e-2, atol=1e-4, quiet=quiet)


def q2_guidance_convention(answer, quiet: bool = False) -> Verdict:
    """Chapter 07, Q2: Ho & Salimans' guidance w' = 0.5 in this course's convention (w = w' + 1)."""
    from .core import WrongValue, check_value

    wrong = [WrongValue("same_number", 0.5, "the two conventions differ: expand (1 + w')·v(y) − w'·v(∅) and match it "
                                            "with v(∅) + w·(v(y) − v(∅))."),
             WrongValue("wrong_way", -0.5, "the offset goes the other way: w' = 0 is the plain conditional model, "
                                           "which is w = 1 here.")]
    return check_value(Q2, answer, 1.5, wrong, what="your w", quiet=quiet)
