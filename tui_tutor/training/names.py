"""The `train` block names, for callers in the training package.

They are defined in `tui_tutor.lesson.names` (the loader checks lessons against them and
must not import training); this module re-exports them.
"""

from __future__ import annotations

from tui_tutor.lesson.names import ACTIVATIONS, DATASET_NAMES, LOSSES, OPTIMIZERS

__all__ = ["ACTIVATIONS", "DATASET_NAMES", "LOSSES", "OPTIMIZERS"]
