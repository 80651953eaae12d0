"""RSNA MIRC teaching-file documents: a MIRCdocument XML, or a zip of one with its images.

Elements read (as MIRC's author tools write them): title and alternative-title (MIRC's
unknown-mode title), author (name, affiliation, contact), abstract, keywords, category,
modality, rights, publication-date, section (by its heading: History, Findings,
Diagnosis, DDx, Discussion...), image-section with image (image-caption, an
alternative-image with role "annotation"), patient (age and sex; names, ids and MRNs are
dropped, never stored), quiz (question-body, answer with answer-body and response),
references. What the app has no field for is kept as unplaced text.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from teachingfile.importing.decoding import ImportRejected
from teachingfile.importing.documents import check_zip
from teachingfile.importing.parsed import (
    ParsedCase,
    ParsedChoice,
    ParsedDifferential,
    ParsedFigure,
    ParsedQuestion,
    ParsedReference,
)
from teachingfile.importing.patterns import DOI, MODALITY_WORDS, REGION_WORDS, heading_bucket
from teachingfile.importing.sweep import keep_every_line
from teachingfile.models import Sex

# Patient identifiers: never imported, not even as unplaced text.
_PHI = {"pt-name", "pt-id", "pt-mrn"}
# Plumbing of a MIRC site, not case content.
_PLUMBING = {"authorization", "threadblock", "insert-megasave", "metadata-refs", "show"}
_CORRECT = re.compile(r"^\W*(correct|right|yes|true)\b", re.IGNORECASE)
_SIMPLE = {"presentation", "full_history", "findings", "discussion", "follow_up", "technique"}


def is_mirc_xml(data: bytes) -> bool:
    return b"<MIRCdocument" in data[:4000]


def read_mirc(data: bytes, *, filename: str) -> ParsedCase:
    files: dict[str, bytes] = {}
    base = ""
    if filename.lower().endswith(".zip"):
        archive = check_zip(data, filename=filename)
        documents = [
            info.filename
            for info in archive.infolist()
            if info.filename.lower().endswith(".xml")
            and is_mirc_xml(archive.read(info.filename)[:4000])
        ]
        if not documents:
            raise ImportRejected(f"{filename} holds no MIRCdocument XML.")
        name = min(documents, key=lambda n: (n.count("/"), n.lower() != "mircdocument.xml"))
        data = archive.read(name)
        base = posixpath.dirname(name)
        files = {
            info.filename: archive.read(info.filename)
            for info in archive.infolist()
            if not info.is_dir() and info.filename != name
        }
    try:
        root = SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException) as exc:
        raise ImportRejected(f"{filename} is not well-formed XML ({exc}).") from None
    if root.tag != "MIRCdocument":
        raise ImportRejected(f"{filename} is XML but not a MIRCdocument (root <{root.tag}>).")
    reader = _Reader(files, base)
    reader.read(root)
    parsed = reader.parsed
    _finish(reader)
    keep_every_line(_source_text(root), parsed)
    return parsed


def _text(element: Element | None) -> str:
    """Text of an element and its children, paragraphs and list items on their own lines."""
    if element is None:
        return ""
    parts: list[str] = []

    def walk(node: Element) -> None:
        if node.tag in _PHI or node.tag in _PLUMBING or node.tag in ("quiz", "image"):
            return
        block = node.tag in ("p", "li", "tr", "br", "h1", "h2", "h3", "h4", "div")
        if block:
            parts.append("\n")
        if node.tag == "li":
            parts.append("- ")
        parts.append(node.text or "")
        for child in node:
            walk(child)
            parts.append(child.tail or "")
        if block:
            parts.append("\n")

    walk(element)
    lines = [" ".join(line.split()) for line in "".join(parts).split("\n")]
    return "\n".join(line for line in lines if line).strip()


def _source_text(root: Element) -> str:
    """Every text of the document except patient identifiers and site plumbing."""
    lines: list[str] = []

    def walk(node: Element) -> None:
        if node.tag in _PHI or node.tag in _PLUMBING:
            return
        lines.append(node.text or "")
        for key, value in node.attrib.items():
            if key == "heading":
                lines.append(value)
        for child in node:
            walk(child)
            lines.append(child.tail or "")

    walk(root)
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())


class _Reader:
    def __init__(self, files: dict[str, bytes], base: str) -> None:
        self.parsed = ParsedCase()
        self.files = files
        self.base = base
        self.sections: dict[str, list[str]] = {}
        self.title = ""

    def read(self, root: Element) -> None:
        for child in root:
            handler = getattr(self, "_" + child.tag.replace("-", "_"), None)
            if handler is not None:
                handler(child)
            elif child.tag in _PLUMBING:
                continue
            elif _text(child):
                self.parsed.unplaced.append(f"MIRC {child.tag}: {_text(child)}")

    # Titles, people and indexing -------------------------------------------------------

    def _title(self, element: Element) -> None:
        self.title = _text(element)

    def _alternative_title(self, element: Element) -> None:
        # MIRC shows it in unknown mode, so it is meant to be neutral; the author checks.
        if _text(element):
            self.parsed.fields["unknown_title"] = _text(element)[:200]
            self.parsed.notes.append("unknown title: MIRC's alternative title; check it")

    def _author(self, element: Element) -> None:
        name = _text(element.find("name"))
        if name:
            current = self.parsed.text("authors")
            self.parsed.fields["authors"] = f"{current}, {name}" if current else name
        affiliation = _text(element.find("affiliation"))
        if affiliation:
            credits = self.parsed.text("credits")
            if affiliation not in credits:
                self.parsed.fields["credits"] = f"{credits}\n{affiliation}".strip()
        contact = _text(element.find("contact"))
        if contact:
            self.parsed.unplaced.append(f"author contact: {contact}")

    def _abstract(self, element: Element) -> None:
        self.parsed.fields["teaching_points"] = _text(element)

    def _alternative_abstract(self, element: Element) -> None:
        self.parsed.unplaced.append(f"MIRC unknown-mode abstract: {_text(element)}")

    def _keywords(self, element: Element) -> None:
        for word in re.split(r"[,;\n]", _text(element)):
            if word.strip() and word.strip().lower() not in self.parsed.keywords:
                self.parsed.keywords.append(word.strip().lower()[:100])

    def _category(self, element: Element) -> None:
        text = _text(element)
        region = next((value for value, pattern in REGION_WORDS if pattern.search(text)), "")
        if region:
            self.parsed.fields["region"] = region
        elif text:
            self._keywords(element)

    def _modality(self, element: Element) -> None:
        text = _text(element)
        codes = [code for code, pattern in MODALITY_WORDS if pattern.search(text)]
        codes += [w for w in re.findall(r"\b[A-Z]{2,3}\b", text) if w in ("CT", "MR", "US")]
        if codes:
            self.parsed.fields["modalities"] = " ".join(dict.fromkeys(codes))

    def _rights(self, element: Element) -> None:
        self.parsed.fields["licence"] = _text(element)[:300]

    def _publication_date(self, element: Element) -> None:
        text = _text(element)
        digits = re.sub(r"\D", "", text)
        try:
            self.parsed.fields["source_date"] = dt.date(
                int(digits[:4]), int(digits[4:6]), int(digits[6:8])
            )
        except ValueError:
            if text:
                self.parsed.unplaced.append(f"publication date: {text}")

    def _patient(self, element: Element) -> None:
        years = element.findtext("pt-age/years")
        if years and years.strip().isdigit() and int(years) <= 130:
            self.parsed.fields["patient_age"] = int(years)
        sex = (element.findtext("pt-sex") or "").strip().lower()
        if sex:
            self.parsed.fields["patient_sex"] = Sex.FEMALE if sex.startswith("f") else Sex.MALE
        if any(element.find(tag) is not None for tag in _PHI):
            self.parsed.ignored.append("patient name, id or MRN: not imported (identifiers)")
        for tag in ("pt-race", "pt-species", "pt-breed"):
            if element.findtext(tag):
                self.parsed.unplaced.append(f"{tag}: {element.findtext(tag)}")

    def _references(self, element: Element) -> None:
        for reference in element.findall("reference"):
            citation = _text(reference)
            doi = DOI.search(citation)
            if citation:
                self.parsed.references.append(
                    ParsedReference(citation=citation, doi=doi.group(1)[:200] if doi else "")
                )

    # Sections, images and questions -----------------------------------------------------

    def _section(self, element: Element) -> None:
        heading = element.get("heading", "")
        bucket = heading_bucket(heading) or "unsure"
        for quiz in element.iter("quiz"):
            self._quiz(quiz)
        for image in element.iter("image"):
            self._image(image)
        text = _text(element)
        if text:
            if bucket == "unsure":
                text = f"{heading}: {text}" if heading else text
            self.sections.setdefault(bucket, []).append(text)

    def _image_section(self, element: Element) -> None:
        for image in element.findall("image"):
            inner = image.find("image")  # <image href=...><image src=...>...</image></image>
            self._image(inner if inner is not None and image.get("src") is None else image)

    def _image(self, element: Element) -> None:
        number = len(self.parsed.figures) + 1
        captions = [_text(c) for c in element.findall("image-caption") if _text(c)]
        figure = ParsedFigure(label=f"Image {number}", caption="\n\n".join(captions))
        source = element.get("src", "")
        figure.image = self._file(source)
        figure.image_name = posixpath.basename(source)
        for alternative in element.findall("alternative-image"):
            if alternative.get("role") == "annotation" and alternative.get("type") != "svg":
                figure.annotated = self._file(alternative.get("src", ""))
                figure.annotated_name = posixpath.basename(alternative.get("src", ""))
        if source and figure.image is None:
            self.parsed.notes.append(f"{figure.label}: {source} is not in the file; upload it")
        self.parsed.figures.append(figure)

    def _file(self, src: str) -> bytes | None:
        if not src or re.match(r"^[a-z]+:", src):
            return None
        path = posixpath.normpath(posixpath.join(self.base, src))
        return self.files.get(path)

    def _quiz(self, element: Element) -> None:
        context = _text(element.find("quiz-context"))
        for question in element.findall("question"):
            prompt = _text(question.find("question-body"))
            choices = []
            for answer in question.findall("answer"):
                response = _text(answer.find("response"))
                choices.append(
                    ParsedChoice(
                        text=_text(answer.find("answer-body")),
                        correct=bool(_CORRECT.match(response)),
                        rationale=response,
                    )
                )
            correct = sum(c.correct for c in choices)
            kind = "multiple" if correct > 1 else ("single" if choices else "free_text")
            number = len(self.parsed.questions) + 1
            if choices and not correct:
                self.parsed.notes.append(f"question {number}: mark the correct choice")
            self.parsed.questions.append(
                ParsedQuestion(
                    number=number,
                    prompt=f"{context}\n\n{prompt}".strip() if number == 1 else prompt,
                    kind=kind,
                    choices=choices,
                )
            )

    def _diagnosis(self, element: Element) -> None:
        self.sections.setdefault("diagnosis", []).append(_text(element))

    def _differential_diagnosis(self, element: Element) -> None:
        self.sections.setdefault("differential", []).append(_text(element))

    def _findings(self, element: Element) -> None:
        self.sections.setdefault("findings", []).append(_text(element))

    def _discussion(self, element: Element) -> None:
        self.sections.setdefault("discussion", []).append(_text(element))

    def _history(self, element: Element) -> None:
        self.sections.setdefault("presentation", []).append(_text(element))


def _finish(reader: _Reader) -> None:
    parsed, sections = reader.parsed, reader.sections
    for bucket, chunks in sections.items():
        chunks = [c for c in chunks if c]
        if not chunks:
            continue
        text = "\n\n".join(dict.fromkeys(chunks))
        if bucket in _SIMPLE:
            parsed.fields[bucket] = text
            parsed.placed.append(f"{bucket}: from the MIRC section")
        elif bucket == "diagnosis":
            first, _, rest = text.partition("\n")
            parsed.fields["diagnosis"] = first.strip()[:300]
            parsed.placed.append("diagnosis: from the MIRC section")
            if rest.strip():
                parsed.fields["discussion"] = f"{rest.strip()}\n\n{parsed.text('discussion')}"
        elif bucket == "differential":
            for line in text.split("\n"):
                name = line.strip(" -•")
                for item in re.split(r"\s*[,;]\s*", name) if "," in name else [name]:
                    if item:
                        parsed.differentials.append(ParsedDifferential(diagnosis=item[:200]))
        elif bucket == "teaching_points":
            parsed.fields["teaching_points"] = f"{parsed.text('teaching_points')}\n\n{text}".strip()
        else:
            parsed.unplaced.extend(chunks)
    if reader.title:
        parsed.fields["known_title"] = reader.title[:200]
        parsed.fields.setdefault("diagnosis", reader.title[:300])
    parsed.fields.setdefault("unknown_title", "Imported MIRC case")
    for question in parsed.questions:
        if question.kind == "free_text" and parsed.text("diagnosis"):
            question.accepted.append(parsed.text("diagnosis"))
    if not parsed.questions and parsed.text("diagnosis"):
        parsed.questions.append(
            ParsedQuestion(
                number=1, prompt="What is your diagnosis?", accepted=[parsed.text("diagnosis")]
            )
        )
    if parsed.figures:
        with_image = sum(1 for f in parsed.figures if f.image)
        parsed.placed.append(f"figures: {len(parsed.figures)}, {with_image} with their image")
