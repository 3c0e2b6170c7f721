"""What tui-tutor costs a shared login node and a slow SSH link, printed as one table.

Every case runs the installed `tui-tutor` on a pseudo-terminal of 80x24 that this script owns,
so every byte the app writes to the terminal is counted; CPU time and memory come from
/proc/<pid>. Rows:

* idle on a lesson step (the neuron exercise, reached with `n` through the plot and widget
  steps) for --idle seconds (default 60): CPU % of one core and bytes written;
* the same with half an answer typed in the answer field (a blinking cursor costs bytes);
* RSS on that step, before TensorFlow is loaded; and RSS and CPU time used after the "Check
  your installation" step has loaded TensorFlow (sites kill login-node processes after 1 to
  20 CPU-minutes);
* bytes written for one scripted session (step through the lesson, hold `+` on the neuron
  explorer, answer the exercise twice, jump with the step list, quit), without and with
  `--low-bandwidth` (median of --runs), raw and compressed with zlib as `ssh -C` would;
* start-up to the first lesson frame, locally and through `ssh -tt` to a throwaway sshd on
  127.0.0.1 (median of --runs; needs root and openssh-server, else the row says why).

    .venv/bin/python benchmarks/login_node.py [--idle 60] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from sshd_harness import PtyApp, SshServer, missing_reason, pids_with_env, remote_tutor, tutor_command, wait_gone  # noqa: E402

LESSON = ROOT / "lessons" / "01-introduction.md"
TAB, ENTER, CTRL_U, CTRL_Q, DOWN = b"\t", b"\r", b"\x15", b"\x11", b"\x1b[B"


def step_index(title: str) -> int:
    from tui_tutor.lesson.loader import load_lesson

    return [s.title for s in load_lesson(LESSON).lesson.steps].index(title) + 1


def base_env(data: str) -> dict[str, str]:
    env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", TUI_TUTOR_DATA_DIR=data)
    for var in ("TEXTUAL", "TEXTUAL_FPS", "TEXTUAL_COLOR_SYSTEM", "NO_COLOR"):
        env.pop(var, None)
    return env


def fresh_dir() -> str:
    return tempfile.mkdtemp(prefix="tt-bench-")


def walk_to(app: PtyApp, target: int) -> None:
    app.wait_for(b"Step 1 of")
    for step in range(2, target + 1):
        app.send(b"n", pause=0)
        app.wait_for(f"Step {step} of".encode(), timeout=60)


def idle(app: PtyApp, seconds: float) -> tuple[float, float, int]:
    """(CPU % of one core from utime+stime, the same from exact scheduler time, bytes written)
    over `seconds` of no input."""
    cpu0, ns0, t0 = app.cpu_seconds(), app.cpu_ns(), time.monotonic()
    written = app.read_for(seconds)
    elapsed = time.monotonic() - t0
    return 100.0 * (app.cpu_seconds() - cpu0) / elapsed, 100.0 * (app.cpu_ns() - ns0) / 1e9 / elapsed, written


def idle_cases(seconds: float) -> dict[str, str]:
    rows: dict[str, str] = {}
    neuron = step_index("Exercise: one neuron by hand")
    data = fresh_dir()
    with PtyApp(tutor_command(str(LESSON)), base_env(data)) as app:
        app.wait_for(b"Step 1 of")
        for step in range(2, neuron + 1):  # a reading pace for the last steps, as a learner
            if step >= neuron - 1:
                app.read_for(3.0)
            app.send(b"n", pause=0)
            app.wait_for(f"Step {step} of".encode(), timeout=60)
        app.settle(quiet=1.0)
        cpu, exact, written = idle(app, seconds)
        rows[f"idle {seconds:g} s on a lesson step: CPU % of one core (utime+stime)"] = f"{cpu:.2f}"
        rows[f"idle {seconds:g} s on a lesson step: CPU % of one core (schedstat)"] = f"{exact:.3f}"
        rows[f"idle {seconds:g} s on a lesson step: bytes written"] = f"{written}"
        rows["RSS on a lesson step, TensorFlow not loaded (MB)"] = f"{app.rss_mb():.1f}"
        assert "tensorflow" not in app.maps()
        app.send(TAB, pause=0.5)  # into the answer field: its cursor blinks, if it blinks
        app.send(b"1", pause=0.5)
        cpu, exact, written = idle(app, seconds)
        rows[f"idle {seconds:g} s in the answer field: CPU % of one core (utime+stime)"] = f"{cpu:.2f}"
        rows[f"idle {seconds:g} s in the answer field: bytes written"] = f"{written}"
    shutil.rmtree(data, ignore_errors=True)
    return rows


def after_tf() -> tuple[str, str]:
    """Walk to the install-check step (it imports TensorFlow in a worker) and let it report:
    (RSS in MB, CPU seconds the tutor process has used by then)."""
    data = fresh_dir()
    target = step_index("Check your installation")
    with PtyApp(tutor_command(str(LESSON)), base_env(data)) as app:
        walk_to(app, target)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "tensorflow" not in app.maps():
            app.read_for(0.2)
        app.read_for(3.0)  # the import finishes and the widget reports
        app.settle(quiet=1.0, timeout=120)
        rss, cpu = app.rss_mb(), app.cpu_seconds()
    shutil.rmtree(data, ignore_errors=True)
    return f"{rss:.0f}", f"{cpu:.1f}"


def calm(app: PtyApp) -> None:
    """Wait until the screen is still (at most 5 s: a blinking cursor never is)."""
    try:
        app.settle(quiet=0.5, timeout=5.0)
    except AssertionError:
        pass


def scripted_session(low_bandwidth: bool) -> tuple[int, int]:
    """(bytes written, the same compressed with zlib as `ssh -C` would) for a fixed key
    sequence; every step waits for its result, so both runs see the same screens; the bursts
    of `+` come at key-repeat speed (30 per second)."""
    data = fresh_dir()
    args = ["--low-bandwidth"] if low_bandwidth else []
    explore = step_index("Explore a neuron")
    with PtyApp(tutor_command(*args, str(LESSON)), base_env(data), keep=True) as app:
        walk_to(app, explore)
        calm(app)
        for key in (b"+", b"-"):  # hold a key down on the neuron explorer
            for _ in range(20):
                app.send(key, pause=1 / 30)
            calm(app)
        app.send(b"n", pause=0)
        app.wait_for(f"Step {explore + 1} of".encode())
        calm(app)
        app.send(TAB, pause=0.3)
        app.send(b"0.25", pause=0.2)
        app.send(ENTER, pause=0)
        app.wait_for(b"Not yet")
        calm(app)
        app.send(CTRL_U, pause=0.2)  # separate reads: Textual 8.2.8 drops text that arrives with Ctrl+U
        app.send(b"1.25", pause=0.2)
        app.send(ENTER, pause=0)
        app.wait_for(b"Correct")
        calm(app)
        app.send(b"l", pause=0)
        app.wait_for(b"you are here")
        for _ in range(3):
            app.send(DOWN, pause=0.1)
        app.send(ENTER, pause=0)
        app.wait_for(f"Step {explore + 4} of".encode())
        calm(app)
        app.send(CTRL_Q, pause=0)
        try:
            app.read_for(5.0)
        except EOFError:
            pass
        total, packed = app.total_bytes, len(zlib.compress(bytes(app.output), 6))
    shutil.rmtree(data, ignore_errors=True)
    return total, packed


def startup_local(runs: int) -> float:
    times = []
    for _ in range(runs):
        data = fresh_dir()
        with PtyApp(tutor_command(str(LESSON)), base_env(data)) as app:
            times.append(app.wait_for(b"Step 1 of"))
        shutil.rmtree(data, ignore_errors=True)
    return statistics.median(times)


def startup_ssh(runs: int) -> str:
    reason = missing_reason()
    if reason:
        return f"skipped: {reason}"
    times = []
    with SshServer() as server:
        ok, why = server.login_works()
        if not ok:
            return f"skipped: cannot log in to the throwaway sshd: {why}"
        for _ in range(runs):
            data = fresh_dir()
            remote = remote_tutor(str(LESSON), env={"LANG": "C.UTF-8", "TUI_TUTOR_DATA_DIR": data})
            with PtyApp(server.ssh_argv(remote), base_env(fresh_dir())) as app:
                times.append(app.wait_for(b"Step 1 of"))
            wait_gone(pids_with_env("TUI_TUTOR_DATA_DIR", data), 10)
            shutil.rmtree(data, ignore_errors=True)
    return f"{statistics.median(times):.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=60.0, help="idle window in seconds (default 60)")
    parser.add_argument("--runs", type=int, default=3, help="runs per timed or counted case (median)")
    args = parser.parse_args()

    rows: dict[str, str] = {}
    rows.update(idle_cases(args.idle))
    rss, cpu = after_tf()
    rows["RSS after the install-check step loaded TensorFlow (MB)"] = rss
    rows["CPU time used by then, start-up and TensorFlow import (s)"] = cpu
    plain = [scripted_session(False) for _ in range(args.runs)]
    low = [scripted_session(True) for _ in range(args.runs)]
    plain_raw, low_raw = statistics.median(p[0] for p in plain), statistics.median(p[0] for p in low)
    plain_z, low_z = statistics.median(p[1] for p in plain), statistics.median(p[1] for p in low)
    rows["scripted session: bytes written, default"] = f"{plain_raw:.0f}"
    rows["scripted session: bytes written, --low-bandwidth"] = f"{low_raw:.0f} ({100 * low_raw / plain_raw:.0f}%)"
    rows["scripted session: zlib-compressed (as ssh -C), default"] = f"{plain_z:.0f} ({100 * plain_z / plain_raw:.0f}%)"
    rows["scripted session: zlib-compressed, --low-bandwidth"] = f"{low_z:.0f} ({100 * low_z / plain_raw:.0f}%)"
    rows["start-up to first lesson frame, local pty (s)"] = f"{startup_local(args.runs):.2f}"
    rows["start-up to first lesson frame, through ssh -tt (s)"] = startup_ssh(args.runs)

    width = max(len(name) for name in rows)
    print(f"tui-tutor on a login node: 80x24 pty, {os.cpu_count()} cores, medians of {args.runs} runs")
    print(f"{'measure':<{width}}  value")
    for name, value in rows.items():
        print(f"{name:<{width}}  {value}")
    print("goals: idle CPU <= 0.5% and 0 bytes; RSS before TensorFlow <= 90 MB; after a training run <= 700 MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
