"""The data folder: a folder the tutor may not write, `tui-tutor progress` changing nothing,
another program's SQLite file left alone, and a damaged store moved aside whole.

Tests run as root here, and root ignores file permissions: a read-only folder is shown by
running the check as `nobody` (setpriv) or, besides, under a read-only bind mount in a user
namespace (unshare). Not root, a plain chmod does it.
"""

from __future__ import annotations

import hashlib
import io
import os
import pty
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_tutor.progress import store as store_mod
from tui_tutor.progress.report import run_progress_command
from tui_tutor.progress.store import APPLICATION_ID, ProgressStore, StoreError, schema_version

ROOT = Path(__file__).resolve().parents[1]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
NOBODY = 65534

LESSON = """---
title: Saving test
---

## Ask

::: question
id: two
kind: numeric
prompt: What is 1 + 1?
answer: 2
:::

## After

The end.
"""


def fingerprint(folder: Path) -> dict[str, str]:
    """sha256 of every file in `folder` (recursively), by relative name."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def progress(folder: Path, export: str | None = None, learner: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_progress_command(folder, export, learner, out, err)
    return code, out.getvalue(), err.getvalue()


def make_foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.executemany("INSERT INTO notes VALUES (?)", [("keep me",)] * 20)
    conn.commit()
    conn.close()


def make_store(path: Path, journal: str = "wal", versions: int | None = None) -> None:
    """A store with one answer; `versions` limits the migrations (an older tui-tutor's file)."""
    saved = store_mod.MIGRATIONS
    if versions is not None:
        store_mod.MIGRATIONS = saved[:versions]
    try:
        if versions == 1:  # format 1 knew nothing of the one rule: write its rows by hand
            conn = sqlite3.connect(path)
            store_mod._v1_initial(conn)
            conn.execute("""INSERT INTO question_state (learner, lesson, question, attempts, first_seen, updated)
                            VALUES ('tester', 'l', 'q', 1, 0, 0)""")
            conn.execute("PRAGMA user_version = 1")
            conn.commit()
            conn.close()
            return
        with ProgressStore.open(path, journal=journal) as s:
            s.record_answer("tester", "l", "q", answer=2, status="correct", score=1)
    finally:
        store_mod.MIGRATIONS = saved


def hot_journal(path: Path) -> None:
    """Kill a writer of `path` (rollback journal) mid-transaction: a hot -journal is left."""
    code = f"""
import os, sqlite3
c = sqlite3.connect({str(path)!r}, isolation_level=None)
c.execute("PRAGMA journal_mode = DELETE"); c.execute("PRAGMA cache_size = 1")
c.execute("BEGIN")
c.execute("UPDATE question_state SET attempts = 99")
for i in range(300):
    c.execute("INSERT INTO position VALUES (?, 'l', 1, 0)", ("x" * 500 + str(i),))
os._exit(0)
"""
    subprocess.run([sys.executable, "-c", code], check=True)
    assert Path(f"{path}-journal").stat().st_size > 0


# --------------------------------------------------------------------------- progress changes nothing


def _damaged(db: Path) -> None:
    make_store(db, journal="delete")
    data = bytearray(db.read_bytes())
    data[100:] = os.urandom(len(data) - 100)
    db.write_bytes(bytes(data))
    Path(f"{db}-journal").write_bytes(os.urandom(3000))


def _set_version(db: Path, version: int) -> None:
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()


SCENARIOS = {
    # name: (build, exit code, what the output says)
    "wal store": (lambda db: make_store(db, "wal"), 0, "Progress of tester"),
    "rollback store": (lambda db: make_store(db, "delete"), 0, "Progress of tester"),
    "unmarked format-2 store": (lambda db: make_store(db, "wal", versions=2), 0, "Progress of tester"),
    "format-1 store": (lambda db: make_store(db, versions=1), 1, "run the tutor once to upgrade"),
    "hot journal": (lambda db: (make_store(db, "delete"), hot_journal(db)), 0, "Progress of tester"),
    "empty file": (lambda db: db.write_bytes(b""), 0, "No progress saved yet"),
    "damaged store and journal": (_damaged, 1, "damaged"),
    "random bytes": (lambda db: db.write_bytes(os.urandom(8192)), 1, "damaged"),
    "another program's file": (make_foreign, 1, "not a tui-tutor progress file"),
    "newer store": (lambda db: (make_store(db), _set_version(db, 99)), 1, "newer version"),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_progress_changes_nothing_in_the_data_folder(tmp_path, name):
    build, code, says = SCENARIOS[name]
    folder = tmp_path / "data"
    folder.mkdir()
    build(folder / "progress.sqlite3")
    before = fingerprint(folder)
    for export in (None, "csv", "json"):
        got, out, err = progress(folder, export, "tester")
        assert got == code, (out, err)
        if export is None or got != 0:
            assert says in out + err, (out, err)
        assert fingerprint(folder) == before  # same files, same bytes: nothing created, moved or changed


def test_progress_reads_the_state_before_an_interrupted_write(tmp_path):
    """A hot journal is rolled back in a copy: the report shows the last committed answer."""
    db = tmp_path / "progress.sqlite3"
    make_store(db, "delete")
    hot_journal(db)
    with ProgressStore.open(db, readonly=True) as s:
        assert s.readonly and s.question_state("tester", "l", "q").attempts == 1
        with pytest.raises(StoreError, match="read-only"):
            s.set_position("tester", "l", 3)
    with ProgressStore.open(db) as s:  # the tutor itself rolls the journal back, as SQLite does
        assert s.question_state("tester", "l", "q").attempts == 1 and s.notice is None
    assert not Path(f"{db}-journal").exists()


def test_a_readonly_open_of_an_old_format_does_not_migrate(tmp_path):
    db = tmp_path / "progress.sqlite3"
    make_store(db, versions=2)
    with ProgressStore.open(db, readonly=True) as s:
        assert s.question_state("tester", "l", "q").attempts == 1
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert conn.execute("PRAGMA application_id").fetchone()[0] == 0
    conn.close()


# --------------------------------------------------------------------------- another program's file


async def test_the_tutor_leaves_another_programs_file_byte_identical(tmp_path):
    from screen_text import screen_text
    from tui_tutor.ui.app import AppOptions, TutorApp
    from tui_tutor.ui.screens.lesson import LessonScreen

    folder = tmp_path / "data"
    folder.mkdir()
    make_foreign(folder / "progress.sqlite3")
    before = fingerprint(folder)
    lesson = tmp_path / "save.md"
    lesson.write_text(LESSON)
    app = TutorApp(AppOptions(lesson_paths=[lesson], open_path=lesson, data_dir=folder, learner="tester"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen), screen_text(app)
        assert app.not_saving is not None and "not a tui-tutor progress file" in app.not_saving
        await _answer(pilot, app)
        await pilot.press("ctrl+q")
    assert fingerprint(folder) == before
    got, _out, err = progress(folder)
    assert got == 1 and "not a tui-tutor progress file" in err and "--data-dir" in err
    assert fingerprint(folder) == before


async def _answer(pilot, app) -> None:
    """Answer the lesson's question (2) by keyboard; it must be graded, saved or not."""
    from screen_text import screen_text
    from tui_tutor.ui.questions.panel import QuestionPanel

    panel = app.screen.query_one(QuestionPanel)
    panel.query_one("#answer").focus()
    await pilot.press("2", "enter")
    await pilot.pause()
    assert "Correct" in screen_text(app), screen_text(app)


# --------------------------------------------------------------------------- a damaged store


def test_a_damaged_store_and_its_journal_are_moved_aside_together(tmp_path):
    db = tmp_path / "progress.sqlite3"
    _damaged(db)
    main, journal = db.read_bytes(), Path(f"{db}-journal").read_bytes()
    with ProgressStore.open(db) as s:
        notice = s.notice
        assert notice is not None and "nothing was deleted" in notice and "-journal" in notice
        moved = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name and not p.name.endswith("-journal")]
        assert len(moved) == 1 and str(moved[0]) in notice
        assert moved[0].read_bytes() == main
        assert Path(f"{moved[0]}-journal").read_bytes() == journal  # moved with it, untouched
        s.record_answer("tester", "l", "q", answer=2, status="correct", score=1)


def test_an_empty_file_with_a_journal_keeps_the_journal(tmp_path):
    """SQLite deletes the journal of a 0-byte database on open: it is moved aside instead."""
    db = tmp_path / "progress.sqlite3"
    db.write_bytes(b"")
    Path(f"{db}-journal").write_bytes(b"journal bytes")
    with ProgressStore.open(db) as s:
        assert s.notice is not None and "-journal" in s.notice
    kept = [p for p in tmp_path.iterdir() if p.name.endswith("-journal")]
    assert len(kept) == 1 and ".corrupt-" in kept[0].name and kept[0].read_bytes() == b"journal bytes"


def test_new_stores_carry_the_tutors_application_id(tmp_path):
    db = tmp_path / "progress.sqlite3"
    make_store(db)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema_version()
    conn.close()


# --------------------------------------------------------------------------- a folder the tutor may not write

READONLY_CHECK = textwrap.dedent(
    """
    import asyncio, io, os, sys
    from pathlib import Path
    sys.path[:0] = [{root!r}, {tests!r}]
    folder, lesson = Path(sys.argv[1]), Path(sys.argv[2])
    import hashlib
    def fingerprint():
        return {{p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}}
    before = fingerprint()

    from tui_tutor.progress.store import ProgressStore, StoreError
    try:
        ProgressStore.open(folder / "progress.sqlite3")
    except StoreError as exc:
        print("STORE:", exc)

    from tui_tutor.progress.report import run_progress_command
    out, err = io.StringIO(), io.StringIO()
    print("PROGRESS:", run_progress_command(folder, None, "tester", out, err), out.getvalue(), err.getvalue())

    from screen_text import screen_text
    from tui_tutor.ui.app import AppOptions, TutorApp
    from tui_tutor.ui.questions.panel import QuestionPanel

    async def play():
        app = TutorApp(AppOptions(lesson_paths=[lesson], open_path=lesson, data_dir=folder, learner="tester"))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            print("NOT SAVING:", app.not_saving)
            print("NOTIFIED:", [n.message for n in app._notifications])
            panel = app.screen.query_one(QuestionPanel)
            panel.query_one("#answer").focus()
            await pilot.press("2", "enter")
            await pilot.pause()
            print("GRADED:", "Correct" in screen_text(app))
            await pilot.press("n")
            await pilot.pause()
            print("NEXT:", "The end." in screen_text(app))
            await pilot.press("ctrl+q")
    asyncio.run(play())

    # the log: fd 2 a terminal, the data folder not writable: start-up goes on
    import pty
    from tui_tutor.ui.terminal import FdTwoGuard
    leader, follower = pty.openpty()
    os.dup2(follower, 2)
    with FdTwoGuard(folder / "tui-tutor.log", Path(os.environ["HOME"]) / "cache" / "tui-tutor.log") as guard:
        os.write(2, b"chatter")
    print("LOG:", guard.log_path)
    print("UNCHANGED:", fingerprint() == before)
    """
)


def _run_readonly_check(folder: Path, lesson: Path, home: Path, prefix: list[str]) -> str:
    script = home / "check.py"
    script.write_text(READONLY_CHECK.format(root=str(ROOT), tests=str(ROOT / "tests")))
    env = {**os.environ, "HOME": str(home), "TUI_TUTOR_DATA_DIR": str(folder), "TUI_TUTOR_LEARNER": "tester"}
    result = subprocess.run(
        [*prefix, sys.executable, str(script), str(folder), str(lesson)],
        env=env, capture_output=True, text=True, timeout=120, cwd=str(home),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder outside pytest's private (0700) tmp, so that `nobody` can reach it."""
    path = Path(tempfile.mkdtemp(prefix="tui-tutor-ro-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _layout(base: Path) -> tuple[Path, Path, Path]:
    folder, home = base / "data", base / "home"
    folder.mkdir()
    home.mkdir()
    home.chmod(0o777)  # the checking user's HOME: the log falls back to its cache
    make_store(folder / "progress.sqlite3")
    lesson = base / "save.md"
    lesson.write_text(LESSON)
    for p in (folder / "progress.sqlite3", lesson):
        p.chmod(0o644)
    return folder, home, lesson


def _assert_runs_without_saving(out: str, folder: Path, home: Path) -> None:
    assert "STORE: " in out and "--data-dir" in out, out
    assert "PROGRESS: 0" in out and "Progress of tester" in out, out  # a read needs no write access
    assert "NOT SAVING: Progress is not being saved: " in out, out
    assert "NOTIFIED: ['Progress is not being saved: " in out, out
    assert "GRADED: True" in out and "NEXT: True" in out, out
    assert f"LOG: {home / 'cache' / 'tui-tutor.log'}" in out, out
    assert "UNCHANGED: True" in out, out


def test_a_folder_the_tutor_may_not_write(shared_tmp):
    folder, home, lesson = _layout(shared_tmp)
    before = fingerprint(folder)
    if IS_ROOT:
        if shutil.which("setpriv") is None:
            pytest.fail("running as root without setpriv: cannot show a folder the tutor may not write")
        prefix = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    else:
        folder.chmod(0o555)
        prefix = []
    try:
        out = _run_readonly_check(folder, lesson, home, prefix)
    finally:
        folder.chmod(0o755)
    _assert_runs_without_saving(out, folder, home)
    assert "permission denied" in out
    assert fingerprint(folder) == before


def _can_mount_readonly() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs none /mnt && mount -o remount,ro /mnt"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount_readonly(), reason="no user namespace for a read-only mount here "
                    "(the folder-permission test above still runs)")
def test_a_read_only_file_system(shared_tmp):
    """The data folder (a copy of it) on a file system mounted read-only: EROFS, not EACCES."""
    folder, home, lesson = _layout(shared_tmp)
    stage = shared_tmp / "stage"
    mount = (f'cp -a "{folder}/." "{stage}" && mount -t tmpfs none "{folder}" && cp -a "{stage}/." "{folder}" '
             f'&& mount -o remount,ro "{folder}" && exec "$@"')
    stage.mkdir()
    out = _run_readonly_check(folder, lesson, home, ["unshare", "-rm", "sh", "-c", mount, "sh"])
    _assert_runs_without_saving(out, folder, home)


def test_the_log_falls_back_when_nothing_can_be_written(tmp_path):
    """No candidate works: fd 2 goes to /dev/null rather than stopping start-up."""
    from tui_tutor.ui.terminal import FdTwoGuard

    blocker = tmp_path / "file"
    blocker.write_text("")
    leader, follower = pty.openpty()
    saved = os.dup(2)
    try:
        os.dup2(follower, 2)
        with FdTwoGuard(blocker / "a" / "tui-tutor.log", blocker / "b" / "tui-tutor.log") as guard:
            os.write(2, b"chatter")
        assert guard.log_path is None
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(leader)
        os.close(follower)
