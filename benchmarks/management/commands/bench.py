import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import OperationalError, connection

from benchmarks import bench
from benchmarks.queries import BenchFailure


class Command(BaseCommand):
    help = (
        "Benchmark the reader pages: a fixed query set through the real views (p50/p95) against the same SQL "
        "run directly with psycopg (the floor), plus the importer's papers/s. Changes nothing. "
        "See benchmarks/queries.py for the query set and the method."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--runs", type=int, default=bench.DEFAULT_RUNS, help="timed runs per query (>= 2)"
        )
        parser.add_argument("--only", default="", help="comma-separated query names, e.g. paper_page,feed")
        caching = parser.add_mutually_exclusive_group()
        caching.add_argument(
            "--cold", action="store_true", help="facet cache off too: every facet count is computed"
        )
        caching.add_argument(
            "--cached", action="store_true", help="page cache on: what every reader after the first gets"
        )
        parser.add_argument("--json", action="store_true", help="print only the JSON report on stdout")
        parser.add_argument(
            "--explain",
            action="store_true",
            help="EXPLAIN (ANALYZE, BUFFERS) of each query's slowest statement",
        )
        parser.add_argument(
            "--import-papers",
            type=int,
            default=bench.DEFAULT_IMPORT_PAPERS,
            help="papers in the synthetic digest of the import benchmark (0 skips it)",
        )
        parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic digest's texts")

    def handle(self, *args, **options) -> None:
        if settings.DEBUG:
            self.stderr.write("warning: DEBUG is on; Django keeps every query in memory and runs slower")
        only = [name.strip() for name in options["only"].split(",") if name.strip()]
        mode = "cold" if options["cold"] else "cached" if options["cached"] else "default"
        try:
            report = bench.run_bench(
                runs=options["runs"],
                only=only,
                mode=mode,
                import_papers=options["import_papers"],
                seed=options["seed"],
                with_explain=options["explain"],
                progress=self.stderr.write,
            )
        except BenchFailure as failure:
            raise CommandError(str(failure)) from failure
        except OperationalError as error:
            name = connection.settings_dict["NAME"]
            raise CommandError(f"cannot use database {name!r} (set DATABASE_URL): {error}") from error
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(bench.format_table(report))
