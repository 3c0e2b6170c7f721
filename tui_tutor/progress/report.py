"""`tui-tutor progress`: a plain-text summary, or CSV/JSON exports for instructors.

The table is ASCII and at most 80 columns wide so it survives any terminal, `less`, e-mail
and a paste into a ticket. Exports go to `out` untouched by messages (those go to `err`),
so `tui-tutor progress --export csv > marks.csv` always gives a valid file.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import platformdirs

from tui_tutor.grading.scoring import Standing, counted, tally
from tui_tutor.lesson.model import Lesson
from tui_tutor.progress.paths import APP_NAME, DATA_DIR_ENV, db_path
from tui_tutor.progress.store import ProgressStore, QuestionState, StoreError, iso_time

EXPORT_COLUMNS = (
    "learner", "lesson", "question", "score", "attempts", "hints", "revealed",
    "last_answer", "variant", "seed", "time", "status", "mastered", "counted",
)
#: (heading, width, right-aligned) of the summary table; widths + 2-space gaps = 80.
_COLUMNS = (
    ("Lesson", 22, False), ("Done", 5, True), ("Mastered", 8, True), ("Score", 5, True),
    ("Tries", 5, True), ("Hints", 5, True), ("Shown", 5, True), ("Last active", 11, False),
)
_LEGEND = (
    "Done, Mastered: of the lesson's graded questions (reflections and optional ones\n"
    "do not count). Score: the lesson score (unanswered questions count 0). Tries:\n"
    "graded answers. Shown: solutions revealed."
)
_UNKNOWN_LEGEND = (
    "*: lesson file not found (add it with --lessons DIR): counts and score are over\n"
    "the questions answered."
)


def progress_folder(override: str | Path | None = None) -> Path:
    """Where progress is read from, chosen as `paths.data_dir` chooses, but never created:
    a report must not leave an empty folder behind."""
    chosen = override if override not in (None, "") else os.environ.get(DATA_DIR_ENV) or None
    if chosen is not None:
        return Path(chosen).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class LessonRow:
    """One line of the summary: a learner's counts on one lesson, by `scoring.tally`."""

    learner: str
    lesson: str
    done: int
    mastered: int
    total: int | None  # None when the lesson file is not known here
    score: float | None  # None before any graded answer
    attempts: int
    hints: int
    reveals: int
    last_activity: str | None


def lesson_rows(
    states: Sequence[QuestionState], positions: Iterable[tuple[str, str, int, float]], lessons: Iterable[Lesson] = (),
) -> list[LessonRow]:
    """Per learner and lesson (answered or merely opened): the same counts as the picker."""
    known = {lesson.id: lesson for lesson in lessons}
    groups: dict[tuple[str, str], list[QuestionState]] = {}
    updated: dict[tuple[str, str], float] = {}
    for state in states:
        key = (state.learner, state.lesson)
        groups.setdefault(key, []).append(state)
        updated[key] = max(updated.get(key, state.updated), state.updated)
    for learner, lesson_id, _step, when in positions:
        groups.setdefault((learner, lesson_id), [])
        updated[(learner, lesson_id)] = max(updated.get((learner, lesson_id), when), when)
    rows = []
    for (learner, lesson_id), mine in sorted(groups.items()):
        standings: dict[str, Standing] = {state.question: state for state in mine}
        lesson = known.get(lesson_id)
        if lesson is not None:
            counts = tally(lesson.questions(), standings)
            total: int | None = counts.total
        else:  # not known here: count what was answered
            answered = [_Seen(state.question) for state in mine if state.attempts > 0]
            counts = tally(answered, standings)
            total = None
        rows.append(LessonRow(
            learner, lesson_id, counts.done, counts.mastered, total,
            counts.score if counts.done else None,
            sum(s.attempts for s in mine), sum(s.hints_total for s in mine), sum(s.reveals_total for s in mine),
            iso_time(updated[(learner, lesson_id)]),
        ))
    return rows


@dataclass(frozen=True)
class _Seen:
    """A question known only by its id (its lesson file is not here): counted as graded."""

    id: str


def export_rows(states: Sequence[QuestionState], lessons: Iterable[Lesson] = ()) -> list[dict[str, Any]]:
    """One row per (learner, lesson, question), ready for CSV/JSON export.

    `variant` is numbered from 1, as the question panel shows it; `counted` says whether the
    question counts toward its lesson (graded, not optional; None if the lesson is unknown).
    """
    questions = {(lesson.id, q.id): q for lesson in lessons for q in lesson.questions()}
    known = {lesson.id for lesson in lessons}
    rows = []
    for s in states:
        question = questions.get((s.lesson, s.question))
        rows.append({
            "learner": s.learner, "lesson": s.lesson, "question": s.question,
            "score": s.best_score, "attempts": s.attempts, "hints": s.hints_total, "revealed": s.reveals_total,
            "last_answer": s.last_answer, "variant": s.variant + 1, "seed": s.seed,
            "time": iso_time(s.updated), "status": s.last_status, "mastered": s.mastered,
            "counted": counted(question) if question is not None else (False if s.lesson in known else None),
        })
    return rows


