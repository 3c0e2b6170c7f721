"""The live training view with real (small) Keras runs, driven by keyboard in a pilot."""

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from screen_text import screen_text
from tui_tutor.ui.app import AppOptions, TutorApp
from tui_tutor.ui.training.view import TrainView

LESSON = Path(__file__).resolve().parent / "data" / "training" / "train.md"


def _app(tmp_path: Path) -> TutorApp:
    return TutorApp(AppOptions(lesson_paths=[LESSON], open_path=LESSON, data_dir=tmp_path / "d"))


async def _wait(pilot, predicate, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.1)


async def test_a_run_draws_its_loss_and_lists_it(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.query_one(TrainView)
        assert app.focused is view
        await pilot.press("t")
        await _wait(pilot, lambda: view.runs and view.runs[-1].outcome != "running")
        record = view.runs[-1]
        assert record.outcome == "finished"
        assert len(record.history) >= 10 and record.history.last_epoch == 200
        plot = str(view.query_one(".train-plot").render())
        assert "loss" in plot and "epoch" in plot
        table = str(view.query_one(".train-runs").render())
        assert "finished" in table and f"{record.final('loss'):.4f}" in table
        # A second run with other settings: the first stays for comparison.
        await pilot.press("right", "plus", "t")  # 4 hidden units -> 6
        await _wait(pilot, lambda: len(view.runs) == 2 and view.runs[-1].outcome != "running")
        assert view.runs[1].settings["hidden_units"] == 6
        assert "run 1" in str(view.query_one(".train-plot").render())  # the earlier run, faint
        assert len(str(view.query_one(".train-runs").render()).splitlines()) == 3


async def test_stop_takes_effect_within_one_batch(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.query_one(TrainView)
        for _ in range(4):
            await pilot.press("right")
        await pilot.press("minus", "minus")  # batch size 4 -> 1: many batches
        await pilot.press("left", "plus", "plus", "plus")  # epochs 200 -> 1000+
        await pilot.press("t")
        await _wait(pilot, lambda: view.runs and len(view.runs[-1].history) >= 2)
        await pilot.press("x")
        await _wait(pilot, lambda: view.runs[-1].outcome != "running")
        assert view.runs[-1].outcome == "stopped"
        assert view.last_run.batches_after_stop <= 1
        assert "stopped at epoch" in str(view.query_one(".train-status").render())


async def test_a_diverging_run_is_reported_and_the_ui_lives_on(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n", "n")  # the regression step
        await pilot.pause()
        view = app.screen.query_one(TrainView)
        assert view.spec.id == "sine"
        for _ in range(12):
            await pilot.press("plus")  # learning rate up to 1000
        assert view.values["learning_rate"] == 1000.0
        await pilot.press("t")
        await _wait(pilot, lambda: view.runs and view.runs[-1].outcome != "running")
        assert view.runs[-1].outcome == "diverged"
        status = str(view.query_one(".train-status").render())
        assert "NaN" in status or "diverged" in status
        assert "far too large" in status
        await pilot.press("p")  # the app still answers keys
        await pilot.pause()
        assert "Step 2 of 3" in screen_text(app)


def test_missing_tensorflow_is_reported_and_the_lesson_goes_on(tmp_path):
    script = textwrap.dedent(f"""
        import asyncio, sys, time
        sys.modules["tensorflow"] = None   # any `import tensorflow` now fails, as on a machine without it
        sys.modules["keras"] = None
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from pathlib import Path
        from screen_text import screen_text
        from tui_tutor.ui.app import AppOptions, TutorApp
        async def main():
            p = Path({str(LESSON)!r})
            app = TutorApp(AppOptions(lesson_paths=[p], open_path=p, data_dir=Path({str(tmp_path)!r})))
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                view = app.screen.query_one("TrainView")
                await pilot.press("t")
                deadline = time.monotonic() + 30
                while not (view.runs and view.runs[-1].outcome != "running") and time.monotonic() < deadline:
                    await pilot.pause(0.1)
                print("OUTCOME", view.runs[-1].outcome)
                print("STATUS", str(view.query_one(".train-status").render()).replace("\\n", " "))
                await pilot.press("n", "n")
                await pilot.pause()
                print("SCREEN", "Step 3 of 3" in screen_text(app))
        asyncio.run(main())
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "OUTCOME no TensorFlow" in result.stdout
    assert "pip install" in result.stdout
    assert "SCREEN True" in result.stdout
    assert "Traceback" not in result.stderr


async def test_every_setting_is_shown_including_bracketed_ones(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.query_one(TrainView)
        for label in ("lr", "units", "act", "epochs", "batch", "seed"):
            text = str(view.query_one(".train-settings").render())
            assert f"[{label} " in text, text  # the highlighted setting, in brackets, is visible
            await pilot.press("right")
            await pilot.pause()
