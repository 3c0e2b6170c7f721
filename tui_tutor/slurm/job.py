"""A training run as a Slurm batch job: the site config, the run folder, the job script, sbatch.

A run folder (default ``<data folder>/runs/<run id>/``) holds:

* ``spec.json``: the request the worker reads (:func:`tui_tutor.training.worker.make_request`;
  JSON, never pickle);
* ``job.sh``: the batch script, which ends by running
  ``python -u -m tui_tutor.training.worker --run spec.json --out events.jsonl`` with this
  interpreter (``sys.executable``);
* ``events.jsonl``: the run's events, one JSON line each, appended by the job;
* ``slurm.out``: the job's own output (``--open-mode=append``);
* for a seed sweep (an array job, one task per seed): ``events-<task>.jsonl`` and
  ``slurm-<task>.out`` instead, task ``i`` training the ``i``-th seed of ``sweep_seeds``;
* ``stop-requested``: written before the tutor asks the job to stop (so the job's ``Stopped``
  event says "stopped (by you)" rather than "stopped (time limit)").

The job asks Slurm for ``--signal=B:USR1@<seconds>`` before its time limit: the worker then
stops after the current batch and writes a clean ``Stopped`` event.

**Site config** (YAML; the first found of ``--site-config FILE``, ``$TUI_TUTOR_SITE_CONFIG``,
``<user config folder>/tui-tutor/site.yaml``)::

    partition: gpu            # default partition (a train block's resources may name another)
    account: proj123
    qos: normal
    time: "00:30:00"          # default time limit
    keras_backend: torch      # KERAS_BACKEND of the job (a run's own setting wins)
    runs_dir: /scratch/$USER/tui-tutor-runs    # where run folders go ($VARS and ~ expanded)
    sbatch: ["--constraint=a100"]              # extra #SBATCH lines
    preamble: ["module load TensorFlow"]       # shell lines before the worker starts
    array_throttle: 4         # a seed sweep's array job runs at most this many seeds at once

Problems are reported as ``path:line: message``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from tui_tutor.lesson.fields import Fields
from tui_tutor.lesson.loader import SLURM_NAME, SLURM_TIME
from tui_tutor.lesson.model import TrainSpec
from tui_tutor.lesson.yamldoc import YamlProblem, load_yaml
from tui_tutor.progress.paths import data_dir
from tui_tutor.training.worker import make_request

SITE_CONFIG_ENV = "TUI_TUTOR_SITE_CONFIG"
#: Every tutor job's name starts with this; the poller asks squeue for these jobs only.
JOB_PREFIX = "tui-tutor-"
#: Seconds before the time limit at which Slurm sends the job USR1 (it may come up to 60 s early).
SIGNAL_SECONDS = 90
KERAS_BACKENDS = ("tensorflow", "jax", "torch")
SBATCH_TIMEOUT = 30.0
#: Seeds of a sweep that run at once (``--array=...%N``) unless the site config says otherwise.
DEFAULT_ARRAY_THROTTLE = 4


class SlurmError(Exception):
    """A job could not be prepared or submitted; the message is one plain line for the learner."""


# --------------------------------------------------------------------------- the site config
@dataclass(frozen=True)
class SiteConfig:
    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    time: str | None = None
    keras_backend: str | None = None
    runs_dir: Path | None = None
    sbatch: tuple[str, ...] = ()
    preamble: tuple[str, ...] = ()
    array_throttle: int = DEFAULT_ARRAY_THROTTLE
    path: Path | None = None


class SiteConfigError(SlurmError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def site_config_path(explicit: str | Path | None = None) -> Path | None:
    """The site config in use: ``explicit``, ``$TUI_TUTOR_SITE_CONFIG``, or the user config file if it exists."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(SITE_CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    default = Path(platformdirs.user_config_dir("tui-tutor", appauthor=False)) / "site.yaml"
    return default if default.is_file() else None


