"""Small datasets, made on the spot with numpy or read from files shipped with the tutor:
nothing is ever downloaded.

Every generated dataset comes from a fixed seed, so every learner (and every test) sees the
same rows. Their rows are already in random order: a run's validation split takes the *last* fraction
of the rows (as Keras' ``validation_split`` does), which is then a fair random sample.

| name | rows | x | y | for |
| --- | --- | --- | --- | --- |
| ``xor`` | 4 | (4, 2) inputs 0/1 | (4, 1) x1 XOR x2 | the XOR network lesson |
| ``moons`` | 120 | (120, 2) two noisy half circles | (120, 1) class 0/1 | classification, overfitting |
| ``noisy-sine`` | 40 | (40, 1) in [-1, 1] | (40, 1) sin(3x) + noise | regression, overfitting |
| ``penguins`` | 344 | (344, 4) bill length and depth (mm), flipper length (mm), body mass (g); NaN where missing | (344, 1) species 0/1/2 | classification, preprocessing |
| ``weather`` | 1460 | (1460, 6) one Seattle day: max and min temperature (C), precipitation (mm), wind (m/s), season as cos/sin of the day of the year | (1460, 1) the next day's max temperature (C) | regression, monitoring |

Arrays are float32, ready for Keras. ``penguins``, ``weather`` and ``digits`` are read from
small data files that ship with the tutor in ``tui_tutor/training/data/`` (about 120 KB in
all); ``data/SOURCES.md`` says where each file comes from, its licence, row count and sha256.
They used to be found inside the packages palmerpenguins, vega_datasets and scikit-learn,
whose copies they are, byte for byte; the tutor no longer depends on those packages (nor on
the pandas and SciPy they pull in). ``data_status()`` checks the three files for the install
check: found, readable, the expected number of rows.

``penguins`` is ``data/penguins.csv`` (Palmer Station LTER, Gorman, Williams and Fraser 2014;
CC0; copied from the palmerpenguins package); the csv module reads the 344 rows in about
2 ms. Its rows must be prepared before training (``prepare``): drop the two with missing
measurements, one-hot the species, hold back a test set, standardize.

``weather`` is read the same way from ``data/seattle-weather.csv`` (daily NOAA records for
Seattle, 2012-2015, public domain; copied from the vega_datasets package). Its rows stay in
date order; a ``split:`` draws the test days at random. Its baseline is persistence,
"tomorrow's maximum equals today's": ``Prepared.baseline_rmse`` is that guess's RMSE on the
test rows.

``digits`` (1,797 rows; x (1797, 8, 8, 1), pixels scaled to 0-1; y the digit 0-9; lesson 5,
convolutional networks) is ``data/digits.csv.gz`` (UCI "Optical Recognition of Handwritten
Digits", Alpaydin and Kaynak 1998; CC BY 4.0; copied from scikit-learn); numpy reads its rows
of 64 pixel counts (0-16) and the digit.
"""

from __future__ import annotations

import csv
import datetime
import gzip
import math
from dataclasses import dataclass
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tui_tutor.lesson.names import DATASET_CLASSES


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    rows: int
    task: str  # "binary", "classes" (y holds a class index) or "regression"
    description: str
    make: Callable[[], tuple[np.ndarray, np.ndarray]]
    #: Column names of x.
    features: tuple[str, ...] = ()
    #: For task "classes": the class names, by the index y holds.
    classes: tuple[str, ...] = ()
    #: For task "regression": the feature that, copied as it is, is the baseline guess of y.
    baseline_feature: str = ""


def _xor() -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    return x, y


