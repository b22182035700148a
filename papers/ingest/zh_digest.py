"""Parser for the Chinese paper digests with 推荐阅读指数 (a blog's numbered list of arXiv papers).

Layout of one entry:

    1. English Title
    Y Wang, X Liu, … [- arXiv preprint arXiv:2410.02184, 2024]     <- Google Scholar style author line
    https://arxiv.org/pdf/2410.00487
    中文标题
    摘要: …                 (a paragraph may wrap onto continuation lines)
    研究背景: …
    算法模型: …
    核心创新点:
    - bullet
    实验效果: …
    后续潜在研究方向: …
    推荐阅读指数: 3.5
    分析总结: …

A trailing 后记 section is the blog's footer. The parser is a line-oriented state machine over the labels;
a "N. Title" line only starts an entry when an author line and a link line follow it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import pairwise
from urllib.parse import urlparse

from .parsed import (
    ABSTRACT,
    ANALYSIS,
    BACKGROUND,
    CONTRIBUTIONS,
    FUTURE_WORK,
    METHOD,
    RESULTS,
    TITLE,
    DigestParseError,
    ParsedDigest,
    ParsedLink,
    ParsedPaper,
    ParsedSummary,
)
from .text import arxiv_id_from_url, detect_language, find_arxiv_id, find_urls, split_links, usable_urls

FAMILY = "zh_digest"
LABEL = "Chinese paper digest with 推荐阅读指数 (reading index)"

LANGUAGE = "zh"
READING_INDEX = "reading_index"
# The label of the score line; every other label names a summary kind.
_SCORE_LABEL = "推荐阅读指数"
_SUMMARY_LABELS = {
    "摘要": ABSTRACT,
    "研究背景": BACKGROUND,
    "算法模型": METHOD,
    "核心创新点": CONTRIBUTIONS,
    "实验效果": RESULTS,
    "后续潜在研究方向": FUTURE_WORK,
    "分析总结": ANALYSIS,
}
# Each entry ends with this section, so an unterminated last entry without it was cut.
_LAST_LABEL = "分析总结"
_FOOTER_LABEL = "后记"

_LABEL_LINE = re.compile(rf"^(?P<label>{'|'.join([_SCORE_LABEL, *_SUMMARY_LABELS])})\s*[:：]\s*(?P<rest>.*)$")
_FOOTER_LINE = re.compile(rf"^{_FOOTER_LABEL}\s*[:：]?$")
_ENTRY_LINE = re.compile(r"^(?P<number>\d{1,5})[.．、]\s*(?P<title>\S.*)$")
_SCORE = re.compile(r"\d+(?:\.\d+)?")
# Google Scholar appends " - venue, year" to the author list; authors never contain " - ".
_SCHOLAR_TAIL = " - "
_AUTHOR_SEPARATORS = re.compile(r"\s*[,，、]\s*")
_ELLIPSES = ("…", "...")
# html_to_text marks quotes and headings; list dashes are content here (核心创新点 bullets).
_LINE_MARKUP = re.compile(r"^(?:>\s?|#{1,6}\s+)+")
# Author lines are short name lists: a sentence ending or a very long line is prose.
_MAX_AUTHOR_LINE = 400


@dataclass
class _Line:
    number: int  # 1-based, as in the input
    text: str  # stripped, quote/heading markup removed


def detect(text: str) -> bool:
    """Our digests carry the 推荐阅读指数 score and at least one other of the labelled sections."""
    labels = {match.group("label") for line in _content_lines(text) if (match := _label_match(line))}
    return _SCORE_LABEL in labels and len(labels) >= 2


def parse(text: str) -> ParsedDigest:
    digest = ParsedDigest(family=FAMILY)
    lines = _content_lines(text)
    starts = _entry_starts(lines)
    if not starts:
        raise DigestParseError(
            f"No {LABEL} entry found: an entry is a 'N. English title' line followed by an author line "
            "and a link line."
        )
    footer = _footer_index(lines, after=starts[0])
    starts = [start for start in starts if start < footer]
    bounds = [*starts, footer]
    previous_number = 0
    for index, (begin, end) in enumerate(pairwise(bounds)):
        number = _entry_number(lines[begin])
        if number != previous_number + 1:
            digest.warn(lines[begin].number, f"entry numbering jumps from {previous_number} to {number}")
        previous_number = number
        # Without the 后记 footer nothing proves the last entry was not cut.
        could_be_cut = index == len(starts) - 1 and footer == len(lines)
        paper = _parse_entry(lines[begin:end], digest, could_be_cut)
        if paper is not None:
            digest.papers.append(paper)
    if not digest.papers:
        reasons = "; ".join(str(warning) for warning in digest.warnings)
        raise DigestParseError(f"No complete {LABEL} entry could be parsed ({reasons}).")
    return digest


# --- lines ---------------------------------------------------------------------------------------------


def _content_lines(text: str) -> list[_Line]:
    lines = []
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = _LINE_MARKUP.sub("", raw.strip()).strip()
        if stripped:
            lines.append(_Line(number, stripped))
    return lines


def _footer_index(lines: list[_Line], after: int) -> int:
    """Index of the 后记 footer line (the blog's closing words, never part of the last entry's
    分析总结), or ``len(lines)`` when the text has none."""
    for index in range(after, len(lines)):
        if _FOOTER_LINE.match(lines[index].text):
            return index
    return len(lines)


def _label_match(line: _Line) -> re.Match[str] | None:
    # Matched as written (both colons accepted) so that text after the label keeps its full-width forms.
    return _LABEL_LINE.match(line.text)


def _entry_match(line: _Line) -> re.Match[str] | None:
    return _ENTRY_LINE.match(line.text)


def _is_link_line(line: _Line) -> bool:
    text, targets = split_links(line.text)
    return bool(targets) or text.startswith(("http://", "https://"))


def _looks_like_authors(line: _Line) -> bool:
    text = split_links(line.text)[0]  # names may link to author pages
    return (
        _label_match(line) is None
        and not text.startswith(("http://", "https://"))
        and not text.endswith(("。", "：", ":"))
        and len(text) <= _MAX_AUTHOR_LINE
    )


def _entry_number(line: _Line) -> int:
    match = _entry_match(line)
    return int(match.group("number")) if match else 0


def _entry_title(line: _Line) -> str:
    match = _entry_match(line)
    return match.group("title").strip() if match else ""


def _is_entry_start(lines: list[_Line], index: int) -> bool:
    """ "N. Title" followed by an author line and a link line."""
    return (
        _entry_match(lines[index]) is not None
        and index + 2 < len(lines)
        and _looks_like_authors(lines[index + 1])
        and _is_link_line(lines[index + 2])
    )


def _entry_starts(lines: list[_Line]) -> list[int]:
    """Entry starts in order. Entries are numbered upwards, so a numbered list inside a section that
    happens to look like an entry ("1. …" under entry 3) is section text, not a new entry."""
    starts: list[int] = []
    for index in range(len(lines)):
        if _is_entry_start(lines, index) and _entry_number(lines[index]) > (
            _entry_number(lines[starts[-1]]) if starts else 0
        ):
            starts.append(index)
    return starts


# --- entries ---------------------------------------------------------------------------------------


def _parse_entry(lines: list[_Line], digest: ParsedDigest, could_be_cut: bool) -> ParsedPaper | None:
    head = lines[0]
    title, title_targets = split_links(_entry_title(head))
    if detect_language(title, LANGUAGE) != "en":
        digest.warn(head.number, f"entry {title!r} has no English title; skipped")
        return None
    paper = ParsedPaper(title=title, line=head.number)
    # A title rendered as a link points at the paper.
    title_urls = usable_urls(dict.fromkeys(title_targets), head.number, digest)
    paper.links.extend(ParsedLink(url, _link_kind(url)) for url in title_urls)
    _read_authors(lines[1], paper, digest)

    rest = lines[2:]
    while rest and _is_link_line(rest[0]):
        _add_links(paper, rest[0], digest)
        rest = rest[1:]
    if rest and _label_match(rest[0]) is None:
        paper.summaries.append(ParsedSummary(LANGUAGE, TITLE, rest[0].text))
        rest = rest[1:]

    sections = _collect_sections(rest, digest)
    if could_be_cut and _LAST_LABEL not in sections:
        digest.warn(
            head.number, f"entry {title!r} is incomplete (the text ends before {_LAST_LABEL}); skipped"
        )
        return None
    for label, body in sections.items():
        if label == _SCORE_LABEL:
            _read_score(body, paper, digest)
        elif text := "\n".join(split_links(line.text)[0] for line in body).strip():
            paper.summaries.append(ParsedSummary(LANGUAGE, _SUMMARY_LABELS[label], text))
    _settle_arxiv_id(paper, head, digest)
    return paper


def _settle_arxiv_id(paper: ParsedPaper, head: _Line, digest: ParsedDigest) -> None:
    """The link is what readers follow, so it wins over the author line's "arXiv:…" tail."""
    linked = next((found for link in paper.links if (found := arxiv_id_from_url(link.url))), None)
    if linked and paper.arxiv_id and linked != paper.arxiv_id:
        digest.warn(head.number, f"author line names arXiv:{paper.arxiv_id} but the link is {linked}")
    paper.arxiv_id = linked or paper.arxiv_id


