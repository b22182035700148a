import sys
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from papers.backup.format import BackupError
from papers.backup.restore import import_catalogue


class Command(BaseCommand):
    help = (
        "Restore a file written by export_catalogue into an EMPTY catalogue, in one transaction, then "
        "recompute the search index and facet columns."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The export (JSON lines); - reads standard input.")

    def handle(self, *args, file: str, **options) -> None:
        started = time.monotonic()
        try:
            if file == "-":
                result = import_catalogue(sys.stdin.buffer)
            else:
                try:
                    stream = open(file, "rb")  # noqa: SIM115 - closed below
                except OSError as error:
                    raise CommandError(f"{file}: {error.strerror}") from None
                with stream:
                    result = import_catalogue(stream)
        except BackupError as error:
            raise CommandError(f"{file}: {error} (nothing was imported)") from None
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        summary = ", ".join(f"{count} {kind}" for kind, count in result.counts.items() if count)
        self.stdout.write(
            f"Imported {summary}; refreshed {result.refreshed} papers in {time.monotonic() - started:.1f} s"
        )