def _name(f: Fields, key: str) -> str | None:
    value = f.text(key) or None
    if value is not None and not SLURM_NAME.fullmatch(value):
        f.error(f"`{key}: {value}` is not a Slurm name (letters, digits, `_.+-`)", key)
        return None
    return value


def _sbatch_line(f: Fields, index: int, line: str) -> bool:
    if "\n" in line or not line.startswith("-"):
        f.error(f"item {index + 1} of `sbatch` must be one sbatch option such as `--constraint=a100`, got {line!r}",
                "sbatch", index)
        return False
    return True


def parse_site_config(text: str, path: Path) -> SiteConfig:
    """Read a site config's text; raises :class:`SiteConfigError` listing every ``path:line: problem``."""
    try:
        doc = load_yaml(text, 1)
    except YamlProblem as exc:
        raise SiteConfigError([f"{path}:{exc.line}: {exc.message}"]) from None
    errors: list[tuple[int, str]] = []
    f = Fields(doc, (), doc.data if doc.data is not None else {}, "the site config", errors)
    time_limit = f.text("time") or None
    if time_limit is not None and not SLURM_TIME.fullmatch(time_limit):
        f.error(f"`time: {time_limit}` is not a Slurm time limit (minutes, HH:MM:SS or D-HH:MM:SS)", "time")
        time_limit = None
    runs_dir = f.text("runs_dir") or None
    sbatch = f.texts("sbatch")
    config = SiteConfig(
        partition=_name(f, "partition"), account=_name(f, "account"), qos=_name(f, "qos"), time=time_limit,
        keras_backend=f.choice("keras_backend", KERAS_BACKENDS),
        runs_dir=Path(os.path.expandvars(os.path.expanduser(runs_dir))) if runs_dir else None,
        sbatch=tuple(line for i, line in enumerate(sbatch) if _sbatch_line(f, i, line)),
        preamble=f.texts("preamble"),
        array_throttle=f.integer("array_throttle", DEFAULT_ARRAY_THROTTLE, minimum=1, maximum=1000)
        or DEFAULT_ARRAY_THROTTLE, path=path)
    f.check_unknown({"partition", "account", "qos", "time", "keras_backend", "runs_dir", "sbatch", "preamble",
                     "array_throttle"})
    if errors:
        raise SiteConfigError([f"{path}:{line}: {message}" for line, message in sorted(errors)])
    return config


def load_site_config(explicit: str | Path | None = None) -> SiteConfig:
    """The site config (:func:`site_config_path`), or the empty one when there is none."""
    path = site_config_path(explicit)
    if path is None:
        return SiteConfig()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SiteConfigError([f"{path}: cannot read the site config ({exc.strerror or exc})"]) from None
    return parse_site_config(text, path)


# --------------------------------------------------------------------------- the job
@dataclass(frozen=True)
class Job:
    """A prepared (and maybe submitted) job: its run folder and files."""

    run_id: str
    folder: Path
    job_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def spec_file(self) -> Path:
        return self.folder / "spec.json"

    @property
    def script(self) -> Path:
        return self.folder / "job.sh"

    @property
    def events_file(self) -> Path:
        return self.folder / "events.jsonl"

    @property
    def output_file(self) -> Path:
        return self.folder / "slurm.out"

    def task_events(self, task: int) -> Path:
        """A sweep's task ``task`` writes its events here."""
        return self.folder / f"events-{task}.jsonl"

    def task_output(self, task: int) -> Path:
        return self.folder / f"slurm-{task}.out"

    @property
    def name(self) -> str:
        return JOB_PREFIX + self.run_id

    @property
    def stop_marker(self) -> Path:
        return self.folder / "stop-requested"


def new_run_id(spec: TrainSpec) -> str:
    """``<train id>-<UTC time>-<4 hex>``, safe in a job name and a folder name."""
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", spec.id)[:40].strip("-") or "run"
    return f"{base}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{secrets.token_hex(2)}"


