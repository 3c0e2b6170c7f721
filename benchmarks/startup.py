"""Time from process start to the first lesson frame, in a real pty, next to a minimal Textual app.

Each run starts a fresh interpreter on a pseudo-terminal of 80x24 and waits until a marker
text appears in what the program writes: for tui-tutor the first step's counter
("Step 1 of"), for the minimal app its label. Medians of several runs, printed as one table.

    .venv/bin/python benchmarks/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import fcntl
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MINIMAL_APP = """
from textual.app import App
from textual.widgets import Footer, Header, Label
class Minimal(App):
    def compose(self):
        yield Header()
        yield Label("MINIMAL-READY")
        yield Footer()
Minimal().run()
"""


def time_to_marker(argv: list[str], marker: bytes, env: dict, timeout: float = 30.0) -> float:
    """Seconds from fork to `marker` appearing on the pty; the child is then killed."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    seen = b""
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen = (seen + chunk)[-200_000:]
            if marker in seen:
                return time.perf_counter() - start
            if b"\x1b[6n" in chunk:  # answer a cursor-position query if one is asked
                os.write(fd, b"\x1b[1;1R")
        raise RuntimeError(f"marker {marker!r} not seen within {timeout}s")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    python = sys.executable
    data = tempfile.mkdtemp(prefix="tui-tutor-bench-")
    env = dict(os.environ, TERM="xterm-256color", TUI_TUTOR_DATA_DIR=data, LANG="C.UTF-8", TEXTUAL_ANIMATIONS="none")
    # An installed package has its bytecode; without this, a source file edited since its .pyc
    # was written is compiled again on every start (several ms for a large module) and the
    # timing measures the working tree's state, not the app. The warm-up run writes the .pyc.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    lesson = str(ROOT / "lessons" / "01-introduction.md")
    cases = [
        ("minimal Textual app (Header+Label+Footer)", [python, "-c", MINIMAL_APP], b"MINIMAL-READY"),
        ("tui-tutor, picker (bundled lessons)", [python, "-m", "tui_tutor"], b"Choose a lesson"),
        ("tui-tutor, first lesson frame (file)", [python, "-m", "tui_tutor", lesson], b"Step 1 of"),
    ]
    times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for _name, argv, marker in cases:  # warm the file cache (and write any stale .pyc) once
        time_to_marker(argv, marker, env)
    for _ in range(args.runs):
        for name, argv, marker in cases:  # interleave so load on the machine hits all cases alike
            times[name].append(time_to_marker(argv, marker, env))
    base = statistics.median(times[cases[0][0]])
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Start-up to first frame, 80x24 pty, median of {args.runs} runs (load average {load})")
    print(f"{'case':<44} {'median s':>9} {'min s':>7} {'x minimal':>10}")
    for name, _, _ in cases:
        med = statistics.median(times[name])
        print(f"{name:<44} {med:>9.3f} {min(times[name]):>7.3f} {med / base:>10.2f}")
    print("goal: lesson picker and first lesson frame each <= 1.3x the minimal app")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
