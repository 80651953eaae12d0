"""Cut a write-up into blocks: paragraphs, and inside them at every heading-like line.

Many sources put a heading straight above its text with no blank line (Eurorad pages,
e-mails with "Hx:" / "Dx:" lines, PDF text), so blank lines alone cannot be trusted to
separate sections.
"""

from __future__ import annotations

import re

from teachingfile.importing.patterns import (
    ANSWER_LABEL,
    BOLD_LABEL,
    BOLD_LINE,
    CAPTION,
    CASE_NUMBER_LINE,
    CHOICE,
    LAB,
    MD_HEADING,
    PLAIN_LABEL,
    RATING_LINE,
    heading_bucket,
    norm_heading,
    plain_text,
    split_paragraphs,
)

_SETEXT_UNDERLINE = re.compile(r"^(=+|-+)\s*$")


def setext_to_atx(text: str) -> str:
    """'Title' over '=====' becomes '# Title' (and '----' a level-two heading)."""
    lines = text.split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        underline = _SETEXT_UNDERLINE.match(line.strip())
        previous = out[-1].strip() if out else ""
        before_previous = lines[i - 2].strip() if i >= 2 else ""
        if (
            underline
            and len(line.strip()) >= 3
            and previous
            and not before_previous  # a one-line paragraph: a heading, not a table
            and len(previous) <= 80
            and not previous.startswith(("#", "-", "*", "|"))
        ):
            level = "#" if underline.group(1).startswith("=") else "##"
            out[-1] = f"{level} {previous}"
            continue
        out.append(line)
    return "\n".join(out)


def _label_bucket(line: str) -> str | None:
    match = BOLD_LABEL.match(line) or PLAIN_LABEL.match(line)
    if not match or LAB.match(line):
        return None
    label = match.group("label")
    if ANSWER_LABEL.match(norm_heading(label)):
        return "answers"
    return heading_bucket(label)


def is_heading_line(line: str) -> bool:
    """A line that is a heading on its own: it opens a block and closes one."""
    if MD_HEADING.match(line) or CASE_NUMBER_LINE.match(line) or RATING_LINE.match(line):
        return True
    bold = BOLD_LINE.match(line)
    if bold:
        return heading_bucket(bold.group("label")) is not None
    bare = line.strip().rstrip(":").strip()
    return (
        len(bare) <= 50
        and ":" not in bare
        and not bare.endswith((".", ",", ";"))
        and heading_bucket(bare) is not None
    )


def _opens_block(line: str) -> bool:
    return is_heading_line(line) or bool(CAPTION.match(line)) or _label_bucket(line) is not None


def _choice_run(lines: list[str], start: int) -> int:
    """How many lettered choices (A, B, C... in order) begin at lines[start]."""
    count = 0
    for line in lines[start:]:
        match = CHOICE.match(line)
        if not match or match.group("letter").lower() != "abcdefghij"[count]:
            break
        count += 1
    return count if count >= 2 else 0


def split_blocks(text: str) -> list[str]:
    blocks: list[str] = []
    for paragraph in split_paragraphs(setext_to_atx(text)):
        lines = [line for line in paragraph.split("\n") if line.strip()]
        current: list[str] = []
        i = 0
        while i < len(lines):
            line = lines[i].strip()
            run = _choice_run([x.strip() for x in lines], i)
            if run:
                if current:
                    blocks.append("\n".join(current))
                blocks.append("\n".join(x.strip() for x in lines[i : i + run]))
                current = []
                i += run
                continue
            if current and _opens_block(line):
                blocks.append("\n".join(current))
                current = []
            current.append(lines[i])
            if is_heading_line(line):
                blocks.append("\n".join(current))
                current = []
            i += 1
        if current:
            blocks.append("\n".join(current))
    return [b for b in blocks if plain_text(b)]
