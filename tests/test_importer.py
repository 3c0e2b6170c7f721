"""`tui-tutor import`: Carpentries episodes (Workbench and styles era) -> tutor lessons.

The episodes in tests/data/import/ are written for these tests (no Carpentries text).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tui_tutor.cli import main
from tui_tutor.importer.command import REPORT_NAME, run_import
from tui_tutor.importer.convert import convert_episode
from tui_tutor.importer.styles import convert_styles
from tui_tutor.lesson.blocks import Node, parse_blocks
from tui_tutor.lesson.loader import load_lesson, parse_lesson
from tui_tutor.validate import check_lesson, validate_paths

DATA = Path(__file__).parent / "data" / "import"
WORKBENCH = DATA / "workbench-episode.md"
STYLES = DATA / "styles-episode.md"
SOURCES = Path(__file__).resolve().parents[2] / "shared" / "source-material"


def _lesson(path: Path, tab: str | None = None):
    episode = convert_episode(path.read_text(), path, tab)
    result = parse_lesson(episode.text, Path(path.stem + ".md"))
    assert result.lesson is not None and result.errors == [], result.errors
    assert check_lesson(result.lesson) == []
    return episode, result.lesson


def _questions(lesson):
    return {q.id: q for q in lesson.questions()}


def _correct(question) -> list[str]:
    return [chr(65 + i) for i, o in enumerate(question.options) if o.correct]


# -- the shared fenced-div reader -----------------------------------------------------------

def test_reader_knows_the_workbench_spellings():
    text = (
        "---\ntitle: T\n---\n"
        "::: .challenge\na\n:::\n"
        "::::{.callout #tip title=\"Note\"} Heads up :::\nb\n::::::::\n"
        ":::callout\nc\n:::\n"
        ":::::::: {.challenge}\nd\n:::\n"
    )
    parsed = parse_blocks(text)
    assert parsed.errors == []
    nodes = [n for n in parsed.body if isinstance(n, Node)]
    assert [n.kind for n in nodes] == ["challenge", "callout", "callout", "challenge"]
    assert nodes[1].title == "Heads up" and nodes[1].attrs == {"id": "tip", "title": "Note"} and nodes[1].colons == 4


def test_reader_nests_by_order_whatever_the_colon_counts():
    # pandoc's rule: a fence without attributes closes the innermost block
    text = "---\ntitle: T\n---\n::::::::::: challenge\nq\n::: solution\ns\n::::::::::::::::\n:::\n"
    parsed = parse_blocks(text)
    assert parsed.errors == []
    (challenge,) = parsed.body
    assert isinstance(challenge, Node) and [c.kind for c in challenge.children if isinstance(c, Node)] == ["solution"]


def test_reader_leaves_odd_lines_alone():
    parsed = parse_blocks("---\ntitle: T\n---\n:::{abc!}\n::: a:::\n:::\n")
    assert parsed.body[0].lines[0] == ":::{abc!}"  # type: ignore[union-attr]
    assert parsed.body[1].title == "" and parsed.body[1].kind == "a"  # type: ignore[union-attr]


def test_bundled_lessons_still_load_clean():
    for path in sorted((Path(__file__).resolve().parents[1] / "lessons").glob("0*.md")):
        assert load_lesson(path).errors == []


# -- styles era -----------------------------------------------------------------------------

@pytest.mark.parametrize("inner", [">>", "> >"])
def test_styles_blockquotes_become_nested_divs(inner):
    lines = ["> ## Title", "> Question?", f"{inner} ## Solution", f"{inner} Answer.", "> {: .solution}", "{: .challenge}"]
    result = convert_styles(lines)
    parsed = parse_blocks("---\n---\n" + "\n".join(result.lines))
    assert parsed.errors == []
    (challenge,) = parsed.body
    assert isinstance(challenge, Node) and challenge.kind == "challenge" and challenge.title == "Title"
    (solution,) = [c for c in challenge.children if isinstance(c, Node)]
    assert solution.kind == "solution" and solution.title == "Solution"
    assert "Answer." in solution.children[0].text  # type: ignore[union-attr]


def test_styles_code_blocks_take_their_language():
    result = convert_styles(["~~~", "print(1)", "~~~", "{: .language-python}", "~~~", "1", "~~~", "{: .output}"])
    assert result.lines == ["~~~python", "print(1)", "~~~", "~~~output", "1", "~~~"]


# -- Workbench episode ----------------------------------------------------------------------

def test_workbench_every_challenge_found_with_the_right_keys():
    episode, lesson = _lesson(WORKBENCH)
    questions = _questions(lesson)
    assert episode.challenges == 8 and episode.questions == 7 and episode.self_checks == 2
    assert episode.dialect == "Workbench"
    # "Correct answer: A & D" with "(multiple answers might apply)"
    assert questions["which-quantities-are-learned"].kind == "multi"
    assert _correct(questions["which-quantities-are-learned"]) == ["A", "D"]
    # sub-questions `### 1.` / `### 2.`: per-option "(**correct**...)" marks, a number with its working
    assert questions["step-size-1"].kind == "choice" and _correct(questions["step-size-1"]) == ["B"]
    assert questions["step-size-2"].kind == "numeric" and questions["step-size-2"].answer == 1.5
    assert questions["step-size-2"].atol == pytest.approx(0.05) and questions["step-size-2"].rtol == 0
    # numbered options: "4 is the one", "1 and 5 are"
    assert questions["too-big-or-too-small"].kind == "choice" and _correct(questions["too-big-or-too-small"]) == ["D"]
    assert "Which run most likely diverged?" in questions["too-big-or-too-small"].prompt
    assert questions["which-settings-help"].kind == "multi" and _correct(questions["which-settings-help"]) == ["A", "E"]
    # a one-line text answer
    assert questions["name-the-method"].kind == "text" and questions["name-the-method"].accepted == ("Gradient descent",)
    # a matching: `1. A` lines
    match = questions["match-the-curves"]
    assert match.kind == "matching" and [s.answer for s in match.statements] == ["A", "B", "C"]
    assert dict(match.match_options) == {"A": "flat", "B": "steadily falling", "C": "jumping up and down"}
    # code to write, and prose written after the challenge's closing fence: self-checks
    assert questions["write-the-update-self"].kind == "reflect"
    assert questions["sketch-the-curve-self"].kind == "reflect"
    assert "A zig-zag" in episode.text.split("::: challenge Sketch the curve")[1].split("::: question")[0]


def test_workbench_blocks_figures_tabs_and_notes():
    episode, lesson = _lesson(WORKBENCH)
    text = episode.text
    assert "::: instructor\nAsk the room to vote" in text  # kept as an instructor note (hidden)
    assert "*Figure: A dashed line through the origin with five dots scattered around it* (fig/line.png)" in text
    assert "```mermaid\ngraph LR" in text and "Mermaid source" in text
    assert "cce:skip" not in text and "```python\nw = 0.0" in text
    assert "::: callout\nThe same idea" in text  # `:::callout` without a space
    assert "::: discussion" in text  # `::: .discussion`
    assert "Run `python fit.py`" in text and "PowerShell" not in text  # first tab by default
    assert "Install with pip." in text and "Install with conda." not in text
    assert "::: callout Sidebar" in text
    report = {e.message for e in episode.entries}
    assert any("`sidebar` is not a Workbench block class" in m for m in report)
    assert any("tabs Linux, Windows: kept Linux" in m for m in report)
    assert [s.title for s in lesson.steps] == [
        "Fitting a straight line", "A model with one weight", "One gradient step", "Picking a learning rate", "Code and tabs",
    ]
    assert lesson.id == "workbench-episode" and lesson.minutes == 35


def test_tab_option_picks_a_tab():
    episode, _ = _lesson(WORKBENCH, tab="windows")
    assert "PowerShell" in episode.text and "python fit.py" not in episode.text
    assert "Install with pip." in episode.text  # no tab of that name there: the first, flagged for review
    assert any(e.review and "no tab named" in e.message for e in episode.entries)


# -- styles-era episode ---------------------------------------------------------------------

def test_styles_every_challenge_found_with_the_right_keys():
    episode, lesson = _lesson(STYLES)
    questions = _questions(lesson)
    assert episode.dialect == "styles era" and episode.challenges == 4
    assert questions["how-many-test-rows"].kind == "numeric" and questions["how-many-test-rows"].answer == 30
    assert questions["which-rows-may-we-tune-on"].kind == "multi" and _correct(questions["which-rows-may-we-tune-on"]) == ["A", "C"]
    assert questions["before-or-after"].kind == "choice" and _correct(questions["before-or-after"]) == ["A"]
    assert questions["explain-it-to-a-friend-self"].kind == "reflect"
    text = episode.text
    assert "::: callout Keeping rows back" in text and "~~~python\nrows = list" in text and "~~~output" in text
    assert "::: questions\n- Why keep some data back?" in text and "::: keypoints\n- Never tune on the test set." in text
    assert "> ## A plain quotation" in text and "{% include" not in text and "{:" not in text
    assert [s.title for s in lesson.steps] == ["Splitting the data", "Why split?", "Shuffling", "Key points"]


# -- ids, report, command line ----------------------------------------------------------------

def test_reimport_keeps_question_ids(tmp_path):
    original = WORKBENCH.read_text()
    _, before = _lesson(WORKBENCH)
    edited = original.replace("Our model predicts", "Our small model predicts").replace(
        "::: challenge Name the method", "::: challenge A new warm-up\n\nSay hello.\n:::\n\n::: challenge Name the method"
    )
    path = tmp_path / "workbench-episode.md"
    path.write_text(edited)
    _, after = _lesson(path)
    assert set(_questions(before)) <= set(_questions(after))
    assert "a-new-warm-up-self" in _questions(after)


def test_report_names_every_challenge_with_a_confidence(tmp_path):
    out = io.StringIO()
    run = run_import([WORKBENCH, STYLES], tmp_path / "out", None, out)
    report = out.getvalue()
    assert (tmp_path / "out" / REPORT_NAME).read_text() == report
    challenge_lines = [line for line in report.splitlines() if ": challenge " in line]
    assert len(challenge_lines) == 13  # 9 parts of 8 challenges, and 4 challenges
    assert all("confidence " in line for line in challenge_lines)
    assert f"{WORKBENCH}:36: challenge \"Which quantities are learned?\": multi question" in report
    assert run.needs_review > 0
    count, errors = validate_paths(run.written)
    assert count == 2 and errors == []


def test_cli_import_strict_and_validate(tmp_path, capsys):
    assert main(["import", str(WORKBENCH), str(STYLES), "-o", str(tmp_path / "a")]) == 0
    output = capsys.readouterr().out
    assert "2 lesson files checked: no problems" in output
    assert main(["import", str(WORKBENCH), "-o", str(tmp_path / "b"), "--strict"]) == 1
    assert main(["validate", str(tmp_path / "a")]) == 0
    assert main(["import", str(tmp_path / "missing.md"), "-o", str(tmp_path / "c")]) == 2


def test_cli_import_never_overwrites_the_episode(tmp_path):
    episode = tmp_path / "ep.md"
    episode.write_text(WORKBENCH.read_text())
    assert main(["import", str(episode), "-o", str(tmp_path)]) == 2
    assert episode.read_text() == WORKBENCH.read_text()


@pytest.mark.skipif(not SOURCES.is_dir(), reason="the Carpentries source material is not next to this checkout")
def test_source_material_keys(tmp_path):
    workbench, lesson = _lesson(SOURCES / "003_5b732bb690496285.txt")
    questions = _questions(lesson)
    assert workbench.challenges == 5
    assert _correct(questions["deep-learning-problems-exercise"]) == ["A", "E"]
    pairs = [s.answer for s in questions["activation-functions"].statements]
    assert pairs == ["A", "C", "B", "A", "B", "B", "C"]
    assert questions["neural-network-calculations-1"].answer == 1.25
    styles, lesson = _lesson(SOURCES / "000_74f6e68e730123e3.txt")
    assert styles.challenges == 1 and _correct(_questions(lesson)["deep-learning-problems-exercise"]) == ["A", "E"]


# -- the imported lesson plays ----------------------------------------------------------------

async def test_imported_lesson_plays_in_the_app(tmp_path):
    from lesson_player import answer, keys_for

    from tui_tutor.ui.app import AppOptions, TutorApp
    from tui_tutor.ui.questions.panel import QuestionPanel

    out = io.StringIO()
    run = run_import([WORKBENCH], tmp_path / "out", None, out)
    (lesson_path,) = run.written
    app = TutorApp(AppOptions(lesson_paths=[lesson_path], open_path=lesson_path, data_dir=tmp_path / "data", learner="tester"))
    statuses = {}
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        for _ in range(len(screen.lesson.steps)):
            for panel in list(screen.query(QuestionPanel)):
                q = panel.session.base
                if q.kind in ("choice", "multi"):
                    keys = [c.lower() for c in _correct(q)] + ["enter"]
                elif q.kind == "matching":
                    keys = [s.answer.lower() for s in q.statements] + ["enter"]
                elif q.kind == "numeric":
                    keys = keys_for(str(q.answer)) + ["enter"]
                elif q.kind == "text":
                    keys = keys_for(q.accepted[0]) + ["enter"]
                else:
                    keys = keys_for("got it") + ["enter"]
                await answer(pilot, panel, keys)
                await pilot.pause()
                statuses[q.id] = panel.session.last_result.status
            screen.query_one("#step-body").focus()
            await pilot.press("n")
            await pilot.pause()
    assert len(statuses) == 9
    assert all(status == ("saved" if qid.endswith("-self") else "correct") for qid, status in statuses.items()), statuses


@pytest.mark.parametrize("text", [
    "---\ntitle: t\n---\n" + "> a\n" * 20000 + "{: .challenge}\n",
    "---\ntitle: t\n---\n" + "".join(">" * i + " x\n" for i in range(1, 40)) + "{: .challenge}\n",
    "---\ntitle: t\n---\n## S\n::: challenge\nQ?\n::: solution\n42\n",  # never closed
    "## No front matter\n\ntext\n",
    "---\ntitle: t\n---\n## S\n::: challenge X\nq\n::: solution\n" + " " * 9000 + "= 5\n:::\n:::\n",
])
def test_odd_episodes_convert_to_valid_lessons(text):
    episode = convert_episode(text, Path("odd.md"))
    result = parse_lesson(episode.text, Path("odd.md"))
    assert result.errors == [] and result.lesson is not None and check_lesson(result.lesson) == []


def test_unreadable_episode_is_reported(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"---\ntitle: \xff\n---\n")
    out = io.StringIO()
    run = run_import([bad], tmp_path / "out", None, out)
    assert run.written == [] and "not UTF-8" in out.getvalue()
