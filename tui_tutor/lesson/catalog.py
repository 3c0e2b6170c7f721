"""Where lessons come from: the bundled folder, instructors' folders, or files named on the command line."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tui_tutor.lesson.loader import discover, load_lesson
from tui_tutor.lesson.model import Lesson, LessonError


def bundled_lessons_dir() -> Path | None:
    """The repository's `lessons/` (the README installs the package editable), or $TUI_TUTOR_LESSONS."""
    env = os.environ.get("TUI_TUTOR_LESSONS")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parents[2] / "lessons"
    return here if here.is_dir() else None


@dataclass(frozen=True)
class BrokenLesson:
    """A lesson file with problems: listed (greyed) in the picker with its first problem, never opened."""

    path: Path
    title: str
    first_error: LessonError
    count: int


@dataclass
class Catalog:
    """Lessons that loaded cleanly, sorted for the picker; the files that did not, and all their problems.

    One bad file never stops the tutor: it becomes a `BrokenLesson` and the others open.
    """

    lessons: list[Lesson] = field(default_factory=list)
    errors: list[LessonError] = field(default_factory=list)
    broken: list[BrokenLesson] = field(default_factory=list)

    @classmethod
    def from_paths(cls, paths: list[Path]) -> Catalog:
        catalog = cls()
        seen: set[str] = set()
        for path in discover(paths):
            result = load_lesson(path)
            catalog.errors.extend(result.errors)
            lesson = result.lesson
            if result.errors:
                title = lesson.title if lesson is not None else path.stem
                catalog.broken.append(BrokenLesson(path, title, result.errors[0], len(result.errors)))
                continue
            if lesson is None or not lesson.steps or lesson.id in seen:
                continue
            seen.add(lesson.id)
            catalog.lessons.append(lesson)
        catalog.lessons.sort(key=lambda lesson: (lesson.order, lesson.title))
        return catalog
