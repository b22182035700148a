"""Import jobs: the files of an upload kept in the database, previewed, then imported one by one, during
the request for small uploads and by the background worker (``manage.py db_worker``) for large ones.

Life of a job:

1. The upload is previewed (papers.previews). A small upload is previewed in the request and
   ``create_job`` stores the files that can be imported, with the preview (``previewed_at`` set). A larger
   one (over ``DIGEST_BACKGROUND_PREVIEW_BYTES``) is stored whole by ``create_preview_job`` and
   ``preview_job_task`` runs ``run_preview`` on the worker: it previews file by file (``status`` and
   ``done_files`` follow it: n/N files parsed), then keeps only the importable files and the preview.
2. A previewed job is *unconfirmed* (status queued, ``started_at`` empty) and nothing runs. Unconfirmed
   jobs older than ``PREVIEW_TTL`` are deleted by ``discard_stale_previews``, previewed or not.
3. ``start_job`` confirms it (sets ``started_at``) and runs it at once when its files add up to at most
   ``DIGEST_BACKGROUND_THRESHOLD_BYTES``, or enqueues ``import_job_task`` once the transaction commits.
4. ``run_job`` imports every file not imported yet, each in its own transaction (``import_digest``), and
   records progress outside those transactions, so that the status page sees it while the job runs. A
   file imported successfully drops its bytes; a failed one keeps them for ``retry_job``.

Kill recovery. ``run_job`` and ``run_preview`` hold a PostgreSQL *session* advisory lock on the job for as
long as they run.
PostgreSQL releases it when the session ends, however it ends: a worker killed with SIGKILL (or a web
process killed during an in-request import) rolls back its open file transaction and frees the lock. So
"is anybody importing this job?" is answered exactly by whether the lock is held, with no timeout to
guess. ``retry_job`` accepts a job that is being imported, or previewed in the background (its preview then
runs again from the first file), when nobody holds its lock and

- it failed, or
- it is "running" (the process running it died: its "running" file is imported again), or
- it is queued and its task can no longer start: the task result finished, vanished or was claimed by a
  worker that died, or no task id was recorded ``ENQUEUE_GRACE`` after it was queued (enqueueing failed).

A job whose task is still waiting for a worker is not retryable (start a worker instead). A second
``run_job`` (or ``run_preview``) for a job that is already running returns at once, so a duplicate task
does no harm.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.tasks import Task, TaskResultStatus, task
from django.tasks.exceptions import TaskResultDoesNotExist, TaskResultMismatch
from django.utils import timezone

from papers.ingest.importer import CREATED, UNCHANGED, UPDATED, DigestImportResult, import_digest
from papers.models import ImportJob, ImportJobFile
from papers.previews import FilePreview, preview_file, upload_report
from papers.uploads import UploadBatch, UploadedDigest

logger = logging.getLogger(__name__)

Status = ImportJob.Status
PREVIEW_TTL = timedelta(days=1)
ENQUEUE_GRACE = timedelta(minutes=1)
# First key of the two-key advisory lock (pg_advisory_lock(int, int)); the second is the job id. The
# importer's locks use the one-key (bigint) space, which PostgreSQL keeps apart from this one.
_LOCK_CLASS = 0x1D16E5
_PREVIEWED_FIELDS = ("status", "error", "task_id", "total_files", "done_files", "previewed_at", "preview")


class JobNotRetryable(Exception):
    """The job cannot be retried now; the message says why, for the editor."""


class ImportJobCrashed(Exception):
    """Raised by a task (after the job was marked failed) so that the worker records the task failed."""


def result_summary(result: DigestImportResult) -> dict:
    """What the status page shows of an import, as JSON for ``ImportJobFile.result``."""
    parsed = result.parsed
    return {
        "family": result.family,
        "encoding": result.encoding,
        "title": parsed.title if parsed else "",
        "issued": parsed.issued.isoformat() if parsed and parsed.issued else None,
        "identical": result.identical,
        "created": result.count(CREATED),
        "updated": result.count(UPDATED),
        "unchanged": result.count(UNCHANGED),
        "summaries_created": result.summaries_created,
        "summaries_updated": result.summaries_updated,
        "summaries_deleted": result.summaries_deleted,
        "warnings": result.warnings,
        "errors": result.errors,
    }


# -- creating, starting, retrying ------------------------------------------------------------------------


def create_job(files: Iterable[UploadedDigest], user, preview: dict | None = None) -> ImportJob:
    """An unconfirmed job holding the bytes of files previewed in the request (``preview``: what the
    preview page shows), so that confirming the preview needs no re-upload."""
    return _store(list(files), user, previewed_at=timezone.now(), preview=preview or {})


def create_preview_job(batch: UploadBatch, user) -> ImportJob:
    """A job holding every file of the upload, previewed by the background worker once the transaction
    commits (``run_preview``)."""
    with transaction.atomic():
        job = _store(batch.files, user, previewed_at=None, preview=upload_report(batch))
        transaction.on_commit(partial(_enqueue, job.pk))
    return job


def _store(files: list[UploadedDigest], user, **fields) -> ImportJob:
    with transaction.atomic():
        job = ImportJob.objects.create(created_by=user, total_files=len(files), **fields)
        ImportJobFile.objects.bulk_create(
            ImportJobFile(
                job=job,
                position=position,
                name=file.name,
                data=file.data,
                size=len(file.data),
                checksum=hashlib.sha256(file.data).hexdigest(),
            )
            for position, file in enumerate(files, start=1)
        )
    return job


def is_previewed(job: ImportJob) -> bool:
    return job.previewed_at is not None


def is_confirmed(job: ImportJob) -> bool:
    return job.started_at is not None


def discard_stale_previews() -> int:
    """Deletes unconfirmed jobs older than PREVIEW_TTL (their bytes would otherwise stay forever)."""
    deleted, _ = ImportJob.objects.filter(
        started_at__isnull=True, created_at__lt=timezone.now() - PREVIEW_TTL
    ).delete()
    return deleted


def discard_preview(job: ImportJob) -> bool:
    """Deletes an unconfirmed job; a confirmed one stays. Returns whether it was deleted."""
    deleted, _ = ImportJob.objects.filter(pk=job.pk, started_at__isnull=True).delete()
    return bool(deleted)


def start_job(job: ImportJob) -> ImportJob:
    """Confirms a previewed job and starts it: at once for small uploads, else in the background.
    Confirming twice (a double click) starts it once."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if is_confirmed(job):
            return job
        if not is_previewed(job):  # callers check first: the preview page offers no confirmation yet
            raise ValueError(f"import job {job.pk} cannot be confirmed before its preview is finished")
        # The preview is only for deciding to confirm; a large upload's would otherwise stay for good.
        job.started_at, job.preview = timezone.now(), {}
        job.save(update_fields=["started_at", "preview"])
        background = _launch(job)
    if not background:
        run_job(job.pk)
    job.refresh_from_db()
    return job


