#!/usr/bin/env python
"""Reliability tests on loopback: load while an editor import runs, and a PostgreSQL restart under load.

Starts its own stack (fresh ``digest_load`` database on the system PostgreSQL, migrate, demo digests and
``../shared/seeds`` when present, collectstatic, gunicorn ``--workers 2 --threads 4`` and ``run_worker``
(db_worker, restarted after a lost database) on 127.0.0.1), runs the readers, prints a summary table,
optionally writes JSON, then stops everything and drops the database. Traffic goes to 127.0.0.1 only;
every phase is bounded in time.

    .venv/bin/python scripts/loadtest.py                       # load: 64 readers for 60 s + import
    .venv/bin/python scripts/loadtest.py --fault restart       # restart PostgreSQL at 10 s of a 30 s run
    .venv/bin/python scripts/loadtest.py --fault all --json var/reliability.json   # both (make reliability)
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
SEEDS = ROOT.parent / "shared" / "seeds"
HOST = "127.0.0.1"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DB_NAME = "digest_load"
PG_VERSION, PG_CLUSTER = "15", "main"
SEARCHES = ["エピソード記憶", "逻辑一致性", "Mamba", '"thought templates"']
FIXED_FACETS = [
    {"language": "ja"},
    {"language": "zh"},
    {"category": "cs.LG", "language": "ja"},
    {"category": ["cs.CL", "cs.LG"], "score": "high"},
    {"code": "yes", "digests": "1"},
    {"year": "2024", "sort": "date"},
    {"q": "Mamba", "category": "cs.LG"},
    {"q": "memory", "language": ["ja", "zh"], "page": "2"},
]
REQUEST_TIMEOUT = 30.0


def log(message: str) -> None:
    print(f"[loadtest {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------- stack


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def admin_execute(statement: sql.Composable) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=10) as connection:
        connection.execute(statement)


def drop_database() -> None:
    admin_execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))


def generate_digest(path: Path, papers: int, seed: int = 7) -> None:
    """A large digest in the arxiv.jp text format (the zh_digest format numbers entries up to 999 only)."""
    rng = random.Random(seed)
    topics = ["エピソード記憶", "状態空間モデル", "検索拡張生成", "思考テンプレート", "長文脈"]
    categories = ["cs.LG", "cs.CL", "cs.AI", "cs.CV", "stat.ML"]
    blocks = []
    for number in range(1, papers + 1):
        topic = rng.choice(topics)
        day = 1 + number % 28
        blocks.append(
            f"Load Test Paper {number}: {rng.choice(['Scaling', 'Probing', 'Revisiting'])} {topic}\n\n"
            f"要約\n\n本論文では{topic}について新しい手法を提案します。番号{number}。\n"
            "複数のベンチマークで安定した改善を示します。\n\n"
            f"要約(オリジナル)\n\nWe study {topic} and propose a method (load test paper {number}).\n\n"
            f"arxiv情報\n\n著者 Author{number % 97},Writer{number % 89}\n"
            f"発行日 2026-01-{day:02d} 12:00:00+00:00\narxivサイト arxiv_id(pdf)\n\n"
            "提供元, 利用サービス\n\narxiv.jp, Google\n\n"
            f"カテゴリー: {', '.join(rng.sample(categories, 2))} | コメントする\n"
        )
    path.write_text("\n".join(blocks), encoding="utf-8")


@dataclass
class Stack:
    workdir: Path
    keep_logs: Path
    env: dict = field(default_factory=dict)
    port: int = 0
    gunicorn: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None
    timings: dict = field(default_factory=dict)

    def manage(self, *args: str, timeout: float = 900, log_name: str | None = None) -> None:
        started = time.monotonic()
        output = (self.keep_logs / log_name).open("w") if log_name else subprocess.DEVNULL
        try:
            subprocess.run(
                [str(PYTHON), "manage.py", *args],
                cwd=ROOT,
                env=self.env,
                check=True,
                timeout=timeout,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        finally:
            if log_name:
                output.close()
        self.timings[args[0]] = round(time.monotonic() - started, 1)

    def start(self) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "0",
            "STATIC_ROOT": str(self.workdir / "static"),
            "LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("DATABASE_REPLICA_URLS", None)
        log(f"creating database {DB_NAME}")
        drop_database()
        admin_execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
        log("migrate, load_demo, seeds, collectstatic")
        self.manage("migrate", "--no-input", log_name="migrate.log")
        self.manage("load_demo", log_name="load_demo.log")
        if SEEDS.is_dir():
            self.manage("import_digests", str(SEEDS), log_name="import_seeds.log")
        self.manage("collectstatic", "--no-input", log_name="collectstatic.log")
        log(f"starting gunicorn on {HOST}:{self.port} and run_worker")
        self.gunicorn = subprocess.Popen(
            [
                *(str(GUNICORN), "digest.wsgi", "--workers", "2", "--threads", "4", "--timeout", "60"),
                *("--bind", f"{HOST}:{self.port}", "--access-logfile", str(self.keep_logs / "access.log")),
                *("--error-logfile", str(self.keep_logs / "gunicorn.log")),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=(self.keep_logs / "gunicorn-stderr.log").open("w"),
            start_new_session=True,
        )
        self.worker = subprocess.Popen(
            [str(PYTHON), "manage.py", "run_worker", "--interval", "1"],
            cwd=ROOT,
            env=self.env,
            stdout=(self.keep_logs / "worker.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.gunicorn.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.gunicorn.returncode}); see {self.keep_logs}")
            try:
                status, _ = fetch_once(self.port, "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def alive(self) -> dict:
        return {
            "gunicorn": self.gunicorn is not None and self.gunicorn.poll() is None,
            "worker": self.worker is not None and self.worker.poll() is None,
        }

    def stop(self) -> None:
        for process in (self.worker, self.gunicorn):
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
        for process in (self.worker, self.gunicorn):
            if process is None:
                continue
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


# ------------------------------------------------------------------------------------------- client


def fetch_once(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def discover_urls(port: int) -> dict[str, list[str]]:
    """Paper, digest and facet links as the list pages show them; plus fixed searches, facets and feeds."""
    papers: set[str] = set()
    digests: set[str] = set()
    facets: set[str] = set()
    for page in ("/", "/papers/", "/papers/?page=2", "/papers/?q=Mamba", "/papers/?language=ja"):
        status, body = fetch_once(port, page)
        if status != 200:
            continue
        text = body.decode("utf-8", "replace").replace("&amp;", "&")
        for href in re.findall(r'href="([^"]+)"', text):
            if re.fullmatch(r"/digests/\d+/", href):
                digests.add(href)
            elif re.fullmatch(r"/papers/[^/?#]+/", href) and not href.startswith("/papers/feed"):
                papers.add(href)
            elif href.startswith("?") and "=" in href:
                facets.add("/papers/" + href)
            elif href.startswith("/papers/?") and "=" in href:
                facets.add(href)
    facets.update("/papers/?" + urlencode(params, doseq=True) for params in FIXED_FACETS)
    return {
        "search": ["/papers/?q=" + quote(query) for query in SEARCHES],
        "facets": sorted(facets)[:80],
        "paper": sorted(papers)[:200],
        "digest": sorted(digests)[:50],
        "feed": ["/papers/feed/atom/", "/papers/feed/rss/", "/papers/feed/atom/?language=ja"],
    }


@dataclass
class Sample:
    at: float  # seconds since the run started, when the request was sent
    kind: str
    latency: float
    status: int  # 0: connection error or timeout
    error: str = ""


def run_readers(port: int, urls: dict[str, list[str]], clients: int, seconds: float) -> list[Sample]:
    kinds = [kind for kind in urls if urls[kind]]
    samples: list[Sample] = []
    lock = threading.Lock()
    started = time.monotonic()
    stop_at = started + seconds

    def reader(index: int) -> None:
        rng = random.Random(index)
        connection: http.client.HTTPConnection | None = None
        mine: list[Sample] = []
        step = index
        while time.monotonic() < stop_at:
            kind = kinds[step % len(kinds)]
            step += 1
            path = rng.choice(urls[kind])
            sent = time.monotonic()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
                connection.request("GET", path, headers={"Accept-Language": rng.choice(["en", "ja", "zh"])})
                response = connection.getresponse()
                response.read()
                status = response.status
                error = "" if status < 500 else f"HTTP {status}"
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as exc:
                status, error = 0, type(exc).__name__
                if connection is not None:
                    connection.close()
                connection = None
            mine.append(Sample(sent - started, kind, time.monotonic() - sent, status, error))
        if connection is not None:
            connection.close()
        with lock:
            samples.extend(mine)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(reader, range(clients)))
    return samples


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def summarise(samples: list[Sample], seconds: float) -> dict:
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample)
    rows = {}
    for kind, group in [*sorted(by_kind.items()), ("overall", samples)]:
        latencies = [s.latency * 1000 for s in group if s.status and s.status < 500]
        rows[kind] = {
            "requests": len(group),
            "rps": round(len(group) / seconds, 1),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
            "max_ms": round(max(latencies, default=0.0), 1),
            "2xx": sum(1 for s in group if 200 <= s.status < 300),
            "3xx_4xx": sum(1 for s in group if 300 <= s.status < 500),
            "5xx": sum(1 for s in group if s.status >= 500),
            "conn_errors": sum(1 for s in group if s.status == 0),
        }
    errors = [s for s in samples if s.error]
    kinds: dict[str, int] = defaultdict(int)
    for sample in errors:
        kinds[f"{sample.kind}: {sample.error}"] += 1
    return {"by_kind": rows, "error_kinds": dict(sorted(kinds.items()))}


def print_table(title: str, summary: dict) -> None:
    print(f"\n{title}")
    header = ["kind", "requests", "rps", "p50_ms", "p95_ms", "p99_ms", "max_ms", "5xx", "conn_errors"]
    rows = [[kind] + [str(row[h]) for h in header[1:]] for kind, row in summary["by_kind"].items()]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = zip(row, widths, strict=True)
        print("  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(cells)))
    for message, count in summary["error_kinds"].items():
        print(f"  {count:6d} x {message}")


# ------------------------------------------------------------------------------------------- phases


def load_phase(stack: Stack, urls: dict, args: argparse.Namespace) -> dict:
    digest = stack.workdir / "load_zh_digest.txt"
    generate_digest(digest, args.import_papers)
    log(f"load: {args.clients} readers for {args.seconds} s while importing {args.import_papers} papers")
    import_log = (stack.keep_logs / "import_large.log").open("w")
    import_started = time.monotonic()
    importer = subprocess.Popen(
        [str(PYTHON), "manage.py", "import_digests", str(digest)],
        cwd=ROOT,
        env=stack.env,
        stdout=import_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    import_seconds = None
    try:
        samples = run_readers(stack.port, urls, args.clients, args.seconds)
        if importer.poll() is None:
            log("readers done; waiting up to 300 s for the import")
        importer.wait(timeout=300)
        import_seconds = round(time.monotonic() - import_started, 1)
    finally:
        if importer.poll() is None:
            os.killpg(importer.pid, signal.SIGTERM)
            importer.wait(timeout=20)
        import_log.close()
    with psycopg.connect(stack.env["DATABASE_URL"], connect_timeout=10) as connection:
        imported = connection.execute(
            "SELECT count(*) FROM papers_paper WHERE title LIKE 'Load Test Paper %%'"
        ).fetchone()[0]
    summary = summarise(samples, args.seconds)
    overall = summary["by_kind"]["overall"]
    return {
        "clients": args.clients,
        "seconds": args.seconds,
        **summary,
        "import": {
            "papers_in_file": args.import_papers,
            "exit_code": importer.returncode,
            "finished": importer.returncode == 0,
            "seconds": import_seconds,
            "finished_during_load": import_seconds is not None and import_seconds <= args.seconds,
            "papers_in_database": imported,
        },
        "processes_alive_after": stack.alive(),
        "passed": overall["5xx"] == 0 and overall["conn_errors"] == 0 and importer.returncode == 0,
    }


def cluster_online() -> bool:
    result = subprocess.run(
        ["pg_ctlcluster", PG_VERSION, PG_CLUSTER, "status"], capture_output=True, timeout=30
    )
    return result.returncode == 0


def ensure_postgres_running() -> None:
    if shutil.which("pg_ctlcluster") and not cluster_online():
        log("PostgreSQL is down: starting it")
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, PG_CLUSTER, "start"],
            check=False,
            timeout=120,
        )


def fault_phase(stack: Stack, urls: dict, args: argparse.Namespace) -> dict:
    if not shutil.which("pg_ctlcluster") or os.geteuid() != 0:
        return {"skipped": "needs pg_ctlcluster and root"}
    if not cluster_online():
        return {"skipped": f"cluster {PG_VERSION}/{PG_CLUSTER} is not online"}
    seconds, restart_at, window = args.fault_seconds, args.restart_at, args.window
    log(f"fault: {args.clients} readers for {seconds} s, PostgreSQL restart at {restart_at} s")
    restart: dict = {}
    started = time.monotonic()

    def restart_postgres() -> None:
        time.sleep(restart_at)
        restart["begin"] = time.monotonic() - started
        result = subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, PG_CLUSTER, "restart"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        restart["end"] = time.monotonic() - started
        restart["exit_code"] = result.returncode
        restart["output"] = (result.stdout + result.stderr).strip()[-500:]

    restarter = threading.Thread(target=restart_postgres)
    try:
        restarter.start()
        samples = run_readers(stack.port, urls, args.clients, seconds)
        restarter.join(timeout=150)
    finally:
        ensure_postgres_running()
    # run_readers measures from its own start, a few microseconds after ours: close enough.
    begin, end = restart.get("begin", restart_at), restart.get("end", restart_at)
    window_end = end + window
    phases = {"before": [], "restart_window": [], "after": []}
    for sample in samples:
        finished = sample.at + sample.latency
        if finished < begin:
            phases["before"].append(sample)
        elif sample.at <= window_end:
            phases["restart_window"].append(sample)
        else:
            phases["after"].append(sample)
    failed = [s for s in samples if s.error]
    after_restart = [s for s in samples if s.at >= begin]
    ends = sorted(s.at + s.latency for s in failed)
    first_ok = min((s.at + s.latency for s in after_restart if not s.error and s.at >= end), default=None)
    timeline = defaultdict(lambda: {"ok": 0, "errors": 0})
    for sample in samples:
        timeline[int(sample.at)]["errors" if sample.error else "ok"] += 1
    counts = {
        name: {
            "requests": len(group),
            "errors": sum(1 for s in group if s.error),
            "5xx": sum(1 for s in group if s.status >= 500),
            "conn_errors": sum(1 for s in group if s.status == 0),
        }
        for name, group in phases.items()
    }
    summary = summarise(samples, seconds)
    alive = stack.alive()
    return {
        "clients": args.clients,
        "seconds": seconds,
        "restart": {
            "began_at_s": round(begin, 2),
            "ended_at_s": round(end, 2),
            "exit_code": restart.get("exit_code"),
            "output": restart.get("output", ""),
        },
        "window_s": [round(begin, 2), round(window_end, 2)],
        "phases": counts,
        # when the failed responses arrived (a request sent before the restart may fail during it)
        "first_error_at_s": round(ends[0], 2) if ends else None,
        "last_error_at_s": round(ends[-1], 2) if ends else None,
        "first_success_after_restart_at_s": round(first_ok, 2) if first_ok is not None else None,
        "timeline": {str(second): timeline[second] for second in sorted(timeline)},
        **summary,
        "processes_alive_after": alive,
        "postgres_online_after": cluster_online(),
        "passed": counts["before"]["errors"] == 0
        and counts["after"]["errors"] == 0
        and restart.get("exit_code") == 0
        and all(alive.values()),
    }


# --------------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--fault",
        choices=["none", "restart", "all"],
        default="none",
        help="none: load only; restart: PostgreSQL restart only; all: load, then restart",
    )
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60, help="load phase length")
    parser.add_argument("--import-papers", type=int, default=2000, help="papers in the generated digest")
    parser.add_argument("--fault-seconds", type=float, default=30, help="restart phase length")
    parser.add_argument("--restart-at", type=float, default=10)
    parser.add_argument("--window", type=float, default=5, help="errors allowed up to this long after")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON (- for stdout)")
    parser.add_argument("--logs", default=str(ROOT / "var" / "loadtest"), help="server logs go here")
    args = parser.parse_args()
    if args.clients < 1 or args.seconds <= 0 or args.fault_seconds <= args.restart_at:
        parser.error("need --clients >= 1, --seconds > 0 and --fault-seconds > --restart-at")

    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "server": "gunicorn --workers 2 --threads 4 + run_worker, DEBUG=0, 127.0.0.1",
        "logs": str(logs),
    }
    # With --json - the tables go to stderr so that stdout is the JSON document alone.
    tables = sys.stderr if args.json == "-" else sys.stdout
    with tempfile.TemporaryDirectory(prefix="loadtest-") as tmp, contextlib.redirect_stdout(tables):
        stack = Stack(workdir=Path(tmp), keep_logs=logs)
        try:
            stack.start()
            results["setup_seconds"] = stack.timings
            urls = discover_urls(stack.port)
            results["urls"] = {kind: len(paths) for kind, paths in urls.items()}
            log("urls: " + ", ".join(f"{kind}={len(paths)}" for kind, paths in urls.items()))
            if args.fault in ("none", "all"):
                results["load"] = load_phase(stack, urls, args)
                print_table(f"Load: {args.clients} readers, {args.seconds:g} s", results["load"])
                print(f"  import: {results['load']['import']}")
            if args.fault in ("restart", "all"):
                results["fault_restart"] = fault_phase(stack, urls, args)
                fault = results["fault_restart"]
                if "skipped" in fault:
                    print(f"\nFault restart skipped: {fault['skipped']}")
                else:
                    print_table(f"Fault: PostgreSQL restart at {args.restart_at:g} s", fault)
                    print(f"  restart {fault['restart']}, window {fault['window_s']}")
                    print(f"  phases {fault['phases']}")
                    print(f"  processes alive after: {fault['processes_alive_after']}")
                    print(
                        f"  errors {fault['first_error_at_s']}..{fault['last_error_at_s']} s, first success "
                        f"after restart {fault['first_success_after_restart_at_s']} s"
                    )
        finally:
            ensure_postgres_running()
            stack.stop()
            try:
                drop_database()
            except psycopg.Error as error:
                log(f"could not drop {DB_NAME}: {error}")
    phases = [results[key] for key in ("load", "fault_restart") if key in results]
    results["passed"] = bool(phases) and all(phase.get("passed", True) for phase in phases)
    if args.json:
        document = json.dumps(results, ensure_ascii=False, indent=2)
        if args.json == "-":
            print(document)
        else:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(document + "\n", encoding="utf-8")
            log(f"wrote {args.json}")
    print(f"\n{'PASSED' if results['passed'] else 'FAILED'}", file=tables)
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
