"""Every word the learner reads about a checked answer, built from a `Result`'s data.

Why one module: the checkers return data (which option, which cell, what was given), so
the wording can change (or be translated) in one place, the widgets never read text back
out of a message, and a stored Result can be shown again later. UI-free: marks and colour
are the caller's business (`parts_lines` takes the mark to put before a wrong part).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tui_tutor.lesson.names import RUN_SETTING_LABELS

if TYPE_CHECKING:
    from tui_tutor.grading.result import PartResult, Result
    from tui_tutor.lesson.model import Question

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_PART_LINES = 4


# --------------------------------------------------------------------------- small pieces


def letter(index: int) -> str:
    """Option label for a 0-based index: A, B, C, ..."""
    return LETTERS[index] if 0 <= index < len(LETTERS) else f"#{index + 1}"


def shown(value: Any) -> str:
    """A learner's value as short text (never the str() of a container: it may hold anything)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**40:
        return "a very large number"  # str() of a huge int is slow, or refused
    if not isinstance(value, (str, int, float)):
        value = type(value).__name__
    s = str(value).strip()
    return s if len(s) <= 40 else s[:37] + "..."


def sentence(text: str) -> str:
    """Capitalised, with a full stop."""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def cell_label(question: Question | None, row: int, col: int) -> str:
    """'row 2, Squared error' (rows counted from 1 for people; the column by its heading)."""
    columns = question.columns if question is not None else ()
    name = columns[col].strip() if 0 <= col < len(columns) and columns[col].strip() else f"column {col + 1}"
    return f"row {row + 1}, {name}"


def choices_hint(n: int) -> str:
    return f"choose a letter from A to {letter(n - 1)}" if n > 1 else "choose A"


# --------------------------------------------------------------------------- unreadable answers


def unreadable(kind: str, reason: str, **facts: Any) -> str:
    """Why an answer of `kind` could not be read, as one sentence.

    `facts` by reason: given (the offending text), options (how many), keys (matching's
    option keys), items (how many), limit (characters), cell (its label), problem (the
    parser's or the lesson's own explanation), error (an exception's name).
    """
    given = shown(facts.get("given", ""))
    hint = choices_hint(int(facts.get("options", 0)))
    if reason == "unknown_kind":
        return f"This question has an unknown kind `{kind}` and cannot be graded."
    if reason == "lesson":
        return f"This question cannot be graded (a problem in the lesson): {facts.get('problem', '')}"
    if reason == "internal":
        return f"This answer could not be graded ({facts.get('error', 'an error')})."
    if reason == "train_first":
        needs = str(facts.get("settings", ""))
        if needs:
            return (f"This question is about your own run with {needs}: train with those settings first "
                    "(choose them in the training view and press t, or use set and train in line mode).")
        return ("This question is about your own training run: train the model first "
                "(key t in the training view, or type train in line mode).")
    if reason == "unreadable":
        problem = str(facts.get("problem", "could not read the answer"))
        if "cell" in facts:
            return sentence(f"{facts['cell']}: {problem[:1].lower()}{problem[1:]}")
        return sentence(problem)
    if reason == "not_a_number":
        return "Type a number."
    if reason == "too_large":
        return "That number is too large."
    if reason == "too_long":
        limit = facts.get("limit")
        return f"That answer is too long (at most {limit} characters)." if limit else "That answer is too long."
    if reason == "not_an_option":
        if kind == "matching":
            return f"`{given}` is not an option (choose {', '.join(facts.get('keys', ()))})."
        return sentence(f"`{given}` is not an option: {hint}")
    if reason == "no_statement":
        return f"There is no statement {given}."
    if reason == "empty":
        return {
            "numeric": "Type a number (or arithmetic such as 5/4).",
            "choice": sentence(f"Choose an option: {hint}"),
            "multi": sentence(f"Choose at least one option: {hint}"),
            "matching": "Match at least one statement with an option.",
            "table": "Fill in at least one cell.",
            "reflect": "Write a few words first.",
        }.get(kind, "Type an answer.")
    if reason == "shape":
        items = facts.get("items", 0)
        return {
            "choice": sentence(f"Choose one option: {hint}"),
            "multi": sentence(f"Choose options by letter: {hint}"),
            "matching": "Match each statement with an option.",
            "table": "Fill in the table's empty cells.",
            "order": f"Put each of the {items} items in the list exactly once.",
            "numeric": "Type a number.",
            "reflect": "Write a few words first.",
        }.get(kind, "Type an answer.")
    return "This answer could not be read."


# --------------------------------------------------------------------------- verdict and summary


def headline(result: Result) -> str:
    """The verdict in words: Correct / Partly right (k/n) / Not yet / Saved / Could not check."""
    if result.status == "correct":
        return "Correct"
    if result.status == "partial":
        counted = [p for p in result.parts if not p.optional] or list(result.parts)
        if counted:  # optional parts are graded but do not count in the score
            right = sum(1 for p in counted if p.correct)
            if abs(right / len(counted) - result.score) < 1e-9:
                return f"Partly right ({right}/{len(counted)})"
        return f"Partly right ({round(result.score * 100)}%)"
    if result.status == "wrong":
        return "Not yet"
    if result.status == "saved":
        return "Saved"
    return "Could not check"