def _ascii(text: object) -> str:
    """Accents dropped, anything else non-ASCII as '?', control characters as spaces."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if " " <= c <= "~" else ("?" if ord(c) > 127 else " ") for c in kept)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _line(cells: Iterable[str]) -> str:
    parts = []
    for (_, width, right), cell in zip(_COLUMNS, cells):
        cell = _fit(cell, width)
        parts.append(cell.rjust(width) if right else cell.ljust(width))
    return "  ".join(parts).rstrip()


def _when(iso: str | None) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d") if iso else "-"


def _share(count: int, total: int | None) -> str:
    return str(count) if total is None else f"{count}/{total}"


def summary_table(rows: list[LessonRow]) -> str:
    """One line per lesson (from `lesson_rows`), grouped by learner."""
    if not rows:
        return "No progress saved yet.\n"
    out: list[str] = []
    for learner in sorted({row.learner for row in rows}):
        if out:
            out.append("")
        out.append(_fit(f"Progress of {_ascii(learner)}", 80))
        out.append(_line(heading for heading, _, _ in _COLUMNS))
        out.append(_line("-" * width for _, width, _ in _COLUMNS))
        for row in (r for r in rows if r.learner == learner):
            mark = "*" if row.total is None else ""
            out.append(_line((
                _ascii(row.lesson), _share(row.done, row.total) + mark, _share(row.mastered, row.total) + mark,
                "-" if row.score is None else f"{round(row.score * 100)}%" + mark,
                str(row.attempts), str(row.hints), str(row.reveals), _when(row.last_activity),
            )))
    out.append("")
    out.append(_LEGEND)
    if any(row.total is None for row in rows):
        out.append(_UNKNOWN_LEGEND)
    return "\n".join(out) + "\n"


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def export_csv(rows: list[dict[str, Any]], out: TextIO) -> None:
    """One row per question; non-text answers (lists, tables) as JSON in their cell."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(row.get(column)) for column in EXPORT_COLUMNS])


def export_json(rows: list[dict[str, Any]], out: TextIO) -> None:
    """A JSON array of one object per question, columns in the CSV's order."""
    json.dump([{c: row.get(c) for c in EXPORT_COLUMNS} for row in rows], out, indent=2, ensure_ascii=False)
    out.write("\n")


def run_progress_command(
    data_dir: Path,
    export: str | None,
    learner: str | None,
    out: TextIO,
    err: TextIO | None = None,
    lessons: Sequence[Lesson] = (),
) -> int:
    """The whole `tui-tutor progress` command; `learner=None` means every learner.

    `lessons` are the lesson files known here: their questions give the totals and which
    questions count, exactly as in the picker. The store is opened read-only: nothing in the
    data folder is created, migrated, moved or changed.
    Returns the exit status: 0 (also when nothing is saved yet), 1 when the progress file
    cannot be used, 2 for an unknown export format.
    """
    err = err if err is not None else sys.stderr
    fmt = export.lower() if export else None
    if fmt not in (None, "csv", "json"):
        print(f"tui-tutor: unknown export format {export!r}; use csv or json.", file=err)
        return 2
    path = db_path(data_dir)
    who = f" for learner {learner!r}" if learner is not None else ""
    if not path.exists():
        _nothing(fmt, out, err, f"No progress saved yet{who} (looked for {path}; nothing was created).")
        return 0
    try:  # a report changes nothing: no migration, no moving a damaged file aside
        store = ProgressStore.open(path, readonly=True)
    except StoreError as exc:
        print(f"tui-tutor: {exc}", file=err)
        return 1
    with store:
        try:
            states = store.states(learner)
            positions = store.positions(learner)
            others = [name for name in store.learners() if name != learner] if not (states or positions) else []
        except StoreError as exc:
            print(f"tui-tutor: {exc}", file=err)
            return 1
    rows: list[Any] = export_rows(states, lessons) if fmt else lesson_rows(states, positions, lessons)
    if not rows:
        message = f"No progress saved yet{who} in {path}."
        if learner is not None and others:
            message += f" It holds progress of: {', '.join(others)} (use --all to see everyone)."
        _nothing(fmt, out, err, message)
        return 0
    if fmt == "csv":
        export_csv(rows, out)
    elif fmt == "json":
        export_json(rows, out)
    else:
        out.write(summary_table(rows))
    return 0


def _nothing(fmt: str | None, out: TextIO, err: TextIO, message: str) -> None:
    """Say there is nothing; an export still gets a valid (empty) file."""
    if fmt == "csv":
        export_csv([], out)
    elif fmt == "json":
        export_json([], out)
    print(message, file=out if fmt is None else err)
