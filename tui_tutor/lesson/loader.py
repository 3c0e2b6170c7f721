"""Turn a lesson file into a typed `Lesson`, reporting every problem as `path:line: message`.

Lesson files are data: YAML is read with the safe loader and nothing is executed. Files
come from anyone, so reading one is bounded by construction (`limits.py`: file size, line
length, nesting, numbers) and never raises: whatever goes wrong becomes a message.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tui_tutor.lesson.blocks import Node, TextRun, parse_blocks
from tui_tutor.lesson.catalog import discover as discover  # defined there (no PyYAML); re-exported
from tui_tutor.lesson.fields import Fields, is_number
from tui_tutor.lesson.limits import MAX_FILE_BYTES, MAX_LINE, MAX_STEP_ITEMS, MAX_STEP_TEXT, MAX_STEPS
from tui_tutor.lesson.model import (
    QUESTION_KINDS,
    Block,
    Cell,
    Feedback,
    Interactive,
    Item,
    LAYER_TYPES,
    LayerSpec,
    Lesson,
    LessonError,
    LoadResult,
    Option,
    Param,
    Prose,
    Question,
    Statement,
    SplitSpec,
    SweepSpec,
    Step,
    TrainSpec,
    TRAIN_TARGETS,
    Resources,
    walk,
)
from tui_tutor.lesson.names import (
    ACTIVATIONS,
    DATASET_CLASSES,
    DATASET_INPUT_SHAPES,
    DATASET_NAMES as DATASETS,
    DATASETS_WITH_MISSING,
    LOSSES,
    OPTIMIZERS,
    RUN_SETTING_LABELS,
)
from tui_tutor.lesson.text_pattern import compile_pattern
from tui_tutor.lesson.yamldoc import YamlProblem, load_yaml

CONTENT_BLOCKS = frozenset(
    "challenge discussion solution hint callout note checklist testimonial spoiler "
    "keypoints questions objectives instructor caution warning tip prereq".split()
)
TUTOR_BLOCKS = frozenset({"question", "interactive", "train"})
WIDGETS = ("neuron-explorer", "activation-plot", "xor-network", "huber-plot", "install-check", "playground")

_FRONT_KEYS = {"title", "id", "minutes", "order", "mastery", "credits"}
_COMMON_KEYS = {"id", "kind", "prompt", "hints", "solution", "optional", "feedback", "params", "derived", "where", "first",
                "run", "run_settings"}
#: What `run_settings:` may name: the settings a learner changes in a training view.
RUN_SETTING_KEYS = tuple(RUN_SETTING_LABELS)
_KIND_KEYS = {
    "numeric": {"answer", "rtol", "atol"},
    "choice": {"options"},
    "multi": {"options", "partial"},
    "matching": {"options", "statements"},
    "table": {"columns", "rows", "rtol", "atol"},
    "order": {"items"},
    "text": {"answer", "pattern"},
    "reflect": set(),
}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_HEADING2 = re.compile(r"^##\s+(.*)$")  # closing `#`s are stripped in Python (no quadratic regex)

#: Ranges of the numbers a lesson sets, where the tutor uses them (see lessons/README.md).
MAX_MASTERY = 100
MAX_MINUTES = 10_000
MAX_EPOCHS = 100_000
#: Seeds in one `sweep:` (one Slurm array job; one run after another on this machine).
MAX_SWEEP_SEEDS = 100
MAX_BATCH = 100_000
MAX_UNITS = 1024
MAX_LAYERS = 20
MAX_LEARNING_RATE = 1000.0
MAX_SEED = 2**31 - 1
MAX_RTOL = 1.0


def load_lesson(path: Path) -> LoadResult:
    """Load one lesson file; never raises. `lesson` is None when the file cannot be read at all.

    A lesson with errors is still returned (so the validator can report everything), but
    the app opens only lessons without errors.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return LoadResult(None, [LessonError(path, 1, f"cannot read the file: {exc.strerror or exc}")])
    if len(raw) > MAX_FILE_BYTES:
        return LoadResult(None, [LessonError(path, 1, f"the file is larger than {MAX_FILE_BYTES:,} bytes")])
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark is allowed and dropped
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return LoadResult(None, [LessonError(path, line, f"the file is not UTF-8 text (byte {exc.start + 1})")])
    return parse_lesson(text, path)


def parse_lesson(text: str, path: Path) -> LoadResult:
    """Parse lesson text; never raises (an unexpected failure is reported as a problem at line 1)."""
    try:
        return _parse_lesson(text, path)
    except Exception as exc:  # noqa: BLE001 - a loader bug must read as a problem, not stop the tutor
        message = f"the tutor could not read this lesson ({type(exc).__name__}); please report it"
        return LoadResult(None, [LessonError(path, 1, message)])


