"""The lessons' interactive widgets in words: what each shows, and commands to play with it.

* neuron-explorer: the inputs, weights, bias and activation, each stage of the computation,
  and `set x1 0.5` / `set act sigmoid` / `reset` commands that recompute the output;
* xor-network: its weights and biases as equations, `set x1 1` to follow one input through,
  and `table` for the truth table (not shown unasked: the next step's exercise computes it);
* activation-plot and huber-plot: a short numeric summary (values at a few points) instead
  of a plot; huber-plot takes `set error 2` and `set delta 1.5`;
* install-check: `check` loads TensorFlow the way training does and reports its versions.

Options are read with `tui_tutor.lesson.widget_options`, values computed by `tui_tutor.neural`.
"""

from __future__ import annotations

import importlib.metadata
import sys
import time
from typing import Any

from tui_tutor.lesson.model import Interactive
from tui_tutor.lesson.widget_options import VALUE_LIMIT, activation_plot_options, huber_options, neuron_options
from tui_tutor.neural.math import ACTIVATION_DESCRIPTIONS, ACTIVATION_FORMULAS, ACTIVATIONS, XOR_NETWORK, huber, neuron, xor_forward

SAMPLE_POINTS = (-2.0, -1.0, 0.0, 1.0, 2.0)
DELTA_MIN, DELTA_MAX = 0.25, 3.0  # as the full-screen huber-plot


def fmt(v: float, digits: int = 4) -> str:
    """A number as people write it: 0.5, 1, -0.25 (never -0)."""
    text = f"{v:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) <= VALUE_LIMIT else None


class LineWidget:
    """A widget in words: `lines()` describes it; `command` answers `set`, `reset`, `table`..."""

    name = ""
    verbs: tuple[str, ...] = ()

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        self.problems: list[str] = []

    def lines(self) -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def usage(self) -> str:
        return ""

    def command(self, verb: str, arg: str) -> list[str]:
        return [self.usage()] if self.usage() else []


class NeuronWords(LineWidget):
    name = "neuron-explorer"
    verbs = ("set", "reset", "show")

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__(options)
        self.initial, self.problems = neuron_options(options)
        self.reset()

    def reset(self) -> None:
        o = self.initial
        self.inputs, self.weights = list(o.inputs), list(o.weights)
        self.bias, self.activation = o.bias, o.activation

    def names(self) -> list[str]:
        n = len(self.inputs)
        return [f"x{i + 1}" for i in range(n)] + [f"w{i + 1}" for i in range(n)] + ["b", "act"]

    def usage(self) -> str:
        return (f"Explore the neuron: set x1 0.5 (or w2, b, any number from {-VALUE_LIMIT:g} to {VALUE_LIMIT:g}), "
                f"set act sigmoid ({', '.join(ACTIVATIONS)}), reset, show.")

    def lines(self) -> list[str]:
        t = neuron(self.inputs, self.weights, self.bias, self.activation)
        xs = ", ".join(f"x{i + 1} = {fmt(x)}" for i, x in enumerate(t.inputs))
        ws = ", ".join(f"w{i + 1} = {fmt(w)}" for i, w in enumerate(t.weights))
        products = " + ".join(f"{fmt(x)}*{fmt(w)}" for x, w in zip(t.inputs, t.weights))
        return [
            "Neuron explorer:",
            f"  inputs {xs}",
            f"  weights {ws}",
            f"  bias b = {fmt(t.bias)}, activation {t.activation}: {ACTIVATION_FORMULAS.get(t.activation, '')}",
            f"  weighted sum {products} = {fmt(t.weighted_sum)}",
            f"  plus bias: {fmt(t.weighted_sum)} + {fmt(t.bias)} = {fmt(t.pre_activation)}",
            f"  output {t.activation}({fmt(t.pre_activation)}) = {fmt(t.output)}",
        ]

    def command(self, verb: str, arg: str) -> list[str]:
        if verb == "reset":
            self.reset()
            return self.lines()
        if verb == "show":
            return self.lines()
        name, _, value = arg.lower().partition(" ")
        name, value = name.strip(), value.strip()
        if name in ("act", "activation"):
            if value not in ACTIVATIONS:
                return [f"Activations: {', '.join(ACTIVATIONS)}."]
            self.activation = value
        elif name in self.names()[:-1]:
            number = _number(value)
            if number is None:
                return [f"{name} takes a number from {-VALUE_LIMIT:g} to {VALUE_LIMIT:g}."]
            if name == "b":
                self.bias = number
            else:
                (self.inputs if name[0] == "x" else self.weights)[int(name[1:]) - 1] = number
        else:
            return [self.usage()]
        t = neuron(self.inputs, self.weights, self.bias, self.activation)
        return [f"{name} = {value}: the output is {t.activation}({fmt(t.pre_activation)}) = {fmt(t.output)}.",
                *self.lines()[1:]]


