"""The viewer source: stored-depth pixels plus an allow-listed header, nothing else."""

from __future__ import annotations

import json
import re
import struct

import numpy as np
import pytest
from pydicom.dataset import Dataset

from teachingfile.imaging import process_upload
from teachingfile.imaging.viewer_source import HEADER_KEYS, pack, parse

from .builders import ct_dataset, ct_phantom, dicom_bytes, zip_of


def _header_text(data: bytes) -> str:
    (length,) = struct.unpack("<I", data[4:8])
    return data[8 : 8 + length].decode()


def test_it_keeps_the_stored_values_and_only_the_allow_listed_header() -> None:
    stored = ct_phantom(32, 48)
    (result,) = process_upload(dicom_bytes(ct_dataset(stored)), filename="ct.dcm")
    assert result.viewer_source is not None

    header, pixels = parse(result.viewer_source)

    assert set(header) == HEADER_KEYS
    assert np.array_equal(pixels, stored)  # stored depth, not 8 bits
    assert header | {"windows": None} == {
        "version": 1,
        "rows": 32,
        "columns": 48,
        "samples_per_pixel": 1,
        "dtype": "uint16",
        "bits_stored": 16,
        "rescale_slope": 1.0,
        "rescale_intercept": -1024.0,
        "units": "HU",
        "modality": "CT",
        "photometric_interpretation": "MONOCHROME2",
        "pixel_spacing": [0.7, 0.7],
        "spacing_calibrated": True,
        "windows": None,
        "position": 0,
    }
    assert header["windows"] == [[40.0, 400.0]]


def test_it_holds_nothing_from_the_header_beyond_display_facts() -> None:
    ds = ct_dataset()
    ds.SeriesDescription = "AX CHEST calciphylaxis"
    ds.WindowCenterWidthExplanation = "MESENTERIC"
    (result,) = process_upload(dicom_bytes(ds), filename="ct.dcm")
    assert result.viewer_source is not None
    text = _header_text(result.viewer_source)
    for leak in ("calciphylaxis", "CHEST", "MESENTERIC", "1.2.826", "2024", "Public", "Elsewhere"):
        assert leak not in text
    # every value is a number, a short code, a bool, null or a list of numbers
    for key, value in json.loads(text).items():
        if isinstance(value, str):
            assert key in {"dtype", "units", "modality", "photometric_interpretation"}
            assert re.fullmatch(r"[A-Za-z0-9]{0,11}", value), (key, value)


def test_pixels_start_on_an_eight_byte_boundary_for_typed_arrays() -> None:
    (result,) = process_upload(dicom_bytes(ct_dataset()), filename="ct.dcm")
    assert result.viewer_source is not None
    (length,) = struct.unpack("<I", result.viewer_source[4:8])
    assert (8 + length) % 8 == 0
    assert len(result.viewer_source) == 8 + length + 64 * 64 * 2


def test_signed_pixels_keep_their_sign() -> None:
    hu = np.array([[-1000, -1, 0, 1500]], dtype=np.int16).repeat(4, axis=0)
    ds = ct_dataset(np.zeros((4, 4), dtype=np.uint16))
    ds.PixelRepresentation = 1
    ds.RescaleIntercept = 0
    ds.PixelData = hu.tobytes()
    (result,) = process_upload(dicom_bytes(ds), filename="ct.dcm")
    assert result.viewer_source is not None
    header, pixels = parse(result.viewer_source)
    assert header["dtype"] == "int16"
    assert pixels[0].tolist() == [-1000, -1, 0, 1500]


def test_imager_pixel_spacing_is_marked_uncalibrated() -> None:
    ds = ct_dataset(modality="CR")
    del ds.PixelSpacing
    ds.ImagerPixelSpacing = [0.2, 0.2]
    (result,) = process_upload(dicom_bytes(ds), filename="cr.dcm")
    assert result.viewer_source is not None
    header, _ = parse(result.viewer_source)
    assert header["pixel_spacing"] == [0.2, 0.2]
    assert header["spacing_calibrated"] is False
    assert header["units"] == ""


def test_a_series_numbers_its_sources_in_stack_order() -> None:
    members = [
        (f"{n}.dcm", dicom_bytes(ct_dataset(instance_number=n, z=float(n)))) for n in (3, 1, 2)
    ]
    results = process_upload(zip_of(members), filename="series.zip")
    positions = [parse(r.viewer_source or b"")[0]["position"] for r in results]
    assert positions == [0, 1, 2]


def test_enhanced_multi_frame_takes_rescale_window_and_spacing_from_functional_groups() -> None:
    frames = np.stack([ct_phantom(8, 8), ct_phantom(8, 8)])
    ds = ct_dataset(frames, window=None)
    del ds.RescaleSlope, ds.RescaleIntercept, ds.PixelSpacing
    transform, voi, measures, shared = Dataset(), Dataset(), Dataset(), Dataset()
    transform.RescaleSlope, transform.RescaleIntercept = 2, -2048
    voi.WindowCenter, voi.WindowWidth = 50, 350
    measures.PixelSpacing = [0.5, 0.25]
    shared.PixelValueTransformationSequence = [transform]
    shared.FrameVOILUTSequence = [voi]
    shared.PixelMeasuresSequence = [measures]
    ds.SharedFunctionalGroupsSequence = [shared]
    results = process_upload(dicom_bytes(ds), filename="enhanced.dcm")
    header, _ = parse(results[1].viewer_source or b"")
    assert (header["rescale_slope"], header["rescale_intercept"]) == (2.0, -2048.0)
    assert header["windows"] == [[50.0, 350.0]]
    assert header["pixel_spacing"] == [0.5, 0.25] and header["spacing_calibrated"] is True
    assert header["position"] == 1


def test_rgb_frames_are_stored_as_eight_bit_rgb() -> None:
    rgb = np.zeros((4, 6, 3), dtype=np.uint8)
    rgb[..., 1] = 180
    ds = ct_dataset(np.zeros((4, 6), dtype=np.uint16), modality="US", window=None)
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    del ds.RescaleIntercept, ds.RescaleSlope
    ds.PixelData = rgb.tobytes()
    (result,) = process_upload(dicom_bytes(ds), filename="us.dcm")
    header, pixels = parse(result.viewer_source or b"")
    assert header["photometric_interpretation"] == "RGB" and header["samples_per_pixel"] == 3
    assert pixels.shape == (4, 6, 3) and pixels[0, 0].tolist() == [0, 180, 0]


def test_pack_refuses_a_key_outside_the_allow_list() -> None:
    with pytest.raises(ValueError, match="series_description"):
        pack({"version": 1, "series_description": "x"}, np.zeros((1, 1), np.uint8))


def test_jpeg_and_png_uploads_have_no_viewer_source() -> None:
    from .builders import jpeg_bytes

    (result,) = process_upload(jpeg_bytes(), filename="x.jpg")
    assert result.viewer_source is None
