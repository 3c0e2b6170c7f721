"""One Carpentries episode (Workbench or styles era) -> one tutor lesson, plus a review report.

The episode is read by the tutor's own fenced-div reader (tui_tutor.lesson.blocks); a
styles-era episode is first turned into fenced divs (styles.py). Steps start at level-2
headings; challenges become questions where the solution states the answer (answers.py) and
self-checks otherwise. Question ids come from the challenge titles, so re-importing an
updated episode keeps the learners' progress. Nothing in the episode is executed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tui_tutor.importer.answers import OptionList, Reading, code_mask, find_options, read_keys, read_number, read_pairs
from tui_tutor.importer.answers import read_text, wants_many
from tui_tutor.importer.styles import convert_styles, is_styles_era
from tui_tutor.lesson.blocks import Node, TextRun, parse_blocks, split_front_matter
from tui_tutor.lesson.loader import CONTENT_BLOCKS
from tui_tutor.lesson.yamldoc import YamlProblem, load_yaml

#: The classes Carpentries Workbench (sandpaper) knows; others are warned about.
WORKBENCH_CLASSES = frozenset(
    "callout objectives questions challenge prereq checklist solution hint discussion testimonial "
    "keypoints instructor spoiler tab group-tab caution".split()
)
SELF_CHECK_PROMPT = (
    "How did you do? Open the solution (key s), compare it with your own answer and rate yourself: "
    "**got it**, **partly** or **not yet**. Add a note if you like: it is saved with your progress, not scored."
)
NO_SOLUTION_PROMPT = "Write down your answer or your notes: they are saved with your progress, not scored."
NUMERIC_PROMPT = "Type your answer: a number (a calculation such as 0.25 + 1 works too)."
TEXT_PROMPT = "Type your answer: a word or a short phrase."

_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]*)(?:\s+\"[^\"]*\")?\)(?:\{(?P<attrs>[^{}]*)\})?")
_ALT_ATTR = re.compile(r"""\balt\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')""")
_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.*)$")
_SUB = re.compile(r"^#{2,6}\s+(?:\*\*|__)?(?i:(?:question|part|exercise|task)\s+)?(?P<num>\d{1,2})(?:[.:)]|\s|$)\s*(?P<title>.*)$")
_FENCE_INFO = re.compile(r"^\s*(`{3,}|~{3,})\s*\{?\s*(?P<info>[\w.-]*)")
_DROP = re.compile(r"^\s*(?:<!--.*-->|\[//\]:\s*#.*|<br\b[^>]*>|\{%.*%\})\s*$")
_LABEL_LINE = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*)?\(?(?:[A-Z]|\d{1,2})[.):](?:\*\*)?\s")
_TABLE = re.compile(r"^\s*\|.*\|\s*$")
_OPTIONAL = re.compile(r"\(\s*optional\s*\)", re.IGNORECASE)


@dataclass
class Entry:
    """A line of the review report: `path:line: message`; `review` marks what needs a person."""

    line: int
    message: str
    review: bool = False


@dataclass
class Episode:
    """The converted lesson and what the report says about it."""

    source: Path
    lesson_id: str
    text: str
    dialect: str
    entries: list[Entry] = field(default_factory=list)
    challenges: int = 0
    questions: int = 0  # graded questions
    self_checks: int = 0

    @property
    def needs_review(self) -> int:
        return sum(entry.review for entry in self.entries)


def slug(text: str, most: int = 48) -> str:
    """`Deep Learning Problems Exercise` -> `deep-learning-problems-exercise` (a stable id)."""
    words = re.sub(r"[^a-z0-9]+", "-", re.sub(r"[*_`$]", "", text.lower())).strip("-")
    if len(words) > most:
        words = words[:most].rsplit("-", 1)[0] if "-" in words[:most] else words[:most]
    return words.strip("-")


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as `|` blocks and indented lists, so the lesson reads like a hand-written one."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)


# A rendered line: (line in the episode, text, is it plain episode text (not a block we wrote)).
_Line = tuple[int, str, bool]