def _count(parts: Sequence[PartResult], optional: bool) -> tuple[int, int]:
    chosen = [p for p in parts if p.optional == optional]
    return sum(p.correct for p in chosen), len(chosen)


def _body(result: Result) -> str:
    """What the answer came to, without the verdict ("" when the verdict says it all)."""
    kind, parts, correct = result.kind, result.parts, result.status == "correct"
    if result.status in ("saved", "invalid"):
        return ""
    if kind == "numeric":
        typed = shown(result.given) if result.given is not None else ""
        if result.value is not None and isinstance(result.given, str):
            typed = f"`{typed}` = {_number(result.value)}"
        if correct:
            return f"({typed})." if result.value is not None else ""
        if result.reason == "rounded":
            return f"{typed} is the answer rounded too much; give more decimal places."
        return f"{typed} is not the answer."
    if kind == "text":
        return "" if correct else f"“{shown(result.given)}” is not the answer."
    if kind == "choice":
        picked = next((p for p in parts if p.given is True), None)
        return "" if correct or picked is None else f"{letter(picked.index)} is not right."
    if kind == "multi":
        if correct:
            return "you picked every right option and no other."
        right = sum(1 for p in parts if p.given is True and p.expected is True)
        wrong = sum(1 for p in parts if p.given is True and p.expected is not True)
        total = sum(1 for p in parts if p.expected is True)
        return f"you picked {right} of the {total} right options" + (f" and {plural(wrong, 'wrong one')}." if wrong else ".")
    if kind == "table":
        if correct:
            return "every cell is right."
        right, total = _count(parts, False)
        return f"{right} of {plural(total, 'cell')} are right."
    if kind == "matching":
        right, total = _count(parts, False)
        right_opt, total_opt = _count(parts, True)
        if not total:
            return f"{right_opt} of {total_opt} statements are right."
        return f"{right} of {total} statements are right" + (
            f" (and {right_opt} of {total_opt} optional ones)." if total_opt else ".")
    if kind == "order":
        if correct:
            return "every item is in order."
        right, total = _count(parts, False)
        return f"{right} of {total} items are in the right order; {plural(total - right, 'item')} out of place."
    return ""


def _number(x: float) -> str:
    from tui_tutor.grading.expr import format_number

    return format_number(x, 6)


def summary(result: Result) -> str:
    """The one-line summary that stands alone: "Not quite: 0.25 is not the answer.", "3 of 4 cells are right."."""
    if result.status == "invalid":
        return result.detail or "This answer could not be read."
    if result.status == "saved":
        return "Saved."
    body = _body(result)
    if result.status == "correct":
        if not body:
            return "Correct."
        return f"Correct {body}" if body.startswith("(") else f"Correct: {body}"
    if result.kind in ("numeric", "text"):
        return ("Close: " if result.reason == "rounded" else "Not quite: ") + body
    return sentence(body) if body else headline(result) + "."


def status_line(result: Result) -> str:
    """The verdict and what the answer came to, said once: "Not yet: 0.25 is not the answer."."""
    if result.status == "invalid":
        return result.detail or headline(result)
    verdict, body = headline(result), _body(result)
    if not body:
        return verdict
    return f"{verdict} {body}" if body.startswith("(") else f"{verdict}: {body}"


# --------------------------------------------------------------------------- parts


def part_label(part: PartResult, question: Question | None = None) -> str:
    """What a part refers to: "option B", "statement 3 (optional)", "position 4", "row 2, Squared error"."""
    if part.kind == "option":
        return f"option {letter(part.index)}"
    if part.kind == "statement":
        return f"statement {part.index + 1}" + (" (optional)" if part.optional else "")
    if part.kind == "position":
        return f"position {part.index + 1}"
    return cell_label(question, part.index, part.column if part.column is not None else 0)


def part_reason(part: PartResult, question: Question | None = None) -> str:
    """Why a part is wrong ("" for a right part): "should be picked", "3 is not right. <lesson hint>"."""
    if part.correct:
        return ""
    if part.kind == "option":
        if part.given is True:
            default = "" if question is not None and question.kind == "choice" else "should not be picked"
            return part.feedback or default
        return "should be picked"
    if part.kind == "statement":
        return "not answered" if part.given is None else f"should not be {part.given}"
    if part.kind == "position":
        items = question.items if question is not None else ()
        index = part.given if isinstance(part.given, int) and not isinstance(part.given, bool) else -1
        item = f"“{shown(items[index])}”" if 0 <= index < len(items) else f"item {index + 1}"
        return f"{item} is out of place"
    if part.given is None or (isinstance(part.given, str) and not part.given.strip()):
        return "not filled in"
    return f"{shown(part.given)} is not right" + (f". {part.feedback}" if part.feedback else "")


