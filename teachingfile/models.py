"""The case library: cases, their figures, questions, ratings and comments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from teachingfile.vocab import (
    DicomModality,
    group_labels,
    group_regex,
    validate_modalities,
)
from teachingfile.vocab import (
    Modality as Modality,  # re-exported: reports and filters import it from here
)

if TYPE_CHECKING:
    from teachingfile.roles import AnyUser


PUBLIC_ID_VALIDATOR = RegexValidator(r"^tf-\d{4,}$", "Public ids look like tf-0001.")


class Region(models.TextChoices):
    CHEST = "chest", "Chest"
    BREAST = "breast", "Breast"
    ABDOMEN = "abdomen", "Abdomen"
    PELVIS = "pelvis", "Pelvis"
    MUSCULOSKELETAL = "musculoskeletal", "Musculoskeletal"
    SPINE = "spine", "Spine"
    NEURO = "neuro", "Brain"
    HEAD_NECK = "head_neck", "Head and neck"
    CARDIAC = "cardiac", "Cardiac"
    VASCULAR = "vascular", "Vascular"
    WHOLE_BODY = "whole_body", "Whole body"


class Category(models.TextChoices):
    CONGENITAL = "congenital", "Congenital"
    INFECTION = "infection", "Infection"
    NEOPLASM = "neoplasm", "Neoplasm"
    METABOLIC = "metabolic", "Metabolic, endocrine, toxic"
    TRAUMA = "trauma", "Trauma"
    VASCULAR = "vascular", "Vascular"
    INFLAMMATORY = "inflammatory", "Inflammatory"
    IATROGENIC = "iatrogenic", "Iatrogenic"
    OTHER = "other", "Other"


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    OTHER = "O", "Other"
    UNKNOWN = "U", "Not stated"


class Certainty(models.TextChoices):
    PATHOLOGY = "pathology", "Proven by pathology"
    CLINICAL = "clinical", "Confirmed clinically"
    FOLLOW_UP = "follow_up", "Confirmed on follow-up"
    IMAGING = "imaging", "Imaging diagnosis"
    PROBABLE = "probable", "Probable"


class CurriculumDomain(models.Model):
    """A domain of the curriculum map (issue 18): admin-managed, seeded with the ABR list.

    docs/curriculum.md names the source of the seeded list and its year.
    """

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    source = models.CharField(max_length=200, blank=True, help_text="Where the list comes from.")
    is_active = models.BooleanField(default=True, help_text="Offered for new tags and filters.")

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Keyword(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CaseQuerySet(models.QuerySet["Case"]):
    def published(self) -> CaseQuerySet:
        return self.filter(status=Case.Status.PUBLISHED)

    def visible_to(self, user: AnyUser) -> CaseQuerySet:
        """Residents see published cases; faculty also see every draft in the library."""
        from teachingfile import roles

        if roles.is_faculty(user):
            return self.all()
        return self.published()

    def with_modality(self, group: str) -> CaseQuerySet:
        # DICOM codes are stored space-separated; match whole codes of the display group.
        return self.filter(modalities__regex=group_regex(group))

    def for_listing(self) -> CaseQuerySet:
        # Only what the library list shows: the reveal's long text stays in the database.
        return self.only(
            "public_id",
            "status",
            "unknown_title",
            "patient_age",
            "patient_sex",
            "modalities",
            "region",
            "category",
            "created_at",
        )


class Case(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    public_id = models.CharField(
        max_length=16, unique=True, validators=[PUBLIC_ID_VALIDATOR], editable=False
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # Shown before the reveal: must never name or hint the diagnosis (it is in URLs too).
    unknown_title = models.CharField(
        max_length=200, help_text="Neutral title shown before the reveal."
    )
    presentation = models.TextField(
        help_text="Brief history shown with the images before answering. Markdown."
    )
    patient_age = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(130)], help_text="Years."
    )
    patient_sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    modalities = models.CharField(
        max_length=60,
        blank=True,
        validators=[validate_modalities],
        help_text="Space-separated DICOM modality codes (CR DX CT MR US NM PT MG XA RF), "
        "first = main.",
    )
    region = models.CharField(max_length=20, choices=Region.choices, blank=True, db_index=True)
    category = models.CharField(max_length=20, choices=Category.choices, blank=True, db_index=True)
    progressive = models.BooleanField(
        default=False,
        help_text="Reveal question by question (each answer before the next question), "
        "as journal quizzes do, instead of all at once.",
    )

    # Revealed after answering.
    known_title = models.CharField(max_length=200, help_text="Usually the diagnosis.")
    full_history = models.TextField(blank=True)
    technique = models.TextField(blank=True, help_text="Protocol, radiopharmaceutical...")
    findings = models.TextField(blank=True)
    diagnosis = models.CharField(max_length=300)
    diagnostic_certainty = models.CharField(
        max_length=12, choices=Certainty.choices, default=Certainty.IMAGING
    )
    discussion = models.TextField(blank=True)
    teaching_points = models.TextField(blank=True)
    follow_up = models.TextField(blank=True)
    acr_code = models.CharField("ACR index code", max_length=20, blank=True, db_index=True)
    keywords = models.ManyToManyField(Keyword, blank=True, related_name="cases")
    # Curriculum map (issue 18).
    domains = models.ManyToManyField(
        CurriculumDomain,
        blank=True,
        related_name="cases",
        help_text="Curriculum domains the case teaches (docs/curriculum.md).",
    )
    companions = models.ManyToManyField("self", blank=True, symmetrical=True)
    companion_note = models.CharField(
        max_length=300, blank=True, help_text="Companion cases outside this library."
    )

    # Provenance.
    authors = models.CharField(max_length=500, blank=True)
    credits = models.TextField(blank=True, help_text="Affiliations, contributors. Markdown.")
    source_citation = models.TextField(blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    source_doi = models.CharField("source DOI", max_length=200, blank=True)
    source_date = models.DateField(null=True, blank=True)
    source_reference = models.CharField(
        max_length=200, blank=True, help_text="Case number or id in the source."
    )
    licence = models.CharField(max_length=300, blank=True)
    # Import (issue 20): source text no field took. For the author only: never rendered
    # to residents, before or after the reveal, and never indexed for search.
    unplaced = models.TextField(
        "unplaced import text",
        blank=True,
        help_text="Text from an imported document that found no field. Shown to authors "
        "only, never to residents: move it into a field or delete it.",
    )

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_cases",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Bumped on every edit; cache keys for rendered sections include it.
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["public_id"]
        permissions = [
            ("publish_case", "Can publish cases without review (editor)"),
            ("review_case", "Can review cases submitted by colleagues"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id}: {self.unknown_title}"

    def get_absolute_url(self) -> str:
        return reverse("teachingfile:case_detail", args=[self.public_id])

    @property
    def modality_codes(self) -> list[str]:
        return self.modalities.split()

    @property
    def modality_labels(self) -> list[str]:
        return group_labels(self.modality_codes)

    @property
    def age_sex(self) -> str:
        parts = []
        if self.patient_age is not None:
            parts.append(f"{self.patient_age} y")
        if self.patient_sex != Sex.UNKNOWN:
            parts.append(self.get_patient_sex_display().lower())
        return ", ".join(parts)


class StatusChange(models.Model):
    """One step of a case's review workflow: who moved it, when, and why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=Case.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Case.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case.public_id}: {self.from_status or '-'} -> {self.to_status}"


