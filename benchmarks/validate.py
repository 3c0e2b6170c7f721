"""How long `tui-tutor validate lessons` takes, with its variant draws (300 per question).

Prints one table: the whole command as a user runs it (a fresh process each time, median of
several runs), next to the time to load the same lessons without the variant checks.

    .venv/bin/python benchmarks/validate.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _time(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tui_tutor.lesson.catalog import Catalog

    lessons = Catalog.from_paths([ROOT / "lessons"]).lessons
    questions = sum(len(lesson.questions()) for lesson in lessons)
    parameterised = sum(1 for lesson in lessons for q in lesson.questions() if q.has_variants)
    load_only = [sys.executable, "-c", "from pathlib import Path; from tui_tutor.lesson.catalog import Catalog; "
                 "Catalog.from_paths([Path('lessons')])"]
    validate = [sys.executable, "-m", "tui_tutor", "validate", "lessons"]
    cases = [("load lessons only (no checks)", load_only), ("tui-tutor validate lessons", validate)]
    times: dict[str, list[float]] = {name: [] for name, _ in cases}
    for _ in range(args.runs):
        for name, argv in cases:
            times[name].append(_time(argv))
    print(f"Lesson validation: {len(lessons)} lessons, {questions} questions, {parameterised} with variants "
          f"(300 draws each); median of {args.runs} runs, fresh process each")
    print(f"{'case':<34} {'median s':>9} {'min s':>7}")
    for name, _ in cases:
        print(f"{name:<34} {statistics.median(times[name]):>9.3f} {min(times[name]):>7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
