"""The lessons' prose is the tutor's own: no run of 8 words in a row copied from the sources.

The first lessons follow the Carpentries episode kept in ../shared/source-material/ (CC BY
4.0). Facts, numbers and answer keys carry over; sentences must not. This counts every run
of 8 consecutive words of lesson prose (everything a learner reads: text, prompts, options,
hints, solutions) that also appears in a source file, leaving out code blocks, inline code,
formulas and names (titles of papers, libraries, the course). Run it as a script to see the
runs:

    .venv/bin/python tests/test_own_words.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = [ROOT / "lessons" / "01-introduction.md", ROOT / "lessons" / "02-watch-a-network-learn.md"]
SOURCES = ROOT.parent / "shared" / "source-material"
N = 8

#: Names and titles, quoted as they are (never counted as copied prose).
NAMES = (
    "An Efficient Pedestrian Detection Method Based on YOLOv2",
    "Mathematical Problems in Engineering",
    "Introduction to deep learning",
    "carpentries-incubator deep-learning-intro contributors",
)

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_INLINE = re.compile(r"`[^`\n]*`")
_URL = re.compile(r"<?https?://\S+>?")
_FORMULA = re.compile(r"\b\w+\s*=\s*[^,;:\n]*")  # h1 = relu(x1 + x2), up to the end of the clause
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def words(text: str) -> list[str]:
    """Lower-case words of prose, with code, URLs and names taken out (each leaves a break)."""
    text = _FENCE.sub(" | ", text)
    text = _INLINE.sub(" | ", text)
    text = _URL.sub(" | ", text)
    text = _FORMULA.sub(" | ", text)
    for name in NAMES:
        text = re.sub(re.escape(name), " | ", text, flags=re.I)
    out: list[str] = []
    for token in re.split(r"(\|)", text.lower().replace("’", "'")):
        if token == "|":
            out.append("|")
        else:
            out += _WORD.findall(token)
    return out


def grams(tokens: list[str], n: int = N) -> set[tuple[str, ...]]:
    return {g for g in (tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)) if "|" not in g}


def lesson_prose(path: Path) -> str:
    """Everything a learner reads in a lesson: front matter left out, YAML keys kept (harmless)."""
    text = path.read_text(encoding="utf-8")
    if text.startswith("---"):
        text = text.split("---", 2)[2]
    return text


def source_grams() -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for path in sorted(SOURCES.iterdir()):
        if path.is_file() and path.name != "README.md":
            out |= grams(words(path.read_text(encoding="utf-8", errors="replace")))
    return out


def copied_runs() -> dict[str, list[str]]:
    """Lesson file name -> the 8-word runs it shares with the sources."""
    sources = source_grams()
    return {path.name: sorted(" ".join(g) for g in grams(words(lesson_prose(path))) & sources) for path in LESSONS}


@pytest.mark.skipif(not SOURCES.is_dir(), reason="the source material is not checked out beside the project")
def test_no_run_of_eight_words_is_copied_from_the_sources() -> None:
    runs = copied_runs()
    assert sum(len(r) for r in runs.values()) == 0, runs


def test_the_counter_finds_a_copied_run() -> None:
    source = grams(words("One of the simplest loss functions is the mean squared error (MSE)."))
    assert grams(words("Here: one of the simplest loss functions is the mean squared error.")) & source
    assert not grams(words("The `one of the simplest loss functions is the` mean")) & source


if __name__ == "__main__":
    found = copied_runs()
    for name, runs in found.items():
        print(f"{name}: {len(runs)} runs of {N} words also in the sources")
        for run in runs:
            print("   ", run)
    sys.exit(1 if any(found.values()) else 0)
