"""Record the training runs that tests/test_training_view.py replays (needs TensorFlow; run once).

    .venv/bin/python tests/data/runs/record.py [FILE.jsonl ...]

Each run of tests/data/training/train.md is trained for real, with the settings the training
view starts with, and its events are written one JSON line each (tui_tutor.training.events).
Re-record after a change to the event format or to the runner's numbers.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from tui_tutor.lesson.loader import load_lesson  # noqa: E402
from tui_tutor.lesson.model import TrainSpec  # noqa: E402
from tui_tutor.training.events import Event  # noqa: E402
from tui_tutor.training.runner import TrainingRun  # noqa: E402
from tui_tutor.training.settings import initial_values, overrides  # noqa: E402

LESSON = ROOT / "tests" / "data" / "training" / "train.md"
LESSON_TWO = ROOT / "lessons" / "02-watch-a-network-learn.md"
#: file name -> (train id, settings changed from the view's initial values[, lesson])
RUNS: dict[str, tuple] = {
    "xor.jsonl": ("xor", {}),
    "sine-diverged.jsonl": ("sine", {"learning_rate": 1000.0}),
    # lesson 2's stuck run (its logged epochs carry the weights: a small model)
    "xor2-seed2.jsonl": ("xor-2", {"seed": 2}, LESSON_TWO),
}


def record(spec: TrainSpec, changes: dict, path: Path) -> None:
    values = {**initial_values(spec), **changes}
    events: list[Event] = []
    TrainingRun(spec, events.append, overrides=overrides(spec, values), threads=1, max_seconds=120).run()
    path.write_text("".join(event.to_json() + "\n" for event in events), encoding="utf-8")
    print(f"{path.name}: {len(events)} events, last {type(events[-1]).__name__}")


def main(names: list[str]) -> None:
    for name, (train_id, changes, *where) in RUNS.items():
        if names and name not in names:
            continue
        lesson = load_lesson(where[0] if where else LESSON).lesson
        assert lesson is not None
        specs = {item.id: item for step in lesson.steps for item in step.items if isinstance(item, TrainSpec)}
        record(specs[train_id], changes, HERE / name)


if __name__ == "__main__":
    main(sys.argv[1:])  # file names to record; none: all
