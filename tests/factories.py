"""factory-boy factories for the models the tests build most."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from factory.django import DjangoModelFactory

from quiz.models import Assignment, Attempt, Cohort, Membership, Program, Quiz, QuizItem, Response
from teachingfile.models import (
    AcceptedAnswer,
    Case,
    Choice,
    Comment,
    Figure,
    Question,
    Rating,
)


class UserFactory(DjangoModelFactory[AbstractUser]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("pass-word-123")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))


class CaseFactory(DjangoModelFactory[Case]):
    class Meta:
        model = Case

    public_id = factory.Sequence(lambda n: f"tf-{n + 1000:04d}")
    status = Case.Status.PUBLISHED
    unknown_title = factory.Sequence(lambda n: f"Patient {n} with a cough")
    presentation = "A cough for three weeks."
    known_title = factory.Sequence(lambda n: f"Hidden known title {n}")
    diagnosis = factory.Sequence(lambda n: f"Secret diagnosis number {n}")
    findings = "Secret findings text."
    discussion = "Secret discussion text."
    patient_age = 50
    patient_sex = "F"
    modalities = "CT"
    region = "chest"
    category = "infection"


class QuestionFactory(DjangoModelFactory[Question]):
    class Meta:
        model = Question

    case = factory.SubFactory(CaseFactory)
    order = 1
    kind = Question.Kind.SINGLE
    prompt = "What is the most likely diagnosis?"
    explanation = "Secret explanation."


class ChoiceFactory(DjangoModelFactory[Choice]):
    class Meta:
        model = Choice

    question = factory.SubFactory(QuestionFactory)
    order = factory.Sequence(lambda n: n % 5)
    text = factory.Sequence(lambda n: f"Choice {n}")
    is_correct = False
    rationale = "Secret rationale."


def single_choice_case(
    *,
    prompt: str = "What is the most likely diagnosis?",
    explanation: str = "Secret explanation.",
    right: str = "Right choice",
    wrong: str = "Wrong choice",
    right_rationale: str = "Secret rationale.",
    wrong_rationale: str = "Secret rationale.",
    **case_fields: object,
) -> tuple[Case, Question, Choice, Choice]:
    """A case with one single-best-answer question: (case, question, right, wrong)."""
    case = CaseFactory(**case_fields)
    question = QuestionFactory(case=case, prompt=prompt, explanation=explanation)
    right_choice = ChoiceFactory(
        question=question, order=0, text=right, is_correct=True, rationale=right_rationale
    )
    wrong_choice = ChoiceFactory(question=question, order=1, text=wrong, rationale=wrong_rationale)
    return case, question, right_choice, wrong_choice


class AcceptedAnswerFactory(DjangoModelFactory[AcceptedAnswer]):
    class Meta:
        model = AcceptedAnswer

    question = factory.SubFactory(QuestionFactory, kind=Question.Kind.FREE_TEXT)
    text = "calciphylaxis"
    score = 1.0


class ProgramFactory(DjangoModelFactory[Program]):
    class Meta:
        model = Program

    name = factory.Sequence(lambda n: f"Program {n}")


class CohortFactory(DjangoModelFactory[Cohort]):
    class Meta:
        model = Cohort

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Cohort {n}")


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    cohort = factory.SubFactory(CohortFactory)
    resident = factory.SubFactory(UserFactory)
    training_year = 2


class QuizFactory(DjangoModelFactory[Quiz]):
    class Meta:
        model = Quiz

    title = factory.Sequence(lambda n: f"Quiz {n}")
    mode = Quiz.Mode.PRACTICE
    is_open = True


class QuizItemFactory(DjangoModelFactory[QuizItem]):
    class Meta:
        model = QuizItem

    quiz = factory.SubFactory(QuizFactory)
    case = factory.SubFactory(CaseFactory)
    order = 0


def make_user(username: str, *role_names: str, **extra: object) -> AbstractUser:
    return UserFactory(username=username, roles=list(role_names), **extra)


# Reports (issue 5): attempts and responses, the rows every statistic is made of.


class AttemptFactory(DjangoModelFactory[Attempt]):
    class Meta:
        model = Attempt

    user = factory.SubFactory(UserFactory)
    kind = Attempt.Kind.QUIZ


class ResponseFactory(DjangoModelFactory[Response]):
    class Meta:
        model = Response

    attempt = factory.SubFactory(AttemptFactory)
    question = factory.SubFactory(QuestionFactory)
    user = factory.SelfAttribute("attempt.user")
    case = factory.SelfAttribute("question.case")
    score = 1.0
    method = Response.Method.AUTO


class AssignmentFactory(DjangoModelFactory[Assignment]):
    class Meta:
        model = Assignment

    quiz = factory.SubFactory(QuizFactory)
    cohort = factory.SubFactory(CohortFactory)


class RatingFactory(DjangoModelFactory[Rating]):
    class Meta:
        model = Rating

    case = factory.SubFactory(CaseFactory)
    difficulty = 3
    quality = 3


class CommentFactory(DjangoModelFactory[Comment]):
    class Meta:
        model = Comment

    case = factory.SubFactory(CaseFactory)
    author = factory.SubFactory(UserFactory)
    body = "A comment."


def png_bytes(shade: int = 128, size: tuple[int, int] = (40, 30), text: str = "") -> bytes:
    """A small real greyscale PNG: decodes through the whole image pipeline.

    `text`, when given, is drawn in the top-left corner in the opposite grey, so that a
    screenshot or an OCR check can tell images apart.
    """
    import io

    from PIL import Image, ImageDraw

    image = Image.new("L", size, shade)
    if text:
        ImageDraw.Draw(image).text((size[0] // 20, size[1] // 20), text, fill=255 - shade)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class FigureFactory(DjangoModelFactory[Figure]):
    """A figure with a real image stored through the upload pipeline.

    `annotated=True` also stores an annotated version (shown only after the reveal);
    `shade` picks the grey of the image so that tests can tell files apart.
    """

    class Meta:
        model = Figure

    case = factory.SubFactory(CaseFactory)
    order = factory.Sequence(lambda n: n)
    label = factory.Sequence(lambda n: f"Fig. {n + 1}")
    alt_text = "Axial image of the region of interest"
    stage = Figure.Stage.QUESTION

    @classmethod
    def _create(cls, model_class: type[Figure], *args: object, **kwargs: object) -> Figure:
        from teachingfile.services import figure_set_image

        annotated = bool(kwargs.pop("annotated", False))
        shade = int(kwargs.pop("shade", 128))  # type: ignore[call-overload]
        figure = model_class(*args, **kwargs)
        figure_set_image(figure=figure, data=png_bytes(shade), filename="figure.png")
        if annotated:
            figure_set_image(
                figure=figure,
                data=png_bytes(255 - shade),
                filename="annotated.png",
                annotated=True,
            )
        return figure


# Live conference (issue 17): a session over some cases, started as the presenter would.
def make_live_session(presenter: AbstractUser, cases: list[Case], **extra: object) -> object:
    from live.services import session_start

    return session_start(presenter=presenter, title="Noon conference", cases=cases, **extra)
