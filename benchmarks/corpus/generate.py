"""The whole run behind ``manage.py generate_corpus``: check or empty the catalogue, plan, write the
papers in parallel workers beside their parent rows, reset the sequences, VACUUM."""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import threading
from dataclasses import dataclass, field
from time import monotonic

from django.apps import apps
from django.db import connection, connections, transaction
from tqdm import tqdm

from benchmarks.corpus.plan import Plan, make_plan
from benchmarks.corpus.writer import (
    ChunkOffsets,
    Lookups,
    chunk_offsets,
    make_lookups,
    reset_sequences,
    write_chunk,
    write_parents,
    write_related,
)
from papers.backup.format import CATALOGUE_MODELS, catalogue_is_empty
from papers.models import Digest, ImportJob, ImportJobFile, Paper, Source
from papers.search.cache import record_catalogue_change


class CorpusError(Exception):
    """A corpus that cannot be generated here; the message says why and what to do."""


@dataclass
class Report:
    papers: int
    workers: int
    phases: list[tuple[str, float]] = field(default_factory=list)  # (phase, seconds), in order
    counts: dict[str, int] = field(default_factory=dict)

    @contextlib.contextmanager
    def phase(self, name: str):
        started = monotonic()
        yield
        self.phases.append((name, monotonic() - started))


def catalogue_tables() -> list[str]:
    """Every table of the catalogue (and its edit history), but not upload jobs: what --replace empties."""
    keep = {ImportJob, ImportJobFile}
    return [
        model._meta.db_table
        for model in apps.get_app_config("papers").get_models(include_auto_created=True)
        if model not in keep
    ]


def empty_catalogue() -> None:
    """TRUNCATE the catalogue. Sources and digests are deleted instead: upload jobs' files keep a
    reference to their digest (set to NULL here, as deleting a digest in the admin does), and
    PostgreSQL refuses to TRUNCATE a table that another table's foreign key points at."""
    referenced = {Source._meta.db_table, Digest._meta.db_table}
    tables = [table for table in catalogue_tables() if table not in referenced]
    with connection.cursor() as cursor:
        if connection.in_atomic_block:  # TRUNCATE refuses tables with foreign-key checks still pending
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
        cursor.execute(
            f"UPDATE {ImportJobFile._meta.db_table} SET digest_id = NULL WHERE digest_id IS NOT NULL"
        )
        for table in (Digest._meta.db_table, Source._meta.db_table):
            cursor.execute(f"DELETE FROM {table}")
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), 1, false)", [table])


def catalogue_summary() -> str:
    return ", ".join(
        f"{model.objects.count()} {model._meta.verbose_name_plural}"
        for model in CATALOGUE_MODELS
        if model.objects.exists()
    )


def can_skip_triggers() -> bool:
    """Whether this connection may set session_replication_role (superusers, or PostgreSQL 15+ roles
    granted SET on it). Then a bulk load skips foreign-key triggers: the rows are consistent by
    construction, and checking ~25 references per paper one by one would double the load time."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        return bool(cursor.fetchone()[0])


def _bulk_session(cursor, skip_triggers: bool) -> None:
    """Session settings of a bulk-loading connection (a crash means a re-run with --replace anyway)."""
    cursor.execute("SET synchronous_commit = off")
    if skip_triggers:
        cursor.execute("SET session_replication_role = replica")


def _end_bulk_session(cursor) -> None:
    cursor.execute("RESET synchronous_commit")
    cursor.execute("RESET session_replication_role")


# What forked chunk workers inherit: (plan, lookups, offsets, skip_triggers).
_SHARED: tuple[Plan, Lookups, list[ChunkOffsets], bool] | None = None


def _chunk_in_worker(chunk: int) -> int:
    plan, lookups, offsets, skip_triggers = _SHARED
    with transaction.atomic(), connection.cursor() as cursor:
        _bulk_session(cursor, skip_triggers)
        write_chunk(cursor, plan, lookups, chunk, offsets[chunk])
    return min(plan.chunk_size, plan.papers - chunk * plan.chunk_size)


def _in_thread(work, *args) -> threading.Thread:
    """Run database work beside the main thread, on the thread's own connection (closed at the end)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work(*args)
        except BaseException as error:  # handed to the main thread by join()
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def _join(thread: threading.Thread) -> None:
    thread.join()
    if thread.errors:  # type: ignore[attr-defined]
        raise thread.errors[0]  # type: ignore[attr-defined]


def _write_papers(
    plan: Plan, lookups: Lookups, workers: int, skip_triggers: bool, progress: bool, beside=None
) -> None:
    """Write every chunk of papers; ``beside`` (a function of no arguments) runs on its own connection
    meanwhile, where the chunks do not depend on its rows."""
    global _SHARED
    offsets = chunk_offsets(plan)
    chunks = range(len(offsets))

    def progress_bar() -> tqdm:  # made after any fork: tqdm starts a monitor thread
        return tqdm(total=plan.papers, unit="papers", disable=not progress, desc="papers", smoothing=0.05)

    if workers == 1:
        if beside:
            beside()
        with connection.cursor() as cursor, progress_bar() as bar:
            bulk = not connection.in_atomic_block
            if bulk:
                _bulk_session(cursor, skip_triggers)
            for chunk in chunks:
                with transaction.atomic():
                    write_chunk(cursor, plan, lookups, chunk, offsets[chunk])
                bar.update(min(plan.chunk_size, plan.papers - chunk * plan.chunk_size))
            if bulk:
                _end_bulk_session(cursor)
        return
    # Each worker process writes whole chunks through its own connection; the plan reaches it by fork
    # (not pickled), and the parent's connection is closed first so that none is shared.
    _SHARED = (plan, lookups, offsets, skip_triggers)
    connections.close_all()
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool, progress_bar() as bar:
            results = pool.imap_unordered(_chunk_in_worker, chunks)
            thread = _in_thread(beside) if beside else None
            for papers in results:
                bar.update(papers)
            if thread:
                _join(thread)
    finally:
        _SHARED = None