def part_line(part: PartResult, question: Question | None = None) -> str:
    """"option B: should be picked", "row 2, Squared error: 3 is not right"."""
    reason = part_reason(part, question)
    return f"{part_label(part, question)}: {reason}" if reason else part_label(part, question)


def parts_lines(result: Result, question: Question | None, wrong_mark: str, limit: int = MAX_PART_LINES) -> list[str]:
    """Wrong parts with their reason (at most `limit`), then targeted messages not said already."""
    if result.status == "invalid":
        return []
    lines: list[str] = []
    said: list[str] = []
    wrong = [p for p in result.parts if not p.correct]
    for part in wrong[:limit]:
        lines.append(f"{wrong_mark} {part_line(part, question)}")
        said.append(part_reason(part, question))
    if len(wrong) > limit:
        lines.append(f"  ... and {len(wrong) - limit} more")
    for message in result.targeted:
        if message and not any(message in s for s in said):
            lines.append(message)
    return lines


# --------------------------------------------------------------------------- runs


def settings_words(settings: tuple[tuple[str, Any], ...] | list[tuple[str, Any]]) -> str:
    """`(("hidden_units", 2),)` -> "units 2", as the training view labels its settings."""
    return ", ".join(f"{RUN_SETTING_LABELS.get(key, key)} {value:g}" if isinstance(value, float)
                     else f"{RUN_SETTING_LABELS.get(key, key)} {value}" for key, value in settings)


def run_name(number: int, settings: Mapping[str, Any], values: Mapping[str, float]) -> str:
    """A training run named by what sets it apart: "run 3: seed 2, 2 units, final loss 0.6931";
    a seed sweep: "sweep 1: seeds 1 to 30, 2 units, 7 of 30 solved".

    `settings` are the run's settings in the training view (seed, hidden_units, ...) and
    `values` its numbers (`final_loss`, ...); what a run lacks is left out.
    """
    if "sweep_seeds" in values:  # a seed sweep: its seeds and its count, not one seed
        facts = [f"seeds 1 to {int(values['sweep_seeds'])}"]
        units = settings.get("hidden_units")
        if isinstance(units, (int, float)) and not isinstance(units, bool) and units > 0:
            facts.append(plural(int(units), "unit"))
        if "sweep_solved" in values:
            facts.append(f"{int(values['sweep_solved'])} of {int(values.get('sweep_done', 0))} solved")
        return f"sweep {number}: " + ", ".join(facts)
    facts = []
    seed = settings.get("seed")
    if isinstance(seed, (int, float)) and not isinstance(seed, bool):
        facts.append(f"seed {int(seed)}")
    units = settings.get("hidden_units")
    if isinstance(units, (int, float)) and not isinstance(units, bool) and units > 0:
        facts.append(plural(int(units), "unit"))
    loss = values.get("final_loss")
    if isinstance(loss, (int, float)):
        facts.append(f"final loss {loss:.4f}")
    return f"run {number}" + (": " + ", ".join(facts) if facts else "")


def graded_against(name: str) -> str:
    """"Graded against run 3: seed 2, 2 units, final loss 0.6931." (`name` from `run_name`)."""
    return sentence(f"graded against {name}")


def newer_run_note(name: str) -> str:
    """Said when the learner has trained again since answering: the old verdict stands."""
    return f"Your newer {name} does not change this verdict; answer again to be graded against it."


def practice_run(train_id: str, name: str) -> str:
    """The practice screen's line over a question about a run (`name` from `run_name`)."""
    return f"About your training: answers are graded against your latest run of {train_id}, {name}."


def practice_no_run(train_id: str) -> str:
    return f"About your training: you have no run of {train_id} yet; train in the lesson first."


def score_line(score: float, attempts: int, hints_open: int, revealed: bool, variant: int | None,
               mastered: bool, optional: bool) -> str:
    """"Score: 80%, 2 tries, 1 hint open, variant 1": a question's standing in one line, the
    same in the full-screen panel and in line mode. `variant` is None for a question without
    variants (numbered from 0 here, from 1 on screen)."""
    bits = [f"Score: {round(score * 100)}%", f"{attempts} {'try' if attempts == 1 else 'tries'}"]
    if hints_open:
        bits.append(f"{hints_open} hint{'s' if hints_open != 1 else ''} open")
    if revealed:
        bits.append("solution shown")
    if variant is not None:
        bits.append(f"variant {variant + 1}")
    if mastered:
        bits.append("mastered")
    text = ", ".join(bits)
    if optional:
        text += " (optional: not counted in the lesson score)"
    return text


def solution_note(graded: bool, solved: bool, score: float, can_vary: bool, new_numbers: str) -> str:
    """The line above a shown solution: what showing it did to the score. `new_numbers` names
    the front end's way to new numbers ("press v", "type new")."""
    if not graded:
        return "Solution (shown):"
    if solved and score > 0:
        return "Solution (shown and recorded; your score stands):"
    note = "Solution (shown and recorded: answers to this variant now score 0"
    return note + (f"; {new_numbers} for new numbers):" if can_vary else "):")
