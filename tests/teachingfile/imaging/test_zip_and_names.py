"""Zips are containers of DICOM only, with limits; stored names reveal nothing."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from teachingfile.imaging import (
    ImageRejected,
    generate_unguessable_name,
    process_upload,
    validation,
)

from .builders import ct_dataset, dicom_bytes, jpeg_bytes, zip_of


def zip_rejection(data: bytes) -> str:
    with pytest.raises(ImageRejected) as info:
        process_upload(data, filename="series.zip")
    return info.value.message


@pytest.mark.parametrize(
    "name", ["../../etc/cron.d/evil.dcm", "/abs/IM1.dcm", "C:/Windows/IM1.dcm", "dir\\..\\IM1.dcm"]
)
def test_zip_path_tricks_are_refused(name: str) -> None:
    message = zip_rejection(zip_of([(name, dicom_bytes(ct_dataset()))]))
    assert "unsafe path" in message


def test_zip_symlink_is_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        info = zipfile.ZipInfo("link.dcm")
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "/etc/passwd")
    assert "unsafe path" in zip_rejection(buf.getvalue())


def test_zip_may_only_hold_dicom() -> None:
    message = zip_rejection(
        zip_of([("IM1.dcm", dicom_bytes(ct_dataset())), ("photo.jpg", jpeg_bytes())])
    )
    assert message.startswith("photo.jpg (in the ZIP): it is not a DICOM file")


def test_zip_os_junk_is_ignored() -> None:
    data = zip_of(
        [
            ("__MACOSX/._IM1.dcm", b"junk"),
            (".DS_Store", b"junk"),
            ("IM1.dcm", dicom_bytes(ct_dataset())),
        ]
    )
    assert len(process_upload(data, filename="s.zip")) == 1


def test_empty_zip_is_refused() -> None:
    assert "contains no DICOM images" in zip_rejection(zip_of([("readme/", b"")]))


def test_zip_member_count_is_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "ZIP_MAX_MEMBERS", 3)
    members = [(f"IM{i}.dcm", b"x") for i in range(4)]
    assert zip_rejection(zip_of(members)) == "The ZIP archive has 4 entries; the limit is 3"


def test_zip_total_uncompressed_size_is_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "ZIP_MAX_UNCOMPRESSED", 10_000)
    members = [(f"IM{i}.dcm", dicom_bytes(ct_dataset())) for i in range(2)]
    assert "expands to more than" in zip_rejection(zip_of(members))


def test_zip_member_lying_about_its_size_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # A deflate bomb member: 5 MB of zeros in a few KB; the member limit is the upload limit.
    data = zip_of([("IM1.dcm", b"\x00" * 5_000_000)])
    with pytest.raises(ImageRejected) as info:
        process_upload(data, filename="bomb.zip", max_bytes=1_000_000)
    assert "larger than" in info.value.message


def test_one_bad_slice_refuses_the_whole_series() -> None:
    bad = ct_dataset(instance_number=2)
    bad.BurnedInAnnotation = "YES"
    data = zip_of(
        [("IM1.dcm", dicom_bytes(ct_dataset(instance_number=1))), ("IM2.dcm", dicom_bytes(bad))]
    )
    message = zip_rejection(data)
    assert message.startswith("IM2.dcm (in the ZIP): This DICOM is flagged as having burned-in")


def test_unguessable_names() -> None:
    names = {generate_unguessable_name("webp") for _ in range(200)}
    assert len(names) == 200
    for name in names:
        assert re.fullmatch(r"f/([0-9a-f]{2})/\1[0-9a-f]{30}\.webp", name)
    assert generate_unguessable_name(".JPG").endswith(".jpg")
    with pytest.raises(ValueError):
        generate_unguessable_name("../x")
