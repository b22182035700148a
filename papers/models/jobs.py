"""Uploads of digest files waiting to be previewed and imported by the background worker (papers.jobs)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from papers.models.digests import Digest


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One upload of digest files: previewed (in the request, or by the background worker when large),
    then, once confirmed, imported now or by the background worker (papers.jobs). ``status`` and the
    progress count describe the preview until ``previewed_at`` is set, the import after ``started_at``."""

    Status = JobStatus

    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total_files = models.PositiveIntegerField(default=0)
    done_files = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    previewed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)  # when the editor confirmed the preview
    finished_at = models.DateTimeField(null=True, blank=True)
    # What the preview page shows: {"errors": [...], "notes": [...]} of reading the upload and "files",
    # one papers.previews.FilePreview per file, refused ones included.
    preview = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("view_all_imports", "Can view the import jobs of every editor")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="importjob_status_valid"),
            models.CheckConstraint(condition=Q(done_files__lte=F("total_files")), name="importjob_progress"),
            models.CheckConstraint(
                condition=Q(started_at__isnull=True) | Q(previewed_at__isnull=False),
                name="importjob_confirmed_after_preview",
            ),
        ]

    def __str__(self) -> str:
        # Not the status: whether it is the preview's or the import's is the admin's status line to say.
        return f"Upload #{self.pk}"


class ImportJobFile(models.Model):
    """One file of an upload, kept until imported so that a failed import can be retried."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=255)
    data = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    checksum = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    digest = models.ForeignKey(Digest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["job", "position"]
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="importjobfile_unique_position"),
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="importjobfile_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name
