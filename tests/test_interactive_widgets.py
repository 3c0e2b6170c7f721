"""The interactive lesson widgets, driven from the keyboard in a tiny host app."""

from __future__ import annotations


import pytest
from textual.app import App, ComposeResult
from textual.widgets import Footer

from screen_text import screen_text
from tui_tutor.ui.widgets.interactive import CSS_FILE, WIDGETS, check_options, make_widget, widget_class
from tui_tutor.ui.widgets.interactive.base import InteractiveWidget


class Host(App):
    """Shows one widget; `ascii_mode` as the tutor's App has it."""

    CSS_PATH = [CSS_FILE]
    AUTO_FOCUS = "InteractiveWidget"

    def __init__(self, name: str, options: dict | None = None, *, ascii_mode: bool = False, footer: bool = True):
        super().__init__()
        self.widget_name, self.widget_options = name, options or {}
        self.ascii_mode = ascii_mode
        self.footer = footer

    def compose(self) -> ComposeResult:
        yield make_widget(self.widget_name, self.widget_options)
        if self.footer:
            yield Footer()


def shown(app: App) -> str:
    """The widget's text as the learner reads it."""
    return app.query_one(InteractiveWidget).render().plain


# -- registry ------------------------------------------------------------------------
def test_registry_names_match_the_lesson_format():
    from tui_tutor.lesson.loader import WIDGETS as LESSON_WIDGETS

    assert set(WIDGETS) == set(LESSON_WIDGETS)
    for name in WIDGETS:
        cls = widget_class(name)
        assert issubclass(cls, InteractiveWidget) and cls.can_focus
        assert cls.BINDINGS and all(b.show and b.description for b in cls.BINDINGS)


def test_check_options_reports_bad_options():
    assert check_options("neuron-explorer", {"inputs": [1, 2], "weights": [0.5, -1], "bias": 0}) == []
    problems = check_options("neuron-explorer", {"weights": [1], "activation": "softmax", "colour": 1})
    assert len(problems) == 3
    assert check_options("huber-plot", {"delta": 9})
    assert check_options("nope", {})


