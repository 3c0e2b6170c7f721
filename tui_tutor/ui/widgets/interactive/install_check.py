"""install-check: what the lessons need, checked: NumPy, the Keras backend (TensorFlow) and
the lesson data files shipped with the tutor.

The tutor's own process never imports TensorFlow (seconds, hundreds of MB): the check asks
the training worker process (`tui_tutor.training.worker`, the one that later runs the
lesson's training, which then starts warm) to load it and report the versions. The data
files are checked here, by `tui_tutor.training.datasets.data_status()` (UI-free; about 20 ms,
and NumPy, which the datasets module imports, is needed by the lessons' widgets anyway);
this widget only shows what it found. Both run in a thread worker while the screen stays
responsive; the results come back as messages, the data first. A failure is shown in plain
words and the lesson goes on: only the training runs need TensorFlow and the data.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.message import Message

from tui_tutor.ui.widgets.interactive.base import InteractiveWidget
from tui_tutor.lesson.widget_options import PARSERS

if TYPE_CHECKING:
    from tui_tutor.training.datasets import DataFileStatus

PACKAGES = ("tensorflow", "keras", "numpy")


class VersionsUnavailable(RuntimeError):
    """The worker could not load TensorFlow; ``message`` is the plain line to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def read_versions() -> dict[str, str]:
    """Load Keras in the training worker the way training does, and read its versions.

    Raises :class:`VersionsUnavailable` with the worker's message (TensorFlow missing, the
    worker ended, ...).
    """
    from tui_tutor.training.events import Loaded
    from tui_tutor.training.worker import shared_worker

    event = shared_worker().versions()
    if not isinstance(event, Loaded):
        raise VersionsUnavailable(getattr(event, "message", "") or "the training process gave no versions")
    return {name: event.versions.get(name, "not found") for name in PACKAGES}


def read_data_status() -> tuple[list[DataFileStatus], str]:
    """The shipped data files' status, and the NumPy version of this process; raises
    ``ImportError`` when NumPy (which reading the data needs) cannot be imported."""
    import numpy

    from tui_tutor.training.datasets import data_status

    return data_status(), str(numpy.__version__)


class InstallCheck(InteractiveWidget):
    """Shows whether this Python can run the lessons' training steps (NumPy, TensorFlow, Keras,
    with their versions) and whether the shipped lesson data files are whole."""

    BINDINGS = [Binding("r", "recheck", "check again")]

    class Result(Message):
        """Posted from the worker thread: versions on success, else a plain failure message."""

        def __init__(self, generation: int, versions: dict[str, str] | None, error: str, seconds: float) -> None:
            super().__init__()
            self.generation = generation
            self.versions = versions
            self.error = error
            self.seconds = seconds

    class DataResult(Message):
        """Posted from the worker thread before the versions: the data files' status (None
        when they could not be checked: ``error`` says why) and this process's NumPy version."""

        def __init__(self, generation: int, files: list[DataFileStatus] | None, numpy: str, error: str) -> None:
            super().__init__()
            self.generation = generation
            self.files = files
            self.numpy = numpy
            self.error = error

    def __init__(self, options: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self.option_errors = PARSERS["install-check"](self.options)[1]
        self.generation = 0
        self.checking = False
        self.result: InstallCheck.Result | None = None
        self.data: InstallCheck.DataResult | None = None

    def on_mount(self) -> None:
        super().on_mount()
        self.start_check()

    def start_check(self) -> None:
        self.generation += 1
        self.checking = True
        self.result = None
        self.data = None
        self.set_class(False, "-failed")
        self.changed()
        self.refresh_bindings()
        self._check(self.generation)

    @work(thread=True, exclusive=True, group="install-check")
    def _check(self, generation: int) -> None:
        start = time.perf_counter()
        files: list[DataFileStatus] | None = None
        numpy = ""
        error = ""
        try:
            files, numpy = read_data_status()
        except Exception as exc:  # noqa: BLE001 - e.g. NumPy missing or broken: say so, check TensorFlow anyway
            error = f"{type(exc).__name__}: {exc}"
        self.post_message(self.DataResult(generation, files, numpy, error))
        versions: dict[str, str] | None = None
        error = ""
        try:
            versions = read_versions()
        except Exception as exc:  # noqa: BLE001 - VersionsUnavailable or a broken worker: report it
            error = getattr(exc, "message", "") or f"{type(exc).__name__}: {exc}"
        self.post_message(self.Result(generation, versions, error, time.perf_counter() - start))

    def on_install_check_result(self, message: InstallCheck.Result) -> None:
        message.stop()
        if message.generation != self.generation:
            return  # an older check finishing late
        self.checking = False
        self.result = message
        self.set_class(message.versions is None or not self._data_ok(), "-failed")
        self.changed()
        self.refresh_bindings()

    def on_install_check_data_result(self, message: InstallCheck.DataResult) -> None:
        message.stop()
        if message.generation != self.generation:
            return
        self.data = message
        self.changed()

    def _data_ok(self) -> bool:
        return self.data is not None and self.data.files is not None and all(f.ok for f in self.data.files)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "recheck" and self.checking:
            return None  # shown greyed out while a check runs
        return True

    def action_recheck(self) -> None:
        if not self.checking:
            self.start_check()

    def render_text(self) -> Text:
        dots = "..." if self.ascii_mode else "…"
        width = max(20, self.text_width)
        if self.checking or self.result is None:
            out = Text(f"Checking your installation{dots}\n(loading TensorFlow takes a few seconds)", style="bold")
            if self.data is not None:
                out.append("\n")
                out.append_text(self._data_text(width))
            return out
        r = self.result
        if r.versions is None:
            out = Text("TensorFlow could not be loaded.\n", style="bold")
            out.append("\n".join(textwrap.wrap(r.error, width)) + "\n")
            out.append("\n".join(textwrap.wrap(
                "The rest of the lesson works without it: only the training runs need TensorFlow.", width)) + "\n")
            if self.data is not None and self.data.numpy:
                out.append(f"  {'numpy':<11} {self.data.numpy}\n")
        else:
            out = Text("Your installation can run the training steps:\n", style="bold")
            for name in PACKAGES:
                out.append(f"  {name:<11} {r.versions[name]}\n")
        if self.data is not None:
            out.append_text(self._data_text(width))
            out.append("\n")
        out.append(f"(checked in {r.seconds:.1f} s; r checks again)", style="dim")
        return out

    def _data_text(self, width: int) -> Text:
        """The lesson data lines: a heading, then one line per file (its problem wrapped below it)."""
        data = self.data
        assert data is not None
        if data.files is None:
            out = Text("The lesson data could not be checked:\n", style="bold")
            sentence = f"The data check could not run ({data.error}): reinstall the tutor."
            out.append("\n".join(textwrap.wrap(sentence, width)))
            return out
        good = all(f.ok for f in data.files)
        out = Text("The lesson data files are all there:" if good else "A lesson data file is missing or damaged:",
                   style="bold")
        for f in data.files:
            label = f"  {f.name:<16} "
            out.append("\n" + label)
            if f.ok:
                out.append(f"{f.rows} rows")
                continue
            out.append("damaged" if f.found else "missing", style="bold")
            out.append("\n" + "\n".join(textwrap.wrap(f.problem, width, initial_indent="    ",
                                                       subsequent_indent="    ", break_on_hyphens=False)))
        return out
