"""Reading an `interactive` block's YAML options: defaults, bounds, and readable complaints.

Pure Python (no Textual) so `tui-tutor validate` can check options without building a widget.
A bad option never crashes a lesson: the widget falls back to its default and shows the
complaint; `check_options` returns the same complaints for the validator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tui_tutor.neural.math import ACTIVATIONS

MAX_INPUTS = 4
VALUE_LIMIT = 10.0


def _is_number(v: Any) -> bool:
    """Finite and of a sane size (a huge int would overflow float())."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) <= 1e15


@dataclass
class Reader:
    """Pulls typed values out of an options mapping, collecting one message per problem."""

    options: Mapping[str, Any]
    known: tuple[str, ...]
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.options, Mapping):
            self.errors.append("options must be a mapping of key: value")
            self.options = {}
        for key in self.options:
            if key not in self.known:
                self.errors.append(f"unknown option {key!r} (expected: {', '.join(self.known) or 'none'})")

    def number(self, key: str, default: float, lo: float = -VALUE_LIMIT, hi: float = VALUE_LIMIT) -> float:
        if key not in self.options:
            return default
        v = self.options[key]
        if not _is_number(v) or not lo <= v <= hi:
            self.errors.append(f"option {key!r} must be a number from {lo:g} to {hi:g}, not {v!r}")
            return default
        return float(v)

    def numbers(self, key: str, default: tuple[float, ...], length: int | None = None) -> tuple[float, ...]:
        if key not in self.options:
            return default
        v = self.options[key]
        ok = isinstance(v, (list, tuple)) and 1 <= len(v) <= MAX_INPUTS
        ok = ok and all(_is_number(x) and abs(x) <= VALUE_LIMIT for x in v)
        if ok and length is not None and len(v) != length:
            self.errors.append(f"option {key!r} needs {length} numbers, one per input")
            return default
        if not ok:
            self.errors.append(
                f"option {key!r} must be a list of 1 to {MAX_INPUTS} numbers within +-{VALUE_LIMIT:g}"
            )
            return default
        return tuple(float(x) for x in v)

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        if key not in self.options:
            return default
        v = self.options[key]
        if v not in choices:
            self.errors.append(f"option {key!r} must be one of {', '.join(choices)}, not {v!r}")
            return default
        return str(v)

    def choices(self, key: str, choices: tuple[str, ...], default: tuple[str, ...]) -> tuple[str, ...]:
        if key not in self.options:
            return default
        v = self.options[key]
        if not isinstance(v, (list, tuple)) or not 1 <= len(v) <= 9 or any(x not in choices for x in v):
            self.errors.append(f"option {key!r} must be a list of names from: {', '.join(choices)}")
            return default
        return tuple(str(x) for x in v)

    def flag(self, key: str, default: bool) -> bool:
        if key not in self.options:
            return default
        v = self.options[key]
        if not isinstance(v, bool):
            self.errors.append(f"option {key!r} must be true or false, not {v!r}")
            return default
        return v


@dataclass(frozen=True)
class NeuronOptions:
    inputs: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    activation: str


#: Not the numbers of lesson 1's neuron exercise: a widget must never show an exercise's answer.
NEURON_DEFAULTS = NeuronOptions(inputs=(1.0, 2.0, 0.5), weights=(0.5, -0.5, 1.0), bias=0.5, activation="relu")


def neuron_options(options: Mapping[str, Any]) -> tuple[NeuronOptions, list[str]]:
    r = Reader(options, ("inputs", "weights", "bias", "activation"))
    d = NEURON_DEFAULTS
    inputs = r.numbers("inputs", d.inputs)
    default_w = d.weights if len(inputs) == len(d.weights) else tuple(0.0 for _ in inputs)
    weights = r.numbers("weights", default_w, length=len(inputs))
    bias = r.number("bias", d.bias)
    activation = r.choice("activation", tuple(ACTIVATIONS), d.activation)
    return NeuronOptions(inputs, weights, bias, activation), r.errors


def activation_plot_options(options: Mapping[str, Any]) -> tuple[tuple[str, ...], list[str]]:
    r = Reader(options, ("functions",))
    return r.choices("functions", tuple(ACTIVATIONS), ("sigmoid", "relu", "linear")), r.errors


@dataclass(frozen=True)
class HuberOptions:
    delta: float
    error: float
    half_squared: bool


def huber_options(options: Mapping[str, Any]) -> tuple[HuberOptions, list[str]]:
    r = Reader(options, ("delta", "error", "half_squared"))
    delta = r.number("delta", 1.0, 0.25, 3.0)
    error = r.number("error", 2.0, -3.0, 3.0)
    return HuberOptions(delta, error, r.flag("half_squared", True)), r.errors


@dataclass(frozen=True)
class XorOptions:
    values: bool  # show what h1, h2 and y compute for the inputs (false: the weights only)
    table: bool  # show the truth table of all four input pairs beside the equations


