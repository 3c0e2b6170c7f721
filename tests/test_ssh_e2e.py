"""End-to-end through a real sshd: what a learner on a login node sees over `ssh -tt`.

A throwaway OpenSSH server runs on 127.0.0.1 (tests/sshd_harness.py); the ssh client runs
inside tmux at 80x24, so the screen read with capture-pane is what the learner's terminal
shows. sshd forwards TERM (through the pty request) and nothing else, so LANG and the data
folder are passed on the remote command line.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from sshd_harness import ROOT, SshServer, missing_reason, pids_with_env, remote_tutor, wait_gone
from tmux_session import Tmux, needs_tmux

LESSON = ROOT / "lessons" / "01-introduction.md"
NEURON_STEP = "Exercise: one neuron by hand"
BIAS_FEEDBACK = "Add the bias"  # the targeted message for 0.25 (the weighted sum alone)

pytestmark = [pytest.mark.e2e, needs_tmux,
              pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or "")]


def _lesson_facts() -> tuple[int, int]:
    """(index of the neuron step, number of steps) of lesson 1, read with the product's loader."""
    from tui_tutor.lesson.loader import load_lesson

    lesson = load_lesson(LESSON).lesson
    titles = [step.title for step in lesson.steps]
    return titles.index(NEURON_STEP), len(titles)


@pytest.fixture(scope="module")
def sshd():
    with SshServer() as server:
        ok, why = server.login_works()
        if not ok and os.geteuid() != 0:
            pytest.skip(f"the throwaway sshd refuses {server.user} (CI runs these tests as root): {why}")
        assert ok, f"cannot log in to the throwaway sshd: {why}"
        yield server


class SshTerm:
    """One `ssh -tt` connection running tui-tutor, inside tmux at 80x24."""

    def __init__(self, server: SshServer, data_dir: Path, *args: str, term: str, lang: str = "C.UTF-8",
                 extra_env: dict[str, str] | None = None) -> None:
        self.data_dir = str(data_dir)
        env = {"LANG": lang, "TUI_TUTOR_DATA_DIR": self.data_dir, **(extra_env or {})}
        if "XDG_CACHE_HOME" in os.environ:  # sshd forwards none: the test's cache folder, not ~/.cache
            env.setdefault("XDG_CACHE_HOME", os.environ["XDG_CACHE_HOME"])
        self.started = time.monotonic()
        self.tmux = Tmux(server.ssh_command(remote_tutor(*args, env=env)), env={"TERM": term, "LANG": "C.UTF-8"})
        self.server = server

    def ssh_pid(self) -> int:
        shell = self.tmux.pane_pid()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            out = subprocess.run(["pgrep", "-P", str(shell), "-x", "ssh"], capture_output=True, text=True).stdout.split()
            if out:
                return int(out[0])
            time.sleep(0.05)
        raise AssertionError("no ssh client process under the tmux pane")

    def remote_tutor_pids(self) -> list[int]:
        return pids_with_env("TUI_TUTOR_DATA_DIR", self.data_dir)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        try:
            return self.tmux.wait_for(text, timeout)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- sshd log (tail) ---\n{self.server.log()[-1500:]}") from None

    def wait_for_re(self, pattern: str, timeout: float = 30.0) -> re.Match:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.tmux.screen()
            match = re.search(pattern, screen)
            if match:
                return match
            time.sleep(0.1)
        raise AssertionError(f"/{pattern}/ did not appear within {timeout}s; screen was:\n{screen}")

    def kill_client(self) -> None:
        """The learner's laptop drops off the network: the ssh client dies without a word."""
        pid = self.ssh_pid()
        os.kill(pid, signal.SIGKILL)
        assert wait_gone([pid], 10) == [], "the ssh client survived SIGKILL"

    def close(self) -> None:
        self.tmux.close()


