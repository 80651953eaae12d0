"""De-identification of the DICOM we keep, after the basic profile of DICOM PS3.15 Annex E.

The profile's table is long and grows with every edition, so besides an explicit list of
the attributes it names, whole classes of data are handled by value representation, which
also catches attributes added after this was written and those nested in sequences:

* every person name (PN) is removed (Patient's and Referring Physician's Name are kept
  empty, since they are type 2);
* every date, time and date-time (DA, TM, DT) is emptied, so the study cannot be placed
  in time (the profile's "Z/D" choice, and LongitudinalTemporalInformationModified says so);
* every age (AS) and every ``*Comments`` attribute is removed;
* every private element, overlay (60xx) and curve (50xx) group is removed;
* every instance UID (UI that is not a registered/class UID) is replaced, consistently
  through one upload, so a series still hangs together and references still resolve.

One deliberate departure, recorded in DeidentificationMethod: Series Description is
retained ("AX T2 FLAIR" is what a teaching case needs); Study Description and Protocol
Name, which more often carry free text, are removed as the profile says.
"""

from __future__ import annotations

from collections.abc import MutableMapping

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.uid import UID, generate_uid

# Multi-valued because each value of this LO element is limited to 64 characters.
DEIDENTIFICATION_METHOD = [
    "DICOM PS3.15 Annex E Basic Application Confidentiality Profile",
    "dates and times emptied",
    "private, overlay and curve data removed",
    "UIDs remapped",
    "Series Description retained",
]

# Type 2 attributes the profile empties ("Z") instead of removing.
EMPTIED = frozenset({
    "PatientName", "PatientID", "PatientBirthDate", "PatientSex",
    "ReferringPhysicianName", "AccessionNumber", "StudyID", "StudyDate", "StudyTime",
})

# Attributes the profile removes ("X", or "X/Z"/"X/D" where removal is allowed).
REMOVED = frozenset({
    # Patient
    "OtherPatientIDs", "OtherPatientIDsSequence", "OtherPatientNames", "PatientBirthName",
    "PatientMotherBirthName", "PatientAddress", "PatientTelephoneNumbers",
    "PatientTelecomInformation", "PatientBirthTime", "PatientAge", "PatientSize",
    "PatientWeight", "EthnicGroup", "Occupation", "AdditionalPatientHistory",
    "MedicalAlerts", "Allergies", "PregnancyStatus", "SmokingStatus", "LastMenstrualDate",
    "PatientReligiousPreference", "MilitaryRank", "BranchOfService", "MedicalRecordLocator",
    "CountryOfResidence", "RegionOfResidence", "PatientInsurancePlanCodeSequence",
    "PatientPrimaryLanguageCodeSequence", "ResponsiblePerson", "ResponsibleOrganization",
    "IssuerOfPatientID", "IssuerOfPatientIDQualifiersSequence", "PatientState",
    "PatientTransportArrangements", "SpecialNeeds", "ReferencedPatientSequence",
    "ReferencedPatientPhotoSequence", "PatientSexNeutered", "CurrentPatientLocation",
    "PatientInstitutionResidence",
    # Institution, equipment, staff
    "InstitutionName", "InstitutionAddress", "InstitutionalDepartmentName",
    "InstitutionalDepartmentTypeCodeSequence", "InstitutionCodeSequence", "StationName",
    "DeviceSerialNumber", "DetectorID", "GantryID", "PlateID", "CassetteID",
    "ReferringPhysicianAddress", "ReferringPhysicianTelephoneNumbers",
    "ReferringPhysicianIdentificationSequence", "ConsultingPhysicianName",
    "ConsultingPhysicianIdentificationSequence", "PhysiciansOfRecord",
    "PhysiciansOfRecordIdentificationSequence", "PerformingPhysicianName",
    "PerformingPhysicianIdentificationSequence", "NameOfPhysiciansReadingStudy",
    "PhysiciansReadingStudyIdentificationSequence", "OperatorsName",
    "OperatorIdentificationSequence", "RequestingPhysician", "RequestingService",
    "ScheduledPerformingPhysicianName", "PersonAddress", "PersonTelephoneNumbers",
    "PersonTelecomInformation", "OrderEnteredBy", "OrderEntererLocation",
    "OrderCallbackPhoneNumber", "OrderCallbackTelecomInformation",
    # Visit, order, procedure
    "AdmissionID", "IssuerOfAdmissionIDSequence", "AdmittingDiagnosesDescription",
    "AdmittingDiagnosesCodeSequence", "ServiceEpisodeID", "ServiceEpisodeDescription",
    "ReasonForStudy", "ReasonForTheRequestedProcedure", "RequestedProcedureID",
    "RequestedProcedureDescription", "RequestAttributesSequence",
    "ScheduledProcedureStepID", "PerformedProcedureStepID",
    "PerformedProcedureStepDescription", "PerformedStationName", "PerformedLocation",
    "ScheduledStationName", "FillerOrderNumberImagingServiceRequest",
    "PlacerOrderNumberImagingServiceRequest", "ReferencedStudySequence",
    "ReferencedPerformedProcedureStepSequence",
    # Free text and audit trails that may quote any of the above
    "StudyDescription", "ProtocolName", "DerivationDescription",
    "AcquisitionDeviceProcessingDescription", "TextString", "OriginalAttributesSequence",
    "ModifiedAttributesSequence", "DigitalSignaturesSequence", "MACParametersSequence",
    "EncryptedAttributesSequence", "ContributingEquipmentSequence",
    "DataSetTrailingPadding",
})

