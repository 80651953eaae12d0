"""Read a case write-up (journal quiz, teaching-file page, case report) into case fields.

The parser knows no database: it returns a ParsedCase with the fields it could fill,
the lists (questions, figures, references...) and a log of where each part went and
what it could not place, which the import service turns into a draft case and a report.

Documents come in many shapes, so it works by paragraphs and recognises:
- section headings in Markdown (`## History`), bold (`**References**`), label lines
  (`Brief history:`, `Diagnosis: ...` with the value on the same line) and bare short
  lines (`Case report`), matched against known names with a little typo tolerance;
- figure captions (`Fig. 1 -`, `**Fig. 1** –`, `Figure 3.`), wherever they fall;
- provenance anywhere: authors, affiliations, citation lines, DOI, licence, case number;
- questions (`Q1.`) and answers (`**Answer 1:**`) of journal quizzes.
"""

import re

from teachingfile.importing.assemble import finish
from teachingfile.importing.blocks import split_blocks
from teachingfile.importing.email_text import split_email
from teachingfile.importing.parsed import (
    ParsedCase,
    ParsedChoice,
    ParsedFigure,
    ParsedQuestion,
    State,
)
from teachingfile.importing.patterns import (
    ANSWER_LABEL,
    ANSWER_LETTER,
    BOILERPLATE,
    BOLD_LABEL,
    BOLD_LINE,
    CAPTION,
    CASE_NUMBER_LINE,
    CHOICE,
    DOI,
    LAB,
    LINE_VALUES,
    MD_HEADING,
    PLAIN_LABEL,
    RATING_LINE,
    clean_markup,
    heading_bucket,
    norm_heading,
    plain_text,
    sentences,
    shorten,
)
from teachingfile.importing.provenance import provenance, set_authors
from teachingfile.importing.sweep import keep_every_line

__all__ = ["heading_bucket", "parse_document"]

_QUESTION_BUCKETS = (None, "preamble", "presentation", "full_history", "questions")


def parse_document(text: str) -> ParsedCase:
    """Read a write-up; every non-blank line ends in a field, a list or the unplaced text."""
    parsed = ParsedCase()
    state = State()
    source = clean_markup(text)
    body, mail_lines = split_email(source)
    parsed.unplaced.extend(mail_lines)
    for block in split_blocks(body):
        _read_paragraph(block, state, parsed)
    finish(state, parsed)
    keep_every_line(source, parsed)
    return parsed


