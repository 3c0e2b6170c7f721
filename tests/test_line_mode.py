"""Line mode (`tui-tutor --line`, TERM=dumb, INSIDE_EMACS, pipes): the lessons as plain lines.

The golden transcript plays lesson 1 from start to end through a pipe (a wrong answer, a
hint, a solution, a right answer, a table cell by cell, a matching, an ordering, choice and
multi-select answers, widget commands, step commands) and compares what the tutor printed
with tests/data/line/lesson1.txt. The answers are keyed by question id and widget name
(ANSWERS, WIDGET_COMMANDS), so a lesson that gains a step needs only a new transcript:

    TUI_TUTOR_REGENERATE=1 .venv/bin/python -m pytest -n 0 tests/test_line_mode.py -k golden

rewrites the stored input and transcript (read the diff before committing them).
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tui_tutor.lesson.loader import load_lesson
from tui_tutor.lesson.model import Interactive, Question, walk
from tui_tutor.line.app import LineOptions, line_reason, run_line
from tui_tutor.line.commands import Command, parse
from tui_tutor.line.questions import initial_order
from tui_tutor.line.text import markdown_lines
from tui_tutor.progress.paths import db_path
from tui_tutor.progress.store import ProgressStore
from tui_tutor.session import QuestionSession
from tui_tutor.training.events import event_from_json
from tui_tutor.training.records import RunRecord
from tui_tutor.training.sources import ReplayRun

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "lessons" / "01-introduction.md"
DATA = ROOT / "tests" / "data" / "line"
TIMEOUT = 60
ESC = re.compile(rb"\x1b")
REGENERATE = os.environ.get("TUI_TUTOR_REGENERATE", "") not in ("", "0")


def _order_numbers(question: Question, order: list[int]) -> str:
    shown = initial_order(question)
    return " ".join(str(shown.index(i) + 1) for i in order)


def _answers(lesson: Any) -> dict[str, list[str]]:
    """What the learner types at each question (by id); "next" leaves a question unanswered."""
    order = next(q for q in lesson.questions() if q.id == "workflow-order")
    n = len(order.items)
    wrong = [0, 1, 2, 4, 3, *range(5, n)]  # two items swapped: partly right
    return {
        "activation-matching": ["", "A C B A B B C"],  # an empty line, then all letters at once
        "neuron-output": ["0.25", "hint", "solution", "1.25", "new"],  # wrong, hint, solution, right, new numbers
        "xor-table": ["0", "1", "1", "1", "0"],  # the last cell wrong, then only that cell again
        "xor-logic": ["next", "XOR"],  # "next" is an answer to a text question
        "outlier-sensitivity": ["2", "Squared error"],  # by number (wrong), then by the option's text
        "dense-params": ["50"],  # the first variant (4 inputs, 10 units), right at once
        "dl-problems": ["A B", "A E"],  # partly right, then right
        "augment-data": ["A"],  # a choice by letter
        "why-keras": ["A"],
        "workflow-order": [_order_numbers(order, wrong), _order_numbers(order, list(range(n)))],
        "workflow-reflect-1": ["A door that opens for the people who live here."],
        "workflow-reflect-2": [":next"],  # the colon form is the command in a free-text answer
    }


#: What the learner types at the end of a step with a widget, by widget name.
WIDGET_COMMANDS = {
    "neuron-explorer": ["set x1 0.5", "set act sigmoid"],
    "xor-network": ["table"],
    "huber-plot": ["set delta 2"],
}


def script(lesson: Any) -> list[str]:
    """Every line typed, step by step: answers, then widget commands, then Enter."""
    answers = _answers(lesson)
    lines: list[str] = []
    for number, step in enumerate(lesson.steps):
        left = False
        for item in walk(step.items):
            if isinstance(item, Question):
                typed = answers.get(item.id, [":next"])
                lines += typed
                if (typed[-1] == "next" and item.kind not in ("text", "reflect")) or typed[-1] == ":next":
                    left = True
                    break
                if typed[-1] == "new":  # practise once more on the new numbers, then leave the step
                    lines.append("next")
                    left = True
                    break
        if left:
            continue
        for item in walk(step.items):
            if isinstance(item, Interactive):
                lines += WIDGET_COMMANDS.get(item.widget, [])
        if number == 2:
            lines += ["back", "", "repeat"]  # back to step 2, on to 3, and step 3 once more
        if any(isinstance(item, Interactive) and item.widget == "huber-plot" for item in walk(step.items)):
            lines += ["steps", "progress", "help"]  # step commands, past the middle of the lesson
        lines.append("")
    return lines


def _play(tmp_path: Path, typed: list[str], env_extra: dict[str, str] | None = None,
          args: list[str] | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "TMUX", "STY", "TUI_TUTOR_LINE"))}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", TUI_TUTOR_DATA_DIR=str(tmp_path / "data"),
               TUI_TUTOR_LEARNER="tester")
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "tui_tutor", *(args or [str(LESSON.relative_to(ROOT))])],
                          input="".join(line + "\n" for line in typed).encode(), capture_output=True,
                          cwd=ROOT, env=env, timeout=TIMEOUT)


@pytest.mark.e2e
def test_golden_transcript_of_lesson_one(tmp_path):
    lesson = load_lesson(LESSON).lesson
    assert lesson is not None
    typed = script(lesson)
    result = _play(tmp_path, typed)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b"", result.stderr.decode()
    out = result.stdout.decode("utf-8")
    assert not ESC.search(result.stdout), "no escape sequences"
    if REGENERATE:
        (DATA / "lesson1.input").write_text("".join(line + "\n" for line in typed), encoding="utf-8")
        (DATA / "lesson1.txt").write_text(out, encoding="utf-8")
    expected = (DATA / "lesson1.txt").read_text(encoding="utf-8")
    assert out == expected, "transcript changed: see the module docstring to regenerate it"
    # What the transcript must show, whatever the lesson's wording:
    assert out.startswith("Line mode (stdin is not a terminal). Type help for commands.\n")
    for said in ("Not yet: 0.25 is not the answer.", "Hint 1 of", "Solution (shown and recorded",
                 "Row 2: x1 = 0, x2 = 1, y = ?", "Your right cells are kept", "Partly right (3/4)",
                 "“next” is not the answer.", "Correct", "Partly right", "every item is in order",
                 "End of the lesson", "Truth table"):
        assert said in out, said
    assert max(len(line) for line in out.splitlines() if not line.startswith("  ")) <= 100


@pytest.mark.e2e
def test_same_store_rows_as_the_full_screen_answers(tmp_path):
    """The answers line mode recorded are those QuestionSession records from the full-screen
    widgets' answer shapes (a letter, a list of letters or keys, a dict of cells, indices)."""
    lesson = load_lesson(LESSON).lesson
    assert lesson is not None
    assert _play(tmp_path, script(lesson)).returncode == 0
    qs = {q.id: q for q in lesson.questions()}
    store = ProgressStore.open(tmp_path / "direct.sqlite3")

    def session(qid: str) -> QuestionSession:
        return QuestionSession(qs[qid], lesson.id, "tester", store, mastery_n=lesson.mastery)

    s = session("activation-matching")
    s.check(["A", "C", "B", "A", "B", "B", "C"])
    s = session("neuron-output")
    s.check("0.25"), s.next_hint(), s.reveal(), s.check("1.25"), s.new_variant()
    s = session("xor-table")
    cells = {(0, 2): "0", (1, 2): "1", (2, 2): "1", (3, 2): "1"}
    s.check(cells), s.check({**cells, (3, 2): "0"})
    s = session("xor-logic")
    s.check("next"), s.check("XOR")
    session("dense-params").check("50")
    s = session("outlier-sensitivity")
    s.check("B"), s.check("A")
    s = session("dl-problems")
    s.check(["A", "B"]), s.check(["A", "E"])
    session("augment-data").check("A")
    n = len(qs["workflow-order"].items)
    s = session("workflow-order")
    s.check([0, 1, 2, 4, 3, *range(5, n)]), s.check(list(range(n)))
    session("workflow-reflect-1").check("A door that opens for the people who live here.")
    session("why-keras").check("A")

    line_store = ProgressStore.open(tmp_path / "data" / "progress.sqlite3") if (tmp_path / "data" / "progress.sqlite3").exists() \
        else ProgressStore.open(next((tmp_path / "data").glob("*.sqlite3")))
    drop = {"id", "created", "time", "first_seen", "updated", "last_correct", "answered"}

    def rows(st: ProgressStore) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k not in drop} for r in st.answers("tester", lesson.id)]

    def states(st: ProgressStore) -> dict[str, Any]:
        return {x.question: {k: v for k, v in vars(x).items() if k not in drop} for x in st.states("tester")}

    assert len(rows(store)) >= 12
    assert rows(line_store) == rows(store)
    assert states(line_store) == states(store)
    assert line_store.position("tester", lesson.id) == len(lesson.steps) - 1  # the full app resumes there


