"""The lessons' prose is the tutor's own: no run of 8 words in a row copied from the sources.

Lessons 1-2 follow episode 1 of the Carpentries lesson and lessons 3-5 episodes 2-4, kept in
../shared/source-material/ (CC BY 4.0). Facts, numbers and answer keys carry over; sentences
must not. Each lesson is compared with every source file there, and the episode it draws
from must be among them (found by its title, whatever the file is called): a folder without
it fails rather than passing unchecked. This counts every run
of 8 consecutive words of lesson prose (everything a learner reads: text, prompts, options,
hints, solutions) that also appears in a source file, leaving out code blocks, inline code,
formulas and names (titles of papers, libraries, the course). Run it as a script to see the
runs:

    .venv/bin/python tests/test_own_words.py

`TUI_TUTOR_SOURCE_MATERIAL=folder` compares with another folder of sources instead.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Lesson file -> the title of the Carpentries episode it draws from.
EPISODES = {
    "01-introduction.md": "Introduction",
    "02-watch-a-network-learn.md": "Introduction",
    "03-classify-penguins.md": "Classification by a neural network using Keras",
    "04-monitor-the-training.md": "Monitor the training process",
    "05-convolutional-networks.md": "Advanced layer types",
}
LESSONS = [ROOT / "lessons" / name for name in EPISODES]
SOURCES = Path(os.environ.get("TUI_TUTOR_SOURCE_MATERIAL") or ROOT.parent / "shared" / "source-material")
N = 8

#: Names and titles, quoted as they are (never counted as copied prose).
NAMES = (
    "An Efficient Pedestrian Detection Method Based on YOLOv2",
    "Mathematical Problems in Engineering",
    "Introduction to deep learning",
    "carpentries-incubator deep-learning-intro contributors",
)
#: Fixed lists of names, written across lines or with a serial comma.
NAME_LISTS = (
    r"bill length,\s+bill depth,\s+flipper length,?\s+and\s+body mass",  # the four penguin measurements
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
    for pattern in NAME_LISTS:
        text = re.sub(pattern, " | ", text, flags=re.I)
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


def source_texts() -> dict[str, str]:
    """File name -> text of every source file (the folder's README left out)."""
    return {path.name: path.read_text(encoding="utf-8", errors="replace") for path in sorted(SOURCES.iterdir())
            if path.is_file() and path.name != "README.md"}


def episode_title(text: str) -> str | None:
    """The episode's title: the front matter's `title:` (Workbench or Jekyll source) or the
    rendered page's first line, "Content from <title>"; None for anything else (slides)."""
    head = text.lstrip("\ufeff").lstrip()
    found = re.match(r"---\s*\n(?:.*\n)*?title:\s*(.+?)\s*\n", head) or re.match(r"Content from (.+?)\s*\n", head)
    return found.group(1).strip("\"' ").lower() if found else None


def missing_episodes() -> dict[str, str]:
    """Lesson file name -> the title of its episode, for each lesson whose episode is not among the sources."""
    titles = {episode_title(text) for text in source_texts().values()}
    return {name: title for name, title in EPISODES.items() if title.lower() not in titles}


def source_grams() -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for text in source_texts().values():
        out |= grams(words(text))
    return out


def copied_runs() -> dict[str, list[str]]:
    """Lesson file name -> the 8-word runs it shares with the sources."""
    sources = source_grams()
    return {path.name: sorted(" ".join(g) for g in grams(words(lesson_prose(path))) & sources) for path in LESSONS}


NO_SOURCES = pytest.mark.skipif(not SOURCES.is_dir(), reason="the source material is not checked out beside the project")


@NO_SOURCES
def test_every_lesson_s_episode_is_in_the_source_material() -> None:
    """Says which lessons' prose cannot be checked here (their episode is not among the sources:
    the shared folder may hold only some episodes); the lessons it holds are checked below."""
    missing = missing_episodes()
    if missing:
        pytest.skip(f"{SOURCES} lacks the episodes some lessons draw from, so their prose is not checked here: "
                    + "; ".join(f"{lesson}: {title!r}" for lesson, title in missing.items())
                    + " (add the episode's Markdown from carpentries-lab/deep-learning-intro, episodes/, "
                    "or point TUI_TUTOR_SOURCE_MATERIAL at a folder holding it)")
    assert set(EPISODES) <= {path.name for path in LESSONS}


@NO_SOURCES
def test_no_run_of_eight_words_is_copied_from_the_sources() -> None:
    runs = copied_runs()
    assert set(runs) == set(EPISODES)
    assert sum(len(r) for r in runs.values()) == 0, runs


def test_episodes_are_known_by_their_titles() -> None:
    assert episode_title('---\ntitle: "Advanced layer types"\nteaching: 70\n---\n') == "advanced layer types"
    assert episode_title("---\ntitle: 'Introduction'\n---\n") == "introduction"
    assert episode_title("Content from Introduction\n\nLast updated") == "introduction"
    assert episode_title("\n\nIntroduction to Deep Learning\n") is None


def test_the_counter_finds_a_copied_run() -> None:
    source = grams(words("One of the simplest loss functions is the mean squared error (MSE)."))
    assert grams(words("Here: one of the simplest loss functions is the mean squared error.")) & source
    assert not grams(words("The `one of the simplest loss functions is the` mean")) & source
    listed = grams(words("four features (bill length, bill depth, flipper length, and body mass). That means"))
    assert not grams(words("It reads bill length, bill depth, flipper length and\n  body mass, in grams.")) & listed


if __name__ == "__main__":
    for lesson, title in missing_episodes().items():
        print(f"{lesson}: its episode {title!r} is not in {SOURCES}")
    found = copied_runs()
    for name, runs in found.items():
        print(f"{name}: {len(runs)} runs of {N} words also in the sources")
        for run in runs:
            print("   ", run)
    sys.exit(1 if any(found.values()) or missing_episodes() else 0)
