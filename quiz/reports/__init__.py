"""Read-only statistics for directors and faculty, one job per module.

- `cohort`: who may see whom, and the cohort table (one row per resident);
- `resident`: one resident by topic, by week and answer by answer;
- `statistics`: item statistics over the responses of chosen attempts;
- `csv_export`: the CSV writer every export uses;
- `charts`: SVG geometry for the server-rendered charts.

Writes (cohort members, assignments, grading) live elsewhere: `quiz.cohort_services` and
`quiz.services`.
"""
