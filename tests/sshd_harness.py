"""Login-node harness: a throwaway OpenSSH server on 127.0.0.1, and a pty the test owns.

`SshServer` writes fresh host and user keys and an `sshd_config` into a temporary folder,
starts Debian's `sshd` in the foreground (`-D -e -f CONFIG`) on a free port of 127.0.0.1 and
stops it on `close()`. Nothing outside the folder is touched except `/run/sshd`, the
privilege-separation directory Debian's sshd insists on (created when missing, as root).

`ssh_argv()` is the client command (no user config, no known_hosts, key only, `-tt`);
`remote_tutor()` is the remote command line that starts the installed `tui-tutor` script
with its environment spelled out, because sshd forwards no environment (only TERM, through
the pty request).

`PtyApp` runs a program on a pseudo-terminal whose master side the caller reads: every byte
the program writes to its terminal is counted, and CPU time and memory are read from /proc.

Used by tests/test_ssh_e2e.py, tests/test_idle.py and benchmarks/login_node.py.
"""

from __future__ import annotations

import fcntl
import getpass
import os
import pty
import select
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SSHD = shutil.which("sshd") or next((p for p in ("/usr/sbin/sshd", "/usr/local/sbin/sshd") if os.path.exists(p)), None)
SSH = shutil.which("ssh")
SSH_KEYGEN = shutil.which("ssh-keygen")
#: The venv's console script (what a learner runs); `python -m tui_tutor` if it is not installed.
TUTOR_SCRIPT = Path(sys.executable).parent / "tui-tutor"


def missing_reason() -> str | None:
    """Why an sshd test cannot run here (sshd or the client absent), or None when it can."""
    if SSHD is None:
        return "sshd is not installed (Debian: apt-get install -y openssh-server openssh-client; .ci/run installs it)"
    if SSH is None or SSH_KEYGEN is None:
        return "the ssh client is not installed (Debian: apt-get install -y openssh-client)"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tutor_command(*args: str) -> list[str]:
    if TUTOR_SCRIPT.exists():
        return [str(TUTOR_SCRIPT), *args]
    return [sys.executable, "-m", "tui_tutor", *args]


