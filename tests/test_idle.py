"""Idle costs nothing: a learner reading a step, thinking over an answer or away at lunch must
not cost the login node CPU, nor the SSH link bytes. And the app stays small until a training
step loads TensorFlow.

The app runs on a pseudo-terminal this test owns (80x24), so every byte it writes to the
terminal is counted; CPU time, wake-ups (voluntary context switches of all its threads) and
memory come from /proc/<pid>. One app is started for the module and walked to the neuron
exercise at a reading pace (a step every ~1.5 s: anything that counts down or animates after
a step change gets its chance to show). The windows here are short to keep CI fast;
benchmarks/login_node.py measures 60 s. Those tests share an xdist group: one worker runs
them one after the other, on the one app.

The quiet input thread rests on Textual internals (tui_tutor/ui/terminal.py,
`TEXTUAL_INTERNALS`). Two quick tests without a terminal guard it: one pins the source of
every internal it uses, one counts the thread's wake-ups while nobody types.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import inspect
import os
import queue
import signal
import sys
import threading
import time

import pytest
import textual

from sshd_harness import ROOT, PtyApp, tutor_command
from tui_tutor.ui.terminal import TEXTUAL_INTERNALS, QuietDriver

LESSON = ROOT / "lessons" / "01-introduction.md"
SAMPLE = ROOT / "tests" / "data" / "sample" / "sample.md"
IDLE_SECONDS = 10.0
FIELD_IDLE_SECONDS = 5.0
READING_PACE = 1.5  # seconds on each step before `n`
MAX_IDLE_CPU_PERCENT = 0.5
MAX_RSS_MB_BEFORE_TF = 90.0
#: Wake-ups allowed in an idle window (measured: 0 in 10 s). Textual's own input thread, which
#: polls every 0.1 s, makes ~100 in 10 s at 0.2 % of a core: under the CPU bound, not under this.
MAX_IDLE_WAKEUPS = 5

#: The Textual version whose internals QuietDriver was last checked against, and the SHA-256
#: (first 16 hex digits) of each internal's source then. See `test_textual_internals_are_the_checked_ones`.
CHECKED_TEXTUAL = "8.2.8"
CHECKED_SOURCES = {
    "textual.driver.Driver.__init__": "045ee24b9ab0f865",
    "textual.drivers.linux_driver.LinuxDriver.__init__": "671887bbf938d1d8",
    "textual.drivers.linux_driver.LinuxDriver.start_application_mode": "7c41f5ba11a8ef05",
    "textual.drivers.linux_driver.LinuxDriver.disable_input": "6154c5a7c1743fe9",
    "textual.drivers.linux_driver.LinuxDriver.run_input_thread": "d796af6d69db337d",
    "textual.drivers.linux_driver.LinuxDriver._run_input_thread": "d2ef22cc2c97a9eb",
    "textual.drivers._writer_thread.WriterThread": "411a9202bed5a877",
    "textual._parser.Parser": "5e97a0be1bb08455",
    "textual._xterm_parser.XTermParser.__init__": "d72babb3e40ab7da",
    "textual._time": "eaec17624b89a8db",
    "textual.driver.Driver.send_message": "4ecf73a431b20ace",
    "textual.app.App.on_event": "3dbf14d694916fe3",
}



def on_a_pty(test):
    """Marks a test that runs the tutor on a pty: end to end, and in the one xdist group "idle"."""
    return pytest.mark.e2e(pytest.mark.xdist_group("idle")(test))


def _env(data_dir) -> dict[str, str]:
    env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", TUI_TUTOR_DATA_DIR=str(data_dir))
    for var in ("TEXTUAL", "TEXTUAL_FPS", "TEXTUAL_COLOR_SYSTEM", "NO_COLOR"):
        env.pop(var, None)
    return env


def _step_of_neuron_exercise() -> int:
    from tui_tutor.lesson.loader import load_lesson

    return [s.title for s in load_lesson(LESSON).lesson.steps].index("Exercise: one neuron by hand") + 1


def _idle(app: PtyApp, seconds: float) -> tuple[float, int, int, float]:
    """(CPU % of one core, bytes written, wake-ups, seconds) while nobody touches a key."""
    cpu_before, wakeups_before, t_before = app.cpu_seconds(), app.wakeups(), time.monotonic()
    written = app.read_for(seconds)
    elapsed = time.monotonic() - t_before
    return 100.0 * (app.cpu_seconds() - cpu_before) / elapsed, written, app.wakeups() - wakeups_before, elapsed


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


@on_a_pty
@pytest.mark.slow  # with the walk to the exercise: ~30 s for the three
def test_idle_on_a_lesson_step_costs_no_cpu_and_no_bytes(on_neuron_step):
    percent, written, wakeups, elapsed = _idle(on_neuron_step, IDLE_SECONDS)
    assert written == 0, (
        f"an idle lesson screen wrote {written} bytes to the terminal in {elapsed:.1f} s; last output: "
        f"{on_neuron_step.tail[-300:]!r}"
    )
    assert wakeups <= MAX_IDLE_WAKEUPS, f"the idle tutor's threads woke {wakeups} times in {elapsed:.1f} s"
    assert percent <= MAX_IDLE_CPU_PERCENT, f"idle CPU {percent:.2f}% of one core over {elapsed:.1f} s"


@on_a_pty
@pytest.mark.slow  # with the walk to the exercise: ~30 s for the three
def test_memory_before_tensorflow_stays_small(on_neuron_step):
    """The whole UI up to the first exercise is built; TensorFlow is not loaded."""
    assert "tensorflow" not in on_neuron_step.maps(), "TensorFlow was loaded although no training step was opened"
    rss = on_neuron_step.rss_mb()
    assert rss <= MAX_RSS_MB_BEFORE_TF, f"RSS {rss:.0f} MB on a lesson screen before TensorFlow"


@on_a_pty
@pytest.mark.slow  # with the walk to the exercise: ~30 s for the three
def test_idle_in_the_answer_field_costs_no_cpu_and_no_bytes(on_neuron_step):
    """A learner who Tabbed into the field and is thinking (or went to lunch) mid-answer."""
    app = on_neuron_step
    app.send(b"\t", pause=0.5)
    app.send(b"1", pause=0.5)  # half an answer
    percent, written, wakeups, elapsed = _idle(app, FIELD_IDLE_SECONDS)
    assert written == 0, (
        f"idle in the answer field wrote {written} bytes in {elapsed:.1f} s "
        f"({written / elapsed:.0f} B/s: a blinking cursor is redrawn over the link)"
    )
    assert wakeups <= MAX_IDLE_WAKEUPS, f"the tutor's threads woke {wakeups} times in {elapsed:.1f} s"
    assert percent <= MAX_IDLE_CPU_PERCENT, f"idle CPU {percent:.2f}% of one core over {elapsed:.1f} s"


@on_a_pty
def test_a_lone_escape_still_arrives(tmp_path):
    """The input thread sleeps until a key comes; a lone Escape must still be delivered on its
    own (after the ~0.1 s wait for a longer escape sequence), not only when the next key comes."""
    with PtyApp(tutor_command(str(SAMPLE)), _env(tmp_path / "data")) as app:
        app.wait_for(b"Step 1 of")
        app.settle(quiet=0.3)
        app.send(b"\x1bOP", pause=0)  # F1: the help screen (pause=0: wait_for sees only output after it)
        app.wait_for(b"Keys (every action")
        app.settle(quiet=0.3)
        app.send(b"\x1b", pause=0)  # one Escape, nothing after it: the help closes
        app.wait_for(b"Step 1 of", timeout=5)


# -- the quiet input thread and the Textual internals it rests on ------------------------------

def _resolve(dotted: str) -> object:
    """The module, class or function a dotted name points at."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            found = getattr(found, attr)
        return found
    raise ImportError(dotted)


