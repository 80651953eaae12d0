from __future__ import annotations

from django.contrib import admin

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


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name"]
    filter_horizontal = ["directors"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    raw_id_fields = ["resident"]


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "program", "academic_year"]
    list_filter = ["program"]
    list_select_related = ["program"]
    inlines = [MembershipInline]


class QuizItemInline(admin.TabularInline):
    model = QuizItem
    extra = 1
    autocomplete_fields = ["case"]


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ["title", "mode", "time_limit", "is_open", "created_by"]
    list_filter = ["mode", "is_open"]
    search_fields = ["title"]
    inlines = [QuizItemInline]
    exclude = ["created_by"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["quiz", "cohort", "due_at", "assigned_by"]
    list_select_related = ["quiz", "cohort", "assigned_by"]
    exclude = ["assigned_by"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if not change:
            obj.assigned_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "quiz", "case", "started_at", "finished_at", "score"]
    list_filter = ["kind"]
    list_select_related = ["user", "quiz", "case"]
    raw_id_fields = ["user", "quiz", "case"]


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["user", "question", "score", "method", "answered_at"]
    list_filter = ["method", "is_first_attempt"]
    list_select_related = ["user", "question__case"]
    raw_id_fields = ["attempt", "question", "user", "case", "scored_by", "choices"]
