"""The neural arithmetic against the episode's worked answers, and the text plots."""

from __future__ import annotations

import math

import pytest

from tui_tutor.neural import (
    ACTIVATION_FORMULAS,
    ACTIVATIONS,
    XOR_NETWORK,
    dense_params,
    huber,
    mse,
    neuron,
    relu,
    sigmoid,
    squared_error,
    tanh,
    xor_forward,
)
from tui_tutor.neural.plots import MAX_POINTS, render_function_plot


def test_episode_neuron_is_1_25_with_each_step():
    t = neuron((0, 0.5, 1), (-1, -0.5, 0.5), 1, "relu")
    assert t.products == (0.0, -0.25, 0.5)
    assert t.weighted_sum == 0.25
    assert t.pre_activation == 1.25
    assert t.output == 1.25


def test_neuron_rejects_mismatched_lengths_and_unknown_activation():
    with pytest.raises(ValueError):
        neuron((1, 2), (1,), 0)
    with pytest.raises(ValueError):
        neuron((1,), (1,), 0, "softplus")


def test_activations():
    assert set(ACTIVATIONS) == {"relu", "sigmoid", "linear", "tanh"} == set(ACTIVATION_FORMULAS)
    assert relu(-2) == 0 and relu(3) == 3
    assert sigmoid(0) == 0.5
    assert sigmoid(-1000) == pytest.approx(0) and sigmoid(1000) == pytest.approx(1)  # no overflow
    assert ACTIVATIONS["linear"](-1.5) == -1.5
    assert tanh(0.5) == pytest.approx(math.tanh(0.5))


@pytest.mark.parametrize(
    "x1, x2, h1, h2, y",
    [(0, 0, 0, 0, 0), (0, 1, 1, 0, 1), (1, 0, 1, 0, 1), (1, 1, 2, 1, 0)],
)
def test_xor_truth_table_matches_the_episode(x1, x2, h1, h2, y):
    assert xor_forward(x1, x2) == (h1, h2, y)


def test_xor_network_constant():
    assert XOR_NETWORK.weights[("h2", "y")] == -2
    assert XOR_NETWORK.biases == {"h1": 0, "h2": -1, "y": 0}


def test_mse_of_the_episode_table():
    table = ((1, -1), (2, -1), (0, 0), (3, 2))
    assert [squared_error(p, e) for p, e in table] == [4, 9, 0, 1]
    assert mse(table) == 3.5
    with pytest.raises(ValueError):
        mse([])


def test_huber():
    assert huber(0.5, 1) == 0.125
    assert huber(3, 1) == 2.5
    assert huber(-3, 1) == 2.5
    assert huber(1, 1) == 0.5  # the two pieces meet at delta
    with pytest.raises(ValueError):
        huber(1, 0)


def test_dense_params():
    assert dense_params(2, 2) == 6
    assert dense_params(4, 3) == 15


# -- plots --------------------------------------------------------------------------
CURVES = [("sigmoid", sigmoid), ("relu", relu)]


def test_plot_has_the_requested_size_and_no_escapes_without_colour():
    text = render_function_plot(CURVES, (-3, 3), 60, 10, ascii=False, point=(1, relu(1)), color=False)
    lines = text.splitlines()
    assert len(lines) == 10
    assert max(len(line) for line in lines) <= 60
    assert "\x1b" not in text
    assert "sigmoid" in text and "relu" in text


def test_ascii_plot_is_pure_ascii_and_marks_the_point():
    text = render_function_plot([("tanh", tanh)], (-3, 3), 50, 8, ascii=True, point=(0.5, tanh(0.5)), color=True)
    assert text.isascii()
    assert "@" in text


def test_colour_plot_keeps_escapes():
    assert "\x1b[" in render_function_plot(CURVES, (-3, 3), 40, 8, color=True)


def test_plot_samples_at_most_max_points_and_survives_tiny_sizes():
    calls = []

    def f(x: float) -> float:
        calls.append(x)
        return x

    render_function_plot([("f", f)], (-1, 1), 500, 30)
    assert len(calls) <= MAX_POINTS
    assert render_function_plot([("f", f)], (-1, 1), 1, 1)  # clamped, not an exception
    with pytest.raises(ValueError):
        render_function_plot([("f", f)], (1, -1), 40, 8)