def _read_paragraph(paragraph: str, state: State, parsed: ParsedCase) -> None:
    lines = [line.strip() for line in paragraph.split("\n") if line.strip()]
    if not lines:
        return
    first = lines[0]
    if BOILERPLATE.match(plain_text(first)) and len(lines) == 1:
        parsed.ignored.append(plain_text(first))
        return
    rating = RATING_LINE.match(plain_text(first))
    if rating and len(lines) == 1:
        parsed.rating = (int(rating.group(1)), int(rating.group(2)))
        return
    case_number = CASE_NUMBER_LINE.match(plain_text(first))
    if case_number and len(lines) == 1 and not state.seen_section:
        parsed.fields.setdefault("source_reference", f"Case {case_number.group(1)}")
        parsed.placed.append(f"source_reference: Case {case_number.group(1)}")
        return
    if state.title and plain_text(first) == state.title and len(lines) == 1:
        return  # a running page header repeating the title

    caption = CAPTION.match(first)
    if caption and not first.lower().startswith(("figure out",)):
        label = f"Fig. {caption.group('num')}"
        body = " ".join([caption.group("text"), *lines[1:]])
        parsed.figures.append(ParsedFigure(label=label, caption=plain_text(body)))
        return

    md = MD_HEADING.match(first)
    if md:
        _heading(md.group(2), level=len(md.group(1)), state=state, parsed=parsed)
        if len(lines) > 1:
            _read_paragraph("\n".join(lines[1:]), state, parsed)
        return

    bold = BOLD_LABEL.match(first) or PLAIN_LABEL.match(first)
    if bold:
        label, rest = bold.group("label"), bold.group("rest").strip()
        answer = ANSWER_LABEL.match(norm_heading(label))
        if answer:
            state.bucket = "answers"
            state.seen_section = True
            state.last_answer = int(answer.group(1))
            state.answers.setdefault(state.last_answer, []).append(
                "\n".join([rest, *lines[1:]]).strip()
            )
            return
        bucket = heading_bucket(label)
        if bucket is not None and not (state.bucket == "references" and bucket == "references"):
            _label(bucket, label, "\n".join([rest, *lines[1:]]).strip(), state, parsed)
            return
        if state.bucket == "presentation" and not LAB.match(first):
            # An unknown label under the presentation may be anything (an impression, the
            # answer): it goes to the author, never to what residents read first.
            state.bucket = "unsure"

    # Lettered choices make a question only where a question can be asked: a lettered list
    # inside the findings or the discussion stays there, after the reveal.
    if state.bucket in _QUESTION_BUCKETS and _choice_block(lines, state):
        return

    bold_line = BOLD_LINE.match(first)
    if bold_line and len(lines) == 1:
        bucket = heading_bucket(bold_line.group("label"))
        if bucket is not None:
            _heading(bold_line.group("label"), level=3, state=state, parsed=parsed)
            return

    if len(lines) == 1 and len(first) <= 50 and not first.endswith((".", ",", ";")):
        bucket = heading_bucket(first)
        if bucket is not None:
            _heading(first, level=3, state=state, parsed=parsed)
            return

    if state.bucket == "presentation" and _unknown_heading(first):
        # A heading the importer does not know ends the presentation: what follows may
        # be anything, so it goes to the author rather than to residents.
        state.bucket = "unsure"

    if provenance(paragraph, lines, state, parsed):
        return
    if (
        len(lines) == 1
        and len(first) <= 150
        and not first.endswith((".", ",", ";"))
        and not state.title
        and not state.seen_section
        and first[:1].isupper()
    ):
        # A plain-text document opens with its title.
        state.title = plain_text(first)
        return
    add_text(state, paragraph)


def _heading(text: str, *, level: int, state: State, parsed: ParsedCase) -> None:
    bucket = heading_bucket(text)
    plain = plain_text(text).rstrip(":").strip()
    if bucket in LINE_VALUES or bucket == "acr":
        # "#### Submitted by: Name" and the like carry their value after the colon.
        label, _, rest = plain.partition(":")
        if bucket != "acr" and rest.strip():
            _label(bucket or "", label, rest.strip(), state, parsed)
            return
        if bucket == "ignore_line":
            parsed.ignored.append(plain)
            return
    if bucket is None:
        label, _, rest = plain.partition(":")
        by_label = heading_bucket(label)
        if by_label in LINE_VALUES and rest.strip():
            _label(by_label, label, rest.strip(), state, parsed)
            return
        case_number = re.search(r"\bCase\s+(\d+)\b", plain)
        if case_number and not state.seen_section:
            parsed.fields.setdefault("source_reference", f"Case {case_number.group(1)}")
            parsed.ignored.append(plain)
            state.bucket = None
            return
        if level == 1 and plain:
            if not state.title:
                state.title = plain
            # A titled essay after the answers is the discussion (the journal-quiz shape).
            state.bucket = "discussion" if state.answers else None
            return
        if not state.seen_section:
            parsed.ignored.append(plain)
            state.bucket = None
        else:
            if state.bucket == "presentation":
                state.bucket = "unsure"  # see the unknown label above
            # A sub-heading inside a section stays with its text.
            add_text(state, plain + ":")
        return
    state.bucket = bucket
    state.seen_section = True