# File meta elements that name the sending station.
META_REMOVED = ("SourceApplicationEntityTitle", "SendingApplicationEntityTitle",
                "ReceivingApplicationEntityTitle", "PrivateInformationCreatorUID",
                "PrivateInformation")

# UIs that name a kind of thing (SOP class, syntax, coding scheme), not an instance.
_KEPT_UID_SUFFIXES = ("ClassUID", "TransferSyntaxUID", "CodingSchemeUID",
                      "MappingResourceUID")

UidMap = MutableMapping[str, str]


def deidentify(ds: Dataset, uid_map: UidMap) -> None:
    """De-identify ``ds`` in place; ``uid_map`` (old -> new) is shared by one upload."""
    ds.remove_private_tags()
    ds.walk(lambda dataset, elem: _clean_element(dataset, elem, uid_map))
    _clean_file_meta(ds, uid_map)
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = DEIDENTIFICATION_METHOD
    code = Dataset()
    code.CodeValue = "113100"
    code.CodingSchemeDesignator = "DCM"
    code.CodeMeaning = "Basic Application Confidentiality Profile"
    ds.DeidentificationMethodCodeSequence = [code]
    ds.LongitudinalTemporalInformationModified = "REMOVED"


def remap_uid(old: str, uid_map: UidMap) -> str:
    if old not in uid_map:
        uid_map[old] = str(generate_uid())
    return uid_map[old]


def _clean_element(dataset: Dataset, elem: DataElement, uid_map: UidMap) -> None:
    tag, keyword, vr = elem.tag, elem.keyword, elem.VR
    if keyword in EMPTIED:
        elem.value = None
    elif (
        keyword in REMOVED
        or "Comment" in keyword
        or vr in ("AS", "PN")
        or tag.group & 0xFF00 in (0x5000, 0x6000)  # curves and overlays (may hold text)
    ):
        del dataset[tag]
    elif vr in ("DA", "TM", "DT"):
        elem.value = None
    elif vr == "UI" and elem.value and _is_instance_uid(keyword):
        elem.value = _remap_value(elem.value, uid_map)


def _is_instance_uid(keyword: str) -> bool:
    return not keyword.endswith(_KEPT_UID_SUFFIXES)


def _remap_value(value: str | MultiValue, uid_map: UidMap) -> str | list[str]:
    values = list(value) if isinstance(value, MultiValue) else [value]
    # Well-known UIDs from the standard (e.g. a coding scheme quoted as a value) identify
    # nobody and other software relies on them, so they pass through.
    new = [v if _is_registered(v) else remap_uid(str(v), uid_map) for v in values]
    return new if isinstance(value, MultiValue) else new[0]


def _is_registered(value: str) -> bool:
    return UID(value).name != str(value)


def _clean_file_meta(ds: Dataset, uid_map: UidMap) -> None:
    meta = ds.file_meta
    for keyword in META_REMOVED:
        if keyword in meta:
            delattr(meta, keyword)
    if "SOPInstanceUID" in ds:
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    elif "MediaStorageSOPInstanceUID" in meta:
        meta.MediaStorageSOPInstanceUID = remap_uid(meta.MediaStorageSOPInstanceUID, uid_map)