@pytest.fixture
def connect(sshd, tmp_path):
    terms: list[SshTerm] = []

    def open_term(*args: str, **kwargs) -> SshTerm:
        term = SshTerm(sshd, tmp_path / "remote-data", *args, **kwargs)
        terms.append(term)
        return term

    yield open_term
    pids = sorted({pid for term in terms for pid in term.remote_tutor_pids()})
    for term in terms:
        term.close()  # the ssh clients get SIGHUP, as when a terminal window is closed
    left = wait_gone(pids, 5)
    for pid in left:  # never leave a tutor behind on the "login node"
        os.kill(pid, signal.SIGKILL)
    assert not left, f"tui-tutor still ran on the server 5 s after its ssh client was hung up: {left}"


def _footer(screen: str) -> str:
    lines = screen.rstrip("\n").splitlines()
    return lines[-1] if lines else ""


def _wait_footer(term: SshTerm, words: str, timeout: float = 10.0) -> str:
    """Keys only go where the focus is: wait until the footer shows the keys of the place we expect."""
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = term.tmux.screen()
        if words in _footer(screen):
            return screen
        time.sleep(0.05)
    raise AssertionError(f"footer never offered {words!r}; screen was:\n{screen}")


def _in_text_field(screen: str) -> bool:
    """The footer offers "Esc Commands" while a text field has the focus."""
    return "Commands" in _footer(screen)


def _wait_step(term: SshTerm, index: int, total: int) -> str:
    """Wait until the step counter says step index+1 and the step's title is on screen."""
    deadline = time.monotonic() + 30
    while True:
        screen = term.wait_for_re(rf"Step {index + 1} of {total}\b").string
        if NEURON_STEP in screen:
            return screen
        if time.monotonic() > deadline:
            raise AssertionError(f"{NEURON_STEP!r} is not on screen:\n{screen}")
        time.sleep(0.05)


def _jump_to(term: SshTerm, index: int, total: int) -> None:
    """`l` opens the step list; arrows and Enter jump (the list starts at the current step, 1)."""
    term.tmux.send("l")
    term.wait_for(NEURON_STEP)
    term.tmux.send(*["Down"] * index, delay=0.05)
    term.tmux.send("Enter")
    _wait_step(term, index, total)
    _wait_footer(term, "Check")  # the question panel has the focus


def _answer(term: SshTerm, text: str) -> None:
    """Tab into the answer field (unless already in it), clear it (Ctrl+U), type, Enter (checks)."""
    if not _in_text_field(term.tmux.screen()):
        term.tmux.send("Tab")
        _wait_footer(term, "Commands")
    term.tmux.send("C-u")
    term.tmux.type(text)
    # The field's line holds the text and nothing but borders (the prompt also says "0.25 + 1").
    term.wait_for_re(rf"(?m)^[^\w]*{re.escape(text)}[^\w]*$", timeout=10)
    term.tmux.send("Enter")


def _scroll_until(term: SshTerm, text: str, presses: int = 12, settle: float = 2.0) -> tuple[str, int]:
    """Wait up to `settle` s for `text`; if it is not in view, do what a learner does when it
    is below the fold: Esc to leave a text field, then Down to scroll. Returns the screen and
    the number of Down presses it took."""
    deadline = time.monotonic() + settle
    while True:
        screen = term.tmux.screen()
        if text in screen:
            return screen, 0
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if _in_text_field(screen):
        term.tmux.send("Escape", delay=0.2)
    for n in range(1, presses + 1):
        term.tmux.send("Down", delay=0.1)
        screen = term.tmux.screen()
        if text in screen:
            return screen, n
    raise AssertionError(f"{text!r} not found after scrolling {presses} lines; screen was:\n{screen}")


