"""A corpus of hostile lesson files (issue 13), written into a folder by `write_corpus`.

Each class of file that once crashed, hung or bloated the tutor has hand-written cases; a
seeded mutator adds a few hundred damaged copies of a small lesson that uses every block
and question kind. Nothing here is stored on disk: the tests generate it into tmp_path.
"""

from __future__ import annotations

import random
from pathlib import Path

BASE = """---
title: Base lesson
minutes: 5
---

## Prose

Some **bold** text, a list and a table.

- one
- two

::: challenge A challenge
Think first.

::: solution
The answer.
:::
:::

## Questions

::: question
id: num
kind: numeric
prompt: "What is {x} + 1?"
params:
  x: {choose: [1, 2, 3]}
first: {x: 1}
answer: x + 1
feedback:
  - when: answer == x
    message: You forgot to add.
:::

::: question
id: pick
kind: choice
options:
  - text: Right
    correct: true
  - text: Wrong
:::

::: question
id: many
kind: multi
options:
  - {text: A, correct: true}
  - {text: B, correct: true}
  - {text: C}
:::

::: question
id: match
kind: matching
options: {A: Sigmoid, B: ReLU}
statements:
  - {text: Between 0 and 1, answer: A}
  - {text: Zero below 0, answer: B}
:::

## More

::: question
id: tab
kind: table
columns: [x, y]
rows:
  - [1, {answer: 2}]
:::

::: question
id: ord
kind: order
items: [first, second, third]
:::

::: question
id: word
kind: text
answer: [xor, exclusive or]
pattern: '^x-?or$'
:::

::: question
id: think
kind: reflect
prompt: Why?
:::

::: interactive
widget: activation-plot
:::
"""


def _lesson(front: str = "title: Hostile", body: str = "## Step\n\nText.\n") -> str:
    return f"---\n{front}\n---\n\n{body}"


def _question(yaml: str, title: str = "Step") -> str:
    return _lesson(body=f"## {title}\n\n::: question\n{yaml}\n:::\n")


def _text_q(pattern: str, qid: str = "t") -> str:
    quoted = pattern.replace("'", "''")
    return _question(f"id: {qid}\nkind: text\npattern: '{quoted}'")


def _numeric(extra: str, answer: str = "1") -> str:
    return _question(f"id: n\nkind: numeric\nanswer: {answer}\n{extra}")


def _train(extra: str) -> str:
    layers = "layers:\n  - {units: 2, activation: relu}\n  - {units: 1, activation: sigmoid}"
    return _lesson(body=f"## Train\n\n::: train\nid: run\n{layers}\n{extra}\n:::\n")


