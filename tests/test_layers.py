"""Import hygiene: the layers of the README's Design section hold at run time, not only on paper.

`lint-imports` (pyproject.toml, run by .ci/run) checks the import graph; these tests check
what a real start-up loads. Each runs in a fresh interpreter, because what matters is what
one process imports from nothing: the tutor starts in about 0.3 s and stays at about 50 MB
until a step trains, so TensorFlow, Keras, NumPy and the plotting library must stay out of
the first frame.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSON_ONE = ROOT / "lessons" / "01-introduction.md"

#: Loaded only by steps that need them (training, plots, the install check).
HEAVY = ("tensorflow", "keras", "numpy", "plotext")


def _python(script: str, tmp_path: Path) -> str:
    env_script = textwrap.dedent(script)
    result = subprocess.run(
        [sys.executable, "-c", env_script], capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**_clean_env(), "TUI_TUTOR_DATA_DIR": str(tmp_path / "data"), "TUI_TUTOR_LEARNER": "tester"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "TUI_TUTOR"))}


# The command line's own start-up path (`tui-tutor LESSON`), with the terminal replaced by a
# headless pilot that stops after the first frame; then it steps on and reports the modules.
_CLI_FIRST_FRAME = """
    import asyncio, sys
    import tui_tutor.ui.app as app_module

    def first_frame(self, **_kw):
        async def go():
            async with self.run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                print("SCREEN", type(self.screen).__name__)
                print("FIRST", sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r})))
                await pilot.press({keys})
                await pilot.pause()
                print("AFTER", sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r})))
        asyncio.run(go())

    app_module.TutorApp.run = first_frame
    import tui_tutor.cli
    tui_tutor.cli._has_terminal = lambda: True  # the pilot is the terminal here
    from tui_tutor.cli import main
    main({argv!r})
"""


def test_first_lesson_frame_imports_nothing_heavy(tmp_path):
    """`tui-tutor lessons/01-introduction.md`: the first frame and the next steps load no TensorFlow."""
    out = _python(_CLI_FIRST_FRAME.format(heavy=HEAVY, keys='"n", "n", "n"', argv=[str(LESSON_ONE)]), tmp_path)
    assert "SCREEN LessonScreen" in out, out
    assert "FIRST []" in out, out
    after = next(line for line in out.splitlines() if line.startswith("AFTER"))
    assert "tensorflow" not in after and "keras" not in after, out


def test_picker_and_opening_a_lesson_import_no_tensorflow(tmp_path):
    """`tui-tutor`: the picker, then Enter into the first lesson and a few steps."""
    out = _python(_CLI_FIRST_FRAME.format(heavy=HEAVY, keys='"enter", "n", "n"', argv=[]), tmp_path)
    assert "SCREEN PickerScreen" in out, out
    assert "FIRST []" in out, out
    after = next(line for line in out.splitlines() if line.startswith("AFTER"))
    assert "tensorflow" not in after and "keras" not in after, out


def test_ui_free_core_imports_no_textual_or_rich(tmp_path):
    """Every module of the core imports without Textual or Rich (tui-tutor validate and progress need neither)."""
    out = _python("""
        import importlib, pkgutil, sys
        import tui_tutor
        core = ["tui_tutor.session", "tui_tutor.review", "tui_tutor.validate", "tui_tutor.asciify", "tui_tutor.context"]
        for package in ("lesson", "grading", "progress", "neural", "training"):
            module = importlib.import_module("tui_tutor." + package)
            core += [info.name for info in pkgutil.walk_packages(module.__path__, module.__name__ + ".")]
        for name in core:
            importlib.import_module(name)
        print("CORE", len(core))
        print("UI", sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich") or m.startswith("tui_tutor.ui")))
        print("TF", sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras")))
    """, tmp_path)
    assert "UI []" in out, out
    assert "TF []" in out, out  # the training package loads TensorFlow only when a run starts


def test_cli_subcommands_import_no_textual(tmp_path):
    """`tui-tutor validate` and `tui-tutor progress` run on machines without a terminal."""
    out = _python(f"""
        import contextlib, io, sys
        from tui_tutor.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            main(["validate", {str(LESSON_ONE)!r}])
            main(["progress"])
        print("UI", sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich")))
    """, tmp_path)
    assert "UI []" in out, out


def test_import_contracts_hold():
    """The contracts in pyproject.toml ([tool.importlinter]); .ci/run runs the same check."""
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if lint_imports is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    result = subprocess.run([lint_imports, "--no-cache"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
