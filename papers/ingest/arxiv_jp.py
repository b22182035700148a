"""Parser for arxiv.jp posts: Google-translated arXiv abstracts, one entry per paper.

Layout of one entry (blank lines optional; an HTML page may prefix lines with "- " or "> "):

    <English title>
    要約
    <Japanese abstract, one sentence per line>
    要約(オリジナル)
    <English abstract>
    arxiv情報
    著者 A,B,C
    発行日 2024-10-10 17:17:38+00:00
    arxivサイト arxiv_id(pdf)            <- HTML pages: "arxiv_id(pdf) <https://arxiv.org/pdf/2410.07869>"
    提供元, 利用サービス
    arxiv.jp, Google
    カテゴリー: cs.AI, cs.CL, cs.LG | コメントする

The English title carries no label: it is the last non-empty line before a 要約 header, so stray lines
before an entry are skipped (with a warning) rather than taken for a title. An entry counts as complete
once its arxiv情報 block is reached; one cut off before it (a truncated paste) is skipped with a warning.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from .categories import split_category_codes
from .parsed import ABSTRACT, DigestParseError, ParsedDigest, ParsedLink, ParsedPaper, ParsedSummary
from .text import arxiv_id_from_url, find_arxiv_id, split_links, usable_urls

FAMILY = "arxiv_jp"
LABEL = "arxiv.jp (Japanese abstract translations)"

_JA_ABSTRACT_HEADER = re.compile(r"^要約$")
_EN_ABSTRACT_HEADER = re.compile(r"^要約\s*[(（]\s*オリジナル\s*[)）]$")
_METADATA_HEADER = re.compile(r"^arxiv\s*情報$", re.IGNORECASE)
# "著者" must be followed by a space or colon so that a sentence such as "著者らは…" is not a field.
_AUTHORS = re.compile(r"^著者(?:\s*[:：]\s*|\s+)(?P<names>\S.*)$")
_PUBLISHED = re.compile(r"^発行日\s*[:：]?\s*(?P<date>\d{4}-\d{2}-\d{2})")
_ARXIV_SITE = re.compile(r"^arxiv\s*サイト\s*[:：]?\s*(?P<rest>.*)$", re.IGNORECASE)
_CATEGORIES = re.compile(r"^カテゴリー\s*[:：]\s*(?P<codes>[^|｜]*)")
# The provider block is the same on every entry and says nothing about the paper; an HTML page may
# also put the comment link of the カテゴリー line on a line of its own.
_BOILERPLATE = re.compile(
    r"^(?:提供元\s*[,、，]\s*利用サービス|arxiv\.jp\s*[,、，]\s*Google|\|?\s*コメントする)$", re.IGNORECASE
)

_NAME_SEPARATOR = re.compile(r"\s*[,，、]\s*")
# html_to_text renders list items as "- " and blockquotes as "> "; neither is part of the text.
_LINE_MARKUP = re.compile(r"^(?:>\s*|-\s+)+")
_DETECT_EN_HEADER = re.compile(r"^[\s>\-]*要約\s*[(（]\s*オリジナル\s*[)）]\s*$", re.MULTILINE)
_DETECT_METADATA = re.compile(r"^[\s>\-]*(?:arxiv\s*情報|発行日\s*[:：]?\s*\d{4}-\d{2}-\d{2})", re.MULTILINE)


class _Block(Enum):
    NONE = "none"  # between entries, or in the arxiv情報 block
    JA_ABSTRACT = "要約"
    EN_ABSTRACT = "要約(オリジナル)"


@dataclass
class _Line:
    number: int  # 1-based, in the input text
    text: str


@dataclass
class _Entry:
    """An entry being read; becomes a ParsedPaper when it turns out complete."""

    line: int
    title: str | None
    title_urls: list[str] = field(default_factory=list)
    ja_lines: list[_Line] = field(default_factory=list)
    en_lines: list[_Line] = field(default_factory=list)
    reached_metadata: bool = False
    authors: list[str] = field(default_factory=list)
    published: date | None = None
    categories: list[str] = field(default_factory=list)
    site_urls: list[str] = field(default_factory=list)
    site_text: str = ""


def detect(text: str) -> bool:
    """An arxiv.jp post has a 要約(オリジナル) header and an arxiv情報 block (or its 発行日 line)."""
    return bool(_DETECT_EN_HEADER.search(text) and _DETECT_METADATA.search(text))


def parse(text: str) -> ParsedDigest:
    """Parse an arxiv.jp post.

    The post names no title of its own, so ``title`` stays empty. ``issued`` is the most common
    published date among the entries (a post gathers one day's submissions); on a tie the latest
    of the tied dates wins, since a post cannot predate the papers it translates.
    """
    return _Parser().run(text)


def _strip_markup(line: str) -> str:
    return _LINE_MARKUP.sub("", line.strip()).strip()


def _preview(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _split_list(value: str) -> list[str]:
    return [item for item in _NAME_SEPARATOR.split(value.strip()) if item]


def _most_common_date(dates: list[date]) -> date | None:
    if not dates:
        return None
    counts = Counter(dates)
    best = max(counts.values())
    return max(day for day, count in counts.items() if count == best)


class _Parser:
    def __init__(self) -> None:
        self.digest = ParsedDigest(family=FAMILY)
        self.block = _Block.NONE
        self.entry: _Entry | None = None
        # Lines outside any entry; the last one becomes the title if a 要約 header follows.
        self.loose: list[_Line] = []

    def run(self, text: str) -> ParsedDigest:
        for number, raw in enumerate(text.split("\n"), start=1):
            line = _strip_markup(raw)
            if line:
                self.feed(_Line(number, line))
        self.finish_entry(at_end=True)
        self.skip_loose_lines()
        if not self.digest.papers:
            raise DigestParseError(self.no_entry_message())
        self.digest.issued = _most_common_date([p.published for p in self.digest.papers if p.published])
        return self.digest

    def no_entry_message(self) -> str:
        message = (
            f"No complete {LABEL} entry found: expected an English title line followed by "
            "要約, 要約(オリジナル) and arxiv情報 blocks."
        )
        if self.digest.warnings:
            message += f" First problem: {self.digest.warnings[0]}"
        return message

    # -- dispatch ---------------------------------------------------------------------------

    def feed(self, line: _Line) -> None:
        if _JA_ABSTRACT_HEADER.match(line.text):
            self.start_entry(line)
        elif _EN_ABSTRACT_HEADER.match(line.text) and self.entry is not None:
            self.block = _Block.EN_ABSTRACT
        elif _METADATA_HEADER.match(line.text) and self.entry is not None:
            self.enter_metadata()
        elif self.block is not _Block.NONE and not self.is_metadata_field(line.text):
            self.current_block_lines().append(line)
        elif self.entry is not None and self.read_metadata_field(line):
            pass
        else:
            self.loose.append(line)

    def current_block_lines(self) -> list[_Line]:
        assert self.entry is not None
        return self.entry.ja_lines if self.block is _Block.JA_ABSTRACT else self.entry.en_lines

    # -- entries ----------------------------------------------------------------------------

    def start_entry(self, header: _Line) -> None:
        title_line = self.take_title_line()
        self.finish_entry(at_end=False)
        self.skip_loose_lines()
        if title_line is None:
            self.entry = _Entry(line=header.number, title=None)
        else:
            title, urls = split_links(title_line.text)
            urls = usable_urls(urls, title_line.number, self.digest)
            self.entry = _Entry(line=title_line.number, title=title, title_urls=urls)
        self.block = _Block.JA_ABSTRACT

    def take_title_line(self) -> _Line | None:
        """The line just before a 要約 header. Normally a loose line; when the previous entry lacks
        its arxiv情報 block, the title was read as the last line of that entry's abstract."""
        if self.loose:
            return self.loose.pop()
        if self.entry is not None and self.block is not _Block.NONE and self.current_block_lines():
            return self.current_block_lines().pop()
        return None

    def skip_loose_lines(self) -> None:
        for line in self.loose:
            self.digest.warn(line.number, f"skipped a line outside any entry: {_preview(line.text)!r}")
        self.loose.clear()

    def finish_entry(self, at_end: bool) -> None:
        entry, self.entry, self.block = self.entry, None, _Block.NONE
        if entry is None:
            return
        if not entry.title:
            self.digest.warn(entry.line, "skipped an entry without its English title (no line before 要約)")
            return
        if not entry.reached_metadata:
            reason = "the text ends before its arxiv情報 block" if at_end else "it has no arxiv情報 block"
            self.digest.warn(entry.line, f"skipped incomplete entry {_preview(entry.title)!r}: {reason}")
            return
        self.digest.papers.append(self.build_paper(entry))

    def build_paper(self, entry: _Entry) -> ParsedPaper:
        assert entry.title is not None
        paper = ParsedPaper(
            title=entry.title,
            line=entry.line,
            authors=entry.authors,
            categories=entry.categories,
            published=entry.published,
        )
        ja_abstract = "\n".join(line.text for line in entry.ja_lines)
        en_abstract = "\n".join(line.text for line in entry.en_lines)
        if ja_abstract:
            paper.summaries.append(ParsedSummary("ja", ABSTRACT, ja_abstract))
        if en_abstract:
            paper.abstract = en_abstract
            paper.summaries.append(ParsedSummary("en", ABSTRACT, en_abstract))
        self.add_arxiv_links(paper, entry)
        return paper

    def add_arxiv_links(self, paper: ParsedPaper, entry: _Entry) -> None:
        """Only saved HTML pages carry the arXiv link, behind "arxiv_id(pdf)" (or behind the title)."""
        for url in [*entry.site_urls, *entry.title_urls]:
            arxiv_id = arxiv_id_from_url(url)
            if arxiv_id is None:
                continue
            paper.arxiv_id = paper.arxiv_id or arxiv_id
            kind = "pdf" if "/pdf/" in url else "paper"
            if all(link.url != url for link in paper.links):
                paper.links.append(ParsedLink(url, kind))
        # A page that prints the id itself ("2410.07869(pdf)") instead of the placeholder.
        paper.arxiv_id = paper.arxiv_id or find_arxiv_id(entry.site_text)

    # -- the arxiv情報 block ------------------------------------------------------------------

    def enter_metadata(self) -> None:
        assert self.entry is not None
        self.entry.reached_metadata = True
        self.block = _Block.NONE

    @staticmethod
    def is_metadata_field(text: str) -> bool:
        """Fields that end an abstract block even when the arxiv情報 header itself is missing."""
        return bool(_AUTHORS.match(text) or _PUBLISHED.match(text) or _CATEGORIES.match(text))

    def read_metadata_field(self, line: _Line) -> bool:
        """Store one arxiv情報 field of the current entry; False when ``line`` is not one."""
        assert self.entry is not None
        text, urls = split_links(line.text)
        if match := _AUTHORS.match(text):
            self.entry.authors = _split_list(match["names"])
        elif match := _PUBLISHED.match(text):
            self.entry.published = self.parse_date(line, match["date"])
        elif match := _ARXIV_SITE.match(text):
            self.entry.site_text = match["rest"]
            self.entry.site_urls = usable_urls(urls, line.number, self.digest)
        elif match := _CATEGORIES.match(text):
            self.entry.categories = self.read_categories(line, match["codes"])
        elif not _BOILERPLATE.match(text):
            return False
        self.enter_metadata()
        return True

    def read_categories(self, line: _Line, text: str) -> list[str]:
        codes, rejected = split_category_codes(text)
        if rejected:
            pieces = ", ".join(map(repr, rejected))
            message = f"skipped what is not an arXiv category code (such as cs.LG) in カテゴリー: {pieces}"
            self.digest.warn(line.number, message)
        return codes

    def parse_date(self, line: _Line, value: str) -> date | None:
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.digest.warn(line.number, f"skipped an invalid 発行日 {value!r}")
            return None
