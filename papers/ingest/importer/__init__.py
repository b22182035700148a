"""The importer: one digest file into the catalogue's rows, in one transaction (see ``api``).

``api`` is the entry point, ``results`` what it reports; ``checks`` refuses values before anything is
written, ``locks`` serialises imports and merges on paper keys, ``matching`` finds the rows a file's papers
are, ``planning`` decides every change in memory and ``writing`` writes them with set-based SQL.
"""

from papers.ingest.importer.api import import_digest
from papers.ingest.importer.results import CREATED, UNCHANGED, UPDATED, DigestImportResult, PaperOutcome

__all__ = ["CREATED", "UNCHANGED", "UPDATED", "DigestImportResult", "PaperOutcome", "import_digest"]
