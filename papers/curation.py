"""Editors' corrections to the catalogue: merging duplicate papers and authors, hiding and publishing.

The admin only calls these functions. Each runs in one transaction, takes the same advisory locks as the
importer on the papers it touches (so a merge and an import of the same papers run one after the other),
locks the rows with ``select_for_update`` and refreshes the derived columns of every paper it changed.
Nothing is lost silently: what a merge drops (a duplicate summary, a shorter author list) is named in
the history of the paper that stays and in the returned report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from papers.ingest.importer.locks import lock_keys, paper_keys
from papers.models import (
    Author,
    AuthorRedirect,
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
from papers.search.index import refresh_papers

_SINGULAR = {
    "summaries": "summary",
    "digest entries": "digest entry",
    "links": "link",
    "scores": "score",
    "related-paper links": "related-paper link",
    "authorships": "authorship",
    "categories": "category",
    "redirects": "redirect",
    "papers": "paper",
}
_REASON_CHARS = Paper.history.model._meta.get_field("history_change_reason").max_length or 100


@dataclass
class MergeReport:
    """What a merge moved (``moved["summaries"] == 3``), which duplicates it combined into one row of the
    paper that stays (``combined["digest entries"]``), and the choices it made (``notes``)."""

    moved: Counter = field(default_factory=Counter)
    combined: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"moved {_counts(self.moved)}", f"combined duplicate {_counts(self.combined)}", *self.notes]
        return "; ".join(part for part in parts if not part.endswith(" "))


def _counts(counter: Counter) -> str:
    return ", ".join(
        f"{count} {what if count != 1 else _SINGULAR.get(what, what)}"
        for what, count in counter.items()
        if count
    )


# -- papers ---------------------------------------------------------------------------------------------


def merge_papers(keep: Paper, others: list[Paper], user) -> MergeReport:
    """Move everything of ``others`` to ``keep`` and delete them; their URLs redirect to ``keep``."""
    other_ids = sorted({paper.pk for paper in others} - {keep.pk})
    if not other_ids:
        raise ValueError("choose at least one other paper to merge into the one that stays")
    with transaction.atomic():
        papers = _lock_papers([keep.pk, *other_ids])
        report = _PaperMerge(papers[keep.pk], [papers[pk] for pk in other_ids], user).run()
    keep.refresh_from_db()
    return report


def _lock_papers(ids: list[int]) -> dict[int, Paper]:
    """Row locks on the papers, after the importer's advisory locks on their keys (an import that
    matches one of them waits for the merge, and sees the merged paper)."""
    identities = Paper.objects.filter(pk__in=ids).values_list("title_key", "arxiv_id")
    lock_keys(sorted(set().union(*(paper_keys(title_key, arxiv_id) for title_key, arxiv_id in identities))))
    rows = Paper.objects.select_for_update().defer("search_vector").filter(pk__in=ids).order_by("pk")
    papers = {paper.pk: paper for paper in rows}
    missing = sorted(set(ids) - set(papers))
    if missing:
        raise ValueError(f"paper #{missing[0]} no longer exists")
    return papers


def _fullness(names: list[str]) -> tuple[int, int]:
    """The importer's rule: more names, then longer names ("Albert Gu" over "A Gu")."""
    return len(names), sum(map(len, names))


def _beats(challenger: Summary, incumbent: Summary) -> bool:
    """On a clash the editor's correction wins, then the longer text; a tie keeps the incumbent."""
    return (challenger.edited_by_editor, len(challenger.text.strip())) > (
        incumbent.edited_by_editor,
        len(incumbent.text.strip()),
    )


