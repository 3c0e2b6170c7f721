"""The penguins dataset, the preparing steps of a `train` block, test metrics and the
confusion matrix: everything lesson 3 builds on, checked without TensorFlow except where
marked (a real seeded run pins the lesson's numbers)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from tui_tutor.lesson.loader import parse_lesson
from tui_tutor.lesson.model import LayerSpec, SplitSpec, TrainSpec
from tui_tutor.lesson.names import DATASET_NAMES, RUN_VALUE_NAMES
from tui_tutor.training import datasets
from tui_tutor.training.events import Finished, event_from_json
from tui_tutor.training.records import RunRecord
from tui_tutor.ui.training.confusion import render_confusion

LESSON = Path(__file__).resolve().parents[1] / "lessons" / "03-classify-penguins.md"
SPLIT = dict(test=0.2, stratify=True, split_seed=2)


def test_penguins_are_read_offline_from_the_shipped_file_without_pandas():
    x, y = datasets.load("penguins")
    assert x.shape == (344, 4) and y.shape == (344, 1)
    assert int(np.isnan(x).any(axis=1).sum()) == 2
    assert np.bincount(y[:, 0].astype(int)).tolist() == [152, 68, 124]
    assert x[0].tolist() == pytest.approx([39.1, 18.7, 181, 3750])  # the file's first row
    assert datasets.penguins_csv() == datasets.DATA_DIR / "penguins.csv"  # shipped with the tutor
    assert "palmerpenguins" not in sys.modules
    assert set(DATASET_NAMES) == set(datasets.DATASETS)


def test_prepare_drops_one_hots_splits_stratified_and_standardizes_on_training_rows():
    p = datasets.prepare("penguins", drop_missing=True, one_hot=True, standardize=True, **SPLIT)
    assert p.dropped == 2 and p.classes == ("Adelie", "Chinstrap", "Gentoo")
    assert p.x_train.shape == (273, 4) and p.test is not None and p.test[0].shape == (69, 4)
    assert p.y_train.sum(axis=0).tolist() == [121, 54, 98] and p.test[1].sum(axis=0).tolist() == [30, 14, 25]
    assert (p.y_train.sum(axis=1) == 1).all()
    assert np.allclose(p.x_train.mean(axis=0), 0, atol=1e-4) and np.allclose(p.x_train.std(axis=0), 1, atol=1e-4)
    assert not np.allclose(p.test[0].mean(axis=0), 0, atol=1e-4)  # scaled with the training rows' numbers
    again = datasets.prepare("penguins", drop_missing=True, one_hot=True, standardize=True, **SPLIT)
    assert np.array_equal(again.x_train, p.x_train)  # a fixed seed gives every learner the same split
    raw = datasets.prepare("penguins", drop_missing=True, one_hot=True, **SPLIT)
    assert raw.x_train[:, 3].min() > 2000  # body mass stays in grams


def test_missing_values_must_be_dropped_and_one_hot_needs_classes():
    with pytest.raises(ValueError, match="drop_missing"):
        datasets.prepare("penguins")
    with pytest.raises(ValueError, match="one_hot"):
        datasets.prepare("moons", one_hot=True)


def test_split_rows_shares_the_test_rows_out_by_class():
    groups = np.array([0] * 151 + [1] * 68 + [2] * 123)
    train, test = datasets.split_rows(groups, 0.2, 7)
    assert len(train) == 273 and len(test) == 69 and not set(train) & set(test)
    assert np.bincount(groups[test]).tolist() == [30, 14, 25]


def _train_block(body: str) -> str:
    return f"---\ntitle: t\n---\n\n## S\n\n::: train\n{body}:::\n"


GOOD = """id: p
dataset: penguins
drop_missing: true
one_hot: true
standardize: true
split: {test: 0.2, stratify: true, seed: 2}
layers:
  - {units: 10, activation: relu}
  - {units: 3, activation: softmax}
