"""The parsed form of a digest: what every family parser returns and the importer consumes.

Parsers are pure functions ``text -> ParsedDigest``; nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from papers.summary_kinds import (
    ABSTRACT,
    ANALYSIS,
    BACKGROUND,
    CONTRIBUTIONS,
    FUTURE_WORK,
    METHOD,
    RESULTS,
    SUMMARY,
    TITLE,
)

# The contract between the parsers and the importer, with the kinds a ParsedSummary has.
__all__ = [
    "ABSTRACT",
    "ANALYSIS",
    "BACKGROUND",
    "CONTRIBUTIONS",
    "FUTURE_WORK",
    "METHOD",
    "RESULTS",
    "SUMMARY",
    "TITLE",
    "DigestParseError",
    "ParseWarning",
    "ParsedDigest",
    "ParsedLink",
    "ParsedPaper",
    "ParsedRelated",
    "ParsedSummary",
]


class DigestParseError(ValueError):
    """Raised for input that cannot be parsed as a digest; the message is shown to editors as is."""


@dataclass
class ParsedSummary:
    language: str  # BCP-47 primary tag: "ja", "zh", "ko", "en", ...
    kind: str  # one of papers.summary_kinds
    text: str


@dataclass
class ParsedLink:
    url: str
    kind: str  # "paper", "pdf", "code", "project", "discussion", "more"


@dataclass
class ParsedRelated:
    """A paper listed as related to an entry (論文の概要's 関連論文リスト)."""

    title: str
    score: float | None = None
    published: date | None = None
    summaries: list[ParsedSummary] = field(default_factory=list)
    arxiv_id: str | None = None


@dataclass
class ParsedPaper:
    title: str  # the English original title
    line: int  # 1-based line of the entry's first line in the parsed text
    arxiv_id: str | None = None  # version stripped, e.g. "2404.19756"
    authors: list[str] = field(default_factory=list)  # as printed, in order
    categories: list[str] = field(default_factory=list)  # arXiv codes such as "cs.CL"
    published: date | None = None
    abstract: str = ""  # the English original abstract when the digest carries it
    summaries: list[ParsedSummary] = field(default_factory=list)
    links: list[ParsedLink] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)  # e.g. {"reading_index": 3.5}
    related: list[ParsedRelated] = field(default_factory=list)


@dataclass
class ParseWarning:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ParsedDigest:
    family: str  # the parser's FAMILY, e.g. "arxiv_jp"
    title: str = ""
    issued: date | None = None  # the digest's own posting/issue date
    url: str = ""  # the digest's original URL when it names one (原文 etc.)
    papers: list[ParsedPaper] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(ParseWarning(line, message))