async def test_bad_options_fall_back_to_defaults_and_are_shown():
    app = Host("neuron-explorer", {"bias": "one"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "relu(0.5) = 0.5" in shown(app)
        assert "lesson option ignored: option 'bias'" in shown(app)


# -- neuron-explorer -----------------------------------------------------------------
async def test_neuron_explorer_shows_the_episode_steps_and_reacts_to_keys():
    app = Host("neuron-explorer")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = shown(app)
        # The defaults are not lesson 1's exercise (inputs 0, 0.5, 1): no answer shown early.
        assert "relu(1.25)" not in text
        assert "x2*w2 = 2*(-0.5) = -1" in text
        assert "weighted sum  = 0.5 + (-1) + 0.5 = 0" in text
        assert "+ bias        = 0 + 0.5 = 0.5" in text
        assert "relu(0.5) = 0.5" in text

        await pilot.press("down", "down", "down", "plus")  # w1: 0.5 -> 1
        assert "w1 = [1]" in shown(app)
        assert "weighted sum  = 1 + (-1) + 0.5 = 0.5" in shown(app)

        await pilot.press("down", "down", "right")  # w3: 1 -> 1.5
        text = shown(app)
        assert "weighted sum  = 1 + (-1) + 0.75 = 0.75" in text
        assert "+ bias        = 0.75 + 0.5 = 1.25" in text
        assert "relu(1.25) = 1.25" in text

        await pilot.press("a")
        assert "sigmoid(1.25) = 0.7773" in shown(app)

        await pilot.press("r")
        assert "relu(0.5) = 0.5" in shown(app)


async def test_neuron_explorer_bias_fine_steps_and_activation_row():
    app = Host("neuron-explorer")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("up", "up")  # wraps round to the bias row
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        text = shown(app)
        assert "b  = [0.2]" in text
        assert "+ bias        = 0 + 0.2 = 0.2" in text
        await pilot.press("minus", "minus")
        assert "0 + (-0.8) = -0.8" in shown(app)
        assert "relu(-0.8) = 0" in shown(app)
        await pilot.press("down", "plus")  # activation row: + cycles it
        assert "sigmoid(-0.8) = 0.31" in shown(app)


# -- activation-plot -----------------------------------------------------------------
async def test_activation_plot_switches_function_and_formula():
    app = Host("activation-plot")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "f(x) = 1 / (1 + e^-x)" in shown(app)
        await pilot.press("2")
        assert "relu: f(x) = max(0, x)" in shown(app)
        await pilot.press("right")
        assert "linear: f(x) = x" in shown(app)
        await pilot.press("4")  # only three functions: nothing happens
        assert "linear: f(x) = x" in shown(app)
        await pilot.press("right")
        assert "sigmoid:" in shown(app)


async def test_activation_plot_takes_its_functions_from_options():
    app = Host("activation-plot", {"functions": ["tanh", "relu"]})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "[1 tanh]" in shown(app)
        await pilot.press("2")
        assert "[2 relu]" in shown(app)


# -- xor-network ---------------------------------------------------------------------
async def test_xor_network_hides_its_values_before_the_exercise():
    app = Host("xor-network", {"values": False})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = shown(app)
        assert "h1 = ?" in text and "y  = ?" in text and "b=-1 relu" in text
        assert "XOR" not in text and " x1 x2 | h1 h2 | y" not in text
        await pilot.press("1", "2")
        assert "y  = ?" in shown(app)


async def test_xor_network_shows_no_table_and_no_name_by_default():
    app = Host("xor-network")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = shown(app)
        assert "XOR" not in text and " x1 x2 | h1 h2 | y" not in text
        assert "output y = 0 for x1 = 0, x2 = 0" in text


async def test_xor_network_toggles_inputs_and_highlights_the_row():
    app = Host("xor-network", {"table": True})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "output y = 0 for x1 = 0, x2 = 0" in shown(app)
        await pilot.press("1")
        text = shown(app)
        assert "output y = 1 for x1 = 1, x2 = 0" in text
        assert "h1 = relu(1*1 + 1*0 + 0) = 1" in text
        assert ">" + " 1  0 |  1  0 | 1" in text
        await pilot.press("2")
        text = shown(app)
        assert "output y = 0 for x1 = 1, x2 = 1" in text
        assert "h2 = relu(1*1 + 1*1 - 1) = 1" in text
        assert "y  = relu(1*2 - 2*1 + 0) = 0" in text
        assert ">" + " 1  1 |  2  1 | 0" in text
        assert "┌" in text  # box drawing when the terminal is UTF-8


# -- huber-plot ----------------------------------------------------------------------
async def test_huber_plot_cursor_and_delta():
    app = Host("huber-plot")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "delta = 1   error e = 2   squared error e^2 = 4   e^2/2 = 2" in shown(app)
        assert "Huber loss = 1.5" in shown(app)
        await pilot.press("left", "left", "left", "left", "left", "left")
        assert "error e = 0.5" in shown(app) and "Huber loss = 0.125" in shown(app)
        await pilot.press("right", "right", "right", "right", "right", "right", "right")
        assert "Huber loss = 1.75" in shown(app)  # e = 2.25
        await pilot.press("minus")
        assert "delta = 0.75" in shown(app) and "Huber loss = 1.40625" in shown(app)
        await pilot.press(*["minus"] * 6)
        assert "delta = 0.25" in shown(app)
        await pilot.press(*["plus"] * 20)
        assert "delta = 3" in shown(app) and "|e| <= delta" in shown(app)
        await pilot.press("r")
        assert "Huber loss = 1.5" in shown(app)


# -- install-check -------------------------------------------------------------------
# The install check asks the training worker: tests/test_worker.py drives it for real. Here
# the worker's answer is stood in for, to look at the lesson data lines (the files' check
# itself: tests/test_shipped_data.py).
VERSIONS = {"tensorflow": "2.99.0", "keras": "3.99.0", "numpy": "2.99.0"}
DATA_LINES = ["  penguins         344 rows", "  seattle weather  1461 rows", "  digits           1797 rows"]


async def _install_check_text(app, pilot) -> str:
    await app.workers.wait_for_complete()
    await pilot.pause()
    return shown(app)


async def test_install_check_lists_the_lesson_data_files(monkeypatch):
    from tui_tutor.ui.widgets.interactive import install_check

    monkeypatch.setattr(install_check, "read_versions", lambda: dict(VERSIONS))
    app = Host("install-check")
    async with app.run_test(size=(80, 24)) as pilot:
        lines = (await _install_check_text(app, pilot)).splitlines()
        assert lines[:4] == ["Your installation can run the training steps:", "  tensorflow  2.99.0",
                             "  keras       3.99.0", "  numpy       2.99.0"]
        assert lines[4:8] == ["The lesson data files are all there:", *DATA_LINES]
        assert lines[8].startswith("(checked in ") and len(lines) == 9
        assert not app.query_one(InteractiveWidget).has_class("-failed")


async def test_install_check_shows_the_data_while_tensorflow_loads(monkeypatch):
    import threading

    from tui_tutor.ui.widgets.interactive import install_check

    loaded = threading.Event()
    monkeypatch.setattr(install_check, "read_versions", lambda: (loaded.wait(10), dict(VERSIONS))[1])
    app = Host("install-check")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            if app.query_one(InteractiveWidget).data is not None:
                break
        await pilot.pause()
        lines = shown(app).splitlines()
        assert lines[0].startswith("Checking your installation") and lines[-3:] == DATA_LINES
        loaded.set()
        assert "Your installation can run the training steps:" in await _install_check_text(app, pilot)


async def test_install_check_explains_a_missing_or_damaged_data_file(tmp_path, monkeypatch):
    from tui_tutor.training import datasets
    from tui_tutor.ui.widgets.interactive import install_check

    monkeypatch.setattr(install_check, "read_versions", lambda: dict(VERSIONS))
    gone = tmp_path / "penguins.csv"
    monkeypatch.setattr(datasets, "penguins_csv", lambda: gone)
    short = tmp_path / "seattle-weather.csv"
    short.write_text("".join(datasets.DATA_DIR.joinpath("seattle-weather.csv").read_text().splitlines(True)[:11]))
    monkeypatch.setattr(datasets, "weather_csv", lambda: short)
    app = Host("install-check")
    async with app.run_test(size=(80, 24)) as pilot:
        text = await _install_check_text(app, pilot)
        assert "Your installation can run the training steps:" in text
        assert "A lesson data file is missing or damaged:" in text
        assert "  penguins         missing" in text and "  seattle weather  damaged" in text
        assert DATA_LINES[2] in text
        # each problem is one sentence, wrapped below its file's line (a long path may be split)
        sentences = "".join("".join(line.split()) for line in text.splitlines() if line.startswith("    "))
        assert "".join(f"The file {gone} is missing: reinstall the tutor".split()) in sentences
        assert "".join("holds 10 rows instead of 1461, so it is damaged: reinstall the tutor".split()) in sentences
        widget = app.query_one(InteractiveWidget)
        assert widget.has_class("-failed")
        assert max(len(line) for line in text.splitlines()) <= widget.content_size.width


async def test_install_check_without_tensorflow_still_lists_numpy_and_the_data(monkeypatch):
    from tui_tutor.ui.widgets.interactive import install_check

    def no_tensorflow():
        raise install_check.VersionsUnavailable("tensorflow is not installed: pip install tensorflow")

    monkeypatch.setattr(install_check, "read_versions", no_tensorflow)
    app = Host("install-check")
    async with app.run_test(size=(80, 24)) as pilot:
        lines = (await _install_check_text(app, pilot)).splitlines()
        assert lines[0] == "TensorFlow could not be loaded." and "pip install tensorflow" in lines[1]
        assert any(line.startswith("  numpy       ") for line in lines)
        assert "The lesson data files are all there:" in lines and lines[-4:-1] == DATA_LINES


# -- every widget: ASCII mode, small terminals, idle ---------------------------------
KEYS = ["down", "plus", "right", "left", "minus", "1", "2", "a", "r"]


@pytest.mark.parametrize("name", sorted(WIDGETS))
async def test_ascii_mode_renders_nothing_outside_ascii(name):
    app = Host(name, ascii_mode=True, footer=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press(*KEYS)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert shown(app).isascii()
        screen = screen_text(app)
        assert screen.isascii(), sorted({c for c in screen if not c.isascii()})


@pytest.mark.parametrize("name", sorted(WIDGETS))
async def test_small_terminal_does_not_crash(name):
    app = Host(name)
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.press(*KEYS)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert shown(app)


@pytest.mark.parametrize("name", sorted(WIDGETS))
async def test_fits_80_columns(name):
    app = Host(name)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        widget = app.query_one(InteractiveWidget)
        assert max(len(line) for line in shown(app).splitlines()) <= widget.content_size.width
        assert widget.region.height <= 22  # room for the lesson's header and footer


async def test_idle_widget_does_not_redraw():
    app = Host("neuron-explorer")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        widget = app.query_one(InteractiveWidget)
        calls = []
        original = widget.render_text
        widget.render_text = lambda: (calls.append(1), original())[1]  # type: ignore[method-assign]
        await pilot.pause(0.3)
        assert calls == []
        await pilot.press("a")
        await pilot.pause()
        assert calls


async def test_footer_lists_the_widget_keys():
    app = Host("neuron-explorer")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        bottom = screen_text(app).splitlines()[-1]
        for word in ("row", "activation", "reset"):
            assert word in bottom


async def test_install_check_grows_to_fit_its_result():
    app = Host("install-check")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        widget = app.query_one(InteractiveWidget)
        assert widget.content_size.height == len(shown(app).splitlines()) == 9  # 3 versions, 3 data files
