"""Time the cohort table and the item analysis on the seeded bench data.

    VAR_DIR=/tmp/bench DEBUG=1 .venv/bin/python manage.py migrate
    VAR_DIR=/tmp/bench DEBUG=1 .venv/bin/python manage.py seed_reports
    VAR_DIR=/tmp/bench .venv/bin/python bench/reports.py [--repeat 15]

Each page is rendered through the real view, template and database (RequestFactory, no
HTTP), as the bench director; the median of the repeats is what counts (target 300 ms).
Writes var/bench/reports.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teachingfile.settings")
os.environ.setdefault("DEBUG", "1")  # local settings; queries are not logged below

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django_htmx.middleware import HtmxDetails  # noqa: E402

from quiz import report_views  # noqa: E402
from quiz.models import Response  # noqa: E402
from teachingfile.http import HtmxHttpRequest  # noqa: E402

PAGES = {
    "cohort_table": (report_views.reports_home, "/reports/", {}),
    "cohort_table_filtered": (report_views.reports_home, "/reports/", {"year": "2"}),
    "item_analysis": (report_views.item_analysis, "/reports/items/", {}),
    "item_analysis_page_40": (report_views.item_analysis, "/reports/items/", {"page": "40"}),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    director = get_user_model().objects.get(username="bench-director")
    factory = RequestFactory()
    responses = Response.objects.count()
    results: dict[str, dict[str, float | int]] = {}
    for name, (view, path, params) in PAGES.items():
        timings = []
        cpu = []
        for i in range(args.repeat + 1):
            request = cast(HtmxHttpRequest, factory.get(path, params))
            request.user = director
            request.htmx = HtmxDetails(request)  # as HtmxMiddleware does
            start, start_cpu = time.perf_counter(), time.process_time()
            response = view(request)
            elapsed = (time.perf_counter() - start) * 1000
            cpu_ms = (time.process_time() - start_cpu) * 1000
            assert response.status_code == 200, (name, response.status_code)
            if i:  # the first render warms caches and is not counted
                timings.append(elapsed)
                cpu.append(cpu_ms)
        results[name] = {
            "median_ms": round(statistics.median(timings), 1),
            "min_ms": round(min(timings), 1),
            "max_ms": round(max(timings), 1),
            # CPU time of this process (view, template and, on SQLite, the query engine):
            # on a shared, busy machine it shows the work done, apart from time waiting for
            # a core. On PostgreSQL the server's share is not in it.
            "median_cpu_ms": round(statistics.median(cpu), 1),
            "repeats": len(timings),
            "bytes": len(response.content),
        }
        print(
            f"{name:24} median {results[name]['median_ms']:8.1f} ms"
            f"  (min {results[name]['min_ms']}, max {results[name]['max_ms']};"
            f" process CPU median {results[name]['median_cpu_ms']} ms)"
        )
    report = {
        "database": connection.vendor,
        "responses": responses,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "target_ms": 300,
        "pages": results,
    }
    out = Path(settings.BASE_DIR) / "var" / "bench" / "reports.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
