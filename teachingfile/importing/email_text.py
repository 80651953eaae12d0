"""Faculty e-mails: headers, greeting, sign-off and signature, quoted replies.

None of it is case text, and some of it (a subject line, a pager number) must never reach
a resident, so it is taken out before the write-up is read and kept for the author as
unplaced text.
"""

from __future__ import annotations

import re

_HEADER = re.compile(
    r"^(?:from|to|cc|bcc|subject|date|sent|reply-to|importance)\s*:\s*\S", re.IGNORECASE
)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))\b[^.?]{0,60}[,!:]?$",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^(?:thanks|thank you|many thanks|thx|best|best wishes|all the best|regards|kind regards|"
    r"warm regards|best regards|cheers|sincerely|yours|cordially)\b[^.?]{0,30}[,!.]?$",
    re.IGNORECASE,
)
_QUOTE_INTRO = re.compile(r"^(?:on .{4,120} wrote:|-+\s*original message\s*-+)$", re.IGNORECASE)
_SIGNATURE_MARK = re.compile(r"^--\s*$")


def looks_like_email(lines: list[str]) -> bool:
    """Headers at the top, or a greeting as the first line of text."""
    text_lines = [line.strip() for line in lines if line.strip()]
    if not text_lines:
        return False
    headers = 0
    for line in text_lines[:6]:
        if _HEADER.match(line):
            headers += 1
        else:
            break
    return headers >= 2 or bool(_GREETING.match(text_lines[0]))


def split_email(text: str) -> tuple[str, list[str]]:
    """The write-up inside an e-mail, and the e-mail's own lines (kept, never shown).

    A document that does not look like an e-mail comes back unchanged.
    """
    lines = text.split("\n")
    if not looks_like_email(lines):
        return text, []
    kept: list[str] = []
    mail: list[str] = []
    in_headers = True
    greeted = False
    signed = False
    for raw in lines:
        line = raw.strip()
        if not line:
            in_headers = False
            kept.append("")
            continue
        if in_headers and _HEADER.match(line):
            mail.append(f"e-mail header: {line}")
            continue
        in_headers = False
        if line.startswith(">") or _QUOTE_INTRO.match(line):
            mail.append(f"quoted reply: {line.lstrip('> ').strip()}" if line != ">" else "")
            continue
        if signed:
            mail.append(f"signature: {line}")
            continue
        if not greeted and not kept_text(kept) and _GREETING.match(line):
            greeted = True
            mail.append(f"greeting: {line}")
            continue
        if _SIGN_OFF.match(line) or _SIGNATURE_MARK.match(line):
            signed = True
            mail.append(f"signature: {line}")
            continue
        kept.append(raw)
    return "\n".join(kept), [m for m in mail if m]


def kept_text(lines: list[str]) -> bool:
    return any(line.strip() for line in lines)
