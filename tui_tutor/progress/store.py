"""The learner's progress on disk: every answer, per-question state, reading position.

Durability. Each write is one short `BEGIN IMMEDIATE ... COMMIT` transaction that has
committed before the method returns, so an answer shown as checked on screen is on disk.
SQLite documents (pragma `synchronous`) that committed transactions survive an
application crash, kill -9 included, whatever the `synchronous` setting or journal mode;
WAL with `synchronous=NORMAL` only skips the per-commit fsync, so a power loss or an OS
crash may roll the last commits back (the database stays consistent). Login nodes do get
rebooted and crash, and answers arrive at human pace, so we use `synchronous=FULL`: one
fsync per answer (about 0.3 ms with WAL, 1 ms with a rollback journal on a local disk)
buys durability across power loss too.

Journal mode. WAL needs a shared-memory index (`-shm`, mmapped) that SQLite documents as
unusable on network file systems, and HPC home directories are usually NFS, Lustre or
GPFS. So: WAL on a local file system, the classic rollback journal (`journal_mode=DELETE`,
which relies only on POSIX file locks) on a network one (see `paths.is_network_filesystem`).
`journal=` or env `TUI_TUTOR_JOURNAL` (`wal` or `delete`) overrides the guess.

Scoring. The store holds no rule of its own: each write reads the question's `Standing`,
applies the event with `tui_tutor.grading.scoring.apply` (the one scoring rule) and writes
the result back, all inside one transaction.

Concurrency. A learner may run two tutors at once (two SSH sessions). Writes take the
write lock up front (`BEGIN IMMEDIATE`, so the busy timeout applies instead of a deadlock
error), so the read-apply-write of one tutor cannot interleave with another's, and the
answer row and the question state change in one transaction: no update is lost.
`busy_timeout` is 5 s.

Threads. One sqlite3 connection per store, usable only from the thread that opened it
(the app's UI thread); writes take about a millisecond, so the UI need not offload them.

Schema. `PRAGMA user_version` counts the migrations applied; `MIGRATIONS[i]` takes a
database from version i to i+1. An older file is migrated on open; a newer one is refused
with a clear error and left untouched. A damaged file is moved aside with its -journal,
-wal and -shm files, never deleted.

Whose file. Every store carries `PRAGMA application_id = APPLICATION_ID` (migration 3 marks
the files written before). Before anything is written (journal mode, migration, tables)
the file must be new (no bytes, or no schema at all), carry our id, or be an unmarked file
of formats 1-2 with exactly our tables; anything else is someone else's SQLite file, and it
is refused byte-identical. The file is judged through a read-only connection first, which
SQLite forbids to roll back a hot journal: then a throw-away copy is judged instead, because
opening the original read-write would roll the journal into it (and delete the journal)
before we could tell whose or how sound it is.

Runs. A training run that ended (finished, stopped or failed) is one append-only row of
`runs` (format 4), its record kept as JSON the store does not interpret: the training
package never imports the store, and the store never imports training (`tui_tutor.context`
joins them). An answer to a question about a run names the run it was graded against
(`answers.run_id`), so a later run never changes an earlier verdict.

Read-only. `open(..., readonly=True)` (for `tui-tutor progress`) changes nothing and creates
nothing: no migration, no moving aside, no -wal/-shm (a WAL file with no -wal is opened
`immutable`), and a hot journal or orphan WAL is read from an in-memory copy.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tui_tutor.grading.scoring import GRADED, Answered, Event, HintOpened, Revealed, Rules, Standing, VariantStarted, apply
from tui_tutor.progress.paths import is_network_filesystem
from tui_tutor.progress.peek import APPLICATION_ID

BUSY_TIMEOUT_MS = 5000
JOURNAL_ENV = "TUI_TUTOR_JOURNAL"
#: The status that counts as correct (for `last_correct` and mastery streaks).
CORRECT = "correct"
_MIN_SQLITE = (3, 24, 0)  # UPSERT
_CORRUPT_CODES = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB
_READONLY_ROLLBACK = 776  # a hot journal that a read-only connection may not roll back
#: The formats written before files carried APPLICATION_ID, and their tables.
_UNMARKED_VERSIONS = (1, 2)
_UNMARKED_TABLES = frozenset({"question_state", "answers", "position"})
#: The oldest format a read-only open can read as it is (format 2 only lacks the mark).
_OLDEST_READABLE = 2
_SIDE_FILES = ("-journal", "-wal", "-shm")
_SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreError(Exception):
    """A problem with the progress file, worded for the learner."""


@dataclass(frozen=True)
class QuestionState(Standing):
    """A learner's standing on one question (see `Standing`), with where and when.

    `last_answer` is the decoded answer object (None before the first answer).
    """

    learner: str = ""
    lesson: str = ""
    question: str = ""
    last_answer: Any = None
    first_seen: float = 0.0
    updated: float = 0.0
    last_correct: float | None = None

    @property
    def standing(self) -> Standing:
        """Only the rule's part, for `scoring.apply` and comparisons."""
        return Standing(**{name: getattr(self, name) for name in _STANDING_FIELDS})


