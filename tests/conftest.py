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
