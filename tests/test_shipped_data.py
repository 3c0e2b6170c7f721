"""The lesson data files shipped with the tutor (tui_tutor/training/data): what SOURCES.md says
about them holds, and `data_status()` (the install check's core) finds them, counts their rows
and turns a missing or damaged file into one plain sentence."""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tui_tutor.training import datasets

ROOT = Path(__file__).resolve().parents[1]
FILES = {"penguins.csv": 344, "seattle-weather.csv": 1461, "digits.csv.gz": 1797}


def _data_rows(path: Path) -> int:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="ascii") as handle:
            return sum(1 for line in handle if line.strip())
    with path.open(encoding="utf-8") as handle:
        return sum(1 for line in handle if line.strip()) - 1  # the header line


def test_sources_md_states_each_file_s_rows_and_sha256():
    sources = (datasets.DATA_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for name, rows in FILES.items():
        path = datasets.DATA_DIR / name
        section = sources.split(f"## {name}", 1)[1].split("\n## ", 1)[0]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"`{digest}`" in section, f"{name}: SOURCES.md has another sha256 than the file's {digest}"
        assert f"{rows:,}" in section and _data_rows(path) == rows
        assert re.search(r"Licence of the data:\*\* \S", section) and "Copied from:" in section


def test_data_status_finds_the_three_files_and_counts_their_rows():
    status = datasets.data_status()
    assert [(s.name, s.dataset, s.path.name, s.rows, s.ok) for s in status] == [
        ("penguins", "penguins", "penguins.csv", 344, True),
        ("seattle weather", "weather", "seattle-weather.csv", 1461, True),
        ("digits", "digits", "digits.csv.gz", 1797, True),
    ]
    assert all(s.path.parent == datasets.DATA_DIR and s.problem == "" and s.rows == s.expected_rows for s in status)


def _copy(name: str, tmp_path: Path) -> Path:
    copy = tmp_path / name
    shutil.copyfile(datasets.DATA_DIR / name, copy)
    return copy


def _one_sentence(problem: str) -> None:
    assert problem.endswith(".") and "\n" not in problem and problem.count(": ") >= 1
    assert problem.rstrip(".").endswith("reinstall the tutor to get a good copy"), problem


def test_a_missing_file_is_one_sentence_and_the_others_stay_fine(tmp_path, monkeypatch):
    gone = tmp_path / "seattle-weather.csv"
    monkeypatch.setattr(datasets, "weather_csv", lambda: gone)
    penguins, weather, digits = datasets.data_status()
    assert penguins.ok and digits.ok
    assert not weather.ok and not weather.found and weather.rows is None and weather.path == gone
    assert weather.problem.startswith(f"The file {gone} is missing")
    _one_sentence(weather.problem)
    with pytest.raises(datasets.DatasetUnavailable, match="reinstall the tutor"):
        datasets.load("weather")  # a training run says the same


def test_a_file_cut_short_is_damaged(tmp_path, monkeypatch):
    copy = _copy("penguins.csv", tmp_path)
    copy.write_text("".join(copy.read_text(encoding="utf-8").splitlines(keepends=True)[:101]), encoding="utf-8")
    monkeypatch.setattr(datasets, "penguins_csv", lambda: copy)
    penguins = datasets.data_status()[0]
    assert penguins.rows == 100 and "holds 100 rows instead of 344, so it is damaged" in penguins.problem
    _one_sentence(penguins.problem)


@pytest.mark.parametrize("damage, says", [
    (lambda data: data[: len(data) // 2], "cannot be read"),  # a truncated gzip stream
    (lambda data: b"not gzip at all" + data, "cannot be read"),
    (lambda data: gzip.compress(gzip.decompress(data).replace(b"0,0,5,13", b"0,x,5,13", 1)), "cannot be read as the digits data"),
])
def test_a_damaged_digits_file_is_reported(tmp_path, monkeypatch, damage, says):
    copy = _copy("digits.csv.gz", tmp_path)
    copy.write_bytes(damage(copy.read_bytes()))
    monkeypatch.setattr(datasets, "digits_csv", lambda: copy)
    digits = datasets.data_status()[2]
    assert not digits.ok and says in digits.problem, digits.problem
    _one_sentence(digits.problem)


def test_a_csv_without_its_columns_is_damaged(tmp_path, monkeypatch):
    copy = _copy("seattle-weather.csv", tmp_path)
    copy.write_text(copy.read_text(encoding="utf-8").replace("temp_max", "tmax", 1), encoding="utf-8")
    monkeypatch.setattr(datasets, "weather_csv", lambda: copy)
    weather = datasets.data_status()[1]
    assert weather.rows is None and "no column temp_max" in weather.problem
    _one_sentence(weather.problem)


def test_reading_the_data_imports_none_of_the_packages_it_came_from():
    """A fresh interpreter: the three datasets and the check load neither the packages the
    files were copied from nor the pandas, SciPy and scikit-learn those pull in."""
    code = ("import sys\nfrom tui_tutor.training import datasets\n"
            "for name in ('penguins', 'weather', 'digits'): datasets.load(name)\n"
            "assert all(s.ok for s in datasets.data_status())\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'pandas', 'scipy', 'sklearn', 'palmerpenguins', 'vega_datasets', 'joblib'}))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
