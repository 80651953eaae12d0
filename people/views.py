"""People and roles for program directors and site admins; preferences for everyone.

Plain forms that post and redirect; with htmx a row action returns the row it changed
(422 with the row and its message when refused). Anyone who may not manage people gets
a 404, as on the reports; a person outside one's programs is a 404 too.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from people import mail, services
from people.models import AuditAction, Invitation, Notice, Profile
from people.timezones import SESSION_KEY, is_zone, zone_names
from quiz import rules
from quiz.models import Cohort, Membership
from teachingfile import roles
from teachingfile.http import HtmxHttpRequest

User = get_user_model()
PER_PAGE = 50
ROW = "people/includes/person_row.html"


def _require_manager(request: HtmxHttpRequest) -> None:
    if not services.may_manage_people(request.user):
        raise Http404


def _cohorts_for(user: Any) -> Any:
    if services.is_site_admin(user):
        return Cohort.objects.select_related("program")
    return rules.directed_cohorts(user)


def _people(by: Any) -> Any:
    pending = Invitation.objects.filter(user=OuterRef("pk")).usable(timezone.now())
    return (
        services.managed_people(by)
        .exclude(pk=by.pk)
        .annotate(invited=Exists(pending))
        .prefetch_related(
            "groups",
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("cohort", "cohort__program"),
            ),
        )
        .order_by("last_name", "first_name", "username")
    )


def _get_person_for_user(request: HtmxHttpRequest, person_id: int) -> Any:
    """A person this user manages, with what the row shows; 404 for anyone else."""
    _require_manager(request)
    person = _people(request.user).filter(pk=person_id).first()
    if person is None or person.pk == request.user.pk:
        raise Http404
    return person


class InviteForm(forms.Form):
    first_name = forms.CharField(max_length=150, label="First name")
    last_name = forms.CharField(max_length=150, label="Last name")
    email = forms.EmailField(label="E-mail")
    role = forms.ChoiceField(label="Role")
    cohort = forms.ModelChoiceField(
        queryset=Cohort.objects.none(), required=False, empty_label="No cohort", label="Cohort"
    )
    training_year = forms.TypedChoiceField(
        label="Training year",
        choices=[(year, f"PGY-{year}") for year in range(1, 9)],
        coerce=int,
        initial=1,
    )

    def __init__(self, *args: Any, by: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r, r) for r in services.assignable_roles(by)]
        self.fields["cohort"].queryset = _cohorts_for(by)


class ImportForm(forms.Form):
    cohort = forms.ModelChoiceField(queryset=Cohort.objects.none(), empty_label=None)
    file = forms.FileField(required=False, label="CSV file")
    text = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 8}), label="Or paste the rows"
    )

    def __init__(self, *args: Any, by: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = _cohorts_for(by)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > 1024 * 1024:
                raise ValidationError("The file is over 1 MB; split the cohort.")
            try:
                data["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationError("Save the file as UTF-8 CSV.") from None
        if not data.get("text", "").strip():
            raise ValidationError("Choose a CSV file or paste the rows.")
        return data


class PreferencesForm(forms.Form):
    time_zone = forms.ChoiceField(label="Time zone", required=False)
    notices = forms.MultipleChoiceField(
        label="E-mail me when",
        choices=Notice.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [
            ("", f"The site's time zone ({settings.TIME_ZONE})"),
            *((name, name.replace("_", " ")) for name in zone_names()),
        ]

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"]
        if name and not is_zone(name):
            raise ValidationError("Choose a time zone from the list.")
        return name


def _send_invitation(request: HtmxHttpRequest, invited: services.Invited) -> None:
    mail.send_invitation(invited.user, invited.token, request.user)


@require_GET
@login_required
def people_list(request: HtmxHttpRequest) -> HttpResponse:
    _require_manager(request)
    people = _people(request.user)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        people = people.filter(
            Q(username__icontains=query)
            | Q(email__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
        )
    page = Paginator(people, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "people/people_list.html",
        {"page": page, "query": query, "roles": services.assignable_roles(request.user)},
    )


@require_http_methods(["GET", "POST"])
@login_required
def invite(request: HtmxHttpRequest) -> HttpResponse:
    _require_manager(request)
    form = InviteForm(request.POST or None, by=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invited = services.person_invite(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                role=data["role"],
                cohort=data["cohort"],
                training_year=data["training_year"],
                by=request.user,
                now=timezone.now(),
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            _send_invitation(request, invited)
            messages.success(request, f"Invitation sent to {invited.user.email}.")
            return redirect("people:people_list")
    status = 422 if request.method == "POST" else 200
    return render(request, "people/invite.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def import_cohort(request: HtmxHttpRequest) -> HttpResponse:
    _require_manager(request)
    form = ImportForm(request.POST or None, request.FILES or None, by=request.user)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        cohort = form.cleaned_data["cohort"]
        try:
            invited = services.cohort_import(
                cohort=cohort, text=form.cleaned_data["text"], by=request.user, now=timezone.now()
            )
        except services.CohortImportError as exc:
            problems = exc.lines
        else:
            for item in invited:
                _send_invitation(request, item)
            messages.success(
                request, f"{len(invited)} residents invited to {cohort.name}; each got an e-mail."
            )
            return redirect("people:people_list")
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "problems": problems}
    return render(request, "people/import_cohort.html", context, status=status)


def _row_response(
    request: HtmxHttpRequest, person_id: int, notice: str, error: str = ""
) -> HttpResponse:
    if request.htmx:
        person = _people(request.user).get(pk=person_id)
        context = {
            "p": person,
            "roles": services.assignable_roles(request.user),
            "notice": notice,
            "error": error,
        }
        return render(request, ROW, context, status=422 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("people:people_list")


def _refusal(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


@require_POST
@login_required
def person_role(request: HtmxHttpRequest, person_id: int) -> HttpResponse:
    person = _get_person_for_user(request, person_id)
    role = request.POST.get("role", "")
    try:
        services.person_set_role(person=person, role=role, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        return _row_response(request, person.pk, "", _refusal(exc))
    return _row_response(request, person.pk, f"{person.get_username()} is now {role}.")


@require_POST
@login_required
def person_deactivate(request: HtmxHttpRequest, person_id: int) -> HttpResponse:
    person = _get_person_for_user(request, person_id)
    try:
        services.person_deactivate(person=person, by=request.user, now=timezone.now())
    except PermissionDenied as exc:
        return _row_response(request, person.pk, "", _refusal(exc))
    notice = f"{person.get_username()} can no longer log in; their work is kept."
    return _row_response(request, person.pk, notice)


@require_POST
@login_required
def person_reactivate(request: HtmxHttpRequest, person_id: int) -> HttpResponse:
    person = _get_person_for_user(request, person_id)
    try:
        services.person_reactivate(person=person, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        return _row_response(request, person.pk, "", _refusal(exc))
    return _row_response(request, person.pk, f"{person.get_username()} can log in again.")


@require_POST
@login_required
def invitation_resend(request: HtmxHttpRequest, person_id: int) -> HttpResponse:
    person = _get_person_for_user(request, person_id)
    try:
        invited = services.invitation_resend(person=person, by=request.user, now=timezone.now())
    except (ValidationError, PermissionDenied) as exc:
        return _row_response(request, person.pk, "", _refusal(exc))
    _send_invitation(request, invited)
    return _row_response(request, person.pk, f"A new invitation went to {person.email}.")


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HtmxHttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    if invitation is None:
        raise Http404
    refusal = invitation.refusal(timezone.now())
    if refusal:
        return render(request, "people/invitation_refused.html", {"refusal": refusal}, status=410)
    form = SetPasswordForm(invitation.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_accept(
                invitation=invitation,
                password=form.cleaned_data["new_password1"],
                now=timezone.now(),
            )
        except ValidationError as exc:
            context = {"refusal": " ".join(exc.messages)}
            return render(request, "people/invitation_refused.html", context, status=410)
        messages.success(request, "Your password is set. Log in with your username.")
        return redirect("login")
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "person": invitation.user}
    return render(request, "people/invitation_accept.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HtmxHttpRequest) -> HttpResponse:
    profile, _ = Profile.objects.get_or_create(user=request.user)
    initial = {
        "time_zone": profile.time_zone,
        "notices": [kind for kind in Notice.values if profile.wants(kind)],
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        profile.time_zone = form.cleaned_data["time_zone"]
        profile.muted = [kind for kind in Notice.values if kind not in form.cleaned_data["notices"]]
        profile.full_clean()
        profile.save(update_fields=["time_zone", "muted"])
        request.session[SESSION_KEY] = profile.time_zone
        messages.success(request, "Preferences saved.")
        return redirect("people:preferences")
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "zone": timezone.get_current_timezone_name()}
    return render(request, "people/preferences.html", context, status=status)


@require_GET
@login_required
def audit_log(request: HtmxHttpRequest) -> HttpResponse:
    if not (services.is_site_admin(request.user) or roles.is_director(request.user)):
        raise Http404
    events = services.audit_events_visible_to(request.user)
    action = request.GET.get("action", "")
    if action:
        events = events.filter(action=action)
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "actions": AuditAction.choices, "action": action}
    return render(request, "people/audit_log.html", context)
