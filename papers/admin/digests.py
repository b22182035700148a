"""Admin for digests and their import: sources, digests, entries, uploads and import jobs.

Uploading needs ``papers.upload_digest``: Digests › "Upload digests" reads the files (papers.uploads),
previews each with a dry run (papers.previews) and keeps the accepted bytes as an unconfirmed ImportJob;
confirming starts that job (papers.jobs) and leads to its status page, which is the ImportJob change page.
An upload over ``DIGEST_BACKGROUND_PREVIEW_BYTES`` is previewed by the background worker instead: the
request answers at once with its preview page, which follows the worker and then shows the same preview.

A job is its uploader's: others get 404 for its pages and actions, as if it did not exist (job ids cannot
be probed), and do not see it listed. ``papers.view_all_imports`` (superusers have every permission) shows
every job; confirming, discarding and retrying stay with the uploader and superusers.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse

from digest.request_limits import accepts_upload
from papers.digests import delete_digests
from papers.jobs import (
    JobNotRetryable,
    create_job,
    create_preview_job,
    discard_preview,
    discard_stale_previews,
    is_confirmed,
    is_previewed,
    retry_blocker,
    retry_job,
    start_job,
)
from papers.models import Digest, DigestEntry, ImportJob, ImportJobFile, Source
from papers.previews import FilePreview, preview_document, preview_files, stored_previews, upload_report
from papers.uploads import ACCEPT, ACCEPTED_TYPES, read_upload

UPLOAD_PERMISSION = "papers.upload_digest"
VIEW_ALL_IMPORTS_PERMISSION = "papers.view_all_imports"
Status = ImportJob.Status
_PREVIEW_STATUS_LABELS = {
    Status.QUEUED: "Preview queued",
    Status.RUNNING: "Previewing",
    Status.FAILED: "Preview failed",
}


def can_upload(request: HttpRequest) -> bool:
    return request.user.has_perm(UPLOAD_PERMISSION)


def _require_upload_permission(request: HttpRequest) -> None:
    if not can_upload(request):
        raise PermissionDenied


def visible_jobs(request: HttpRequest, jobs: QuerySet[ImportJob] | None = None) -> QuerySet[ImportJob]:
    """The jobs the user may see: their own, or all of them with the "view all imports" permission."""
    jobs = ImportJob.objects.all() if jobs is None else jobs
    if request.user.has_perm(VIEW_ALL_IMPORTS_PERMISSION):
        return jobs
    return jobs.filter(created_by_id=request.user.pk)


def may_act_on(request: HttpRequest, job: ImportJob) -> bool:
    """Confirming, discarding and retrying a job are for its uploader (and superusers)."""
    return can_upload(request) and (job.created_by_id == request.user.pk or request.user.is_superuser)


def _job_to_act_on(request: HttpRequest, job_id: int) -> ImportJob:
    _require_upload_permission(request)
    job = get_object_or_404(visible_jobs(request), pk=job_id)
    if not may_act_on(request, job):  # they can see it: saying 403 gives nothing away
        raise PermissionDenied
    return job


def status_label(job: ImportJob) -> str:
    if is_confirmed(job):
        return job.get_status_display()
    if is_previewed(job):
        return "Not confirmed (preview)"
    return _PREVIEW_STATUS_LABELS.get(job.status, job.get_status_display())


def progress(job: ImportJob) -> str:
    done = f"{job.done_files}/{job.total_files}"
    return done if is_previewed(job) else f"{done} files parsed"


def status_line(job: ImportJob, blocker: str | None, failed_files: int) -> str:
    """The status with what the editor can do about it; ``blocker`` is ``retry_blocker(job)``."""
    line = f"{status_label(job)} {progress(job)}"
    if is_previewed(job) and not is_confirmed(job):
        return line
    if job.status == Status.FAILED:
        return f"{line}: {failed_files} of {job.total_files} files failed" if failed_files else line
    if job.status == Status.RUNNING and blocker is None:
        if is_confirmed(job):
            return f"{line}: interrupted (the process importing it stopped); retry to finish it"
        return f"{line}: interrupted (the process previewing it stopped); preview it again"
    if job.status == Status.QUEUED and blocker:
        return f"{line}: {blocker}"
    if job.status == Status.QUEUED:
        return f"{line}: its background task stopped; retry to run it again"
    return line


def job_state(request: HttpRequest, job: ImportJob, failed_files: int = 0) -> dict:
    """What a job's pages (status, preview) show of its state, and whether it can be retried now."""
    blocker = retry_blocker(job) if job.status != Status.DONE else None
    active = job.status in (Status.QUEUED, Status.RUNNING) and (is_confirmed(job) or not is_previewed(job))
    return {
        "refresh": active and blocker is not None,
        "status_line": status_line(job, blocker, failed_files),
        "can_retry": job.status != Status.DONE and blocker is None and may_act_on(request, job),
        "retry_note": blocker if job.status == Status.FAILED else "",
        "can_act": may_act_on(request, job),
    }


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "language", "url"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class DigestEntryInline(admin.TabularInline):
    model = DigestEntry
    extra = 0
    raw_id_fields = ["paper"]
    ordering = ["position"]


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.Field):
    widget = MultipleFileInput

    def to_python(self, data) -> list:
        if not data:
            return []
        return list(data) if isinstance(data, list | tuple) else [data]