def _bulk_write(skip_triggers: bool, *writers) -> None:
    with connection.cursor() as cursor:
        _bulk_session(cursor, skip_triggers)
    try:
        for write in writers:
            write()
    finally:
        with connection.cursor() as cursor:
            _end_bulk_session(cursor)


# A note on indexes: they stay in place during the load. Dropping the search vector's GIN index and
# building it afterwards was measured slower here: the build is mostly serial (a second worker did not
# help) and grows faster than the rows (100k papers 16-18 s, 300k 86 s), while keeping it costs ~0.3 ms
# per paper inside the parallel chunk writers, and this VACUUM merges its pending list. The B-tree
# indexes are cheap to keep (ids arrive in order).
def _vacuum(tables: list[str], in_transaction: bool) -> None:
    if tables:
        with connection.cursor() as cursor:
            cursor.execute(f"{'ANALYZE' if in_transaction else 'VACUUM (ANALYZE)'} {', '.join(tables)}")


def generate_corpus(
    papers: int, seed: int, *, replace: bool = False, workers: int | None = None, progress: bool = False
) -> Report:
    """Fill an empty catalogue (or, with ``replace``, the emptied one) with ``papers`` papers."""
    if papers < 1:
        raise CorpusError(f"--papers must be at least 1 (got {papers})")
    in_transaction = connection.in_atomic_block
    workers = workers or (1 if in_transaction else min(2, os.cpu_count() or 1))
    if workers > 1 and in_transaction:
        raise CorpusError("parallel workers write through their own connections: run outside a transaction")
    report = Report(papers=papers, workers=workers)
    with report.phase("check / empty catalogue"):
        if not catalogue_is_empty():
            if not replace:
                raise CorpusError(
                    f"The catalogue is not empty ({catalogue_summary()}). generate_corpus only writes "
                    "into an empty catalogue; pass --replace to delete the catalogue first (upload jobs, "
                    "users and the admin log are kept)."
                )
            empty_catalogue()
    with report.phase("plan"):
        plan = make_plan(papers, seed)
        lookups = make_lookups(plan)
    tables = catalogue_tables()
    # Inside a transaction (tests) foreign keys stay checked, at commit or SET CONSTRAINTS ALL IMMEDIATE.
    # Without their triggers, rows may go in in any order: the parent rows are written beside the papers.
    skip_triggers = not in_transaction and can_skip_triggers()
    parents = functools.partial(write_parents, plan, lookups)
    related = functools.partial(write_related, plan)
    try:
        if in_transaction:
            with report.phase("sources, categories, authors, digests"):
                parents()
            with report.phase("papers, entries, summaries, …"):
                _write_papers(plan, lookups, workers, skip_triggers, progress)
            with report.phase("related papers"):
                related()
        elif skip_triggers:
            with report.phase("papers, entries, summaries, … (+ authors, digests beside)"):
                _write_papers(
                    plan,
                    lookups,
                    workers,
                    skip_triggers,
                    progress,
                    beside=functools.partial(_bulk_write, skip_triggers, parents, related),
                )
        else:  # foreign keys checked at each commit: parents first, papers, then what refers to papers
            with report.phase("sources, categories, authors, digests"):
                _bulk_write(skip_triggers, parents)
            with report.phase("papers, entries, summaries, …"):
                _write_papers(plan, lookups, workers, skip_triggers, progress)
            with report.phase("related papers"):
                _bulk_write(skip_triggers, related)
        with report.phase("sequences"):
            reset_sequences(tables)
        with report.phase("analyze" if in_transaction else "vacuum analyze"):
            if in_transaction:
                _vacuum(tables, in_transaction)
            else:  # the papers (with the GIN index's pending list) beside the other tables
                thread = _in_thread(_vacuum, [Paper._meta.db_table], in_transaction)
                _vacuum([table for table in tables if table != Paper._meta.db_table], in_transaction)
                _join(thread)
    except Exception as error:
        raise CorpusError(
            f"generation failed midway: {error}. The catalogue is partly written; run the command again "
            "with --replace to start over."
        ) from error
    record_catalogue_change()
    report.counts = {
        "papers": plan.papers,
        "summaries": plan.summary_count,
        "authors": len(plan.author_names),
        "authorships": sum(map(len, plan.paper_authors)),
        "categories": len(plan.category_codes),
        "paper categories": sum(plan.category_counts),
        "digests": len(plan.digests),
        "entries": plan.entry_count,
        "links": sum(map(len, plan.link_kinds)),
        "scores": sum(map(len, plan.paper_scores)),
        "related papers": len(plan.related),
    }
    return report
