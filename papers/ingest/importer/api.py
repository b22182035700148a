"""Turns one digest file into rows. The admin upload, the CLI and the tests all call ``import_digest``.

One transaction per file: a file imports completely or not at all. Papers are matched by arXiv id,
else by normalised title, so the same paper from several digests is one row with all its summaries.
Concurrent imports of overlapping digests serialise on advisory locks (``locks``), and the unique
constraints stay the last line of defence.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.db import DataError, IntegrityError, transaction

from papers.ingest.families import read_digest
from papers.ingest.importer.checks import refusal_reason
from papers.ingest.importer.results import DigestImportResult
from papers.ingest.importer.writing import DigestWriter
from papers.ingest.parsed import DigestParseError
from papers.models import Digest

logger = logging.getLogger(__name__)


def import_digest(data: bytes, name: str, *, user=None, dry_run: bool = False) -> DigestImportResult:
    """Import one digest file. Never raises for bad input: problems are in ``result.errors`` and then
    nothing was written. With ``dry_run`` everything runs and is rolled back, an exact preview."""
    result = DigestImportResult(name=name, checksum=hashlib.sha256(data).hexdigest(), dry_run=dry_run)
    limit = settings.DIGEST_MAX_FILE_BYTES
    if len(data) > limit:
        result.errors.append(f"file is {len(data):,} bytes; the limit is {limit:,} bytes")
        return result
    try:
        read = read_digest(data)
    except DigestParseError as error:
        result.errors.append(str(error))
        return result
    result.family, result.encoding, result.parsed = read.parsed.family, read.encoding, read.parsed
    result.warnings.extend(str(warning) for warning in read.parsed.warnings)
    result.identical = Digest.objects.filter(checksum=result.checksum, status=Digest.Status.IMPORTED).exists()
    try:
        with transaction.atomic():
            DigestWriter(result, read.parsed, user).write()
            if dry_run:
                transaction.set_rollback(True)
    except Exception as error:  # any failure leaves nothing behind; report it, keep the CLI going
        result.errors.append(_failure_message(name, error))
        result.papers, result.digest_id = [], None
    if dry_run:
        result.digest_id = None
    return result


def _failure_message(name: str, error: Exception) -> str:
    if isinstance(error, DigestParseError):  # a value checks.check_parsed refused, with its line
        return f"{error}; nothing was written"
    logger.exception("import of %s failed", name)
    if isinstance(error, IntegrityError | DataError):
        return f"could not store the digest: {refusal_reason(error)}; nothing was written"
    return f"import failed, nothing was written: {error}"
