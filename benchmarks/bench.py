"""The benchmark behind ``manage.py bench``: the query set (``benchmarks.queries``) through the real
Django views against the raw-SQL floor, plus the importer's papers/s.

Modes: the default disables the page cache (``PAGE_CACHE_SECONDS=0``: every request runs the view) and
keeps the facet cache as configured (warm after the warm-up request); ``cold`` also sets
``FACET_CACHE_SECONDS=0`` (every facet count computed); ``cached`` keeps the page cache on (what every
reader after the first gets).

The import benchmark times ``import_digest(..., dry_run=True)`` on a synthetic arxiv.jp digest
(``benchmarks.synthetic_digest``): the real importer, rolled back. Nothing is written; only sequences
advance (ids, and the catalogue version, which makes cached pages and facets recompute once), as with any
rolled-back transaction. It runs after the queries for that reason.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client, override_settings

from benchmarks.queries import (
    PERCENTILE_METHOD,
    BenchFailure,
    BenchQuery,
    Picks,
    QueryResult,
    floor_connection,
    measure_query,
    pick_values,
    query_set,
)
from benchmarks.synthetic_digest import large_digest
from papers.ingest.importer import CREATED, import_digest
from papers.models import Paper

DEFAULT_RUNS = 30
DEFAULT_IMPORT_PAPERS = 5000
MODES = ("default", "cold", "cached")
# Synthetic import papers are numbered from here: arXiv ids of 2030, clear of any real or generated
# paper, so the importer creates every one (the expensive path) instead of matching existing ones.
IMPORT_FIRST_ID = 12_000_000

Progress = Callable[[str], None]


def measure_import(papers: int, seed: int, progress: Progress) -> dict[str, Any]:
    """The real importer on a synthetic digest of ``papers`` new papers, rolled back (dry run)."""
    data, name = large_digest(papers, seed=seed, first_id=IMPORT_FIRST_ID)
    # The upload limit guards the web; the benchmark measures the importer on whatever size was asked.
    limit = max(settings.DIGEST_MAX_FILE_BYTES, len(data))
    progress(f"import: {papers:,} papers, {len(data) / 2**20:.1f} MiB, dry run …")
    with override_settings(DIGEST_MAX_FILE_BYTES=limit):
        started = time.perf_counter()
        result = import_digest(data, name, dry_run=True)
        seconds = time.perf_counter() - started
    if not result.ok:
        raise BenchFailure(f"import of {name} failed: {'; '.join(result.errors)}")
    listed = sum(1 for outcome in result.papers if not outcome.related)
    return {
        "papers": listed,
        "created": result.count(CREATED),
        "bytes": len(data),
        "seconds": round(seconds, 2),
        "papers_per_s": round(listed / seconds, 1),
    }


@contextmanager
def bench_settings(mode: str) -> Iterator[None]:
    overrides: dict[str, Any] = {"ALLOWED_HOSTS": [*settings.ALLOWED_HOSTS, "testserver"]}
    if mode != "cached":
        overrides["PAGE_CACHE_SECONDS"] = 0
    if mode == "cold":
        overrides["FACET_CACHE_SECONDS"] = 0
    if not _static_manifest_present():
        # Without `collectstatic` the manifest storage cannot name static files; the plain storage does
        # the same work per {% static %} minus one dict lookup.
        overrides["STORAGES"] = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    with override_settings(**overrides):
        yield


def _static_manifest_present() -> bool:
    backend = settings.STORAGES.get("staticfiles", {}).get("BACKEND", "")
    if "Manifest" not in backend:
        return True
    return (Path(settings.STATIC_ROOT) / "staticfiles.json").is_file()


def run_bench(
    *,
    runs: int = DEFAULT_RUNS,
    only: list[str] | None = None,
    mode: str = "default",
    import_papers: int = DEFAULT_IMPORT_PAPERS,
    seed: int = 1,
    with_explain: bool = False,
    progress: Progress = lambda message: None,
    queries: Callable[[Picks], list[BenchQuery]] | None = None,
) -> dict[str, Any]:
    """Run the benchmark; the report in the shape ``--json`` prints. Raises BenchFailure."""
    if runs < 2:
        raise BenchFailure("runs must be at least 2 (percentiles need two samples)")
    if mode not in MODES:
        raise BenchFailure(f"mode must be one of {', '.join(MODES)}")
    progress("picking query values from the database …")
    picks = pick_values()
    chosen = (queries or query_set)(picks)
    if only:
        known = {query.name for query in chosen}
        unknown = [name for name in only if name not in known]
        if unknown:
            raise BenchFailure(f"unknown query {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        chosen = [query for query in chosen if query.name in only]

    # whitenoise warns once that STATIC_ROOT is empty (no collectstatic): irrelevant to the timings.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    results: list[QueryResult] = []
    raw = floor_connection()
    try:
        with bench_settings(mode):
            client = Client(headers={"accept-language": "en"})
            for query in chosen:
                progress(f"{query.name}: {query.url}")
                result = measure_query(client, raw, query, runs, mode=mode, with_explain=with_explain)
                progress(
                    f"  p50 {result.p50_ms:.1f} ms, p95 {result.p95_ms:.1f} ms,"
                    f" floor p95 {result.floor_p95_ms:.1f} ms, {result.statements} statements"
                )
                results.append(result)
    finally:
        raw.close()

    imported = measure_import(import_papers, seed, progress) if import_papers > 0 else None
    return {
        "papers": Paper.objects.count(),
        "database": connection.settings_dict["NAME"],
        "mode": mode,
        "runs": runs,
        "percentiles": PERCENTILE_METHOD,
        "picks": asdict(picks),
        "queries": [result.as_json() for result in results],
        "import_papers_per_s": imported["papers_per_s"] if imported else None,
        "import": imported,
    }


# -- output ---------------------------------------------------------------------------------------------


def format_table(report: dict[str, Any]) -> str:
    header = ("query", "p50 ms", "p95 ms", "floor p95", "ratio", "SQL", "targets")
    rows = [header]
    for query in report["queries"]:
        ratio = "-" if query["ratio"] is None else f"{query['ratio']:.2f}"
        targets = " ".join(f"{name} {'PASS' if ok else 'MISS'}" for name, ok in query["targets"].items())
        statements = f"{query['statements']}{'*' if query['statements_varied'] else ''}"
        rows.append(
            (
                query["name"],
                f"{query['p50_ms']:.1f}",
                f"{query['p95_ms']:.1f}",
                f"{query['floor_p95_ms']:.1f}",
                ratio,
                statements,
                targets,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = [
        f"{report['papers']:,} papers in {report['database']}, mode {report['mode']}, "
        f"{report['runs']} runs per query; percentiles: {report['percentiles']}",
        "",
    ]
    for row in rows:
        cells = [
            cell.ljust(width) if column in (0, 6) else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    if any(query["statements_varied"] for query in report["queries"]):
        lines.append("* some timed runs executed a different number of statements than the captured one")
    imported = report["import"]
    lines.append("")
    if imported:
        lines.append(
            f"import (dry run): {imported['papers']:,} papers in {imported['seconds']:.1f} s = "
            f"{imported['papers_per_s']:,.0f} papers/s (target >= 2,000: "
            f"{'PASS' if imported['papers_per_s'] >= 2000 else 'MISS'})"
        )
    else:
        lines.append("import: not measured")
    for query in report["queries"]:
        if query.get("explain"):
            lines += [
                "",
                f"-- {query['name']}: its slowest statement and EXPLAIN (ANALYZE, BUFFERS)",
                query["slowest_statement"],
                query["explain"],
            ]
    return "\n".join(lines)
