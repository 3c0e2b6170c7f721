"""The lesson picker: title, estimated time and progress of every lesson."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui_tutor.lesson.model import Lesson
from tui_tutor.review import mastery_counts


class PickerScreen(Screen):
    BINDINGS = [
        Binding("enter", "open", "Open lesson", show=True),
        Binding("r", "review", "Review"),
        Binding("q", "app.quit", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        yield Static("tui-tutor: deep-learning fundamentals in your terminal", id="title-bar")
        yield Static("Choose a lesson with the arrow keys and press Enter.", id="picker-hint")
        yield DataTable(id="lessons", cursor_type="row", zebra_stripes=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Lesson", "Time", "Progress")
        self.refresh_rows()
        table.focus()

    def on_screen_resume(self) -> None:
        self.refresh_rows()

    def refresh_rows(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        lessons = self.app.catalog.lessons
        for lesson in lessons:
            minutes = f"{lesson.minutes} min" if lesson.minutes else "-"
            table.add_row(lesson.title, minutes, self._progress(lesson), key=lesson.id)
        if not lessons:
            self.query_one("#picker-hint", Static).update(
                "No lessons found. Open a folder with `tui-tutor --lessons DIR` or check it with `tui-tutor validate DIR`."
            )
        elif row:
            table.move_cursor(row=min(row, len(lessons) - 1))

    def _progress(self, lesson: Lesson) -> str:
        answered, mastered, total = mastery_counts(lesson, self.app.store, self.app.learner)
        if not total:
            return "-"
        return f"{answered}/{total} done, {mastered}/{total} mastered"

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        lessons = self.app.catalog.lessons
        if lessons and 0 <= table.cursor_row < len(lessons):
            self.app.open_lesson(lessons[table.cursor_row])

    def action_review(self) -> None:
        self.app.show_review()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()
