"""The Textual application: wires the lesson catalogue and the progress store to the screens.

What screens read besides their lesson is one typed `LessonContext` (tui_tutor/context.py),
built here and handed to each screen; the app itself only navigates. Start-up does as little
as the first frame needs: screens are imported when first shown, and the catalogue parses
lesson files in `on_mount`, never in a constructor.
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, cast

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen

from tui_tutor.context import LessonContext, TrainingOptions, open_learner_store
from tui_tutor.lesson.catalog import Catalog
from tui_tutor.lesson.model import Lesson

if TYPE_CHECKING:  # the store module is imported when the store is opened
    from tui_tutor.progress.store import ProgressStore

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
    #: Where parsed lessons are cached (JSON, see lesson/catalog.py); None parses every start.
    lesson_cache: Path | None = None
    #: The command line paused the garbage collector for start-up; resumed after the first frame.
    gc_paused: bool = False


#: Styles of the widget packages that ship a .tcss file, in the order the app reads them.
_WIDGET_CSS = ("widgets/interactive/interactive.tcss", "questions/questions.tcss", "training/training.tcss")


def _css_paths() -> list[str | PurePath]:
    """The app shell's styles, read at start-up; those of the widgets come with the first widget."""
    return [_UI / "app.tcss"]


def load_widget_css(app: App[Any]) -> None:
    """Read the styles of questions, training views and interactive widgets into `app`'s
    stylesheet, before the first screen or step that builds one mounts it.

    Parsing them costs a few ms that a first frame of prose or the picker never needs. They are
    read together, after the shell's styles, in one fixed order: the rules stand in the same
    order as when all were read at start-up. Their selectors name only their own widgets, so
    nothing already on screen changes style; later widgets are styled by the new rules.
    """
    sheet = app.stylesheet
    missing = [path for path in (_UI / extra for extra in _WIDGET_CSS)
               if path.exists() and not sheet.has_source(str(path), "")]
    if not missing:
        return
    for path in missing:
        sheet.read(path)
    sheet.parse()  # only the new sources: the others come from the stylesheet's parse cache


class TutorApp(App[int]):
    CSS_PATH = _css_paths()
    TITLE = "tui-tutor"
    AUTO_FOCUS = None
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("f1,question_mark", "help", "Help", key_display="F1"),  # F1 works in a text field too
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, options: AppOptions, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.options = options
        self.context = LessonContext(
            options.learner,
            open_store=self._open_store,  # on first use: the picker draws its first frame without it
            training=TrainingOptions(threads=options.train_threads, max_seconds=options.train_max_seconds),
            ascii_mode=options.ascii_mode,
        )
        self.catalog = Catalog()
        #: Why nothing is saved this time (None while saving works or the store is not opened yet).
        self.not_saving: str | None = None

    # Read by widgets that only know the app (question widgets, plots, the score summary).
    @property
    def ascii_mode(self) -> bool:
        return self.context.ascii_mode

    @property
    def learner(self) -> str:
        return self.context.learner

    @property
    def store(self) -> ProgressStore | None:
        return self.context.store

    # -- start-up ----------------------------------------------------------------
    def on_mount(self) -> None:
        self._install_signal_handlers()
        if self.ascii_mode:
            self.add_class("-ascii")
        self.catalog = Catalog.from_paths(self.options.lesson_paths, cache_dir=self.options.lesson_cache)
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

    def on_ready(self) -> None:
        """The first frame is on screen: what start-up built lives as long as the app, so it is
        frozen out of later collections (they stay short), and garbage collection resumes."""
        if self.options.gc_paused:
            import gc

            gc.freeze()
            gc.enable()

    def _open_store(self) -> ProgressStore | None:
        """The learner's store (the context calls this once, when a screen first needs it)."""
        opening = open_learner_store(self.options.data_dir)
        if opening.problem:
            self.not_saving = opening.problem
            # stays until clicked (an hour): the lessons work, but the learner must know
            self.notify(self.not_saving, title="Not saving", severity="error", timeout=3600, markup=False)
        if opening.notice:
            self.notify(opening.notice, severity="warning", timeout=12)
        return opening.store

    def _install_signal_handlers(self) -> None:
        """SIGTERM and SIGHUP (an SSH drop) leave through `exit`, which restores the terminal."""
        try:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGHUP):
                loop.add_signal_handler(sig, self.exit)
        except (NotImplementedError, RuntimeError, ValueError):
            pass

    # -- navigation ----------------------------------------------------------------
    def show_review(self) -> None:
        from tui_tutor.ui.screens.review import ReviewScreen

        load_widget_css(self)  # the review shows question panels
        self.push_screen(ReviewScreen(self.catalog, self.context))

    def show_picker(self) -> None:
        from tui_tutor.ui.screens.picker import PickerScreen

        self.push_screen(PickerScreen(self.catalog, self.context))

    def back_to_picker(self, screen: Screen[Any]) -> None:
        """Leave `screen` for the lesson picker, building the picker if the app started elsewhere."""
        from tui_tutor.ui.screens.picker import PickerScreen

        if any(isinstance(s, PickerScreen) for s in self.screen_stack):
            screen.dismiss()
        else:  # opened straight on a lesson or the review: the picker is built now
            self.switch_screen(PickerScreen(self.catalog, self.context))

    def open_lesson(self, lesson: Lesson) -> None:
        from tui_tutor.ui.screens.lesson import LessonScreen

        self.push_screen(LessonScreen(lesson, self.context, start=self._saved_step(lesson)))

    def _saved_step(self, lesson: Lesson) -> int:
        """The step the learner was on last time (0 without a store, or when it cannot be read).

        Before the store is open, a read-only peek answers when it can (the store is then
        opened when a step first needs it), so opening a lesson need not open the store."""
        if not self.context.store_opened and self.options.data_dir is not None:
            from tui_tutor.progress.paths import db_path
            from tui_tutor.progress.peek import Unknown, saved_step

            try:
                peeked = saved_step(db_path(self.options.data_dir), self.context.learner, lesson.id)
            except Unknown:
                pass  # the store's own open says what is wrong, and moves a damaged file aside
            else:
                return peeked if peeked is not None and 0 <= peeked < len(lesson.steps) else 0
        store = self.context.store
        if store is None:
            return 0
        try:
            saved = store.position(self.context.learner, lesson.id)
        except Exception as exc:  # noqa: BLE001 - a store that cannot be read must not stop the lesson
            self.notify(f"Could not read your place: {exc}", severity="warning")
            return 0
        return saved if saved is not None and 0 <= saved < len(lesson.steps) else 0

    def action_help(self) -> None:
        from tui_tutor.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def on_unmount(self) -> None:
        # End the training worker at once (even mid-import): a reader thread waiting for its
        # events would otherwise hold up the interpreter's exit, and none may outlive the tutor.
        from tui_tutor.training.worker import shutdown as shutdown_training

        shutdown_training()
        self.context.close()


def tutor_app(node: DOMNode) -> TutorApp:
    """`node.app` as the tutor's app, for screens that navigate (Textual types it `App[object]`)."""
    return cast(TutorApp, node.app)
