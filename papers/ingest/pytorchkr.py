"""Parser for the PyTorchKR "Top ML Papers of the Week" digests (Japanese translation of DAIR.AI's list).

Layout (blank lines optional, English paragraphs optionally quoted with "> "):

    [2024/04/22 ~ 04/28] 今週の主要なML論文 (Top ML Papers of the Week)   <- or "… 投稿者 NAME 2024-06-13"
    • intro bullets (not a paper)
    日本語タイトル / English Title                                          <- or the English title alone
    論文紹介 | 研究紹介           ja summary, en summary
    論文要旨(Abstract)           ja abstract, en abstract                    (optional)
    論文リンク | 研究および論文リンク   URLs (may be empty)
    さらに読む                    URLs
    … next entry …
    原文                          the digest's source URL
    footer (この記事はGPTモデルで…, ⚠️広告⚠️…, まだコメントはありません。)

An entry's title line is recognised by the label on its next non-blank line; everything else is a
line-oriented state machine over the labels.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from urllib.parse import urlparse

from .parsed import (
    ABSTRACT,
    SUMMARY,
    TITLE,
    DigestParseError,
    ParsedDigest,
    ParsedLink,
    ParsedPaper,
    ParsedSummary,
)
from .text import (
    arxiv_id_from_url,
    detect_language,
    find_urls,
    has_cjk,
    split_by_script,
    split_links,
    usable_urls,
)

FAMILY = "pytorchkr"
LABEL = "PyTorchKR weekly Top ML Papers (Japanese translation)"

# Section ids, keyed by the label as written (after _label_key).
_INTRO = "intro"
_ABSTRACT_SECTION = "abstract"
_PAPER_LINKS = "paper_links"
_MORE_LINKS = "more_links"
_SOURCE = "source"
_LINK_SECTIONS = (_PAPER_LINKS, _MORE_LINKS, _SOURCE)
_LABELS = {
    "論文紹介": _INTRO,
    "研究紹介": _INTRO,
    "論文要旨(Abstract)": _ABSTRACT_SECTION,
    "論文要旨": _ABSTRACT_SECTION,
    "論文リンク": _PAPER_LINKS,
    "研究および論文リンク": _PAPER_LINKS,
    "さらに読む": _MORE_LINKS,
    "原文": _SOURCE,
}

# The post's footer: once one of these starts a line, no paper text follows.
_FOOTER_PREFIXES = ("この記事はGPTモデルで", "⚠️広告⚠️", "まだコメントはありません")
_IMAGE_PREFIX = "[IMG]"

# html_to_text and the forum's markdown put these in front of lines: quote, list item, heading.
_LINE_MARKUP = re.compile(r"^(?:>\s?|[-•*]\s+|#{1,6}\s+)+")
_POSTED_ON = re.compile(r"投稿者\s+\S+\s+(\d{4})-(\d{1,2})-(\d{1,2})")
_WEEK_RANGE = re.compile(r"^\[(\d{4})/(\d{1,2})/(\d{1,2})\s*~\s*(?:(\d{4})/)?(\d{1,2})/(\d{1,2})\]")
_TRUNCATED_URL_ENDINGS = ("…", "...")
_TITLE_SEPARATOR = " / "

_DISCUSSION_HOSTS = ("x.com", "twitter.com", "discuss.pytorch.kr", "reddit.com", "news.ycombinator.com")
_CODE_HOSTS = ("github.com", "gitlab.com")
_PROJECT_HOSTS = ("huggingface.co",)


@dataclass
class _Line:
    number: int  # 1-based, as in the input
    text: str  # stripped, quote/list/heading markup removed


def detect(text: str) -> bool:
    """A PyTorchKR digest has entry labels (論文紹介/研究紹介) and link labels (論文リンク/さらに読む)."""
    sections = {_LABELS.get(_label_key(line)) for line in text.split("\n")}
    return _INTRO in sections and bool(sections & {_PAPER_LINKS, _MORE_LINKS})


def parse(text: str) -> ParsedDigest:
    digest = ParsedDigest(family=FAMILY)
    lines = _content_lines(text)
    starts = _entry_starts(lines)
    if not starts:
        raise DigestParseError(
            f"No {LABEL} entry found: an entry is a title line followed by a 論文紹介 or 研究紹介 line."
        )
    _parse_header(lines[: starts[0]], digest)
    bounds = [*starts, len(lines)]
    for index, (begin, end) in enumerate(pairwise(bounds)):
        is_last = index == len(starts) - 1
        paper = _parse_entry(lines[begin:end], digest, is_last)
        if paper is not None:
            digest.papers.append(paper)
    if not digest.papers:
        reasons = "; ".join(str(warning) for warning in digest.warnings)
        raise DigestParseError(f"No complete {LABEL} entry could be parsed ({reasons}).")
    return digest


# --- lines and labels ------------------------------------------------------------------------------


def _strip_markup(line: str) -> str:
    return _LINE_MARKUP.sub("", line.strip()).strip()


def _label_key(line: str) -> str:
    """The form labels are compared in: link targets dropped, NFKC (full-width brackets and colons), no
    spaces or trailing colon."""
    key = unicodedata.normalize("NFKC", split_links(_strip_markup(line))[0])
    return re.sub(r"\s+", "", key).rstrip(":")


def _section_of(line: _Line) -> str | None:
    return _LABELS.get(_label_key(line.text))


def _content_lines(text: str) -> list[_Line]:
    """Non-blank lines with their numbers; image placeholders and lone list dashes carry nothing."""
    lines = []
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = _strip_markup(raw)
        if stripped in ("", "-", "•") or stripped.startswith(_IMAGE_PREFIX):
            continue
        lines.append(_Line(number, stripped))
    return lines


def _is_footer(line: _Line) -> bool:
    return line.text.startswith(_FOOTER_PREFIXES)


def _entry_starts(lines: list[_Line]) -> list[int]:
    return [
        index
        for index in range(len(lines) - 1)
        if _section_of(lines[index + 1]) == _INTRO and _is_title_candidate(lines[index])
    ]


def _is_title_candidate(line: _Line) -> bool:
    return _section_of(line) is None and not line.text.startswith(("http://", "https://"))


# --- header ----------------------------------------------------------------------------------------


def _parse_header(lines: list[_Line], digest: ParsedDigest) -> None:
    for line in lines:
        if (week := _WEEK_RANGE.match(line.text)) and not digest.title:
            digest.title = line.text
            digest.issued = digest.issued or _week_end(week)
        elif posted := _POSTED_ON.search(line.text):
            digest.issued = digest.issued or _safe_date(*posted.groups())


def _week_end(match: re.Match[str]) -> date | None:
    start_year, start_month, _, end_year, end_month, end_day = match.groups()
    year = int(end_year or start_year)
    # "[2024/12/30 ~ 01/05]" ends in the next year although it only prints the first one.
    if end_year is None and int(end_month) < int(start_month):
        year += 1
    return _safe_date(year, end_month, end_day)


def _safe_date(year: str | int, month: str | int, day: str | int) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


# --- entries ---------------------------------------------------------------------------------------


def _parse_entry(lines: list[_Line], digest: ParsedDigest, is_last: bool) -> ParsedPaper | None:
    title_line = lines[0]
    title_text, title_targets = split_links(title_line.text)
    translated, english = split_title(title_text)
    if not english:
        digest.warn(title_line.number, f"entry {title_line.text!r} has no English title; skipped")
        return None
    paper = ParsedPaper(title=english, line=title_line.number)
    if translated:
        paper.summaries.append(ParsedSummary("ja", TITLE, translated))

    blocks, ended = _collect_sections(lines[1:], digest)
    if is_last and not ended and _PAPER_LINKS not in blocks:
        # Nothing follows the last entry and it never reached its links: the text was cut inside it.
        digest.warn(
            title_line.number, f"entry {english!r} is incomplete (the text ends before 論文リンク); skipped"
        )
        return None

    for section, kind in ((_INTRO, SUMMARY), (_ABSTRACT_SECTION, ABSTRACT)):
        paragraphs = [split_links(line.text)[0] for line in blocks.get(section, [])]  # text only
        for language, body in split_by_script(paragraphs, "ja").items():
            paper.summaries.append(ParsedSummary(language, kind, body))
            if kind == ABSTRACT and language == "en":
                paper.abstract = body
    # A title rendered as a link points at the paper.
    title_urls = usable_urls(dict.fromkeys(title_targets), title_line.number, digest)
    paper.links.extend(ParsedLink(url, _paper_link_kind(url)) for url in title_urls)
    _add_links(paper, blocks.get(_PAPER_LINKS, []), digest, _paper_link_kind)
    _add_links(paper, blocks.get(_MORE_LINKS, []), digest, _more_link_kind)
    # Only the paper's own links name it: さらに読む may point at other papers.
    paper_links = [link.url for link in paper.links if link.kind in ("paper", "pdf")]
    paper.arxiv_id = next((found for url in paper_links if (found := arxiv_id_from_url(url))), None)
    return paper


def split_title(line: str) -> tuple[str, str]:
    """``"日本語 / English"`` -> ``("日本語", "English")``; an English-only line -> ``("", line)``;
    a line without an English title -> ``(line, "")``.

    Splits on the last " / " whose right side is English, because both halves may contain "/"."""
    position = line.rfind(_TITLE_SEPARATOR)
    while position > 0:
        left, right = line[:position].strip(), line[position + len(_TITLE_SEPARATOR) :].strip()
        if _is_english(right) and has_cjk(left):
            return left, right
        position = line.rfind(_TITLE_SEPARATOR, 0, position)
    return ("", line) if _is_english(line) else (line, "")


def _is_english(text: str) -> bool:
    return bool(re.search(r"[A-Za-z]", text)) and detect_language(text, "ja") == "en"


def _collect_sections(lines: list[_Line], digest: ParsedDigest) -> tuple[dict[str, list[_Line]], bool]:
    """Lines of the entry grouped by section label. Returns also whether the entry was closed by the
    digest's 原文 or footer, which proves the text was not cut inside it."""
    blocks: dict[str, list[_Line]] = {}
    section: str | None = None
    for index, line in enumerate(lines):
        if _is_footer(line):
            return blocks, True
        label = _section_of(line)
        if label == _SOURCE:
            _read_source(line, lines[index + 1 :], digest)
            return blocks, True
        if label is not None:
            section = label
            blocks.setdefault(section, [])
            if label in _LINK_SECTIONS and split_links(line.text)[1]:
                blocks[section].append(line)  # "論文リンク <https://…>": the label itself is the link
        elif section is not None:
            blocks[section].append(line)
    return blocks, False


