"""Where line mode reads and writes: plain lines, flushed after every prompt, never a redraw.

Output goes to the scrollback one line after another; nothing is ever overwritten, coloured
or moved. With `ascii_only` (LANG=C, or a terminal that is not UTF-8) every line passes
through `tui_tutor.asciify.to_ascii`. Input comes from `input()` with readline editing and
history when stdin is a terminal (readline is imported only then: importing it on a pipe can
write escape sequences), and from plain `readline()` otherwise; then the line read is echoed
after its prompt, so a transcript of a piped session reads like the session itself.
"""

from __future__ import annotations

import os
import select
import sys
from typing import TextIO

from tui_tutor.asciify import to_ascii
from tui_tutor.line.text import clean


def is_tty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and os.isatty(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False


def stdin_at_eof(stream: TextIO) -> tuple[bool, str | None]:
    """Whether `stream` (not a terminal) has nothing at all to read: (at EOF, first line read).

    Only a stream that is ready now is read (a file, /dev/null, a pipe whose writer has
    written or gone); a pipe still waiting for its writer is left alone (False, None)."""
    try:
        ready, _, _ = select.select([stream.fileno()], [], [], 0)
    except (OSError, ValueError, AttributeError):
        ready = [True]  # not selectable (an odd file object): read it
    if not ready:
        return False, None
    try:
        first = stream.readline()
    except (OSError, ValueError):
        return True, None
    return first == "", (first or None)


class LineIO:
    """Prints and reads lines; `ask` returns None at the end of input."""

    def __init__(self, stdin: TextIO, stdout: TextIO, *, ascii_only: bool = False, width: int = 78,
                 pending: str | None = None) -> None:
        self.stdin, self.stdout = stdin, stdout
        self.ascii_only = ascii_only
        self.width = width
        self.interactive = is_tty(stdin)
        self.lines_read = 0
        self._pending = pending
        if self.interactive and is_tty(stdout):  # readline on a pipe could write escape sequences
            try:
                import readline  # noqa: F401 - editing and history for input()
            except ImportError:
                pass

    def _out(self, text: str) -> str:
        text = clean(text)
        return to_ascii(text) if self.ascii_only else text

    def say(self, *lines: str) -> None:
        """Print each line (an empty call prints an empty line)."""
        for line in lines or ("",):
            self.stdout.write(self._out(line).rstrip() + "\n")
        self.stdout.flush()

    def say_lines(self, lines: list[str]) -> None:
        if lines:
            self.say(*lines)

    def ask(self, prompt: str) -> str | None:
        """Show `prompt`, read one line (without its newline); None at the end of input."""
        shown = self._out(prompt)
        if self.interactive and self.stdin is sys.stdin and self.stdout is sys.stdout:
            try:
                line = input(shown)
            except EOFError:
                self.stdout.write("\n")
                self.stdout.flush()
                return None
            self.lines_read += 1
            return line
        self.stdout.write(shown)
        self.stdout.flush()
        if self._pending is not None:
            raw, self._pending = self._pending, None
        else:
            raw = self.stdin.readline()
        if raw == "":
            self.stdout.write("\n")
            self.stdout.flush()
            return None
        line = raw.rstrip("\r\n")
        self.lines_read += 1
        if not self.interactive:  # echo: the answer follows its prompt in the scrollback
            self.stdout.write(self._out(line) + "\n")
            self.stdout.flush()
        return line
