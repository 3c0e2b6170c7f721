"""Issue 13: no lesson file can crash, hang or bloat the tutor.

A corpus of a few hundred hostile files (tests/data/hostile/generate.py) is written into a
temporary folder. One subprocess, under a 512 MB address-space limit, loads and validates
every file with a 5 s alarm per file: no traceback, no hang, every message `path:line:`.
Then every file that validates clean (or a subset covering every class) is opened in the
app and played step by step, and a folder of one broken and one good lesson is opened.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "data" / "hostile"))
from generate import write_corpus

from tui_tutor.lesson.loader import load_lesson
from tui_tutor.validate import validate_paths

MEMORY_LIMIT = 512 * 1024 * 1024
SECONDS_PER_FILE = 5

#: The child: load and validate each file named on stdin, one JSON line per file.
_CHILD = r"""
import io, json, resource, signal, sys, time, traceback
from pathlib import Path
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from tui_tutor.cli import main
from tui_tutor.lesson.loader import load_lesson

class Hang(Exception):
    pass

def on_alarm(signum, frame):
    raise Hang()

signal.signal(signal.SIGALRM, on_alarm)
for name in sys.stdin.read().split("\n"):
    if not name:
        continue
    print(json.dumps({"start": name}), flush=True)
    out, record = io.StringIO(), {"file": name}
    started = time.perf_counter()
    signal.alarm(int(sys.argv[2]))
    try:
        result = load_lesson(Path(name))
        record["load"] = [str(e) for e in result.errors]
        saved, sys.stdout = sys.stdout, out
        try:
            record["status"] = main(["validate", name])
        finally:
            sys.stdout = saved
        record["validate"] = out.getvalue().splitlines()
    except Hang:
        record["error"] = "hang"
    except BaseException:
        record["error"] = traceback.format_exc()
    finally:
        signal.alarm(0)
    record["seconds"] = time.perf_counter() - started
    print(json.dumps(record), flush=True)
print(json.dumps({"tensorflow": "tensorflow" in sys.modules}), flush=True)
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    return write_corpus(tmp_path_factory.mktemp("hostile"))


def _all(corpus: dict[str, list[Path]]) -> list[Path]:
    return [path for paths in corpus.values() for path in paths]


def test_corpus_covers_every_class_of_issue_13(corpus):
    assert len(_all(corpus)) >= 300
    for kind in ("yaml-constructor", "huge-numbers", "regex-invalid", "regex-backtracking", "nesting",
                 "variant-overflow", "alias-bomb", "markup", "size", "encoding", "structure", "mutant"):
        assert corpus.get(kind), kind


def test_no_file_crashes_hangs_or_bloats_load_or_validate(corpus):
    files = _all(corpus)
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(MEMORY_LIMIT), str(SECONDS_PER_FILE)],
        input="\n".join(str(p) for p in files), capture_output=True, text=True, timeout=150,
    )
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    done = [r for r in records if "file" in r]
    last = records[-2]["start"] if records and "start" in records[-1] and len(records) > 1 else ""
    assert proc.returncode == 0, f"child died (memory?) after {len(done)} files, in {last}: {proc.stderr[-2000:]}"
    assert len(done) == len(files)
    assert records[-1] == {"tensorflow": False}
    tracebacks = [(r["file"], r["error"]) for r in done if "error" in r]
    assert not tracebacks, tracebacks[:3]
    slow = [(r["file"], round(r["seconds"], 2)) for r in done if r["seconds"] > SECONDS_PER_FILE]
    assert not slow
    for r in done:
        name = re.escape(r["file"])
        for message in r["load"]:
            assert re.fullmatch(rf"{name}:\d+: \S.*", message), message
        *problems, summary = r["validate"]
        assert re.fullmatch(r"\d+ problem\(s\) in 1 lesson file|1 lesson file checked: no problems", summary), summary
        for line in problems:
            assert re.fullmatch(rf"{name}:\d+: \S.*", line), line
        assert (r["status"] == 0) == (not problems)
        assert len(problems) >= len(r["load"])
    print(f"\n{len(files)} hostile files loaded and validated in {time.perf_counter() - started:.1f} s, "
          f"slowest {max(r['seconds'] for r in done):.2f} s")


def _clean_files(corpus: dict[str, list[Path]], mutants: int) -> list[Path]:
    """Files that validate clean: all hand-written ones, and the first `mutants` clean mutants."""
    chosen: list[Path] = []
    clean_mutants = 0
    for kind, paths in corpus.items():
        for path in paths:
            if kind == "mutant" and clean_mutants >= mutants:
                break
            if validate_paths([path])[1]:
                continue
            chosen.append(path)
            clean_mutants += kind == "mutant"
    return chosen


