"""Regenerate ``ps315_options.json``: the option columns of PS3.15 Table E.1-1.

The basic profile's actions come from the ``dicom-anonymizer`` package (see
``profile.py``); it does not carry the option columns, so the two options this project
offers are taken from the machine-readable table that innolitics/dicom-standard parses
from the standard's web edition (``standard/confidentiality_profile_attributes.json``).

    python teachingfile/imaging/regenerate_profile_options.py \\
        PATH/TO/confidentiality_profile_attributes.json 2024b
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUTPUT = Path(__file__).with_name("ps315_options.json")
# Column name in the source table -> our option name.
COLUMNS = {
    "rtnPatCharsOpt": "retain_patient_characteristics",
    "rtnLongModifDatesOpt": "retain_longitudinal_modified_dates",
}


def build(rows: list[dict[str, str]], edition: str) -> dict[str, object]:
    options: dict[str, dict[str, str]] = {name: {} for name in COLUMNS.values()}
    for row in rows:
        tag = row["tag"].strip("()").replace(",", "").upper()
        for column, name in COLUMNS.items():
            if row.get(column):
                options[name][tag] = row[column]
    return {
        "standard": "DICOM PS3.15 Table E.1-1",
        "edition": edition,
        "source": "innolitics/dicom-standard standard/confidentiality_profile_attributes.json",
        "options": {name: dict(sorted(tags.items())) for name, tags in options.items()},
    }


def main(argv: list[str]) -> None:
    if len(argv) != 3:
        sys.exit(__doc__)
    rows = json.loads(Path(argv[1]).read_text())
    OUTPUT.write_text(json.dumps(build(rows, argv[2]), indent=1) + "\n")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main(sys.argv)
