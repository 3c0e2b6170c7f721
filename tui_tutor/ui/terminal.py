"""Terminal facts and safety: ASCII fallback, fd 2 kept off the screen, an input thread that
sleeps while the learner reads.

Textual draws on `sys.__stderr__` (file descriptor 2). TensorFlow's C++ layers write
their chatter straight to fd 2 at any time, which would corrupt the screen. So before the
app starts, Textual gets its own duplicate of the terminal and fd 2 is pointed at a log file.

Textual's Linux driver reads keys in a thread that wakes ten times a second even when no key
comes; on a login node shared by dozens of learners an idle tutor should wake nothing.
`QuietDriver` waits for a key (or for the app to stop) and wakes early only while an escape
sequence is half read.

The driver leans on Textual internals that no public API offers (`TEXTUAL_INTERNALS`); the
test tests/test_idle.py pins their source, so a Textual upgrade that changes any of them
fails there instead of quietly bringing the polling back.
"""

from __future__ import annotations

import logging
import os
import re
import selectors
import sys
import threading
import time
from codecs import getincrementaldecoder
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from textual import events
from textual.drivers.linux_driver import LinuxDriver

from tui_tutor.asciify import to_ascii

log = logging.getLogger("tui_tutor.terminal")

#: Textual internals `QuietDriver` relies on, with what it relies on them for. Each is checked
#: against the source it was written for (tests/test_idle.py); re-check these on an upgrade.
TEXTUAL_INTERNALS: dict[str, str] = {
    "textual.driver.Driver.__init__": "sets `_debug`, passed on to the parser",
    "textual.drivers.linux_driver.LinuxDriver.__init__": "sets `_file`, `fileno` and `exit_event`, replaced here",
    "textual.drivers.linux_driver.LinuxDriver.start_application_mode":
        "hands `_file` to the writer thread and starts `run_input_thread` in a thread",
    "textual.drivers.linux_driver.LinuxDriver.disable_input":
        "sets `exit_event`, joins the input thread, then clears the event (which empties the wake pipe)",
    "textual.drivers.linux_driver.LinuxDriver.run_input_thread": "replaced here: port any fix made upstream",
    "textual.drivers.linux_driver.LinuxDriver._run_input_thread": "calls `run_input_thread`, reports its errors",
    "textual.drivers._writer_thread.WriterThread": "writes and flushes `_file` (the hang-up safe terminal)",
    "textual._parser.Parser": "`feed`, `tick`, and `_timeout_time`: the deadline of a half-read escape sequence",
    "textual._xterm_parser.XTermParser.__init__": "takes `debug`",
    "textual._time": "`get_time`, the clock of `_timeout_time`",
    "textual.driver.Driver.send_message":
        "posts each message with `run_coroutine_threadsafe` on `_loop`; the key gate queues its check behind it",
    "textual.app.App.on_event":
        "forwards a key to the focused widget without waiting for it: the reason for the key gate",
}

#: The longest the input thread waits for the app to finish with one key before sending the
#: next anyway (an app busy for longer gets Textual's own behaviour, nothing worse).
KEY_GATE_SECONDS = 1.0

#: How often Textual's own input thread polls; used only if the parser's deadline is gone.
FALLBACK_POLL_SECONDS = 0.1


class _WakingEvent(threading.Event):
    """The driver's exit flag, mirrored by a pipe: readable exactly while the flag is set.

    Every input thread selects on the pipe too, so setting the flag wakes all of them (more
    than one can exist: a hang-up sends SIGCONT, on which Textual starts input again). Only
    `clear` empties the pipe, so no thread can swallow another's wake-up.
    """

    def __init__(self, read_fd: int, write_fd: int) -> None:
        super().__init__()
        self._read_fd, self._write_fd = read_fd, write_fd

    def set(self) -> None:
        super().set()
        try:
            os.write(self._write_fd, b"\0")
        except OSError:  # full (already readable) or closed
            pass

    def clear(self) -> None:
        try:
            while os.read(self._read_fd, 4096):
                pass
        except OSError:  # empty (non-blocking) or closed
            pass
        super().clear()


class _HangupSafeTerminal:
    """The terminal as Textual's writer thread sees it; once the terminal is gone (EIO after
    an SSH drop) output is dropped. Textual's own writer thread died on that error with a
    traceback, after which its bounded queue could fill and block the app on its way out."""

    def __init__(self, file: IO[str]) -> None:
        self._file = file
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return self._file.write(text)
            except (OSError, ValueError):  # EIO / EPIPE: hung up; ValueError: closed
                self.gone = True
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._file.flush()
            except (OSError, ValueError):
                self.gone = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


