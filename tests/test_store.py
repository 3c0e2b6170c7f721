"""The progress store: what a learner gets back after closing the tutor, and what happens
to old, newer and damaged progress files."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from tui_tutor.progress import paths, store as store_mod
from tui_tutor.progress.paths import data_dir, db_path, filesystem_type, learner_name
from tui_tutor.grading.scoring import Rules
from tui_tutor.progress.store import ProgressStore, StoreError, schema_version

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture(params=["wal", "delete"])
def journal(request) -> str:
    return request.param


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "progress.sqlite3"


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


# --------------------------------------------------------------------------- paths


def test_data_dir_precedence(tmp_path, monkeypatch):
    default = tmp_path / "home" / "share" / "tui-tutor"
    monkeypatch.setattr(paths.platformdirs, "user_data_dir", lambda *a, **k: str(default))
    monkeypatch.delenv("TUI_TUTOR_DATA_DIR", raising=False)
    assert data_dir() == default and default.is_dir()
    assert stat.S_IMODE(default.stat().st_mode) == 0o700  # private on a shared login node
    monkeypatch.setenv("TUI_TUTOR_DATA_DIR", str(tmp_path / "from-env"))
    assert data_dir() == tmp_path / "from-env" and (tmp_path / "from-env").is_dir()
    assert data_dir(tmp_path / "flag") == tmp_path / "flag" and (tmp_path / "flag").is_dir()
    assert data_dir(str(tmp_path / "flag2")) == tmp_path / "flag2"
    assert db_path(tmp_path) == tmp_path / "progress.sqlite3"


def test_learner_name(monkeypatch):
    monkeypatch.setenv("TUI_TUTOR_LEARNER", "ada")
    assert learner_name() == "ada"
    monkeypatch.setenv("TUI_TUTOR_LEARNER", "  ")
    monkeypatch.setattr(paths.getpass, "getuser", lambda: "grace")
    assert learner_name() == "grace"

    def no_user():
        raise OSError("no such user")

    monkeypatch.setattr(paths.getpass, "getuser", no_user)
    assert learner_name() == "learner"


def test_filesystem_type_reads_mountinfo(tmp_path):
    info = tmp_path / "mountinfo"
    info.write_text(
        "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
        "40 22 0:50 / /home rw - nfs4 server:/home rw\n"
        "41 40 0:51 / /home/ada/my\\040disk rw - ext4 /dev/sdb1 rw\n"
        "42 22 0:52 / /scratch rw - xfs /dev/sdc1 rw\n"
        "43 22 0:53 / /scratch rw - lustre 10.0.0.1@o2ib:/fs rw\n"  # over-mount wins
    )
    assert filesystem_type("/home/ada/.local/share/tui-tutor", info) == "nfs4"
    assert filesystem_type("/home/ada/my disk/x", info) == "ext4"
    assert filesystem_type("/scratch/ada", info) == "lustre"
    assert filesystem_type("/homework", info) == "ext4"
    assert filesystem_type("/x", tmp_path / "missing") is None


def test_journal_mode_follows_the_file_system(tmp_path, monkeypatch):
    monkeypatch.delenv("TUI_TUTOR_JOURNAL", raising=False)
    monkeypatch.setattr(store_mod, "is_network_filesystem", lambda path: True)
    with ProgressStore.open(tmp_path / "nfs.sqlite3") as s:
        assert s.journal == "delete"
        assert s._conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    monkeypatch.setattr(store_mod, "is_network_filesystem", lambda path: False)
    with ProgressStore.open(tmp_path / "local.sqlite3") as s:
        assert s.journal == "wal"
        assert s._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert s._conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
        assert s._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    monkeypatch.setenv("TUI_TUTOR_JOURNAL", "delete")
    with ProgressStore.open(tmp_path / "forced.sqlite3") as s:
        assert s.journal == "delete"
    with pytest.raises(StoreError, match="journal mode"):
        ProgressStore.open(tmp_path / "x.sqlite3", journal="memory")


# --------------------------------------------------------------------------- round trip


def test_round_trip(db, journal):
    with ProgressStore.open(db, journal=journal) as s:
        assert s.notice is None
        assert s.question_state("ada", "perceptron", "q1") is None
        assert s.position("ada", "perceptron") is None
        s.set_position("ada", "perceptron", 1)
        s.record_hint("ada", "perceptron", "q1", 1)
        first = s.record_answer("ada", "perceptron", "q1", answer="5/4", status="wrong", score=0.0)
        assert first.attempts == 1 and first.hints_used == 1 and first.last_correct is None
        s.record_answer("ada", "perceptron", "q1", answer="1.25", status="correct", score=1.0)
        s.record_answer("ada", "perceptron", "q2", answer=["A", "C"], status="partial", score=0.5)
        s.record_answer("ada", "perceptron", "q3", answer={"A": "x", "B": "ü"}, status="correct", score=1)
        s.record_reveal("ada", "perceptron", "q2")
        s.record_answer("bob", "perceptron", "q1", answer="3", status="wrong", score=0.0)
        s.set_position("ada", "perceptron", 3)
    with ProgressStore.open(db, journal=journal) as s:
        q1 = s.question_state("ada", "perceptron", "q1")
        assert q1 is not None
        assert (q1.attempts, q1.best_score, q1.hints_used, q1.hints_total) == (2, 0.9, 1, 1)  # a hint: -10%
        assert (q1.last_answer, q1.last_status) == ("1.25", "correct")
        assert q1.last_correct is not None and q1.updated >= q1.first_seen
        q2 = s.question_state("ada", "perceptron", "q2")
        assert q2.last_answer == ["A", "C"] and q2.revealed and q2.reveals_total == 1
        assert s.question_state("ada", "perceptron", "q3").last_answer == {"A": "x", "B": "ü"}
        assert list(s.lesson_states("ada", "perceptron")) == ["q1", "q2", "q3"]
        assert s.position("ada", "perceptron") == 3
        assert s.position("bob", "perceptron") is None
        history = s.answers("ada")
        assert [a["answer"] for a in history] == ["5/4", "1.25", ["A", "C"], {"A": "x", "B": "ü"}]
        assert [a["hints_used"] for a in history] == [1, 1, 0, 0]
        assert len(s.answers()) == 5 and len(s.answers(lesson="perceptron")) == 5
        assert len(s.answers("bob", "perceptron")) == 1
        assert s.learners() == ["ada", "bob"]


def test_answers_are_append_only(db):
    with ProgressStore.open(db) as s:
        s.record_answer("ada", "l", "q", answer=1, status="correct", score=1)
    conn = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM answers")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE answers SET score = 0")
    conn.close()


def test_ungraded_answers_are_kept_without_a_score(db):
    """A `reflect` answer is saved, is not an attempt, and never lowers a score."""
    with ProgressStore.open(db) as s:
        st = s.record_answer("ada", "l", "why", answer="Because.", status="saved", score=None)
        assert st.attempts == 0 and st.best_score is None and st.last_answer == "Because."
        s.record_answer("ada", "l", "q", answer=1, status="partial", score=0.5)
        st = s.record_answer("ada", "l", "q", answer=2, status="saved", score=None)
        assert (st.best_score, st.attempts, st.last_answer) == (0.5, 1, 2)
        assert [a["score"] for a in s.answers()] == [None, 0.5, None]
        with pytest.raises(ValueError):
            s.record_answer("ada", "l", "q", answer="?", status="invalid", score=0.0)
        assert len(s.answers()) == 3


def test_bad_scores_are_refused_and_nothing_is_written(db):
    with ProgressStore.open(db) as s:
        for bad in (-0.1, 1.5, float("nan")):
            with pytest.raises(ValueError):
                s.record_answer("ada", "l", "q", answer=1, status="wrong", score=bad)
        assert s.answers() == [] and s.question_state("ada", "l", "q") is None


def test_variants_hints_and_mastery(db):
    with ProgressStore.open(db) as s:
        def ans(status, n=2, **kw):
            return s.record_answer("ada", "l", "q", answer=0, status=status, score=float(status == "correct"),
                                   rules=Rules(mastery=n), **kw)
        # a correct first try on variant 0 starts the streak; a second answer to the same
        # variant is not a first try
        assert ans("correct").streak == 1
        assert ans("correct").streak == 1
        # fresh variant, a hint opened, then correct: unaided streak is broken
        s.start_variant("ada", "l", "q", 1, 111)
        s.record_hint("ada", "l", "q", 1)
        s.record_hint("ada", "l", "q", 2)
        s.record_hint("ada", "l", "q", 1)  # re-showing an opened hint adds nothing
        st1 = ans("correct", variant=1, seed=111)
        assert (st1.streak, st1.hints_used, st1.hints_total, st1.variant, st1.seed) == (0, 2, 2, 1, 111)
        # two fresh variants in a row, unaided and correct: mastered (mastery 2)
        s.start_variant("ada", "l", "q", 2, 222)
        assert s.question_state("ada", "l", "q").hints_used == 0
        assert ans("correct", variant=2, seed=222).streak == 1
        st3 = ans("correct", variant=3, seed=333)  # implicit start
        assert st3.streak == 2 and st3.mastered and st3.variant_attempts == 1
        # a wrong first try resets the streak but never un-masters
        s.start_variant("ada", "l", "q", 4, 444)
        s.record_reveal("ada", "l", "q")
        s.record_reveal("ada", "l", "q")
        st4 = ans("wrong", variant=4, seed=444)
        assert st4.streak == 0 and st4.mastered and st4.reveals_total == 1 and st4.revealed
        assert st4.attempts == 6 and st4.best_score == 1.0
        # the solution shown first: a correct answer to that variant earns 0
        st5 = ans("correct", variant=4, seed=444)
        assert st5.last_score == 0.0 and st5.revealed_first and st5.solved
        assert [a["first_try"] for a in s.answers()] == [True, False, True, True, True, True, False]
        with pytest.raises(ValueError):
            ans("correct", n=0)


# --------------------------------------------------------------------------- migrations


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def _user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def test_an_empty_file_becomes_a_current_store(db):
    db.write_bytes(b"")
    with ProgressStore.open(db) as s:
        assert s.notice is None
        s.record_answer("ada", "l", "q", answer=1, status="correct", score=1)
    assert _user_version(db) == schema_version()
    assert {"answers", "question_state", "position"} <= _tables(db)


def test_another_programs_database_is_refused_and_left_byte_identical(db, journal):
    """A version-0 file with tables of its own is someone else's: never migrated, never touched."""
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(StoreError, match=r"not a tui-tutor progress file.*--data-dir"):
        ProgressStore.open(db, journal=journal)
    assert db.read_bytes() == before and files_in(db.parent) == {db.name}


