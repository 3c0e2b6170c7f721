"""Plain terminals: `LANG=C` / `--ascii` (the progress bar reads in characters, not shades)
and `NO_COLOR` (not one colour sequence is sent; bold, reverse and underline may be)."""

import os
import re
from pathlib import Path

import pytest

from screen_text import screen_text
from sshd_harness import ROOT, PtyApp, tutor_command
from tui_tutor.ui.app import AppOptions, TutorApp
from tui_tutor.ui.progress_line import ProgressLine
from tui_tutor.ui.terminal import strip_colour

LESSON = ROOT / "lessons" / "01-introduction.md"
SGR = re.compile(rb"\x1b\[([0-9;:]*)m")


def _colour_sgrs(output: bytes) -> list[bytes]:
    """The SGR sequences in `output` that set a colour (foreground, background, underline)."""
    found = []
    for match in SGR.finditer(output):
        for param in match[1].replace(b":", b";").split(b";"):
            code = int(param) if param.isdigit() else 0
            if 30 <= code <= 49 or 90 <= code <= 97 or 100 <= code <= 107 or code in (58, 59):
                found.append(match[0])
                break
    return found


def _bar(app: TutorApp) -> str:
    """The progress bar of the lesson header as drawn: the characters of its line, tail cut."""
    bar = app.screen.query_one("#step-progress", ProgressLine)
    line = screen_text(app).splitlines()[bar.region.y]
    return line[bar.region.x: bar.region.right].split(" ")[0]


@pytest.mark.parametrize("ascii_mode", [True, False])
async def test_the_step_progress_bar_reads_without_colour(tmp_path, ascii_mode):
    app = TutorApp(AppOptions(lesson_paths=[LESSON], open_path=LESSON, data_dir=tmp_path / "d", ascii_mode=ascii_mode))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(6):
            await pilot.press("n")
        await pilot.pause()
        assert "Step 7 of" in screen_text(app)
        bar = _bar(app)
        done, undone = ("#", "-") if ascii_mode else ("━", "─")
        assert bar and set(bar) == {done, undone}, bar
        assert bar == bar.rstrip(undone).ljust(len(bar), undone), "done first, then undone"
        steps = len(app.screen.lesson.steps)
        assert abs(bar.count(done) - round(len(bar) * 7 / steps)) <= 1
        if ascii_mode:
            assert bar.isascii()


def test_strip_colour_keeps_attributes_and_drops_colours():
    assert strip_colour("\x1b[1;38;2;10;20;30;48;5;7mA\x1b[0m") == "\x1b[1mA\x1b[0m"
    assert strip_colour("\x1b[31;42mB\x1b[39;49m") == "B"
    assert strip_colour("\x1b[7;4;90mC") == "\x1b[7;4mC"
    assert strip_colour("\x1b[38:2::1:2:3;1mD") == "\x1b[1mD"
    assert strip_colour("\x1b[mE\x1b[2J\x1b[?1049h") == "\x1b[mE\x1b[2J\x1b[?1049h"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TEXTUAL", "TMUX", "STY")) and k not in ("NO_COLOR", "COLORTERM")}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", TUI_TUTOR_DATA_DIR=str(tmp_path / "data"))
    env.update(extra)
    return env


def _session(env: dict[str, str]) -> bytes:
    """Start on lesson one, walk a few steps (the bar, the title bar), go back to the lesson picker; every byte written."""
    with PtyApp(tutor_command(str(LESSON)), env, keep=True) as app:
        app.wait_for(b"Step 1 of")
        app.settle(quiet=0.3)
        app.send(b"nnnnn", pause=0)  # step 6, prose (step 7's answer field would take letters)
        app.wait_for(b"Step 6 of")
        app.settle(quiet=0.3)
        app.send(b"q", pause=0)  # back to the lessons: the picker's highlighted list
        app.wait_for(b"Choose a lesson")
        app.settle(quiet=0.3)
        assert app.output is not None
        return bytes(app.output)


@pytest.mark.e2e
def test_no_color_sends_no_colour_sequences(tmp_path):
    coloured = _session(_env(tmp_path / "a"))
    assert len(_colour_sgrs(coloured)) > 10, "the counter sees the colours of a normal session"
    plain = _session(_env(tmp_path / "b", NO_COLOR="1"))
    assert _colour_sgrs(plain) == [], _colour_sgrs(plain)[:5]
    attributes = {m[1] for m in SGR.finditer(plain)}
    assert any(b"1" in a.split(b";") for a in attributes), "bold is still sent"
    assert b"Step 6 of" in plain and b"Choose a lesson" in plain


@pytest.mark.e2e
def test_no_color_on_a_plain_ascii_terminal(tmp_path):
    """TERM=vt100, LANG=C, NO_COLOR: the most basic terminal gets ASCII without colour."""
    env = _env(tmp_path, NO_COLOR="1", TERM="vt100", LANG="C")
    env.pop("LC_ALL", None)
    env.pop("LC_CTYPE", None)
    with PtyApp(tutor_command(str(LESSON)), env, keep=True) as app:
        app.wait_for(b"Step 1 of")
        app.settle(quiet=0.3)
        app.send(b"n", pause=0)
        app.wait_for(b"Step 2 of")
        app.settle(quiet=0.3)
        assert app.output is not None
        output = bytes(app.output)
    assert _colour_sgrs(output) == []
    assert output.isascii()
    text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", output)  # the characters drawn, without escapes
    assert re.search(rb"Step 2 of \d+ +#+-+", text), "done and undone differ in characters"
