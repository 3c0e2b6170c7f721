"""Bounds on what one lesson file may hold, so no file can crash, hang or bloat the tutor.

Lesson files come from anyone (a shared course folder), and the loader and the app do work
that grows with what a file holds: YAML parsing, block nesting, Markdown rendering,
drawing variants. Each bound is far above what a real lesson needs (the bundled lessons
use a tenth of them or less) and is documented in lessons/README.md. A file that passes
them is read in well under a second and a few megabytes of memory.
"""

from __future__ import annotations

#: Size of a lesson file in bytes (the bundled lessons are under 50 kB).
MAX_FILE_BYTES = 1_000_000
#: Characters in one line (longer prose lines make Rich's Markdown slow to draw).
MAX_LINE = 10_000
#: Characters of prose in one step, all its blocks together.
MAX_STEP_TEXT = 100_000
#: Steps in a lesson, and items (paragraph runs, blocks, questions) in one step.
MAX_STEPS = 500
MAX_STEP_ITEMS = 300
#: Levels of `:::` blocks inside blocks.
MAX_BLOCK_DEPTH = 10
#: Levels of lists and mappings inside one YAML block.
MAX_YAML_DEPTH = 20
#: Nodes (values, keys, lists, mappings) in one YAML block.
MAX_YAML_NODES = 20_000
#: Characters in one YAML text value.
MAX_YAML_TEXT = 20_000
#: Largest magnitude of any number written in a lesson (and every number must be finite).
MAX_NUMBER = 1e15
#: Characters of a message about a lesson (values echoed in it are cut to fit).
MAX_MESSAGE = 300
