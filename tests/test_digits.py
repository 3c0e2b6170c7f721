"""The digits dataset, image layers in `train` blocks, and the image view: checked without
TensorFlow except where marked (a real seeded run pins lesson 5's stated test accuracy)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from tui_tutor.lesson.loader import parse_lesson
from tui_tutor.lesson.model import LayerSpec, SplitSpec, TrainSpec
from tui_tutor.training import datasets
from tui_tutor.training.records import RunRecord
from tui_tutor.ui.training.images import ASCII_SHADES, misclassified_text, render_image

LESSON = Path(__file__).resolve().parents[1] / "lessons" / "05-convolutional-networks.md"
CNN = (LayerSpec(type="Conv2D", filters=8, kernel_size=3, activation="relu"), LayerSpec(type="MaxPooling2D", pool_size=2),
       LayerSpec(type="Flatten"), LayerSpec(units=10, activation="softmax"))


def test_digits_are_read_offline_from_the_shipped_file():
    x, y = datasets.load("digits")
    assert x.shape == (1797, 8, 8, 1) and y.shape == (1797, 1)
    assert 0.0 <= x.min() and x.max() == 1.0
    assert y[:10, 0].tolist() == list(range(10))
    assert datasets.digits_csv() == datasets.DATA_DIR / "digits.csv.gz"  # shipped with the tutor, gzipped
    assert "sklearn" not in sys.modules
    p = datasets.prepare("digits", one_hot=True, test=0.2, stratify=True, split_seed=1)
    assert p.test is not None and p.test[0].shape == (360, 8, 8, 1) and p.test_index is not None
    assert np.array_equal(x[p.test_index], p.test[0])  # test rows point back into the dataset


def test_layer_specs_round_trip_through_json():
    spec = TrainSpec(id="cnn", line=1, dataset="digits", layers=CNN + (LayerSpec(type="Dropout", rate=0.2),))
    assert TrainSpec.from_dict(spec.to_dict()).layers == spec.layers
    assert spec.to_dict()["layers"][3] == {"units": 10, "activation": "softmax"}  # Dense as before


def _train_block(layers: str) -> str:
    return ("---\ntitle: T\nid: t\n---\n\n## S\n\n::: train\nid: r\ndataset: digits\none_hot: true\n"
            "loss: categorical_crossentropy\nlayers:\n" + layers + ":::\n")


@pytest.mark.parametrize("layers, line, says", [
    ("  - {units: 10, activation: softmax}\n", 14, "add a Flatten layer"),
    ("  - {type: Conv2D, filters: 4, kernel_size: 9}\n  - {type: Flatten}\n  - {units: 10}\n", 14, "does not fit"),
    ("  - {type: Flatten}\n  - {type: Conv2D, filters: 4, kernel_size: 3}\n  - {units: 10}\n", 15, "needs an image"),
    ("  - {type: Flatten}\n  - {type: Dropout, rate: 1.5}\n  - {units: 10}\n", 15, "below 1"),
    ("  - {type: Flatten}\n  - {units: 10}\n  - {type: Dropout, rate: 0.2}\n", 16, "last layer must be Dense"),
    ("  - {type: Conv3D}\n  - {units: 10}\n", 14, "Conv3D"),
])
def test_image_layers_are_checked_with_their_line(layers, line, says):
    result = parse_lesson(_train_block(layers), Path("l.md"))
    assert any(e.line == line and says in e.message for e in result.errors), [str(e) for e in result.errors]


def test_the_lesson_network_passes_the_shape_checks():
    text = "".join(f"  - {{{', '.join(f'{k}: {v}' for k, v in layer.to_dict().items())}}}\n" for layer in CNN)
    result = parse_lesson(_train_block(text), Path("l.md"))
    assert not result.errors, [str(e) for e in result.errors]


def test_a_digit_is_drawn_in_shades_two_columns_a_pixel():
    x, _ = datasets.load("digits")
    lines = render_image(x[3][:, :, 0].tolist(), ascii_only=True)
    assert len(lines) == 8 and all(len(line) == 16 and set(line) <= set(ASCII_SHADES) for line in lines)
    assert render_image([[0.0, 1.0]], ascii_only=True) == ["  @@"]
    assert render_image([[0.0, 1.0]]) == ["  ██"]


def test_misclassified_grid_fits_80_columns_in_both_modes():
    record = RunRecord(number=2, settings={}, effective={"dataset": "digits"}, classes=[str(d) for d in range(10)],
                       misclassified=[[row, row % 10, (row + 1) % 10] for row in range(12)])
    for ascii_only in (True, False):
        text = misclassified_text(record, ascii_only=ascii_only)
        assert "true 0 as 1" in text and "true 1 as 2" in text
        assert max(len(line) for line in text.splitlines()) <= 72
        if ascii_only:
            assert text.isascii()
    assert misclassified_text(RunRecord(number=1, settings={}, effective={"dataset": "penguins"}, misclassified=[[0, 0, 1]])) == ""
    again = RunRecord.from_dict(record.to_dict())
    assert again.misclassified == record.misclassified


@pytest.mark.tf
@pytest.mark.slow
def test_lesson_accuracy_comes_from_a_real_seeded_run():
    """The lesson's stated test accuracy (seed 1) is what the runner measures."""
    from tui_tutor.training.events import Finished
    from tui_tutor.training.runner import TrainingRun

    spec = TrainSpec(id="digits-cnn", line=1, dataset="digits", layers=CNN, loss="categorical_crossentropy",
                     learning_rate=0.01, epochs=10, batch_size=32, validation_split=0.2, seed=1, one_hot=True,
                     split=SplitSpec(test=0.2, stratify=True, seed=1))
    block = parse_lesson(LESSON.read_text(encoding="utf-8"), LESSON)
    assert not block.errors
    lesson_spec = next(item for step in block.lesson.steps for item in step.items if isinstance(item, TrainSpec))
    assert lesson_spec.to_dict() | {"line": 1} == spec.to_dict()
    end = TrainingRun(spec, lambda event: None, threads=2, max_seconds=300).run()
    assert isinstance(end, Finished), end
    right = sum(end.confusion[i][i] for i in range(10))
    text = LESSON.read_text(encoding="utf-8")
    stated = re.search(r"reaches (0\.\d\d): (\d+) of the 360", text)
    assert stated is not None
    assert f"{end.test['accuracy']:.2f}" == stated.group(1) and right == int(stated.group(2))
    assert end.misclassified and all(true != predicted for _, true, predicted in end.misclassified)
