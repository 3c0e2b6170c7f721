"""The command line: validate's exit codes and messages; the app never imports TensorFlow on its own."""

import subprocess
import sys
import textwrap
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


def test_app_start_and_a_lesson_never_import_tensorflow(tmp_path):
    script = textwrap.dedent(f"""
        import asyncio, sys
        from pathlib import Path
        from tui_tutor.ui.app import AppOptions, TutorApp
        async def main():
            app = TutorApp(AppOptions(lesson_paths=[Path({str(ROOT / 'lessons')!r})], data_dir=Path({str(tmp_path)!r})))
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                await pilot.press("enter")
                await pilot.pause()
                await pilot.press("n", "n", "n")
                await pilot.pause()
                assert type(app.screen).__name__ == "LessonScreen", app.screen
        asyncio.run(main())
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
        print("HEAVY", heavy)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout, result.stdout


def test_help_lists_commands():
    result = _run("--help")
    assert result.returncode == 0
    for flag in ("--lessons", "--no-mouse", "--ascii", "--data-dir"):
        assert flag in result.stdout
