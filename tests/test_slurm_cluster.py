"""The test cluster itself: a job submitted to it runs and ends COMPLETED."""

import time

import pytest
from slurm_cluster import slurm_cluster  # noqa: F401 - the fixture

pytestmark = [pytest.mark.slurm, pytest.mark.xdist_group("slurm")]


def test_a_job_runs_to_completion(slurm_cluster, tmp_path):  # noqa: F811
    out = tmp_path / "hello.out"
    done = slurm_cluster.run("sbatch", "--parsable", f"--output={out}", "--wrap", "echo hello")
    assert done.returncode == 0, done.stderr
    job = done.stdout.strip().split(";")[0]
    deadline = time.monotonic() + 30
    state = ""
    while time.monotonic() < deadline:
        state = slurm_cluster.run("squeue", "--states=all", "-h", "-j", job, "-o", "%T").stdout.strip()
        if state == "COMPLETED":
            break
        time.sleep(0.3)
    assert state == "COMPLETED"
    assert out.read_text().strip() == "hello"