def _cut_long_lines(text: str, problems: list[tuple[int, str]]) -> str:
    """Report lines over MAX_LINE and blank them, so no later pass works on them."""
    lines = text.splitlines()
    long = [i for i, line in enumerate(lines) if len(line) > MAX_LINE]
    if not long:
        return text
    for i in long:
        problems.append((i + 1, f"the line is longer than {MAX_LINE:,} characters"))
        lines[i] = ""
    return "\n".join(lines)


def _parse_lesson(text: str, path: Path) -> LoadResult:
    problems: list[tuple[int, str]] = []
    parsed = parse_blocks(_cut_long_lines(text, problems))
    problems.extend(parsed.errors)
    meta = _front_matter(parsed.front_matter, parsed.front_matter_line, path, problems)
    builder = _Builder(problems)
    steps = builder.steps(parsed.body, meta.get("title", path.stem))
    if len(steps) > MAX_STEPS:
        problems.append((steps[MAX_STEPS].line, f"the lesson has more than {MAX_STEPS} steps"))
    for train_id, line in builder.run_refs:
        if train_id not in builder.train_ids:
            problems.append((line, f"`run: {train_id}` names no `train` block of this lesson"))
    for owner, train_id, line in builder.compare_refs:
        if train_id == owner:
            problems.append((line, f"`compare: {train_id}`: a `train` block compares with other blocks, not itself"))
        elif train_id not in builder.train_ids:
            problems.append((line, f"`compare: {train_id}` names no `train` block of this lesson"))
    if not steps:
        problems.append((1, "the lesson has no content: add at least one `## Step title` and some text"))
    lesson = Lesson(
        id=meta.get("id", path.stem),
        title=meta.get("title", path.stem),
        path=path,
        steps=tuple(steps),
        minutes=meta.get("minutes"),
        order=meta.get("order", 1000),
        mastery=meta.get("mastery", 2),
        credits=meta.get("credits", ""),
    )
    errors = [LessonError(path, line, message) for line, message in sorted(problems, key=lambda p: p[0])]
    return LoadResult(lesson, errors)


def _front_matter(text: str, first_line: int, path: Path, problems: list[tuple[int, str]]) -> dict[str, Any]:
    if not first_line:
        return {}
    try:
        doc = load_yaml(text, first_line)
    except YamlProblem as exc:
        problems.append((exc.line, exc.message))
        return {}
    fields = Fields(doc, (), doc.data if doc.data is not None else {}, "the front matter", problems)
    meta: dict[str, Any] = {"title": fields.text("title", required=True) or path.stem}
    if fields.has("id"):
        lesson_id = fields.text("id")
        if lesson_id and not _ID.fullmatch(lesson_id):
            fields.error(f"lesson id `{lesson_id}` may hold only letters, digits, `-`, `_` and `.`", "id")
        else:
            meta["id"] = lesson_id
    for key, most in (("minutes", MAX_MINUTES), ("order", None)):
        value = fields.integer(key, minimum=0, maximum=most)
        if value is not None:
            meta[key] = value
    meta["mastery"] = fields.integer("mastery", 2, minimum=1, maximum=MAX_MASTERY)
    meta["credits"] = fields.text("credits")
    fields.check_unknown(_FRONT_KEYS)
    return meta


