"""Questions asked by prompt: the same `QuestionSession` as the full-screen app, in words.

Each kind is answered the way a screen reader user can type it: a number or text; an option
by letter, number or its text; several letters; a matching statement by statement; a table
row by row, cell by cell ("Row 2: x1 = 0, x2 = 1, y = ?"); an order as numbers ("3 1 2 4").
The answer handed to `QuestionSession.check` has exactly the shape the full-screen widgets
give (a letter, a list of letters, a list of option keys, a dict of cell texts, a list of
item indices), so the store holds the same rows whichever mode answered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tui_tutor.grading.checkers import blank_cells, normalise
from tui_tutor.grading.result import Result
from tui_tutor.grading.wording import LETTERS, parts_lines, score_line, solution_note, status_line
from tui_tutor.lesson.model import Question
from tui_tutor.line.commands import Command
from tui_tutor.line.io import LineIO
from tui_tutor.line.text import inline, markdown_lines, wrap
from tui_tutor.lesson.order import initial_order
from tui_tutor.session import QuestionSession

#: What reading one line gives: the text of an answer, a command, or None at the end of input.
Read = Callable[[str, bool], "str | Command | None"]

MAX_CELL = 24  # as the full-screen table: characters one cell takes
FREE_TEXT = ("text", "reflect")



def score_text(s: QuestionSession) -> str:
    """The full-screen panel's score line (one wording for both front ends)."""
    return score_line(s.score, s.attempts, s.hints_shown, s.revealed, s.variant if s.can_vary else None,
                      s.mastered, s.base.optional)


def letters_list(n: int) -> str:
    """"A, B or C"."""
    names = [LETTERS[i] for i in range(min(n, len(LETTERS)))]
    if not names:
        return "(no options)"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _cell_text(question: Question, r: int, c: int, typed: dict[tuple[int, int], str], current: tuple[int, int] | None) -> str:
    cell = question.rows[r][c]
    if not cell.is_blank:
        return inline(cell.value) or "(empty)"
    if (r, c) == current:
        return "?"
    text = typed.get((r, c), "")
    return text if text else "(blank)"


def row_text(question: Question, r: int, typed: dict[tuple[int, int], str], current: tuple[int, int] | None) -> str:
    """"Row 2: x1 = 0, x2 = 1, y = ?" (empty shown cells are left out)."""
    bits = []
    for c, cell in enumerate(question.rows[r]):
        name = question.columns[c].strip() if c < len(question.columns) and question.columns[c].strip() else f"column {c + 1}"
        if not cell.is_blank and not cell.value.strip():
            continue
        bits.append(f"{inline(name)} = {_cell_text(question, r, c, typed, current)}")
    return f"Row {r + 1}: " + ", ".join(bits)


