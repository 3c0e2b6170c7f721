"""`tui-tutor validate`: every problem of every lesson file, as `path:line: message`.

It sits above both the lesson layer (reading files) and the grading engine (drawing
variants), so neither of those has to import the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from tui_tutor.grading.variants import validate_question
from tui_tutor.lesson.loader import discover, load_lesson
from tui_tutor.lesson.model import Interactive, Lesson, LessonError, walk
from tui_tutor.lesson.widget_options import check_options


def check_lesson(lesson: Lesson) -> list[LessonError]:
    """Checks that need the grading engine: expressions, names and variant draws."""
    errors = []
    for step in lesson.steps:
        for item in walk(step.items):
            if isinstance(item, Interactive):
                for message in check_options(item.widget, item.options):
                    errors.append(LessonError(lesson.path, item.line, f"`{item.widget}` widget: {message}"))
    for question in lesson.questions():
        try:
            problems = validate_question(question)
        except Exception as exc:  # noqa: BLE001 - a validator bug must read as a problem, not a traceback
            problems = [(question.line, f"the question cannot be checked: {type(exc).__name__}: {exc}")]
        for line, message in problems:
            errors.append(LessonError(lesson.path, line, f"question `{question.id}`: {message}"))
    return errors


def validate_paths(paths: list[Path]) -> tuple[int, list[LessonError]]:
    """Return (number of lesson files checked, errors)."""
    files = discover(paths)
    errors: list[LessonError] = []
    for path in paths:
        if not Path(path).exists():
            errors.append(LessonError(Path(path), 0, "no such file or folder"))
    for path in files:
        if not path.exists():
            continue
        result = load_lesson(path)
        errors.extend(result.errors)
        if result.lesson is not None:
            errors.extend(check_lesson(result.lesson))
    return len(files), errors


def run_validate(paths: list[Path], out: TextIO) -> int:
    """Print every problem, one line each; exit status 1 if there is any."""
    count, errors = validate_paths(paths)
    for error in sorted(errors, key=lambda e: (str(e.path), e.line)):
        print(error, file=out)
    if count == 0 and not errors:
        print("no lesson files found (lessons are `.md` files; README.md is skipped)", file=out)
        return 1
    files = "file" if count == 1 else "files"
    if errors:
        print(f"{len(errors)} problem(s) in {count} lesson {files}", file=out)
        return 1
    print(f"{count} lesson {files} checked: no problems", file=out)
    return 0