def _fingerprint(dotted: str) -> str:
    try:
        source = inspect.getsource(_resolve(dotted))  # type: ignore[arg-type]
    except (ImportError, AttributeError, OSError, TypeError) as exc:
        return f"gone ({type(exc).__name__})"
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def test_textual_internals_are_the_checked_ones():
    """QuietDriver uses Textual internals that may change in any release. If one changed (its
    source differs from the one checked), read the new source against what the driver needs
    (`TEXTUAL_INTERNALS` says what, for each), fix tui_tutor/ui/terminal.py if needed, run
    tests/test_idle.py, then record the new version and fingerprints here."""
    assert set(CHECKED_SOURCES) == set(TEXTUAL_INTERNALS), "pin exactly the internals the driver lists"
    changed = {name: _fingerprint(name) for name in CHECKED_SOURCES}
    changed = {name: now for name, now in changed.items() if now != CHECKED_SOURCES[name]}
    assert not changed, (
        f"Textual {textual.__version__} differs from {CHECKED_TEXTUAL}, against which QuietDriver was checked, in: "
        + "; ".join(f"{name} (now {now}): {TEXTUAL_INTERNALS[name]}" for name, now in changed.items())
    )


class _RecordingDriver(QuietDriver):
    """The quiet driver reading a pipe, keeping the keys it parsed instead of sending them to an app."""

    def __init__(self) -> None:
        super().__init__(app=None)
        self.received: queue.Queue = queue.Queue()

    def process_message(self, message) -> None:
        self.received.put(message)

    def next_key(self) -> str:
        return self.received.get(timeout=5).key


