"""Modality as DICOM codes with display groups, and the migration that mapped old values."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from teachingfile.models import Case
from teachingfile.vocab import group_labels, map_modalities, normalise_modalities
from tests.factories import CaseFactory


def test_it_maps_author_words_to_dicom_codes() -> None:
    assert map_modalities("XR mri pet-ct Fluoro CR") == (["DX", "MR", "PT", "RF", "CR"], [])
    assert map_modalities("CT gamma-camera") == (["CT"], ["gamma-camera"])


def test_it_refuses_a_word_it_cannot_map() -> None:
    with pytest.raises(ValidationError, match="gamma"):
        normalise_modalities("CT gamma")


def test_it_shows_computed_and_digital_radiographs_as_radiography() -> None:
    assert group_labels(["CR", "DX", "CT", "PT", "NM", "XA"]) == [
        "Radiography",
        "CT",
        "Nuclear medicine",
        "Fluoroscopy and angiography",
    ]


@pytest.mark.django_db
def test_the_radiography_filter_finds_cr_and_dx_cases() -> None:
    cr = CaseFactory(modalities="CR")
    dx = CaseFactory(modalities="CT DX")
    ct = CaseFactory(modalities="CT")
    assert set(Case.objects.with_modality("XR")) == {cr, dx}
    assert ct not in Case.objects.with_modality("XR")


@pytest.mark.django_db
def test_a_case_with_a_free_text_modality_does_not_validate() -> None:
    case = CaseFactory.build(modalities="XR")
    with pytest.raises(ValidationError) as exc:
        case.full_clean(exclude=["owner", "public_id"])
    assert "modalities" in exc.value.message_dict


@pytest.mark.django_db(transaction=True)
def test_the_migration_maps_xr_cr_dx_to_radiography_and_keeps_what_it_cannot_map(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = [("teachingfile", "0004_case_unplaced_import_text")]
    after = [("teachingfile", "0005_modality_dicom_codes")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    OldCase = old.get_model("teachingfile", "Case")
    rows = {
        "tf-0101": "XR",
        "tf-0102": "CR CT",
        "tf-0103": "DX",
        "tf-0104": "PET FL",
        "tf-0105": "CT gamma",
    }
    for public_id, modalities in rows.items():
        OldCase.objects.create(
            public_id=public_id,
            unknown_title="Unknown",
            presentation="P",
            known_title="K",
            diagnosis="D",
            modalities=modalities,
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps.get_model("teachingfile", "Case")
    stored = dict(new.objects.values_list("public_id", "modalities"))
    assert stored == {
        "tf-0101": "DX",
        "tf-0102": "CR CT",
        "tf-0103": "DX",
        "tf-0104": "PT RF",
        "tf-0105": "CT",
    }
    assert group_labels(stored["tf-0101"].split()) == ["Radiography"]
    assert group_labels(stored["tf-0102"].split())[0] == "Radiography"
    assert "gamma" in new.objects.get(public_id="tf-0105").unplaced
    assert "tf-0105: gamma" in capsys.readouterr().out
    # Back to the latest state for the tests that follow.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
