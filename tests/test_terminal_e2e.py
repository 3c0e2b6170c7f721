"""End-to-end in a real terminal (tmux, 80x24): what a learner's terminal shows, not what a pilot sees."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tmux_session import Tmux, needs_tmux
from tui_tutor.lesson.loader import load_lesson

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "sample" / "sample.md"
TUTOR = f"{sys.executable} -m tui_tutor"

pytestmark = pytest.mark.e2e


@pytest.fixture
def term(tmp_path):
    sessions = []

    def start(args: str, **env: str) -> Tmux:
        base = {"TERM": "xterm-256color", "LANG": "C.UTF-8", "TUI_TUTOR_DATA_DIR": str(tmp_path / "data"),
                "PYTHONPATH": str(ROOT)}
        base.update(env)
        session = Tmux(f"cd {ROOT} && {TUTOR} {args}", env=base)
        sessions.append(session)
        return session

    yield start
    for session in sessions:
        session.close()


def _tutor_pid(session: Tmux) -> int:
    shell = session.pane_pid()
    out = subprocess.run(["pgrep", "-f", "-P", str(shell), "tui_tutor"], capture_output=True, text=True).stdout.split()
    if not out:  # `env` exec'd python directly
        out = subprocess.run(["pgrep", "-f", "-P", str(shell)], capture_output=True, text=True).stdout.split()
    return int(out[0])


@needs_tmux
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_signal_restores_the_terminal(term, sig):
    session = term(str(SAMPLE))
    session.wait_for("Step 1 of 3")
    os.kill(_tutor_pid(session), sig)
    screen = session.wait_for("EXITED-", timeout=10)
    # Back on the normal screen: the lesson is gone and the exit code is clean.
    assert "Step 1 of 3" not in screen
    assert "EXITED-0" in screen or f"EXITED-{128 + sig}" not in screen


@needs_tmux
def test_non_utf8_terminal_gets_pure_ascii(term):
    session = term(str(SAMPLE), LANG="C", LC_ALL="C")
    screen = session.wait_for("Step 1 of 3")
    session.send("n")
    screen = session.wait_for("Step 2 of 3")
    assert screen.isascii(), [ch for ch in screen if not ch.isascii()][:10]
    assert "press h to show it" in screen


@needs_tmux
def test_no_color_and_vt100_stay_readable(term):
    session = term(str(SAMPLE), NO_COLOR="1", TERM="vt100")
    session.wait_for("Step 1 of 3")
    screen = session.wait_for("n Next")
    assert "First step" in screen
    session.send("q")
    session.wait_for("Choose a lesson")
    session.send("q")
    session.wait_for("EXITED-0", timeout=10)


@needs_tmux
def test_neuron_exercise_in_a_real_terminal(term):
    """The neuron exercise at 80x24 in tmux: a wrong answer gets the bias hint, the right one is accepted."""
    lesson_path = ROOT / "lessons" / "01-introduction.md"
    lesson = load_lesson(lesson_path).lesson
    assert lesson is not None
    of = f"of {len(lesson.steps)}"  # the header counts the lesson's steps
    step = next(n for n, s in enumerate(lesson.steps, 1) if any(q.id == "neuron-output" for q in s.questions()))
    session = term(str(lesson_path))
    session.wait_for(f"Step 1 {of}")
    session.send("l")
    session.wait_for("Steps of Introduction to deep learning")
    session.send(*["Down"] * (step - 1), "Enter")
    screen = session.wait_for(f"Step {step} {of}")
    assert "Calculate the output of one neuron" in screen
    session.type("0.25")  # the first variant's weighted sum without the bias b = 1
    session.send("Enter")
    screen = session.wait_for("Not yet")
    assert "Add the bias b = 1" in " ".join(screen.split()), screen
    session.send(*["BSpace"] * 4)
    session.type("5/4")
    session.send("Enter")
    screen = session.wait_for("Correct")
    assert "next step" in screen, screen
    # The answer is on disk the moment it is shown: quit and reopen, the lesson resumes there.
    session.send("Escape", "q", "q")  # Esc never leaves the lesson: q to the lessons, q quits
    session.wait_for("EXITED-0", timeout=10)
    again = term(str(lesson_path))
    screen = again.wait_for(f"Step {step} {of}")
    screen = again.wait_for("Correct")
    assert "5/4" in screen
