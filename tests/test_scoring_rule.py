"""The one scoring rule: the progress store keeps exactly what `scoring.apply` says.

Random sequences of answers, hints, reveals and fresh variants go through the real store
(a SQLite file) and through the pure rule; the two standings must be equal after every
event, and again after the file is closed and opened.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_tutor.grading.scoring import (
    Answered,
    HintOpened,
    Revealed,
    Rules,
    Standing,
    VariantStarted,
    apply,
    credit,
)
from tui_tutor.progress.store import ProgressStore

_seed = st.sampled_from([None, 7, 8])
_answer = st.builds(
    Answered,
    status=st.sampled_from(["correct", "wrong", "partial", "saved"]),
    raw_score=st.sampled_from([0.0, 0.25, 0.5, 1.0]),
    variant=st.integers(0, 2),
    seed=_seed,
)
_event = st.one_of(
    _answer, _answer,  # answers twice as often as the rest
    st.builds(HintOpened, count=st.integers(0, 3)),
    st.just(Revealed()),
    st.builds(VariantStarted, number=st.integers(0, 2), seed=_seed),
)
_rules = st.builds(Rules, mastery=st.integers(1, 3), has_variants=st.booleans(), wrong_options=st.integers(0, 4))


def _consistent(event: Answered) -> Answered:
    """The grader's score agrees with its status (1 when correct, none when saved)."""
    if event.status == "correct":
        return Answered("correct", 1.0, event.variant, event.seed)
    if event.status == "saved":
        return Answered("saved", None, event.variant, event.seed)
    if event.status == "wrong":
        return Answered("wrong", 0.0, event.variant, event.seed)
    return Answered("partial", event.raw_score if 0.0 < event.raw_score < 1.0 else 0.5, event.variant, event.seed)


def _write(store: ProgressStore, event: object, rules: Rules) -> Standing:
    if isinstance(event, Answered):
        state = store.record_answer("ada", "l", "q", answer=event.status, status=event.status,
                                    score=event.raw_score, variant=event.variant, seed=event.seed, rules=rules)
    elif isinstance(event, HintOpened):
        state = store.record_hint("ada", "l", "q", event.count)
    elif isinstance(event, Revealed):
        state = store.record_reveal("ada", "l", "q")
    else:
        assert isinstance(event, VariantStarted)
        state = store.start_variant("ada", "l", "q", event.number, event.seed)
    return state.standing


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=_rules, events=st.lists(_event, min_size=1, max_size=25))
def test_the_store_keeps_what_the_rule_says_after_every_event(rules, events):
    events = [_consistent(e) if isinstance(e, Answered) else e for e in events]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "progress.sqlite3"
        want = Standing()
        with ProgressStore.open(path) as store:
            for event in events:
                want = apply(want, event, rules)
                assert _write(store, event, rules) == want, event
                assert store.question_state("ada", "l", "q").standing == want
            graded = [a for a in store.answers() if a["status"] != "saved"]
            assert len(graded) == want.attempts  # the history and the state agree
        with ProgressStore.open(path) as again:
            assert again.question_state("ada", "l", "q").standing == want


@given(rules=_rules, events=st.lists(_event, max_size=30))
def test_what_the_rule_promises(rules, events):
    """Scores never fall, mastery is never lost, attempts count graded answers only."""
    standing = Standing()
    for event in map(lambda e: _consistent(e) if isinstance(e, Answered) else e, events):
        after = apply(standing, event, rules)
        if standing.best_score is not None:
            assert after.best_score is not None and after.best_score >= standing.best_score
        assert after.mastered >= standing.mastered
        assert after.attempts == standing.attempts + (isinstance(event, Answered) and event.status != "saved")
        assert 0.0 <= (after.best_score or 0.0) <= 1.0
        if after.revealed_first:
            assert credit(after, 1.0, rules) == 0.0
        standing = after


@pytest.mark.parametrize("options, wrong_tries, credit_left", [(2, 1, 0.0), (3, 1, 0.5), (3, 2, 0.0), (4, 1, 2 / 3), (4, 3, 0.0)])
def test_each_wrong_guess_on_a_choice_question_costs_a_share(options, wrong_tries, credit_left):
    rules = Rules(has_variants=False, wrong_options=options - 1)
    standing = Standing()
    for _ in range(wrong_tries):
        standing = apply(standing, Answered("wrong", 0.0), rules)
    standing = apply(standing, Answered("correct", 1.0), rules)
    assert standing.best_score == pytest.approx(credit_left)
    assert standing.mastered == (credit_left > 0)  # guessing through every option is not mastery


def test_mastery_with_variants_needs_unaided_first_tries_in_a_row():
    rules = Rules(mastery=2, has_variants=True)
    s = apply(Standing(), Answered("correct", 1.0, 0, 1), rules)
    assert (s.streak, s.mastered) == (1, False)
    s = apply(s, VariantStarted(1, 2), rules)
    s = apply(s, HintOpened(1), rules)
    s = apply(s, Answered("correct", 1.0, 1, 2), rules)
    assert (s.streak, s.mastered, s.best_score) == (0, False, 1.0)  # aided: the streak restarts
    for number in (2, 3):
        s = apply(s, Answered("correct", 1.0, number, number), rules)  # a fresh variant each time
    assert (s.streak, s.mastered) == (2, True)
    s = apply(s, Answered("wrong", 0.0, 4, 4), rules)
    assert (s.streak, s.mastered) == (0, True)  # once mastered, stays mastered