def retry_blocker(job: ImportJob) -> str | None:
    """Why the job cannot be retried now, or None when it can (see the module's docstring)."""
    if is_previewed(job) and not is_confirmed(job):
        return "the upload has not been confirmed yet"
    if job.status == Status.DONE:
        return "every file was imported; there is nothing to retry"
    if job_is_active(job.pk):
        return f"the job is being {'imported' if is_confirmed(job) else 'previewed'} right now"
    if job.status in (Status.FAILED, Status.RUNNING):
        return None
    # Queued: waiting for the worker, unless its task can no longer start.
    if not job.task_id:
        if timezone.now() - (job.started_at or job.created_at) < ENQUEUE_GRACE:
            return "the job is being queued"
        return None
    try:
        task_status = _task_for(job).get_result(job.task_id).status
    except (TaskResultDoesNotExist, TaskResultMismatch):
        return None
    if task_status == TaskResultStatus.READY:
        return "the job is waiting for the background worker (is manage.py db_worker running?)"
    return None


def retry_job(job: ImportJob) -> ImportJob:
    """Queues the job's files that were not imported (failed, or left "running" by a killed process) and
    starts the job again like ``start_job``; a job whose background preview failed or stopped is queued
    for its preview again. Raises JobNotRetryable with the reason when it cannot."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        reason = retry_blocker(job)
        if reason:
            raise JobNotRetryable(reason)
        job.status, job.error, job.task_id, job.finished_at = Status.QUEUED, "", "", None
        if is_previewed(job):
            job.files.exclude(status=Status.DONE).update(status=Status.QUEUED, error="")
            job.done_files = job.files.filter(status=Status.DONE).count()
        else:
            job.done_files = 0
        job.save(update_fields=["status", "error", "task_id", "finished_at", "done_files"])
        background = _launch(job) if is_previewed(job) else _enqueue_on_commit(job)
    if not background:
        run_job(job.pk)
    job.refresh_from_db()
    return job


def _launch(job: ImportJob) -> bool:
    """Inside the confirming transaction: enqueues the job on commit when its remaining files are large.
    Returns whether it went to the background (else the caller runs it after the commit)."""
    remaining = job.files.exclude(status=Status.DONE).aggregate(total=Sum("size"))["total"] or 0
    if remaining <= settings.DIGEST_BACKGROUND_THRESHOLD_BYTES:
        return False
    return _enqueue_on_commit(job)


def _enqueue_on_commit(job: ImportJob) -> bool:
    transaction.on_commit(partial(_enqueue, job.pk))
    return True


def _enqueue(job_id: int) -> None:
    """Enqueues the task the job needs now: its preview, or its import once previewed."""
    job = ImportJob.objects.only("previewed_at").filter(pk=job_id).first()
    if job is None:  # discarded before the transaction that queued it committed
        return
    result = _task_for(job).enqueue(job_id)
    ImportJob.objects.filter(pk=job_id).update(task_id=str(result.id))


def _task_for(job: ImportJob) -> Task:
    return import_job_task if is_previewed(job) else preview_job_task


# -- running ---------------------------------------------------------------------------------------------


@task
def import_job_task(job_id: int) -> dict:
    return _reported(run_job(job_id))


@task
def preview_job_task(job_id: int) -> dict:
    return _reported(run_preview(job_id))


def _reported(summary: dict) -> dict:
    if summary["status"] == "crashed":
        raise ImportJobCrashed(summary["error"])
    return summary


def run_job(job_id: int) -> dict:
    """Imports every file of the job not imported yet. Never raises: an unexpected error marks the job
    failed (and is logged with its traceback); returns a JSON summary."""
    return _locked(job_id, _run)


def run_preview(job_id: int) -> dict:
    """Previews every file of a job stored by ``create_preview_job``, then keeps the importable files and
    the preview. Never raises, like ``run_job``."""
    return _locked(job_id, _preview)


def _locked(job_id: int, work: Callable[[int], dict]) -> dict:
    if not _try_lock(job_id):
        logger.info("import job %s is already being worked on elsewhere", job_id)
        return {"job": job_id, "status": "busy"}
    try:
        return work(job_id)
    except Exception as error:
        logger.exception("import job %s crashed", job_id)
        message = f"unexpected error: {error}"
        try:
            _mark_crashed(job_id, message)
        except Exception:  # the database itself may be what failed
            logger.exception("could not mark import job %s failed", job_id)
        return {"job": job_id, "status": "crashed", "error": message}
    finally:
        try:
            _unlock(job_id)
        except Exception:  # a broken connection took the lock with it
            logger.exception("could not release the lock of import job %s", job_id)


def _run(job_id: int) -> dict:
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    ImportJob.objects.filter(pk=job_id).update(
        status=Status.RUNNING,
        error="",
        finished_at=None,
        started_at=Coalesce("started_at", timezone.now()),
    )
    pending = job.files.exclude(status=Status.DONE).order_by("position").values_list("pk", flat=True)
    for file_id in list(pending):
        _import_file(job, file_id)
        _record_progress(job_id)
    return _finish(job_id)


def _import_file(job: ImportJob, file_id: int) -> None:
    files = ImportJobFile.objects.filter(pk=file_id)
    files.update(status=Status.RUNNING, error="")
    name, data = files.values_list("name", "data").get()
    try:
        result = import_digest(bytes(data), name, user=job.created_by)
    except Exception as error:  # the importer reports bad input itself: this is a bug or an outage
        logger.exception("import of %s (job %s) raised", name, job.pk)
        files.update(status=Status.FAILED, error=f"unexpected error, nothing was written: {error}")
        return
    if result.ok:
        # The bytes are kept only until the file is imported.
        files.update(
            status=Status.DONE, digest_id=result.digest_id, result=result_summary(result), error="", data=b""
        )
    else:
        files.update(status=Status.FAILED, result=result_summary(result), error="; ".join(result.errors))


def _preview(job_id: int) -> dict:
    discarded = {"job": job_id, "status": "discarded"}
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id, previewed_at__isnull=True).first()
    if job is None:  # discarded by the editor, or previewed by a duplicate task
        return discarded
    running = {"status": Status.RUNNING, "error": "", "done_files": 0, "finished_at": None}
    ImportJob.objects.filter(pk=job_id).update(**running)
    file_ids = list(job.files.order_by("position").values_list("pk", flat=True))
    previews = []
    for file_id in file_ids:
        row = ImportJobFile.objects.filter(pk=file_id).values_list("name", "data").first()
        if row is None:  # the editor discarded the upload meanwhile
            return discarded
        name, data = row
        previews.append(preview_file(name, bytes(data), user=job.created_by))
        ImportJob.objects.filter(pk=job_id).update(done_files=len(previews))
    return _keep_importable(job_id, file_ids, previews) or discarded


def _keep_importable(job_id: int, file_ids: list[int], previews: list[FilePreview]) -> dict | None:
    """Drops the files that cannot be imported, numbers the others from 1 as an in-request preview
    would, and stores the preview: the job is then an unconfirmed upload like any other."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        kept = [file_id for file_id, preview in zip(file_ids, previews, strict=True) if preview.ok]
        job.files.exclude(pk__in=kept).delete()
        # Out of the way first: (job, position) is unique and checked row by row.
        job.files.update(position=F("position") + len(file_ids))
        ImportJobFile.objects.bulk_update(
            [ImportJobFile(pk=file_id, position=position) for position, file_id in enumerate(kept, 1)],
            ["position"],
        )
        job.status, job.error, job.task_id = Status.QUEUED, "", ""
        job.total_files, job.done_files, job.previewed_at = len(kept), 0, timezone.now()
        job.preview = {**job.preview, "files": [preview.to_json() for preview in previews]}
        job.save(update_fields=[*_PREVIEWED_FIELDS])
    refused = len(previews) - len(kept)
    return {"job": job_id, "status": "previewed", "importable": len(kept), "refused": refused}


