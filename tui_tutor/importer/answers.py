"""Reading the answer a challenge's solution states, the way lessons state them in the wild.

Everything here is pattern matching on text; nothing is executed. Each reading comes with a
confidence (high, medium, low) and a reason, which the import report prints:

- options in the challenge: `- A. text` / `A) text` / `**A. text**` (letters) or `1. text`
  (a numbered list);
- keys in the solution: "Correct answer: B & D", "The answers are A and C", per-option
  marks ("- A. ... (**correct**: ...)", "B: incorrect"), "1 and 5 are ...", or one
  `1. A` line per numbered statement (a matching);
- a number ("the output is `1.25`", "... = 3.5" at the end of the working, a bare number);
- a one-line text answer ("XOR", "Answer: `relu`").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_LETTER_OPTION = re.compile(r"^\s{0,3}(?:[-*+]\s+)?(?:\*\*|__)?\(?(?P<label>[A-Z])[.):](?:\*\*|__)?\s+(?P<text>\S.*)$")
_NUMBER_OPTION = re.compile(r"^\s{0,3}(?P<label>\d{1,2})[.)]\s+(?P<text>\S.*)$")
_CORRECT_MARK = re.compile(r"\(\s*(?:\*\*|__)?\s*(?:in)?correct\b[^)]*\)\s*$", re.IGNORECASE)
_MULTI_HINT = re.compile(r"multiple answers|more than one|all that apply|select all|choose all|several answers", re.IGNORECASE)

_LIST = r"(?P<keys>{k}(?:\s*(?:,|&|\band\b|\bor\b|\+|/)\s*{k})*)"
_LETTERS = _LIST.format(k=r"\(?[A-Z]\)?")
_NUMBERS = _LIST.format(k=r"\d{1,2}")
#: "Correct answer: B & D", "The correct answers are A and C", "Answer: (B)", "Solution: 2"
_EXPLICIT = (r"(?i:(?:the\s+)?(?:correct|right)\s+(?:answers?|options?|choices?)\s*(?:is|are|:)"
             r"|(?:the\s+)?answers?\s*(?:is|are|:)|solution\s*(?:is|:))\s*")
_EXPLICIT_LETTERS = re.compile(_EXPLICIT + r"(?i:options?\s+)?" + _LETTERS + r"(?![\w])")
_EXPLICIT_NUMBERS = re.compile(_EXPLICIT + r"(?i:options?|numbers?)?\s*" + _NUMBERS + r"(?![\w.]\d)")
_BARE_LETTERS = re.compile(r"^" + _LETTERS + r"\s*\.?$")
_BARE_NUMBERS = re.compile(r"^(?i:options?\s+)?" + _NUMBERS + r"\s*$")
#: "1 and 5 are ...", "1.  and 5 are", "B and D are correct" at the start of the solution
_LEADING_NUMBERS = re.compile(r"^\s*(?:[-*+]\s+)?(?i:options?\s+|answers?\s+)?" + _LIST.format(k=r"\d{1,2}\.?") + r"\s+(?i:are|is)\b")
_LEADING_LETTERS = re.compile(r"^\s*(?:[-*+]\s+)?(?i:options?\s+|answers?\s+)?" + _LETTERS + r"\s+(?i:are|is)\s+(?i:correct|right|true)\b")
#: per-option marks in the solution: "- A. ... (**correct**...)", "B: incorrect", "**2** is correct"
_MARKED = re.compile(r"^\s{0,3}(?:[-*+]\s+)?(?:\*\*|__)?\(?(?P<label>[A-Z]|\d{1,2})[.):](?:\*\*|__)?\s*(?P<rest>.*)$")
_IS_CORRECT = re.compile(r"(?<![\w-])(?:correct|right|true)\b", re.IGNORECASE)
_IS_WRONG = re.compile(r"\b(?:incorrect|not\s+correct|wrong|false|not\s+right)\b", re.IGNORECASE)
#: "1. A" / "1: **B**" / "- 1 -> C": one line per numbered statement of a matching
_PAIR = re.compile(r"^\s{0,3}(?:[-*+]\s+)?(?P<num>\d{1,2})\s*(?:[.):]|->|=>|–|-)?\s*(?:\*\*|__)?(?P<letter>[A-Z])(?:\*\*|__)?\s*(?:[.,;:]\s*.*)?$")

_NUMBER = r"(?P<num>[-+−]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?)"
_FINAL_NUMBER = re.compile(
    r"(?i:\bis|\bequals|\bcomes\s+to|=|:)\s*(?:\*\*|__|`|\$)*\s*"
    + _NUMBER + r"\s*(?:\*\*|__|`|\$)*\s*[.!]?\s*$"
)
_BARE_NUMBER = re.compile(r"^\s*(?:(?i:answer)\s*:\s*)?(?:\*\*|__|`|\$)*\s*" + _NUMBER + r"\s*(?:\*\*|__|`|\$)*\s*\.?\s*$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_MARKUP = re.compile(r"\*\*|__|`")


@dataclass
class Option:
    label: str  # "A" or "1"
    text: str
    index: int  # line index in the part
    optional: bool = False


@dataclass
class OptionList:
    style: str  # "letter" or "number"
    options: list[Option]
    tight: bool  # consecutive lines (a list), not headings spread over paragraphs

    @property
    def start(self) -> int:
        return self.options[0].index

    @property
    def end(self) -> int:
        """Index after the last line of the list (continuation lines included)."""
        return self.options[-1].index + 1


@dataclass
class Reading:
    """What the importer makes of one (sub-)question."""

    kind: str  # choice, multi, matching, numeric, text, selfcheck
    confidence: str  # high, medium, low
    why: str
    options: OptionList | None = None
    keys: list[str] = field(default_factory=list)  # option labels that are correct
    statements: OptionList | None = None  # matching: the numbered statements
    pairs: dict[str, str] = field(default_factory=dict)  # matching: statement number -> letter
    number: str = ""
    atol: float = 0.0
    text: str = ""


def code_mask(lines: list[str]) -> list[bool]:
    """True for the lines inside (or fencing) a code block."""
    mask, fence = [], ""
    for line in lines:
        match = _FENCE.match(line)
        if fence:
            mask.append(True)
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = ""
        elif match:
            fence = match.group(1)
            mask.append(True)
        else:
            mask.append(False)
    return mask


def find_options(lines: list[str]) -> tuple[OptionList | None, OptionList | None]:
    """(letter options, numbered list) of a part; the last list of each kind that is in order."""
    mask = code_mask(lines)
    letters = [Option(m["label"], _clean_option(m["text"]), i)
               for i, line in enumerate(lines) if not mask[i] and (m := _LETTER_OPTION.match(line))]
    letter_list = None
    # a run A, B, C, ... (the last one in the part, if the part has several)
    runs: list[list[Option]] = []
    for option in letters:
        if option.label == "A":
            runs.append([option])
        elif runs and ord(option.label) == ord(runs[-1][-1].label) + 1:
            runs[-1].append(option)
    runs = [r for r in runs if len(r) >= 2]
    if runs:
        run = runs[-1]
        tight = all(_only_blank_or_continuation(lines[run[k].index + 1:run[k + 1].index]) for k in range(len(run) - 1))
        letter_list = OptionList("letter", run, tight)
    number_list = None
    current: list[Option] = []
    found: list[list[Option]] = []
    for i, line in enumerate(lines):
        if mask[i]:
            continue
        match = _NUMBER_OPTION.match(line)
        if match and int(match["label"]) == (int(current[-1].label) + 1 if current else 1):
            current.append(Option(match["label"], _clean_option(match["text"]), i))
            continue
        if match and match["label"] == "1":
            if len(current) >= 2:
                found.append(current)
            current = [Option("1", _clean_option(match["text"]), i)]
            continue
        if current and line.strip() and not line.startswith((" ", "\t")):
            if len(current) >= 2:
                found.append(current)
            current = []
    if len(current) >= 2:
        found.append(current)
    if found:
        number_list = OptionList("number", found[-1], True)
    for option_list in (letter_list, number_list):
        for option in option_list.options if option_list else ():
            if option.text.lower().startswith("(optional)"):
                option.text, option.optional = option.text[len("(optional)"):].strip(), True
    return letter_list, number_list


def _only_blank_or_continuation(lines: list[str]) -> bool:
    return all(not line.strip() or line.startswith((" ", "\t")) for line in lines)


def _clean_option(text: str) -> str:
    text = text.strip()
    if text.endswith(("**", "__")) and not text.startswith(("**", "__")):
        text = text[:-2].rstrip()
    return _CORRECT_MARK.sub("", text).strip() or "(no text)"


def wants_many(stem: str) -> bool:
    return bool(_MULTI_HINT.search(stem))


def _split_keys(keys: str) -> list[str]:
    return [k.strip("(). ") for k in re.split(r"\s*(?:,|&|\band\b|\bor\b|\+|/)\s*", keys) if k.strip("(). ")]


def _plain(text: str) -> str:
    return _MARKUP.sub("", text)


def read_keys(solution: str, options: OptionList) -> tuple[list[str], str, str] | None:
    """(correct labels, confidence, why) that the solution states for `options`, or None."""
    labels = [o.label for o in options.options]
    lines = [line for line, code in zip(solution.splitlines(), code_mask(solution.splitlines())) if not code]
    plain = _plain("\n".join(lines))
    explicit = _EXPLICIT_LETTERS if options.style == "letter" else _EXPLICIT_NUMBERS
    for match in explicit.finditer(plain):
        keys = _split_keys(match["keys"])
        if keys and all(k in labels for k in keys):
            return _unique(keys), "high", f"the solution says \"{_quote(match.group(0))}\""
    bare = (_BARE_LETTERS if options.style == "letter" else _BARE_NUMBERS).match(plain.strip())
    if bare:
        keys = _split_keys(bare["keys"])
        if keys and all(k in labels for k in keys):
            return _unique(keys), "high", f"the solution is just \"{_quote(bare.group(0))}\""
    marked = _marked(lines, labels)
    if marked is not None:
        return marked
    leading = _LEADING_NUMBERS if options.style == "number" else _LEADING_LETTERS
    first = next((line for line in plain.splitlines() if line.strip() and not line.lstrip().startswith("#")), "")
    opening = leading.match(first)
    if opening:
        keys = _split_keys(opening["keys"])
        if keys and all(k in labels for k in keys):
            return _unique(keys), "medium", f"the solution opens with \"{_quote(opening.group(0))}\""
    return None


def _marked(lines: list[str], labels: list[str]) -> tuple[list[str], str, str] | None:
    """Per-option marks: every option line of the solution says correct or incorrect."""
    marks: dict[str, bool] = {}
    for line in lines:
        match = _MARKED.match(line)
        if not match or match["label"] not in labels:
            continue
        rest = _plain(match["rest"])
        if _IS_WRONG.search(rest):
            marks.setdefault(match["label"], False)
        elif _IS_CORRECT.search(rest):
            marks.setdefault(match["label"], True)
    correct = [label for label in labels if marks.get(label)]
    if correct and len(marks) >= 2:
        return correct, "high", f"the solution marks {len(marks)} of {len(labels)} options correct or incorrect"
    return None


def read_pairs(solution: str, statements: OptionList, letters: OptionList) -> dict[str, str] | None:
    """`1. A` lines in the solution for every numbered statement (a matching), or None."""
    pairs: dict[str, str] = {}
    known = {o.label for o in letters.options}
    for line in solution.splitlines():
        match = _PAIR.match(line)
        if match and match["letter"] in known:
            pairs.setdefault(match["num"], match["letter"])
    if all(o.label in pairs for o in statements.options):
        return {o.label: pairs[o.label] for o in statements.options}
    return None


def read_number(solution: str) -> tuple[str, float, str] | None:
    """(number as written, proposed absolute tolerance, why) of a numeric answer, or None."""
    lines = [line for line, code in zip(solution.splitlines(), code_mask(solution.splitlines())) if not code and line.strip()]
    if not lines or any(_TABLE_ROW.match(line) or len(line) > 1000 for line in lines):
        return None
    found = None
    if len(lines) == 1 and (bare := _BARE_NUMBER.match(lines[0])):
        found, why = bare["num"], "the solution is a single number"
    else:
        for line in reversed(lines[-3:]):  # the statement of the result closes the working
            last_sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z])", line.strip())[-1]
            match = _FINAL_NUMBER.search(last_sentence)
            if match:
                found, why = match["num"], f"the working ends with \"{_quote(match.group(0).strip())}\""
                break
    if found is None:
        return None
    number = found.replace("−", "-").replace(",", ".").lstrip("+")
    try:
        value = float(number)
    except ValueError:
        return None
    if value != value or abs(value) > 1e15:
        return None
    mantissa = number.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = int(number.lower().split("e")[1]) if "e" in number.lower() else 0
    atol = 0.5 * 10.0 ** (exponent - decimals) if decimals or exponent else 0.0
    return number, atol, why


def read_text(solution: str) -> tuple[str, str] | None:
    """(answer, why) when the solution is one short line: a word or a short phrase."""
    lines = [line.strip() for line in solution.splitlines() if line.strip()]
    if len(lines) != 1 or _FENCE.match(lines[0]) or _TABLE_ROW.match(lines[0]) or lines[0].startswith(("#", "!", "<")):
        return None
    answer = re.sub(r"^(?i:(?:the\s+)?answer\s*(?:is|:)\s*)", "", lines[0])
    answer = _plain(answer).strip().rstrip(".").strip().strip('"').strip()
    if not answer or not answer[0].isalnum() or len(answer) > 40 or len(answer.split()) > 4 or "$" in answer:
        return None
    return answer, "the solution is one short line"


def _unique(keys: list[str]) -> list[str]:
    return list(dict.fromkeys(keys))


def _quote(text: str, most: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 3] + "..."
