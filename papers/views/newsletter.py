"""The newsletter helper: a paper list (same query parameters as /papers/) or one digest as Markdown and
HTML snippets for editors to paste, each paper a permalink and a one-line summary in one language."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.html import escape
from django.utils.text import Truncator

from papers.languages import LANGUAGE_NAMES, by_reader_preference, reader_language
from papers.models import Digest, DigestEntry, Paper, Summary, Visibility
from papers.search.query import filtered_papers

NEWSLETTER_PAPERS = 30
LINE_CHARS = 140
LANGUAGES = ["ja", "zh", "ko", "en"]
_KINDS = [Summary.Kind.SUMMARY, Summary.Kind.ABSTRACT]  # the short summary, else the abstract
# The end of the first sentence: CJK full stops anywhere, Latin ones before a space or the end (not "3.5").
_SENTENCE_END = re.compile(r"[。！？]|[.!?](?=\s|$)")
# Backslash-escaped in Markdown (CommonMark escapes any ASCII punctuation): what could start emphasis, code,
# a link, an autolink or raw HTML, an entity or a table cell.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~])")


@dataclass
class Item:
    title: str
    url: str  # absolute
    line: str
    language: str  # of the line


@staff_member_required
def newsletter(request: HttpRequest) -> HttpResponse:
    language = request.GET.get("lang", "")
    if language not in LANGUAGES:
        language = reader_language()
    digest, papers, entries = _papers(request)
    prefetch_related_objects(
        papers,
        Prefetch(
            "summaries",
            queryset=Summary.objects.public()
            .filter(kind__in=_KINDS)
            .only("paper_id", "entry_id", "language", "kind", "text"),
            to_attr="line_summaries",
        ),
    )
    items = [_item(request, paper, language, entries.get(paper.pk)) for paper in papers]
    return render(
        request,
        "papers/newsletter.html",
        {
            "digest": digest,
            "items": items,
            "language": language,
            "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
            "markdown": markdown_snippet(items),
            "html": html_snippet(items),
        },
    )


def _papers(request: HttpRequest) -> tuple[Digest | None, list[Paper], dict[int, int]]:
    """One digest's published papers in its order (with each paper's entry id), else the first papers of
    the list the query selects."""
    digest_id = request.GET.get("digest", "")
    if not digest_id:
        papers = filtered_papers(request.GET, Paper.objects.published()).papers
        return None, list(papers.defer("search_vector", "abstract")[:NEWSLETTER_PAPERS]), {}
    if not digest_id.isdigit() or len(digest_id) > 18:
        raise Http404("digest must be a digest's id")
    digest = get_object_or_404(Digest.objects.select_related("source"), pk=int(digest_id))
    entries = (
        DigestEntry.objects.filter(digest=digest, paper__visibility=Visibility.PUBLISHED)
        .select_related("paper")
        .defer("paper__search_vector", "paper__abstract")
        .order_by("position")
    )
    return digest, [entry.paper for entry in entries], {entry.paper_id: entry.pk for entry in entries}


def _item(request: HttpRequest, paper: Paper, language: str, entry_id: int | None) -> Item:
    texts = list(paper.line_summaries)  # the English abstract among them while it is published
    order = by_reader_preference({text.language for text in texts}, language)
    # This digest's own texts first when there is a digest; a language's short summary before its abstract.
    texts.sort(key=lambda s: (order.index(s.language), _KINDS.index(s.kind), s.entry_id != entry_id))
    chosen = texts[0] if texts else None
    return Item(
        title=" ".join(paper.title.split()),
        url=request.build_absolute_uri(paper.get_absolute_url()),
        line=one_line(chosen.text) if chosen else "",
        language=chosen.language if chosen else "",
    )


def one_line(text: str, limit: int = LINE_CHARS) -> str:
    """The first sentence when it is short enough, else the text cut at ``limit`` characters."""
    text = " ".join(text.split())
    end = _SENTENCE_END.search(text)
    if end and end.end() <= limit:
        return text[: end.end()]
    return Truncator(text).chars(limit)


def markdown_escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_snippet(items: list[Item]) -> str:
    lines = []
    for item in items:
        line = f"- [{markdown_escape(item.title)}]({item.url})"
        lines.append(f"{line} — {markdown_escape(item.line)}" if item.line else line)
    return "\n".join(lines) + "\n" if lines else ""


def html_snippet(items: list[Item]) -> str:
    """Plain ``str`` on purpose (not a SafeString): the page escapes it once more into its textarea."""
    rows = []
    for item in items:
        link = f'<a href="{escape(item.url)}">{escape(item.title)}</a>'
        line = f' — <span lang="{escape(item.language)}">{escape(item.line)}</span>' if item.line else ""
        rows.append(f"  <li>{link}{line}</li>\n")
    return f"<ul>\n{''.join(rows)}</ul>\n" if rows else ""
