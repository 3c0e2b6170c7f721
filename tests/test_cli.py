"""The command line: validate's exit codes and messages, help. What start-up imports (no
TensorFlow before a step trains) is checked in test_layers.py."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui_tutor", *args], capture_output=True, text=True, cwd=ROOT, timeout=120, **kw)


def test_validate_bundled_lessons_is_clean():
    result = _run("validate", "lessons")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no problems" in result.stdout


def test_validate_broken_lesson_reports_path_line_and_exits_1():
    broken = "tests/data/broken/broken.md"
    result = _run("validate", broken)
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith(broken + ":")]
    assert len(lines) >= 5, result.stdout
    assert any("unknown block type `exercise`" in line for line in lines)
    assert any("duplicate id `dup`" in line for line in lines)
    assert any("never closed" in line for line in lines)


def test_validate_missing_path():
    result = _run("validate", "no/such/folder")
    assert result.returncode == 1
    assert "no/such/folder:0: no such file or folder" in result.stdout


def test_help_lists_commands():
    result = _run("--help")
    assert result.returncode == 0
    for flag in ("--lessons", "--no-mouse", "--ascii", "--data-dir"):
        assert flag in result.stdout
