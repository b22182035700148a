import os
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from papers.backup.export import export_catalogue


class Command(BaseCommand):
    help = (
        "Write the whole catalogue (sources, digests, papers, summaries, links, scores, redirects …) "
        "as JSON lines with natural keys; import_catalogue restores it into an empty database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")

    def handle(self, *args, output: str | None = None, **options) -> None:
        started = time.monotonic()
        if not output or output == "-":
            export_catalogue(lambda line: self.stdout.write(line, ending=""))
            self.stdout.flush()
            return
        path = Path(output)
        partial = path.with_name(f".{path.name}.partial")
        try:
            # Written beside the target and renamed at the end: a failed export never leaves half a backup.
            with partial.open("w", encoding="utf-8", newline="\n") as stream:
                counts = export_catalogue(stream.write)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        summary = ", ".join(f"{count} {kind}" for kind, count in counts.items() if count)
        self.stderr.write(f"Exported {summary} to {path} in {time.monotonic() - started:.2f} s")
