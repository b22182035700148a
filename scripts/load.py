#!/usr/bin/env python
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

    .venv/bin/python scripts/load.py                                  # all scenarios on digest_bench
    DATABASE_URL=postgres://…/digest_bench100k .venv/bin/python scripts/load.py --scenario paper,search
    .venv/bin/python scripts/load.py --workers 4 --threads 1 --json var/load.json     # 4 sync workers

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
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import psycopg

# scripts/ is sys.path[0] when this file runs: the reliability load test's helpers are shared.
from loadtest import GUNICORN, HOST, PYTHON, ROOT, fetch_once, free_port

# The 1M-paper corpus (manage.py generate_corpus) on the embedded PostgreSQL 18 of this checkout.
DEFAULT_DATABASE_URL = f"postgres://postgres@{quote(str(ROOT / 'var' / 'pgdata'), safe='')}:5432/digest_bench"
SCENARIOS = ["paper", "search", "browse", "mixed"]
MIXED_WEIGHTS = {"paper": 60, "search": 25, "browse": 10, "digest_feed": 5}
TARGET_RPS = {"paper": 400.0, "search": 100.0}
TARGET_RSS_MB = 300.0
DIGEST_SAMPLE = 200
SEARCH_COMBOS = 20
# When papers.corpus (the benchmark corpus generator) does not say which terms its vocabulary holds.
FALLBACK_TERMS = {"ja": ["強化学習"], "zh": ["扩散模型"], "ko": ["언어 모델"], "en": ["diffusion"]}
LANGUAGES = ["ja", "zh", "ko", "en"]
# What browsers send; Django picks the UI language (and the summary shown first) from it.
ACCEPT_LANGUAGES = ["en-US,en;q=0.9", "ja,en-US;q=0.8", "zh-CN,zh;q=0.9", "ko-KR,ko;q=0.9"]
SQL_TIMEOUT_MS = 120_000
REQUEST_TIMEOUT_S = 10  # a slower answer is an error
RSS_SAMPLE_SECONDS = 0.25


