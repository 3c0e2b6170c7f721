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
with a clear error and left untouched. A damaged file is moved aside, never deleted.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tui_tutor.grading.scoring import GRADED, Answered, Event, HintOpened, Revealed, Rules, Standing, VariantStarted, apply
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


#: MIGRATIONS[i] upgrades a database from user_version i to i + 1. Append only.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1_initial, _v2_one_rule]


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

    def _read(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"Could not read progress: {exc}.") from exc

    # ---- writes

    def _change(
        self, what: str, learner: str, lesson: str, question: str, event: Event, rules: Rules,
        answer: object = None,
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
                conn.execute(
                    """INSERT INTO answers (learner, lesson, question, variant, seed, answer, status,
                            score, hints_used, revealed, first_try, created)
                       VALUES (:learner, :lesson, :question, :variant, :seed, :answer, :last_status,
                            :score, :hints_used, :revealed, :first_try, :now)""",
                    {**p, "score": after.last_score if graded else None,
                     "first_try": int(graded and after.variant_attempts == 1)},
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
    ) -> QuestionState:
        """Append the answer to the history and update the question's standing, atomically.

        `status` and `score` are the grader's verdict and raw score in [0, 1] (None for a
        saved reflection); the score kept is the credit `scoring.apply` gives it (hints,
        solution shown, guessing). A `variant`/`seed` other than the stored one starts that
        variant. "invalid" answers are not recorded at all.
        """
        if status == "invalid":
            raise ValueError("an unreadable answer is not recorded")
        event = Answered(status, None if score is None else float(score), int(variant), None if seed is None else int(seed))
        return self._change("your answer", learner, lesson, question, event, rules or Rules(), answer)

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