class _Converter:
    def __init__(self, path: Path, tab: str | None) -> None:
        self.path = path
        self.tab = tab
        self.entries: list[Entry] = []
        self.ids: set[str] = set()
        self.origins: list[int] = []
        self.demote = False
        self.challenges = self.questions = self.self_checks = 0
        self.untitled = 0

    def note(self, line: int, message: str, review: bool = False) -> None:
        self.entries.append(Entry(line, message, review))

    # -- the whole episode -----------------------------------------------------------
    def convert(self, text: str) -> Episode:
        lines = text.splitlines()
        front, front_line, start, errors = split_front_matter(lines)
        meta: dict[str, Any] = {}
        if errors:
            self.note(1, "the episode has no YAML front matter: the lesson is titled after the file", review=True)
            start = 0
        else:
            try:
                data = load_yaml(front, front_line).data
                meta = data if isinstance(data, dict) else {}
            except YamlProblem as exc:
                self.note(exc.line, f"front matter: {exc.message}", review=True)
        body = lines[start:]
        origins = list(range(start + 1, start + 1 + len(body)))
        dialect = "Workbench"
        if is_styles_era("\n".join(body)):
            dialect = "styles era"
            styled = convert_styles(body, start + 1)
            body, origins = styled.lines, styled.origin
            for line, message in styled.warnings:
                self.note(line, message)
        body, origins = self._drop_comments(body, origins)
        self.origins = origins
        parsed = parse_blocks("---\n---\n" + "\n".join(body))
        for line, message in parsed.errors:
            self.note(self._origin(line), message, review=True)
        self.demote = any(
            isinstance(child, TextRun) and any(self._level_one(child))
            for child in parsed.body
        )
        out: list[str] = []
        out += self._front_blocks(meta)
        out += [text for _, text, _ in self.children(parsed.body, top=True)]
        if isinstance(meta.get("keypoints"), list) and meta["keypoints"]:
            out += ["", "## Key points", "", "::: keypoints", *(f"- {_one_line(k)}" for k in meta["keypoints"]), ":::"]
        lesson_id = re.sub(r"[^a-z0-9_.-]+", "-", self.path.stem.lower()).strip("-_.") or "imported-lesson"
        title = meta.get("title") if isinstance(meta.get("title"), str) and meta.get("title") else self.path.stem
        front_out: dict[str, Any] = {"title": title, "id": lesson_id}
        minutes = sum(v for k in ("teaching", "exercises") if isinstance(v := meta.get(k), int) and not isinstance(v, bool) and v > 0)
        if 0 < minutes <= 10_000:
            front_out["minutes"] = minutes
        front_out["credits"] = (
            f"Imported from the Carpentries episode {self.path.name} with `tui-tutor import`. "
            "Credit the original lesson, its authors and its licence here."
        )
        lesson_text = "---\n" + dump_yaml(front_out) + "---\n\n" + _tidy("\n".join(out)) + "\n"
        episode = Episode(self.path, lesson_id, lesson_text, dialect, self.entries,
                          self.challenges, self.questions, self.self_checks)
        return episode

    def _origin(self, parsed_line: int) -> int:
        index = parsed_line - 3  # two front matter lines were put before the body
        if 0 <= index < len(self.origins):
            return self.origins[index]
        return self.origins[-1] if self.origins else 1

    def _drop_comments(self, lines: list[str], origins: list[int]) -> tuple[list[str], list[int]]:
        """HTML and Markdown comments, `<br>` lines and Liquid tags outside code: site machinery."""
        kept: list[str] = []
        kept_origins: list[int] = []
        in_comment = False
        for line, origin, code in zip(lines, origins, code_mask(lines)):
            if not code:
                if in_comment:
                    in_comment = "-->" not in line
                    continue
                if line.lstrip().startswith("<!--") and "-->" not in line:
                    in_comment = True
                    continue
                if _DROP.match(line):
                    continue
            kept.append(line)
            kept_origins.append(origin)
        return kept, kept_origins

    def _level_one(self, run: TextRun) -> list[bool]:
        return [bool((m := _HEADING.match(line)) and len(m["hashes"]) == 1) and not code
                for line, code in zip(run.lines, code_mask(run.lines))]

    def _front_blocks(self, meta: dict[str, Any]) -> list[str]:
        """Styles-era front matter lists of questions and objectives, as the Workbench blocks."""
        out: list[str] = []
        for key in ("questions", "objectives"):
            items = meta.get(key)
            if isinstance(items, list) and items:
                out += [f"::: {key}", *(f"- {_one_line(item)}" for item in items), ":::", ""]
        return out

    # -- blocks -------------------------------------------------------------------------
    def children(self, children: list[Node | TextRun], top: bool = False) -> list[_Line]:
        out: list[_Line] = []
        index = 0
        while index < len(children):
            child = children[index]
            index += 1
            if isinstance(child, TextRun):
                out += self.text(child, top)
                continue
            if child.kind in ("challenge", "discussion") and (child.kind == "challenge" or _has(child, "solution")):
                extra: list[Node] = []
                # a solution written after the challenge's closing fence belongs to it
                look = index
                while look < len(children) and _blank(children[look]):
                    look += 1
                after = children[look] if look < len(children) else None
                if isinstance(after, Node) and after.kind == "solution":
                    extra.append(after)
                    self.note(self._origin(after.line), "a solution after the challenge's closing fence was joined to the challenge")
                    index = look + 1
                out += self.challenge(child, extra)
                continue
            out += self.block(child)
        return out

    def block(self, node: Node) -> list[_Line]:
        origin = self._origin(node.line)
        if node.kind in ("tab", "group-tab"):
            return self.tabs(node)
        kind, title = node.kind, node.title or node.attrs.get("title", "")
        if kind not in WORKBENCH_CLASSES:
            self.note(origin, f"`{kind}` is not a Workbench block class", review=kind not in CONTENT_BLOCKS)
        if kind not in CONTENT_BLOCKS or kind in ("question", "interactive", "train"):
            title = f"{kind.capitalize()}: {title}" if title else kind.capitalize()
            kind = "callout"
        return [(origin, "", False), (origin, f"::: {kind} {title}".rstrip(), False),
                *self.children(node.children), (origin, ":::", False), (origin, "", False)]

    def tabs(self, node: Node) -> list[_Line]:
        """Keep one tab: each heading starts a tab; `--tab NAME` picks one, else the first."""
        origin = self._origin(node.line)
        lead: list[_Line] = []
        tabs: list[tuple[str, list[_Line]]] = []
        for line in self.children(node.children):
            heading = _HEADING.match(line[1]) if line[2] else None
            if heading:
                tabs.append((heading["title"].strip().rstrip("#").strip(), []))
            elif tabs:
                tabs[-1][1].append(line)
            else:
                lead.append(line)
        if not tabs:
            return lead
        names = [name for name, _ in tabs]
        wanted = (self.tab or "").strip().lower()
        chosen = next((i for i, name in enumerate(names) if name.lower() == wanted), 0)
        if wanted and names[chosen].lower() != wanted:
            self.note(origin, f"tabs {', '.join(names)}: no tab named \"{self.tab}\"; kept the first, {names[0]}", review=True)
        else:
            self.note(origin, f"tabs {', '.join(names)}: kept {names[chosen]}")
        others = ", ".join(n for i, n in enumerate(names) if i != chosen)
        note = f"*{names[chosen]}* (the episode also has: {others})" if others else f"*{names[chosen]}*"
        return [*lead, (origin, "", False), (origin, note, False), (origin, "", False), *tabs[chosen][1]]

    def text(self, run: TextRun, top: bool) -> list[_Line]:
        out: list[_Line] = []
        mask = code_mask(run.lines)
        openers = _openers(run.lines)
        for offset, (line, code) in enumerate(zip(run.lines, mask)):
            origin = self._origin(run.line + offset)
            if code:
                fence = _FENCE_INFO.match(line)
                if offset in openers and fence and fence["info"].lower() == "mermaid":
                    out += [(origin, "*A diagram (Mermaid source; the episode's web page draws it):*", False), (origin, "", False)]
                out.append((origin, line, True))
                continue
            if top and self.demote and (heading := _HEADING.match(line)):
                line = "#" + line if len(heading["hashes"]) < 6 else line
            out.append((origin, self.figures(line, origin), True))
        return out

    def figures(self, line: str, origin: int) -> str:
        def figure(match: re.Match[str]) -> str:
            alt_attr = _ALT_ATTR.search(match["attrs"] or "")
            alt = (alt_attr["dq"] if alt_attr and alt_attr["dq"] is not None else alt_attr["sq"] if alt_attr else "") or match["alt"]
            alt = " ".join(alt.split())
            if not alt:
                self.note(origin, f"figure {match['src']} has no alt text: the lesson names only its file")
                return f"*(Figure: {match['src']})*"
            return f"*Figure: {alt}* ({match['src']})"

        return _IMAGE.sub(figure, line) if "![" in line else line

    # -- challenges -----------------------------------------------------------------------
    def challenge(self, node: Node, extra_solutions: list[Node]) -> list[_Line]:
        self.challenges += 1
        origin = self._origin(node.line)
        title = node.title or node.attrs.get("title", "")
        solutions = [c for c in node.children if isinstance(c, Node) and c.kind == "solution"] + extra_solutions
        hints = [c for c in node.children if isinstance(c, Node) and c.kind == "hint"]
        rest = [c for c in node.children if not (isinstance(c, Node) and c.kind in ("solution", "hint"))]
        body = self.children(rest)
        if not title:  # untitled: its first heading (Workbench style), else the first words of its text
            first = next((k for k, (_, t, plain) in enumerate(body) if plain and t.strip()), None)
            if first is not None and (heading := _HEADING.match(body[first][1])) and not _SUB.match(body[first][1]):
                title = heading["title"].strip().rstrip("#").strip()
                body = body[:first] + body[first + 1:]
            elif first is not None:
                title = " ".join(re.sub(r"[#*_`>]", " ", body[first][1]).split()[:6])
        base = self._unique(slug(title) or f"challenge-{origin}")
        label = f"challenge \"{title}\"" if title else "challenge"

        parts, solution_parts = self._split(body, solutions)
        hint_texts = ["\n".join(t for _, t, _ in self._flat(h.children)).strip() for h in hints]
        hint_texts = [h for h in hint_texts if h]
        out: list[_Line] = [(origin, "", False), (origin, f"::: {node.kind} {title}".rstrip(), False)]
        for number, (part_origin, part) in enumerate(parts):
            sub = str(number + 1) if len(parts) > 1 else ""
            solution = solution_parts[number] if number < len(solution_parts) else ""
            qid = f"{base}-{sub}" if sub else base
            self.ids.add(qid)
            lines, question, reading = self.part(part, solution, qid, hint_texts if len(parts) == 1 else [])
            out += lines
            where = f"{label}, part {sub}" if sub else label
            self._report(part_origin if sub else origin, where, question, reading)
        if hint_texts and len(parts) > 1:
            for hint in hints:
                out += [(origin, "::: hint", False), *self._flat(hint.children), (origin, ":::", False)]
        out += [(origin, ":::", False), (origin, "", False)]
        return out

    def _unique(self, base: str) -> str:
        """The challenge's id: its title's slug; a second challenge of the same title gets `-2`."""
        qid, n = base, 2
        while qid in self.ids:
            qid, n = f"{base}-{n}", n + 1
        self.ids.add(qid)
        return qid

    def _flat(self, children: list[Node | TextRun]) -> list[_Line]:
        """Markdown for a question's solution or hint: nested blocks as a bold title and their
        text (no fences inside YAML); instructor notes left out."""
        out: list[_Line] = []
        for child in children:
            if isinstance(child, TextRun):
                out += self.text(child, top=False)
            elif child.kind == "instructor":
                self.note(self._origin(child.line), "an instructor note inside a solution or hint was left out")
            else:
                heading = child.title or child.attrs.get("title", "") or ("" if child.kind in ("solution", "tab", "group-tab") else child.kind.capitalize())
                if heading:
                    out += [(self._origin(child.line), f"**{heading}**", False), (self._origin(child.line), "", False)]
                out += self._flat(child.children)
        return out

    def _split(self, body: list[_Line], solutions: list[Node]) -> tuple[list[tuple[int, list[_Line]]], list[str]]:
        """Sub-questions (`### 1.` headings) and the matching parts of the solution(s)."""
        mask = code_mask([t for _, t, _ in body])
        starts = [i for i, ((_, text, plain), code) in enumerate(zip(body, mask)) if plain and not code and _SUB.match(text)]
        numbers = [_sub_number(body[i][1]) for i in starts]
        whole = [(o, t) for o, t, _ in self._flat_all(solutions)]
        solution_text = "\n".join(t for _, t in whole).strip("\n")
        if len(starts) < 2 or numbers != [str(n) for n in range(1, len(starts) + 1)]:
            return [(body[0][0] if body else 0, body)], [solution_text]
        # the solution split the same way: by numbered headings, or one solution block per part
        sol_lines = [t for _, t in whole]
        sol_mask = code_mask(sol_lines)
        sol_starts = [i for i, (t, code) in enumerate(zip(sol_lines, sol_mask)) if not code and _SUB.match(t)]
        sol_numbers = [_sub_number(sol_lines[i]) for i in sol_starts]
        pieces: list[str] = []
        if sol_numbers == numbers:
            preamble = "\n".join(sol_lines[: sol_starts[0]]).strip("\n")
            for k, s in enumerate(sol_starts):
                end = sol_starts[k + 1] if k + 1 < len(sol_starts) else len(sol_lines)
                pieces.append("\n".join(sol_lines[s + 1:end]).strip("\n"))
            if preamble:
                pieces[0] = preamble + "\n\n" + pieces[0]
        elif len(solutions) == len(starts):
            pieces = ["\n".join(t for _, t, _ in self._flat(s.children)).strip("\n") for s in solutions]
        else:
            return [(body[0][0] if body else 0, body)], [solution_text]
        intro = body[: starts[0]]
        parts: list[tuple[int, list[_Line]]] = []
        for k, s in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else len(body)
            parts.append((body[s][0], (intro if k == 0 else []) + body[s:end]))
        return parts, pieces

    def _flat_all(self, solutions: list[Node]) -> list[_Line]:
        out: list[_Line] = []
        for solution in solutions:
            if out:
                out.append((0, "", False))
            out += self._flat(solution.children)
        return out

    def part(self, part: list[_Line], solution: str, qid: str, hints: list[str]) -> tuple[list[_Line], dict[str, Any], Reading]:
        """Prose, then a question (or the solution and a self-check) for one (sub-)question."""
        texts = [t if plain else "" for _, t, plain in part]
        heading = next((t for t in texts if _SUB.match(t)), "")
        optional = bool(_OPTIONAL.search(heading))
        reading = analyse(texts, solution)
        origin = part[0][0] if part else 0
        question: dict[str, Any] = {"id": qid}
        keep = list(range(len(part)))
        insert_at = len(part)
        if reading.kind in ("choice", "multi", "matching"):
            listed = reading.statements if reading.kind == "matching" else reading.options
            assert listed is not None
            drop: set[int] = set()
            if listed.tight:
                drop |= set(range(listed.start, _list_end(texts, listed)))
            if reading.kind == "matching" and reading.options is not None and reading.options.tight:
                drop |= set(range(reading.options.start, _list_end(texts, reading.options)))
            stem_lines = _stem(texts, listed.start)
            drop |= set(stem_lines)
            stem = "\n".join(texts[i] for i in stem_lines).strip()
            asked = _question_after(texts, _list_end(texts, listed))
            if asked and not stem.endswith("?"):  # "Four runs: 1. ... 4. ... Which run diverged?"
                drop |= set(asked)
                stem = (stem + "\n\n" + "\n".join(texts[i] for i in asked)).strip()
            insert_at = min(drop) if drop else listed.start
            keep = [i for i in keep if i not in drop]
            question["kind"] = reading.kind
            if reading.kind == "matching":
                assert reading.options is not None and reading.statements is not None
                question["prompt"] = stem or "Match each statement with an option."
                question["options"] = {o.label: o.text for o in reading.options.options}
                question["statements"] = [
                    {"text": s.text, "answer": reading.pairs[s.label], **({"optional": True} if s.optional else {})}
                    for s in reading.statements.options
                ]
            else:
                assert reading.options is not None
                many = reading.kind == "multi"
                question["prompt"] = stem or ("Choose every right answer." if many else "Choose the right answer.")
                question["options"] = [
                    {"text": o.text, **({"correct": True} if o.label in reading.keys else {})} for o in reading.options.options
                ]
        elif reading.kind == "numeric":
            question.update(kind="numeric", prompt=NUMERIC_PROMPT, answer=_number(reading.number))
            if reading.atol:
                question.update(rtol=0, atol=float(f"{reading.atol:.3g}"))
        elif reading.kind == "text":
            question.update(kind="text", prompt=TEXT_PROMPT, answer=[reading.text])
        else:
            question.update(id=f"{qid}-self", kind="reflect", prompt=SELF_CHECK_PROMPT if solution.strip() else NO_SOLUTION_PROMPT)
        if reading.kind != "selfcheck":
            self.questions += 1
            if hints:
                question["hints"] = hints
            if solution.strip():
                question["solution"] = solution.strip("\n")
            if optional:
                question["optional"] = True
        else:
            self.self_checks += 1
        before = [part[i] for i in keep if i < insert_at]
        after = [part[i] for i in keep if i >= insert_at]
        block: list[_Line] = []
        if reading.kind == "selfcheck" and solution.strip():
            block += [(origin, "", False), (origin, "::: solution", False), *((origin, t, False) for t in solution.split("\n")),
                      (origin, ":::", False)]
            if hints:
                for hint in hints:
                    block += [(origin, "::: hint", False), *((origin, t, False) for t in hint.split("\n")), (origin, ":::", False)]
        block += [(origin, "", False), (origin, "::: question", False),
                  *((origin, t, False) for t in dump_yaml(question).rstrip("\n").split("\n")), (origin, ":::", False), (origin, "", False)]
        if reading.kind == "selfcheck":  # the exercise comes before its solution
            return before + after + block, question, reading
        return before + block + after, question, reading

    def _report(self, line: int, where: str, question: dict[str, Any], reading: Reading) -> None:
        kind = question.get("kind")
        if reading.kind == "selfcheck":
            shown = "solution, then a reflect question" if question["prompt"] == SELF_CHECK_PROMPT else "no solution: a reflect question"
            what = f"self-check `{question['id']}` ({shown})"
        elif kind == "matching":
            pairs = ", ".join(f"{n}-{letter}" for n, letter in reading.pairs.items())
            what = f"matching question `{question['id']}`, key {pairs}"
        elif kind in ("choice", "multi"):
            assert reading.options is not None
            key = ", ".join(reading.keys)
            if reading.options.style == "number":  # the tutor labels options A, B, C...
                labels = [o.label for o in reading.options.options]
                key = f"options {key} (the tutor's {', '.join(chr(65 + labels.index(k)) for k in reading.keys)})"
            what = f"{kind} question `{question['id']}`, key {key}"
        elif kind == "numeric":
            tolerance = f" ± {question['atol']:g}" if question.get("atol") else " (exact)"
            what = f"numeric question `{question['id']}`, answer {reading.number}{tolerance}"
        else:
            what = f"text question `{question['id']}`, answer \"{reading.text}\""
        review = reading.confidence != "high"
        self.note(line, f"{where}: {what}; confidence {reading.confidence}: {reading.why}", review=review)


