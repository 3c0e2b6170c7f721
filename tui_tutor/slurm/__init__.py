"""Heavy training handed to Slurm, and followed live (issue 16).

* :mod:`tui_tutor.slurm.job`: the site config, the run folder (``spec.json``, ``job.sh``) and
  ``sbatch``; the job runs ``python -m tui_tutor.training.worker --run spec.json --out events.jsonl``.
* :mod:`tui_tutor.slurm.follow`: the events file followed by re-opening it on each poll, one
  ``squeue`` for all of the learner's tutor jobs with backoff, pending reasons in plain words,
  and :func:`~tui_tutor.slurm.follow.slurm_runs`, a run source (``StartRun``) like the local one.

UI-free: nothing here imports Textual or TensorFlow.
"""