class XorWords(LineWidget):
    name = "xor-network"
    verbs = ("set", "table", "show")

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__(options)
        self.x1, self.x2 = 0, 0

    def usage(self) -> str:
        return "Follow the network: set x1 1 (or x2; inputs are 0 or 1), table for its truth table, show."

    def equations(self) -> list[str]:
        w, b = XOR_NETWORK.weights, XOR_NETWORK.biases
        h1, h2, y = xor_forward(self.x1, self.x2)
        x = {"x1": float(self.x1), "x2": float(self.x2), "h1": h1, "h2": h2}
        out = []
        for name, value, sources in (("h1", h1, ("x1", "x2")), ("h2", h2, ("x1", "x2")), ("y", y, ("h1", "h2"))):
            terms = " + ".join(f"{fmt(w[(src, name)])}*{fmt(x[src])}" for src in sources)
            out.append(f"  {name} = relu({terms} + {fmt(b[name])}) = {fmt(value)}")
        return out

    def lines(self) -> list[str]:
        w, b = XOR_NETWORK.weights, XOR_NETWORK.biases
        weights = ", ".join(f"{src} to {dst} {fmt(v)}" for (src, dst), v in w.items())
        biases = ", ".join(f"{name} {fmt(v)}" for name, v in b.items())
        return [
            "The XOR network: inputs x1 and x2, hidden neurons h1 and h2, output y, all with relu.",
            f"  weights: {weights}.",
            f"  biases: {biases}.",
            f"With x1 = {self.x1} and x2 = {self.x2}:",
            *self.equations(),
        ]

    def table(self) -> list[str]:
        out = ["Truth table (x1, x2: h1, h2, y):"]
        for a in (0, 1):
            for c in (0, 1):
                h1, h2, y = xor_forward(a, c)
                out.append(f"  x1 = {a}, x2 = {c}: h1 = {fmt(h1)}, h2 = {fmt(h2)}, y = {fmt(y)}")
        return out

    def command(self, verb: str, arg: str) -> list[str]:
        if verb == "table":
            return self.table()
        if verb == "show":
            return self.lines()
        name, _, value = arg.lower().partition(" ")
        if name.strip() not in ("x1", "x2") or value.strip() not in ("0", "1"):
            return [self.usage()]
        setattr(self, name.strip(), int(value.strip()))
        return [f"With x1 = {self.x1} and x2 = {self.x2}:", *self.equations()]


class ActivationWords(LineWidget):
    name = "activation-plot"

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__(options)
        self.functions, self.problems = activation_plot_options(options)

    def lines(self) -> list[str]:
        out = ["Activation functions (in place of the plot, values at x = "
               + ", ".join(fmt(x) for x in SAMPLE_POINTS) + "):"]
        for name in self.functions:
            f = ACTIVATIONS[name]
            values = ", ".join(fmt(f(x), 3) for x in SAMPLE_POINTS)
            out.append(f"  {name}: {ACTIVATION_FORMULAS.get(name, '')}; values {values}.")
            out.append(f"    {ACTIVATION_DESCRIPTIONS.get(name, '')}")
        return out


