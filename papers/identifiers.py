"""What an arXiv id and an arXiv category code look like, and the key two names or titles are matched
on. The models' check constraints and the ingest pipeline share these rules, so they live apart from
both: the models import nothing of the ingest pipeline."""

from __future__ import annotations

import re
import unicodedata

ARXIV_NEW_ID = r"\d{4}\.\d{4,5}"
ARXIV_OLD_ID = r"[a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7}"
ARXIV_ID_PATTERN = rf"^(?:{ARXIV_NEW_ID}|{ARXIV_OLD_ID})$"  # also Paper.arxiv_id's check constraint
_ARXIV_ID = re.compile(ARXIV_ID_PATTERN)
# Links and ids are found case-insensitively ("HEP-TH/9901002"); arXiv writes an old-style id's archive in
# lower case and its subject class in capitals ("math.GT/0309136"), and only that form is stored.
_OLD_ID_PARTS = re.compile(
    r"(?P<archive>[a-z][a-z\-]+)(?:\.(?P<subject>[a-z]{2}))?/(?P<number>\d{7})", re.IGNORECASE
)

# An archive ("cs", "hep-th", "q-bio", old "solv-int"), optionally a subject class: two capitals ("cs.LG",
# "astro-ph.GA") or a lower-case name ("cond-mat.dis-nn", "physics.comp-ph", "cond-mat.soft"). Codes are
# kept exactly as arXiv writes them, so "CS.LG" is refused rather than guessed at. The pattern is also the
# Category.code check constraint: it uses only what Python's re and PostgreSQL's regular expressions share.
_ARCHIVE = r"(?:[a-z]{2,}|[a-z]-[a-z]+)(?:-[a-z]+)*"
_SUBJECT_CLASS = r"(?:[A-Z]{2}|[a-z]{3,}(?:-[a-z]+)*|[a-z]+(?:-[a-z]+)+)"
CATEGORY_CODE_PATTERN = rf"^{_ARCHIVE}(?:\.{_SUBJECT_CLASS})?$"
CATEGORY_CODE_MAX_LENGTH = 40  # Category.code's column
_CATEGORY_CODE = re.compile(CATEGORY_CODE_PATTERN)


def canonical_arxiv_id(value: str) -> str | None:
    """An arXiv id (without version) as arXiv writes it: ``"HEP-TH/9901002"`` -> ``"hep-th/9901002"``,
    ``"MATH.gt/0309136"`` -> ``"math.GT/0309136"``; ``None`` when ``value`` is not an arXiv id."""
    if old := _OLD_ID_PARTS.fullmatch(value):
        subject = f".{old['subject'].upper()}" if old["subject"] else ""
        value = f"{old['archive'].lower()}{subject}/{old['number']}"
    return value if _ARXIV_ID.fullmatch(value) else None


def is_category_code(code: str) -> bool:
    return len(code) <= CATEGORY_CODE_MAX_LENGTH and _CATEGORY_CODE.fullmatch(code) is not None


def match_key(text: str) -> str:
    """Key for matching, never for display: NFKC, casefolded, punctuation and spacing removed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())
