"""Health and media. The library pages (home, case list, case page) are quiz.library_views."""

from __future__ import annotations

import posixpath

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# Only display formats are served; de-identified DICOM sources stay private.
_MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".tfv": "application/octet-stream",  # viewer source (teachingfile/imaging/viewer_source.py)
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
def media_file(request: HttpRequest, path: str) -> FileResponse:
    """Serve an uploaded image with immutable caching; anything else is a 404."""
    normalised = posixpath.normpath(path)
    ext = posixpath.splitext(normalised)[1].lower()
    if normalised.startswith(("..", "/")) or ext not in _MEDIA_TYPES:
        raise Http404
    if not default_storage.exists(normalised):
        raise Http404
    response = FileResponse(default_storage.open(normalised, "rb"), content_type=_MEDIA_TYPES[ext])
    # Names are unguessable and never reused, so a browser may keep them for a year.
    response["Cache-Control"] = f"public, max-age={settings.MEDIA_CACHE_SECONDS}, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
