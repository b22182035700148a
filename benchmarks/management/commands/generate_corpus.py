from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from benchmarks.corpus.generate import CorpusError, generate_corpus


class Command(BaseCommand):
    help = (
        "Fill an empty catalogue with a synthetic but realistic corpus for benchmarks (papers, authors, "
        "categories, digests from the four known sources, summaries in ja/zh/ko/en, links, scores), "
        "written with COPY and with every derived column computed. Deterministic for a seed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--papers", type=int, required=True, help="How many papers (at least 1).")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same corpus (default 1).")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Empty the catalogue first (TRUNCATE; upload jobs, users and the admin log are kept).",
        )
        parser.add_argument(
            "--workers", type=int, default=None, help="Processes writing papers (default: 2, one per core)."
        )

    def handle(self, *args, papers: int, seed: int, replace: bool, workers: int | None, **options) -> None:
        if workers is not None and workers < 1:
            raise CommandError(f"--workers must be at least 1 (got {workers})")
        try:
            report = generate_corpus(
                papers, seed, replace=replace, workers=workers, progress=options["verbosity"] > 0
            )
        except CorpusError as error:
            raise CommandError(str(error)) from None
        width = max(len(name) for name, _ in report.phases)
        self.stdout.write(f"Generated {report.papers:,} papers (seed {seed}, {report.workers} workers):")
        for name, seconds in report.phases:
            self.stdout.write(f"  {name:<{width}}  {seconds:8.1f} s")
        self.stdout.write(f"  {'total':<{width}}  {sum(s for _, s in report.phases):8.1f} s")
        rows = ", ".join(f"{count:,} {table}" for table, count in report.counts.items())
        self.stdout.write(f"Rows: {rows}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            self.stdout.write(f"Database size: {cursor.fetchone()[0]}")
