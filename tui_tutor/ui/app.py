"""The Textual application: wires the lesson catalogue and the progress store to the screens."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass, field
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from tui_tutor.lesson.catalog import Catalog
from tui_tutor.lesson.model import Lesson

_UI = Path(__file__).parent


@dataclass
class AppOptions:
    lesson_paths: list[Path] = field(default_factory=list)
    open_path: Path | None = None
    data_dir: Path | None = None
    learner: str = "learner"
    ascii_mode: bool = False
    low_bandwidth: bool = False
    start_review: bool = False
    #: Login-node manners: TensorFlow threads, and a wall-time cap per training run.
    train_threads: int = 2
    train_max_seconds: float | None = 600


def _css_paths() -> list[Path]:
    """The app's own styles plus those of the widget packages that ship a .tcss file."""
    paths = [_UI / "app.tcss"]
    for extra in ("widgets/interactive/interactive.tcss", "questions/questions.tcss", "training/training.tcss"):
        if (_UI / extra).exists():
            paths.append(_UI / extra)
    return paths


class TutorApp(App[int]):
    CSS_PATH = _css_paths()
    TITLE = "tui-tutor"
    AUTO_FOCUS = None
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, options: AppOptions, **kwargs) -> None:
        super().__init__(**kwargs)
        self.options = options
        self.ascii_mode = options.ascii_mode
        self.learner = options.learner
        self.catalog = Catalog()
        self.store = None
        #: Numbers of the learner's latest run per `train` id, for questions about their run.
        self.run_values: dict[str, dict[str, float]] = {}

    # -- start-up ----------------------------------------------------------------
    def on_mount(self) -> None:
        self._install_signal_handlers()
        if self.ascii_mode:
            self.add_class("-ascii")
        self.catalog = Catalog.from_paths(self.options.lesson_paths)
        self._open_store()
        if self.catalog.errors:
            first = self.catalog.errors[0]
            self.notify(f"{len(self.catalog.errors)} problem(s) in lesson files, first: {first}. "
                        "Run `tui-tutor validate` for all.", severity="warning", timeout=8)
        if self.options.start_review:
            self.show_review()
        elif self.options.open_path is not None and self.options.open_path.is_file() and self.catalog.lessons:
            self.open_lesson(self.catalog.lessons[0])  # straight in; the picker is built only if asked for
        else:
            self.show_picker()

    def show_review(self) -> None:
        from tui_tutor.ui.screens.review import ReviewScreen

        self.push_screen(ReviewScreen())

    def back_to_picker(self, screen) -> None:
        """Leave `screen` for the lesson picker, building the picker if the app started elsewhere."""
        from tui_tutor.ui.screens.picker import PickerScreen

        if any(isinstance(s, PickerScreen) for s in self.screen_stack):
            screen.dismiss()
        else:  # opened straight on a lesson or the review: the picker is built now
            self.switch_screen(PickerScreen())

    def show_picker(self) -> None:
        from tui_tutor.ui.screens.picker import PickerScreen

        self.push_screen(PickerScreen())

    def _open_store(self) -> None:
        if self.options.data_dir is None:
            return
        try:
            from tui_tutor.progress.paths import db_path
            from tui_tutor.progress.store import ProgressStore

            self.store = ProgressStore.open(db_path(self.options.data_dir))
        except Exception as exc:  # a broken store must not stop the lesson
            self.store = None
            self.notify(f"Progress cannot be saved this time: {exc}", severity="error", timeout=10)
            return
        if getattr(self.store, "notice", None):
            self.notify(self.store.notice, severity="warning", timeout=12)

    def _install_signal_handlers(self) -> None:
        """SIGTERM and SIGHUP (an SSH drop) leave through `exit`, which restores the terminal."""
        try:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGHUP):
                loop.add_signal_handler(sig, self.exit)
        except (NotImplementedError, RuntimeError, ValueError):
            pass

    # -- navigation ----------------------------------------------------------------
    def open_lesson(self, lesson: Lesson) -> None:
        from tui_tutor.ui.screens.lesson import LessonScreen

        self.push_screen(LessonScreen(lesson))

    def action_help(self) -> None:
        from tui_tutor.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def on_unmount(self) -> None:
        if self.store is not None:
            self.store.close()
