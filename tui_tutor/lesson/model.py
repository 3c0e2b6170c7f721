"""Typed model of a lesson: what the loader produces and everything else consumes.

Plain frozen dataclasses (not pydantic): importing pydantic costs 0.16-0.24 s here, more
than half of the start-up budget, and the loader already reports errors with line numbers.
Strings that hold formulas (answers, derived values, `when:` conditions) stay strings: the
grading engine reads them with its safe expression parser, never with eval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterator
from typing import Any, Literal

from tui_tutor.lesson.limits import MAX_MESSAGE

QuestionKind = Literal["numeric", "choice", "multi", "matching", "table", "order", "text", "reflect"]
QUESTION_KINDS: tuple[str, ...] = ("numeric", "choice", "multi", "matching", "table", "order", "text", "reflect")

Number = int | float
#: A number as written in a lesson: a literal, or an expression over the question's params.
NumberOrExpr = int | float | str


@dataclass(frozen=True)
class Feedback:
    """A targeted message shown when `when` (an expression over `answer` and params) holds."""

    when: str
    message: str
    line: int = 0
    #: For table questions: the (row, column) of the cell the condition reads; None elsewhere.
    cell: tuple[int, int] | None = None


@dataclass(frozen=True)
class Option:
    """One option of a choice/multi question; labelled A, B, C... by position."""

    text: str
    correct: bool = False
    feedback: str = ""


@dataclass(frozen=True)
class Statement:
    """One row of a matching question."""

    text: str
    answer: str  # an option key, e.g. "A"
    optional: bool = False


@dataclass(frozen=True)
class Cell:
    """One table cell: either shown (`value`) or to be filled in (`answer` is not None)."""

    value: str = ""
    answer: NumberOrExpr | None = None
    rtol: float | None = None
    atol: float | None = None

    @property
    def is_blank(self) -> bool:
        return self.answer is not None


@dataclass(frozen=True)
class Param:
    """A variant parameter: drawn from `choose`, or from `low..high` in steps of `step`.

    `choose` may list words (`[relu, sigmoid, linear]`): formulas then see the position
    (0, 1, 2) and `{name}` placeholders show the word, kept in `labels`.
    """

    name: str
    choose: tuple[Number, ...] = ()
    labels: tuple[str, ...] = ()
    low: Number | None = None
    high: Number | None = None
    step: Number | None = None
    line: int = 0


@dataclass(frozen=True)
class Question:
    """A graded (or saved but ungraded, kind `reflect`) question.

    Kind-specific fields are empty for kinds that do not use them; the loader checks that
    each kind has what it needs.
    """

    id: str
    kind: str
    line: int
    prompt: str = ""
    hints: tuple[str, ...] = ()
    solution: str = ""
    optional: bool = False
    feedback: tuple[Feedback, ...] = ()
    # numeric
    answer: NumberOrExpr | None = None
    rtol: float = 1e-4
    atol: float = 1e-9
    # choice / multi
    options: tuple[Option, ...] = ()
    partial: str = "edc"
    # matching: option key -> text; statements
    match_options: tuple[tuple[str, str], ...] = ()
    statements: tuple[Statement, ...] = ()
    # table
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Cell, ...], ...] = ()
    # order
    items: tuple[str, ...] = ()
    # text
    accepted: tuple[str, ...] = ()
    pattern: str = ""
    # variants
    params: tuple[Param, ...] = ()
    derived: tuple[tuple[str, str], ...] = ()
    where: tuple[str, ...] = ()
    first: tuple[tuple[str, Number], ...] = ()
    #: Graded against the learner's own training run: the `id` of a `train` block.
    run: str = ""
    #: `run_settings: {hidden_units: 2}`: only a run (or sweep) trained with these settings
    #: counts: the latest such run, not a later one with other settings.
    run_settings: tuple[tuple[str, Any], ...] = ()

    @property
    def graded(self) -> bool:
        return self.kind != "reflect"

    @property
    def has_variants(self) -> bool:
        return bool(self.params)


@dataclass(frozen=True)
class Prose:
    """A run of Markdown."""

    markdown: str
    line: int


@dataclass(frozen=True)
class Block:
    """A Carpentries content block (challenge, callout, solution, hint, keypoints...)."""

    kind: str
    title: str
    children: tuple[Item, ...]
    line: int

    @property
    def hidden(self) -> bool:
        """Solutions and hints wait for a key; instructor notes are never shown."""
        return self.kind in ("solution", "hint", "instructor")


@dataclass(frozen=True)
class Interactive:
    """A widget the learner plays with; `options` are the block's other YAML keys."""

    widget: str
    options: dict[str, Any]
    line: int


