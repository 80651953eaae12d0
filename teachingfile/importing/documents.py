"""Word, PDF and HTML write-ups as text the parser reads, with the images they carry.

Headings keep their level as Markdown ('## Findings') and bold labels stay bold, so the
parser sees the structure the author gave. Images come out as bytes in document order;
the import service sends them through the image pipeline like any upload.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import nh3

from teachingfile.importing.decoding import ImportRejected

if TYPE_CHECKING:
    from docx.text.paragraph import Paragraph

# Uncompressed size a Word file may unpack to: a zip bomb is refused before it is read.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024


@dataclass
class DocumentImage:
    data: bytes
    name: str


@dataclass
class ExtractedDocument:
    text: str
    images: list[DocumentImage] = field(default_factory=list)


def check_zip(data: bytes, *, filename: str) -> zipfile.ZipFile:
    """Open a zip (Word files are zips) after checking it would not unpack into a bomb."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ImportRejected(f"{filename} is not a valid {_kind(filename)} file.") from None
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportRejected(
            f"{filename} unpacks to {unpacked // (1024 * 1024)} MB; files over "
            f"{MAX_UNPACKED_BYTES // (1024 * 1024)} MB unpacked are refused."
        )
    return archive


def _kind(filename: str) -> str:
    return {"docx": "Word (.docx)", "zip": "zip", "pdf": "PDF"}.get(
        filename.rsplit(".", 1)[-1].lower(), "document"
    )


# ---------------------------------------------------------------------------------------
# Word


def read_docx(data: bytes, *, filename: str) -> ExtractedDocument:
    import docx
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    check_zip(data, filename=filename)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several types for a broken package
        raise ImportRejected(f"{filename} could not be read as a Word file ({exc}).") from None
    lines: list[str] = []
    images: list[DocumentImage] = []
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            lines.append(_docx_paragraph(Paragraph(child, document)))
        elif child.tag == qn("w:tbl"):
            table = Table(child, document)
            rows = [" | ".join(cell.text.strip() for cell in row.cells) for row in table.rows]
            lines.append("\n".join(rows))
        for blip in child.iter(qn("a:blip")):
            rel_id = blip.get(qn("r:embed"))
            part = document.part.related_parts.get(rel_id) if rel_id else None
            if part is not None and getattr(part, "blob", None):
                name = str(getattr(part, "partname", "image")).rsplit("/", 1)[-1]
                images.append(DocumentImage(data=part.blob, name=name))
    # Each Word paragraph is a paragraph of the write-up.
    return ExtractedDocument(text="\n\n".join(line for line in lines if line), images=images)


def _docx_paragraph(paragraph: Paragraph) -> str:
    text = paragraph.text.strip()
    if not text:
        return ""
    style = (getattr(paragraph.style, "name", "") or "").lower()
    heading = re.match(r"heading (\d)", style)
    if heading:
        return "#" * int(heading.group(1)) + " " + text
    if style == "title":
        return "# " + text
    if style.startswith("list"):
        return "- " + text
    runs = [r for r in paragraph.runs if r.text.strip()]
    if runs and all(r.bold for r in runs):
        return f"**{text}**"
    if runs and runs[0].bold:
        # "Findings:" in bold, then its text: a bold label.
        label = runs[0].text.strip()
        rest = text[len(runs[0].text.lstrip()) :].strip() if text.startswith(label) else ""
        if rest or label.endswith(":"):
            return f"**{label}** {rest}".rstrip()
    return text


# ---------------------------------------------------------------------------------------
# PDF


def read_pdf(data: bytes, *, filename: str) -> ExtractedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ImportRejected(f"{filename} is password-protected; save an open copy.")
        pages = []
        images: list[DocumentImage] = []
        for number, page in enumerate(reader.pages, start=1):
            pages.append(page.extract_text() or "")
            try:
                page_images = list(page.images)
            except Exception:  # an odd image must not lose the text
                page_images = []
            for index, image in enumerate(page_images, start=1):
                name = f"page{number}-{index}-{image.name}"
                images.append(DocumentImage(data=image.data, name=name))
    except (PdfReadError, ValueError, KeyError) as exc:
        raise ImportRejected(f"{filename} could not be read as a PDF ({exc}).") from None
    text = "\n\n".join(pages)
    if not text.strip():
        raise ImportRejected(
            f"{filename} has no text layer (a scanned PDF?); export it with its text."
        )
    return ExtractedDocument(text=text, images=images)


# ---------------------------------------------------------------------------------------
# HTML

_HTML_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "li", "b", "strong", "div", "tr"}


def read_html(text: str) -> str:
    """A web page as Markdown-ish text: scripts and styles dropped, headings kept."""
    cleaned = nh3.clean(text, tags=_HTML_TAGS, attributes={})
    cleaned = re.sub(
        r"<h([1-6])>(.*?)</h\1>",
        lambda m: "\n\n" + "#" * int(m.group(1)) + " " + " ".join(m.group(2).split()) + "\n\n",
        cleaned,
        flags=re.DOTALL,
    )
    cleaned = re.sub(r"</?(?:b|strong)>", "**", cleaned)
    cleaned = re.sub(r"<li>", "\n- ", cleaned)
    cleaned = re.sub(r"<br\s*/?>", "\n", cleaned)
    cleaned = re.sub(r"</?(?:p|div|tr)>", "\n\n", cleaned)
    cleaned = re.sub(r"</?[a-z0-9]+>", "", cleaned)
    cleaned = html.unescape(cleaned)
    # Markup indentation is not text: trim each line, keep paragraph breaks.
    lines = [" ".join(line.split()) for line in cleaned.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