@pytest.mark.slow
@pytest.mark.parametrize("term_name", ["xterm-256color", "vt100"])
def test_neuron_exercise_over_ssh_survives_a_dropped_connection(connect, term_name):
    index, total = _lesson_facts()

    # 1. Log in, pick the first lesson, go to the neuron exercise.
    term = connect(term=term_name)
    term.wait_for("Choose a lesson")
    term.wait_for_re(r"Introduction to deep learning.*?\b0/\d+")  # nothing done yet
    term.tmux.send("Enter")
    term.wait_for(f"Step 1 of {total}")
    _jump_to(term, index, total)

    # 2. The weighted sum alone (0.25): "Not yet", with the message about the bias, in view.
    _answer(term, "0.25")
    screen, scrolled = _scroll_until(term, BIAS_FEEDBACK)
    assert "Not yet" in screen, screen
    assert scrolled == 0, f"the feedback was below the fold: {scrolled} line(s) of scrolling needed"

    # 3. The right answer: "Correct", in view.
    _answer(term, "1.25")
    screen, scrolled = _scroll_until(term, "Correct")
    assert scrolled == 0, f"the verdict was below the fold: {scrolled} line(s) of scrolling needed"
    assert BIAS_FEEDBACK not in screen, "the old feedback must go once the answer is right"
    assert f"Step {index + 1} of {total}" in screen

    # 4. The connection drops mid-lesson; the tutor on the server must not linger.
    remote = term.remote_tutor_pids()
    assert len(remote) == 1, f"expected one tutor process on the server, found {remote}"
    with open(f"/proc/{remote[0]}/environ", "rb") as fh:  # sshd passed the client's TERM on
        assert f"TERM={term_name}".encode() in fh.read().split(b"\0")
    term.kill_client()
    assert wait_gone(remote, 5) == [], "tui-tutor kept running on the server after the ssh client died"
    log = Path(term.data_dir, "tui-tutor.log")
    assert "Traceback" not in (log.read_text(errors="replace") if log.exists() else ""), log.read_text()

    # 5. Log in again: the picker counts the answer, the lesson resumes at the exercise, answer kept.
    again = connect(term=term_name)
    again.wait_for_re(r"Introduction to deep learning.*?\b1/\d+")  # one question done
    again.tmux.send("Enter")
    screen = _wait_step(again, index, total)
    assert "Step 1 of" not in screen
    again.wait_for_re(r"(?m)^[^\w]*1\.25[^\w]*$")  # the answer is back in its field
    screen, _ = _scroll_until(again, "Correct", settle=0.3)  # already drawn: the field shows 1.25
    assert "1 try" not in screen and "2 tries" in screen, screen  # both checks were recorded


def test_plain_terminal_over_ssh_gets_ascii_and_feedback_in_view(connect):
    """LANG=C (not UTF-8), TERM=vt100, NO_COLOR: pure ASCII, and the verdict shows without scrolling."""
    index, total = _lesson_facts()
    term = connect(str(LESSON), term="vt100", lang="C", extra_env={"NO_COLOR": "1"})
    screen = term.wait_for(f"Step 1 of {total}")
    assert screen.isascii(), [ch for ch in screen if not ch.isascii()][:10]
    _jump_to(term, index, total)
    _answer(term, "0.25")
    screen, scrolled = _scroll_until(term, BIAS_FEEDBACK)
    assert screen.isascii(), [ch for ch in screen if not ch.isascii()][:10]
    assert "Not yet" in screen
    assert scrolled == 0, (
        "after Enter the feedback is below the bottom of an 80x24 screen: the learner sees no reaction "
        f"until they press Esc and scroll down {scrolled} line(s)"
    )
    # A Latin-1 terminal sends one byte, 0xE9, for an e with an accent: the field takes it
    # (drawn as "?"), and the tutor goes on (Textual alone ended with UnicodeDecodeError).
    assert _in_text_field(screen), screen
    term.tmux._tmux("send-keys", "-t", term.tmux.name, "-H", "e9")
    # After a wrong answer the field's text is selected, so the byte replaces it.
    screen = term.wait_for_re(r"(?m)^[^\w]*\?[^\w]*$").string
    assert screen.isascii() and f"Step {index + 1} of {total}" in screen, screen
