"""Backup and restore of the whole site: the database as a Django fixture, plus media.

A backup is a zip:
    backup.json   {"format": "teachingfile-backup", "version": 1, "created_at": ...,
                   "media": {"<name>": "<sha256>"}}
    db.xml        `dumpdata` of every app, in XML because Django's JSON keeps only
                  milliseconds; natural keys for content types and permissions, which
                  the target database makes for itself; without sessions and without
                  the search index, which is rebuilt after a restore
    media/<name>  every stored file

Restoring replaces the database contents in one transaction: if loading fails, the
database is as it was. Everything is checked before anything is touched.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

FORMAT = "teachingfile-backup"
VERSION = 1
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "search"]


class BackupError(Exception):
    """A backup that cannot be restored; the site has not been touched."""


@dataclass(frozen=True)
class BackupSummary:
    objects: int
    media_files: int


def _media_names(directory: str = "") -> Iterator[str]:
    try:
        folders, files = default_storage.listdir(directory)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{directory}/{name}" if directory else name
    for folder in folders:
        yield from _media_names(f"{directory}/{folder}" if directory else folder)


def backup_site(out: IO[bytes]) -> BackupSummary:
    """Write a backup of the database and media to a binary file object."""
    with tempfile.NamedTemporaryFile(suffix=".xml") as dump:
        call_command(
            "dumpdata",
            exclude=EXCLUDED,
            natural_foreign=True,
            format="xml",
            output=dump.name,
            verbosity=0,
        )
        objects = Path(dump.name).read_bytes().count(b"<object ")
        media: dict[str, str] = {}
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.write(dump.name, "db.xml")
            for name in sorted(_media_names()):
                with default_storage.open(name, "rb") as handle:
                    data = handle.read()
                media[name] = hashlib.sha256(data).hexdigest()
                archive.writestr(f"media/{name}", data, compress_type=zipfile.ZIP_STORED)
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": timezone.now().isoformat(),
                "objects": objects,
                "media": media,
            }
            archive.writestr("backup.json", json.dumps(manifest, indent=1))
    return BackupSummary(objects=objects, media_files=len(media))


def _check(archive: zipfile.ZipFile) -> dict[str, object]:
    try:
        manifest = json.loads(archive.read("backup.json"))
    except KeyError:
        raise BackupError("No backup.json in the zip: this is not a site backup.") from None
    except ValueError as exc:
        raise BackupError(f"backup.json is not valid JSON: {exc}") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(
            f"This is not a {FORMAT} version {VERSION} file "
            f"(it says {manifest.get('format')!r} version {manifest.get('version')!r})."
        )
    names = set(archive.namelist())
    if "db.xml" not in names:
        raise BackupError("The backup has no db.xml.")
    for name, digest in manifest.get("media", {}).items():
        member = f"media/{name}"
        if member not in names or ".." in name.split("/") or name.startswith("/"):
            raise BackupError(f"The backup's media file {name} is missing or unsafe.")
        if hashlib.sha256(archive.read(member)).hexdigest() != digest:
            raise BackupError(f"{member} does not match its checksum; the backup is damaged.")
    if b"<django-objects" not in archive.read("db.xml")[:500]:
        raise BackupError("db.xml is not a Django fixture.")
    return manifest


def restore_site(source: IO[bytes] | bytes) -> BackupSummary:
    """Replace the database contents and restore the media files of a backup."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile:
        raise BackupError("This is not a zip file, so not a site backup.") from None
    manifest = _check(archive)
    media: dict[str, str] = manifest.get("media", {})  # type: ignore[assignment]  # _check validated it
    with tempfile.TemporaryDirectory() as work:
        fixture = Path(work) / "db.xml"
        fixture.write_bytes(archive.read("db.xml"))
        with transaction.atomic():
            call_command("flush", interactive=False, verbosity=0)
            # Role groups are re-created by flush's post_migrate; the backup brings its own.
            from django.contrib.auth.models import Group

            Group.objects.all().delete()
            call_command("loaddata", str(fixture), verbosity=0)
    for name in media:
        if default_storage.exists(name):
            default_storage.delete(name)
        stored = default_storage.save(name, ContentFile(archive.read(f"media/{name}")))
        if stored != name:
            raise BackupError(f"Could not restore {name} under its own name (got {stored}).")
    from teachingfile.search.services import reindex_all

    reindex_all()
    return BackupSummary(objects=int(manifest.get("objects", 0)), media_files=len(media))  # type: ignore[call-overload]  # checked