def _collect_sections(lines: list[_Line], digest: ParsedDigest) -> dict[str, list[_Line]]:
    """Lines grouped by label; text on a label's own line is the first line of its section, and a wrapped
    paragraph's continuation lines stay in the section they continue."""
    sections: dict[str, list[_Line]] = {}
    label: str | None = None
    for line in lines:
        if match := _label_match(line):
            label = match.group("label")
            if label in sections:
                digest.warn(line.number, f"second {label} section appended to the first")
            body = sections.setdefault(label, [])
            if rest := match.group("rest").strip():
                body.append(_Line(line.number, rest))
        elif label is None:
            digest.warn(line.number, f"unlabelled text before the first section skipped: {line.text[:60]!r}")
        else:
            sections[label].append(line)
    return sections


def _read_authors(line: _Line, paper: ParsedPaper, digest: ParsedDigest) -> None:
    names, _, tail = split_links(line.text)[0].partition(_SCHOLAR_TAIL)
    if tail:
        # Only the arXiv id is used: the year alone is no publication date.
        paper.arxiv_id = find_arxiv_id(tail)
    for name in _AUTHOR_SEPARATORS.split(names.strip()):
        if name.endswith(_ELLIPSES):
            # Scholar shortens long lists with "…": keep the names it shows, say the list is partial.
            digest.warn(line.number, "author list is cut short with '…'; the listed authors are kept")
            name = name.rstrip(".…").strip()
        if name:
            paper.authors.append(name)


