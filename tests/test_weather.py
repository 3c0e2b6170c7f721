"""The weather dataset (read offline from the csv shipped with the tutor), its persistence
baseline, test RMSE as a run value, and the predicted-against-true scatter plot; checked
without TensorFlow except where marked (a real seeded run pins the overfitting claim)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from tui_tutor.lesson.loader import load_lesson
from tui_tutor.lesson.model import TrainSpec, walk
from tui_tutor.lesson.names import DATASET_NAMES, RUN_VALUE_NAMES
from tui_tutor.training import datasets
from tui_tutor.training.events import Finished
from tui_tutor.training.records import RunRecord
from tui_tutor.ui.training.scatter import render_scatter


def test_weather_is_read_offline_without_pandas_and_pairs_each_day_with_the_next():
    x, y = datasets.load("weather")
    assert x.shape == (1460, 6) and y.shape == (1460, 1)
    assert not np.isnan(x).any() and not np.isnan(y).any()
    # The file's first two days: 2012/01/01 max 12.8, min 5.0, rain 0.0, wind 4.7; 2012/01/02 max 10.6.
    assert x[0, :4].tolist() == pytest.approx([12.8, 5.0, 0.0, 4.7])
    assert x[0, 4:].tolist() == pytest.approx([1.0, 0.0])  # 1 January: cos 1, sin 0
    assert y[0, 0] == pytest.approx(10.6) and y[0, 0] == pytest.approx(x[1, 0])
    assert np.allclose(y[:-1, 0], x[1:, 0])  # y is the next row's max temperature
    assert datasets.weather_csv() == datasets.DATA_DIR / "seattle-weather.csv"  # shipped with the tutor
    assert "vega_datasets" not in sys.modules
    assert "weather" in DATASET_NAMES and datasets.info("weather").task == "regression"


def test_persistence_baseline_is_measured_on_the_test_rows_before_standardizing():
    p = datasets.prepare("weather", standardize=True, test=0.2, split_seed=1)
    assert p.x_train.shape == (1168, 6) and p.test is not None and p.test[0].shape == (292, 6)
    assert p.baseline_rmse == pytest.approx(2.893, abs=0.001)
    raw = datasets.prepare("weather", test=0.2, split_seed=1)
    assert raw.test is not None
    again = math.sqrt(float(np.mean((raw.test[0][:, 0] - raw.test[1][:, 0]) ** 2)))
    assert p.baseline_rmse == pytest.approx(again, rel=1e-6)
    assert datasets.prepare("penguins", drop_missing=True).baseline_rmse is None


def test_test_rmse_and_baseline_are_run_values():
    assert {"test_rmse", "baseline_rmse"} <= set(RUN_VALUE_NAMES)
    final = Finished("r1", {"epoch": [1, 2], "loss": [9.0, 8.0], "val_loss": [8.5, 8.2]},
                     test={"loss": 9.0, "rmse": 3.0, "baseline_rmse": 2.96})
    record = RunRecord(number=1, settings={})
    record.observe(final)
    values = record.values()
    assert values["test_rmse"] == 3.0 and values["baseline_rmse"] == 2.96


def test_scatter_draws_marks_and_the_diagonal_in_ascii_within_72_columns():
    true = [float(v) for v in range(20)]
    text = render_scatter(true, true, ascii_only=True, unit="C")
    assert text.isascii() and "RMSE 0.00 C" in text
    assert max(len(line) for line in text.splitlines()) <= 72
    utf8 = render_scatter(true, [v + 5 for v in true], unit="C")
    assert "╱" in utf8 and "RMSE 5.00 C" in utf8
    assert render_scatter([], []) == "" and render_scatter([math.nan], [1.0]) == ""


LESSON = Path(__file__).resolve().parents[1] / "lessons" / "04-monitor-the-training.md"


def _lesson_specs() -> dict[str, TrainSpec]:
    lesson = load_lesson(LESSON).lesson
    assert lesson is not None
    return {item.id: item for step in lesson.steps for item in walk(step.items) if isinstance(item, TrainSpec)}


@pytest.mark.tf
@pytest.mark.slow
def test_lesson_four_numbers_come_from_real_seeded_runs():
    """Lesson 4 quotes, for seed 1: baseline 2.89; the big network's validation loss lowest at
    epoch 40 (6.33) and ending at 8.19 (training 3.43), test RMSE 2.94; early stopping ends at
    epoch 32 with test RMSE 2.65; with Dropout the test RMSE is 2.78."""
    from tui_tutor.training.runner import TrainingRun

    specs = _lesson_specs()
    final = {}
    for name in ("weather-big", "weather-early", "weather-dropout"):
        event = TrainingRun(specs[name], [].append, threads=2, max_seconds=300).run()
        assert isinstance(event, Finished), event
        final[name] = event
    big, early, drop = final["weather-big"], final["weather-early"], final["weather-dropout"]
    val = big.history["val_loss"]
    best = int(np.argmin(val))
    assert big.history["epoch"][best] == 40 and round(val[best], 2) == 6.33 and round(val[-1], 2) == 8.19
    assert val[-1] > min(val) and round(big.history["loss"][-1], 2) == 3.43  # overfitting
    assert round(big.test["baseline_rmse"], 2) == 2.89 and round(big.test["rmse"], 2) == 2.94
    assert big.test["rmse"] == pytest.approx(math.sqrt(big.test["loss"]))
    assert early.history["epoch"][-1] == 32 and round(early.test["rmse"], 2) == 2.65
    assert round(drop.test["rmse"], 2) == 2.78 and drop.test["rmse"] < drop.test["baseline_rmse"]
    assert len(big.predictions) == 292
    lesson = LESSON.read_text(encoding="utf-8")
    for claim in ("2.89", "epoch 40 (6.33)", "8.19", "3.43", "2.94", "epoch 32", "2.65", "2.78"):
        assert claim in lesson, claim