class _PaperMerge:
    def __init__(self, keep: Paper, others: list[Paper], user) -> None:
        self.keep = keep
        self.others = others
        self.other_ids = [paper.pk for paper in others]
        self.user = user
        self.report = MergeReport()
        self.entry_map: dict[int, int] = {}  # merged-away entry -> keep's entry in the same digest
        self.history_notes: list[str] = []

    def run(self) -> MergeReport:
        self._entries()
        self._summaries()
        self._links()
        self._scores()
        self._relations()
        DigestEntry.objects.filter(pk__in=self.entry_map).delete()  # emptied above
        self._authors()
        self._categories()
        self._fields_and_redirects()
        digests = set(self.keep.entries.values_list("digest_id", flat=True))
        for other in self.others:
            other._history_user = self.user
            other._change_reason = f"merged into #{self.keep.pk}"
            other.delete()
        self._save_keep()
        for digest in Digest.objects.filter(pk__in=digests):
            digest.summaries_count = Summary.objects.filter(entry__digest=digest).count()
            digest.save(update_fields=["summaries_count"])
        refresh_papers([self.keep.pk])
        return self.report

    def _map_paper(self, pk: int) -> int:
        return self.keep.pk if pk in self.other_ids else pk

    def _entries(self) -> None:
        """Entries move to ``keep``; where both papers are in one digest the two entries become keep's
        (at the earlier position) and everything pointing at the other entry follows it."""
        by_digest = {entry.digest_id: entry for entry in self.keep.entries.select_for_update()}
        for entry in DigestEntry.objects.select_for_update().filter(paper__in=self.other_ids).order_by("pk"):
            target = by_digest.get(entry.digest_id)
            if target is None:
                entry.paper = self.keep
                entry.save(update_fields=["paper"])
                by_digest[entry.digest_id] = entry
                self.report.moved["digest entries"] += 1
                continue
            self.entry_map[entry.pk] = target.pk
            if entry.position < target.position:  # the unique position is checked at commit
                target.position, target.line = entry.position, entry.line
                target.save(update_fields=["position", "line"])
            self.report.combined["digest entries"] += 1
        for model in (PaperLink, Score, RelatedPaper):
            for old, new in self.entry_map.items():
                model.objects.filter(entry_id=old).update(entry_id=new)

    def _summaries(self) -> None:
        moving = list(
            Summary.objects.select_for_update()
            .filter(Q(paper__in=self.other_ids) | Q(entry__in=self.entry_map))
            .order_by("pk")
        )
        moving_ids = [summary.pk for summary in moving]
        staying = Summary.objects.filter(
            Q(paper=self.keep) | Q(entry__in=set(self.entry_map.values())), entry__isnull=False
        ).exclude(pk__in=moving_ids)
        occupied = {(s.paper_id, s.entry_id, s.language, s.kind): s for s in staying.select_for_update()}
        for summary in moving:
            old_paper = summary.paper_id
            summary.paper_id = self._map_paper(summary.paper_id)
            summary.entry_id = self.entry_map.get(summary.entry_id, summary.entry_id)
            key = (summary.paper_id, summary.entry_id, summary.language, summary.kind)
            incumbent = occupied.get(key) if summary.entry_id else None
            if incumbent is not None:
                winner, loser = (summary, incumbent) if _beats(summary, incumbent) else (incumbent, summary)
                self.report.combined["summaries"] += 1
                self.report.notes.append(
                    f"of two {summary.language} {summary.kind} texts of one digest entry kept #{winner.pk}, "
                    f"dropped #{loser.pk} ({len(loser.text)} characters)"
                )
                self._delete(loser, f"duplicate of summary #{winner.pk} after a merge")
                if winner is incumbent:
                    continue
            occupied[key] = summary
            summary._history_user = self.user
            summary._change_reason = (
                f"moved from paper #{old_paper} by a merge"
                if old_paper != summary.paper_id
                else f"moved to the merged digest entry of #{self.keep.pk}"
            )
            summary.save(update_fields=["paper", "entry", "updated_at"])
            self.report.moved["summaries"] += 1

    def _delete(self, obj, reason: str) -> None:
        obj._history_user = self.user
        obj._change_reason = reason
        obj.delete()

    def _links(self) -> None:
        have = set(self.keep.links.values_list("url", flat=True))
        for link in PaperLink.objects.select_for_update().filter(paper__in=self.other_ids).order_by("pk"):
            if link.url in have:
                link.delete()
                self.report.combined["links"] += 1
                continue
            link.paper = self.keep
            link.save(update_fields=["paper"])
            have.add(link.url)
            self.report.moved["links"] += 1

    def _scores(self) -> None:
        have = {(s.source_id, s.kind): s for s in self.keep.scores.select_for_update()}
        for score in Score.objects.select_for_update().filter(paper__in=self.other_ids).order_by("pk"):
            existing = have.get((score.source_id, score.kind))
            if existing is None:
                score.paper = self.keep
                score.save(update_fields=["paper"])
                have[(score.source_id, score.kind)] = score
                self.report.moved["scores"] += 1
                continue
            if score.value > existing.value:  # one score per source and kind: the higher one
                existing.value, existing.entry_id = score.value, score.entry_id
                existing.save(update_fields=["value", "entry"])
            score.delete()
            self.report.combined["scores"] += 1

    def _relations(self) -> None:
        involved = Q(paper__in=self.other_ids) | Q(related__in=self.other_ids)
        moving = list(RelatedPaper.objects.select_for_update().filter(involved).order_by("pk"))
        taken = set(
            RelatedPaper.objects.filter(Q(paper=self.keep) | Q(related=self.keep))
            .exclude(pk__in=[relation.pk for relation in moving])
            .values_list("paper_id", "related_id")
        )
        for relation in moving:
            pair = (self._map_paper(relation.paper_id), self._map_paper(relation.related_id))
            if pair[0] == pair[1] or pair in taken:  # the papers themselves, or a relation keep has
                relation.delete()
                continue
            relation.paper_id, relation.related_id = pair
            relation.save(update_fields=["paper", "related"])
            taken.add(pair)
            self.report.moved["related-paper links"] += 1

    def _authors(self) -> None:
        """The fuller list stays (a tie keeps keep's); a differing list that loses is named in the
        history, never dropped silently."""

        def names(paper_id: int) -> list[str]:
            rows = Authorship.objects.filter(paper_id=paper_id).order_by("position")
            return list(rows.values_list("author__name", flat=True))

        current = names(self.keep.pk)
        for other in self.others:
            theirs = names(other.pk)
            if not theirs or theirs == current:
                continue
            if _fullness(theirs) > _fullness(current):
                Authorship.objects.filter(paper=self.keep).delete()
                Authorship.objects.filter(paper=other).update(paper=self.keep)
                self.report.moved["authorships"] += len(theirs)
                dropped, source = current, self.keep
                current = theirs
            else:
                dropped, source = theirs, other
            if dropped:
                note = f"author list of #{source.pk} not kept: {', '.join(dropped)}"
                self.history_notes.append(note)
                self.report.notes.append(note)

    def _categories(self) -> None:
        through = Paper.categories.through
        have = set(through.objects.filter(paper=self.keep).values_list("category_id", flat=True))
        theirs = set(through.objects.filter(paper__in=self.other_ids).values_list("category_id", flat=True))
        if theirs - have:
            self.keep.categories.add(*(theirs - have))
            self.report.moved["categories"] += len(theirs - have)

    def _fields_and_redirects(self) -> None:
        """Fill keep's blanks (arXiv id, English abstract) and take the earliest date; every other URL key
        (arXiv id, slug) and every redirect to the others now leads to keep."""
        keep = self.keep
        for other in self.others:
            if not keep.arxiv_id and other.arxiv_id:
                keep.arxiv_id = other.arxiv_id  # saved once the other paper is gone (unique)
                self.report.notes.append(f"took the arXiv id {other.arxiv_id}")
            if not keep.abstract and other.abstract:
                keep.abstract = other.abstract
                self.report.notes.append("took the English abstract")
            if other.published and (keep.published is None or other.published < keep.published):
                keep.published = other.published
        moved = PaperRedirect.objects.filter(paper__in=self.other_ids).update(paper=keep)
        live = {keep.arxiv_id, keep.slug}
        for other in self.others:
            for key in {other.arxiv_id, other.slug} - live - {None, ""}:
                PaperRedirect.objects.update_or_create(old_key=key, defaults={"paper": keep})
                moved += 1
        PaperRedirect.objects.filter(old_key__in=live - {None}).delete()  # keep's own keys resolve directly
        self.report.moved["redirects"] += moved

    def _save_keep(self) -> None:
        merged = ", ".join(f"#{pk}" for pk in self.other_ids)  # the deleted rows' pk is None by now
        reason = "; ".join([f"merged {merged} into this paper", *self.history_notes])
        self.keep._history_user = self.user
        if len(reason) > _REASON_CHARS:  # the full text is in the report (and the admin's log)
            reason = reason[: _REASON_CHARS - 1] + "…"
        self.keep._change_reason = reason
        self.keep.save()
        self.report.notes[:0] = [f"merged {merged} into #{self.keep.pk}"]