def _bomb(levels: int = 9, width: int = 9) -> str:
    lines = ['a0: &a0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines)


HUGE = "1" + "0" * 400


def hand_written() -> dict[str, dict[str, str | bytes]]:
    """Class -> {file name: content}: one case per way a lesson once broke the tutor."""
    c: dict[str, dict[str, str | bytes]] = {}
    c["yaml-constructor"] = {
        "float-tag.md": _lesson("title: T\nminutes: !!float x"),
        "bool-tag.md": _lesson("title: T\nminutes: !!bool maybe"),
        "timestamp-tag.md": _lesson("title: T\nminutes: !!timestamp x"),
        "int-4301-digits.md": _lesson("title: T\nminutes: " + "9" * 4301),
        "int-tag-digits.md": _numeric("", answer="!!int " + "7" * 5000),
        "binary-tag.md": _lesson("title: !!binary xx"),
        "python-tag.md": _lesson("title: !!python/object:os.system x"),
        "unknown-tag.md": _question("id: q\nkind: numeric\nanswer: !foo 1"),
        "set-tag.md": _question("id: q\nkind: text\nanswer: !!set {a, b}"),
        "unhashable-key.md": _question("? [a, b]\n: 1\nid: q\nkind: reflect"),
        "date-title.md": _lesson("title: 2001-12-14"),
        "float-answer-tag.md": _numeric("", answer="!!float nope"),
        "bool-in-question.md": _question("id: q\nkind: choice\noptions:\n  - {text: a, correct: !!bool perhaps}\n  - {text: b}"),
    }
    huge_fields = {
        "rtol": _numeric(f"rtol: {HUGE}"), "atol": _numeric(f"atol: {HUGE}"),
        "rtol-negative": _numeric("rtol: -1"), "atol-neg-huge": _numeric(f"atol: -{HUGE}"),
        "learning-rate": _train(f"learning_rate: {HUGE}"), "validation-split": _train(f"validation_split: {HUGE}"),
        "epochs": _train(f"epochs: {HUGE}"), "epochs-1e9": _train("epochs: 1000000000"),
        "batch": _train(f"batch_size: {HUGE}"), "seed": _train("seed: 9223372036854775808"),
        "units": _lesson(body="## T\n\n::: train\nid: r\nlayers:\n  - {units: 100000000000}\n:::\n"),
        "mastery": _lesson("title: T\nmastery: 9223372036854775808"), "mastery-1e6": _lesson("title: T\nmastery: 1000000"),
        "minutes": _lesson(f"title: T\nminutes: {HUGE}"), "order": _lesson(f"title: T\norder: {HUGE}"),
        "cell-rtol": _question(f"id: q\nkind: table\ncolumns: [a]\nrows:\n  - [{{answer: 1, rtol: {HUGE}}}]"),
        "cell-atol": _question(f"id: q\nkind: table\ncolumns: [a]\nrows:\n  - [{{answer: 1, atol: -{HUGE}}}]"),
        "cell-answer": _question(f"id: q\nkind: table\ncolumns: [a]\nrows:\n  - [{{answer: {HUGE}}}]"),
        "answer-inf": _numeric("", answer=".inf"), "answer-nan": _numeric("", answer=".nan"),
        "answer-neg-inf": _numeric("", answer="-.inf"), "answer-huge": _numeric("", answer=HUGE),
        "answer-1e300": _numeric("", answer="1.0e+300"), "text-answer-inf": _question("id: q\nkind: text\nanswer: .inf"),
        "feedback-cell-huge": _question(f"id: q\nkind: table\ncolumns: [a]\nrows:\n  - [{{answer: 1}}]\n"
                                        f"feedback:\n  - {{cell: [{HUGE}, 0], when: answer == 1, message: m}}"),
        "widget-huge": _lesson(body=f"## W\n\n::: interactive\nwidget: neuron-explorer\nbias: {HUGE}\n:::\n"),
        "widget-inputs-huge": _lesson(body=f"## W\n\n::: interactive\nwidget: neuron-explorer\ninputs: [{HUGE}, 1, 2]\n:::\n"),
    }
    c["huge-numbers"] = {f"{k}.md": v for k, v in huge_fields.items()}
    c["regex-invalid"] = {
        "repeat-overflow.md": _text_q("a{99999999999}"), "repeat-1001.md": _text_q("a{1001}"),
        "unclosed.md": _text_q("(a"), "backref.md": _text_q(r"(\w)\1"), "lookahead.md": _text_q("(?=a)a"),
        "long-pattern.md": _text_q("a" * 600), "nested-counts.md": _text_q("((a{100}){100}){100}"),
    }
    c["regex-backtracking"] = {  # valid patterns that freeze Python's `re`: RE2 answers them in linear time
        "alt-star.md": _text_q("(a|a)*b"), "plus-plus.md": _text_q("((a+))+b"), "dot-star-25.md": _text_q("(.*a){25}"),
        "star-star.md": _text_q("(a*)*b"), "class-plus.md": _text_q(r"(\w+\s?)+$"),
    }
    nest: dict[str, str | bytes] = {}
    for depth in (11, 50, 300, 490, 500, 5000):
        body = "## Deep\n\n" + "".join(f"::: callout L{i}\n" for i in range(depth)) + "text\n" + ":::\n" * depth
        nest[f"blocks-{depth}.md"] = _lesson(body=body)
        nest[f"blocks-unclosed-{depth}.md"] = _lesson(body="## Deep\n\n" + "::: note\n" * depth)
    for depth in (21, 500, 9000):
        nest[f"yaml-flow-{depth}.md"] = _question("id: q\nkind: reflect\nprompt: " + "[" * depth + "]" * depth)
        nest[f"yaml-unclosed-{depth}.md"] = _question("id: q\nkind: reflect\nx: " + "{a: " * depth)
    block_yaml = "id: q\nkind: reflect\nx:\n" + "".join("  " * i + "- \n" for i in range(1, 60))
    nest["yaml-block-60.md"] = _question(block_yaml)
    nest["closers-only.md"] = _lesson(body="## S\n\n" + ":::\n" * 2000)
    c["nesting"] = nest
    c["variant-overflow"] = {
        "range-1e300.md": _numeric("params:\n  x: {range: [0, 1.0e+300], step: 1.0e-300}", "x"),
        "range-1e15.md": _numeric("params:\n  x: {range: [0, 1.0e+15], step: 1.0e-15}", "x"),
        "choose-huge.md": _numeric(f"params:\n  x: {{choose: [{HUGE}, 1]}}", "x"),
        "first-huge.md": _numeric(f"params:\n  x: {{choose: [1, 2]}}\nfirst: {{x: {HUGE}}}", "x"),
        "first-inf.md": _numeric("params:\n  x: {choose: [1, 2]}\nfirst: {x: .inf}", "x"),
        "range-huge.md": _numeric(f"params:\n  x: {{range: [-{HUGE}, {HUGE}]}}", "x"),
        "step-tiny.md": _numeric("params:\n  x: {range: [0, 1], step: 1.0e-300}", "x"),
        "derived-pow.md": _numeric("params:\n  x: {choose: [10]}\nderived:\n  y: x^x^x^x", "y"),
        "where-never.md": _numeric("params:\n  x: {choose: [1]}\nwhere: [x > 1]", "x"),
        "answer-expr-huge.md": _numeric("", answer="'" + "9" * 400 + "'"),
        "labels-huge.md": _numeric("params:\n  a: {choose: [relu, sigmoid]}\nfirst: {a: tanh}", "a"),
    }
    c["alias-bomb"] = {
        "bomb-id.md": _question(_bomb() + "\nid: *a9\nkind: reflect"),
        "bomb-answer.md": _question(_bomb() + "\nid: q\nkind: text\nanswer: *a9"),
        "bomb-options.md": _question(_bomb() + "\nid: q\nkind: matching\noptions: *a9\nstatements: *a9"),
        "bomb-front.md": _lesson(_bomb() + "\ntitle: *a9"),
        "bomb-choice.md": _question(_bomb() + "\nid: q\nkind: choice\noptions: *a9"),
        "alias-simple.md": _question("id: &x q\nkind: text\nanswer: *x"),
        "merge-key.md": _question("base: &b {kind: reflect}\n<<: *b\nid: q"),
        "undefined-alias.md": _question("id: q\nkind: text\nanswer: *nothing"),
    }
    markup = "[/]"
    c["markup"] = {  # valid lessons whose text looks like Rich/Textual markup: shown literally
        "step-title.md": _lesson(body=f"## Step {markup}\n\nText [bold]not bold[/bold].\n"),
        "front-title.md": _lesson("title: 'T [/bold]'"),
        "front-title-link.md": _lesson("title: '[link=file:///etc/passwd]x[/link] [@click=app.quit]q[/]'"),
        "challenge-title.md": _lesson(body=f"## S\n\n::: challenge Title {markup}\nx\n:::\n"),
        "hint-title.md": _lesson(body="## S\n\n::: hint [red]\nx\n:::\n\n::: solution [/red]\ny\n:::\n"),
        "prompt.md": _question(f"id: q\nkind: numeric\nprompt: 'Say {markup} [b]'\nanswer: 1\nhints: ['{markup}']\nsolution: '{markup}'"),
        "options.md": _question(f"id: q\nkind: choice\noptions:\n  - {{text: '{markup}', correct: true, feedback: '[/x]'}}\n  - {{text: '[b]'}}"),
        "multi.md": _question(f"id: q\nkind: multi\noptions:\n  - {{text: '{markup}', correct: true}}\n  - {{text: '[i]'}}"),
        "matching.md": _question(f"id: q\nkind: matching\noptions: {{A: '{markup}', B: '[b]'}}\n"
                                 f"statements:\n  - {{text: '{markup}', answer: A}}\n  - {{text: '[/b]', answer: B}}"),
        "table.md": _question(f"id: q\nkind: table\ncolumns: ['{markup}', '[b]']\nrows:\n  - ['{markup}', {{answer: 1}}]\n"
                              f"  - ['[/b]', {{answer: 'see [b]'}}]"),
        "order.md": _question(f"id: q\nkind: order\nitems: ['{markup}', '[b]', '[/b]']"),
        "text.md": _question(f"id: q\nkind: text\nanswer: '{markup}'\nprompt: '[/]'"),
        "feedback.md": _question(f"id: q\nkind: numeric\nanswer: 1\nfeedback:\n  - {{when: answer == 2, message: '{markup}'}}"),
        "reflect.md": _question(f"id: q\nkind: reflect\nprompt: '{markup}'"),
        "keypoints.md": _lesson(body=f"## S\n\n::: keypoints\n- {markup}\n- [bold]\n:::\n"),
        "param-label.md": _question("id: q\nkind: numeric\nparams:\n  a: {choose: ['[/]', '[b]']}\nprompt: 'Pick {a}'\nanswer: a"),
    }
    big_line = "word " * 1_000_000
    c["size"] = {
        "prose-5mb-line.md": _lesson(body="## Big\n\n" + big_line + "\n"),
        "prose-1mb-plus.md": _lesson(body="## Big\n\n" + ("x" * 100 + "\n") * 10_000),
        "prose-9999-line.md": _lesson(body="## Long\n\n" + "y" * 9_999 + "\n"),
        "steps-600.md": _lesson(body="".join(f"## S{i}\n\nt\n\n" for i in range(600))),
        "step-text-200k.md": _lesson(body="## S\n\n" + ("z" * 1000 + "\n\n") * 200),
        "items-400.md": _lesson(body="## S\n\n" + "".join("::: note\nn\n:::\n\n" for _ in range(400))),
        "yaml-long-value.md": _question("id: q\nkind: reflect\nprompt: |\n" + ("  " + "p" * 5000 + "\n") * 10),
        "yaml-many-nodes.md": _question("id: q\nkind: reflect\nx:\n" + "  - 1\n" * 30_000),
        "many-comments.md": _lesson(body="## S\n\n" + "<!--" * 2400 + "\n"),
        "heading-spaces.md": _lesson(body="## a" + " " * 9_000 + "b\n\nt\n"),
        "open-spaces.md": _lesson(body="## S\n\n::: note a" + " " * 9_000 + "b\n:::\n"),
        "many-questions.md": _lesson(body="## S\n\n" + "".join(f"::: question\nid: q{i}\nkind: reflect\n:::\n\n" for i in range(350))),
    }
    c["encoding"] = {
        "bom.md": "\ufeff" + _lesson(),
        "crlf.md": _lesson().replace("\n", "\r\n"),
        "cr-only.md": _lesson().replace("\n", "\r"),
        "nul-in-yaml.md": _lesson("title: a\x00b"),
        "bell-in-yaml.md": _question("id: q\nkind: reflect\nprompt: 'x\x07'"),
        "esc-in-id.md": _question("id: \"a\\e[31mred\"\nkind: reflect"),
        "newline-id.md": _question('id: "a\\nb\\nc"\nkind: reflect'),
        "newline-id-literal.md": _question("id: |\n  line one\n  line two\nkind: reflect"),
        "newline-lesson-id.md": _lesson('title: T\nid: "x\\ny"'),
        "trailing-newline-id.md": _question('id: "abc\\n"\nkind: reflect'),
        "latin1.md": _lesson("title: caf\xe9").encode("latin-1"),
        "binary.md": bytes(range(256)) * 8,
        "empty.md": "",
        "only-dashes.md": "---\n",
        "only-front.md": "---\ntitle: T\n---\n",
        "no-front.md": "## Step\n\ntext\n",
        "front-list.md": "---\n- a\n- b\n---\n\n## S\n\nt\n",
        "front-scalar.md": "---\njust text\n---\n\n## S\n\nt\n",
        "esc-in-prose.md": _lesson(body="## S\n\n\x1b[2J\x1b]0;title\x07 text\n"),
        "u2028.md": _lesson(body="## S\u2028x\n\nt\u2029\n"),
        "surrogate-escape.md": _question('id: q\nkind: text\nanswer: "\\ud800"'),
    }
    c["structure"] = {
        "question-in-question.md": _lesson(body="## S\n\n::: question\nid: q\nkind: reflect\n::: hint\nx\n:::\n:::\n"),
        "unknown-block.md": _lesson(body="## S\n\n::: bogus\nx\n:::\n"),
        "feedback-not-list.md": _question("id: q\nkind: table\ncolumns: [a]\nrows:\n  - [{answer: 1}]\nfeedback: 5"),
        "feedback-cell-bool.md": _question("id: q\nkind: table\ncolumns: [a]\nrows:\n  - [{answer: 1}]\n"
                                           "feedback:\n  - {cell: [true, false], when: answer == 1, message: m}"),
        "rows-scalar.md": _question("id: q\nkind: table\ncolumns: [a]\nrows: 5"),
        "params-list.md": _numeric("params: [1, 2]", "1"),
        "derived-cycle.md": _numeric("params:\n  x: {choose: [1]}\nderived:\n  a: b\n  b: a", "a"),
        "run-unknown.md": _numeric("run: nothing", "final_loss"),
        "answer-list-dicts.md": _question("id: q\nkind: text\nanswer: [{a: 1}, [2]]"),
        "options-27.md": _question("id: q\nkind: choice\noptions:\n" + "".join(f"  - {{text: o{i}, correct: {str(i == 0).lower()}}}\n" for i in range(27))),
        "duplicate-ids.md": _lesson(body="## S\n\n" + "::: question\nid: q\nkind: reflect\n:::\n" * 2),
        "widget-options-bad.md": _lesson(body="## W\n\n::: interactive\nwidget: xor-network\nweights: x\n:::\n"),
        "expr-deep.md": _numeric("", answer="'" + "(" * 60 + "1" + ")" * 60 + "'"),
        "expr-long.md": _numeric("", answer="'" + "+".join(["1"] * 400) + "'"),
        "when-huge.md": _numeric("feedback:\n  - {when: answer == 1e400, message: m}"),
    }
    return c


def _mutate(text: str, rng: random.Random) -> str:
    """One to three random edits of the kinds that break files: cut, repeat, splice, noise."""
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(9)
        i = rng.randrange(len(lines))
        if op == 0:
            del lines[i: i + rng.randint(1, 4)]
        elif op == 1:
            lines[i:i] = lines[i: i + rng.randint(1, 6)] * rng.randint(2, 40)
        elif op == 2:
            lines.insert(i, rng.choice([":::", "::: question", "::: hint", "---", "```", "## [/]", "  - x", "{", "&a x", "*a"]))
        elif op == 3 and lines[i]:
            j = rng.randrange(len(lines[i]))
            lines[i] = lines[i][:j] + rng.choice(["\t", ":", "'", '"', "[", "]", "{", "}", "*", "&", "!", "%", "@", "`", "#"]) + lines[i][j:]
        elif op == 4:
            lines[i] = lines[i].replace("1", rng.choice(["1e400", "-1", "0", ".inf", "99999999999999999999", "1.0e-300"]))
        elif op == 5:
            lines = lines[: rng.randrange(1, len(lines) + 1)]
        elif op == 6:
            lines[i] = lines[i].replace(": ", rng.choice([": !!float ", ": !!str ", ": ", ":  [", ": *a "]), 1)
        elif op == 7:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines[i] = "  " + lines[i] if rng.random() < 0.5 else lines[i].lstrip()
    return "\n".join(lines)


def write_corpus(folder: Path, mutants: int = 260, seed: int = 13) -> dict[str, list[Path]]:
    """Write every hand-written case and `mutants` mutated lessons; return class -> paths."""
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, list[Path]] = {}
    for kind, files in hand_written().items():
        for name, content in files.items():
            path = folder / f"{kind}--{name}"
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_bytes(content.encode("utf-8", "surrogatepass"))
            out.setdefault(kind, []).append(path)
    rng = random.Random(seed)
    (folder / "base.md").write_text(BASE, encoding="utf-8")
    out["base"] = [folder / "base.md"]
    for index in range(mutants):
        path = folder / f"mutant--{index:03d}.md"
        path.write_text(_mutate(BASE, rng), encoding="utf-8")
        out.setdefault("mutant", []).append(path)
    return out


if __name__ == "__main__":  # write the corpus somewhere to look at it: python generate.py DIR
    import sys

    written = write_corpus(Path(sys.argv[1]))
    print(sum(len(v) for v in written.values()), "files")
