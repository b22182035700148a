import time

from django.core.management.base import BaseCommand
from django.db import transaction

from papers.search.index import refresh_all


class Command(BaseCommand):
    help = "Recompute every paper's search vector and facet columns from its rows."

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        with transaction.atomic():
            count = refresh_all()
        self.stdout.write(f"Refreshed {count} papers in {time.monotonic() - started:.1f} s")
