"""The first order in which an ordering question shows its items.

Kept in the lesson layer because every front end (the full-screen widget, line mode) must
show the same shuffle: seeded by the question id, so it is the same on every visit, and
never already the correct order.
"""

from __future__ import annotations

import random

from tui_tutor.lesson.model import Question


def initial_order(question: Question) -> list[int]:
    """A deterministic shuffle of the item indices that is never the correct order."""
    n = len(question.items)
    order = list(range(n))
    if n < 2:
        return order
    random.Random(f"order:{question.id}").shuffle(order)
    if order == list(range(n)):
        order = order[1:] + order[:1]
    return order