def _read_source(label: _Line, lines: list[_Line], digest: ParsedDigest) -> None:
    """原文: the digest's own source (its URL on the next line, or the label is a link to it); anything
    after that URL is the footer."""
    for line in [label, *lines]:
        urls = _complete_urls(line, digest)
        if urls:
            digest.url = digest.url or urls[0]
            return
        if _is_footer(line) or (line is not label and _section_of(line) is not None):
            return


# --- links -----------------------------------------------------------------------------------------


def _complete_urls(line: _Line, digest: ParsedDigest) -> list[str]:
    """URLs of a line; a display text cut with "…" is only kept out when its link target is known,
    otherwise it is reported, never stored as a broken link, and so is a malformed URL."""
    text, targets = split_links(line.text)
    urls = list(targets)
    for url in find_urls(text):
        if url.endswith(_TRUNCATED_URL_ENDINGS) or "…" in url:
            if not targets:
                digest.warn(line.number, f"truncated URL {url!r} skipped")
        elif url not in urls:
            urls.append(url)
    return usable_urls(urls, line.number, digest)


def _add_links(
    paper: ParsedPaper, lines: list[_Line], digest: ParsedDigest, kind_of: Callable[[str], str]
) -> None:
    known = {link.url for link in paper.links}
    for line in lines:
        urls = _complete_urls(line, digest)
        if not urls and not find_urls(line.text):
            digest.warn(line.number, f"text without a URL in a link section skipped: {line.text[:60]!r}")
        for url in urls:
            if url not in known:
                known.add(url)
                paper.links.append(ParsedLink(url, kind_of(url)))


def _host_matches(url: str, hosts: tuple[str, ...]) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return any(host == known or host.endswith("." + known) for known in hosts)


def _paper_link_kind(url: str) -> str:
    path = urlparse(url).path.lower()
    is_pdf = path.endswith(".pdf") or (_host_matches(url, ("arxiv.org",)) and path.startswith("/pdf/"))
    return "pdf" if is_pdf else "paper"


def _more_link_kind(url: str) -> str:
    if _host_matches(url, _CODE_HOSTS):
        return "code"
    if _host_matches(url, _DISCUSSION_HOSTS):
        return "discussion"
    if _host_matches(url, _PROJECT_HOSTS):
        return "project"
    return "more"
