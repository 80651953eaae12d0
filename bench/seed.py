"""Fill an empty database with a large, plausible teaching file, fast.

    SCALE=small .venv/bin/python bench/seed.py          # 500 cases, 30 residents, 20k answers
    .venv/bin/python bench/seed.py --scale full          # 10k cases, 300 residents, 1M answers

Rows go in with executemany in batches inside one transaction per table, with ids chosen
here so that no row has to be read back; no model is saved one by one and no image is
processed (three generated images are shared by every figure). Columns this script does
not name get the model field's default, so a field added later does not break it.

It refuses to run on a database that already holds cases: it is for `make bench`'s fresh
databases only. Accounts: bench-resident-0001.., bench-director, bench-faculty-01..,
all with the password in BENCH_PASSWORD.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs as a script from a checkout
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teachingfile.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from quiz.models import (  # noqa: E402
    Assignment,
    Attempt,
    Cohort,
    Membership,
    Program,
    Quiz,
    QuizItem,
    Response,
    ReviewCard,
)
from teachingfile import roles  # noqa: E402
from teachingfile.models import (  # noqa: E402
    AcceptedAnswer,
    Case,
    Category,
    Choice,
    Comment,
    DifferentialDiagnosis,
    Figure,
    Keyword,
    LabValue,
    Question,
    Rating,
    Reference,
    Region,
)
from teachingfile.vocab import DicomModality  # noqa: E402

BENCH_PASSWORD = "bench-pass-2026"  # noqa: S105 - throwaway accounts in a throwaway database
BATCH = 5000
CASES_PER_QUIZ = 10


@dataclass(frozen=True)
class Scale:
    name: str
    cases: int
    residents: int
    responses: int
    faculty: int
    quizzes: int
    cohort_size: int = 30


SCALES = {
    "full": Scale(
        "full", cases=10_000, residents=300, responses=1_000_000, faculty=40, quizzes=500
    ),
    "small": Scale("small", cases=500, residents=50, responses=20_000, faculty=8, quizzes=40),
    # For the query-budget style smoke runs: seconds, not minutes.
    "tiny": Scale("tiny", cases=60, residents=6, responses=600, faculty=3, quizzes=5),
}

_WORDS = (  # noqa: SIM905 - a sentence is easier to read and edit than 70 quoted words
    "calcification soft tissue nodular linear dense rim periarticular subcutaneous "
    "vascular renal dialysis serum calcium phosphate parathyroid hormone uptake tracer "
    "bone scan radiograph ultrasound shadowing mass lesion margin well defined lobulated "
    "tendon bursa shoulder hip knee thigh pelvis chest wall breast skin ulcer pain "
    "swelling erythema fever history weeks months years follow-up biopsy histology "
    "extraosseous deposition metastatic dystrophic idiopathic tumoral myositis fascia "
    "muscle fat plane contrast enhancement attenuation signal intensity sequence"
).split()


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(_WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _paragraphs(rng: random.Random, count: int, sentences: int) -> list[str]:
    """A pool of Markdown paragraphs to draw from: generating text per row is the slow part."""
    pool = []
    for _ in range(count):
        body = " ".join(_sentence(rng, rng.randint(8, 18)) for _ in range(sentences))
        if rng.random() < 0.3:
            body += "\n\n- " + _sentence(rng, 6) + "\n- **" + _sentence(rng, 5) + "**"
        pool.append(body)
    return pool


class Inserter:
    """executemany into one model's table, filling unnamed columns with field defaults."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.model = model
        fields = {f.attname: f for f in model._meta.local_concrete_fields}
        unknown = set(columns) - set(fields)
        if unknown:
            raise SystemExit(f"{model.__name__} has no column(s) {sorted(unknown)}")
        self.columns = list(columns)
        self.fields = [fields[name] for name in self.columns]
        # Defaults are computed once: callable defaults such as timezone.now are the
        # same for every row, which is fine for bench data.
        # An auto id left out is the database's to number.
        self.extra = [
            f
            for name, f in fields.items()
            if name not in self.columns and not isinstance(f, models.AutoField)
        ]
        self.extra_values = tuple(
            f.get_db_prep_save(f.get_default(), connection) for f in self.extra
        )
        # Only these field types need converting for the driver; the rest pass as they are.
        self.prep = [
            f.get_db_prep_save
            if isinstance(f, models.DateTimeField | models.DateField | models.JSONField)
            else None
            for f in self.fields
        ]
        names = [f.column for f in self.fields + self.extra]
        quote = connection.ops.quote_name
        table, column_list = quote(model._meta.db_table), ", ".join(quote(n) for n in names)
        # Names come from the models, never from input; values go as parameters.
        placeholders = ", ".join(["%s"] * len(names))
        self.sql = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"  # noqa: S608
        self.copy_sql = f"COPY {table} ({column_list}) FROM STDIN"
        self.count = 0

    def _row(self, values: Sequence[Any]) -> tuple[Any, ...]:
        out = [
            value if prep is None else prep(value, connection)
            for value, prep in zip(values, self.prep, strict=True)
        ]
        return (*out, *self.extra_values)

    def write(self, rows: Iterable[Sequence[Any]]) -> int:
        if connection.vendor == "postgresql":
            return self._copy(rows)
        batch: list[tuple[Any, ...]] = []
        with transaction.atomic(), connection.cursor() as cursor:
            for values in rows:
                batch.append(self._row(values))
                if len(batch) >= BATCH:
                    cursor.executemany(self.sql, batch)
                    self.count += len(batch)
                    batch.clear()
            if batch:
                cursor.executemany(self.sql, batch)
                self.count += len(batch)
        return self.count

    def _copy(self, rows: Iterable[Sequence[Any]]) -> int:
        # COPY is several times faster than even pipelined INSERTs on PostgreSQL.
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(self.copy_sql) as copy,
        ):
            for values in rows:
                copy.write_row(self._row(values))
                self.count += 1
        return self.count


