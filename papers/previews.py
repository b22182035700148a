"""What an upload would change: each file tried against the catalogue as it is now, on its own (a dry run of
the importer: everything runs and is rolled back).

A preview is plain data (``FilePreview``, stored as JSON on the upload's ImportJob), so the preview page
shows exactly the same thing whether the files were previewed during the upload request or, for a large
upload, by the background worker (papers.jobs.run_preview).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date

from papers.ingest.families import FAMILIES
from papers.ingest.importer import CREATED, UNCHANGED, UPDATED, DigestImportResult, import_digest
from papers.uploads import UploadBatch, UploadedDigest

FAMILY_LABELS = {module.FAMILY: module.LABEL for module in FAMILIES}
_PAPER_FIELDS = ("title", "arxiv_id", "state", "matched_by", "changes", "related")


@dataclass(frozen=True)
class FilePreview:
    name: str
    size: int
    family: str = ""
    encoding: str = ""
    title: str = ""
    issued: date | None = None
    identical: bool = False  # these exact bytes were imported before
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    summaries_created: int = 0
    summaries_updated: int = 0
    summaries_deleted: int = 0
    papers: list[dict] = field(default_factory=list)  # each: _PAPER_FIELDS of an importer PaperOutcome
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def family_label(self) -> str:
        return FAMILY_LABELS.get(self.family, self.family)

    @classmethod
    def of(cls, size: int, result: DigestImportResult) -> FilePreview:
        parsed = result.parsed
        return cls(
            name=result.name,
            size=size,
            family=result.family,
            encoding=result.encoding,
            title=parsed.title if parsed else "",
            issued=parsed.issued if parsed else None,
            identical=result.identical,
            created=result.count(CREATED),
            updated=result.count(UPDATED),
            unchanged=result.count(UNCHANGED),
            summaries_created=result.summaries_created,
            summaries_updated=result.summaries_updated,
            summaries_deleted=result.summaries_deleted,
            papers=[{name: getattr(paper, name) for name in _PAPER_FIELDS} for paper in result.papers],
            warnings=list(result.warnings),
            errors=list(result.errors),
        )

    def to_json(self) -> dict:
        data = asdict(self)
        data["issued"] = self.issued.isoformat() if self.issued else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> FilePreview:
        issued = date.fromisoformat(data["issued"]) if data.get("issued") else None
        return cls(**{**data, "issued": issued})


def preview_file(name: str, data: bytes, user=None) -> FilePreview:
    return FilePreview.of(len(data), import_digest(data, name, user=user, dry_run=True))


def upload_report(batch: UploadBatch) -> dict:
    """What reading the upload refused or renamed, kept with the job for its preview page."""
    return {"errors": list(batch.errors), "notes": list(batch.notes)}


def stored_previews(document: dict) -> list[FilePreview]:
    return [FilePreview.from_json(data) for data in document.get("files", [])]


def preview_files(files: Iterable[UploadedDigest], user=None) -> list[FilePreview]:
    return [preview_file(file.name, file.data, user) for file in files]


def preview_document(batch: UploadBatch, previews: list[FilePreview]) -> dict:
    """The whole preview of an upload as stored on its job (ImportJob.preview)."""
    return {**upload_report(batch), "files": [preview.to_json() for preview in previews]}