def test_a_file_with_another_application_id_is_refused_even_when_damaged(db):
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA application_id = 1234")
    conn.execute("CREATE TABLE question_state (x)")
    conn.commit()
    conn.close()
    data = bytearray(db.read_bytes())
    data[200:4096] = os.urandom(4096 - 200)  # damage it: still not ours to move aside
    db.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="not a tui-tutor progress file"):
        ProgressStore.open(db)
    assert db.read_bytes() == bytes(data) and files_in(db.parent) == {db.name}


def test_new_files_are_marked_and_unmarked_old_ones_get_the_mark(db, monkeypatch):
    with ProgressStore.open(db):
        pass
    assert _pragma(db, "application_id") == store_mod.APPLICATION_ID
    old = db.with_name("old.sqlite3")  # a format-2 file, written before files were marked
    monkeypatch.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS[:2])
    with ProgressStore.open(old) as s:
        s.set_position("ada", "l", 2)
    monkeypatch.undo()
    assert _pragma(old, "application_id") == 0 and _user_version(old) == 2
    with ProgressStore.open(old) as s:
        assert s.position("ada", "l") == 2
    assert _pragma(old, "application_id") == store_mod.APPLICATION_ID and _user_version(old) == schema_version()


def test_an_unmarked_file_with_extra_tables_is_not_ours(db, monkeypatch):
    monkeypatch.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS[:2])
    with ProgressStore.open(db):
        pass
    monkeypatch.undo()
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(StoreError, match="not a tui-tutor progress file"):
        ProgressStore.open(db)
    assert db.read_bytes() == before


