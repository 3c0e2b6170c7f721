"""What lesson 2 says about training runs, pinned to real Keras runs (tui_tutor.training.runner).

Each claim the lesson makes about a seed is checked by training that seed with the lesson's
own settings (2 hidden units, Adam, learning rate 0.05, 500 epochs, batch 4). The outputs
are recomputed from the run's learned weights with the Playground's numpy forward pass, so
this also checks that the Playground reads Keras' weights the way Keras uses them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tui_tutor.lesson.loader import load_lesson
from tui_tutor.lesson.model import LayerSpec, TrainSpec
from tui_tutor.neural import playground as pg
from tui_tutor.training import datasets

LESSON = Path(__file__).resolve().parents[1] / "lessons" / "02-watch-a-network-learn.md"
X, Y = datasets.load("xor")


def _spec(units: int = 2, activation: str = "relu", seed: int = 1) -> TrainSpec:
    """The lesson's `xor-2` run with another seed, width or hidden activation."""
    lesson = load_lesson(LESSON).lesson
    base = next(t for step in lesson.steps for t in step.items if isinstance(t, TrainSpec) and t.id == "xor-2")
    assert (base.learning_rate, base.epochs, base.batch_size, base.optimizer) == (0.05, 500, 4, "adam")
    return TrainSpec(id="claim", line=1, dataset="xor", layers=(LayerSpec(units, activation), LayerSpec(1, "sigmoid")),
                     loss=base.loss, optimizer=base.optimizer, learning_rate=base.learning_rate,
                     epochs=base.epochs, batch_size=base.batch_size, seed=seed)


@pytest.fixture(scope="module")
def train():
    from tui_tutor.training import tfload
    from tui_tutor.training.events import Finished
    from tui_tutor.training.runner import TrainingRun

    with tfload.silence_fd2():
        tfload.load_keras(threads=2)

    def run(**kwargs):
        spec = _spec(**kwargs)
        final = TrainingRun(spec, lambda event: None).run()
        assert isinstance(final, Finished), final
        net = pg.network_from_weights(final.weights, [spec.layers[0].activation, "sigmoid"])
        return final, net

    return run


def _hand_made_loss() -> float:
    p = 1 / (1 + np.exp(-np.array([0.0, 1.0, 1.0, 0.0])))
    y = Y[:, 0]
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def test_hand_made_weights_with_a_sigmoid_output_are_right_but_unsure():
    """Lesson 2: p = 0.5, 0.731, 0.731, 0.5, accuracy 1, loss 0.503 (the question's key)."""
    _hidden, y = pg.XOR_HAND.forward(X)
    assert y[:, 0].tolist() == [0, 1, 1, 0]  # the output neuron's weighted sum plus bias
    assert _hand_made_loss() == pytest.approx(0.5032, abs=5e-5)
    lesson = load_lesson(LESSON).lesson
    q = next(q for q in lesson.questions() if q.id == "hand-weights-loss")
    from tui_tutor.grading.expr import parse

    assert parse(q.answer).evaluate({}) == pytest.approx(_hand_made_loss(), abs=1e-4)
    keys = {q.id: parse(q.answer).evaluate({}) for q in lesson.questions() if q.id in ("constant-half-loss", "plateau-loss")}
    assert keys == pytest.approx({"constant-half-loss": math.log(2), "plateau-loss": math.log(2) / 2})


@pytest.mark.tf
@pytest.mark.slow
def test_seed_2_output_no_longer_depends_on_the_input(train):
    """Loss 0.6931, accuracy 0.5; one unit dead, the other constant 0.36 (weights ~0)."""
    final, net = train(seed=2)
    assert final.history["loss"][-1] == pytest.approx(math.log(2), abs=5e-4)
    assert final.history["accuracy"][-1] == 0.5
    hidden, out = net.forward(X)
    assert np.ptp(out[:, 0]) < 1e-3 and out[:, 0] == pytest.approx(0.5, abs=2e-3)  # constant over the 4 inputs
    flat = [bool(np.ptp(hidden[:, j]) < 1e-3) for j in range(2)]
    dead = [bool(np.all(hidden[:, j] == 0)) for j in range(2)]
    assert all(flat) and dead.count(True) == 1  # not every hidden unit is dead
    alive = dead.index(False)
    assert hidden[0, alive] == pytest.approx(0.36, abs=0.01)
    assert np.abs(np.array(final.weights[0]["kernel"])[:, alive]).max() < 0.01  # its input weights shrank to 0


@pytest.mark.tf
@pytest.mark.slow
def test_seed_5_stops_on_the_half_ln2_plateau_with_accuracy_075(train):
    final, net = train(seed=5)
    assert final.history["loss"][-1] == pytest.approx(math.log(2) / 2, abs=1e-3)
    assert final.history["accuracy"][-1] == 0.75
    out = net.predict(X)
    assert sorted(np.round(out, 2).tolist()) == pytest.approx([0.0, 0.5, 0.5, 1.0], abs=0.01)


@pytest.mark.tf
@pytest.mark.slow
def test_tanh_seed_2_sits_on_a_plateau_with_accuracy_05(train):
    """Accuracy at a plateau is chance: loss 0.3476 (like seed 5's 0.3467), yet accuracy 0.5."""
    final, _ = train(activation="tanh", seed=2)
    assert final.history["loss"][-1] == pytest.approx(0.3476, abs=1e-3)
    assert final.history["accuracy"][-1] == 0.5


@pytest.mark.tf
@pytest.mark.slow
def test_seed_1_solves_xor_and_keeps_growing_its_weights(train):
    final, net = train(seed=1)
    assert final.history["loss"][-1] < 0.01 and final.history["accuracy"][-1] == 1.0
    assert pg.separates(net, X, Y)
    kernel, bias = np.array(final.weights[1]["kernel"])[:, 0], final.weights[1]["bias"][0]
    assert kernel == pytest.approx([4.32, 4.09], abs=0.05) and bias == pytest.approx(-6.57, abs=0.05)
    assert np.abs(kernel).min() > 2  # far larger than the hand-made 1 and -2


@pytest.mark.tf
@pytest.mark.slow
def test_seeds_1_to_10_flatter_two_units(train):
    """The lesson: seeds 1-10 give 2 ReLU units 4 successes in 10 (30 seeds: 7, i.e. 23 %)."""
    solved = [seed for seed in range(1, 11) if train(seed=seed)[0].history["loss"][-1] < 0.1]
    assert solved == [1, 6, 7, 10]
