"""Benchmark of the image pipeline against the brief's targets (a benchmark, not a test).

    .venv/bin/python bench/images.py [--repeat N]

Measures, on this machine:
  * a 4000 x 3000 photo-like JPEG through ``process_upload``      target <= 1.5 s
  * a 100-slice 512 x 512 CT series uploaded as a zip                target <= 15 s
  * the byte size of the 1600 px display derivative of that JPEG    target <= 300 KB
Prints a table and writes ``var/bench/images.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import PIL
import pydicom
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a checkout, no install needed

from teachingfile.imaging import process_upload  # noqa: E402

JPEG_TARGET_S = 1.5
SERIES_TARGET_S = 15.0
DISPLAY_TARGET_BYTES = 300 * 1024


def photo_jpeg(width: int = 4000, height: int = 3000) -> bytes:
    """A camera-like JPEG: smooth structure plus sensor noise, quality 90, with EXIF."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = 128 + 60 * np.sin(x / 180) * np.cos(y / 140) + 40 * np.sin((x + y) / 55)
    channels = [
        base + rng.normal(0, 6, base.shape).astype(np.float32) + shift for shift in (-20, 0, 25)
    ]
    rgb = np.clip(np.stack(channels, axis=-1), 0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x010F] = "BenchCam"
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=90, exif=exif.tobytes())
    return buf.getvalue()


def ct_slice(index: int, size: int = 512) -> np.ndarray:
    """A chest-like phantom slice in stored values (HU + 1024): body, lungs, spine, noise."""
    rng = np.random.default_rng(index)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) - size / 2
    hu = np.full((size, size), -1000.0, dtype=np.float32)
    hu[(x / 230) ** 2 + (y / 170) ** 2 < 1] = 40.0
    for side in (-1, 1):
        hu[((x - side * 100) / 80) ** 2 + (y / (110 + index % 7)) ** 2 < 1] = -850.0
    hu[(x**2 + (y - 120) ** 2) < 30**2] = 700.0
    hu += rng.normal(0, 12, hu.shape).astype(np.float32)
    return np.clip(hu + 1024, 0, 4095).astype(np.uint16)


def ct_series_zip(slices: int = 100) -> bytes:
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    buf = io.BytesIO()
    order = list(range(slices))
    np.random.default_rng(1).shuffle(order)  # zipped out of order, as real exports are
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in order:
            archive.writestr(f"CT/IM{index:04d}.dcm", ct_file(index, study, series, frame))
    return buf.getvalue()


def ct_file(index: int, study: str, series: str, frame: str) -> bytes:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = "Bench^Patient", "B1", "19700101"
    ds.InstitutionName, ds.AccessionNumber, ds.StudyDate = "Bench Hospital", "A1", "20240101"
    ds.Modality, ds.SeriesDescription = "CT", "AX CHEST 1.25mm"
    ds.InstanceNumber = index + 1
    ds.ImagePositionPatient = [-180.0, -180.0, -1.25 * index]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [0.7, 0.7]
    ds.Rows = ds.Columns = 512
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
    ds.WindowCenter, ds.WindowWidth = 40, 400
    ds.PixelData = ct_slice(index).tobytes()
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def timed(run: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return times, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of the JPEG case")
    parser.add_argument("--series-repeat", type=int, default=2, help="runs of the CT case")
    args = parser.parse_args()

    jpeg = photo_jpeg()
    jpeg_times, (photo,) = timed(lambda: process_upload(jpeg, filename="photo.jpg"), args.repeat)
    series = ct_series_zip()
    series_times, slices = timed(
        lambda: process_upload(series, filename="ct.zip"), args.series_repeat
    )
    display_size = Image.open(io.BytesIO(photo.display)).size
    ct_display_max = max(len(s.display) for s in slices)

    rows = [
        ("4000x3000 JPEG, median s", statistics.median(jpeg_times), JPEG_TARGET_S),
        ("4000x3000 JPEG, worst s", max(jpeg_times), JPEG_TARGET_S),
        ("100 x 512x512 CT zip, median s", statistics.median(series_times), SERIES_TARGET_S),
        ("100 x 512x512 CT zip, worst s", max(series_times), SERIES_TARGET_S),
        (
            f"display {display_size[0]}x{display_size[1]} WebP, KB",
            len(photo.display) / 1024,
            DISPLAY_TARGET_BYTES / 1024,
        ),
        ("largest CT slice display, KB", ct_display_max / 1024, DISPLAY_TARGET_BYTES / 1024),
    ]
    print(f"{'measure':<36} {'value':>10} {'target':>10}  ok")
    for name, value, target in rows:
        print(f"{name:<36} {value:>10.3f} {target:>10.1f}  {'yes' if value <= target else 'NO'}")

    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "pillow": PIL.__version__,
            "pydicom": pydicom.__version__,
            "numpy": np.__version__,
        },
        "jpeg_4000x3000": {
            "input_bytes": len(jpeg),
            "seconds": jpeg_times,
            "target_seconds": JPEG_TARGET_S,
        },
        "ct_series_100x512x512_zip": {
            "input_bytes": len(series),
            "items": len(slices),
            "seconds": series_times,
            "target_seconds": SERIES_TARGET_S,
        },
        "display_derivative": {
            "size_px": list(display_size),
            "bytes": len(photo.display),
            "format": photo.display_ext,
            "target_bytes": DISPLAY_TARGET_BYTES,
            "ct_largest_bytes": ct_display_max,
        },
        "all_within_target": all(value <= target for _, value, target in rows),
    }
    out = ROOT / "var" / "bench" / "images.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten {out.relative_to(ROOT)}")
    return 0 if report["all_within_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
