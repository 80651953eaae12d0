"""Hostile uploads are refused early: within 2 s of CPU and 500 MB of Python memory."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable

import numpy as np
import pytest

from teachingfile.imaging import ImageRejected, process_upload
from teachingfile.imaging.validation import Limits

from .builders import ct_dataset, dicom_bytes

MAX_CPU_SECONDS = 2.0
MAX_PEAK_BYTES = 500 * 1024 * 1024


def _refused(
    make_upload: Callable[[], bytes], **kwargs: object
) -> tuple[ImageRejected, float, int]:
    """Refusal, CPU seconds and peak traced memory of processing (not building) the upload."""
    data = make_upload()
    tracemalloc.start()
    started = time.process_time()
    try:
        with pytest.raises(ImageRejected) as caught:
            process_upload(data, filename="upload", **kwargs)  # type: ignore[arg-type]
        cpu = time.process_time() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return caught.value, cpu, peak


def _tiny_frames(frames: int) -> bytes:
    ds = ct_dataset(np.zeros((frames, 1, 1), dtype=np.uint16), window=None)
    return dicom_bytes(ds)


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_file_of_3000_one_pixel_frames_is_refused_by_its_frame_count() -> None:
    error, cpu, peak = _refused(lambda: _tiny_frames(3000))
    assert error.code == "frames"
    assert "3000 frames; the limit is 1000 frames in one object" in error.message
    assert cpu < MAX_CPU_SECONDS and peak < MAX_PEAK_BYTES


def test_a_zip_of_1500_members_is_refused_by_its_member_count() -> None:
    one = dicom_bytes(ct_dataset(np.zeros((8, 8), dtype=np.uint16)))
    error, cpu, peak = _refused(lambda: _zip([(f"IM{i:04d}.dcm", one) for i in range(1500)]))
    assert "1500 entries; the limit is 1000 files in one upload" in error.message
    assert cpu < MAX_CPU_SECONDS and peak < MAX_PEAK_BYTES


def _big_zip() -> bytes:
    """521 megapixels of 8-bit zeros in 10 multi-frame members: about 0.5 MB zipped."""
    ds = ct_dataset(np.zeros((1, 8, 8), dtype=np.uint16))
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.Rows, ds.Columns, ds.NumberOfFrames = 1024, 1018, 50  # 52.1 Mpx each
    ds.PixelData = bytes(1024 * 1018 * 50)
    member = dicom_bytes(ds)
    return _zip([(f"IM{i}.dcm", member) for i in range(10)])


def test_a_521_megapixel_zip_is_refused_from_its_headers() -> None:
    error, cpu, peak = _refused(_big_zip)
    assert error.code == "pixels"
    assert "the limit is 400 megapixels in one upload (IMAGE_MAX_TOTAL_PIXELS)" in error.message
    assert cpu < MAX_CPU_SECONDS and peak < MAX_PEAK_BYTES


def test_each_limit_is_a_setting_that_names_itself() -> None:
    two_frames = _tiny_frames(2)
    with pytest.raises(ImageRejected, match=r"limit is 1 frames .*IMAGE_MAX_FRAMES"):
        process_upload(two_frames, filename="a.dcm", limits=Limits(max_frames=1))
    with pytest.raises(ImageRejected, match=r"IMAGE_MAX_TOTAL_PIXELS"):
        process_upload(two_frames, filename="a.dcm", limits=Limits(max_total_pixels=1))
    with pytest.raises(ImageRejected, match=r"IMAGE_MAX_BYTES"):
        process_upload(two_frames, filename="a.dcm", limits=Limits(max_bytes=100))
    with pytest.raises(ImageRejected, match=r"time budget of 0 s \(IMAGE_TIME_BUDGET_SECONDS\)"):
        process_upload(two_frames, filename="a.dcm", limits=Limits(time_budget_seconds=0))
