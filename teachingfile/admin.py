"""Authoring in the admin: one page writes a whole case, figures and questions included.

Over 600 lines on purpose: the case form, its inlines and their checks are one screen and
one save (a failed figure upload must undo the whole save); split, each half would need the
other's form state.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from people import audit
from teachingfile import roles, services
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

admin.site.site_header = "Teaching file authoring"
admin.site.site_title = "Teaching file"
admin.site.index_title = "Cases, quizzes and cohorts"


class OwnedCaseInlineMixin:
    """Inlines follow the case: editable only by those who may edit the case."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit(request, obj) and super().has_change_permission(request, obj)  # type: ignore[misc]  # mixin

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit(request, obj) and super().has_add_permission(request, obj)  # type: ignore[misc]  # mixin

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit(request, obj) and super().has_delete_permission(request, obj)  # type: ignore[misc]  # mixin


def _may_edit(request: HttpRequest, case: Case | None) -> bool:
    # No case yet: adding one, which the model permissions already decide.
    return case is None or roles.may_edit_case(request.user, case)


class LabValueInline(OwnedCaseInlineMixin, admin.TabularInline):
    model = LabValue
    extra = 0
    fields = ["order", "name", "value", "unit", "reference_range", "shown_before_reveal"]


class DifferentialInline(OwnedCaseInlineMixin, admin.TabularInline):
    model = DifferentialDiagnosis
    extra = 0
    fields = ["order", "diagnosis", "note"]


# Links typed without a scheme are taken as https, as Django 6 will do.
URL_HTTPS = {models.URLField: {"assume_scheme": "https"}}


class ReferenceInline(OwnedCaseInlineMixin, admin.TabularInline):
    model = Reference
    extra = 0
    formfield_overrides = URL_HTTPS
    fields = ["order", "citation", "doi", "pmid", "url"]


class FigureForm(forms.ModelForm):
    upload = forms.FileField(
        required=False,
        help_text="JPEG, PNG, WebP or DICOM. Checked, stripped of metadata and resized on save.",
    )
    annotated_upload = forms.FileField(
        required=False, help_text="Optional version with arrows, shown only after the reveal."
    )
    confirm_no_burned_in = forms.BooleanField(
        required=False,
        label="The image is free of burned-in identifying text",
        help_text="Needed for a DICOM flagged as having burned-in annotation, or when text "
        "was found in the pixels and you have checked it identifies nobody.",
    )
    redact_burned_in_text = forms.BooleanField(
        required=False,
        label="Black out the text found in the pixels",
        help_text="The highlighted regions are filled in the stored image and DICOM.",
    )

    class Meta:
        model = Figure
        fields = ["order", "label", "stage", "alt_text", "neutral_caption", "caption"]
        widgets = {"caption": forms.Textarea(attrs={"rows": 2})}

    def _text_check(self, cleaned: dict[str, Any]) -> str | None:
        if not settings.IMAGE_CHECK_BURNED_IN_TEXT:
            return None
        if cleaned.get("redact_burned_in_text"):
            return "redact"
        return "confirmed" if cleaned.get("confirm_no_burned_in") else "hold"

    def clean(self) -> dict[str, Any]:
        from teachingfile.imaging import ImageRejected, process_upload
        from teachingfile.imaging.burned_in import BurnedInTextFound, TesseractMissing

        cleaned = super().clean()
        upload = cleaned.get("upload")
        if not self.instance.image and not upload and not cleaned.get("DELETE"):
            raise ValidationError("Choose an image file for this figure.")
        # Decode and clean now so that a bad file stops the whole save with its message.
        self._processed: dict[str, Any] = {}
        for field in ("upload", "annotated_upload"):
            file = cleaned.get(field)
            if not file:
                continue
            try:
                items = process_upload(
                    file,
                    filename=file.name,
                    allow_burned_in=bool(cleaned.get("confirm_no_burned_in")),
                    text_check=self._text_check(cleaned),
                    **services.upload_options(),
                )
            except BurnedInTextFound as exc:
                # Held: nothing is stored; the author sees where the text is and decides.
                self.add_error(
                    field,
                    format_html(
                        '{}<br><img src="{}" alt="The image with the text regions outlined '
                        'in red" style="max-width: 100%">',
                        exc.message,
                        exc.preview_data_url(),
                    ),
                )
                continue
            except TesseractMissing:
                self.add_error(
                    field,
                    "Burned-in text cannot be looked for here (tesseract-ocr is not "
                    "installed); confirm the image is free of identifying text to upload it.",
                )
                continue
            except ImageRejected as exc:
                self.add_error(field, exc.message)
                continue
            if field == "annotated_upload" and len(items) != 1:
                self.add_error(field, "An annotated version is one image; several were found.")
                continue
            self._processed[field] = items
        return cleaned

    def save(self, commit: bool = True) -> Figure:
        """Store the cleaned files; the admin adds further frames of a series afterwards."""
        figure = super().save(commit=False)
        processed = getattr(self, "_processed", {})
        self.written: list[str] = []
        self.extra_frames = processed.get("upload", [])[1:]
        self.sources: dict[int, str] = {}  # a multi-frame DICOM is stored once
        if "upload" in processed:
            services.figure_store_image(figure, processed["upload"][0], self.written, self.sources)
        if "annotated_upload" in processed:
            services.figure_store_annotated(figure, processed["annotated_upload"][0], self.written)
        if commit:
            figure.save()
        return figure


