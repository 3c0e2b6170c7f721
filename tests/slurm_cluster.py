"""A real single-node Slurm cluster for tests (see ../shared/notes/slurm.md).

``slurm_cluster`` is a session-scoped pytest fixture: it starts ``munged`` with a throwaway
key, then ``slurmctld`` and ``slurmd`` as root (loopback only, proctrack/linuxproc, task/none,
no accounting, ``batch_sched_delay=0``) in a folder of its own, waits for the node to be idle
and for the controller's first scheduling cycle (``sdiag``), points ``SLURM_CONF`` at it, and
at the end of the session cancels what is left and stops every process it started, by pid.

Tests that use it are marked ``@pytest.mark.slurm`` and ``@pytest.mark.xdist_group("slurm")``.
They are skipped (with the reason) only when the Slurm or munge programs are not installed
(``apt-get install --no-install-recommends slurmctld slurmd slurm-client munge``); a cluster
that is installed but does not start is a test error, never a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PROGRAMS = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "scontrol", "sdiag")
SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")


def _which(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in SBIN:
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def missing_programs() -> list[str]:
    return [name for name in PROGRAMS if _which(name) is None]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _mem_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 1024


@dataclass
class SlurmCluster:
    """A running cluster: its folder, its slurm.conf, the environment its clients need."""

    folder: Path
    conf: Path
    node: str
    partition: str = "debug"
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def run(self, *args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), env=self.env, capture_output=True, text=True, timeout=timeout, check=False)

    def log(self, name: str = "slurmctld") -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        try:
            self.run("scancel", "--full", "--partition", self.partition, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for process in reversed(self.processes):  # slurmd, slurmctld, munged
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
        self.processes.clear()


def _wait(what: str, check: object, timeout: float, cluster: SlurmCluster) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in cluster.processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[0]} exited ({process.returncode}) while waiting for {what}:\n"
                                   + cluster.log("slurmctld")[-2000:] + cluster.log("slurmd")[-2000:])
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise RuntimeError(f"the test Slurm cluster: timed out waiting for {what}:\n" + cluster.log("slurmctld")[-3000:])


def start_cluster(folder: Path) -> SlurmCluster:
    """Start munged, slurmctld and slurmd in ``folder``; raises (after stopping them) if it fails."""
    folder.mkdir(parents=True, exist_ok=True)
    munge = folder / "munge"
    munge.mkdir(mode=0o755, exist_ok=True)
    os.chmod(munge, 0o755)
    for sub in ("state", "spool"):
        (folder / sub).mkdir(exist_ok=True)
    key = munge / "munge.key"
    subprocess.run([_which("mungekey") or "mungekey", "-c", "-b", "1024", "-k", str(key), "-f"],
                   check=True, capture_output=True)
    os.chmod(key, 0o600)
    node = socket.gethostname().split(".")[0]
    cpus = os.cpu_count() or 1
    conf = folder / "slurm.conf"
    conf.write_text("\n".join([
        "ClusterName=tutortest",
        f"SlurmctldHost={node}(127.0.0.1)",
        f"SlurmctldPort={_free_port()}",
        f"SlurmdPort={_free_port()}",
        "SlurmUser=root",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        f"AuthInfo=socket={munge / 'munge.sock'}",
        f"StateSaveLocation={folder / 'state'}",
        f"SlurmdSpoolDir={folder / 'spool'}",
        f"SlurmctldPidFile={folder / 'slurmctld.pid'}",
        f"SlurmdPidFile={folder / 'slurmd.pid'}",
        f"SlurmctldLogFile={folder / 'slurmctld.log'}",
        f"SlurmdLogFile={folder / 'slurmd.log'}",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core",
        "AccountingStorageType=accounting_storage/none",
        "JobAcctGatherType=jobacct_gather/none",
        "JobCompType=jobcomp/none",
        "MpiDefault=none",
        "MinJobAge=300",
        "ReturnToService=2",
        "MailProg=/bin/true",
        "SchedulerParameters=batch_sched_delay=0",
        "SlurmctldTimeout=30",
        "SlurmdTimeout=30",
        f"NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={max(256, _mem_mb() // 2)} State=UNKNOWN",
        f"PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP",
        "",
    ]))
    cluster = SlurmCluster(folder=folder, conf=conf, node=node)
    env = cluster.env
    logs = open(folder / "daemons.out", "ab")
    try:
        cluster.processes.append(subprocess.Popen(
            [_which("munged") or "munged", "-F", "--force", f"--socket={munge / 'munge.sock'}", f"--key-file={key}",
             f"--pid-file={munge / 'munged.pid'}", f"--log-file={munge / 'munged.log'}",
             f"--seed-file={munge / 'munged.seed'}"],
            stdout=logs, stderr=subprocess.STDOUT, start_new_session=True))
        _wait("munged's socket", lambda: (munge / "munge.sock").exists(), 10, cluster)
        cluster.processes.append(subprocess.Popen([_which("slurmctld") or "slurmctld", "-D", "-i", "-f", str(conf)],
                                                  env=env, stdout=logs, stderr=subprocess.STDOUT, start_new_session=True))
        cluster.processes.append(subprocess.Popen([_which("slurmd") or "slurmd", "-D", "-f", str(conf)],
                                                  env=env, stdout=logs, stderr=subprocess.STDOUT, start_new_session=True))

        def idle() -> bool:
            out = cluster.run("sinfo", "-h", "-o", "%t", timeout=5).stdout.strip()
            return out.startswith("idle")

        def scheduled() -> bool:
            out = cluster.run("sdiag", timeout=5).stdout
            match = re.search(r"Main schedule statistics.*?Total cycles:\s*(\d+)", out, re.S)
            return bool(match and int(match.group(1)) >= 1)

        _wait("the node to be idle", idle, 30, cluster)
        _wait("the first scheduling cycle", scheduled, 30, cluster)
    except BaseException:
        cluster.stop()
        raise
    finally:
        logs.close()
    return cluster


_cluster: SlurmCluster | None = None


@pytest.fixture(scope="session")
def slurm_cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> SlurmCluster:
    """The session's cluster (started on first use); ``SLURM_CONF`` points at it for the session."""
    global _cluster
    missing = missing_programs()
    if missing:
        pytest.skip("Slurm is not installed (missing: " + ", ".join(missing) + "); "
                    "apt-get install --no-install-recommends slurmctld slurmd slurm-client munge")
    if _cluster is None:
        folder = Path(tempfile.mkdtemp(prefix="slurm-", dir="/tmp"))  # short paths: munge's socket
        _cluster = start_cluster(folder)
        before = os.environ.get("SLURM_CONF")
        os.environ["SLURM_CONF"] = str(_cluster.conf)

        def finish() -> None:
            global _cluster
            if _cluster is not None:
                _cluster.stop()
                shutil.rmtree(_cluster.folder, ignore_errors=True)
                _cluster = None
            if before is None:
                os.environ.pop("SLURM_CONF", None)
            else:
                os.environ["SLURM_CONF"] = before

        request.session.config.add_cleanup(finish)
    return _cluster
