import logging
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run the background task worker (django-tasks-db's db_worker) and start it again when it loses the "
        "database, e.g. while PostgreSQL restarts; stops when db_worker stops on a signal."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
        parser.add_argument("--retry-seconds", type=float, default=2.0, help="pause before a restart")

    def handle(self, *args, interval: float, retry_seconds: float, **options) -> None:
        while True:
            try:
                call_command("db_worker", reload=False, interval=interval)
            except (OperationalError, InterfaceError) as error:
                # db_worker re-raises database errors; a half-done task was rolled back by PostgreSQL and
                # is picked up again (or retried by the editor), so restarting is safe.
                logger.warning("task worker lost the database (%s); restarting in %s s", error, retry_seconds)
                connections.close_all()
                time.sleep(retry_seconds)
            else:
                return  # db_worker returned: it was asked to stop
