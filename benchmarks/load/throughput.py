"""Reader load on loopback with wrk: gunicorn paper pages, faceted search, browsing and a mixed workload.

Serves DATABASE_URL (default: the 1M-paper corpus ``digest_bench`` on the embedded PostgreSQL 18) with
gunicorn on 127.0.0.1 and production settings, samples realistic URLs from that database, runs wrk for
each scenario while sampling the RSS of every gunicorn worker, prints a table with the issue-6 targets
(paper page >= 400 req/s, faceted search >= 100 req/s, 0 errors, worker RSS <= 300 MB) and optionally
writes JSON. The database is only read: every server connection runs with
``default_transaction_read_only=on``. Every phase is bounded in time.

Scenarios (each --duration seconds with --connections connections, after priming its URLs (random
papers only with --prime-papers) and --warmup seconds of load, neither counted; the page-cache hit rate
and the workers' CPU per request are reported too):
  paper    paper pages of --papers random papers (default 2,000)
  search   faceted search: a query + 2 facet filters (all facet counts are computed), 20 fixed combinations
  browse   first list pages with one facet selected
  mixed    paper 60 %, search 25 %, browse 10 %, digest pages and feeds 5 %

    .venv/bin/python -m benchmarks.load.throughput                    # all scenarios on digest_bench
    DATABASE_URL=postgres://…/digest_bench100k .venv/bin/python -m benchmarks.load.throughput \
        --scenario paper,search
    .venv/bin/python -m benchmarks.load.throughput --workers 4 --threads 1 --json var/load.json  # sync x4

The default server is gunicorn --workers 2 --worker-class gthread --threads 4, the best of the shapes
measured on this 2-core machine (sync x2, sync x4, gthread 2x4 and 3x4 on the 100k corpus): keep-alive
spares a TCP connection per request (sync workers close every one: about 1 ms more worker CPU per
cached page), a thread waiting on PostgreSQL leaves the core to another, and the 4 threads of a process
share its local-memory cache, so more requests hit than with 4 sync processes; 2 processes also keep
memory low.

Needs wrk (Debian/Ubuntu: ``apt-get install -y wrk``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

from benchmarks.load.common import HOST, ROOT, logger, machine
from benchmarks.load.server import Server, WorkerSampler, server_env
from benchmarks.load.url_sample import sample_urls, search_terms
from benchmarks.load.wrk import lua_script, prime, run_wrk, summarise

# The 1M-paper corpus (manage.py generate_corpus) on the embedded PostgreSQL 18 of this checkout.
DEFAULT_DATABASE_URL = f"postgres://postgres@{quote(str(ROOT / 'var' / 'pgdata'), safe='')}:5432/digest_bench"
SCENARIOS = ["paper", "search", "browse", "mixed"]
TARGET_RPS = {"paper": 400.0, "search": 100.0}
TARGET_RSS_MB = 300.0

log = logger("load")


def redacted(database_url: str) -> str:
    parts = urlsplit(database_url)
    if parts.password is None:
        return database_url
    return urlunsplit(parts._replace(netloc=re.sub(r":[^:@]*@", ":***@", parts.netloc, count=1)))


# ------------------------------------------------------------------------------------------ reporting


def evaluate_targets(scenarios: dict[str, dict]) -> list[dict]:
    targets = [
        {
            "name": f"{name} >= {TARGET_RPS[name]:g} req/s",
            "measured": scenarios[name]["rps"],
            "passed": scenarios[name]["rps"] >= TARGET_RPS[name],
        }
        for name in TARGET_RPS
        if name in scenarios
    ]
    targets.append(
        {
            # a scenario where no request completed (a stalled server) cannot pass either
            "name": "0 errors",
            "measured": sum(row["errors"] for row in scenarios.values()),
            "passed": all(row["errors"] == 0 and row["requests"] > 0 for row in scenarios.values()),
        }
    )
    peak = max(row["max_worker_rss_mb"] for row in scenarios.values())
    targets.append(
        {"name": f"worker RSS <= {TARGET_RSS_MB:g} MB", "measured": peak, "passed": peak <= TARGET_RSS_MB}
    )
    return targets


def verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"


def print_table(scenarios: dict[str, dict], targets: list[dict]) -> None:
    header = ["scenario", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "cache hits"]
    header += ["CPU ms/req", "max RSS MB", "target"]
    rows = []
    for name, row in scenarios.items():
        target = ""
        if name in TARGET_RPS:
            target = f">= {TARGET_RPS[name]:g} req/s {verdict(row['rps'] >= TARGET_RPS[name])}"
        rss = f"{row['max_worker_rss_mb']:.1f} {verdict(row['max_worker_rss_mb'] <= TARGET_RSS_MB)}"
        cells = [row["requests"], f"{row['rps']:.1f}", row["p50_ms"], row["p95_ms"], row["p99_ms"]]
        cells += [row["errors"], f"{row['page_cache_hit_percent']:.0f} %", row["worker_cpu_ms_per_request"]]
        cells += [rss, target]
        rows.append([name, *map(str, cells)])
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    print()
    for line in [header, *rows]:
        cells = [cell.rjust(width) for cell, width in zip(line, widths, strict=True)]
        cells[0], cells[-1] = line[0].ljust(widths[0]), line[-1]
        print("  ".join(cells).rstrip())
    print()
    for target in targets:
        print(f"  {verdict(target['passed'])}  {target['name']}: {target['measured']}")


def git_commit() -> dict:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        )
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short=12", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


# ----------------------------------------------------------------------------------------------- main


def parse_scenarios(values: list[str] | None) -> list[str]:
    chosen = [name.strip() for value in values or SCENARIOS for name in value.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}"
        )
    return [name for name in SCENARIOS if name in chosen]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        help="the database to serve (default: $DATABASE_URL, else the 1M corpus digest_bench)",
    )
    parser.add_argument(
        "--scenario", action="append", metavar="NAME[,NAME]", help=f"{', '.join(SCENARIOS)} (default: all)"
    )
    parser.add_argument("--duration", type=int, default=20, help="seconds per scenario (default 20)")
    parser.add_argument(
        "--prime-seconds",
        type=int,
        default=300,
        help="before each scenario, request each of its URLs in each language once per worker (a shared "
        "Redis cache: once), for at most this long (default 300; 0: no priming)",
    )
    parser.add_argument(
        "--prime-papers",
        action="store_true",
        help="prime the random paper pages too (default: only search, browse, digest and feed URLs)",
    )
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds of uncounted load before each scenario (default 3)"
    )
    parser.add_argument("--connections", type=int, default=16, help="open wrk connections (default 16)")
    parser.add_argument(
        "--wrk-threads", type=int, default=1, help="wrk threads (default 1: the CPUs go to the server)"
    )
    parser.add_argument("--papers", type=int, default=2000, help="random papers to request (default 2000)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--threads",
        type=int,
        default=4,
        help="threads per worker: 1 = sync workers, more = gthread (default 4)",
    )
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument(
        "--logs", default=str(ROOT / "var" / "load"), help="gunicorn logs go here (default var/load)"
    )
    args = parser.parse_args()
    try:
        args.scenarios = parse_scenarios(args.scenario)
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    if (
        min(args.duration, args.connections, args.papers, args.workers, args.threads) < 1
        or min(args.warmup, args.prime_seconds) < 0
    ):
        parser.error(
            "need --duration, --connections, --papers, --workers, --threads >= 1, "
            "--warmup, --prime-seconds >= 0"
        )
    return args


def run(args: argparse.Namespace, results: dict, workdir: Path) -> None:
    """Sample the URLs, start gunicorn, run every scenario, stop gunicorn; results go into ``results``."""
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    server = Server(server_env(args.database_url, workdir / "static"), logs, args.workers, args.threads)
    results["server"] = server.describe()
    started = time.monotonic()
    terms = search_terms()
    results["search_terms_from"] = "benchmarks.corpus.vocabulary.BENCH_TERMS"
    log(f"sampling URLs from {redacted(args.database_url)}")
    urls = sample_urls(args.database_url, terms, args.papers)
    results["papers"] = urls.papers_in_database
    results["urls"] = urls.counts()
    log(f"{urls.papers_in_database:,} papers, urls {urls.counts()} in {time.monotonic() - started:.1f} s")
    if not urls.paper:
        raise RuntimeError("the database has no published paper to request")
    log("collectstatic into a temporary STATIC_ROOT")
    server.collectstatic()
    log(f"starting {server.describe()} on {HOST}")
    primed_paths: set[tuple[str, str]] = set()
    try:
        server.start()
        for scenario in args.scenarios:
            groups = urls.groups(scenario)
            script = workdir / f"{scenario}.lua"
            script.write_text(
                lua_script([(weight, paths) for _kind, weight, paths in groups]), encoding="ascii"
            )
            # Random papers of the corpus are not primed unless asked: their pages are measured as a
            # reader wandering through the catalogue meets them (the run itself caches what repeats).
            to_prime = [
                path
                for kind, _weight, paths in groups
                if kind != "paper" or args.prime_papers
                for path in paths
            ]
            if args.prime_seconds and to_prime:
                passes = 1 if server.env.get("REDIS_URL", "").strip() else args.workers
                # Cold pages of a large corpus are heavy queries: a few at a time fill the cache sooner
                # than --connections of them competing for 2 cores.
                concurrency = min(args.connections, 2 * (os.cpu_count() or 1))
                primed = prime(server.port, to_prime, passes, concurrency, args.prime_seconds, primed_paths)
                log(f"{scenario}: primed {primed['requests']}/{primed['planned']} in {primed['seconds']} s")
                for failure in primed["failed"]:
                    log(f"warning: {scenario}: {failure}")
                results.setdefault("primed", {})[scenario] = primed
            if args.warmup:
                run_wrk(script, server.port, args.connections, args.wrk_threads, args.warmup)
            log(f"{scenario}: {args.connections} connections for {args.duration} s")
            with WorkerSampler(server) as sampler:
                raw = run_wrk(script, server.port, args.connections, args.wrk_threads, args.duration)
            row = results["scenarios"][scenario] = summarise(raw, sampler)
            log(f"{scenario}: {row['rps']} req/s, p95 {row['p95_ms']} ms, {row['errors']} errors")
    finally:
        server.stop()


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        print(
            "error: wrk is not installed. Install it with:\n"
            "    sudo apt-get install -y wrk      (Debian, Ubuntu; as root: apt-get install -y wrk)\n"
            "    brew install wrk                 (macOS)",
            file=sys.stderr,
        )
        return 2
    load_average = os.getloadavg()[0]
    results: dict = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **git_commit(),
        "machine": {**machine(), "load_average_before": round(load_average, 2)},
        "database": redacted(args.database_url),
        "wrk": {"connections": args.connections, "threads": min(args.wrk_threads, args.connections)},
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "prime_s": args.prime_seconds,
        "prime_papers": args.prime_papers,
        "cache": "redis" if os.environ.get("REDIS_URL", "").strip() else "local memory (per worker)",
        "scenarios": {},
    }
    if load_average > 0.5:
        log(f"warning: load average {load_average:.2f} before the run: other processes use the CPUs")
    try:
        with tempfile.TemporaryDirectory(prefix="load-") as tmp:
            run(args, results, Path(tmp))
    except (RuntimeError, OSError, psycopg.Error, subprocess.SubprocessError) as error:
        detail = getattr(error, "stderr", None)
        log(f"error: {error}" + (f"\n{detail.decode(errors='replace')}" if isinstance(detail, bytes) else ""))
        return 2
    results["targets"] = evaluate_targets(results["scenarios"])
    results["errors"] = sum(row["errors"] for row in results["scenarios"].values())
    note = " (uncommitted changes in the tree)" if results["dirty"] else ""
    print(f"\n{results['server']}, {results['papers']:,} papers, commit {results['commit']}{note}")
    print_table(results["scenarios"], results["targets"])
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        log(f"wrote {args.json}")
    completed = all(row["requests"] > 0 for row in results["scenarios"].values())
    return 0 if results["errors"] == 0 and completed else 1


if __name__ == "__main__":
    sys.exit(main())
