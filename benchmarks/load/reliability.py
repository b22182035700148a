"""Reliability tests on loopback: load while an editor import runs, and a PostgreSQL restart under load.

Starts its own stack (fresh ``digest_load`` database on the system PostgreSQL, migrate, demo digests and
``../shared/seeds`` when present, collectstatic, gunicorn ``--workers 2 --threads 4`` and ``run_worker``
(db_worker, restarted after a lost database) on 127.0.0.1), runs the readers, prints a summary table,
optionally writes JSON, then stops everything and drops the database. Traffic goes to 127.0.0.1 only;
every phase is bounded in time.

    .venv/bin/python -m benchmarks.load.reliability                  # 64 readers for 60 s + an import
    .venv/bin/python -m benchmarks.load.reliability --fault restart  # PostgreSQL restart at 10 s of 30 s
    .venv/bin/python -m benchmarks.load.reliability --fault all --json var/reliability.json  # both
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from benchmarks.load.common import PYTHON, ROOT, logger, machine
from benchmarks.load.readers import discover_urls, print_table, run_readers, summarise
from benchmarks.load.stack import DB_NAME, Stack, drop_database, generate_digest

PG_VERSION, PG_CLUSTER = "15", "main"

log = logger("loadtest")


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
        "machine": machine(),
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
