"""The machinery behind every build-it exercise's check (all chapters).

A check runs the learner's function on fixed inputs and compares what comes back with the course's
reference implementation. It says one of three things, in one line, and never shows the reference value
or its code:

* ``not attempted yet`` — the scaffold still raises ``NotImplementedError`` (or returns ``None``/``...``);
  "run all" goes on;
* ``pass``;
* a hint that names the mistake. Hints come from **known mistakes**: each is a small wrong version of the
  piece (the mean instead of the sum, a flipped sign, a missing term). When the learner's answer matches
  one of them and not the reference, the check prints that mistake's hint. Answers that match no known
  mistake get a generic hint from the comparison itself: wrong shape, NaN, off by a constant factor.

Each chapter's checks live in a module of this package (``helpers.exercises.vae`` for chapter 04, ...) and
return a :class:`Verdict`, so the next cell can train with the learner's function only once it passes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

PASS, TODO, HINT = "pass", "not attempted", "hint"


@dataclass(frozen=True)
class Verdict:
    """What a check found: ``status`` (``"pass"``, ``"not attempted"`` or ``"hint"``) and the line it printed.

    ``bool(verdict)`` is true only for a pass (all chapters): exercises branch on it.
    """

    exercise: str
    status: str
    message: str
    mistakes: tuple[str, ...] = field(default=())  # the known mistakes matched (tests read it)

    def __bool__(self) -> bool:
        return self.status == PASS

    @property
    def passed(self) -> bool:
        """True when the learner's function matched the reference (all chapters)."""
        return self.status == PASS

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Mistake:
    """A known wrong version of a piece and the hint it earns (all chapters).

    ``wrong`` takes the same arguments as the learner's function; ``hint`` says what to look at, not the
    answer. ``name`` is short and stable, for the tests (one test per hint).
    """

    name: str
    wrong: Callable
    hint: str


def announce(verdict: Verdict, quiet: bool = False) -> Verdict:
    """Print the verdict's one line unless ``quiet``; return it: every check ends with it (all chapters)."""
    if not quiet:
        print(verdict.message)
    return verdict


def hint(exercise: str, message: str, name: str) -> Verdict:
    """A hint verdict naming the known mistake ``name``, for the property checks (all chapters)."""
    return Verdict(exercise, HINT, f"{exercise}: not yet — {message}", (name,))


def to_numpy(value) -> np.ndarray | None:
    """A learner's return value as a float64 array, or ``None`` when it is not numeric (all chapters)."""
    if value is None or value is Ellipsis:
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        try:  # a Keras/TF tensor that numpy cannot convert directly
            from keras import ops

            return np.asarray(ops.convert_to_numpy(value), dtype=np.float64)
        except Exception:  # noqa: BLE001 - anything else is "not numeric"
            return None


def close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    """Same shape and equal within tolerances (all chapters)."""
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _factor(got: np.ndarray, want: np.ndarray) -> float | None:
    """The constant c with got ≈ c · want, when there is one (``None`` otherwise)."""
    if got.shape != want.shape or not np.all(np.isfinite(got)) or np.allclose(want, 0):
        return None
    scale = float(np.sum(got * want) / np.sum(want * want))
    return scale if np.allclose(got, scale * want, rtol=1e-3, atol=1e-6) else None


def describe_difference(got: np.ndarray, want: np.ndarray, what: str, factors: dict[float, str] | None = None) -> str:
    """A generic hint from comparing an answer with the reference, without printing the reference's values.

    ``factors`` maps a constant ratio (784, 1/784, -1, ...) to what usually causes it (all chapters).
    """
    if got.shape != want.shape:
        return (f"{what} has shape {got.shape}, expected {want.shape}: check which axis you reduce over "
                f"(and whether you reduced over the batch too).")
    if not np.all(np.isfinite(got)):
        return f"{what} contains NaN or infinity: look for a log of 0, an exp that overflows, or 0/0."
    scale = _factor(got, want)
    if scale is not None:
        for factor, cause in (factors or {}).items():
            if np.isclose(scale, factor, rtol=1e-3):
                return f"{what} is off by a constant factor of {_pretty(factor)}: {cause}"
        return f"{what} is off by a constant factor of about {scale:.3g}: a missing or extra constant?"
    worst = float(np.max(np.abs(got - want) / (np.abs(want) + 1e-8)))
    return f"{what} has the right shape but differs from the reference (worst relative error {worst:.2g})."


def _pretty(factor: float) -> str:
    if abs(factor) >= 1 or factor == 0:
        return f"{factor:g}"
    return f"1/{1 / factor:g}"


def check(exercise: str, learner: Callable, reference: Callable, cases: Sequence[tuple],
          mistakes: Sequence[Mistake] = (), *, what: str = "your result", rtol: float = 1e-4,
          atol: float = 1e-5, factors: dict[float, str] | None = None,
          extra: Callable[[Callable], str | None] | None = None, quiet: bool = False) -> Verdict:
    """Run ``learner`` and ``reference`` on each case (a tuple of arguments) and judge the learner (all chapters).

    ``extra(learner)`` may add a check that is not about values (e.g. that gradients flow); it returns a
    hint or ``None``. Prints the verdict's one line unless ``quiet``.
    """
    return announce(_judge(exercise, learner, reference, cases, mistakes, what, rtol, atol, factors, extra), quiet)


