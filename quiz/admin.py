from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest

from quiz.models import (
    Assignment,
    Attempt,
    Cohort,
    Membership,
    Program,
    Quiz,
    QuizItem,
    Response,
)
from teachingfile import roles


def directed_programs(request: HttpRequest) -> QuerySet[Program]:
    """Programs the admin user may manage: all for a superuser, else those they direct."""
    if request.user.is_superuser:
        return Program.objects.all()
    return Program.objects.filter(directors=request.user)


class ProgramScopedAdmin(admin.ModelAdmin):
    """Rows and foreign-key choices limited to the programs the user directs.

    `program_path` is the lookup from the model to its Program. Limiting the choices is what
    refuses a cohort added to another program: the form rejects it as an invalid choice.
    """

    program_path = "program"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.program_path}__in": directed_programs(request)})

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        if not request.user.is_superuser:
            if db_field.related_model is Program:
                kwargs["queryset"] = directed_programs(request)
            elif db_field.related_model is Cohort:
                kwargs["queryset"] = Cohort.objects.filter(
                    program__in=directed_programs(request)
                ).select_related("program")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name"]
    filter_horizontal = ["directors"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Program]:
        if request.user.is_superuser:
            return super().get_queryset(request)
        return super().get_queryset(request).filter(pk__in=directed_programs(request))


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    raw_id_fields = ["resident"]

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        if db_field.name == "resident" and not request.user.is_superuser:
            # Directors put residents in cohorts, never faculty or other directors.
            kwargs["queryset"] = get_user_model().objects.filter(groups__name=roles.RESIDENT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Cohort)
class CohortAdmin(ProgramScopedAdmin):
    list_display = ["name", "program", "academic_year"]
    # Only programs that appear in the (already scoped) rows: no names of other programs.
    list_filter = [("program", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["program"]
    inlines = [MembershipInline]


class QuizItemInline(admin.TabularInline):
    model = QuizItem
    extra = 1
    autocomplete_fields = ["case"]


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ["title", "mode", "time_limit", "attempts_allowed", "is_open", "created_by"]
    list_filter = ["mode", "is_open"]
    search_fields = ["title"]
    inlines = [QuizItemInline]
    exclude = ["created_by"]

    def save_model(self, request: HttpRequest, obj: Quiz, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Assignment)
class AssignmentAdmin(ProgramScopedAdmin):
    list_display = ["quiz", "cohort", "due_at", "assigned_by"]
    list_select_related = ["quiz", "cohort__program", "assigned_by"]
    exclude = ["assigned_by"]
    program_path = "cohort__program"

    def save_model(self, request: HttpRequest, obj: Assignment, form: Any, change: bool) -> None:
        if not change:
            obj.assigned_by = request.user
        super().save_model(request, obj, form, change)


def _own_residents(request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Attempts and responses of residents in the user's programs (all for a superuser).

    Directors and faculty hold view permissions on these models; without this filter the
    admin would show every resident's scores, which the reports never do.
    """
    if request.user.is_superuser:
        return queryset
    residents = Membership.objects.filter(cohort__program__in=directed_programs(request))
    # A subquery rather than a join: a join would repeat rows for residents in two cohorts.
    return queryset.filter(user__in=residents.values("resident"))


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "quiz", "case", "started_at", "finished_at", "score"]
    list_filter = ["kind"]
    list_select_related = ["user", "quiz", "case"]
    raw_id_fields = ["user", "quiz", "case"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Attempt]:
        return _own_residents(request, super().get_queryset(request))


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["user", "question", "score", "method", "answered_at"]
    list_filter = ["method", "is_first_attempt"]
    list_select_related = ["user", "question__case"]
    raw_id_fields = ["attempt", "question", "user", "case", "scored_by", "choices"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Response]:
        return _own_residents(request, super().get_queryset(request))