class DigestUploadForm(forms.Form):
    files = MultipleFileField(
        label="Digest files",
        widget=MultipleFileInput(attrs={"accept": ACCEPT}),
        error_messages={"required": "Choose at least one file."},
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("files"):
            self.batch = read_upload(cleaned["files"])
            if not self.batch.files:  # nothing usable: say why, on the form
                raise ValidationError(self.batch.errors or ["No digest files were found in the upload."])
        return cleaned


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "source",
        "issued",
        "status",
        "papers_created",
        "papers_updated",
        "papers_unchanged",
        "imported_at",
    ]
    list_filter = ["status", "source", "issued"]
    search_fields = ["name", "title", "checksum"]
    readonly_fields = ["checksum", "encoding", "created_at", "updated_at", "imported_at", "imported_by"]
    list_select_related = ["source"]
    inlines = [DigestEntryInline]

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("upload/", view(self.upload_view), name="papers_digest_upload"),
            path("upload/<int:job_id>/", view(self.upload_preview_view), name="papers_digest_upload_preview"),
            path(
                "upload/<int:job_id>/confirm/",
                view(self.confirm_upload_view),
                name="papers_digest_upload_confirm",
            ),
            path(
                "upload/<int:job_id>/cancel/",
                view(self.cancel_upload_view),
                name="papers_digest_upload_cancel",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        return super().changelist_view(request, {**(extra_context or {}), "can_upload": can_upload(request)})

    # -- deleting: the papers that came only from the digest go too ---------------------------------------

    def delete_model(self, request: HttpRequest, obj: Digest) -> None:
        self._report_deleted(request, delete_digests(Digest.objects.filter(pk=obj.pk)))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Digest]) -> None:
        self._report_deleted(request, delete_digests(queryset))

    def _report_deleted(self, request: HttpRequest, deleted) -> None:
        if deleted.papers_deleted:
            self.message_user(
                request,
                f"{deleted.papers_deleted} papers listed only there were deleted with them.",
                messages.INFO,
            )

    # -- uploading -------------------------------------------------------------------------------------------

    def _context(self, request: HttpRequest, title: str, **context) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "has_view_permission": self.has_view_permission(request),
            **context,
        }

    # A larger body than a form's, checked against the limit before it is read (digest.request_limits).
    @accepts_upload("DIGEST_UPLOAD_MAX_BYTES")
    def upload_view(self, request: HttpRequest) -> HttpResponse:
        _require_upload_permission(request)
        form = (
            DigestUploadForm(request.POST, request.FILES) if request.method == "POST" else DigestUploadForm()
        )
        if request.method == "POST" and form.is_valid():
            discard_stale_previews()
            batch = form.batch
            if batch.total_bytes > settings.DIGEST_BACKGROUND_PREVIEW_BYTES:
                # Parsing tens of megabytes outlasts the web server's timeout: the worker does it.
                job = create_preview_job(batch, request.user)
                return redirect("admin:papers_digest_upload_preview", job.pk)
            previews = preview_files(batch.files, request.user)
            importable = [file for file, preview in zip(batch.files, previews, strict=True) if preview.ok]
            document = preview_document(batch, previews)
            job = create_job(importable, request.user, preview=document) if importable else None
            return self._preview_page(request, job, upload_report(batch), previews)
        limits = {
            "per_file": filesizeformat(settings.DIGEST_MAX_FILE_BYTES),
            "per_upload": filesizeformat(settings.DIGEST_UPLOAD_MAX_BYTES),
            "files_at_once": settings.DATA_UPLOAD_MAX_NUMBER_FILES,
            "zip_files": settings.DIGEST_ZIP_MAX_FILES,
            "zip_unpacked": filesizeformat(settings.DIGEST_ZIP_MAX_UNCOMPRESSED_BYTES),
        }
        context = self._context(
            request, "Upload digests", form=form, accepted_types=ACCEPTED_TYPES, limits=limits
        )
        return TemplateResponse(request, "admin/papers/digest/upload.html", context)

    def _preview_page(
        self, request: HttpRequest, job: ImportJob | None, report: dict, previews: list[FilePreview]
    ) -> TemplateResponse:
        importable = [preview for preview in previews if preview.ok]
        context = self._context(
            request,
            "Preview of the upload",
            report=report,
            previews=previews,
            job=job,
            can_act=job is not None and may_act_on(request, job),
            importable=len(importable),
            refused=len(previews) - len(importable),
            background=sum(preview.size for preview in importable)
            > settings.DIGEST_BACKGROUND_THRESHOLD_BYTES,
        )
        return TemplateResponse(request, "admin/papers/digest/upload_preview.html", context)

    def upload_preview_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        """An upload's preview: while the worker previews it, its progress (the page refreshes itself)."""
        _require_upload_permission(request)
        job = get_object_or_404(visible_jobs(request), pk=job_id)
        if is_confirmed(job):
            return redirect("admin:papers_importjob_change", job.pk)
        if is_previewed(job):
            return self._preview_page(request, job, job.preview, stored_previews(job.preview))
        context = self._context(
            request,
            "Preview of the upload",
            job=job,
            report=job.preview,
            job_files=job.files.defer("data").order_by("position"),
            **job_state(request, job),
        )
        return TemplateResponse(request, "admin/papers/digest/upload_previewing.html", context)

    def confirm_upload_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = _job_to_act_on(request, job_id)
        if is_confirmed(job):
            self.message_user(request, "This upload was confirmed before.", messages.INFO)
        elif not is_previewed(job):
            self.message_user(
                request,
                "This upload is still being previewed; confirm it once its preview is shown.",
                messages.WARNING,
            )
            return redirect("admin:papers_digest_upload_preview", job.pk)
        else:
            job = start_job(job)
            if job.status == ImportJob.Status.DONE:
                self.message_user(request, f"Imported {job.total_files} files.", messages.SUCCESS)
            elif job.status == ImportJob.Status.FAILED:
                self.message_user(request, "Some files could not be imported; see below.", messages.ERROR)
            else:
                self.message_user(
                    request, "The files are being imported in the background; this page follows the progress."
                )
        return redirect("admin:papers_importjob_change", job.pk)

    def cancel_upload_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = _job_to_act_on(request, job_id)
        if discard_preview(job):
            self.message_user(request, "The upload was discarded; nothing was imported.", messages.INFO)
            return redirect("admin:papers_digest_changelist")
        self.message_user(
            request, "This upload was confirmed before and cannot be discarded.", messages.WARNING
        )
        return redirect("admin:papers_importjob_change", job.pk)


