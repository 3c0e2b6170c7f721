"""install-check: ask the training worker to load TensorFlow/Keras and report their versions.

The tutor's own process never imports TensorFlow (seconds, hundreds of MB): the check asks
the training worker process (`tui_tutor.training.worker`, the one that later runs the
lesson's training, which then starts warm). The request runs in a thread worker while the
screen stays responsive; the result comes back as a message. A failure is shown in plain
words and the lesson goes on: only the training runs need TensorFlow.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.message import Message

from tui_tutor.ui.widgets.interactive.base import InteractiveWidget
from tui_tutor.lesson.widget_options import PARSERS

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


class InstallCheck(InteractiveWidget):
    """Shows whether this Python can run the lesson's training steps, and with which versions."""

    BINDINGS = [Binding("r", "recheck", "check again")]

    class Result(Message):
        """Posted from the worker thread: versions on success, else a plain failure message."""

        def __init__(self, generation: int, versions: dict[str, str] | None, error: str, seconds: float) -> None:
            super().__init__()
            self.generation = generation
            self.versions = versions
            self.error = error
            self.seconds = seconds

    def __init__(self, options: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self.option_errors = PARSERS["install-check"](self.options)[1]
        self.generation = 0
        self.checking = False
        self.result: InstallCheck.Result | None = None

    def on_mount(self) -> None:
        super().on_mount()
        self.start_check()

    def start_check(self) -> None:
        self.generation += 1
        self.checking = True
        self.result = None
        self.set_class(False, "-failed")
        self.changed()
        self.refresh_bindings()
        self._check(self.generation)

    @work(thread=True, exclusive=True, group="install-check")
    def _check(self, generation: int) -> None:
        start = time.perf_counter()
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
        self.set_class(message.versions is None, "-failed")
        self.changed()
        self.refresh_bindings()

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
            return Text(f"Checking your installation{dots}\n(loading TensorFlow takes a few seconds)", style="bold")
        r = self.result
        if r.versions is None:
            out = Text("TensorFlow could not be loaded.\n", style="bold")
            out.append("\n".join(textwrap.wrap(r.error, width)) + "\n")
            out.append("The rest of the lesson works without it: only the training runs need TensorFlow.")
            return out
        out = Text("Your installation can run the training steps:\n", style="bold")
        for name in PACKAGES:
            out.append(f"  {name:<11} {r.versions[name]}\n")
        out.append(f"(checked in {r.seconds:.1f} s; r checks again)", style="dim")
        return out