@pytest.mark.e2e
def test_pipe_through_cat_has_no_escapes_and_exits(tmp_path):
    """`printf '...' | tui-tutor lessons/01-introduction.md | cat`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "TMUX", "STY"))}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", TUI_TUTOR_DATA_DIR=str(tmp_path / "data"))
    cmd = f"printf '\\n\\n\\n\\n\\nA C B A B B C\\n' | {sys.executable} -m tui_tutor lessons/01-introduction.md | cat"
    result = subprocess.run(["bash", "-c", cmd], capture_output=True, cwd=ROOT, env=env, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert len(ESC.findall(result.stdout)) == 0 and len(ESC.findall(result.stderr)) == 0
    out = result.stdout.decode()
    assert "Line mode (stdin is not a terminal)" in out and "Correct: 4 of 4 statements" in out
    assert "End of input: leaving the tutor." in out


@pytest.mark.e2e
def test_lang_c_is_ascii_only(tmp_path):
    lesson = load_lesson(LESSON).lesson
    assert lesson is not None
    result = _play(tmp_path, script(lesson)[:60], env_extra={"LANG": "C", "LC_ALL": "C"})
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.isascii() and not ESC.search(result.stdout)
    assert b'"next" is not the answer' in result.stdout  # typographic quotes in plain ASCII


def _pty_run(args: list[str], env: dict[str, str], keys: list[bytes], *, until: bytes = b"",
             interrupt_on: bytes = b"", timeout: float = 90) -> tuple[int, bytes]:
    """Run the tutor on a pty: type each of `keys` after the previous prompt, send SIGINT once
    `interrupt_on` shows; (exit status, everything written)."""
    import pty
    import select

    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        # A test run started in the background (`cmd &` in a script) inherits SIGINT ignored,
        # and Python then leaves it ignored: a learner's terminal delivers it, so put it back.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "tui_tutor", *args], env)
    out = b""
    pending = list(keys)
    interrupted = False
    written_at = -1  # len(out) when the last key was typed
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: the child has gone
                    break
                if not chunk:
                    break
                out += chunk
                if interrupt_on and not interrupted and interrupt_on in out:
                    os.kill(pid, signal.SIGINT)  # at once: the run goes on while output flows
                    interrupted = True
                continue  # read everything there is before typing
            at_prompt = out.rstrip(b" ").endswith((b">", b":")) and len(out) > written_at
            if pending and at_prompt:
                os.write(fd, pending.pop(0) + b"\n")
                written_at = len(out)
        else:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return os.waitstatus_to_exitcode(status), out


@pytest.mark.e2e
def test_term_dumb_on_a_pty(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "TMUX", "STY"))}
    env.update(TERM="dumb", LANG="C.UTF-8", TUI_TUTOR_DATA_DIR=str(tmp_path / "data"))
    code, out = _pty_run(["lessons/01-introduction.md"], env, [b"", b"quit"], until=b"")
    assert code == 0, out
    assert out.startswith(b"Line mode (TERM=dumb). Type help for commands.")
    assert b"Step 2 of" in out
    # readline may send its own few bytes on a terminal; the tutor itself draws nothing
    assert b"\x1b[2J" not in out and b"\x1b[?1049h" not in out


@pytest.mark.e2e
@pytest.mark.slow
def test_training_step_reports_and_stops_on_ctrl_c(tmp_path):
    """Real Keras (in the tutor's own process or its worker, never in this one): progress
    sentences, Ctrl+C stops the run, the run is reported, and the tutor goes on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "TMUX", "STY"))}
    env.update(TERM="dumb", LANG="C.UTF-8", TUI_TUTOR_DATA_DIR=str(tmp_path / "data"), TF_CPP_MIN_LOG_LEVEL="3")
    # Batch 1: four steps an epoch through Keras' fit (seconds a thousand epochs), so the run is
    # still going when Ctrl+C comes after the first progress sentence; at batch 4 the compiled
    # loop trains all 5000 epochs in under a second and the run may end before the signal.
    keys = [b"go 2", b"set epochs 5000", b"set batch 1", b"train", b"", b"0.5", b"quit"]
    code, out = _pty_run(["lessons/02-watch-a-network-learn.md"], env, keys, interrupt_on=b"Epoch 1000 of 5000",
                         until=b"Your place is saved", timeout=240)
    text = out.decode("utf-8", "replace")
    assert code == 0, text
    assert "Training... (Ctrl+C stops the run)" in text
    assert re.search(r"Epoch 1000 of 5000: loss \d", text), text
    assert "Stopping the run (Ctrl+C)" in text
    stopped = re.search(r"Run 1 stopped at epoch (\d+) of 5000; final loss \d", text)
    assert stopped, text
    assert "answer>" in text.split("stopped at epoch")[1], "the lesson goes on after the run"
    # The stopped run is stored, as the full-screen view stores its runs.
    store = ProgressStore.open(db_path(tmp_path / "data"))
    try:
        rows = store.runs(lesson="watch-a-network-learn", train="xor-2")
    finally:
        store.close()
    assert len(rows) == 1, rows
    record = RunRecord.from_dict(rows[0]["run"])
    assert (record.number, record.outcome, record.train_id) == (1, "stopped", "xor-2")
    assert record.failure == "stopped by the learner" and record.overrides == {"epochs": 5000, "batch_size": 1}
    assert record.history.last_epoch == int(stopped.group(1)) and record.history.metrics["loss"]
    assert record.versions.get("tensorflow") and record.started and record.ended


