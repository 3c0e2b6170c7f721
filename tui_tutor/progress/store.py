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

Concurrency. A learner may run two tutors at once (two SSH sessions). Writes take the
write lock up front (`BEGIN IMMEDIATE`, so the busy timeout applies instead of a deadlock
error), counters are incremented in SQL, and the answer row and the question state change
in one transaction: no update is lost. `busy_timeout` is 5 s.

Threads. One sqlite3 connection per store, usable only from the thread that opened it
(the app's UI thread); writes take about a millisecond, so the UI need not offload them.

Schema. `PRAGMA user_version` counts the migrations applied; `MIGRATIONS[i]` takes a
database from version i to i+1. An older file is migrated on open; a newer one is refused
with a clear error and left untouched. A damaged file is moved aside, never deleted.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tui_tutor.progress.paths import is_network_filesystem

BUSY_TIMEOUT_MS = 5000
JOURNAL_ENV = "TUI_TUTOR_JOURNAL"
#: The status that counts as correct (for `last_correct` and mastery streaks).
CORRECT = "correct"
_MIN_SQLITE = (3, 24, 0)  # UPSERT
_CORRUPT_CODES = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB


class StoreError(Exception):
    """A problem with the progress file, worded for the learner."""


@dataclass(frozen=True)
class QuestionState:
    """A learner's standing on one question.

    `hints_used`, `revealed` and `variant_attempts` are about the current variant (reset by
    `start_variant`); `hints_total` and `reveals_total` count over all variants.
    `streak` counts consecutive correct, unaided first answers to fresh variants.
    """

    learner: str
    lesson: str
    question: str
    attempts: int
    best_score: float | None  # None until a graded answer
    hints_used: int
    revealed: bool
    hints_total: int
    reveals_total: int
    variant: int
    seed: int | None
    variant_attempts: int
    streak: int
    mastered: bool
    last_answer: Any  # the decoded answer object, None before the first answer
    last_status: str | None
    first_seen: float
    updated: float
    last_correct: float | None


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


#: MIGRATIONS[i] upgrades a database from user_version i to i + 1. Append only.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1_initial]


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
    return QuestionState(
        learner=row["learner"],
        lesson=row["lesson"],
        question=row["question"],
        attempts=row["attempts"],
        best_score=row["best_score"],
        hints_used=row["hints_used"],
        revealed=bool(row["revealed"]),
        hints_total=row["hints_total"],
        reveals_total=row["reveals_total"],
        variant=row["variant"],
        seed=row["seed"],
        variant_attempts=row["variant_attempts"],
        streak=row["streak"],
        mastered=bool(row["mastered"]),
        last_answer=_decode(row["last_answer"]),
        last_status=row["last_status"],
        first_seen=row["first_seen"],
        updated=row["updated"],
        last_correct=row["last_correct"],
    )


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


def _aside_name(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate, n = path.with_name(f"{path.name}.corrupt-{stamp}"), 1
    while any(os.path.lexists(f"{candidate}{s}") for s in ("", "-wal", "-shm", "-journal")):
        n += 1
        candidate = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    return candidate


def _move_aside(path: Path) -> Path:
    target = _aside_name(path)
    os.rename(path, target)
    for suffix in ("-wal", "-shm", "-journal"):
        if os.path.lexists(f"{path}{suffix}"):
            os.rename(f"{path}{suffix}", f"{target}{suffix}")
    return target


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


# --------------------------------------------------------------------------- the store


class ProgressStore:
    """One learner-agnostic progress file; every method takes the learner explicitly."""

    def __init__(self, conn: sqlite3.Connection, path: Path, journal: str, notice: str | None) -> None:
        self._conn = conn
        self.path = path
        #: The journal mode in use: "wal" or "delete".
        self.journal = journal
        #: A message for the learner when the old file was damaged and moved aside.
        self.notice = notice

    # ---- opening

    @classmethod
    def open(cls, path: str | Path, *, journal: str | None = None) -> ProgressStore:
        """Open (creating or migrating) the progress file at `path`.

        Never raises for a damaged file: it is moved to `<name>.corrupt-YYYYmmdd-HHMMSS`
        (with its -wal/-shm/-journal files), a fresh file is started and `notice` says
        where the old one went. Raises StoreError for permission problems, a file from a
        newer tui-tutor, or a database that stays locked.
        """
        if sqlite3.sqlite_version_info < _MIN_SQLITE:
            raise StoreError(
                f"tui-tutor needs SQLite {'.'.join(map(str, _MIN_SQLITE))} or newer; "
                f"this Python has {sqlite3.sqlite_version}."
            )
        path = Path(path).expanduser()
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
                    target = _move_aside(path)
                except OSError as exc:
                    raise StoreError(
                        f"The progress file {path} is damaged ({damaged}) and could not be "
                        f"moved aside: {exc.strerror or exc}."
                    ) from exc
                notice = (
                    f"Your progress file {path} was damaged ({damaged}), so it was moved to "
                    f"{target} (nothing was deleted) and a new progress file was started."
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

    @staticmethod
    def _check(path: Path) -> None:
        """Raise _Damaged if `path` is not a sound database, judged read-only.

        Read-only because closing a read-write connection to a WAL database checkpoints
        the WAL into the main file and deletes the WAL: that would change a damaged file
        and delete part of it before we could move it aside.
        """
        if not path.exists():
            return
        if path.stat().st_size == 0:
            wal = Path(f"{path}-wal")
            if wal.exists() and wal.stat().st_size > 0:  # SQLite would delete that WAL
                raise _Damaged("the file is empty but its -wal file is not")
            return
        uri = "file:" + quote(str(path.absolute())) + "?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error:
            return  # let the read-write open report it
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            result = [row[0] for row in conn.execute("PRAGMA quick_check")]
            if result != ["ok"]:
                raise _Damaged("; ".join(map(str, result[:3])))
            _refuse_newer(path, conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error as exc:
            if _is_corruption(exc):
                raise _Damaged(str(exc)) from exc
            # e.g. a hot journal that only a writer can roll back: the read-write open will
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
            _refuse_newer(path, conn.execute("PRAGMA user_version").fetchone()[0])
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

    def _read(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"Could not read progress: {exc}.") from exc

    # ---- writes

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
        first_try: bool = False,
        mastery: int = 2,
    ) -> QuestionState:
        """Append the answer to the history and update the question's state, atomically.

        `status` is the grader's verdict; "correct" counts as correct. `score` is in [0, 1],
        or None for an ungraded answer (a `reflect` question). `first_try` marks an
        answer that may count toward mastery (the caller's practice mode); it counts only
        if it is the first answer to the current variant. Then the streak grows when it is
        correct with no hint or reveal on that variant, and drops to 0 otherwise; the
        question is mastered once the streak reaches `mastery` and stays mastered.
        A `variant`/`seed` different from the stored one starts that variant implicitly.
        """
        if score is not None:
            score = float(score)
            if not (math.isfinite(score) and 0.0 <= score <= 1.0):
                raise ValueError(f"score must be between 0 and 1, not {score!r}")
        if mastery < 1:
            raise ValueError(f"mastery must be at least 1, not {mastery!r}")
        correct = status == CORRECT
        now = time.time()
        p = {
            "learner": learner, "lesson": lesson, "question": question,
            "variant": int(variant), "seed": None if seed is None else int(seed),
            "answer": _encode(answer), "status": status, "score": score, "now": now,
            "first_try": int(bool(first_try)), "correct": int(correct), "mastery": int(mastery),
            "streak0": int(bool(first_try) and correct),
            "mastered0": int(bool(first_try) and correct and mastery <= 1),
            "correct_time": now if correct else None,
        }
        fresh = "(variant IS NOT excluded.variant OR seed IS NOT excluded.seed)"
        counts = f"(:first_try AND ({fresh} OR variant_attempts = 0))"
        unaided = f"({fresh} OR (hints_used = 0 AND revealed = 0))"
        grows = f"(:correct AND {unaided})"
        with self._write("your answer") as conn:
            conn.execute(
                f"""INSERT INTO question_state (learner, lesson, question, attempts, best_score,
                        variant, seed, variant_attempts, streak, mastered, last_answer,
                        last_status, first_seen, updated, last_correct)
                    VALUES (:learner, :lesson, :question, 1, :score, :variant, :seed, 1,
                        :streak0, :mastered0, :answer, :status, :now, :now, :correct_time)
                    ON CONFLICT (learner, lesson, question) DO UPDATE SET
                        attempts = attempts + 1,
                        best_score = CASE WHEN best_score IS NULL THEN excluded.best_score
                                          WHEN excluded.best_score IS NULL THEN best_score
                                          ELSE MAX(best_score, excluded.best_score) END,
                        hints_used = CASE WHEN {fresh} THEN 0 ELSE hints_used END,
                        revealed = CASE WHEN {fresh} THEN 0 ELSE revealed END,
                        variant = excluded.variant,
                        seed = excluded.seed,
                        variant_attempts = CASE WHEN {fresh} THEN 1 ELSE variant_attempts + 1 END,
                        streak = CASE WHEN NOT {counts} THEN streak
                                      WHEN {grows} THEN streak + 1 ELSE 0 END,
                        mastered = CASE WHEN mastered THEN 1
                                        WHEN {counts} AND {grows} AND streak + 1 >= :mastery
                                        THEN 1 ELSE 0 END,
                        last_answer = excluded.last_answer,
                        last_status = excluded.last_status,
                        updated = excluded.updated,
                        last_correct = COALESCE(excluded.last_correct, last_correct)""",
                p,
            )
            conn.execute(
                """INSERT INTO answers (learner, lesson, question, variant, seed, answer, status,
                        score, hints_used, revealed, first_try, created)
                   SELECT learner, lesson, question, :variant, :seed, :answer, :status, :score,
                        hints_used, revealed, :first_try, :now
                   FROM question_state
                   WHERE learner = :learner AND lesson = :lesson AND question = :question""",
                p,
            )
            row = conn.execute(
                "SELECT * FROM question_state WHERE learner = ? AND lesson = ? AND question = ?",
                (learner, lesson, question),
            ).fetchone()
        return _state(row)

    def record_hint(self, learner: str, lesson: str, question: str, hints_used: int) -> None:
        """The learner has now opened `hints_used` hints of the current variant."""
        if hints_used < 0:
            raise ValueError(f"hints_used must not be negative, not {hints_used!r}")
        with self._write("the hint") as conn:
            conn.execute(
                """INSERT INTO question_state (learner, lesson, question, hints_used,
                        hints_total, first_seen, updated)
                   VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?5)
                   ON CONFLICT (learner, lesson, question) DO UPDATE SET
                        hints_total = hints_total + MAX(0, excluded.hints_used - hints_used),
                        hints_used = MAX(hints_used, excluded.hints_used),
                        updated = excluded.updated""",
                (learner, lesson, question, int(hints_used), time.time()),
            )

    def record_reveal(self, learner: str, lesson: str, question: str) -> None:
        """The learner revealed the solution of the current variant."""
        with self._write("the reveal") as conn:
            conn.execute(
                """INSERT INTO question_state (learner, lesson, question, revealed,
                        reveals_total, first_seen, updated)
                   VALUES (?1, ?2, ?3, 1, 1, ?4, ?4)
                   ON CONFLICT (learner, lesson, question) DO UPDATE SET
                        reveals_total = reveals_total + (1 - revealed),
                        revealed = 1,
                        updated = excluded.updated""",
                (learner, lesson, question, time.time()),
            )

    def start_variant(self, learner: str, lesson: str, question: str, variant: int, seed: int | None) -> None:
        """A fresh variant was drawn: its hints, reveal and first try start from zero."""
        with self._write("the new variant") as conn:
            conn.execute(
                """INSERT INTO question_state (learner, lesson, question, variant, seed,
                        first_seen, updated)
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                   ON CONFLICT (learner, lesson, question) DO UPDATE SET
                        variant = excluded.variant, seed = excluded.seed,
                        hints_used = 0, revealed = 0, variant_attempts = 0,
                        updated = excluded.updated""",
                (learner, lesson, question, int(variant), None if seed is None else int(seed), time.time()),
            )

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

    def learners(self) -> list[str]:
        rows = self._read(
            "SELECT learner FROM question_state UNION SELECT learner FROM position ORDER BY 1"
        )
        return [row[0] for row in rows]

    def answers(self, learner: str | None = None, lesson: str | None = None) -> list[dict]:
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
            out.append(item)
        return out

    def export_rows(self, learner: str | None = None) -> list[dict]:
        """One row per (learner, lesson, question), ready for CSV/JSON export."""
        rows = self._read(
            """SELECT * FROM question_state WHERE (:learner IS NULL OR learner = :learner)
               ORDER BY learner, lesson, first_seen, question""",
            {"learner": learner},
        )
        return [
            {
                "learner": row["learner"],
                "lesson": row["lesson"],
                "question": row["question"],
                "score": row["best_score"],
                "attempts": row["attempts"],
                "hints": row["hints_total"],
                "revealed": row["reveals_total"],
                "last_answer": _decode(row["last_answer"]),
                "variant": row["variant"],
                "seed": row["seed"],
                "time": iso_time(row["updated"]),
                "status": row["last_status"],
                "mastered": bool(row["mastered"]),
            }
            for row in rows
        ]

    def lesson_summary(self, learner: str | None = None) -> list[dict]:
        """Per learner and lesson (answered or merely opened): counts and last activity.

        `mean_score` is the mean best score over graded answered questions (None if none).
        """
        where = "WHERE (:learner IS NULL OR learner = :learner)"
        stats = self._read(
            f"""SELECT learner, lesson,
                   SUM(attempts > 0) AS questions,
                   AVG(best_score) AS mean_score,
                   SUM(attempts) AS attempts, SUM(hints_total) AS hints,
                   SUM(reveals_total) AS reveals, SUM(mastered) AS mastered,
                   MAX(updated) AS updated
                FROM question_state {where} GROUP BY learner, lesson""",
            {"learner": learner},
        )
        positions = self._read(f"SELECT learner, lesson, step, updated FROM position {where}", {"learner": learner})
        merged: dict[tuple[str, str], dict] = {}
        for row in stats:
            merged[(row["learner"], row["lesson"])] = {
                "learner": row["learner"], "lesson": row["lesson"],
                "questions": row["questions"], "mean_score": row["mean_score"],
                "attempts": row["attempts"], "hints": row["hints"], "reveals": row["reveals"],
                "mastered": row["mastered"], "step": None, "updated": row["updated"],
            }
        for row in positions:
            entry = merged.setdefault(
                (row["learner"], row["lesson"]),
                {
                    "learner": row["learner"], "lesson": row["lesson"], "questions": 0,
                    "mean_score": None, "attempts": 0, "hints": 0, "reveals": 0, "mastered": 0,
                    "step": None, "updated": row["updated"],
                },
            )
            entry["step"] = row["step"]
            entry["updated"] = max(entry["updated"], row["updated"])
        result = [merged[key] for key in sorted(merged)]
        for entry in result:
            entry["last_activity"] = iso_time(entry.pop("updated"))
        return result
