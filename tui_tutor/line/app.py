"""Line mode's loop: lessons one step at a time as plain text, answered by prompt.

The same UI-free core as the full-screen app: the catalogue, `QuestionSession` (grading,
hints, solutions, variants, scoring, the store), the review list and the saved position
(a lesson opens at the step the learner was on, whichever mode they used last).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tui_tutor.context import LessonContext, TrainingOptions, open_learner_store
from tui_tutor.lesson.catalog import Catalog
from tui_tutor.lesson.model import Block, Interactive, Item, Lesson, Prose, Question, TrainSpec
from tui_tutor.line.commands import Command, help_lines, parse
from tui_tutor.line.io import LineIO, is_tty, stdin_at_eof
from tui_tutor.line.questions import FREE_TEXT, Asker
from tui_tutor.line.text import inline, markdown_lines, wrap
from tui_tutor.line.training import TrainingWords
from tui_tutor.line.widgets import LineWidget, make
from tui_tutor.session import QuestionSession

if TYPE_CHECKING:
    from tui_tutor.progress.store import ProgressStore
    from tui_tutor.training.sources import StartRun

#: What a start with nothing at all to read prints on stderr (then exit status 2).
NOTHING_TO_READ = ("tui-tutor: nothing to read on standard input: type your answers, pipe them in "
                   "(printf 'A\\n' | tui-tutor LESSON), or use ssh -t")
NAVIGATION = ("next", "back", "go", "lessons", "quit", "eof")


def line_reason(stdin: TextIO | None, stdout: TextIO | None, environ: Mapping[str, str] = os.environ,
                asked: bool = False) -> str | None:
    """Why line mode is on ("TERM=dumb", "stdin is not a terminal"...), None for full screen."""
    if asked:
        return "--line"
    if environ.get("TUI_TUTOR_LINE", "") not in ("", "0"):
        return "TUI_TUTOR_LINE is set"
    if environ.get("TERM", "") == "dumb":
        return "TERM=dumb"
    if environ.get("INSIDE_EMACS"):
        return "inside Emacs"
    if not is_tty(stdin):
        return "stdin is not a terminal"
    if not is_tty(stdout):
        return "stdout is not a terminal"
    return None


def locale_is_utf8(environ: Mapping[str, str] = os.environ) -> bool:
    """The user's locale, seeing through Python's C-locale coercion (as `ui.terminal.terminal_is_utf8`)."""
    for var in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = environ.get(var, "")
        if not value:
            continue
        if var == "LC_CTYPE" and value == "C.UTF-8" and environ.get("LANG", "C") in ("C", "POSIX", ""):
            continue
        return "utf-8" in value.lower() or "utf8" in value.lower()
    return False


@dataclass
class LineOptions:
    reason: str
    lesson_paths: list[Path] = field(default_factory=list)
    open_path: Path | None = None
    data_dir: Path | None = None
    learner: str = "learner"
    ascii_only: bool = False
    review: bool = False
    train_threads: int = 2
    train_max_seconds: float | None = 600
    lesson_cache: Path | None = None
    width: int = 78


@dataclass
class _Step:
    """What the current step offers to commands: its sessions, widgets and hidden blocks."""

    sessions: list[QuestionSession] = field(default_factory=list)
    widgets: list[LineWidget] = field(default_factory=list)
    hidden: list[Block] = field(default_factory=list)
    lesson: Lesson | None = None
    index: int = 0


class LineTutor:
    def __init__(self, options: LineOptions, io: LineIO, start_run: StartRun | None = None) -> None:
        self.options, self.io = options, io
        self.start_run = start_run
        self.not_saving: str | None = None
        self.context = LessonContext(
            options.learner, open_store=self._open_store,
            training=TrainingOptions(threads=options.train_threads, max_seconds=options.train_max_seconds),
            ascii_mode=options.ascii_only)
        self.catalog = Catalog()
        self.asker = Asker(io, self.read)
        self.step = _Step()
        self.free_text = False

    # ------------------------------------------------------------------ store
    def _open_store(self) -> ProgressStore | None:
        opening = open_learner_store(self.options.data_dir)
        if opening.problem:
            self.not_saving = opening.problem
            self.io.say_lines(wrap(self.not_saving, self.io.width))
        if opening.notice:
            self.io.say_lines(wrap(opening.notice, self.io.width))
        return opening.store

    def _position(self, lesson: Lesson) -> int:
        store = self.context.store
        if store is None:
            return 0
        try:
            saved = store.position(self.context.learner, lesson.id)
        except Exception as exc:  # noqa: BLE001
            self.io.say(f"Could not read your place: {exc}")
            return 0
        return saved if saved is not None and 0 <= saved < len(lesson.steps) else 0

    def _save_position(self, lesson: Lesson, index: int) -> None:
        store = self.context.store
        if store is None:
            return
        try:
            store.set_position(self.context.learner, lesson.id, index)
        except Exception as exc:  # noqa: BLE001 - saving the place must never break the lesson
            self.io.say(f"Could not save your place: {exc}")

    # ------------------------------------------------------------------ reading
    def read(self, prompt: str, free_text: bool = False, extra: frozenset[str] = frozenset()) -> str | Command | None:
        """One line: an answer (str), a command the caller handles, or None at the end of input.
        help, steps, progress, unknown colon commands and widget commands are handled here."""
        while True:
            try:
                line = self.io.ask(prompt)
            except KeyboardInterrupt:
                self.io.say("", "(Ctrl+C: type quit to leave the tutor, or help for the commands.)")
                continue
            if line is None:
                return None
            verbs = {verb for widget in self.step.widgets for verb in widget.verbs} | set(extra)
            cmd = parse(line, free_text=free_text, extra=verbs)
            if cmd is None:
                return line
            if cmd.name == "help":
                for text in help_lines(free_text):
                    lead = text[: len(text) - len(text.lstrip())]
                    self.io.say_lines(wrap(text.strip(), self.io.width, indent=lead + "    ", first=lead))
                for widget in self.step.widgets:
                    if widget.usage():
                        self.io.say_lines(wrap(widget.usage(), self.io.width))
            elif cmd.name == "steps":
                self._list_steps()
            elif cmd.name == "progress":
                self._progress()
            elif cmd.name == "unknown":
                self.io.say(f"No command `{cmd.arg[:30]}`: type help for the list.")
            elif cmd.name in extra:
                return cmd
            elif any(cmd.name in w.verbs for w in self.step.widgets):
                widget = next(w for w in self.step.widgets if cmd.name in w.verbs)
                self.io.say_lines(self._widget_lines(widget.command(cmd.name, cmd.arg)))
            else:
                return cmd

    def _widget_lines(self, lines: list[str]) -> list[str]:
        """A widget's lines wrapped: its own indented lines as they are, the others wrapped."""
        out: list[str] = []
        for line in lines:
            lead = line[: len(line) - len(line.lstrip())]
            out += wrap(line.strip(), self.io.width, indent=lead + "  ", first=lead)
        return out

    def _list_steps(self) -> None:
        lesson = self.step.lesson
        if lesson is None:
            self.io.say("No lesson is open.")
            return
        self.io.say(f"Steps of {inline(lesson.title)}:")
        for i, step in enumerate(lesson.steps):
            here = " (you are here)" if i == self.step.index else ""
            self.io.say(f"  {i + 1}. {inline(step.title)}{here}")
        self.io.say("Type go N to jump to step N.")

    def _progress(self) -> None:
        from tui_tutor.review import lesson_tally

        lesson = self.step.lesson
        if lesson is None:
            self.io.say("No lesson is open.")
            return
        try:
            t = lesson_tally(lesson, self.context.store, self.context.learner)
        except Exception as exc:  # noqa: BLE001
            self.io.say(f"Could not read your progress: {exc}")
            return
        self.io.say_lines(wrap(f"{inline(lesson.title)}: {t.done} of {t.total} questions answered, {t.mastered} mastered, "
                               f"score {round(t.score * 100)}%. You are on step {self.step.index + 1} of {len(lesson.steps)}.",
                               self.io.width))

    # ------------------------------------------------------------------ the whole run
    def run(self) -> int:
        self.catalog = Catalog.from_paths(self.options.lesson_paths, cache_dir=self.options.lesson_cache)
        if self.catalog.errors:
            first = self.catalog.errors[0]
            self.io.say_lines(wrap(f"{len(self.catalog.errors)} problem(s) in lesson files, first: {first}. "
                                   "Run tui-tutor validate for all.", self.io.width))
        try:
            if self.options.review:
                if self._review() == "lessons":
                    self._picker()
            elif self.options.open_path is not None and self.options.open_path.is_file() and self.catalog.lessons:
                self.play(self.catalog.lessons[0], alone=True)
            else:
                self._picker()
        finally:
            self.context.close()
        return 0

    def _picker(self) -> None:
        from tui_tutor.review import lesson_tally

        while True:
            lessons = self.catalog.lessons
            self.io.say("", "Lessons:")
            for i, lesson in enumerate(lessons, 1):
                try:
                    t = lesson_tally(lesson, self.context.store, self.context.learner)
                    done = f", {t.done} of {t.total} answered, score {round(t.score * 100)}%" if t.total else ""
                except Exception:  # noqa: BLE001 - the list still shows
                    done = ""
                self.io.say(f"  {i}. {inline(lesson.title)} ({len(lesson.steps)} steps{done})")
            for broken in self.catalog.broken:
                self.io.say(f"  (cannot be opened) {inline(broken.title)}: {broken.first_error}")
            if not lessons:
                self.io.say("  (no lessons found)")
            self.io.say("Type a lesson's number, review for the questions to practise, or quit.")
            got = self.read("lesson> ", extra=frozenset({"review"}))
            if got is None or (isinstance(got, Command) and got.name == "quit"):
                return
            if isinstance(got, Command):
                if got.name == "review":
                    if self._review() == "quit":
                        return
                continue
            text = got.strip()
            if text.lower() == "review":
                if self._review() == "quit":
                    return
                continue
            if text.isdigit() and 1 <= int(text) <= len(lessons):
                if self.play(lessons[int(text) - 1]) == "quit":
                    return
                continue
            if text:
                self.io.say(f"Type a number from 1 to {len(lessons)}." if lessons else "There are no lessons to open.")

    # ------------------------------------------------------------------ the review
    def _review(self) -> str:
        """The questions to practise (as `tui-tutor review` lists them); "quit" or "lessons"."""
        from tui_tutor.review import about_runs_note, fit, review, shown_prompt

        while True:
            try:
                found = review(self.catalog.lessons, self.context.store, self.context.learner)
            except Exception as exc:  # noqa: BLE001 - a store that cannot be read
                self.io.say(f"Could not read your progress: {exc}")
                return "lessons"
            self.io.say("", "Review: questions answered but not yet mastered, then those not yet met.")
            for i, item in enumerate(found.items, 1):
                prompt = fit(shown_prompt(item, self.context.learner), 110, "...")
                self.io.say_lines(wrap(f"{inline(item.lesson.title)}: {prompt} ({item.status})", self.io.width,
                                       indent="     ", first=f"  {i}. "))
            if not found.items:
                self.io.say("  Nothing to review: every question you have met is mastered.")
            if found.about_runs:
                self.io.say(about_runs_note(len(found.about_runs)))
            self.io.say("Type a number to practise that question, lessons for the list of lessons, or quit.")
            got = self.read("review> ")
            if got is None:
                return "quit"
            if isinstance(got, Command):
                if got.name in ("quit", "eof"):
                    return "quit"
                if got.name in ("lessons", "back"):
                    return "lessons"
                continue
            text = got.strip()
            if not (text.isdigit() and 1 <= int(text) <= len(found.items)):
                if text:
                    self.io.say(f"Type a number from 1 to {len(found.items)}." if found.items else "Nothing to practise.")
                continue
            item = found.items[int(text) - 1]
            session = self._session(item.lesson, item.question)
            if session.can_vary and (session.variant_attempts or session.revealed):
                session.new_variant()  # fresh numbers: a revealed or answered variant proves nothing
            self.step = _Step(lesson=item.lesson)
            self.io.say("")
            left = self.asker.ask(session)
            if left is not None and left.name in ("quit", "eof"):
                return "quit"

    # ------------------------------------------------------------------ a lesson
    def play(self, lesson: Lesson, alone: bool = False) -> str:
        """Step through `lesson` from the saved position; "quit" or "lessons" when left."""
        index = self._position(lesson)
        n = len(lesson.steps)
        self.io.say("", f"Lesson: {inline(lesson.title)} ({n} steps).")
        if index:
            self.io.say(f"You were on step {index + 1}: going on from there (type steps for the list).")
        while True:
            self._save_position(lesson, index)
            got = self.play_step(lesson, index)
            name = got.name
            if name in ("quit", "eof"):
                if name == "eof":
                    self.io.say("End of input: leaving the tutor. Your place is saved.")
                return "quit"
            if name == "lessons":
                if alone:
                    self._picker()
                    return "quit"
                return "lessons"
            if name == "repeat":
                continue
            if name == "next":
                if index == n - 1:
                    self._lesson_end(lesson)
                    if alone:
                        return "quit"
                    return "lessons"
                index += 1
            elif name == "back":
                if index == 0:
                    self.io.say("This is the first step.")
                index = max(0, index - 1)
            elif name == "go":
                arg = got.arg.strip()
                if arg.isdigit() and 1 <= int(arg) <= n:
                    index = int(arg) - 1
                else:
                    self.io.say(f"go takes a step number from 1 to {n}.")

    def _lesson_end(self, lesson: Lesson) -> None:
        from tui_tutor.review import lesson_tally

        self.io.say("", f"End of the lesson {inline(lesson.title)}.")
        try:
            t = lesson_tally(lesson, self.context.store, self.context.learner)
            self.io.say(f"{t.done} of {t.total} questions answered, {t.mastered} mastered, score {round(t.score * 100)}%.")
        except Exception:  # noqa: BLE001
            pass

    def _session(self, lesson: Lesson, question: Question) -> QuestionSession:
        return QuestionSession(question, lesson.id, self.context.learner, self.context.store, mastery_n=lesson.mastery,
                               run_values=self.context.runs.for_question(question),
                               runs=self.context.runs.of_question(question, lesson.id))

    def play_step(self, lesson: Lesson, index: int) -> Command:
        step = lesson.steps[index]
        self.step = _Step(lesson=lesson, index=index)
        self.io.say("", f"Step {index + 1} of {len(lesson.steps)}: {inline(step.title)}")
        try:
            got = self._items(lesson, step.items)
        except Exception as exc:  # noqa: BLE001 - a broken step must not stop the tutor
            self.io.say(f"This step cannot be shown: {type(exc).__name__}: {exc}. Type next or back; "
                        f"tui-tutor validate {lesson.path} checks the lesson file.")
            got = None
        if got is not None:
            return got
        return self._step_end()

    def _items(self, lesson: Lesson, items: tuple[Item, ...]) -> Command | None:
        """Show `items` in order, asking each question as it comes; a command that leaves the step."""
        for item in items:
            self.io.stdout.flush()
            if isinstance(item, Prose):
                lines = markdown_lines(item.markdown, self.io.width)
                if lines:
                    self.io.say("", *lines)
            elif isinstance(item, Block):
                if item.kind == "instructor":
                    continue
                label = item.kind.capitalize() + (f": {inline(item.title)}" if item.title else "")
                if item.hidden:
                    self.step.hidden.append(item)
                    key = "hint" if item.kind == "hint" else "solution"
                    self.io.say("", f"({label} is hidden: type {key} to show it.)")
                    continue
                self.io.say("", label)
                got = self._items(lesson, item.children)
                if got is not None:
                    return got
            elif isinstance(item, Question):
                got = self._question(lesson, item)
                if got is not None:
                    return got
            elif isinstance(item, Interactive):
                widget = make(item)
                self.io.say("")
                if widget is None:
                    self.io.say(f"(The widget {item.widget} has no line-mode version.)")
                    continue
                self.step.widgets.append(widget)
                for problem in widget.problems:
                    self.io.say(f"(widget option problem: {problem})")
                self.io.say_lines(self._widget_lines(widget.lines()))
                if widget.usage():
                    self.io.say_lines(wrap(widget.usage(), self.io.width))
            elif isinstance(item, TrainSpec):
                got = self._training(lesson, item)
                if got is not None:
                    return got
        return None

    def _question(self, lesson: Lesson, question: Question) -> Command | None:
        session = self._session(lesson, question)
        self.step.sessions.append(session)
        self.io.say("")
        result = session.last_result
        if result is not None and result.status in ("correct", "saved"):
            self.io.say_lines(self.asker.describe(session))
            self.io.say("Answered before:")
            self.io.say_lines(self.asker.feedback(session, result))
            return None
        self.free_text = question.kind in FREE_TEXT
        got = self.asker.ask(session)
        self.free_text = False
        if got is None or got.name not in NAVIGATION:
            return None
        return got

    def _training(self, lesson: Lesson, spec: TrainSpec) -> Command | None:
        words = TrainingWords(spec, self.context, self._say_now, start_run=self.start_run, lesson_id=lesson.id)
        self.io.say("")
        for line in words.lines():
            self.io.say_lines(wrap(line, self.io.width))
        while True:
            got = self.read("train> ", extra=frozenset({"train", "set", "settings"}))
            if got is None:
                return Command("eof")
            if isinstance(got, str):
                if not got.strip():
                    return None
                self.io.say("Type train, set NAME VALUE, or press Enter to go on.")
                continue
            if got.name == "train":
                for line in words.train():
                    self.io.say_lines(wrap(line, self.io.width))
            elif got.name == "set":
                self.io.say_lines(words.set(got.arg))
            elif got.name in ("settings", "repeat"):
                self.io.say(words.settings_line())
            elif got.name in NAVIGATION:
                return got
            else:
                self.io.say("Nothing to answer here yet: type train, or press Enter to go on.")

    def _say_now(self, *lines: str) -> None:
        self.io.say(*lines)

    def _step_end(self) -> Command:
        """The step's last prompt: Enter goes on; hint, solution and new act on its last question."""
        self.io.say("")
        while True:
            got = self.read("Enter for the next step: ")
            if got is None:
                return Command("eof")
            if isinstance(got, str):
                if not got.strip():
                    return Command("next")
                self.io.say("Nothing to answer here: press Enter for the next step, or type help.")
                continue
            if got.name in NAVIGATION or got.name == "repeat":
                return got
            if got.name in ("hint", "solution") and self.step.hidden:
                kind = got.name
                blocks = [b for b in self.step.hidden if b.kind == kind]
                if blocks:
                    block = blocks[0]
                    self.step.hidden.remove(block)
                    self.io.say(block.kind.capitalize() + (f": {inline(block.title)}" if block.title else ""))
                    for child in block.children:
                        if isinstance(child, Prose):
                            self.io.say_lines(markdown_lines(child.markdown, self.io.width))
                    continue
            sessions = [s for s in self.step.sessions if s.graded or got.name != "new"]
            if not sessions:
                self.io.say(f"Nothing here for {got.name}: press Enter for the next step.")
                continue
            session = sessions[-1]
            if got.name == "new":
                if not session.can_vary:
                    self.io.say("This question has no other numbers.")
                    continue
                session.new_variant()
                self.io.say(f"New numbers (variant {session.variant + 1}): hints and solution start afresh.")
                again = self.asker.ask(session)
                if again is not None and again.name in NAVIGATION:
                    return again
                continue
            self.asker._own_command(session, got, {})


def run_line(options: LineOptions, stdin: TextIO | None = None, stdout: TextIO | None = None,
             start_run: StartRun | None = None) -> int:
    """Line mode from start to end; the exit status (2 when there is nothing at all to read)."""
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    pending = None
    if stdin is None or not is_tty(stdin):
        if stdin is None:
            print(NOTHING_TO_READ, file=sys.stderr)
            return 2
        empty, pending = stdin_at_eof(stdin)
        if empty:
            print(NOTHING_TO_READ, file=sys.stderr)
            return 2
    io = LineIO(stdin, stdout, ascii_only=options.ascii_only, width=options.width, pending=pending)
    io.say(f"Line mode ({options.reason}). Type help for commands.")
    try:
        return LineTutor(options, io, start_run=start_run).run()
    except KeyboardInterrupt:
        io.say("", "Interrupted: leaving the tutor. Your answers are saved.")
        return 0
    except BrokenPipeError:
        return 0