def log(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------ the URLs


@dataclass
class Urls:
    paper: list[str]
    search: list[str]
    browse: list[str]
    digest_feed: list[str]
    papers_in_database: int

    def counts(self) -> dict[str, int]:
        return {kind: len(getattr(self, kind)) for kind in ("paper", "search", "browse", "digest_feed")}

    def groups(self, scenario: str) -> list[tuple[str, int, list[str]]]:
        """(kind, weight, paths) for a scenario; wrk picks a group by weight, then a path at random."""
        if scenario == "mixed":
            return [
                (kind, weight, getattr(self, kind))
                for kind, weight in MIXED_WEIGHTS.items()
                if getattr(self, kind)
            ]
        return [(scenario, 1, getattr(self, scenario))]


def list_url(params: Iterable[tuple[str, str]], base: str = "/papers/") -> str:
    return base + "?" + urlencode(list(params))


def terms_by_language(value: object) -> dict[str, list[str]]:
    """papers.corpus.BENCH_TERMS ({language: term or [terms]}) as {language: [terms]}; a language it
    lacks keeps the fallback term."""
    terms: dict[str, list[str]] = {}
    for language, found in (value if isinstance(value, dict) else {}).items():
        terms[str(language)] = [found] if isinstance(found, str) else [str(term) for term in found]
    return {language: terms.get(language) or FALLBACK_TERMS[language] for language in LANGUAGES}


def bench_terms(env: dict[str, str]) -> tuple[dict[str, list[str]], str]:
    """The corpus generator's search terms when papers.corpus exists (it needs Django set up, so it is
    read in a child process with the server's settings), else the fallback terms."""
    code = (
        "import json, django; django.setup()\n"
        "try:\n    from papers.corpus import BENCH_TERMS\n"
        "except ImportError:\n    print('null')\n"
        "else:\n    print(json.dumps(BENCH_TERMS, ensure_ascii=False, default=list))\n"
    )
    try:
        done = subprocess.run(
            [str(PYTHON), "-c", code],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "digest.settings"},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        value = json.loads(done.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError) as error:
        log(f"could not read papers.corpus.BENCH_TERMS ({error}); using the fallback terms")
        return terms_by_language(None), "fallback"
    if value is None:
        return terms_by_language(None), "fallback (no papers.corpus)"
    return terms_by_language(value), "papers.corpus.BENCH_TERMS"


def read_only_connection(database_url: str) -> psycopg.Connection:
    return psycopg.connect(
        database_url,
        connect_timeout=10,
        options=f"-c default_transaction_read_only=on -c statement_timeout={SQL_TIMEOUT_MS}",
    )


def sample_urls(database_url: str, terms: dict[str, list[str]], paper_sample: int) -> Urls:
    """Realistic URLs from the database: random papers and digests, its most common categories, years
    and sources. Read-only; repeatable for one database (setseed)."""
    with read_only_connection(database_url) as connection:
        connection.execute("SELECT setseed(0.42)")
        papers = connection.execute("SELECT count(*) FROM papers_paper").fetchone()[0]
        keys = [
            row[0]
            for row in connection.execute(
                "SELECT coalesce(arxiv_id, slug) FROM papers_paper WHERE visibility = 'published' "
                "ORDER BY random() LIMIT %s",
                [paper_sample],
            )
        ]
        categories = [
            row[0]
            for row in connection.execute(
                "SELECT c.code FROM papers_paper_categories pc "
                "JOIN papers_category c ON c.id = pc.category_id "
                "GROUP BY c.code ORDER BY count(*) DESC, c.code LIMIT 6"
            )
        ]
        years = [
            str(row[0])
            for row in connection.execute(
                "SELECT extract(year FROM published)::int FROM papers_paper WHERE published IS NOT NULL "
                "GROUP BY 1 ORDER BY count(*) DESC, 1 DESC LIMIT 3"
            )
        ]
        sources = [row[0] for row in connection.execute("SELECT slug FROM papers_source ORDER BY id LIMIT 4")]
        digests = [
            row[0]
            for row in connection.execute(
                "SELECT id FROM papers_digest WHERE status = 'imported' ORDER BY random() LIMIT %s",
                [DIGEST_SAMPLE],
            )
        ]
    categories = categories or ["cs.LG"]
    years = years or [str(datetime.now(UTC).year)]

    search = []
    for number in range(SEARCH_COMBOS):
        language = LANGUAGES[number % len(LANGUAGES)]
        term = terms[language][(number // len(LANGUAGES)) % len(terms[language])]
        category, year = categories[number % len(categories)], years[number % len(years)]
        # The query's language is selected as a facet most of the time, as a reader of it would.
        filters = [
            [("language", language), ("category", category)],
            [("language", language), ("year", year)],
            [("category", category), ("year", year)],
        ][number % 3]
        search.append(list_url([("q", term), *filters]))

    browse = ["/papers/"]
    browse += [list_url([("category", code)]) for code in categories]
    browse += [list_url([("language", language)]) for language in LANGUAGES]
    browse += [list_url([("year", year)]) for year in years]
    browse += [list_url([("source", slug)]) for slug in sources]
    browse += [
        list_url([(name, value)]) for name, value in (("code", "yes"), ("score", "high"), ("digests", "2"))
    ]

    digest_feed = [f"/digests/{pk}/" for pk in digests]
    digest_feed += ["/papers/feed/atom/", "/papers/feed/rss/", "/papers/feed/atom/?language=ja"]
    digest_feed += [list_url([("category", categories[0])], base="/papers/feed/rss/")]
    return Urls(
        paper=[f"/papers/{quote(key, safe='/')}/" for key in keys],
        search=search,
        browse=browse,
        digest_feed=digest_feed,
        papers_in_database=papers,
    )


# ------------------------------------------------------------------------------------------ the server


def redacted(database_url: str) -> str:
    parts = urlsplit(database_url)
    if parts.password is None:
        return database_url
    return urlunsplit(parts._replace(netloc=re.sub(r":[^:@]*@", ":***@", parts.netloc, count=1)))


def server_env(database_url: str, static_root: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_ROOT": str(static_root),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        # libpq reads this for every connection Django opens: the server cannot write to the database.
        "PGOPTIONS": "-c default_transaction_read_only=on",
    }
    env.pop("DATABASE_REPLICA_URLS", None)
    return env


@dataclass
class Server:
    env: dict[str, str]
    logs: Path
    workers: int
    threads: int
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def worker_class(self) -> str:
        return "gthread" if self.threads > 1 else "sync"

    def describe(self) -> str:
        threads = f" --threads {self.threads}" if self.threads > 1 else ""
        return f"gunicorn --workers {self.workers} --worker-class {self.worker_class}{threads}"

    def collectstatic(self) -> None:
        """The production storage renders hashed static names from collectstatic's manifest."""
        subprocess.run(
            [str(PYTHON), "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
            timeout=300,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def start(self, timeout: float = 60) -> None:
        self.port = free_port()
        command = [
            *(str(GUNICORN), "digest.wsgi", "--bind", f"{HOST}:{self.port}"),
            *(
                "--workers",
                str(self.workers),
                "--worker-class",
                self.worker_class,
                "--threads",
                str(self.threads),
            ),
            *("--timeout", "60", "--graceful-timeout", "10", "--log-level", "warning"),
            *("--error-logfile", str(self.logs / "gunicorn.log")),
        ]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=(self.logs / "gunicorn-stderr.log").open("w"),
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited ({self.process.returncode}); see {self.logs}/gunicorn*.log"
                )
            try:
                status, body = fetch_once(self.port, "/healthz")
            except OSError:
                status, body = 0, b""
            if status == 200 and len(self.worker_pids()) >= self.workers:
                return
            if status == 503 and b"unapplied migrations" in body:
                raise RuntimeError(
                    f"/healthz: {body.decode()} - migrate the database first (this script only reads)"
                )
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer /healthz with 200 within {timeout:g} s; see {self.logs}")

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def children(parent: int) -> list[int]:
    """Process ids whose parent is ``parent`` (from /proc: psutil is not a dependency)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.append(int(entry.name))
    return sorted(found)


def rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match[1]) / 1024 if match else None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class WorkerSampler:
    """While a scenario runs: the largest RSS each gunicorn worker reaches (sampled every
    RSS_SAMPLE_SECONDS) and the CPU time the workers use. CPU per request does not depend on what else
    runs on the machine, unlike requests per second."""

    server: Server
    peak_mb: dict[int, float] = field(default_factory=dict)
    cpu_used: float = 0.0
    _cpu_start: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> WorkerSampler:
        self._cpu_start = {pid: cpu_seconds(pid) or 0.0 for pid in self.server.worker_pids()}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self._sample()
        for pid in self.server.worker_pids():
            self.cpu_used += (cpu_seconds(pid) or 0.0) - self._cpu_start.get(pid, 0.0)

    def _sample(self) -> None:
        for pid in self.server.worker_pids():
            value = rss_mb(pid)
            if value is not None:
                self.peak_mb[pid] = max(value, self.peak_mb.get(pid, 0.0))

    def _run(self) -> None:
        while not self._stop.wait(RSS_SAMPLE_SECONDS):
            self._sample()


# ------------------------------------------------------------------------------------------------ wrk

# wrk runs this in each of its threads: pick a group by weight, then a path from it at random, with a
# browser-like Accept-Language; count the responses the page cache served (X-Page-Cache: hit). done()
# prints the aggregate as one line of JSON for this script to read.
# wrk counts a timeout only when the late response arrives at last: a request still unanswered when the
# run ends is not counted at all, so a stalled server would show no errors. Each thread keeps the send
# times (seconds) of its requests in flight; matching every response to the oldest one leaves the newest
# possible set, so those of them older than the timeout at the end certainly never got an answer.
LUA_TEMPLATE = """
local groups = %(groups)s
local languages = %(languages)s
local timeout = %(timeout)d
local total = 0
for _, group in ipairs(groups) do total = total + group.weight end
local threads = {}
cache_hits = 0
in_flight = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  math.randomseed(%(seed)d + (id or 0) * 7919)
  -- wrk calls request() once more in its first thread to inspect it, without sending it.
  inspected = id ~= 1
end

function request()
  local pick = math.random() * total
  local paths = groups[#groups].paths
  for _, group in ipairs(groups) do
    if pick < group.weight then paths = group.paths break end
    pick = pick - group.weight
  end
  local path = paths[math.random(#paths)]
  if inspected then table.insert(in_flight, os.time()) end
  inspected = true
  return wrk.format("GET", path, {["Accept-Language"] = languages[math.random(#languages)]})
end

function response(status, headers, body)
  table.remove(in_flight, 1)
  if headers["X-Page-Cache"] == "hit" then cache_hits = cache_hits + 1 end
end

function done(summary, latency, requests)
  local e = summary.errors
  local hits, stalled, now = 0, 0, os.time()
  for _, thread in ipairs(threads) do
    hits = hits + thread:get("cache_hits")
    for _, sent in ipairs(thread:get("in_flight")) do
      if now - sent > timeout then stalled = stalled + 1 end
    end
  end
  io.write(string.format(
    'WRK_RESULT {"requests": %%d, "duration_us": %%d, "bytes": %%d, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "timeout": %%d, "status": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, ' ..
    '"max_us": %%d, "mean_us": %%d, "cache_hits": %%d, "stalled": %%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean, hits,
    stalled))
end
"""


def lua_string(text: str) -> str:
    if not text.isascii() or '"' in text or "\\" in text:
        raise ValueError(f"not a plain ASCII path: {text!r}")
    return f'"{text}"'


def lua_script(groups: list[tuple[int, list[str]]], seed: int = 1) -> str:
    tables = ", ".join(
        f"{{weight = {weight}, paths = {{{', '.join(lua_string(path) for path in paths)}}}}}"
        for weight, paths in groups
    )
    languages = ", ".join(lua_string(value) for value in ACCEPT_LANGUAGES)
    return LUA_TEMPLATE % {
        "groups": f"{{{tables}}}",
        "languages": f"{{{languages}}}",
        "seed": seed,
        "timeout": REQUEST_TIMEOUT_S,
    }


def run_wrk(script: Path, port: int, connections: int, threads: int, seconds: int) -> dict:
    command = [
        "wrk",
        *("--threads", str(min(threads, connections)), "--connections", str(connections)),
        *("--duration", f"{seconds}s", "--timeout", f"{REQUEST_TIMEOUT_S}s", "--script", str(script)),
        f"http://{HOST}:{port}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            return json.loads(line.removeprefix("WRK_RESULT "))
    raise RuntimeError(
        f"wrk gave no result (exit {done.returncode}): {done.stdout[-500:]} {done.stderr[-500:]}"
    )


def summarise(raw: dict, sampler: WorkerSampler) -> dict:
    seconds = raw["duration_us"] / 1e6
    requests = raw["requests"]
    errors = {name: raw[name] for name in ("connect", "read", "write", "timeout", "stalled", "status")}
    return {
        "requests": requests,
        "seconds": round(seconds, 2),
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p95_ms": round(raw["p95_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "mean_ms": round(raw["mean_us"] / 1000, 1),
        "errors": sum(errors.values()),
        # status: responses >= 400; timeout: answered after REQUEST_TIMEOUT_S; stalled: never answered
        # (after that long); the others are socket errors
        "errors_by_kind": errors,
        "kib_per_request": round(raw["bytes"] / max(requests, 1) / 1024, 1),
        "page_cache_hit_percent": round(100 * raw["cache_hits"] / max(requests, 1), 1),
        "worker_cpu_ms_per_request": round(sampler.cpu_used * 1000 / max(requests, 1), 2),
        "max_worker_rss_mb": round(max(sampler.peak_mb.values(), default=0.0), 1),
        "worker_rss_mb": {str(pid): round(value, 1) for pid, value in sorted(sampler.peak_mb.items())},
    }


def get(port: int, path: str, accept_language: str) -> int:
    """One request on a new connection: the status, 0 for a socket error or timeout."""
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request("GET", path, headers={"Accept-Language": accept_language})
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        connection.close()


def prime(port: int, paths: list[str], passes: int, connections: int, seconds: float, done: set) -> dict:
    """Request every path in every Accept-Language ``passes`` times (per-process caches need one pass per
    gunicorn worker to reach most of them), skipping what an earlier scenario primed, for at most
    ``seconds``. Returns what it did; failed requests are named."""
    # Language by language: requests running side by side are different pages, so that one page's
    # facet counts (cached for every language) are not computed by several of them at once.
    todo = [
        (path, language)
        for language in ACCEPT_LANGUAGES
        for path in dict.fromkeys(paths)
        if (path, language) not in done
    ]
    started = time.monotonic()
    deadline = started + seconds

    def request(item: tuple[str, str]) -> tuple[tuple[str, str], int] | None:
        return (item, get(port, *item)) if time.monotonic() < deadline else None

    with ThreadPoolExecutor(max_workers=connections) as pool:
        answers = [answer for answer in pool.map(request, todo * passes) if answer is not None]
    done.update(item for item, status in answers if 0 < status < 400)
    failed = sorted(
        {
            f"{path} ({language}): {status or 'no answer'}"
            for (path, language), status in answers
            if not 0 < status < 400
        }
    )
    return {
        "requests": len(answers),
        "planned": len(todo) * passes,
        "seconds": round(time.monotonic() - started, 1),
        "failed": failed[:10],
    }


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
    terms, results["search_terms_from"] = bench_terms(server.env)
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
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_before": round(load_average, 2),
        },
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