def _moons(n: int = 120, noise: float = 0.3, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles (as scikit-learn's ``make_moons``), with Gaussian noise.

    The noise makes the classes overlap: no boundary separates the rows perfectly, so a big
    network that learns the training rows does worse on the validation rows. Measured
    (validation_split 0.3, batch 16, adam 0.01, seed 1, 500 epochs): two ReLU layers of 64
    units reach their lowest validation loss (~0.12) near epoch 25, then it climbs to
    0.4-0.5 while the training loss falls to ~0.06; one layer of 4 ReLU units keeps training
    and validation loss together near 0.26.
    """
    rng = np.random.default_rng(seed)
    half = n // 2
    t_out = np.linspace(0.0, np.pi, half)
    t_in = np.linspace(0.0, np.pi, n - half)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = np.stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1)
    x = np.concatenate([outer, inner]) + rng.normal(0.0, noise, size=(n, 2))
    y = np.concatenate([np.zeros(half), np.ones(n - half)])[:, None]
    order = rng.permutation(n)
    return x[order].astype(np.float32), y[order].astype(np.float32)


def _noisy_sine(n: int = 40, noise: float = 0.3, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """``y = sin(3x) + noise`` for ``x`` drawn uniformly from [-1, 1].

    The best possible mean squared error is the noise variance, 0.09. Measured (validation
    split 0.5, i.e. 20 training rows, full batch, adam 0.01, seed 1, 2000 epochs): two ReLU
    layers of 64 units drive the training MSE to ~0.004 while the validation MSE is lowest
    (~0.18) near epoch 200 and rises above 0.6; one layer of 3 tanh units ends with training
    MSE ~0.065 and validation MSE ~0.20, still falling.
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(n, 1))
    y = np.sin(3.0 * x) + rng.normal(0.0, noise, size=(n, 1))
    return x.astype(np.float32), y.astype(np.float32)


PENGUIN_FEATURES = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")
PENGUIN_SPECIES = DATASET_CLASSES["penguins"]


class DatasetUnavailable(KeyError):
    """A dataset whose data file is missing; the message says what to do."""


#: The folder of the data files shipped with the tutor (data/SOURCES.md says where each comes from).
DATA_DIR = Path(__file__).parent / "data"


def penguins_csv() -> Path:
    """The ``penguins.csv`` shipped with the tutor (copied from the palmerpenguins package)."""
    return DATA_DIR / "penguins.csv"


def _shipped(path: Path) -> Path:
    """``path``, or :class:`DatasetUnavailable` with a plain sentence when it is missing."""
    if not path.is_file():
        raise DatasetUnavailable(f"the data file {path} is missing from this installation: reinstall the tutor")
    return path


def _penguins() -> tuple[np.ndarray, np.ndarray]:
    """The 344 penguins in the file's order: four measurements (NaN where the file says NA)
    and the species as 0 (Adelie), 1 (Chinstrap) or 2 (Gentoo)."""
    rows_x: list[list[float]] = []
    rows_y: list[float] = []
    with _shipped(penguins_csv()).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows_x.append([_number(row[name]) for name in PENGUIN_FEATURES])
            species = row["species"]
            rows_y.append(float(PENGUIN_SPECIES.index(species)) if species in PENGUIN_SPECIES else math.nan)
    return np.array(rows_x, dtype=np.float32), np.array(rows_y, dtype=np.float32)[:, None]


WEATHER_FEATURES = ("temp_max", "temp_min", "precipitation", "wind", "season_cos", "season_sin")


def weather_csv() -> Path:
    """The ``seattle-weather.csv`` shipped with the tutor (copied from the vega_datasets package)."""
    return DATA_DIR / "seattle-weather.csv"


def _weather() -> tuple[np.ndarray, np.ndarray]:
    """One row per day but the last, in date order: the day's six features, and as y the
    next day's maximum temperature."""
    days: list[list[float]] = []
    with _shipped(weather_csv()).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            year, month, day = (int(part) for part in row["date"].split("/"))
            angle = 2.0 * math.pi * (_day_of_year(year, month, day) - 1) / 365.25
            days.append([_number(row["temp_max"]), _number(row["temp_min"]), _number(row["precipitation"]),
                         _number(row["wind"]), math.cos(angle), math.sin(angle)])
    x = np.array(days[:-1], dtype=np.float32)
    y = np.array([[today[0]] for today in days[1:]], dtype=np.float32)
    return x, y


def _day_of_year(year: int, month: int, day: int) -> int:
    return datetime.date(year, month, day).timetuple().tm_yday


def digits_csv() -> Path:
    """The ``digits.csv.gz`` shipped with the tutor (copied from scikit-learn), still gzipped."""
    return DATA_DIR / "digits.csv.gz"


def _digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 digit images in the file's order: (rows, 8, 8, 1) in 0-1, and the digit."""
    with gzip.open(_shipped(digits_csv()), "rt", encoding="ascii") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.float32)
    x = (table[:, :64] / 16.0).reshape(-1, 8, 8, 1)
    return x.astype(np.float32), table[:, 64:65].astype(np.float32)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan  # "NA"


DATASETS: dict[str, DatasetInfo] = {
    "xor": DatasetInfo(
        "xor", 4, "binary", "The four rows of the XOR truth table: y is 1 when exactly one input is 1.", _xor
    ),
    "moons": DatasetInfo(
        "moons",
        120,
        "binary",
        "Two noisy, overlapping half circles (2 features, classes 0/1), for overfitting demos.",
        _moons,
    ),
    "noisy-sine": DatasetInfo(
        "noisy-sine",
        40,
        "regression",
        "sin(3x) plus Gaussian noise (sd 0.3) at 40 random x in [-1, 1], for overfitting demos.",
        _noisy_sine,
    ),
    "penguins": DatasetInfo(
        "penguins",
        344,
        "classes",
        "Palmer penguins: bill length and depth, flipper length, body mass; species Adelie, Chinstrap, Gentoo.",
        _penguins,
        features=PENGUIN_FEATURES,
        classes=PENGUIN_SPECIES,
    ),
    "weather": DatasetInfo(
        "weather",
        1460,
        "regression",
        "Seattle, 2012-2015: one day's temperatures, rain, wind and season; y is the next day's max temperature.",
        _weather,
        features=WEATHER_FEATURES,
        baseline_feature="temp_max",
    ),
    "digits": DatasetInfo(
        "digits",
        1797,
        "classes",
        "Handwritten digits 0-9 as 8x8 grey images (pixels 0-1), from scikit-learn's copy of UCI optdigits.",
        _digits,
        classes=DATASET_CLASSES["digits"],
    ),
}


