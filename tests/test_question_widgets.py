"""Every question kind answered by keyboard alone, wrong then right, in an 80x24 terminal.

A tiny host app holds one QuestionPanel as the lesson screen would: focus on the panel
(typed kinds) or on the answer widget (choice, multi, matching, order).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer

from pathlib import Path

from screen_text import screen_text
from tui_tutor.lesson.loader import load_lesson
from tui_tutor.lesson.model import Cell, Feedback, Option, Param, Question, Statement
from tui_tutor.progress.store import ProgressStore
from tui_tutor.session import QuestionSession
from tui_tutor.ui.questions import CSS_PATH, QuestionPanel
from tui_tutor.ui.questions.order import OrderAnswer, initial_order
from tui_tutor.ui.questions.table import TableAnswer

NEURON = Question(
    id="neuron-output", kind="numeric", line=1,
    prompt="Inputs X = (0, 0.5, 1), weights W = (-1, -0.5, 0.5), bias b = 1, ReLU. Output?",
    answer="max(0, 0*(-1) + 0.5*(-0.5) + 1*0.5 + 1)",
    hints=("Weighted sum first: 0*(-1) + 0.5*(-0.5) + 1*0.5.", "Then add the bias."),
    solution="0.25 + 1 = 1.25, and relu(1.25) = 1.25.",
    feedback=(Feedback(when="abs(answer - 0.25) < 1e-9", message="That is the weighted sum alone. Add the bias b = 1."),),
)
VARIED = Question(
    id="relu-variant", kind="numeric", line=1, prompt="relu({x} * {w})?", answer="max(0, x*w)",
    params=(Param("x", choose=(1, 2, 3)), Param("w", low=-2, high=2, step=0.5)), first=(("x", 1), ("w", 2)),
)
OUTLIERS = Question(
    id="outlier-sensitivity", kind="choice", line=1, prompt="Which loss is more sensitive to outliers?",
    options=(Option("Squared error", correct=True), Option("Huber loss", feedback="Look at large errors."),
             Option("Both are equally sensitive")),
)
PROBLEMS = Question(
    id="dl-problems", kind="multi", line=1, prompt="Which tasks suit deep learning?",
    options=(Option("Recognising whether a photo contains a bird.", correct=True),
             Option("Computing the median and interquartile range of a dataset.",
                    feedback="Not a good fit: a simple calculation does it."),
             Option("Recognising a rare disease from one or two MRI scans."),
             Option("Finding people with a network trained on cats and dogs."),
             Option("Translating English text into French.", correct=True)),
)
ACTIVATIONS = Question(
    id="activation-matching", kind="matching", line=1, prompt="Pair each statement with an activation.",
    match_options=(("A", "Sigmoid"), ("B", "ReLU"), ("C", "Linear")),
    statements=(Statement("Output between 0 and 1.", "A"), Statement("Output neuron for regression.", "C"),
                Statement("Favourite for hidden layers.", "B"), Statement("Output neuron for classes.", "A"),
                Statement("Like f(x) = x for x above 0.", "B", optional=True),
                Statement("No derivative at 0.", "B", optional=True),
                Statement("Keras Dense default.", "C", optional=True)),
)
MSE = Question(
    id="mse-table", kind="table", line=1, prompt="Fill in the squared errors, then the MSE.",
    columns=("Prediction", "Expected value", "Squared error"),
    rows=((Cell("1"), Cell("-1"), Cell("4")), (Cell("2"), Cell("-1"), Cell(answer=9)),
          (Cell("0"), Cell("0"), Cell(answer=0)), (Cell("3"), Cell("2"), Cell(answer=1)),
          (Cell(""), Cell("MSE"), Cell(answer=3.5))),
    feedback=(Feedback(when="abs(answer) == 3", message="That is the error itself. Square it too.", cell=(1, 2)),),
)
WORKFLOW = Question(
    id="workflow-order", kind="order", line=1, prompt="Arrange the ten steps.",
    items=("Formulate the problem", "Identify inputs and outputs", "Prepare data",
           "Choose a pre-trained model or build a new architecture", "Choose a loss function and optimizer",
           "Train the model", "Perform a prediction/classification", "Measure performance",
           "Refine the model", "Share the model"),
)
XOR = Question(id="xor-logic", kind="text", line=1, prompt="Which logical operation is it?",
               accepted=("XOR", "exclusive or"), hints=("Exactly one input is 1.",))
REFLECT = Question(id="why-deep", kind="reflect", line=1, prompt="What would you use deep learning for?")


class Host(App):
    """One question panel in a scrolling body, focused as the lesson screen focuses it."""

    CSS_PATH = CSS_PATH
    AUTO_FOCUS = None

    def __init__(self, question: Question, store: ProgressStore | None = None, ascii_mode: bool = False) -> None:
        super().__init__()
        self.question, self.store, self.ascii_mode = question, store, ascii_mode
        self.answered: list = []
        self.changed: list[str] = []

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="body"):
            yield QuestionPanel(QuestionSession(self.question, "intro", "ada", self.store))
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(QuestionPanel).focus_answer()  # a step opens with the answer widget focused

    def on_question_panel_answered(self, message: QuestionPanel.Answered) -> None:
        self.answered.append(message.result)

    def on_question_panel_changed(self, message: QuestionPanel.Changed) -> None:
        self.changed.append(message.what)


def feedback(app: Host) -> str:
    """Status, per-part lines and the "next" line, as plain text."""
    panel = app.query_one(QuestionPanel)
    return "\n".join(str(panel.query_one(name).render()) for name in (".q-status", ".q-parts", ".q-next"))


async def type_keys(pilot, text: str) -> None:
    await pilot.press(*text)
    await pilot.pause()


async def test_numeric_wrong_with_targeted_feedback_then_right(tmp_path):
    with ProgressStore.open(tmp_path / "p.sqlite3") as store:
        app = Host(NEURON, store)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "type a number or expression, e.g. 5/4" in screen_text(app)
            await type_keys(pilot, "0.25")  # typed on the panel: goes into the field
            await pilot.press("enter")
            await pilot.pause()
            text = feedback(app)
            assert "Not yet: 0.25 is not the answer." in text
            assert "That is the weighted sum alone. Add the bias b = 1." in text
            assert "Score: 0%, 1 try" in text
            assert store.question_state("ada", "intro", "neuron-output").attempts == 1
            await pilot.press("ctrl+u")
            await type_keys(pilot, "5/4")
            await pilot.press("enter")
            await pilot.pause()
            text = feedback(app)
            assert "Correct (`5/4` = 1.25)." in text and "Score: 100%, 2 tries" in text
            assert "Press n for the next step." in text
            assert "Correct" in screen_text(app)
            assert app.focused is app.query_one(QuestionPanel)  # n is a command again
            assert [r.status for r in app.answered] == ["wrong", "correct"]


async def test_numeric_unreadable_input_shows_the_engines_message_and_is_no_attempt():
    app = Host(NEURON)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_keys(pilot, "1,2.5")
        await pilot.press("enter")
        await pilot.pause()
        text = feedback(app)
        assert "! Could not read `1,2.5` as a number: unexpected ','" in text and "Traceback" not in text
        assert app.query_one(QuestionPanel).session.attempts == 0 and app.answered == []


async def test_hints_solution_and_escape_by_keyboard():
    app = Host(NEURON)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_keys(pilot, "1")
        panel = app.query_one(QuestionPanel)
        assert app.focused is panel.query_one("#answer")
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is panel
        await pilot.press("h")
        await pilot.pause()
        assert "Hint 1 of 2" in feedback(app) and panel.session.hints_shown == 1
        await pilot.press("h", "h")
        await pilot.pause()
        assert "No more hints: all 2 are open." in feedback(app)
        await pilot.press("s")
        await pilot.pause()
        solution = str(panel.query_one(".q-solution").source)
        assert "recorded" in solution and "1.25" in solution and "0.25 + 1 = 1.25" in solution
        assert "solution shown" in feedback(app)
        assert app.changed == ["hint", "hint", "reveal"]
        assert not panel.check_action("new_variant", ())  # no params: v is hidden


async def test_new_variant_key_only_for_questions_with_params():
    app = Host(VARIED)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        panel = app.query_one(QuestionPanel)
        assert "relu(1 * 2)?" in screen_text(app)
        await type_keys(pilot, "2")
        await pilot.press("enter", "escape")
        await pilot.pause()
        assert "Correct" in feedback(app) and "v to practise" in feedback(app)
        assert "Variant" in screen_text(app)  # the footer, now that the field has let go
        await pilot.press("v")
        await pilot.pause()
        session = panel.session
        assert session.variant == 1 and "variant 2" in feedback(app)
        x, w = session.values["x"], session.values["w"]
        assert session.question.prompt == f"relu({x:g} * {w:g})?"
        assert app.changed == ["variant"]
        assert panel.query_one("#answer").value == ""  # a fresh field for fresh numbers


async def test_choice_by_letter():
    app = Host(OUTLIERS)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "( ) A. Squared error" in screen_text(app)
        await pilot.press("b", "enter")
        await pilot.pause()
        assert "(*) B. Huber loss" in screen_text(app)
        text = feedback(app)
        assert "Not yet" in text and "Look at large errors." in text and "Score: 0%" in text
        await pilot.press("a", "enter")
        await pilot.pause()
        assert "(*) A. Squared error \u2713" in screen_text(app)
        assert "Correct" in feedback(app) and "Score: 50%" in feedback(app)  # one of two wrong options tried first


async def test_multi_partly_right_then_a_and_e():
    app = Host(PROBLEMS)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a", "b", "enter")
        await pilot.pause()
        text = feedback(app)
        assert "Partly right (3/5)" in text and "Score: 60%" in text
        assert "option B: Not a good fit: a simple calculation does it." in text
        assert "option E: should be picked" in text
        assert "[x] B." in screen_text(app)
        await pilot.press("b", "e", "enter")
        await pilot.pause()
        assert "Correct: you picked every right option and no other." in feedback(app)
        assert "Score: 100%" in feedback(app)
        assert "[x] A." in screen_text(app) and "[x] E." in screen_text(app) and "[ ] B." in screen_text(app)


async def test_matching_rows_by_letter():
    app = Host(ACTIVATIONS)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*"bcbabbc", "enter")  # statement 1 wrong
        await pilot.pause()
        text = feedback(app)
        assert "Partly right (3/4)" in text and "statement 1: should not be B" in text and "Score: 75%" in text
        assert "[B] 1. Output between 0 and 1. \u2717" in screen_text(app)
        await pilot.press(*["k"] * 6, "a", "enter")
        await pilot.pause()
        assert "Correct" in feedback(app) and "Score: 100%" in feedback(app)
        assert app.query_one(QuestionPanel).session.last_answer == list("ACBABBC")


async def test_table_cells_edited_in_place():
    app = Host(MSE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_keys(pilot, "3")  # from the panel straight into the first blank
        await pilot.press("down")
        await type_keys(pilot, "0")
        await pilot.press("down")
        await type_keys(pilot, "1")
        await pilot.press("tab")
        await type_keys(pilot, "3.5")
        assert "[3.5_]" in screen_text(app)  # the cell being edited, visible without colour
        await pilot.press("enter")
        await pilot.pause()
        text = feedback(app)
        assert "Partly right (3/4)" in text and "Score: 75%" in text
        assert "row 2, Squared error: 3 is not right. That is the error itself. Square it too." in text
        assert "[3   ] \u2717" in screen_text(app) and "[0   ] \u2713" in screen_text(app)  # the cells' own marks
        await pilot.press("up", "up", "up", "backspace")
        await type_keys(pilot, "9")
        await pilot.press("enter")
        await pilot.pause()
        assert "Correct: every cell is right." in feedback(app) and "Score: 100%" in feedback(app)
        assert app.focused is app.query_one(QuestionPanel)


def order_keys(start: list[int]) -> list[str]:
    """Key presses that sort `start` with the cursor and u (selection sort, upwards moves)."""
    order, cursor, keys = list(start), 0, []
    for target in range(len(order)):
        pos = order.index(target)
        keys += ["down" if pos > cursor else "up"] * abs(pos - cursor)
        keys += ["u"] * (pos - target)
        order.insert(target, order.pop(pos))
        cursor = target
    return keys


async def test_order_by_u_and_d():
    start = initial_order(WORKFLOW)
    assert start != list(range(10)) and start == initial_order(WORKFLOW)  # shuffled, reproducible
    app = Host(WORKFLOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("d", "u", "enter")  # d then u: back where it was, still wrong
        await pilot.pause()
        assert "out of place" in feedback(app) and "Correct" not in feedback(app)
        await pilot.press(*order_keys(start), "u", "enter")  # all in order but the last two
        await pilot.pause()
        assert "Partly right" in feedback(app) and "9 of 10 items are in the right order" in feedback(app)
        rows = app.query_one(OrderAnswer).render().plain.splitlines()
        assert [i for i, row in enumerate(rows) if row.endswith("\u2717")] == [9]  # only the row out of place
        await pilot.press("d", "enter")
        await pilot.pause()
        assert "Correct: every item is in order." in feedback(app) and "Score: 100%" in feedback(app)
        assert " 1. Formulate the problem" in screen_text(app)


async def test_text_answer():
    app = Host(XOR)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_keys(pilot, "and")
        await pilot.press("enter")
        await pilot.pause()
        assert "Not yet" in feedback(app) and "Score: 0%" in feedback(app)
        await pilot.press("ctrl+u")
        await type_keys(pilot, " xor ")
        await pilot.press("enter")
        await pilot.pause()
        assert "Correct" in feedback(app) and "Score: 100%" in feedback(app)


async def test_reflect_is_saved(tmp_path):
    with ProgressStore.open(tmp_path / "p.sqlite3") as store:
        app = Host(REFLECT, store)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await type_keys(pilot, "Finding birds in photos")
            await pilot.press("enter")
            await pilot.pause()
            assert "Saved" in feedback(app) and "Score" not in feedback(app)
            assert store.question_state("ada", "intro", "why-deep").last_answer == "Finding birds in photos"


async def test_state_comes_back_in_a_new_app(tmp_path):
    with ProgressStore.open(tmp_path / "p.sqlite3") as store:
        async with Host(PROBLEMS, store).run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("a", "b", "enter")
            await pilot.pause()
        app = Host(PROBLEMS, store)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "[x] A." in screen_text(app) and "[x] B." in screen_text(app)
            assert "Partly right (3/5)" in feedback(app) and "Score: 60%, 1 try" in feedback(app)


def test_mse_table_fits_the_lesson_width():
    table = TableAnswer(MSE)
    table.texts[(4, 2)] = "3.5"
    for width in (74, 60, 36):
        lines = [line.plain for line in table.lines(width)]
        assert max(len(line) for line in lines) <= width, (width, lines)
        assert any("[3.5" in line for line in lines)


async def test_ascii_mode_draws_only_ascii():
    app = Host(PROBLEMS, ascii_mode=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a", "b", "enter")
        await pilot.pause()
        panel = app.query_one(QuestionPanel)
        drawn = str(panel.query_one("#answer").render()) + feedback(app)
        assert drawn.isascii() and "X option B" in drawn


@pytest.mark.parametrize("question", [NEURON, OUTLIERS, PROBLEMS, ACTIVATIONS, MSE, WORKFLOW, XOR, REFLECT],
                         ids=lambda q: q.kind)
async def test_small_terminal_does_not_crash(question):
    app = Host(question)
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        await pilot.press("a", "1", "enter", "h", "s", "escape", "enter")
        await pilot.pause()
        assert screen_text(app)


class FailingStore:
    """A progress file that cannot be written (full disk, lost NFS mount)."""

    def question_state(self, *args):
        return None

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise OSError(28, "No space left on device")
        return fail


async def test_a_failing_store_keeps_the_answer_on_screen_and_says_so():
    app = Host(OUTLIERS, FailingStore())  # type: ignore[arg-type]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a", "enter")
        await pilot.pause()
        text = feedback(app)
        assert "Correct" in text and "Progress was not saved" in text and "No space left" in text
        assert "(*) A. Squared error" in screen_text(app)


LESSON = Path(__file__).resolve().parents[1] / "lessons" / "01-introduction.md"


def _lesson_questions() -> list[Question]:
    if not LESSON.exists():
        return []
    loaded = load_lesson(LESSON)
    return loaded.lesson.questions() if loaded.lesson is not None and not loaded.errors else []


@pytest.mark.slow
@pytest.mark.skipif(not _lesson_questions(), reason="lesson 01 missing or not clean")
async def test_every_question_of_lesson_one_shows_and_reveals():
    for question in _lesson_questions():
        app = Host(question)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            panel = app.query_one(QuestionPanel)
            answer = panel.query_one("#answer")
            assert answer.region.width > 0, question.id
            await pilot.press("escape" if panel.focusable else "s", "s")
            await pilot.pause()
            assert panel.session.revealed or not (question.graded or question.solution.strip()), question.id
            if question.kind == "table":
                assert all(len(line.plain) <= answer.content_size.width for line in answer.lines(answer.content_size.width))


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abcdefghij-_ ", min_size=1, max_size=20), st.integers(min_value=2, max_value=12))
def test_order_start_is_never_the_answer_and_is_stable(qid, n):
    q = Question(id=qid, kind="order", line=1, items=tuple(f"step {i}" for i in range(n)))
    start = initial_order(q)
    assert sorted(start) == list(range(n)) and start != list(range(n)) and start == initial_order(q)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="abc XYZ", max_size=30), min_size=3, max_size=3),
       st.lists(st.text(alphabet="0123456789.-", max_size=6), min_size=3, max_size=3),
       st.integers(min_value=30, max_value=74))
def test_three_column_tables_fit(headers, values, width):
    q = Question(id="t", kind="table", line=1, columns=tuple(headers),
                 rows=((Cell(values[0]), Cell(values[1]), Cell(answer=1)), (Cell(values[2]), Cell("MSE"), Cell(answer=2))))
    table = TableAnswer(q)
    table.texts[(0, 2)] = "12.25"
    assert all(len(line.plain) <= width for line in table.lines(width))