class HuberWords(LineWidget):
    name = "huber-plot"
    verbs = ("set", "reset", "show")

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__(options)
        self.initial, self.problems = huber_options(options)
        self.delta, self.error = self.initial.delta, self.initial.error

    def usage(self) -> str:
        return f"Try other numbers: set error 2.5 (from -3 to 3), set delta 0.5 (from {DELTA_MIN:g} to {DELTA_MAX:g}), reset."

    def lines(self) -> list[str]:
        half = self.initial.half_squared
        sq = "e^2/2" if half else "e^2"

        def square(e: float) -> float:
            return e * e / 2 if half else e * e

        e, d = self.error, self.delta
        points = ", ".join(f"e = {fmt(x)}: {fmt(square(x), 3)} against {fmt(huber(x, d), 3)}" for x in (0.5, 1.0, 2.0, 3.0))
        inside = "inside delta: the same as e^2/2" if abs(e) <= d else "beyond delta: it grows only linearly"
        return [
            f"Huber loss against the squared error {sq} (in place of the plot), delta = {fmt(d)}:",
            f"  {points}.",
            f"  At error e = {fmt(e)}: {sq} = {fmt(square(e), 5)}, Huber loss = {fmt(huber(e, d), 5)} ({inside}).",
        ]

    def command(self, verb: str, arg: str) -> list[str]:
        if verb == "reset":
            self.delta, self.error = self.initial.delta, self.initial.error
            return self.lines()
        if verb == "show":
            return self.lines()
        name, _, value = arg.lower().partition(" ")
        number = _number(value.strip())
        if name == "error" and number is not None and -3 <= number <= 3:
            self.error = number
        elif name == "delta" and number is not None and DELTA_MIN <= number <= DELTA_MAX:
            self.delta = number
        else:
            return [self.usage()]
        return self.lines()


def _version(name: str) -> str:
    module = sys.modules.get(name)
    if module is not None and getattr(module, "__version__", None):
        return str(module.__version__)
    for dist in (name, f"{name}-cpu"):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "not found"


class InstallWords(LineWidget):
    name = "install-check"
    verbs = ("check",)

    def usage(self) -> str:
        return "Type check to load TensorFlow now and see its version (a few seconds, about 0.5 GB)."

    def lines(self) -> list[str]:
        return ["Installation check: " + self.usage()]

    def command(self, verb: str, arg: str) -> list[str]:
        from tui_tutor.training import tfload
        from tui_tutor.training.datasets import data_status

        data = [f"Data file {s.name}: {s.rows} rows, fine." if not s.problem else f"Data file {s.name}: {s.problem}"
                for s in data_status()]
        start = time.monotonic()
        try:
            keras = tfload.load_keras()
        except Exception as exc:  # noqa: BLE001 - any failure is a sentence; the lesson goes on
            return [*data, "TensorFlow could not be loaded: " + " ".join(str(exc).split())[:300],
                    "The rest of the lesson works without it: only the training runs need TensorFlow."]
        versions = {name: _version(name) for name in ("tensorflow", "keras", "numpy")}
        versions["keras"] = str(getattr(keras, "__version__", versions["keras"]))
        return [*data, "Your installation can run the training steps: "
                + ", ".join(f"{name} {v}" for name, v in versions.items())
                + f" (checked in {time.monotonic() - start:.1f} s)."]


KINDS: dict[str, type[LineWidget]] = {
    cls.name: cls for cls in (NeuronWords, XorWords, ActivationWords, HuberWords, InstallWords)
}


def make(item: Interactive) -> LineWidget | None:
    cls = KINDS.get(item.widget)
    return cls(dict(item.options)) if cls is not None else None


