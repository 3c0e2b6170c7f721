"""What a learner has done and mastered, per lesson and across lessons: the review list and
the counts the picker shows.

UI-free, so `tui-tutor review`, `tui-tutor progress` and tests use the same functions. The
counting itself is `grading.scoring.tally`; this module only fetches the standings.

Questions about the learner's own training run (`run:` set) are graded against a run made in
their lesson's training view. The review offers them once the learner has a saved run of that
`train` block (graded against the latest); until then `Review.about_runs` lists them, so the
review can say why they are missing ("train in the lesson first").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tui_tutor.grading.scoring import Standing, Tally, counted, tally
from tui_tutor.grading.variants import draw, render, variant_seed
from tui_tutor.lesson.model import Lesson, Question
from tui_tutor.progress.store import ProgressStore, QuestionState


@dataclass(frozen=True)
class ReviewItem:
    lesson: Lesson
    question: Question
    attempts: int
    last_correct: float | None  # unix time of the last correct answer, None if never
    #: The variant the learner last saw and its seed (None: the learner's default seed).
    variant: int = 0
    seed: int | None = None

    @property
    def status(self) -> str:
        if not self.attempts:
            return "never answered"
        return "not yet right" if self.last_correct is None else "practise again"


@dataclass(frozen=True)
class Review:
    """The review: the questions offered, and those left out because they are about a run."""

    items: list[ReviewItem] = field(default_factory=list)
    about_runs: list[ReviewItem] = field(default_factory=list)


def _states(store: ProgressStore | None, learner: str, lesson: Lesson) -> dict[str, QuestionState]:
    return store.lesson_states(learner, lesson.id) if store is not None else {}


def lesson_tally(lesson: Lesson, store: ProgressStore | None, learner: str) -> Tally:
    """Done, mastered, total and score of one lesson, by the one rule."""
    states: dict[str, Standing] = dict(_states(store, learner, lesson))
    return tally(lesson.questions(), states)


#: Whether the learner has a run of a `train` block: (lesson id, train id) -> bool.
HasRun = Callable[[str, str], bool]


def stored_run(store: ProgressStore | None, learner: str) -> HasRun:
    """`HasRun` by the store: a saved run of that block (none without a store)."""
    def has(lesson_id: str, train_id: str) -> bool:
        return store is not None and store.latest_run(learner, lesson_id, train_id) is not None

    return has


def review(lessons: list[Lesson], store: ProgressStore | None, learner: str, has_run: HasRun | None = None) -> Review:
    """Counted questions (graded, not optional) not yet mastered, least recently right first.

    Questions never answered come after those answered but not mastered: a review is for
    what the learner has met and not yet made their own. A question about a training run is
    offered when the learner has a run of its `train` block (`has_run`; by default a run
    saved in the store), and goes to `about_runs` otherwise.
    """
    has_run = has_run or stored_run(store, learner)
    items: list[ReviewItem] = []
    about_runs: list[ReviewItem] = []
    for lesson in lessons:
        states = _states(store, learner, lesson)
        for question in lesson.questions():
            if not counted(question):
                continue
            state = states.get(question.id)
            if state is not None and state.mastered:
                continue
            item = ReviewItem(lesson, question, state.attempts if state else 0, state.last_correct if state else None,
                              variant=state.variant if state else 0, seed=state.seed if state else None)
            (about_runs if question.run and not has_run(lesson.id, question.run) else items).append(item)
    met = [i for i in items if i.attempts > 0]
    unmet = [i for i in items if i.attempts == 0]
    met.sort(key=lambda i: (i.last_correct is not None, i.last_correct or 0.0))
    return Review(met + unmet, about_runs)


def review_items(
    lessons: list[Lesson], store: ProgressStore | None, learner: str, has_run: HasRun | None = None,
) -> list[ReviewItem]:
    """The questions the review offers (see `review`)."""
    return review(lessons, store, learner, has_run).items


def about_runs_note(count: int) -> str:
    """One line saying why questions about training runs are not in the review ("" for none)."""
    if not count:
        return ""
    which = "1 question" if count == 1 else f"{count} questions"
    return f"Not here: {which} about your own training runs; train in the lesson first."


# --------------------------------------------------------------------------- one-line prompts

_COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)
_FENCE = re.compile(r"^\s*(```|~~~).*$", re.M)
_CODE = re.compile(r"(`+)(.+?)\1", re.S)
_MATH = re.compile(r"(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)")
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_LINE_MARKS = re.compile(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d{1,3}[.)]\s+)", re.M)
_EMPHASIS = (
    re.compile(r"(?<![\w*])\*{1,3}(?=\S)(.+?)(?<=\S)\*{1,3}(?![\w*])"),
    re.compile(r"(?<![\w_])_{1,3}(?=\S)(.+?)(?<=\S)_{1,3}(?![\w_])"),
    re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"),
)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!$~>|])")
_TAG = re.compile(r"</?(b|i|u|s|em|strong|code|kbd|sub|sup|span|br|small|mark)\b[^>]*>", re.I)


def plain_text(markdown: str) -> str:
    """Markdown as one line of plain text: marks, links, code and maths reduced to their words."""
    text = _COMMENT.sub(" ", markdown)
    text = _FENCE.sub(" ", text)
    spans: list[str] = []

    def keep(match: re.Match[str]) -> str:  # code, maths and escaped marks stay as written
        spans.append(match[2].strip() if match.re is _CODE else match[1])
        return f"\0{len(spans) - 1}\0"

    text = _CODE.sub(keep, text)
    text = _ESCAPE.sub(keep, text)
    text = _MATH.sub(keep, text)
    text = _IMAGE_OR_LINK.sub(lambda m: m[1], text)
    text = _LINE_MARKS.sub("", text)
    for pattern in _EMPHASIS:
        for _ in range(3):  # nested marks: ***a*** or **a *b***
            text = pattern.sub(lambda m: m[1], text)
    text = _TAG.sub("", text)
    text = re.sub(r"\0(\d+)\0", lambda m: spans[int(m[1])], text)
    return " ".join(text.split())


def shown_prompt(item: ReviewItem, learner: str) -> str:
    """The item's prompt as the learner last saw it (a variant's numbers filled in), as one
    line of plain text."""
    question = item.question
    if question.params:
        seed = item.seed if item.seed is not None else variant_seed(learner, item.lesson.id, question.id, item.variant)
        try:
            question = render(question, draw(question, item.variant, seed))
        except Exception:  # noqa: BLE001 - a lesson problem: the list shows the question as written
            question = item.question
    return plain_text(question.prompt) or question.id


def fit(text: str, width: int, ellipsis: str = "…") -> str:
    """`text` cut to `width` characters, ending in `ellipsis` when it was cut."""
    if len(text) <= width:
        return text
    if width <= len(ellipsis):
        return text[:max(0, width)]
    return text[: width - len(ellipsis)].rstrip() + ellipsis
