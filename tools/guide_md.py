#!/usr/bin/env python
"""docs/guide.md from docs/docsite/rst/guide.rst: the user guide has one source.

The .rst is what antsibull-docs builds into the collection's docsite (docs/docsite/extra-docs.yml);
Galaxy's Documentation tab shows docs/*.md. This turns the one into the other for the subset of
reStructuredText the guide uses, and fails on anything else rather than guess:

  sections (= - ~ underlines), paragraphs, ``literal``, *emphasis*, **strong**,
  :ansplugin:`fqcn#type`, `text <url>`_, `Section title`_, bullet lists (*), numbered lists (#.), definition lists,
  code-block directives, simple tables (===== borders), label targets and a contents directive
  (both dropped: Markdown renderers make their own anchors).

  .venv/bin/python tools/guide_md.py            # rewrite docs/guide.md (make guide)
  .venv/bin/python tools/guide_md.py --check    # exit 1 if docs/guide.md is not what the .rst gives
"""

import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join("docs", "docsite", "rst", "guide.rst")
TARGET = os.path.join("docs", "guide.md")
HEADER = ("<!-- Generated from %s by tools/guide_md.py (make guide). Edit the .rst, not this file. -->\n\n"
          % SOURCE.replace(os.sep, "/"))
HEADING_LEVELS = {"=": "#", "-": "##", "~": "###"}
LANGUAGES = {"console": "console", "yaml": "yaml", "yaml+jinja": "yaml", "python": "python", "json": "json",
             "bash": "bash", "shell": "bash", "ini": "ini", "text": "text"}
TABLE_BORDER = re.compile(r"^=+( +=+)+$")


class GuideError(ValueError):
    """reStructuredText this converter does not know."""


def inline(text):
    """Inline markup of one line."""
    text = re.sub(r":ansplugin:`([^`#<>]+)#[a-z_]+`", r"`\1`", text)
    text = re.sub(r"`([^`<>]+?)\s+<([^`<>]+)>`__?", r"[\1](\2)", text)
    text = re.sub(r"(?<!`)`([^`<>]+?)`_(?!_)", lambda match: "[%s](#%s)" % (match.group(1), anchor(match.group(1))), text)
    text = re.sub(r"``(.+?)``", r"`\1`", text, flags=re.S)
    leftover = re.search(r":[a-z]+:`", text)
    if leftover:
        raise GuideError("unknown role %r in: %s" % (leftover.group(0), text))
    return text


