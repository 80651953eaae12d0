"""Every bad input is refused with a message that names the problem."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFile

from teachingfile.imaging import ImageRejected, process_upload, to_validation_error

from .builders import encode, gradient, jpeg_bytes, png_declaring


def rejected(data: bytes, filename: str = "upload.bin", **kwargs: object) -> ImageRejected:
    with pytest.raises(ImageRejected) as info:
        process_upload(data, filename=filename, **kwargs)
    return info.value


def test_truncated_jpeg_is_rejected() -> None:
    data = jpeg_bytes((400, 300))
    error = rejected(data[: len(data) // 2], "scan.jpg")
    assert error.message == "The file is a truncated JPEG"
    assert error.code == "truncated"


def test_truncated_png_is_rejected() -> None:
    data = encode(gradient((300, 200)), "PNG")
    error = rejected(data[: len(data) // 2], "scan.png")
    assert "PNG" in error.message
    assert error.code in {"truncated", "corrupt"}


def test_text_renamed_png_is_rejected() -> None:
    error = rejected(b"Patient: John Q Public\nFindings: none\n", "scan.png")
    assert error.message.startswith("The file is text, not an image")


def test_png_decompression_bomb_is_refused_without_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_decoding(self: ImageFile.ImageFile) -> None:
        raise AssertionError("the bomb was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    monkeypatch.setattr(Image.Image, "load", no_decoding)
    error = rejected(png_declaring(100_000, 100_000), "bomb.png")
    assert error.message == "Image is 100000 x 100000 pixels; the limit is 60 megapixels"
    assert error.code == "pixels"


def test_compressed_blank_png_over_the_pixel_limit_is_refused() -> None:
    # A real Pillow-made 63 Mpx blank image compresses to a few tens of KB.
    data = encode(Image.new("L", (9000, 7000)), "PNG", compress_level=9)
    assert len(data) < 200_000
    error = rejected(data, "blank.png")
    assert error.message == "Image is 9000 x 7000 pixels; the limit is 60 megapixels"


def test_huge_dimensions_are_refused_for_jpeg_too() -> None:
    # Patch the SOF0 height/width of a tiny JPEG to 65000 x 65000.
    data = bytearray(jpeg_bytes((16, 16)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (65000).to_bytes(2, "big") * 2
    error = rejected(bytes(data), "huge.jpg")
    assert error.message == "Image is 65000 x 65000 pixels; the limit is 60 megapixels"


@pytest.mark.parametrize(
    "payload",
    [
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)'
        b"</script></svg>",
        b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>",
        "\ufeff<svg></svg>".encode(),
    ],
)
def test_svg_is_refused(payload: bytes) -> None:
    error = rejected(payload, "diagram.png")
    assert error.message == "SVG files are not accepted: upload JPEG, PNG, WebP or DICOM"


def test_html_renamed_jpg_is_refused() -> None:
    error = rejected(
        b"<!DOCTYPE html><html><body><script>steal()</script></body></html>", "xray.jpg"
    )
    assert error.message.startswith("The file is an HTML page, not an image")


def test_gif_is_refused() -> None:
    error = rejected(encode(gradient((20, 20)), "GIF"), "anim.gif")
    assert error.message == "GIF files are not accepted: upload JPEG, PNG, WebP or DICOM"


def test_tiff_is_refused() -> None:
    error = rejected(encode(gradient((20, 20)), "TIFF"), "film.tif")
    assert error.message == "TIFF files are not accepted: upload JPEG, PNG, WebP or DICOM"


def test_bmp_named_jpg_is_refused() -> None:
    error = rejected(encode(gradient((20, 20)), "BMP"), "film.jpg")
    assert error.message.startswith("BMP files are not accepted")


def test_unknown_binary_is_refused() -> None:
    assert rejected(bytes(range(256)) * 4).code == "format"


def test_empty_file_is_refused() -> None:
    assert rejected(b"").message == "The file is empty"


def test_too_many_bytes_are_refused_before_reading_everything() -> None:
    stream = io.BytesIO(jpeg_bytes((200, 200)))
    error = rejected(stream, max_bytes=1000)  # type: ignore[arg-type]
    assert error.code == "too_large"
    assert stream.tell() == 1001  # read one byte past the limit, no more


def test_stream_already_read_is_rewound() -> None:
    stream = io.BytesIO(jpeg_bytes((40, 30)))
    stream.read()
    (image,) = process_upload(stream, filename="a.jpg")
    assert (image.width, image.height) == (40, 30)


def test_name_is_never_trusted_for_format() -> None:
    # A genuine PNG called .jpg is processed as the PNG it is.
    (image,) = process_upload(encode(gradient((30, 20)), "PNG"), filename="photo.jpg")
    assert image.source_format == "png"
    assert image.original_ext == "png"


def test_rejection_converts_to_django_validation_error() -> None:
    error = to_validation_error(ImageRejected("The file is a truncated JPEG", code="truncated"))
    assert error.messages == ["The file is a truncated JPEG"]
    assert error.code == "image_truncated"