class Asker:
    """Asks one question until it is answered right (or saved), or the learner moves on."""

    def __init__(self, io: LineIO, read: Read) -> None:
        self.io, self.read = io, read

    # ------------------------------------------------------------------ showing
    def describe(self, s: QuestionSession) -> list[str]:
        q, w = s.question, self.io.width
        lines = ["Question" + (" (optional)" if q.optional else "") + ":"]
        lines += markdown_lines(q.prompt, w)
        if q.kind in ("choice", "multi"):
            lines.append("")
            for i, option in enumerate(q.options):
                lines += wrap(inline(option.text), w, indent="   ", first=f"{LETTERS[i]}) ")
        elif q.kind == "matching":
            lines.append("")
            lines.append("Options: " + ", ".join(f"{key} = {inline(text)}" for key, text in q.match_options) + ".")
        elif q.kind == "table":
            lines.append("")
            lines.append(f"A table of {len(q.rows)} rows; the cells marked ? are yours to fill in:")
            lines += [row_text(q, r, {}, None) for r in range(len(q.rows))]
            lines[-len(q.rows):] = [line.replace("(blank)", "?") for line in lines[-len(q.rows):]]
        elif q.kind == "order":
            lines.append("")
            for number, item in enumerate(initial_order(q), 1):
                lines += wrap(inline(q.items[item]), w, indent="    ", first=f"{number:>2}. ")
        if s.variant_problem:
            lines.append(s.variant_problem)
        return lines

    def how_to_answer(self, q: Question) -> str:
        n = len(q.options)
        return {
            "numeric": "Type a number; arithmetic such as 5/4 or max(0, 0.5) is fine.",
            "text": "Type your answer. Here commands need a colon first: :hint, :next, :help.",
            "reflect": "Write a few words (saved, not graded). Here commands need a colon first: :next, :help.",
            "choice": f"Answer with a letter ({letters_list(n)}), its number, or the option's words.",
            "multi": f"Type every letter that fits, for example {' '.join(LETTERS[: min(2, n)])} (letters {letters_list(n)}).",
            "matching": f"Answer statement by statement with {letters_list(len(q.match_options))}; "
                        "or type all the letters at once, in statement order.",
            "table": "Answer cell by cell; Enter on an empty line leaves a cell blank.",
            "order": f"Type the numbers of the {len(q.items)} items in the right order, for example "
                     f"{' '.join(str(i) for i in range(min(len(q.items), 4), 0, -1))}"
                     f"{' ...' if len(q.items) > 4 else ''}.",
        }.get(q.kind, "Type your answer.")

    def feedback(self, s: QuestionSession, result: Result | None, note: str = "") -> list[str]:
        """The status, the score, wrong parts and targeted messages, and what to do next."""
        lines: list[str] = []
        if result is not None:
            lines += wrap(status_line(result), self.io.width)
        if s.graded and (s.attempts or s.hints_shown or s.revealed):
            lines.append(score_text(s))
        if result is not None:
            for part in parts_lines(result, s.question, "-"):
                lines += wrap(inline(part), self.io.width, indent="  ")
        if s.run_note:
            lines += wrap(s.run_note, self.io.width)
        if note:
            lines += wrap(note, self.io.width)
        if s.store_problem:
            lines += wrap(f"{s.store_problem} Your answer is kept for now.", self.io.width)
        return lines

    def show_hint(self, s: QuestionSession) -> None:
        text = s.next_hint()
        total = len(s.question.hints)
        if text is None:
            self.io.say("No more hints: all of them are open." if total > 1 else
                        "No more hints." if total else "This question has no hints.")
            return
        n = s.hints_shown
        self.io.say_lines(wrap(inline(text), self.io.width, indent="  ", first=f"Hint {n} of {total}: "))
        if n == 1:
            self.io.say("Each hint lowers this question's score by 10% (30% at most).")

    def show_solution(self, s: QuestionSession) -> None:
        if not s.graded and not s.question.solution.strip():
            self.io.say("This question has no solution to show.")
            return
        text = s.reveal()
        note = solution_note(s.graded, s.solved_variant, s.score, s.can_vary, "type new")
        self.io.say_lines(wrap(note, self.io.width))
        self.io.say_lines(markdown_lines(text, self.io.width))
        if s.graded:
            self.io.say(score_text(s))

    # ------------------------------------------------------------------ asking
    def ask(self, s: QuestionSession, *, show: bool = True) -> Command | None:
        """Ask until done; a navigation command (next, back, go, lessons, quit) is returned,
        None when the question is done or the input ended (then `Command("eof")`)."""
        if show:
            self.io.say_lines(self.describe(s))
            self.io.say_lines(wrap(self.how_to_answer(s.question), self.io.width))
        state: dict[str, Any] = {}
        while True:
            got = self._gather(s, state)
            if isinstance(got, Command):
                handled = self._own_command(s, got, state)
                if handled:
                    continue
                return got
            result = s.check(got)
            if result.status == "invalid":
                self.io.say_lines(wrap(status_line(result), self.io.width))
                continue
            state["last"] = got
            done = result.status in ("correct", "saved")
            note = ""
            if done and s.can_vary and result.status == "correct":
                note = "Type new to practise with new numbers, or press Enter to go on."
            self.io.say_lines(self.feedback(s, result, note))
            if done:
                return None

    def _own_command(self, s: QuestionSession, cmd: Command, state: dict[str, Any]) -> bool:
        """hint, solution, new and repeat belong to the question; True when handled here."""
        if cmd.name == "hint":
            self.show_hint(s)
            return True
        if cmd.name == "solution":
            self.show_solution(s)
            return True
        if cmd.name == "new":
            if not s.can_vary:
                self.io.say("This question has no other numbers.")
                return True
            s.new_variant()
            state.clear()
            self.io.say(f"New numbers (variant {s.variant + 1}): hints and solution start afresh.")
            self.io.say_lines(self.describe(s))
            self.io.say_lines(wrap(self.how_to_answer(s.question), self.io.width))
            return True
        if cmd.name == "repeat":
            self.io.say_lines(self.describe(s))
            self.io.say_lines(wrap(self.how_to_answer(s.question), self.io.width))
            return True
        return False

    def _gather(self, s: QuestionSession, state: dict[str, Any]) -> Any:
        """One whole answer in the full-screen widget's shape, or a Command."""
        q = s.question
        if q.kind == "matching":
            return self._matching(s, state)
        if q.kind == "table":
            return self._table(s, state)
        free = q.kind in FREE_TEXT
        while True:
            line = self.read("answer> ", free)
            if line is None:
                return Command("eof")
            if isinstance(line, Command):
                return line
            if not line.strip():
                self.io.say("Type your answer, or a command (help lists them).")
                continue
            answer: Any
            if q.kind == "choice":
                answer = self._choice(q, line)
            elif q.kind == "multi":
                answer = self._multi(q, line)
            elif q.kind == "order":
                answer = self._order(q, line)
            else:
                answer = line
            if answer is None:
                continue
            return answer

    def _option_by_text(self, q: Question, text: str) -> int | None:
        want = normalise(text)
        for i, option in enumerate(q.options):
            if normalise(inline(option.text)).rstrip(".") == want.rstrip("."):
                return i
        return None

    def _token_index(self, q: Question, token: str) -> int | None:
        t = token.strip().strip("().[]").strip()
        if len(t) == 1 and t.upper() in LETTERS[: len(q.options)]:
            return LETTERS.index(t.upper())
        if t.isdigit() and 1 <= int(t) <= len(q.options):
            return int(t) - 1
        return None

    def _choice(self, q: Question, line: str) -> str | None:
        index = self._token_index(q, line)
        if index is None:
            index = self._option_by_text(q, line)
        if index is None:
            self.io.say(f"`{line.strip()[:40]}` is not an option: choose {letters_list(len(q.options))}.")
            return None
        return LETTERS[index]

    def _multi(self, q: Question, line: str) -> list[str] | None:
        index = self._option_by_text(q, line)
        if index is not None:
            return [LETTERS[index]]
        tokens = [t for t in re.split(r"[\s,;/&+]+|\band\b", line, flags=re.I) if t.strip()]
        if len(tokens) == 1 and tokens[0].isalpha() and len(tokens[0]) > 1:
            tokens = list(tokens[0])  # "AE"
        picks: set[int] = set()
        for token in tokens:
            i = self._token_index(q, token)
            if i is None:
                self.io.say(f"`{token[:40]}` is not an option: use the letters {letters_list(len(q.options))}.")
                return None
            picks.add(i)
        return [LETTERS[i] for i in sorted(picks)]

    def _order(self, q: Question, line: str) -> list[int] | None:
        n, shown = len(q.items), initial_order(q)
        tokens = [t for t in re.split(r"[\s,;]+", line) if t]
        if not all(t.isdigit() for t in tokens) or sorted(int(t) for t in tokens) != list(range(1, n + 1)):
            self.io.say(f"Type each number from 1 to {n} once, in the order the items belong.")
            return None
        return [shown[int(t) - 1] for t in tokens]

    def _matching(self, s: QuestionSession, state: dict[str, Any]) -> Any:
        q = s.question
        keys = {key.strip().upper(): key for key, _ in q.match_options}
        chosen: list[str | None] = list(state.get("last") or [None] * len(q.statements))
        last = s.last_result
        redo = [i for i in range(len(q.statements))
                if "last" not in state or last is None or not any(p.index == i and p.correct for p in last.parts)]
        if "last" in state:
            self.io.say("Your right answers are kept; the others again:")
        first = True
        for i in redo:
            st = q.statements[i]
            self.io.say_lines(wrap(inline(st.text), self.io.width, indent="  ",
                                   first=f"Statement {i + 1} of {len(q.statements)}"
                                   f"{' (optional)' if st.optional else ''}: "))
            while True:
                line = self.read(f"{letters_list(len(keys))}> ", False)
                if line is None:
                    return Command("eof")
                if isinstance(line, Command):
                    return line
                tokens = line.split()
                required = sum(1 for j in redo if not q.statements[j].optional)
                if first and len(tokens) > 1 and max(1, required) <= len(tokens) <= len(redo) \
                        and all(t.upper() in keys for t in tokens):
                    for j, token in zip(redo, tokens):
                        chosen[j] = keys[token.upper()]
                    return chosen
                if not tokens and st.optional:
                    chosen[i] = None
                    break
                if len(tokens) == 1 and tokens[0].upper() in keys:
                    chosen[i] = keys[tokens[0].upper()]
                    break
                self.io.say(f"Answer with one of {letters_list(len(keys))}"
                            + (" (Enter skips an optional statement)." if st.optional else "."))
            first = False
        return chosen

    def _table(self, s: QuestionSession, state: dict[str, Any]) -> Any:
        q = s.question
        blanks = [(r, c) for r, c, _ in blank_cells(q)]
        typed: dict[tuple[int, int], str] = dict(state.get("last") or {rc: "" for rc in blanks})
        last = s.last_result
        right = {p.cell for p in last.parts if p.correct} if last is not None and "last" in state else set()
        todo = [rc for rc in blanks if rc not in right]
        if "last" in state:
            self.io.say("Your right cells are kept; the others again:")
        for rc in todo:
            line = self.read(row_text(q, rc[0], typed, rc) + " ", False)
            if line is None:
                return Command("eof")
            if isinstance(line, Command):
                return line
            typed[rc] = line.strip()[:MAX_CELL]
        return typed