class _Builder:
    """Walks the block tree; one instance per file so question ids are checked file-wide."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        self.ids: dict[str, int] = {}
        self.train_ids: set[str] = set()
        self.run_refs: list[tuple[str, int]] = []  # (train id, line) of questions about a run
        self.compare_refs: list[tuple[str, str, int]] = []  # (block id, compared id, line) of `compare:`

    # -- steps ----------------------------------------------------------------
    def steps(self, body: list[Node | TextRun], lesson_title: str) -> list[Step]:
        steps: list[Step] = []
        title, line = lesson_title, 0  # line 0: text before any heading
        chunk: list[Node | TextRun] = []
        for child in body:
            if isinstance(child, TextRun):
                run = TextRun(line=child.line)
                for offset, text in enumerate(child.lines):
                    heading = _HEADING2.match(text)
                    if heading:
                        if run.lines:
                            chunk.append(run)
                        self._close_step(steps, title, line, chunk)
                        title, line, chunk = heading.group(1).rstrip().rstrip("#").rstrip(), child.line + offset, []
                        run = TextRun(line=child.line + offset + 1)
                    else:
                        if not run.lines:
                            run.line = child.line + offset
                        run.lines.append(text)
                if run.lines:
                    chunk.append(run)
            else:
                chunk.append(child)
        self._close_step(steps, title, line, chunk)
        return steps

    def _close_step(self, steps: list[Step], title: str, line: int, chunk: list[Node | TextRun]) -> None:
        if len(steps) > MAX_STEPS:  # already reported; build no more
            return
        items = self.items(chunk)
        if not (line or items):  # text before the first heading is a step only if it has content
            return
        step = Step(title=title, items=tuple(items), line=line or _item_line(items[0]))
        if len(items) > MAX_STEP_ITEMS:
            self.problems.append((step.line, f"the step has more than {MAX_STEP_ITEMS} paragraphs and blocks: split it"))
        if _text_size(step.items) > MAX_STEP_TEXT:
            self.problems.append((step.line, f"the step holds more than {MAX_STEP_TEXT:,} characters of text: split it"))
        steps.append(step)

    def items(self, children: list[Node | TextRun]) -> list[Item]:
        out: list[Item] = []
        for child in children:
            if isinstance(child, TextRun):
                if child.text.strip():
                    out.append(Prose(markdown=child.text.strip("\n"), line=child.line))
                continue
            item = self.block(child)
            if item is not None:
                out.append(item)
        return out

    def block(self, node: Node) -> Item | None:
        if node.kind in TUTOR_BLOCKS:
            return self.tutor_block(node)
        if node.kind not in CONTENT_BLOCKS:
            known = ", ".join(sorted(CONTENT_BLOCKS | TUTOR_BLOCKS))
            self.problems.append((node.line, f"unknown block type `{node.kind}` (known: {known})"))
            return None
        return Block(kind=node.kind, title=node.title, children=tuple(self.items(node.children)), line=node.line)

    # -- tutor blocks ------------------------------------------------------------
    def tutor_block(self, node: Node) -> Item | None:
        nested = [c for c in node.children if isinstance(c, Node)]
        for inner in nested:
            self.problems.append((inner.line, f"a `{inner.kind}` block cannot sit inside a `{node.kind}` block (its body is YAML)"))
        lines: list[str] = []
        first = node.line + 1
        for child in node.children:
            if isinstance(child, TextRun):
                if not lines:
                    first = child.line
                lines.extend(child.lines)
        try:
            doc = load_yaml("\n".join(lines), first)
        except YamlProblem as exc:
            self.problems.append((exc.line, exc.message))
            return None
        if doc.data is None:
            self.problems.append((node.line, f"the `{node.kind}` block is empty: its body must be YAML"))
            return None
        fields = Fields(doc, (), doc.data, f"the `{node.kind}` block", self.problems)
        if node.kind == "question":
            return self.question(fields, node.line)
        if node.kind == "interactive":
            return self.interactive(fields, node.line)
        return self.train(fields, node.line)

    def _unique_id(self, fields: Fields, kind: str) -> str | None:
        qid = fields.text("id", required=True)
        if not qid:
            return None
        if not _ID.fullmatch(qid):
            fields.error(f"{kind} id `{qid}` may hold only letters, digits, `-`, `_` and `.`", "id")
            return None
        if qid in self.ids:
            fields.error(f"duplicate id `{qid}` (first used on line {self.ids[qid]})", "id")
            return None
        self.ids[qid] = fields.line("id")
        return qid

    def interactive(self, fields: Fields, line: int) -> Interactive | None:
        widget = fields.choice("widget", WIDGETS, required=True)
        options = {k: v for k, v in fields.data.items() if k != "widget"}
        return Interactive(widget=widget, options=options, line=line) if widget else None

    def train(self, fields: Fields, line: int) -> TrainSpec | None:
        train_id = self._unique_id(fields, "training run")
        layers = fields.each("layers", _layer, "a layer", required=True)
        if len(layers) > MAX_LAYERS:
            fields.error(f"a training run has at most {MAX_LAYERS} layers", "layers")
        learning_rate = fields.number("learning_rate", 0.01, maximum=MAX_LEARNING_RATE)
        if learning_rate is not None and learning_rate <= 0:
            fields.error("`learning_rate` must be above 0", "learning_rate")
        validation_split = fields.number("validation_split", 0.0, minimum=0)
        if validation_split is not None and validation_split >= 1:
            fields.error("`validation_split` must be at least 0 and below 1", "validation_split")
        spec: dict[str, Any] = dict(
            dataset=fields.choice("dataset", DATASETS, "xor"),
            loss=fields.choice("loss", LOSSES, "binary_crossentropy"),
            optimizer=fields.choice("optimizer", OPTIMIZERS, "adam"),
            learning_rate=learning_rate,
            epochs=fields.integer("epochs", 100, minimum=1, maximum=MAX_EPOCHS),
            batch_size=fields.integer("batch_size", 4, minimum=1, maximum=MAX_BATCH),
            validation_split=validation_split,
            seed=fields.integer("seed", 1, minimum=0, maximum=MAX_SEED),
            metrics=fields.texts("metrics") if fields.has("metrics") else ("accuracy",),
            compare=_compared(fields),
            drop_missing=fields.flag("drop_missing"),
            one_hot=fields.flag("one_hot"),
            standardize=fields.flag("standardize"),
            split=_split(fields),
            target=fields.choice("target", TRAIN_TARGETS, "local") or "local",
            resources=_resources(fields),
        )
        patience = _early_stopping(fields)
        sweep = _sweep(fields)
        if patience is not None and not validation_split:
            fields.error("`early_stopping` watches the validation loss: add a `validation_split`", "early_stopping")
        fields.check_unknown({"id", "layers", "early_stopping", "sweep", *spec})
        _check_data_steps(fields, spec, layers)
        raw_layers = fields.raw("layers")
        if isinstance(raw_layers, list) and len(layers) == len(raw_layers):
            _check_shapes(fields, spec["dataset"], layers)
        if train_id is None or not layers:
            return None
        self.compare_refs.extend((train_id, other, fields.line("compare")) for other in spec["compare"])
        self.train_ids.add(train_id)
        return TrainSpec(id=train_id, line=line, layers=tuple(layers), patience=patience, sweep=sweep, **spec)

    # -- questions ---------------------------------------------------------------
    def question(self, fields: Fields, line: int) -> Question | None:
        qid = self._unique_id(fields, "question")
        kind = fields.choice("kind", QUESTION_KINDS, required=True)
        what = f"question `{fields.data.get('id', '?')}`"
        fields.what = what
        common: dict[str, Any] = dict(
            prompt=fields.text("prompt"),
            hints=fields.texts("hints"),
            solution=fields.text("solution"),
            optional=fields.flag("optional"),
            feedback=tuple(fields.each("feedback", _feedback, "a feedback entry")),
            params=tuple(_params(fields)),
            derived=tuple(_named_exprs(fields, "derived")),
            where=fields.texts("where"),
        )
        common["first"] = tuple(_first(fields, common["params"]))
        common["run"] = fields.text("run")
        if common["run"]:
            self.run_refs.append((common["run"], fields.line("run")))
        common["run_settings"] = _run_settings(fields, bool(common["run"]))
        if kind is None:
            return None
        fields.check_unknown(_COMMON_KEYS | _KIND_KEYS[kind])
        specific = getattr(self, f"_{kind}")(fields)
        if qid is None or specific is None:
            return None
        return Question(id=qid, kind=kind, line=line, **common, **specific)

    def _numeric(self, f: Fields) -> dict[str, Any] | None:
        answer = f.number_or_expr("answer", required=True)
        rtol, atol = _tolerances(f)
        if answer is None:
            return None
        return dict(answer=answer, rtol=rtol, atol=atol)

    def _options(self, f: Fields, multiple: bool) -> tuple[Option, ...] | None:
        options = f.each("options", _option, "an option", required=True)
        correct = sum(o.correct for o in options)
        if options and len(options) < 2:
            f.error("a choice question needs at least two options", "options")
        if options and correct == 0:
            f.error("no option is marked `correct: true`", "options")
        if options and not multiple and correct > 1:
            f.error("a `choice` question has exactly one correct option; use kind `multi` for several", "options")
        if len(options) > 26:
            f.error("at most 26 options (A to Z)", "options")
        return tuple(options) if options else None

    def _choice(self, f: Fields) -> dict[str, Any] | None:
        options = self._options(f, multiple=False)
        return dict(options=options) if options else None

    def _multi(self, f: Fields) -> dict[str, Any] | None:
        options = self._options(f, multiple=True)
        partial = f.choice("partial", ("edc", "pc", "cov", "none"), "edc")
        return dict(options=options, partial=partial) if options else None

    def _matching(self, f: Fields) -> dict[str, Any] | None:
        raw = f.mapping("options", required=True)
        keys = {str(k): str(v) for k, v in raw.items()}
        statements = f.each("statements", _statement, "a statement", required=True)
        for index, statement in enumerate(statements):
            if keys and statement.answer not in keys:
                f.error(f"statement {index + 1} answers `{statement.answer}`, which is not an option ({', '.join(keys)})", "statements", index)
        if not keys or not statements:
            return None
        return dict(match_options=tuple(keys.items()), statements=tuple(statements))

    def _table(self, f: Fields) -> dict[str, Any] | None:
        columns = f.texts("columns", required=True)
        rows = []
        for r, row in enumerate(f.items("rows", required=True)):
            if not isinstance(row, list):
                f.error(f"row {r + 1} must be a list of cells like `[1, 2, {{answer: 3}}]`", "rows", r)
                continue
            if columns and len(row) != len(columns):
                f.error(f"row {r + 1} has {len(row)} cells but the table has {len(columns)} columns", "rows", r)
            rows.append(tuple(_cell(f, r, c, value) for c, value in enumerate(row)))
        if rows and not any(cell.is_blank for row in rows for cell in row):
            f.error("the table has no cell to fill in (write a cell as `{answer: 9}`)", "rows")
        feedback = f.data.get("feedback")
        for fb_index, fb in enumerate(feedback if isinstance(feedback, list) else []):
            cell = fb.get("cell") if isinstance(fb, dict) else None
            if cell is not None and not (isinstance(cell, list) and len(cell) == 2 and all(isinstance(v, int) for v in cell)
                                         and 0 <= cell[0] < len(rows) and 0 <= cell[1] < len(rows[cell[0]]) and rows[cell[0]][cell[1]].is_blank):
                f.error(f"feedback {fb_index + 1}: `cell` must be [row, column] of a fill-in cell (from 0)", "feedback", fb_index)
        if not columns or not rows:
            return None
        rtol, atol = _tolerances(f)
        return dict(columns=columns, rows=tuple(rows), rtol=rtol, atol=atol)

    def _order(self, f: Fields) -> dict[str, Any] | None:
        items = f.texts("items", required=True)
        if items and len(items) < 2:
            f.error("an order question needs at least two items", "items")
        if len(set(items)) != len(items):
            f.error("order items must all differ", "items")
        return dict(items=items) if len(items) >= 2 else None

    def _text(self, f: Fields) -> dict[str, Any] | None:
        value = f.raw("answer")
        accepted: tuple[Any, ...] = ()
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            accepted = (value,)
        elif isinstance(value, list):
            accepted = tuple(value)
        for index, answer in enumerate(accepted):
            if isinstance(answer, bool) or not isinstance(answer, (str, int, float)):
                f.error(f"accepted answer {index + 1} must be text or a number, got {type(answer).__name__}", "answer")
                return None
        pattern = f.text("pattern")
        if pattern:
            _, why = compile_pattern(pattern)
            if why:
                f.error(f"`pattern` {why}", "pattern")
        if not accepted and not pattern:
            f.error(f"{f.what} needs `answer` (text or a list of accepted answers) or `pattern`")
            return None
        return dict(accepted=tuple(str(a) for a in accepted), pattern=pattern)

    def _reflect(self, f: Fields) -> dict[str, Any]:
        return {}


#: A training view shows the runs of at most this many other `train` blocks.
MAX_COMPARED = 3


def _compared(f: Fields) -> tuple[str, ...]:
    """`compare: [xor-2]` (or `compare: xor-2`): ids of other `train` blocks, each once."""
    if not f.has("compare"):
        return ()
    ids = (f.text("compare"),) if isinstance(f.data.get("compare"), str) else f.texts("compare")
    unique = tuple(dict.fromkeys(i.strip() for i in ids if i.strip()))
    if len(unique) > MAX_COMPARED:
        f.error(f"`compare` names at most {MAX_COMPARED} `train` blocks", "compare")
        unique = unique[:MAX_COMPARED]
    return unique


def _split(f: Fields) -> SplitSpec | None:
    """`split: {test: 0.2, stratify: true, seed: 2}`: a held-out test set, or None."""
    if not f.has("split"):
        return None
    sub = f.sub("split", f.mapping("split"), "`split`")
    test = sub.number("test", 0.2, minimum=0)
    if test is not None and not 0 < test < 1:
        sub.error("`test` in `split` must be above 0 and below 1", "test")
    stratify = sub.flag("stratify")
    seed = sub.integer("seed", 0, minimum=0, maximum=MAX_SEED)
    sub.check_unknown({"test", "stratify", "seed"})
    return SplitSpec(test=float(test if test is not None else 0.2), stratify=stratify, seed=seed or 0)


def _early_stopping(f: Fields) -> int | None:
    """`early_stopping: {patience: 10}`: the patience in epochs, or None without the key."""
    if not f.has("early_stopping"):
        return None
    sub = f.sub("early_stopping", f.mapping("early_stopping"), "`early_stopping`")
    patience = sub.integer("patience", 10, minimum=1, maximum=MAX_EPOCHS)
    sub.check_unknown({"patience"})
    return int(patience) if patience is not None else 10


def _run_settings(f: Fields, has_run: bool) -> tuple[tuple[str, Any], ...]:
    """`run_settings: {hidden_units: 2}` (with `run:`): the settings a graded run must have."""
    if not f.has("run_settings"):
        return ()
    if not has_run:
        f.error("`run_settings` goes with `run:` (the `train` block whose runs it picks)", "run_settings")
        return ()
    sub = f.sub("run_settings", f.mapping("run_settings"), "`run_settings`")
    sub.check_unknown(set(RUN_SETTING_KEYS))
    found: list[tuple[str, Any]] = []
    for key in RUN_SETTING_KEYS:
        if not sub.has(key):
            continue
        if key == "hidden_activation":
            value: Any = sub.text(key)
        elif key in ("learning_rate",):
            value = sub.number(key, minimum=0)
        else:
            value = sub.integer(key, minimum=0)
        if value is not None and value != "":
            found.append((key, value))
    return tuple(found)


def _sweep(f: Fields) -> SweepSpec | None:
    """`sweep: {seeds: 30, solved_loss: 0.1}`: the run over seeds 1..30, or None without the key."""
    if not f.has("sweep"):
        return None
    sub = f.sub("sweep", f.mapping("sweep"), "`sweep`")
    seeds = sub.integer("seeds", None, required=True, minimum=2, maximum=MAX_SWEEP_SEEDS)
    solved = sub.number("solved_loss", None, minimum=0)
    sub.check_unknown({"seeds", "solved_loss"})
    return SweepSpec(int(seeds), solved) if seeds is not None else None


def _check_data_steps(f: Fields, spec: dict[str, Any], layers: list[LayerSpec]) -> None:
    """What a dataset needs before it can be trained on: checked here, where the line is known."""
    dataset = spec["dataset"]
    classes = DATASET_CLASSES.get(dataset or "", ())
    if dataset in DATASETS_WITH_MISSING and not spec["drop_missing"]:
        f.error(f"dataset `{dataset}` has missing values: add `drop_missing: true`", "dataset")
    if spec["one_hot"] and not classes:
        f.error(f"`one_hot` needs a dataset of class names; `{dataset}` has none", "one_hot")
    if classes and not spec["one_hot"] and spec["loss"] != "sparse_categorical_crossentropy":
        f.error(f"dataset `{dataset}` has class labels: add `one_hot: true` "
                "(or use the loss sparse_categorical_crossentropy)", "dataset")
    if spec["one_hot"] and classes and layers and layers[-1].units != len(classes):
        f.error(f"the output layer needs {len(classes)} units, one per class of `{dataset}` "
                f"({', '.join(classes)}); it has {layers[-1].units}", "layers")
    if spec["one_hot"] and spec["loss"] == "binary_crossentropy":
        f.error("one-hot labels of more than two classes go with `loss: categorical_crossentropy`", "loss")


#: A Slurm time limit: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS (man sbatch).
SLURM_TIME = re.compile(r"\d{1,5}(:\d{1,2}){0,2}|\d{1,3}-\d{1,2}(:\d{1,2}){0,2}")
SLURM_NAME = re.compile(r"[A-Za-z0-9_.+-]{1,64}")
MAX_CPUS, MAX_GPUS = 256, 16


def _resources(f: Fields) -> Resources:
    """`resources: {time, cpus, gpus, partition}` of a `target: slurm` run (each optional)."""
    if not f.has("resources"):
        return Resources()
    r = f.sub("resources", f.raw("resources"), "`resources`")
    time = r.text("time") or None
    if time is not None and not SLURM_TIME.fullmatch(time):
        r.error(f"`time: {time}` is not a Slurm time limit (minutes, HH:MM:SS or D-HH:MM:SS)", "time")
        time = None
    partition = r.text("partition") or None
    if partition is not None and not SLURM_NAME.fullmatch(partition):
        r.error(f"`partition: {partition}` is not a partition name (letters, digits, `_.+-`)", "partition")
        partition = None
    resources = Resources(time=time, cpus=r.integer("cpus", None, minimum=1, maximum=MAX_CPUS),
                          gpus=r.integer("gpus", None, minimum=0, maximum=MAX_GPUS), partition=partition)
    r.check_unknown({"time", "cpus", "gpus", "partition"})
    return resources


MAX_FILTERS, MAX_KERNEL = 256, 16


def _layer(f: Fields, index: int) -> LayerSpec | None:
    kind = f.choice("type", LAYER_TYPES, "Dense") or "Dense"
    if kind == "Conv2D":
        filters = f.integer("filters", required=True, minimum=1, maximum=MAX_FILTERS)
        kernel = f.integer("kernel_size", required=True, minimum=1, maximum=MAX_KERNEL)
        activation = f.choice("activation", ACTIVATIONS, "linear") or "linear"
        f.check_unknown({"type", "filters", "kernel_size", "activation"})
        return LayerSpec(activation=activation, type=kind, filters=filters, kernel_size=kernel) \
            if filters and kernel else None
    if kind == "MaxPooling2D":
        pool = f.integer("pool_size", 2, minimum=1, maximum=MAX_KERNEL)
        f.check_unknown({"type", "pool_size"})
        return LayerSpec(type=kind, pool_size=pool) if pool else None
    if kind == "Dropout":
        rate = f.number("rate", required=True, minimum=0)
        if rate is not None and rate >= 1:
            f.error("a Dropout `rate` is the share of inputs dropped: at least 0 and below 1", "rate")
            rate = None
        f.check_unknown({"type", "rate"})
        return LayerSpec(type=kind, rate=rate) if rate is not None else None
    if kind == "Flatten":
        f.check_unknown({"type"})
        return LayerSpec(type=kind)
    units = f.integer("units", required=True, minimum=1, maximum=MAX_UNITS)
    activation = f.choice("activation", ACTIVATIONS, "linear") or "linear"
    f.check_unknown({"type", "units", "activation"})
    return LayerSpec(units=units, activation=activation) if units else None


def _check_shapes(f: Fields, dataset: str | None, layers: list[LayerSpec]) -> None:
    """Follow the shape of one input row through the layers, where the dataset's is known:
    image layers need an image, Dense a flat row, and the last layer must be Dense."""
    shape = DATASET_INPUT_SHAPES.get(dataset or "")
    for i, layer in enumerate(layers):
        where = ("layers", i)
        if shape is None:
            break
        name = f"layer {i + 1} ({layer.type})"
        if layer.type in ("Conv2D", "MaxPooling2D"):
            if len(shape) != 3:
                f.error(f"{name} needs an image (height, width, channels); its input has shape {shape}", *where)
                return
            size = layer.kernel_size if layer.type == "Conv2D" else layer.pool_size
            if size > min(shape[0], shape[1]):
                f.error(f"{name}: a window of {size}x{size} does not fit its {shape[0]}x{shape[1]} input", *where)
                return
            shape = ((shape[0] - size + 1, shape[1] - size + 1, layer.filters) if layer.type == "Conv2D"
                     else (shape[0] // size, shape[1] // size, shape[2]))
        elif layer.type == "Flatten":
            total = 1
            for n in shape:
                total *= n
            shape = (total,)
        elif layer.dense:
            if len(shape) != 1:
                f.error(f"{name} needs a flat row but its input has shape {shape}: add a Flatten layer before it",
                        *where)
                return
            shape = (layer.units,)
    if layers and not layers[-1].dense:
        f.error(f"the last layer must be Dense (the output); it is {layers[-1].type}", "layers", len(layers) - 1)


def _tolerances(f: Fields) -> tuple[float, float]:
    """`rtol` and `atol`: at least 0, and a relative tolerance of at most 1 (100 %)."""
    rtol = f.number("rtol", 1e-4, minimum=0, maximum=MAX_RTOL)
    atol = f.number("atol", 1e-9, minimum=0)
    return (1e-4 if rtol is None else rtol), (1e-9 if atol is None else atol)


def _feedback(f: Fields, index: int) -> Feedback | None:
    when = f.text("when", required=True)
    message = f.text("message", required=True)
    raw_cell = f.raw("cell")
    cell: tuple[int, int] | None = None
    if isinstance(raw_cell, list) and len(raw_cell) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in raw_cell):
        cell = (raw_cell[0], raw_cell[1])
    f.check_unknown({"when", "message", "cell"})
    if not when or not message:
        return None
    return Feedback(when=when, message=message, line=f.line(), cell=cell)


def _option(f: Fields, index: int) -> Option | None:
    text = f.text("text", required=True)
    option = Option(text=text, correct=f.flag("correct"), feedback=f.text("feedback"))
    f.check_unknown({"text", "correct", "feedback"})
    return option if text else None


def _statement(f: Fields, index: int) -> Statement | None:
    text = f.text("text", required=True)
    answer = f.text("answer", required=True)
    statement = Statement(text=text, answer=answer, optional=f.flag("optional"))
    f.check_unknown({"text", "answer", "optional"})
    return statement if text and answer else None


def _cell(f: Fields, row: int, col: int, value: Any) -> Cell:
    if isinstance(value, dict):
        sub = f.sub("rows", value, f"cell ({row}, {col})")
        sub.path = (*f.path, "rows", row, col)
        answer = value.get("answer")
        if not (isinstance(answer, str) or is_number(answer)):
            sub.error(f"a fill-in cell needs `answer:` (a finite number, expression or text), row {row + 1} column {col + 1}")
            answer = ""
        sub.check_unknown({"answer", "rtol", "atol"})
        rtol = sub.number("rtol", minimum=0, maximum=MAX_RTOL)
        atol = sub.number("atol", minimum=0)
        return Cell(answer=answer, rtol=rtol, atol=atol)
    if value is None:
        return Cell(value="")
    if isinstance(value, (list,)):
        f.error(f"cell ({row + 1}, {col + 1}) must be a value or `{{answer: ...}}`", "rows", row, col)
        return Cell(value="")
    return Cell(value=str(value))


def _params(f: Fields) -> list[Param]:
    out: list[Param] = []
    for name, spec in f.mapping("params").items():
        line = f.line("params", name)
        if not isinstance(name, str) or not name.isidentifier():
            f.errors.append((line, f"parameter name `{name}` must be a plain name like `x1`"))
            continue
        if not isinstance(spec, dict):
            f.errors.append((line, f"parameter `{name}` must be `{{choose: [...]}}` or `{{range: [low, high], step: s}}`"))
            continue
        choose, rng, step = spec.get("choose"), spec.get("range"), spec.get("step")
        extra = set(spec) - {"choose", "range", "step"}
        if extra:
            f.errors.append((line, f"parameter `{name}` has unknown keys: {', '.join(sorted(map(str, extra)))}"))
        if choose is not None:
            if isinstance(choose, list) and choose and all(isinstance(v, str) for v in choose):
                out.append(Param(name=name, choose=tuple(range(len(choose))), labels=tuple(choose), line=line))
                continue
            if not isinstance(choose, list) or not choose or not all(_is_num(v) for v in choose):
                f.errors.append((line, f"parameter `{name}`: `choose` must be a non-empty list of numbers (or of words)"))
                continue
            out.append(Param(name=name, choose=tuple(choose), line=line))
        elif rng is not None:
            if not (isinstance(rng, list) and len(rng) == 2 and all(_is_num(v) for v in rng) and rng[0] <= rng[1]):
                f.errors.append((line, f"parameter `{name}`: `range` must be [low, high] with low <= high"))
                continue
            if step is not None and (not _is_num(step) or step <= 0):
                f.errors.append((line, f"parameter `{name}`: `step` must be a number above 0"))
                continue
            out.append(Param(name=name, low=rng[0], high=rng[1], step=step if step is not None else 1, line=line))
        else:
            f.errors.append((line, f"parameter `{name}` needs `choose:` or `range:`"))
    return out


def _named_exprs(f: Fields, key: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, expr in f.mapping(key).items():
        if not isinstance(name, str) or not name.isidentifier():
            f.errors.append((f.line(key, name), f"`{key}` name `{name}` must be a plain name like `z`"))
        elif not (isinstance(expr, str) or is_number(expr)):
            f.errors.append((f.line(key, name), f"`{key}.{name}` must be an expression"))
        else:
            out.append((name, str(expr)))
    return out


def _first(f: Fields, params: tuple[Param, ...] = ()) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    labels = {p.name: p.labels for p in params if p.labels}
    for name, value in f.mapping("first").items():
        if isinstance(value, str) and value in labels.get(name, ()):
            out.append((str(name), float(labels[name].index(value))))
        elif not _is_num(value):
            f.errors.append((f.line("first", name), f"`first.{name}` must be a number"))
        else:
            out.append((str(name), value))
    return out


_is_num = is_number


def _item_line(item: Item) -> int:
    return item.line


def _text_size(items: tuple[Item, ...]) -> int:
    """Characters of prose and block titles in a step, nested blocks included."""
    size = 0
    for item in walk(items):
        if isinstance(item, Prose):
            size += len(item.markdown)
        elif isinstance(item, Block):
            size += len(item.title)
    return size
