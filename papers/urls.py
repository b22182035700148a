from django.urls import path, register_converter

from papers.search.cache import cached_page
from papers.views import detail, home, lists, newsletter
from papers.views.feeds import PaperAtomFeed, PaperRssFeed


class PaperKeyConverter:
    """A paper's permanent key: its arXiv id (``2404.19756``, ``hep-th/9901001``) or its slug. Check
    constraints hold both to these shapes, so every stored paper can be linked."""

    regex = r"[a-z\-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?|[\w.\-]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class CategoryCodeConverter:
    """Any category code the database can hold (every character but NUL, slashes included: digests print
    ``cs.LG/stat.ML``), so that linking to a stored category can never fail; the view 404s unknown ones."""

    regex = r"[^\x00]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PaperKeyConverter, "paperkey")
register_converter(CategoryCodeConverter, "categorycode")

# A feed reads the list's filters (not its sort, page or format): papers.search.cache drops the other
# parameters.
cached_feed = cached_page(params=lists.FILTER_PARAMS)

urlpatterns = [
    path("", home.home, name="home"),
    path("papers/", lists.paper_list, name="paper_list"),
    path("papers/feed/atom/", cached_feed(PaperAtomFeed()), name="paper_feed_atom"),
    path("papers/feed/rss/", cached_feed(PaperRssFeed()), name="paper_feed_rss"),
    path("papers/<paperkey:key>/", detail.paper_detail, name="paper_detail"),
    path("digests/<int:pk>/", detail.digest_detail, name="digest_detail"),
    path("authors/<int:pk>/", lists.author_papers, name="author_detail"),
    path("categories/<categorycode:code>/", lists.category_papers, name="category_detail"),
    path("newsletter/", newsletter.newsletter, name="newsletter"),
]
