"""Import Keras (TensorFlow backend) once, quietly, with a small thread budget.

``load_keras()`` is the only place that imports TensorFlow. It

* sets ``TF_CPP_MIN_LOG_LEVEL=3``, ``TF_ENABLE_ONEDNN_OPTS=0`` and ``KERAS_BACKEND=tensorflow``
  (each only if not already set) before the import: these silence TensorFlow's C++ start-up
  lines on tensorflow-cpu and make tiny models ~15% faster;
* routes Python ``warnings`` and the ``tensorflow``, ``absl`` and ``keras`` Python loggers to the
  logger ``tui_tutor.training.tf`` (which has a ``NullHandler``: nothing reaches the terminal
  unless the app attaches a handler, e.g. ``attach_log_handler(logging.FileHandler(...))``);
* caps TensorFlow's thread pools (shared login nodes have few cores per user);
* raises :class:`TrainingUnavailable` with a plain message and the install command if the
  import fails for any reason. The result (module or failure) is cached for the process.

It does **not** touch file descriptor 2: C++ code in TensorFlow may still write there (the full
``tensorflow`` wheel prints CUDA-stub lines even at log level 3). The app points fd 2 at its
log file itself; other callers (benchmarks, tests, a command line) can use
:func:`silence_fd2`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from types import ModuleType
from collections.abc import Iterator

LOGGER_NAME = "tui_tutor.training.tf"
#: Python loggers of the libraries that are routed to ``LOGGER_NAME``.
ROUTED_LOGGERS: tuple[str, ...] = ("tensorflow", "absl", "keras", "h5py", "py.warnings")

INSTALL_HINT = "install it with: pip install tensorflow-cpu  (or pip install tensorflow on ARM machines)"

log = logging.getLogger(LOGGER_NAME)
log.addHandler(logging.NullHandler())

_lock = threading.Lock()
_keras: ModuleType | None = None
_failure: TrainingUnavailable | None = None
_import_seconds: float = 0.0
_threads_set: int | None = None


class TrainingUnavailable(RuntimeError):
    """TensorFlow/Keras cannot be used in this Python; ``message`` says why and how to fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Forward(logging.Handler):
    """Hands records of a library logger to the tutor's ``LOGGER_NAME`` logger."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            log.handle(record)
        except Exception:  # noqa: BLE001  # pragma: no cover - logging must never break training
            pass


_forward = _Forward()


def route_library_logs() -> None:
    """Send warnings and the TF/absl/Keras loggers to ``LOGGER_NAME`` instead of the terminal.

    Idempotent. Console handlers that TensorFlow put on its own logger are removed.
    """
    logging.captureWarnings(True)
    for name in ROUTED_LOGGERS:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if (
                handler is not _forward
                and isinstance(handler, logging.StreamHandler)
                and not isinstance(handler, logging.FileHandler)
            ):
                logger.removeHandler(handler)
        if _forward not in logger.handlers:
            logger.addHandler(_forward)
        logger.propagate = False


def attach_log_handler(handler: logging.Handler, level: int = logging.INFO) -> None:
    """Let the app write the libraries' messages (and this module's) to its own log."""
    log.addHandler(handler)
    if log.level == logging.NOTSET or log.level > level:
        log.setLevel(level)


def _set_env() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _import_keras() -> ModuleType:
    """The bare import; a separate function so tests can replace it."""
    import tensorflow as tf  # noqa: F401  (imported first so the backend is TensorFlow)
    import keras

    module: ModuleType = keras  # keras ships no type information
    return module


def _cap_threads(threads: int) -> None:
    global _threads_set
    if _threads_set == threads:
        return
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        _threads_set = threads
    except RuntimeError as exc:  # the runtime is initialised: the pools keep their size
        log.info("TensorFlow thread pools already initialised; not changed to %d: %s", threads, exc)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0].strip() if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def load_keras(threads: int = 2) -> ModuleType:
    """Import and return the ``keras`` module (TensorFlow backend), cached per process.

    ``threads`` caps TensorFlow's intra-op and inter-op pools; it takes effect only before the
    first TensorFlow operation runs in the process (later calls log and keep the old size).
    Raises :class:`TrainingUnavailable` if TensorFlow or Keras cannot be imported.
    """
    global _keras, _failure, _import_seconds
    with _lock:
        if _keras is not None:
            _cap_threads(threads)
            return _keras
        if _failure is not None:
            raise _failure
        _set_env()
        route_library_logs()
        if os.environ.get("KERAS_BACKEND") != "tensorflow":
            _failure = TrainingUnavailable(
                f"KERAS_BACKEND is set to {os.environ['KERAS_BACKEND']!r}; the tutor needs the "
                "TensorFlow backend: unset KERAS_BACKEND or set it to tensorflow"
            )
            raise _failure
        start = time.perf_counter()
        try:
            keras = _import_keras()
        except BaseException as exc:  # ImportError, but also broken wheels (OSError, AttributeError...)
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            log.warning("TensorFlow import failed", exc_info=True)
            if isinstance(exc, ImportError) and getattr(exc, "name", None) in ("tensorflow", "keras"):
                reason = f"{exc.name} is not installed in this Python ({sys.executable})"
            else:
                reason = f"importing TensorFlow failed ({_one_line(exc)})"
            _failure = TrainingUnavailable(f"Training runs need TensorFlow: {reason}; {INSTALL_HINT}")
            raise _failure from None
        _import_seconds = time.perf_counter() - start
        try:  # TensorFlow adds a console handler to its logger on first use: make that happen now
            import tensorflow as tf

            tf.get_logger()
        except Exception:  # noqa: BLE001 - only tidies logging: the loaded Keras is still usable
            pass
        route_library_logs()  # ... and take such handlers off again
        _cap_threads(threads)
        _keras = keras
        return keras


def is_loaded() -> bool:
    """True once ``load_keras`` succeeded in this process (a run will not wait for the import)."""
    return _keras is not None


def import_seconds() -> float:
    """How long the successful import took (0 before it)."""
    return _import_seconds


def versions() -> dict[str, str]:
    """Versions of the loaded stack (empty before ``load_keras`` succeeded)."""
    if _keras is None:
        return {}
    import platform

    import numpy
    import tensorflow as tf

    return {
        "tensorflow": str(tf.__version__),
        "keras": str(_keras.__version__),
        "numpy": str(numpy.__version__),
        "python": platform.python_version(),
    }


@contextlib.contextmanager
def silence_fd2(path: str = os.devnull) -> Iterator[None]:
    """Point file descriptor 2 at ``path`` (appending) for the duration of the block.

    For non-UI callers: the tutor app redirects fd 2 itself. Python's ``sys.stderr`` object is
    flushed first and keeps working (it writes to fd 2, so it goes to ``path`` too).
    """
    try:
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - a closed or replaced sys.stderr must not stop the redirect
        pass
    saved = os.dup(2)
    try:
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.dup2(target, 2)
        finally:
            os.close(target)
        yield
    finally:
        try:
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - fd 2 must be restored whatever sys.stderr does
            pass
        os.dup2(saved, 2)
        os.close(saved)