def _judge(exercise, learner, reference, cases, mistakes, what, rtol, atol, factors, extra) -> Verdict:
    if learner is None or not callable(learner):
        return Verdict(exercise, TODO, f"{exercise}: not attempted yet — define the function above and run its cell.")
    for case in cases:
        try:
            raw = learner(*case)
        except NotImplementedError:
            return Verdict(exercise, TODO, f"{exercise}: not attempted yet — replace the `raise "
                                           f"NotImplementedError` in the scaffold with your code, then re-run.")
        except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything; say which
            return Verdict(exercise, HINT, f"{exercise}: your function raised {exc.__class__.__name__}: "
                                           f"{str(exc).splitlines()[0][:200] if str(exc) else ''}".rstrip(": "))
        got = to_numpy(raw)
        if got is None:
            if raw is None or raw is Ellipsis:
                return Verdict(exercise, TODO, f"{exercise}: not attempted yet — your function returns "
                                               f"{'None' if raw is None else '...'}; finish it and re-run.")
            return Verdict(exercise, HINT, f"{exercise}: {what} is a {type(raw).__name__}, not numbers: "
                                           f"return a tensor or an array.")
        want = to_numpy(reference(*case))
        if close(got, want, rtol, atol):
            continue
        matched = tuple(m.name for m in mistakes if _matches(m, case, got, rtol, atol))
        if matched:
            hint = next(m.hint for m in mistakes if m.name == matched[0])
            return Verdict(exercise, HINT, f"{exercise}: not yet — {hint}", matched)
        return Verdict(exercise, HINT, f"{exercise}: not yet — {describe_difference(got, want, what, factors)}")
    if extra is not None:
        hint = extra(learner)
        if hint:
            return Verdict(exercise, HINT, f"{exercise}: not yet — {hint}")
    return Verdict(exercise, PASS, f"{exercise}: pass ✓")


def _matches(mistake: Mistake, case: tuple, got: np.ndarray, rtol: float, atol: float) -> bool:
    try:
        wrong = to_numpy(mistake.wrong(*case))
    except Exception:  # noqa: BLE001 - a wrong version that cannot run on this case does not match
        return False
    return wrong is not None and close(got, wrong, rtol, atol)


# ------------------------------------------------------------------ questions: one value, not a function
@dataclass(frozen=True)
class WrongValue:
    """A known wrong answer to a question and the hint it earns (all chapters).

    ``value`` is what the mistake gives (computed by the chapter's check, never printed); ``hint`` says what
    to look at. ``name`` is short and stable, for the tests (one test per hint).
    """

    name: str
    value: object
    hint: str


def check_value(question: str, answer, want, wrong: Sequence[WrongValue] = (), *, what: str = "your answer",
                rtol: float = 1e-3, atol: float = 1e-6, factors: dict[float, str] | None = None,
                quiet: bool = False) -> Verdict:
    """Judge a question's answer (a number, a tuple, a label) against ``want`` without printing ``want`` (all chapters).

    ``None`` (the answer cell's starting value) is "not attempted yet" and does not stop "run all". An answer
    that equals a known wrong value earns that mistake's hint; any other wrong number gets a generic hint
    from the comparison (wrong shape, NaN, a constant factor), never the expected value.
    """
    return announce(_judge_value(question, answer, want, wrong, what, rtol, atol, factors), quiet)


def _same(a, b, rtol: float, atol: float) -> bool:
    na, nb = to_numpy(a), to_numpy(b)
    if na is not None and nb is not None:
        return close(na, nb, rtol, atol)
    return a == b


def _judge_value(question, answer, want, wrong, what, rtol, atol, factors) -> Verdict:
    if answer is None or answer is Ellipsis:
        return Verdict(question, TODO, f"{question}: not attempted yet — replace the `None` above with your "
                                       f"answer and re-run the cell.")
    if _same(answer, want, rtol, atol):
        return Verdict(question, PASS, f"{question}: pass ✓")
    matched = tuple(w.name for w in wrong if _same(answer, w.value, rtol, atol))
    if matched:
        first = next(w for w in wrong if w.name == matched[0])
        return Verdict(question, HINT, f"{question}: not yet — {first.hint}", matched)
    got, expected = to_numpy(answer), to_numpy(want)
    if expected is None:  # a label, a name: say only that it is not the one
        return Verdict(question, HINT, f"{question}: not yet — {what} ({answer!r}) is not the one; re-read the question.")
    if got is None:
        return Verdict(question, HINT, f"{question}: not yet — {what} is a {type(answer).__name__}; the answer is a number.")
    return Verdict(question, HINT, f"{question}: not yet — {_value_difference(got, expected, what, factors)}")


def _value_difference(got: np.ndarray, want: np.ndarray, what: str, factors: dict[float, str] | None) -> str:
    """A generic hint for a wrong value that gives away neither the value nor its size (a ratio would)."""
    if got.shape != want.shape:
        return f"{what} has {got.size} number(s); the question asks for {want.size}."
    if not np.all(np.isfinite(got)):
        return f"{what} contains NaN or infinity: look for a log of 0, an exp that overflows, or 0/0."
    scale = _factor(got, want)
    for factor, cause in (factors or {}).items():
        if scale is not None and np.isclose(scale, factor, rtol=1e-3):
            return f"{what} is off by a constant factor of {_pretty(factor)}: {cause}"
    if got.size == 1:
        side = "too large" if float(got.ravel()[0]) > float(want.ravel()[0]) else "too small"
        return f"{what} is {side}; re-read what the question asks for."
    return f"{what} differs from the expected numbers in {int(np.sum(~np.isclose(got, want)))} of {got.size} places."
