# SPDX-License-Identifier: MIT
"""Reading the examples of a Markdown page for md_test.py: fenced blocks with their md-test
markers, console blocks as commands and expected output, expected output as a regular expression,
and the page's relative links."""
import os
import re

MARKER = re.compile(r"^\s*<!--\s*md-test:\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)```\s*([A-Za-z0-9_+-]*)")
CONFIG_LANGS = {"yaml": ".yaml", "yml": ".yaml", "toml": ".toml"}
PLACEHOLDERS = {
    "<n>": r"-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?",
    "<time>": r"(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z|\d\d:\d\d:\d\d)",
    "<word>": r"\S+",
    "...": r"[^\n]*",
}
TOKEN = re.compile(r"(<n>|<time>|<word>|\.\.\.|[ \t]+)")


class Block:
    def __init__(self, path, line, lang, text, directive):
        self.path, self.line, self.lang, self.text, self.directive = path, line, lang, text, directive

    def where(self):
        return f"{self.path}:{self.line}"


def parse_markdown(path, text):
    """The fenced blocks of a document, each with the md-test directive written before it."""
    blocks, lines = [], text.split("\n")
    pending, i = None, 0
    while i < len(lines):
        m = MARKER.match(lines[i])
        if m:
            if pending:
                raise SystemExit(f"{path}:{pending[1]}: md-test marker not followed by a code block")
            pending = (m.group(1), i + 1)
            i += 1
            continue
        f = FENCE.match(lines[i])
        if f:
            indent, lang, start = len(f.group(1)), f.group(2).lower(), i + 1
            body, i = [], i + 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                line = lines[i]
                body.append(line[indent:] if not line[:indent].strip() else line.lstrip())
                i += 1
            if i == len(lines):
                raise SystemExit(f"{path}:{start}: code block never closed")
            blocks.append(Block(path, start, lang, "\n".join(body) + "\n", pending[0] if pending else ""))
            pending, i = None, i + 1
            continue
        if pending and lines[i].strip():
            raise SystemExit(f"{path}:{pending[1]}: md-test marker not followed by a code block")
        i += 1
    if pending:
        raise SystemExit(f"{path}:{pending[1]}: md-test marker not followed by a code block")
    return blocks


def parse_directive(block):
    """(skip reason or None, file name or None, refused?) from the marker; unknown markers fail."""
    d = block.directive
    if not d:
        return None, None, False
    m = re.fullmatch(r"skip \((.+)\)", d)
    if m:
        return m.group(1), None, False
    m = re.fullmatch(r"file ([A-Za-z0-9_./-]+)(, refused)?", d)
    if m:
        return None, m.group(1), bool(m.group(2))
    raise SystemExit(f"{block.where()}: unknown md-test marker {d!r} "
                     "(expected 'skip (REASON)', 'file NAME' or 'file NAME, refused')")


def parse_console(block):
    """[(line, command, [expected lines])] of a console block."""
    steps, lines, i = [], block.text.rstrip("\n").split("\n"), 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            raise SystemExit(f"{block.where()}: console block line {i + 1} is output before any `$ ` command")
        start, cmd = block.line + 1 + i, lines[i][2:]
        while cmd.endswith("\\") and i + 1 < len(lines):
            i += 1
            cmd = cmd[:-1] + " " + lines[i].strip()
        i += 1
        out = []
        while i < len(lines) and not lines[i].startswith("$ "):
            out.append(lines[i])
            i += 1
        steps.append((start, cmd, out))
    return steps


def output_regex(expected):
    parts = []
    for line in expected:
        line = line.rstrip()
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
            continue
        pattern = ""
        for piece in TOKEN.split(line):
            if piece in PLACEHOLDERS:
                pattern += PLACEHOLDERS[piece]
            elif piece and piece.isspace():
                pattern += r"[ \t]+"
            else:
                pattern += re.escape(piece)
        parts.append(pattern + r"\n")
    return re.compile("".join(parts))


def normalize(text):
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "".join(line + "\n" for line in lines)


def heading_anchor(title):
    """GitHub's anchor of a heading: lower case, punctuation dropped, blanks to hyphens."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def broken_links(path, text):
    """Relative links of a page (source path `path`) to files that do not exist or headings that
    are not there, as "LINE: message"."""
    problems, in_fence = [], False
    for number, line in enumerate(text.split("\n"), 1):
        if FENCE.match(line):
            in_fence = not in_fence
        if in_fence:
            continue
        for m in re.finditer(r"\]\(([^)\s]+)\)", line):
            target, _, anchor = m.group(1).partition("#")
            if re.match(r"[a-z]+:", target):
                continue
            file = os.path.normpath(os.path.join(os.path.dirname(path), target)) if target else path
            if not os.path.exists(file):
                problems.append(f"{number}: link to {m.group(1)}: no such file")
            elif anchor and file.endswith(".md"):
                with open(file, encoding="utf-8") as f:
                    titles = [heading_anchor(t.lstrip("#")) for t in f.read().split("\n") if t.startswith("#")]
                if anchor not in titles:
                    problems.append(f"{number}: link to {m.group(1)}: no such heading")
    return problems
