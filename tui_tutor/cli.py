"""Command line: `tui-tutor [PATH]`, `tui-tutor validate`, `tui-tutor progress`, `tui-tutor review`.

Sub-commands import only what they need: `validate` and `progress` never load Textual.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

COMMANDS = ("validate", "progress", "review", "import", "jobs")


def _app_parser(prog: str = "tui-tutor") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="A keyboard-driven terminal tutor for the fundamentals of deep learning.",
        epilog="Other commands: `tui-tutor validate PATH...`, `tui-tutor progress`, `tui-tutor review`, `tui-tutor import EPISODE.md...`.",
    )
    parser.add_argument("path", nargs="?", type=Path, help="a lesson file or folder to open directly")
    _common(parser)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lessons", action="append", type=Path, default=[], metavar="DIR",
                        help="add a folder of lessons to the picker (may be repeated)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where progress is kept (default: $TUI_TUTOR_DATA_DIR or your user data folder)")
    parser.add_argument("--learner", default=None, help="learner name for progress (default: your user name)")
    parser.add_argument("--no-mouse", action="store_true", help="send no mouse sequences to the terminal")
    parser.add_argument("--ascii", action="store_true", help="plain ASCII borders and plot markers (automatic when the terminal is not UTF-8)")
    parser.add_argument("--low-bandwidth", action="store_true", help="fewer redraws and 16 colours, for slow SSH links")
    parser.add_argument("--line", action="store_true",
                        help="plain line mode for screen readers, TERM=dumb, Emacs and pipes (also $TUI_TUTOR_LINE=1; "
                             "automatic without a terminal)")
    parser.add_argument("--train-threads", type=int, default=2, metavar="N",
                        help="TensorFlow threads for training runs (default 2: login nodes are shared)")
    parser.add_argument("--max-train-seconds", type=float, default=600, metavar="S",
                        help="stop a training run after S seconds (default 600); bigger runs belong on a compute node")
    parser.add_argument("--site-config", type=Path, default=None, metavar="FILE",
                        help="the Slurm site config (partition, account, time, runs_dir...) for runs sent with S; "
                             "default $TUI_TUTOR_SITE_CONFIG, then ~/.config/tui-tutor/site.yaml")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "validate":
        return _validate(argv[1:])
    if argv and argv[0] == "progress":
        return _progress(argv[1:])
    if argv and argv[0] == "import":
        return _import(argv[1:])
    if argv and argv[0] == "jobs":
        return _jobs(argv[1:])
    review = bool(argv) and argv[0] == "review"
    args = _app_parser().parse_args(argv[1:] if review else argv)
    return _run_app(args, review=review)


def _use_site_config(path: Path) -> str | None:
    """Check the site config now (a typo shows before the tutor starts), and hand it to the Slurm
    source through ``$TUI_TUTOR_SITE_CONFIG`` (read when a run is sent); the problem, or None."""
    from tui_tutor.slurm.job import SITE_CONFIG_ENV, SlurmError, load_site_config

    try:
        load_site_config(path)
    except SlurmError as exc:
        return f"tui-tutor: --site-config: {exc}"
    os.environ[SITE_CONFIG_ENV] = str(path.expanduser().absolute())
    return None


def _jobs(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tui-tutor jobs",
                                     description="List your tutor's Slurm jobs: state, reason, elapsed time, run folder.")
    parser.add_argument("--cancel", metavar="ID", help="cancel this job of yours (one of those listed)")
    parser.add_argument("--stop", action="store_true", help="with --cancel: stop after the current batch instead")
    args = parser.parse_args(argv)
    from tui_tutor.slurm.jobs import run_jobs_command

    return run_jobs_command(sys.stdout, sys.stderr, cancel_id=args.cancel, stop=args.stop)


def _validate(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tui-tutor validate", description="Check lesson files; print `path:line: message` for each problem.")
    parser.add_argument("paths", nargs="+", type=Path, help="lesson files or folders")
    args = parser.parse_args(argv)
    from tui_tutor.validate import run_validate

    return run_validate(args.paths, sys.stdout)


def _import(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tui-tutor import",
        description="Turn Carpentries episodes (Workbench or styles era) into tutor lessons, with a review report.",
    )
    parser.add_argument("episodes", nargs="+", type=Path, metavar="EPISODE.md", help="episode files")
    parser.add_argument("-o", "--output", type=Path, default=Path("imported"), metavar="DIR",
                        help="folder for the lessons and import-report.txt (default: ./imported)")
    parser.add_argument("--tab", default=None, metavar="NAME", help="which tab of tabbed blocks to keep (default: the first)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when anything in the report needs review")
    args = parser.parse_args(argv)
    from tui_tutor.importer.command import run_import
    from tui_tutor.validate import run_validate

    run = run_import(args.episodes, args.output, args.tab, sys.stdout)
    status = run_validate(run.written, sys.stdout) if run.written else 1
    if run.failures:
        return 2
    if status or (args.strict and run.needs_review):
        return 1
    return 0


def _progress(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tui-tutor progress", description="Show or export saved progress.")
    parser.add_argument("--export", choices=("csv", "json"), help="write one row per question to standard output")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--lessons", action="append", type=Path, default=[], metavar="DIR",
                        help="lesson folders besides the bundled ones, for their totals (may be repeated)")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--learner", default=None, help="only this learner (default: you)")
    who.add_argument("--all", action="store_true", help="every learner in the store (for instructors)")
    args = parser.parse_args(argv)
    from tui_tutor.lesson.catalog import Catalog
    from tui_tutor.progress.paths import learner_name
    from tui_tutor.progress.report import progress_folder, run_progress_command

    learner = None if args.all else (args.learner or learner_name())
    lessons = Catalog.from_paths(_lesson_paths(argparse.Namespace(path=None, lessons=args.lessons))).lessons
    return run_progress_command(progress_folder(args.data_dir), args.export, learner, sys.stdout, lessons=lessons)


def _lesson_paths(args: argparse.Namespace) -> list[Path]:
    from tui_tutor.lesson.catalog import bundled_lessons_dir

    if args.path is not None:
        return [args.path]
    bundled = bundled_lessons_dir()
    return ([bundled] if bundled else []) + list(args.lessons)


def _inside_multiplexer() -> bool:
    """Inside tmux or screen the mouse stays off: Textual can crash on mouse reports after a
    reattach (Textual issue 6668), and every action has a key anyway."""
    return bool(os.environ.get("TMUX") or os.environ.get("STY"))


#: What a start without a terminal printed before line mode (kept for callers that import it).
NO_TERMINAL = "tui-tutor needs a terminal: use ssh -t (or run inside tmux)"


def _has_terminal() -> bool:
    """Whether keys come from a terminal and the screen goes to one (stdin and stdout ttys)."""
    for stream in (sys.stdin, sys.stdout):
        try:
            if stream is None or not os.isatty(stream.fileno()):
                return False
        except (OSError, ValueError, AttributeError):  # closed, or not a real file
            return False
    return True


def _line_reason(args: argparse.Namespace) -> str | None:
    """Why the plain line mode is on (`--line`, TUI_TUTOR_LINE, TERM=dumb, INSIDE_EMACS, no
    terminal on stdin or stdout), None for the full-screen app."""
    if not args.line and _has_terminal():  # the usual case: no import beyond this module
        env = os.environ
        if env.get("TUI_TUTOR_LINE", "") in ("", "0") and env.get("TERM", "") != "dumb" and not env.get("INSIDE_EMACS"):
            return None
    from tui_tutor.line.app import line_reason

    return line_reason(sys.stdin, sys.stdout, asked=args.line)


def _run_line(args: argparse.Namespace, reason: str, review: bool) -> int:
    """Line mode: before Textual is imported (it would fail on the tty or hang on a pipe)."""
    import platformdirs

    from tui_tutor.line.app import LineOptions, locale_is_utf8, run_line
    from tui_tutor.progress.paths import data_dir, learner_name
    from tui_tutor.progress.report import progress_folder

    try:
        folder = data_dir(args.data_dir)
    except OSError:  # e.g. a read-only parent: run without saving; the store says why
        folder = progress_folder(args.data_dir)
    options = LineOptions(
        reason=reason,
        lesson_paths=_lesson_paths(args),
        lesson_cache=Path(platformdirs.user_cache_dir("tui-tutor", appauthor=False)) / "lessons",
        open_path=args.path,
        data_dir=folder,
        learner=args.learner or learner_name(),
        ascii_only=args.ascii or not locale_is_utf8(),
        review=review,
        train_threads=max(1, args.train_threads),
        train_max_seconds=args.max_train_seconds if args.max_train_seconds > 0 else None,
    )
    return run_line(options)


def _run_app(args: argparse.Namespace, review: bool = False) -> int:
    if args.path is not None and not args.path.exists():
        print(f"tui-tutor: no such lesson file or folder: {args.path}", file=sys.stderr)
        return 2
    for folder in args.lessons:
        if not folder.is_dir():
            print(f"tui-tutor: --lessons {folder}: not a folder", file=sys.stderr)
            return 2
    if args.site_config is not None:
        problem = _use_site_config(args.site_config)
        if problem is not None:
            print(problem, file=sys.stderr)
            return 2
    if args.data_dir is not None:  # Slurm run folders go under the data folder chosen here
        os.environ["TUI_TUTOR_DATA_DIR"] = str(Path(args.data_dir).expanduser())
    reason = _line_reason(args)
    if reason is not None:
        return _run_line(args, reason, review)
    if args.low_bandwidth:  # must be set before Textual is imported
        os.environ.setdefault("TEXTUAL_FPS", "15")
        os.environ.setdefault("TEXTUAL_COLOR_SYSTEM", "standard")
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    # Start-up builds some hundred thousand objects that live as long as the app (modules,
    # classes, styles); the cyclic garbage collector would scan them over and over before the
    # first frame (about 25 ms here, one full collection alone 13 ms). It is paused until the
    # first frame, when the app freezes them out of later collections (TutorApp.on_ready).
    import gc

    gc.disable()

    import platformdirs

    from tui_tutor.progress.paths import data_dir, learner_name
    from tui_tutor.ui.app import TutorApp, AppOptions
    from tui_tutor.ui.terminal import AsciiDriver, FdTwoGuard, QuietDriver, terminal_is_utf8

    ascii_mode = args.ascii or not terminal_is_utf8()
    try:
        folder = data_dir(args.data_dir)
    except OSError:  # e.g. a read-only parent: run without saving; the store says why on screen
        from tui_tutor.progress.report import progress_folder

        folder = progress_folder(args.data_dir)
    options = AppOptions(
        lesson_paths=_lesson_paths(args),
        lesson_cache=Path(platformdirs.user_cache_dir("tui-tutor", appauthor=False)) / "lessons",
        gc_paused=True,
        open_path=args.path,
        data_dir=folder,
        learner=args.learner or learner_name(),
        ascii_mode=ascii_mode,
        low_bandwidth=args.low_bandwidth,
        start_review=review,
        train_threads=max(1, args.train_threads),
        train_max_seconds=args.max_train_seconds if args.max_train_seconds > 0 else None,
    )
    cache_log = Path(platformdirs.user_cache_dir("tui-tutor", appauthor=False)) / "tui-tutor.log"
    with FdTwoGuard(folder / "tui-tutor.log", cache_log):  # a read-only data folder logs elsewhere
        app = TutorApp(options, driver_class=AsciiDriver if ascii_mode else QuietDriver)
        app.run(mouse=not (args.no_mouse or _inside_multiplexer()))
    return app.return_code or 0
