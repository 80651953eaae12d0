"""Test inputs built in code (Pillow images, pydicom datasets): no binary fixtures."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

STUDY_UID = "1.2.826.0.1.3680043.8.498.1"
SERIES_UID = "1.2.826.0.1.3680043.8.498.1.2"
FRAME_OF_REFERENCE_UID = "1.2.826.0.1.3680043.8.498.1.3"
INSTANCE_CREATOR_UID = "1.2.826.0.1.3680043.8.498.1.4"
REFERENCED_SOP_UID = "1.2.826.0.1.3680043.8.498.1.5"


def jpeg_bytes(size: tuple[int, int] = (64, 48), **save: object) -> bytes:
    image = gradient(size)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90, **save)
    return buf.getvalue()


def gradient(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack(
        [x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), (x + y) % 256], axis=-1
    ).astype(np.uint8)
    return Image.fromarray(rgb, "RGB").convert(mode)


def encode(image: Image.Image, fmt: str, **save: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **save)
    return buf.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny, valid-looking PNG whose IHDR claims ``width`` x ``height`` (a bomb header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    idat = zlib.compress(b"\x00" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def ct_dataset(
    pixels: np.ndarray | None = None,
    *,
    instance_number: int = 1,
    z: float = 0.0,
    series_uid: str = SERIES_UID,
    modality: str = "CT",
    photometric: str = "MONOCHROME2",
    window: tuple[float, float] | None = (40.0, 400.0),
) -> Dataset:
    """A CT-like slice with identifying data in all the usual places.

    Stored values are HU + 1024 (RescaleIntercept -1024), unsigned 16-bit.
    """
    if pixels is None:
        pixels = ct_phantom()
    frames = pixels.shape[0] if pixels.ndim == 3 else 1
    rows, cols = pixels.shape[-2:]
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    sop_uid = generate_uid()
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.SourceApplicationEntityTitle = "ER_CT_STATION"

    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = STUDY_UID
    ds.SeriesInstanceUID = series_uid
    ds.FrameOfReferenceUID = FRAME_OF_REFERENCE_UID
    ds.InstanceCreatorUID = INSTANCE_CREATOR_UID
    reference = Dataset()
    reference.ReferencedSOPClassUID = CTImageStorage
    reference.ReferencedSOPInstanceUID = REFERENCED_SOP_UID
    ds.ReferencedImageSequence = [reference]
    ds.Modality = modality
    ds.SeriesDescription = "AX CHEST"
    ds.StudyDescription = "CT CHEST for John Q Public"
    ds.PatientName = "Public^John^Q"
    ds.PatientID = "MRN123456"
    ds.PatientBirthDate = "19600101"
    ds.PatientSex = "M"
    ds.PatientAge = "063Y"
    ds.InstitutionName = "St Elsewhere Hospital"
    ds.InstitutionAddress = "1 Hospital Road"
    ds.AccessionNumber = "ACC998877"
    ds.ReferringPhysicianName = "House^Gregory"
    ds.OperatorsName = "Tech^Terry"
    ds.StationName = "CT01"
    ds.DeviceSerialNumber = "SN-42"
    ds.StudyID = "S1"
    ds.StudyDate = "20240102"
    ds.StudyTime = "101500"
    ds.ImageComments = "Patient John was uncooperative"
    ds.add_new(0x00091001, "LO", "private vendor secret")
    ds.InstanceNumber = instance_number
    ds.ImagePositionPatient = [0.0, 0.0, z]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.SliceLocation = z
    ds.PixelSpacing = [0.7, 0.7]
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.RescaleIntercept = -1024
    ds.RescaleSlope = 1
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = window
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.PixelData = np.ascontiguousarray(pixels, dtype=np.uint16).tobytes()
    return ds


def ct_phantom(rows: int = 64, cols: int = 64) -> np.ndarray:
    """A ramp from -1000 HU (air) to +1500 HU (dense bone), stored with +1024 offset."""
    hu = np.linspace(-1000, 1500, cols, dtype=np.float32)[None, :].repeat(rows, axis=0)
    return (hu + 1024).astype(np.uint16)


def dicom_bytes(ds: Dataset) -> bytes:
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def encapsulated(ds: Dataset, syntax: str, fragments: list[bytes]) -> Dataset:
    """Swap ``ds``'s pixel data for an encapsulated codestream under ``syntax``."""
    ds.file_meta.TransferSyntaxUID = syntax
    ds.PixelData = encapsulate(fragments)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return ds


def zip_of(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buf.getvalue()
