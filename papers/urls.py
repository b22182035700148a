from django.urls import path, register_converter

from papers.cache import cached_page
from papers.views import detail, home, lists, newsletter
from papers.views.feeds import PaperAtomFeed, PaperRssFeed


class PaperKeyConverter:
    """A paper's permanent key: its arXiv id (``2404.19756``, ``hep-th/9901001``) or its slug."""

    regex = r"[a-z\-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?|[\w.\-]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PaperKeyConverter, "paperkey")

urlpatterns = [
    path("", home.home, name="home"),
    path("papers/", lists.paper_list, name="paper_list"),
    path("papers/feed/atom/", cached_page(PaperAtomFeed()), name="paper_feed_atom"),
    path("papers/feed/rss/", cached_page(PaperRssFeed()), name="paper_feed_rss"),
    path("papers/<paperkey:key>/", detail.paper_detail, name="paper_detail"),
    path("digests/<int:pk>/", detail.digest_detail, name="digest_detail"),
    path("authors/<int:pk>/", lists.author_papers, name="author_detail"),
    path("categories/<str:code>/", lists.category_papers, name="category_detail"),
    path("newsletter/", newsletter.newsletter, name="newsletter"),
]