def names() -> list[str]:
    return list(DATASETS)


def info(name: str) -> DatasetInfo:
    key = name.strip().lower().replace("_", "-")
    try:
        return DATASETS[key]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}") from None


def load(name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` as float32 arrays with rows first; a fresh copy on every call."""
    x, y = info(name).make()
    return x.copy(), y.copy()


def split(
    x: np.ndarray, y: np.ndarray, validation_split: float
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray] | None]:
    """Keep the last ``validation_split`` fraction of rows for validation, as Keras does.

    Returns ``((x_train, y_train), (x_val, y_val))``, or ``((x, y), None)`` for a split of 0.
    """
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be at least 0 and below 1, not {validation_split}")
    if validation_split == 0.0:
        return (x, y), None
    # Keras: split_at = int(math.ceil(num_samples * (1.0 - validation_split)))
    n = len(x)
    split_at = int(np.ceil(n * (1.0 - validation_split)))
    if split_at <= 0 or split_at >= n:
        raise ValueError(
            f"a validation split of {validation_split} leaves no rows to train or validate on ({n} rows)"
        )
    return (x[:split_at], y[:split_at]), (x[split_at:], y[split_at:])


@dataclass(frozen=True)
class Prepared:
    """A dataset ready for Keras: training rows, and the held-out test rows (None without a split)."""

    x_train: np.ndarray
    y_train: np.ndarray
    test: tuple[np.ndarray, np.ndarray] | None
    classes: tuple[str, ...]
    #: Rows dropped for a missing value.
    dropped: int = 0
    #: For a dataset with a baseline guess: its root mean squared error on the test rows
    #: (on all rows without a split), in y's units.
    baseline_rmse: float | None = None
    #: With a split: the dataset's row number (as `load` gives them) of each test row.
    test_index: np.ndarray | None = None


def prepare(name: str, *, drop_missing: bool = False, one_hot: bool = False, standardize: bool = False,
            test: float = 0.0, stratify: bool = False, split_seed: int = 0) -> Prepared:
    """Load ``name`` and prepare it, in this order: drop rows with a missing value, one-hot
    the class index, split off ``test`` of the rows (per class when ``stratify``; drawn with
    ``split_seed``), standardize every feature with the training rows' mean and standard
    deviation. Raises ``ValueError`` (for the learner) when the steps do not fit the data."""
    data = info(name)
    x, y = load(name)
    missing = np.isnan(x.reshape(len(x), -1)).any(axis=1) | np.isnan(y).any(axis=1)
    dropped = int(missing.sum())
    kept = np.flatnonzero(~missing)
    if dropped and not drop_missing:
        raise ValueError(f"dataset {name!r} has {dropped} rows with a missing value: add drop_missing: true")
    if dropped:
        x, y = x[~missing], y[~missing]
    labels = y[:, 0].astype(np.int64) if data.classes else None
    if one_hot:
        if labels is None:
            raise ValueError(f"one_hot needs a dataset of classes; {name!r} has none")
        y = np.eye(len(data.classes), dtype=np.float32)[labels]
    test_part = None
    test_index = None
    if test > 0:
        groups = labels if labels is not None else np.unique(y, axis=0, return_inverse=True)[1].reshape(-1)
        train_rows, test_rows = split_rows(groups if stratify else np.zeros(len(x), dtype=np.int64), test, split_seed)
        x, y, test_part = x[train_rows], y[train_rows], (x[test_rows], y[test_rows])
        test_index = kept[test_rows]
    baseline = None
    if data.baseline_feature:
        column = data.features.index(data.baseline_feature)
        bx, by = (x, y) if test_part is None else test_part
        baseline = float(np.sqrt(np.mean((bx[:, column].astype(np.float64) - by[:, 0]) ** 2)))
    if standardize:
        mean = x.mean(axis=0)
        std = x.std(axis=0)
        std[std == 0] = 1.0
        x = ((x - mean) / std).astype(np.float32)
        if test_part is not None:
            test_part = (((test_part[0] - mean) / std).astype(np.float32), test_part[1])
    return Prepared(x, y, test_part, data.classes, dropped, baseline, test_index)


def split_rows(groups: np.ndarray, test: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``(train, test)``: ``ceil(test * rows)`` test rows, shared out over the
    groups in proportion to their size (largest remainders first), each group's rows drawn
    at random with ``seed``. Both index lists come shuffled."""
    if not 0.0 < test < 1.0:
        raise ValueError(f"the test fraction must be above 0 and below 1, not {test}")
    n = len(groups)
    n_test = math.ceil(test * n)
    if n_test >= n:
        raise ValueError(f"a test fraction of {test} leaves no rows to train on ({n} rows)")
    rng = np.random.default_rng(seed)
    names, counts = np.unique(groups, return_counts=True)
    shares = counts * n_test / n
    take = np.floor(shares).astype(np.int64)
    for index in np.argsort(-(shares - take), kind="stable")[: n_test - int(take.sum())]:
        take[index] += 1
    test_rows: list[int] = []
    train_rows: list[int] = []
    for group, k in zip(names, take, strict=True):
        rows = rng.permutation(np.flatnonzero(groups == group))
        test_rows.extend(rows[:k].tolist())
        train_rows.extend(rows[k:].tolist())
    return rng.permutation(np.array(train_rows, dtype=np.int64)), rng.permutation(np.array(test_rows, dtype=np.int64))


# -- the install check: are the shipped data files there and whole? ---------------------------
@dataclass(frozen=True)
class DataFileStatus:
    """One shipped data file as the install check finds it."""

    #: What the learner knows it as: "penguins", "seattle weather", "digits".
    name: str
    #: The dataset that reads it (``load(dataset)``).
    dataset: str
    path: Path
    #: The data rows it should hold (a csv file's header line not counted).
    expected_rows: int
    #: The data rows found; None when the file could not be read.
    rows: int | None
    #: Empty when the file is fine, else one plain sentence: what is wrong and what to do.
    problem: str = ""
    #: False when there is no file at ``path`` at all.
    found: bool = True

    @property
    def ok(self) -> bool:
        return not self.problem


_PENGUIN_COLUMNS = ("species", *PENGUIN_FEATURES)
_WEATHER_COLUMNS = ("date", "precipitation", "temp_max", "temp_min", "wind")
_DIGIT_FIELDS = 65  # 64 pixel counts and the digit


def data_status() -> list[DataFileStatus]:
    """Check the three shipped data files the lessons train on: each must be there, readable,
    hold the columns the tutor reads, the expected number of rows, and load as its dataset.
    Never raises: a problem is a sentence in the file's status."""
    return [
        _file_status("penguins", "penguins", penguins_csv(), 344, lambda path: _count_csv(path, _PENGUIN_COLUMNS)),
        _file_status("seattle weather", "weather", weather_csv(), 1461, lambda path: _count_csv(path, _WEATHER_COLUMNS)),
        _file_status("digits", "digits", digits_csv(), 1797, _count_digits),
    ]


def _file_status(name: str, dataset: str, path: Path, expected: int, count: Callable[[Path], int]) -> DataFileStatus:
    fix = "reinstall the tutor to get a good copy"
    if not path.is_file():
        return DataFileStatus(name, dataset, path, expected, None, f"The file {path} is missing: {fix}.", found=False)
    try:
        rows = count(path)
    except (OSError, EOFError, ValueError, csv.Error) as exc:  # gzip and decoding errors are OSError/ValueError
        return DataFileStatus(name, dataset, path, expected, None,
                              f"The file {path} cannot be read ({_reason(exc)}): {fix}.")
    if rows != expected:
        return DataFileStatus(name, dataset, path, expected, rows,
                              f"The file {path} holds {rows} rows instead of {expected}, so it is damaged: {fix}.")
    try:
        info(dataset).make()
    except Exception as exc:  # noqa: BLE001 - whatever the reader trips over, the learner gets a sentence
        return DataFileStatus(name, dataset, path, expected, rows,
                              f"The file {path} cannot be read as the {name} data ({_reason(exc)}): {fix}.")
    return DataFileStatus(name, dataset, path, expected, rows)


def _count_csv(path: Path, columns: tuple[str, ...]) -> int:
    """The data rows of a csv file whose header names ``columns``; ValueError for a short row."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in columns if name not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"no column {', '.join(missing)}")
        rows = 0
        for row in reader:
            rows += 1
            if any(row.get(name) is None for name in columns):
                raise ValueError(f"row {rows} is cut short")
    return rows


def _count_digits(path: Path) -> int:
    """The rows of the gzipped digits file: 65 whole numbers each; ValueError otherwise."""
    rows = 0
    with gzip.open(path, "rt", encoding="ascii") as handle:
        for line in handle:
            if not line.strip():
                continue
            rows += 1
            if len(line.split(",")) != _DIGIT_FIELDS:
                raise ValueError(f"row {rows} does not hold {_DIGIT_FIELDS} numbers")
    return rows


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:120]