def _label(bucket: str, label: str, value: str, state: State, parsed: ParsedCase) -> None:
    """A 'Label: value' line; section labels with no value open the section."""
    value = value.strip()
    if bucket == "ignore_line":
        parsed.ignored.append(f"{plain_text(label)}: {value}")
        return
    if bucket == "authors":
        set_authors(value, parsed)
        return
    if bucket == "citation":
        parsed.fields.setdefault("source_citation", plain_text(value))
        return
    if bucket == "doi":
        doi = DOI.search(value)
        if doi:
            parsed.fields.setdefault("source_doi", doi.group(1))
        return
    if bucket == "licence":
        parsed.fields.setdefault("licence", shorten(plain_text(f"{label}: {value}"), 300))
        return
    if bucket == "case_number":
        parsed.fields.setdefault("source_reference", plain_text(value)[:200])
        return
    if bucket == "credits":
        state.bucket = "credits"
        if value:
            add_text(state, value)
        return
    if bucket == "answers" and _answer_letter(value, state, parsed):
        return
    state.bucket = bucket
    state.seen_section = True
    if value:
        if bucket == "diagnosis" and not parsed.text("diagnosis"):
            first, _, rest = value.partition("\n")
            parsed.fields["diagnosis"] = plain_text(first)
            if not rest.strip():
                return
            value = rest
        add_text(state, value)


def _unknown_heading(line: str) -> bool:
    """A short line in title case or capitals with no sentence in it ("Impression")."""
    if BOLD_LINE.match(line) or MD_HEADING.match(line):
        return True
    words = plain_text(line).rstrip(":").split()
    return (
        0 < len(words) <= 4
        and not line.rstrip().endswith((".", ",", ";", "?", "!"))
        and all(w[:1].isupper() or w.lower() in ("of", "and", "the", "&") for w in words)
        and not any(ch.isdigit() for ch in line)
    )


def _choice_block(lines: list[str], state: State) -> bool:
    """Lettered choices: a single-best-answer question whose prompt is the text just before."""
    matches = [CHOICE.match(line) for line in lines]
    if len(lines) < 2 or not all(matches):
        return False
    letters = "".join(m.group("letter").lower() for m in matches if m)
    if letters != "abcdefghij"[: len(letters)]:
        return False
    bucket = state.bucket or "preamble"
    chunks = state.sections.get(bucket, [])
    prompt = ""
    if chunks:
        said = sentences(" ".join(chunks[-1].split()))
        if said and said[-1].endswith("?"):
            prompt = said[-1]
            rest = " ".join(said[:-1])
            if rest:
                chunks[-1] = rest
            else:
                chunks.pop()
    question = ParsedQuestion(
        number=len(state.choice_questions) + 1,
        prompt=prompt or "Choose the best answer.",
        kind="single",
        choices=[ParsedChoice(text=plain_text(m.group("text"))) for m in matches if m],
    )
    state.choice_questions.append(question)
    state.stem_bucket = bucket
    return True


def _answer_letter(value: str, state: State, parsed: ParsedCase) -> bool:
    """'Answer: D. Painless thyroiditis' marks choice D of the last lettered question."""
    if not state.choice_questions:
        return False
    question = state.choice_questions[-1]
    first, _, rest = value.partition("\n")
    match = ANSWER_LETTER.match(plain_text(first))
    if not match:
        return False
    index = "abcdefghij".index(match.group("letter").lower())
    if index >= len(question.choices):
        return False
    for i, choice in enumerate(question.choices):
        choice.correct = i == index
    named = plain_text(match.group("text") or "").strip(" .")
    if named and named.lower() != question.choices[index].text.lower().strip(" ."):
        # The answer line words it differently: keep its wording with the explanation.
        question.explanation = f"Answer: {named}"
    parsed.placed.append(
        f"question {question.number}: choice {match.group('letter').upper()} is correct"
    )
    # What follows the answer explains it, choice by choice or as a whole.
    state.bucket = "rationale"
    state.seen_section = True
    if rest.strip():
        add_text(state, rest)
    return True


def add_text(state: State, paragraph: str) -> None:
    bucket = state.bucket or "preamble"
    if bucket == "answers" and state.last_answer is not None:
        state.answers[state.last_answer].append(paragraph)
        return
    chunks = state.sections.setdefault(bucket, [])
    # Rejoin a sentence split by a page break ("...calcification of" / "arteries and").
    if chunks and re.search(r"[a-z,\-]$", chunks[-1]) and re.match(r"^[a-z]", paragraph):
        joiner = "" if chunks[-1].endswith("-") else " "
        chunks[-1] = (
            chunks[-1].rstrip("-") + joiner + paragraph
            if joiner == ""
            else (chunks[-1] + joiner + paragraph)
        )
        return
    chunks.append(paragraph)
