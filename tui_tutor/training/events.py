"""What a training run says: small frozen dataclasses of plain Python data.

A run never hands a Keras object to its listener. Every event holds only strings, ints,
floats, lists and dicts, so it can be pickled to a worker process or printed as one JSON
line by a batch job whose output the tutor follows. The wire format is one JSON object per
line with an ``"event"`` key naming the class:

    {"event": "EpochEnd", "run_id": "xor-1a2b3c4d", "epoch": 5, "logs": {"loss": 0.61}, "elapsed": 0.12}

Non-finite floats (a diverged loss) are written as the tokens ``NaN``/``Infinity`` that
Python's ``json`` module reads back; other JSON readers may need ``allow_nan``-style options.

Sequence of one run: ``Loading``, ``Loaded``, ``Started``, then ``EpochEnd`` (and, for slow
epochs, throttled ``BatchEnd``) events, and exactly one of ``Finished``, ``Stopped`` or
``Failed``. A run that cannot load TensorFlow goes ``Loading``, ``Failed(kind="import")``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, Literal, TypeVar, cast

FailureKind = Literal["import", "diverged", "error", "timeout"]
FAILURE_KINDS: tuple[str, ...] = ("import", "diverged", "error", "timeout")

_E = TypeVar("_E", bound="_JsonEvent")


class _JsonEvent:
    """Mixin: one JSON line per event (``to_json``) and back (``from_json``)."""

    _registry: ClassVar[dict[str, type[_JsonEvent]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _JsonEvent._registry[cls.__name__] = cls

    def to_dict(self) -> dict[str, Any]:
        return {"event": type(self).__name__, **asdict(self)}  # type: ignore[call-overload]

    def to_json(self) -> str:
        """One line of JSON (no newline inside)."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls: type[_E], data: dict[str, Any]) -> _E:
        data = dict(data)
        name = data.pop("event", cls.__name__)
        target = _JsonEvent._registry.get(name)
        if target is None:
            raise ValueError(f"unknown training event {name!r}")
        if cls is not _JsonEvent and not issubclass(target, cls):
            raise ValueError(f"expected a {cls.__name__} event, got {name}")
        names = {f.name for f in fields(target)}  # type: ignore[arg-type]  # every registered event is a dataclass
        # ``target`` is ``cls`` or (checked above) a subclass of it, unless ``cls`` is the mixin itself.
        return cast(_E, target(**{k: v for k, v in data.items() if k in names}))

    @classmethod
    def from_json(cls: type[_E], line: str) -> _E:
        """Read one JSON line back; on a subclass, the line must name that class."""
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("a training event is a JSON object")
        return cls.from_dict(data)


@dataclass(frozen=True)
class Loading(_JsonEvent):
    """TensorFlow is being imported (3-6 s the first time in a process)."""

    run_id: str


@dataclass(frozen=True)
class Loaded(_JsonEvent):
    """TensorFlow and Keras are ready; ``seconds`` is the import time (about 0 when cached)."""

    run_id: str
    versions: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True)
class Started(_JsonEvent):
    """The model is built and compiled; fitting begins.

    ``settings`` are the effective settings after overrides: dataset, layers (list of
    ``{"units", "activation"}``), loss, optimizer, learning_rate, epochs, batch_size,
    validation_split, seed, metrics, plus ``train_rows``, ``validation_rows``,
    ``steps_per_pass`` and ``passes_per_log`` (how many passes one ``EpochEnd`` covers).
    """

    run_id: str
    settings: dict[str, Any] = field(default_factory=dict)
    epochs: int = 0


@dataclass(frozen=True)
class BatchEnd(_JsonEvent):
    """Throttled progress inside a long logged epoch: the running mean loss of ``epoch``."""

    run_id: str
    epoch: int
    batch: int
    loss: float


@dataclass(frozen=True)
class EpochEnd(_JsonEvent):
    """Logs after logical epoch ``epoch`` (1-based passes over the training data).

    ``logs`` holds floats such as ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``: the
    training values are the means over that epoch's pass, as Keras reports them.
    ``elapsed`` counts seconds since fitting began.

    ``weights``: for small models only (see ``Finished``; at most
    ``records.MAX_KEPT_WEIGHTS`` numbers), the weights after this epoch, in ``Finished``'s
    layout, so a view can draw the network as it learns. Empty otherwise; its JSON line then
    leaves the key out, and older lines without it still read.
    """

    run_id: str
    epoch: int
    logs: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0
    weights: list[dict[str, list[Any]]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        if not self.weights:
            del data["weights"]
        return data


@dataclass(frozen=True)
class Finished(_JsonEvent):
    """The run completed every epoch.

    ``history`` maps ``"epoch"`` and each metric name to one value per logged epoch.
    ``weights`` has one entry per Dense layer: ``{"kernel": [[...], ...], "bias": [...]}``,
    kernel rows indexed by input, columns by unit (Keras' layout).

    A run with a held-out test set (``split:``) also reports, measured once after the last
    epoch: ``test`` (``{"loss", "accuracy"}``; a regression run: ``{"loss", "rmse",
    "baseline_rmse"}`` and its ``predictions``), and for classes ``confusion``, a matrix of
    counts (row: true class, column: predicted class, in the order of ``classes``). Runs
    without a test set leave the three empty; older JSON lines without them still read.
    """

    run_id: str
    history: dict[str, list[float]] = field(default_factory=dict)
    weights: list[dict[str, list[Any]]] = field(default_factory=list)
    elapsed: float = 0.0
    test: dict[str, float] = field(default_factory=dict)
    confusion: list[list[int]] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    #: A few test rows the network got wrong, each ``[row, true class, predicted class]``
    #: with ``row`` the dataset's row number (image datasets: the misclassified grid).
    misclassified: list[list[int]] = field(default_factory=list)
    #: A regression run's test rows as ``[true, predicted]`` (the predicted-against-true plot).
    predictions: list[list[float]] = field(default_factory=list)


@dataclass(frozen=True)
class Stopped(_JsonEvent):
    """The learner stopped the run; ``epoch`` is the last fully logged epoch (0 if none)."""

    run_id: str
    epoch: int = 0
    history: dict[str, list[float]] = field(default_factory=dict)
    #: Why, when known: "stopped (time limit)", "stopped (by you)", "stopped (cancelled)" (a
    #: batch job's worker writes it); "" otherwise, and the JSON line then leaves the key out.
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        if not self.reason:
            del data["reason"]
        return data


@dataclass(frozen=True)
class Failed(_JsonEvent):
    """The run could not go on; ``message`` is one plain line meant for the learner.

    ``kind``: ``import`` (no TensorFlow), ``diverged`` (loss not finite), ``timeout`` (the
    wall-time cap), ``error`` (anything else).
    """

    run_id: str
    kind: str = "error"
    message: str = ""
    history: dict[str, list[float]] = field(default_factory=dict)


Event = Loading | Loaded | Started | BatchEnd | EpochEnd | Finished | Stopped | Failed
EVENT_TYPES: tuple[type, ...] = (Loading, Loaded, Started, BatchEnd, EpochEnd, Finished, Stopped, Failed)
#: The events that end a run: exactly one of them is the last event of every run.
FINAL_EVENTS: tuple[type, ...] = (Finished, Stopped, Failed)


def event_from_json(line: str) -> Event:
    """Read any event from its JSON line (dispatching on the ``"event"`` key)."""
    return cast(Event, _JsonEvent.from_json(line))  # the registry holds exactly the event classes


def event_from_dict(data: dict[str, Any]) -> Event:
    return cast(Event, _JsonEvent.from_dict(data))
