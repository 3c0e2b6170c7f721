"""The question panel: prompt, answer widget, feedback, hints and solution of one question.

Why the panel owns no rules: it asks its `QuestionSession` (UI-free) to check, hint,
reveal or draw new numbers and only shows the outcome, so what is on screen is what is on
disk. Feedback reads without colour: "Correct", "Partly right (2/3)", "Not yet", with
shape-different marks, and in ASCII mode only ASCII is drawn. Its words come from
`grading.wording`, built from the Result's data.

Focus: for choice, multi, matching and order the answer widget takes the focus itself
(the panel is not focusable), so letter keys pick options at once. For typed answers
(numeric, text, reflect, table) the field itself takes the focus when the step opens, and in
the field every printable key types (no letter is ever a command there). Escape leaves the
field for the panel ("command mode": h/s/v and the lesson's letters are commands), Enter or
Tab goes back into it. After a wrong answer the field keeps the focus with its text selected,
so typing replaces it; after a correct or saved one the focus goes to the panel, so n works.
"""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static

from tui_tutor.ui.prose import ProseView

from tui_tutor.grading.result import Result
from tui_tutor.grading.wording import parts_lines, score_line, solution_note, status_line
from tui_tutor.session import QuestionSession
from tui_tutor.ui.questions.base import AnswerMixin, SubmitAnswer, ascii_mode, mark
from tui_tutor.ui.questions.choice import ChoiceAnswer, MultiAnswer
from tui_tutor.ui.questions.inputs import ReflectAnswer, TypedAnswer
from tui_tutor.ui.questions.matching import MatchingAnswer
from tui_tutor.ui.questions.order import OrderAnswer
from tui_tutor.ui.questions.table import TableAnswer

_DIRECT_KINDS = ("choice", "multi", "matching", "order")


def make_answer_widget(session: QuestionSession) -> Widget:
    """The answer widget for the question's kind (a text field for unknown kinds)."""
    q = session.question
    if q.kind == "choice":
        return ChoiceAnswer(q, id="answer")
    if q.kind == "multi":
        return MultiAnswer(q, id="answer")
    if q.kind == "matching":
        return MatchingAnswer(q, id="answer")
    if q.kind == "order":
        return OrderAnswer(q, id="answer")
    if q.kind == "table":
        return TableAnswer(q, id="answer")
    if q.kind == "reflect":
        return ReflectAnswer(q.kind, id="answer")
    return TypedAnswer(q.kind, id="answer")