@pytest.fixture
async def input_thread(monkeypatch):
    """A QuietDriver's input thread reading a pipe: (driver, the pipe's write end, the thread).
    Async: a driver is made inside the app's event loop."""
    read_fd, write_fd = os.pipe()
    stdin = open(read_fd, closefd=False)  # closed below
    monkeypatch.setattr(sys, "__stdin__", stdin)  # the driver reads sys.__stdin__
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTSTP, signal.SIGCONT)}  # the driver sets them
    driver = _RecordingDriver()
    thread = threading.Thread(target=driver.run_input_thread, daemon=True)
    thread.start()
    try:
        yield driver, write_fd, thread
    finally:
        driver.exit_event.set()
        thread.join(5)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        stdin.close()
        os.close(read_fd)
        try:
            os.close(write_fd)
        except OSError:
            pass


async def test_the_input_thread_sleeps_until_a_key_comes(input_thread):
    """The wake-ups of the thread itself, counted by the driver: none while nobody types (Textual's
    own thread: 5 in this half second), one per key, two for a lone Escape (its deadline)."""
    driver, keys, thread = input_thread
    await asyncio.sleep(0.5)
    assert driver.input_wakeups == 0 and not driver.polling
    os.write(keys, b"a")
    assert driver.next_key() == "a"
    os.write(keys, b"\x1b")  # a lone Escape: delivered when the wait for a longer sequence ends
    assert driver.next_key() == "escape"
    assert not driver.polling, "the parser's escape deadline was not found: the thread polls"
    woken = driver.input_wakeups
    assert woken <= 3, f"{woken} wake-ups for two keys"
    await asyncio.sleep(0.5)
    assert driver.input_wakeups == woken, "the thread woke with no key"
    driver.exit_event.set()  # the app stops: the thread ends at once
    thread.join(5)
    assert not thread.is_alive()


async def test_the_input_thread_ends_when_input_ends(input_thread):
    """A hung-up terminal (end of input) ends the thread instead of waking it for ever."""
    driver, keys, thread = input_thread
    os.write(keys, b"q")
    assert driver.next_key() == "q"
    os.close(keys)
    thread.join(5)
    assert not thread.is_alive()
    assert driver.input_wakeups <= 3
