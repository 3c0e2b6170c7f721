"""Line mode's word commands, and how a typed line is told apart from an answer.

The rule, chosen so that every answer stays possible:

* A line that starts with a colon is always a command: `:hint`, `:next`, or a short alias
  (`:h`, `:n`, ...). No answer starts with a colon.
* A whole line that is a command word (`hint`, `next`, `help`...; any case, spaces around
  it allowed) is a command too, except where the answer is free text (text and reflect
  questions): there "next" is an answer and `:next` the command. Single-letter aliases are
  only ever recognised with the colon, since a letter answers a choice question.
* Words taking an argument (`go 5`, `set x1 0.5`) follow the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Command words, their colon aliases and what `help` says about them, in help order.
COMMANDS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("help", ("?",), "this list"),
    ("hint", ("h",), "the next hint of the question (each costs 10% of its score, 30% at most)"),
    ("solution", ("s",), "the answer and worked solution (recorded: this variant then scores 0)"),
    ("new", ("v",), "practise the question with new numbers"),
    ("repeat", ("r",), "show the question or step again"),
    ("next", ("n",), "go on to the next step"),
    ("back", ("b",), "go back to the previous step"),
    ("steps", ("l",), "list the lesson's steps; `go N` jumps to step N"),
    ("go", (), "go N: jump to step N"),
    ("progress", ("p",), "your scores in this lesson"),
    ("lessons", (), "leave the lesson for the list of lessons (you resume where you were)"),
    ("quit", ("q",), "leave the tutor (your place is saved)"),
)
WORDS = {name for name, _, _ in COMMANDS}
ALIASES = {alias: name for name, aliases, _ in COMMANDS for alias in aliases}
#: Extra words understood besides the commands: the widgets' and the training view's.
EXTRA_WORDS = {"set", "reset", "table", "check", "train", "settings", "show"}


@dataclass(frozen=True)
class Command:
    name: str
    arg: str = ""


def parse(line: str, *, free_text: bool = False, extra: frozenset[str] | set[str] = frozenset()) -> Command | None:
    """The command `line` is, or None when it is an answer (see the module's rule)."""
    text = line.strip()
    colon = text.startswith(":")
    if colon:
        text = text[1:].strip()
    elif free_text:
        return None
    word, _, arg = text.partition(" ")
    word = word.lower()
    if colon and word in ALIASES:
        word = ALIASES[word]
    if word in WORDS or word in extra:
        if word not in ("go", *extra) and arg.strip():
            return None if not colon else Command(word, arg.strip())
        return Command(word, arg.strip())
    if colon:
        return Command("unknown", text)
    return None


def help_lines(free_text: bool = False) -> list[str]:
    lines = ["Commands (type the word alone on a line, or with a colon first: :hint, :h):"]
    for name, aliases, what in COMMANDS:
        alias = f" (:{aliases[0]})" if aliases else ""
        lines.append(f"  {name}{alias}: {what}")
    lines.append("Enter on an empty line goes on when there is nothing to answer.")
    lines.append("Where the answer is free text, only the colon form is a command: :next, :hint.")
    if free_text:
        lines.append("This question takes free text: use the colon form here.")
    return lines
