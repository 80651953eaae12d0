"""Viewer sources as stored, served and offered to the page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client

from teachingfile.imaging.viewer_source import parse
from teachingfile.models import Figure
from teachingfile.viewing import figure_views
from tests.factories import CaseFactory
from tests.teachingfile.imaging.builders import ct_dataset, ct_phantom, dicom_bytes

pytestmark = pytest.mark.django_db


def _ct_figure(**extra: object) -> Figure:
    from teachingfile.services import figures_from_upload

    (figure,) = figures_from_upload(
        case=CaseFactory(),
        data=dicom_bytes(ct_dataset()),
        filename="ct.dcm",
        label="Fig. 1",
        alt_text="CT",
        **extra,  # type: ignore[arg-type]
    )
    return figure


def test_it_is_served_like_other_media_raw_and_unsniffable(client: Client) -> None:
    figure = _ct_figure()
    response = client.get(figure.viewer_source.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    header, pixels = parse(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    assert header["units"] == "HU" and (pixels == ct_phantom()).all()


def test_its_name_is_unguessable_and_says_nothing_of_the_upload() -> None:
    figure = _ct_figure()
    name = figure.viewer_source.name
    token = name.split("/")[-1].removesuffix(".tfv")
    assert name == f"f/{token[:2]}/{token}.tfv"
    assert len(token) == 32 and int(token, 16) >= 0  # 128 random bits, nothing else


def test_the_page_gets_it_only_for_figures_it_may_show() -> None:
    shown = _ct_figure()
    later = _ct_figure(stage=Figure.Stage.REVEAL)
    figures = Figure.objects.filter(pk__in=[shown.pk, later.pk]).select_related("series")
    before = figure_views(figures, revealed=False)
    assert [(v.pk, v.viewer_src) for v in before] == [(shown.pk, shown.viewer_source.url)]
    assert all(not v.presets for v in before)
    after = figure_views(figures, revealed=True)
    assert {v.viewer_src for v in after} == {shown.viewer_source.url, later.viewer_source.url}


def test_the_command_builds_sources_for_older_dicom_figures_and_retires_presets(
    django_capture_on_commit_callbacks: Any,
) -> None:
    figure = _ct_figure()
    default_storage.delete(figure.viewer_source.name)
    preset = default_storage.save("f/aa/" + "a" * 32 + ".webp", ContentFile(b"RIFF"))
    Figure.objects.filter(pk=figure.pk).update(viewer_source="", presets={"lung": preset})

    with django_capture_on_commit_callbacks(execute=True):
        call_command("build_viewer_sources")

    figure.refresh_from_db()
    assert figure.presets == {}
    assert not default_storage.exists(preset)
    with figure.viewer_source.open("rb") as handle:
        header, pixels = parse(handle.read())
    assert header["windows"] == [[40.0, 400.0]] and (pixels == ct_phantom()).all()
    call_command("build_viewer_sources")  # a second run finds nothing to do
    figure.refresh_from_db()
    assert figure.viewer_source.name.endswith(".tfv")
