"""Admin for digests and their import: sources, digests, entries, uploads and import jobs.

Uploading needs ``papers.upload_digest``: Digests › "Upload digests" reads the files (papers.uploads),
previews each with a dry run and keeps the accepted bytes as an unconfirmed ImportJob; confirming starts
that job (papers.jobs) and leads to its status page, which is the ImportJob change page.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse

from papers.digests import delete_digests
from papers.jobs import (
    JobNotRetryable,
    create_job,
    discard_preview,
    discard_stale_previews,
    is_confirmed,
    preview_files,
    retry_blocker,
    retry_job,
    start_job,
)
from papers.models import Digest, DigestEntry, ImportJob, ImportJobFile, Source
from papers.uploads import ACCEPT, ACCEPTED_TYPES, read_upload

UPLOAD_PERMISSION = "papers.upload_digest"


def can_upload(request: HttpRequest) -> bool:
    return request.user.has_perm(UPLOAD_PERMISSION)


def _require_upload_permission(request: HttpRequest) -> None:
    if not can_upload(request):
        raise PermissionDenied


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

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        _require_upload_permission(request)
        form = (
            DigestUploadForm(request.POST, request.FILES) if request.method == "POST" else DigestUploadForm()
        )
        if request.method == "POST" and form.is_valid():
            discard_stale_previews()
            batch = form.batch
            previews = preview_files(batch.files, request.user)
            importable = [preview.file for preview in previews if preview.result.ok]
            job = create_job(importable, request.user) if importable else None
            context = self._context(
                request,
                "Preview of the upload",
                batch=batch,
                previews=previews,
                job=job,
                importable=len(importable),
                refused=len(previews) - len(importable),
                background=sum(file.size for file in importable) > settings.DIGEST_BACKGROUND_THRESHOLD_BYTES,
            )
            return TemplateResponse(request, "admin/papers/digest/upload_preview.html", context)
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

    def _own_job(self, request: HttpRequest, job_id: int) -> ImportJob:
        _require_upload_permission(request)
        job = get_object_or_404(ImportJob, pk=job_id)
        if job.created_by_id != request.user.pk and not request.user.is_superuser:
            raise PermissionDenied
        return job

    def confirm_upload_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = self._own_job(request, job_id)
        if is_confirmed(job):
            self.message_user(request, "This upload was confirmed before.", messages.INFO)
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
        job = self._own_job(request, job_id)
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
    shown (nor loaded): only names, sizes and checksums."""

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
        return job.get_status_display() if is_confirmed(job) else "Not confirmed (preview)"

    @admin.display(description="Progress")
    def progress(self, job: ImportJob) -> str:
        return f"{job.done_files}/{job.total_files}"

    def get_urls(self):
        retry = self.admin_site.admin_view(self.retry_view)
        return [path("<int:job_id>/retry/", retry, name="papers_importjob_retry"), *super().get_urls()]

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None) -> HttpResponse:
        job = self.get_object(request, object_id)
        if job is not None:
            files = ImportJobFile.objects.filter(job=job).defer("data").order_by("position")
            blocker = retry_blocker(job) if job.status != ImportJob.Status.DONE else None
            active = is_confirmed(job) and job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
            extra_context = {
                **(extra_context or {}),
                "job_files": files,
                "refresh": active and blocker is not None,
                "status_line": self._status_line(job, blocker, files),
                "can_retry": job.status != ImportJob.Status.DONE and blocker is None and can_upload(request),
                "retry_note": blocker if job.status == ImportJob.Status.FAILED else "",
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _status_line(self, job: ImportJob, blocker: str | None, files) -> str:
        line = f"{self.status_label(job)} {self.progress(job)}"
        if not is_confirmed(job):
            return line
        if job.status == ImportJob.Status.FAILED:
            failed = sum(1 for file in files if file.status == ImportJob.Status.FAILED)
            return f"{line}: {failed} of {job.total_files} files failed" if failed else line
        if job.status == ImportJob.Status.RUNNING and blocker is None:
            return f"{line}: interrupted (the process importing it stopped); retry to finish it"
        if job.status == ImportJob.Status.QUEUED and blocker:
            return f"{line}: {blocker}"
        if job.status == ImportJob.Status.QUEUED:
            return f"{line}: its background task stopped; retry to run it again"
        return line

    def retry_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        _require_upload_permission(request)
        job = get_object_or_404(ImportJob, pk=job_id)
        try:
            job = retry_job(job)
        except JobNotRetryable as reason:
            self.message_user(request, f"The job was not retried: {reason}.", messages.WARNING)
        else:
            if job.status == ImportJob.Status.DONE:
                self.message_user(request, "Every file is imported now.", messages.SUCCESS)
            elif job.status == ImportJob.Status.FAILED:
                self.message_user(
                    request, "Some files still could not be imported; see below.", messages.ERROR
                )
            else:
                self.message_user(request, "The remaining files are being imported in the background.")
        return redirect(reverse("admin:papers_importjob_change", args=[job.pk]))