_STANDING_FIELDS = tuple(f.name for f in fields(Standing))


# --------------------------------------------------------------------------- schema


def _v1_initial(conn: sqlite3.Connection) -> None:
    """Version 1: answers (append-only), question_state, position."""
    for statement in (
        """CREATE TABLE question_state (
            learner TEXT NOT NULL,
            lesson TEXT NOT NULL,
            question TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            best_score REAL,
            hints_used INTEGER NOT NULL DEFAULT 0,
            revealed INTEGER NOT NULL DEFAULT 0,
            hints_total INTEGER NOT NULL DEFAULT 0,
            reveals_total INTEGER NOT NULL DEFAULT 0,
            variant INTEGER NOT NULL DEFAULT 0,
            seed INTEGER,
            variant_attempts INTEGER NOT NULL DEFAULT 0,
            streak INTEGER NOT NULL DEFAULT 0,
            mastered INTEGER NOT NULL DEFAULT 0,
            last_answer TEXT,
            last_status TEXT,
            first_seen REAL NOT NULL,
            updated REAL NOT NULL,
            last_correct REAL,
            PRIMARY KEY (learner, lesson, question)
        )""",
        """CREATE TABLE answers (
            id INTEGER PRIMARY KEY,
            learner TEXT NOT NULL,
            lesson TEXT NOT NULL,
            question TEXT NOT NULL,
            variant INTEGER NOT NULL,
            seed INTEGER,
            answer TEXT NOT NULL,
            status TEXT NOT NULL,
            score REAL,
            hints_used INTEGER NOT NULL,
            revealed INTEGER NOT NULL,
            first_try INTEGER NOT NULL,
            created REAL NOT NULL,
            FOREIGN KEY (learner, lesson, question)
                REFERENCES question_state (learner, lesson, question)
        )""",
        "CREATE INDEX answers_by_question ON answers (learner, lesson, question, id)",
        """CREATE TRIGGER answers_no_update BEFORE UPDATE ON answers
           BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END""",
        """CREATE TRIGGER answers_no_delete BEFORE DELETE ON answers
           BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END""",
        """CREATE TABLE position (
            learner TEXT NOT NULL,
            lesson TEXT NOT NULL,
            step INTEGER NOT NULL,
            updated REAL NOT NULL,
            PRIMARY KEY (learner, lesson)
        )""",
    ):
        conn.execute(statement)


def _v2_one_rule(conn: sqlite3.Connection) -> None:
    """Version 2: the state `scoring.apply` keeps per variant, and attempts as graded answers.

    Saved reflections stop counting as attempts; `solved`, `misses` and `revealed_first` are
    rebuilt from the answer history of the variant in use.
    """
    for column in ("revealed_first", "misses", "solved"):
        conn.execute(f"ALTER TABLE question_state ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0")
    conn.execute("ALTER TABLE question_state ADD COLUMN last_score REAL")
    graded = "status IN ('correct', 'partial', 'wrong')"
    same = "a.learner = q.learner AND a.lesson = q.lesson AND a.question = q.question"
    variant = f"{same} AND a.variant = q.variant AND a.seed IS q.seed"
    first_correct = f"(SELECT MIN(id) FROM answers a WHERE {variant} AND a.status = 'correct')"
    conn.execute(
        f"""UPDATE question_state AS q SET
            attempts = (SELECT COUNT(*) FROM answers a WHERE {same} AND a.{graded}),
            variant_attempts = MIN(variant_attempts,
                (SELECT COUNT(*) FROM answers a WHERE {variant} AND a.{graded})),
            solved = {first_correct} IS NOT NULL,
            misses = (SELECT COUNT(*) FROM answers a WHERE {variant} AND a.status IN ('partial', 'wrong')
                      AND a.id < COALESCE({first_correct}, 1e18)),
            revealed_first = revealed AND {first_correct} IS NULL,
            last_score = (SELECT score FROM answers a WHERE {same} AND a.{graded} ORDER BY id DESC LIMIT 1)"""
    )


