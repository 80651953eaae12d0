"""Portable case bundles: a zip with a versioned JSON document and the figure files.

Layout of a bundle:
    case-bundle.json   {"format": "teachingfile-bundle", "version": 1, "exported_at": ...,
                        "cases": [...], "files": {"files/<name>": "<sha256>"}}
    files/<name>       every stored file a figure refers to, byte for byte

Each case carries its own fields, its keywords and companions (by name and public id),
and its lab values, differentials, references, series, figures, questions with choices
and accepted answers, ratings, comments and status history. People are referred to by
username; learners' attempts and responses are not part of a case and stay behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import timezone

from teachingfile import services
from teachingfile.models import (
    AcceptedAnswer,
    Case,
    Choice,
    Comment,
    CurriculumDomain,
    DifferentialDiagnosis,
    Figure,
    Keyword,
    LabValue,
    Question,
    Rating,
    Reference,
    Series,
    StatusChange,
)
from teachingfile.vocab import map_modalities

FORMAT = "teachingfile-bundle"
VERSION = 1
DOCUMENT = "case-bundle.json"
MAX_MEMBER_BYTES = 200 * 1024 * 1024
MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024

# Children of a case: (key in the document, model, ordering).
_CHILDREN: list[tuple[str, type[models.Model]]] = [
    ("lab_values", LabValue),
    ("differentials", DifferentialDiagnosis),
    ("references", Reference),
    ("status_changes", StatusChange),
    ("ratings", Rating),
    ("comments", Comment),
]
_USER_FIELDS = {"owner", "by", "rater", "author", "hidden_by", "scored_by"}


class BundleError(Exception):
    """A bundle that cannot be imported as it is; nothing of it has been written."""


@dataclass
class BundleReport:
    created: list[tuple[str, str]] = field(default_factory=list)  # (id in bundle, id here)
    files: int = 0
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        for old, new in self.created:
            out.append(f"{old} imported" + (f" as {new} (renumbered)" if new != old else ""))
        out.append(f"{len(self.created)} case(s), {self.files} file(s).")
        out += [f"note: {note}" for note in self.notes]
        return out


# ---------------------------------------------------------------------------------------
# Export


def _value(obj: models.Model, model_field: models.Field[Any, Any]) -> Any:
    value = getattr(obj, model_field.attname)
    if isinstance(model_field, models.FileField):
        return value.name if value else ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _row(obj: models.Model, *, skip: Iterable[str] = ()) -> dict[str, Any]:
    """Every plain field of a row; foreign keys to people become usernames."""
    skipped = {"id", *skip}
    row: dict[str, Any] = {}
    for model_field in obj._meta.concrete_fields:
        if model_field.name in skipped:
            continue
        if model_field.is_relation:
            if model_field.name in _USER_FIELDS:
                user = getattr(obj, model_field.name)
                row[model_field.name] = user.get_username() if user else None
            continue
        row[model_field.name] = _value(obj, model_field)
    return row


def _file_names(figure: Figure) -> list[str]:
    names = [
        getattr(figure, f.name).name
        for f in Figure._meta.concrete_fields
        if isinstance(f, models.FileField) and getattr(figure, f.name)
    ]
    return names + [name for name in figure.presets.values() if name]


def case_document(case: Case) -> dict[str, Any]:
    """One case as the bundle stores it (also what the round-trip test compares)."""
    entry = _row(case)
    entry["keywords"] = sorted(k.name for k in case.keywords.all())
    entry["companions"] = sorted(c.public_id for c in case.companions.all())
    entry["domains"] = sorted(d.code for d in case.domains.all())  # issue 18
    for key, model in _CHILDREN:
        rows = model.objects.filter(case=case).order_by("pk").select_related()
        entry[key] = [_row(row, skip=["case"]) for row in rows]
    entry["series"] = [_row(s, skip=["case"]) for s in case.series.order_by("pk")]
    entry["figures"] = []
    # Region questions (issue 16) name their figure by its place in this list.
    figure_index: dict[int, int] = {}
    for figure in case.figures.select_related("series").order_by("pk"):
        row = _row(figure, skip=["case"])
        row["series"] = figure.series.name if figure.series_id else None
        figure_index[figure.pk] = len(entry["figures"])
        entry["figures"].append(row)
    entry["questions"] = [
        {
            **_row(question, skip=["case"]),
            "region_figure": figure_index.get(question.region_figure_id or 0),
            "choices": [_row(c, skip=["question"]) for c in question.choices.order_by("pk")],
            "accepted_answers": [
                _row(a, skip=["question"]) for a in question.accepted_answers.order_by("pk")
            ],
        }
        for question in case.questions.order_by("pk")
    ]
    return entry


def export_bundle(cases: Iterable[Case], out: IO[bytes]) -> dict[str, Any]:
    """Write the bundle of these cases to a binary file object; returns its document."""
    entries, files = [], {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for case in cases:
            entries.append(case_document(case))
            for figure in case.figures.all():
                for name in _file_names(figure):
                    member = f"files/{name}"
                    if member in files:
                        continue
                    with default_storage.open(name, "rb") as handle:
                        data = handle.read()
                    files[member] = hashlib.sha256(data).hexdigest()
                    # Images are already compressed; storing them saves time for nothing lost.
                    archive.writestr(member, data, compress_type=zipfile.ZIP_STORED)
        document = {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": timezone.now().isoformat(),
            "cases": entries,
            "files": files,
        }
        archive.writestr(DOCUMENT, json.dumps(document, indent=1, ensure_ascii=False))
    return document


def export_bundle_bytes(cases: Iterable[Case]) -> bytes:
    buffer = io.BytesIO()
    export_bundle(cases, buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------
# Import


def read_bundle(source: IO[bytes] | bytes) -> tuple[dict[str, Any], zipfile.ZipFile]:
    """Open and check a bundle: its format, version, and every listed file present."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile:
        raise BundleError("This is not a zip file, so not a case bundle.") from None
    total = 0
    for info in archive.infolist():
        if info.filename.startswith("/") or ".." in info.filename.split("/"):
            raise BundleError(f"Unsafe path in the bundle: {info.filename}")
        if info.file_size > MAX_MEMBER_BYTES:
            raise BundleError(f"{info.filename} is too large ({info.file_size} bytes).")
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise BundleError("The bundle unpacks to more than 4 GB; split it.")
    try:
        document = json.loads(archive.read(DOCUMENT))
    except KeyError:
        raise BundleError(f"The zip has no {DOCUMENT}; it is not a case bundle.") from None
    except ValueError as exc:
        raise BundleError(f"{DOCUMENT} is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BundleError(f"{DOCUMENT} is not a {FORMAT} document.")
    if document.get("version") != VERSION:
        raise BundleError(
            f"This bundle has version {document.get('version')!r}; this site reads version "
            f"{VERSION}."
        )
    names = set(archive.namelist())
    missing = sorted(set(document.get("files", {})) - names)
    if missing:
        raise BundleError(f"The bundle lacks {len(missing)} listed file(s), e.g. {missing[0]}.")
    return document, archive


def _assign(obj: models.Model, row: dict[str, Any], users: dict[str, Any]) -> None:
    for name, value in row.items():
        model_field = obj._meta.get_field(name)
        if name in _USER_FIELDS:
            setattr(obj, name, users.get(value) if value else None)
        elif isinstance(model_field, models.FileField):
            getattr(obj, name).name = value
        elif isinstance(model_field, models.JSONField) or value is None:
            setattr(obj, model_field.attname, value)
        else:
            setattr(obj, model_field.attname, model_field.to_python(value))


@transaction.atomic
def import_bundle(source: IO[bytes] | bytes, *, renumber: bool = False) -> BundleReport:
    """Restore the cases of a bundle with their files; all of it or, on error, none of it.

    A public id that already exists is refused unless renumber is set, in which case the
    case takes the next free id and the report says which.
    """
    document, archive = read_bundle(source)
    entries: list[dict[str, Any]] = document.get("cases", [])
    report = BundleReport()
    ids = [entry["public_id"] for entry in entries]
    taken = sorted(Case.objects.filter(public_id__in=ids).values_list("public_id", flat=True))
    if taken and not renumber:
        raise BundleError(
            f"{', '.join(taken)} already exist{'s' if len(taken) == 1 else ''} here; nothing "
            "was imported. Import with renumbering to give them new ids."
        )
    usernames = {value for entry in entries for value in _usernames(entry)}
    users = {u.get_username(): u for u in get_user_model().objects.filter(username__in=usernames)}
    for name in sorted(usernames - set(users)):
        report.notes.append(f"no user {name!r} here: their rows are kept without them")

    written: list[str] = []
    try:
        renamed = _restore_files(document, archive, written, report)
        id_map = {}
        for entry in entries:
            case = _restore_case(entry, users, renamed, renumber=entry["public_id"] in taken)
            id_map[entry["public_id"]] = case.public_id
            report.created.append((entry["public_id"], case.public_id))
        _link_companions(entries, id_map, report)
        # Inside the guard: if indexing fails, the transaction drops the rows and the
        # files restored above must go with them.
        from teachingfile.search.services import index_cases

        index_cases(Case.objects.filter(public_id__in=id_map.values()))
    except Exception:
        services.delete_files(written)
        raise
    return report


def _usernames(entry: dict[str, Any]) -> set[str]:
    found = {entry.get("owner")}
    for key, _model in _CHILDREN:
        for row in entry.get(key, []):
            found |= {row.get(name) for name in _USER_FIELDS if name in row}
    return {name for name in found if name}


def _restore_files(
    document: dict[str, Any], archive: zipfile.ZipFile, written: list[str], report: BundleReport
) -> dict[str, str]:
    """Store every file, checking its hash; returns bundle name -> stored name."""
    renamed: dict[str, str] = {}
    for member, digest in document.get("files", {}).items():
        data = archive.read(member)
        if hashlib.sha256(data).hexdigest() != digest:
            raise BundleError(f"{member} does not match its checksum; the bundle is damaged.")
        original = member.removeprefix("files/")
        # Storage picks a fresh name if this one is taken, so nothing here is overwritten.
        stored = default_storage.save(original, ContentFile(data))
        written.append(stored)
        renamed[original] = stored
        report.files += 1
    return renamed


def _restore_case(
    entry: dict[str, Any], users: dict[str, Any], renamed: dict[str, str], *, renumber: bool
) -> Case:
    plain = {
        k: v
        for k, v in entry.items()
        if k not in {"keywords", "companions", "domains", "series", "figures", "questions"}
        and k not in dict(_CHILDREN)
    }
    case = Case()
    _assign(case, plain, users)
    # Bundles written before issue 18 hold free-text modalities: store DICOM codes, and keep
    # a word that maps to none where the author will see it.
    codes, unknown = map_modalities(case.modalities)
    case.modalities = " ".join(codes)
    if unknown:
        note = "Modality not recognised on import: " + " ".join(unknown)
        case.unplaced = f"{case.unplaced}\n\n{note}".strip()
    if renumber:
        case.public_id = services.next_public_id()
    case.save()
    # auto_now stamped the time of import; put back the time of the last edit.
    if entry.get("updated_at"):
        Case.objects.filter(pk=case.pk).update(
            updated_at=Case._meta.get_field("updated_at").to_python(entry["updated_at"])
        )
    case.keywords.set([Keyword.objects.get_or_create(name=name)[0] for name in entry["keywords"]])
    case.domains.set(CurriculumDomain.objects.filter(code__in=entry.get("domains", [])))
    for key, model in _CHILDREN:
        for row in entry.get(key, []):
            obj = model(case=case)
            _assign(obj, row, users)
            if isinstance(obj, Comment) and obj.author_id is None:
                continue  # a comment needs its author; noted with the missing users
            obj.save()
            if isinstance(obj, Rating) and row.get("updated_at"):
                Rating.objects.filter(pk=obj.pk).update(
                    updated_at=Rating._meta.get_field("updated_at").to_python(row["updated_at"])
                )
    series = {}
    for row in entry.get("series", []):
        obj = Series(case=case)
        _assign(obj, row, users)
        obj.save()
        series[obj.name] = obj
    figures: list[Figure] = []
    for row in entry.get("figures", []):
        figure = Figure(case=case, series=series.get(row.get("series") or ""))
        figures.append(figure)
        _assign(figure, {k: v for k, v in row.items() if k != "series"}, users)
        for model_field in Figure._meta.concrete_fields:
            if isinstance(model_field, models.FileField):
                file = getattr(figure, model_field.name)
                if file.name:
                    file.name = renamed.get(file.name, file.name)
        figure.presets = {name: renamed.get(path, path) for name, path in figure.presets.items()}
        figure.save()
    for row in entry.get("questions", []):
        question = Question(case=case)
        _assign(
            question,
            {
                k: v
                for k, v in row.items()
                if k not in ("choices", "accepted_answers", "region_figure")
            },
            users,
        )
        # A region question's figure, by its place in the bundle; one that cannot be
        # placed is left empty (publishing then asks for the regions to be drawn again).
        index = row.get("region_figure")
        if isinstance(index, int) and 0 <= index < len(figures):
            question.region_figure = figures[index]
        question.save()
        for choice_row in row.get("choices", []):
            choice = Choice(question=question)
            _assign(choice, choice_row, users)
            choice.save()
        for answer_row in row.get("accepted_answers", []):
            answer = AcceptedAnswer(question=question)
            _assign(answer, answer_row, users)
            answer.save()
    return case


def _link_companions(
    entries: list[dict[str, Any]], id_map: dict[str, str], report: BundleReport
) -> None:
    # Only companions inside the bundle are linked: the same id on another site may be
    # a different case altogether.
    for entry in entries:
        case = Case.objects.get(public_id=id_map[entry["public_id"]])
        inside = [id_map[p] for p in entry.get("companions", []) if p in id_map]
        case.companions.add(*Case.objects.filter(public_id__in=inside))
        for public_id in entry.get("companions", []):
            if public_id not in id_map:
                report.notes.append(
                    f"{case.public_id}: companion {public_id} was not in the bundle; "
                    "link it by hand"
                )
