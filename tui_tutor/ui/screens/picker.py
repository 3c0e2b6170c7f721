"""The lesson picker: title, estimated time and progress of every lesson."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Static

from tui_tutor.context import LessonContext
from tui_tutor.lesson.catalog import Catalog
from tui_tutor.lesson.model import Lesson
from tui_tutor.ui.app import tutor_app
from tui_tutor.ui.key_footer import KeyFooter


class PickerScreen(Screen[None]):
    BINDINGS = [
        Binding("enter", "open", "Open lesson", show=True),
        Binding("r", "review", "Review"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, catalog: Catalog, context: LessonContext) -> None:
        super().__init__()
        self.catalog = catalog
        self.context = context

    def compose(self) -> ComposeResult:
        yield Static("tui-tutor: deep-learning fundamentals in your terminal", id="title-bar")
        yield Static("Choose a lesson with the arrow keys and press Enter.", id="picker-hint")
        yield DataTable(id="lessons", cursor_type="row", zebra_stripes=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Lesson", "Time", "Progress")
        self.refresh_rows()
        table.focus()
        if not self.context.store_opened:
            # The first frame shows the lessons; their progress follows a moment later. A timer,
            # not call_after_refresh: Textual's output thread needs a moment to send the frame.
            self.set_timer(0.05, self._show_progress)

    def _show_progress(self) -> None:
        _ = self.context.store  # opens it
        self.refresh_rows()

    def on_screen_resume(self) -> None:
        self.refresh_rows()

    def refresh_rows(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        lessons = self.catalog.lessons
        for lesson in lessons:
            minutes = f"{lesson.minutes} min" if lesson.minutes else "-"
            table.add_row(Text(lesson.title), minutes, self._progress(lesson), key=lesson.id)  # Text: never markup
        for index, broken in enumerate(self.catalog.broken):  # listed greyed, after the lessons that open
            table.add_row(Text(broken.title, style="dim"), "-", Text(f"cannot open: {broken.first_error.message}", style="dim"),
                          key=f"broken-{index}")
        if not lessons and not self.catalog.broken:
            self.query_one("#picker-hint", Static).update(
                "No lessons found. Open a folder with `tui-tutor --lessons DIR` or check it with `tui-tutor validate DIR`."
            )
        elif row:
            table.move_cursor(row=min(row, len(lessons) + len(self.catalog.broken) - 1))

    def _progress(self, lesson: Lesson) -> str:
        if not self.context.store_opened:
            return ""  # filled in just after the first frame
        from tui_tutor.review import lesson_tally

        counts = lesson_tally(lesson, self.context.store, self.context.learner)
        if not counts.total:
            return "-"
        return f"{counts.done}/{counts.total} done, {counts.mastered}/{counts.total} mastered"

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        lessons = self.catalog.lessons
        if lessons and 0 <= table.cursor_row < len(lessons):
            tutor_app(self).open_lesson(lessons[table.cursor_row])
        elif self._broken_at(table.cursor_row) is not None:
            self.notify(self._broken_text(table.cursor_row), severity="warning", markup=False, timeout=8)

    def _broken_at(self, row: int) -> int | None:
        """Index into `catalog.broken` of a table row, or None for a lesson that opens."""
        index = row - len(self.catalog.lessons)
        return index if 0 <= index < len(self.catalog.broken) else None

    def _broken_text(self, row: int) -> str:
        index = self._broken_at(row)
        if index is None:
            return "Choose a lesson with the arrow keys and press Enter."
        broken = self.catalog.broken[index]
        more = f" ({broken.count} problems)" if broken.count > 1 else ""
        return (f"This lesson cannot be opened: {broken.first_error}{more}. "
                f"`tui-tutor validate {broken.path.parent}` lists all problems.")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Under a broken lesson, the hint line shows its first problem."""
        if self.catalog.lessons or self.catalog.broken:
            self.query_one("#picker-hint", Static).update(Content(self._broken_text(event.cursor_row)))

    def action_review(self) -> None:
        tutor_app(self).show_review()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()
