"""Drive a program in a real terminal: tmux at a fixed size, send-keys to type, capture-pane to read."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
import uuid

import pytest

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")


class Tmux:
    def __init__(self, command: str, *, width: int = 80, height: int = 24, env: dict[str, str] | None = None) -> None:
        self.name = f"tt-{uuid.uuid4().hex[:8]}"
        self.socket = f"tt-{self.name}"
        exports = "".join(f"export {k}={shlex.quote(v)}; " for k, v in (env or {}).items())
        shell = f"{exports}{command}; echo EXITED-$?; sleep 600"
        self._tmux("new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), shell)
        self._tmux("set-option", "-t", self.name, "status", "off")

    def _tmux(self, *args: str) -> str:
        result = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20)
        return result.stdout

    def send(self, *keys: str, delay: float = 0.15) -> None:
        for key in keys:
            self._tmux("send-keys", "-t", self.name, key)
            time.sleep(delay)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", self.name, "-l", text)
        time.sleep(0.2)

    def type_slowly(self, text: str, delay: float = 0.03) -> None:
        """`text` one key at a time (each its own write), as a learner types."""
        for char in text:
            self._tmux("send-keys", "-t", self.name, "-l", "\\;" if char == ";" else char)  # a lone ; ends a tmux command
            time.sleep(delay)
        time.sleep(0.2)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name)

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} did not appear within {timeout}s; screen was:\n{screen}")

    def pane_pid(self) -> int:
        return int(self._tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=20)
