"""The lesson picker: title, estimated time and progress of every lesson."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui_tutor.lesson.model import Lesson


class PickerScreen(Screen):
    BINDINGS = [
        Binding("enter", "open", "Open lesson", show=True),
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
        graded = lesson.graded_questions()
        store = self.app.store
        if not graded:
            return "-"
        if store is None:
            return f"0/{len(graded)} answered"
        states = store.lesson_states(self.app.learner, lesson.id)
        answered = sum(1 for q in graded if q.id in states and states[q.id].attempts)
        mastered = sum(1 for q in graded if q.id in states and states[q.id].mastered)
        text = f"{answered}/{len(graded)} answered"
        if any(q.has_variants for q in graded):
            text += f", {mastered} mastered"
        return text

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        lessons = self.app.catalog.lessons
        if lessons and 0 <= table.cursor_row < len(lessons):
            self.app.open_lesson(lessons[table.cursor_row])

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()
