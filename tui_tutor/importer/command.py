"""`tui-tutor import EPISODE.md... [-o DIR]`: write one tutor lesson per episode and a review report.

The report (stdout and `import-report.txt` in the output folder) has one line per challenge,
`path:line: what was made of it; confidence: why`, and a line for everything else worth a look
(unknown block classes, figures without alt text, tabs left out). Lines that need a person's
review end in `[review]`. The command line validates the written lessons afterwards (that
needs the grading engine, a layer above this package).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from tui_tutor.importer.convert import Episode, convert_episode
from tui_tutor.lesson.limits import MAX_FILE_BYTES

REPORT_NAME = "import-report.txt"


@dataclass
class ImportRun:
    episodes: list[Episode] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # files that could not be read or written
    report: str = ""

    @property
    def needs_review(self) -> int:
        return sum(e.needs_review for e in self.episodes)


def read_episode(path: Path) -> str:
    """The episode's text; raises ValueError with a message a person can act on."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"cannot read the file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(f"the file is larger than {MAX_FILE_BYTES:,} bytes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the file is not UTF-8 text (byte {exc.start + 1})") from None


def run_import(paths: list[Path], out_dir: Path, tab: str | None, out: TextIO) -> ImportRun:
    """Convert every episode into `out_dir`; print and write the report."""
    run = ImportRun()
    lines: list[str] = []
    targets: dict[Path, Path] = {}
    sources = {p.resolve() for p in paths if p.exists()}
    for path in paths:
        target = out_dir / (path.stem + ".md")
        if target.resolve() in sources:
            run.failures.append(f"{path}:0: the lesson would overwrite an episode; choose another folder with -o")
            continue
        if target in targets:
            run.failures.append(f"{path}:0: {targets[target]} is also called {path.name}; import them into different folders")
            continue
        try:
            text = read_episode(path)
        except ValueError as exc:
            run.failures.append(f"{path}:0: {exc}")
            continue
        try:
            episode = convert_episode(text, path, tab)
        except Exception as exc:  # noqa: BLE001 - an importer bug must read as a message, not a traceback
            run.failures.append(f"{path}:1: the importer could not convert this episode ({type(exc).__name__}: {exc}); please report it")
            continue
        targets[target] = path
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            target.write_text(episode.text, encoding="utf-8")
        except OSError as exc:
            run.failures.append(f"{target}:0: cannot write the lesson: {exc.strerror or exc}")
            continue
        run.episodes.append(episode)
        run.written.append(target)
        for entry in sorted(episode.entries, key=lambda e: e.line):
            lines.append(f"{path}:{entry.line}: {entry.message}" + (" [review]" if entry.review else ""))
        lines.append(
            f"{path}: {episode.dialect} episode -> {target}: {_count(episode.challenges, 'challenge')}, "
            f"{_count(episode.questions, 'question')}, {_count(episode.self_checks, 'self-check')}; "
            f"{_count(episode.needs_review, 'item')} to review"
        )
    lines += run.failures
    run.report = "\n".join(lines) + ("\n" if lines else "")
    out.write(run.report)
    if run.written:
        try:
            (out_dir / REPORT_NAME).write_text(run.report, encoding="utf-8")
        except OSError as exc:
            out.write(f"{out_dir / REPORT_NAME}:0: cannot write the report: {exc.strerror or exc}\n")
    return run


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
