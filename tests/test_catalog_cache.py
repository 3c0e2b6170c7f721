"""The parsed-lesson cache (tui_tutor/lesson/catalog.py, `LessonCache`): what its docstring promises.

A hit gives exactly what a fresh parse gives; an edit is never served stale (not even one of the
same size with the old modification time put back, nor on a file system whose times are coarse);
an entry that is damaged, of another format or not JSON at all is a miss, parsed as without a
cache, and nothing about the cache ever raises. The cache is JSON: it never unpickles.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest

from tui_tutor.lesson import catalog as catalog_module
from tui_tutor.lesson.catalog import Catalog, LessonCache, discover
from tui_tutor.lesson.loader import load_lesson
from tui_tutor.lesson.model import LoadResult

ROOT = Path(__file__).resolve().parents[1]
LESSON_FILES = [*discover([ROOT / "lessons"]), ROOT / "tests" / "data" / "sample" / "sample.md"]
BROKEN = ROOT / "tests" / "data" / "broken" / "broken.md"


@pytest.fixture
def parses(monkeypatch) -> list[Path]:
    """The paths the catalog parsed (cache misses), in order; the parse itself is the real one."""
    calls: list[Path] = []
    real = catalog_module._parse

    def counting(path: Path) -> LoadResult:
        calls.append(Path(path))
        return real(path)

    monkeypatch.setattr(catalog_module, "_parse", counting)
    return calls


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))


def _copy(source: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    shutil.copyfile(source, target)
    return target


# -- hits ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", LESSON_FILES, ids=lambda p: p.name)
def test_a_hit_equals_a_fresh_parse(path, tmp_path, parses):
    fresh = load_lesson(path)
    assert fresh.lesson is not None and not fresh.errors
    first = LessonCache(tmp_path / "cache").load(path)  # a miss: parsed, written
    assert parses == [path] and first == fresh
    assert len(_entries(tmp_path / "cache")) == 1
    second = LessonCache(tmp_path / "cache").load(path)  # a new cache object: read from disk
    assert parses == [path], "the second load parsed again: the entry was not used"
    assert second == fresh
    assert second.lesson is not None and second.lesson.path == path


def test_a_hit_serves_another_spelling_of_the_path(tmp_path, parses, monkeypatch):
    """The entry is keyed on the resolved path, and the lesson it gives names the path as asked."""
    lesson = _copy(ROOT / "tests" / "data" / "sample" / "sample.md", tmp_path / "lessons")
    LessonCache(tmp_path / "cache").load(lesson)
    monkeypatch.chdir(tmp_path)
    relative = Path("lessons") / lesson.name
    hit = LessonCache(tmp_path / "cache").load(relative)
    assert parses == [lesson]
    assert hit == load_lesson(relative)
    assert hit.lesson is not None and hit.lesson.path == relative


def test_a_catalog_through_the_cache_equals_one_without(tmp_path, parses):
    paths = [ROOT / "lessons", ROOT / "tests" / "data" / "sample", BROKEN]
    plain = Catalog.from_paths(paths)
    parses.clear()
    cold = Catalog.from_paths(paths, cache_dir=tmp_path / "cache")
    warm = Catalog.from_paths(paths, cache_dir=tmp_path / "cache")
    assert len(parses) == len(discover(paths)), "the warm catalog parsed a lesson again"
    for cached in (cold, warm):
        assert cached.lessons == plain.lessons
        assert cached.errors == plain.errors
        assert cached.broken == plain.broken


# -- edits are never served stale ----------------------------------------------------------

def _same_size_edit(path: Path) -> None:
    """Change one letter of the title, then put the old access and modification times back."""
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    edited = text.replace("title: A sample", "title: A simple", 1)
    assert edited != text and len(edited.encode()) == len(text.encode())
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_a_same_size_edit_with_the_old_mtime_is_parsed_again(tmp_path, parses):
    lesson = _copy(ROOT / "tests" / "data" / "sample" / "sample.md", tmp_path / "lessons")
    old = LessonCache(tmp_path / "cache").load(lesson)
    _same_size_edit(lesson)
    new = LessonCache(tmp_path / "cache").load(lesson)
    assert parses == [lesson, lesson]
    assert new == load_lesson(lesson) and new != old
    assert new.lesson is not None and "simple" in new.lesson.title


def test_a_same_size_edit_is_caught_even_where_times_do_not_change(tmp_path, parses, monkeypatch):
    """A file system with coarse times (or none that change): the checksum of the bytes catches the edit."""
    lesson = _copy(ROOT / "tests" / "data" / "sample" / "sample.md", tmp_path / "lessons")
    frozen = os.stat(lesson)
    real_fstat = os.fstat

    class Frozen:
        def __init__(self, fd: int) -> None:
            self._st = real_fstat(fd)

        def __getattr__(self, name: str):
            if name in ("st_mtime_ns", "st_ctime_ns", "st_mtime", "st_ctime"):
                return getattr(frozen, name)
            return getattr(self._st, name)

    monkeypatch.setattr(catalog_module.os, "fstat", lambda fd: Frozen(fd))
    LessonCache(tmp_path / "cache").load(lesson)
    _same_size_edit(lesson)
    new = LessonCache(tmp_path / "cache").load(lesson)
    assert parses == [lesson, lesson]
    assert new.lesson is not None and "simple" in new.lesson.title


def test_a_new_cache_format_or_loader_makes_old_entries_stale(tmp_path, parses, monkeypatch):
    lesson = ROOT / "tests" / "data" / "sample" / "sample.md"
    LessonCache(tmp_path / "cache").load(lesson)
    monkeypatch.setattr(catalog_module, "CACHE_FORMAT", catalog_module.CACHE_FORMAT + 1)
    assert LessonCache(tmp_path / "cache").load(lesson) == load_lesson(lesson)
    assert parses == [lesson, lesson]
    real_sources = catalog_module._sources_key
    monkeypatch.setattr(catalog_module, "_sources_key", lambda: [*real_sources(), ["loader.py", 1, 2]])
    assert LessonCache(tmp_path / "cache").load(lesson) == load_lesson(lesson)
    assert parses == [lesson, lesson, lesson]


# -- damaged, foreign and unknown entries: a miss, never an error ---------------------------

def _written_entry(tmp_path: Path) -> tuple[Path, Path, dict]:
    """A lesson, its valid cache entry, and that entry as plain JSON."""
    lesson = _copy(ROOT / "tests" / "data" / "sample" / "sample.md", tmp_path / "lessons")
    LessonCache(tmp_path / "cache").load(lesson)
    [entry] = _entries(tmp_path / "cache")
    return lesson, entry, json.loads(entry.read_text(encoding="utf-8"))


def _damage(kind: str, entry: Path, data: dict) -> None:
    raw = entry.read_bytes()
    if kind == "empty":
        entry.write_bytes(b"")
    elif kind == "truncated":
        entry.write_bytes(raw[: len(raw) // 2])
    elif kind == "garbage":
        entry.write_bytes(os.urandom(2048))
    elif kind == "not-utf8":
        entry.write_bytes(b"\xff\xfe" + raw)
    elif kind == "a-list":
        entry.write_text("[1, 2, 3]")
    elif kind == "no-key":
        entry.write_text(json.dumps({"result": data["result"]}))
    elif kind == "other-key":
        data["key"][1] += 1  # another inode
        entry.write_text(json.dumps(data))
    elif kind == "unknown-format":
        data["key"][-1][0] = 10**6  # the cache format inside the key
        entry.write_text(json.dumps(data))
    elif kind == "result-not-a-result":
        data["result"] = {"t": [1, 2]}
        entry.write_text(json.dumps(data))
    elif kind == "unknown-class":
        data["result"] = {"c": "Popen", "f": [["rm", "-rf", "/"]]}
        entry.write_text(json.dumps(data))
    elif kind == "unknown-tag":
        data["result"] = {"x": 1}
        entry.write_text(json.dumps(data))
    elif kind == "wrong-field-count":
        data["result"]["f"] = [*data["result"]["f"], None, None, None]
        entry.write_text(json.dumps(data))
    elif kind == "a-folder":
        entry.unlink()
        entry.mkdir()
    elif kind == "too-big":
        entry.write_bytes(raw + b" " * 64)
    else:
        raise AssertionError(kind)


DAMAGE = ["empty", "truncated", "garbage", "not-utf8", "a-list", "no-key", "other-key", "unknown-format",
          "result-not-a-result", "unknown-class", "unknown-tag", "wrong-field-count", "a-folder", "too-big"]


@pytest.mark.parametrize("kind", DAMAGE)
def test_a_damaged_entry_is_parsed_instead(kind, tmp_path, parses, monkeypatch):
    lesson, entry, data = _written_entry(tmp_path)
    assert data["key"][0] == str(lesson.resolve())  # the shape `_damage` relies on
    if kind == "too-big":
        monkeypatch.setattr(catalog_module, "_MAX_ENTRY_BYTES", entry.stat().st_size + 16)
    _damage(kind, entry, data)
    parses.clear()
    result = LessonCache(tmp_path / "cache").load(lesson)
    assert parses == [lesson], "the damaged entry was used"
    assert result == load_lesson(lesson)
    catalog = Catalog.from_paths([lesson], cache_dir=tmp_path / "cache")
    assert [found.title for found in catalog.lessons] == [result.lesson.title] and not catalog.errors
    if kind != "a-folder":  # the miss wrote a good entry back: the next start is a hit again
        parses.clear()
        assert LessonCache(tmp_path / "cache").load(lesson) == result
        assert parses == []


def test_an_unusable_cache_folder_never_stops_loading(tmp_path, parses):
    lesson = ROOT / "tests" / "data" / "sample" / "sample.md"
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    assert LessonCache(a_file).load(lesson) == load_lesson(lesson)
    assert LessonCache(a_file / "below").load(lesson) == load_lesson(lesson)
    missing = tmp_path / "missing.md"
    assert LessonCache(tmp_path / "cache").load(missing) == load_lesson(missing)
    assert load_lesson(missing).lesson is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_cache_folder_is_only_read(tmp_path, parses):
    lesson = ROOT / "tests" / "data" / "sample" / "sample.md"
    folder = tmp_path / "cache"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert LessonCache(folder).load(lesson) == load_lesson(lesson)
        assert LessonCache(folder).load(lesson) == load_lesson(lesson)
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_old_entries_are_pruned(tmp_path, monkeypatch):
    monkeypatch.setattr(catalog_module, "_MAX_ENTRIES", 2)
    cache = LessonCache(tmp_path / "cache")
    for name in ("a", "b", "c"):
        lesson = _copy(ROOT / "tests" / "data" / "sample" / "sample.md", tmp_path / name)
        cache.load(lesson)
    assert len(_entries(tmp_path / "cache")) == 2


# -- broken lessons ----------------------------------------------------------------------------

def test_a_broken_lesson_is_cached_with_its_errors_and_still_listed_broken(tmp_path, parses):
    fresh = load_lesson(BROKEN)
    assert fresh.errors, "tests/data/broken/broken.md is meant to have errors"
    plain = Catalog.from_paths([BROKEN])
    parses.clear()
    cold = Catalog.from_paths([BROKEN], cache_dir=tmp_path / "cache")
    warm = Catalog.from_paths([BROKEN], cache_dir=tmp_path / "cache")
    assert parses == [BROKEN], "the broken lesson was not cached"
    assert LessonCache(tmp_path / "cache").load(BROKEN) == fresh
    for catalog in (cold, warm):
        assert catalog.lessons == []
        assert catalog.errors == fresh.errors == plain.errors
        assert catalog.broken == plain.broken
        [broken] = catalog.broken
        assert broken.path == BROKEN and broken.count == len(fresh.errors) and broken.first_error == fresh.errors[0]


# -- JSON, never pickle ------------------------------------------------------------------------

class _Trap:
    """Unpickling this creates `marker`: proof that something unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_the_cache_never_unpickles(tmp_path, parses, monkeypatch):
    lesson, entry, _data = _written_entry(tmp_path)
    json.loads(entry.read_text(encoding="utf-8"))  # what it writes is plain JSON
    marker = tmp_path / "unpickled"
    entry.write_bytes(pickle.dumps(_Trap(marker)))
    for name in ("load", "loads", "Unpickler"):
        def refuse(*args, _name=name, **kwargs):
            raise AssertionError(f"the cache called pickle.{_name}")
        monkeypatch.setattr(pickle, name, refuse)
    parses.clear()
    assert LessonCache(tmp_path / "cache").load(lesson) == load_lesson(lesson)
    assert parses == [lesson]
    assert not marker.exists(), "the cache unpickled its entry"
    json.loads(entry.read_text(encoding="utf-8"))  # the pickle was replaced by a JSON entry
    source = Path(catalog_module.__file__).read_text(encoding="utf-8")
    for module in ("pickle", "marshal", "shelve", "dill", "cloudpickle"):
        assert f"import {module}" not in source and f"from {module}" not in source
