"""Terminal facts and safety: ASCII fallback, fd 2 kept off the screen, signal handling.

Textual draws on `sys.__stderr__` (file descriptor 2). TensorFlow's C++ layers write
their chatter straight to fd 2 at any time, which would corrupt the screen. So before the
app starts, Textual gets its own duplicate of the terminal and fd 2 is pointed at a log file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from textual.drivers.linux_driver import LinuxDriver

#: Box drawing, blocks, braille and the few symbols Textual and plotext use, in plain ASCII.
_ASCII_MAP: dict[int, str] = {}
for chars, ascii_char in (
    ("─━┄┅┈┉╌╍═╼╾▔▁⎯", "-"),
    ("│┃┆┇┊┋╎╏║╽╿▏▕", "|"),
    ("┌┍┎┏┐┑┒┓└┕┖┗┘┙┚┛├┝┞┟┠┡┢┣┤┥┦┧┨┩┪┫┬┭┮┯┰┱┲┳┴┵┶┷┸┹┺┻┼┽┾┿╀╁╂╃╄╅╆╇╈╉╊╋╔╗╚╝╠╣╦╩╬╒╓╕╖╘╙╛╜╞╟╡╢╤╥╧╨╪╫╭╮╯╰", "+"),
    ("•●◦∙·⋅○◉", "*"),
    ("▶►▸▹→", ">"),
    ("◀◄◂◃←", "<"),
    ("▲△↑", "^"),
    ("▼▽↓", "v"),
    ("█▉▊▋▌▍▎▐░▒▓▀▄▆▅▃▂▇", "#"),
    ("…", "."),
    ("✓✔", "v"),
    ("✗✘×", "x"),
    ("−", "-"),
    ("“”„", '"'),
    ("‘’", "'"),
    ("\u00a0", " "),
):
    for char in chars:
        _ASCII_MAP[ord(char)] = ascii_char
for code in range(0x2800, 0x2900):  # braille plot markers
    _ASCII_MAP[code] = "." if code != 0x2800 else " "


def to_ascii(text: str) -> str:
    """Map the glyphs a UI uses to ASCII; anything else outside ASCII becomes `?`."""
    text = text.translate(_ASCII_MAP)
    if text.isascii():
        return text
    return "".join(ch if ord(ch) < 128 else "?" for ch in text)


class AsciiDriver(LinuxDriver):
    """A Linux driver whose every write is plain ASCII, for terminals that are not UTF-8."""

    def write(self, data: str) -> None:
        super().write(to_ascii(data))


def terminal_is_utf8(environ: os._Environ | dict = os.environ) -> bool:
    """Judge the user's locale, seeing through Python's own C-locale coercion (PEP 538)."""
    for var in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = environ.get(var, "")
        if not value:
            continue
        if var == "LC_CTYPE" and value == "C.UTF-8" and environ.get("LANG", "C") in ("C", "POSIX", ""):
            continue  # set by Python's coercion of the C locale, not by the user
        return "utf-8" in value.lower() or "utf8" in value.lower()
    return False


class FdTwoGuard:
    """Give Textual a private copy of the terminal, send fd 2 to a log file; undo on exit."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self._saved: int | None = None
        self._old_stderr = sys.__stderr__

    def __enter__(self) -> "FdTwoGuard":
        if not (sys.__stderr__ and os.isatty(2)):
            return self
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._saved = os.dup(2)
        encoding = getattr(sys.__stderr__, "encoding", None) or "utf-8"
        sys.__stderr__ = os.fdopen(os.dup(self._saved), "w", encoding=encoding, errors="replace")
        log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._saved is None:
            return
        try:
            sys.__stderr__.flush()
        except (OSError, ValueError):
            pass
        os.dup2(self._saved, 2)
        os.close(self._saved)
        sys.__stderr__ = self._old_stderr
        self._saved = None
