"""Import Keras once, quietly, with a small thread budget: TensorFlow backend, or JAX/PyTorch.

``load_keras()`` is the only place that imports TensorFlow (or the other backend). It

* sets ``TF_CPP_MIN_LOG_LEVEL=3``, ``TF_ENABLE_ONEDNN_OPTS=0`` and ``KERAS_BACKEND=tensorflow``
  (each only if not already set) before the import: these silence TensorFlow's C++ start-up
  lines on tensorflow-cpu and make tiny models ~15% faster;
* routes Python ``warnings`` and the ``tensorflow``, ``absl`` and ``keras`` Python loggers to the
  logger ``tui_tutor.training.tf`` (which has a ``NullHandler``: nothing reaches the terminal
  unless the app attaches a handler, e.g. ``attach_log_handler(logging.FileHandler(...))``);
* caps TensorFlow's thread pools (shared login nodes have few cores per user);
* raises :class:`TrainingUnavailable` with a plain message and the install command if the
  import fails for any reason. The result (module or failure) is cached for the process.

Other backends: when ``KERAS_BACKEND`` is set to ``jax`` or ``torch`` in the environment (a
Slurm job of a site that provides JAX or PyTorch rather than TensorFlow exports it), Keras is
imported with that backend and TensorFlow is not imported. Threads are capped as far as the
backend allows: JAX reads ``XLA_FLAGS`` (``--xla_cpu_multi_thread_eigen=false`` and
``intra_op_parallelism_threads=N`` are added before the import); PyTorch gets
``torch.set_num_threads(N)`` (and the inter-op pool, while it can still be set). Unset
``KERAS_BACKEND`` means TensorFlow; any other value fails with a sentence. :func:`backend`
names the loaded backend and :func:`versions` reports it (``"backend": ...``) with the
versions of its own packages.

It does **not** touch file descriptor 2: C++ code in TensorFlow may still write there (the full
``tensorflow`` wheel prints CUDA-stub lines even at log level 3). The app points fd 2 at its
log file itself; other callers (benchmarks, tests, a command line) can use
:func:`silence_fd2`.
"""

from __future__ import annotations

import contextlib
import importlib
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

#: The Keras backends the tutor trains with; TensorFlow is the default (``KERAS_BACKEND`` unset).
BACKENDS: tuple[str, ...] = ("tensorflow", "jax", "torch")
#: For each non-TensorFlow backend: its name for people, the package that must be importable,
#: what to load or install, and the Python loggers routed to ``LOGGER_NAME`` besides ``ROUTED_LOGGERS``.
OTHER_BACKENDS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "jax": ("JAX", "jax", "load a JAX module (e.g. module load JAX) or install it with: pip install jax",
            ("jax",)),
    "torch": ("PyTorch", "torch",
              "load a PyTorch module (e.g. module load PyTorch) or install it with: "
              "pip install torch --index-url https://download.pytorch.org/whl/cpu",
              ("torch",)),
}

log = logging.getLogger(LOGGER_NAME)
log.addHandler(logging.NullHandler())

_lock = threading.Lock()
_keras: ModuleType | None = None
_failure: TrainingUnavailable | None = None
_import_seconds: float = 0.0
_threads_set: int | None = None
_backend: str = "tensorflow"  # the loaded backend (see backend())


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


def route_library_logs(extra: tuple[str, ...] = ()) -> None:
    """Send warnings and the TF/absl/Keras loggers (and ``extra`` ones) to ``LOGGER_NAME``
    instead of the terminal.

    Idempotent. Console handlers that TensorFlow put on its own logger are removed.
    """
    logging.captureWarnings(True)
    for name in ROUTED_LOGGERS + extra:
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


def _import_other_keras() -> ModuleType:
    """The bare import of Keras with the backend ``KERAS_BACKEND`` names (not TensorFlow)."""
    import keras

    module: ModuleType = keras
    return module


def requested_backend() -> str:
    """The backend ``KERAS_BACKEND`` asks for: ``tensorflow`` when it is unset or empty; the
    value in lower case otherwise (it may be one the tutor does not know)."""
    return (os.environ.get("KERAS_BACKEND") or "").strip().lower() or "tensorflow"


def _xla_thread_flags(threads: int) -> None:
    """Cap XLA's CPU threads (JAX) through ``XLA_FLAGS``, before JAX starts; flags already set win."""
    flags = os.environ.get("XLA_FLAGS", "").split()
    names = {flag.lstrip("-").split("=", 1)[0] for flag in flags}
    if "xla_cpu_multi_thread_eigen" not in names:
        flags.append("--xla_cpu_multi_thread_eigen=false")
    if "intra_op_parallelism_threads" not in names:
        flags.append(f"intra_op_parallelism_threads={max(1, int(threads))}")
    os.environ["XLA_FLAGS"] = " ".join(flags)


