"""`tui-tutor progress`: what an instructor or learner reads, and what their spreadsheet gets."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from tui_tutor.progress.report import (
    EXPORT_COLUMNS,
    export_csv,
    export_json,
    run_progress_command,
    summary_table,
)
from tui_tutor.cli import main
from tui_tutor.grading.scoring import Rules
from tui_tutor.lesson.loader import load_lesson
from tui_tutor.progress.store import ProgressStore

LISTED = ["learner", "lesson", "question", "score", "attempts", "hints", "revealed",
          "last_answer", "variant", "seed", "time"]
LONG_LESSON = "a-very-long-lesson-identifier-that-does-not-fit"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    with ProgressStore.open(tmp_path / "progress.sqlite3") as s:
        s.record_hint("ada", "perceptron", "weighted-sum", 1)
        s.record_answer("ada", "perceptron", "weighted-sum", answer="1.25", status="wrong", score=0)
        s.record_answer("ada", "perceptron", "weighted-sum", answer="5/4", status="correct", score=1)
        s.start_variant("ada", "perceptron", "relu", 2, 99)
        s.record_answer("ada", "perceptron", "relu", answer=["A", "C"], status="partial",
                        score=0.5, variant=2, seed=99)
        s.record_reveal("ada", "perceptron", "relu")
        s.record_answer("ada", "réseaux", "q", answer={"A": "x"}, status="correct", score=1)
        s.record_answer("ada", LONG_LESSON, "q", answer="text, with \"quotes\"", status="saved", score=None)
        s.set_position("ada", "opened-only", 2)
        s.record_answer("bob", "perceptron", "relu", answer=["B"], status="wrong", score=0)
    return tmp_path


def run(folder: Path, export=None, learner=None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_progress_command(folder, export, learner, out, err)
    return code, out.getvalue(), err.getvalue()


def test_csv_has_one_row_per_question_with_the_listed_columns(folder):
    code, out, err = run(folder, "csv", "ada")
    assert code == 0 and err == ""
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0])[: len(LISTED)] == LISTED
    assert [(r["lesson"], r["question"]) for r in rows] == [
        (LONG_LESSON, "q"), ("perceptron", "weighted-sum"), ("perceptron", "relu"), ("réseaux", "q"),
    ]
    ws, relu = rows[1], rows[2]
    assert (ws["score"], ws["attempts"], ws["hints"], ws["revealed"]) == ("0.9", "2", "1", "0")  # a hint: -10%
    # variants are numbered from 1, as on screen (the store's variant 2 is the third)
    assert (ws["last_answer"], ws["variant"], ws["seed"]) == ("5/4", "1", "")
    assert (relu["score"], relu["revealed"], relu["variant"], relu["seed"]) == ("0.5", "1", "3", "99")
    assert rows[0]["attempts"] == "0" and rows[0]["status"] == "saved"  # a reflection is not an attempt
    assert {row["counted"] for row in rows} == {""}  # these lessons are not known here
    assert json.loads(relu["last_answer"]) == ["A", "C"]
    assert rows[0]["last_answer"] == 'text, with "quotes"' and rows[0]["score"] == ""  # ungraded
    assert json.loads(rows[3]["last_answer"]) == {"A": "x"}
    for row in rows:
        assert datetime.fromisoformat(row["time"]).tzinfo is not None  # ISO 8601 with offset


def test_json_has_one_object_per_question(folder):
    code, out, err = run(folder, "JSON", None)  # None: every learner
    assert code == 0 and err == ""
    rows = json.loads(out)
    assert len(rows) == 5 and all(list(r)[: len(LISTED)] == LISTED for r in rows)
    assert {r["learner"] for r in rows} == {"ada", "bob"}
    relu = next(r for r in rows if r["learner"] == "ada" and r["question"] == "relu")
    assert relu["last_answer"] == ["A", "C"] and relu["seed"] == 99 and relu["score"] == 0.5
    assert next(r for r in rows if r["learner"] == "bob")["seed"] is None


def test_export_functions_on_their_own():
    rows = [dict(zip(EXPORT_COLUMNS, ["l", "x", "q", 1.0, 1, 0, 0, "a", 1, None, "t", "correct", True, True]))]
    out = io.StringIO()
    export_csv(rows, out)
    assert out.getvalue().splitlines() == [",".join(EXPORT_COLUMNS), "l,x,q,1.0,1,0,0,a,1,,t,correct,1,1"]
    out = io.StringIO()
    export_json(rows, out)
    assert json.loads(out.getvalue()) == rows


def test_summary_table_is_plain_narrow_and_per_lesson(folder):
    code, text, err = run(folder, None, None)
    assert code == 0 and err == ""
    assert text.isascii()
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "Progress of ada" in text and "Progress of bob" in text
    ada = text.split("Progress of bob")[0]
    perceptron = next(line for line in ada.splitlines() if line.startswith("perceptron "))
    # lesson file unknown (*): 2 answered, none mastered, mean score (0.9 + 0.5) / 2,
    # 3 tries, 1 hint, 1 solution shown
    assert perceptron.split()[1:7] == ["2*", "0*", "70%*", "3", "1", "1"]
    assert any(line.startswith("reseaux ") for line in ada.splitlines())
    long = next(line for line in ada.splitlines() if line.startswith(LONG_LESSON[:19] + "..."))
    assert long.split()[1:5] == ["0*", "0*", "-", "0"]  # a saved reflection: not an attempt
    opened = next(line for line in ada.splitlines() if line.startswith("opened-only "))
    assert opened.split()[1:7] == ["0*", "0*", "-", "0", "0", "0"]
    assert "lesson file not found" in text


def test_summary_of_nothing():
    assert "No progress" in summary_table([])


def test_no_progress_file_yet(tmp_path):
    code, out, err = run(tmp_path, None, "ada")
    assert code == 0 and "No progress saved yet for learner 'ada'" in out and err == ""
    assert list(tmp_path.iterdir()) == []  # reporting creates nothing
    code, out, err = run(tmp_path, "csv", None)
    assert code == 0 and out.strip() == ",".join(EXPORT_COLUMNS)  # still a valid CSV
    assert "No progress saved yet" in err
    code, out, err = run(tmp_path, "json", None)
    assert code == 0 and json.loads(out) == [] and "No progress saved yet" in err


def test_a_learner_with_no_progress_is_told_who_has_some(folder):
    code, out, _err = run(folder, None, "carol")
    assert code == 0
    assert "No progress saved yet for learner 'carol'" in out
    assert "ada, bob" in out and "--all" in out


def test_unknown_format(folder):
    code, out, err = run(folder, "xlsx", None)
    assert code == 2 and out == "" and "csv or json" in err


def test_a_damaged_file_is_reported_and_kept(tmp_path):
    original = os.urandom(4096)
    (tmp_path / "progress.sqlite3").write_bytes(original)
    code, out, err = run(tmp_path, "csv", None)
    assert code == 1 and out == "" and "damaged" in err and "left as it is" in err
    # a report changes nothing: the tutor itself moves a damaged file aside
    assert [p.name for p in tmp_path.iterdir()] == ["progress.sqlite3"]
    assert (tmp_path / "progress.sqlite3").read_bytes() == original


def test_a_file_from_a_newer_tutor_is_an_error(folder):
    conn = sqlite3.connect(folder / "progress.sqlite3")
    conn.execute("PRAGMA user_version = 42")
    conn.commit()
    conn.close()
    code, out, err = run(folder, None, None)
    assert code == 1 and out == "" and "newer version of tui-tutor" in err


def test_known_lessons_give_totals_and_only_counted_questions(tmp_path):
    lesson = load_lesson(Path(__file__).resolve().parents[1] / "lessons" / "01-introduction.md").lesson
    with ProgressStore.open(tmp_path / "progress.sqlite3") as s:
        s.record_answer("ada", lesson.id, "xor-logic", answer="XOR", status="correct", score=1.0,
                        rules=Rules(has_variants=False))
        s.record_answer("ada", lesson.id, "workflow-reflect-1", answer="my images", status="saved", score=None)
    total = len(lesson.graded_questions())
    out, err = io.StringIO(), io.StringIO()
    assert run_progress_command(tmp_path, None, "ada", out, err, lessons=[lesson]) == 0
    line = next(line for line in out.getvalue().splitlines() if line.startswith(lesson.id))
    assert line.split()[1:4] == [f"1/{total}", f"1/{total}", f"{round(100 / total)}%"]
    out = io.StringIO()
    run_progress_command(tmp_path, "json", "ada", out, err, lessons=[lesson])
    rows = {r["question"]: r for r in json.loads(out.getvalue())}
    assert rows["xor-logic"]["counted"] is True and rows["workflow-reflect-1"]["counted"] is False


def test_the_command_creates_no_folder(tmp_path, capsys):
    missing = tmp_path / "nonexist"
    assert main(["progress", "--data-dir", str(missing)]) == 0
    assert "No progress saved yet" in capsys.readouterr().out
    assert not missing.exists()