class QuestionPanel(Vertical):
    """One question on screen; posts `Answered` after every recorded answer."""

    HELP_TITLE = "Question"
    BINDINGS = [
        Binding("enter", "answer", "Answer"),
        Binding("h", "hint", "Hint"),
        Binding("s", "solution", "Solution"),
        Binding("v", "new_variant", "Variant"),
        Binding("escape", "leave_field", "Commands"),
    ]

    class Answered(Message):
        """An answer was checked and recorded (never sent for unreadable answers)."""

        def __init__(self, panel: QuestionPanel, session: QuestionSession, result: Result) -> None:
            super().__init__()
            self.panel, self.session, self.result = panel, session, result

        @property
        def control(self) -> QuestionPanel:
            return self.panel

    class Changed(Message):
        """Hints, reveal or variant changed (the score may have changed): `what` says which."""

        def __init__(self, panel: QuestionPanel, session: QuestionSession, what: str) -> None:
            super().__init__()
            self.panel, self.session, self.what = panel, session, what

        @property
        def control(self) -> QuestionPanel:
            return self.panel

    def __init__(self, session: QuestionSession, *, id: str | None = None, classes: str = "") -> None:
        super().__init__(id=id, classes=f"question question-{session.base.kind} {classes}".strip())
        self.session = session
        self.can_focus = session.base.kind not in _DIRECT_KINDS
        self._note = ""  # one-line notice under the feedback ("No more hints.", ...)
        self.border_title = "Question" + (" (optional)" if session.base.optional else "")

    # -- layout ----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        s = self.session
        yield ProseView(s.question.prompt or "", classes="q-prompt")
        yield make_answer_widget(s)
        yield Static("", classes="q-status")
        yield Static("", classes="q-parts")
        yield Vertical(*(self._hint_md(i, h) for i, h in enumerate(s.hints)), classes="q-hints")
        yield ProseView(self._solution_md() if s.revealed else "", classes="q-solution")
        yield Static("", classes="q-next")

    def on_mount(self) -> None:
        s = self.session
        if s.last_answer is not None:
            self.answer_widget.restore(s.last_answer)
        self._show(s.last_result)

    @property
    def answer_widget(self) -> AnswerMixin:
        return self.query_one("#answer")  # type: ignore[return-value]

    def focus_answer(self) -> None:
        """Put the focus where the learner answers (the field itself)."""
        self.query_one("#answer").focus()

    # -- keys --------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        s = self.session
        if action == "answer":
            return self.has_focus
        if action == "new_variant":
            return s.can_vary
        if action == "hint":
            return bool(s.question.hints)
        if action == "solution":
            return s.graded or bool(s.question.solution.strip())
        if action == "leave_field":
            focused = self.app.focused
            return focused is not None and focused is not self and isinstance(focused, AnswerMixin) \
                and focused.takes_text and self.focusable
        return True

    def action_answer(self) -> None:
        """Enter in command mode: back into the field (a saved answer is selected: typing replaces it)."""
        self.focus_answer()

    def on_paste(self, event: events.Paste) -> None:
        """A paste while the panel has the focus goes into the field."""
        widget = self.query_one("#answer")
        if not (self.has_focus and getattr(widget, "takes_text", False)):
            return
        event.stop()
        widget.focus()
        if isinstance(widget, Input):
            widget.insert_text_at_cursor(" ".join(event.text.split()))
        elif isinstance(widget, TableAnswer):
            widget.type_text(" ".join(event.text.split()))

    def on_input_changed(self, event: Input.Changed) -> None:
        """Typing into a field below the visible part of the step brings it into view."""
        if event.input.has_focus:
            event.input.scroll_visible(animate=False)

    def on_focus(self) -> None:
        self._subtitle()

    def on_descendant_focus(self) -> None:
        self._subtitle()

    def on_descendant_blur(self) -> None:
        self._subtitle()

    def on_blur(self) -> None:
        self._subtitle()

    def _subtitle(self) -> None:
        """Say in words where the keys go (the focus is not visible without colour in ASCII)."""
        if self.has_focus and self.focusable:
            self.border_subtitle = "Enter: type your answer"
        elif self.has_focus_within and getattr(self.app.focused, "takes_text", False):
            self.border_subtitle = "Enter: check, Esc: commands"
        else:
            self.border_subtitle = ""

    def action_check(self) -> None:
        self._check()

    @on(SubmitAnswer)
    def _submitted(self, message: SubmitAnswer) -> None:
        message.stop()
        self._check()

    async def action_hint(self) -> None:
        text = self.session.next_hint()
        if text is None:
            total = len(self.session.question.hints)
            self._note = f"No more hints: all {total} are open." if total > 1 else "No more hints."
        else:
            n = self.session.hints_shown
            await self.query_one(".q-hints", Vertical).mount(self._hint_md(n - 1, text))
            total = len(self.session.question.hints)
            self._note = f"Hint {n} of {total}." + (" Each hint lowers this question's score by 10% (30% at most)."
                                                    if n == 1 else "")
            self.post_message(self.Changed(self, self.session, "hint"))
        self._show(self.session.last_result)
        self._bring_into_view(".q-hint:last-of-type", ".q-status")

    async def action_solution(self) -> None:
        first = not self.session.revealed
        self.session.reveal()
        self.query_one(".q-solution", ProseView).update_markdown(self._solution_md())
        if first:
            self.post_message(self.Changed(self, self.session, "reveal"))
        self._note = ""
        self._show(self.session.last_result)
        self._bring_into_view(".q-solution")

    async def action_new_variant(self) -> None:
        inside = self.has_focus_within
        self.session.new_variant()
        self._note = f"New numbers (variant {self.session.variant + 1}): hints and solution start afresh."
        await self.recompose()
        self.on_mount()
        if inside:
            self.focus_answer()
        self.post_message(self.Changed(self, self.session, "variant"))

    def action_leave_field(self) -> None:
        self.focus()

    def _bring_into_view(self, *selectors: str) -> None:
        """Scroll the lesson so the first of `selectors` that is shown is on screen."""
        for selector in selectors:
            found = self.query(selector)
            if found and found.last().display:
                widget = found.last()
                self.call_after_refresh(widget.scroll_visible, animate=False)
                return

    # -- checking ------------------------------------------------------------------------
    def _check(self) -> None:
        widget = self.answer_widget
        result = self.session.check(widget.answer())
        self._note = ""
        self._show(result)
        self._bring_into_view(".q-next", ".q-parts", ".q-status")
        typed = getattr(widget, "takes_text", False) and self.focusable
        if typed and result.status in ("correct", "saved"):
            self.focus()  # so that n (next step) is a command again, not a letter in the field
        elif typed:
            self.select_answer()  # the field keeps the focus; typing replaces the answer
        if result.status == "invalid":
            return
        self.post_message(self.Answered(self, self.session, result))

    def select_answer(self) -> None:
        """Select what the field holds, so that the next key typed replaces it."""
        widget = self.query_one("#answer")
        if isinstance(widget, Input):
            widget.select_all()
        elif isinstance(widget, TableAnswer):
            widget.replace_next = True

    @property
    def done(self) -> bool:
        """Answered right, or saved (what lets the learner move on)."""
        result = self.session.last_result
        return result is not None and result.status in ("correct", "saved")

    def refresh_next(self) -> None:
        """Redraw the "next step" line (another question on the step was answered)."""
        self._show(self.session.last_result)

    # -- drawing -----------------------------------------------------------------------------
    def _show(self, result: Result | None) -> None:
        """Status, per-part lines and the "next" line for `result` (None: nothing checked yet)."""
        plain, s = ascii_mode(self), self.session
        if result is not None and result.status != "invalid":
            self.answer_widget.show_result(result)
        status = self._status_text(result)
        self.query_one(".q-status", Static).update(self._content(status, plain))
        self.query_one(".q-parts", Static).update(self._content(self._parts_text(result), plain))
        nxt = ""
        if self.done:
            left = [p for p in self._panels_on_screen() if p is not self and not p.done and not p.session.base.optional]
            if left:
                nxt = ("One more question on this step to answer." if len(left) == 1
                       else f"{len(left)} more questions on this step to answer.")
            else:
                nxt = "Press n for the next step."
                if s.can_vary and s.last_result is not None and s.last_result.status == "correct":
                    nxt = "Press n for the next step, or v to practise with new numbers."
        self.query_one(".q-next", Static).update(self._content(nxt, plain))
        for name, text in ((".q-status", status), (".q-parts", self._parts_text(result)), (".q-next", nxt)):
            self.query_one(name).display = bool(text)
        self.query_one(".q-solution").display = s.revealed
        self._subtitle()

    def _panels_on_screen(self) -> list[QuestionPanel]:
        try:
            return list(self.screen.query(QuestionPanel))
        except Exception:  # noqa: BLE001 - not on a screen (yet)
            return [self]

    def _status_text(self, result: Result | None) -> str:
        s, plain = self.session, ascii_mode(self)
        lines: list[str] = []
        if result is not None:
            sign = {"correct": mark(True, plain), "wrong": mark(False, plain), "partial": "~",
                    "invalid": "!", "saved": mark(True, plain)}.get(result.status, "")
            lines.append(f"{sign} {status_line(result)}")
        if result is not None and result.status != "invalid" and s.run_note:
            lines.append(s.run_note)  # which run it was graded against (a question about a run)
        if s.graded and (s.attempts or s.hints_shown or s.revealed):
            lines.append(self._score_text())
        if self._note:
            lines.append(self._note)
        if s.variant_problem:
            lines.append(f"! {s.variant_problem}")
        if s.store_problem:
            lines.append(f"! {s.store_problem} Your answer is still on screen.")
        return "\n".join(lines)

    def _score_text(self) -> str:
        s = self.session
        return score_line(s.score, s.attempts, s.hints_shown, s.revealed, s.variant if s.can_vary else None,
                          s.mastered, s.base.optional)

    def _parts_text(self, result: Result | None) -> str:
        """Wrong parts with their reason, then targeted messages not said already (see `wording`)."""
        if result is None:
            return ""
        return "\n".join(parts_lines(result, self.session.question, mark(False, ascii_mode(self))))

    def _content(self, text: str, plain: bool) -> Content:
        if plain:
            from tui_tutor.asciify import to_ascii

            text = to_ascii(text)
        return Content(text)

    def _hint_md(self, index: int, text: str) -> ProseView:
        return ProseView(f"**Hint {index + 1}:** {text}", classes="q-hint")

    def _solution_md(self) -> str:
        s = self.session
        note = solution_note(s.graded, s.solved_variant, s.score, s.can_vary, "press v")
        return f"*{note}*\n\n{s.solution_text()}"