def anchor(title):
    """The anchor Markdown renderers (GitHub, Galaxy) give a heading."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def indent_of(line):
    return len(line) - len(line.lstrip(" "))


def dedent(lines):
    width = min((indent_of(line) for line in lines if line.strip()), default=0)
    return [line[width:] if line.strip() else "" for line in lines]


def indented_block(lines, start, minimum=1):
    """The lines from start that are indented by at least minimum (blank lines inside included), and the end."""
    end = start
    last = start
    while end < len(lines):
        if lines[end].strip():
            if indent_of(lines[end]) < minimum:
                break
            last = end + 1
        end += 1
    return lines[start:last], last


def is_heading(lines, index):
    if index + 1 >= len(lines) or not lines[index].strip() or indent_of(lines[index]):
        return False
    underline = lines[index + 1]
    return bool(re.match(r"^([=\-~^\"])\1+$", underline)) and len(underline) >= len(lines[index].rstrip())


def table(lines):
    """A simple table (border, header, border, rows, border) as a Markdown table."""
    border = lines[0]
    spans = [(match.start(), match.end()) for match in re.finditer(r"=+", border)]

    def cells(line):
        parts = []
        for number, (start, end) in enumerate(spans):
            stop = spans[number + 1][0] if number + 1 < len(spans) else len(line)
            parts.append(line[start:stop].strip())
        return parts

    borders = [index for index, line in enumerate(lines) if line == border]
    if len(borders) != 3:
        raise GuideError("a simple table needs 3 borders (header, rows): %r" % lines[0])
    header = [cells(line) for line in lines[borders[0] + 1:borders[1]]]
    rows = []
    for line in lines[borders[1] + 1:borders[2]]:
        if not line.strip():
            continue
        parts = cells(line)
        if parts[0] or not rows:
            rows.append(parts)
        else:  # a continuation line: its cells belong to the row above
            rows[-1] = [(old + " " + new).strip() for old, new in zip(rows[-1], parts)]
    head = [" ".join(column).strip() for column in zip(*header)]
    out = ["| " + " | ".join(inline(cell) for cell in head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(inline(cell) for cell in row) + " |" for row in rows]
    return out


def list_item(lines, index, marker, prefix):
    """One list item: its body converted, the first line after the Markdown marker, the rest indented."""
    first = lines[index][len(marker):]
    body, end = indented_block(lines, index + 1, minimum=len(marker))
    converted = convert([first] + dedent(body))
    pad = " " * len(prefix)
    return [prefix + converted[0]] + [pad + line if line else "" for line in converted[1:]], end


def convert(lines):
    """Markdown lines for reStructuredText lines (already dedented)."""
    out = []
    index = 0
    while index < len(lines):
        line = lines[index].rstrip()
        stripped = line.strip()
        if not stripped:
            if out and out[-1] != "":
                out.append("")
            index += 1
        elif re.match(r"^\.\. _[^:]+:$", stripped):
            index += 1
        elif stripped.startswith(".. contents::"):
            index = indented_block(lines, index + 1)[1]
        elif stripped.startswith(".. code-block::"):
            language = stripped[len(".. code-block::"):].strip()
            if language not in LANGUAGES:
                raise GuideError("unknown code-block language %r" % language)
            body, index = indented_block(lines, index + 1)
            body = dedent(body)
            while body and not body[0]:
                body.pop(0)
            out += ["```" + LANGUAGES[language]] + body + ["```"]
        elif stripped.startswith(".. "):
            raise GuideError("unknown directive or comment: %s" % stripped)
        elif is_heading(lines, index):
            mark = lines[index + 1][0]
            if mark not in HEADING_LEVELS:
                raise GuideError("unknown heading underline %r" % mark)
            out.append(HEADING_LEVELS[mark] + " " + inline(stripped))
            index += 2
        elif TABLE_BORDER.match(line):
            end = index
            borders = 0
            while end < len(lines) and borders < 3:
                borders += lines[end].rstrip() == line
                end += 1
            out += table([text.rstrip() for text in lines[index:end]])
            index = end
        elif line.startswith("* "):
            item, index = list_item(lines, index, "* ", "- ")
            out += item
        elif line.startswith("#. "):
            item, index = list_item(lines, index, "#. ", "1. ")
            out += item
        elif index + 1 < len(lines) and lines[index + 1].strip() and indent_of(lines[index + 1]) > 0:
            # A definition list entry: the term, then its indented body.
            body, index = indented_block(lines, index + 1)
            out += ["**%s**" % inline(stripped), ""] + convert(dedent(body))
        else:
            paragraph = []
            while index < len(lines) and lines[index].strip() and not indent_of(lines[index]):
                paragraph.append(lines[index].rstrip())
                index += 1
            out += inline("\n".join(paragraph)).split("\n")
            if index < len(lines) and lines[index].strip():
                raise GuideError("unexpected indentation after a paragraph: %r" % lines[index])
    while out and out[-1] == "":
        out.pop()
    return out


def render(text):
    """docs/guide.md's text for guide.rst's."""
    return HEADER + "\n".join(convert(text.splitlines())) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if %s is not up to date" % TARGET)
    args = parser.parse_args(argv)
    with open(os.path.join(ROOT, SOURCE), encoding="utf-8") as handle:
        wanted = render(handle.read())
    target = os.path.join(ROOT, TARGET)
    if args.check:
        current = open(target, encoding="utf-8").read() if os.path.exists(target) else None
        if current != wanted:
            print("%s is not what %s gives: run make guide (python3 tools/guide_md.py)" % (TARGET, SOURCE), file=sys.stderr)
            return 1
        return 0
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(wanted)
    print("wrote %s" % TARGET)
    return 0


if __name__ == "__main__":
    sys.exit(main())
