import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def lessons_dir() -> Path:
    return ROOT / "lessons"


@pytest.fixture
def sample_dir() -> Path:
    return ROOT / "tests" / "data" / "sample"


def pytest_collection_modifyitems(config, items):
    """Tests marked `tf` run last, in their own order, on every xdist worker and with `-n 0`.

    They import TensorFlow into the test process, which cannot unload it: a test that checks
    that *this* process never imports TensorFlow (tests/test_worker.py) must run before any of
    them in the same process. xdist (`--dist loadgroup`) hands each worker its tests in
    collection order, groups first, so keep `tf` tests out of `xdist_group`s.
    """
    grouped = [item.nodeid for item in items if item.get_closest_marker("tf") and item.get_closest_marker("xdist_group")]
    if grouped:
        raise pytest.UsageError(f"a test marked tf in an xdist_group would run first on its worker: {grouped[0]}")
    items[:] = sorted(items, key=lambda item: item.get_closest_marker("tf") is not None)


@pytest.fixture(scope="session", autouse=True)
def _no_training_worker_outlives_the_tests():
    """End the shared training worker when this test process is done with its tests: a test
    whose app did not end it leaves no worker process behind (nor one busy importing)."""
    yield
    worker = sys.modules.get("tui_tutor.training.worker")
    if worker is not None:
        worker.shutdown()


@pytest.fixture(autouse=True)
def _tensorflow_only_when_marked(request):
    """Keep the `tf` marker honest: `-m "not tf"` must skip every test that loads TensorFlow."""
    loaded_before = "tensorflow" in sys.modules
    yield
    if not loaded_before and "tensorflow" in sys.modules and request.node.get_closest_marker("tf") is None:
        pytest.fail("this test imported TensorFlow: mark it @pytest.mark.tf (see tests/README.md)", pytrace=False)


@pytest.fixture(autouse=True)
def _isolated_data(tmp_path, monkeypatch):
    """Never touch the developer's real progress nor cache: every test gets its own data folder,
    and its own cache folder (the parsed-lesson cache and the fallback log live in the user cache
    folder, which platformdirs takes from XDG_CACHE_HOME; apps started as subprocesses inherit it)."""
    monkeypatch.setenv("TUI_TUTOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TUI_TUTOR_LEARNER", "tester")
