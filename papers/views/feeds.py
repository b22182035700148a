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
from papers.search.query import decorate, filtered_papers, with_list_details

FEED_SIZE = 50
# Anything but a character XML 1.0 allows (its ``Char`` production).
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry: C0 controls but tab, newline and carriage
    return, lone surrogates, U+FFFE and U+FFFF. Django's feed writer refuses the controls with a 500
    (UnserializableContentError) and writes the noncharacters into XML that no parser accepts."""
    return _NOT_XML_CHAR.sub("", text)


def _xml_safe_value(value):
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list | tuple):  # categories
        return type(value)(_xml_safe_value(item) for item in value)
    return value  # dates, enclosures, stylesheets, None


class XmlSafeFeed:
    """A feed generator that makes every text it is given XML-safe, so that a feed is well-formed
    whatever a query or the catalogue holds (the importer cleans text too, but rows can come from
    elsewhere: admin edits, restores, older imports)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.feed = {key: _xml_safe_value(value) for key, value in self.feed.items()}

    def add_item(self, *args, **kwargs) -> None:
        super().add_item(*args, **kwargs)
        self.items[-1] = {key: _xml_safe_value(value) for key, value in self.items[-1].items()}


class XmlSafeAtom1Feed(XmlSafeFeed, Atom1Feed):
    pass


class XmlSafeRss201rev2Feed(XmlSafeFeed, Rss201rev2Feed):
    pass


class PaperAtomFeed(Feed):
    feed_type = XmlSafeAtom1Feed

    def get_object(self, request: HttpRequest) -> HttpRequest:
        return request

    def title(self, request: HttpRequest) -> str:
        query = request.GET.get("q", "").strip()
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
    feed_type = XmlSafeRss201rev2Feed