#: Layer types a `train` block may use (`type:` of a layer; Dense when left out).
LAYER_TYPES: tuple[str, ...] = ("Dense", "Conv2D", "MaxPooling2D", "Flatten", "Dropout")


@dataclass(frozen=True)
class LayerSpec:
    """One Keras layer: Dense (`units`), Conv2D (`filters`, square `kernel_size`), MaxPooling2D
    (square `pool_size`), Flatten, or Dropout (`rate`). `activation` is for Dense and Conv2D."""

    units: int = 0
    activation: str = "linear"
    type: str = "Dense"
    filters: int = 0
    kernel_size: int = 0
    pool_size: int = 0
    rate: float = 0.0

    @property
    def dense(self) -> bool:
        return self.type == "Dense"

    def to_dict(self) -> dict[str, Any]:
        """Dense layers as `{"units", "activation"}` (as before); the others name their `type`."""
        if self.type == "Conv2D":
            return {"type": self.type, "filters": self.filters, "kernel_size": self.kernel_size,
                    "activation": self.activation}
        if self.type == "MaxPooling2D":
            return {"type": self.type, "pool_size": self.pool_size}
        if self.type == "Dropout":
            return {"type": self.type, "rate": self.rate}
        if self.type == "Flatten":
            return {"type": self.type}
        return {"units": self.units, "activation": self.activation}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LayerSpec:
        kind = str(data.get("type", "Dense"))
        return cls(units=int(data.get("units", 0)), activation=str(data.get("activation", "linear")), type=kind,
                   filters=int(data.get("filters", 0)), kernel_size=int(data.get("kernel_size", 0)),
                   pool_size=int(data.get("pool_size", 0)), rate=float(data.get("rate", 0.0)))


@dataclass(frozen=True)
class SplitSpec:
    """`split:` of a `train` block: hold back a `test` fraction of the rows (per class when
    `stratify`), drawn with its own `seed`, and evaluate on them once training ends."""

    test: float = 0.2
    stratify: bool = False
    seed: int = 0


#: Where a `train` block runs: in the tutor's worker process, or as a Slurm batch job.
TRAIN_TARGETS = ("local", "slurm")


@dataclass(frozen=True)
class Resources:
    """What a Slurm job of a `train` block asks for (`resources:`); None: the site's default."""

    time: str | None = None
    cpus: int | None = None
    gpus: int | None = None
    partition: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (("time", self.time), ("cpus", self.cpus), ("gpus", self.gpus),
                                  ("partition", self.partition)) if v is not None}


@dataclass(frozen=True)
class SweepSpec:
    """`sweep: {seeds: 30, solved_loss: 0.1}`: the same run over seeds 1..`seeds` (one Slurm
    array job, or one seed after another on this machine); a seed counts as solved when its
    final training loss is below `solved_loss` (None: no solved count, only the losses)."""

    seeds: int
    solved_loss: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"seeds": self.seeds, **({"solved_loss": self.solved_loss} if self.solved_loss is not None else {})}

    @property
    def seed_list(self) -> list[int]:
        return list(range(1, self.seeds + 1))


