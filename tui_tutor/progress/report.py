"""`tui-tutor progress`: a plain-text summary, or CSV/JSON exports for instructors.

The table is ASCII and at most 80 columns wide so it survives any terminal, `less`, e-mail
and a paste into a ticket. Exports go to `out` untouched by messages (those go to `err`),
so `tui-tutor progress --export csv > marks.csv` always gives a valid file.
"""

from __future__ import annotations

import csv
import json
import sys
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from collections.abc import Iterable

from tui_tutor.progress.paths import db_path
from tui_tutor.progress.store import ProgressStore, StoreError

EXPORT_COLUMNS = (
    "learner", "lesson", "question", "score", "attempts", "hints", "revealed",
    "last_answer", "variant", "seed", "time", "status", "mastered",
)
#: (heading, width, right-aligned) of the summary table; widths + 2-space gaps = 80.
_COLUMNS = (
    ("Lesson", 24, False), ("Answered", 8, True), ("Score", 5, True), ("Tries", 5, True),
    ("Hints", 5, True), ("Shown", 5, True), ("Last activity", 16, False),
)
_LEGEND = (
    "Score: mean of each answered question's best score. "
    "Shown: solutions revealed."
)


def _ascii(text: object) -> str:
    """Accents dropped, anything else non-ASCII as '?', control characters as spaces."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if " " <= c <= "~" else ("?" if ord(c) > 127 else " ") for c in kept)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _when(iso: str | None) -> str:
    if not iso:
        return "-"
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")


def _line(cells: Iterable[str]) -> str:
    parts = []
    for (_, width, right), cell in zip(_COLUMNS, cells):
        cell = _fit(cell, width)
        parts.append(cell.rjust(width) if right else cell.ljust(width))
    return "  ".join(parts).rstrip()


def summary_table(rows: list[dict]) -> str:
    """One line per lesson (from `ProgressStore.lesson_summary`), grouped by learner."""
    if not rows:
        return "No progress saved yet.\n"
    out: list[str] = []
    learners = sorted({row["learner"] for row in rows})
    for learner in learners:
        if out:
            out.append("")
        out.append(_fit(f"Progress of {_ascii(learner)}", 80))
        out.append(_line(heading for heading, _, _ in _COLUMNS))
        out.append(_line("-" * width for _, width, _ in _COLUMNS))
        for row in (r for r in rows if r["learner"] == learner):
            mean = row["mean_score"]
            out.append(
                _line(
                    (
                        _ascii(row["lesson"]),
                        str(row["questions"]),
                        "-" if mean is None else f"{round(mean * 100)}%",
                        str(row["attempts"]),
                        str(row["hints"]),
                        str(row["reveals"]),
                        _when(row["last_activity"]),
                    )
                )
            )
    out.append("")
    out.append(_LEGEND)
    return "\n".join(out) + "\n"


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def export_csv(rows: list[dict], out: TextIO) -> None:
    """One row per question; non-text answers (lists, tables) as JSON in their cell."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(row.get(column)) for column in EXPORT_COLUMNS])


def export_json(rows: list[dict], out: TextIO) -> None:
    """A JSON array of one object per question, columns in the CSV's order."""
    json.dump([{c: row.get(c) for c in EXPORT_COLUMNS} for row in rows], out, indent=2, ensure_ascii=False)
    out.write("\n")


def run_progress_command(
    data_dir: Path,
    export: str | None,
    learner: str | None,
    out: TextIO,
    err: TextIO | None = None,
) -> int:
    """The whole `tui-tutor progress` command; `learner=None` means every learner.

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
        _nothing(fmt, out, err, f"No progress saved yet{who} (looked for {path}).")
        return 0
    try:
        store = ProgressStore.open(path)
    except StoreError as exc:
        print(f"tui-tutor: {exc}", file=err)
        return 1
    with store:
        if store.notice:
            print(f"tui-tutor: {store.notice}", file=err)
        try:
            rows = store.export_rows(learner) if fmt else store.lesson_summary(learner)
            others = [name for name in store.learners() if name != learner] if not rows else []
        except StoreError as exc:
            print(f"tui-tutor: {exc}", file=err)
            return 1
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