def _pragma(path: Path, name: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def test_an_older_schema_is_migrated_in_order_and_keeps_its_data(db, monkeypatch):
    with ProgressStore.open(db) as s:  # a file written by the current (older) version
        s.record_answer("ada", "l", "q", answer="old", status="correct", score=1)
    current = schema_version()
    assert _user_version(db) == current
    ran = []

    def v2(conn):
        ran.append(2)
        conn.execute("ALTER TABLE question_state ADD COLUMN note TEXT")
        conn.execute("UPDATE question_state SET note = 'migrated'")

    def v3(conn):
        ran.append(3)
        conn.execute("CREATE TABLE badges (learner TEXT)")

    monkeypatch.setattr(store_mod, "MIGRATIONS", [*store_mod.MIGRATIONS, v2, v3])
    with ProgressStore.open(db) as s:
        assert s.question_state("ada", "l", "q").last_answer == "old"
        assert s.record_answer("ada", "l", "q", answer="new", status="wrong", score=0).attempts == 2
    with ProgressStore.open(db):
        pass  # already current: nothing runs again
    assert ran == [2, 3] and _user_version(db) == current + 2
    assert "badges" in _tables(db)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT note FROM question_state").fetchall() == [("migrated",)]
    conn.close()


def test_a_version_1_file_gets_the_one_rule_state_from_its_history(db, monkeypatch):
    """Version 1 counted saved reflections as attempts and kept no per-variant rule state."""
    monkeypatch.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS[:1])
    conn = sqlite3.connect(db)
    store_mod._v1_initial(conn)
    conn.execute("PRAGMA user_version = 1")
    rows = [  # (question, variant, seed, status, score)
        ("why", 0, None, "saved", None),
        ("q", 0, 5, "wrong", 0.0), ("q", 0, 5, "correct", 1.0), ("q", 0, 5, "wrong", 0.0),
        ("r", 1, 6, "wrong", 0.0),
    ]
    for question, variant, seed, status, score in rows:
        conn.execute(
            """INSERT OR IGNORE INTO question_state (learner, lesson, question, first_seen, updated)
               VALUES ('ada', 'l', ?, 0, 0)""", (question,))
        conn.execute(
            """UPDATE question_state SET attempts = attempts + 1, variant = ?, seed = ?,
               variant_attempts = variant_attempts + 1, last_status = ?, best_score = MAX(COALESCE(best_score, 0), ?)
               WHERE question = ?""", (variant, seed, status, score or 0, question))
        conn.execute(
            """INSERT INTO answers (learner, lesson, question, variant, seed, answer, status, score,
               hints_used, revealed, first_try, created) VALUES ('ada', 'l', ?, ?, ?, '"x"', ?, ?, 0, 0, 0, 0)""",
            (question, variant, seed, status, score))
    conn.execute("UPDATE question_state SET revealed = 1 WHERE question = 'r'")
    conn.commit()
    conn.close()
    monkeypatch.undo()
    with ProgressStore.open(db) as s:
        why, q, r = (s.question_state("ada", "l", name) for name in ("why", "q", "r"))
        assert why.attempts == 0 and why.last_status == "saved"
        assert (q.attempts, q.variant_attempts, q.solved, q.misses, q.revealed_first) == (3, 3, True, 1, False)
        assert (r.attempts, r.solved, r.misses, r.revealed_first, r.last_score) == (1, False, 1, True, 0.0)
    assert _user_version(db) == schema_version()


