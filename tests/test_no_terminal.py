"""Started without a terminal (`ssh host tui-tutor` without -t, `tui-tutor </dev/null`,
`tui-tutor | cat`): one clear line and exit status 2, never a traceback or a hang. The
subcommands that print (`validate`, `progress`) still work in pipes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui_tutor.cli import NO_TERMINAL

pytestmark = pytest.mark.e2e  # real ptys and pipes

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 60  # generous: a hang fails the test instead of blocking the suite


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "TMUX", "STY"))}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", TUI_TUTOR_DATA_DIR=str(tmp_path / "data"))
    return env


def _tutor(args: list[str], tmp_path: Path, *, stdin, stdout) -> tuple[int, str]:
    """Run the tutor with the given stdin and stdout; (exit status, what it wrote on stderr)."""
    result = subprocess.run([sys.executable, "-m", "tui_tutor", *args], stdin=stdin, stdout=stdout,
                            stderr=subprocess.PIPE, cwd=ROOT, env=_env(tmp_path), timeout=TIMEOUT)
    return result.returncode, result.stderr.decode("utf-8", "replace")


def _assert_one_clear_line(code: int, err: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err, err
    assert err.strip().splitlines() == [NO_TERMINAL], err
    assert "\x1b" not in err, "no escape sequences"


@pytest.mark.parametrize("args", [[], ["review"], ["lessons/01-introduction.md"]])
def test_stdin_not_a_terminal(tmp_path, args):
    """`tui-tutor </dev/null` with the screen still on a terminal (a pty here)."""
    leader, follower = os.openpty()
    try:
        with open(os.devnull, "rb") as devnull:
            code, err = _tutor(args, tmp_path, stdin=devnull, stdout=follower)
    finally:
        os.close(follower)
        os.set_blocking(leader, False)
        try:
            written = os.read(leader, 65536)
        except OSError:  # nothing written: EAGAIN, or EIO once the last writer closed
            written = b""
        os.close(leader)
    _assert_one_clear_line(code, err)
    assert b"\x1b" not in written, "nothing drawn on the terminal"


def test_stdout_a_pipe(tmp_path):
    """`tui-tutor | cat` with the keys still coming from a terminal (a pty here)."""
    leader, follower = os.openpty()
    try:
        code, err = _tutor([], tmp_path, stdin=follower, stdout=subprocess.PIPE)
    finally:
        os.close(follower)
        os.close(leader)
    _assert_one_clear_line(code, err)


def test_through_a_shell_pipe(tmp_path):
    """What `ssh host tui-tutor` without -t gives: no terminal on either side."""
    script = f'{sys.executable} -m tui_tutor </dev/null | cat; exit "${{PIPESTATUS[0]}}"'
    result = subprocess.run(["bash", "-c", script], capture_output=True, cwd=ROOT, env=_env(tmp_path), timeout=TIMEOUT)
    assert result.stdout == b""
    _assert_one_clear_line(result.returncode, result.stderr.decode())
    result = subprocess.run([sys.executable, "-m", "tui_tutor"], stdin=subprocess.DEVNULL, capture_output=True,
                            cwd=ROOT, env=_env(tmp_path), timeout=TIMEOUT)
    _assert_one_clear_line(result.returncode, result.stderr.decode())


def test_validate_and_progress_work_in_pipes(tmp_path):
    code = subprocess.run(f"{sys.executable} -m tui_tutor validate lessons </dev/null | cat", shell=True,
                          capture_output=True, text=True, cwd=ROOT, env=_env(tmp_path), timeout=TIMEOUT)
    assert code.returncode == 0 and "no problems" in code.stdout, code.stdout + code.stderr
    for args in (["progress"], ["progress", "--export", "csv"]):
        result = subprocess.run([sys.executable, "-m", "tui_tutor", *args], stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, cwd=ROOT, env=_env(tmp_path), timeout=TIMEOUT)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr and NO_TERMINAL not in result.stderr
