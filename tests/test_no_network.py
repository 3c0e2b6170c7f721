"""No network: login nodes may have none, and the tutor must never phone home.

1. The app, the lesson data (shipped with the tutor: penguins, weather, digits) and a real
   training run work inside a network namespace without usable interfaces (`unshare -n`:
   only a loopback device that is down).
2. A Python audit hook around a whole pilot session (start, open the lesson, answer the
   neuron exercise) and a real XOR training run records every socket, name-lookup and
   HTTP event: none may be an internet (AF_INET/AF_INET6) connect, bind or send, and there
   must be no host-name lookup at all.

What the hook sees on a healthy run (Python 3.11, Textual 8.2.8, TensorFlow 2.21): two AF_UNIX
sockets (asyncio's self-pipe socketpair in the app), and, while TensorFlow imports (its legacy
Keras callbacks import `requests`, which imports urllib3), one AF_INET6 socket bound to
("::1", 0) and closed: urllib3's IPv6-support probe. That probe sends nothing and keeps no
port; it is the only INET socket use allowed. No getaddrinfo, no connect.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tmux_session import Tmux, needs_tmux

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "sample" / "sample.md"

XOR_RUN = textwrap.dedent(
    """
    from tui_tutor.lesson.model import LayerSpec, TrainSpec
    from tui_tutor.training.runner import TrainingRun

    def xor_run(epochs=60):
        spec = TrainSpec(id="xor", line=1, dataset="xor",
                         layers=(LayerSpec(4, "tanh"), LayerSpec(1, "sigmoid")),
                         loss="binary_crossentropy", optimizer="adam", learning_rate=0.1,
                         epochs=epochs, batch_size=4, seed=1)
        events = []
        final = TrainingRun(spec, events.append, threads=1, max_seconds=60).run()
        return final, [type(e).__name__ for e in events]
    """
)


def _unshare_prefix() -> list[str] | None:
    """`unshare -n` (root) or `unshare -rn` (user namespaces), whichever works here; None if neither."""
    if shutil.which("unshare") is None:
        return None
    for prefix in (["unshare", "-n"], ["unshare", "-r", "-n"]):
        try:
            probe = subprocess.run([*prefix, "cat", "/proc/self/net/dev"], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return prefix
    return None


UNSHARE = _unshare_prefix()
needs_unshare = pytest.mark.skipif(UNSHARE is None, reason="cannot create a network namespace here (unshare -n needs root or user namespaces)")


def _python_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TUI_TUTOR_DATA_DIR=str(tmp_path / "data"), LANG="C.UTF-8")
    env.pop("TEXTUAL", None)  # no devtools connection
    return env


@needs_unshare
def test_the_namespace_really_has_no_network():
    """Guard for the two tests below: inside, no interface is up and nothing can be reached."""
    probe = subprocess.run(
        [*UNSHARE, sys.executable, "-c",
         "import socket\n"
         "print(open('/proc/self/net/dev').read())\n"
         "for target in [('127.0.0.1', 9), ('192.0.2.1', 80)]:\n"
         "    try:\n"
         "        socket.create_connection(target, timeout=2); print('REACHED', target)\n"
         "    except OSError as exc: print('unreachable', target, exc.errno)\n"],
        capture_output=True, text=True, timeout=30,
    )
    assert probe.returncode == 0, probe.stderr
    interfaces = [line.split(":")[0].strip() for line in probe.stdout.splitlines() if ":" in line and "|" not in line]
    assert interfaces == ["lo"], probe.stdout
    assert "REACHED" not in probe.stdout, probe.stdout


@pytest.mark.e2e
@needs_tmux
@needs_unshare
def test_app_opens_a_lesson_without_network(tmp_path):
    tutor = f"{sys.executable} -m tui_tutor"
    session = Tmux(f"cd {ROOT} && {' '.join(UNSHARE)} {tutor} {SAMPLE}",
                   env={"TERM": "xterm-256color", "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT),
                        "TUI_TUTOR_DATA_DIR": str(tmp_path / "data")})
    try:
        session.wait_for("Step 1 of 3")
        session.send("n")
        session.wait_for("Step 2 of 3")
        session.send("h")
        session.wait_for("Hint number one")
        session.send("C-q")
        screen = session.wait_for("EXITED-", timeout=10)
        assert "EXITED-0" in screen, screen
    finally:
        session.close()


@needs_unshare
def test_lesson_data_loads_without_network(tmp_path):
    """The penguins, weather and digits data ship with the tutor (tui_tutor/training/data):
    they load, and the install check finds them whole, with no network at all."""
    code = textwrap.dedent(
        """
        import json
        from tui_tutor.training import datasets
        shapes = {name: list(datasets.load(name)[0].shape) for name in ("penguins", "weather", "digits")}
        status = {s.path.name: [s.rows, s.problem] for s in datasets.data_status()}
        print(json.dumps({"shapes": shapes, "status": status}))
        """
    )
    result = subprocess.run([*UNSHARE, sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env=_python_env(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["shapes"] == {"penguins": [344, 4], "weather": [1460, 6], "digits": [1797, 8, 8, 1]}
    assert report["status"] == {"penguins.csv": [344, ""], "seattle-weather.csv": [1461, ""], "digits.csv.gz": [1797, ""]}


@pytest.mark.tf
@needs_unshare
def test_training_runs_without_network(tmp_path):
    code = XOR_RUN + textwrap.dedent(
        """
        import json
        final, names = xor_run()
        print(json.dumps({"final": type(final).__name__, "events": names,
                          "loss": getattr(final, "history", {}).get("loss", []),
                          "message": getattr(final, "message", "")}))
        """
    )
    result = subprocess.run([*UNSHARE, sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=180, env=_python_env(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["final"] == "Finished", report
    assert report["events"][:3] == ["Loading", "Loaded", "Started"], report["events"]
    assert report["loss"][-1] < report["loss"][0], report["loss"]


AUDITED_SESSION = XOR_RUN + textwrap.dedent(
    """
    import asyncio, json, socket, sys
    from pathlib import Path

    NET_FAMILIES = {int(socket.AF_INET), int(socket.AF_INET6)}
    LOOKUPS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
               "socket.gethostbyaddr", "socket.getnameinfo"}
    SOCKET_USE = {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"}
    seen = []

    def audit(event, args):
        try:
            if event in LOOKUPS:
                seen.append({"event": event, "args": repr(args)[:200], "internet": True})
            elif event in SOCKET_USE:
                family = int(getattr(args[0], "family", -1))
                address = args[1] if len(args) > 1 else None
                # urllib3 (imported by TensorFlow through requests) probes for IPv6 support by
                # binding a socket to ("::1", 0) and closing it: loopback, no packet, no port kept.
                probe = (event == "socket.bind" and isinstance(address, tuple) and len(address) >= 2
                         and address[0] in ("::1", "127.0.0.1") and address[1] == 0)
                seen.append({"event": event, "family": family, "args": repr(address)[:200],
                             "internet": family in NET_FAMILIES and not probe})
            elif event == "socket.__new__":
                family = int(args[1]) if len(args) > 1 and args[1] is not None else -1
                # Creating a socket sends nothing; what it is used for is judged above.
                seen.append({"event": event, "family": family, "internet": False})
            elif event.startswith(("http.client.", "urllib.", "ftplib.", "smtplib.", "webbrowser")):
                seen.append({"event": event, "args": repr(args)[:200], "internet": True})
        except Exception:  # an audit hook must never break the audited call
            pass

    sys.addaudithook(audit)

    from tui_tutor.lesson.catalog import bundled_lessons_dir
    from tui_tutor.ui.app import AppOptions, TutorApp

    sys.path.insert(0, sys.argv[2])  # tests/, for the suite's one screen-text helper
    from screen_text import screen_text as text

    async def session(data_dir):
        options = AppOptions(lesson_paths=[bundled_lessons_dir()], data_dir=data_dir, learner="tester")
        app = TutorApp(options)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "Choose a lesson" in text(app), text(app)
            await pilot.press("enter")
            await pilot.pause()
            titles = [s.title for s in app.screen.lesson.steps]
            await pilot.press("l")
            await pilot.pause()
            await pilot.press(*["down"] * titles.index("Exercise: one neuron by hand"), "enter")
            await pilot.pause()
            # The step opens with its answer field focused: the learner just types.
            await pilot.press("1", "full_stop", "2", "5")
            await pilot.pause()
            await pilot.press("enter")
            for _ in range(20):  # the verdict is drawn and scrolled into view after a refresh
                await pilot.pause(0.05)
                shown = text(app)
                if "Correct" in shown:
                    break
            step = titles[app.screen.index]
            await pilot.press("ctrl+q")
        return shown, step

    shown, step = asyncio.run(session(Path(sys.argv[1])))
    final, names = xor_run(40)
    print(json.dumps({"screen": shown, "step": step, "final": type(final).__name__,
                      "message": getattr(final, "message", ""), "seen": seen}))
    """
)


@pytest.mark.tf
@pytest.mark.slow
def test_session_and_training_try_no_network(tmp_path):
    result = subprocess.run([sys.executable, "-c", AUDITED_SESSION, str(tmp_path / "data"), str(ROOT / "tests")],
                            capture_output=True, text=True, timeout=180, env=_python_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # The audited run did what a learner does: the exercise was answered and checked, XOR trained.
    assert report["step"] == "Exercise: one neuron by hand", report["step"]
    assert "Correct" in report["screen"], report["screen"]
    assert report["final"] == "Finished", report
    internet = [event for event in report["seen"] if event["internet"]]
    assert internet == [], f"network activity: {internet}\nall socket events: {report['seen']}"