def _record_progress(job_id: int) -> None:
    finished = ImportJobFile.objects.filter(job_id=job_id, status__in=[Status.DONE, Status.FAILED]).count()
    ImportJob.objects.filter(pk=job_id).update(done_files=finished)


def _finish(job_id: int) -> dict:
    files = list(ImportJobFile.objects.filter(job_id=job_id).values_list("name", "status", "error"))
    counts = Counter(status for _, status, _ in files)
    failed = [f"{name}: {error}" for name, status, error in files if status != Status.DONE]
    status = Status.FAILED if failed else Status.DONE
    error = f"{len(failed)} of {len(files)} files failed:\n" + "\n".join(failed) if failed else ""
    ImportJob.objects.filter(pk=job_id).update(
        status=status,
        error=error,
        done_files=counts[Status.DONE] + counts[Status.FAILED],
        finished_at=timezone.now(),
    )
    return {"job": job_id, "status": status, "imported": counts[Status.DONE], "failed": len(failed)}


def _mark_crashed(job_id: int, message: str) -> None:
    ImportJobFile.objects.filter(job_id=job_id, status=Status.RUNNING).update(
        status=Status.FAILED, error=message
    )
    ImportJob.objects.filter(pk=job_id).update(
        status=Status.FAILED, error=message, finished_at=timezone.now()
    )


# -- the job's lock ----------------------------------------------------------------------------------------


def _try_lock(job_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s::int, %s::int)", [_LOCK_CLASS, job_id])
        return cursor.fetchone()[0]


def _unlock(job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s::int, %s::int)", [_LOCK_CLASS, job_id])


def job_is_active(job_id: int) -> bool:
    """Whether some session (a worker, a request) is importing the job right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = %s::int::oid AND objid = %s::int::oid AND objsubid = 2)",
            [_LOCK_CLASS, job_id],
        )
        return cursor.fetchone()[0]