@admin.register(DigestEntry)
class DigestEntryAdmin(admin.ModelAdmin):
    list_display = ["digest", "position", "paper", "line"]
    list_filter = ["digest__source"]
    search_fields = ["paper__title", "paper__arxiv_id", "digest__name"]
    raw_id_fields = ["digest", "paper"]
    list_select_related = ["digest__source", "paper"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Read-only: the list of uploads and, as the change page, a job's status page. File bytes are never
    shown (nor loaded): only names, sizes and checksums. Each user sees only the jobs ``visible_jobs``
    gives them; any other job id is a 404."""

    list_display = ["upload", "status_label", "progress", "created_by", "created_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["created_by"]
    fields = [
        "status_label",
        "progress",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "task_id",
        "error",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportJob]:
        return visible_jobs(request, super().get_queryset(request).defer("preview"))

    def _visible_job_or_404(self, request: HttpRequest, object_id: str) -> ImportJob:
        # The admin would redirect to its index ("perhaps it was deleted?") where a job is not visible.
        job = self.get_object(request, object_id)
        if job is None:
            raise Http404
        return job

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return can_upload(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if (
            obj is not None
            and is_confirmed(obj)
            and obj.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
        ):
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="Upload", ordering="pk")
    def upload(self, job: ImportJob) -> str:
        return f"#{job.pk}"

    @admin.display(description="Status", ordering="status")
    def status_label(self, job: ImportJob) -> str:
        return status_label(job)

    @admin.display(description="Progress")
    def progress(self, job: ImportJob) -> str:
        return progress(job)

    def get_urls(self):
        retry = self.admin_site.admin_view(self.retry_view)
        return [path("<int:job_id>/retry/", retry, name="papers_importjob_retry"), *super().get_urls()]

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None) -> HttpResponse:
        job = self._visible_job_or_404(request, object_id)
        files = list(ImportJobFile.objects.filter(job=job).defer("data").order_by("position"))
        failed = sum(1 for file in files if file.status == Status.FAILED)
        extra_context = {
            **(extra_context or {}),
            **job_state(request, job, failed),
            "job_files": files,
            "preview_url": ""
            if is_confirmed(job)
            else reverse("admin:papers_digest_upload_preview", args=[job.pk]),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request: HttpRequest, object_id, extra_context=None) -> HttpResponse:
        self._visible_job_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request: HttpRequest, object_id, extra_context=None) -> HttpResponse:
        self._visible_job_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def retry_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = _job_to_act_on(request, job_id)
        previewing = not is_previewed(job)
        try:
            job = retry_job(job)
        except JobNotRetryable as reason:
            self.message_user(request, f"The job was not retried: {reason}.", messages.WARNING)
        else:
            if previewing:
                self.message_user(request, "The upload is being previewed again in the background.")
            elif job.status == Status.DONE:
                self.message_user(request, "Every file is imported now.", messages.SUCCESS)
            elif job.status == Status.FAILED:
                self.message_user(
                    request, "Some files still could not be imported; see below.", messages.ERROR
                )
            else:
                self.message_user(request, "The remaining files are being imported in the background.")
        if previewing:
            return redirect("admin:papers_digest_upload_preview", job.pk)
        return redirect("admin:papers_importjob_change", job.pk)
