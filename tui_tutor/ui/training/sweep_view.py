"""The seed-sweep view: one setting trained over many seeds, the outcomes filling in live.

A `train` block with `sweep:` gets this view instead of the single-run one. `t` runs the
sweep (a Slurm array job where the block says `target: slurm` and `sbatch` is found, else
one seed after another in the warm worker), `S` sends it to Slurm, `x` stops it. As seeds
end, a histogram of final losses and a grid of seeds (solved or not, with their final
loss) fill in; the redraw timer runs at most twice a second and only while a sweep is
going. The sweep is kept as a run record (`RunRecord.sweep`), so coming back or restarting
shows it again, and questions with `run:` on this block are graded against its counts.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from tui_tutor.lesson.model import TrainSpec
from tui_tutor.training.events import Event
from tui_tutor.training.records import RunRecord
from tui_tutor.training.settings import initial_values, overrides, settings_for, show
from tui_tutor.training.sweep import StartSweep, SweepRun, SweepTally, loss_histogram, seed_grid
from tui_tutor.ui.progress_line import ProgressLine
from tui_tutor.ui.training.settings_line import SettingsLine
from tui_tutor.ui.training.view import REDRAW_HZ, TrainView, claim_job_store, save_run

#: Columns of the histogram's bars at most (the view has 72 in an 80-column terminal).
HISTOGRAM_WIDTH = 56


class SweepView(Vertical, can_focus=True):
    HELP_TITLE = "Seed sweep"
    BINDINGS = [
        Binding("t", "sweep", "Run sweep"),
        Binding("x", "stop", "Stop"),
        Binding("left", "select(-1)", "Prev setting", show=False),
        Binding("right", "select(1)", "Next setting", show=False),
        Binding("minus", "change(-1)", "Less", key_display="-"),
        Binding("plus,equals_sign", "change(1)", "More", key_display="+"),
        Binding("S", "sweep_slurm", "Sweep on Slurm", show=False),
    ]

    @dataclass
    class SeedEvent(Message):
        """One seed's training event, posted from the sweep's thread."""

        seed: int
        event: Event

    @dataclass
    class SweepEnded(Message):
        """The sweep's thread is done (every seed ended, or it was stopped or detached)."""

        tally: SweepTally
        #: The Slurm job's run folder (None for a sweep on this machine): stored by one tutor only.
        folder: Path | None = None

    def __init__(self, spec: TrainSpec, *, threads: int = 2, max_seconds: float | None = 600,
                 start_sweep: StartSweep | None = None, saved_runs: Sequence[RunRecord] = (),
                 persist: Callable[[RunRecord], object] | None = None) -> None:
        super().__init__(classes="train-view sweep-view")
        self.spec = spec
        self.threads = threads
        self.max_seconds = max_seconds
        #: Where sweeps run; None: the warm worker, or Slurm (`S`, or `target: slurm`).
        self.start_sweep = start_sweep
        self.runs: list[RunRecord] = [r for r in saved_runs if r.sweep is not None]
        self.persist = persist
        self.values = initial_values(spec)
        if self.runs:
            self.values.update({k: v for k, v in self.runs[-1].settings.items() if k in self.values})
        self._sweep: SweepRun | None = None
        self._slurm_next = False
        self._dirty = False
        self._timer: Timer | None = None
        seeds = spec.sweep.seeds if spec.sweep else 1
        self.border_title = f"Seed sweep: {spec.id} ({seeds} seeds)"

    def compose(self) -> ComposeResult:
        # every setting but the seed, which the sweep itself chooses
        settings = tuple(setting for setting in settings_for(self.spec) if setting.key != "seed")
        yield SettingsLine(settings, self.values, "left/right choose, -/+ change, t sweep, x stop")
        yield Static(self._idle_hint(), classes="train-status", markup=False)
        yield ProgressLine(classes="train-progress")
        for part in ("sweep-histogram", "sweep-grid", "train-runs"):  # shown once they have lines
            static = Static("", classes=part, markup=False)
            static.display = False
            yield static

    def on_mount(self) -> None:
        self._timer = self.set_interval(1 / REDRAW_HZ, self._flush, pause=True)
        if self.runs:
            last = self.runs[-1]
            self._draw(last)
            assert last.sweep is not None
            self._set_status(f"Sweep {last.number} {last.outcome}: {last.sweep.summary()}. Press t to sweep again.")
        self._reattach()

    def _idle_hint(self) -> str:
        seeds = self.spec.sweep.seeds if self.spec.sweep else 1
        return f"Press t to train this setting with seeds 1 to {seeds}."

    # -- settings ----------------------------------------------------------------------
    def action_select(self, direction: int) -> None:
        self.query_one(SettingsLine).select(direction)

    def action_change(self, direction: int) -> None:
        self.query_one(SettingsLine).change(direction)

    # -- running -----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._sweep is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "sweep_slurm":
            return shutil.which("sbatch") is not None
        return True

    def action_sweep_slurm(self) -> None:
        if shutil.which("sbatch") is None:
            self._set_status("Slurm's sbatch is not on PATH here: press t to run the sweep on this machine.")
            return
        self._slurm_next = True
        self.action_sweep()

    def action_sweep(self) -> None:
        """Start a sweep with the current settings (one going is stopped first)."""
        if self._sweep is not None:
            self._sweep.stop()
        number = max((r.number for r in self.runs), default=0) + 1
        record = RunRecord(number=number, settings=dict(self.values), train_id=self.spec.id,
                           overrides=overrides(self.spec, self.values), started=time.time(),
                           sweep=SweepTally.for_spec(self.spec))
        self.runs.append(record)
        self._set_status(f"Sweep {number}: starting...")
        self._draw(record)
        if self._timer is not None:
            self._timer.resume()
        self._run_sweep(record)

    def _source(self, record: RunRecord, attach: Any = None) -> StartSweep | None:
        slurm = attach is not None or self._slurm_next or (
            self.start_sweep is None and self.spec.target == "slurm" and shutil.which("sbatch") is not None)
        self._slurm_next = False
        if not slurm:
            if self.start_sweep is not None:
                return self.start_sweep
            from tui_tutor.training.sources import default_runs
            from tui_tutor.training.sweep import local_sweeps

            return local_sweeps(default_runs(threads=self.threads, max_seconds=self.max_seconds))
        from tui_tutor.slurm.job import Job, SlurmError, load_site_config, remember_run
        from tui_tutor.slurm.sweep import SlurmSweep, slurm_sweeps

        try:
            site = load_site_config()
        except SlurmError as exc:
            self.app.call_from_thread(self._set_status, f"Slurm site config: {str(exc).splitlines()[0]}")
            return None

        def status(text: str) -> None:
            self.app.call_from_thread(self._set_status, text)

        def remember(job: Job) -> None:
            record.slurm_job, record.run_id = job.job_id or "", job.run_id
            remember_run(job, self.spec.id, record.number, record.settings, record.started, sweep=True)

        if isinstance(attach, Job):
            job = attach
            return lambda spec, _overrides, emit: SlurmSweep.attach(job, spec, emit, site=site, on_status=status)
        return slurm_sweeps(site=site, on_status=status, on_job=remember, max_seconds=self.max_seconds)

    @work(thread=True, exclusive=True, group="sweep", exit_on_error=False)
    def _run_sweep(self, record: RunRecord, attach: Any = None) -> None:
        start = self._source(record, attach)
        if start is None:
            return

        def emit(seed: int, event: Event) -> None:
            self.post_message(self.SeedEvent(seed, event))

        sweep = start(self.spec, overrides(self.spec, record.settings), emit)
        self._sweep = sweep
        switch = sys.getswitchinterval()
        sys.setswitchinterval(0.001)  # keys stay prompt while the worker thread parses events
        try:
            tally = sweep.run()
        finally:
            sys.setswitchinterval(switch)
            if self._sweep is sweep:
                self._sweep = None
        self.post_message(self.SweepEnded(tally, getattr(getattr(sweep, "job", None), "folder", None)))

    def action_stop(self) -> None:
        if self._sweep is not None:
            self._sweep.stop()
            self._set_status("Stopping the sweep: the seed now training stops after this batch...")
        else:
            self.notify("No sweep is going. Press t to run one.")

    def on_unmount(self) -> None:
        sweep = self._sweep
        detach = getattr(sweep, "detach", None)
        if callable(detach):
            detach()  # a Slurm array job goes on; the next visit re-attaches and stores it
        elif sweep is not None:
            sweep.stop()

    # -- events --------------------------------------------------------------------------
    def on_sweep_view_seed_event(self, message: SweepView.SeedEvent) -> None:
        message.stop()
        record = self.runs[-1] if self.runs else None
        if record is not None and record.sweep is not None and record.outcome == "running":
            record.sweep.observe(message.seed, message.event)
            self._dirty = True

    def on_sweep_view_sweep_ended(self, message: SweepView.SweepEnded) -> None:
        message.stop()
        record = self.runs[-1] if self.runs else None
        if record is None or record.sweep is None or record.outcome != "running":
            return
        if self._timer is not None:
            self._timer.pause()
        for seed, outcome in message.tally.outcomes.items():  # seeds the scheduler ended
            if not record.sweep.outcomes[seed].ended and outcome.ended:
                record.sweep.outcomes[seed] = outcome
        if not record.sweep.finished:
            self._set_status(f"Sweep {record.number} left running on Slurm (job {record.slurm_job}): "
                             "come back to this step to follow it.")
            return
        record.outcome = record.sweep.outcome
        record.ended = time.time()
        self._draw(record)
        self._set_status(f"Sweep {record.number} {record.outcome}: {record.sweep.summary()}.")
        if claim_job_store(message.folder):  # a Slurm sweep is stored by one tutor only
            save_run(self, self.persist, record, "sweep")
        self.post_message(TrainView.RunEnded(self, record))

    def _reattach(self) -> None:
        """An array job of this block submitted earlier and not stored yet: follow it again."""
        if self.running or shutil.which("sbatch") is None:
            return
        try:
            from tui_tutor.slurm.job import load_site_config, runs_folder, unstored_jobs

            jobs = unstored_jobs(runs_folder(load_site_config()), self.spec.id,
                                 {r.run_id for r in self.runs if r.run_id}, sweep=True)
        except Exception:  # noqa: BLE001 - a broken site config or runs folder must not break the view
            return
        if not jobs:
            return
        job = jobs[-1]
        settings = job.extra.get("settings")
        number = max((r.number for r in self.runs), default=0) + 1
        record = RunRecord(number=number, settings=dict(settings) if isinstance(settings, dict) else dict(self.values),
                           train_id=self.spec.id, run_id=job.run_id, slurm_job=job.job_id or "",
                           started=time.time(), sweep=SweepTally.for_spec(self.spec))
        record.overrides = overrides(self.spec, record.settings)
        self.runs.append(record)
        self._set_status(f"Re-attaching to Slurm array job {job.job_id} (sweep {number}, submitted earlier)...")
        if self._timer is not None:
            self._timer.resume()
        self._run_sweep(record, job)

    # -- drawing ---------------------------------------------------------------------------
    def _set_status(self, text: str) -> None:
        self.query_one(".train-status", Static).update(text)

    def _flush(self) -> None:
        if not self._dirty or not self.runs:
            return
        self._dirty = False
        record = self.runs[-1]
        sweep = self._sweep
        if record.sweep is not None and sweep is not None:
            for seed, outcome in sweep.tally.outcomes.items():  # queued/running, as the scheduler says
                mine = record.sweep.outcomes.get(seed)
                if mine is not None and not mine.ended and not outcome.ended and mine.state != outcome.state:
                    mine.state = outcome.state
        self._draw(record)
        if record.sweep is not None and record.outcome == "running" and not record.slurm_job:
            # (a Slurm sweep's status line comes from its follower: the counts and why seeds wait)
            self._set_status(f"Sweep {record.number}: {record.sweep.summary()}")

    def _draw(self, record: RunRecord) -> None:
        tally = record.sweep
        if tally is None:
            return
        ascii_mode = bool(getattr(self.app, "ascii_mode", False))
        width = max(20, (self.content_size.width or 72))
        self.query_one(".train-progress", ProgressLine).set(tally.done, len(tally.seeds),
                                                            f"{tally.done}/{len(tally.seeds)} seeds")
        histogram = loss_histogram(tally, min(width, HISTOGRAM_WIDTH + 12), ascii=ascii_mode)
        self._show(".sweep-histogram", ["Final training loss of the finished seeds (how many in each range):",
                                        *histogram] if histogram else [])
        yes, no = ("+", "x") if ascii_mode else ("✓", "✗")
        legend = (f"Each seed: {yes} solved, {no} not, then its final loss." if tally.solved_loss is not None
                  else "Each seed and its final loss.")
        self._show(".sweep-grid", [legend, *seed_grid(tally, width, ascii=ascii_mode)])
        earlier = [r for r in self.runs[:-1] if r.sweep is not None][-3:]
        lines = [f"sweep {r.number}: {_setting_words(r.settings)}: {r.sweep.summary()}" for r in earlier
                 if r.sweep is not None]
        self._show(".train-runs", ["Earlier sweeps:", *lines] if lines else [])

    def _show(self, selector: str, lines: list[str]) -> None:
        """Fill a part of the view; an empty part takes no line at all."""
        part = self.query_one(selector, Static)
        part.update("\n".join(lines))
        part.display = bool(lines)

    def on_resize(self) -> None:
        if self.runs:
            self._draw(self.runs[-1])


def _setting_words(settings: dict[str, Any]) -> str:
    return (f"{settings.get('hidden_units', '-')} units {settings.get('hidden_activation', '-')}, "
            f"lr {show(settings['learning_rate']) if 'learning_rate' in settings else '-'}")
