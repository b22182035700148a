"""What an import reports: per file (DigestImportResult) and per paper it names (PaperOutcome)."""

from __future__ import annotations

from dataclasses import dataclass, field

from papers.ingest.parsed import ParsedDigest

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass
class PaperOutcome:
    title: str
    arxiv_id: str | None
    state: str = UNCHANGED
    matched_by: str | None = None  # "arxiv_id", "title", or None for a new paper
    changes: list[str] = field(default_factory=list)
    related: bool = False  # listed in a related-paper list rather than as an entry
    paper_id: int | None = None


@dataclass
class DigestImportResult:
    """What importing one digest file did (or, for a dry run, would do)."""

    name: str
    checksum: str = ""
    family: str = ""
    encoding: str = ""
    digest_id: int | None = None
    identical: bool = False  # these exact bytes were imported before
    dry_run: bool = False
    parsed: ParsedDigest | None = None
    papers: list[PaperOutcome] = field(default_factory=list)
    summaries_created: int = 0
    summaries_updated: int = 0
    summaries_deleted: int = 0
    corrections_kept: int = 0  # editors' corrections a re-import left alone (each also a warning)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, state: str) -> int:
        return sum(1 for outcome in self.papers if outcome.state == state)
