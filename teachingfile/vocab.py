"""Controlled vocabularies: DICOM modality codes and the groups residents filter by.

Cases store DICOM modality codes (PS3.3 C.7.3.1.1.1, the values of the Modality
attribute (0008,0060)), space-separated, main modality first. Filters, reports and chips
work on display groups, so that a computed (CR) and a digital (DX) radiograph both show as
Radiography and both turn up under the Radiography filter.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models


class DicomModality(models.TextChoices):
    CR = "CR", "Computed radiography"
    DX = "DX", "Digital radiography"
    CT = "CT", "Computed tomography"
    MR = "MR", "Magnetic resonance"
    US = "US", "Ultrasound"
    NM = "NM", "Nuclear medicine"
    PT = "PT", "Positron emission tomography"
    MG = "MG", "Mammography"
    XA = "XA", "X-ray angiography"
    RF = "RF", "Radio fluoroscopy"


class Modality(models.TextChoices):
    """Display groups of DICOM codes: the filter values, report rows and chips."""

    XR = "XR", "Radiography"
    CT = "CT", "CT"
    MR = "MR", "MRI"
    US = "US", "Ultrasound"
    NM = "NM", "Nuclear medicine"
    MG = "MG", "Mammography"
    FL = "FL", "Fluoroscopy and angiography"


MODALITY_GROUPS: dict[str, tuple[str, ...]] = {
    Modality.XR: (DicomModality.CR, DicomModality.DX),
    Modality.CT: (DicomModality.CT,),
    Modality.MR: (DicomModality.MR,),
    Modality.US: (DicomModality.US,),
    Modality.NM: (DicomModality.NM, DicomModality.PT),
    Modality.MG: (DicomModality.MG,),
    Modality.FL: (DicomModality.XA, DicomModality.RF),
}
GROUP_OF_CODE: dict[str, str] = {
    code: group for group, codes in MODALITY_GROUPS.items() for code in codes
}

# Words authors and older records use for a modality, upper-cased, mapped to a DICOM code.
# A plain radiograph of unknown acquisition is filed as DX, the code of current equipment.
MODALITY_SYNONYMS: dict[str, str] = {
    **{code: code for code in DicomModality.values},
    "XR": "DX",
    "X-RAY": "DX",
    "XRAY": "DX",
    "RADIOGRAPH": "DX",
    "RADIOGRAPHY": "DX",
    "PLAIN FILM": "DX",
    "MRI": "MR",
    "PET": "PT",
    "PET-CT": "PT",
    "FL": "RF",
    "FLUORO": "RF",
    "FLUOROSCOPY": "RF",
    "ANGIO": "XA",
    "ANGIOGRAPHY": "XA",
    "MAMMO": "MG",
    "MAMMOGRAPHY": "MG",
    "SPECT": "NM",
    "ULTRASOUND": "US",
}


def map_modalities(text: str) -> tuple[list[str], list[str]]:
    """Split free text into known DICOM codes (in order, once each) and what did not map."""
    codes: list[str] = []
    unknown: list[str] = []
    for token in text.replace(",", " ").replace(";", " ").split():
        code = MODALITY_SYNONYMS.get(token.upper())
        if code is None:
            unknown.append(token)
        elif code not in codes:
            codes.append(code)
    return codes, unknown


def normalise_modalities(text: str) -> str:
    """The stored form of an author's modality text; refuses a word it cannot map."""
    codes, unknown = map_modalities(text)
    if unknown:
        raise ValidationError(
            "Unknown modality %(words)s: use DICOM codes (%(codes)s).",
            params={"words": ", ".join(unknown), "codes": ", ".join(DicomModality.values)},
            code="unknown_modality",
        )
    return " ".join(codes)


def validate_modalities(value: str) -> None:
    codes, unknown = map_modalities(value)
    if unknown or " ".join(codes) != " ".join(value.split()):
        raise ValidationError(
            "Use DICOM modality codes separated by spaces (%(codes)s).",
            params={"codes": ", ".join(DicomModality.values)},
            code="invalid_modality",
        )


def group_labels(codes: list[str]) -> list[str]:
    """The display group of each code, once each, in the case's order."""
    labels = dict(Modality.choices)
    seen: list[str] = []
    for code in codes:
        label = labels.get(GROUP_OF_CODE.get(code, ""), code)
        if label not in seen:
            seen.append(label)
    return seen


def group_regex(group: str) -> str:
    """A regex matching any whole code of the group in the space-separated field."""
    codes = "|".join(MODALITY_GROUPS.get(group, (group,)))
    return rf"(^| )({codes})( |$)"
