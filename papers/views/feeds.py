"""Atom and RSS feeds for any paper list: the same query string as the list page."""

from __future__ import annotations

import re
from datetime import datetime, time

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _

from papers.models import Paper
from papers.views.lists import decorate, filtered_papers, with_list_details

FEED_SIZE = 50
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class PaperAtomFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest) -> HttpRequest:
        return request

    def title(self, request: HttpRequest) -> str:
        # XML 1.0 cannot carry control characters: a query holding one still gets its feed.
        query = _XML_UNSAFE.sub("", request.GET.get("q", "")).strip()
        return _("ML paper digests: “%(query)s”") % {"query": query} if query else _("ML paper digests")

    def link(self, request: HttpRequest) -> str:
        params = request.GET.urlencode()
        return reverse("paper_list") + (f"?{params}" if params else "")

    def subtitle(self, request: HttpRequest) -> str:
        return _("Newest papers matching this list, with summaries in several languages")

    description = subtitle

    def items(self, request: HttpRequest) -> list[Paper]:
        papers = filtered_papers(request.GET, Paper.objects.published(), sort="newest").papers
        items = list(with_list_details(papers)[:FEED_SIZE])
        decorate(items, "")
        return items

    def item_title(self, paper: Paper) -> str:
        return paper.title

    def item_description(self, paper: Paper) -> str:
        return paper.snippet

    def item_link(self, paper: Paper) -> str:
        return paper.get_absolute_url()

    def item_guid(self, paper: Paper) -> str:
        return paper.get_absolute_url()

    def item_author_name(self, paper: Paper) -> str:
        names = [authorship.author.name for authorship in paper.authorships.all()]
        return ", ".join(names[:3]) + (" " + _("et al.") if len(names) > 3 else "")

    def item_pubdate(self, paper: Paper) -> datetime:
        if paper.published:
            return timezone.make_aware(datetime.combine(paper.published, time.min))
        return paper.created_at

    def item_updateddate(self, paper: Paper) -> datetime:
        return paper.updated_at

    def item_categories(self, paper: Paper) -> list[str]:
        return [category.code for category in paper.categories.all()]


class PaperRssFeed(PaperAtomFeed):
    feed_type = Rss201rev2Feed