def _v3_mark(conn: sqlite3.Connection) -> None:
    """Version 3: the file says it is a tui-tutor store (`PRAGMA application_id`)."""
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _v4_runs(conn: sqlite3.Connection) -> None:
    """Version 4: the learner's training runs (append-only, each as JSON), and which run an
    answer to a question about a run was graded against (`answers.run_id`)."""
    for statement in (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            learner TEXT NOT NULL,
            lesson TEXT NOT NULL,
            train TEXT NOT NULL,
            number INTEGER NOT NULL,
            status TEXT NOT NULL,
            started REAL,
            ended REAL,
            data TEXT NOT NULL,
            created REAL NOT NULL
        )""",
        "CREATE INDEX runs_by_train ON runs (learner, lesson, train, id)",
        """CREATE TRIGGER runs_no_update BEFORE UPDATE ON runs
           BEGIN SELECT RAISE(ABORT, 'runs are append-only'); END""",
        """CREATE TRIGGER runs_no_delete BEFORE DELETE ON runs
           BEGIN SELECT RAISE(ABORT, 'runs are append-only'); END""",
        "ALTER TABLE answers ADD COLUMN run_id INTEGER REFERENCES runs (id)",
    ):
        conn.execute(statement)


#: MIGRATIONS[i] upgrades a database from user_version i to i + 1. Append only.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1_initial, _v2_one_rule, _v3_mark, _v4_runs]


def schema_version() -> int:
    return len(MIGRATIONS)


# --------------------------------------------------------------------------- helpers


class _Damaged(Exception):
    """Internal: the file is not a readable SQLite database."""


def _is_corruption(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)  # Python >= 3.11
    if code is not None:
        return (code & 0xFF) in _CORRUPT_CODES
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text


def _encode(answer: object) -> str:
    def fallback(value: object) -> object:
        if isinstance(value, (set, frozenset)):
            return sorted(value, key=repr)
        item = getattr(value, "item", None)  # numpy scalars
        return item() if callable(item) else str(value)

    return json.dumps(answer, ensure_ascii=False, default=fallback)


def _decode(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def iso_time(unix: float | None) -> str | None:
    """Local time with its UTC offset, e.g. 2025-03-04T10:15:00+01:00."""
    if unix is None:
        return None
    return datetime.fromtimestamp(unix).astimezone().isoformat(timespec="seconds")


def _state(row: sqlite3.Row) -> QuestionState:
    values = {name: row[name] for name in _STANDING_FIELDS}
    for name in ("revealed", "revealed_first", "solved", "mastered"):
        values[name] = bool(values[name])
    return QuestionState(
        **values,
        learner=row["learner"],
        lesson=row["lesson"],
        question=row["question"],
        last_answer=_decode(row["last_answer"]),
        first_seen=row["first_seen"],
        updated=row["updated"],
        last_correct=row["last_correct"],
    )


def _run(row: sqlite3.Row) -> dict[str, Any]:
    data = _decode(row["data"])
    return {
        "id": row["id"], "learner": row["learner"], "lesson": row["lesson"], "train": row["train"],
        "number": row["number"], "status": row["status"], "started": row["started"], "ended": row["ended"],
        "created": row["created"], "run": data if isinstance(data, dict) else {},
    }


def _check_access(path: Path) -> None:
    """Permission problems are the user's to fix: say so, and never move the file."""
    folder = path.parent
    denied = (
        f"Cannot open the progress file {path}: permission denied (tui-tutor needs to read "
        "and write it and its folder). Check their owner and permissions, or choose "
        "another place with --data-dir."
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        info = os.stat(path) if os.path.lexists(path) else None
    except PermissionError as exc:
        raise StoreError(denied) from exc
    except OSError as exc:
        raise StoreError(f"Cannot open the progress file {path}: {exc.strerror or exc}.") from exc
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise StoreError(f"The progress file {path} is a folder, not a file.")
    if info is not None and not os.access(path, os.R_OK | os.W_OK):
        raise StoreError(denied)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(
            f"Cannot write in the progress folder {folder}: permission denied "
            "(SQLite keeps a journal file next to the progress file). "
            "Choose another place with --data-dir."
        )


def _check_readable(path: Path) -> None:
    """For a read-only open: the file must exist and be readable; nothing is created."""
    try:
        info = os.stat(path)
    except FileNotFoundError as exc:
        raise StoreError(f"There is no progress file at {path}.") from exc
    except OSError as exc:
        raise StoreError(f"Cannot read the progress file {path}: {exc.strerror or exc}.") from exc
    if stat.S_ISDIR(info.st_mode):
        raise StoreError(f"The progress file {path} is a folder, not a file.")
    if not os.access(path, os.R_OK):
        raise StoreError(
            f"Cannot read the progress file {path}: permission denied. Check its owner and permissions."
        )


def _aside_name(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate, n = path.with_name(f"{path.name}.corrupt-{stamp}"), 1
    while any(os.path.lexists(f"{candidate}{s}") for s in ("", *_SIDE_FILES)):
        n += 1
        candidate = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    return candidate


def _move_aside(path: Path) -> tuple[Path, list[str]]:
    """Rename `path` and its side files (never delete); returns the new name and the side files moved."""
    target = _aside_name(path)
    os.rename(path, target)
    moved = []
    for suffix in _SIDE_FILES:
        if os.path.lexists(f"{path}{suffix}"):
            os.rename(f"{path}{suffix}", f"{target}{suffix}")
            moved.append(suffix)
    return target, moved


def _refuse_newer(path: Path, version: int) -> None:
    if version > schema_version():
        raise StoreError(
            f"The progress file {path} was written by a newer version of tui-tutor "
            f"(format {version}; this version knows formats up to {schema_version()}). "
            "Upgrade tui-tutor to use it, or choose another place with --data-dir; "
            "the file was left unchanged."
        )


def _inode(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _foreign(path: Path) -> StoreError:
    return StoreError(
        f"{path} is not a tui-tutor progress file (it is another program's data), so it was "
        "left unchanged; choose another place with --data-dir."
    )


def _header(path: Path) -> bytes:
    """The first 100 bytes (SQLite's database header), read without SQLite."""
    try:
        with open(path, "rb") as file:
            return file.read(100)
    except OSError:
        return b""


def _header_says_foreign(path: Path) -> bool:
    """An SQLite header whose application_id (offset 68) is another program's: no need to open it."""
    head = _header(path)
    if len(head) < 72 or not head.startswith(_SQLITE_MAGIC) or head[21:24] != b"\x40\x20\x20":
        return False  # not a sound header (bytes 21-23 are fixed): let SQLite judge the damage
    app_id = int.from_bytes(head[68:72], "big", signed=True)
    return app_id not in (0, APPLICATION_ID)


def _identify(conn: sqlite3.Connection, path: Path) -> int:
    """The file's format (user_version) if the file is new or ours; StoreError otherwise."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if app_id == APPLICATION_ID:
        _refuse_newer(path, version)
        return version
    if app_id == 0:
        objects = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
        if objects == 0 and version == 0:
            return 0  # no schema at all: a new file
        tables = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        )}
        if tables == _UNMARKED_TABLES and version in _UNMARKED_VERSIONS:
            return version  # written before files were marked
    raise _foreign(path)


def _memory_copy(path: Path) -> sqlite3.Connection:
    """`path` as SQLite sees it once its hot journal is rolled back (or its WAL replayed), in
    memory: the work is done on a throw-away copy, so nothing beside `path` changes."""
    with tempfile.TemporaryDirectory(prefix="tui-tutor-") as tmp:
        copy = Path(tmp) / "copy.sqlite3"
        shutil.copyfile(path, copy)
        for suffix in ("-journal", "-wal"):
            if os.path.exists(f"{path}{suffix}"):
                shutil.copyfile(f"{path}{suffix}", f"{copy}{suffix}")
        source = sqlite3.connect(copy, isolation_level=None)
        try:
            memory = sqlite3.connect(":memory:", isolation_level=None)
            try:
                source.backup(memory)
            except BaseException:
                memory.close()
                raise
        finally:
            source.close()
    return memory


def _reader(path: Path) -> sqlite3.Connection:
    """A connection that reads `path` and cannot change it or create anything beside it.

    A WAL-mode file with no -wal is opened `immutable` (a read-only connection would create
    -wal and -shm); a hot journal (which a read-only connection may not roll back) or a -wal
    without its -shm is read from an in-memory copy; otherwise `mode=ro`.
    """
    wal_mode = _header(path)[18:19] == b"\x02"
    has_wal, has_shm = os.path.exists(f"{path}-wal"), os.path.exists(f"{path}-shm")
    if wal_mode and has_wal and not has_shm:
        return _memory_copy(path)
    uri = "file:" + quote(str(path.absolute())) + ("?immutable=1" if wal_mode and not has_wal else "?mode=ro")
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        conn.close()
        if getattr(exc, "sqlite_errorcode", None) == _READONLY_ROLLBACK or (
            "readonly" in str(exc).lower() and os.path.exists(f"{path}-journal")
        ):
            return _memory_copy(path)
        raise
    except BaseException:
        conn.close()
        raise
    return conn


def _quick_check(conn: sqlite3.Connection) -> None:
    """Raise _Damaged unless SQLite's quick_check finds the database sound."""
    try:
        result = [row[0] for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.Error as exc:
        if _is_corruption(exc):
            raise _Damaged(str(exc)) from exc
        raise
    if result != ["ok"]:
        raise _Damaged("; ".join(map(str, result[:3])))


# --------------------------------------------------------------------------- the store


class ProgressStore:
    """One learner-agnostic progress file; every method takes the learner explicitly."""

    def __init__(
        self, conn: sqlite3.Connection, path: Path, journal: str, notice: str | None, *, readonly: bool = False,
    ) -> None:
        self._conn = conn
        self.path = path
        #: The journal mode in use: "wal" or "delete".
        self.journal = journal
        #: A message for the learner when the old file was damaged and moved aside.
        self.notice = notice
        #: Opened with `readonly=True`: every write raises StoreError.
        self.readonly = readonly
        self._schema: dict[tuple[str, str | None], bool] = {}

    # ---- opening

    @classmethod
    def open(cls, path: str | Path, *, journal: str | None = None, readonly: bool = False) -> ProgressStore:
        """Open (creating or migrating) the progress file at `path`.

        Never raises for a damaged file: it is moved to `<name>.corrupt-YYYYmmdd-HHMMSS`
        (with its -journal/-wal/-shm files), a fresh file is started and `notice` says
        where the old one went. Raises StoreError for permission problems, a file from a
        newer tui-tutor, a file that is not a tui-tutor store, or a database that stays locked.

        `readonly=True` changes nothing and creates nothing (see `open_readonly`).
        """
        if sqlite3.sqlite_version_info < _MIN_SQLITE:
            raise StoreError(
                f"tui-tutor needs SQLite {'.'.join(map(str, _MIN_SQLITE))} or newer; "
                f"this Python has {sqlite3.sqlite_version}."
            )
        path = Path(path).expanduser()
        if readonly:
            return cls._open_readonly(path)
        mode = (journal or os.environ.get(JOURNAL_ENV) or "").strip().lower()
        if not mode:
            mode = "delete" if is_network_filesystem(path.parent) else "wal"
        if mode not in ("wal", "delete"):
            raise StoreError(f"Unknown journal mode {mode!r}: use 'wal' or 'delete'.")
        _check_access(path)
        notice = None
        identity = _inode(path)
        try:
            conn = cls._connect(path, mode)
        except _Damaged as damaged:
            if _inode(path) == identity and identity is not None:
                try:
                    target, sides = _move_aside(path)
                except OSError as exc:
                    raise StoreError(
                        f"The progress file {path} is damaged ({damaged}) and could not be "
                        f"moved aside: {exc.strerror or exc}."
                    ) from exc
                with_sides = f" with its {', '.join(sides)} file{'s' if len(sides) > 1 else ''}" if sides else ""
                notice = (
                    f"Your progress file {path} was damaged ({damaged}), so it was moved to "
                    f"{target}{with_sides} (nothing was deleted) and a new progress file was started."
                )
            try:  # another process may have moved it first: just open what is there now
                conn = cls._connect(path, mode)
            except _Damaged as again:
                raise StoreError(f"The progress file {path} is damaged ({again}).") from again
        try:
            actual = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        except sqlite3.Error:
            actual = mode
        store = cls(conn, path, actual, notice)
        try:
            store._migrate()
        except BaseException:
            conn.close()
            raise
        return store

    @classmethod
    def _open_readonly(cls, path: Path) -> ProgressStore:
        """Read the file as it is: no migration, no moving aside, no file created or changed.

        A damaged file, another program's file, a newer format or one too old to read
        as it is (format 1) raise StoreError saying so; a file with no schema yet reads as empty.
        """
        _check_readable(path)
        if _header_says_foreign(path):
            raise _foreign(path)
        journal = "wal" if _header(path)[18:19] == b"\x02" else "delete"
        try:
            conn = _reader(path)
        except sqlite3.Error as exc:
            if _is_corruption(exc):
                raise StoreError(f"The progress file {path} is damaged ({exc}); it was left as it is.") from exc
            raise StoreError(f"Cannot read the progress file {path}: {exc}.") from exc
        try:
            try:
                _quick_check(conn)
                version = _identify(conn, path)
            except _Damaged as damaged:
                raise StoreError(
                    f"The progress file {path} is damaged ({damaged}); it was left as it is. "
                    "Starting the tutor moves it aside (nothing is deleted) and begins a new one."
                ) from damaged
            except sqlite3.Error as exc:
                if _is_corruption(exc):
                    raise StoreError(f"The progress file {path} is damaged ({exc}); it was left as it is.") from exc
                raise StoreError(f"Cannot read the progress file {path}: {exc}.") from exc
            if version == 0:  # no schema yet: read an empty store of the current format
                conn.close()
                conn = sqlite3.connect(":memory:", isolation_level=None)
                for migrate in MIGRATIONS:
                    migrate(conn)
            elif version < _OLDEST_READABLE:
                raise StoreError(
                    f"The progress file {path} is in an older format ({version}) that this command "
                    "cannot read as it is, and it changes nothing: run the tutor once to upgrade it."
                )
        except BaseException:
            conn.close()
            raise
        conn.row_factory = sqlite3.Row
        return cls(conn, path, journal, None, readonly=True)

    @staticmethod
    def _check(path: Path) -> None:
        """Before any write: raise _Damaged if `path` is not a sound database, StoreError if
        it is not ours or is newer; judged without changing anything (see `_reader`).

        Never read-write here: closing a read-write connection to a WAL database checkpoints
        the WAL into the main file and deletes the WAL, and opening one rolls a hot journal
        back into the main file and deletes the journal.
        """
        if not path.exists():
            return
        if path.stat().st_size == 0:
            for suffix in ("-wal", "-journal"):  # SQLite would delete either
                side = Path(f"{path}{suffix}")
                if side.exists() and side.stat().st_size > 0:
                    raise _Damaged(f"the file is empty but its {suffix} file is not")
            return
        if _header_says_foreign(path):
            raise _foreign(path)
        try:
            conn = _reader(path)
        except sqlite3.Error as exc:
            if _is_corruption(exc):
                raise _Damaged(str(exc)) from exc
            return  # e.g. locked: let the read-write open report it
        try:
            _quick_check(conn)
            _identify(conn, path)
        except sqlite3.Error as exc:
            if _is_corruption(exc):
                raise _Damaged(str(exc)) from exc
            # e.g. locked: the read-write open will report it
        finally:
            conn.close()

    @staticmethod
    def _connect(path: Path, mode: str) -> sqlite3.Connection:
        """Check, connect read-write and configure; _Damaged if it is not a sound DB."""
        ProgressStore._check(path)
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open the progress file {path}: {exc}.") from exc
        conn.row_factory = sqlite3.Row
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _identify(conn, path)  # again, now that it is open: nothing has been written yet
            try:
                conn.execute(f"PRAGMA journal_mode = {mode.upper()}").fetchone()
            except sqlite3.OperationalError as exc:
                if _is_corruption(exc):
                    raise
                # another connection holds the other mode; that mode still works
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            conn.close()
            if _is_corruption(exc):
                raise _Damaged(str(exc)) from exc
            raise StoreError(f"Cannot open the progress file {path}: {exc}.") from exc
        except BaseException:
            conn.close()
            raise
        return conn

    def _migrate(self) -> None:
        conn = self._conn
        if self._read("PRAGMA user_version")[0][0] == schema_version():
            return
        with self._write("the progress file's new format"):
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # under the lock
            if version > schema_version():
                raise StoreError(f"The progress file {self.path} was written by a newer tui-tutor.")
            for migrate in MIGRATIONS[version:]:
                migrate(conn)
            conn.execute(f"PRAGMA user_version = {schema_version()}")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- plumbing

    @contextmanager
    def _write(self, what: str) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction, committed on exit; errors become StoreError."""
        conn = self._conn
        if self.readonly:
            raise StoreError(f"Could not save {what}: the progress file was opened read-only.")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"Could not save {what}: {exc}.") from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"Could not save {what}: {exc}.") from exc
            raise

    def _read(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"Could not read progress: {exc}.") from exc

    # ---- writes

    def _change(
        self, what: str, learner: str, lesson: str, question: str, event: Event, rules: Rules,
        answer: object = None, run_id: int | None = None,
    ) -> QuestionState:
        """Read the standing, apply `event` by the one rule and write it back, in one transaction."""
        select = "SELECT * FROM question_state WHERE learner = ? AND lesson = ? AND question = ?"
        key = (learner, lesson, question)
        with self._write(what) as conn:
            row = conn.execute(select, key).fetchone()
            after = apply(_state(row).standing if row is not None else Standing(), event, rules)
            now = time.time()
            p: dict[str, Any] = {name: getattr(after, name) for name in _STANDING_FIELDS}
            p.update(learner=learner, lesson=lesson, question=question, now=now, answer=None, correct_time=None)
            answered = isinstance(event, Answered)
            if answered:
                p["answer"] = _encode(answer)
                p["correct_time"] = now if after.last_status == CORRECT else None
            names = ", ".join(_STANDING_FIELDS)
            conn.execute(
                f"""INSERT INTO question_state (learner, lesson, question, {names}, last_answer,
                        first_seen, updated, last_correct)
                    VALUES (:learner, :lesson, :question, {", ".join(":" + n for n in _STANDING_FIELDS)},
                        :answer, :now, :now, :correct_time)
                    ON CONFLICT (learner, lesson, question) DO UPDATE SET
                        {", ".join(f"{n} = excluded.{n}" for n in _STANDING_FIELDS)},
                        last_answer = {"excluded.last_answer" if answered else "last_answer"},
                        updated = excluded.updated,
                        last_correct = COALESCE(excluded.last_correct, last_correct)""",
                p,
            )
            if answered:
                graded = after.last_status in GRADED
                run = (", run_id", ", :run_id") if run_id is not None else ("", "")  # (format 4)
                conn.execute(
                    f"""INSERT INTO answers (learner, lesson, question, variant, seed, answer, status,
                            score, hints_used, revealed, first_try, created{run[0]})
                       VALUES (:learner, :lesson, :question, :variant, :seed, :answer, :last_status,
                            :score, :hints_used, :revealed, :first_try, :now{run[1]})""",
                    {**p, "score": after.last_score if graded else None,
                     "first_try": int(graded and after.variant_attempts == 1), "run_id": run_id},
                )
            row = conn.execute(select, key).fetchone()
        return _state(row)

    def record_answer(
        self,
        learner: str,
        lesson: str,
        question: str,
        *,
        answer: object,
        status: str,
        score: float | None,
        variant: int = 0,
        seed: int | None = None,
        rules: Rules | None = None,
        run_id: int | None = None,
    ) -> QuestionState:
        """Append the answer to the history and update the question's standing, atomically.

        `status` and `score` are the grader's verdict and raw score in [0, 1] (None for a
        saved reflection); the score kept is the credit `scoring.apply` gives it (hints,
        solution shown, guessing). A `variant`/`seed` other than the stored one starts that
        variant. "invalid" answers are not recorded at all. `run_id` (a `record_run` id) is
        the training run an answer to a question about a run was graded against.
        """
        if status == "invalid":
            raise ValueError("an unreadable answer is not recorded")
        event = Answered(status, None if score is None else float(score), int(variant), None if seed is None else int(seed))
        return self._change("your answer", learner, lesson, question, event, rules or Rules(), answer,
                            None if run_id is None else int(run_id))

    def record_hint(self, learner: str, lesson: str, question: str, hints_used: int) -> QuestionState:
        """The learner has now opened `hints_used` hints of the current variant."""
        return self._change("the hint", learner, lesson, question, HintOpened(int(hints_used)), Rules())

    def record_reveal(self, learner: str, lesson: str, question: str) -> QuestionState:
        """The learner revealed the solution of the current variant."""
        return self._change("the reveal", learner, lesson, question, Revealed(), Rules())

    def start_variant(self, learner: str, lesson: str, question: str, variant: int, seed: int | None) -> QuestionState:
        """A fresh variant was drawn: its hints, reveal and first try start from zero."""
        event = VariantStarted(int(variant), None if seed is None else int(seed))
        return self._change("the new variant", learner, lesson, question, event, Rules())

    def record_run(self, learner: str, lesson: str, train: str, run: Mapping[str, Any]) -> int:
        """Append a training run that ended (finished, stopped or failed); returns its id.

        `run` is plain JSON-able data (the training record's `to_dict`); the store reads only
        its `number`, `outcome`, `started` and `ended`, and keeps the rest as it is.
        """
        data = _encode(dict(run))

        def number(key: str) -> float | None:
            value = run.get(key)
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

        with self._write("the training run") as conn:
            cursor = conn.execute(
                """INSERT INTO runs (learner, lesson, train, number, status, started, ended, data, created)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (learner, lesson, train, int(number("number") or 0), str(run.get("outcome") or "ended"),
                 number("started"), number("ended"), data, time.time()),
            )
            row_id = cursor.lastrowid
        assert row_id is not None
        return int(row_id)

    def set_position(self, learner: str, lesson: str, step: int) -> None:
        """Remember the step the learner is on, to resume there."""
        with self._write("your place in the lesson") as conn:
            conn.execute(
                """INSERT INTO position (learner, lesson, step, updated) VALUES (?1, ?2, ?3, ?4)
                   ON CONFLICT (learner, lesson) DO UPDATE SET
                        step = excluded.step, updated = excluded.updated""",
                (learner, lesson, int(step), time.time()),
            )

    # ---- reads

    def question_state(self, learner: str, lesson: str, question: str) -> QuestionState | None:
        rows = self._read(
            "SELECT * FROM question_state WHERE learner = ? AND lesson = ? AND question = ?",
            (learner, lesson, question),
        )
        return _state(rows[0]) if rows else None

    def lesson_states(self, learner: str, lesson: str) -> dict[str, QuestionState]:
        rows = self._read(
            "SELECT * FROM question_state WHERE learner = ? AND lesson = ? ORDER BY first_seen",
            (learner, lesson),
        )
        return {row["question"]: _state(row) for row in rows}

    def position(self, learner: str, lesson: str) -> int | None:
        rows = self._read("SELECT step FROM position WHERE learner = ? AND lesson = ?", (learner, lesson))
        return rows[0]["step"] if rows else None

    def _has(self, table: str, column: str | None = None) -> bool:
        """Whether the file has `table` (and its `column`): a read-only open of an older format may not."""
        key = (table, column)
        known = self._schema.get(key)
        if known is None:
            if column is None:
                rows = self._read("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
            else:
                rows = [r for r in self._read(f"PRAGMA table_info({table})") if r["name"] == column]
            known = self._schema[key] = bool(rows)
        return known

    def runs(
        self, learner: str | None = None, lesson: str | None = None, train: str | None = None,
    ) -> list[dict[str, Any]]:
        """Saved training runs, oldest first: `id`, `learner`, `lesson`, `train`, `number`,
        `status`, `started`, `ended`, `created` and `run` (the data given to `record_run`)."""
        if not self._has("runs"):
            return []
        rows = self._read(
            """SELECT * FROM runs
               WHERE (:learner IS NULL OR learner = :learner) AND (:lesson IS NULL OR lesson = :lesson)
                 AND (:train IS NULL OR train = :train)
               ORDER BY id""",
            {"learner": learner, "lesson": lesson, "train": train},
        )
        return [_run(row) for row in rows]

    def run(self, run_id: int) -> dict[str, Any] | None:
        """One saved run (as `runs` gives it), or None."""
        if not self._has("runs"):
            return None
        rows = self._read("SELECT * FROM runs WHERE id = ?", (int(run_id),))
        return _run(rows[0]) if rows else None

    def latest_run(self, learner: str, lesson: str | None, train: str) -> dict[str, Any] | None:
        """The learner's last saved run of `train` (in `lesson`, or in any lesson for None)."""
        if not self._has("runs"):
            return None
        rows = self._read(
            """SELECT * FROM runs WHERE learner = :learner AND (:lesson IS NULL OR lesson = :lesson)
                 AND train = :train ORDER BY id DESC LIMIT 1""",
            {"learner": learner, "lesson": lesson, "train": train},
        )
        return _run(rows[0]) if rows else None

    def answer_run(self, learner: str, lesson: str, question: str) -> int | None:
        """The run the question's last recorded answer was graded against (None: none recorded)."""
        if not self._has("answers", "run_id"):
            return None
        rows = self._read(
            """SELECT run_id FROM answers WHERE learner = ? AND lesson = ? AND question = ?
               ORDER BY id DESC LIMIT 1""",
            (learner, lesson, question),
        )
        return int(rows[0]["run_id"]) if rows and rows[0]["run_id"] is not None else None

    def learners(self) -> list[str]:
        runs = " UNION SELECT learner FROM runs" if self._has("runs") else ""
        rows = self._read(f"SELECT learner FROM question_state UNION SELECT learner FROM position{runs} ORDER BY 1")
        return [row[0] for row in rows]

    def answers(self, learner: str | None = None, lesson: str | None = None) -> list[dict[str, Any]]:
        """The full answer history, oldest first; `answer` decoded from JSON."""
        rows = self._read(
            """SELECT * FROM answers
               WHERE (:learner IS NULL OR learner = :learner) AND (:lesson IS NULL OR lesson = :lesson)
               ORDER BY id""",
            {"learner": learner, "lesson": lesson},
        )
        out = []
        for row in rows:
            item = dict(row)
            item["answer"] = _decode(item["answer"])
            item["revealed"] = bool(item["revealed"])
            item["first_try"] = bool(item["first_try"])
            item.setdefault("run_id", None)  # a read-only file of an older format
            out.append(item)
        return out

    def states(self, learner: str | None = None) -> list[QuestionState]:
        """Every question's state (of one learner, or of all), by learner, lesson and first seen."""
        rows = self._read(
            """SELECT * FROM question_state WHERE (:learner IS NULL OR learner = :learner)
               ORDER BY learner, lesson, first_seen, question""",
            {"learner": learner},
        )
        return [_state(row) for row in rows]

    def positions(self, learner: str | None = None) -> list[tuple[str, str, int, float]]:
        """(learner, lesson, step, updated) of every saved reading position."""
        rows = self._read(
            "SELECT learner, lesson, step, updated FROM position WHERE (:learner IS NULL OR learner = :learner)",
            {"learner": learner},
        )
        return [(row["learner"], row["lesson"], row["step"], row["updated"]) for row in rows]
