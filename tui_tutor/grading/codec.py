"""How each kind's answer is kept in the progress store: one `Codec` per question kind.

Why a table next to the checkers: what an answer looks like (see `checkers`) differs by
kind, so the code that turns it into JSON-able data and back belongs with that shape,
not with the session. `decode` is for data read back from a file that may be old, hand
edited or from another version: anything it does not recognise gives None ("no saved
answer"), never an exception. Decoding what `encode` wrote gives an answer that grades
exactly as the original did.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: What `encode` returns: JSON-able data (str, finite numbers, bool, None, lists, str-keyed dicts).
Stored = Any


@dataclass(frozen=True)
class Codec:
    """Answer <-> stored data for one question kind."""

    encode: Callable[[Any], Stored]
    decode: Callable[[Stored], Any]


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _scalar(x: Any) -> str | int | float | None:
    """A str or finite number as is; anything else None."""
    if isinstance(x, str) or _is_int(x):
        return x  # type: ignore[no-any-return]
    if isinstance(x, float) and math.isfinite(x):
        return x
    return None


# --------------------------------------------------------------------------- one value (numeric, text, reflect, choice)


def _encode_scalar(answer: Any) -> Stored:
    return _scalar(answer)


def _decode_scalar(stored: Stored) -> Any:
    return _scalar(stored)


# --------------------------------------------------------------------------- multi: text, or a collection of letters/indices


def _sort_key(x: str | int) -> tuple[bool, str | int]:
    return (isinstance(x, str), x)


def _encode_multi(answer: Any) -> Stored:
    if isinstance(answer, str):
        return answer
    if isinstance(answer, (set, frozenset, list, tuple)):
        picks = [x for x in answer if isinstance(x, str) or _is_int(x)]
        if len(picks) != len(answer):
            return None
        # A set has no order: sort it (indices first, then letters) so the file is stable.
        return sorted(picks, key=_sort_key) if isinstance(answer, (set, frozenset)) else picks
    return None


def _decode_multi(stored: Stored) -> Any:
    if isinstance(stored, str):
        return stored
    if isinstance(stored, list) and all(isinstance(x, str) or _is_int(x) for x in stored):
        return list(stored)
    return None


# --------------------------------------------------------------------------- matching: a list in statement order, or {index: key}


def _key_or_none(x: Any) -> bool:
    return x is None or isinstance(x, str)


def _encode_matching(answer: Any) -> Stored:
    if isinstance(answer, (list, tuple)):
        return list(answer) if all(_key_or_none(x) for x in answer) else None
    if isinstance(answer, Mapping):  # JSON keys are text: {0: "A"} is kept as {"0": "A"}
        if all(_is_int(k) and _key_or_none(v) for k, v in answer.items()):
            return {str(k): v for k, v in answer.items()}
    return None


def _decode_matching(stored: Stored) -> Any:
    if isinstance(stored, list):
        return list(stored) if all(_key_or_none(x) for x in stored) else None
    if isinstance(stored, dict):
        out: dict[int, str | None] = {}
        for key, value in stored.items():
            index = _int_text(key)
            if index is None or not _key_or_none(value):
                return None
            out[index] = value
        return out
    return None


def _int_text(text: Any) -> int | None:
    """An int written by `str(int)` ("3", "-1"); None for anything else."""
    if not isinstance(text, str) or not text.lstrip("-").isdigit() or len(text) > 18:
        return None
    return int(text)


# --------------------------------------------------------------------------- table: {(row, col): typed text}


def _encode_table(answer: Any) -> Stored:
    if not isinstance(answer, Mapping):
        return None
    out: dict[str, Any] = {}
    for key, text in answer.items():
        if not (isinstance(key, tuple) and len(key) == 2 and all(_is_int(k) for k in key)):
            return None
        out[f"{key[0]},{key[1]}"] = _scalar(text)
    return out


def _decode_table(stored: Stored) -> Any:
    if not isinstance(stored, dict):
        return None
    out: dict[tuple[int, int], str] = {}
    for key, text in stored.items():
        pieces = str(key).split(",")
        cell = [_int_text(p.strip()) for p in pieces]
        if len(cell) != 2 or cell[0] is None or cell[1] is None:
            continue  # an odd key: skip that cell, keep the others
        value = _scalar(text)
        out[(cell[0], cell[1])] = "" if value is None else str(value)
    return out


# --------------------------------------------------------------------------- order: item indices in the learner's order


def _encode_order(answer: Any) -> Stored:
    if isinstance(answer, (list, tuple)) and all(_is_int(i) for i in answer):
        return list(answer)
    return None


def _decode_order(stored: Stored) -> Any:
    if isinstance(stored, list) and all(_is_int(i) for i in stored):
        return list(stored)
    return None


CODECS: dict[str, Codec] = {
    "numeric": Codec(_encode_scalar, _decode_scalar),
    "text": Codec(_encode_scalar, _decode_scalar),
    "reflect": Codec(_encode_scalar, _decode_scalar),
    "choice": Codec(_encode_scalar, _decode_scalar),
    "multi": Codec(_encode_multi, _decode_multi),
    "matching": Codec(_encode_matching, _decode_matching),
    "table": Codec(_encode_table, _decode_table),
    "order": Codec(_encode_order, _decode_order),
}


def encode_answer(kind: str, answer: Any) -> Stored:
    """The answer as JSON-able data for the store (None when it has no stored form)."""
    codec = CODECS.get(kind)
    return codec.encode(answer) if codec is not None else None


def decode_answer(kind: str, stored: Stored) -> Any:
    """The answer back from stored data; None for anything odd (never raises)."""
    codec = CODECS.get(kind)
    if codec is None or stored is None:
        return None
    try:
        return codec.decode(stored)
    except Exception:  # noqa: BLE001 - a file from elsewhere must never stop a lesson
        return None