def runs_folder(site: SiteConfig, override: str | Path | None = None) -> Path:
    if override is not None:
        return Path(override)
    if site.runs_dir is not None:
        return site.runs_dir
    return data_dir() / "runs"


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[2])


def job_script(job: Job, spec: TrainSpec, site: SiteConfig, *, keras_backend: str | None = None,
               threads: int | None = None, signal_seconds: int = SIGNAL_SECONDS,
               python: str | None = None, array: int | None = None) -> str:
    """The batch script's text; with ``array`` (a sweep's seed count), an array job of that many tasks."""
    res = spec.resources
    output = job.folder / ("slurm-%a.out" if array else "slurm.out")
    options = [f"--job-name={job.name}", f"--output={output}", "--open-mode=append",
               f"--chdir={job.folder}", f"--signal=B:USR1@{signal_seconds}"]
    if array:
        options.append(f"--array=0-{array - 1}%{site.array_throttle}")
    partition = res.partition or site.partition
    time_limit = res.time or site.time
    for key, value in (("partition", partition), ("account", site.account), ("qos", site.qos),
                       ("time", time_limit), ("cpus-per-task", res.cpus), ("gpus", res.gpus)):
        if value is not None and value != 0:
            options.append(f"--{key}={value}")
    options.extend(site.sbatch)
    backend = keras_backend or site.keras_backend
    # as many threads as CPUs the job asked for (Slurm's default is one): on a cluster that
    # pins a job to its CPUs, more threads than CPUs only contend
    cpus = threads or res.cpus or 1
    lines = ["#!/bin/bash", *(f"#SBATCH {option}" for option in options),
             "# Written by tui-tutor: one training run; its events go to events.jsonl in this folder.",
             *site.preamble,
             f"export PYTHONPATH={shlex.quote(_package_root())}${{PYTHONPATH:+:$PYTHONPATH}}",
             "export PYTHONUNBUFFERED=1"]
    if backend:
        lines.append(f"export KERAS_BACKEND={shlex.quote(backend)}")
    if array:
        target = (f'--array-task "$SLURM_ARRAY_TASK_ID" '
                  f'--out {shlex.quote(str(job.folder))}/events-"$SLURM_ARRAY_TASK_ID".jsonl')
    else:
        target = f"--out {shlex.quote(str(job.events_file))}"
    lines.append(f"exec {shlex.quote(python or sys.executable)} -u -m tui_tutor.training.worker --threads {cpus} "
                 f"--run {shlex.quote(str(job.spec_file))} {target}")
    return "\n".join(lines) + "\n"


def prepare_job(spec: TrainSpec, overrides: dict[str, Any] | None = None, *, site: SiteConfig | None = None,
                runs_dir: str | Path | None = None, run_id: str | None = None, max_seconds: float | None = None,
                keras_backend: str | None = None, signal_seconds: int = SIGNAL_SECONDS,
                seeds: list[int] | None = None) -> Job:
    """Write the run folder (``spec.json``, ``job.sh``); raises :class:`SlurmError` if it cannot be made.

    With ``seeds``, a sweep: one array task per seed (``spec.json`` lists them as ``sweep_seeds``)."""
    site = site or SiteConfig()
    run_id = run_id or new_run_id(spec)
    folder = runs_folder(site, runs_dir).expanduser().absolute() / run_id
    try:
        folder.mkdir(parents=True, exist_ok=False)
    except OSError as exc:  # a job with a missing --output folder fails with no log at all: check first
        raise SlurmError(f"cannot create the run folder {folder} ({exc.strerror or exc})") from None
    job = Job(run_id=run_id, folder=folder)
    request = make_request(spec, overrides, max_seconds=max_seconds)
    request["run_id"] = run_id
    if seeds:
        request["sweep_seeds"] = list(seeds)
    job.spec_file.write_text(json.dumps(request, indent=1) + "\n", encoding="utf-8")
    job.script.write_text(job_script(job, spec, site, keras_backend=keras_backend, signal_seconds=signal_seconds,
                                     array=len(seeds) if seeds else None), encoding="utf-8")
    if not seeds:
        job.events_file.touch()
    return job


