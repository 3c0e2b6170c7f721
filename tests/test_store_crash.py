"""Progress survives kill -9, and two tutors writing at once lose nothing.

Child processes are real interpreters (`sys.executable`) using the real store; every
answer a child prints has been confirmed (record_answer returned), so it must be on disk.
Both journal modes are exercised: WAL (local disks) and DELETE (network file systems).
"""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tui_tutor.progress.store import ProgressStore

WRITER = textwrap.dedent(
    """
    import sys
    from tui_tutor.progress.store import ProgressStore

    path, journal, learner = sys.argv[1:4]
    store = ProgressStore.open(path, journal=journal)
    print("ready", flush=True)
    i = 0
    while True:
        if i % 4 == 0:
            store.start_variant(learner, "crash", f"q{i % 7}", i, i * 31)
        if i % 5 == 0:
            store.record_hint(learner, "crash", f"q{i % 7}", 1 + i % 3)
            store.set_position(learner, "crash", i)
        store.record_answer(
            learner, "crash", f"q{i % 7}", answer={"n": i, "pad": "x" * (i % 300)},
            status="correct" if i % 3 else "wrong", score=float(i % 3 > 0),
            variant=i, seed=i * 31,
        )
        print(i, flush=True)
        i += 1
    """
)

RACER = textwrap.dedent(
    """
    import sys
    import time
    from tui_tutor.progress.store import ProgressStore

    path, journal, tag, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    store = ProgressStore.open(path, journal=journal)
    print("ready", flush=True)
    sys.stdin.readline()  # "go": both start together
    for i in range(count):
        store.record_answer("ada", "race", "q", answer=f"{tag}-{i}", status="wrong", score=0.0)
        time.sleep(0.001 * (i % 3))  # a little work between answers, so the writers interleave
        if i % 10 == 0:
            store.record_hint("ada", "race", "q", i)
            store.question_state("ada", "race", "q")
            store.set_position("ada", "race", i)
    store.close()
    print("done", flush=True)
    """
)


def _child(script: str, *args: str, stdin=None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_confirmed_answers_survive_kill_9(tmp_path, journal):
    """Two kills on one file: the first lands early, before the writer has cycled through its
    kinds of write; the second in a store already left behind by a kill, after every kind
    (variants, hints, positions, answers of many sizes) has been written many times. The child
    writes without pause, so each kill lands in the middle of a write."""
    path = tmp_path / "progress.sqlite3"
    for round_, kill_after in enumerate((3, 120)):
        learner = f"learner{round_}"
        child = _child(WRITER, str(path), journal, learner)
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        confirmed = []
        while len(confirmed) < kill_after:
            line = child.stdout.readline()
            assert line, child.stderr.read()
            confirmed.append(int(line))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert child.returncode == -signal.SIGKILL
        rest = child.stdout.read()  # printed before the kill: also confirmed
        confirmed += [int(x) for x in rest.split("\n")[:-1] if x.strip()]
        child.stdout.close()
        child.stderr.close()

        assert _integrity(path) == "ok"
        with ProgressStore.open(path, journal=journal) as store:
            assert store.notice is None
            history = store.answers(learner, "crash")
            stored = {a["answer"]["n"] for a in history}
            assert set(confirmed) <= stored, sorted(set(confirmed) - stored)[:10]
            # state and history were written together: neither is ahead of the other
            states = store.lesson_states(learner, "crash")
            assert sum(s.attempts for s in states.values()) == len(history)
            for question, state in states.items():
                mine = [a for a in history if a["question"] == question]
                if mine:
                    assert state.last_answer == mine[-1]["answer"]
            if confirmed:
                assert store.position(learner, "crash") is not None
    assert _integrity(path) == "ok"


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_two_processes_writing_the_same_question_lose_nothing(tmp_path, journal):
    path = tmp_path / "progress.sqlite3"
    ProgressStore.open(path, journal=journal).close()
    count = 300
    racers = [_child(RACER, str(path), journal, tag, str(count), stdin=subprocess.PIPE) for tag in "ab"]
    for racer in racers:
        assert racer.stdout.readline().strip() == "ready", racer.stderr.read()
    for racer in racers:
        racer.stdin.write("go\n")
        racer.stdin.flush()
    results = [racer.communicate(timeout=120) for racer in racers]
    for racer, (out, err) in zip(racers, results):
        assert racer.returncode == 0 and out.strip().endswith("done"), err
        assert "locked" not in err and err == ""
    with ProgressStore.open(path, journal=journal) as store:
        state = store.question_state("ada", "race", "q")
        assert state.attempts == 2 * count
        answers = [a["answer"] for a in store.answers("ada", "race")]
        assert len(answers) == 2 * count
        assert set(answers) == {f"{tag}-{i}" for tag in "ab" for i in range(count)}
        switches = sum(x[0] != y[0] for x, y in itertools.pairwise(answers))
        print(f"{journal}: the writers took turns {switches} times")
        assert switches >= 20, "the two writers did not overlap: the test proves nothing"
        assert state.hints_used == count - 10 and state.hints_total == count - 10
    assert _integrity(path) == "ok"
