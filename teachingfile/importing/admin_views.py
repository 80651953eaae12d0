"""The admin page that imports uploaded write-ups as drafts and shows the reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from teachingfile.importing.decoding import SUFFIXES, max_bytes_for
from teachingfile.importing.services import ImportReport, import_case_file
from teachingfile.models import Case

MAX_FILES = 50


class _MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class _MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", _MultipleFileInput(attrs={"accept": ",".join(SUFFIXES)}))
        # An empty file is not the form's business: the import refuses it by name while
        # the other files of the batch still import.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data]
        return [super(_MultipleFileField, self).clean(f, initial) for f in files if f] or [
            super().clean(None, initial)
        ]


class ImportForm(forms.Form):
    files = _MultipleFileField(
        label="Write-ups",
        help_text=f"Markdown, plain text, Word (.docx), PDF, HTML, a MIRCdocument or MIRC zip, "
        f"or a question bank (Moodle XML, GIFT); up to {MAX_FILES} files at once. Each "
        "write-up becomes a draft case, each bank question a draft of its own (or joins the "
        "case below); nothing is published.",
    )

    case = forms.CharField(
        label="Add bank questions to case",
        required=False,
        max_length=16,
        help_text="Optional: the id of a case of yours (tf-0012). Questions from a Moodle XML "
        "or GIFT bank join it instead of becoming drafts of their own.",
    )

    def __init__(
        self, *args: Any, may_edit: Callable[[Case], bool] = lambda case: False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.may_edit = may_edit

    def clean_case(self) -> Case | None:
        public_id = self.cleaned_data["case"].strip()
        if not public_id:
            return None
        case = Case.objects.filter(public_id=public_id).first()
        # Only a case this user may edit; any other id gets the same answer as a missing one.
        if case is None or not self.may_edit(case):
            raise forms.ValidationError(f"No case {public_id} that you can edit.")
        return case

    def clean_files(self) -> list[Any]:
        files = self.cleaned_data["files"]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(f"Upload at most {MAX_FILES} files at once.")
        return files


def import_cases_view(request: HttpRequest, model_admin: admin.ModelAdmin) -> HttpResponse:
    if not request.user.has_perm("teachingfile.add_case"):
        raise PermissionDenied
    reports: list[ImportReport] = []

    def may_edit(case: Case) -> bool:
        # The admin's own rule for changing a case (owner, editor or superuser).
        return bool(model_admin.has_change_permission(request, case))

    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, may_edit=may_edit)
        if form.is_valid():
            for upload in form.cleaned_data["files"]:
                # Read one byte past the limit: enough to refuse a huge file clearly.
                data = upload.read(max_bytes_for(upload.name) + 1)
                reports.append(
                    import_case_file(
                        data=data,
                        filename=upload.name,
                        owner=request.user,
                        case=form.cleaned_data["case"],
                    )
                )
    else:
        form = ImportForm(may_edit=may_edit)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Import case write-ups",
        "form": form,
        "reports": reports,
        "imported": [r for r in reports if r.ok],
    }
    return TemplateResponse(request, "admin/teachingfile/case/import_cases.html", context)