def sbatch_available() -> bool:
    return shutil.which("sbatch") is not None


def submit(job: Job, *extra: str, timeout: float = SBATCH_TIMEOUT) -> Job:
    """``sbatch --parsable job.sh`` (``extra`` options first, e.g. ``--hold``); the job with its id."""
    command = ["sbatch", "--parsable", *extra, str(job.script)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False,
                              cwd=job.folder, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise SlurmError("sbatch was not found: this machine has no Slurm") from None
    except subprocess.TimeoutExpired:
        raise SlurmError(f"sbatch did not answer within {timeout:.0f} s (the scheduler is busy); "
                         "the job may or may not have been submitted: see `tui-tutor jobs`") from None
    if done.returncode != 0:
        message = (done.stderr.strip() or done.stdout.strip() or f"exit status {done.returncode}").splitlines()[-1]
        raise SlurmError(f"sbatch refused the job: {message}")
    job_id = done.stdout.strip().split(";")[0]
    if not job_id.isdigit():
        raise SlurmError(f"sbatch answered {done.stdout.strip()!r}, not a job id")
    (job.folder / "job-id").write_text(job_id + "\n", encoding="utf-8")
    return Job(run_id=job.run_id, folder=job.folder, job_id=job_id, extra=job.extra)


# --------------------------------------------------------------------------- jobs outlive the tutor
TUTOR_FILE = "tutor.json"
STORED_FILE = "stored"


def write_tutor_info(job: Job, info: dict[str, Any]) -> None:
    """What the tutor needs to show the run again after a restart (train id, settings, number)."""
    (job.folder / TUTOR_FILE).write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")


def remember_run(job: Job, train_id: str, number: int, settings: dict[str, Any], started: float | None, *,
                 sweep: bool = False) -> None:
    """`write_tutor_info` for a run (or a seed sweep) of the training view: what a later tutor
    needs to show it again and store it under its number."""
    write_tutor_info(job, {"train_id": train_id, "number": number, "settings": settings, "started": started,
                           **({"sweep": True} if sweep else {})})


def read_tutor_info(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / TUTOR_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def unstored_jobs(runs_dir: Path, train_id: str, known_run_ids: set[str] | frozenset[str] = frozenset(), *,
                  sweep: bool = False) -> list[Job]:
    """Submitted jobs of ``train_id`` in ``runs_dir`` whose run is not stored yet, oldest first:
    single runs, or with ``sweep`` the array jobs of seed sweeps.

    A run folder counts when it has a ``job-id`` and a ``tutor.json`` naming ``train_id`` (and
    the kind asked for), and neither a ``stored`` marker nor a run id in ``known_run_ids``
    (runs already in the store).
    """
    found: list[tuple[float, Job]] = []
    try:
        folders = list(runs_dir.iterdir())
    except OSError:
        return []
    for folder in folders:
        id_file = folder / "job-id"
        if folder.name in known_run_ids or (folder / STORED_FILE).exists() or not id_file.is_file():
            continue
        info = read_tutor_info(folder)
        if info.get("train_id") != train_id or bool(info.get("sweep")) != sweep:
            continue
        try:
            job_id = id_file.read_text(encoding="utf-8").strip()
            mtime = id_file.stat().st_mtime
        except OSError:
            continue
        if job_id.isdigit():
            found.append((mtime, Job(run_id=folder.name, folder=folder, job_id=job_id, extra=info)))
    return [job for _, job in sorted(found, key=lambda pair: pair[0])]


def claim_store(folder: Path) -> bool:
    """Atomically claim the right to store this run (``O_EXCL`` on ``stored``): True once, for one tutor."""
    try:
        fd = os.open(folder / STORED_FILE, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    except OSError:
        return True  # an unwritable folder: store it (the store's run-id check still guards)
    os.close(fd)
    return True