def insert(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    return Inserter(model, columns).write(rows)


def _png(color: tuple[int, int, int], size: tuple[int, int], marks: bool = False) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("L", size, 20)
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.ellipse([width * 0.2, height * 0.15, width * 0.8, height * 0.85], fill=110)
    draw.ellipse([width * 0.45, height * 0.4, width * 0.55, height * 0.5], fill=240)
    rgb = image.convert("RGB")
    if marks:
        ImageDraw.Draw(rgb).line(
            [width * 0.7, height * 0.2, width * 0.55, height * 0.42], fill=color, width=6
        )
    out = io.BytesIO()
    rgb.save(out, "PNG", optimize=False)
    return out.getvalue()


def write_figure_files() -> dict[str, str]:
    """Three shared images plus derivatives, written straight into MEDIA_ROOT."""
    media = Path(settings.MEDIA_ROOT)
    (media / "bench").mkdir(parents=True, exist_ok=True)
    names = {}
    for key, size, marks in [
        ("image", (1024, 768), False),
        ("display", (800, 600), False),
        ("thumbnail", (240, 180), False),
        ("annotated_image", (1024, 768), True),
        ("annotated_display", (800, 600), True),
    ]:
        name = f"bench/{key}-7f3a9c2e.png"
        (media / name).write_bytes(_png((255, 200, 0), size, marks))
        names[key] = name
    return names


def _ids(start: int, count: int) -> range:
    return range(start, start + count)


def seed(scale: Scale, rng: random.Random, log: Any = print) -> dict[str, int]:
    if Case.objects.exists():
        raise SystemExit("bench/seed.py fills an empty database only; this one holds cases.")
    started = time.perf_counter()
    now = timezone.now()
    counts: dict[str, int] = {}

    def step(label: str, n: int) -> None:
        counts[label] = n
        log(f"  {label:<22} {n:>9,}  ({time.perf_counter() - started:5.1f} s)")

    paragraphs = _paragraphs(rng, 300, 4)
    short = _paragraphs(rng, 200, 1)

    # Accounts: one password hash for everyone, computed once (hashing is the slow bit).
    User = get_user_model()
    password = make_password(BENCH_PASSWORD)
    first_user = (User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    resident_ids = list(_ids(first_user, scale.residents))
    faculty_ids = list(_ids(first_user + scale.residents, scale.faculty))
    director_id = first_user + scale.residents + scale.faculty
    users = [
        *((pk, f"bench-resident-{i + 1:04d}", False) for i, pk in enumerate(resident_ids)),
        *((pk, f"bench-faculty-{i + 1:02d}", True) for i, pk in enumerate(faculty_ids)),
        (director_id, "bench-director", True),
    ]
    step(
        "users",
        insert(
            User,
            ["id", "username", "password", "email", "is_staff", "is_active", "date_joined"],
            (
                (pk, name, password, f"{name}@example.org", staff, True, now)
                for pk, name, staff in users
            ),
        ),
    )
    groups = dict(Group.objects.values_list("name", "pk"))
    user_groups = [
        *((pk, groups[roles.RESIDENT]) for pk in resident_ids),
        *((pk, groups[roles.FACULTY]) for pk in faculty_ids),
        (director_id, groups[roles.DIRECTOR]),
        (faculty_ids[0], groups[roles.EDITOR]),
    ]
    insert(User.groups.through, ["user_id", "group_id"], user_groups)

    # Cases: most published, a few in the workflow.
    modalities = list(DicomModality.values)  # stored as DICOM codes (teachingfile.vocab)
    regions = list(Region.values)
    categories = list(Category.values)
    case_ids = list(_ids(1, scale.cases))
    statuses = {}

    def case_rows() -> Iterator[tuple[Any, ...]]:
        for pk in case_ids:
            roll = rng.random()
            status = "published" if roll < 0.95 else ("draft" if roll < 0.98 else "in_review")
            statuses[pk] = status
            mods = " ".join(rng.sample(modalities, rng.choice((1, 1, 2))))
            created = now - timedelta(days=rng.randint(30, 3000))
            yield (
                pk,
                f"tf-{pk:04d}",
                status,
                f"{rng.randint(18, 90)}-year-old with {rng.choice(_WORDS)} {rng.choice(_WORDS)}",
                paragraphs[pk % len(paragraphs)],
                rng.randint(18, 90),
                rng.choice("FMU"),
                mods,
                rng.choice(regions),
                rng.choice(categories),
                f"Known title {pk}: {rng.choice(_WORDS)} {rng.choice(_WORDS)}",
                paragraphs[(pk * 7) % len(paragraphs)],
                short[pk % len(short)],
                paragraphs[(pk * 3) % len(paragraphs)],
                f"Diagnosis {pk} {rng.choice(_WORDS)}",
                paragraphs[(pk * 5) % len(paragraphs)]
                + "\n\n"
                + paragraphs[(pk * 11) % len(paragraphs)],
                short[(pk * 3) % len(short)],
                faculty_ids[pk % len(faculty_ids)],
                created,
                created,
                created + timedelta(days=3) if status == "published" else None,
                1,
            )

    step(
        "cases",
        insert(
            Case,
            [
                "id", "public_id", "status", "unknown_title", "presentation", "patient_age",
                "patient_sex", "modalities", "region", "category", "known_title", "full_history",
                "technique", "findings", "diagnosis", "discussion", "teaching_points",
                "owner_id", "created_at", "updated_at", "published_at", "version",
            ],
            case_rows(),
        ),
    )  # fmt: skip
    keyword_names = sorted(set(_WORDS))
    insert(Keyword, ["id", "name"], ((i + 1, name) for i, name in enumerate(keyword_names)))
    insert(
        Case.keywords.through,
        ["case_id", "keyword_id"],
        ((pk, k) for pk in case_ids for k in rng.sample(range(1, len(keyword_names) + 1), 3)),
    )

    # Two questions per case: a single best answer (4 choices), then free text.
    question_rows, choice_rows, accepted_rows = [], [], []
    single_q: dict[int, int] = {}  # case -> question id
    free_q: dict[int, int] = {}
    correct_choice: dict[int, int] = {}  # question -> choice id
    wrong_choices: dict[int, list[int]] = {}
    choice_id = 0
    for pk in case_ids:
        q1, q2 = 2 * pk - 1, 2 * pk
        single_q[pk], free_q[pk] = q1, q2
        question_rows.append(
            (q1, pk, 1, "single", "What is the main abnormal finding?", short[pk % 200])
        )
        question_rows.append(
            (q2, pk, 2, "free_text", "What is your diagnosis?", short[(pk + 1) % 200])
        )
        right = rng.randrange(4)
        wrong_choices[q1] = []
        for order in range(4):
            choice_id += 1
            choice_rows.append(
                (choice_id, q1, order, f"Option {order + 1}: {rng.choice(_WORDS)}", order == right,
                 short[(pk + order) % 200])
            )  # fmt: skip
            if order == right:
                correct_choice[q1] = choice_id
            else:
                wrong_choices[q1].append(choice_id)
        accepted_rows.append((2 * pk - 1, q2, f"diagnosis {pk}", 1.0))
        accepted_rows.append((2 * pk, q2, f"diagnosis {pk} variant", 0.5))
    step(
        "questions",
        insert(
            Question, ["id", "case_id", "order", "kind", "prompt", "explanation"], question_rows
        ),
    )
    step(
        "choices",
        insert(
            Choice, ["id", "question_id", "order", "text", "is_correct", "rationale"], choice_rows
        ),
    )
    insert(AcceptedAnswer, ["id", "question_id", "text", "score"], accepted_rows)

    # Figures: one before the reveal, one after it with an annotated version.
    files = write_figure_files()

    def figure_rows() -> Iterator[tuple[Any, ...]]:
        for pk in case_ids:
            yield (
                2 * pk - 1,
                pk,
                0,
                "Fig. A",
                "question",
                "Axial image",
                "Image A",
                "",
                files["image"],
                files["display"],
                files["thumbnail"],
                1024,
                768,
                "PNG",
                "",
                "",
            )
            yield (2 * pk, pk, 1, "Fig. B", "reveal", "Follow-up image", "Image B", short[pk % 200],
                   files["image"], files["display"], files["thumbnail"], 1024, 768, "PNG",
                   files["annotated_image"], files["annotated_display"])  # fmt: skip

    step(
        "figures",
        insert(
            Figure,
            [
                "id", "case_id", "order", "label", "stage", "alt_text", "neutral_caption",
                "caption", "image", "display", "thumbnail", "width", "height", "source_format",
                "annotated_image", "annotated_display",
            ],
            figure_rows(),
        ),
    )  # fmt: skip
    insert(
        LabValue,
        ["case_id", "order", "name", "value", "unit", "reference_range", "shown_before_reveal"],
        (
            (pk, 0, "Calcium", f"{rng.uniform(2, 3.2):.2f}", "mmol/L", "2.1-2.6", True)
            for pk in case_ids
        ),
    )
    insert(
        DifferentialDiagnosis,
        ["case_id", "order", "diagnosis", "note"],
        (
            (pk, order, f"Differential {order + 1} {rng.choice(_WORDS)}", "")
            for pk in case_ids
            for order in range(3)
        ),
    )
    insert(
        Reference,
        ["case_id", "order", "citation", "doi"],
        (
            (pk, order, f"Author A, Author B. {_sentence(rng, 8)} J Radiol. 2020;{pk}:1-9.",
             f"10.0000/bench.{pk}.{order}")
            for pk in case_ids for order in range(2)
        ),
    )  # fmt: skip
    step(
        "ratings",
        insert(
            Rating,
            ["case_id", "rater_id", "difficulty", "quality", "note", "updated_at"],
            (
                (pk, rater, rng.randint(1, 5), rng.randint(1, 5), "", now)
                for pk in case_ids
                for rater in rng.sample(faculty_ids, min(2, len(faculty_ids)))
            ),
        ),
    )
    insert(
        Comment,
        ["case_id", "author_id", "body", "created_at", "hidden"],
        ((pk, rng.choice(faculty_ids), short[pk % 200], now, False) for pk in case_ids[::3]),
    )

    # One program, cohorts of 30 residents, the director over all of them.
    insert(Program, ["id", "name"], [(1, "Bench residency program")])
    insert(Program.directors.through, ["program_id", "user_id"], [(1, director_id)])
    cohort_count = max(1, -(-scale.residents // scale.cohort_size))
    insert(Cohort, ["id", "program_id", "name", "academic_year"],
           ((c + 1, 1, f"Cohort {c + 1}", "2026-2027") for c in range(cohort_count)))  # fmt: skip
    cohort_of = {pk: 1 + i // scale.cohort_size for i, pk in enumerate(resident_ids)}
    insert(
        Membership,
        ["cohort_id", "resident_id", "training_year"],
        ((cohort_of[pk], pk, 1 + (cohort_of[pk] - 1) % 5) for pk in resident_ids),
    )

    # Quizzes of published cases; the first ten are assigned to every cohort.
    published = [pk for pk in case_ids if statuses[pk] == "published"]
    quiz_cases: dict[int, list[int]] = {}
    for q in range(1, scale.quizzes + 1):
        quiz_cases[q] = rng.sample(published, CASES_PER_QUIZ)
    insert(
        Quiz,
        ["id", "title", "description", "mode", "is_open", "created_by_id", "created_at"],
        (
            (q, f"Bench quiz {q:03d}", "", "exam" if q % 5 == 0 else "practice", q > 10,
             faculty_ids[q % len(faculty_ids)], now - timedelta(days=400))
            for q in quiz_cases
        ),
    )  # fmt: skip
    insert(
        QuizItem,
        ["quiz_id", "case_id", "order"],
        ((q, pk, order) for q, pks in quiz_cases.items() for order, pk in enumerate(pks)),
    )
    assigned = [q for q in quiz_cases if q <= 10]
    insert(
        Assignment,
        ["quiz_id", "cohort_id", "due_at", "assigned_by_id", "assigned_at"],
        (
            (q, c, now + timedelta(days=7 * q - 30), director_id, now - timedelta(days=60))
            for q in assigned
            for c in range(1, cohort_count + 1)
        ),
    )

    # Attempts and responses: each attempt answers both questions of every quiz case.
    per_attempt = 2 * CASES_PER_QUIZ
    attempts_per_resident = max(1, scale.responses // per_attempt // scale.residents)
    attempt_rows: list[tuple[Any, ...]] = []
    response_rows: list[tuple[Any, ...]] = []
    response_choice_rows: list[tuple[int, int]] = []
    skill = {pk: rng.uniform(0.35, 0.9) for pk in resident_ids}
    attempt_id = response_id = 0
    quiz_ids = list(quiz_cases)

    def answer_rows() -> None:
        nonlocal attempt_id, response_id
        for user in resident_ids:
            seen: set[int] = set()
            for n in range(attempts_per_resident):
                attempt_id += 1
                quiz = quiz_ids[n % len(quiz_ids)] if n < len(assigned) else rng.choice(quiz_ids)
                started = now - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 600))
                scores = []
                for pk in quiz_cases[quiz]:
                    for question in (single_q[pk], free_q[pk]):
                        response_id += 1
                        right = rng.random() < skill[user]
                        if question == single_q[pk]:
                            choice = (
                                correct_choice[question]
                                if right
                                else rng.choice(wrong_choices[question])
                            )
                            response_choice_rows.append((response_id, choice))
                            text, judgement = "", ""
                        else:
                            text = f"diagnosis {pk}" if right else rng.choice(_WORDS)
                            judgement = (
                                "Matches an accepted answer."
                                if right
                                else "No accepted answer matched."
                            )
                        score = 1.0 if right else 0.0
                        scores.append(score)
                        answered = started + timedelta(seconds=30 * len(scores))
                        response_rows.append(
                            (response_id, attempt_id, question, user, pk, text, score, "auto",
                             judgement, question not in seen, False,
                             answered - timedelta(seconds=25), answered,
                             rng.randint(5_000, 90_000))
                        )  # fmt: skip
                        seen.add(question)
                attempt_rows.append(
                    (attempt_id, user, "quiz", quiz, started, None,
                     started + timedelta(minutes=12), sum(scores) / len(scores))
                )  # fmt: skip

    answer_rows()
    step(
        "attempts",
        insert(
            Attempt,
            ["id", "user_id", "kind", "quiz_id", "started_at", "deadline", "finished_at", "score"],
            attempt_rows,
        ),
    )
    step(
        "responses",
        insert(
            Response,
            [
                "id", "attempt_id", "question_id", "user_id", "case_id", "answer_text", "score",
                "method", "judgement", "is_first_attempt", "is_late", "shown_at", "answered_at",
                "time_spent_ms",
            ],
            response_rows,
        ),
    )  # fmt: skip
    insert(Response.choices.through, ["response_id", "choice_id"], response_choice_rows)
    # A review queue for every resident: a few of the questions they missed.
    missed: dict[tuple[int, int], datetime] = {}
    for row in response_rows:
        if row[6] == 0.0 and len(missed) < scale.residents * 40:
            missed.setdefault((row[3], row[2]), row[12])
    step(
        "review cards",
        insert(
            ReviewCard,
            ["user_id", "question_id", "due", "state", "reviews", "lapses", "last_reviewed_at"],
            (
                (user, question, now + timedelta(days=rng.randint(-5, 20)), {}, 1, 1, at)
                for (user, question), at in missed.items()
            ),
        ),
    )
    _reset_sequences()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    log(f"  seeded in {time.perf_counter() - started:.1f} s")
    return counts


def _reset_sequences() -> None:
    """PostgreSQL keeps its own id counters; move them past the ids chosen here."""
    from django.apps import apps

    statements = connection.ops.sequence_reset_sql(
        no_style(), apps.get_models(include_auto_created=True)
    )
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default=os.environ.get("SCALE", "full"), choices=sorted(SCALES))
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    target = f"{connection.vendor} {connection.settings_dict['NAME']}"
    print(
        f"Seeding {scale.name}: {scale.cases:,} cases, {scale.residents} residents, "
        f"~{scale.responses:,} responses into {target}"
    )
    seed(scale, random.Random(args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
