"""Every view counts the same: the picker, the question panels, the review list,
`tui-tutor progress` and its CSV export all read one answer history the same way."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from screen_text import screen_text
from tui_tutor.cli import main
from tui_tutor.lesson.loader import load_lesson
from tui_tutor.progress.store import ProgressStore
from tui_tutor.session import QuestionSession
from tui_tutor.ui.app import AppOptions, TutorApp
from tui_tutor.ui.questions.panel import QuestionPanel
from tui_tutor.ui.screens.review import ReviewScreen

LESSON_FILE = Path(__file__).resolve().parents[1] / "lessons" / "01-introduction.md"
LEARNER = "tester"


def _history(data: Path) -> dict[str, tuple[int, bool, float]]:
    """Answers as a learner gives them, through QuestionSession on a real store.

    Returns what the rule should make of each question: (tries, mastered, score).
    """
    lesson = load_lesson(LESSON_FILE).lesson
    questions = {q.id: q for q in lesson.questions()}
    with ProgressStore.open(data / "progress.sqlite3") as store:
        def session(qid: str) -> QuestionSession:
            return QuestionSession(questions[qid], lesson.id, LEARNER, store, mastery_n=lesson.mastery)

        s = session("xor-logic")  # no variants: right at once, mastered
        assert s.check("XOR").status == "correct"
        s = session("outlier-sensitivity")  # one wrong option of two tried first: half the credit
        assert s.check("b").status == "wrong" and s.check("a").status == "correct"
        s = session("neuron-output")  # two correct first tries on fresh numbers: mastered
        for _ in range(2):
            assert s.check(repr(float(s.question.answer))).status == "correct", s.question.answer
            s.new_variant()
        s = session("dense-params")  # wrong, with a hint open: done, not mastered
        s.next_hint()
        assert s.check("1").status == "wrong"
        s = session("xor-table")  # solution shown, never answered: not done
        s.reveal()
        s = session("workflow-reflect-1")  # a saved reflection is not an attempt
        assert s.check("for my microscope images").status == "saved"
    return {
        "xor-logic": (1, True, 1.0),
        "outlier-sensitivity": (2, True, 0.5),
        "neuron-output": (2, True, 1.0),
        "dense-params": (1, False, 0.0),
    }


def _panel_counts(text: str) -> tuple[int, bool, str]:
    """(tries, mastered, score) from a panel's score line: "Score: 50%, 2 tries, mastered"."""
    line = next(line for line in text.splitlines() if line.strip().startswith("Score:"))
    bits = [b.strip() for b in line.strip().split(",")]
    tries = next(int(b.split()[0]) for b in bits if b.endswith(("try", "tries")))
    return tries, "mastered" in bits, bits[0].removeprefix("Score: ")


async def test_picker_panels_review_progress_and_csv_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    expected = _history(data)
    lesson = load_lesson(LESSON_FILE).lesson
    counted = {q.id for q in lesson.graded_questions()}
    assert set(expected) <= counted and "workflow-reflect-1" not in counted
    total = len(counted)  # from the lesson as it now stands: every view must show this total
    done = len(expected)
    mastered = sum(m for _, m, _ in expected.values())
    score = round(100 * sum(s for _, _, s in expected.values()) / total)
    assert 0 < mastered < done < total  # every count differs, so a view that mixes two up is caught

    app = TutorApp(AppOptions(lesson_paths=[LESSON_FILE], data_dir=data, learner=LEARNER))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        # 1. the picker
        assert f"{done}/{total} done, {mastered}/{total} mastered" in screen_text(app)
        # 2. the question panels, step by step
        await pilot.press("enter")
        await pilot.pause()
        seen: dict[str, tuple[int, bool, str]] = {}
        for index, step in enumerate(lesson.steps):
            if not step.questions():
                continue
            await app.screen.show_step(index)
            await pilot.pause()
            for panel in app.screen.query(QuestionPanel):
                qid = panel.session.base.id
                if qid in expected:
                    seen[qid] = _panel_counts(str(panel.query_one(".q-status").render()))
                elif panel.session.graded:
                    assert "try" not in str(panel.query_one(".q-status").render()), qid
        assert seen == {qid: (tries, m, f"{round(s * 100)}%") for qid, (tries, m, s) in expected.items()}
        # 3. the review list: every counted question not mastered
        await pilot.press("escape", "q")  # out of the answer field, then back to the lessons
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        assert len(app.screen.items) == total - mastered
        assert f"{total - mastered} to go" in screen_text(app)

    # 4. `tui-tutor progress`
    capsys.readouterr()
    assert main(["progress", "--data-dir", str(data), "--learner", LEARNER, "--lessons", str(LESSON_FILE.parent)]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(lesson.id))
    tries = sum(t for t, _, _ in expected.values())
    assert line.split()[1:5] == [f"{done}/{total}", f"{mastered}/{total}", f"{score}%", str(tries)]

    # 5. the CSV export
    assert main(["progress", "--export", "csv", "--data-dir", str(data), "--learner", LEARNER]) == 0
    rows = [r for r in csv.DictReader(io.StringIO(capsys.readouterr().out)) if r["counted"] == "1"]
    assert sum(int(r["attempts"]) > 0 for r in rows) == done
    assert sum(r["mastered"] == "1" for r in rows) == mastered
    assert round(100 * sum(float(r["score"] or 0) for r in rows) / total) == score
    assert sum(int(r["attempts"]) for r in rows) == tries
    neuron = next(r for r in rows if r["question"] == "neuron-output")
    assert neuron["variant"] == "3"  # two variants answered, the third drawn: numbered as on screen