def xor_options(options: Mapping[str, Any]) -> tuple[XorOptions, list[str]]:
    r = Reader(options, ("values", "table"))
    return XorOptions(r.flag("values", True), r.flag("table", False)), r.errors


#: Networks the `playground` widget knows by name (tui_tutor.neural.playground.PRESETS).
PLAYGROUND_PRESETS = ("xor-hand", "stuck-run", "solved-run")
#: Datasets with two inputs, which a plane can show (tui_tutor.training.datasets).
PLAYGROUND_DATASETS = ("xor", "moons")
PLAYGROUND_MAX_UNITS = 8
PLAYGROUND_MAX_LAYERS = 3


@dataclass(frozen=True)
class PlaygroundLayer:
    kernel: tuple[tuple[float, ...], ...]
    bias: tuple[float, ...]
    activation: str


@dataclass(frozen=True)
class PlaygroundOptions:
    preset: str
    layers: tuple[PlaygroundLayer, ...]  # empty: use the preset
    dataset: str
    run: str  # the `train` block whose finished runs it shows ("": any on the step)
    follow: bool  # show the learner's latest finished run when there is one


def _playground_layers(value: Any, errors: list[str]) -> tuple[PlaygroundLayer, ...]:
    """Layers written out in the lesson, checked for shape: 2 inputs in, 1 unit out."""
    problem = (f"option 'layers' must be a list of 1 to {PLAYGROUND_MAX_LAYERS} layers, each "
               "{kernel: [[...], ...], bias: [...], activation: NAME}, kernel rows by input")
    if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= PLAYGROUND_MAX_LAYERS:
        errors.append(problem)
        return ()
    layers, width = [], 2
    for number, layer in enumerate(value, start=1):
        if not isinstance(layer, Mapping) or set(layer) - {"kernel", "bias", "activation"}:
            errors.append(problem)
            return ()
        kernel: Any = layer.get("kernel")
        bias: Any = layer.get("bias")
        act = layer.get("activation", "linear")
        ok = (isinstance(bias, (list, tuple)) and 1 <= len(bias) <= PLAYGROUND_MAX_UNITS
              and all(_is_number(b) and abs(b) <= VALUE_LIMIT for b in bias)
              and isinstance(kernel, (list, tuple)) and len(kernel) == width
              and all(isinstance(row, (list, tuple)) and len(row) == len(bias)
                      and all(_is_number(w) and abs(w) <= VALUE_LIMIT for w in row) for row in kernel))
        if not ok:
            errors.append(f"option 'layers': layer {number} needs {width} kernel rows (one per input), each "
                          f"with one weight per unit, and a bias per unit (1 to {PLAYGROUND_MAX_UNITS}), "
                          f"numbers within +-{VALUE_LIMIT:g}")
            return ()
        if act not in ACTIVATIONS:
            errors.append(f"option 'layers': layer {number} activation must be one of {', '.join(ACTIVATIONS)}")
            return ()
        layers.append(PlaygroundLayer(tuple(tuple(float(w) for w in row) for row in kernel),
                                      tuple(float(b) for b in bias), str(act)))
        width = len(bias)
    if width != 1:
        errors.append("option 'layers': the last layer must have exactly one unit (the output)")
        return ()
    return tuple(layers)


def playground_options(options: Mapping[str, Any]) -> tuple[PlaygroundOptions, list[str]]:
    r = Reader(options, ("preset", "layers", "dataset", "run", "follow"))
    preset = r.choice("preset", PLAYGROUND_PRESETS, "xor-hand")
    layers = _playground_layers(r.options["layers"], r.errors) if "layers" in r.options else ()
    if layers and "preset" in r.options:
        r.errors.append("give either 'preset' or 'layers', not both (the layers are shown)")
    dataset = r.choice("dataset", PLAYGROUND_DATASETS, "xor")
    run = r.options.get("run", "")
    if not isinstance(run, str) or len(run) > 100:
        r.errors.append("option 'run' must be the id of a `train` block")
        run = ""
    return PlaygroundOptions(preset, layers, dataset, run, r.flag("follow", True)), r.errors


def _no_options(options: Mapping[str, Any]) -> tuple[None, list[str]]:
    return None, Reader(options, ()).errors


PARSERS: dict[str, Callable[[Mapping[str, Any]], tuple[Any, list[str]]]] = {
    "neuron-explorer": neuron_options,
    "activation-plot": activation_plot_options,
    "xor-network": xor_options,
    "huber-plot": huber_options,
    "install-check": _no_options,
    "playground": playground_options,
}


def check_options(name: str, options: Mapping[str, Any]) -> list[str]:
    """Problems with an interactive block's options (empty when all is well)."""
    parser = PARSERS.get(name)
    if parser is None:
        return [f"unknown widget {name!r}; expected one of {', '.join(PARSERS)}"]
    return parser(options)[1]