class SshServer:
    """A foreground sshd with throwaway keys; use as a context manager or call close()."""

    def __init__(self, workdir: Path | None = None, start_timeout: float = 10.0) -> None:
        reason = missing_reason()
        if reason:
            raise RuntimeError(reason)
        self._own_dir = workdir is None
        self.dir = Path(tempfile.mkdtemp(prefix="tt-sshd-")) if workdir is None else Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.user = getpass.getuser()
        self.host_key = self.dir / "host_ed25519"
        self.user_key = self.dir / "user_ed25519"
        for key in (self.host_key, self.user_key):
            subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "tui-tutor-test", "-f", str(key)],
                           check=True, capture_output=True, timeout=30)
        shutil.copy(f"{self.user_key}.pub", self.dir / "authorized_keys")
        self.log_path = self.dir / "sshd.log"
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation directory
        self.proc: subprocess.Popen | None = None
        self.port = 0
        for _ in range(5):  # the free port may be taken between probe and bind: retry
            self.port = free_port()
            self.config = self._write_config(self.port)
            if self._start(start_timeout):
                return
        log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        self.close()
        raise RuntimeError(f"sshd did not start; its log:\n{log}")

    # -- set-up ------------------------------------------------------------------
    def _write_config(self, port: int) -> Path:
        lines = [
            f"Port {port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {self.host_key}",
            f"PidFile {self.dir / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.dir / 'authorized_keys'}",
            f"AllowUsers {self.user}",
            "StrictModes no",
            "UsePAM no",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "X11Forwarding no",
            "AllowTcpForwarding no",
            "AllowAgentForwarding no",
            "PermitTunnel no",
            "UseDNS no",
            "PrintMotd no",
            "PrintLastLog no",
            "LogLevel VERBOSE",
        ]
        config = self.dir / "sshd_config"
        config.write_text("\n".join(lines) + "\n")
        # OpenSSH >= 9.8 slows down sources whose sessions end badly; the tests kill clients on purpose.
        probe = subprocess.run([SSHD, "-t", "-f", str(config), "-o", "PerSourcePenalties=no"],
                               capture_output=True, timeout=30)
        if probe.returncode == 0:
            config.write_text(config.read_text() + "PerSourcePenalties no\n")
        return config

    def _start(self, timeout: float) -> bool:
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.config)], stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=log, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        marker = f"Server listening on 127.0.0.1 port {self.port}"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if marker in self.log_path.read_text(errors="replace"):
                return True
            time.sleep(0.05)
        self._stop()
        return False

    # -- use -----------------------------------------------------------------------
    def ssh_argv(self, remote: str, *, tty: bool = True) -> list[str]:
        """The client command line: key only, no config files, no host-key prompt."""
        argv = [SSH, "-F", "/dev/null", "-i", str(self.user_key), "-p", str(self.port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR",
                "-o", "ConnectTimeout=10"]
        if tty:
            argv.append("-tt")
        return [*argv, f"{self.user}@127.0.0.1", remote]

    def login_works(self) -> tuple[bool, str]:
        """Log in once without a terminal: (True, "") or (False, what the client and sshd said).
        As root (CI) this always works; as another user sshd may refuse, e.g. a locked account."""
        result = subprocess.run(self.ssh_argv("true", tty=False), capture_output=True, text=True, timeout=30,
                                stdin=subprocess.DEVNULL)
        if result.returncode == 0:
            return True, ""
        return False, f"{result.stderr.strip()} | sshd: {self.log().strip().splitlines()[-3:]}"

    def ssh_command(self, remote: str) -> str:
        """`ssh_argv` as one shell string (for tmux)."""
        return shlex.join(self.ssh_argv(remote))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # -- tear-down -------------------------------------------------------------------
    def _stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # sshd -D runs in its own session (start_new_session): end it and its session children.
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.proc = None

    def close(self) -> None:
        self._stop()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> SshServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def remote_tutor(*args: str, env: dict[str, str] | None = None) -> str:
    """The remote command that starts tui-tutor with `env` (sshd forwards none but TERM)."""
    assignments = [f"{k}={v}" for k, v in (env or {}).items()]
    return shlex.join(["env", *assignments, *tutor_command(*args)])


def pids_with_env(name: str, value: str) -> list[int]:
    """Processes whose environment holds NAME=VALUE (how the tests find the remote tutor)."""
    needle = f"{name}={value}".encode() + b"\0"
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                environ = fh.read() + b"\0"
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read()
        except OSError:
            continue
        if (b"\0" + needle) in (b"\0" + environ) and b"tui" in cmdline:
            found.append(int(entry))
    return found


def wait_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait until none of `pids` is alive; returns those still alive after `timeout`."""
    deadline = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _alive(pid)]
        if alive:
            time.sleep(0.05)
    return alive


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# -- a pseudo-terminal we own: every byte the app writes is counted ------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class PtyApp:
    """A program started on a new pty of `rows` x `cols`; the test is its terminal.

    Everything the program writes is read from the master side (`read_for`, `wait_for`) and
    counted in `total_bytes`; keys are written with `send`. CPU time and memory come from
    /proc/<pid>. Cursor-position queries are answered like a terminal would.
    """

    def __init__(self, argv: list[str], env: dict[str, str], *, rows: int = 24, cols: int = 80,
                 keep: bool = False) -> None:
        #: Every byte written, when `keep` (for compression ratios); else only `tail` is kept.
        self.output: bytearray | None = bytearray() if keep else None
        pid, fd = pty.fork()
        if pid == 0:  # child: size the terminal before the program looks at it
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.total_bytes = 0
        self.tail = b""
        self.started = time.monotonic()

    # -- output --------------------------------------------------------------------
    def _read_once(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return b""
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the program is gone
            raise EOFError("the program closed its terminal") from None
        if not chunk:
            raise EOFError("the program closed its terminal")
        self.total_bytes += len(chunk)
        self.tail = (self.tail + chunk)[-400_000:]
        if self.output is not None:
            self.output += chunk
        if b"\x1b[6n" in chunk:
            os.write(self.fd, b"\x1b[1;1R")
        return chunk

    def read_for(self, seconds: float) -> int:
        """Drain output for `seconds`; returns the number of bytes read."""
        before = self.total_bytes
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self._read_once(min(left, 0.2))
        return self.total_bytes - before

    def wait_for(self, marker: bytes, timeout: float = 30.0) -> float:
        """Read until `marker` was written; returns the seconds since start. Only new output counts."""
        self.tail = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._read_once(0.05)
            if marker in self.tail:
                return time.monotonic() - self.started
        raise AssertionError(f"{marker!r} not written within {timeout}s; last output: {self.tail[-600:]!r}")

    def settle(self, quiet: float = 1.0, timeout: float = 15.0) -> None:
        """Read until the program has written nothing for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        last = time.monotonic()
        while time.monotonic() < deadline:
            if self._read_once(0.05):
                last = time.monotonic()
            elif time.monotonic() - last >= quiet:
                return
        raise AssertionError(f"still writing after {timeout}s")

    def send(self, data: bytes, pause: float = 0.15) -> None:
        """Type `data`; keep reading (as a terminal does) for `pause` seconds afterwards."""
        os.write(self.fd, data)
        self.read_for(pause)

    # -- process facts -----------------------------------------------------------------
    def cpu_seconds(self) -> float:
        """User + system CPU time of the program (all its threads) so far."""
        with open(f"/proc/{self.pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def cpu_ns(self) -> int:
        """CPU time of all the program's threads in nanoseconds (scheduler statistics: exact,
        where utime+stime are sampled at clock ticks of 10 ms)."""
        total = 0
        for task in os.listdir(f"/proc/{self.pid}/task"):
            try:
                with open(f"/proc/{self.pid}/task/{task}/schedstat") as fh:
                    total += int(fh.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
        return total

    def wakeups(self) -> int:
        """Times any of the program's threads went to sleep and was woken again (the kernel's
        voluntary context switches): a thread that polls every 0.1 s adds ~10 a second."""
        total = 0
        for task in os.listdir(f"/proc/{self.pid}/task"):
            try:
                with open(f"/proc/{self.pid}/task/{task}/status") as fh:
                    for line in fh:
                        if line.startswith("voluntary_ctxt_switches:"):
                            total += int(line.split()[1])
            except (OSError, ValueError, IndexError):  # a thread that just ended
                pass
        return total

    def rss_mb(self) -> float:
        with open(f"/proc/{self.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def maps(self) -> str:
        with open(f"/proc/{self.pid}/maps") as fh:
            return fh.read()

    def close(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    self._read_once(0.05)
                except EOFError:
                    pass
                if os.waitpid(self.pid, os.WNOHANG) != (0, 0):
                    break
            else:
                continue
            break
        try:
            os.close(self.fd)
        except OSError:
            pass

    def __enter__(self) -> PtyApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
