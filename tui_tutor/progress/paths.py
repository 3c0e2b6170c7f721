"""Where progress lives and whose it is.

The data directory is chosen as: the CLI's `--data-dir` > env `TUI_TUTOR_DATA_DIR` >
the platform's per-user data directory (`~/.local/share/tui-tutor` on Linux). The default
directory is created private (0700): on a shared login node a learner's answers are theirs.
A directory named explicitly may be a course-wide shared one, so it gets the umask's mode.

`filesystem_type` exists because SQLite's WAL mode needs shared memory that network and
parallel file systems (NFS, Lustre, GPFS...) cannot provide, and HPC home directories are
usually on one of those; see `tui_tutor.progress.store`.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import platformdirs

APP_NAME = "tui-tutor"
DATA_DIR_ENV = "TUI_TUTOR_DATA_DIR"
LEARNER_ENV = "TUI_TUTOR_LEARNER"
DB_NAME = "progress.sqlite3"

#: File systems on which WAL's shared-memory index is unsafe (clients on other hosts, or
#: mmap/locking semantics that are not those of a local disk).
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "afs", "9p", "virtiofs",
        "lustre", "gpfs", "beegfs", "ceph", "glusterfs", "gfs2", "ocfs2", "panfs", "pvfs2",
        "orangefs", "wekafs", "cvfs", "quobyte",
        "fuse.sshfs", "fuse.glusterfs", "fuse.ceph-fuse", "fuse.rclone", "fuse.s3fs",
        "fuse.juicefs", "fuse.gcsfuse", "fuse.cvmfs", "fuse.beegfs", "fuse.quobyte",
    }
)


def data_dir(override: str | Path | None = None) -> Path:
    """The directory holding `progress.sqlite3`, created if missing."""
    chosen = override if override not in (None, "") else os.environ.get(DATA_DIR_ENV) or None
    if chosen is not None:
        path = Path(chosen).expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return path
    path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def learner_name() -> str:
    """Whose progress this is: env `TUI_TUTOR_LEARNER`, else the login name."""
    name = os.environ.get(LEARNER_ENV, "").strip()
    if name:
        return name
    try:
        return getpass.getuser() or "learner"
    except Exception:  # noqa: BLE001 - no USER/LOGNAME and no passwd entry (some containers): never stop the tutor
        return "learner"


def db_path(directory: str | Path) -> Path:
    return Path(directory) / DB_NAME


def _unescape_mount(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes (\\040...)."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def filesystem_type(path: str | Path, mountinfo: str | Path = "/proc/self/mountinfo") -> str | None:
    """The type (`ext4`, `nfs4`, `lustre`...) of the file system holding `path`.

    None when it cannot be told (not Linux, /proc not mounted). `path` need not exist: its
    nearest existing ancestor is used.
    """
    target = Path(path).expanduser().absolute()
    missing: list[str] = []
    while not target.exists() and target != target.parent:  # resolve symlinks that exist
        missing.insert(0, target.name)
        target = target.parent
    target = target.resolve().joinpath(*missing)
    try:
        text = Path(mountinfo).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    best: tuple[int, str] | None = None
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if not sep or len(fields) < 5 or not tail:
            continue
        mount = Path(_unescape_mount(fields[4]))
        if target == mount or mount in target.parents:
            depth = len(mount.parts)
            if best is None or depth >= best[0]:  # later lines over-mount earlier ones
                best = (depth, tail[0])
    return best[1] if best else None


def is_network_filesystem(path: str | Path) -> bool:
    kind = filesystem_type(path)
    return kind is not None and kind.lower() in NETWORK_FILESYSTEMS