# -- authors --------------------------------------------------------------------------------------------


def merge_authors(keep: Author, others: list[Author], user) -> MergeReport:
    """Move the others' authorships to ``keep`` and delete them; /authors/<old id>/ redirects to keep.
    A paper listing several of them keeps one authorship at the earliest position, renumbered 1..n."""
    other_ids = sorted({author.pk for author in others} - {keep.pk})
    if not other_ids:
        raise ValueError("choose at least one other author to merge into the one that stays")
    merge_set = {keep.pk, *other_ids}
    report = MergeReport()
    listing = Authorship.objects.filter(author__in=other_ids).values_list("paper_id", flat=True)
    with transaction.atomic():
        # The importer's locks first, as the importer takes them, then the rows; once the authors are
        # locked no new authorship can name them, so the second look at their papers is final.
        paper_ids = sorted(set(listing))
        _lock_papers(paper_ids)
        rows = Author.objects.select_for_update().filter(pk__in=merge_set).order_by("pk")
        authors = {author.pk: author for author in rows}
        if set(authors) != merge_set:
            raise ValueError("one of the authors no longer exists")
        if late := sorted(set(listing) - set(paper_ids)):
            _lock_papers(late)
            paper_ids = sorted([*paper_ids, *late])
        for paper_id in paper_ids:
            report.moved["authorships"] += _merge_authorships(paper_id, keep.pk, merge_set)
        AuthorRedirect.objects.filter(author__in=other_ids).update(author=keep)
        for pk in other_ids:
            AuthorRedirect.objects.update_or_create(old_id=pk, defaults={"author": keep})
            report.notes.append(f"merged {authors[pk].name!r} (#{pk}) into {keep.name!r} (#{keep.pk})")
        Author.objects.filter(pk__in=other_ids).delete()
        refresh_papers(paper_ids)
    report.moved["papers"] = len(paper_ids)
    return report