def analyse(texts: list[str], solution: str) -> Reading:
    """What a (sub-)question with these lines and this solution becomes."""
    letters, numbered = find_options(texts)
    letters = letters if letters and len(letters.options) <= 26 else None  # the tutor labels options A to Z
    numbered = numbered if numbered and len(numbered.options) <= 26 else None
    if not solution.strip():
        return Reading("selfcheck", "high", "the episode gives no solution")
    if letters and numbered:
        pairs = read_pairs(solution, numbered, letters)
        if pairs:
            return Reading("matching", "high", f"the solution pairs all {len(pairs)} numbered statements with options {', '.join(o.label for o in letters.options)}",
                           options=letters, statements=numbered, pairs=pairs)
    for options in (o for o in (letters, numbered) if o):
        keys = read_keys(solution, options)
        if keys:
            labels, confidence, why = keys
            stem = "\n".join(texts[max(0, options.start - 8):options.start])
            many = len(labels) > 1 or wants_many(stem) or wants_many("\n".join(texts))
            return Reading("multi" if many else "choice", confidence, why, options=options, keys=labels)
    number = read_number(solution)
    if number and not (letters or numbered):
        value, atol, why = number
        tolerance = f"; tolerance ± {atol:g} proposed (half a unit of the last digit shown)" if atol else "; whole number, checked exactly"
        return Reading("numeric", "medium", why + tolerance, number=value, atol=atol)
    if not (letters or numbered):
        text = read_text(solution)
        if text:
            return Reading("text", "medium", text[1] + ": accepted as written (case and spaces ignored); add other spellings", text=text[0])
    sol_lines = solution.splitlines()
    if any(_TABLE.match(line) for line in sol_lines):
        return Reading("selfcheck", "low", "the answer is a table: consider writing a `table` question by hand")
    if (letters or numbered) and any(_LABEL_LINE.match(line) for line in sol_lines):
        return Reading("selfcheck", "low", "the solution discusses the options but names no key the importer can read")
    if any(code for code in code_mask(sol_lines)):
        return Reading("selfcheck", "high", "the answer is code to write")
    if any("![" in line or "*Figure" in line for line in sol_lines):
        return Reading("selfcheck", "high", "the answer is a figure")
    return Reading("selfcheck", "high", "the answer is prose (discussion or reflection)")