class LabValue(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="lab_values")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=120)
    value = models.CharField(max_length=60)
    unit = models.CharField(max_length=40, blank=True)
    reference_range = models.CharField(max_length=60, blank=True)
    shown_before_reveal = models.BooleanField(
        default=False, help_text="Part of the presentation rather than of the full history."
    )

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.value} {self.unit}".strip()


class DifferentialDiagnosis(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="differentials")
    order = models.PositiveSmallIntegerField(default=0)
    diagnosis = models.CharField(max_length=200)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name_plural = "differential diagnoses"

    def __str__(self) -> str:
        return self.diagnosis


class Reference(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="references")
    order = models.PositiveSmallIntegerField(default=0)
    citation = models.TextField()
    doi = models.CharField("DOI", max_length=200, blank=True)
    pmid = models.CharField("PubMed id", max_length=20, blank=True)
    url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.citation[:80]

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def pubmed_url(self) -> str:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""


class Series(models.Model):
    """Figures that scroll together as one stack in the viewer (a CT series, say)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="series")
    name = models.CharField(max_length=120)
    modality = models.CharField(max_length=4, choices=DicomModality.choices, blank=True)

    class Meta:
        verbose_name_plural = "series"
        constraints = [models.UniqueConstraint(fields=["case", "name"], name="series_unique_name")]

    def __str__(self) -> str:
        return self.name


def _figure_upload_to(instance: Figure, filename: str) -> str:
    # The pipeline names files itself; this only serves files assigned without it.
    from teachingfile.imaging import generate_unguessable_name

    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return generate_unguessable_name(ext)


class Figure(models.Model):
    class Stage(models.TextChoices):
        QUESTION = "question", "With the questions"
        REVEAL = "reveal", "Only after the reveal"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="figures")
    order = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=40, help_text='As printed, e.g. "Fig. A".')
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.QUESTION)
    series = models.ForeignKey(
        Series, on_delete=models.SET_NULL, null=True, blank=True, related_name="figures"
    )
    position = models.PositiveIntegerField(default=0, help_text="Order within the series.")
    alt_text = models.CharField(
        max_length=300, help_text="Neutral description for screen readers; shown before reveal."
    )
    neutral_caption = models.CharField(
        max_length=300, blank=True, help_text="Shown before the reveal."
    )
    caption = models.TextField(blank=True, help_text="Revealed caption. Markdown.")

    # Files are written once by the image pipeline, under unguessable names.
    image = models.FileField(upload_to=_figure_upload_to, max_length=200)
    display = models.FileField(upload_to=_figure_upload_to, max_length=200, blank=True)
    thumbnail = models.FileField(upload_to=_figure_upload_to, max_length=200, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    source_format = models.CharField(max_length=10, blank=True)
    source_file = models.FileField(
        upload_to=_figure_upload_to, max_length=200, blank=True, help_text="De-identified DICOM."
    )
    dicom_info = models.JSONField(default=dict, blank=True)
    viewer_source = models.FileField(
        upload_to=_figure_upload_to,
        max_length=200,
        blank=True,
        help_text="Stored-depth pixels and display facts for the viewer (DICOM only).",
    )
    presets = models.JSONField(
        default=dict, blank=True, help_text="Window preset name -> stored display file name."
    )
    annotated_image = models.FileField(upload_to=_figure_upload_to, max_length=200, blank=True)
    annotated_display = models.FileField(upload_to=_figure_upload_to, max_length=200, blank=True)
    # --- drawing (issue 16): vector annotations in normalised 0..1 image coordinates,
    # shown only after the reveal (teachingfile/drawings.py validates the shapes).
    annotations = models.JSONField(default=list, blank=True)
    # --- end drawing

    class Meta:
        ordering = ["order", "position", "id"]

    def __str__(self) -> str:
        return f"{self.case.public_id} {self.label}"

    @property
    def shown_before_reveal(self) -> bool:
        return self.stage == self.Stage.QUESTION


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "Single best answer"
        MULTIPLE = "multiple", "Multiple correct answers"
        FREE_TEXT = "free_text", "Free text"
        REGION = "region", "Click on the finding"

    class RegionMode(models.TextChoices):
        ANY = "any", "Any one region"
        EVERY = "every", "Every region"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    prompt = models.TextField(help_text="Markdown.")
    explanation = models.TextField(blank=True, help_text="Revealed after answering. Markdown.")
    # --- statistics (issue 19): the question's weight in an attempt's total, as in Moodle.
    max_mark = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(0.01), MaxValueValidator(100.0)],
        help_text="Weight in the attempt's total (Moodle's maximum mark); 1 unless a question "
        "should count more or less than the others.",
    )
    # --- drawing (issue 16): "click on the finding". Target regions in normalised 0..1
    # coordinates of `region_figure` (quiz/regions.py scores and validates them); revealed
    # only after the answer.
    region_figure = models.ForeignKey(
        Figure, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    regions = models.JSONField(default=list, blank=True)
    region_margin = models.FloatField(
        default=0.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(0.5)],
        help_text="Tolerance around each region, as a fraction of the image (partial credit).",
    )
    region_mode = models.CharField(max_length=5, choices=RegionMode.choices, default=RegionMode.ANY)
    # --- end drawing

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.case.public_id} Q{self.order}"

    @property
    def is_region(self) -> bool:
        return self.kind == self.Kind.REGION

    @property
    def is_choice(self) -> bool:
        return self.kind in (self.Kind.SINGLE, self.Kind.MULTIPLE)


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)
    is_correct = models.BooleanField(default=False)
    rationale = models.TextField(blank=True, help_text="Why this is right or wrong. Markdown.")

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def letter(self) -> str:
        return "ABCDEFGHIJ"[self.order] if 0 <= self.order < 10 else str(self.order + 1)


class AcceptedAnswer(models.Model):
    """An answer to a free-text question that scores, with its synonyms as separate rows."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="accepted_answers"
    )
    text = models.CharField(max_length=300)
    score = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="1 = fully right; less for a partly right answer.",
    )

    class Meta:
        ordering = ["-score", "id"]

    def __str__(self) -> str:
        return self.text


class Rating(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="ratings")
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True
    )
    # Ratings carried over from a source teaching file have no local rater.
    rater_label = models.CharField(max_length=120, blank=True)
    difficulty = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    quality = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "rater"], name="rating_one_per_rater"),
            models.CheckConstraint(
                condition=Q(difficulty__gte=1, difficulty__lte=5)
                & Q(quality__gte=1, quality__lte=5),
                name="rating_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.public_id} D{self.difficulty} Q{self.quality}"


class Comment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)
    hidden = models.BooleanField(default=False)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.case.public_id}"
