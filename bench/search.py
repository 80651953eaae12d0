"""Benchmark search and import: 10,000 cases, search p50, 1,000 imported write-ups.

Runs in a throwaway test database on whatever engine DATABASE_URL names (SQLite by
default; PostgreSQL when it points there), so the real database is never touched.

    .venv/bin/python bench/search.py                 # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/teachingfile .venv/bin/python bench/search.py

Targets (issue 6): search p50 <= 30 ms over 10,000 cases; 1,000 imports <= 60 s.
Results are printed and merged into var/bench/search.json under the engine's name.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teachingfile.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

CASES = int(os.environ.get("BENCH_CASES", "10000"))
IMPORTS = int(os.environ.get("BENCH_IMPORTS", "1000"))
REPEAT = 5
QUERIES = [
    "pain",
    "back pain",
    "calcification",
    "renal failure",
    "bone scan uptake",
    "breast lump",
    "osteosarcoma",
    "chest ct",
    "calc",
    "woman ulcer",
    "fracture spine",
    "xyzzy",
]
WORDS = (  # noqa: SIM905
    "pain swelling cough fever calcification uptake renal failure dialysis bone scan chest "
    "breast lump mass nodule fracture spine knee hip ankle ulcer lesion sclerosis lytic "
    "osteosarcoma metastasis effusion pneumonia embolism aneurysm stenosis haemorrhage "
    "infarct tumour cyst abscess hernia obstruction perforation calculus hydronephrosis "
    "cirrhosis steatosis lymphoma sarcoidosis tuberculosis gout arthritis myositis"
).split()
AGES = list(range(18, 90))


def _vocabulary() -> tuple[list[str], list[float]]:
    """Words with a Zipf-like frequency, as in real prose: a few common, most rare.

    Drawn from the seed write-ups when they are beside the repository (about 2,000
    distinct words), shuffled so that which words are common is left to chance.
    """
    import itertools
    import re

    seeds_dir = Path(settings.BASE_DIR).parent / "shared" / "seeds"
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt")))
    words = sorted(set(re.findall(r"[a-z]{3,}", text.lower())) | set(WORDS))
    words += [f"term{n}" for n in range(max(0, 3000 - len(words)))]
    random.Random(7).shuffle(words)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    return words, list(itertools.accumulate(weights))


VOCABULARY, CUMULATIVE = _vocabulary()


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(VOCABULARY, cum_weights=CUMULATIVE, k=n)) + "."


def seed_cases(count: int) -> tuple[float, float]:
    from teachingfile.models import Case, Keyword
    from teachingfile.search.services import reindex_all

    rng = random.Random(6)
    keywords = [Keyword.objects.create(name=word) for word in WORDS[:30]]
    started = time.perf_counter()
    batch = []
    for n in range(count):
        age = rng.choice(AGES)
        sex = rng.choice(["woman", "man"])
        batch.append(
            Case(
                public_id=f"tf-{n + 1:05d}",
                status=Case.Status.PUBLISHED if n % 10 else Case.Status.DRAFT,
                unknown_title=f"{age}-year-old {sex} with {rng.choice(WORDS)}",
                presentation=_text(rng, 40),
                patient_age=age,
                patient_sex="F" if sex == "woman" else "M",
                modalities=rng.choice(["CT", "DX", "MR", "NM CT", "US", "CR CT"]),
                region=rng.choice(["chest", "musculoskeletal", "abdomen", "breast", "spine"]),
                category=rng.choice(["neoplasm", "metabolic", "infection", "trauma"]),
                known_title=_text(rng, 5),
                diagnosis=_text(rng, 4),
                full_history=_text(rng, 80),
                findings=_text(rng, 80),
                discussion=_text(rng, 250),
            )
        )
        if len(batch) == 1000:
            Case.objects.bulk_create(batch)
            batch = []
    Case.objects.bulk_create(batch)
    through = Case.keywords.through
    through.objects.bulk_create(
        through(case_id=case_id, keyword_id=rng.choice(keywords).pk)
        for case_id in Case.objects.values_list("pk", flat=True)
    )
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    reindex_all()
    return seeded, time.perf_counter() - started


def make_users() -> tuple[Any, Any]:
    from quiz.models import Attempt, Response
    from teachingfile import roles
    from teachingfile.models import Case, Question
    from tests.factories import make_user

    roles.ensure_groups()
    resident = make_user("bench-resident", roles.RESIDENT)
    faculty = make_user("bench-faculty", roles.FACULTY)
    # The resident has answered 200 cases: their entitlement subquery has rows to read.
    for case in Case.objects.published()[:200]:
        question = Question.objects.create(case=case, prompt="Diagnosis?", kind="free_text")
        attempt = Attempt.objects.create(user=resident, case=case, kind=Attempt.Kind.CASE)
        Response.objects.create(attempt=attempt, question=question, user=resident, case=case)
    return resident, faculty


def time_search(users: tuple[Any, Any]) -> dict[str, object]:
    from teachingfile.search.query import SearchFilters, search_cases

    timings: list[float] = []
    # CPU time of this process: on a busy machine wall time mostly measures the wait for
    # a core. It covers the whole work on SQLite (in-process), only Python's on PostgreSQL.
    cpu_samples: list[float] = []
    per_query: dict[str, float] = {}
    totals: dict[str, int] = {}
    for query in QUERIES:
        samples = []
        for user in users:
            for filters in (SearchFilters(), SearchFilters(modality="CT", region="chest")):
                search_cases(query=query, user=user, filters=filters)  # warm
                for _ in range(REPEAT):
                    started, cpu = time.perf_counter(), time.process_time()
                    results = search_cases(query=query, user=user, filters=filters, limit=20)
                    samples.append((time.perf_counter() - started) * 1000)
                    cpu_samples.append((time.process_time() - cpu) * 1000)
                totals[query] = max(totals.get(query, 0), results.total)
        per_query[query] = round(statistics.median(samples), 2)
        timings += samples
    timings.sort()
    # The worst case: a word in most documents, so every match must be ranked.
    broad = []
    for user in users:
        for _ in range(REPEAT):
            started = time.perf_counter()
            broad_results = search_cases(query=VOCABULARY[0], user=user, limit=20)
            broad.append((time.perf_counter() - started) * 1000)
    return {
        "broad_query": {
            "query": VOCABULARY[0],
            "matches": broad_results.total,
            "p50_ms": round(statistics.median(broad), 2),
        },
        "p50_ms": round(statistics.median(timings), 2),
        "p50_cpu_ms": round(statistics.median(cpu_samples), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "max_ms": round(timings[-1], 2),
        "samples": len(timings),
        "per_query_p50_ms": per_query,
        "matches_per_query": totals,
    }


def write_ups(count: int) -> list[tuple[str, bytes]]:
    """Variations on the seed write-ups when they are beside the repository, else a template."""
    seeds_dir = Path(settings.BASE_DIR).parent / "shared" / "seeds"
    bases = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    if not bases:
        bases = [
            "## History\n\nA 50-year-old woman with {w}.\n\n## Findings\n\n{w}.\n\n"
            "## Diagnosis\n\n{w}\n\n## Discussion\n\n{w}.\n\n## References\n\n1. Ref {w}."
        ]
    rng = random.Random(1)
    out = []
    for n in range(count):
        base = bases[n % len(bases)]
        text = (
            base.replace("{w}", _text(rng, 6))
            + f"\n\nDiscussion\n\nVariant {n}: {_text(rng, 30)}\n"
        )
        out.append((f"write-up-{n:04d}.md", text.encode("utf-8")))
    return out


def time_imports(count: int) -> dict[str, object]:
    from teachingfile.importing.services import import_case_file

    files = write_ups(count)
    failed = 0
    started, cpu = time.perf_counter(), time.process_time()
    for name, data in files:
        failed += not import_case_file(data=data, filename=name).ok
    took = time.perf_counter() - started
    return {
        "files": count,
        "failed": failed,
        "seconds": round(took, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "target_seconds": 60,
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    engine = connection.vendor
    with tempfile.TemporaryDirectory() as media:
        settings.MEDIA_ROOT = media
        if engine == "sqlite":
            # An on-disk database, as in production, rather than the test runner's memory one.
            connection.settings_dict["TEST"]["NAME"] = str(Path(media) / "bench.sqlite3")
        else:
            # Its own name: never the test suite's database, which may be in use.
            connection.settings_dict["TEST"]["NAME"] = "teachingfile_bench_search"
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            seeded, indexed = seed_cases(CASES)
            users = make_users()
            search = time_search(users)
            imports = time_imports(IMPORTS)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    result = {
        "engine": engine,
        "cases": CASES,
        "seed_seconds": round(seeded, 2),
        "reindex_seconds": round(indexed, 2),
        "search": search,
        "search_target_p50_ms": 30,
        "import": imports,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "load_average_1min": os.getloadavg()[0],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))
    out = Path(settings.VAR_DIR) / "bench" / "search.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    merged = json.loads(out.read_text()) if out.exists() else {}
    merged[engine] = result
    out.write_text(json.dumps(merged, indent=2) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
