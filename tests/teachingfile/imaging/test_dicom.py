"""DICOM: de-identification, transfer syntaxes, frames, series order, windows."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.datadict import tag_for_keyword
from pydicom.uid import (
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    RLELossless,
)

from teachingfile.imaging import ImageRejected, process_upload
from teachingfile.imaging.deidentify import EMPTIED, REMOVED

from .builders import (
    FRAME_OF_REFERENCE_UID,
    INSTANCE_CREATOR_UID,
    REFERENCED_SOP_UID,
    SERIES_UID,
    STUDY_UID,
    ct_dataset,
    ct_phantom,
    dicom_bytes,
    encapsulated,
    zip_of,
)

IDENTIFYING = (
    "Public",
    "MRN123456",
    "19600101",
    "St Elsewhere",
    "ACC998877",
    "House",
    "Tech^Terry",
    "SN-42",
    "uncooperative",
    "private vendor secret",
    "CT01",
    "ER_CT_STATION",
    "20240102",
)


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"))


def test_deidentified_dicom_has_no_identifying_data_left() -> None:
    (result,) = process_upload(dicom_bytes(ct_dataset()), filename="IM0001")

    assert result.deidentified_dicom is not None
    ds = pydicom.dcmread(io.BytesIO(result.deidentified_dicom))
    assert not ds.get("PatientName")
    assert not ds.get("PatientID")
    assert not ds.get("PatientBirthDate")
    assert not ds.get("AccessionNumber")
    assert not ds.get("StudyDate")
    for keyword in (
        "InstitutionName",
        "InstitutionAddress",
        "OperatorsName",
        "StationName",
        "DeviceSerialNumber",
        "ImageComments",
        "StudyDescription",
        "PatientAge",
    ):
        assert keyword not in ds, keyword
    assert not any(elem.tag.is_private for elem in ds.iterall())
    assert "SourceApplicationEntityTitle" not in ds.file_meta
    assert ds.PatientIdentityRemoved == "YES"
    assert "Annex E" in "\\".join(ds.DeidentificationMethod)
    # Nothing identifying survives anywhere in the file, in any element or sequence.
    for secret in IDENTIFYING:
        assert secret.encode() not in result.deidentified_dicom, secret
    # What the teaching case needs is kept.
    assert ds.Modality == "CT" and ds.SeriesDescription == "AX CHEST"
    assert ds.RescaleIntercept == -1024 and ds.Rows == 64


def test_uids_are_remapped_consistently() -> None:
    source = ct_dataset()
    (result,) = process_upload(dicom_bytes(source), filename="IM0001")
    ds = pydicom.dcmread(io.BytesIO(result.deidentified_dicom or b""))

    for keyword, old in (
        ("StudyInstanceUID", STUDY_UID),
        ("SeriesInstanceUID", SERIES_UID),
        ("FrameOfReferenceUID", FRAME_OF_REFERENCE_UID),
        ("SOPInstanceUID", source.SOPInstanceUID),
    ):
        assert ds[keyword].value != old, keyword
        assert pydicom.uid.UID(ds[keyword].value).is_valid
    assert ds.InstanceCreatorUID != INSTANCE_CREATOR_UID
    assert ds.SOPClassUID == source.SOPClassUID  # a class, not an instance: kept
    reference = ds.ReferencedImageSequence[0]
    assert reference.ReferencedSOPInstanceUID != REFERENCED_SOP_UID
    assert reference.ReferencedSOPClassUID == source.SOPClassUID
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert result.series_key == ds.SeriesInstanceUID
    assert result.dicom["series_instance_uid"] == ds.SeriesInstanceUID
    assert result.dicom["study_instance_uid"] == ds.StudyInstanceUID
    assert result.dicom["sop_instance_uid"] == ds.SOPInstanceUID
    assert result.dicom["frame_of_reference_uid"] == ds.FrameOfReferenceUID


def test_references_between_files_of_one_upload_still_resolve() -> None:
    first, second = ct_dataset(instance_number=1), ct_dataset(instance_number=2)
    second.ReferencedImageSequence[0].ReferencedSOPInstanceUID = first.SOPInstanceUID
    results = process_upload(
        zip_of([("a.dcm", dicom_bytes(first)), ("b.dcm", dicom_bytes(second))]), filename="s.zip"
    )
    ds = pydicom.dcmread(io.BytesIO(results[1].deidentified_dicom or b""))
    assert (
        ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID
        == results[0].dicom["sop_instance_uid"]
    )


def test_facts_kept_are_deidentified_and_useful() -> None:
    (result,) = process_upload(
        dicom_bytes(ct_dataset(instance_number=7, z=-12.5)), filename="IM0007"
    )
    facts = result.dicom
    assert facts["modality"] == "CT"
    assert facts["series_description"] == "AX CHEST"
    assert facts["instance_number"] == 7
    assert facts["slice_location"] == -12.5
    assert (facts["window_center"], facts["window_width"]) == (40.0, 400.0)
    assert (facts["rows"], facts["columns"]) == (64, 64)
    assert (result.width, result.height) == (64, 64)
    assert result.source_format == "dicom" and result.original_ext == "png"
    for secret in IDENTIFYING:
        assert secret not in repr(facts)


def test_same_upload_shares_one_uid_map_but_uploads_do_not() -> None:
    data = dicom_bytes(ct_dataset())
    (first,) = process_upload(data, filename="a")
    (second,) = process_upload(data, filename="a")
    assert first.series_key != second.series_key  # a re-upload is not linkable


def test_unsupported_transfer_syntax_is_named() -> None:
    ds = encapsulated(ct_dataset(), JPEGLSLossless, [b"\xff\xd8\xff\xf7dummy\xff\xd9"])
    with pytest.raises(ImageRejected) as info:
        process_upload(dicom_bytes(ds), filename="ls.dcm")
    message = info.value.message
    assert message.startswith(
        "DICOM transfer syntax 1.2.840.10008.1.2.4.80 (JPEG-LS Lossless Image Compression) "
        "is not supported"
    )
    assert info.value.code == "dicom_syntax"


@pytest.mark.filterwarnings("ignore:End of file reached:UserWarning")
def test_not_dicom_with_dicm_magic_is_refused() -> None:
    with pytest.raises(ImageRejected) as info:
        process_upload(b"\x00" * 128 + b"DICM" + b"\xff" * 40, filename="x.dcm")
    assert "DICOM" in info.value.message


def test_dicom_without_pixels_is_refused() -> None:
    ds = ct_dataset()
    del ds.PixelData
    with pytest.raises(ImageRejected, match="contains no image"):
        process_upload(dicom_bytes(ds), filename="sr.dcm")


def test_rle_dicom_decodes() -> None:
    phantom = ct_phantom()
    ds = ct_dataset(phantom)
    ds.compress(RLELossless, phantom, generate_instance_uid=False)
    assert ds.file_meta.TransferSyntaxUID == RLELossless
    (result,) = process_upload(dicom_bytes(ds), filename="rle.dcm")
    (plain,) = process_upload(dicom_bytes(ct_dataset(phantom)), filename="raw.dcm")
    assert np.array_equal(pixels(result.original), pixels(plain.original))


def test_deflated_dicom_decodes() -> None:
    ds = ct_dataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.DeflatedExplicitVRLittleEndian
    (result,) = process_upload(dicom_bytes(ds), filename="deflate.dcm")
    assert pixels(result.original).shape == (64, 64)


@pytest.mark.parametrize(
    ("syntax", "fmt", "save"),
    [
        (JPEGBaseline8Bit, "JPEG", {"quality": 95}),
        (JPEG2000Lossless, "JPEG2000", {"no_jp2": True, "irreversible": False}),
    ],
)
def test_jpeg_and_jpeg2000_dicom_decode(syntax: str, fmt: str, save: dict[str, object]) -> None:
    ramp = np.linspace(0, 255, 64, dtype=np.uint8)[None, :].repeat(64, axis=0)
    buf = io.BytesIO()
    Image.fromarray(ramp).save(buf, fmt, **save)
    ds = ct_dataset(window=None)
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.RescaleIntercept = 0
    ds = encapsulated(ds, syntax, [buf.getvalue()])
    (result,) = process_upload(dicom_bytes(ds), filename="compressed.dcm")
    out = pixels(result.original)
    assert out[:, 0].mean() < 10 and out[:, -1].mean() > 245


def test_multi_frame_gives_one_item_per_frame_in_order() -> None:
    stack = np.stack([np.full((32, 32), 1024 + hu, dtype=np.uint16) for hu in (-100, 0, 100, 200)])
    results = process_upload(
        dicom_bytes(ct_dataset(stack, window=(50.0, 400.0))), filename="cine.dcm"
    )

    assert len(results) == 4
    assert [r.position for r in results] == [0, 1, 2, 3]
    assert [r.dicom["frame_index"] for r in results] == [0, 1, 2, 3]
    means = [pixels(r.original).mean() for r in results]
    assert means == sorted(means) and len(set(means)) == 4
    assert len({r.series_key for r in results}) == 1
    assert len({id(r.deidentified_dicom) for r in results}) == 1  # one file, stored once


def test_zip_series_is_sorted_by_instance_number_even_if_zipped_out_of_order() -> None:
    numbers = [3, 1, 5, 2, 4]
    members = []
    for number in numbers:
        slice_ = np.full((32, 32), 1024 + number * 40, dtype=np.uint16)
        # Positions deliberately disagree with instance numbers: the number wins.
        ds = ct_dataset(slice_, instance_number=number, z=float(-number * 7 % 11))
        members.append((f"series/IM{number:04d}-{len(members)}.dcm", dicom_bytes(ds)))

    results = process_upload(zip_of(members), filename="series.zip")

    assert [r.dicom["instance_number"] for r in results] == [1, 2, 3, 4, 5]
    assert [r.position for r in results] == [0, 1, 2, 3, 4]
    means = [pixels(r.original).mean() for r in results]
    assert means == sorted(means)
    assert len({r.series_key for r in results}) == 1
    assert results[0].series_key != SERIES_UID
    assert len({r.dicom["study_instance_uid"] for r in results}) == 1
    assert len({r.dicom["sop_instance_uid"] for r in results}) == 5


def test_zip_without_instance_numbers_uses_position_along_the_normal() -> None:
    members = []
    for z in (20.0, -10.0, 0.0, 10.0):
        ds = ct_dataset(np.full((16, 16), 1024 + int(z), dtype=np.uint16), z=z)
        del ds.InstanceNumber
        members.append((f"{z}.dcm", dicom_bytes(ds)))
    results = process_upload(zip_of(members), filename="s.zip")
    assert [r.dicom["image_position_patient"][2] for r in results] == [-10.0, 0.0, 10.0, 20.0]


def test_burned_in_annotation_is_refused_then_accepted_when_confirmed() -> None:
    ds = ct_dataset()
    ds.BurnedInAnnotation = "YES"
    data = dicom_bytes(ds)
    with pytest.raises(ImageRejected) as info:
        process_upload(data, filename="us.dcm")
    assert info.value.message == (
        "This DICOM is flagged as having burned-in annotation; confirm it is clean to upload it"
    )
    (result,) = process_upload(data, filename="us.dcm", allow_burned_in=True)
    assert result.dicom["burned_in_annotation"] == "YES"


def test_ct_presets_produce_three_different_images() -> None:
    (result,) = process_upload(dicom_bytes(ct_dataset()), filename="ct.dcm")

    assert list(result.presets) == ["soft tissue", "lung", "bone"]
    images = {name: pixels(data) for name, data in result.presets.items()}
    assert all(image.shape == (64, 64) for image in images.values())
    assert len({data for data in result.presets.values()}) == 3

    def column(hu: float) -> dict[str, float]:
        index = round((hu + 1000) / 2500 * 63)  # the phantom ramps -1000..1500 HU
        return {name: float(image[:, index].mean()) for name, image in images.items()}

    # -600 HU (lung) is mid-grey in lung window, black in soft tissue, near black in bone.
    lung = column(-600)
    assert 100 < lung["lung"] < 155 and lung["soft tissue"] == 0 and lung["bone"] < 30
    # +300 HU (cancellous bone) is mid-grey in bone window, white in the other two.
    bone = column(300)
    assert 100 < bone["bone"] < 155 and bone["soft tissue"] == 255 and bone["lung"] == 255


def test_presets_only_for_ct() -> None:
    (result,) = process_upload(dicom_bytes(ct_dataset(modality="MR")), filename="mr.dcm")
    assert result.presets == {}


def test_window_from_header_is_applied() -> None:
    # Soft tissue window: -160 HU and below black, +240 HU and above white.
    (result,) = process_upload(dicom_bytes(ct_dataset()), filename="ct.dcm")
    out = pixels(result.original)
    assert out[:, 0].max() == 0 and out[:, -1].min() == 255


def test_min_max_is_used_without_a_header_window() -> None:
    (result,) = process_upload(dicom_bytes(ct_dataset(window=None)), filename="ct.dcm")
    out = pixels(result.original)
    assert out[:, 0].max() == 0 and out[:, -1].min() == 255
    assert 100 < out[:, 32].mean() < 160


def test_monochrome1_is_inverted() -> None:
    m2 = pixels(process_upload(dicom_bytes(ct_dataset(window=None)), filename="a")[0].original)
    m1 = pixels(
        process_upload(
            dicom_bytes(ct_dataset(window=None, photometric="MONOCHROME1")), filename="b"
        )[0].original
    )
    assert m2[:, 0].max() == 0  # lowest value dark in MONOCHROME2
    assert m1[:, 0].min() == 255  # and light in MONOCHROME1
    assert np.array_equal(m1, 255 - m2)


def test_deidentification_tables_name_real_dicom_keywords() -> None:
    for keyword in EMPTIED | REMOVED:
        assert tag_for_keyword(keyword) is not None, keyword


def test_rgb_dicom_keeps_its_colours() -> None:
    rgb = np.zeros((16, 24, 3), dtype=np.uint8)
    rgb[..., 0] = 200  # red
    ds = ct_dataset(np.zeros((16, 24), dtype=np.uint16), modality="US", window=None)
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    del ds.RescaleIntercept, ds.RescaleSlope
    ds.PixelData = rgb.tobytes()
    (result,) = process_upload(dicom_bytes(ds), filename="us.dcm")
    out = np.asarray(Image.open(io.BytesIO(result.original)).convert("RGB"))
    assert out.shape == (16, 24, 3)
    assert tuple(out[0, 0]) == (200, 0, 0)
    assert result.presets == {}


def test_enhanced_multi_frame_uses_functional_group_rescale_and_window() -> None:
    from pydicom.dataset import Dataset

    stack = np.stack([np.full((16, 16), value, dtype=np.uint16) for value in (0, 200, 400)])
    ds = ct_dataset(stack, window=None)
    del ds.RescaleIntercept, ds.RescaleSlope
    transform, voi, shared = Dataset(), Dataset(), Dataset()
    transform.RescaleIntercept, transform.RescaleSlope = -200, 1
    voi.WindowCenter, voi.WindowWidth = 0, 401  # -200 HU black ... +200 HU white
    shared.PixelValueTransformationSequence = [transform]
    shared.FrameVOILUTSequence = [voi]
    ds.SharedFunctionalGroupsSequence = [shared]
    results = process_upload(dicom_bytes(ds), filename="enhanced.dcm")
    assert [int(pixels(r.original).mean()) for r in results] == [0, 128, 255]
    assert results[1].dicom["window_center"] == 0.0