@dataclass(frozen=True)
class TrainSpec:
    """A declarative Keras run: built and fitted by `tui_tutor.training`, never executed as code."""

    id: str
    line: int
    dataset: str = "xor"
    layers: tuple[LayerSpec, ...] = ()
    loss: str = "binary_crossentropy"
    optimizer: str = "adam"
    learning_rate: float = 0.01
    epochs: int = 100
    batch_size: int = 4
    validation_split: float = 0.0
    seed: int = 1
    metrics: tuple[str, ...] = ("accuracy",)
    steps_per_epoch: int | None = None
    #: Ids of other `train` blocks of the lesson whose runs this view shows to compare with.
    compare: tuple[str, ...] = ()
    #: Preparing the data before training: drop rows with a missing value, one-hot the
    #: class labels, hold back a test set, standardize the features (on the training rows).
    drop_missing: bool = False
    one_hot: bool = False
    standardize: bool = False
    split: SplitSpec | None = None
    #: `target: slurm` sends the run to Slurm (asking for `resources`) where `sbatch` is found.
    target: str = "local"
    resources: Resources = Resources()
    #: `early_stopping: {patience: N}`: stop once the validation loss has not improved for N
    #: epochs, and keep the weights of its best epoch (None: train every epoch).
    patience: int | None = None
    #: `sweep:` runs this block over many seeds at once (None: one run at a time).
    sweep: SweepSpec | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (layers as `LayerSpec.to_dict` writes them): what a training worker is sent."""
        return {
            "id": self.id, "line": self.line, "dataset": self.dataset,
            "layers": [layer.to_dict() for layer in self.layers],
            "loss": self.loss, "optimizer": self.optimizer, "learning_rate": self.learning_rate,
            "epochs": self.epochs, "batch_size": self.batch_size, "validation_split": self.validation_split,
            "seed": self.seed, "metrics": list(self.metrics), "steps_per_epoch": self.steps_per_epoch,
            "drop_missing": self.drop_missing, "one_hot": self.one_hot, "standardize": self.standardize,
            "split": None if self.split is None else {
                "test": self.split.test, "stratify": self.split.stratify, "seed": self.split.seed},
            **({"early_stopping": {"patience": self.patience}} if self.patience is not None else {}),
            **({"target": self.target} if self.target != "local" else {}),
            **({"resources": self.resources.to_dict()} if self.resources.to_dict() else {}),
            **({"sweep": self.sweep.to_dict()} if self.sweep is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainSpec:
        """The spec `to_dict` wrote (unknown keys are ignored; missing ones take the defaults)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["layers"] = tuple(LayerSpec.from_dict(layer) for layer in known.get("layers", ()))
        if "metrics" in known:
            known["metrics"] = tuple(known["metrics"])
        stopping = data.get("early_stopping")
        if isinstance(stopping, dict) and stopping.get("patience") is not None:
            known["patience"] = int(stopping["patience"])
        sweep = data.get("sweep")
        known["sweep"] = (SweepSpec(int(sweep["seeds"]), None if sweep.get("solved_loss") is None
                                    else float(sweep["solved_loss"]))
                          if isinstance(sweep, dict) and isinstance(sweep.get("seeds"), int) else None)
        if isinstance(known.get("split"), dict):
            known["split"] = SplitSpec(**{k: v for k, v in known["split"].items() if k in ("test", "stratify", "seed")})
        elif "split" in known:
            known["split"] = None
        if "resources" in known:
            known["resources"] = Resources(**{k: v for k, v in dict(known["resources"] or {}).items()
                                              if k in ("time", "cpus", "gpus", "partition")})
        return cls(**known)


Item = Prose | Block | Question | Interactive | TrainSpec


@dataclass(frozen=True)
class Step:
    title: str
    items: tuple[Item, ...]
    line: int

    def questions(self) -> list[Question]:
        """Every question of the step, including those nested in blocks, in reading order."""
        return [q for q in walk(self.items) if isinstance(q, Question)]


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    path: Path
    steps: tuple[Step, ...]
    minutes: int | None = None
    order: int = 1000
    mastery: int = 2
    credits: str = ""

    def questions(self) -> list[Question]:
        return [q for step in self.steps for q in step.questions()]

    def graded_questions(self) -> list[Question]:
        return [q for q in self.questions() if q.graded and not q.optional]


def walk(items: tuple[Item, ...]) -> Iterator[Item]:
    """Yield items depth-first, descending into blocks."""
    for item in items:
        yield item
        if isinstance(item, Block):
            yield from walk(item.children)


@dataclass
class LessonError:
    """One problem in a lesson file, printed as `path:line: message`."""

    path: Path
    line: int
    message: str

    def __post_init__(self) -> None:
        self.message = one_line(self.message, MAX_MESSAGE)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def one_line(text: str, limit: int) -> str:
    """`text` on one line of at most `limit` characters, with no control characters.

    Messages echo what a lesson wrote (an id, a value); a newline or a terminal escape in it
    must not break the `path:line: message` format or reach the terminal.
    """
    text = " ".join(str(text).split())
    if any(not ch.isprintable() for ch in text):
        text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class LoadResult:
    lesson: Lesson | None
    errors: list[LessonError] = field(default_factory=list)