def _read_score(body: list[_Line], paper: ParsedPaper, digest: ParsedDigest) -> None:
    text = " ".join(line.text for line in body)
    match = _SCORE.search(unicodedata.normalize("NFKC", text))
    if match:
        paper.scores[READING_INDEX] = float(match.group())
    elif body:
        digest.warn(body[0].number, f"{_SCORE_LABEL} without a number skipped: {text[:40]!r}")


def _add_links(paper: ParsedPaper, line: _Line, digest: ParsedDigest) -> None:
    text, targets = split_links(line.text)
    known = {link.url for link in paper.links}
    complete = []
    for url in [*targets, *find_urls(text)]:
        if url.endswith(_ELLIPSES) or "…" in url:
            if not targets:
                digest.warn(line.number, f"truncated URL {url!r} skipped")
        elif url not in known:
            known.add(url)
            complete.append(url)
    paper.links.extend(ParsedLink(url, _link_kind(url)) for url in usable_urls(complete, line.number, digest))


def _link_kind(url: str) -> str:
    parsed = urlparse(url)
    path = parsed.path.lower()
    is_arxiv = (parsed.hostname or "").lower().endswith("arxiv.org")
    return "pdf" if path.endswith(".pdf") or (is_arxiv and path.startswith("/pdf/")) else "paper"