class QuietDriver(LinuxDriver):
    """Textual's Linux driver with an input thread that sleeps until a key arrives.

    Textual 8's `run_input_thread` polls `select` every 0.1 s, to notice the exit flag and to
    time out a lone Escape. Here the exit flag wakes the thread through a pipe, and the select
    timeout is the parser's own deadline while an escape sequence is pending, else none. At
    the end of input (the terminal hung up) the thread ends instead of spinning, and bytes
    that do not decode never end the app. Output to a terminal that hung up is dropped.
    """

    #: How typed bytes are decoded. Textual decodes strictly as UTF-8, so one byte that is not
    #: UTF-8 (e with an accent on a Latin-1 terminal, Alt+key on an xterm sending 8-bit meta)
    #: ended the app with UnicodeDecodeError; here it becomes a replacement character.
    input_encoding = "utf-8"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: How many times the input thread woke (select returned): a key, the exit flag, an
        #: escape deadline. Zero while nobody types; tests read it.
        self.input_wakeups = 0
        #: True once the parser's deadline was not found and the thread polls as Textual does.
        self.polling = False
        self._file = _HangupSafeTerminal(self._file)  # type: ignore[assignment,arg-type]  # duck-typed file
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self.exit_event = _WakingEvent(self._wake_read, self._wake_write)
        #: NO_COLOR (https://no-color.org): Textual only greys its colours; here none are sent.
        self.no_color = "NO_COLOR" in os.environ  # present, as Textual reads it

    def write(self, data: str) -> None:
        super().write(strip_colour(data) if self.no_color else data)

    def run_input_thread(self) -> None:
        from textual._time import get_time
        from textual._xterm_parser import XTermParser

        selector = selectors.DefaultSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        selector.register(self._wake_read, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder(self.input_encoding)(errors="replace").decode

        def handle(events: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> bool:
            """Feed what arrived to the parser; False once input has ended."""
            for key, _mask in events:
                if key.fd == self._wake_read:
                    continue  # the exit flag is set: the loop condition sees it
                try:
                    raw = os.read(self.fileno, 1024 * 4)
                except OSError:  # EIO: the terminal hung up
                    return False
                if not raw:  # end of input
                    return False
                text = decode(raw, final=final)
                if text:  # empty while a multi-byte character is incomplete; "" would mean EOF
                    for event in parser.feed(text):
                        self.process_message(event)
            for event in parser.tick():
                self.process_message(event)
            return True

        def timeout() -> float | None:
            """None (sleep until input) unless an escape sequence waits for its next byte."""
            deadline = getattr(parser, "_timeout_time", "gone")  # private in Textual 8
            if deadline is None:
                return None
            if not isinstance(deadline, (int, float)):  # Textual changed: poll as it does
                if not self.polling:
                    self.polling = True
                    log.warning("Textual's parser has no `_timeout_time`: the input thread polls every %s s",
                                FALLBACK_POLL_SECONDS)
                return FALLBACK_POLL_SECONDS
            return max(0.0, deadline - get_time())

        def select(wait: float | None) -> list[tuple[selectors.SelectorKey, int]]:
            events = selector.select(wait)
            self.input_wakeups += 1
            return events

        try:
            open_input = True
            while open_input and not self.exit_event.is_set():
                open_input = handle(select(timeout()))
            if open_input:
                selector.unregister(self._wake_read)
                handle(selector.select(0.1), final=True)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except Exception:  # noqa: BLE001 - the parser's end-of-input errors
                pass

    # -- the key gate ---------------------------------------------------------------------
    # Textual hands a key to the focused widget and goes on with the next key at once. A key the
    # widget does not take (Backspace, Enter, arrows) bubbles up to the app, whose bindings run
    # it later, so keys that come in one read (a laggy link, fast typing, a paste the terminal
    # does not bracket) are handled out of order: Backspace x5 then "10" gives "0.2510". A key
    # that moves the focus sends the keys behind it to the old widget, and ten Downs, each
    # scrolling "one line below where the last scroll will land" before any has landed, scroll
    # one line. So the input thread sends one key, waits until the app has finished with it
    # (the key has passed the focused widget, each of its parents and the app, and what that
    # queued has run), then sends the next. While the learner reads, nothing waits.

    def process_message(self, message: Any) -> None:
        super().process_message(message)
        if isinstance(message, (events.Key, events.Paste)) and getattr(self, "_app", None) is not None:
            self._wait_until_handled()

    def _wait_until_handled(self) -> None:
        import asyncio

        done = threading.Event()
        try:  # queued behind the key's own `_post_message` (both run in the order sent)
            asyncio.run_coroutine_threadsafe(self._follow_key(done), loop=self._loop)
        except RuntimeError:  # the loop is closed: the app is gone
            return
        deadline = time.monotonic() + KEY_GATE_SECONDS
        while not done.wait(0.02):
            if self.exit_event.is_set() or time.monotonic() >= deadline:
                return

    async def _follow_key(self, done: threading.Event) -> None:
        """Call `done.set` once the app has handled the key sent just before (see above)."""
        app = self._app
        chain: list[Any] = []

        def hop(index: int, then: Any) -> None:
            while index < len(chain):  # a node that is closed (removed) is skipped
                if chain[index].call_later(hop, index + 1, then):
                    return
                index += 1
            if not app.call_later(then):
                done.set()

        def route() -> list[Any]:
            try:
                node = app.focused or app.screen
            except Exception:  # noqa: BLE001 - no screen: nothing to follow
                return []
            return [node, *node.ancestors_with_self[1:-1]] if node is not None else []

        def first_pass() -> None:  # the key is with the focused widget now: follow it up
            chain[:] = route()
            hop(0, second_pass)

        def second_pass() -> None:  # what the key queued (focus, deferred scrolls) runs too
            chain[:] = route()
            hop(0, last)

        def last() -> None:
            try:
                screen = app.screen
            except Exception:  # noqa: BLE001
                done.set()
                return
            if not screen.call_after_refresh(done.set):
                done.set()

        try:
            if not app.call_later(first_pass):
                done.set()
        except Exception:  # noqa: BLE001 - never keep the input thread waiting on an error
            done.set()

    # The wake pipe lives as long as the driver: Textual calls `close` on suspend (Ctrl+Z)
    # and starts input again on resume, so closing it there would break the resumed thread.


class AsciiDriver(QuietDriver):
    """The quiet driver, with every write plain ASCII, for terminals that are not UTF-8.

    Their keys are read as Latin-1, which maps every byte to a character (what they send for
    letters with accents, if anything, is most likely Latin-1 or a relative)."""

    input_encoding = "latin-1"

    def write(self, data: str) -> None:
        super().write(to_ascii(data))


_SGR = re.compile(r"\x1b\[([0-9;:]*)m")


def _is_colour(code: int) -> bool:
    """SGR codes that set a colour: foreground, background, bright, default, underline colour."""
    return 30 <= code <= 49 or 90 <= code <= 97 or 100 <= code <= 107 or code in (58, 59)


def _plain_sgr(match: re.Match[str]) -> str:
    parts = match[1].split(";")
    if match[1] == "":
        return match[0]  # ESC [ m: a reset, kept
    kept: list[str] = []
    index = 0
    while index < len(parts):
        part = parts[index]
        head = part.split(":", 1)[0]
        code = int(head) if head.isdigit() else 0
        if code in (38, 48, 58) and ":" not in part:  # 38;5;N or 38;2;R;G;B: skip the arguments too
            mode = parts[index + 1] if index + 1 < len(parts) else ""
            index += {"5": 3, "2": 5}.get(mode, 2)
            continue
        if not _is_colour(code):
            kept.append(part)
        index += 1
    return f"\x1b[{';'.join(kept)}m" if kept else ""


def strip_colour(data: str) -> str:
    """`data` with every colour taken out of its SGR sequences; bold, reverse, underline and
    resets stay. A sequence that only set colours goes altogether."""
    if "\x1b[" not in data:
        return data
    return _SGR.sub(_plain_sgr, data)


def terminal_is_utf8(environ: Mapping[str, str] = os.environ) -> bool:
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

    def __init__(self, log_path: Path, *fallbacks: Path) -> None:
        #: The first of `log_path`, `fallbacks` that could be opened (None: no log, fd 2 to /dev/null).
        self.log_path: Path | None = log_path
        self._candidates = (log_path, *fallbacks)
        self._saved: int | None = None
        self._old_stderr = sys.__stderr__

    def _open_log(self) -> int:
        """The log is a convenience: a folder that cannot be written (read-only data folder)
        must not stop start-up, so try each candidate, then send fd 2 nowhere."""
        for path in self._candidates:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0), 0o600)
            except OSError:
                continue
            self.log_path = path
            return fd
        self.log_path = None
        return os.open(os.devnull, os.O_WRONLY)

    def __enter__(self) -> FdTwoGuard:
        if not (sys.__stderr__ and os.isatty(2)):
            return self
        log_fd = self._open_log()
        self._saved = os.dup(2)
        encoding = getattr(sys.__stderr__, "encoding", None) or "utf-8"
        sys.__stderr__ = os.fdopen(os.dup(self._saved), "w", encoding=encoding, errors="replace")  # type: ignore[misc]
        os.dup2(log_fd, 2)
        os.close(log_fd)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._saved is None:
            return
        try:
            if sys.__stderr__ is not None:
                sys.__stderr__.flush()
        except (OSError, ValueError):
            pass
        os.dup2(self._saved, 2)
        os.close(self._saved)
        sys.__stderr__ = self._old_stderr  # type: ignore[misc]
        self._saved = None