RUN_LESSON = """---
title: Stored runs
id: stored-runs
---

## Train and answer

::: train
id: xor
dataset: xor
layers:
  - {units: 4, activation: relu}
  - {units: 1, activation: sigmoid}
loss: binary_crossentropy
optimizer: adam
learning_rate: 0.05
epochs: 200
batch_size: 4
seed: 3
:::

::: question
id: final-loss
kind: numeric
run: xor
prompt: What was the final loss of your run, to 4 decimals?
answer: final_loss
atol: 0.00006
rtol: 0
:::

## Somewhere else

Nothing to train here.
"""


def _replay(emitted: list[Any] | None = None):
    """The recorded XOR run (tests/data/runs/xor.jsonl): no TensorFlow."""
    events = [event_from_json(line) for line in (ROOT / "tests" / "data" / "runs" / "xor.jsonl").read_text().splitlines()
              if line.strip()]
    return lambda spec, overrides, emit: ReplayRun(events, emit)


def test_a_line_mode_run_is_stored_named_and_shown_after_a_restart(tmp_path):
    """A run trained in line mode is saved as a run record: the next visit names it, a question
    about the run is graded against it and names it, and the full-screen view shows it."""
    lesson = tmp_path / "runs.md"
    lesson.write_text(RUN_LESSON)
    data = tmp_path / "d"
    options = LineOptions(reason="test", lesson_paths=[lesson], open_path=lesson, data_dir=data, learner="tester")
    out = io.StringIO()
    assert run_line(options, io.StringIO("train\n\nquit\n"), out, start_run=_replay()) == 0
    first = out.getvalue()
    assert "Your runs of xor" not in first.split("Training run `xor`")[1].split("train>")[0]  # none before
    finished = re.search(r"Run 1 finished: 200 epochs in [\d.]+ s; final loss (\d\.\d+)", first)
    assert finished, first
    store = ProgressStore.open(data / "progress.sqlite3")
    try:
        rows = store.runs("tester", "stored-runs", "xor")
    finally:
        store.close()
    assert [(r["number"], r["run"]["outcome"]) for r in rows] == [(1, "finished")]
    loss = RunRecord.from_dict(rows[0]["run"]).final("loss")

    # Again (a restart): the step names the stored run, a new run numbers on, and the question
    # about the run is graded against the latest and says which.
    out = io.StringIO()
    assert run_line(options, io.StringIO(f"train\n\n{loss:.4f}\nquit\n"), out, start_run=_replay()) == 0
    second = out.getvalue()
    assert f"Your runs of xor: run 1 finished, loss {loss:.3f}." in second
    assert "Run 2 finished: 200 epochs" in second
    assert "Graded against run 2: seed 3, 4 units, final loss" in second, second

    # The full-screen training view on the same data shows both runs.
    import asyncio

    from tui_tutor.ui.app import AppOptions, TutorApp
    from tui_tutor.ui.training.view import TrainView

    async def view_runs() -> list[tuple[int, str, bool]]:
        app = TutorApp(AppOptions(lesson_paths=[lesson], open_path=lesson, data_dir=data, learner="tester"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            view = app.screen.query_one(TrainView)
            return [(r.number, r.outcome, bool(r.history)) for r in view.runs]

    assert asyncio.run(view_runs()) == [(1, "finished", True), (2, "finished", True)]


# --------------------------------------------------------------------------- units


def test_command_rule_keeps_every_answer_possible():
    assert parse("next") == Command("next")
    assert parse("  NEXT ") == Command("next")
    assert parse("next", free_text=True) is None  # an answer to a text question
    assert parse(":next", free_text=True) == Command("next")
    assert parse(":n") == Command("next") and parse("n") is None  # a letter is an answer
    assert parse("b") is None and parse(":b") == Command("back")
    assert parse("go 3") == Command("go", "3")
    assert parse("next step") is None and parse(":zap") == Command("unknown", "zap")
    assert parse("set x1 0.5", extra={"set"}) == Command("set", "x1 0.5")
    assert parse("set x1 0.5") is None


def test_mode_choice(monkeypatch):
    tty = open(os.devnull)  # not a terminal
    assert line_reason(tty, tty, {}, asked=True) == "--line"
    assert line_reason(tty, tty, {"TUI_TUTOR_LINE": "1"}) == "TUI_TUTOR_LINE is set"
    assert line_reason(tty, tty, {"TERM": "dumb"}) == "TERM=dumb"
    assert line_reason(tty, tty, {"INSIDE_EMACS": "29.1,comint"}) == "inside Emacs"
    assert line_reason(tty, tty, {}) == "stdin is not a terminal"
    tty.close()


def test_markdown_reduced_to_plain_text():
    md = "## A *big* title\n\nSome **bold** and `code` and [a link](http://x).\n\n- one\n- two *x*\n\n```text\n  +--+\n```\n"
    assert markdown_lines(md) == ["A big title", "", "Some bold and code and a link.", "", "- one", "- two x",
                                  "", "    +--+"]
    assert "\x1b" not in "".join(markdown_lines("evil \x1b[2J text"))


def test_nothing_to_read_exits_2(capsys):
    code = run_line(LineOptions(reason="test", lesson_paths=[LESSON], open_path=LESSON), io.StringIO(""), io.StringIO())
    assert code == 2
    assert "nothing to read" in capsys.readouterr().err


SWEEP_LESSON = """---
title: Sweep in words
id: sweep-words
---

## Count

::: train
id: xs
dataset: xor
layers:
  - {units: 2, activation: relu}
  - {units: 1, activation: sigmoid}
learning_rate: 0.05
epochs: 500
batch_size: 4
sweep: {seeds: 4, solved_loss: 0.1}
:::

::: question
id: how-many
kind: numeric
run: xs
prompt: In how many of your seeds did the network solve XOR?
answer: sweep_solved
atol: 0
rtol: 0
:::
"""


@pytest.mark.tf
@pytest.mark.slow
def test_a_sweep_in_line_mode_says_each_seed_and_grades_the_count(tmp_path):
    """Real runs in the worker: seeds 1-4 of lesson 2's setting, of which seed 1 solves XOR
    (tests/test_lesson_claims.py pins seeds 1-10); the question is graded on the stored sweep."""
    lesson = tmp_path / "sweep.md"
    lesson.write_text(SWEEP_LESSON)
    options = LineOptions(reason="test", lesson_paths=[lesson], open_path=lesson, data_dir=tmp_path / "d",
                          learner="tester")
    out = io.StringIO()
    assert run_line(options, io.StringIO("train\n\n4\n1\nquit\n"), out) == 0
    text = out.getvalue()
    assert "This is a seed sweep" in text
    assert re.search(r"Seed 1: solved, final loss (0\.00\d|\d\.\d+e-0\d) \(1 of 4 done\)\.", text), text
    assert "Graded against sweep 1: seeds 1 to 4, 2 units, 1 of 4 solved." in text
    assert re.search(r"Seed 2: not solved, final loss 0\.\d+ \(2 of 4 done\)\.", text), text
    assert "Sweep 1 finished: 4 of 4 seeds done; solved 1 of 4 (loss < 0.1)." in text
    assert "Not yet" in text.split("Sweep 1 finished")[1] and "Correct" in text.split("Sweep 1 finished")[1]
