from __future__ import annotations

from django.urls import path

from people import views

app_name = "people"

urlpatterns = [
    path("", views.people_list, name="people_list"),
    path("invite/", views.invite, name="invite"),
    path("import/", views.import_cohort, name="import_cohort"),
    path("<int:person_id>/role/", views.person_role, name="person_role"),
    path("<int:person_id>/deactivate/", views.person_deactivate, name="person_deactivate"),
    path("<int:person_id>/reactivate/", views.person_reactivate, name="person_reactivate"),
    path("<int:person_id>/resend/", views.invitation_resend, name="invitation_resend"),
    path("welcome/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("preferences/", views.preferences, name="preferences"),
    path("audit/", views.audit_log, name="audit_log"),
]