def test_a_failing_migration_leaves_the_file_as_it_was(db, monkeypatch):
    with ProgressStore.open(db) as s:
        s.record_answer("ada", "l", "q", answer=1, status="correct", score=1)

    def broken(conn):
        conn.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("disk I/O error")

    current = schema_version()
    monkeypatch.setattr(store_mod, "MIGRATIONS", [*store_mod.MIGRATIONS, broken])
    with pytest.raises(StoreError, match="disk I/O error"):
        ProgressStore.open(db)
    assert _user_version(db) == current and "half_done" not in _tables(db)


def test_a_newer_file_is_refused_and_left_alone(db):
    with ProgressStore.open(db) as s:
        s.record_answer("ada", "l", "q", answer=1, status="correct", score=1)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(StoreError) as info:
        ProgressStore.open(db)
    message = str(info.value)
    assert "newer version of tui-tutor" in message and "99" in message and str(db) in message
    assert db.read_bytes() == before
    assert not any(".corrupt-" in name for name in files_in(db.parent))


# --------------------------------------------------------------------------- damaged files


def _assert_moved_aside(db: Path, s: ProgressStore, original: bytes) -> Path:
    assert s.notice is not None and str(db) in s.notice
    moved = [p for p in db.parent.iterdir() if p.name.startswith(db.name + ".corrupt-")
             and not p.name.endswith(("-wal", "-shm", "-journal"))]
    assert len(moved) == 1
    assert str(moved[0]) in s.notice and "nothing was deleted" in s.notice
    assert moved[0].read_bytes() == original  # byte for byte
    # and the fresh store works
    s.record_answer("ada", "l", "q", answer=1, status="correct", score=1)
    assert s.question_state("ada", "l", "q").attempts == 1
    return moved[0]


