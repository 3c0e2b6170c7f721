"""Where lessons come from: the bundled folder, instructors' folders, or files named on the command line.

Parsed lessons can be kept in a cache folder (the app passes the user cache folder), so a
start after the first reads one JSON file per lesson instead of importing PyYAML and parsing
every lesson again: about 15-20 ms of the first frame. The cache is JSON, never pickle, and
an entry is used only when all of these match what it was written for: the lesson file's
resolved path, inode, size, modification and change times (the change time cannot be set
back by `touch`), a CRC-32 of its bytes (for file systems whose times are coarse), the
sources of the lesson package (a new loader makes every entry stale) and the cache format. Anything odd in an entry (unreadable, wrong shape, a type it does not
know) makes it a miss; the lesson is then parsed as without a cache. Broken lessons are kept
too, with their problems, so the picker lists them greyed as before. At most 1024 entries
are kept (the oldest go first).
"""

from __future__ import annotations

import math
import os
import time
import zlib
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from tui_tutor.lesson.limits import MAX_FILE_BYTES
from tui_tutor.lesson.model import (
    Block,
    Cell,
    Feedback,
    Interactive,
    LayerSpec,
    Lesson,
    LessonError,
    LoadResult,
    Option,
    Param,
    Prose,
    Question,
    Resources,
    SplitSpec,
    Statement,
    SweepSpec,
    Step,
    TrainSpec,
)

#: Bump when the encoding below changes.
CACHE_FORMAT = 1
#: An entry larger than this is not read (lesson files are at most 2 MB; see limits.py).
_MAX_ENTRY_BYTES = 32 * 1024 * 1024
#: Entries kept; after a write, the oldest beyond this are removed (and temp files left by a kill).
_MAX_ENTRIES = 1024


def bundled_lessons_dir() -> Path | None:
    """The repository's `lessons/` (the README installs the package editable), or $TUI_TUTOR_LESSONS."""
    env = os.environ.get("TUI_TUTOR_LESSONS")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parents[2] / "lessons"
    return here if here.is_dir() else None


def discover(paths: list[Path]) -> list[Path]:
    """Lesson files under the given files and folders, sorted; `README.md` files are docs, not lessons."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*.md")) if p.name.lower() != "readme.md")
        else:
            found.append(path)
    return found


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
    def from_paths(cls, paths: list[Path], cache_dir: Path | None = None) -> Catalog:
        """Load every lesson under `paths`; with `cache_dir`, through the parsed-lesson cache there."""
        catalog = cls()
        seen: set[str] = set()
        cache = LessonCache(cache_dir) if cache_dir is not None else None
        for path in discover(paths):
            result = cache.load(path) if cache is not None else _parse(path)
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


def _parse(path: Path) -> LoadResult:
    from tui_tutor.lesson.loader import load_lesson  # PyYAML and the loader: only when a file is parsed

    return load_lesson(path)


# -- the parsed-lesson cache -------------------------------------------------------------

_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (Lesson, Step, Prose, Block, Question, Interactive, TrainSpec, LayerSpec, SplitSpec, SweepSpec, Resources,
                Feedback, Option, Statement, Cell, Param, LessonError, LoadResult)
}
_PLAIN = (str, int, float, bool, type(None))


class _Uncacheable(Exception):
    """A value the cache does not encode (a date from YAML, say): that lesson is not cached."""


def _encode(value: Any, path: Path) -> Any:
    """JSON-ready form; every JSON object is a tag, so nothing is ambiguous when read back.

    {"t": [...]} tuple, {"d": [[k, v], ...]} dict, {"c": name, "f": [...]} model object,
    {"P": 0} the lesson's own path (so an entry serves relative and absolute spellings alike).
    """
    kind = type(value)
    if kind in _PLAIN:
        if kind is float and not math.isfinite(value):
            raise _Uncacheable
        return value
    if kind is tuple:
        return {"t": [_encode(v, path) for v in value]}
    if kind is list:
        return [_encode(v, path) for v in value]
    if kind is dict:
        return {"d": [[_encode(k, path), _encode(v, path)] for k, v in value.items()]}
    if isinstance(value, Path) and value == path:
        return {"P": 0}
    if is_dataclass(value) and _CLASSES.get(kind.__name__) is kind:
        return {"c": kind.__name__, "f": [_encode(getattr(value, f.name), path) for f in fields(value)]}
    raise _Uncacheable


def _decoder(path: Path) -> Any:
    def hook(obj: dict[str, Any]) -> Any:
        if "t" in obj:
            return tuple(obj["t"])
        if "d" in obj:
            return {k: v for k, v in obj["d"]}
        if "c" in obj:
            return _CLASSES[obj["c"]](*obj["f"])
        if "P" in obj:
            return path
        if "key" in obj:  # the entry's envelope
            return obj
        raise ValueError("unknown tag")

    return hook


def _sources_key() -> list[Any]:
    """The lesson package's sources (name, size, mtime): a changed loader makes old entries stale."""
    here = Path(__file__).parent
    with os.scandir(here) as entries:
        stats = sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in entries if e.name.endswith(".py"))
    return [CACHE_FORMAT, *(list(s) for s in stats)]


