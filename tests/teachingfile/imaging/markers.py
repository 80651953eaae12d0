"""A CT with every attribute of PS3.15 Table E.1-1 filled with its own marker.

Markers are distinct per attribute and long enough (8+ characters) to be searched for in
any stored byte stream; short or binary values are checked element by element instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset

from teachingfile.imaging import profile

from .builders import ct_dataset

_STRING_VRS = {"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UT", "UR"}
_BINARY_VRS = {"OB", "OW", "OD", "OF", "OL", "OV", "UN"}
_NUMBER_VRS = {"US", "SS", "UL", "SL", "FL", "FD", "UV", "SV", "AT"}


@dataclass
class Marked:
    ds: Dataset
    # Marker text -> the attribute it was put in (for readable failures).
    searchable: dict[str, str] = field(default_factory=dict)
    tags: set[int] = field(default_factory=set)


def _vr(tag: int) -> str:
    try:
        vr = dictionary_VR(tag)
    except KeyError:
        return "LO"  # newer than pydicom's dictionary: any text VR carries a marker
    return vr.split(" or ")[0]


def _value(vr: str, index: int) -> tuple[object, str | None]:
    """A value for ``vr`` holding marker ``index``, and its searchable text (if any)."""
    text = f"MKR{index:05d}"
    if vr in _STRING_VRS:
        return text, text
    if vr == "DA":
        day = (dt.date(1950, 1, 1) + dt.timedelta(days=index)).strftime("%Y%m%d")
        return day, day
    if vr == "TM":
        value = f"2359{index % 60:02d}.{index:06d}"
        return value, value
    if vr == "DT":
        day = (dt.date(1950, 1, 1) + dt.timedelta(days=index)).strftime("%Y%m%d")
        value = f"{day}235959.{index:06d}"
        return value, value
    if vr == "UI":
        value = f"1.2.826.0.1.3680043.99.{index}"
        return value, value
    if vr == "IS":
        value = str(970000000 + index)
        return value, value
    if vr == "DS":
        value = f"97{index:06d}.5"
        return value, value
    if vr == "AS":
        return f"{index % 1000:03d}D", None
    if vr in _NUMBER_VRS:
        return (0x00990000 + index) if vr == "AT" else 9000 + index % 1000, None
    if vr in _BINARY_VRS:
        return text.encode(), text
    raise AssertionError(vr)


def _nested(marked: Marked, start: int) -> Dataset:
    """A sequence item with its own identifying contents, private tag and sub-sequence."""
    item = Dataset()
    item.PatientName = f"MKR{start:05d}"
    item.InstitutionName = f"MKR{start + 1:05d}"
    item.add_new(0x00091010, "LO", "MKRPRIV1")
    inner = Dataset()
    inner.PersonName = f"MKR{start + 2:05d}"
    item.ContentSequence = [inner]
    for offset, name in enumerate(("PatientName", "InstitutionName", "PersonName")):
        marked.searchable[f"MKR{start + offset:05d}"] = f"nested {name}"
    marked.searchable["MKRPRIV1"] = "nested private"
    return item


def marked_ct() -> Marked:
    ds = ct_dataset()
    marked = Marked(ds)
    table = profile.basic_profile()
    for index, tag in enumerate(sorted(table), start=1):
        group = tag >> 16
        vr = _vr(tag)
        if vr == "SQ":
            value: object = [_nested(marked, 50000 + index * 3)]
            text = None
        else:
            value, text = _value(vr, index)
        target = ds.file_meta if group == 0x0002 else ds
        if group == 0x0000:
            continue  # command elements (Affected SOP Instance UID) cannot be in a file
        target.add_new(tag, vr, value)
        marked.tags.add(tag)
        if text:
            marked.searchable[text] = f"{tag:08X}"
    # Repeating groups: curves and overlays, with text in them.
    ds.add_new(0x50000000 | 0x3000, "OW", b"MKRCURVE")
    ds.add_new(0x60004000, "LT", "MKROVERLAY")
    ds.add_new(0x60000010, "US", 64)
    ds.add_new(0x60000011, "US", 64)
    ds.add_new(0x60003000, "OW", b"\x00" * 512)
    marked.searchable["MKRCURVE"] = "curve"
    marked.searchable["MKROVERLAY"] = "overlay comments"
    # Private tags at the top level, and identifying data nested in sequences we keep.
    ds.add_new(0x00290010, "LO", "MKRCREATOR")
    ds.add_new(0x00291010, "LO", "MKRPRIVATE")
    marked.searchable["MKRCREATOR"] = "private creator"
    marked.searchable["MKRPRIVATE"] = "private element"
    ds.ReferencedImageSequence.append(_nested(marked, 90000))
    return marked
