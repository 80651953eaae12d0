"""Collections: the list, one collection, "Add to collection" on a case, and one-step quiz.

A collection is seen by its owner and, when shared, by the residents of its cohort; to
anyone else it does not exist (404). Its cases are filtered by what the viewer may see.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from quiz import builder, collections, rules
from quiz.models import Cohort, Collection
from teachingfile.models import Case

LIST = "quiz/collection_list.html"


class CollectionForm(forms.Form):
    name = forms.CharField(max_length=120)
    shared_with: forms.ModelChoiceField[Cohort] = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Private: only me", label="Share with"
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shared_with"].queryset = rules.shareable_cohorts(user)  # type: ignore[attr-defined]


def _get_collection_for_user(request: HttpRequest, pk: int) -> Collection:
    collection = Collection.objects.visible_to(request.user).filter(pk=pk).first()
    if collection is None:
        raise Http404
    return collection


def _list_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    visible = Collection.objects.visible_to(request.user).select_related(
        "owner", "shared_with__program"
    )
    context = {
        "mine": [c for c in visible if c.owner_id == request.user.pk],
        "shared": [c for c in visible if c.owner_id != request.user.pk],
        "form": CollectionForm(user=request.user),
    }
    context.update(extra)
    return context


@require_http_methods(["GET", "POST"])
@login_required
def collection_list(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, LIST, _list_context(request))
    form = CollectionForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            collection = collections.collection_create(
                owner=request.user,
                name=form.cleaned_data["name"],
                shared_with=form.cleaned_data["shared_with"],
            )
        except ValidationError as exc:
            form.add_error("name", exc.message_dict.get("name", exc.messages))
        else:
            return redirect(collection)
    return render(request, LIST, _list_context(request, form=form), status=422)


@require_http_methods(["GET"])
@login_required
def collection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    collection = _get_collection_for_user(request, pk)
    cases = rules.collection_cases(request.user, collection).for_listing()
    context = {
        "collection": collection,
        "cases": cases,
        "is_owner": collection.owner_id == request.user.pk,
        "may_build": rules.may_build_quizzes(request.user),
    }
    return render(request, "quiz/collection_detail.html", context)


@require_POST
@login_required
def collect(request: HttpRequest, public_id: str) -> HttpResponse:
    """Add a case to one of the user's collections, or to a new one named in the form."""
    case = get_object_or_404(Case.objects.visible_to(request.user), public_id=public_id)
    choice = request.POST.get("collection", "")
    new_name = request.POST.get("new_name", "").strip()[:120]
    error = ""
    collection = None
    try:
        if new_name:
            collection = collections.collection_create(owner=request.user, name=new_name)
        elif choice.isdigit():
            collection = Collection.objects.filter(owner=request.user, pk=int(choice)).first()
        if collection is None:
            raise ValidationError("Choose one of your collections or name a new one.")
        collections.collection_add_case(collection=collection, case=case, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        error = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    added = "" if error else f"Saved in “{collection}”."
    if request.htmx:  # type: ignore[attr-defined]
        context = {
            "case": case,
            "collections": Collection.objects.filter(owner=request.user).only("id", "name"),
            "added": added,
            "collect_error": error,
        }
        return render(
            request, "quiz/includes/collect_form.html", context, status=422 if error else 200
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, added)
    return redirect(case)


@require_POST
@login_required
def collection_remove(request: HttpRequest, pk: int, case_pk: int) -> HttpResponse:
    collection = _get_collection_for_user(request, pk)
    if collection.owner_id != request.user.pk:
        raise Http404
    collections.collection_remove_case(collection=collection, case_id=case_pk, by=request.user)
    return redirect(collection)


@require_POST
@login_required
def collection_quiz(request: HttpRequest, pk: int) -> HttpResponse:
    """Faculty turn a collection into a practice quiz in one step, then edit it."""
    if not rules.may_build_quizzes(request.user):
        raise Http404
    collection = _get_collection_for_user(request, pk)
    try:
        quiz = builder.quiz_from_collection(collection=collection, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(collection)
    messages.success(request, f"Quiz “{quiz.title}” made from the collection: check its title.")
    return redirect("quiz:quiz_edit", pk=quiz.pk)