def test_random_bytes_are_moved_aside(db):
    original = os.urandom(20_000)
    db.write_bytes(original)
    with ProgressStore.open(db) as s:
        _assert_moved_aside(db, s, original)
    with ProgressStore.open(db) as s:  # the new file is fine next time
        assert s.notice is None and s.question_state("ada", "l", "q").attempts == 1


def test_an_emptied_file_with_a_wal_keeps_the_wal(db):
    """SQLite deletes the WAL of a 0-byte database on open; ours may hold answers."""
    db.write_bytes(b"")
    wal = Path(f"{db}-wal")
    wal.write_bytes(b"answers that were never checkpointed")
    with ProgressStore.open(db) as s:
        moved = _assert_moved_aside(db, s, b"")
    assert Path(f"{moved}-wal").read_bytes() == b"answers that were never checkpointed"


@pytest.mark.parametrize("keep", [0.9, 0.5, 0.02])
def test_a_truncated_database_is_moved_aside(db, keep):
    source = db.with_name("source.sqlite3")
    with ProgressStore.open(source, journal="delete") as s:
        for i in range(300):
            s.record_answer("ada", "l", f"q{i % 40}", answer="x" * 300, status="wrong", score=0)
    data = source.read_bytes()
    original = data[: int(len(data) * keep)]
    db.write_bytes(original)
    with ProgressStore.open(db) as s:
        _assert_moved_aside(db, s, original)


def test_a_damaged_file_moves_with_its_wal(db):
    original = b"SQLite format 3\x00" + os.urandom(5000)
    db.write_bytes(original)
    wal = Path(f"{db}-wal")
    wal.write_bytes(b"wal bytes")
    with ProgressStore.open(db) as s:
        moved = _assert_moved_aside(db, s, original)
    assert Path(f"{moved}-wal").read_bytes() == b"wal bytes"


def test_two_damaged_files_in_the_same_second_get_different_names(db, monkeypatch):
    monkeypatch.setattr(store_mod.time, "strftime", lambda fmt: "20250101-120000")
    names = []
    for _ in range(2):
        db.write_bytes(os.urandom(3000))
        with ProgressStore.open(db) as s:
            names.append(s.notice)
    assert f"{db}.corrupt-20250101-120000 " in names[0]
    assert f"{db}.corrupt-20250101-120000-2 " in names[1]
    assert len({p for p in files_in(db.parent) if ".corrupt-" in p}) == 2


@pytest.mark.skipif(IS_ROOT, reason="root ignores file permissions")
def test_an_unreadable_file_is_an_error_not_moved(db):
    db.write_bytes(b"")
    with ProgressStore.open(db):
        pass
    db.chmod(0)
    try:
        with pytest.raises(StoreError, match="permission denied"):
            ProgressStore.open(db)
        assert not any(".corrupt-" in p for p in files_in(db.parent))
    finally:
        db.chmod(0o600)


@pytest.mark.skipif(IS_ROOT, reason="root ignores file permissions")
def test_an_unwritable_folder_is_an_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="permission denied"):
            ProgressStore.open(folder / "progress.sqlite3")
    finally:
        folder.chmod(0o700)


def test_a_folder_in_the_way_is_an_error(db):
    db.mkdir()
    with pytest.raises(StoreError, match="is a folder"):
        ProgressStore.open(db)
    assert db.is_dir()


def test_an_os_refusal_is_an_error_not_damage(db, monkeypatch):
    """What root cannot be shown with chmod: SQLite's 'unable to open' is not damage."""
    db.write_bytes(b"")

    def refuse(*args, **kwargs):
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(store_mod.sqlite3, "connect", refuse)
    with pytest.raises(StoreError, match="unable to open database file"):
        ProgressStore.open(db)
    assert files_in(db.parent) == {db.name}


def test_a_locked_file_is_an_error_not_damage(db, monkeypatch):
    monkeypatch.setattr(store_mod, "BUSY_TIMEOUT_MS", 200)
    with ProgressStore.open(db, journal="delete"):
        pass
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked"):
            ProgressStore.open(db, journal="delete")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not any(".corrupt-" in p for p in files_in(db.parent))