loss: categorical_crossentropy
"""


def test_loader_reads_the_preparing_steps():
    result = parse_lesson(_train_block(GOOD), Path("l.md"))
    assert not result.errors, result.errors
    spec = result.lesson.steps[0].items[0]
    assert isinstance(spec, TrainSpec)
    assert spec.drop_missing and spec.one_hot and spec.standardize and spec.split == SplitSpec(0.2, True, 2)
    assert TrainSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


@pytest.mark.parametrize("change, line, says", [
    (("drop_missing: true\n", ""), 9, "missing values"),
    (("one_hot: true\n", ""), 9, "one_hot: true"),
    (("{units: 3, activation: softmax}", "{units: 2, activation: softmax}"), 15, "needs 3 units"),
    (("test: 0.2", "test: 1.5"), 13, "`test` in `split`"),
    (("stratify: true", "stratify: 3"), 13, "true or false"),
    (("seed: 2}", "seed: 2, shuffle: no}"), 13, "unknown key `shuffle`"),
    (("standardize: true", "standardize: yes please"), 12, "true or false"),
])
def test_loader_reports_a_bad_preparing_step_at_its_line(change, line, says):
    result = parse_lesson(_train_block(GOOD.replace(*change)), Path("l.md"))
    assert any(e.line == line and says in e.message for e in result.errors), [str(e) for e in result.errors]


def test_finished_event_and_run_record_keep_test_metrics_and_confusion_compatibly():
    old = event_from_json('{"event": "Finished", "run_id": "r", "history": {}, "weights": [], "elapsed": 1.0}')
    assert isinstance(old, Finished) and old.confusion == [] and old.test == {}
    event = Finished("r", {"epoch": [100], "loss": [0.05]}, [], 1.0, {"loss": 0.1, "accuracy": 65 / 69},
                     [[29, 1, 0], [3, 11, 0], [0, 0, 25]], ["Adelie", "Chinstrap", "Gentoo"])
    assert event_from_json(event.to_json()) == event
    record = RunRecord(number=1, settings={})
    record.observe(event)
    values = record.values()
    assert values["test_accuracy"] == pytest.approx(65 / 69) and values["test_errors"] == 4 and values["test_rows"] == 69
    assert {"test_accuracy", "test_errors", "test_rows", "test_loss"} <= set(RUN_VALUE_NAMES)
    back = RunRecord.from_dict(json.loads(json.dumps(record.to_dict())))
    assert back.confusion == record.confusion and back.classes == record.classes and back.test == record.test
    assert RunRecord.from_dict({"confusion": [[1, 2]], "classes": "x"}).confusion == []  # a bad matrix is dropped


def test_confusion_matrix_is_plain_characters_within_72_columns():
    text = render_confusion([[29, 1, 0], [3, 11, 0], [0, 0, 25]], ["Adelie", "Chinstrap", "Gentoo"])
    lines = text.splitlines()
    assert lines[0] == "65 of 69 test rows right (94.2%)."
    assert "[29]" in lines[3] and "29/30  97%" in lines[3] and lines[4].split()[:4] == ["Chinstrap", "3", "[11]", "0"]
    assert lines[-1].startswith("Most confused: 3 Chinstrap taken for Adelie.")
    assert text.isascii() and max(map(len, lines)) <= 72
    four = render_confusion([[100] * 4] * 4, ["a very long class name"] * 4)
    assert max(map(len, four.splitlines())) <= 72
    assert render_confusion([], []) == "" and render_confusion([[1, 2]], ["a"]) == ""


def _spec(standardize: bool, seed: int = 2) -> TrainSpec:
    return TrainSpec(id="penguins", line=1, dataset="penguins", layers=(LayerSpec(10, "relu"), LayerSpec(3, "softmax")),
                     loss="categorical_crossentropy", optimizer="adam", learning_rate=0.001, epochs=100,
                     batch_size=32, seed=seed, drop_missing=True, one_hot=True, standardize=standardize,
                     split=SplitSpec(0.2, True, seed))


@pytest.mark.tf
@pytest.mark.slow
def test_lesson_numbers_come_from_a_real_seeded_run():
    """Lesson 3 quotes, for seed 2: raw 0.46 (32 of 69) and standardized 0.94 (65 of 69, 3
    Chinstraps taken for Adelies and 1 Adelie for a Chinstrap), a first logged loss of about
    500 on raw data and near 1 on standardized data."""
    from tui_tutor.training.runner import TrainingRun

    results = {}
    for standardize in (False, True):
        events: list = []
        final = TrainingRun(_spec(standardize), events.append, threads=2, max_seconds=300).run()
        assert isinstance(final, Finished), final
        results[standardize] = (final, next(e for e in events if type(e).__name__ == "EpochEnd").logs["loss"])
    (raw, raw_first), (std, std_first) = results[False], results[True]
    assert round(raw.test["accuracy"], 2) == 0.46 and sum(raw.confusion[i][i] for i in range(3)) == 32
    assert 400 < raw_first < 700
    assert round(std.test["accuracy"], 2) == 0.94 and std.confusion == [[29, 1, 0], [3, 11, 0], [0, 0, 25]]
    assert 0.7 < std_first < 1.3 and std.history["loss"][-1] < 0.1
    assert std.classes == ["Adelie", "Chinstrap", "Gentoo"]
    lesson = LESSON.read_text(encoding="utf-8")
    for claim in ("0.46", "0.94", "65 of 69", "3 Chinstraps for Adelies", "about 500"):
        assert claim in lesson, claim
