"""Started without a terminal (`ssh host tui-tutor` without -t, `tui-tutor </dev/null`,
`tui-tutor | cat`): the plain line mode (tui_tutor/line), never a traceback, a hang or an
escape sequence. With nothing at all to read (stdin at its end from the start) one clear
line on stderr and exit status 2. The subcommands that print (`validate`, `progress`) still
work in pipes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui_tutor.line.app import NOTHING_TO_READ

pytestmark = pytest.mark.e2e  # real ptys and pipes

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 60  # generous: a hang fails the test instead of blocking the suite


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "TMUX", "STY", "TUI_TUTOR_LINE"))}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", TUI_TUTOR_DATA_DIR=str(tmp_path / "data"))
    env.pop("INSIDE_EMACS", None)
    return env


def _tutor(args: list[str], tmp_path: Path, *, stdin, stdout) -> tuple[int, str]:
    """Run the tutor with the given stdin and stdout; (exit status, what it wrote on stderr)."""
    result = subprocess.run([sys.executable, "-m", "tui_tutor", *args], stdin=stdin, stdout=stdout,
                            stderr=subprocess.PIPE, cwd=ROOT, env=_env(tmp_path), timeout=TIMEOUT)
    return result.returncode, result.stderr.decode("utf-8", "replace")


def _assert_nothing_to_read(code: int, err: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err, err
    assert err.strip().splitlines() == [NOTHING_TO_READ], err
    assert "\x1b" not in err, "no escape sequences"


@pytest.mark.parametrize("args", [[], ["review"], ["lessons/01-introduction.md"]])
def test_stdin_at_its_end(tmp_path, args):
    """`tui-tutor </dev/null` with the screen still on a terminal (a pty here): nothing to read."""
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
    _assert_nothing_to_read(code, err)
    assert b"\x1b" not in written, "nothing drawn on the terminal"


def test_stdout_a_pipe_gives_line_mode(tmp_path):
    """`tui-tutor | cat` with the keys still coming from a terminal (a pty here)."""
    leader, follower = os.openpty()
    try:
        os.write(leader, b"quit\n")
        proc = subprocess.run([sys.executable, "-m", "tui_tutor", "lessons/01-introduction.md"], stdin=follower,
                              capture_output=True, cwd=ROOT, env=_env(tmp_path),
                              timeout=TIMEOUT)
    finally:
        os.close(follower)
        os.close(leader)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(b"Line mode (stdout is not a terminal). Type help for commands.")
    assert b"Step 1 of" in proc.stdout
    assert b"\x1b" not in proc.stdout and b"Traceback" not in proc.stderr


def test_through_a_shell_pipe(tmp_path):
    """What `ssh host tui-tutor` without -t gives: no terminal on either side."""
    script = f'{sys.executable} -m tui_tutor </dev/null | cat; exit "${{PIPESTATUS[0]}}"'
    result = subprocess.run(["bash", "-c", script], capture_output=True, cwd=ROOT, env=_env(tmp_path), timeout=TIMEOUT)
    assert result.stdout == b""
    _assert_nothing_to_read(result.returncode, result.stderr.decode())
    result = subprocess.run([sys.executable, "-m", "tui_tutor"], stdin=subprocess.DEVNULL, capture_output=True,
                            cwd=ROOT, env=_env(tmp_path), timeout=TIMEOUT)
    _assert_nothing_to_read(result.returncode, result.stderr.decode())
    script = f'printf "1\\n\\nquit\\n" | {sys.executable} -m tui_tutor | cat; exit "${{PIPESTATUS[1]}}"'
    result = subprocess.run(["bash", "-c", script], capture_output=True, cwd=ROOT, env=_env(tmp_path), timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert out.startswith("Line mode (stdin is not a terminal).") and "Lessons:" in out and "Step 2 of" in out
    assert "\x1b" not in out


def test_validate_and_progress_work_in_pipes(tmp_path):
    code = subprocess.run(f"{sys.executable} -m tui_tutor validate lessons </dev/null | cat", shell=True,
                          capture_output=True, text=True, cwd=ROOT, env=_env(tmp_path), timeout=TIMEOUT)
    assert code.returncode == 0 and "no problems" in code.stdout, code.stdout + code.stderr
    for args in (["progress"], ["progress", "--export", "csv"]):
        result = subprocess.run([sys.executable, "-m", "tui_tutor", *args], stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, cwd=ROOT, env=_env(tmp_path), timeout=TIMEOUT)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr and NOTHING_TO_READ not in result.stderr
