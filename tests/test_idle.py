"""Idle costs nothing: a learner reading a step, thinking over an answer or away at lunch must
not cost the login node CPU, nor the SSH link bytes. And the app stays small until a training
step loads TensorFlow.

The app runs on a pseudo-terminal this test owns (80x24), so every byte it writes to the
terminal is counted; CPU time and memory come from /proc/<pid>. One app is started for the
module and walked to the neuron exercise at a reading pace (a step every ~1.5 s: anything
that counts down or animates after a step change gets its chance to show). The windows here
are short to keep CI fast; benchmarks/login_node.py measures 60 s.
"""

from __future__ import annotations

import os
import time

import pytest

from sshd_harness import ROOT, PtyApp, tutor_command

LESSON = ROOT / "lessons" / "01-introduction.md"
SAMPLE = ROOT / "tests" / "data" / "sample" / "sample.md"
IDLE_SECONDS = 10.0
FIELD_IDLE_SECONDS = 5.0
READING_PACE = 1.5  # seconds on each step before `n`
MAX_IDLE_CPU_PERCENT = 0.5
MAX_RSS_MB_BEFORE_TF = 90.0


def _env(data_dir) -> dict[str, str]:
    env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", TUI_TUTOR_DATA_DIR=str(data_dir))
    for var in ("TEXTUAL", "TEXTUAL_FPS", "TEXTUAL_COLOR_SYSTEM", "NO_COLOR"):
        env.pop(var, None)
    return env


def _step_of_neuron_exercise() -> int:
    from tui_tutor.lesson.loader import load_lesson

    return [s.title for s in load_lesson(LESSON).lesson.steps].index("Exercise: one neuron by hand") + 1


def _idle(app: PtyApp, seconds: float) -> tuple[float, int, float]:
    """(CPU % of one core, bytes written, seconds) while nobody touches a key."""
    cpu_before, t_before = app.cpu_seconds(), time.monotonic()
    written = app.read_for(seconds)
    elapsed = time.monotonic() - t_before
    return 100.0 * (app.cpu_seconds() - cpu_before) / elapsed, written, elapsed


@pytest.fixture(scope="module")
def on_neuron_step(tmp_path_factory):
    """tui-tutor on lesson 1, walked with `n` (through the plot and widget steps) to the exercise."""
    target = _step_of_neuron_exercise()
    app = PtyApp(tutor_command(str(LESSON)), _env(tmp_path_factory.mktemp("idle") / "data"))
    try:
        app.wait_for(b"Step 1 of")
        for step in range(2, target + 1):
            if step >= target - 1:
                app.read_for(READING_PACE)  # the last steps at a reading pace
            app.send(b"n", pause=0)
            app.wait_for(f"Step {step} of".encode(), timeout=15)
        app.settle(quiet=0.5)
        yield app
    finally:
        app.close()


def test_idle_on_a_lesson_step_costs_no_cpu_and_no_bytes(on_neuron_step):
    percent, written, elapsed = _idle(on_neuron_step, IDLE_SECONDS)
    assert written == 0, (
        f"an idle lesson screen wrote {written} bytes to the terminal in {elapsed:.1f} s; last output: "
        f"{on_neuron_step.tail[-300:]!r}"
    )
    assert percent <= MAX_IDLE_CPU_PERCENT, f"idle CPU {percent:.2f}% of one core over {elapsed:.1f} s"


def test_memory_before_tensorflow_stays_small(on_neuron_step):
    """The whole UI up to the first exercise is built; TensorFlow is not loaded."""
    assert "tensorflow" not in on_neuron_step.maps(), "TensorFlow was loaded although no training step was opened"
    rss = on_neuron_step.rss_mb()
    assert rss <= MAX_RSS_MB_BEFORE_TF, f"RSS {rss:.0f} MB on a lesson screen before TensorFlow"


def test_idle_in_the_answer_field_costs_no_cpu_and_no_bytes(on_neuron_step):
    """A learner who Tabbed into the field and is thinking (or went to lunch) mid-answer."""
    app = on_neuron_step
    app.send(b"\t", pause=0.5)
    app.send(b"1", pause=0.5)  # half an answer
    percent, written, elapsed = _idle(app, FIELD_IDLE_SECONDS)
    assert written == 0, (
        f"idle in the answer field wrote {written} bytes in {elapsed:.1f} s "
        f"({written / elapsed:.0f} B/s: a blinking cursor is redrawn over the link)"
    )
    assert percent <= MAX_IDLE_CPU_PERCENT, f"idle CPU {percent:.2f}% of one core over {elapsed:.1f} s"


def test_a_lone_escape_still_arrives_at_once(tmp_path):
    """The input thread sleeps until a key comes; a lone Escape must still be delivered on its
    own (after the ~0.1 s wait for a longer escape sequence), not only when the next key comes."""
    with PtyApp(tutor_command(str(SAMPLE)), _env(tmp_path / "data")) as app:
        app.wait_for(b"Step 1 of")
        app.settle(quiet=0.3)
        start = time.monotonic()
        app.send(b"\x1b", pause=0)  # one Escape, nothing after it: back to the lessons
        app.wait_for(b"Choose a lesson", timeout=5)
        assert time.monotonic() - start < 1.0
