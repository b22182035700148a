"""``/healthz`` for load balancers and orchestrators: 200 when the database answers and every migration
is applied, 503 with the reason otherwise. No session, no template, no cache; exempt from the HTTPS
redirect (SECURE_REDIRECT_EXEMPT)."""

import logging

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def _unhealthy(reason: str) -> JsonResponse:
    return JsonResponse({"status": "error", "reason": reason}, status=503)


@never_cache
@require_safe
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        logger.warning("healthz: database unavailable: %s", error)
        return _unhealthy("database unavailable")
    if plan:
        pending = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _backwards in plan)
        return _unhealthy(f"unapplied migrations: {pending}")
    return JsonResponse({"status": "ok"})
