"""Deleting digests together with what only they brought to the catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from papers.models import Digest, DigestEntry, Paper, RelatedPaper
from papers.search.index import refresh_papers


@dataclass
class DeletedDigests:
    digests: int
    papers_deleted: int  # papers that came only from these digests
    papers_kept: int  # papers also listed elsewhere: they lost these digests' summaries and stay


def delete_digests(queryset: QuerySet[Digest]) -> DeletedDigests:
    """Deletes the digests, their entries and the summaries and relations those entries brought (all by
    FK cascade; links and scores stay with their entry cleared), then the papers that came only from them:
    papers with no entry left in another digest that are not a related paper of another paper's entry
    either (the same rule as the importer's for papers a corrected digest drops). The papers that stay
    get their search and facet columns refreshed. One transaction."""
    with transaction.atomic():
        ids = list(queryset.order_by().values_list("pk", flat=True))
        touched = set(DigestEntry.objects.filter(digest_id__in=ids).values_list("paper_id", flat=True))
        touched |= set(
            RelatedPaper.objects.filter(entry__digest_id__in=ids).values_list("related_id", flat=True)
        )
        Digest.objects.filter(pk__in=ids).delete()
        orphans = Paper.objects.filter(pk__in=touched, entries__isnull=True, related_from__isnull=True)
        _, deleted = orphans.delete()
        kept = list(Paper.objects.filter(pk__in=touched).values_list("pk", flat=True))
        refresh_papers(kept)
    return DeletedDigests(
        digests=len(ids), papers_deleted=deleted.get(Paper._meta.label, 0), papers_kept=len(kept)
    )
