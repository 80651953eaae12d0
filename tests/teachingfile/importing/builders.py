"""Word, PDF and MIRC files built in code for the import tests (no binary fixtures)."""

from __future__ import annotations

import io
import zipfile

from PIL import Image

GPS_IFD = 0x8825


def jpeg_with_gps(size: tuple[int, int] = (320, 240)) -> bytes:
    """A JPEG carrying a camera model, a GPS position and a comment, as phones write them."""
    exif = Image.Exif()
    exif[0x0110] = "SecretPhone 9"  # Model
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 26.0)
    # A gradient, so the encoder has real pixels to keep (built here, not shared: the
    # image tests' builders belong to the pipeline's own tests).
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), comment=b"ward 7 bed 3")
    return buffer.getvalue()


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def pdf_document(
    lines: list[str], jpeg: bytes | None = None, size: tuple[int, int] = (320, 240)
) -> bytes:
    """A one-page PDF with the lines as text (Helvetica) and, optionally, a JPEG figure."""
    text = "BT /F1 11 Tf 50 800 Td 14 TL " + " ".join(
        f"{_pdf_string(line)} Tj T*" for line in lines
    )
    content = text + " ET"
    resources = "/Font << /F1 4 0 R >>"
    if jpeg is not None:
        content += " q 200 0 0 150 50 80 cm /Im1 Do Q"
        resources += " /XObject << /Im1 6 0 R >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R "
        f"/Resources << {resources} >> >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content.encode("latin-1"))
        + content.encode("latin-1")
        + b"\nendstream",
    ]
    if jpeg is not None:
        objects.append(
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
            % (*size, len(jpeg))
            + jpeg
            + b"\nendstream"
        )
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()
