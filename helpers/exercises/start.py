"""Chapter 00's questions: counting with a boolean mask, and a parameter that depends on the mode.

Chapter 00 has no build-it exercise; its end-of-chapter questions have one check each
(``q1_count_sevens``, ``q2_batch_size``), which computes the answer itself and never prints it. The third
question (an image you would mislabel, found with the widget) has no single answer and no check.
"""

from __future__ import annotations

import numpy as np

from ..runtime import by_mode, mode
from .core import Verdict, WrongValue, announce, check_value, hint

Q1, Q2 = "Q1 (how many sevens)", "Q2 (a batch size per mode)"


def q1_count_sevens(answer, y_train, y_test=None, quiet: bool = False) -> Verdict:
    """Chapter 00, Q1: the number of training images whose label is 7 (``y_test`` only names one mistake)."""
    y_train = np.asarray(y_train)
    sevens = int((y_train == 7).sum())
    wrong = [WrongValue("share", sevens / len(y_train),
                        "that is the *share* of sevens (a mean); the question asks how many: sum the mask."),
             WrongValue("sum_of_labels", 7 * sevens,
                        "you added up the labels of the sevens (each one counts 7); count the `True` entries of "
                        "`y_train == 7` instead."),
             WrongValue("not_sevens", len(y_train) - sevens,
                        "you counted the images that are *not* 7: look at the comparison you sum."),
             WrongValue("all_images", len(y_train), "that is the number of all training images, not of the sevens.")]
    if y_test is not None:
        wrong.append(WrongValue("test_split", int((np.asarray(y_test) == 7).sum()),
                                "you counted the sevens of the *test* labels; the question asks about training."))
    if isinstance(answer, np.ndarray) and answer.dtype == bool:
        return announce(hint(Q1, "that is the mask itself, one True/False per image; turn it into one number "
                                 "(what does summing True values give?).", "mask_not_count"), quiet)
    return check_value(Q1, answer, sevens, wrong, what="your count", rtol=0, atol=1e-9, quiet=quiet)


def q2_batch_size(answer, quiet: bool = False) -> Verdict:
    """Chapter 00, Q2: ``BATCH_SIZE`` is 128 in full mode and 16 in smoke mode (judged in the current mode)."""
    current = mode()
    other = "smoke" if current == "full" else "full"
    wrong = [WrongValue("other_mode", by_mode(full=16, smoke=128),
                        f"that is the value for {other} mode, and this notebook runs in {current} mode: let "
                        f"`by_mode(full=..., smoke=...)` pick, and check which value goes with which keyword.")]
    if isinstance(answer, str):
        return announce(hint(Q2, "your BATCH_SIZE is a string (in quotes); a batch size is a number.", "string"), quiet)
    if isinstance(answer, (tuple, list, dict)):
        return announce(hint(Q2, "give one number, the one for the current mode: `by_mode(full=..., smoke=...)` "
                                 "returns just that one.", "both_values"), quiet)
    return check_value(Q2, answer, by_mode(full=128, smoke=16), wrong, what="your BATCH_SIZE", rtol=0, atol=0,
                       quiet=quiet)


__all__ = ["q1_count_sevens", "q2_batch_size"]
