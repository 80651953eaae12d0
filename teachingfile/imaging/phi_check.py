"""What ``manage.py phi_audit`` checks in one stored DICOM source, and how it is fixed."""

from __future__ import annotations

from typing import Any

from pydicom.dataset import Dataset

from .deidentify import (
    DEIDENTIFICATION_VERSION,
    DeidOptions,
    deidentification_version,
    deidentify,
    is_kept,
)

# dicom_info keys an older version wrote that the profile now removes.
RETIRED_INFO_KEYS = frozenset({"series_description"})


def findings(ds: Dataset, options: DeidOptions) -> list[str]:
    """One line per problem: attributes outside the keep-list, private tags, old version."""
    problems = []
    for elem in ds.iterall():
        if elem.tag.is_private:
            problems.append(f"private tag {elem.tag}")
        elif not is_kept(int(elem.tag), options):
            problems.append(f"{elem.keyword or 'unknown attribute'} {elem.tag} is not kept")
    version = deidentification_version(ds)
    if version < DEIDENTIFICATION_VERSION:
        problems.append(
            f"de-identified by version {version}, older than {DEIDENTIFICATION_VERSION}"
        )
    return problems


def info_findings(info: dict[str, Any]) -> list[str]:
    return [f"dicom_info holds {key}" for key in sorted(RETIRED_INFO_KEYS & set(info))]


class _SameUids(dict[str, str]):
    """A UID map that keeps every UID: the files were de-identified once already, and the
    figures' ``dicom_info`` and the stacks refer to the UIDs they now have."""

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> str:
        return key


def fix(ds: Dataset, options: DeidOptions) -> None:
    deidentify(ds, _SameUids(), options)