#: 31 characters: Python's re took over a minute to match `(a|a)*b` against it.
TEXT_ANSWER = "a" * 30 + "c"


async def _play(pilot, app) -> int:
    """Show every step and check every question once with some answer; returns questions checked."""
    from textual.widgets import Input

    from tui_tutor.ui.questions.panel import QuestionPanel
    from tui_tutor.ui.screens.lesson import LessonScreen

    screen = app.screen
    assert isinstance(screen, LessonScreen), type(screen)
    checked = 0
    for index in range(len(screen.lesson.steps)):
        await screen.show_step(index)
        await pilot.pause()
        for panel in list(screen.query(QuestionPanel)):
            target = next((w for w in panel.query("*") if w.focusable), None)
            if target is None:
                continue
            target.focus()
            await pilot.pause()
            if isinstance(target, Input):
                target.value = TEXT_ANSWER  # set, not typed: 31 key presses cost 2 s in a pilot
                await pilot.press("enter")
            else:
                await pilot.press("a", "enter")
            await pilot.pause()
            checked += 1
        assert app.is_running
    return checked


@pytest.mark.slow  # about 25 s: 37 lessons, each in its own app
async def test_every_clean_hostile_file_opens_and_plays_in_the_app(corpus, tmp_path):
    from tui_tutor.ui.app import AppOptions, TutorApp

    files = _clean_files(corpus, mutants=3)
    kinds = {path.name.split("--")[0].removesuffix(".md") for path in files}
    assert {"markup", "regex-backtracking", "encoding", "size", "base", "mutant"} <= kinds
    started, questions = time.perf_counter(), 0
    for path in files:
        options = AppOptions(lesson_paths=[path], open_path=path, data_dir=tmp_path / "data", learner="t")
        app = TutorApp(options)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            step_started = time.perf_counter()
            questions += await _play(pilot, app)
            assert time.perf_counter() - step_started < 20, path.name
    print(f"\n{len(files)} clean hostile lessons played ({questions} questions checked) "
          f"in {time.perf_counter() - started:.1f} s")


async def test_lessons_folder_with_a_broken_lesson_opens_the_good_one(corpus, tmp_path):
    from textual.widgets import DataTable, Static

    from tui_tutor.ui.app import AppOptions, TutorApp
    from tui_tutor.ui.screens.lesson import LessonScreen
    from tui_tutor.ui.screens.picker import PickerScreen

    folder = tmp_path / "course"
    folder.mkdir()
    good = next(p for p in corpus["base"])
    (folder / "good.md").write_bytes(good.read_bytes())
    bomb = next(p for p in corpus["alias-bomb"] if p.name.endswith("bomb-front.md"))
    (folder / "broken.md").write_bytes(bomb.read_bytes().replace(b"title: *a9", b"title: 'Broken [/]'\nx: *a9"))
    app = TutorApp(AppOptions(lesson_paths=[folder], data_dir=tmp_path / "data", learner="t"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2
        await pilot.press("down")  # the broken lesson, listed after the good one
        await pilot.pause()
        hint = str(app.screen.query_one("#picker-hint", Static).render())
        assert "cannot be opened" in hint and "anchors and aliases" in hint and "tui-tutor validate" in hint
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)  # nothing opened
        await pilot.press("up", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen) and app.screen.lesson.title == "Base lesson"
        assert await _play(pilot, app) >= 8


def test_broken_lesson_is_listed_with_its_first_problem(corpus, tmp_path):
    from tui_tutor.lesson.catalog import Catalog

    folder = tmp_path / "course"
    folder.mkdir()
    for path in (corpus["base"][0], corpus["markup"][0], corpus["yaml-constructor"][0], corpus["nesting"][0]):
        (folder / path.name).write_bytes(path.read_bytes())
    catalog = Catalog.from_paths([folder])
    assert [lesson.title for lesson in catalog.lessons] == ["Base lesson", "Hostile"]
    assert len(catalog.broken) == 2
    for broken in catalog.broken:
        assert str(broken.first_error).startswith(f"{broken.path}:")


def test_backtracking_patterns_answer_in_linear_time(corpus):
    from tui_tutor.lesson.text_pattern import pattern_matches

    answer = "a" * 10_000
    started = time.perf_counter()
    for path in corpus["regex-backtracking"]:
        question = load_lesson(path).lesson.questions()[0]
        assert not pattern_matches(question.pattern, answer + "!")
        pattern_matches(question.pattern, answer)
    assert time.perf_counter() - started < 2  # Python's re needs minutes for one of these