def _stem(texts: list[str], start: int) -> list[int]:
    """Indices of the paragraph right before an option list (its question), if plain text."""
    i = start - 1
    while i >= 0 and not texts[i].strip():
        i -= 1
    lines: list[int] = []
    while i >= 0 and texts[i].strip() and not _HEADING.match(texts[i]) and not _FENCE_INFO.match(texts[i]) and len(lines) < 8:
        if _LABEL_LINE.match(texts[i]) or texts[i].lstrip().startswith(("![", "*Figure", "|", ">", "<")):
            break
        lines.insert(0, i)
        i -= 1
    return lines if i < 0 or not texts[i].strip() or _HEADING.match(texts[i]) else []


def _question_after(texts: list[str], end: int) -> list[int]:
    """The short paragraph right after an option list when it is the question (ends with `?`)."""
    i = end
    while i < len(texts) and not texts[i].strip():
        i += 1
    lines: list[int] = []
    while i < len(texts) and texts[i].strip() and len(lines) < 4:
        if _HEADING.match(texts[i]) or _FENCE_INFO.match(texts[i]) or _LABEL_LINE.match(texts[i]):
            return []
        lines.append(i)
        i += 1
    return lines if lines and texts[lines[-1]].rstrip().endswith("?") else []


def _list_end(texts: list[str], listed: OptionList) -> int:
    """After the last option and its indented continuation lines."""
    end = listed.end
    while end < len(texts) and texts[end].startswith((" ", "\t")) and texts[end].strip():
        end += 1
    return end


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def _one_line(item: Any) -> str:
    return " ".join(str(item).split())


def _blank(child: Node | TextRun) -> bool:
    return isinstance(child, TextRun) and not child.text.strip()


def _sub_number(text: str) -> str:
    match = _SUB.match(text)
    return match["num"] if match else ""


def _has(node: Node, kind: str) -> bool:
    return any(isinstance(c, Node) and c.kind == kind for c in node.children)


def _openers(lines: list[str]) -> set[int]:
    """Indices of the lines that open a code block (one pass)."""
    openers: set[int] = set()
    fence = ""
    for i, line in enumerate(lines):
        match = _FENCE_INFO.match(line)
        if not match:
            continue
        if not fence:
            fence = match.group(1)
            openers.add(i)
        elif match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
            fence = ""
    return openers


def _tidy(text: str) -> str:
    """At most one blank line in a row outside code."""
    out: list[str] = []
    lines = text.split("\n")
    mask = code_mask(lines)
    for line, code in zip(lines, mask):
        if not code and not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line)
    return "\n".join(out).strip("\n")


def convert_episode(text: str, path: Path, tab: str | None = None) -> Episode:
    """Convert an episode's text; never executes anything from it."""
    return _Converter(Path(path), tab).convert(text)
