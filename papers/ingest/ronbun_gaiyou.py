"""Parser for "論文の概要" pages: one arXiv paper with Japanese machine translations and related papers.

Layout (blank lines optional):

    論文の概要: <title>
    - arxiv url: http://arxiv.org/abs/2406.13542v1
    - Date: Wed, 19 Jun 2024 13:29:53 GMT
    - ステータス: 処理完了                        (ignored)
    - システム内更新日: 2024-06-21 19:43:36.532270  (ignored)
    - Title: <English title>
    - Title(参考訳): <Japanese title>
    - Authors: A, B, C,
    - Abstract要約: <short Japanese summary, may continue on the following lines>
    - 参考スコア(独自算出の注目度): 54.146…
    - License: <url>                              (ignored)
    - Abstract: <English abstract, may continue>
    - Abstract(参考訳): <Japanese abstract, may continue>
    関連論文リスト
    - <related title> [<score>]
    <Japanese summary lines>
    論文 参考訳(メタデータ) (2024-11-23T03:52:32Z) - <next related title> [<score>]
    …
    論文 参考訳(メタデータ) (2023-05-17T15:53:31Z)
    関連論文リストは本サイト内に… / 指定された論文の情報です。 / 本サイトの運営者は…   (site footer)

A related paper's "論文 参考訳(メタデータ) (date)" line closes it and carries its date; in the plain-text
page the next related title follows on the same line. In saved HTML pages the 論文 link of that line
points to arXiv, which gives the related paper's arxiv_id.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from email.utils import parsedate_to_datetime
from enum import Enum

from .parsed import (
    ABSTRACT,
    SUMMARY,
    TITLE,
    DigestParseError,
    ParsedDigest,
    ParsedLink,
    ParsedPaper,
    ParsedRelated,
    ParsedSummary,
)
from .text import arxiv_id_from_url, find_urls, normalize_arxiv_id, split_links, usable_urls

FAMILY = "ronbun_gaiyou"
LABEL = "論文の概要 (arXiv paper overview with related papers)"

_HEADER = re.compile(r"^(?:-\s+)?論文の概要\s*[:：]\s*(?P<title>.*)$")
_FIELD = re.compile(r"^-\s+(?P<key>[^:：]{1,40}?)\s*[:：]\s*(?P<value>.*)$")
_RELATED_SECTION = re.compile(r"^(?:-\s+)?関連論文リスト$")
# "論文 参考訳(メタデータ) (2024-11-23T03:52:32Z)", optionally followed by " - <next related title>".
_RELATED_DATE = re.compile(
    r"^(?:-\s+)?(?P<links>論文\s.*?参考訳\s*[(（]メタデータ[)）].*?)"
    r"[(（](?P<date>\d{4}-\d{2}-\d{2})(?:[T ][\d:.]+Z?)?[)）]"
    r"(?:\s+-\s+(?P<next>.+))?$"
)
# The score is the last "[number]" on the line: titles may contain brackets of their own.
_TITLE_AND_SCORE = re.compile(r"^(?P<title>.*?)\s*\[(?P<score>[-+]?\d+(?:\.\d+)?)\]\s*$")
# The site's footer below the related list; none of it belongs to any summary.
_FOOTER_PREFIXES = ("関連論文リストは", "指定された論文の情報", "本サイトの運営者は")
_BLOCKQUOTE = re.compile(r"^(?:>\s*)+")
_DETECT_HEADER = re.compile(r"^[\s>\-]*論文の概要\s*[:：]", re.MULTILINE)
_DETECT_FIELDS = re.compile(r"^[\s>]*-\s+(?:Title|Abstract)\s*[(（]参考訳[)）]\s*[:：]", re.MULTILINE)

# Field keys, normalised by _field_key.
_ARXIV_URL = "arxivurl"
_DATE = "date"
_TITLE = "title"
_JA_TITLE = "title(参考訳)"
_AUTHORS = "authors"
_JA_SUMMARY = "abstract要約"
_SCORE = "参考スコア(独自算出の注目度)"
_EN_ABSTRACT = "abstract"
_JA_ABSTRACT = "abstract(参考訳)"
_IGNORED_KEYS = frozenset({"ステータス", "システム内更新日", "license"})
# Fields whose value may continue on the following lines, up to the next "- Key:" line.
_MULTI_LINE_KEYS = frozenset({_JA_SUMMARY, _EN_ABSTRACT, _JA_ABSTRACT})
_BLOCK_NAMES = {_JA_SUMMARY: "Abstract要約", _EN_ABSTRACT: "Abstract", _JA_ABSTRACT: "Abstract(参考訳)"}
_KNOWN_KEYS = (
    frozenset({_ARXIV_URL, _DATE, _TITLE, _JA_TITLE, _AUTHORS, _SCORE}) | _MULTI_LINE_KEYS | _IGNORED_KEYS
)


class _Section(Enum):
    OUTSIDE = "outside"  # before the first header
    PAPER = "paper"  # the "- Key: value" fields
    RELATED = "related"  # 関連論文リスト
    FOOTER = "footer"  # after the site footer started


@dataclass
class _Block:
    key: str
    line: int
    lines: list[str] = field(default_factory=list)


@dataclass
class _RelatedDraft:
    line: int
    title: str
    score: float | None
    urls: list[str]
    summary_lines: list[str] = field(default_factory=list)


@dataclass
class _PaperDraft:
    line: int
    header_title: str
    paper: ParsedPaper
    blocks: dict[str, str] = field(default_factory=dict)  # multi-line field key -> text


def detect(text: str) -> bool:
    """A 論文の概要 page starts with its header; without it, two "(参考訳)" fields are enough."""
    return bool(_DETECT_HEADER.search(text) or len(_DETECT_FIELDS.findall(text)) >= 2)


def parse(text: str) -> ParsedDigest:
    """Parse a 論文の概要 page (several pasted one after another also work).

    ``title`` is the first header line as printed ("論文の概要: …"); the page gives no date of its
    own, so ``issued`` stays None. Related papers are returned in ``ParsedPaper.related`` with
    their title, score, date (from their "論文 参考訳(メタデータ) (…)" line) and Japanese summary.
    """
    return _Parser().run(text)


def _field_key(key: str) -> str:
    return re.sub(r"\s+", "", key.replace("（", "(").replace("）", ")")).casefold()


def _preview(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _split_title_and_score(text: str) -> tuple[str, float | None]:
    match = _TITLE_AND_SCORE.match(text)
    if match is None:
        return text.strip(), None
    return match["title"].strip(), float(match["score"])


class _Parser:
    def __init__(self) -> None:
        self.digest = ParsedDigest(family=FAMILY)
        self.section = _Section.OUTSIDE
        self.draft: _PaperDraft | None = None
        self.block: _Block | None = None
        self.related: _RelatedDraft | None = None

    def run(self, text: str) -> ParsedDigest:
        for number, raw in enumerate(text.split("\n"), start=1):
            line = _BLOCKQUOTE.sub("", raw.strip()).strip()
            if line:
                self.feed(number, line)
        self.finish_paper(at_end=True)
        if not self.digest.papers:
            raise DigestParseError(self.no_entry_message())
        return self.digest

    def no_entry_message(self) -> str:
        message = (
            f"No complete {LABEL} entry found: expected a '論文の概要: …' header with "
            "'- Title:' and '- Abstract:' fields."
        )
        if self.digest.warnings:
            message += f" First problem: {self.digest.warnings[0]}"
        return message

    # -- dispatch ---------------------------------------------------------------------------

    def feed(self, number: int, line: str) -> None:
        if line.startswith(_FOOTER_PREFIXES):
            self.start_footer()
        elif match := _HEADER.match(line):
            self.start_paper(number, match["title"].strip())
        elif self.section is _Section.RELATED:
            self.read_related_line(number, line)
        elif self.section is _Section.FOOTER:
            self.digest.warn(number, f"skipped a line after the site footer: {_preview(line)!r}")
        elif _RELATED_SECTION.match(line) and self.draft is not None:
            self.start_related_section()
        elif line.startswith("- "):
            self.read_field_line(number, line)
        elif self.block is not None:
            self.block.lines.append(line)
        else:
            where = "outside any entry" if self.draft is None else "that belongs to no field"
            self.digest.warn(number, f"skipped a line {where}: {_preview(line)!r}")

    def start_footer(self) -> None:
        self.close_block()
        self.close_related_without_date()
        self.section = _Section.FOOTER

    # -- the paper --------------------------------------------------------------------------

    def start_paper(self, number: int, header_title: str) -> None:
        self.finish_paper(at_end=False)
        if not self.digest.title:
            self.digest.title = f"論文の概要: {header_title}".strip()
        self.draft = _PaperDraft(number, header_title, ParsedPaper(title="", line=number))
        self.section = _Section.PAPER

    def finish_paper(self, at_end: bool) -> None:
        if self.section is _Section.RELATED and self.related is not None and at_end:
            self.digest.warn(
                self.related.line,
                f"skipped incomplete related paper {_preview(self.related.title)!r}: "
                "the text ends before its 論文 参考訳(メタデータ) date line",
            )
            self.related = None
        if self.block is not None and at_end:
            self.digest.warn(
                self.block.line,
                f"the text ends inside the {_BLOCK_NAMES[self.block.key]} field: it may be cut off",
            )
        self.close_block()
        self.close_related_without_date()
        draft, self.draft = self.draft, None
        if draft is not None:
            self.add_paper(draft)

    def add_paper(self, draft: _PaperDraft) -> None:
        paper = draft.paper
        paper.title = paper.title or draft.header_title
        if not paper.title:
            self.digest.warn(draft.line, "skipped an entry without its English title (no '- Title:' field)")
            return
        if _EN_ABSTRACT not in draft.blocks:
            self.digest.warn(
                draft.line,
                f"skipped incomplete entry {_preview(paper.title)!r}: it has no '- Abstract:' field",
            )
            return
        # Summaries in the page's order of fields, whatever order they were read in.
        for key, language, kind in (
            (_JA_TITLE, "ja", TITLE),
            (_JA_SUMMARY, "ja", SUMMARY),
            (_EN_ABSTRACT, "en", ABSTRACT),
            (_JA_ABSTRACT, "ja", ABSTRACT),
        ):
            if draft.blocks.get(key):
                paper.summaries.append(ParsedSummary(language, kind, draft.blocks[key]))
        paper.abstract = draft.blocks[_EN_ABSTRACT]
        self.digest.papers.append(paper)

    def read_field_line(self, number: int, line: str) -> None:
        """A "- Key: value" line: it ends any multi-line field and may start one."""
        self.close_block()
        match = _FIELD.match(line)
        key = _field_key(match["key"]) if match else ""
        if match is None or key not in _KNOWN_KEYS:
            if self.draft is not None and _TITLE_AND_SCORE.match(line):
                # A related paper whose 関連論文リスト heading was lost with the page's markup.
                self.start_related_section()
                self.read_related_line(number, line)
            else:
                self.digest.warn(number, f"skipped an unknown field: {_preview(line)!r}")
            return
        if self.draft is None:
            # The header was lost (e.g. taken for the page title): the first field starts the entry.
            self.start_paper(number, "")
        self.store_field(number, key, match["value"].strip())

    def store_field(self, number: int, key: str, value: str) -> None:
        assert self.draft is not None
        paper = self.draft.paper
        text, urls = split_links(value)
        if key in _MULTI_LINE_KEYS:
            self.block = _Block(key, number, [value] if value else [])
        elif key == _ARXIV_URL:
            self.store_arxiv_url(number, paper, text, urls)
        elif key == _DATE:
            paper.published = self.parse_rfc2822_date(number, text)
        elif key == _TITLE:
            paper.title = text
        elif key == _JA_TITLE:
            self.draft.blocks[_JA_TITLE] = text
        elif key == _AUTHORS:
            paper.authors = [name.strip() for name in text.split(",") if name.strip()]
        elif key == _SCORE:
            self.store_score(number, paper, text)

    def close_block(self) -> None:
        if self.block is not None and self.draft is not None:
            self.draft.blocks[self.block.key] = "\n".join(self.block.lines)
        self.block = None

    def store_arxiv_url(self, number: int, paper: ParsedPaper, text: str, urls: list[str]) -> None:
        url = next(iter(usable_urls(dict.fromkeys(urls + find_urls(text)), number, self.digest)), "")
        paper.arxiv_id = normalize_arxiv_id(url or text)
        if paper.arxiv_id is None:
            self.digest.warn(number, f"no arXiv id in the arxiv url field: {_preview(text)!r}")
        if url:
            paper.links.append(ParsedLink(url, "paper"))

    def store_score(self, number: int, paper: ParsedPaper, text: str) -> None:
        try:
            score = float(text)
        except ValueError:
            score = math.nan
        if math.isfinite(score) and score >= 0:
            paper.scores["reference_score"] = score
        else:  # float() also reads "-1", "nan" and "inf", which are no score
            message = f"skipped a 参考スコア that is not a number of 0 or more: {_preview(text)!r}"
            self.digest.warn(number, message)

    def parse_rfc2822_date(self, number: int, text: str) -> date | None:
        try:
            return parsedate_to_datetime(text).date()
        except (TypeError, ValueError):
            self.digest.warn(number, f"skipped a Date that is not an RFC 2822 date: {_preview(text)!r}")
            return None

    # -- 関連論文リスト ------------------------------------------------------------------------

    def start_related_section(self) -> None:
        self.close_block()
        self.section = _Section.RELATED

    def read_related_line(self, number: int, line: str) -> None:
        if match := _RELATED_DATE.match(line):
            self.close_related_by_date_line(number, match["links"], match["date"])
            if match["next"]:
                self.start_related(number, match["next"])
        elif line.startswith("- "):
            self.close_related_without_date()
            self.start_related(number, line[2:])
        elif self.related is not None:
            self.related.summary_lines.append(line)
        else:
            self.digest.warn(number, f"skipped a line outside any related paper: {_preview(line)!r}")

    def start_related(self, number: int, text: str) -> None:
        text, urls = split_links(text)
        title, score = _split_title_and_score(text)
        if not title:
            self.digest.warn(number, "skipped a related paper without a title")
            return
        self.related = _RelatedDraft(number, title, score, urls)

    def close_related_by_date_line(self, number: int, links_text: str, date_text: str) -> None:
        if self.related is None:
            self.digest.warn(number, "skipped a 論文 参考訳(メタデータ) date line without a related paper")
            return
        # In saved HTML pages the 論文 link of the date line points to the related paper on arXiv.
        _, urls = split_links(links_text)
        self.add_related(self.parse_iso_date(number, date_text), urls)

    def close_related_without_date(self) -> None:
        """The next related paper, the footer or the next page started before this one's date line."""
        if self.related is not None:
            self.digest.warn(
                self.related.line, f"related paper {_preview(self.related.title)!r} has no date line"
            )
            self.add_related(None, [])

    def add_related(self, published: date | None, urls: list[str]) -> None:
        related, self.related = self.related, None
        assert related is not None and self.draft is not None
        arxiv_ids = (arxiv_id_from_url(url) for url in urls + related.urls)
        summary = "\n".join(related.summary_lines)
        self.draft.paper.related.append(
            ParsedRelated(
                title=related.title,
                score=related.score,
                published=published,
                summaries=[ParsedSummary("ja", SUMMARY, summary)] if summary else [],
                arxiv_id=next((found for found in arxiv_ids if found), None),
            )
        )

    def parse_iso_date(self, number: int, value: str) -> date | None:
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.digest.warn(number, f"skipped an invalid related paper date {value!r}")
            return None
