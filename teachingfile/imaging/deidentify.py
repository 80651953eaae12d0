"""De-identification of the DICOM we keep: an allow-list checked against PS3.15 Table E.1-1.

Two rules, applied to every element at every nesting level:

1. What is kept is named in ``KEEP`` (what the viewer needs to show the pixels as a PACS
   does, and what a teaching case needs to say what it is). Everything else goes: every
   attribute of the profile that is not on the list, every attribute the profile does not
   know yet, every private element, every overlay and curve group, and the file meta
   information except the transfer syntax (and the two SOP UIDs the file format requires).
2. Where a kept attribute is listed in the profile's table (``profile.basic_profile()``),
   its action code still applies: U replaces the UID (consistently through one upload, so
   a series still hangs together), Z empties, D writes a dummy value, X removes. So the
   keep-list can never keep what the profile says must go, unless an option says so.

The two options of the standard this project offers are off unless ``DeidOptions`` says
otherwise: Retain Patient Characteristics keeps what its column marks K (age, sex, size,
weight, ...); Retain Longitudinal Temporal Information with Modified Dates keeps the
dates named in ``KEEP_DATES`` shifted by a whole number of days that is the same for one
patient (derived from a secret and the original patient identity), so intervals survive.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import MutableMapping
from dataclasses import dataclass

from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.uid import UID, generate_uid

from . import profile

# Bump when what is removed changes; phi_audit flags files written by an older version.
DEIDENTIFICATION_VERSION = 2
METHOD_PREFIX = "teachingfile-deid/"

# What display and teaching need. Sequences listed here are walked with the same rules.
KEEP_KEYWORDS = frozenset(
    {
        # Identity of the object (the UIDs are replaced: U in the table)
        "SpecificCharacterSet",
        "SOPClassUID",
        "SOPInstanceUID",
        "StudyInstanceUID",
        "SeriesInstanceUID",
        "FrameOfReferenceUID",
        "DimensionOrganizationUID",
        "ConcatenationUID",
        "InConcatenationNumber",
        "InConcatenationTotalNumber",
        # References between images (localiser lines); the table's U* replaces their UIDs
        "ReferencedImageSequence",
        "ReferencedSOPClassUID",
        "ReferencedSOPInstanceUID",
        "ReferencedFrameNumber",
        # Type 2 attributes the profile empties (Z), kept empty so the object stays valid
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "PatientSex",
        "StudyDate",
        "StudyTime",
        "ReferringPhysicianName",
        "StudyID",
        "AccessionNumber",
        "ContentDate",
        "ContentTime",
        # What the image is
        "Modality",
        "SeriesNumber",
        "InstanceNumber",
        "AcquisitionNumber",
        "ImageType",
        "BodyPartExamined",
        "Laterality",
        "ImageLaterality",
        "ViewPosition",
        "PatientPosition",
        "PatientOrientation",
        "ScanningSequence",
        "SequenceVariant",
        "MRAcquisitionType",
        "EchoTime",
        "RepetitionTime",
        "InversionTime",
        "MagneticFieldStrength",
        "KVP",
        "ContrastBolusRoute",
        "ImagesInAcquisition",
        "PresentationIntentType",
        # Geometry, for measurements and stack order
        "ImagePositionPatient",
        "ImageOrientationPatient",
        "SliceLocation",
        "SliceThickness",
        "SpacingBetweenSlices",
        "PixelSpacing",
        "ImagerPixelSpacing",
        "PixelAspectRatio",
        "NominalScannedPixelSpacing",
        "EstimatedRadiographicMagnificationFactor",
        "SequenceOfUltrasoundRegions",
        "RegionSpatialFormat",
        "RegionDataType",
        "RegionFlags",
        "RegionLocationMinX0",
        "RegionLocationMinY0",
        "RegionLocationMaxX1",
        "RegionLocationMaxY1",
        "ReferencePixelX0",
        "ReferencePixelY0",
        "PhysicalUnitsXDirection",
        "PhysicalUnitsYDirection",
        "ReferencePixelPhysicalValueX",
        "ReferencePixelPhysicalValueY",
        "PhysicalDeltaX",
        "PhysicalDeltaY",
        # The pixels and how to show them
        "SamplesPerPixel",
        "PhotometricInterpretation",
        "Rows",
        "Columns",
        "BitsAllocated",
        "BitsStored",
        "HighBit",
        "PixelRepresentation",
        "PlanarConfiguration",
        "NumberOfFrames",
        "FrameIncrementPointer",
        "FrameTime",
        "FrameTimeVector",
        "CineRate",
        "RecommendedDisplayFrameRate",
        "PixelData",
        "FloatPixelData",
        "DoubleFloatPixelData",
        "PixelPaddingValue",
        "PixelPaddingRangeLimit",
        "SmallestImagePixelValue",
        "LargestImagePixelValue",
        "RescaleIntercept",
        "RescaleSlope",
        "RescaleType",
        "WindowCenter",
        "WindowWidth",
        "VOILUTFunction",
        "VOILUTSequence",
        "ModalityLUTSequence",
        "LUTDescriptor",
        "LUTData",
        "ModalityLUTType",
        "PresentationLUTShape",
        "RedPaletteColorLookupTableDescriptor",
        "GreenPaletteColorLookupTableDescriptor",
        "BluePaletteColorLookupTableDescriptor",
        "RedPaletteColorLookupTableData",
        "GreenPaletteColorLookupTableData",
        "BluePaletteColorLookupTableData",
        "SegmentedRedPaletteColorLookupTableData",
        "SegmentedGreenPaletteColorLookupTableData",
        "SegmentedBluePaletteColorLookupTableData",
        "LossyImageCompression",
        "LossyImageCompressionRatio",
        "LossyImageCompressionMethod",
        "BurnedInAnnotation",
        "RecognizableVisualFeatures",
        # Enhanced multi-frame objects keep geometry and windows in functional groups
        "SharedFunctionalGroupsSequence",
        "PerFrameFunctionalGroupsSequence",
        "PixelMeasuresSequence",
        "PlanePositionSequence",
        "PlaneOrientationSequence",
        "PixelValueTransformationSequence",
        "FrameVOILUTSequence",
        "FrameContentSequence",
        "FrameAcquisitionNumber",
        "StackID",
        "InStackPositionNumber",
        "TemporalPositionIndex",
        "DimensionIndexValues",
        # What we write to say what was done
        "PatientIdentityRemoved",
        "DeidentificationMethod",
        "DeidentificationMethodCodeSequence",
        "CodeValue",
        "CodingSchemeDesignator",
        "CodeMeaning",
        "LongitudinalTemporalInformationModified",
    }
)

# Kept, shifted, only under Retain Longitudinal Temporal Information with Modified Dates.
KEEP_DATES = frozenset(
    {
        "StudyDate",
        "StudyTime",
        "SeriesDate",
        "SeriesTime",
        "AcquisitionDate",
        "AcquisitionTime",
        "AcquisitionDateTime",
        "ContentDate",
        "ContentTime",
        "FrameAcquisitionDateTime",
        "FrameReferenceDateTime",
    }
)

# File meta: only what says how to read the bytes (the SOP UIDs are rewritten from the
# de-identified data set; pydicom adds its own implementation identity).
META_KEPT = ("TransferSyntaxUID",)

_OPTION_CODES = {
    "basic": ("113100", "Basic Application Confidentiality Profile"),
    "patient_characteristics": ("113108", "Retain Patient Characteristics Option"),
    "modified_dates": ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
}

UidMap = MutableMapping[str, str]


@dataclass(frozen=True)
class DeidOptions:
    """The profile's options; both off by default, as the standard's basic profile is."""

    retain_patient_characteristics: bool = False
    retain_modified_dates: bool = False
    # Key for the per-patient date shift; any stable secret (settings pass SECRET_KEY).
    date_shift_secret: str = ""


def _tags(keywords: frozenset[str]) -> frozenset[int]:
    tags = {tag_for_keyword(k) for k in keywords}
    missing = [k for k in keywords if tag_for_keyword(k) is None]
    if missing:  # a typo here would silently drop an attribute the viewer needs
        raise ImportError(f"Unknown DICOM keywords in the keep-list: {missing}")
    return frozenset(t for t in tags if t is not None)


KEEP = _tags(KEEP_KEYWORDS)
_KEEP_DATES = _tags(KEEP_DATES)


def method_text(options: DeidOptions) -> list[str]:
    """DeidentificationMethod values (each at most 64 characters, LO)."""
    values = [
        f"{METHOD_PREFIX}{DEIDENTIFICATION_VERSION}",
        f"PS3.15 E.1-1 {profile.EDITION} basic profile, allow-list",
    ]
    if options.retain_patient_characteristics:
        values.append("Retain Patient Characteristics")
    if options.retain_modified_dates:
        values.append("Retain Longitudinal Modified Dates")
    return values


def deidentify(ds: Dataset, uid_map: UidMap, options: DeidOptions | None = None) -> None:
    """De-identify ``ds`` in place; ``uid_map`` (old -> new) is shared by one upload."""
    options = options or DeidOptions()
    shift = _date_shift_days(ds, options) if options.retain_modified_dates else 0
    _Cleaner(uid_map, options, shift).clean(ds)
    _rebuild_file_meta(ds)
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = method_text(options)
    codes = ["basic"]
    if options.retain_patient_characteristics:
        codes.append("patient_characteristics")
    if options.retain_modified_dates:
        codes.append("modified_dates")
    ds.DeidentificationMethodCodeSequence = [_code(*_OPTION_CODES[c]) for c in codes]
    ds.LongitudinalTemporalInformationModified = (
        "MODIFIED" if options.retain_modified_dates else "REMOVED"
    )


def deidentification_version(ds: Dataset) -> int:
    """The version this app wrote into DeidentificationMethod, 0 if none."""
    for value in _values(ds.get("DeidentificationMethod")):
        if str(value).startswith(METHOD_PREFIX):
            try:
                return int(str(value)[len(METHOD_PREFIX) :])
            except ValueError:
                return 0
    return 0


def is_kept(tag: int, options: DeidOptions) -> bool:
    """Whether an element with ``tag`` may stay (before its table action is applied)."""
    if tag in KEEP:
        return True
    if options.retain_modified_dates and tag in _KEEP_DATES:
        return True
    if options.retain_patient_characteristics:
        return profile.option_column("retain_patient_characteristics").get(tag) == "K"
    return False


def remap_uid(old: str, uid_map: UidMap) -> str:
    if old not in uid_map:
        uid_map[old] = str(generate_uid())
    return uid_map[old]


class _Cleaner:
    def __init__(self, uid_map: UidMap, options: DeidOptions, shift_days: int) -> None:
        self.uid_map = uid_map
        self.options = options
        self.shift_days = shift_days
        self.table = profile.basic_profile()

    def clean(self, ds: Dataset) -> None:
        for elem in list(ds):  # a copy: elements are deleted while walking
            if not self._keep(elem):
                del ds[elem.tag]
            elif elem.VR == "SQ":
                for item in elem.value or []:
                    self.clean(item)

    def _keep(self, elem: DataElement) -> bool:
        """Apply the rules to one element; False when it must be deleted."""
        tag = int(elem.tag)
        if elem.tag.is_private or not is_kept(tag, self.options):
            return False
        if (
            self.options.retain_patient_characteristics
            and profile.option_column("retain_patient_characteristics").get(tag) == "K"
        ):
            return True
        if self.options.retain_modified_dates and tag in _KEEP_DATES:
            self._shift(elem)
            return True
        code = self.table.get(tag)
        if code is None:
            # Not in the profile: kept as is, except UIDs that name an instance.
            if elem.VR == "UI" and elem.value and _is_instance_uid(elem.keyword):
                elem.value = _remap_value(elem.value, self.uid_map)
            return True
        actions = code.split("/")
        if "U*" in actions and elem.VR == "SQ":
            return True  # kept and walked: the UIDs inside are replaced
        if "U" in actions and elem.VR == "UI":
            if elem.value:
                elem.value = _remap_value(elem.value, self.uid_map)
            return True
        if "Z" in actions:
            elem.value = None if elem.VR != "SQ" else Sequence()
            return True
        if "D" in actions:
            elem.value = _dummy(elem)
            return True
        return False  # X (or U* on a non-UID)

    def _shift(self, elem: DataElement) -> None:
        if elem.VR == "DA":
            elem.value = _map_values(elem.value, lambda v: _shift_date(v, self.shift_days))
        elif elem.VR == "DT":
            elem.value = _map_values(
                elem.value,
                lambda v: _shift_date(v[:8], self.shift_days) + v[8:] if len(v) >= 8 else "",
            )
        # TM: a whole-day shift leaves the time of day as it was.


def _date_shift_days(ds: Dataset, options: DeidOptions) -> int:
    """A shift into the past of 1 to 10 years, the same for every file of one patient."""
    identity = "|".join(str(ds.get(k, "")) for k in ("PatientID", "IssuerOfPatientID"))
    if not ds.get("PatientID"):
        identity += "|" + str(ds.get("PatientName", "")) + "|" + str(ds.get("PatientBirthDate", ""))
    digest = hmac.new(options.date_shift_secret.encode(), identity.encode(), hashlib.sha256)
    return -(365 + int.from_bytes(digest.digest()[:4], "big") % (3650 - 365))


def _shift_date(value: str, days: int) -> str:
    try:
        day = dt.datetime.strptime(value.strip()[:8], "%Y%m%d").date()
    except ValueError:
        return ""  # an unreadable date cannot be shifted, so it goes
    return (day + dt.timedelta(days=days)).strftime("%Y%m%d")


def _map_values(value: object, fn: object) -> object:
    assert callable(fn)
    if isinstance(value, (list, MultiValue)):
        return [fn(str(v)) for v in value]
    return fn(str(value)) if value else value


def _values(value: object) -> list[object]:
    if value is None:
        return []
    if isinstance(value, (list, MultiValue)):
        return list(value)
    return [value]


_DUMMIES = {
    "DA": "19000101",
    "TM": "000000",
    "DT": "19000101000000",
    "AS": "000D",
    "IS": "0",
    "DS": "0",
}


def _dummy(elem: DataElement) -> object:
    vr = elem.VR
    if vr == "SQ":
        return Sequence()
    if vr == "UI":
        return str(generate_uid())
    if vr in ("US", "SS", "UL", "SL", "FL", "FD", "UV", "SV"):
        return 0
    return _DUMMIES.get(vr, "ANONYMIZED")


def _code(value: str, meaning: str) -> Dataset:
    code = Dataset()
    code.CodeValue = value
    code.CodingSchemeDesignator = "DCM"
    code.CodeMeaning = meaning
    return code


# UIs that name a kind of thing (SOP class, syntax, coding scheme), not an instance.
_KEPT_UID_SUFFIXES = ("ClassUID", "TransferSyntaxUID", "CodingSchemeUID", "MappingResourceUID")


def _is_instance_uid(keyword: str) -> bool:
    return not keyword.endswith(_KEPT_UID_SUFFIXES)


def _remap_value(value: str | MultiValue, uid_map: UidMap) -> str | list[str]:
    values = list(value) if isinstance(value, MultiValue) else [value]
    # Well-known UIDs from the standard identify nobody and other software relies on them.
    new = [v if _is_registered(v) else remap_uid(str(v), uid_map) for v in values]
    return new if isinstance(value, MultiValue) else new[0]


def _is_registered(value: str) -> bool:
    return UID(value).name != str(value)


def _rebuild_file_meta(ds: Dataset) -> None:
    old = getattr(ds, "file_meta", None) or FileMetaDataset()
    meta = FileMetaDataset()
    for keyword in META_KEPT:
        if keyword in old:
            setattr(meta, keyword, old[keyword].value)
    if "SOPClassUID" in ds:
        meta.MediaStorageSOPClassUID = ds.SOPClassUID
    if "SOPInstanceUID" in ds:
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta = meta
