"""The reliability test's own stack on loopback: a fresh database on the system PostgreSQL, migrated and
filled with the demo digests (and ``../shared/seeds`` when present), gunicorn and the import worker."""

from __future__ import annotations

import os
import random
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from benchmarks.load.common import GUNICORN, HOST, PYTHON, ROOT, fetch_once, free_port, logger

SEEDS = ROOT.parent / "shared" / "seeds"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DB_NAME = "digest_load"

log = logger("loadtest")


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