def _cap_other_threads(threads: int) -> None:
    """Cap the thread pools of a non-TensorFlow backend as far as it allows (JAX: only before
    the import, see ``_xla_thread_flags``; PyTorch: intra-op any time, inter-op before first use)."""
    global _threads_set
    if _threads_set == threads or _backend != "torch":
        return
    torch = importlib.import_module("torch")  # not a static import: the type checker need not have it
    torch.set_num_threads(max(1, int(threads)))
    try:
        torch.set_num_interop_threads(max(1, int(threads)))
    except RuntimeError as exc:  # parallel work has started: the pool keeps its size
        log.info("PyTorch inter-op threads already initialised; not changed to %d: %s", threads, exc)
    _threads_set = threads


def _load_other(backend_name: str, threads: int) -> ModuleType:
    """Import Keras with a non-TensorFlow backend (``_lock`` held); raises TrainingUnavailable."""
    global _failure, _import_seconds, _backend
    label, package, hint, loggers = OTHER_BACKENDS[backend_name]
    os.environ["KERAS_BACKEND"] = backend_name
    route_library_logs(loggers)
    if backend_name == "jax":
        _xla_thread_flags(threads)
    start = time.perf_counter()
    try:
        keras = _import_other_keras()
    except BaseException as exc:  # ImportError, but also broken wheels (OSError, AttributeError...)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        log.warning("Keras import with the %s backend failed", backend_name, exc_info=True)
        missing = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
        if missing is not None and missing.split(".")[0] in (package, "keras"):
            reason = f"{missing.split('.')[0]} is not installed in this Python ({sys.executable})"
        else:
            reason = f"importing Keras with {label} failed ({_one_line(exc)})"
        _failure = TrainingUnavailable(
            f"Training runs with KERAS_BACKEND={backend_name} need {label} and Keras: {reason}; {hint}"
            + ("  (and pip install keras)" if missing == "keras" else "")
        )
        raise _failure from None
    loaded = str(keras.backend.backend())
    if loaded != backend_name:  # keras.json or an earlier import chose another one
        _failure = TrainingUnavailable(
            f"KERAS_BACKEND is {backend_name} but Keras was loaded with the {loaded} backend; "
            "start a fresh Python with KERAS_BACKEND set before anything imports Keras"
        )
        raise _failure
    _import_seconds = time.perf_counter() - start
    route_library_logs(loggers)
    _backend = backend_name
    _cap_other_threads(threads)
    return keras


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
    """Import and return the ``keras`` module, cached per process: TensorFlow backend, or the
    ``jax`` or ``torch`` backend when ``KERAS_BACKEND`` says so.

    ``threads`` caps TensorFlow's intra-op and inter-op pools; it takes effect only before the
    first TensorFlow operation runs in the process (later calls log and keep the old size).
    Other backends: see the module's description. Raises :class:`TrainingUnavailable` if the
    backend or Keras cannot be imported, or ``KERAS_BACKEND`` names a backend the tutor does not know.
    """
    global _keras, _failure, _import_seconds, _backend
    with _lock:
        if _keras is not None:
            if _backend == "tensorflow":
                _cap_threads(threads)
            else:
                _cap_other_threads(threads)
            return _keras
        if _failure is not None:
            raise _failure
        wanted = requested_backend()
        if wanted in OTHER_BACKENDS:
            _keras = _load_other(wanted, threads)
            return _keras
        if wanted != "tensorflow":
            route_library_logs()
            _failure = TrainingUnavailable(
                f"KERAS_BACKEND is set to {os.environ.get('KERAS_BACKEND', '')!r}, a backend the tutor cannot "
                f"train with: set it to {', '.join(BACKENDS[:-1])} or {BACKENDS[-1]}, or unset it for TensorFlow"
            )
            raise _failure
        if os.environ.get("KERAS_BACKEND") != "tensorflow":  # unset, empty or spelled otherwise
            os.environ["KERAS_BACKEND"] = "tensorflow"
        _set_env()
        route_library_logs()
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
        _backend = "tensorflow"
        _keras = keras
        return keras


def is_loaded() -> bool:
    """True once ``load_keras`` succeeded in this process (a run will not wait for the import)."""
    return _keras is not None


def import_seconds() -> float:
    """How long the successful import took (0 before it)."""
    return _import_seconds


def backend() -> str:
    """The backend Keras was loaded with (``tensorflow``, ``jax``, ``torch``); "" before
    ``load_keras`` succeeded."""
    return _backend if _keras is not None else ""


def versions() -> dict[str, str]:
    """Versions of the loaded stack, with ``"backend"`` naming the Keras backend (empty before
    ``load_keras`` succeeded)."""
    if _keras is None:
        return {}
    import platform

    import numpy

    packages: dict[str, str] = {"backend": _backend}
    if _backend == "tensorflow":
        import tensorflow as tf

        packages["tensorflow"] = str(tf.__version__)
    elif _backend == "jax":  # (imported by name: the type checker need not have them)
        jax = importlib.import_module("jax")
        jaxlib = importlib.import_module("jaxlib")
        packages["jax"] = str(jax.__version__)
        packages["jaxlib"] = str(getattr(jaxlib, "__version__", "") or jax.__version__)
    elif _backend == "torch":
        packages["torch"] = str(importlib.import_module("torch").__version__)
    return {
        **packages,
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