class LessonCache:
    """Parsed lessons as JSON files in `folder`, one per lesson file; see the module docstring."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._sources: list[Any] | None = None

    def load(self, path: Path) -> LoadResult:
        """What `load_lesson(path)` returns, from the cache when a valid entry exists."""
        try:
            key, entry = self._key(path), self._entry_path(path)
        except OSError:
            return _parse(path)
        cached = self._read(entry, key, path)
        if cached is not None:
            return cached
        result = _parse(path)
        self._write(entry, key, path, result)
        return result

    def _key(self, path: Path) -> list[Any]:
        if self._sources is None:
            self._sources = _sources_key()
        with open(path, "rb") as handle:  # the loader reads no more than this either
            st = os.fstat(handle.fileno())
            checksum = zlib.crc32(handle.read(MAX_FILE_BYTES + 1))
        return [str(Path(path).resolve()), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, checksum,
                self._sources]

    def _entry_path(self, path: Path) -> Path:
        resolved = str(Path(path).resolve())
        name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in Path(resolved).stem)[:40]
        return self.folder / f"{name}-{_fnv1a(resolved):016x}.json"

    def _read(self, entry: Path, key: list[Any], path: Path) -> LoadResult | None:
        import json

        try:
            with entry.open("rb") as handle:
                raw = handle.read(_MAX_ENTRY_BYTES + 1)
            if len(raw) > _MAX_ENTRY_BYTES:
                return None
            data = json.loads(raw, object_hook=_decoder(path))
            if not isinstance(data, dict) or data.get("key") != key:
                return None
            result = data.get("result")
        except Exception:  # noqa: BLE001 - a missing, stale or damaged entry is a miss, whatever it holds
            return None
        return result if isinstance(result, LoadResult) else None

    def _write(self, entry: Path, key: list[Any], path: Path, result: LoadResult) -> None:
        import json
        import tempfile

        try:
            text = json.dumps({"key": _encode(key, path), "result": _encode(result, path)},
                              ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            if json.loads(text, object_hook=_decoder(path))["result"] != result:
                return  # something does not survive the round trip: parse this lesson every time
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                os.replace(tmp, entry)  # atomic: a reader sees the old entry or the new one
            except BaseException:
                os.unlink(tmp)
                raise
            self._prune()
        except Exception:  # noqa: BLE001 - no cache (read-only, full disk, an odd value): parse next time
            return

    def _prune(self) -> None:
        """Keep the newest `_MAX_ENTRIES` entries; drop temp files older than ten minutes."""
        with os.scandir(self.folder) as scan:
            files = [(e.stat().st_mtime_ns, e.name, e.path) for e in scan if e.is_file()]
        old_tmp = time.time_ns() - 600 * 10**9
        doomed = [path for mtime, name, path in files if name.startswith(".tmp-") and mtime < old_tmp]
        entries = sorted((mtime, path) for mtime, name, path in files if name.endswith(".json") and not name.startswith("."))
        doomed += [path for _, path in entries[: max(0, len(entries) - _MAX_ENTRIES)]]
        for path in doomed:
            try:
                os.unlink(path)
            except OSError:
                pass


def _fnv1a(text: str) -> int:
    """64-bit FNV-1a of `text`: a stable file name without importing hashlib (about 2 ms)."""
    value = 0xCBF29CE484222325
    for byte in text.encode("utf-8", "surrogateescape"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value
