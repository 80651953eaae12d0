"""Rasters come out upright, with pixels only, at the promised sizes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from teachingfile.imaging import ProcessedImage, process_upload

from .builders import encode, gradient

GPS_IFD = 0x8825


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def outputs(result: ProcessedImage) -> dict[str, bytes]:
    return {"original": result.original, "display": result.display, "thumbnail": result.thumbnail}


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "SecretPhone 9"  # Model
    exif[0x0132] = "2024:03:01 09:30:00"  # DateTime
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 26.0)
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 39.0)
    return encode(gradient((640, 480)), "JPEG", exif=exif.tobytes(), comment=b"ward 7 bed 3")


def test_jpeg_with_exif_gps_comes_out_without_any_exif() -> None:
    source = jpeg_with_gps()
    # The input really carries GPS, or this test proves nothing.
    assert reopen(source).getexif().get_ifd(GPS_IFD)

    (result,) = process_upload(source, filename="photo.jpg")

    for name, data in outputs(result).items():
        image = reopen(data)
        assert len(image.getexif()) == 0, name
        assert "exif" not in image.info, name
        assert "comment" not in image.info, name
        assert b"SecretPhone" not in data and b"ward 7" not in data, name


def test_png_text_chunks_are_stripped() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Dr Secret")
    info.add_text("Comment", "patient John Q Public", zip=True)
    info.add_itxt("Description", "MRN 123456")
    source = encode(gradient((120, 80)), "PNG", pnginfo=info)
    assert reopen(source).text  # sanity: the chunks are there

    (result,) = process_upload(source, filename="scan.png")

    original = reopen(result.original)
    assert original.format == "PNG"
    assert not original.text
    for name, data in outputs(result).items():
        for secret in (b"Dr Secret", b"John", b"123456"):
            assert secret not in data, name


def test_icc_profile_is_not_kept() -> None:
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = encode(gradient((64, 64)), "JPEG", icc_profile=srgb)
    (result,) = process_upload(source, filename="a.jpg")
    for data in outputs(result).values():
        assert "icc_profile" not in reopen(data).info


def test_exif_orientation_is_applied() -> None:
    # 40 x 20, red on the left, blue on the right, stored with Orientation 6
    # ("rotate 90 degrees clockwise to view"): upright it is 20 x 40, red on top.
    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    pixels[:, :20] = (255, 0, 0)
    pixels[:, 20:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    source = encode(Image.fromarray(pixels), "JPEG", exif=exif.tobytes(), quality=95)

    (result,) = process_upload(source, filename="sideways.jpg")

    assert (result.width, result.height) == (20, 40)
    upright = reopen(result.original).convert("RGB")
    assert upright.size == (20, 40)
    top, bottom = upright.getpixel((10, 5)), upright.getpixel((10, 35))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60
    assert reopen(result.display).size == (20, 40)


def test_display_and_thumbnail_sizes() -> None:
    (result,) = process_upload(encode(gradient((3000, 2000)), "PNG"), filename="big.png")

    display, thumbnail = reopen(result.display), reopen(result.thumbnail)
    assert (result.width, result.height) == (3000, 2000)
    assert reopen(result.original).size == (3000, 2000)
    assert display.size == (1600, 1067)
    assert thumbnail.size == (320, 213)
    assert result.display_ext == display.format.lower() == "webp"
    assert result.thumbnail_ext == thumbnail.format.lower() == "webp"
    assert len(result.display) <= 300 * 1024


def test_small_images_are_not_enlarged() -> None:
    (result,) = process_upload(encode(gradient((200, 100)), "PNG"), filename="small.png")
    assert reopen(result.display).size == (200, 100)
    assert reopen(result.thumbnail).size == (200, 100)


def test_noisy_display_still_fits_300_kb() -> None:
    noise = np.random.default_rng(1).integers(0, 256, (1600, 1600, 3), dtype=np.uint8)
    (result,) = process_upload(encode(Image.fromarray(noise), "PNG"), filename="noise.png")
    assert len(result.display) <= 300 * 1024
    assert max(reopen(result.display).size) <= 1600


@pytest.mark.parametrize(
    ("fmt", "save", "ext"),
    [
        ("JPEG", {"quality": 90}, "jpg"),
        ("PNG", {}, "png"),
        ("WEBP", {"quality": 80}, "webp"),
        ("WEBP", {"lossless": True}, "webp"),
    ],
)
def test_original_keeps_a_matching_format(fmt: str, save: dict[str, object], ext: str) -> None:
    (result,) = process_upload(encode(gradient((90, 60)), fmt, **save), filename="x")
    assert result.original_ext == ext
    assert result.source_format == fmt.lower()
    assert reopen(result.original).size == (90, 60)
    assert result.presets == {} and result.dicom == {} and result.deidentified_dicom is None


def test_lossless_webp_stays_lossless() -> None:
    source = gradient((50, 40))
    (result,) = process_upload(encode(source, "WEBP", lossless=True), filename="x.webp")
    assert np.array_equal(np.asarray(reopen(result.original).convert("RGB")), np.asarray(source))


@pytest.mark.parametrize("mode", ["CMYK", "P", "LA", "RGBA", "L", "1", "I;16"])
def test_unusual_modes_are_converted_sensibly(mode: str) -> None:
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    image = gradient((60, 40), "L" if mode == "I;16" else "RGB")
    image = (
        image.convert("I").point(lambda v: v * 200).convert("I;16")
        if mode == "I;16"
        else image.convert(mode)
    )
    (result,) = process_upload(encode(image, fmt), filename="x")
    assert reopen(result.original).mode in {"L", "LA", "RGB", "RGBA", "I;16"}
    assert reopen(result.display).mode in {"RGB", "RGBA", "L"}
    assert result.width == 60


def test_sixteen_bit_png_display_uses_the_full_range() -> None:
    # A 12-bit radiograph saved as 16-bit PNG must not come out black or clipped white.
    ramp = np.linspace(0, 4095, 256, dtype=np.uint16)[None, :].repeat(32, axis=0)
    source = encode(Image.fromarray(ramp), "PNG")
    (result,) = process_upload(source, filename="dx.png")
    display = np.asarray(reopen(result.display).convert("L"))
    assert display[:, :5].mean() < 20
    assert display[:, -5:].mean() > 235