def _merge_authorships(paper_id: int, keep_id: int, merge_set: set[int]) -> int:
    """One paper's list: the merged authors become ``keep``; when the paper names two or more of them
    they become one authorship at the earliest position (the same name twice stays two people)."""
    rows = list(Authorship.objects.select_for_update().filter(paper_id=paper_id).order_by("position"))
    named = [row for row in rows if row.author_id in merge_set]
    collapse = len({row.author_id for row in named}) > 1
    kept = []
    for row in rows:
        if row.author_id in merge_set and collapse and row is not named[0]:
            row.delete()
            continue
        kept.append(row)
    moved = 0
    # Ascending order only ever moves a row down into a slot already freed: the unique position holds.
    for position, row in enumerate(kept, start=1):
        fields = []
        if row.author_id in merge_set and row.author_id != keep_id:
            row.author_id = keep_id
            fields.append("author")
            moved += 1
        if row.position != position:
            row.position = position
            fields.append("position")
        if fields:
            row.save(update_fields=fields)
    return moved


# -- visibility -----------------------------------------------------------------------------------------


def set_visibility(queryset: QuerySet, visibility: str, user=None) -> int:
    """Publish or hide papers or summaries (with a history record each); returns how many changed."""
    model = queryset.model
    if model not in (Paper, Summary):
        raise TypeError(f"set_visibility works on papers and summaries, not {model.__name__}")
    if visibility not in Visibility.values:
        raise ValueError(f"unknown visibility {visibility!r}")
    ids = list(queryset.values_list("pk", flat=True))  # the admin's queryset may be annotated (GROUP BY)
    with transaction.atomic():
        rows = model.objects.select_for_update().filter(pk__in=ids).exclude(visibility=visibility)
        if model is Paper:
            rows = rows.defer("search_vector")
        objs = list(rows.order_by("pk"))
        now = timezone.now()
        for obj in objs:
            obj.visibility, obj.updated_at = visibility, now
        if objs:
            bulk_update_with_history(
                objs,
                model,
                ["visibility", "updated_at"],
                default_user=user,
                default_change_reason=f"{visibility} by an editor",
            )
        refresh_papers(_paper_ids(objs))
    return len(objs)


def _paper_ids(objs: Iterable[Paper | Summary]) -> set[int]:
    return {obj.pk if isinstance(obj, Paper) else obj.paper_id for obj in objs}
