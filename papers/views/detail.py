"""A paper's page (every summary of it, from every digest) and a digest's page (its papers in order).

Both pages run a fixed number of queries whatever the number of authors, summaries or entries:
each relation is fetched once with ``prefetch_related``/``Prefetch`` and grouped in Python.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import F, Prefetch, prefetch_related_objects
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import Truncator
from django.utils.translation import gettext

from papers.identifiers import ARXIV_NEW_ID, ARXIV_OLD_ID
from papers.languages import LANGUAGE_NAMES, by_reader_preference, reader_language
from papers.models import (
    NEWEST,
    Authorship,
    Digest,
    DigestEntry,
    Paper,
    PaperLink,
    PaperRedirect,
    RelatedPaper,
    Score,
    Summary,
    Visibility,
)
from papers.search.cache import cached_page
from papers.views.citation import arxiv_abs_url, bibtex, ld_json_script

_VERSIONED_ID = re.compile(rf"(?P<id>{ARXIV_NEW_ID}|{ARXIV_OLD_ID})v\d+")
MORE_LIKE_THIS = 6
DESCRIPTION_CHARS = 200
# Shown in this order within a digest's group: the translated title and short summary first.
_KIND_ORDER = {
    kind: index
    for index, kind in enumerate(
        [
            Summary.Kind.TITLE,
            Summary.Kind.SUMMARY,
            *(k for k in Summary.Kind.values if k not in ("title", "summary")),
        ]
    )
}
_LINK_ORDER = {kind: index for index, kind in enumerate(PaperLink.Kind.values)}


# -- the paper page ---------------------------------------------------------------------------------


@cached_page(params=["format"])
def paper_detail(request: HttpRequest, key: str) -> HttpResponse:
    try:
        paper = _published_paper(key)
    except Http404:  # a key of a paper merged into another one redirects there for good
        moved = PaperRedirect.objects.select_related("paper").filter(old_key=key).first()
        if moved is None or moved.paper.visibility != Visibility.PUBLISHED:
            raise
        return _permanent_redirect(request, moved.paper.get_absolute_url())
    if paper.arxiv_id and key != paper.arxiv_id:
        return _permanent_redirect(request, paper.get_absolute_url())
    prefetch_related_objects([paper], *_paper_prefetches())
    page = _paper_page(request, paper)
    if request.GET.get("format") == "json":
        return JsonResponse(_paper_json(request, page), json_dumps_params={"ensure_ascii": False})
    return render(request, "papers/paper_detail.html", page.context())


def _published_paper(key: str) -> Paper:
    """By arXiv id, else by slug; hidden papers do not exist for readers."""
    papers = Paper.objects.published().defer("search_vector")
    paper = papers.filter(arxiv_id=key).first() or papers.filter(slug=key).first()
    if paper is None and (versioned := _VERSIONED_ID.fullmatch(key)):
        paper = papers.filter(arxiv_id=versioned["id"]).first()  # a pasted "2404.19756v2" redirects
    if paper is None:
        raise Http404("No such paper.")
    return paper


def _paper_prefetches() -> list:
    """One query per relation, whatever its size; only what readers may see."""
    return [
        Prefetch("authorships", queryset=Authorship.objects.select_related("author").order_by("position")),
        "categories",
        Prefetch("links", queryset=PaperLink.objects.order_by("kind", "id")),
        Prefetch("scores", queryset=Score.objects.select_related("source").order_by("kind", "source__name")),
        Prefetch(
            "summaries",
            queryset=Summary.objects.public()
            .select_related("entry__digest__source", "entry__paper")
            .order_by(F("entry__digest__issued").desc(nulls_last=True), "entry__digest_id", "id"),
        ),
        Prefetch(
            "related_links",
            queryset=RelatedPaper.objects.filter(related__visibility=Visibility.PUBLISHED)
            .select_related("related")
            .defer("related__search_vector", "related__abstract")
            .order_by("position", "id"),
        ),
    ]


def _permanent_redirect(request: HttpRequest, url: str) -> HttpResponsePermanentRedirect:
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)


@dataclass
class SummaryGroup:
    """The texts one digest entry gave in one language (``digest`` is None for editors' texts)."""

    digest: Digest | None
    anchor: str
    summaries: list[Summary] = field(default_factory=list)


@dataclass
class LanguageSection:
    code: str
    name: str
    groups: list[SummaryGroup]


@dataclass
class PaperPage:
    paper: Paper
    url: str  # absolute
    reader: str
    authors: list
    categories: list
    summaries: list[Summary]
    abstract: Summary | None  # the English abstract the page shows
    languages: list[LanguageSection]
    related: list[RelatedPaper]
    similar: list[Paper]

    def context(self) -> dict:
        paper = self.paper
        return {
            "paper": paper,
            "canonical_url": self.url,
            "authors": self.authors,
            "categories": self.categories,
            "translated_title": self.translated_title(),
            "link_groups": _link_groups(paper.links.all()),
            "scores": [_score_row(score) for score in paper.scores.all()],
            "abstract": self.abstract,
            "languages": self.languages,
            "related": self.related,
            "similar": self.similar,
            "bibtex": bibtex(paper, [a.name for a in self.authors], self.url),
            "description": self.description(),
            "json_ld": ld_json_script(self.json_ld()),
            "arxiv_url": arxiv_abs_url(paper),
        }

    def translated_title(self) -> Summary | None:
        """The title in the reader's language, when a digest translated it."""
        if self.reader == "en":
            return None
        return _pick(self.summaries, [Summary.Kind.TITLE], [self.reader])

    def description(self) -> str:
        """The short summary, else the abstract, in the reader's language first, cut for link previews."""
        texts = [self.abstract, *self.summaries] if self.abstract else self.summaries
        order = by_reader_preference({s.language for s in texts}, self.reader)
        for language in order:
            summary = _pick(texts, [Summary.Kind.SUMMARY, Summary.Kind.ABSTRACT], [language])
            if summary:
                return _one_line(summary.text, DESCRIPTION_CHARS)
        return ""

    def json_ld(self) -> dict:
        paper = self.paper
        data = {
            "@context": "https://schema.org",
            "@type": "ScholarlyArticle",
            "headline": paper.title,
            "name": paper.title,
            "author": [{"@type": "Person", "name": author.name} for author in self.authors],
            "datePublished": paper.published.isoformat() if paper.published else None,
            "about": [
                {"@type": "Thing", "name": category.name or category.code, "identifier": category.code}
                for category in self.categories
            ],
            "url": self.url,
            "sameAs": arxiv_abs_url(paper) or None,
            "inLanguage": "en",
            "abstract": self.abstract.text if self.abstract else None,
        }
        return {key: value for key, value in data.items() if value not in (None, [])}


def _paper_page(request: HttpRequest, paper: Paper) -> PaperPage:
    reader = reader_language()
    summaries = list(paper.summaries.all())
    abstract = english_abstract(summaries)
    related = list(paper.related_links.all())
    return PaperPage(
        paper=paper,
        url=request.build_absolute_uri(paper.get_absolute_url()),
        reader=reader,
        authors=[authorship.author for authorship in paper.authorships.all()],
        categories=list(paper.categories.all()),
        summaries=summaries,
        abstract=abstract,
        languages=_language_sections(summaries, reader, shown_abstract=abstract.text if abstract else ""),
        related=related,
        similar=_more_like_this(paper, exclude=[link.related_id for link in related]),
    )


def english_abstract(summaries: list[Summary]) -> Summary | None:
    """The English abstract a paper page shows: of the summaries readers may see (not ``Paper.abstract``,
    which stays when an editor hides the summary it was copied from), an editor's correction first, then
    the longest (as the importer chooses), then the first."""
    abstracts = [s for s in summaries if s.language == "en" and s.kind == Summary.Kind.ABSTRACT]
    return max(abstracts, key=lambda s: (s.edited_by_editor, len(s.text)), default=None)


def _language_sections(summaries: list[Summary], reader: str, shown_abstract: str) -> list[LanguageSection]:
    """Summaries by language (the reader's first), then by the digest entry they came from (newest digest
    first, the prefetch's order), each group in ``_KIND_ORDER``. An English text identical to the abstract
    the page already shows is left out."""
    by_language: dict[str, dict[int | None, SummaryGroup]] = defaultdict(dict)
    for summary in summaries:
        if summary.language == "en" and _same_text(summary.text, shown_abstract):
            continue
        groups = by_language[summary.language]
        if summary.entry_id not in groups:
            entry = summary.entry
            groups[summary.entry_id] = SummaryGroup(
                digest=entry.digest if entry else None, anchor=paper_anchor(entry.paper) if entry else ""
            )
        summary.kind_label = kind_label(summary.kind)
        groups[summary.entry_id].summaries.append(summary)
    sections = []
    for code in by_reader_preference(by_language, reader):
        groups = list(by_language[code].values())
        for group in groups:
            group.summaries.sort(key=lambda s: _KIND_ORDER.get(s.kind, len(_KIND_ORDER)))
        sections.append(LanguageSection(code=code, name=LANGUAGE_NAMES.get(code, code), groups=groups))
    return sections


def _more_like_this(paper: Paper, exclude: list[int]) -> list[Paper]:
    """Other published papers by shared authors (weight 3) and shared categories (weight 1), best first,
    then newest.

    Exact, without scoring every paper that shares a category (a third of a large catalogue): papers
    sharing an author are few and scored in Python; of the others, the best are the newest papers sharing
    ALL of this paper's categories (an index walk that stops after a few rows), and only when there are
    too few of those are the rest scored in the database.
    """
    authors = sorted({authorship.author_id for authorship in paper.authorships.all()})
    categories = sorted({category.pk for category in paper.categories.all()})
    if not authors and not categories:
        return []
    candidates = (
        Paper.objects.published()
        .only("title", "arxiv_id", "slug", "published", "author_ids", "category_ids")
        .exclude(pk__in=[paper.pk, *exclude])
    )
    by_author = list(candidates.filter(author_ids__overlap=authors)) if authors else []
    by_category: list[Paper] = []
    if categories:
        others = candidates.exclude(author_ids__overlap=authors) if authors else candidates
        by_category = list(
            others.filter(category_ids__contains=categories).order_by(*NEWEST)[:MORE_LIKE_THIS]
        )
        if len(by_category) < MORE_LIKE_THIS:
            shared = RawSQL(
                "cardinality(ARRAY(SELECT unnest(category_ids) INTERSECT SELECT unnest(%s::bigint[])))",
                (categories,),
            )
            by_category = list(
                others.filter(category_ids__overlap=categories)
                .annotate(shared=shared)
                .order_by(F("shared").desc(), *NEWEST)[:MORE_LIKE_THIS]
            )
    mine_authors, mine_categories = set(authors), set(categories)

    def affinity(other: Paper) -> int:
        shared_authors = len(mine_authors.intersection(other.author_ids))
        return 3 * shared_authors + len(mine_categories.intersection(other.category_ids))

    def best_first(other: Paper) -> tuple:
        return (
            -affinity(other),
            other.published is None,
            -(other.published or date.min).toordinal(),
            -other.pk,
        )

    return sorted(by_author + by_category, key=best_first)[:MORE_LIKE_THIS]


def _pick(summaries: list[Summary], kinds: list[str], languages: list[str]) -> Summary | None:
    """The first summary of the first kind found, trying the languages in order."""
    for language in languages:
        for kind in kinds:
            for summary in summaries:
                if summary.language == language and summary.kind == kind:
                    return summary
    return None


def _link_groups(links) -> list[dict]:
    groups: dict[str, list[PaperLink]] = defaultdict(list)
    for link in links:
        groups[link.kind].append(link)
    return [
        {"kind": kind, "label": gettext(PaperLink.Kind(kind).label), "links": groups[kind]}
        for kind in sorted(groups, key=lambda kind: _LINK_ORDER.get(kind, len(_LINK_ORDER)))
    ]


def _score_row(score: Score) -> dict:
    return {"kind": score.kind, "label": Score.LABELS.get(score.kind, score.kind), "score": score}


def kind_label(kind: str) -> str:
    return gettext(Summary.Kind(kind).label) if kind in _KIND_ORDER else kind


def _same_text(one: str, other: str) -> bool:
    return " ".join(one.split()) == " ".join(other.split())


def _one_line(text: str, limit: int) -> str:
    return Truncator(" ".join(text.split())).chars(limit)


def paper_anchor(paper: Paper) -> str:
    """The element id of a paper on a digest page: its arXiv id, else its slug."""
    return paper.arxiv_id or paper.slug


# -- JSON -----------------------------------------------------------------------------------------------


def _paper_json(request: HttpRequest, page: PaperPage) -> dict:
    paper = page.paper
    languages = by_reader_preference({summary.language for summary in page.summaries}, page.reader)
    summaries = sorted(page.summaries, key=lambda summary: languages.index(summary.language))
    scores: dict[str, float] = {}
    for score in paper.scores.all():
        scores[score.kind] = max(score.value, scores.get(score.kind, score.value))
    return {
        "title": paper.title,
        "arxiv_id": paper.arxiv_id,
        "url": page.url,
        "published": _iso(paper.published),
        "authors": [author.name for author in page.authors],
        "categories": [category.code for category in page.categories],
        "languages": languages,
        "summaries": [
            {
                "language": summary.language,
                "kind": summary.kind,
                "text": summary.text,
                "digest": str(summary.entry.digest) if summary.entry else None,
            }
            for summary in summaries
        ],
        "links": [{"url": link.url, "kind": link.kind} for link in paper.links.all()],
        "scores": scores,
        "related": [
            {
                "title": link.related.title,
                "url": request.build_absolute_uri(link.related.get_absolute_url()),
                "score": link.score,
            }
            for link in page.related
        ],
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# -- the digest page ------------------------------------------------------------------------------------


@dataclass
class EntryRow:
    entry: DigestEntry
    paper: Paper
    anchor: str
    authors: list
    title: Summary | None  # the translated title
    summary: Summary | None  # the short summary, else the abstract


@cached_page
def digest_detail(request: HttpRequest, pk: int) -> HttpResponse:
    digest = get_object_or_404(Digest.objects.public().select_related("source"), pk=pk)
    reader = reader_language()
    entries = (
        digest.entries.filter(paper__visibility=Visibility.PUBLISHED)
        .select_related("paper")
        .defer("paper__search_vector", "paper__abstract")
        .prefetch_related(
            Prefetch(
                "paper__authorships",
                queryset=Authorship.objects.select_related("author").order_by("position"),
            ),
            # An entry's summaries include those of its related papers: keep the entry's paper's own.
            Prefetch(
                "summaries",
                queryset=Summary.objects.filter(
                    visibility=Visibility.PUBLISHED,
                    paper_id=F("entry__paper_id"),
                    kind__in=[Summary.Kind.TITLE, Summary.Kind.SUMMARY, Summary.Kind.ABSTRACT],
                ).order_by("id"),
            ),
        )
        .order_by("position")
    )
    rows = [_entry_row(entry, reader) for entry in entries]
    return render(
        request,
        "papers/digest_detail.html",
        {
            "digest": digest,
            "rows": rows,
            "digest_url": request.build_absolute_uri(request.path),
            # Imported text, not validated by a form: only web links become links.
            "original_url": digest.url if digest.url.startswith(("https://", "http://")) else "",
        },
    )


def _entry_row(entry: DigestEntry, reader: str) -> EntryRow:
    paper = entry.paper
    summaries = list(entry.summaries.all())
    languages = by_reader_preference({s.language for s in summaries}, reader)
    title = _pick(summaries, [Summary.Kind.TITLE], languages)
    if title and title.text.strip() == paper.title:
        title = None
    summary = _pick(summaries, [Summary.Kind.SUMMARY], languages) or _pick(
        summaries, [Summary.Kind.ABSTRACT], languages
    )
    return EntryRow(
        entry=entry,
        paper=paper,
        anchor=paper_anchor(paper),
        authors=[authorship.author for authorship in paper.authorships.all()],
        title=title,
        summary=summary,
    )
