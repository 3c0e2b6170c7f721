"""The saved step of a lesson, read before the first frame without opening the store.

Why: opening the store (its module, the damage check, migrations) costs about 8 ms of
start-up, and a returning learner must see their saved step in the very first frame. A
read-only query costs about 2 ms. It answers only when it can be sure (the file is ours
and readable as it is); otherwise it says "unknown" and the caller opens the store as
usual. It never writes: no migration, no journal rollback, nothing moved.
"""

from __future__ import annotations

from pathlib import Path

#: `PRAGMA application_id` of every tui-tutor progress file ("tutr" in ASCII).
APPLICATION_ID = 0x74757472


class Unknown(Exception):
    """The file could not be read with certainty: open the store instead."""


def saved_step(path: Path, learner: str, lesson: str) -> int | None:
    """The saved step (None when there is none, or no file yet); raises Unknown when unsure."""
    if not path.exists():
        return None  # a first visit: no sqlite3 to import before the first frame
    import sqlite3
    from urllib.parse import quote

    uri = "file:" + quote(str(path.absolute())) + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=0.2, isolation_level=None)
    except sqlite3.Error as exc:
        raise Unknown(str(exc)) from exc
    try:
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            raise Unknown("not marked as a tui-tutor store (old format or another program's file)")
        row = conn.execute("SELECT step FROM position WHERE learner = ? AND lesson = ?", (learner, lesson)).fetchone()
    except sqlite3.Error as exc:  # damaged, locked, a hot journal a reader may not roll back
        raise Unknown(str(exc)) from exc
    finally:
        conn.close()
    return int(row[0]) if row is not None else None