class FigureInline(OwnedCaseInlineMixin, admin.StackedInline):
    model = Figure
    form = FigureForm
    extra = 0
    fields = [
        ("order", "label", "stage"),
        "upload",
        "annotated_upload",
        ("confirm_no_burned_in", "redact_burned_in_text"),
        "alt_text",
        "neutral_caption",
        "caption",
        "preview",
        "drawing",
    ]
    readonly_fields = ["preview", "drawing"]

    # --- drawing (issue 16)
    @admin.display(description="Drawn annotations")
    def drawing(self, obj: Figure) -> str:
        if not obj.pk:
            return "Save the figure first, then draw on it."
        count = len(obj.annotations or [])
        return format_html(
            '<a href="{}">Draw annotations</a> ({} shape{})',
            reverse("drawing:figure_draw", args=[obj.pk]),
            count,
            "" if count == 1 else "s",
        )

    # --- end drawing

    @admin.display(description="Current image")
    def preview(self, obj: Figure) -> str:
        if not obj.pk or not obj.thumbnail:
            return "–"
        return format_html(
            '<img src="{}" alt="{}" width="160"> {} × {} px',
            obj.thumbnail.url,
            obj.alt_text,
            obj.width,
            obj.height,
        )


class QuestionForm(forms.ModelForm):
    """A question with its choices or accepted answers as plain lines, so one page suffices."""

    choices_text = forms.CharField(
        required=False,
        label="Choices",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line. Start a correct one with '*'. Add a rationale after ' | '.",
    )
    accepted_text = forms.CharField(
        required=False,
        label="Accepted answers",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Free text only: one answer or synonym per line; partial credit as "
        "'answer | 0.5'.",
    )

    class Meta:
        model = Question
        fields = ["order", "kind", "max_mark", "prompt", "explanation"]
        widgets = {
            "prompt": forms.Textarea(attrs={"rows": 2}),
            "explanation": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Most questions weigh 1: left empty (or absent from an older form), it stays 1.
        self.fields["max_mark"].required = False
        if self.instance.pk:
            self.fields["choices_text"].initial = "\n".join(
                f"{'*' if c.is_correct else ''}{c.text}"
                + (f" | {c.rationale}" if c.rationale else "")
                for c in self.instance.choices.all()
            )
            self.fields["accepted_text"].initial = "\n".join(
                a.text + (f" | {a.score:g}" if a.score != 1 else "")
                for a in self.instance.accepted_answers.all()
            )

    def clean_max_mark(self) -> float:
        value = self.cleaned_data.get("max_mark")
        return 1.0 if value is None else value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        self._choices = _parse_choices(cleaned.get("choices_text", ""))
        try:
            self._accepted = _parse_accepted(cleaned.get("accepted_text", ""))
        except ValueError as exc:
            self.add_error("accepted_text", str(exc))
            self._accepted = []
        if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
            if len(self._choices) < 2:
                self.add_error("choices_text", "Give at least two choices, one per line.")
            correct = sum(1 for c in self._choices if c[1])
            if kind == Question.Kind.SINGLE and correct != 1:
                self.add_error("choices_text", "Mark exactly one choice correct with '*'.")
            if kind == Question.Kind.MULTIPLE and correct < 1:
                self.add_error("choices_text", "Mark the correct choices with '*'.")
        if kind == Question.Kind.FREE_TEXT and not self._accepted:
            self.add_error("accepted_text", "Give at least one accepted answer.")
        return cleaned

    def save_lines(self, question: Question) -> None:
        """Replace the question's choices or accepted answers with the parsed lines."""
        question.choices.all().delete()
        question.accepted_answers.all().delete()
        if question.is_choice:
            Choice.objects.bulk_create(
                Choice(question=question, order=i, text=text, is_correct=ok, rationale=why)
                for i, (text, ok, why) in enumerate(self._choices)
            )
        else:
            AcceptedAnswer.objects.bulk_create(
                AcceptedAnswer(question=question, text=text, score=score)
                for text, score in self._accepted
            )


def _parse_choices(text: str) -> list[tuple[str, bool, str]]:
    choices = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        correct = line.startswith("*")
        body, _, rationale = line.lstrip("*").partition(" | ")
        choices.append((body.strip(), correct, rationale.strip()))
    return choices


def _parse_accepted(text: str) -> list[tuple[str, float]]:
    answers = []
    for line in text.splitlines():
        if not line.strip():
            continue
        body, sep, score = line.partition(" | ")
        try:
            value = float(score) if sep else 1.0
        except ValueError:
            raise ValueError(f"'{score.strip()}' is not a score between 0 and 1.") from None
        if not 0 < value <= 1:
            raise ValueError(f"Scores lie between 0 and 1, not {value:g}.")
        answers.append((body.strip(), value))
    return answers


class QuestionInline(OwnedCaseInlineMixin, admin.StackedInline):
    model = Question
    form = QuestionForm
    extra = 0
    show_change_link = True
    fields = [
        ("order", "kind", "max_mark"),
        "prompt",
        "choices_text",
        "accepted_text",
        "explanation",
        "regions_link",
    ]
    readonly_fields = ["regions_link"]

    # --- drawing (issue 16)
    @admin.display(description="Target regions")
    def regions_link(self, obj: Question) -> str:
        if not obj.pk or obj.kind != Question.Kind.REGION:
            return "For “Click on the finding” questions, once saved."
        return format_html(
            '<a href="{}">Draw target regions</a> ({} drawn, {} mode)',
            reverse("drawing:question_regions", args=[obj.pk]),
            len(obj.regions or []),
            obj.region_mode,
        )

    # --- end drawing


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "by", "note"]
    readonly_fields = fields
    verbose_name = "status change"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _transition_action(to_status: str, label: str) -> Any:
    def action(modeladmin: CaseAdmin, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        moved = 0
        for case in queryset:
            try:
                services.case_transition(case=case, to_status=to_status, by=request.user)
                moved += 1
            except (PermissionDenied, ValidationError) as exc:
                text = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
                modeladmin.message_user(request, text, messages.ERROR)
        if moved:
            modeladmin.message_user(request, f"{label}: {moved} case(s).", messages.SUCCESS)

    action.__name__ = f"move_to_{to_status}"
    return admin.action(description=label)(action)


def _download(data: bytes, filename: str, content_type: str) -> Any:
    from django.http import HttpResponse

    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class CaseForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = ["modalities"]  # the admin passes the fieldsets' fields
        widgets = {"domains": forms.CheckboxSelectMultiple}

    def clean_modalities(self) -> str:
        # Authors may type "XR" or "MRI": stored as DICOM codes (teachingfile.vocab).
        from teachingfile.vocab import normalise_modalities

        return normalise_modalities(self.cleaned_data.get("modalities", ""))


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    form = CaseForm
    list_display = ["public_id", "unknown_title", "known_title", "status", "owner", "updated_at"]
    list_display_links = ["public_id", "unknown_title"]
    list_filter = ["status", "region", "category", "domains", "diagnostic_certainty", "owner"]
    search_fields = ["public_id", "unknown_title", "known_title", "diagnosis", "acr_code"]
    list_select_related = ["owner"]
    formfield_overrides = URL_HTTPS
    autocomplete_fields = ["keywords", "companions"]
    readonly_fields = ["public_id", "status", "preview_link", "version"]
    inlines = [
        LabValueInline,
        FigureInline,
        QuestionInline,
        DifferentialInline,
        ReferenceInline,
        StatusChangeInline,
    ]
    actions = [
        _transition_action(Case.Status.IN_REVIEW, "Submit for review"),
        _transition_action(Case.Status.PUBLISHED, "Publish"),
        _transition_action(Case.Status.DRAFT, "Return to draft"),
        _transition_action(Case.Status.RETIRED, "Retire"),
        "export_as_bundle",
        "export_questions_moodle",
        "export_questions_gift",
    ]
    fieldsets = [
        (None, {"fields": ["public_id", "status", "preview_link"]}),
        (
            "Before the reveal",
            {
                "description": "What a resident sees with the questions. Nothing here may "
                "name or hint the diagnosis.",
                "fields": [
                    "unknown_title",
                    "presentation",
                    ("patient_age", "patient_sex"),
                    "modalities",
                    ("region", "category"),
                    "domains",
                    "progressive",
                ],
            },
        ),
        (
            "The reveal",
            {
                "fields": [
                    "known_title",
                    "full_history",
                    "technique",
                    "findings",
                    ("diagnosis", "diagnostic_certainty"),
                    "discussion",
                    "teaching_points",
                    "follow_up",
                    "acr_code",
                    "keywords",
                    "companions",
                    "companion_note",
                ]
            },
        ),
        (
            "Imported text not placed",
            {
                "classes": ["collapse"],
                "description": "What an import found no field for (e-mail headers, "
                "signatures, sections it did not know). Residents never see it: move what "
                "matters into a field above, then clear it.",
                "fields": ["unplaced"],
            },
        ),
        (
            "Source and credits",
            {
                "classes": ["collapse"],
                "fields": [
                    "authors",
                    "credits",
                    "source_citation",
                    ("source_url", "source_doi"),
                    ("source_date", "source_reference"),
                    "licence",
                ],
            },
        ),
    ]

    # Question banks for an LMS (issue 20): the questions of the selected cases.
    @admin.action(description="Export questions as Moodle XML", permissions=["view"])
    def export_questions_moodle(self, request: HttpRequest, queryset: QuerySet[Case]) -> Any:
        from teachingfile.importing.banks import questions_for_export
        from teachingfile.importing.moodle import write_moodle_xml

        data = write_moodle_xml(questions_for_export(queryset.order_by("public_id")))
        return _download(data, "questions.xml", "application/xml")

    @admin.action(description="Export questions as GIFT", permissions=["view"])
    def export_questions_gift(self, request: HttpRequest, queryset: QuerySet[Case]) -> Any:
        from teachingfile.importing.banks import questions_for_export
        from teachingfile.importing.gift import write_gift

        text = write_gift(questions_for_export(queryset.order_by("public_id")))
        return _download(text.encode(), "questions.gift.txt", "text/plain; charset=utf-8")

    @admin.action(description="Export as bundle", permissions=["view"])
    def export_as_bundle(self, request: HttpRequest, queryset: QuerySet[Case]) -> Any:
        from django.http import HttpResponse
        from django.utils import timezone

        from teachingfile.bundles import export_bundle_bytes

        data = export_bundle_bytes(queryset.order_by("public_id"))
        audit.exported(request, audit.AuditAction.EXPORT_BUNDLE, f"{queryset.count()} cases")
        response = HttpResponse(data, content_type="application/zip")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="cases-{stamp}.zip"'
        return response

    def get_urls(self) -> list[Any]:
        # The write-up import page (teachingfile.importing), linked from the changelist.
        from django.urls import path

        from teachingfile.importing.admin_views import import_cases_view

        def view(request: HttpRequest) -> Any:
            return import_cases_view(request, self)

        name = f"{self.opts.app_label}_{self.opts.model_name}_import"
        return [path("import/", self.admin_site.admin_view(view), name=name), *super().get_urls()]

    @admin.display(description="Preview")
    def preview_link(self, obj: Case) -> str:
        if not obj.pk:
            return "Save the case to preview it."
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">Preview as a resident sees it</a>',
            obj.get_absolute_url(),
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.is_editor(request.user) and super().has_delete_permission(request, obj)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        # The authoring panel (issue 18): spoiler warnings, "Submit for review", the
        # preview and the status history with reviewers' notes, on the form itself.
        from teachingfile.spoilers import case_spoilers

        case = Case.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        if case is not None:
            extra_context = {
                **(extra_context or {}),
                "authoring": {
                    "spoilers": case_spoilers(case),
                    "actions": [
                        (status, services.TRANSITION_LABELS[Case.Status(status)])
                        for status in services.allowed_transitions(case, request.user)
                    ],
                    "history": case.status_changes.select_related("by"),
                },
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Case, form: Any, change: bool) -> None:
        if not change:
            obj.public_id = services.next_public_id()
            obj.owner = obj.owner or request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        try:
            super().save_related(request, form, formsets, change)
            # Inlines and keywords are saved by now: a new version for the case caches,
            # and the index sees the whole case.
            if change:
                services.case_touch(form.instance)
            from teachingfile.search.services import index_case

            index_case(form.instance)
            self._warn_spoilers(request, form.instance)
        except Exception:
            # The admin's transaction undoes the rows, but not the image files the figure
            # forms already wrote: remove them, or a failed save leaves orphans in storage.
            services.delete_files(
                [
                    name
                    for formset in formsets
                    if formset.model is Figure
                    for figure_form in formset.forms
                    for name in getattr(figure_form, "written", [])
                ]
            )
            raise

    def _warn_spoilers(self, request: HttpRequest, case: Case) -> None:
        """Saving a draft only warns: each pre-reveal field that names the diagnosis."""
        from teachingfile.spoilers import case_spoilers

        file_names = [upload.name for upload in request.FILES.values()]
        for warning in case_spoilers(case, file_names=file_names):
            messages.warning(
                request,
                format_html(
                    "Possible spoiler in {}: {} (matches {})",
                    warning.field,
                    warning.highlighted,
                    ", ".join(sorted(warning.sources)),
                ),
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        try:
            super().save_formset(request, form, formset, change)
            if formset.model is Figure:
                # A multi-frame DICOM or a zipped series becomes a stack of figures.
                for figure_form in formset.forms:
                    for items in getattr(figure_form, "_processed", {}).values():
                        for note in {n for item in items for n in item.notes}:
                            messages.warning(request, note)
                    frames = getattr(figure_form, "extra_frames", [])
                    if frames and figure_form.instance.pk:
                        services.figure_add_frames(
                            figure=figure_form.instance,
                            items=frames,
                            written=figure_form.written,
                            sources=figure_form.sources,
                        )
        except Exception:
            if formset.model is Figure:
                services.delete_files([n for f in formset.forms for n in getattr(f, "written", [])])
            raise
        if formset.model is Question:
            # The lines live in their own tables, written once the question has its id.
            for question_form in formset.forms:
                saved = question_form.instance.pk and question_form.has_changed()
                if saved and not question_form.cleaned_data.get("DELETE"):
                    question_form.save_lines(question_form.instance)


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "case"]
    list_filter = ["kind"]
    search_fields = ["case__public_id", "prompt"]
    list_select_related = ["case"]
    raw_id_fields = ["case"]

    class ChoiceInline(admin.TabularInline):
        model = Choice
        extra = 0

    class AcceptedAnswerInline(admin.TabularInline):
        model = AcceptedAnswer
        extra = 0

    inlines = [ChoiceInline, AcceptedAnswerInline]


@admin.register(Keyword)
class KeywordAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(CurriculumDomain)
class CurriculumDomainAdmin(admin.ModelAdmin):
    # The program's own curriculum list (issue 18); seeded with the ABR domains.
    list_display = ["name", "code", "order", "is_active", "source"]
    list_editable = ["order", "is_active"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["name", "case", "modality"]
    raw_id_fields = ["case"]


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["case", "rater", "rater_label", "difficulty", "quality", "updated_at"]
    list_select_related = ["case", "rater"]
    raw_id_fields = ["case"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["case", "author", "created_at", "hidden"]
    list_filter = ["hidden"]
    list_select_related = ["case", "author"]
    raw_id_fields = ["case"]
